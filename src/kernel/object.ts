// Typed views of kernel memory, in the spirit of drgn's Object: an address plus a type, with member
// access through anonymous structs, pointer dereference, array indexing and container_of.
import { findMember, type KType, resolve, sizeOf, typeName } from '../debuginfo/types.js';
import { QvError } from '../io/errors.js';

/** What an object needs from the kernel session: reading kernel virtual memory and looking up types. */
export interface Memory {
  read(va: bigint, length: number): Buffer;
  structType(name: string): KType;
}

export class KObject {
  constructor(
    readonly mem: Memory,
    readonly type: KType,
    readonly addr: bigint,
    /** The C-like expression this object came from, for error messages ("kvm->memslots[1]"). */
    readonly path = typeName(type),
  ) {}

  get size(): number {
    return sizeOf(this.type);
  }

  /** Member access; `a.b.c` paths are allowed. Throws naming the struct when the member does not exist. */
  member(path: string): KObject {
    let cur: KObject = this;
    for (const name of path.split('.')) {
      const m = findMember(cur.type, name);
      if (!m) {
        throw new QvError('NO_SUCH_MEMBER', `${typeName(resolve(cur.type))} has no member "${name}" in this kernel's debug info (reading ${cur.path})`, {
          type: typeName(resolve(cur.type)),
          member: name,
        });
      }
      cur = new KObject(cur.mem, m.type, cur.addr + BigInt(m.offset), `${cur.path}.${name}`);
      if (m.bitSize !== undefined) cur = new BitfieldObject(cur, m.bitOffset ?? 0, m.bitSize);
    }
    return cur;
  }

  has(path: string): boolean {
    let t = this.type;
    for (const name of path.split('.')) {
      const m = findMember(t, name);
      if (!m) return false;
      t = m.type;
    }
    return true;
  }

  /** The unsigned integer value (base types, enums, pointers). */
  value(): bigint {
    const r = resolve(this.type);
    const size = this.size;
    if (!(r.kind === 'base' || r.kind === 'enum' || r.kind === 'pointer')) {
      throw new QvError('NOT_SCALAR', `${this.path} is a ${typeName(r)}, not a number or pointer`);
    }
    return readUnsigned(this.mem.read(this.addr, size), size);
  }

  /** The value as a signed number where the type is signed (pids, ids). */
  signed(): bigint {
    const r = resolve(this.type);
    const v = this.value();
    const signed = (r.kind === 'base' || r.kind === 'enum') && r.signed;
    return signed ? BigInt.asIntN(this.size * 8, v) : v;
  }

  num(): number {
    return Number(this.signed());
  }

  /** Dereferences a pointer. */
  deref(): KObject {
    const r = resolve(this.type);
    if (r.kind !== 'pointer') throw new QvError('NOT_POINTER', `${this.path} is a ${typeName(r)}, not a pointer`);
    const p = this.value();
    if (p === 0n) throw new QvError('NULL_POINTER', `${this.path} is NULL`);
    return new KObject(this.mem, r.target, p, `(*${this.path})`);
  }

  /** Element i of an array (or of the memory a pointer points to). */
  at(i: number): KObject {
    const r = resolve(this.type);
    if (r.kind === 'array') {
      if (r.count !== undefined && (i < 0 || i >= r.count)) {
        throw new QvError('INDEX_RANGE', `${this.path}[${i}]: index outside 0..${r.count - 1}`);
      }
      return new KObject(this.mem, r.element, this.addr + BigInt(i * sizeOf(r.element)), `${this.path}[${i}]`);
    }
    if (r.kind === 'pointer') {
      return new KObject(this.mem, r.target, this.value() + BigInt(i * sizeOf(r.target)), `${this.path}[${i}]`);
    }
    throw new QvError('NOT_ARRAY', `${this.path} is a ${typeName(r)}, not an array or pointer`);
  }

  /** Number of elements of an array type (undefined for a flexible array). */
  get length(): number | undefined {
    const r = resolve(this.type);
    return r.kind === 'array' ? r.count : undefined;
  }

  /** Reinterprets the memory at this address as `struct name`. */
  as(structName: string): KObject {
    return new KObject(this.mem, this.mem.structType(structName), this.addr, `(struct ${structName} *)${this.path}`);
  }

  /** NUL-terminated string in a char array, or pointed to by a char pointer. */
  string(max = 256): string {
    const r = resolve(this.type);
    const addr = r.kind === 'pointer' ? this.value() : this.addr;
    const len = r.kind === 'array' && r.count !== undefined ? Math.min(r.count, max) : max;
    return cstringAt(this.mem, addr, len);
  }

  bytes(): Buffer {
    return this.mem.read(this.addr, this.size);
  }
}

/** A bitfield member: value() extracts its bits. */
class BitfieldObject extends KObject {
  constructor(
    inner: KObject,
    readonly bitOffset: number,
    readonly bitSize: number,
  ) {
    super(inner.mem, inner.type, inner.addr, inner.path);
  }
  override value(): bigint {
    const nbytes = Math.ceil((this.bitOffset + this.bitSize) / 8);
    const raw = readUnsigned(this.mem.read(this.addr, nbytes), nbytes);
    return (raw >> BigInt(this.bitOffset)) & ((1n << BigInt(this.bitSize)) - 1n);
  }
  override signed(): bigint {
    const r = resolve(this.type);
    const v = this.value();
    return (r.kind === 'base' || r.kind === 'enum') && r.signed ? BigInt.asIntN(this.bitSize, v) : v;
  }
}

export function readUnsigned(b: Buffer, size: number): bigint {
  switch (size) {
    case 1:
      return BigInt(b[0]);
    case 2:
      return BigInt(b.readUInt16LE(0));
    case 4:
      return BigInt(b.readUInt32LE(0));
    case 8:
      return b.readBigUInt64LE(0);
    default: {
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
      return v;
    }
  }
}

/** Reads a C string without crossing into pages it does not need (reads grow page by page). */
export function cstringAt(mem: Memory, addr: bigint, max: number): string {
  let out = '';
  let a = addr;
  while (out.length < max) {
    const n = Math.min(max - out.length, Number(0x1000n - (a & 0xfffn)));
    const b = mem.read(a, n);
    const z = b.indexOf(0);
    if (z >= 0) return out + b.toString('latin1', 0, z);
    out += b.toString('latin1');
    a += BigInt(n);
  }
  return out;
}
