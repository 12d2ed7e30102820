// gpa → (memslot) → hva → (VMM page tables) → hpa.
import { pteFlagNames, walk, WalkAborted } from '../arch/x86_64/pagetable.js';
import { PageExcludedError, PhysAbsentError } from '../dump/physmem.js';
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { paddrPrlen, readPage } from '../kernel/page.js';
import { findVma, vmaFilePath } from '../kernel/vma.js';
import { gmemPage, isGmemSlot, isPrivate } from '../kvm/gmem.js';
import { type AddressSpace, findSlot, type Memslot, MEMSLOT_FLAGS } from '../kvm/memslots.js';
import { type ConstantName } from '../debuginfo/constants.js';
import { type Translation } from './translation.js';
import { type TranslationCache } from './translation-cache.js';

const PAGE_SHIFT = 12n;

export interface VmContext {
  kvm: KObject;
  pid?: number;
  comm?: string;
  spaces: AddressSpace[];
  /** Physical address of the top-level page table of the address space the hvas live in (kvm->mm->pgd). */
  pgdPhys: bigint;
  /** The VMM's mm_struct (kvm->mm, else the task's): its VMAs. */
  mm?: KObject;
  /** crash's PADDR_PRLEN for this dump. */
  paddrPrlen?: number;
  /** Set by a batch over a dump (not a live source): page tables, VMAs and struct pages read once. */
  cache?: TranslationCache;
}

/** Prepares a VM for translations: memslots of every address space and the VMM's page-table root. */
export function vmContext(k: Kernel, kvm: KObject, spaces: AddressSpace[], task?: KObject, pid?: number, comm?: string): VmContext {
  // kvm->mm is the VMM's address space even when the task asked for is a thread or is exiting.
  let mm = kvm.has('mm') ? kvm.member('mm') : undefined;
  if (!mm || mm.value() === 0n) mm = task?.member('mm');
  if (!mm || mm.value() === 0n) {
    throw new QvError('NO_MM', `VM ${hex(kvm.addr)} has no mm (kvm->mm and the task's mm are NULL): its VMM has exited, so hvas cannot be translated`);
  }
  const mmObj = mm.deref();
  const pgd = mmObj.member('pgd').value();
  return { kvm, pid, comm, spaces, pgdPhys: k.vtop(pgd), mm: mmObj, paddrPrlen: paddrPrlen(k) };
}

/** The VMA section of crash's vtop: the VMA holding the hva, and for a page that is not mapped, the file offset. */
function addVma(k: Kernel, vm: VmContext, t: Translation, hva: bigint): void {
  if (!vm.mm) return;
  try {
    let hit = vm.cache?.vma(hva);
    if (!hit) {
      const v = findVma(k, vm.mm, hva);
      if (!v) {
        t.vma = null;
        return;
      }
      hit = { v, file: vmaFilePath(k, v) };
      vm.cache?.addVma(hit.v, hit.file);
    }
    const v = hit.v;
    t.vma = { addr: v.addr, start: v.start, end: v.end, flags: v.flags, file: hit.file };
    if (t.hpa === undefined && t.vma.file) t.vma.fileOffset = (((hva - v.start) >> PAGE_SHIFT) + v.pgoff) << PAGE_SHIFT;
  } catch (e) {
    t.vmaError = `the VMA of hva ${hex(hva)} cannot be read: ${(e as Error).message}`;
  }
}

/** The PAGE section: the struct page of the (4K) page holding the hpa. */
function addPage(k: Kernel, t: Translation, cache?: TranslationCache): void {
  if (t.hpa === undefined) return;
  const pfn = t.hpa >> PAGE_SHIFT;
  try {
    t.page = cache ? cache.page(pfn, () => readPage(k, pfn)) : readPage(k, pfn);
  } catch (e) {
    t.pageError = (e as Error).message;
  }
}

export interface TranslateOptions {
  /** The VMA and struct page sections (crash's vtop shows both); --brief needs neither. Default true. */
  sections?: boolean;
}

export function translateGpa(k: Kernel, vm: VmContext, gpa: bigint, asId: number, opts: TranslateOptions = {}): Translation {
  const t = translateOnly(k, vm, gpa, asId);
  if (opts.sections === false) return t;
  if (t.hva !== undefined && (t.hpa !== undefined || t.error?.code === 'NOT_PRESENT')) {
    addVma(k, vm, t, t.hva);
    addPage(k, t, vm.cache);
  }
  return t;
}

