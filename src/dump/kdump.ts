// makedumpfile's kdump-compressed format ("KDUMP   ", also the older "DISKDUMP"), header versions 1–6,
// one file or a --split set. Layout (makedumpfile diskdump_mod.h, x86_64): block 0 disk_dump_header;
// block 1.. kdump_sub_header; then two bitmaps (1st: RAM pages, 2nd: pages in the dump); then one
// 24-byte page_desc per set bit of the 2nd bitmap, in pfn order; then the page data.
import { hex } from '../io/hex.js';
import { LruCache } from '../io/lru.js';
import { type ByteSource } from '../io/source.js';
import { parseNotes } from '../elf/elf.js';
import { CODECS, codecNames, DUMP_DH_COMPRESSED_INCOMPLETE } from './compression.js';
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
const DESC_SIZE = 24;
/** Bits per rank chunk: the prefix count of set bits is kept per 4096 pfns. */
const CHUNK_BITS = 4096;

export function isKdump(src: ByteSource): boolean {
  if (src.size < 8) return false;
  return SIGNATURES.includes(src.read(0, 8).toString('latin1'));
}

interface Header {
  version: number;
  release: string;
  timestamp: Date;
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: bigint;
  nrCpus: number;
  physBase: bigint;
  dumpLevel?: number;
  startPfn: bigint;
  endPfn: bigint;
  vmcoreinfo?: string;
  notes: DumpNote[];
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.toString('latin1', 0, z < 0 ? len : z);
}

function readHeader(src: ByteSource): Header {
  const h = src.read(0, 464);
  const version = h.readInt32LE(8);
  const blockSize = h.readInt32LE(428);
  if (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`${src.name}: kdump header says block size ${blockSize}, not a power of two between 512 and 64 KiB: the header is corrupt`);
  }
  const subHdrSize = h.readInt32LE(432);
  const sub = src.read(blockSize, Math.min(104, subHdrSize * blockSize));
  const has = (v: number, off: number) => version >= v && off + 8 <= sub.length;
  const hdr: Header = {
    version,
    release: cstr(h, 12 + 2 * 65, 65),
    timestamp: new Date(Number(h.readBigInt64LE(408)) * 1000),
    status: h.readUInt32LE(424),
    blockSize,
    subHdrSize,
    bitmapBlocks: h.readUInt32LE(436),
    maxMapnr: BigInt(h.readUInt32LE(440)),
    nrCpus: h.readInt32LE(460),
    physBase: sub.readBigUInt64LE(0),
    startPfn: 0n,
    endPfn: 0n,
    notes: [],
  };
  if (has(1, 8)) hdr.dumpLevel = sub.readInt32LE(8);
  if (has(2, 24)) {
    hdr.startPfn = sub.readBigUInt64LE(16);
    hdr.endPfn = sub.readBigUInt64LE(24);
  }
  if (has(3, 40)) {
    const off = Number(sub.readBigUInt64LE(32));
    const size = Number(sub.readBigUInt64LE(40));
    if (size > 0 && off + size <= src.size) hdr.vmcoreinfo = src.read(off, size).toString('latin1').replace(/\0+$/, '');
  }
  if (has(4, 56)) {
    const off = Number(sub.readBigUInt64LE(48));
    const size = Number(sub.readBigUInt64LE(56));
    if (size > 0 && off + size <= src.size) hdr.notes = parseNotes(src.read(off, size)).map((n) => ({ name: n.name, type: n.type, desc: Buffer.from(n.desc) }));
  }
  if (has(6, 96)) {
    hdr.startPfn = sub.readBigUInt64LE(80);
    hdr.endPfn = sub.readBigUInt64LE(88);
    hdr.maxMapnr = sub.readBigUInt64LE(96);
  }
  // Single-file dumps of old versions leave start/end at 0: the file covers every pfn.
  if (hdr.endPfn === 0n) hdr.endPfn = hdr.maxMapnr;
  return hdr;
}

/** One file of the set: its header, both bitmaps and a rank index over the 2nd bitmap. */
class Part {
  readonly hdr: Header;
  readonly ram: Buffer; // 1st bitmap
  readonly dumped: Buffer; // 2nd bitmap
  private rankBase: Uint32Array; // set bits of `dumped` before each CHUNK_BITS chunk
  private descStart: number;
  readonly numDumpable: number;
  private descCache = new LruCache<number, Buffer>(64);

  constructor(readonly src: ByteSource) {
    this.hdr = readHeader(src);
    const bs = this.hdr.blockSize;
    const bitmapStart = bs * (1 + this.hdr.subHdrSize);
    const half = (this.hdr.bitmapBlocks * bs) / 2;
    this.ram = src.read(bitmapStart, half);
    this.dumped = src.read(bitmapStart + half, half);
    this.descStart = bitmapStart + this.hdr.bitmapBlocks * bs;
    const chunks = Math.ceil((half * 8) / CHUNK_BITS) + 1;
    this.rankBase = new Uint32Array(chunks);
    let total = 0;
    for (let c = 0; c < chunks - 1; c++) {
      this.rankBase[c] = total;
      total += popcount(this.dumped, (c * CHUNK_BITS) / 8, CHUNK_BITS / 8);
    }
    this.rankBase[chunks - 1] = total;
    // With --split, a part's descriptors count only the pfns from its start_pfn on.
    this.numDumpable = total - this.rank(this.hdr.startPfn);
  }

