// ELF cores whose PT_LOADs overlap: /proc/kcore's kernel-text segment (real p_paddr) inside the direct-map RAM
// segment, and kexec's /proc/vmcore text segment inside its RAM range. The byte source is synthetic: every 8-byte
// word of a segment's file data holds the physical address it stands for, so whichever segment answers a read,
// the answer can be checked against the address asked for (independent of the reader).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ElfCore } from '../../src/dump/elfcore.js';
import { PhysAbsentError } from '../../src/dump/physmem.js';
import { type ByteSource } from '../../src/io/source.js';

type Phdr = [offset: bigint, vaddr: bigint, paddr: bigint, size: bigint];

/** An ELF core header plus a source whose segment bytes encode their physical address (little-endian words). */
function syntheticCore(name: string, phdrs: Phdr[], notes = Buffer.alloc(0)): ByteSource {
  const n = phdrs.length + (notes.length ? 1 : 0);
  const hdr = Buffer.alloc(64 + 56 * n + notes.length);
  hdr.write('\x7fELF', 0, 'latin1');
  hdr[4] = 2;
  hdr[5] = 1;
  hdr[6] = 1;
  hdr.writeUInt16LE(4, 16); // ET_CORE
  hdr.writeUInt16LE(62, 18); // EM_X86_64
  hdr.writeUInt32LE(1, 20);
  hdr.writeBigUInt64LE(64n, 32);
  hdr.writeUInt16LE(64, 52);
  hdr.writeUInt16LE(56, 54);
  hdr.writeUInt16LE(n, 56);
  let o = 64;
  if (notes.length) {
    hdr.writeUInt32LE(4, o); // PT_NOTE
    hdr.writeBigUInt64LE(BigInt(64 + 56 * n), o + 8);
    hdr.writeBigUInt64LE(BigInt(notes.length), o + 32);
    notes.copy(hdr, 64 + 56 * n);
    o += 56;
  }
  for (const [off, va, pa, sz] of phdrs) {
    hdr.writeUInt32LE(1, o);
    hdr.writeUInt32LE(7, o + 4);
    hdr.writeBigUInt64LE(off, o + 8);
    hdr.writeBigUInt64LE(va, o + 16);
    hdr.writeBigUInt64LE(BigInt.asUintN(64, pa), o + 24);
    hdr.writeBigUInt64LE(sz, o + 32);
    hdr.writeBigUInt64LE(sz, o + 40);
    o += 56;
  }
  const withPa = phdrs.filter(([, , pa]) => pa >= 0n);
  const size = Number(phdrs.reduce((m, [off, , , sz]) => (off + sz > m ? off + sz : m), BigInt(hdr.length)));
  return {
    name,
    size,
    read(off: number, len: number): Buffer {
      const b = Buffer.alloc(len);
      if (off < hdr.length) hdr.copy(b, 0, off, Math.min(hdr.length, off + len));
      for (let i = 0; i < len; i++) {
        const fo = BigInt(off + i);
        const seg = withPa.find(([so, , , sz]) => fo >= so && fo < so + sz);
        if (!seg) continue;
        const pa = seg[2] + (fo - seg[0]);
        b[i] = Number(((pa & ~7n) >> (8n * (pa & 7n))) & 0xffn);
      }
      return b;
    },
  };
}

const word = (core: ElfCore, pa: bigint) => core.read(pa, 8).readBigUInt64LE(0);

// The PT_LOADs of /proc/kcore in the kit's four-range run (nokaslr, memmap= holes), from kcore-phdrs in
// ../shared/kits/live-6.1/serial-holes.log: text first, then vmalloc, modules, RAM and vmemmap pieces.
const KCORE_HOLES: Phdr[] = [
  [0x7fff81004000n, 0xffffffff81000000n, 0x1000000n, 0x2830000n],
  [0x490000004000n, 0xffffc90000000000n, -1n, 0x1fffffffffffn],
  [0x7fffc0004000n, 0xffffffffc0000000n, -1n, 0x3f000000n],
  [0x88000005000n, 0xffff888000001000n, 0x1000n, 0x9e000n],
  [0x6a0000004000n, 0xffffea0000000000n, -1n, 0x3000n],
  [0x88000104000n, 0xffff888000100000n, 0x100000n, 0x3ff00000n],
  [0x6a0000008000n, 0xffffea0000004000n, -1n, 0xffc000n],
  [0x88041004000n, 0xffff888041000000n, 0x41000000n, 0x1f000000n],
  [0x6a0001044000n, 0xffffea0001040000n, -1n, 0x7c0000n],
  [0x88061004000n, 0xffff888061000000n, 0x61000000n, 0x1efe0000n],
  [0x6a0001844000n, 0xffffea0001840000n, -1n, 0x7c0000n],
];

