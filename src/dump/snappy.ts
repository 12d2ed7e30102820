// Raw snappy block decompression (google/snappy format_description.txt): a varint of the uncompressed length,
// then elements, each a tag byte whose low 2 bits say literal (00) or copy with a 1-, 2- or 4-byte offset.
// Ours rather than snappyjs's decoder: snappyjs reads a literal's 4-byte length into a signed 32-bit number, so
// a corrupt tag makes its cursor move backwards and loop forever, and it writes copies past the output's end
// without noticing (typed arrays drop such writes). Here every length is checked against what is left of the
// input and of the output before anything is copied, and every element consumes at least one input byte.
import { QvError } from '../io/errors.js';

function corrupt(what: string, at: number): QvError {
  return new QvError('PAGE_CORRUPT', `snappy page data corrupt: ${what} at input byte ${at}`, { at });
}

/** Decompresses one raw snappy block whose uncompressed length must be at most `maxOut` bytes. */
export function snappyDecompress(src: Uint8Array, maxOut: number): Buffer {
  let pos = 0;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length) throw corrupt('the length varint runs past the end', pos);
    if (shift > 28) throw corrupt('the length varint is longer than 5 bytes', pos);
    const c = src[pos++];
    len += (c & 0x7f) * 2 ** shift; // multiplication, not <<: no 32-bit sign wrap
    if (c < 0x80) break;
  }
  if (len > maxOut) throw corrupt(`uncompressed length ${len} is more than ${maxOut}`, 0);
  const out = Buffer.alloc(len);
  let op = 0;
  while (pos < src.length) {
    const tag = src[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = (tag >>> 2) + 1;
      if (n > 60) {
        const bytes = n - 60; // 1-4 little-endian length bytes follow
        if (pos + bytes > src.length) throw corrupt('a literal length runs past the end', pos);
        n = 0;
        for (let i = 0; i < bytes; i++) n += src[pos + i] * 2 ** (8 * i);
        n += 1;
        pos += bytes;
      }
      if (n > src.length - pos) throw corrupt(`a ${n}-byte literal runs past the end of the input`, pos);
      if (n > len - op) throw corrupt(`a ${n}-byte literal runs past the ${len}-byte output`, pos);
      out.set(src.subarray(pos, pos + n), op);
      pos += n;
      op += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > src.length) throw corrupt('a copy runs past the end', pos);
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[pos];
      pos += 1;
    } else if (kind === 2) {
      if (pos + 2 > src.length) throw corrupt('a copy runs past the end', pos);
      n = (tag >>> 2) + 1;
      offset = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      if (pos + 4 > src.length) throw corrupt('a copy runs past the end', pos);
      n = (tag >>> 2) + 1;
      offset = src[pos] + src[pos + 1] * 0x100 + src[pos + 2] * 0x10000 + src[pos + 3] * 0x1000000;
      pos += 4;
    }
    if (offset === 0 || offset > op) throw corrupt(`copy offset ${offset} points before the start of the output (at ${op})`, pos);
    if (n > len - op) throw corrupt(`a ${n}-byte copy runs past the ${len}-byte output`, pos);
    // Byte by byte: a copy may overlap its own output (offset < n repeats a pattern).
    for (let i = 0; i < n; i++) out[op + i] = out[op - offset + i];
    op += n;
  }
  if (op !== len) throw corrupt(`the elements produce ${op} bytes, the header says ${len}`, pos);
  return out;
}