  covers(pfn: bigint): boolean {
    return pfn >= this.hdr.startPfn && pfn < this.hdr.endPfn;
  }

  private bit(map: Buffer, pfn: bigint): boolean {
    const byte = Number(pfn >> 3n);
    return byte < map.length && (map[byte] & (1 << Number(pfn & 7n))) !== 0;
  }
  inRam(pfn: bigint): boolean {
    return this.bit(this.ram, pfn);
  }
  isDumped(pfn: bigint): boolean {
    return this.bit(this.dumped, pfn);
  }

  /** Number of set bits of the 2nd bitmap below `pfn`. */
  rank(pfn: bigint): number {
    const p = Number(pfn);
    const chunk = Math.floor(p / CHUNK_BITS);
    if (chunk >= this.rankBase.length - 1) return this.rankBase[this.rankBase.length - 1];
    const startByte = (chunk * CHUNK_BITS) / 8;
    const bits = p - chunk * CHUNK_BITS;
    let n = this.rankBase[chunk] + popcount(this.dumped, startByte, bits >> 3);
    const rem = bits & 7;
    if (rem) n += POP8[this.dumped[startByte + (bits >> 3)] & ((1 << rem) - 1)];
    return n;
  }

  desc(pfn: bigint): { offset: number; size: number; flags: number } {
    const index = this.rank(pfn) - this.rank(this.hdr.startPfn);
    const at = this.descStart + index * DESC_SIZE;
    const block = Math.floor(at / 4096);
    let b = this.descCache.get(block);
    if (!b) {
      b = this.src.read(block * 4096, Math.min(8192, this.src.size - block * 4096));
      this.descCache.set(block, b);
    }
    const o = at - block * 4096;
    if (o + DESC_SIZE > b.length) throw new PhysAbsentError(pfn << 12n, `${this.src.name}: page descriptor at file offset ${hex(at)} is past the end of the file (truncated dump)`);
    return { offset: Number(b.readBigInt64LE(o)), size: b.readUInt32LE(o + 8), flags: b.readUInt32LE(o + 12) };
  }
}

const ZEROS = Buffer.alloc(65536);
function isZero(b: Buffer): boolean {
  return b.length <= ZEROS.length && b.equals(ZEROS.subarray(0, b.length)); // native memcmp
}

const POP8 = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let v = i; v; v >>= 1) n += v & 1;
  return n;
});

function popcount(b: Buffer, start: number, len: number): number {
  let n = 0;
  const end = Math.min(b.length, start + len);
  for (let i = start; i < end; i++) n += POP8[b[i]];
  return n;
}

export class KdumpMemory implements PhysicalMemory {
  readonly info: DumpInfo;
  readonly notes: DumpNote[];
  readonly vmcoreinfo?: string;
  readonly physBase: bigint;
  private parts: Part[];
  private pageSize: number;
  /** Decompressed pages keyed by (part, file offset): the shared zero page is decompressed once. */
  private pages = new LruCache<number, Buffer>(256);
  private zeroKeys = new Set<number>();

  constructor(srcs: ByteSource[]) {
    this.parts = srcs.map((s) => new Part(s)).sort((a, b) => (a.hdr.startPfn < b.hdr.startPfn ? -1 : 1));
    const first = this.parts[0].hdr;
    this.pageSize = first.blockSize;
    this.notes = first.notes;
    this.vmcoreinfo = first.vmcoreinfo;
    this.physBase = first.physBase;
    this.checkSplitCoverage();
    const incomplete = this.parts.find((p) => p.hdr.status & DUMP_DH_COMPRESSED_INCOMPLETE);
    const present = this.parts.reduce((a, p) => a + p.numDumpable, 0);
    this.info = {
      format: this.parts.length > 1 ? 'kdump-compressed (split)' : 'kdump-compressed',
      compression: codecNames(first.status).join(',') || 'none',
      dumpLevel: first.dumpLevel,
      pageSize: this.pageSize,
      cpus: first.nrCpus,
      // QEMU writes a zero timestamp: no time is better than 1970.
      crashTime: first.timestamp.getTime() > 0 ? first.timestamp : undefined,
      headerVersion: first.version,
      maxMapnr: first.maxMapnr,
      parts: this.parts.length,
      dumpedPages: present,
      // RAM pages (1st bitmap) that the dump did not keep (2nd bitmap): makedumpfile -d filtering.
      excludedPages: popcount(this.parts[0].ram, 0, this.parts[0].ram.length) - present, // every part carries the whole 1st bitmap
      ...(incomplete ? { incomplete: { reason: `${incomplete.src.name} has DUMP_DH_COMPRESSED_INCOMPLETE set: makedumpfile stopped before writing every page (disk full?); pages it did not write read as errors` } } : {}),
    };
  }

