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
  return asBuffer(zstdDecompress(d));
}

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
