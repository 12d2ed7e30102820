// The XArray (include/linux/xarray.h, 4.20+): kvm->vcpu_array (5.17+), the page cache, ... Read as the
// kernel's xa_for_each does: xa_head is either one entry (index 0) or an internal node pointer; a node has
// XA_CHUNK_SIZE slots, each an entry, a deeper node, a sibling marker of a multi-index entry, or a
// retry/zero marker. Slot count and member offsets come from the debug info; the walk is bounded.
import { findMember, resolve } from '../debuginfo/types.js';
import { hex } from '../io/hex.js';
import { QvError, walkCycle, walkLimit } from '../io/errors.js';
import { type TreeMemory } from './maple.js';

export interface XaEntry {
  index: bigint;
  /** The raw slot value. */
  entry: bigint;
  /** 'value': an integer stored with xa_mk_value (entry = value << 1 | 1); 'pointer': anything else. */
  kind: 'pointer' | 'value';
  /** For value entries: xa_to_value(entry). */
  value?: bigint;
  /** Number of indices a multi-index entry covers (1 for an ordinary entry). */
  span: bigint;
}

interface XaLayout {
  headOff: number;
  shiftOff: number;
  nodeOffsetOff: number;
  slotsOff: number;
  slots: number;
  chunkShift: bigint;
}

const layouts = new WeakMap<object, XaLayout>();
const MAX_DEPTH = 16; // 64-bit indices with XA_CHUNK_SHIFT >= 4
export const XA_DEFAULT_LIMIT = 1_000_000;

function layoutOf(mem: TreeMemory): XaLayout {
  let l = layouts.get(mem);
  if (l) return l;
  const xa = mem.structType('xarray');
  const node = mem.structType('xa_node');
  const need = (t: typeof xa, s: string, m: string) => {
    const r = findMember(t, m);
    if (!r) throw new QvError('UNKNOWN_XARRAY_LAYOUT', `struct ${s} has no member "${m}" in this kernel's debug info: cannot read an xarray`);
    return r;
  };
  const slots = need(node, 'xa_node', 'slots');
  const st = resolve(slots.type);
  if (st.kind !== 'array' || !st.count) throw new QvError('UNKNOWN_XARRAY_LAYOUT', "struct xa_node's slots is not a fixed-size array in this kernel's debug info");
  let chunkShift = 0n;
  while (1 << Number(chunkShift) < st.count) chunkShift++;
  l = {
    headOff: need(xa, 'xarray', 'xa_head').offset,
    shiftOff: need(node, 'xa_node', 'shift').offset,
    nodeOffsetOff: need(node, 'xa_node', 'offset').offset,
    slotsOff: slots.offset,
    slots: st.count,
    chunkShift,
  };
  layouts.set(mem, l);
  return l;
}

const isInternal = (e: bigint): boolean => (e & 3n) === 2n;
/** xa_is_node: an internal entry above 4096 is a node pointer (node address | 2). */
export const xaIsNode = (e: bigint): boolean => isInternal(e) && e > 4096n;
/** xa_is_sibling: internal entries 0..(XA_CHUNK_SIZE-1) point at the canonical slot of a multi-index entry. */
const siblingOf = (e: bigint, slots: number): number | undefined => (isInternal(e) && e >> 2n < BigInt(slots) ? Number(e >> 2n) : undefined);

function describe(index: bigint, e: bigint, span: bigint): XaEntry {
  return (e & 1n) === 1n ? { index, entry: e, kind: 'value', value: e >> 1n, span } : { index, entry: e, kind: 'pointer', span };
}

/** Every present entry of the xarray at `xa` (a struct xarray address), in index order. */
export function* xaEntries(mem: TreeMemory, xa: bigint, what: string, limit = XA_DEFAULT_LIMIT): Generator<XaEntry> {
  const l = layoutOf(mem);
  const head = mem.read(xa + BigInt(l.headOff), 8).readBigUInt64LE(0);
  if (head === 0n) return;
  if (!xaIsNode(head)) {
    if (!isInternal(head)) yield describe(0n, head, 1n);
    return;
  }
  let seen = 0;
  const nodes = new Set<bigint>(); // an xarray shares no nodes: one reached twice is a cycle
  function* node(enode: bigint, base: bigint, depth: number, expectShift: bigint | undefined): Generator<XaEntry> {
    if (depth > MAX_DEPTH) throw walkLimit(`${what} (xarray deeper than ${MAX_DEPTH})`, xa, MAX_DEPTH);
    if (++seen > limit) throw walkLimit(what, xa, limit);
    const addr = enode - 2n;
    const buf = mem.read(addr, l.slotsOff + l.slots * 8);
    const shift = BigInt(buf[l.shiftOff]);
    if ((expectShift !== undefined && shift !== expectShift) || shift > 64n || shift % l.chunkShift !== 0n) {
      throw new QvError('BAD_XARRAY_NODE', `${what}: xa_node ${hex(addr)} has shift ${shift}${expectShift !== undefined ? `, its parent expects ${expectShift}` : ''} (xarray at ${hex(xa)}); the xarray is corrupt in this dump`);
    }
    // After the shift check (which names a cycle back to an ancestor precisely): a node reached twice otherwise.
    if (nodes.has(addr)) throw walkCycle(what, xa, addr);
    nodes.add(addr);
    const slots: bigint[] = [];
    for (let i = 0; i < l.slots; i++) slots.push(buf.readBigUInt64LE(l.slotsOff + i * 8));
    for (let i = 0; i < l.slots; i++) {
      const e = slots[i];
      if (e === 0n) continue;
      const index = base + (BigInt(i) << shift);
      if (xaIsNode(e)) {
        if (shift === 0n) throw new QvError('BAD_XARRAY_NODE', `${what}: leaf xa_node ${hex(addr)} slot ${i} points at another node (xarray at ${hex(xa)}); the xarray is corrupt in this dump`);
        yield* node(e, index, depth + 1, shift - l.chunkShift);
        continue;
      }
      if (siblingOf(e, l.slots) !== undefined) continue; // counted with its canonical slot
      if (isInternal(e)) continue; // retry / zero entries: no data
      let n = 1;
      while (i + n < l.slots && siblingOf(slots[i + n], l.slots) === i) n++;
      yield describe(index, e, BigInt(n) << shift);
    }
  }
  yield* node(head, 0n, 0, undefined);
}
