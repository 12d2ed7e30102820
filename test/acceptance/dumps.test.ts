// The makedumpfile-format readers on the real-6.1 dumps (../shared/fixtures/real-6.1): QEMU 7.2's
// kdump-zlib output as written (flattened) and reassembled, and makedumpfile's -l -d 31 filtered dump.
// Expected values are truth.json's (made with crash) and the fixture README's. Missing files fail the
// suite (realFile throws), nothing is skipped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FlattenedSource } from '../../src/dump/flattened.js';
import { openKdump, type KdumpMemory } from '../../src/dump/kdump.js';
import { PageExcludedError } from '../../src/dump/physmem.js';
import { FileSource } from '../../src/io/source.js';
import { rawKdump, sharedOffset } from '../helpers/kdump-raw.js';
import { realFile, realTruth } from '../helpers/real-fixture.js';

const truth = realTruth();
interface Level {
  level: string;
  entry_paddr: string;
  value: string;
}
const markers: { hpa: string; marker: string; bytes_hex: string; levels: Level[] }[] = truth.markers;
const untouched: { gpa: string; levels: Level[] }[] = truth.untouched;

/** Opens one fixture file, timing the open and the marker reads (reported as test diagnostics). */
function openTimed(name: string, flattened = false): { m: KdumpMemory; file: FileSource; openMs: number } {
  const t0 = performance.now();
  const file = new FileSource(realFile(name));
  const m = openKdump([flattened ? new FlattenedSource(file) : file]);
  return { m, file, openMs: performance.now() - t0 };
}

function pageTableEntriesRead(m: KdumpMemory): void {
  for (const w of [...markers, ...untouched]) {
    for (const l of w.levels) {
      assert.equal(m.read(BigInt(l.entry_paddr), 8).readBigUInt64LE(0), BigInt(l.value), `${l.level} entry at ${l.entry_paddr}`);
    }
  }
}

function vmcoreinfoMatches(m: KdumpMemory): void {
  assert.match(m.vmcoreinfo!, new RegExp(`^OSRELEASE=${truth.kernel.release.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(m.vmcoreinfo!, new RegExp(`^KERNELOFFSET=${BigInt(truth.kernel.kaslr_offset).toString(16)}$`, 'm'));
}

for (const [name, flattened] of [
  ['vmcore.kdump-zlib', false],
  ['vmcore.kdump-zlib.flat', true],
] as const) {
  describe(`real-6.1 ${name}`, () => {
    it('opens without reading the dump, and every marker reads its bytes', (t) => {
      const { m, file, openMs } = openTimed(name, flattened);
      const t1 = performance.now();
      for (const mk of markers) {
        const want = Buffer.from(mk.bytes_hex, 'hex');
        const got = m.read(BigInt(mk.hpa), want.length);
        assert.deepEqual(got, want, `marker at ${mk.hpa}`);
        assert.ok(got.toString('latin1').startsWith(mk.marker));
        assert.equal(m.pageState(BigInt(mk.hpa)), 'present');
      }
      const readMs = performance.now() - t1;
      t.diagnostic(`open ${openMs.toFixed(1)} ms, ${markers.length} markers ${readMs.toFixed(1)} ms, ${(file.bytesRead / 1e6).toFixed(2)} MB read of ${(file.size / 1e6).toFixed(1)} MB`);
      assert.ok(file.bytesRead < 4e6, `${file.bytesRead} bytes read`);
      assert.equal(m.info.format, 'kdump-compressed');
      assert.equal(m.info.compression, 'zlib');
      assert.equal(m.info.incomplete, undefined);
      vmcoreinfoMatches(m);
      pageTableEntriesRead(m);
      // "zero pages share one descriptor" (README)
      assert.ok((m.info.zeroPages as number) > 0);
    });
  });
}

describe('real-6.1: the flattened file as QEMU wrote it equals its makedumpfile -R reassembly', () => {
  it('page for page, with the same VMCOREINFO and notes', (t) => {
    const flat = openTimed('vmcore.kdump-zlib.flat', true).m;
    const plain = openTimed('vmcore.kdump-zlib').m;
    assert.equal(flat.vmcoreinfo, plain.vmcoreinfo);
    assert.deepEqual(flat.notes, plain.notes);
    assert.deepEqual(flat.ranges(), plain.ranges());
    const t0 = performance.now();
    let n = 0;
    for (const r of plain.ranges()) {
      for (let pa = r.start; pa < r.end; pa += 4096n) {
        const state = plain.pageState(pa);
        assert.equal(flat.pageState(pa), state);
        if (state === 'present' || state === 'zero') {
          assert.deepEqual(flat.read(pa, 4096), plain.read(pa, 4096));
          n++;
        }
      }
    }
    assert.equal(n, plain.info.dumpedPages);
    t.diagnostic(`${n} pages compared in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  });
});

describe('real-6.1 vmcore.d31.kdump-lzo (makedumpfile -l -d 31)', () => {
  it('reports the guest RAM markers as excluded, never as zeros', () => {
    const { m } = openTimed('vmcore.d31.kdump-lzo');
    assert.equal(m.info.compression, 'lzo');
    assert.equal(m.info.dumpLevel, 31);
    for (const mk of markers) {
      assert.equal(m.pageState(BigInt(mk.hpa)), 'excluded', mk.hpa);
      assert.throws(
        () => m.read(BigInt(mk.hpa), 8),
        (e: unknown) => e instanceof PageExcludedError && e.paddr === BigInt(mk.hpa) && /level 31/.test(e.message) && /user/.test(e.message),
      );
    }
    // Bit 1 of -d 31 ("exclude zero pages") makes makedumpfile point every zero page at one shared zero
    // page (pd_zero): they are not missing, they read as zeros. The file itself says which they are.
    const raw = rawKdump(readFileSync(realFile('vmcore.d31.kdump-lzo')));
    const shared = sharedOffset(raw);
    const zero = raw.descs.filter((d) => d.offset === shared);
    assert.ok(zero.length > 1000);
    assert.equal(m.info.zeroPages, zero.length);
    for (const d of zero.filter((_, i) => i % 50 === 0)) {
      assert.equal(m.pageState(BigInt(d.pfn) << 12n), 'zero');
      assert.deepEqual(m.read(BigInt(d.pfn) << 12n, 4096), Buffer.alloc(4096));
    }
  });

  it('reads the page-table entries that map them (page tables are kernel pages, kept)', () => {
    const { m } = openTimed('vmcore.d31.kdump-lzo');
    pageTableEntriesRead(m);
    vmcoreinfoMatches(m);
  });
});
