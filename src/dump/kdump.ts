// makedumpfile's kdump-compressed format ("KDUMP   ", and "DISKDUMP" of the older diskdump), header
// versions 0-6, one file or a makedumpfile --split set. Layout (makedumpfile diskdump_mod.h, x86_64; the
// same in libkdumpfile diskdump.c): block 0 struct disk_dump_header; blocks 1.. struct kdump_sub_header;
// then two bitmaps (1st: pfns that are RAM, 2nd: pfns whose page is in the dump); then one 24-byte
// page_desc per set bit of the 2nd bitmap, in pfn order; then the page data (makedumpfile and QEMU put the
// one shared zero page first).
// Only the bitmaps are held in memory; descriptors and pages are read on demand through small caches.
import { QvError } from '../io/errors.js';
import { hex } from '../io/hex.js';
import { LruCache } from '../io/lru.js';
import { type ByteSource } from '../io/source.js';
import { parseNotes } from '../elf/elf.js';
import { codecNames, codecOf, DUMP_DH_COMPRESSED_INCOMPLETE, DUMP_DH_EXCLUDED_VMEMMAP } from './compression.js';
import {
  type DumpInfo,
  type DumpNote,
  type PageState,
  PageExcludedError,
  PhysAbsentError,
  type PhysicalMemory,
  type PhysRange,
} from './physmem.js';

const SIGNATURES = ['KDUMP   ', 'DISKDUMP'];

/** struct disk_dump_header on 64-bit targets: byte offsets (new_utsname is 6 fields of 65 bytes). */
const DH = {
  signature: 0,
  headerVersion: 8,
  utsRelease: 12 + 2 * 65,
  utsMachine: 12 + 4 * 65,
  timestampSec: 408,
  timestampUsec: 416,
  status: 424,
  blockSize: 428,
  subHdrSize: 432,
  bitmapBlocks: 436,
  maxMapnr: 440,
  nrCpus: 460,
  size: 464,
} as const;

/** struct kdump_sub_header (64-bit): [byte offset, first header_version that has the field]. */
const SUB = {
  physBase: [0, 1],
  dumpLevel: [8, 1],
  split: [12, 2],
  startPfn: [16, 2],
  endPfn: [24, 2],
  offsetVmcoreinfo: [32, 3],
  sizeVmcoreinfo: [40, 3],
  offsetNote: [48, 4],
  sizeNote: [56, 4],
  startPfn64: [80, 6],
  endPfn64: [88, 6],
  maxMapnr64: [96, 6],
} as const;
const SUB_SIZE = 104;

const DESC_SIZE = 24; // struct page_desc { i64 offset; u32 size; u32 flags; u64 page_flags }
const DESCS_PER_CHUNK = 1024; // descriptors are read and cached 24 KiB at a time

/**
 * makedumpfile -d bits that leave pages out, for saying why a page is not in the dump. Bit 1 (zero pages)
 * does not: it stores them once, shared, and they read as zeros.
 */
const DUMP_LEVEL_BITS: [number, string][] = [
  [2, 'page cache'],
  [4, 'private page cache'],
  [8, 'user'],
  [16, 'free'],
];

export class KdumpFormatError extends QvError {
  constructor(message: string) {
    super('DUMP_CORRUPT', message);
    this.name = 'KdumpFormatError';
  }
}

export function isKdump(src: ByteSource): boolean {
  return src.size >= DH.size && SIGNATURES.includes(src.read(0, 8).toString('latin1'));
}

interface Header {
  signature: string;
  version: number;
  release: string;
  machine: string;
  timestamp?: Date;
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: bigint;
  nrCpus: number;
  physBase?: bigint;
  dumpLevel?: number;
  split: boolean;
  startPfn: bigint; // the pfns this file holds: [startPfn, endPfn)
  endPfn: bigint;
  vmcoreinfo?: string;
  notes: DumpNote[];
  problems: string[]; // parts of the header that point outside the file
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.toString('latin1', 0, z < 0 ? s.length : z);
}

