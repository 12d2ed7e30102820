// The maple tree (lib/maple_tree.c, 6.1+): VMAs of an mm live in mm->mm_mt. Read the way the kernel's own
// mt_dump() and crash's do_maple_tree() read it: an encoded node pointer (struct maple_enode *) carries the
// node type in bits 3-6 and the 256-byte-aligned node address in the rest; range nodes hold pivots (inclusive
// upper bounds of their slots) and slots; leaves hold the user's entries. Layouts (slot and pivot counts,
// member offsets) come from the debug info; every walk is bounded.
import { findMember, type KType, resolve, sizeOf, type TypeSource } from '../debuginfo/types.js';
import { hex } from '../io/hex.js';
import { QvError, walkCycle, walkLimit } from '../io/errors.js';

/** What the tree walkers need from a kernel session (Kernel satisfies it; tests pass a synthetic image). */
export interface TreeMemory {
  read(va: bigint, length: number): Buffer;
  structType(name: string): KType;
  readonly types: TypeSource;
}

export interface MapleEntry {
  /** First and last index the entry covers (inclusive, as the maple tree stores ranges). */
  first: bigint;
  last: bigint;
  entry: bigint;
}

interface NodeKind {
  pivotOff: number;
  slotOff: number;
  slots: number;
}

interface MapleLayout {
  rootOff: number;
  nodeSize: number;
  types: { dense: number; leaf64: number; range64: number; arange64: number };
  dense: NodeKind;
  range64: NodeKind;
  arange64: NodeKind;
}

const MAPLE_NODE_MASK = 0xffn; // nodes are 256-byte aligned
const MAPLE_NODE_TYPE_SHIFT = 3n;
const MAPLE_NODE_TYPE_MASK = 0xfn;
const MAPLE_RESERVED_RANGE = 4096n;
const MAPLE_HEIGHT_MAX = 31;
const ULONG_MAX = (1n << 64n) - 1n;
export const MAPLE_DEFAULT_LIMIT = 1_000_000;

const layouts = new WeakMap<object, MapleLayout>();

function arrayInfo(t: KType, struct: string, member: string): { off: number; count: number } {
  const m = findMember(t, member);
  const r = m && resolve(m.type);
  if (!m || !r || r.kind !== 'array' || r.count === undefined) {
    throw new QvError('UNKNOWN_MAPLE_LAYOUT', `struct ${struct} has no fixed-size array "${member}" in this kernel's debug info: cannot read maple tree nodes`);
  }
  return { off: m.offset, count: r.count };
}

function memberOff(t: KType, struct: string, member: string): number {
  const m = findMember(t, member);
  if (!m) throw new QvError('UNKNOWN_MAPLE_LAYOUT', `struct ${struct} has no member "${member}" in this kernel's debug info`);
  return m.offset;
}

function layoutOf(mem: TreeMemory): MapleLayout {
  let l = layouts.get(mem);
  if (l) return l;
  const tree = mem.structType('maple_tree');
  const node = mem.structType('maple_node');
  const r64 = mem.structType('maple_range_64');
  const a64 = mem.structType('maple_arange_64');
  const kind = (t: KType, name: string, base: number): NodeKind => {
    const slot = arrayInfo(t, name, 'slot');
    const piv = arrayInfo(t, name, 'pivot');
    return { pivotOff: base + piv.off, slotOff: base + slot.off, slots: slot.count };
  };
  const denseSlot = arrayInfo(node, 'maple_node', 'slot');
  const en = mem.types.findType('maple_type', 'enum');
  const ev = (name: string, dflt: number): number => {
    const v = en && en.kind === 'enum' ? en.enumerators.get(name) : undefined;
    return v === undefined ? dflt : Number(v);
  };
  l = {
    rootOff: memberOff(tree, 'maple_tree', 'ma_root'),
    nodeSize: sizeOf(node),
    types: { dense: ev('maple_dense', 0), leaf64: ev('maple_leaf_64', 1), range64: ev('maple_range_64', 2), arange64: ev('maple_arange_64', 3) },
    dense: { pivotOff: 0, slotOff: denseSlot.off, slots: denseSlot.count },
    range64: kind(r64, 'maple_range_64', memberOff(node, 'maple_node', 'mr64')),
    arange64: kind(a64, 'maple_arange_64', memberOff(node, 'maple_node', 'ma64')),
  };
  layouts.set(mem, l);
  return l;
}