  private checkSplitCoverage(): void {
    const max = this.parts[0].hdr.maxMapnr;
    let pfn = 0n;
    for (const [i, p] of this.parts.entries()) {
      if (p.hdr.startPfn > pfn) {
        throw new Error(`split dump: pfns ${hex(pfn)}-${hex(p.hdr.startPfn - 1n)} are in no given file (part ${i + 1} of ${this.parts.length + 1} missing?); give every file of the makedumpfile --split set`);
      }
      pfn = p.hdr.endPfn > pfn ? p.hdr.endPfn : pfn;
    }
    if (pfn < max) throw new Error(`split dump: pfns ${hex(pfn)}-${hex(max - 1n)} are in no given file (the last part is missing?); give every file of the makedumpfile --split set`);
  }

  private part(pfn: bigint): Part | undefined {
    return this.parts.find((p) => p.covers(pfn));
  }

  ranges(): PhysRange[] {
    const out: PhysRange[] = [];
    const ram = this.parts[0].ram;
    let start = -1;
    const nbits = ram.length * 8;
    for (let pfn = 0; pfn <= nbits; pfn++) {
      const set = pfn < nbits && (ram[pfn >> 3] & (1 << (pfn & 7))) !== 0;
      if (set && start < 0) start = pfn;
      else if (!set && start >= 0) {
        out.push({ start: BigInt(start) << 12n, end: BigInt(pfn) << 12n });
        start = -1;
      }
    }
    return out;
  }

  pageState(paddr: bigint): PageState {
    const pfn = paddr / BigInt(this.pageSize);
    const p = this.part(pfn);
    if (!p) return 'absent';
    // makedumpfile stores every zero page as one shared record; any dumped page of zeros reads as such.
    if (p.isDumped(pfn)) return this.zeroKeys.has(this.pageWithKey(pfn).key) ? 'zero' : 'present';
    return p.inRam(pfn) ? 'excluded' : 'absent';
  }

  private page(pfn: bigint): Buffer {
    return this.pageWithKey(pfn).data;
  }

  private pageWithKey(pfn: bigint): { data: Buffer; key: number } {
    const paddr = pfn * BigInt(this.pageSize);
    const pi = this.parts.findIndex((x) => x.covers(pfn));
    const p = this.parts[pi];
    if (!p) throw new PhysAbsentError(paddr, `pfn ${hex(pfn)} is beyond the dump's max_mapnr`);
    if (!p.isDumped(pfn)) {
      if (p.inRam(pfn)) throw new PageExcludedError(paddr, `makedumpfile dump level ${p.hdr.dumpLevel ?? '?'}`);
      throw new PhysAbsentError(paddr, "not RAM in the dump's first bitmap");
    }
    const d = p.desc(pfn);
    const key = d.offset * 8 + pi;
    const hit = this.pages.get(key);
    if (hit) return { data: hit, key };
    if (d.offset <= 0 || d.offset + d.size > p.src.size) {
      const why = p.hdr.status & DUMP_DH_COMPRESSED_INCOMPLETE ? 'the dump is incomplete (makedumpfile did not finish writing it)' : 'the file is truncated';
      throw new PhysAbsentError(paddr, `its data (file offset ${hex(d.offset)}, ${d.size} bytes) is not in ${p.src.name}: ${why}`);
    }
    const raw = p.src.read(d.offset, d.size);
    let data: Buffer;
    const codec = CODECS.find((c) => d.flags & c.bit);
    if (codec) {
      try {
        data = codec.decompress(raw, this.pageSize);
      } catch (e) {
        throw new Error(`${p.src.name}: page ${hex(paddr)} (${codec.name}, ${d.size} bytes at ${hex(d.offset)}) does not decompress: ${(e as Error).message}`);
      }
    } else data = Buffer.from(raw);
    if (data.length !== this.pageSize) throw new Error(`${p.src.name}: page ${hex(paddr)} decompressed to ${data.length} bytes, not ${this.pageSize}`);
    this.pages.set(key, data);
    if (isZero(data)) this.zeroKeys.add(key);
    return { data, key };
  }

  read(paddr: bigint, length: number): Buffer {
    const ps = BigInt(this.pageSize);
    const off = Number(paddr % ps);
    if (off + length <= this.pageSize) return this.page(paddr / ps).subarray(off, off + length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const a = paddr + BigInt(done);
      const o = Number(a % ps);
      const n = Math.min(length - done, this.pageSize - o);
      this.page(a / ps).copy(out, done, o, o + n);
      done += n;
    }
    return out;
  }

  close(): void {
    for (const p of this.parts) (p.src as { close?: () => void }).close?.();
  }
}

export function openKdump(parts: ByteSource[]): KdumpMemory {
  return new KdumpMemory(parts);
}
