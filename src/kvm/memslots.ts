// Memslots of a struct kvm, for every kernel era, chosen by probing the types (never the version).
import { constant, type ConstantName } from '../debuginfo/constants.js';
import { hex } from '../io/hex.js';
import { sizeOf, resolve } from '../debuginfo/types.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { KObject } from '../kernel/object.js';
import { memberOffset, rbInorder } from '../kernel/walkers.js';

export interface Memslot {
  addr: bigint; // struct kvm_memory_slot
  id: number;
  asId: number;
  baseGfn: bigint;
  npages: bigint;
  userspaceAddr: bigint;
  flags: number;
  dirtyBitmap: bigint;
}

export interface AddressSpace {
  asId: number;
  memslots: bigint; // struct kvm_memslots
  /** The set's generation: absent before ≈2.6.38 (struct kvm_memslots had no such member). */
  generation?: bigint;
  /** Index into each slot's *_node[2] arrays for this set (5.17+). */
  nodeIdx?: number;
  slots: Memslot[];
  /** True when KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS was set: the dump caught a memslot update midway. */
  updateInProgress: boolean;
}

const GEN_UPDATE_IN_PROGRESS = constant('KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS');
const MAX_SLOTS = 32768; // KVM_MEM_SLOTS_NUM is at most SHRT_MAX

/** A reader for one era: `matches` probes the types, `slots` enumerates one kvm_memslots. */
interface EraReader {
  name: string;
  matches(k: Kernel): boolean;
  slots(k: Kernel, set: KObject, asId: number): { slots: Memslot[]; nodeIdx?: number };
}

function slotRecord(slot: KObject, asId: number): Memslot {
  return {
    addr: slot.addr,
    id: slot.has('id') ? slot.member('id').num() : -1,
    asId: slot.has('as_id') ? slot.member('as_id').num() : asId,
    baseGfn: slot.member('base_gfn').value(),
    npages: slot.member('npages').value(),
    userspaceAddr: slot.member('userspace_addr').value(),
    flags: Number(slot.member('flags').value()),
    dirtyBitmap: slot.member('dirty_bitmap').value(),
  };
}

const ERAS: EraReader[] = [
  {
    // 5.17+: slots live in rb-trees; each slot is linked into both sets of its address space at once,
    // through gfn_node[node_idx], so the set's node_idx picks the right rb_node.
    name: 'rb-tree (5.17+: gfn_tree, node_idx)',
    matches: (k) => k.obj('kvm_memslots', 0n).has('gfn_tree'),
    slots(k, set, asId) {
      const nodeIdx = set.member('node_idx').num();
      const gfnNode = k.structType('kvm_memory_slot');
      const nodeArr = k.obj('kvm_memory_slot', 0n).member('gfn_node');
      const elem = resolve(nodeArr.type);
      const nodeSize = elem.kind === 'array' ? BigInt(sizeOf(elem.element)) : 0n;
      const nodeOff = memberOffset(k, 'kvm_memory_slot', 'gfn_node') + BigInt(nodeIdx) * nodeSize;
      const root = set.member('gfn_tree.rb_node').value();
      const slots: Memslot[] = [];
      for (const node of rbInorder(k, root, `kvm_memslots ${hex(set.addr)} gfn_tree`, MAX_SLOTS)) {
        slots.push(slotRecord(new KObject(k, gfnNode, node - nodeOff, `kvm_memory_slot ${hex(node - nodeOff)}`), asId));
      }
      return { slots, nodeIdx };
    },
  },
  {
    // 3.19–5.16: a sorted array, used_slots entries valid; fixed-size before 5.7, flexible after.
    name: 'array with used_slots (3.19–5.16)',
    matches: (k) => k.obj('kvm_memslots', 0n).has('used_slots'),
    slots(k, set, asId) {
      const used = Math.min(set.member('used_slots').num(), MAX_SLOTS);
      const arr = set.member('memslots');
      const slots: Memslot[] = [];
      for (let i = 0; i < used; i++) slots.push(slotRecord(arr.at(i), asId));
      return { slots };
    },
  },
  {
    // 2.6.34–3.2: nmemslots counts the array entries (the 2012 qemu-vtop's era).
    name: 'array with nmemslots (2.6.34–3.2)',
    matches: (k) => k.obj('kvm_memslots', 0n).has('nmemslots'),
    slots(k, set, asId) {
      const n = Math.min(set.member('nmemslots').num(), MAX_SLOTS);
      const arr = set.member('memslots');
      const slots: Memslot[] = [];
      for (let i = 0; i < n; i++) {
        const r = slotRecord(arr.at(i), asId);
        if (r.npages !== 0n) slots.push(r);
      }
      return { slots };
    },
  },
  {
    // 3.3–3.18: fixed array, no count: unused entries have npages == 0 (sorted, so they come last).
    name: 'array without count (3.3–3.18)',
    matches: (k) => k.obj('kvm_memslots', 0n).has('memslots'),
    slots(k, set, asId) {
      const arr = set.member('memslots');
      const n = Math.min(arr.length ?? 0, MAX_SLOTS);
      const slots: Memslot[] = [];
      for (let i = 0; i < n; i++) {
        const r = slotRecord(arr.at(i), asId);
        if (r.npages === 0n) break;
        slots.push(r);
      }
      return { slots };
    },
  },
];

