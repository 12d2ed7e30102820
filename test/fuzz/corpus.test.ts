// Replays every case the fuzzer saved under test/corpus/ (each a minimised failing input, as patches over the
// target's real input): each must now end in an answer or a coded QvError, within its allocation limit.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AllocGuard, type CorpusCase, fromCorpus } from './engine.js';
import { runCase } from './run-cases.js';
import { type Instance, targetByName } from './targets.js';

const DIR = 'test/corpus';
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const instances = new Map<string, Instance>();

describe('fuzz corpus replay', () => {
  it('the corpus is not empty', () => assert.ok(files.length > 0, `no cases in ${DIR}`));
  for (const f of files) {
    const c = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as CorpusCase;
    it(`${f} (${c.target}: ${c.failure.slice(0, 90)})`, () => {
      let inst = instances.get(c.target);
      if (!inst) instances.set(c.target, (inst = targetByName(c.target).setup()));
      const guard = new AllocGuard();
      guard.install();
      let v;
      try {
        v = runCase(inst, fromCorpus(c), guard).verdict;
      } finally {
        guard.uninstall();
      }
      assert.ok(v.ok, `${f}: ${v.ok ? '' : `${v.kind}: ${v.signature}: ${v.message}`}`);
    });
  }
});
