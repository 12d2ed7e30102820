// makedumpfile's flattened format (makedumpfile -F, and what QEMU's dump-guest-memory -z writes): a
// stream of "write these bytes at this offset" records that `makedumpfile -R` would reassemble. Read in
// place as a ByteSource of the reassembled file: one pass over the 16-byte record headers builds an
// offset table; the data is read on demand, never the whole file.
import { hex } from '../io/hex.js';
import { type ByteSource } from '../io/source.js';

const SIGNATURE = 'makedumpfile';
const HEADER_SIZE = 4096; // MAX_SIZE_MDF_HEADER
const TYPE_FLAT_HEADER = 1n;
const END_FLAG = -1n;

interface Rec {
  start: number; // offset in the reassembled file
  end: number;
  fileOffset: number; // where its bytes are in the flattened file
  seq: number; // later records overwrite earlier ones, as makedumpfile -R does
}

export function isFlattened(src: ByteSource): boolean {
  if (src.size < HEADER_SIZE) return false;
  const h = src.read(0, 32);
  return h.toString('latin1', 0, SIGNATURE.length) === SIGNATURE && h[SIGNATURE.length] === 0 && h.readBigInt64BE(16) === TYPE_FLAT_HEADER;
}

export class FlattenedSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  private recs: Rec[] = [];
  private maxLen = 0;

  constructor(private readonly src: ByteSource) {
    this.name = `${src.name} (flattened)`;
    if (!isFlattened(src)) throw new Error(`${src.name}: not a makedumpfile flattened file`);
    let at = HEADER_SIZE;
    let size = 0;
    for (let seq = 0; ; seq++) {
      if (at + 16 > src.size) {
        throw new Error(`${src.name}: flattened stream ends at ${hex(at)} without its end record: the file is truncated (${this.recs.length} records read)`);
      }
      const h = src.read(at, 16);
      const offset = h.readBigInt64BE(0);
      const len = h.readBigInt64BE(8);
      if (offset === END_FLAG) break;
      if (offset < 0n || len < 0n || at + 16 + Number(len) > src.size) {
        throw new Error(`${src.name}: bad flattened record at ${hex(at)} (offset ${offset}, size ${len}): the file is corrupt or truncated`);
      }
      const start = Number(offset);
      const n = Number(len);
      this.recs.push({ start, end: start + n, fileOffset: at + 16, seq });
      this.maxLen = Math.max(this.maxLen, n);
      size = Math.max(size, start + n);
      at += 16 + n;
    }
    this.recs.sort((a, b) => a.start - b.start || a.seq - b.seq);
    this.size = size;
  }

  /** Index of the last record that starts at or before `off`. */
  private lastStartingAtOrBefore(off: number): number {
    let lo = 0;
    let hi = this.recs.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.recs[mid].start <= off) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || offset + length > this.size) throw new Error(`${this.name}: read of ${length} bytes at ${hex(offset)} is past its end (${hex(this.size)})`);
    const end = offset + length;
    // Records overlapping [offset, end): those starting before `end` whose end is after `offset`.
    const hits: Rec[] = [];
    for (let i = this.lastStartingAtOrBefore(end - 1); i >= 0; i--) {
      const r = this.recs[i];
      if (r.start + this.maxLen <= offset) break;
      if (r.end > offset) hits.push(r);
    }
    if (hits.length === 1 && hits[0].start <= offset && hits[0].end >= end) {
      return this.src.read(hits[0].fileOffset + (offset - hits[0].start), length);
    }
    const out = Buffer.alloc(length);
    const covered = new Uint8Array(length);
    hits.sort((a, b) => a.seq - b.seq);
    for (const r of hits) {
      const s = Math.max(r.start, offset);
      const e = Math.min(r.end, end);
      this.src.read(r.fileOffset + (s - r.start), e - s).copy(out, s - offset);
      covered.fill(1, s - offset, e - offset);
    }
    const hole = covered.indexOf(0);
    if (hole >= 0) throw new Error(`${this.name}: no record wrote byte ${hex(offset + hole)} of the reassembled file: the flattened dump is incomplete`);
    return out;
  }

  close(): void {
    (this.src as { close?: () => void }).close?.();
  }
}
