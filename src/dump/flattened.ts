// makedumpfile's flattened format (makedumpfile -F, and what QEMU's dump-guest-memory -z writes): a
// stream of "write these bytes at this offset" records that `makedumpfile -R` would reassemble
// (makedumpfile.h: struct makedumpfile_header / makedumpfile_data_header, all int64 big-endian).
// FlattenedSource reads it in place as a ByteSource of the reassembled file: one pass over the 16-byte
// record headers (the data is skipped, never read) builds a sorted table of disjoint segments; a read is a
// binary search in it.
import { QvError } from '../io/errors.js';
import { hex } from '../io/hex.js';
import { type ByteSource, ShortReadError } from '../io/source.js';

const SIGNATURE = 'makedumpfile';
const HEADER_SIZE = 4096; // MAX_SIZE_MDF_HEADER: the records start here
const TYPE_FLAT_HEADER = 1n;
const VERSION_FLAT_HEADER = 1n;
const RECORD_HEADER = 16; // struct makedumpfile_data_header { int64 offset; int64 buf_size; }
const END_FLAG = -1n; // END_FLAG_FLAT_HEADER: the offset of the last record

/** A byte range of the reassembled file and where its bytes are in the flattened one. */
interface Segment {
  start: number;
  end: number;
  fileOffset: number;
}

interface Rec extends Segment {
  seq: number; // record order: a later record overwrites an earlier one, as makedumpfile -R does
}

/** Bytes of the reassembled file that no record wrote: `makedumpfile -R` would leave a hole there. */
export class FlattenedHoleError extends QvError {
  constructor(
    readonly source: string,
    readonly offset: number,
    readonly length: number,
  ) {
    super(
      'FLATTENED_HOLE',
      `${source}: no record of the flattened stream wrote byte ${hex(offset)} (reading ${length} bytes); ` +
        `the dump is incomplete or its headers point at unwritten space`,
      { source, offset, length },
    );
    this.name = 'FlattenedHoleError';
  }
}

export function isFlattened(src: ByteSource): boolean {
  if (src.size < HEADER_SIZE) return false;
  const h = src.read(0, 32);
  return h.toString('latin1', 0, SIGNATURE.length) === SIGNATURE && h[SIGNATURE.length] === 0 && h.readBigInt64BE(16) === TYPE_FLAT_HEADER;
}

/** Reads one record header without going through a block cache (touching every 64 KiB of the file). */
function readRecordHeader(src: ByteSource, at: number): Buffer {
  const direct = (src as { readUncached?: (o: number, n: number) => Buffer }).readUncached;
  return direct ? direct.call(src, at, RECORD_HEADER) : src.read(at, RECORD_HEADER);
}

