// BTF (the kernel's compact type format, include/uapi/linux/btf.h) as a TypeSource. Works on vmlinux's
// .BTF section, /sys/kernel/btf/* files and BTF copied out of a dump's memory; module BTF is "split" BTF
// whose type ids and string offsets continue those of the vmlinux base.
import { QvError } from '../../io/errors.js';
import {
  type ArrayType,
  type BaseType,
  type EnumType,
  type KType,
  type Member,
  type NamedKind,
  type PointerType,
  type StructType,
  type TypedefType,
  type TypeSource,
  VOID,
  resolve,
} from '../types.js';

const BTF_MAGIC = 0xeb9f;

/** Bytes of kind-specific data after the 12-byte btf_type header: fixed part, and per vlen entry. */
const KIND_EXTRA: Record<number, { name: string; fixed: number; perVlen: number }> = {
  1: { name: 'INT', fixed: 4, perVlen: 0 },
  2: { name: 'PTR', fixed: 0, perVlen: 0 },
  3: { name: 'ARRAY', fixed: 12, perVlen: 0 },
  4: { name: 'STRUCT', fixed: 0, perVlen: 12 },
  5: { name: 'UNION', fixed: 0, perVlen: 12 },
  6: { name: 'ENUM', fixed: 0, perVlen: 8 },
  7: { name: 'FWD', fixed: 0, perVlen: 0 },
  8: { name: 'TYPEDEF', fixed: 0, perVlen: 0 },
  9: { name: 'VOLATILE', fixed: 0, perVlen: 0 },
  10: { name: 'CONST', fixed: 0, perVlen: 0 },
  11: { name: 'RESTRICT', fixed: 0, perVlen: 0 },
  12: { name: 'FUNC', fixed: 0, perVlen: 0 },
  13: { name: 'FUNC_PROTO', fixed: 0, perVlen: 8 },
  14: { name: 'VAR', fixed: 4, perVlen: 0 },
  15: { name: 'DATASEC', fixed: 0, perVlen: 12 },
  16: { name: 'FLOAT', fixed: 0, perVlen: 0 },
  17: { name: 'DECL_TAG', fixed: 4, perVlen: 0 },
  18: { name: 'TYPE_TAG', fixed: 0, perVlen: 0 },
  19: { name: 'ENUM64', fixed: 0, perVlen: 12 },
};
const K = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, FLOAT: 16, TYPE_TAG: 18, ENUM64: 19 };
/** Qualifiers and tags that the type model looks through. */
const TRANSPARENT = new Set([K.VOLATILE, K.CONST, K.RESTRICT, K.TYPE_TAG]);
/** Longest chain of qualifiers looked through before the BTF is called cyclic. */
const MAX_QUALIFIERS = 32;

export class BtfError extends QvError {
  constructor(where: string, what: string) {
    super('BTF_FORMAT', `${where}: ${what}`, { where });
    this.name = 'BtfError';
  }
}

export class BtfTypeSource implements TypeSource {
  private types: Buffer;
  private strs: Buffer;
  /** Byte offset of each type record in `types`, indexed by (id - firstId). */
  private offsets: number[] = [];
  private firstId: number;
  private firstStr: number;
  private cache = new Map<number, KType>();
  private names?: Map<string, number>;
  private enumerators?: Map<string, bigint>;

