#!/usr/bin/env node
// Runs node's test runner over the compiled tests: `unit` = everything but dist/test/acceptance (needs only
// the repository), `acceptance` = the suite over the real dumps in ../shared/fixtures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suite = process.argv[2] ?? 'unit';
const root = 'dist/test';
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    // Only tests whose TypeScript source still exists: dist/ may hold stale output of deleted tests.
    else if (name.endsWith('.test.js') && existsSync(p.replace(/^dist\//, '').replace(/\.js$/, '.ts'))) files.push(p);
  }
})(root);
const acceptance = (f) => f.startsWith(join(root, 'acceptance') + '/');
const chosen = files.filter((f) => (suite === 'acceptance' ? acceptance(f) : !acceptance(f)));
if (!chosen.length) {
  console.error(`run-tests: no ${suite} tests under ${root}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
