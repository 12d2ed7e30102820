// LZO1X decompression: the classic LZO1X bitstream that makedumpfile -l and QEMU's kdump-lzo write with
// liblzo2's lzo1x_1_compress. Follows the Linux kernel's lib/lzo/lzo1x_decompress_safe.c (the "safe"
// variant): every read and write is bounds-checked, so corrupt input ends in an LzoError, never in reading
// or writing outside the buffers, and every loop consumes input, so it cannot hang. The kernel's newer
// LZO-RLE bitstream (a leading 17 + version byte, zram only) is not accepted: no dump writer produces it.
// No npm package decompresses LZO1X on Node 20 without a native build.

import { QvError } from '../io/errors.js';

export class LzoError extends QvError {
  constructor(what: string, at: number) {
    super('LZO_CORRUPT', `LZO1X data corrupt: ${what} at input byte ${at}`, { at });
    this.name = 'LzoError';
  }
}

const M2_MAX_OFFSET = 0x0800;

/** Decompresses `src` into at most `maxOut` bytes (lzo1x_decompress_safe); returns the bytes produced. */
export function lzo1xDecompress(src: Uint8Array, maxOut: number): Buffer {
  const out = Buffer.alloc(maxOut);
  const ipEnd = src.length;
  let ip = 0;
  let op = 0;
  const needIp = (n: number) => {
    if (ipEnd - ip < n) throw new LzoError(`input overrun (${n} more bytes needed, ${ipEnd - ip} left)`, ip);
  };
  const needOp = (n: number) => {
    if (maxOut - op < n) throw new LzoError(`output overrun (more than ${maxOut} bytes)`, ip);
  };
  const copyLiterals = (n: number) => {
    needIp(n);
    needOp(n);
    out.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  // A match copies n bytes from `dist` back. When the regions overlap the copy must go byte by byte (a
  // distance of 1 repeats one byte n times); otherwise one native copy does.
  const copyMatch = (mPos: number, n: number) => {
    if (mPos < 0) throw new LzoError(`match ${op - mPos} bytes back, before the start of the output (lookbehind overrun)`, ip);
    needOp(n);
    if (op - mPos >= n) out.copyWithin(op, mPos, mPos + n);
    else for (let i = 0; i < n; i++) out[op + i] = out[mPos + i];
    op += n;
  };
  // A zero length field means "more": each further 0 byte adds 255, the first non-zero byte ends it.
  const longLength = (base: number) => {
    let zeros = 0;
    for (;;) {
      needIp(1);
      if (src[ip] !== 0) break;
      ip++;
      if (++zeros * 255 > maxOut) throw new LzoError('length run longer than the output', ip);
    }
    return base + zeros * 255 + src[ip++];
  };

  if (ipEnd < 3) throw new LzoError('input shorter than 3 bytes', 0);
  // `state` is the number of literals the previous instruction copied (0, 1-3, or 4 for "4 or more"): it
  // selects what an instruction byte below 16 means.
  let state = 0;
  let next: number;
  let t: number;
  let mPos: number;

  if (src[0] > 17) {
    // The first byte may be a literal run of byte-17 bytes.
    t = src[ip++] - 17;
    copyLiterals(t);
    state = t < 4 ? t : 4;
  }
  for (;;) {
    needIp(1);
    t = src[ip++];
    if (t < 16) {
      if (state === 0) {
        // Literal run of t+3 bytes.
        if (t === 0) t = longLength(15);
        copyLiterals(t + 3);
        state = 4;
        continue;
      }
      next = t & 3;
      needIp(1);
      if (state !== 4) {
        // M1: 2 bytes, up to 1 KiB back, right after 1-3 literals.
        mPos = op - 1 - (t >> 2) - (src[ip++] << 2);
        copyMatch(mPos, 2);
      } else {
        // M1 after a literal run: 3 bytes, 2-3 KiB back.
        mPos = op - (1 + M2_MAX_OFFSET) - (t >> 2) - (src[ip++] << 2);
        copyMatch(mPos, 3);
      }
    } else {
      if (t >= 64) {
        // M2: 3-8 bytes, up to 2 KiB back.
        next = t & 3;
        needIp(1);
        mPos = op - 1 - ((t >> 2) & 7) - (src[ip++] << 3);
        t = (t >> 5) - 1 + 2;
      } else if (t >= 32) {
        // M3: up to 16 KiB back.
        t = (t & 31) + 2;
        if (t === 2) t = longLength(31 + 2);
        needIp(2);
        const d = src[ip] | (src[ip + 1] << 8);
        ip += 2;
        mPos = op - 1 - (d >> 2);
        next = d & 3;
      } else {
        // M4: 16-48 KiB back; distance exactly 16 KiB is the end-of-stream marker.
        mPos = op - ((t & 8) << 11);
        t = (t & 7) + 2;
        if (t === 2) t = longLength(7 + 2);
        needIp(2);
        const d = src[ip] | (src[ip + 1] << 8);
        ip += 2;
        mPos -= d >> 2;
        next = d & 3;
        if (mPos === op) {
          if (t !== 3) throw new LzoError('end-of-stream marker with a length', ip);
          if (ip !== ipEnd) throw new LzoError(`${ipEnd - ip} bytes after the end-of-stream marker (input not consumed)`, ip);
          return out.subarray(0, op);
        }
        mPos -= 0x4000;
      }
      copyMatch(mPos, t);
    }
    // The low two bits of a match's last byte: 0-3 literals follow it.
    copyLiterals(next);
    state = next;
  }
}
