// Writes kdump-compressed files for tests (header version 6, one file), independent of src/dump/kdump.ts:
// layout from makedumpfile's diskdump_mod.h. `encode` compresses one page or returns undefined to store it raw.
// With `shareZeroPage`, zero pages are written as makedumpfile and QEMU do: one raw zero page at the start
// of the data area that every zero page's descriptor points at.

export interface KdumpPage {
  pfn: number;
  data: Buffer; // 4096 bytes
}

export interface KdumpWriteOptions {
  maxMapnr: number;
  ramPfns: (pfn: number) => boolean; // 1st bitmap
  pages: KdumpPage[]; // dumped pages (2nd bitmap), any order
  statusBit: number; // DUMP_DH_COMPRESSED_* of the header
  encode: (page: Buffer) => { flag: number; data: Buffer } | undefined;
  vmcoreinfo: string;
  incomplete?: boolean;
  /** disk_dump_header.header_version (default 6): older versions lack the later sub-header fields. */
  version?: number;
  shareZeroPage?: boolean;
  signature?: 'KDUMP   ' | 'DISKDUMP';
  dumpLevel?: number;
  /**
   * Simulates makedumpfile stopped by ENOSPC: only the first `writtenPages` pages (in pfn order) get a
   * descriptor and data; the later descriptors stay zero, as in the sparse file makedumpfile leaves.
   */
  writtenPages?: number;
}

const BS = 4096;

export function writeKdump(o: KdumpWriteOptions): Buffer {
  const pages = [...o.pages].sort((a, b) => a.pfn - b.pfn);
  const bitmapBytes = Math.ceil(o.maxMapnr / 8 / BS) * BS;
  const bitmapBlocks = (2 * bitmapBytes) / BS;
  const subHdrBlocks = 1 + Math.ceil(o.vmcoreinfo.length / BS);
  const header = Buffer.alloc(BS);
  header.write(o.signature ?? 'KDUMP   ', 0, 'latin1');
  const version = o.version ?? 6;
  header.writeInt32LE(version, 8);
  header.write('Linux', 12, 'latin1');
  header.writeUInt32LE(o.statusBit | (o.incomplete ? 0x8 : 0), 424);
  header.writeInt32LE(BS, 428);
  header.writeInt32LE(subHdrBlocks, 432);
  header.writeUInt32LE(bitmapBlocks, 436);
  header.writeUInt32LE(o.maxMapnr, 440);
  header.writeInt32LE(1, 460);
  const sub = Buffer.alloc(subHdrBlocks * BS);
  const vmcoreinfoOff = BS + BS; // after block 0 and the first sub-header block
  sub.writeInt32LE(o.dumpLevel ?? 0, 8); // dump_level (v1+)
  if (version >= 2) sub.writeBigUInt64LE(BigInt(o.maxMapnr), 24); // end_pfn (v2+; start_pfn 0)
  if (version >= 3) {
    sub.writeBigUInt64LE(BigInt(vmcoreinfoOff), 32);
    sub.writeBigUInt64LE(BigInt(o.vmcoreinfo.length), 40);
  }
  if (version >= 6) {
    sub.writeBigUInt64LE(0n, 80); // start_pfn_64
    sub.writeBigUInt64LE(BigInt(o.maxMapnr), 88); // end_pfn_64
    sub.writeBigUInt64LE(BigInt(o.maxMapnr), 96); // max_mapnr_64
  }
  sub.write(o.vmcoreinfo, BS, 'latin1');
  const bm1 = Buffer.alloc(bitmapBytes);
  const bm2 = Buffer.alloc(bitmapBytes);
  for (let pfn = 0; pfn < o.maxMapnr; pfn++) if (o.ramPfns(pfn)) bm1[pfn >> 3] |= 1 << (pfn & 7);
  for (const p of pages) bm2[p.pfn >> 3] |= 1 << (p.pfn & 7);
  const descStart = BS * (1 + subHdrBlocks + bitmapBlocks);
  const descs = Buffer.alloc(24 * pages.length);
  const data: Buffer[] = [];
  let off = descStart + descs.length;
  const zeroPage = Buffer.alloc(BS);
  const isZero = (b: Buffer) => b.equals(zeroPage);
  let zeroOff = -1;
  if (o.shareZeroPage) {
    zeroOff = off;
    data.push(Buffer.alloc(BS));
    off += BS;
  }
  pages.forEach((p, i) => {
    if (o.writtenPages !== undefined && i >= o.writtenPages) return;
    if (zeroOff >= 0 && isZero(p.data)) {
      descs.writeBigInt64LE(BigInt(zeroOff), i * 24);
      descs.writeUInt32LE(BS, i * 24 + 8);
      return;
    }
    const enc = o.encode(p.data);
    const body = enc ? enc.data : p.data;
    descs.writeBigInt64LE(BigInt(off), i * 24);
    descs.writeUInt32LE(body.length, i * 24 + 8);
    descs.writeUInt32LE(enc ? enc.flag : 0, i * 24 + 12);
    data.push(body);
    off += body.length;
  });
  return Buffer.concat([header, sub, bm1, bm2, descs, ...data]);
}