/** The root pointer of a tree with nodes: xa_is_node (internal '10' bits and above 4096). */
export function isMapleNode(entry: bigint): boolean {
  return (entry & 3n) === 2n && entry > MAPLE_RESERVED_RANGE;
}

/** Internal entries below 4096 (XA_ZERO_ENTRY, retry markers): not user data. */
function isReserved(entry: bigint): boolean {
  return (entry & 3n) === 2n && entry < MAPLE_RESERVED_RANGE;
}

export function mapleNodeType(enode: bigint): number {
  return Number((enode >> MAPLE_NODE_TYPE_SHIFT) & MAPLE_NODE_TYPE_MASK);
}

export function mapleNodeAddr(enode: bigint): bigint {
  return enode & ~MAPLE_NODE_MASK;
}

interface Walk {
  mem: TreeMemory;
  l: MapleLayout;
  what: string;
  tree: bigint;
  limit: number;
  visited: number;
  /** Node addresses walked: a tree shares no nodes, so one reached twice is a cycle. */
  seen: Set<bigint>;
}

function readU64s(b: Buffer, off: number, n: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(b.readBigUInt64LE(off + i * 8));
  return out;
}

function nodeMax(l: MapleLayout, type: number): bigint {
  return type === l.types.dense ? BigInt(l.dense.slots) : ULONG_MAX;
}

function* walkNode(w: Walk, enode: bigint, min: bigint, max: bigint, depth: number): Generator<MapleEntry> {
  if (depth > MAPLE_HEIGHT_MAX) throw walkLimit(`${w.what} (maple tree deeper than ${MAPLE_HEIGHT_MAX})`, w.tree, MAPLE_HEIGHT_MAX);
  if (++w.visited > w.limit) throw walkLimit(w.what, w.tree, w.limit);
  const { l } = w;
  const type = mapleNodeType(enode);
  const addr = mapleNodeAddr(enode);
  if (w.seen.has(addr)) throw walkCycle(w.what, w.tree, addr);
  w.seen.add(addr);
  const buf = w.mem.read(addr, l.nodeSize);
  if (type === l.types.dense) {
    const slots = readU64s(buf, l.dense.slotOff, l.dense.slots);
    for (let i = 0; i < slots.length; i++) {
      if (min + BigInt(i) > max) break;
      if (slots[i] !== 0n && !isReserved(slots[i])) yield { first: min + BigInt(i), last: min + BigInt(i), entry: slots[i] };
    }
    return;
  }
  let kind: NodeKind;
  if (type === l.types.leaf64 || type === l.types.range64) kind = l.range64;
  else if (type === l.types.arange64) kind = l.arange64;
  else throw new QvError('BAD_MAPLE_NODE', `${w.what}: maple node ${hex(enode)} has unknown type ${type} (tree at ${hex(w.tree)}); the tree is corrupt in this dump`);
  const leaf = type < l.types.range64; // ma_is_leaf
  const pivots = readU64s(buf, kind.pivotOff, kind.slots - 1);
  const slots = readU64s(buf, kind.slotOff, kind.slots);
  const isArange = kind === l.arange64;
  let first = min;
  for (let i = 0; i < kind.slots; i++) {
    let last = max;
    if (i < kind.slots - 1) last = pivots[i];
    else if (slots[i] === 0n && (isArange || max !== nodeMax(l, type))) break;
    if (last === 0n && i > 0) break;
    if (leaf) {
      if (slots[i] !== 0n && !isReserved(slots[i])) yield { first, last, entry: slots[i] };
    } else if (slots[i] !== 0n) {
      // Child pointers are encoded nodes (type in bits 3-6, bit 2 set); only the root carries the '10' bits.
      if (slots[i] < MAPLE_RESERVED_RANGE) {
        throw new QvError('BAD_MAPLE_NODE', `${w.what}: slot ${i} of maple node ${hex(addr)} holds ${hex(slots[i])}, not a node pointer (tree at ${hex(w.tree)}); the tree is corrupt in this dump`);
      }
      yield* walkNode(w, slots[i], first, last, depth + 1);
    }
    if (last === max) break;
    if (last > max) {
      throw new QvError('BAD_MAPLE_NODE', `${w.what}: maple node ${hex(addr)} pivot ${i} (${hex(last)}) is above the node's maximum ${hex(max)} (tree at ${hex(w.tree)}); the tree is corrupt in this dump`);
    }
    first = last + 1n;
  }
}