  constructor(
    data: Buffer,
    readonly description: string,
    readonly base?: BtfTypeSource,
  ) {
    if (data.length < 24 || data.readUInt16LE(0) !== BTF_MAGIC) {
      throw new BtfError(description, `no BTF magic 0xeb9f at the start (got ${data.length >= 2 ? '0x' + data.readUInt16LE(0).toString(16) : 'too short'})`);
    }
    const hdrLen = data.readUInt32LE(4);
    const typeOff = data.readUInt32LE(8);
    const typeLen = data.readUInt32LE(12);
    const strOff = data.readUInt32LE(16);
    const strLen = data.readUInt32LE(20);
    if (hdrLen + Math.max(typeOff + typeLen, strOff + strLen) > data.length) {
      throw new BtfError(description, `header says ${hdrLen + strOff + strLen} bytes, have ${data.length}: BTF truncated`);
    }
    this.types = data.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen);
    this.strs = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
    this.firstId = base ? base.firstId + base.offsets.length : 1;
    this.firstStr = base ? base.firstStr + base.strs.length : 0;
    for (let o = 0; o < this.types.length; ) {
      if (o + 12 > this.types.length) {
        throw new BtfError(description, `type id ${this.firstId + this.offsets.length}: its 12-byte header at type section offset 0x${o.toString(16)} runs past the type section (0x${this.types.length.toString(16)} bytes): BTF truncated`);
      }
      this.offsets.push(o);
      const info = this.types.readUInt32LE(o + 4);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const extra = KIND_EXTRA[kind];
      if (!extra) {
        throw new BtfError(description, `type id ${this.firstId + this.offsets.length - 1} has unknown BTF kind ${kind}; its data cannot be skipped, so the rest of this BTF cannot be read (a newer kernel? use DWARF with --types dwarf)`);
      }
      o += 12 + extra.fixed + extra.perVlen * vlen;
      if (o > this.types.length) {
        throw new BtfError(description, `type id ${this.firstId + this.offsets.length - 1} (${extra.name}, vlen ${vlen}) runs past the type section (0x${this.types.length.toString(16)} bytes): BTF truncated or corrupt`);
      }
    }
  }

  get typeCount(): number {
    return this.offsets.length;
  }

  private str(off: number): string {
    if (off < this.firstStr) return this.base!.str(off); // firstStr > 0 only with a base
    const o = off - this.firstStr;
    if (o >= this.strs.length) throw new BtfError(this.description, `string offset 0x${off.toString(16)} is past the string section (0x${(this.firstStr + this.strs.length).toString(16)}): BTF corrupt`);
    const end = this.strs.indexOf(0, o);
    return this.strs.toString('latin1', o, end < 0 ? this.strs.length : end);
  }

  private rec(id: number): { o: number; kind: number; vlen: number; kflag: boolean; name: string; sizeOrType: number } {
    const o = this.offsets[id - this.firstId];
    if (o === undefined) throw new BtfError(this.description, `type id ${id} out of range`);
    const info = this.types.readUInt32LE(o + 4);
    return {
      o,
      kind: (info >>> 24) & 0x1f,
      vlen: info & 0xffff,
      kflag: (info & 0x80000000) !== 0,
      name: this.str(this.types.readUInt32LE(o)),
      sizeOrType: this.types.readUInt32LE(o + 8),
    };
  }

  /** The KType of a type id (memoized; member types resolve lazily). */
  type(id: number): KType {
    if (id === 0) return VOID;
    if (id < this.firstId) return this.base!.type(id); // firstId > 1 only with a base
    const hit = this.cache.get(id);
    if (hit) return hit;
    // Qualifiers (const, volatile, ...) are looked through here in a bounded loop, not by recursion: a
    // corrupt BTF can chain them into a cycle. Real chains are a few long (const volatile restrict tag).
    let cur = id;
    let r = this.rec(cur);
    for (let hops = 0; TRANSPARENT.has(r.kind); hops++) {
      if (hops >= MAX_QUALIFIERS) {
        throw new BtfError(this.description, `type id ${id}: more than ${MAX_QUALIFIERS} chained qualifiers (const/volatile/restrict/type_tag); the BTF has a cycle`);
      }
      cur = r.sizeOrType;
      if (cur === 0) return VOID;
      if (cur < this.firstId) return this.base!.type(cur);
      const hit2 = this.cache.get(cur);
      if (hit2) return hit2;
      r = this.rec(cur);
    }
    const t = this.build(cur, r);
    this.cache.set(id, t);
    this.cache.set(cur, t);
    return t;
  }

  private build(id: number, r: ReturnType<BtfTypeSource['rec']>): KType {
    const b = this.types;
    const self = this;
    switch (r.kind) {
      case K.INT: {
        const enc = b.readUInt32LE(r.o + 12) >>> 24;
        return { kind: 'base', name: r.name, size: r.sizeOrType, signed: (enc & 1) !== 0, bool: (enc & 4) !== 0 } satisfies BaseType;
      }
      case K.FLOAT:
        return { kind: 'base', name: r.name, size: r.sizeOrType, signed: true } satisfies BaseType;
      case K.PTR:
        return { kind: 'pointer', size: 8, get target() { return self.type(r.sizeOrType); } } satisfies PointerType;
      case K.ARRAY: {
        const elem = b.readUInt32LE(r.o + 12);
        const n = b.readUInt32LE(r.o + 20);
        // BTF cannot tell `x[0]` from `x[]`: both are nelems 0, and both mean "no fixed bound" to a reader.
        return { kind: 'array', get element() { return self.type(elem); }, count: n === 0 ? undefined : n } satisfies ArrayType;
      }
      case K.STRUCT:
      case K.UNION: {
        let members: Member[] | undefined;
        const t: StructType = {
          kind: r.kind === K.STRUCT ? 'struct' : 'union',
          name: r.name || undefined,
          size: r.sizeOrType,
          get members() {
            return (members ??= self.members(r));
          },
        };
        return t;
      }
      case K.ENUM:
      case K.ENUM64: {
        const en = new Map<string, bigint>();
        const signed = r.kflag;
        for (let i = 0; i < r.vlen; i++) {
          if (r.kind === K.ENUM) {
            const o = r.o + 12 + i * 8;
            en.set(this.str(b.readUInt32LE(o)), signed ? BigInt(b.readInt32LE(o + 4)) : BigInt(b.readUInt32LE(o + 4)));
          } else {
            const o = r.o + 12 + i * 12;
            const v = (BigInt(b.readUInt32LE(o + 8)) << 32n) | BigInt(b.readUInt32LE(o + 4));
            en.set(this.str(b.readUInt32LE(o)), signed ? BigInt.asIntN(64, v) : v);
          }
        }
        return { kind: 'enum', name: r.name || undefined, size: r.sizeOrType, signed, enumerators: en } satisfies EnumType;
      }
      case K.FWD:
        return { kind: r.kflag ? 'union' : 'struct', name: r.name, size: 0, members: [], declaration: true };
      case K.TYPEDEF:
        return { kind: 'typedef', name: r.name, get target() { return self.type(r.sizeOrType); } } satisfies TypedefType;
      case K.FUNC:
      case K.FUNC_PROTO:
        return { kind: 'function' };
      default:
        throw new BtfError(this.description, `type id ${id}: kind ${KIND_EXTRA[r.kind]?.name ?? r.kind} is not a data type`);
    }
  }

  private members(r: ReturnType<BtfTypeSource['rec']>): Member[] {
    const out: Member[] = [];
    const self = this;
    for (let i = 0; i < r.vlen; i++) {
      const o = r.o + 12 + i * 12;
      const name = this.str(this.types.readUInt32LE(o));
      const tid = this.types.readUInt32LE(o + 4);
      const off = this.types.readUInt32LE(o + 8);
      // kind_flag: offset = bitfield_size << 24 | bit_offset; otherwise a plain bit offset.
      const bitSize = r.kflag ? off >>> 24 : 0;
      const bitOff = r.kflag ? off & 0xffffff : off;
      const m: Member = {
        name: name || undefined,
        offset: Math.floor(bitOff / 8),
        get type() {
          return self.type(tid);
        },
      };
      if (bitSize) {
        // Against the storage unit of its declared type that holds its first bit, as the DWARF reader and
        // pahole report a bitfield (the type model's convention), not against the byte of that bit.
        const unit = storageUnit(m.type);
        m.offset = Math.floor(bitOff / (unit * 8)) * unit;
        m.bitOffset = bitOff - m.offset * 8;
        m.bitSize = bitSize;
      } else if (bitOff % 8) {
        throw new BtfError(this.description, `member ${name} of ${r.name}: bit offset ${bitOff} without a bitfield size`);
      }
      out.push(m);
    }
    return out;
  }

  private nameIndex(): Map<string, number> {
    if (this.names) return this.names;
    const m = new Map<string, number>();
    for (let i = 0; i < this.offsets.length; i++) {
      const id = this.firstId + i;
      const o = this.offsets[i];
      const info = this.types.readUInt32LE(o + 4);
      const kind = (info >>> 24) & 0x1f;
      const nk = KIND_TO_NAMED[kind];
      if (!nk) continue;
      const nameOff = this.types.readUInt32LE(o);
      if (nameOff === 0) continue;
      const key = `${nk}:${this.str(nameOff)}`;
      if (!m.has(key)) m.set(key, id);
    }
    return (this.names = m);
  }

  findType(name: string, kind: NamedKind): KType | undefined {
    const id = this.nameIndex().get(`${kind}:${name}`);
    return id === undefined ? undefined : this.type(id);
  }

  findEnumerator(name: string): bigint | undefined {
    // One pass over the enums builds an index (first definition wins, as the scan it replaces did): callers
    // ask for many constants, and a scan per name decoded every enum of vmlinux again each time.
    if (!this.enumerators) {
      const m = new Map<string, bigint>();
      for (let i = 0; i < this.offsets.length; i++) {
        const info = this.types.readUInt32LE(this.offsets[i] + 4);
        const kind = (info >>> 24) & 0x1f;
        if (kind !== K.ENUM && kind !== K.ENUM64) continue;
        const t = this.type(this.firstId + i) as EnumType;
        for (const [k, v] of t.enumerators) if (!m.has(k)) m.set(k, v);
      }
      this.enumerators = m;
    }
    const v = this.enumerators.get(name);
    return v !== undefined ? v : this.base?.findEnumerator(name);
  }
}

/** Bytes of a bitfield's declared integer (or enum) type; 1 for anything else. */
function storageUnit(t: KType): number {
  const r = resolve(t);
  const n = r.kind === 'base' || r.kind === 'enum' ? r.size : 0;
  return n > 0 ? n : 1;
}

const KIND_TO_NAMED: Record<number, NamedKind> = { 1: 'base', 4: 'struct', 5: 'union', 6: 'enum', 8: 'typedef', 16: 'base', 19: 'enum' };
