// Writing kdump-compressed files ("KDUMP   ", header version 6) as makedumpfile does (diskdump_mod.h): block 0
// the disk_dump_header, then the kdump_sub_header with VMCOREINFO and the ELF notes, two bitmaps (pages that
// exist, pages dumped), one page_desc per dumped page in pfn order, then the page data (zlib per page when that
// is smaller; every zero page shares one stored zero page). A page in the first bitmap but not the second is
// "excluded": readers say so instead of reading zeros. Streams: pages arrive in pfn order and are written as
// they come; their descriptors are written back in fixed-size chunks.
import { deflateSync } from 'node:zlib';
import { QvError } from '../io/errors.js';
import { type Sink } from '../io/sink.js';

const BS = 4096;
const HEADER_VERSION = 6;
const DUMP_DH_COMPRESSED_ZLIB = 0x1;
const DESC = 24;
const DESC_CHUNK = 4096;
const UTS_LEN = 65;
const ZERO = Buffer.alloc(BS);

/** One bit per pfn, LSB first (the kdump bitmap layout). */
export class PfnBitmap {
  readonly bytes: Buffer;
  constructor(readonly pfns: bigint) {
    this.bytes = Buffer.alloc(Math.ceil(Number(pfns) / 8 / BS) * BS || BS);
  }
  set(pfn: bigint): void {
    const n = Number(pfn);
    this.bytes[n >> 3] |= 1 << (n & 7);
  }
  setRange(from: bigint, to: bigint): void {
    for (let p = from; p < to; p++) this.set(p);
  }
  has(pfn: bigint): boolean {
    const n = Number(pfn);
    return (this.bytes[n >> 3] & (1 << (n & 7))) !== 0;
  }
  count(): number {
    let c = 0;
    for (const b of this.bytes) {
      let v = b;
      while (v) {
        v &= v - 1;
        c++;
      }
    }
    return c;
  }
}

export interface KdumpSpec {
  release: string;
  version?: string;
  nodename?: string;
  machine?: string;
  nrCpus: number;
  timestamp: Date;
  physBase: bigint;
  /** VMCOREINFO text (KEY=VALUE lines). */
  vmcoreinfo: Buffer;
  /** ELF notes (Elf64_Nhdr records), e.g. NT_PRSTATUS per CPU and the VMCOREINFO note. */
  notes: Buffer;
  maxPfn: bigint;
  ram: PfnBitmap;
  dumped: PfnBitmap;
  /** zlib level per page (makedumpfile -c uses Z_BEST_SPEED = 1); 0 stores every page as it is (flags 0). */
  level?: number;
}

function uts(b: Buffer, at: number, fields: string[]): void {
  fields.forEach((f, i) => b.write(f.slice(0, UTS_LEN - 1), at + i * UTS_LEN, 'latin1'));
}

export class KdumpWriter {
  private descs: Buffer;
  private descStart = 0;
  private descFirst = 0; // index of descs[0]
  private descN = 0; // descriptors filled in the chunk
  private written = 0;
  private total: number;
  private lastPfn = -1n;
  private zeroOffset = -1;
  readonly bytesIn = { raw: 0, stored: 0 };

  constructor(
    private readonly sink: Sink,
    private readonly spec: KdumpSpec,
  ) {
    if (!sink.seekable) throw new QvError('USAGE', 'a kdump-compressed file is written out of order: give -o FILE, not stdout');
    this.total = spec.dumped.count();
    this.descs = Buffer.alloc(DESC * DESC_CHUNK);
  }

