// DIE -> KType, memoized by DIE offset. Everything that refers to another type is a getter, so decoding
// `struct kvm` reads one DIE and, when its members are first asked for, its direct children: never the
// whole graph behind it.
import { type ArrayType, type BaseType, type EnumType, type KType, type Member, type NamedKind, type PointerType, type StructType, type TypedefType, VOID, resolve, sizeOf } from '../types.js';
import { DW_AT, DW_ATE, DW_FORM, DW_OP, DW_TAG, formName, tagName } from './constants.js';
import { type DwarfContext } from './context.js';
import { attr, attrForm, type Die, type DieReader, ref, str } from './die.js';
import { type AttrValue, isConstantForm, isRefForm } from './forms.js';
import { Reader } from './reader.js';

/** Qualifiers the type model does not represent: a `const int` is an `int`. */
const LOOK_THROUGH = new Set<number>([DW_TAG.const_type, DW_TAG.volatile_type, DW_TAG.restrict_type, DW_TAG.atomic_type, DW_TAG.immutable_type, DW_TAG.shared_type]);
const SIGNED_ENCODINGS = new Set<number>([DW_ATE.signed, DW_ATE.signed_char, DW_ATE.float, DW_ATE.complex_float, 0x0d /* signed_fixed */]);
const MAX_QUALIFIER_CHAIN = 64;

export type Completer = (name: string, kind: NamedKind) => KType | undefined;

export class TypeDecoder {
  private memo = new Map<number, KType>();

  constructor(
    private dies: DieReader,
    private ctx: DwarfContext,
    /** Finds the complete definition of a declared struct/union/enum (`struct foo;` in this unit). */
    private complete: Completer,
  ) {}

  typeAt(offset: number): KType {
    let t = this.memo.get(offset);
    if (!t) {
      t = this.decode(offset, 0);
      this.memo.set(offset, t);
    }
    return t;
  }

  /**
   * Lazily resolved DW_AT_type of a DIE; void when absent (void *, typedef void). The closures keep
   * offsets only, never the Die: that would pin its unit's bytes in memory past the unit cache.
   */
  private target(d: Die): () => KType {
    const i = d.attrs.indexOf(DW_AT.type);
    if (i < 0) return () => VOID;
    const form = d.forms[i];
    const v = d.values[i];
    if (isRefForm(form)) {
      const off = v as number;
      return () => this.typeAt(off);
    }
    const at = d.offset;
    const what =
      form === DW_FORM.ref_sig8
        ? `refers to a type unit by signature 0x${(v as bigint).toString(16)} (DW_FORM_ref_sig8); type units (-fdebug-types-section) are not supported: rebuild without -fdebug-types-section or use --types btf`
        : `has DW_AT_type in ${formName(form)}, which is not a reference into .debug_info`;
    return () => {
      throw this.ctx.error(this.ctx.sections.names.info, at, `DIE ${what}`);
    };
  }

