// Writes raw BTF for tests, byte by byte after include/uapi/linux/btf.h (independent of src/): a 24-byte
// btf_header, then the type records, then the string section. Type ids are 1-based in the order added
// (continuing the base's ids for split BTF).

export const BTF_KIND = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10 } as const;

export interface BtfMemberSpec {
  name: string;
  type: number;
  bitOffset: number;
  bitSize?: number; // with kind_flag
}

export class BtfBuilder {
  private types: Buffer[] = [];
  private strs: Buffer[] = [Buffer.from([0])];
  private strLen = 1;
  private strIndex = new Map<string, number>([['', 0]]);
  /** `firstId`/`strBase`: for split BTF, the base's type count + 1 and string section size. */
  constructor(
    private readonly firstId = 1,
    private readonly strBase = 0,
  ) {
    if (strBase) {
      // Split BTF's string section starts with its own NUL too.
      this.strIndex = new Map([['', 0]]);
    }
  }

  str(s: string): number {
    const hit = this.strIndex.get(s);
    if (hit !== undefined) return s === '' ? 0 : hit;
    const off = this.strBase + this.strLen;
    const b = Buffer.from(s + '\0', 'latin1');
    this.strs.push(b);
    this.strLen += b.length;
    this.strIndex.set(s, off);
    return off;
  }

  /** Appends a raw record (header + extra); returns its type id. */
  raw(name: string, kind: number, vlen: number, sizeOrType: number, extra: Buffer = Buffer.alloc(0), kflag = false): number {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(this.str(name), 0);
    h.writeUInt32LE(((kflag ? 1 : 0) << 31) | (kind << 24) | vlen, 4);
    h.writeUInt32LE(sizeOrType >>> 0, 8);
    this.types.push(Buffer.concat([h, extra]));
    return this.firstId + this.types.length - 1;
  }

  int(name: string, size: number, signed = false): number {
    const e = Buffer.alloc(4);
    e.writeUInt32LE(((signed ? 1 : 0) << 24) | (size * 8), 0); // encoding << 24 | bits
    return this.raw(name, BTF_KIND.INT, 0, size, e);
  }
  ptr(target: number): number {
    return this.raw('', BTF_KIND.PTR, 0, target);
  }
  qualifier(kind: number, target: number): number {
    return this.raw('', kind, 0, target);
  }
  typedef(name: string, target: number): number {
    return this.raw(name, BTF_KIND.TYPEDEF, 0, target);
  }
  array(elem: number, index: number, n: number): number {
    const e = Buffer.alloc(12);
    e.writeUInt32LE(elem, 0);
    e.writeUInt32LE(index, 4);
    e.writeUInt32LE(n, 8);
    return this.raw('', BTF_KIND.ARRAY, 0, 0, e);
  }
  struct(name: string, size: number, members: BtfMemberSpec[], union = false): number {
    const kflag = members.some((m) => m.bitSize);
    const e = Buffer.alloc(12 * members.length);
    members.forEach((m, i) => {
      e.writeUInt32LE(this.str(m.name), i * 12);
      e.writeUInt32LE(m.type, i * 12 + 4);
      e.writeUInt32LE(kflag ? (((m.bitSize ?? 0) << 24) | m.bitOffset) >>> 0 : m.bitOffset, i * 12 + 8);
    });
    return this.raw(name, union ? BTF_KIND.UNION : BTF_KIND.STRUCT, members.length, size, e, kflag);
  }
  enum(name: string, size: number, values: [string, number][]): number {
    const e = Buffer.alloc(8 * values.length);
    values.forEach(([n, v], i) => {
      e.writeUInt32LE(this.str(n), i * 8);
      e.writeInt32LE(v, i * 8 + 4);
    });
    return this.raw(name, BTF_KIND.ENUM, values.length, size, e);
  }

  /** Sets a type id's sizeOrType after the fact (to build cycles). */
  patchTarget(id: number, target: number): void {
    this.types[id - this.firstId].writeUInt32LE(target, 8);
  }

  build(): Buffer {
    const types = Buffer.concat(this.types);
    const strs = Buffer.concat(this.strs);
    const h = Buffer.alloc(24);
    h.writeUInt16LE(0xeb9f, 0);
    h[2] = 1; // version
    h.writeUInt32LE(24, 4); // hdr_len
    h.writeUInt32LE(0, 8); // type_off
    h.writeUInt32LE(types.length, 12);
    h.writeUInt32LE(types.length, 16); // str_off
    h.writeUInt32LE(strs.length, 20);
    return Buffer.concat([h, types, strs]);
  }

  get count(): number {
    return this.types.length;
  }
  get stringBytes(): number {
    return this.strLen;
  }
}
