// Attribute forms: their sizes, a compiled skip path (the hot path of the index scan) and a decoder
// for the few DIEs the type decoder reads.
import { DW_FORM, formName } from './constants.js';
import { Reader } from './reader.js';
import { type Encoding } from './unit.js';

const F = DW_FORM;

/** Byte size of a form whose size does not depend on its value, or -1 for variable-size forms. */
export function fixedFormSize(form: number, enc: Encoding): number {
  switch (form) {
    case F.flag_present:
    case F.implicit_const:
      return 0;
    case F.data1:
    case F.ref1:
    case F.flag:
    case F.strx1:
    case F.addrx1:
      return 1;
    case F.data2:
    case F.ref2:
    case F.strx2:
    case F.addrx2:
      return 2;
    case F.strx3:
    case F.addrx3:
      return 3;
    case F.data4:
    case F.ref4:
    case F.ref_sup4:
    case F.strx4:
    case F.addrx4:
      return 4;
    case F.data8:
    case F.ref8:
    case F.ref_sig8:
    case F.ref_sup8:
      return 8;
    case F.data16:
      return 16;
    case F.addr:
      return enc.addrSize;
    case F.ref_addr:
      return enc.version <= 2 ? enc.addrSize : enc.offsetSize;
    case F.strp:
    case F.line_strp:
    case F.sec_offset:
    case F.strp_sup:
    case F.GNU_ref_alt:
    case F.GNU_strp_alt:
      return enc.offsetSize;
    case F.string:
    case F.block:
    case F.block1:
    case F.block2:
    case F.block4:
    case F.exprloc:
    case F.sdata:
    case F.udata:
    case F.ref_udata:
    case F.strx:
    case F.addrx:
    case F.loclistx:
    case F.rnglistx:
    case F.GNU_addr_index:
    case F.GNU_str_index:
    case F.indirect:
      return -1;
    default:
      return -2; // unknown
  }
}