function readHeader(src: ByteSource): Header {
  if (src.size < DH.size) throw new KdumpFormatError(`${src.name}: ${src.size} bytes, too short for a kdump header (${DH.size})`);
  const h = src.read(0, DH.size);
  const signature = h.toString('latin1', 0, 8);
  if (!SIGNATURES.includes(signature)) throw new KdumpFormatError(`${src.name}: not a kdump-compressed file (signature ${JSON.stringify(signature)})`);
  const version = h.readInt32LE(DH.headerVersion);
  const blockSize = h.readInt32LE(DH.blockSize);
  const subHdrSize = h.readInt32LE(DH.subHdrSize);
  const bitmapBlocks = h.readUInt32LE(DH.bitmapBlocks);
  const where = `${src.name}: kdump header (disk_dump_header)`;
  if (blockSize < 512 || blockSize > 1 << 20 || (blockSize & (blockSize - 1)) !== 0) {
    throw new KdumpFormatError(`${where} says block_size ${blockSize}, not a power of two between 512 and 1 MiB: the header is corrupt`);
  }
  if (version < 0 || subHdrSize < 0 || bitmapBlocks === 0) {
    throw new KdumpFormatError(`${where} says header_version ${version}, sub_hdr_size ${subHdrSize}, bitmap_blocks ${bitmapBlocks}: the header is corrupt`);
  }
  const sec = h.readBigInt64LE(DH.timestampSec);
  const hdr: Header = {
    signature,
    version,
    release: cstr(h, DH.utsRelease, 65),
    machine: cstr(h, DH.utsMachine, 65),
    // QEMU writes a zero timestamp: no time is better than 1970.
    timestamp: sec > 0n ? new Date(Number(sec) * 1000 + Math.floor(Number(h.readBigInt64LE(DH.timestampUsec)) / 1000)) : undefined,
    status: h.readUInt32LE(DH.status),
    blockSize,
    subHdrSize,
    bitmapBlocks,
    maxMapnr: BigInt(h.readUInt32LE(DH.maxMapnr)),
    nrCpus: h.readInt32LE(DH.nrCpus),
    split: false,
    startPfn: 0n,
    endPfn: 0n,
    notes: [],
    problems: [],
  };
  // "DISKDUMP" files (the old diskdump module) carry a different, register-only sub-header.
  if (signature === 'KDUMP   ' && version >= 1 && subHdrSize > 0) readSubHeader(src, hdr);
  if (!hdr.split) hdr.endPfn = hdr.maxMapnr;
  return hdr;
}

function readSubHeader(src: ByteSource, hdr: Header): void {
  const sub = src.read(hdr.blockSize, Math.min(SUB_SIZE, hdr.subHdrSize * hdr.blockSize));
  const has = ([off, v]: readonly [number, number], width = 8) => hdr.version >= v && off + width <= sub.length;
  const u64 = (f: readonly [number, number]) => sub.readBigUInt64LE(f[0]);
  if (has(SUB.physBase)) hdr.physBase = u64(SUB.physBase);
  if (has(SUB.dumpLevel, 4)) hdr.dumpLevel = sub.readInt32LE(SUB.dumpLevel[0]);
  if (has(SUB.split, 4)) hdr.split = sub.readInt32LE(SUB.split[0]) !== 0;
  if (hdr.split && has(SUB.endPfn)) {
    hdr.startPfn = u64(SUB.startPfn);
    hdr.endPfn = u64(SUB.endPfn);
  }
  if (has(SUB.maxMapnr64)) {
    // Version 6 moved the pfns to 64-bit fields (max_mapnr is only 32 bits wide).
    if (u64(SUB.maxMapnr64) !== 0n) hdr.maxMapnr = u64(SUB.maxMapnr64);
    if (hdr.split) {
      hdr.startPfn = u64(SUB.startPfn64);
      hdr.endPfn = u64(SUB.endPfn64);
    }
  }
  const blob = (offF: readonly [number, number], sizeF: readonly [number, number], what: string): Buffer | undefined => {
    if (!has(sizeF)) return undefined;
    const off = u64(offF);
    const size = u64(sizeF);
    if (size === 0n) return undefined;
    if (off + size > BigInt(src.size)) {
      hdr.problems.push(`${what} (${size} bytes at ${hex(off)}) is past the end of the file`);
      return undefined;
    }
    return src.read(Number(off), Number(size));
  };
  // VMCOREINFO is raw KEY=VALUE text here (not a note); the notes are the crashed kernel's ELF notes.
  hdr.vmcoreinfo = blob(SUB.offsetVmcoreinfo, SUB.sizeVmcoreinfo, 'VMCOREINFO')?.toString('latin1').replace(/\0+$/, '');
  const notes = blob(SUB.offsetNote, SUB.sizeNote, 'the ELF notes');
  if (notes) hdr.notes = parseNotes(notes).map((n) => ({ name: n.name, type: n.type, desc: Buffer.from(n.desc) }));
  if (hdr.vmcoreinfo === undefined) {
    const note = hdr.notes.find((n) => n.name === 'VMCOREINFO');
    if (note) hdr.vmcoreinfo = note.desc.toString('latin1').replace(/\0+$/, '');
  }
}

