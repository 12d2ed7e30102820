// Translations on live memory: the memslot set can be replaced and page tables freed while they are read.
// The memslots generation (and set address) of the address space is read again after each translation; if it
// changed, the translation is retried once with the new set, and if it changed again the answer says so.
// Never a loop: at most two translations per gpa. On a dump (memory that does not change) this is translateGpa.
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { type AddressSpace, addressSpaces } from '../kvm/memslots.js';
import { pagemapWitness, type PagemapReader } from './pagemap.js';
import { translateGpa, type VmContext } from './translate.js';
import { type Translation } from './translation.js';

const ATTEMPTS = 2;

export interface LiveTranslateOptions {
  /** Re-reads the VM's memslots (default: addressSpaces of vm.kvm). */
  reload?: (k: Kernel, vm: VmContext) => AddressSpace[];
  /** /proc/PID/pagemap as a second witness (live host, pid known): its reader. */
  pagemap?: PagemapReader | boolean;
  /** translateGpa's VMA and struct page sections (default true; --brief needs neither). */
  sections?: boolean;
}

/** A VM's memslots; on live memory a read that fails (a set replaced under it) is made once more. */
export function spacesOf(k: Kernel, kvm: KObject): AddressSpace[] {
  if (!k.mem.info.live) return addressSpaces(k, kvm);
  try {
    return addressSpaces(k, kvm);
  } catch {
    k.mem.refresh?.();
    return addressSpaces(k, kvm);
  }
}

const UPDATE_IN_PROGRESS = 1n << 63n; // KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS
/** A memslot set as "address/generation", "+updating" while KVM is installing it. */
const stamp = (s: AddressSpace | undefined) => (s ? `${hex(s.memslots)}/${s.generation === undefined ? '-' : s.generation & ~UPDATE_IN_PROGRESS}${s.updateInProgress ? '+updating' : ''}` : 'none');

/** Translates gpa; `vm.spaces` is replaced by the fresh set when the memslots changed. */
export function translateLive(k: Kernel, vm: VmContext, gpa: bigint, asId: number, o: LiveTranslateOptions = {}): Translation {
  if (!k.mem.info.live) return translateGpa(k, vm, gpa, asId, { sections: o.sections });
  const reload = o.reload ?? ((kk: Kernel, v: VmContext) => addressSpaces(kk, v.kvm));
  const seen: string[] = [];
  let t: Translation | undefined;
  let failure: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const before = vm.spaces.find((s) => s.asId === asId);
    // A walk over memory being replaced can read a freed node or table: an error then is the change, not an answer.
    failure = undefined;
    try {
      t = translateGpa(k, vm, gpa, asId, { sections: o.sections });
    } catch (e) {
      failure = e;
    }
    k.mem.refresh?.();
    let after: AddressSpace | undefined;
    let now = 'unreadable';
    try {
      vm.spaces = reload(k, vm);
      after = vm.spaces.find((s) => s.asId === asId);
      now = stamp(after);
    } catch (e) {
      now = `unreadable (${(e as Error).message})`;
    }
    if (after && stamp(before) === now && !before?.updateInProgress) {
      if (failure) throw failure;
      if (attempt) t!.retried = `memslots of address space ${asId} changed during the first read (${seen[0]}); translated again`;
      if (o.pagemap && t!.hva !== undefined && vm.pid !== undefined) addPagemap(t!, vm.pid, typeof o.pagemap === 'function' ? o.pagemap : undefined);
      return t!;
    }
    seen.push(`${stamp(before)} -> ${now}`);
  }
  const last: Translation = failure || !t ? { gpa, asId, pid: vm.pid, comm: vm.comm, vm: vm.kvm.addr, levels: [] } : t;
  return {
    ...last,
    hpa: undefined,
    pageSize: undefined,
    page: undefined,
    pageInDump: undefined,
    error: {
      code: 'MEMSLOTS_CHANGED',
      message:
        `memslots changed while reading: address space ${asId} of VM ${hex(vm.kvm.addr)} went ${seen.join(', then ')} (kvm_memslots address/generation; +updating: caught mid-update) ` +
        `during the translation of gpa ${hex(gpa)} and again during its retry${failure ? ` (the last walk failed: ${(failure as Error).message})` : ''}; ` +
        `the VMM is changing its memory map: run the command again`,
    },
  };
}

function addPagemap(t: Translation, pid: number, read?: PagemapReader): void {
  const w = pagemapWitness(pid, t.hva!, read);
  if (w.hpa !== undefined) t.pagemapHpa = w.hpa;
  if (w.note) t.pagemapNote = w.note;
  if (t.hpa !== undefined && w.hpa !== undefined && w.hpa !== t.hpa) {
    t.pagemapNote = `the page tables read through /proc/kcore give hpa ${hex(t.hpa)}, /proc/${pid}/pagemap gives ${hex(w.hpa)}: the page moved while it was read (THP split or collapse, migration, compaction) or one of the two reads is wrong; run it again`;
  } else if (t.hpa === undefined && w.hpa !== undefined) {
    t.pagemapNote = `/proc/${pid}/pagemap gives hpa ${hex(w.hpa)} for hva ${hex(t.hva!)}, which the page-table walk did not find (faulted in since it was read?)`;
  }
}