/** Skips one value of a variable-size form. Reading past `buf` yields undefined, which ends the loops. */
export function skipVariable(buf: Buffer, pos: number, form: number, enc: Encoding): number {
  switch (form) {
    case F.string: {
      const e = buf.indexOf(0, pos);
      return e < 0 ? buf.length + 1 : e + 1;
    }
    case F.sdata:
    case F.udata:
    case F.ref_udata:
    case F.strx:
    case F.addrx:
    case F.loclistx:
    case F.rnglistx:
    case F.GNU_addr_index:
    case F.GNU_str_index:
      while (buf[pos++] & 0x80);
      return pos;
    case F.block1:
      return pos + 1 + buf[pos];
    case F.block2:
      return pos + 2 + (buf[pos] | (buf[pos + 1] << 8));
    case F.block4:
      return pos + 4 + buf.readUInt32LE(pos);
    case F.block:
    case F.exprloc: {
      let len = 0;
      let mul = 1;
      let b: number;
      do {
        b = buf[pos++];
        len += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      return pos + len;
    }
    case F.indirect: {
      let f = 0;
      let mul = 1;
      let b: number;
      do {
        b = buf[pos++];
        f += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      const n = fixedFormSize(f, enc);
      if (n >= 0) return pos + n;
      if (n === -2 || f === F.indirect) return buf.length + 1; // the caller reports the overrun
      return skipVariable(buf, pos, f, enc);
    }
    default: {
      const n = fixedFormSize(form, enc);
      return n >= 0 ? pos + n : buf.length + 1; // an unknown form: the caller reports the overrun
    }
  }
}

export type AttrValue = number | bigint | string | boolean | Buffer;

/** How the decoder turns string forms into strings (they live in other sections). */
export interface StringTables {
  strp(offset: number): string;
  lineStrp(offset: number): string;
  strx(index: number): string;
}

export interface FormContext {
  enc: Encoding;
  /** Section offset of the unit: unit-relative references are added to it. */
  unitOffset: number;
  strings: StringTables;
}

export function isRefForm(form: number): boolean {
  return form === F.ref1 || form === F.ref2 || form === F.ref4 || form === F.ref8 || form === F.ref_udata || form === F.ref_addr;
}

/** True for forms holding a constant (as opposed to a reference, block or expression). */
export function isConstantForm(form: number): boolean {
  return form === F.data1 || form === F.data2 || form === F.data4 || form === F.data8 || form === F.sdata || form === F.udata || form === F.implicit_const;
}

function num(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Reads one attribute value. References come back as section offsets of .debug_info; constants as numbers
 * (bigint beyond 2^53); strings resolved; blocks and expressions as buffers.
 */
export function readAttr(r: Reader, form: number, ctx: FormContext, implicit: bigint | undefined): AttrValue {
  const enc = ctx.enc;
  switch (form) {
    case F.addr:
      return r.sized(enc.addrSize);
    case F.data1:
      return r.u8();
    case F.data2:
      return r.u16();
    case F.data4:
      return r.u32();
    case F.data8:
      return num(r.u64big());
    case F.data16:
      return r.bytes(16);
    case F.sdata:
      return num(r.slebBig());
    case F.udata:
      return num(r.ulebBig());
    case F.implicit_const:
      return num(implicit ?? 0n);
    case F.flag:
      return r.u8() !== 0;
    case F.flag_present:
      return true;
    case F.string:
      return r.cstring();
    case F.strp:
      return ctx.strings.strp(r.offsetOf(enc.offsetSize));
    case F.line_strp:
      return ctx.strings.lineStrp(r.offsetOf(enc.offsetSize));
    case F.strx:
    case F.GNU_str_index:
      return ctx.strings.strx(r.uleb());
    case F.strx1:
      return ctx.strings.strx(r.u8());
    case F.strx2:
      return ctx.strings.strx(r.u16());
    case F.strx3:
      return ctx.strings.strx(r.u24());
    case F.strx4:
      return ctx.strings.strx(r.u32());
    case F.ref1:
      return ctx.unitOffset + r.u8();
    case F.ref2:
      return ctx.unitOffset + r.u16();
    case F.ref4:
      return ctx.unitOffset + r.u32();
    case F.ref8:
      return ctx.unitOffset + r.u64();
    case F.ref_udata:
      return ctx.unitOffset + r.uleb();
    case F.ref_addr:
      return enc.version <= 2 ? Number(r.sized(enc.addrSize)) : r.offsetOf(enc.offsetSize);
    case F.ref_sig8:
      // A type unit signature: kept as a value; following it is what fails (see TypeDecoder).
      return r.u64big();
    case F.GNU_ref_alt:
    case F.GNU_strp_alt:
    case F.ref_sup4:
    case F.ref_sup8:
    case F.strp_sup: {
      const at = r.offset;
      throw r.error(`uses ${formName(form)}, a reference into a supplementary (dwz) debug file, which is not supported: use the debug file before dwz, or --types btf`, at);
    }
    case F.sec_offset:
      return r.offsetOf(enc.offsetSize);
    case F.addrx:
    case F.GNU_addr_index:
    case F.loclistx:
    case F.rnglistx:
      return r.uleb();
    case F.addrx1:
      return r.u8();
    case F.addrx2:
      return r.u16();
    case F.addrx3:
      return r.u24();
    case F.addrx4:
      return r.u32();
    case F.block1:
      return r.bytes(r.u8());
    case F.block2:
      return r.bytes(r.u16());
    case F.block4:
      return r.bytes(r.u32());
    case F.block:
    case F.exprloc:
      return r.bytes(r.uleb());
    case F.indirect: {
      const f = r.uleb();
      if (f === F.indirect || f === F.implicit_const) throw r.error(`has DW_FORM_indirect resolving to ${formName(f)}, which DWARF forbids`);
      return readAttr(r, f, ctx, undefined);
    }
    default:
      throw r.error(`uses the unknown attribute form ${formName(form)}; its size is unknown, so the DIE cannot be read`);
  }
}
