// Per-page decompressors of kdump-compressed dumps, keyed by the page descriptor's flag bit (the same
// bits as the header's status word). Chosen packages: node:zlib (built in); fzstd (pure JS, no native
// build, verified against the zstd CLI); snappyjs (pure JS raw snappy, what makedumpfile and QEMU write);
// LZO is our own (src/dump/lzo.ts): npm has no LZO decompressor that runs on Node 20 without native code.
import { inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import snappy from 'snappyjs';
import { lzo1xDecompress } from './lzo.js';

export interface Codec {
  bit: number;
  name: string;
  decompress(data: Buffer, pageSize: number): Buffer;
}

export const CODECS: Codec[] = [
  { bit: 0x1, name: 'zlib', decompress: (d, n) => inflateSync(d, { maxOutputLength: n }) },
  { bit: 0x2, name: 'lzo', decompress: (d, n) => lzo1xDecompress(d, n) },
  { bit: 0x4, name: 'snappy', decompress: (d) => Buffer.from(snappy.uncompress(d) as Uint8Array) },
  { bit: 0x20, name: 'zstd', decompress: (d) => Buffer.from(zstdDecompress(d)) },
];

export const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8;

export function codecNames(status: number): string[] {
  return CODECS.filter((c) => status & c.bit).map((c) => c.name);
}
