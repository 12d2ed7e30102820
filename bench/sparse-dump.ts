// The bench's "flat as the dump grows" case: the small kdump-compressed dump rewritten as the dump of a 64 GiB
// machine. Its first bitmap marks every pfn up to 64 GiB as RAM and its second leaves all the new ones out (as
// makedumpfile -d 31 leaves out a big host's free and user pages), so the file grows only by its bitmaps (4 MiB)
// while the physical address space the reader must handle grows 128 times. The pages, and so every answer about
// the VM, are the small dump's. Layout from makedumpfile's diskdump_mod.h, as src/dump/kdump.ts reads it.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const GIB = 1n << 30n;

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let done = 0;
  while (done < len) {
    const n = readSync(fd, b, done, len - done, pos + done);
    if (n === 0) break;
    done += n;
  }
  return b.subarray(0, done);
}

function popcount(b: Buffer): number {
  let n = 0;
  for (const x of b) {
    let v = x;
    while (v) {
      v &= v - 1;
      n++;
    }
  }
  return n;
}

/** Writes DIR/vmcore-64g.kdump from a kdump-compressed `dump`; undefined when `dump` is not one (an ELF dump). */
export function sparseDumpFor(dump: string, dir: string, physBytes = 64n * GIB): { path: string; label: string } | undefined {
  const fd = openSync(dump, 'r');
  try {
    const h = readAt(fd, 0, 4096);
    if (h.toString('latin1', 0, 8) !== 'KDUMP   ') return undefined;
    const version = h.readInt32LE(8);
    const bs = h.readInt32LE(428);
    if (bs !== 4096) return undefined;
    const subHdr = h.readInt32LE(432);
    const bitmapBlocks = h.readUInt32LE(436);
    const oldMapnr = h.readUInt32LE(440);
    const sub = readAt(fd, bs, subHdr * bs);
    const maxMapnr = Number(physBytes / BigInt(bs));
    if (version < 6 || maxMapnr <= oldMapnr || maxMapnr >= 2 ** 32) return undefined;
    const bitmapStart = bs * (1 + subHdr);
    const oldHalf = (bitmapBlocks * bs) / 2;
    const newHalf = Math.ceil(maxMapnr / 8 / bs) * bs;
    const ram = Buffer.alloc(newHalf);
    const dumped = Buffer.alloc(newHalf);
    readAt(fd, bitmapStart, oldHalf).copy(ram);
    const oldDumped = readAt(fd, bitmapStart + oldHalf, oldHalf);
    oldDumped.copy(dumped);
    // every pfn past the old end is RAM (whole bytes from the first byte boundary, then bit by bit below it)
    for (let pfn = oldMapnr; pfn < maxMapnr && pfn % 8; pfn++) ram[pfn >> 3] |= 1 << (pfn & 7);
    ram.fill(0xff, Math.ceil(oldMapnr / 8), maxMapnr / 8);
    const delta = 2 * (newHalf - oldHalf);
    const descStart = bitmapStart + 2 * oldHalf;
    const descs = readAt(fd, descStart, popcount(oldDumped) * 24);
    // descriptors hold absolute file offsets of the page data, which moves down by the bitmaps' growth
    for (let o = 0; o < descs.length; o += 24) descs.writeBigInt64LE(descs.readBigInt64LE(o) + BigInt(delta), o);
    h.writeUInt32LE((2 * newHalf) / bs, 436);
    h.writeUInt32LE(maxMapnr, 440);
    sub.writeBigUInt64LE(BigInt(maxMapnr), 24); // end_pfn
    sub.writeBigUInt64LE(BigInt(maxMapnr), 88); // end_pfn_64
    sub.writeBigUInt64LE(BigInt(maxMapnr), 96); // max_mapnr_64
    const path = join(dir, 'vmcore-64g.kdump');
    const out = openSync(path, 'w');
    try {
      let pos = 0;
      for (const b of [h, sub, ram, dumped, descs]) pos += writeSync(out, b, 0, b.length, pos);
      // the page data, as it is
      const buf = Buffer.alloc(1 << 20);
      for (let src = descStart + descs.length; ; ) {
        const n = readSync(fd, buf, 0, buf.length, src);
        if (n === 0) break;
        pos += writeSync(out, buf, 0, n, pos);
        src += n;
      }
    } finally {
      closeSync(out);
    }
    return { path, label: `${physBytes / GIB} GiB dump` };
  } finally {
    closeSync(fd);
  }
}
