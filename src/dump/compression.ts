// Per-page decompressors of kdump-compressed dumps, keyed by the page descriptor's flag bit (the same
// bits as the header's status word, makedumpfile diskdump_mod.h). Chosen packages: node:zlib (built in);
// fzstd (pure JS, no native build); snappy is our own (src/dump/snappy.ts: snappyjs's decoder loops on corrupt input);
// LZO is our own (src/dump/lzo.ts): npm has no LZO1X decompressor that runs on Node 20 without native code.
// Every decompressor is bounded by the page size: a corrupt descriptor cannot make us allocate more.
import { inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { QvError } from '../io/errors.js';
import { lzo1xDecompress } from './lzo.js';
import { snappyDecompress } from './snappy.js';

export interface Codec {
  bit: number;
  name: string;
  /** The decompressed bytes (at most pageSize + 1, so a caller sees an oversized page as such). */
  decompress(data: Buffer, pageSize: number): Buffer;
}

/** A codec's own failure (zlib's, snappyjs's, fzstd's plain Errors) as a PAGE_CORRUPT QvError naming it. */
const typed =
  (name: string, f: (d: Buffer, n: number) => Buffer) =>
  (d: Buffer, n: number): Buffer => {
    try {
      return f(d, n);
    } catch (e) {
      if (e instanceof QvError) throw e;
      throw new QvError('PAGE_CORRUPT', `${name} page data (${d.length} bytes) does not decompress: ${(e as Error).message}`, { codec: name });
    }
  };

export const CODECS: readonly Codec[] = [
  // compress2() output: a zlib stream.
  { bit: 0x1, name: 'zlib', decompress: typed('zlib', (d, n) => inflateSync(d, { maxOutputLength: n + 1 })) },
  // lzo1x_1_compress() output: a raw LZO1X block.
  { bit: 0x2, name: 'lzo', decompress: (d, n) => lzo1xDecompress(d, n) },
  // snappy_compress() output: a raw block whose varint prefix is the length (our decoder, src/dump/snappy.ts).
  { bit: 0x4, name: 'snappy', decompress: (d, n) => snappyDecompress(d, n) },
  // ZSTD_compressCCtx() output: one frame.
  { bit: 0x20, name: 'zstd', decompress: typed('zstd', (d, n) => zstdPage(d, n)) },
];

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_MAX_WINDOW = 8 << 20; // a page compressor never needs more; the format allows 2 GiB

/**
 * fzstd allocates what the frame header claims (content size, else window size) and, given a buffer of
 * its own, silently stops at its end without saying how much it wrote. So the header is checked first
 * (the same fields fzstd reads, RFC 8878 3.1.1.1) and the frame decompresses into memory of its own size.
 */
function zstdPage(d: Buffer, n: number): Buffer {
  if (d.length < 6 || d.readUInt32LE(0) !== ZSTD_MAGIC) throw new Error('not a zstd frame (no magic number)');
  const fhd = d[4];
  const singleSegment = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  const dictBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = fcsFlag ? 1 << fcsFlag : singleSegment;
  const fcsAt = 5 + (singleSegment ? 0 : 1) + dictBytes;
  if (fcsBytes) {
    if (d.length < fcsAt + fcsBytes) throw new Error('zstd frame header cut short');
    const size = Number(d.readUIntLE(fcsAt, Math.min(fcsBytes, 6))) + (fcsFlag === 1 ? 256 : 0);
    if ((fcsBytes === 8 && d.readUInt16LE(fcsAt + 6) !== 0) || size !== n) throw new Error(`zstd frame says its content is ${size} bytes, not one ${n}-byte page`);
  } else {
    const base = 1 << (10 + (d[5] >> 3));
    const window = base + (base >> 3) * (d[5] & 7);
    if (window > ZSTD_MAX_WINDOW) throw new Error(`zstd frame asks for a ${window}-byte window, more than a page compressor uses`);
  }
  checkZstdBlocks(d, fcsAt + fcsBytes, (fhd >> 2) & 1, n);
  return asBuffer(zstdDecompress(d));
}

/**
 * Walks the frame's block headers (RFC 8878 3.1.1.2: 3 bytes, Last_Block, Block_Type, Block_Size) before fzstd
 * sees them: fzstd reads past the end of its input as zeros (a typed array's undefined), so a frame cut short
 * after a non-last block makes it loop on empty raw blocks forever. Every block must lie inside the input, the
 * last one must be found, and the raw and RLE blocks must not regenerate more than the page.
 */
function checkZstdBlocks(d: Buffer, at: number, checksum: number, n: number): void {
  let regenerated = 0;
  for (let blocks = 0; ; blocks++) {
    if (at + 3 > d.length) throw new Error(`zstd block header at byte ${at} is past the end of the ${d.length}-byte frame (no last block)`);
    const h = d[at] | (d[at + 1] << 8) | (d[at + 2] << 16);
    const last = h & 1;
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    at += 3;
    if (type === 3) throw new Error(`zstd block at byte ${at - 3} has the reserved block type 3`);
    const stored = type === 1 ? 1 : size; // an RLE block stores one byte, repeated `size` times
    if (at + stored > d.length) throw new Error(`zstd block at byte ${at - 3} (${size} bytes) runs past the end of the ${d.length}-byte frame`);
    if (type !== 2) regenerated += size;
    else if (size > ZSTD_BLOCK_MAX) throw new Error(`zstd compressed block at byte ${at - 3} says ${size} bytes, more than a block may hold (${ZSTD_BLOCK_MAX})`);
    else checkZstdSequences(d.subarray(at, at + size), at, n);
    if (regenerated > n) throw new Error(`zstd blocks regenerate more than one ${n}-byte page`);
    at += stored;
    if (last) break;
    if (blocks > n) throw new Error(`zstd frame has more than ${n} blocks for one ${n}-byte page`);
  }
  if (at + (checksum ? 4 : 0) > d.length) throw new Error('zstd frame checksum is past the end of the frame');
}

/**
 * A compressed block's literals header and sequence count (RFC 8878 3.1.1.3.1.1 and 3.1.1.3.2.1): fzstd runs
 * every sequence with no check of the output's end, so a corrupt count (up to 98,047) with corrupt match lengths
 * is billions of steps. A page's block regenerates at most `n` literal bytes and at most n / 3 sequences (a match
 * is at least 3 bytes).
 */
function checkZstdSequences(b: Uint8Array, at: number, n: number): void {
  if (b.length < 1) throw new Error(`zstd compressed block at byte ${at} is empty`);
  const type = b[0] & 3;
  const sf = (b[0] >> 2) & 3;
  let hdr: number;
  let regen: number;
  let stored: number;
  const byte = (i: number) => {
    if (i >= b.length) throw new Error(`zstd literals header at byte ${at} runs past its block`);
    return b[i];
  };
  if (type < 2) {
    if (sf === 0 || sf === 2) (hdr = 1), (regen = b[0] >> 3);
    else if (sf === 1) (hdr = 2), (regen = (b[0] >> 4) + byte(1) * 16);
    else (hdr = 3), (regen = (b[0] >> 4) + byte(1) * 16 + byte(2) * 4096);
    stored = type === 0 ? regen : 1;
  } else {
    hdr = sf < 2 ? 3 : sf + 2;
    let v = 0;
    for (let i = hdr - 1; i >= 0; i--) v = v * 256 + byte(i);
    const bits = sf < 2 ? 10 : sf === 2 ? 14 : 18;
    regen = Math.floor(v / 16) % 2 ** bits;
    stored = Math.floor(v / 2 ** (4 + bits)) % 2 ** bits;
  }
  if (regen > n) throw new Error(`zstd block at byte ${at} says ${regen} literal bytes, more than one ${n}-byte page`);
  let p = hdr + stored;
  if (p >= b.length) return; // no sequences section: literals only
  let ns = byte(p++);
  if (ns >= 255) ns = byte(p) + byte(p + 1) * 256 + 0x7f00;
  else if (ns >= 128) ns = (ns - 128) * 256 + byte(p);
  if (ns > n / 3) throw new Error(`zstd block at byte ${at} says ${ns} sequences, more than one ${n}-byte page can hold`);
}

const ZSTD_BLOCK_MAX = 128 << 10; // Block_Maximum_Size: min(window size, 128 KiB)

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.length);
}

export const COMPRESSION_BITS = CODECS.reduce((a, c) => a | c.bit, 0);

/** Header status bits that are not a compression method. */
export const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8; // makedumpfile stopped early (ENOSPC) and said so
export const DUMP_DH_EXCLUDED_VMEMMAP = 0x10; // unused vmemmap pages left out (makedumpfile -e)

export function codecNames(status: number): string[] {
  return CODECS.filter((c) => status & c.bit).map((c) => c.name);
}

/** The codec of a page descriptor's flags: undefined for a raw page; throws for an unknown or mixed value. */
export function codecOf(flags: number): Codec | undefined {
  if (flags === 0) return undefined;
  const found = CODECS.filter((c) => flags & c.bit);
  if (found.length !== 1 || (flags & ~COMPRESSION_BITS) !== 0) {
    throw new QvError(
      'DUMP_CORRUPT',
      `page descriptor flags 0x${flags.toString(16)} name ${found.length ? found.map((c) => c.name).join(' and ') : 'no known compression'}` +
        ` (known: ${CODECS.map((c) => `0x${c.bit.toString(16)} ${c.name}`).join(', ')}); the descriptor is corrupt or from a newer makedumpfile`,
    );
  }
  return found[0];
}