export class FlattenedSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  /** Set when the stream stops without its end record (a dump cut short): the records before count. */
  readonly truncated?: string;
  readonly records: number;
  private segs: Segment[];

  constructor(private readonly src: ByteSource) {
    this.name = `${src.name} (flattened)`;
    if (!isFlattened(src)) throw new QvError('NOT_A_DUMP', `${src.name}: not a makedumpfile flattened file (no "makedumpfile" signature with type 1 at offset 0)`);
    const version = src.read(24, 8).readBigInt64BE(0);
    if (version !== VERSION_FLAT_HEADER) {
      throw new QvError('DUMP_CORRUPT', `${src.name}: flattened format version ${version}, this reader knows version 1; reassemble it with \`makedumpfile -R out < ${src.name}\``);
    }
    const recs: Rec[] = [];
    let at = HEADER_SIZE;
    for (;;) {
      if (at + RECORD_HEADER > src.size) {
        this.truncated = `the flattened stream ends at ${hex(at)} without its end record (${recs.length} records read)`;
        break;
      }
      const h = readRecordHeader(src, at);
      const offset = h.readBigInt64BE(0);
      const len = h.readBigInt64BE(8);
      if (offset === END_FLAG) break;
      if (offset < 0n || len < 0n || offset + len > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new QvError('DUMP_CORRUPT', `${src.name}: flattened record header at ${hex(at)} says offset ${offset}, size ${len}: the file is corrupt`);
      }
      const start = Number(offset);
      let n = Number(len);
      if (at + RECORD_HEADER + n > src.size) {
        n = src.size - at - RECORD_HEADER; // keep what the last, partly written record holds
        this.truncated = `its last record (at ${hex(at)}, ${len} bytes for offset ${hex(start)}) runs past the end of the file`;
      }
      if (n > 0) recs.push({ start, end: start + n, fileOffset: at + RECORD_HEADER, seq: recs.length });
      at += RECORD_HEADER + n;
      if (this.truncated) break;
    }
    this.records = recs.length;
    this.segs = disjoint(recs);
    this.size = this.segs.length ? this.segs[this.segs.length - 1].end : 0;
  }

  /** Index of the last segment starting at or before `off`, or -1. */
  private segmentAt(off: number): number {
    let lo = 0;
    let hi = this.segs.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segs[mid].start <= off) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new ShortReadError(this.name, offset, length, this.size);
    }
    if (length === 0) return Buffer.alloc(0);
    const end = offset + length;
    let i = this.segmentAt(offset);
    const first = this.segs[i];
    if (!first || first.end <= offset) throw new FlattenedHoleError(this.name, offset, length);
    if (first.end >= end) return this.src.read(first.fileOffset + (offset - first.start), length);
    // The range spans several records. Check that they cover it before allocating: the reassembled size
    // comes from record offsets in the file, so a bogus record can make a header's length (a bitmap of
    // `bitmap_blocks` blocks) look readable; only bytes some record holds (at most the file size) are.
    for (let j = i, pos = offset; pos < end; j++) {
      const s = this.segs[j];
      if (!s || s.start > pos) throw new FlattenedHoleError(this.name, pos, length);
      pos = Math.min(s.end, end);
    }
    const out = Buffer.allocUnsafe(length);
    let pos = offset;
    while (pos < end) {
      const s = this.segs[i];
      if (!s || s.start > pos) throw new FlattenedHoleError(this.name, pos, length);
      const e = Math.min(s.end, end);
      this.src.read(s.fileOffset + (pos - s.start), e - pos).copy(out, pos - offset);
      pos = e;
      i++;
    }
    return out;
  }

  close(): void {
    (this.src as { close?: () => void }).close?.();
  }
}

/**
 * Turns records (possibly overlapping, in write order) into sorted, disjoint segments where each byte
 * comes from the last record that wrote it. Writers never overlap in practice (makedumpfile and QEMU write
 * each byte once), so the common path is a sort and a check; overlaps take a sweep over boundaries.
 */
function disjoint(recs: Rec[]): Segment[] {
  const sorted = [...recs].sort((a, b) => a.start - b.start || a.seq - b.seq);
  if (sorted.every((r, i) => i === 0 || r.start >= sorted[i - 1].end)) return sorted;
  const bounds = [...new Set(recs.flatMap((r) => [r.start, r.end]))].sort((a, b) => a - b);
  const out: Segment[] = [];
  // Records covering the current boundary in a max-heap by seq, dropped lazily once they end: O(n log n)
  // even when a hostile file makes every record overlap every other.
  const heap: Rec[] = [];
  const up = (k: number) => {
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (heap[p].seq >= heap[k].seq) break;
      [heap[p], heap[k]] = [heap[k], heap[p]];
      k = p;
    }
  };
  const pop = () => {
    const last = heap.pop()!;
    if (!heap.length) return;
    heap[0] = last;
    for (let k = 0; ; ) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < heap.length && heap[l].seq > heap[m].seq) m = l;
      if (r < heap.length && heap[r].seq > heap[m].seq) m = r;
      if (m === k) break;
      [heap[m], heap[k]] = [heap[k], heap[m]];
      k = m;
    }
  };
  let next = 0;
  for (let b = 0; b < bounds.length - 1; b++) {
    const from = bounds[b];
    const to = bounds[b + 1];
    while (next < sorted.length && sorted[next].start <= from) {
      heap.push(sorted[next++]);
      up(heap.length - 1);
    }
    while (heap.length && heap[0].end <= from) pop();
    const w = heap[0];
    if (!w) continue;
    const prev = out[out.length - 1];
    const fileOffset = w.fileOffset + (from - w.start);
    if (prev && prev.end === from && prev.fileOffset + (from - prev.start) === fileOffset) prev.end = to;
    else out.push({ start: from, end: to, fileOffset });
  }
  return out;
}
