// A deliberately naive parse of a whole kdump-compressed file held in memory, for tests: the expected
// values of the reader's tests come from here (or from makedumpfile and the fixture README), never from
// src/dump/kdump.ts. Offsets from makedumpfile's diskdump_mod.h (x86_64); no split, no 32-bit layouts.

export interface RawDesc {
  pfn: number;
  offset: number;
  size: number;
  flags: number;
}

export interface RawKdump {
  blockSize: number;
  maxMapnr: number;
  status: number;
  ram: (pfn: number) => boolean;
  dumped: (pfn: number) => boolean;
  /** One per set bit of the 2nd bitmap, in pfn order. */
  descs: RawDesc[];
  descStart: number;
}

export function rawKdump(b: Buffer): RawKdump {
  const blockSize = b.readInt32LE(428);
  const subHdrSize = b.readInt32LE(432);
  const bitmapBlocks = b.readUInt32LE(436);
  const version = b.readInt32LE(8);
  const maxMapnr = version >= 6 ? Number(b.readBigUInt64LE(blockSize + 96)) : b.readUInt32LE(440);
  const bm = (1 + subHdrSize) * blockSize;
  const half = (bitmapBlocks * blockSize) / 2;
  const bit = (base: number, pfn: number) => pfn < maxMapnr && ((b[base + (pfn >> 3)] >> (pfn & 7)) & 1) === 1;
  const descStart = bm + bitmapBlocks * blockSize;
  const descs: RawDesc[] = [];
  for (let pfn = 0; pfn < maxMapnr; pfn++) {
    if (!bit(bm + half, pfn)) continue;
    const at = descStart + descs.length * 24;
    // A cut file may end inside the descriptor table: such descriptors read as offset 0 (never written).
    const d = at + 24 <= b.length ? b.subarray(at, at + 24) : Buffer.alloc(24);
    descs.push({ pfn, offset: Number(d.readBigInt64LE(0)), size: d.readUInt32LE(8), flags: d.readUInt32LE(12) });
  }
  return { blockSize, maxMapnr, status: b.readUInt32LE(424), ram: (p) => bit(bm, p), dumped: (p) => bit(bm + half, p), descs, descStart };
}

/** The data offset most descriptors share: the one zero page. */
export function sharedOffset(k: RawKdump): number {
  const counts = new Map<number, number>();
  for (const d of k.descs) counts.set(d.offset, (counts.get(d.offset) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
}
