// The kdump-compressed reader (src/dump/kdump.ts) on the demo dump shipped in the repository, and on what
// the real makedumpfile (Debian 1.7.2) derives from it: LZO (-l), flattened (-F) and its -R reassembly,
// a 3-part --split set, a -d 31 refiltering. makedumpfile takes a kdump-compressed file as input for all
// of those; it refuses only -E ("'-E' option is disable, because ... is kdump compressed format"), and
// ELF output is the ELF reader's business. Expected values come from the fixture's README and truth.json
// (made with crash), from makedumpfile, or from the naive parse in test/helpers/kdump-raw.ts; never from
// the reader itself. A missing makedumpfile or zstd fails these tests: nothing is skipped.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import snappy from 'snappyjs';
import { FlattenedSource } from '../../src/dump/flattened.js';
import { isKdump, KdumpFormatError, openKdump, type KdumpMemory } from '../../src/dump/kdump.js';
import { PageExcludedError, PhysAbsentError, type PhysicalMemory } from '../../src/dump/physmem.js';
import { BufferSource, FileSource } from '../../src/io/source.js';
import { rawKdump, sharedOffset } from '../helpers/kdump-raw.js';
import { writeKdump, type KdumpPage } from '../helpers/kdump-writer.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'qv-kdump-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const demoBytes = readFileSync(DEMO);
const raw = rawKdump(demoBytes);
const open = (...files: string[]) => openKdump(files.map((f) => new FileSource(f)));
const mdf = (args: string[]) => execFileSync('makedumpfile', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const hex = (v: bigint | number) => '0x' + v.toString(16);

interface Marker {
  hpa: string;
  marker: string;
  bytes_hex: string;
  levels: { level: string; entry_paddr: string; value: string }[];
}
const markers: Marker[] = truth.markers;

/** The demo's page `pfn` as the file stores it, decompressed here with node:zlib (not through the reader). */
const descByPfn = new Map(raw.descs.map((d) => [d.pfn, d]));
function demoPage(pfn: number): Buffer {
  const d = descByPfn.get(pfn);
  if (!d) throw new Error(`pfn ${hex(pfn)} is not dumped in the demo`);
  const data = demoBytes.subarray(d.offset, d.offset + d.size);
  return d.flags === 1 ? inflateSync(data) : Buffer.from(data);
}

function markersMatch(m: PhysicalMemory): void {
  for (const t of markers) {
    const want = Buffer.from(t.bytes_hex, 'hex');
    const got = m.read(BigInt(t.hpa), want.length);
    assert.deepEqual(got, want, `marker at ${t.hpa}`);
    assert.ok(got.toString('latin1').startsWith(t.marker), `marker string at ${t.hpa}`);
  }
}

/** Every page the demo dumps reads the same from `m` (every `every`th page, to bound the time). */
function samePages(m: PhysicalMemory, every = 1): number {
  let n = 0;
  for (let i = 0; i < raw.descs.length; i += every) {
    const pfn = raw.descs[i].pfn;
    assert.deepEqual(m.read(BigInt(pfn) << 12n, 4096), demoPage(pfn), `pfn ${hex(pfn)}`);
    n++;
  }
  return n;
}

describe('kdump-compressed: the demo dump', () => {
  const src = new FileSource(DEMO);
  const m = openKdump([src]);

  it('is recognised by its signature', () => {
    assert.equal(isKdump(src), true);
    assert.equal(isKdump(new BufferSource(Buffer.alloc(4096))), false);
  });

  it('has the header the fixture README describes', () => {
    assert.equal(m.info.format, 'kdump-compressed');
    assert.equal(m.info.compression, 'zlib');
    assert.equal(m.info.headerVersion, 6);
    assert.equal(m.info.pageSize, 4096);
    assert.equal(m.info.maxMapnr, 0x8000n);
    assert.equal(m.info.dumpedPages, 13430);
    assert.equal(m.info.dumpLevel, 23);
    assert.equal(m.info.cpus, 2); // -smp 2
    assert.equal(m.info.release, '6.1.0-53-cloud-amd64');
    assert.equal(m.info.machine, 'x86_64');
    assert.equal(m.physBase, 0xffffffffeee00000n); // README: the sub-header's phys_base
    assert.equal(m.info.incomplete, undefined);
  });

  it('has the VMCOREINFO text and the ELF notes of the sub-header', () => {
    assert.match(m.vmcoreinfo!, /^OSRELEASE=6\.1\.0-53-cloud-amd64$/m);
    assert.match(m.vmcoreinfo!, /^KERNELOFFSET=14800000$/m);
    const count = (name: string, type?: number) => m.notes.filter((n) => n.name === name && (type === undefined || n.type === type)).length;
    assert.deepEqual([count('CORE', 1), count('QEMU'), count('VMCOREINFO')], [2, 2, 1]);
    assert.equal(m.notes.find((n) => n.name === 'VMCOREINFO')!.desc.toString('latin1').replace(/\0+$/, ''), m.vmcoreinfo);
  });

  it('has 13430 dumpable pages in 9635 distinct records, 3796 sharing the zero page', () => {
    // The file itself, parsed naively, says what the README says.
    assert.equal(raw.descs.length, 13430);
    assert.equal(new Set(raw.descs.map((d) => d.offset)).size, 9635);
    const zeroOff = sharedOffset(raw);
    const zeroPfns = raw.descs.filter((d) => d.offset === zeroOff).map((d) => d.pfn);
    assert.equal(zeroPfns.length, 3796);
    // The reader finds exactly those pfns as 'zero', and counts them.
    const found: number[] = [];
    for (let pfn = 0; pfn < 0x8000; pfn++) if (m.pageState(BigInt(pfn) << 12n) === 'zero') found.push(pfn);
    assert.deepEqual(found, zeroPfns);
    assert.equal(m.info.zeroPages, 3796);
    assert.equal(m.info.presentPages, 13430 - 3796);
    assert.deepEqual(m.read(BigInt(zeroPfns[0]) << 12n, 4096), Buffer.alloc(4096));
  });

  it('reads every marker, the vCPU code page and every page equal to the zlib data', () => {
    markersMatch(m);
    assert.equal(m.read(BigInt(truth.code_page.hpa), 32).toString('hex'), truth.code_page.bytes_hex);
    assert.equal(samePages(m), 13430);
  });

  it('reports the trimmed kernel .text as excluded, never as zeros', () => {
    const r = truth.kernel_image_exclusions.excluded_regions[0];
    const kept = new Set<bigint>(truth.kernel_image_exclusions.kept_for_crash_startup.flatMap((k: { pages_pa: string[] }) => k.pages_pa.map((p) => BigInt(p))));
    let excluded = 0;
    for (let pa = BigInt(r.pa_start); pa < BigInt(r.pa_end); pa += 0x1000n) {
      if (kept.has(pa)) {
        assert.notEqual(m.pageState(pa), 'excluded', `kept page ${hex(pa)}`);
        continue;
      }
      assert.equal(m.pageState(pa), 'excluded', `page ${hex(pa)}`);
      excluded++;
    }
    assert.equal(excluded, r.pages_excluded);
    for (const pa of [BigInt(r.pa_start), BigInt(r.pa_end) - 8n]) {
      assert.throws(
        () => m.read(pa, 8),
        (e: unknown) => e instanceof PageExcludedError && /level 23/.test(e.message) && e.message.includes(DEMO) && e.paddr === pa,
      );
    }
    // A read that starts on a present page and runs into an excluded one fails as a whole.
    assert.throws(() => m.read(BigInt(r.pa_start) - 8n, 16), PageExcludedError);
  });

  it('says pfns beyond max_mapnr are absent', () => {
    assert.equal(m.pageState(0x8000n << 12n), 'absent');
    assert.throws(() => m.read(0x8000n << 12n, 1), PhysAbsentError);
  });

  it('gives the RAM ranges of the 1st bitmap', () => {
    const ranges = m.ranges();
    let pages = 0n;
    for (const [i, r] of ranges.entries()) {
      assert.ok(r.start < r.end && (i === 0 || ranges[i - 1].end < r.start), 'sorted and disjoint');
      for (let pfn = Number(r.start >> 12n); pfn < Number(r.end >> 12n); pfn++) assert.ok(raw.ram(pfn));
      pages += (r.end - r.start) >> 12n;
    }
    let ram = 0;
    for (let pfn = 0; pfn < 0x8000; pfn++) if (raw.ram(pfn)) ram++;
    assert.equal(Number(pages), ram);
    assert.equal(m.info.excludedPages, ram - 13430);
  });

  it('reads lazily: opening and reading the markers touches a small part of the file', () => {
    const s = new FileSource(DEMO);
    const lazy = openKdump([s]);
    markersMatch(lazy);
    assert.ok(s.bytesRead < 1.5e6, `${s.bytesRead} bytes read of ${s.size}`);
  });
});

describe('kdump: files derived with the real makedumpfile', () => {
  const lzo = join(dir, 'demo.lzo');
  const flat = join(dir, 'demo.flat');
  const reassembled = join(dir, 'demo.reassembled');
  const split = [1, 2, 3].map((i) => join(dir, `split.${i}`));
  const d31 = join(dir, 'demo.d31.lzo');
  before(() => {
    mdf(['-l', '-d', '23', DEMO, lzo]);
    execFileSync('sh', ['-c', 'makedumpfile -F -c -d 23 "$0" > "$1"', DEMO, flat], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('sh', ['-c', 'makedumpfile -R "$1" < "$0"', flat, reassembled], { stdio: ['ignore', 'ignore', 'pipe'] });
    // The default split block (1 GiB) would put all 128 MiB in the first part: ask for 64 KiB blocks.
    mdf(['--split', '--splitblock-size', '64', '-c', '-d', '23', DEMO, ...split]);
    mdf(['-l', '-d', '31', DEMO, d31]);
  });

  it('LZO (-l): every page decompresses to the zlib original', () => {
    const m = open(lzo);
    assert.equal(m.info.compression, 'lzo');
    assert.equal(samePages(m), 13430);
    markersMatch(m);
  });

  it('flattened (-F) is read in place, page for page equal to its -R reassembly and to the original', () => {
    const f = openKdump([new FlattenedSource(new FileSource(flat))]);
    const r = open(reassembled);
    assert.equal(f.info.dumpedPages, 13430);
    assert.equal(samePages(f), 13430);
    assert.equal(samePages(r, 3), Math.ceil(13430 / 3));
    markersMatch(f);
    assert.equal(f.vmcoreinfo, r.vmcoreinfo);
  });

  it('a 3-part --split set opens from all its parts, in any order, and reads every page', () => {
    const s = open(split[2], split[0], split[1]);
    assert.equal(s.info.parts, 3);
    assert.equal(s.info.dumpedPages, 13430);
    assert.equal(samePages(s), 13430);
    markersMatch(s);
  });

  it('a --split set with a part missing says which pfns have no file', () => {
    // Which pfns each part holds is makedumpfile's choice: read it from the raw sub-headers (start/end_pfn_64).
    const range = (f: string) => {
      const b = readFileSync(f).subarray(4096 + 80, 4096 + 96);
      return [b.readBigUInt64LE(0), b.readBigUInt64LE(8)];
    };
    const [s2, e2] = range(split[1]);
    const [s3, e3] = range(split[2]);
    assert.ok(s2 < e2 && s3 < e3, 'makedumpfile gave every part some pfns');
    assert.throws(() => open(split[0], split[2]), { message: new RegExp(`^split dump: pfns ${hex(s2)}-${hex(e2 - 1n)} are in no given file \\(part 2 of 3 missing\\?\\)`) });
    assert.throws(() => open(split[0], split[1]), { message: new RegExp(`^split dump: pfns ${hex(s3)}-${hex(e3 - 1n)} are in no given file \\(part 3 of 3 missing\\?\\)`) });
    assert.throws(() => open(split[0], split[1], split[1], split[2]), /both hold pfns/);
  });

  it('-d 31 (user pages dropped): guest RAM markers are excluded, the page tables that map them are not', () => {
    const m = open(d31);
    assert.equal(m.info.dumpLevel, 31);
    for (const t of markers) {
      assert.equal(m.pageState(BigInt(t.hpa)), 'excluded', t.hpa);
      assert.throws(() => m.read(BigInt(t.hpa), 8), (e: unknown) => e instanceof PageExcludedError && /level 31/.test(e.message));
      for (const l of t.levels) assert.equal(m.read(BigInt(l.entry_paddr), 8).readBigUInt64LE(0), BigInt(l.value), `${t.hpa} ${l.level}`);
    }
    // Bit 1 of -d makes makedumpfile store zero pages once, shared, not drop them.
    const k = rawKdump(readFileSync(d31));
    const shared = sharedOffset(k);
    assert.equal(m.info.zeroPages, k.descs.filter((d) => d.offset === shared).length);
  });
});

describe('kdump: snappy and zstd pages (written with the real compressors)', () => {
  // The marker pages, a few zero pages, the 1st-bitmap RAM of the demo: a small dump written by the test
  // writer, compressed with snappyjs and with the zstd command (from a file: the frame records its content
  // size, as makedumpfile's ZSTD_compressCCtx does; from a pipe: it does not).
  const shared = sharedOffset(raw);
  const zeroPfns = raw.descs.filter((d) => d.offset === shared).slice(0, 4).map((d) => d.pfn);
  const pages: KdumpPage[] = [...markers.map((t) => Number(BigInt(t.hpa) >> 12n)), ...zeroPfns].map((pfn) => ({ pfn, data: demoPage(pfn) }));
  let n = 0;
  const zstd = (p: Buffer) => {
    if (n++ % 2) return execFileSync('zstd', ['-q', '-c', '-1'], { input: p });
    const f = join(dir, `page.${n}`);
    writeFileSync(f, p);
    return execFileSync('zstd', ['-q', '-c', '-1', f]);
  };
  for (const [name, bit, encode] of [
    ['snappy', 0x4, (p: Buffer) => Buffer.from(snappy.compress(p))],
    ['zstd', 0x20, zstd],
  ] as const) {
    it(`${name}: pages read back equal to the original, zero pages as the shared zero page`, () => {
      const file = join(dir, `demo.${name}`);
      let encoded = 0;
      const enc = (p: Buffer) => (encoded++, { flag: bit, data: encode(p) });
      writeFileSync(file, writeKdump({ maxMapnr: 0x8000, ramPfns: raw.ram, pages, statusBit: bit, encode: enc, vmcoreinfo: readVmcoreinfo(), shareZeroPage: true }));
      const m = open(file);
      assert.equal(m.info.compression, name);
      assert.equal(encoded, markers.length);
      markersMatch(m);
      for (const p of pages) assert.deepEqual(m.read(BigInt(p.pfn) << 12n, 4096), p.data);
      for (const pfn of zeroPfns) assert.equal(m.pageState(BigInt(pfn) << 12n), 'zero');
      assert.equal(m.info.zeroPages, zeroPfns.length);
      assert.equal(m.pageState(BigInt(markers[0].hpa)), 'present');
      assert.equal(m.pageState(BigInt(truth.kernel_image_exclusions.excluded_regions[0].pa_start)), 'excluded');
    });
  }
});

function readVmcoreinfo(): string {
  const off = Number(demoBytes.readBigUInt64LE(4096 + 32));
  const size = Number(demoBytes.readBigUInt64LE(4096 + 40));
  return demoBytes.toString('latin1', off, off + size);
}

describe('kdump: header versions and signatures', () => {
  const pages: KdumpPage[] = markers.map((t) => Number(BigInt(t.hpa) >> 12n)).map((pfn) => ({ pfn, data: demoPage(pfn) }));
  for (const version of [1, 2, 3, 4, 5, 6]) {
    it(`version ${version}: pages read${version >= 3 ? ', VMCOREINFO found' : ', no VMCOREINFO before v3'}`, () => {
      const file = join(dir, `v${version}.kdump`);
      writeFileSync(file, writeKdump({ version, maxMapnr: 0x8000, ramPfns: () => true, pages, statusBit: 0, encode: () => undefined, vmcoreinfo: readVmcoreinfo(), dumpLevel: 17 }));
      const m = open(file);
      assert.equal(m.info.headerVersion, version);
      assert.equal(m.info.maxMapnr, 0x8000n);
      assert.equal(m.info.dumpLevel, 17);
      assert.equal(m.info.compression, 'none');
      markersMatch(m);
      assert.equal(m.vmcoreinfo !== undefined, version >= 3);
      if (version >= 3) assert.match(m.vmcoreinfo!, /^OSRELEASE=6\.1\.0-53-cloud-amd64$/m);
    });
  }
  it('"DISKDUMP" (the old diskdump module): pages read, its sub-header is not taken for a kdump one', () => {
    const file = join(dir, 'diskdump');
    writeFileSync(file, writeKdump({ signature: 'DISKDUMP', version: 1, maxMapnr: 0x8000, ramPfns: () => true, pages, statusBit: 0, encode: () => undefined, vmcoreinfo: '', dumpLevel: 31 }));
    const m = open(file);
    assert.equal(m.info.signature, 'DISKDUMP');
    assert.equal(m.info.dumpLevel, undefined);
    markersMatch(m);
  });
});

describe('kdump: truncated and incomplete files', () => {
  // Where the readable pages end in a cut file, found with the naive parse: the first page (in pfn order)
  // whose own data is past the cut; shared zero-page descriptors point back to the start and do not count.
  const expectedLastPfn = (cut: number): number => {
    const zeroOff = sharedOffset(raw);
    const first = raw.descs.findIndex((d) => d.offset !== zeroOff && d.offset + d.size > cut);
    assert.ok(first > 0);
    return raw.descs[first - 1].pfn;
  };
  const cutCopy = (incomplete: boolean): [KdumpMemory, number] => {
    const file = join(dir, `cut-${incomplete}.kdump`);
    const cut = Math.floor(demoBytes.length / 2);
    const b = Buffer.from(demoBytes.subarray(0, cut));
    if (incomplete) b.writeUInt32LE(b.readUInt32LE(424) | 0x8, 424);
    writeFileSync(file, b);
    return [open(file), cut];
  };
  for (const incomplete of [false, true]) {
    it(`cut in half${incomplete ? ', DUMP_DH_COMPRESSED_INCOMPLETE set' : ', status untouched'}: pages up to the last readable pfn read, later ones fail saying so`, () => {
      const [m, cut] = cutCopy(incomplete);
      const last = expectedLastPfn(cut);
      assert.equal(m.info.incomplete?.lastPfn, BigInt(last));
      assert.match(m.info.incomplete!.reason, incomplete ? /DUMP_DH_COMPRESSED_INCOMPLETE/ : /truncated/);
      let before = 0;
      let after = 0;
      for (const d of raw.descs) {
        const pa = BigInt(d.pfn) << 12n;
        if (d.pfn <= last) {
          assert.deepEqual(m.read(pa, 4096), demoPage(d.pfn));
          before++;
        } else {
          assert.equal(m.pageState(pa), 'excluded');
          assert.throws(() => m.read(pa, 8), (e: unknown) => e instanceof PhysAbsentError && /incomplete/.test(e.message) && e.message.includes(`cut-${incomplete}.kdump`));
          after++;
        }
      }
      assert.ok(before > 1000 && after > 1000, `${before} pages before the cut, ${after} after`);
      // Markers on both sides of the cut behave accordingly.
      for (const t of markers) {
        if (Number(BigInt(t.hpa) >> 12n) <= last) assert.ok(m.read(BigInt(t.hpa), 16).toString('latin1').startsWith('QVTOP'));
        else assert.throws(() => m.read(BigInt(t.hpa), 16), /incomplete/);
      }
    });
  }

  it('makedumpfile stopped by ENOSPC (INCOMPLETE set, later descriptors never written): the written pages read', () => {
    const pages: KdumpPage[] = markers.map((t) => Number(BigInt(t.hpa) >> 12n)).map((pfn) => ({ pfn, data: demoPage(pfn) })).sort((a, b) => a.pfn - b.pfn);
    const file = join(dir, 'enospc.kdump');
    writeFileSync(file, writeKdump({ maxMapnr: 0x8000, ramPfns: () => true, pages, statusBit: 0, encode: () => undefined, vmcoreinfo: '', incomplete: true, writtenPages: 3 }));
    const m = open(file);
    assert.equal(m.info.incomplete?.lastPfn, BigInt(pages[2].pfn));
    for (const [i, p] of pages.entries()) {
      if (i < 3) assert.deepEqual(m.read(BigInt(p.pfn) << 12n, 4096), p.data);
      else assert.throws(() => m.read(BigInt(p.pfn) << 12n, 8), /DUMP_DH_COMPRESSED_INCOMPLETE/);
    }
  });
});

describe('kdump: corrupt files', () => {
  const pages: KdumpPage[] = markers.map((t) => Number(BigInt(t.hpa) >> 12n)).map((pfn) => ({ pfn, data: demoPage(pfn) }));
  const build = (encode: (p: Buffer) => { flag: number; data: Buffer } | undefined) =>
    writeKdump({ maxMapnr: 0x8000, ramPfns: () => true, pages, statusBit: 1, encode, vmcoreinfo: '' });
  it('a page whose compressed data is damaged fails with an error naming the file and the page', () => {
    const b = build((p) => ({ flag: 1, data: Buffer.from(execFileSync('gzip', ['-c', '-1'], { input: p })) })); // gzip framing is not zlib's
    const m = openKdump([new BufferSource(b, 'damaged.kdump')]);
    const pa = BigInt(markers[0].hpa);
    assert.throws(() => m.read(pa, 8), (e: unknown) => e instanceof KdumpFormatError && e.message.includes('damaged.kdump') && e.message.includes(hex(pa)));
  });
  it('unknown descriptor flags and a raw page of the wrong size are errors, not guesses', () => {
    const odd = openKdump([new BufferSource(build((p) => ({ flag: 0x40, data: p })), 'odd.kdump')]);
    assert.throws(() => odd.read(BigInt(markers[0].hpa), 8), /flags 0x40/);
    const short = openKdump([new BufferSource(build((p) => ({ flag: 0, data: p.subarray(0, 100) })), 'short.kdump')]);
    assert.throws(() => short.read(BigInt(markers[0].hpa), 8), /raw page must be 4096 bytes/);
  });
  it('a corrupt header is refused with what is wrong', () => {
    const b = build(() => undefined);
    b.writeInt32LE(3000, 428);
    assert.throws(() => openKdump([new BufferSource(b, 'hdr.kdump')]), /hdr\.kdump: kdump header .* block_size 3000/);
  });
});