  private decode(offset: number, depth: number): KType {
    const d = this.dies.die(offset);
    const name = str(d, DW_AT.name);
    switch (d.tag) {
      case DW_TAG.base_type: {
        const enc = num(attr(d, DW_AT.encoding)) ?? 0;
        const t: BaseType = { kind: 'base', name: name ?? '', size: num(attr(d, DW_AT.byte_size)) ?? 0, signed: SIGNED_ENCODINGS.has(enc) };
        if (enc === DW_ATE.boolean) t.bool = true;
        return t;
      }
      case DW_TAG.structure_type:
      case DW_TAG.class_type:
      case DW_TAG.union_type:
        return this.struct(d, name);
      case DW_TAG.enumeration_type:
        return this.enumeration(d, name);
      case DW_TAG.typedef: {
        const target = this.target(d);
        return { kind: 'typedef', name: name ?? '', get target() { return target(); } } satisfies TypedefType;
      }
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type:
      case DW_TAG.rvalue_reference_type:
      case DW_TAG.ptr_to_member_type: {
        const target = this.target(d);
        const size = num(attr(d, DW_AT.byte_size)) ?? d.unit.enc.addrSize;
        return { kind: 'pointer', size, get target() { return target(); } } satisfies PointerType;
      }
      case DW_TAG.array_type:
        return this.array(d);
      case DW_TAG.subroutine_type:
      case DW_TAG.subprogram:
        return { kind: 'function' };
      case DW_TAG.unspecified_type:
        return VOID;
      default:
        if (LOOK_THROUGH.has(d.tag)) {
          if (depth > MAX_QUALIFIER_CHAIN) throw this.error(d, 'starts a chain of more than 64 qualifiers: a reference cycle in corrupt DWARF');
          const off = ref(d, DW_AT.type);
          if (off === undefined) return VOID; // `const void`
          const hit = this.memo.get(off);
          return hit ?? this.memoized(off, this.decode(off, depth + 1));
        }
        throw this.error(d, `is a ${tagName(d.tag)}, which is not a type: a DW_AT_type reference is off or the DWARF uses a construct this reader does not know`);
    }
  }

  private memoized(off: number, t: KType): KType {
    this.memo.set(off, t);
    return t;
  }

  private struct(d: Die, name: string | undefined): KType {
    const kind = d.tag === DW_TAG.union_type ? 'union' : 'struct';
    if (attr(d, DW_AT.declaration) === true) {
      const full = name === undefined ? undefined : this.complete(name, kind);
      if (full) return full;
      return { kind, name, size: 0, members: [], declaration: true } satisfies StructType;
    }
    const offset = d.offset;
    const self = this;
    let members: Member[] | undefined;
    return {
      kind,
      name,
      size: num(attr(d, DW_AT.byte_size)) ?? 0,
      get members() {
        return (members ??= self.members(self.dies.die(offset)));
      },
    } satisfies StructType;
  }

  private members(d: Die): Member[] {
    const out: Member[] = [];
    for (const c of this.dies.children(d)) {
      // C++ static members are declarations; inheritance and nested types are not members of C layouts.
      if (c.tag !== DW_TAG.member || attr(c, DW_AT.declaration) === true) continue;
      const target = this.target(c);
      const m: Member = { name: str(c, DW_AT.name), offset: this.memberLocation(c), get type() { return target(); } };
      const bitSize = num(attr(c, DW_AT.bit_size));
      const dataBitOffset = num(attr(c, DW_AT.data_bit_offset));
      if (bitSize !== undefined) {
        // Absolute bit position of the field's least significant bit (little-endian layouts).
        let bitPos: number;
        if (dataBitOffset !== undefined) bitPos = dataBitOffset;
        else {
          const bitOffset = num(attr(c, DW_AT.bit_offset));
          if (bitOffset === undefined) bitPos = m.offset * 8;
          else {
            // DWARF 2-4: DW_AT_bit_offset counts from the most significant bit of a storage unit of
            // DW_AT_byte_size bytes at DW_AT_data_member_location.
            const unit = num(attr(c, DW_AT.byte_size)) ?? sizeOf(m.type);
            bitPos = m.offset * 8 + unit * 8 - bitOffset - bitSize;
          }
        }
        // Report the field against the storage unit of its declared type that holds its first bit
        // (pahole's convention), so a reader of `offset` gets whole units of the declared type.
        const unitSize = storageUnit(m.type);
        m.offset = Math.floor(bitPos / (unitSize * 8)) * unitSize;
        m.bitOffset = bitPos - m.offset * 8;
        m.bitSize = bitSize;
      } else if (dataBitOffset !== undefined) {
        if (dataBitOffset % 8) throw this.error(c, `member ${m.name ?? '(anonymous)'} has DW_AT_data_bit_offset ${dataBitOffset} but no DW_AT_bit_size`);
        m.offset = dataBitOffset / 8;
      }
      out.push(m);
    }
    return out;
  }

