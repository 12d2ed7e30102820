// Installable the way npm users install tools: `npm pack` of a copy of the project (its prepack builds
// dist/ from nothing), the tarball holds the launcher and the built code but neither tests nor dumps, and
// `npm install -g --prefix DIR TARBALL` gives a qemu-vtop that answers --version and reads the demo dump.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const work = mkdtempSync(join(tmpdir(), 'qv-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

describe('npm pack and a global install', () => {
  const copy = join(work, 'src');
  let tarball = '';
  it('packs a copy of the project: prepack builds, the tarball has dist/ and the launcher, no tests or dumps', () => {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { encoding: 'utf8' }).split('\n').filter((f) => f && !f.startsWith('fixtures/'));
    for (const f of files) {
      try {
        mkdirSync(dirname(join(copy, f)), { recursive: true });
        copyFileSync(f, join(copy, f));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // deleted in the working tree
      }
    }
    symlinkSync(resolve('node_modules'), join(copy, 'node_modules'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: copy, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [info] = JSON.parse(out);
    const paths: string[] = info.files.map((f: { path: string }) => f.path);
    assert.ok(paths.includes('bin/qemu-vtop') && paths.includes('dist/src/cli/main.js') && paths.includes('package.json'), paths.slice(0, 20).join(' '));
    assert.deepEqual(paths.filter((p) => /^(test|fixtures|bench|dist\/test|dist\/bench)\//.test(p)), []);
    tarball = join(work, info.filename);
    assert.ok(readdirSync(work).includes(info.filename));
  });
  it('installs globally into a prefix; the installed qemu-vtop answers --version and info on the demo dump', () => {
    const prefix = join(work, 'prefix');
    execFileSync('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball], { stdio: ['ignore', 'pipe', 'pipe'] });
    const bin = join(prefix, 'bin', 'qemu-vtop');
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), pkg.version);
    const i = spawnSync(bin, ['info', resolve('fixtures/demo-6.1/vmcore.kdump-zlib'), '--json'], { encoding: 'utf8', cwd: work });
    assert.equal(i.status, 0, i.stderr);
    const s = JSON.parse(i.stdout);
    assert.equal(s.osrelease, '6.1.0-53-cloud-amd64');
    assert.equal(s.format, 'kdump-compressed');
  });
});