/** Every non-NULL entry of the maple tree at `tree` (a struct maple_tree address), in index order. */
export function* mapleEntries(mem: TreeMemory, tree: bigint, what: string, limit = MAPLE_DEFAULT_LIMIT): Generator<MapleEntry> {
  const l = layoutOf(mem);
  const root = mem.read(tree + BigInt(l.rootOff), 8).readBigUInt64LE(0);
  if (root === 0n) return;
  if (!isMapleNode(root)) {
    // A single entry at index 0 lives in the root pointer itself.
    if (!isReserved(root)) yield { first: 0n, last: 0n, entry: root };
    return;
  }
  const w: Walk = { mem, l, what, tree, limit, visited: 0, seen: new Set() };
  yield* walkNode(w, root, 0n, nodeMax(l, mapleNodeType(root)), 0);
}

/** The entry whose range holds `index` (mtree_load), descending only the path to it. */
export function mapleLoad(mem: TreeMemory, tree: bigint, index: bigint, what: string): MapleEntry | undefined {
  const l = layoutOf(mem);
  let enode = mem.read(tree + BigInt(l.rootOff), 8).readBigUInt64LE(0);
  if (enode === 0n) return undefined;
  if (!isMapleNode(enode)) return index === 0n && !isReserved(enode) ? { first: 0n, last: 0n, entry: enode } : undefined;
  let min = 0n;
  let max = nodeMax(l, mapleNodeType(enode));
  for (let depth = 0; depth <= MAPLE_HEIGHT_MAX; depth++) {
    const type = mapleNodeType(enode);
    const addr = mapleNodeAddr(enode);
    const buf = mem.read(addr, l.nodeSize);
    if (type === l.types.dense) {
      const i = index - min;
      if (i < 0n || i >= BigInt(l.dense.slots)) return undefined;
      const e = buf.readBigUInt64LE(l.dense.slotOff + Number(i) * 8);
      return e === 0n || isReserved(e) ? undefined : { first: index, last: index, entry: e };
    }
    const kind = type === l.types.arange64 ? l.arange64 : type === l.types.range64 || type === l.types.leaf64 ? l.range64 : undefined;
    if (!kind) throw new QvError('BAD_MAPLE_NODE', `${what}: maple node ${hex(enode)} has unknown type ${type} (tree at ${hex(tree)}); the tree is corrupt in this dump`);
    const leaf = type < l.types.range64;
    const pivots = readU64s(buf, kind.pivotOff, kind.slots - 1);
    let first = min;
    let found = -1;
    let last = max;
    for (let i = 0; i < kind.slots; i++) {
      last = i < kind.slots - 1 ? pivots[i] : max;
      if (i > 0 && last === 0n) return undefined; // past the end of the node's data
      if (index <= last) {
        found = i;
        break;
      }
      if (last >= max) return undefined;
      first = last + 1n;
    }
    if (found < 0) return undefined;
    const slot = buf.readBigUInt64LE(kind.slotOff + found * 8);
    if (leaf) return slot === 0n || isReserved(slot) ? undefined : { first, last, entry: slot };
    if (slot < MAPLE_RESERVED_RANGE) return undefined;
    enode = slot;
    min = first;
    max = last;
  }
  throw walkLimit(`${what} (maple tree deeper than ${MAPLE_HEIGHT_MAX})`, tree, MAPLE_HEIGHT_MAX);
}