/** A pfn bitmap (bit pfn%8 of byte pfn/8) with a rank index: set bits before each 512-bit block. */
class PfnBitmap {
  private static readonly BLOCK_BYTES = 64;
  private prefix: Uint32Array;
  readonly nbits: number;

  constructor(
    private readonly bits: Buffer,
    limit: bigint,
  ) {
    this.nbits = Number(limit < BigInt(bits.length * 8) ? limit : BigInt(bits.length * 8));
    const blocks = Math.ceil(this.nbits / 8 / PfnBitmap.BLOCK_BYTES);
    this.prefix = new Uint32Array(blocks + 1);
    let total = 0;
    for (let b = 0; b < blocks; b++) {
      this.prefix[b] = total;
      total += this.popcountBits(b * PfnBitmap.BLOCK_BYTES * 8, Math.min(this.nbits, (b + 1) * PfnBitmap.BLOCK_BYTES * 8));
    }
    this.prefix[blocks] = total;
  }

  /** Set bits in [from, to), where both lie in one block (or from is block-aligned). */
  private popcountBits(from: number, to: number): number {
    let n = 0;
    let i = from;
    for (; i + 32 <= to; i += 32) n += popcount32(this.bits.readUInt32LE(i >> 3));
    for (; i + 8 <= to; i += 8) n += popcount32(this.bits[i >> 3]);
    if (i < to) n += popcount32(this.bits[i >> 3] & ((1 << (to - i)) - 1));
    return n;
  }

  has(pfn: bigint): boolean {
    if (pfn < 0n || pfn >= BigInt(this.nbits)) return false;
    const p = Number(pfn);
    return (this.bits[p >> 3] & (1 << (p & 7))) !== 0;
  }

  count(): number {
    return this.prefix[this.prefix.length - 1];
  }

  /** Number of set bits below `pfn`. */
  rank(pfn: bigint): number {
    if (pfn <= 0n) return 0;
    if (pfn >= BigInt(this.nbits)) return this.count();
    const p = Number(pfn);
    const block = Math.floor(p / (PfnBitmap.BLOCK_BYTES * 8));
    return this.prefix[block] + this.popcountBits(block * PfnBitmap.BLOCK_BYTES * 8, p);
  }

