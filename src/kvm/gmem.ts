// guest_memfd (6.8+): a private page of a KVM_MEM_GUEST_MEMFD slot has no hva; it lives in the page cache
// of the slot's gmem file at index gmem.pgoff + (gfn - base_gfn). Whether a gfn is private is in
// kvm->mem_attr_array (KVM_MEMORY_ATTRIBUTE_PRIVATE); a GMEM_ONLY slot (6.18+) keeps all its memory there.
import { constant } from '../debuginfo/constants.js';
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { vmemmapBase } from '../kernel/page.js';
import { xaEntries } from '../kernel/xarray.js';
import { type Memslot } from './memslots.js';

const KVM_MEMORY_ATTRIBUTE_PRIVATE = 1n << 3n; // include/uapi/linux/kvm.h (6.8+)
const MAX_ENTRIES = 1 << 24;

export interface GmemPage {
  file: bigint;
  index: bigint;
  /** struct page / struct folio of the page, and its pfn, when the page cache has it. */
  page?: bigint;
  pfn?: bigint;
}

export function isGmemSlot(slot: Memslot): boolean {
  return (BigInt(slot.flags) & constant('KVM_MEM_GUEST_MEMFD')) !== 0n;
}

/** True when the gfn is private (its memory is in guest_memfd, not at the slot's hva). */
export function isPrivate(k: Kernel, kvm: KObject, slot: Memslot, gfn: bigint): boolean {
  if ((BigInt(slot.flags) & constant('KVM_MEMSLOT_GMEM_ONLY')) !== 0n || slot.userspaceAddr === 0n) return true;
  if (!kvm.has('mem_attr_array')) return true; // no attributes: every page of a gmem slot is private
  for (const e of xaEntries(k, kvm.member('mem_attr_array').addr, `kvm ${hex(kvm.addr)} mem_attr_array`, MAX_ENTRIES)) {
    if (e.index > gfn) break;
    if (gfn < e.index + e.span) return e.kind === 'value' && ((e.value ?? 0n) & KVM_MEMORY_ATTRIBUTE_PRIVATE) !== 0n;
  }
  return false;
}

/** The page-cache page of a private gfn of a guest_memfd slot. */
export function gmemPage(k: Kernel, slot: Memslot, gfn: bigint): GmemPage {
  const s = k.obj('kvm_memory_slot', slot.addr);
  if (!s.has('gmem')) throw new QvError('NO_GMEM', `slot ${slot.id} has KVM_MEM_GUEST_MEMFD set but struct kvm_memory_slot has no gmem member in this kernel's debug info`);
  const fileP = s.member('gmem.file').value();
  const index = s.member('gmem.pgoff').value() + (gfn - slot.baseGfn);
  if (fileP === 0n) return { file: 0n, index };
  const file = k.obj('file', fileP);
  const mapping = file.has('f_mapping') ? file.member('f_mapping').value() : file.member('f_inode').deref().member('i_mapping').value();
  const pages = k.obj('address_space', mapping).member('i_pages').addr;
  for (const e of xaEntries(k, pages, `guest_memfd ${hex(fileP)} page cache`, MAX_ENTRIES)) {
    if (e.index > index) break;
    if (index < e.index + e.span && e.kind === 'pointer') {
      // A folio covering several indices: its head page plus the distance into it.
      const headPfn = (e.entry - vmemmapBase(k)) / BigInt(k.obj('page', 0n).size);
      return { file: fileP, index, page: e.entry, pfn: headPfn + (index - e.index) };
    }
  }
  return { file: fileP, index };
}

/**
 * The gfn ranges [start, end) of a guest_memfd slot that are private, from one pass over
 * kvm->mem_attr_array (instead of one lookup per gfn): what a range walk of the slot must leave to gmem.
 */
export function privateRanges(k: Kernel, kvm: KObject, slot: Memslot): [bigint, bigint][] {
  const lo = slot.baseGfn;
  const hi = slot.baseGfn + slot.npages;
  if ((BigInt(slot.flags) & constant('KVM_MEMSLOT_GMEM_ONLY')) !== 0n || slot.userspaceAddr === 0n || !kvm.has('mem_attr_array')) return [[lo, hi]];
  const out: [bigint, bigint][] = [];
  for (const e of xaEntries(k, kvm.member('mem_attr_array').addr, `kvm ${hex(kvm.addr)} mem_attr_array`, MAX_ENTRIES)) {
    if (e.index >= hi) break;
    if (e.kind !== 'value' || ((e.value ?? 0n) & KVM_MEMORY_ATTRIBUTE_PRIVATE) === 0n) continue;
    const a = e.index > lo ? e.index : lo;
    const b = e.index + e.span < hi ? e.index + e.span : hi;
    if (a >= b) continue;
    const prev = out[out.length - 1];
    if (prev && prev[1] === a) prev[1] = b;
    else out.push([a, b]);
  }
  return out;
}
