// A cursor over a byte slice (gimli's EndianSlice reader, little-endian only: x86_64). `base` is the
// section offset of buf[0], so errors and references can speak in section offsets while the slice is
// only one unit or one window of a 163 MB section.
import { DwarfError, type Where } from './errors.js';

const TWO32 = 0x100000000;

export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly base: number,
    readonly where: Where,
    /** Reads must stay below this buffer index (the end of the unit or table being read). */
    readonly end = buf.length,
  ) {}

  /** Section offset of the cursor. */
  get offset(): number {
    return this.base + this.pos;
  }

  error(what: string, at = this.offset): DwarfError {
    return new DwarfError(this.where.file, this.where.section, at, what);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw this.error(`needs ${n} more bytes but the data ends at 0x${(this.base + this.end).toString(16)}: truncated or corrupt DWARF`);
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.buf[this.pos] | (this.buf[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const b = this.buf;
    const v = b[this.pos] | (b[this.pos + 1] << 8) | (b[this.pos + 2] << 16);
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  /** A 64-bit value that must fit a number (offsets, sizes); larger values are corrupt data here. */
  u64(): number {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    if (hi >= 0x200000) throw this.error(`holds the 64-bit value 0x${(BigInt(hi) * 2n ** 32n + BigInt(lo)).toString(16)} where an offset or size was expected`);
    this.pos += 8;
    return hi * TWO32 + lo;
  }
  u64big(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  /** A section offset of the unit's format: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF. */
  offsetOf(size: number): number {
    return size === 4 ? this.u32() : this.u64();
  }
  /** An unsigned value of 1, 2, 4 or 8 bytes (addresses, sizes) as a bigint. */
  sized(size: number): bigint {
    switch (size) {
      case 1:
        return BigInt(this.u8());
      case 2:
        return BigInt(this.u16());
      case 4:
        return BigInt(this.u32());
      case 8:
        return this.u64big();
      default:
        throw this.error(`has an unsupported address size ${size}`);
    }
  }

  uleb(): number {
    const b = this.buf;
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) this.need(1);
      const byte = b[this.pos++];
      result += (byte & 0x7f) * mul;
      if ((byte & 0x80) === 0) break;
      mul *= 128;
    }
    if (result > Number.MAX_SAFE_INTEGER) throw this.error('holds a ULEB128 value beyond 2^53 where an offset, size or index was expected');
    return result;
  }
  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) return result;
    }
  }
  slebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return result;
  }
  sleb(): number {
    const v = this.slebBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw this.error('holds an SLEB128 value beyond 2^53 where a number was expected');
    return Number(v);
  }

  cstring(): string {
    const e = this.buf.indexOf(0, this.pos);
    if (e < 0 || e >= this.end) throw this.error('has a string without its terminating NUL');
    const s = this.buf.toString('latin1', this.pos, e);
    this.pos = e + 1;
    return s;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

/** The NUL-terminated string at `offset` of a string section (.debug_str, .debug_line_str). */
export function stringAt(sec: Buffer, offset: number, where: Where): string {
  if (offset < 0 || offset >= sec.length) throw new DwarfError(where.file, where.section, offset, `is outside the section (size 0x${sec.length.toString(16)}): a string offset is corrupt or was not relocated`);
  let e = sec.indexOf(0, offset);
  if (e < 0) e = sec.length;
  return sec.toString('latin1', offset, e);
}
