// The kdump-compressed and flattened readers on the demo dump shipped in the repository, and on what
// the real makedumpfile (Debian package) derives from it: LZO, flattened, reassembled, split. (makedumpfile
// refuses -E on a kdump-compressed input, so ELF shapes are tested in elfcore.test.ts and the acceptance suite.)
// Expected values come from the fixture's README and truth.json (made with crash), never from the reader.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import snappy from 'snappyjs';
import { KdumpMemory } from '../../src/dump/kdump.js';
import { LzoError, lzo1xDecompress } from '../../src/dump/lzo.js';
import { openDump } from '../../src/dump/open.js';
import { PageExcludedError, type PhysicalMemory } from '../../src/dump/physmem.js';
import { writeKdump } from '../helpers/kdump-writer.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'qv-kdump-'));
const mdf = (args: string[]) => execFileSync('makedumpfile', args, { stdio: ['ignore', 'pipe', 'pipe'] });

function markersMatch(m: PhysicalMemory): void {
  for (const t of truth.markers) {
    const want = Buffer.from(t.bytes_hex, 'hex');
    assert.deepEqual(m.read(BigInt(t.hpa), want.length), want, `marker at ${t.hpa}`);
  }
}

describe('kdump-compressed: the demo dump', () => {
  const m = openDump([DEMO]) as KdumpMemory;
  it('has the header the fixture README describes', () => {
    assert.equal(m.info.format, 'kdump-compressed');
    assert.equal(m.info.compression, 'zlib');
    assert.equal(m.info.headerVersion, 6);
    assert.equal(m.info.pageSize, 4096);
    assert.equal(m.info.maxMapnr, 0x8000n);
    assert.equal(m.info.dumpedPages, 13430);
    // 128 MiB of RAM (crash: 127.5 MB) = 32768 pfns in the 1st bitmap, less the 13430 kept.
    assert.equal(m.info.excludedPages, 32768 - 13430);
    assert.equal(m.info.dumpLevel, 23);
    assert.match(m.vmcoreinfo!, /^OSRELEASE=6\.1\.0-53-cloud-amd64$/m);
    assert.match(m.vmcoreinfo!, /^KERNELOFFSET=14800000$/m);
    assert.equal(m.notes.filter((n) => n.name === 'CORE').length, 2);
  });
  it('counts 3796 descriptors sharing the one zero page (13430 dumpable, 9635 distinct records)', () => {
    let zero = 0;
    for (let pfn = 0n; pfn < 0x8000n; pfn++) if (m.pageState(pfn << 12n) === 'zero') zero++;
    assert.equal(zero, 3796);
  });
  it('reads every marker string at its hpa', () => markersMatch(m));
  it('reports the trimmed kernel .text as excluded, never as zeros', () => {
    const r = truth.kernel_image_exclusions.excluded_regions[0];
    const kept = new Set(truth.kernel_image_exclusions.kept_for_crash_startup.flatMap((k: { pages_pa: string[] }) => k.pages_pa.map((p) => BigInt(p))));
    let excluded = 0;
    for (let pa = BigInt(r.pa_start); pa < BigInt(r.pa_end); pa += 0x1000n) {
      if (kept.has(pa)) continue;
      assert.equal(m.pageState(pa), 'excluded', `page ${pa.toString(16)}`);
      excluded++;
    }
    assert.equal(excluded, r.pages_excluded);
    assert.throws(() => m.read(BigInt(r.pa_start), 8), (e: unknown) => e instanceof PageExcludedError && /level 23/.test((e as Error).message));
  });
});