  /** DW_AT_data_member_location: a constant, or a location expression (DW_OP_plus_uconst N in old DWARF). */
  private memberLocation(c: Die): number {
    const i = c.attrs.indexOf(DW_AT.data_member_location);
    if (i < 0) return 0; // union members; bitfields located by DW_AT_data_bit_offset
    const form = c.forms[i];
    const v = c.values[i];
    if (isConstantForm(form)) {
      const n = num(v);
      if (n === undefined || n < 0) throw this.error(c, `has DW_AT_data_member_location ${String(v)}, not a byte offset`);
      return n;
    }
    if (Buffer.isBuffer(v)) return this.evalLocation(c, v);
    throw this.error(c, 'has a DW_AT_data_member_location that is a location list: member offsets that vary with the PC are not supported');
  }

  private evalLocation(c: Die, expr: Buffer): number {
    // The DWARF rule: the address of the containing object is pushed first; the result is the member's
    // address. With base 0 the result is the offset.
    const stack: number[] = [0];
    const r = new Reader(expr, 0, 0, this.ctx.infoWhere);
    while (!r.atEnd()) {
      const op = r.u8();
      if (op === DW_OP.plus_uconst) stack.push(stack.pop()! + r.uleb());
      else if (op === DW_OP.constu) stack.push(r.uleb());
      else if (op === DW_OP.consts) stack.push(r.sleb());
      else if (op >= DW_OP.lit0 && op <= DW_OP.lit31) stack.push(op - DW_OP.lit0);
      else if (op === 0x22 /* DW_OP_plus */ && stack.length >= 2) stack.push(stack.pop()! + stack.pop()!);
      else throw this.error(c, `has a DW_AT_data_member_location expression with DW_OP 0x${op.toString(16)}; only constant offsets (DW_OP_plus_uconst, DW_OP_constu, DW_OP_lit*) are supported`);
    }
    const v = stack.pop();
    if (v === undefined || v < 0) throw this.error(c, 'has an empty or negative DW_AT_data_member_location expression');
    return v;
  }

  private enumeration(d: Die, name: string | undefined): KType {
    if (attr(d, DW_AT.declaration) === true) {
      const full = name === undefined ? undefined : this.complete(name, 'enum');
      if (full) return full;
    }
    const size = num(attr(d, DW_AT.byte_size)) ?? 0;
    // Signedness: DW_AT_encoding (DWARF 5, and GCC always), else the underlying DW_AT_type, else any
    // negative DW_FORM_sdata enumerator.
    const enc = num(attr(d, DW_AT.encoding));
    let signed: boolean;
    if (enc !== undefined) signed = SIGNED_ENCODINGS.has(enc);
    else {
      const under = ref(d, DW_AT.type);
      const base = under === undefined ? undefined : resolve(this.typeAt(under));
      if (base && (base.kind === 'base' || base.kind === 'enum')) signed = base.signed;
      else signed = this.dies.children(d).some((c) => attrForm(c, DW_AT.const_value) === DW_FORM.sdata && typeof attr(c, DW_AT.const_value) !== 'string' && Number(attr(c, DW_AT.const_value)) < 0);
    }
    const offset = d.offset;
    const self = this;
    let values: Map<string, bigint> | undefined;
    return {
      kind: 'enum',
      name,
      size,
      signed,
      get enumerators() {
        return (values ??= self.enumerators(self.dies.die(offset), signed));
      },
    } satisfies EnumType;
  }

