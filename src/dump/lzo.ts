// LZO1X decompression (the format makedumpfile -l writes with liblzo2's lzo1x_1_compress), following the
// Linux kernel's lib/lzo/lzo1x_decompress_safe.c: every read and write is bounds-checked, so corrupt input
// ends in an error, never in reading or writing outside the buffers. No npm package does this on Node 20
// without a native build or a bundler (see README).

export class LzoError extends Error {
  constructor(what: string, at: number) {
    super(`LZO1X data corrupt: ${what} at input byte ${at}`);
    this.name = 'LzoError';
  }
}

const M2_MAX_OFFSET = 0x0800;

/** Decompresses `src` into a buffer of at most `maxOut` bytes; returns the bytes produced. */
export function lzo1xDecompress(src: Uint8Array, maxOut: number): Buffer {
  const out = Buffer.alloc(maxOut);
  let ip = 0;
  let op = 0;
  const ipEnd = src.length;
  const needIp = (n: number) => {
    if (ipEnd - ip < n) throw new LzoError('input overrun', ip);
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
  // Copies `n` bytes from `dist` bytes back; byte by byte because source and destination may overlap.
  const copyMatch = (mPos: number, n: number) => {
    if (mPos < 0) throw new LzoError(`match ${op - mPos} bytes back, before the start of the output`, ip);
    needOp(n);
    for (let i = 0; i < n; i++) out[op++] = out[mPos + i];
  };
  // A run of zero bytes extends a length by 255 each, then one more byte is added.
  const longLength = (base: number) => {
    let zeros = 0;
    for (;;) {
      needIp(1);
      if (src[ip] !== 0) break;
      ip++;
      if (++zeros > maxOut) throw new LzoError('length run longer than the output', ip);
    }
    return base + zeros * 255 + src[ip++];
  };

  if (ipEnd < 3) throw new LzoError('input shorter than 3 bytes', 0);
  let state = 0;
  let next = 0;
  let t: number;
  let mPos: number;

  if (src[0] > 17) {
    t = src[ip++] - 17;
    if (t < 4) {
      next = t;
      copyLiterals(next);
      state = next;
    } else {
      copyLiterals(t);
      state = 4;
    }
  }
  for (;;) {
    needIp(1);
    t = src[ip++];
    if (t < 16) {
      if (state === 0) {
        if (t === 0) t = longLength(15);
        copyLiterals(t + 3);
        state = 4;
        continue;
      }
      next = t & 3;
      needIp(1);
      if (state !== 4) {
        mPos = op - 1 - (t >> 2) - (src[ip++] << 2);
        copyMatch(mPos, 2);
      } else {
        mPos = op - (1 + M2_MAX_OFFSET) - (t >> 2) - (src[ip++] << 2);
        copyMatch(mPos, 3);
      }
    } else {
      if (t >= 64) {
        next = t & 3;
        needIp(1);
        mPos = op - 1 - ((t >> 2) & 7) - (src[ip++] << 3);
        t = (t >> 5) - 1 + 2;
      } else if (t >= 32) {
        t = (t & 31) + 2;
        if (t === 2) t = longLength(31 + 2);
        needIp(2);
        const d = src[ip] | (src[ip + 1] << 8);
        ip += 2;
        mPos = op - 1 - (d >> 2);
        next = d & 3;
      } else {
        mPos = op - ((t & 8) << 11);
        t = (t & 7) + 2;
        if (t === 2) t = longLength(7 + 2);
        needIp(2);
        const d = src[ip] | (src[ip + 1] << 8);
        ip += 2;
        mPos -= d >> 2;
        next = d & 3;
        if (mPos === op) {
          // End-of-stream marker (a distance of 0x4000 with no bits set): must have length 3, at the end.
          if (t !== 3) throw new LzoError('bad end-of-stream marker', ip);
          if (ip !== ipEnd) throw new LzoError(`${ipEnd - ip} bytes after the end-of-stream marker`, ip);
          return out.subarray(0, op);
        }
        mPos -= 0x4000;
      }
      copyMatch(mPos, t);
    }
    // Up to 3 literals follow a match (the low two bits of its last byte).
    copyLiterals(next);
    state = next;
  }
}