  /** The pfn of the set bit with rank `r` (0-based). */
  select(r: number): bigint {
    if (r < 0 || r >= this.count()) throw new RangeError(`bitmap has no set bit of rank ${r}`);
    let lo = 0;
    let hi = this.prefix.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.prefix[mid] <= r) lo = mid;
      else hi = mid - 1;
    }
    let left = r - this.prefix[lo];
    for (let p = lo * PfnBitmap.BLOCK_BYTES * 8; ; p++) {
      if (this.bits[p >> 3] & (1 << (p & 7)) && left-- === 0) return BigInt(p);
    }
  }

  /** Runs of set bits as [first, end) pfn pairs; whole 0x00/0xff bytes are skipped at once. */
  runs(): [number, number][] {
    const out: [number, number][] = [];
    let start = -1;
    for (let p = 0; p < this.nbits; ) {
      const byte = this.bits[p >> 3];
      if ((p & 7) === 0 && p + 8 <= this.nbits && (byte === 0 || byte === 0xff)) {
        if (byte === 0xff && start < 0) start = p;
        if (byte === 0 && start >= 0) {
          out.push([start, p]);
          start = -1;
        }
        p += 8;
        continue;
      }
      const set = (byte & (1 << (p & 7))) !== 0;
      if (set && start < 0) start = p;
      if (!set && start >= 0) {
        out.push([start, p]);
        start = -1;
      }
      p++;
    }
    if (start >= 0) out.push([start, this.nbits]);
    return out;
  }
}

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

interface Desc {
  offset: number;
  size: number;
  flags: number;
}

/** Raw descriptors of one chunk; `missing` marks those the file does not hold (a truncated dump). */
interface DescChunk {
  buf: Buffer;
  missing?: Uint8Array;
}

/** page_desc.offset (an off_t; file offsets stay below 2^53). */
function descOffset(b: Buffer, o: number): number {
  return b.readUInt32LE(o) + b.readInt32LE(o + 4) * 0x1_0000_0000;
}

/** One file of a dump (the only one, or one part of a --split set). */
class Part {
  readonly hdr: Header;
  readonly ram: PfnBitmap; // 1st bitmap
  readonly dumped: PfnBitmap; // 2nd bitmap
  private readonly descStart: number;
  /** Rank in the 2nd bitmap of this part's first pfn: descriptor i of this file is for rank firstRank + i. */
  private readonly firstRank: number;
  readonly numDescs: number;
  /** Data offsets of records found to be a page of zeros: the shared zero page (one, in practice). */
  private zeroOffsets = new Set<number>();
  /** Descriptors with an index below this have their data in the file (all of them unless truncated). */
  readonly readableDescs: number;
  /** Why this file lacks pages, and the last pfn it holds; undefined for a complete file. */
  readonly incomplete?: { reason: string; lastPfn?: bigint };
  private descChunks = new LruCache<number, DescChunk>(32);
  private cur: DescChunk = { buf: Buffer.alloc(0) };
  private curIndex = -1;

  constructor(readonly src: ByteSource) {
    this.hdr = readHeader(src);
    const bs = this.hdr.blockSize;
    const bitmapStart = bs * (1 + this.hdr.subHdrSize);
    const bitmapBytes = this.hdr.bitmapBlocks * bs;
    let map: Buffer;
    try {
      map = src.read(bitmapStart, bitmapBytes);
    } catch (e) {
      throw new KdumpFormatError(`${src.name}: the page bitmaps (${bitmapBytes} bytes at ${hex(bitmapStart)}) cannot be read: ${(e as Error).message}`);
    }
    // Two bitmaps of half the area each when max_mapnr fits in a half (always, for makedumpfile and QEMU);
    // otherwise one bitmap that says both (libkdumpfile reads old files so).
    if (this.hdr.maxMapnr <= BigInt((bitmapBytes / 2) * 8)) {
      this.ram = new PfnBitmap(map.subarray(0, bitmapBytes / 2), this.hdr.maxMapnr);
      this.dumped = new PfnBitmap(map.subarray(bitmapBytes / 2), this.hdr.maxMapnr);
    } else {
      this.ram = this.dumped = new PfnBitmap(map, this.hdr.maxMapnr);
    }
    this.descStart = bitmapStart + bitmapBytes;
    this.firstRank = this.dumped.rank(this.hdr.startPfn);
    this.numDescs = this.dumped.rank(this.hdr.endPfn) - this.firstRank;
    this.readableDescs = this.findReadableEnd();
    this.incomplete = this.describeIncomplete();
  }