export function memslotEra(k: Kernel): EraReader {
  const era = ERAS.find((e) => e.matches(k));
  if (!era) throw new QvError('UNKNOWN_MEMSLOT_LAYOUT', `struct kvm_memslots in this kernel's debug info matches no known memslot layout (${ERAS.map((e) => e.name).join('; ')})`);
  return era;
}

/** The active memslot set of every address space of a VM. */
export function addressSpaces(k: Kernel, kvm: KObject): AddressSpace[] {
  const era = memslotEra(k);
  const ms = kvm.member('memslots');
  // 4.2+: an array of pointers, one per address space (x86: 2, 1 = SMM); before: a single pointer.
  const count = ms.length ?? 1;
  const out: AddressSpace[] = [];
  for (let as = 0; as < count; as++) {
    const ptr = ms.length === undefined ? ms : ms.at(as);
    if (ptr.value() === 0n) continue;
    const set = ptr.deref();
    const generation = set.has('generation') ? set.member('generation').value() : undefined;
    const { slots, nodeIdx } = era.slots(k, set, as);
    out.push({ asId: as, memslots: set.addr, generation, nodeIdx, slots, updateInProgress: generation !== undefined && (generation & GEN_UPDATE_IN_PROGRESS) !== 0n });
  }
  return out;
}

/** Flag bits by name: #defines, so they come from the constants table, not from the types. */
export const MEMSLOT_FLAGS: [number, string, ConstantName][] = (
  ['KVM_MEM_LOG_DIRTY_PAGES', 'KVM_MEM_READONLY', 'KVM_MEM_GUEST_MEMFD', 'KVM_MEMSLOT_INVALID', 'KVM_MEMSLOT_GMEM_ONLY'] as const
).map((n) => [Number(constant(n)), n.replace(/^KVM_MEM(SLOT)?_/, ''), n]);

/** Flag names; bits nobody named are kept as one hex string, never rejected. */
export function memslotFlagNames(flags: number): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of MEMSLOT_FLAGS) {
    if (rest & bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0; // keep it unsigned: a high bit (0x80000000) is a flag too
    }
  }
  if (rest) out.push(hex(rest));
  return out;
}

export function findSlot(space: AddressSpace, gfn: bigint): Memslot | undefined {
  return space.slots.find((s) => gfn >= s.baseGfn && gfn < s.baseGfn + s.npages);
}

/** The gpa `offset` bytes into a slot, or undefined when the offset is past the slot's end. */
export function gpaInSlot(slot: Memslot, offset: bigint): bigint | undefined {
  return offset >= 0n && offset < slot.npages << 12n ? (slot.baseGfn << 12n) + offset : undefined;
}

/** The reverse of gpa->hva: the gpa (and address space) whose slot maps `hva`, if any slot does. */
export function gpaOfHva(spaces: AddressSpace[], hva: bigint): { gpa: bigint; asId: number; slot: Memslot } | undefined {
  for (const sp of spaces) {
    for (const m of sp.slots) {
      if (hva >= m.userspaceAddr && hva < m.userspaceAddr + (m.npages << 12n)) return { gpa: (m.baseGfn << 12n) + (hva - m.userspaceAddr), asId: sp.asId, slot: m };
    }
  }
  return undefined;
}