function translateOnly(k: Kernel, vm: VmContext, gpa: bigint, asId: number): Translation {
  const t: Translation = { gpa, asId, pid: vm.pid, comm: vm.comm, vm: vm.kvm.addr, levels: [], paddrPrlen: vm.paddrPrlen };
  const space = vm.spaces.find((s) => s.asId === asId);
  if (!space) {
    t.error = { code: 'NO_ADDRESS_SPACE', message: `VM ${hex(vm.kvm.addr)} has no address space ${asId} (it has ${vm.spaces.map((s) => s.asId).join(', ')})` };
    return t;
  }
  const gfn = gpa >> PAGE_SHIFT;
  const slot = findSlot(space, gfn);
  if (!slot) {
    const cover = space.slots.map((s) => `${hex(s.baseGfn << PAGE_SHIFT)}-${hex(((s.baseGfn + s.npages) << PAGE_SHIFT) - 1n)}`).join(', ');
    t.error = {
      code: 'GPA_NOT_IN_MEMSLOT',
      message: `gpa ${hex(gpa)} is not in any memslot of VM ${hex(vm.kvm.addr)}${vm.pid !== undefined ? ` (pid ${vm.pid})` : ''} address space ${asId}${asId === 1 ? ' (SMM)' : ''}; slots cover ${cover || 'nothing'}`,
    };
    return t;
  }
  t.memslot = slot;
  // gfn arithmetic and the kernel image mapping are #defines; so are the flag names shown for the slot.
  const constants = (): ConstantName[] => ['PAGE_SHIFT', '__START_KERNEL_map', ...MEMSLOT_FLAGS.filter(([bit]) => slot.flags & bit).map(([, , c]) => c)];
  t.constants = vm.cache ? vm.cache.perSlot(slot, constants).slice() : constants();
  if (isGmemSlot(slot)) {
    // A private page has no hva: never walk userspace_addr for it. If privacy cannot be told, say so.
    try {
      if (isPrivate(k, vm.kvm, slot, gfn)) return gmemTranslation(k, t, slot, gfn, gpa);
    } catch (e) {
      t.error = { code: (e as { code?: string }).code ?? 'GMEM_UNREADABLE', message: `gpa ${hex(gpa)} is in guest_memfd slot ${slot.id}, but whether it is private cannot be read: ${(e as Error).message}` };
      return t;
    }
  }
  const hva = slot.userspaceAddr + ((gfn - slot.baseGfn) << PAGE_SHIFT) + (gpa & 0xfffn);
  t.hva = hva;
  try {
    const cache = vm.cache;
    const r = cache
      ? cache.walk(hva, () => walk((pa) => cache.readU64(pa), vm.pgdPhys, hva, { levels: k.levels, smeMask: k.smeMask }))
      : walk((pa) => k.readPhysU64(pa), vm.pgdPhys, hva, { levels: k.levels, smeMask: k.smeMask });
    t.levels = r.levels;
    t.pte = r.leaf;
    if (!r.present) {
      const last = r.levels[r.levels.length - 1];
      const why = r.swap
        ? `swap entry (type ${r.swap.type}, offset ${hex(r.swap.offset)}): the page was swapped out`
        : r.leaf !== 0n
          ? `entry ${hex(r.leaf)} is not present${r.protNone ? ' (PROT_NONE / NUMA hinting)' : ''}`
          : 'entry is empty: the VMM never touched this page (not mapped)';
      t.swap = r.swap;
      t.error = { code: 'NOT_PRESENT', message: `hva ${hex(hva)} (gpa ${hex(gpa)}): ${last.name} ${hex(last.entry)} ${why}` };
      return t;
    }
    t.hpa = r.pa;
    t.pageSize = r.pageSize;
    t.pteFlags = cache ? cache.pteFlags(r.leaf) : pteFlagNames(r.leaf);
    const state = cache ? cache.pageState(r.pa) : k.mem.pageState(r.pa);
    t.pageInDump = state === 'present' || state === 'zero';
    if (!t.pageInDump) {
      t.pageNote = k.mem.info.excludedLooksLikeZero
        ? `page ${hex(r.pa & ~0xfffn)} has no data in this ELF dump (excluded or zero: ELF cannot tell which)`
        : `page ${hex(r.pa & ~0xfffn)} is not in this dump (${state}): the translation is known, its contents are not`;
    }
  } catch (e) {
    const cause = e instanceof WalkAborted ? e.cause : e;
    if (cause instanceof PageExcludedError || cause instanceof PhysAbsentError) {
      if (e instanceof WalkAborted) t.levels = e.levels;
      const where = e instanceof WalkAborted ? `reading the ${e.failedLevel} entry for hva ${hex(hva)}` : `for hva ${hex(hva)}`;
      t.error = { code: cause.code, message: `${where}: ${cause.message}` };
      return t;
    }
    throw cause;
  }
  return t;
}

/** A private page of a guest_memfd slot: its hpa from the gmem file's page cache, or why there is none. */
function gmemTranslation(k: Kernel, t: Translation, slot: Memslot, gfn: bigint, gpa: bigint): Translation {
  const g = gmemPage(k, slot, gfn);
  t.gmem = g;
  if (g.pfn === undefined) {
    t.error = {
      code: 'GMEM_PAGE_NOT_IN_CACHE',
      message: `gpa ${hex(gpa)} is a private page of guest_memfd slot ${slot.id}: it has no hva, and index ${hex(g.index)} of the gmem file ${hex(g.file)} is not in its page cache (never faulted in, or freed)`,
    };
    return t;
  }
  t.hpa = (g.pfn << PAGE_SHIFT) + (gpa & 0xfffn);
  t.pageSize = 1n << PAGE_SHIFT;
  const state = k.mem.pageState(t.hpa);
  t.pageInDump = state === 'present' || state === 'zero';
  addPage(k, t);
  return t;
}