describe('ELF cores with overlapping PT_LOADs', () => {
  it("reads every RAM address of the kit's four-range kcore, above, inside and below the text segment", () => {
    const core = new ElfCore(syntheticCore('/proc/kcore', KCORE_HOLES));
    assert.equal(core.info.format, 'elf-kcore');
    // 0x5399590 and 0x5e1cad8 are the addresses the four-range run failed on (PHYS_NOT_IN_DUMP).
    for (const pa of [0x5399590n, 0x5e1cad8n, 0xc000000n, 0x29ca000n, 0x1000000n, 0x382fff8n, 0x3830000n, 0x100000n, 0x3ffffff8n, 0x1000n, 0x50000000n, 0x70000000n, 0x7ffdfff8n]) {
      assert.equal(word(core, pa & ~7n), pa & ~7n, `read at ${pa.toString(16)}`);
      assert.equal(core.pageState(pa), 'present');
    }
    // A read that crosses from the text segment into the RAM-only part comes back whole.
    const across = core.read(0x382fff8n, 16);
    assert.deepEqual([across.readBigUInt64LE(0), across.readBigUInt64LE(8)], [0x382fff8n, 0x3830000n]);
    // Holes stay holes: the memmap= ranges and the gap below 1 MiB.
    for (const pa of [0x40000000n, 0x40fffff8n, 0x60000000n, 0x9f000n]) {
      assert.equal(core.pageState(pa), 'absent');
      assert.throws(() => core.read(pa, 8), PhysAbsentError);
    }
    // RAM ranges: the text segment is inside RAM, so it is not a range of its own nor counted twice.
    assert.deepEqual(
      core.ranges().map((r) => [r.start, r.end]),
      [
        [0x1000n, 0x9f000n],
        [0x100000n, 0x40000000n],
        [0x41000000n, 0x60000000n],
        [0x61000000n, 0x7ffe0000n],
      ],
    );
    assert.equal(core.info.presentPages, (0x9e000 + 0x3ff00000 + 0x1f000000 + 0x1efe0000) / 4096);
    assert.equal(core.info.cpus, undefined, 'kcore has one NT_PRSTATUS whatever the CPU count: no CPU count from notes');
  });

  it('reads a kexec /proc/vmcore whose kernel-text PT_LOAD lies inside a RAM PT_LOAD (and a later one too)', () => {
    // kexec's crash_prepare_elf64_headers: text (p_vaddr _text, p_paddr __pa_symbol(_text)) first, then one per RAM
    // range. File offsets here are arbitrary but distinct, as in a real vmcore.
    const phdrs: Phdr[] = [
      [0x1000n, 0xffffffff9f200000n, 0x1f200000n, 0x2830000n],
      [0x3000000n, 0xffff888000001000n, 0x1000n, 0x9e000n],
      [0x4000000n, 0xffff888000100000n, 0x100000n, 0x7fee0000n],
      [0x84000000n, 0xffff888100000000n, 0x100000000n, 0x40000000n],
      [0xc4000000n, 0xffff888140000000n, 0x140000000n, 0x100000n],
      [0xc5000000n, 0xffff888150000000n, 0x150000000n, 0x100000n],
    ];
    const core = new ElfCore(syntheticCore('vmcore', phdrs));
    assert.equal(core.info.format, 'elf-vmcore');
    for (const pa of [0x1000n, 0x100000n, 0x1f200000n, 0x20000000n, 0x21a30000n, 0x7ffdfff8n, 0x100000000n, 0x13ffffff8n, 0x140000000n, 0x150000008n]) {
      assert.equal(word(core, pa), pa, `read at ${pa.toString(16)}`);
    }
    assert.equal(core.ranges().length, 5);
    assert.equal(core.info.segments, 6);
  });

  it('lets a segment with file data win over an overlapping one without (p_filesz < p_memsz)', async () => {
    const { writeElfCore } = await import('../helpers/elfcore-writer.js');
    const bytes = writeElfCore(
      [
        { paddr: 0n, data: Buffer.alloc(0x1000, 0xaa), memsz: 0x4000n }, // 3 pages excluded
        { paddr: 0x2000n, data: Buffer.alloc(0x1000, 0xbb) }, // the same RAM written again, with data
      ],
      [],
    );
    const { BufferSource } = await import('../../src/io/source.js');
    const core = new ElfCore(new BufferSource(bytes, 'core'));
    assert.equal(core.read(0x2000n, 1)[0], 0xbb);
    assert.equal(core.pageState(0x1000n), 'excluded');
    assert.equal(core.pageState(0x3000n), 'excluded');
    assert.deepEqual([core.info.presentPages, core.info.excludedPages], [2, 2]);
  });
});
