// A tiny synthetic kernel memory image with hand-written struct layouts, for unit tests of the tree walkers
// (maple tree, xarray) without a dump. Layouts follow the x86_64 kernel headers; they are the test's input.
import { type KType, type Member, type NamedKind, type TypeSource } from '../../src/debuginfo/types.js';
import { type TreeMemory } from '../../src/kernel/maple.js';

export const U8: KType = { kind: 'base', name: 'unsigned char', size: 1, signed: false };
export const U32: KType = { kind: 'base', name: 'unsigned int', size: 4, signed: false };
export const U64: KType = { kind: 'base', name: 'unsigned long', size: 8, signed: false };
export const PTR: KType = { kind: 'pointer', size: 8, target: { kind: 'void' } };
export const arr = (element: KType, count?: number): KType => ({ kind: 'array', element, count });
export const m = (name: string | undefined, offset: number, type: KType): Member => ({ name, offset, type });
export const struct = (name: string | undefined, size: number, members: Member[]): KType => ({ kind: 'struct', name, size, members });
export const union = (name: string | undefined, size: number, members: Member[]): KType => ({ kind: 'union', name, size, members });

export class SyntheticTypes implements TypeSource {
  readonly description = 'synthetic test types';
  constructor(
    private types: Map<string, KType>,
    private enums: Map<string, KType> = new Map(),
  ) {}
  findType(name: string, kind: NamedKind): KType | undefined {
    return kind === 'enum' ? this.enums.get(name) : this.types.get(name);
  }
}

/** Sparse byte-addressed memory: 4 KiB pages created on write; reading an unwritten page throws. */
export class SyntheticMemory implements TreeMemory {
  private pages = new Map<bigint, Buffer>();
  reads = 0;
  constructor(readonly types: SyntheticTypes) {}
  structType(name: string): KType {
    const t = this.types.findType(name, 'struct');
    if (!t) throw new Error(`no synthetic struct ${name}`);
    return t;
  }
  private page(addr: bigint, create: boolean): Buffer {
    const base = addr & ~0xfffn;
    let p = this.pages.get(base);
    if (!p) {
      if (!create) throw new Error(`synthetic memory: nothing at 0x${addr.toString(16)}`);
      p = Buffer.alloc(4096);
      this.pages.set(base, p);
    }
    return p;
  }
  read(va: bigint, length: number): Buffer {
    this.reads++;
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.page(va + BigInt(i), false)[Number((va + BigInt(i)) & 0xfffn)];
    return out;
  }
  write(va: bigint, data: Buffer): void {
    for (let i = 0; i < data.length; i++) this.page(va + BigInt(i), true)[Number((va + BigInt(i)) & 0xfffn)] = data[i];
  }
  u64(va: bigint, v: bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    this.write(va, b);
  }
  u8(va: bigint, v: number): void {
    this.write(va, Buffer.from([v]));
  }
}

/** include/linux/maple_tree.h, 64-bit: 256-byte nodes, 16 range slots, 10 allocation-range slots. */
export function mapleTypes(): SyntheticTypes {
  const r64 = struct('maple_range_64', 256, [m('parent', 0, PTR), m('pivot', 8, arr(U64, 15)), m(undefined, 128, union(undefined, 128, [m('slot', 0, arr(PTR, 16))]))]);
  const a64 = struct('maple_arange_64', 248, [m('parent', 0, PTR), m('pivot', 8, arr(U64, 9)), m('slot', 80, arr(PTR, 10)), m('gap', 160, arr(U64, 10))]);
  const node = struct('maple_node', 256, [
    m(undefined, 0, union(undefined, 256, [m(undefined, 0, struct(undefined, 256, [m('parent', 0, PTR), m('slot', 8, arr(PTR, 31))])), m('mr64', 0, r64), m('ma64', 0, a64)])),
  ]);
  const tree = struct('maple_tree', 24, [m(undefined, 0, union(undefined, 4, [m('ma_lock', 0, U32)])), m('ma_root', 8, PTR), m('ma_flags', 16, U32)]);
  const maple_type: KType = {
    kind: 'enum',
    name: 'maple_type',
    size: 4,
    signed: false,
    enumerators: new Map([
      ['maple_dense', 0n],
      ['maple_leaf_64', 1n],
      ['maple_range_64', 2n],
      ['maple_arange_64', 3n],
    ]),
  };
  return new SyntheticTypes(
    new Map([
      ['maple_range_64', r64],
      ['maple_arange_64', a64],
      ['maple_node', node],
      ['maple_tree', tree],
    ]),
    new Map([['maple_type', maple_type]]),
  );
}

/** include/linux/xarray.h with XA_CHUNK_SHIFT 6 (64 slots). */
export function xarrayTypes(): SyntheticTypes {
  const node = struct('xa_node', 576, [
    m('shift', 0, U8),
    m('offset', 1, U8),
    m('count', 2, U8),
    m('nr_values', 3, U8),
    m('parent', 8, PTR),
    m('array', 16, PTR),
    m('slots', 40, arr(PTR, 64)),
  ]);
  const xa = struct('xarray', 16, [m('xa_lock', 0, U32), m('xa_flags', 4, U32), m('xa_head', 8, PTR)]);
  return new SyntheticTypes(
    new Map([
      ['xa_node', node],
      ['xarray', xa],
    ]),
  );
}