  /** Everything before the page data. `hasZero`: reserve the shared zero page (first in the data area). */
  writeHeaders(hasZero: boolean): void {
    const s = this.spec;
    const subBytes = BS + s.vmcoreinfo.length + s.notes.length;
    const subBlocks = Math.ceil(subBytes / BS);
    const bitmapBlocks = (2 * s.ram.bytes.length) / BS;
    const h = Buffer.alloc(BS);
    h.write('KDUMP   ', 0, 'latin1');
    h.writeInt32LE(HEADER_VERSION, 8);
    uts(h, 12, ['Linux', s.nodename ?? '(none)', s.release, s.version ?? '(unknown)', s.machine ?? 'x86_64', '(none)']);
    const ms = s.timestamp.getTime();
    h.writeBigInt64LE(BigInt(Math.floor(ms / 1000)), 408);
    h.writeBigInt64LE(BigInt((ms % 1000) * 1000), 416);
    h.writeUInt32LE(DUMP_DH_COMPRESSED_ZLIB, 424);
    h.writeInt32LE(BS, 428);
    h.writeInt32LE(subBlocks, 432);
    h.writeUInt32LE(bitmapBlocks, 436);
    h.writeUInt32LE(Number(s.maxPfn > 0xffffffffn ? 0xffffffffn : s.maxPfn), 440);
    h.writeInt32LE(s.nrCpus, 460);
    const sub = Buffer.alloc(subBlocks * BS);
    const viOff = 2 * BS; // right after the sub-header struct's block
    sub.writeBigUInt64LE(s.physBase, 0);
    sub.writeInt32LE(0, 8); // dump_level: nothing was filtered by level; absent pages are simply not dumped
    sub.writeBigUInt64LE(s.maxPfn, 24); // end_pfn (start_pfn 0)
    sub.writeBigInt64LE(BigInt(viOff), 32);
    sub.writeBigUInt64LE(BigInt(s.vmcoreinfo.length), 40);
    sub.writeBigInt64LE(BigInt(viOff + s.vmcoreinfo.length), 48);
    sub.writeBigUInt64LE(BigInt(s.notes.length), 56);
    sub.writeBigUInt64LE(0n, 80); // start_pfn_64
    sub.writeBigUInt64LE(s.maxPfn, 88); // end_pfn_64
    sub.writeBigUInt64LE(s.maxPfn, 96); // max_mapnr_64
    s.vmcoreinfo.copy(sub, BS);
    s.notes.copy(sub, BS + s.vmcoreinfo.length);
    this.sink.write(h);
    this.sink.write(sub);
    this.sink.write(s.ram.bytes);
    this.sink.write(s.dumped.bytes);
    this.descStart = this.sink.position;
    // The descriptor area is filled in as pages are written; zeros hold its place.
    let left = this.total * DESC;
    while (left > 0) {
      const n = Math.min(left, this.descs.length);
      this.sink.write(this.descs.subarray(0, n));
      left -= n;
    }
    if (hasZero) {
      this.zeroOffset = this.sink.position;
      this.sink.write(ZERO);
    }
  }

  /** The next dumped page (pfn order); `data` is one page, or 'zero' for a page the source says is zero. */
  page(pfn: bigint, data: Buffer | 'zero'): void {
    if (data !== 'zero' && data.length !== BS) throw new Error(`kdump writer: pfn ${pfn.toString(16)}: ${data.length} bytes given, a page is ${BS}`);
    if (pfn <= this.lastPfn || !this.spec.dumped.has(pfn)) throw new Error(`kdump writer: pfn ${pfn.toString(16)} out of order or not in the dumped bitmap`);
    this.lastPfn = pfn;
    let offset: number;
    let size: number;
    let flags = 0;
    const zero = data === 'zero' || data.equals(ZERO);
    if (zero && this.zeroOffset >= 0) {
      offset = this.zeroOffset;
      size = BS;
    } else {
      const raw = data === 'zero' ? ZERO : data;
      // Uncompressed pages (flags 0) are part of the format: makedumpfile stores a page so when zlib does not help.
      const z = this.spec.level === 0 ? raw : deflateSync(raw, { level: this.spec.level ?? 1 });
      const body = z.length < BS ? z : raw;
      if (z.length < BS) flags = DUMP_DH_COMPRESSED_ZLIB;
      offset = this.sink.position;
      size = body.length;
      this.sink.write(body);
      this.bytesIn.stored += body.length;
    }
    this.bytesIn.raw += BS;
    const at = this.descN * DESC;
    this.descs.writeBigInt64LE(BigInt(offset), at);
    this.descs.writeUInt32LE(size, at + 8);
    this.descs.writeUInt32LE(flags, at + 12);
    this.descs.writeBigUInt64LE(0n, at + 16);
    this.descN++;
    this.written++;
    if (this.descN === DESC_CHUNK) this.flushDescs();
  }

  private flushDescs(): void {
    if (!this.descN) return;
    this.sink.pwrite(this.descs.subarray(0, this.descN * DESC), this.descStart + this.descFirst * DESC);
    this.descFirst += this.descN;
    this.descN = 0;
  }

  finish(): void {
    this.flushDescs();
    if (this.written !== this.total) throw new Error(`kdump writer: ${this.written} pages written, the dumped bitmap has ${this.total}`);
  }
}