  private enumerators(d: Die, signed: boolean): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const c of this.dies.children(d)) {
      if (c.tag !== DW_TAG.enumerator) continue;
      const name = str(c, DW_AT.name);
      const i = c.attrs.indexOf(DW_AT.const_value);
      if (name === undefined || i < 0) continue;
      out.set(name, enumValue(c.forms[i], c.values[i], signed, () => this.error(c, `enumerator ${name} has a DW_AT_const_value that is not a constant`)));
    }
    return out;
  }

  private array(d: Die): KType {
    const elem = this.target(d);
    const counts: (number | undefined)[] = [];
    for (const c of this.dies.children(d)) {
      if (c.tag === DW_TAG.subrange_type) counts.push(this.subrangeCount(c));
      else if (c.tag === DW_TAG.enumeration_type) counts.push(undefined); // Ada/Pascal index types: no count here
    }
    if (!counts.length) counts.push(undefined);
    // int a[3][4] is one DIE with two subranges: an array of 3 arrays of 4.
    let inner: () => KType = elem;
    let t: ArrayType | undefined;
    for (let i = counts.length - 1; i >= 0; i--) {
      const element = inner;
      t = { kind: 'array', count: counts[i], get element() { return element(); } };
      const made = t;
      inner = () => made;
    }
    return t!;
  }

  private subrangeCount(c: Die): number | undefined {
    const count = constant(c, DW_AT.count);
    if (count !== undefined) return count < 0n ? 0 : Number(count);
    const ub = constant(c, DW_AT.upper_bound);
    if (ub === undefined) return undefined; // flexible array member, or a bound computed at run time
    // Zero-length arrays (`x[0]`): GCC 12 says DW_AT_count 0, older compilers an upper bound of -1,
    // written all ones in a data4/data8 form (a data1 255 is just 256 elements).
    const form = attrForm(c, DW_AT.upper_bound)!;
    const signedUb = (form === DW_FORM.data8 && ub === 0xffffffffffffffffn) || (form === DW_FORM.data4 && ub === 0xffffffffn) ? -1n : ub;
    const lb = constant(c, DW_AT.lower_bound) ?? 0n;
    const n = signedUb - lb + 1n;
    return n < 0n ? 0 : Number(n);
  }

  private error(d: Die, what: string): Error {
    return this.ctx.error(this.ctx.sections.names.info, d.offset, `DIE ${what}`);
  }
}

/** Size in bytes of the storage unit of a bitfield of type t (its declared integer or enum type). */
function storageUnit(t: KType): number {
  const r = resolve(t);
  const n = r.kind === 'base' || r.kind === 'enum' ? r.size : 0;
  return n > 0 ? n : 1;
}

function num(v: AttrValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

/** A constant attribute as a bigint (undefined for references, expressions: bounds computed at run time). */
function constant(d: Die, at: number): bigint | undefined {
  const i = d.attrs.indexOf(at);
  if (i < 0 || !isConstantForm(d.forms[i])) return undefined;
  const v = d.values[i];
  return typeof v === 'bigint' ? v : BigInt(v as number);
}

const FORM_BITS = new Map<number, number>([
  [DW_FORM.data1, 8],
  [DW_FORM.data2, 16],
  [DW_FORM.data4, 32],
  [DW_FORM.data8, 64],
]);

/**
 * An enumerator's value. DW_FORM_dataN constants have no sign of their own: they take the enum's
 * (so -1 stored in data4 of a signed enum is -1, 0xffffffff of an unsigned one is 4294967295).
 */
export function enumValue(form: number, v: AttrValue, signed: boolean, bad: () => Error): bigint {
  if (form === DW_FORM.data16 && Buffer.isBuffer(v)) {
    const lo = v.readBigUInt64LE(0);
    const hi = v.readBigUInt64LE(8);
    const raw = (hi << 64n) | lo;
    return signed ? BigInt.asIntN(128, raw) : raw;
  }
  if (typeof v !== 'number' && typeof v !== 'bigint') throw bad();
  const b = BigInt(v);
  const bits = FORM_BITS.get(form);
  if (bits === undefined) return b; // sdata, implicit_const: signed; udata: unsigned
  return signed ? BigInt.asIntN(bits, b) : BigInt.asUintN(bits, b);
}