describe('kdump: files derived with the real makedumpfile', () => {
  const lzo = join(dir, 'demo.lzo');
  const flat = join(dir, 'demo.flat');
  const reassembled = join(dir, 'demo.reassembled');
  const split = [join(dir, 'split.1'), join(dir, 'split.2')];
  before(() => {
    mdf(['-l', '-d', '0', DEMO, lzo]);
    execFileSync('sh', ['-c', 'makedumpfile -F -c -d 0 "$0" > "$1"', DEMO, flat], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('sh', ['-c', 'makedumpfile -R "$1" < "$0"', flat, reassembled]);
    mdf(['--split', '-c', '-d', '0', DEMO, ...split]);
  });
  const zlib = openDump([DEMO]);
  const samePages = (m: PhysicalMemory, opts: { every?: number } = {}) => {
    let n = 0;
    for (let pfn = 0n; pfn < 0x8000n; pfn += BigInt(opts.every ?? 1)) {
      const state = zlib.pageState(pfn << 12n);
      if (state !== 'present' && state !== 'zero') continue;
      assert.deepEqual(m.read(pfn << 12n, 4096), zlib.read(pfn << 12n, 4096), `pfn ${pfn.toString(16)}`);
      n++;
    }
    return n;
  };
  it('LZO (-l): every page decompresses to the zlib original', () => {
    const m = openDump([lzo]);
    assert.equal(m.info.compression, 'lzo');
    assert.ok(samePages(m) > 9000);
    markersMatch(m);
  });
  it('flattened (-F) is read in place and equals -R reassembly', () => {
    const f = openDump([flat]);
    const r = openDump([reassembled]);
    assert.match(f.info.format, /flattened/);
    assert.ok(samePages(f, { every: 7 }) > 1000);
    assert.ok(samePages(r, { every: 7 }) > 1000);
    markersMatch(f);
  });
  it('a --split set opens from all its parts, in any order', () => {
    const s = openDump([split[1], split[0]]);
    assert.match(s.info.format, /split/);
    assert.ok(samePages(s, { every: 5 }) > 1500);
    markersMatch(s);
  });
  it('a --split set with a part missing says which pfns have no file', () => {
    // Which pfns each part holds is makedumpfile's choice: read it from the raw sub-headers (start/end_pfn_64).
    const range = (f: string) => {
      const b = readFileSync(f).subarray(4096 + 80, 4096 + 96);
      return [b.readBigUInt64LE(0), b.readBigUInt64LE(8)];
    };
    let checked = 0;
    for (const [i, part] of split.entries()) {
      const [start, end] = range(part);
      if (start === end) continue;
      const others = split.filter((_, j) => j !== i);
      const hexs = (v: bigint) => '0x' + v.toString(16);
      assert.throws(() => openDump(others), new RegExp(`split dump: pfns ${hexs(start)}-${hexs(end - 1n)} are in no given file`));
      checked++;
    }
    assert.ok(checked >= 1);
  });
});

describe('kdump: snappy and zstd pages (written with the real compressors)', () => {
  const zlib = openDump([DEMO]);
  const vmcoreinfo = zlib.vmcoreinfo!;
  const pfns = truth.markers.map((t: { hpa: string }) => Number(BigInt(t.hpa) >> 12n));
  const pages = pfns.map((pfn: number) => ({ pfn, data: Buffer.from(zlib.read(BigInt(pfn) << 12n, 4096)) }));
  const zstdPage = (p: Buffer) => execFileSync('zstd', ['-q', '-c', '-1'], { input: p });
  for (const [name, bit, encode] of [
    ['snappy', 0x4, (p: Buffer) => Buffer.from(snappy.compress(p))],
    ['zstd', 0x20, zstdPage],
  ] as const) {
    it(`${name}: pages read back equal to the original`, () => {
      const file = join(dir, `demo.${name}`);
      writeFileSync(file, writeKdump({ maxMapnr: 0x8000, ramPfns: () => true, pages, statusBit: bit, encode: (p) => ({ flag: bit, data: encode(p) }), vmcoreinfo }));
      const m = openDump([file]);
      assert.equal(m.info.compression, name);
      markersMatch(m);
      assert.equal(m.pageState(0x1000n), 'excluded');
    });
  }
});

describe('kdump: header versions 1 to 6', () => {
  const zlib = openDump([DEMO]);
  const pfns = truth.markers.map((t: { hpa: string }) => Number(BigInt(t.hpa) >> 12n));
  const pages = pfns.map((pfn: number) => ({ pfn, data: Buffer.from(zlib.read(BigInt(pfn) << 12n, 4096)) }));
  for (const version of [1, 2, 3, 4, 5, 6]) {
    it(`version ${version}: pages read${version >= 3 ? ', VMCOREINFO found' : ', no VMCOREINFO before v3'}`, () => {
      const file = join(dir, `v${version}.kdump`);
      writeFileSync(file, writeKdump({ version, maxMapnr: 0x8000, ramPfns: () => true, pages, statusBit: 0, encode: () => undefined, vmcoreinfo: zlib.vmcoreinfo! }));
      const m = openDump([file]) as KdumpMemory;
      assert.equal(m.info.headerVersion, version);
      assert.equal(m.info.maxMapnr, 0x8000n);
      markersMatch(m);
      assert.equal(m.vmcoreinfo !== undefined, version >= 3);
    });
  }
});

describe('kdump: truncated and incomplete files', () => {
  const whole = readFileSync(DEMO);
  const cut = (incomplete: boolean) => {
    const file = join(dir, `cut-${incomplete}.kdump`);
    const b = Buffer.from(whole.subarray(0, Math.floor(whole.length / 2)));
    if (incomplete) b.writeUInt32LE(b.readUInt32LE(424) | 0x8, 424);
    const fd = openSync(file, 'w');
    writeSync(fd, b);
    closeSync(fd);
    return openDump([file]);
  };
  it('reads pages before the cut and names the truncation after it', () => {
    const m = cut(false);
    const low = truth.markers.map((t: { hpa: string }) => BigInt(t.hpa)).sort((a: bigint, b: bigint) => (a < b ? -1 : 1));
    let ok = 0;
    let failed = 0;
    for (const hpa of low) {
      try {
        m.read(hpa, 16);
        ok++;
      } catch (e) {
        assert.match((e as Error).message, /truncated/);
        failed++;
      }
    }
    assert.ok(ok > 0 && failed > 0, `ok ${ok}, failed ${failed}`);
  });
  it('with DUMP_DH_COMPRESSED_INCOMPLETE set, says the dump is incomplete', () => {
    const m = cut(true);
    assert.match(String((m.info.incomplete as { reason: string }).reason), /INCOMPLETE/);
    const last = BigInt(truth.markers.map((t: { hpa: string }) => t.hpa).sort((a: string, b: string) => (BigInt(a) < BigInt(b) ? 1 : -1))[0]);
    assert.throws(() => m.read(last, 16), /incomplete/);
  });
});

describe('LZO1X', () => {
  it('rejects corrupt streams with an error, without reading or writing out of bounds', () => {
    assert.throws(() => lzo1xDecompress(Buffer.from([0x00]), 4096), LzoError);
    assert.throws(() => lzo1xDecompress(Buffer.from([0x15, 0x61, 0x62]), 4096), LzoError); // literal run past the input
    assert.throws(() => lzo1xDecompress(Buffer.from([0x12, 0x61, 0x20, 0xff, 0xff, 0x11, 0x00, 0x00]), 4096), LzoError); // match before the output start
    assert.throws(() => lzo1xDecompress(Buffer.from([0x20 + 31, 0, 0, 0, 0, 0, 0]), 64), LzoError);
  });
});
