// The persistent name index: written by the first open, used by the next, keyed by build-id; corrupt,
// foreign or stale files are ignored and rebuilt; --no-cache (cache: false) touches nothing; concurrent
// runs never leave a broken file.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { indexCachePath, openDwarf } from '../../src/debuginfo/dwarf/index.js';
import { findMember } from '../../src/debuginfo/types.js';
import { ElfFile } from '../../src/elf/elf.js';
import { FileSource } from '../../src/io/source.js';

const SRC = resolvePath('test/fixtures-src');
let dir: string;
let exe: string;
let obj: string;
let buildId: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qv-dwarf-cache-'));
  exe = join(dir, 'layout');
  obj = join(dir, 'types.o');
  execFileSync('gcc', ['-g', '-DLAYOUT_MAIN', '-Wl,--build-id=sha1', '-o', exe, join(SRC, 'dwarf-types.c'), join(SRC, 'dwarf-types-def.c')]);
  execFileSync('gcc', ['-g', '-c', '-o', obj, join(SRC, 'dwarf-types.c')]);
  buildId = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', exe], { encoding: 'utf8' }))![1];
});

const open = (f: string, opts: { cache?: boolean; cacheDir?: string }) => openDwarf(new ElfFile(new FileSource(f)), opts);

/** Where a fresh open of `f` gets its index from: 'scan' or 'cache'. */
function indexSource(f: string, opts: { cache?: boolean; cacheDir?: string }) {
  const src = open(f, opts);
  void src.index;
  return src.indexInfo?.source;
}

function lookups(src: ReturnType<typeof open>) {
  const outer = src.findType('outer', 'struct')!;
  return { lo: findMember(outer, 'lo')?.offset, tail: findMember(outer, 'tail')?.offset, fwd: src.findType('fwd_only', 'struct')?.kind, red: src.findEnumerator('RED') };
}

describe('persistent DWARF name index', () => {
  it('is written on the first open under the build-id and read on the next', () => {
    const cacheDir = mkdtempSync(join(dir, 'c-'));
    const first = open(exe, { cacheDir });
    const want = lookups(first);
    assert.equal(first.indexInfo?.source, 'scan');
    const path = indexCachePath(cacheDir, buildId)!;
    assert.equal(first.indexInfo?.cachePath, path);
    assert.ok(existsSync(path), `${path} written`);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).buildId, buildId);
    const second = open(exe, { cacheDir });
    assert.deepEqual(lookups(second), want);
    assert.equal(second.indexInfo?.source, 'cache');
    assert.deepEqual(readdirSync(cacheDir), [`dwarf-index-${buildId}.json`], 'no temporary files left');
  });

  it('ignores and rewrites a corrupt, truncated, stale or foreign cache file', () => {
    const cacheDir = mkdtempSync(join(dir, 'c-'));
    const want = lookups(open(exe, { cacheDir }));
    const path = indexCachePath(cacheDir, buildId)!;
    const good = readFileSync(path, 'utf8');
    const j = JSON.parse(good);
    const bad: [string, string][] = [
      ['garbage', 'not json at all \u0000\u0001'],
      ['truncated', good.slice(0, good.length >> 1)],
      ['another version', JSON.stringify({ ...j, version: j.version + 1 })],
      ['another build-id', JSON.stringify({ ...j, buildId: 'ff'.repeat(20) })],
      ['other section sizes', JSON.stringify({ ...j, fingerprint: j.fingerprint + '0' })],
      ['mismatched arrays', JSON.stringify({ ...j, names: { ...j.names, struct: [j.names.struct[0], j.names.struct[1].slice(1)] } })],
      ['offsets that are not numbers', JSON.stringify({ ...j, units: ['0'] })],
    ];
    for (const [what, text] of bad) {
      writeFileSync(path, text);
      const src = open(exe, { cacheDir });
      assert.deepEqual(lookups(src), want, what);
      assert.equal(src.indexInfo?.source, 'scan', `${what}: rebuilt`);
      assert.equal(indexSource(exe, { cacheDir }), 'cache', `${what}: rewritten`);
    }
  });

  it('writes nothing with cache: false, nor for files without a build-id', () => {
    const cacheDir = mkdtempSync(join(dir, 'c-'));
    const off = open(exe, { cacheDir, cache: false });
    assert.equal(off.findType('outer', 'struct')?.kind, 'struct');
    assert.equal(off.indexInfo?.source, 'scan');
    assert.equal(off.indexInfo?.cachePath, undefined);
    const o = open(obj, { cacheDir });
    assert.equal(o.findType('outer', 'struct')?.kind, 'struct');
    assert.equal(new ElfFile(new FileSource(obj)).buildId(), undefined);
    assert.deepEqual(readdirSync(cacheDir), []);
  });

  describe('default location', () => {
    const saved = process.env.XDG_CACHE_HOME;
    after(() => {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    });
    it('is $XDG_CACHE_HOME/qemu-vtop/', () => {
      const xdg = mkdtempSync(join(dir, 'xdg-'));
      process.env.XDG_CACHE_HOME = xdg;
      const src = open(exe, {});
      src.findType('outer', 'struct');
      assert.ok(existsSync(join(xdg, 'qemu-vtop', `dwarf-index-${buildId}.json`)));
    });
  });

  it('survives concurrent runs writing the same cache file', async () => {
    const cacheDir = mkdtempSync(join(dir, 'c-'));
    const mod = fileURLToPath(new URL('../../src/debuginfo/dwarf/index.js', import.meta.url));
    const elfMod = fileURLToPath(new URL('../../src/elf/elf.js', import.meta.url));
    const ioMod = fileURLToPath(new URL('../../src/io/source.js', import.meta.url));
    const script = `
      const { openDwarf } = await import(${JSON.stringify(mod)});
      const { ElfFile } = await import(${JSON.stringify(elfMod)});
      const { FileSource } = await import(${JSON.stringify(ioMod)});
      const s = openDwarf(new ElfFile(new FileSource(${JSON.stringify(exe)})), { cacheDir: ${JSON.stringify(cacheDir)} });
      if (s.findType('outer', 'struct')?.kind !== 'struct') process.exit(2);
      process.stdout.write(s.indexInfo.source);`;
    const run = () =>
      new Promise<string>((res, rej) => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`child exited with ${code}`))));
      });
    const results = await Promise.all(Array.from({ length: 6 }, run));
    assert.ok(results.every((r) => r === 'scan' || r === 'cache'), results.join(','));
    assert.deepEqual(readdirSync(cacheDir), [`dwarf-index-${buildId}.json`], 'one file, no temporaries');
    assert.equal(indexSource(exe, { cacheDir }), 'cache', 'the surviving file is a valid index');
  });
});