  private describeIncomplete(): { reason: string; lastPfn?: bigint } | undefined {
    const flagged = (this.hdr.status & DUMP_DH_COMPRESSED_INCOMPLETE) !== 0;
    if (!flagged && this.readableDescs === this.numDescs) return undefined;
    const lastPfn = this.readableDescs > 0 ? this.pfnOfDesc(this.readableDescs - 1) : undefined;
    const why = flagged ? 'its header has DUMP_DH_COMPRESSED_INCOMPLETE set (makedumpfile stopped early, e.g. the disk was full)' : 'the file is truncated';
    const reach = lastPfn !== undefined ? `pages after pfn ${hex(lastPfn)} are not in it` : 'no page data is in it';
    return { reason: `${this.src.name}: ${why}; ${reach} (${this.numDescs - this.readableDescs} of ${this.numDescs} dumped pages missing)`, lastPfn };
  }

  covers(pfn: bigint): boolean {
    return pfn >= this.hdr.startPfn && pfn < this.hdr.endPfn;
  }

  /** Index of pfn's descriptor in this file (pfn must be set in the 2nd bitmap). */
  descIndex(pfn: bigint): number {
    return this.dumped.rank(pfn) - this.firstRank;
  }

  pfnOfDesc(index: number): bigint {
    return this.dumped.select(this.firstRank + index);
  }

  /** Descriptor `index`, or undefined when its bytes are not in the file (a truncated dump). */
  desc(index: number): Desc | undefined {
    const o = this.seek(index);
    const c = this.cur;
    if (c.missing?.[o / DESC_SIZE]) return undefined;
    return { offset: descOffset(c.buf, o), size: c.buf.readUInt32LE(o + 8), flags: c.buf.readUInt32LE(o + 12) };
  }

  /** Makes `cur` the chunk holding descriptor `index`; returns its byte offset there. */
  private seek(index: number): number {
    const chunk = Math.floor(index / DESCS_PER_CHUNK);
    // Scans ask for one chunk a thousand times in a row: no LRU bookkeeping (or allocation) then.
    if (chunk !== this.curIndex) {
      let c = this.descChunks.get(chunk);
      if (!c) {
        c = this.readChunk(chunk);
        this.descChunks.set(chunk, c);
      }
      this.cur = c;
      this.curIndex = chunk;
    }
    return (index - chunk * DESCS_PER_CHUNK) * DESC_SIZE;
  }

  private readChunk(chunk: number): DescChunk {
    const first = chunk * DESCS_PER_CHUNK;
    const n = Math.min(DESCS_PER_CHUNK, this.numDescs - first);
    const at = this.descStart + first * DESC_SIZE;
    const inFile = Math.max(0, Math.min(n, Math.floor((this.src.size - at) / DESC_SIZE)));
    const missing = new Uint8Array(n).fill(1, inFile);
    try {
      const got = this.src.read(at, inFile * DESC_SIZE);
      if (inFile === n) return { buf: got };
      const buf = Buffer.alloc(n * DESC_SIZE);
      got.copy(buf);
      return { buf, missing };
    } catch {
      // A flattened file with unwritten holes: take the descriptors one by one.
      const buf = Buffer.alloc(n * DESC_SIZE);
      for (let i = 0; i < inFile; i++) {
        try {
          this.src.read(at + i * DESC_SIZE, DESC_SIZE).copy(buf, i * DESC_SIZE);
        } catch {
          missing[i] = 1;
        }
      }
      return { buf, missing };
    }
  }

  /**
   * Whether descriptor `index` is the shared zero page. makedumpfile (dump level bit 1) and QEMU write
   * zero pages once, raw, at the start of the data area and point every zero page's descriptor there; a
   * rewriting tool may move that record (the demo dump has it second), so it is recognised by what it is:
   * a raw page of zeros, looked at once. Writers never store a zero page twice, so in practice this is one
   * record. Reads the descriptor's raw bytes: it runs over every descriptor when counting.
   */
  isZeroDesc(index: number): boolean {
    const o = this.seek(index);
    const c = this.cur;
    if (c.missing?.[o / DESC_SIZE] || c.buf.readUInt32LE(o + 12) !== 0 || c.buf.readUInt32LE(o + 8) !== this.hdr.blockSize) return false;
    const offset = descOffset(c.buf, o);
    if (this.zeroOffsets.has(offset)) return true;
    if (offset <= 0 || offset + this.hdr.blockSize > this.src.size) return false;
    try {
      if (!isZero(this.src.read(offset, this.hdr.blockSize))) return false;
    } catch {
      return false; // not readable (a hole in a flattened file): reading the page will say why
    }
    this.zeroOffsets.add(offset);
    return true;
  }

  dataInFile(d: Desc | undefined): d is Desc {
    return d !== undefined && d.offset > 0 && d.offset + d.size <= this.src.size;
  }

  /**
   * How many descriptors (in pfn order) have their page in the file. Writers append data in pfn order, so
   * in a dump cut short (makedumpfile stopped by ENOSPC, a copy cut off) the readable pages form a prefix;
   * zero-page descriptors point back at the start and say nothing, so the search looks past them.
   */
  private findReadableEnd(): number {
    let last = this.numDescs - 1;
    while (last >= 0 && this.isZeroDesc(last)) last--;
    if (last < 0 || this.dataInFile(this.desc(last))) return this.numDescs;
    // ok(k): the first descriptor at or after k that is not the shared zero page has its data here.
    const ok = (k: number) => {
      let j = k;
      while (j < this.numDescs && this.isZeroDesc(j)) j++;
      return j === this.numDescs || this.dataInFile(this.desc(j));
    };
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ok(mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Counts the readable descriptors that are the shared zero page (one pass over the descriptors). */
  countZero(): number {
    let n = 0;
    for (let i = 0; i < this.readableDescs; i++) if (this.isZeroDesc(i)) n++;
    return n;
  }
}

const ZEROS = Buffer.alloc(1 << 20);
function isZero(b: Buffer): boolean {
  return b.length <= ZEROS.length && b.equals(ZEROS.subarray(0, b.length)); // native memcmp
}

/** Why a RAM page is not in `file`: the dump level's words, for PageExcludedError. */
function exclusionReason(file: string, level: number | undefined): string {
  if (level === undefined) return `${file} does not record its makedumpfile dump level`;
  const words = DUMP_LEVEL_BITS.filter(([bit]) => level & bit).map(([, w]) => w);
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : words[0];
  return `${file} was written with makedumpfile dump level ${level} (-d ${level})` + (list ? `, which leaves out ${list} pages` : '');
}

export class KdumpMemory implements PhysicalMemory {
  readonly info: DumpInfo;
  readonly notes: DumpNote[];
  readonly vmcoreinfo?: string;
  readonly physBase?: bigint;
  private readonly parts: Part[];
  private readonly pageSize: number;
  private readonly pageShift: bigint;
  private readonly maxMapnr: bigint;
  /** Decompressed pages keyed by (part, data offset): the shared zero page is decompressed once. */
  private pages = new LruCache<string, Buffer>(256);
  private counts?: { zero: number; readable: number };

  constructor(srcs: ByteSource[]) {
    if (srcs.length === 0) throw new QvError('USAGE', 'openKdump: no dump file given');
    this.parts = srcs.map((s) => new Part(s)).sort((a, b) => (a.hdr.startPfn < b.hdr.startPfn ? -1 : a.hdr.startPfn > b.hdr.startPfn ? 1 : 0));
    const first = this.parts[0].hdr;
    this.pageSize = first.blockSize;
    this.pageShift = BigInt(Math.log2(first.blockSize));
    this.maxMapnr = first.maxMapnr;
    this.checkSet();
    const withInfo = this.parts.find((p) => p.hdr.vmcoreinfo !== undefined)?.hdr;
    this.vmcoreinfo = withInfo?.vmcoreinfo;
    this.notes = (this.parts.find((p) => p.hdr.notes.length) ?? this.parts[0]).hdr.notes;
    this.physBase = first.physBase;
    const dumped = this.parts.reduce((a, p) => a + p.numDescs, 0);
    const problems = this.parts.flatMap((p) => p.hdr.problems.map((x) => `${p.src.name}: ${x}`));
    const info: DumpInfo = {
      format: 'kdump-compressed',
      compression: codecNames(first.status).join(',') || 'none',
      dumpLevel: first.dumpLevel,
      pageSize: this.pageSize,
      cpus: first.nrCpus,
      crashTime: first.timestamp,
      headerVersion: first.version,
      signature: first.signature.trim(),
      release: first.release,
      machine: first.machine,
      maxMapnr: this.maxMapnr,
      parts: this.parts.length,
      dumpedPages: dumped,
      // RAM pages (1st bitmap) that the dump did not keep (2nd bitmap): makedumpfile -d filtering.
      // Every part of a --split set carries the whole 1st bitmap.
      excludedPages: this.parts[0].ram.count() - dumped,
      ...(first.status & DUMP_DH_EXCLUDED_VMEMMAP ? { excludedVmemmap: true } : {}),
      ...(problems.length ? { problems } : {}),
    };
    const incomplete = this.incompleteInfo();
    if (incomplete) info.incomplete = incomplete;
    // Counting zero pages reads every descriptor: done when someone asks (the info command), once.
    Object.defineProperty(info, 'zeroPages', { enumerable: true, get: () => this.pageCounts().zero });
    Object.defineProperty(info, 'presentPages', { enumerable: true, get: () => this.pageCounts().readable - this.pageCounts().zero });
    this.info = info;
  }

  /** A --split set must be parts of one dump that together cover every pfn, each pfn once. */
  private checkSet(): void {
    const first = this.parts[0];
    for (const p of this.parts) {
      if (p.hdr.blockSize !== first.hdr.blockSize || p.hdr.maxMapnr !== first.hdr.maxMapnr) {
        throw new KdumpFormatError(
          `${p.src.name} and ${first.src.name} are not parts of one dump (block size ${p.hdr.blockSize} vs ${first.hdr.blockSize}, ` +
            `max_mapnr ${hex(p.hdr.maxMapnr)} vs ${hex(first.hdr.maxMapnr)}); give the files of one makedumpfile --split set`,
        );
      }
    }
    const total = this.parts.length;
    let pfn = 0n;
    let prev: Part | undefined;
    for (const [i, p] of this.parts.entries()) {
      if (p.hdr.startPfn > pfn) {
        throw new KdumpFormatError(`split dump: pfns ${hex(pfn)}-${hex(p.hdr.startPfn - 1n)} are in no given file (part ${i + 1} of ${total + 1} missing?); give every file of the makedumpfile --split set`);
      }
      if (p.hdr.startPfn < pfn && prev) {
        throw new KdumpFormatError(`split dump: ${prev.src.name} and ${p.src.name} both hold pfns from ${hex(p.hdr.startPfn)}: one file given twice, or files of different dumps`);
      }
      if (p.hdr.endPfn > pfn) pfn = p.hdr.endPfn;
      prev = p;
    }
    if (pfn < this.maxMapnr) {
      throw new KdumpFormatError(`split dump: pfns ${hex(pfn)}-${hex(this.maxMapnr - 1n)} are in no given file (part ${total + 1} of ${total + 1} missing?); give every file of the makedumpfile --split set`);
    }
  }

  private incompleteInfo(): DumpInfo['incomplete'] {
    const bad = this.parts.filter((p) => p.incomplete);
    if (!bad.length) return undefined;
    const { reason, lastPfn } = bad[0].incomplete!;
    return { reason: bad.length > 1 ? `${reason}; ${bad.length - 1} more file(s) of the set are incomplete too` : reason, lastPfn };
  }

  private pageCounts(): { zero: number; readable: number } {
    this.counts ??= this.parts.reduce(
      (a, p) => ({ zero: a.zero + p.countZero(), readable: a.readable + p.readableDescs }),
      { zero: 0, readable: 0 },
    );
    return this.counts;
  }

  private part(pfn: bigint): Part | undefined {
    return this.parts.find((p) => p.covers(pfn));
  }

  ranges(): PhysRange[] {
    return this.parts[0].ram.runs().map(([s, e]) => ({ start: BigInt(s) << this.pageShift, end: BigInt(e) << this.pageShift }));
  }

  pageState(paddr: bigint): PageState {
    const pfn = paddr >> this.pageShift;
    const p = this.part(pfn);
    if (!p) return 'absent';
    if (!p.dumped.has(pfn)) return p.ram.has(pfn) ? 'excluded' : 'absent';
    const i = p.descIndex(pfn);
    // A page the file does not hold (cut short) is as unknown as an excluded one: never 'zero'.
    if (i >= p.readableDescs || !p.dataInFile(p.desc(i))) return 'excluded';
    return p.isZeroDesc(i) ? 'zero' : 'present';
  }

  read(paddr: bigint, length: number): Buffer {
    const ps = BigInt(this.pageSize);
    const off = Number(paddr % ps);
    if (off + length <= this.pageSize) return this.page(paddr).subarray(off, off + length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const a = paddr + BigInt(done);
      const o = Number(a % ps);
      const n = Math.min(length - done, this.pageSize - o);
      this.page(a).copy(out, done, o, o + n);
      done += n;
    }
    return out;
  }

  /** The page holding `paddr` (errors name that address). */
  private page(paddr: bigint): Buffer {
    const pfn = paddr >> this.pageShift;
    const p = this.part(pfn);
    if (!p) throw new PhysAbsentError(paddr, `pfn ${hex(pfn)} is beyond the dump's last pfn ${hex(this.maxMapnr - 1n)} (max_mapnr)`);
    if (!p.dumped.has(pfn)) {
      if (p.ram.has(pfn)) throw new PageExcludedError(paddr, exclusionReason(p.src.name, p.hdr.dumpLevel));
      throw new PhysAbsentError(paddr, `not RAM according to ${p.src.name} (1st bitmap)`);
    }
    const i = p.descIndex(pfn);
    const d = p.desc(i);
    if (i >= p.readableDescs || !p.dataInFile(d)) {
      const why = p.incomplete?.reason ?? `${p.src.name}: its page descriptor says ${d ? `${d.size} bytes at file offset ${hex(d.offset)}` : 'nothing (not written)'}, not in the file`;
      throw new PhysAbsentError(paddr, `the dump is incomplete: ${why}. Its contents are unknown; take the dump again with enough space`);
    }
    return this.pageData(p, d, paddr);
  }

  private pageData(p: Part, d: Desc, paddr: bigint): Buffer {
    const key = `${this.parts.indexOf(p)}:${d.offset}`;
    const hit = this.pages.get(key);
    if (hit) return hit;
    const where = `${p.src.name}: page ${hex(paddr)} (page_desc: ${d.size} bytes at file offset ${hex(d.offset)}, flags ${hex(d.flags)})`;
    let data: Buffer;
    try {
      const codec = codecOf(d.flags);
      if (!codec && d.size !== this.pageSize) throw new Error(`a raw page must be ${this.pageSize} bytes`);
      const raw = p.src.read(d.offset, d.size);
      data = codec ? codec.decompress(raw, this.pageSize) : raw;
    } catch (e) {
      throw new KdumpFormatError(`${where} cannot be read: ${(e as Error).message}`);
    }
    if (data.length !== this.pageSize) throw new KdumpFormatError(`${where} decompressed to ${data.length} bytes, not one ${this.pageSize}-byte page: the dump is corrupt`);
    this.pages.set(key, data);
    return data;
  }

  close(): void {
    for (const p of this.parts) (p.src as { close?: () => void }).close?.();
  }
}

/** Opens a kdump-compressed dump: one file, or every file of a makedumpfile --split set (any order). */
export function openKdump(parts: ByteSource[]): KdumpMemory {
  return new KdumpMemory(parts);
}
