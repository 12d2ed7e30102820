// A VM's guest-physical memory as a PhysicalMemory: gpa ─memslot─► hva ─VMM page tables─► hpa ─► host dump.
// Everything that reads the guest (the guest kernel, `read`, `coverage`, the guest page walk, extract) goes
// through here, and every page that cannot be read says why: outside every memslot, never touched by the VMM,
// swapped out, excluded from the dump, or a guest_memfd page not in the page cache. Never zeros.
import { walk, WalkAborted } from '../arch/x86_64/pagetable.js';
import { type RangeRun, walkRange } from '../arch/x86_64/range-walk.js';
import { type DumpInfo, type DumpNote, type PageState, PageExcludedError, type PhysicalMemory, PhysAbsentError, type PhysRange } from '../dump/physmem.js';
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { gmemPage, isGmemSlot, isPrivate } from './gmem.js';
import { type AddressSpace, findSlot, type Memslot } from './memslots.js';

const PAGE_SHIFT = 12n;
const PAGE = 1n << PAGE_SHIFT;
/** Located pages kept (a few MB of small objects): 256 MiB of guest RAM. */
const CACHE_PAGES = 1 << 16;
/** Page contents kept: 1024 pages, 4 MiB. */
const BYTES_PAGES = 1024;

/** Why a guest page cannot be read (the `reason` of `read --json`'s `missing`, and of coverage's columns). */
export type GuestPageReason = 'no-memslot' | 'not-present' | 'swapped' | 'excluded' | 'not-in-dump' | 'gmem-not-in-cache';

/** Error codes per reason: the codes the host translation uses for the same facts. */
export const REASON_CODES: Readonly<Record<GuestPageReason, string>> = {
  'no-memslot': 'GPA_NOT_IN_MEMSLOT',
  'not-present': 'NOT_PRESENT',
  swapped: 'SWAPPED',
  excluded: 'PAGE_EXCLUDED',
  'not-in-dump': 'PHYS_NOT_IN_DUMP',
  'gmem-not-in-cache': 'GMEM_PAGE_NOT_IN_CACHE',
};

/** Where one guest page (4 KiB) lives, or why it cannot be read. */
export interface GuestPage {
  gfn: bigint;
  /** 'present' / 'zero' (the dump's zero page: reads as zeros, truthfully) are readable; the rest are reasons. */
  state: 'present' | 'zero' | GuestPageReason;
  slot?: Memslot;
  /** hva of the page start (undefined for a private guest_memfd page: it has none). */
  hva?: bigint;
  /** hpa of the page start. */
  hpa?: bigint;
  /** Size of the host page that maps it (4K, 2M, 1G). */
  hostPageSize?: bigint;
  backing?: 'hva' | 'guest_memfd';
  /** Why it cannot be read, in words (set unless readable). */
  message?: string;
}

/** A guest-physical read that hit a page that cannot be read. */
export class GuestPageError extends QvError {
  constructor(
    readonly gpa: bigint,
    readonly reason: GuestPageReason,
    message: string,
  ) {
    super(REASON_CODES[reason], message, { gpa: hex(gpa), reason });
    this.name = 'GuestPageError';
  }
}

export interface MissingRange {
  gpa: bigint;
  length: number;
  reason: GuestPageReason;
  code: string;
  message: string;
}

export interface GuestMemoryInputs {
  host: Kernel;
  kvm: KObject;
  spaces: AddressSpace[];
  /** Physical address of the VMM's top-level page table (kvm->mm->pgd). */
  pgdPhys: bigint;
  /** The KVM address space (0, or 1 = SMM on x86). */
  asId?: number;
  /** Label for messages ("VM 0xffff... (pid 127)"). */
  label?: string;
}

const readable = (p: GuestPage): boolean => p.state === 'present' || p.state === 'zero';

export class GuestMemory implements PhysicalMemory {
  readonly info: DumpInfo;
  readonly notes: DumpNote[] = [];
  readonly host: Kernel;
  readonly kvm: KObject;
  readonly space: AddressSpace;
  readonly pgdPhys: bigint;
  readonly label: string;
  /** Located pages by gfn. A plain bounded Map (dropped whole when full), not an LRU: a hit costs one lookup. */
  private cache = new Map<bigint, GuestPage>();
  /** Bytes of recently read guest pages (guest page-table pages are read over and over by walks). */
  private bytes = new Map<bigint, Buffer>();

  constructor(inp: GuestMemoryInputs) {
    this.host = inp.host;
    this.kvm = inp.kvm;
    this.pgdPhys = inp.pgdPhys;
    const asId = inp.asId ?? 0;
    const sp = inp.spaces.find((s) => s.asId === asId);
    if (!sp) throw new QvError('NO_ADDRESS_SPACE', `VM ${hex(inp.kvm.addr)} has no address space ${asId} (it has ${inp.spaces.map((s) => s.asId).join(', ') || 'none'})`);
    this.space = sp;
    this.label = inp.label ?? `VM ${hex(inp.kvm.addr)}`;
    this.info = {
      format: 'guest-physical',
      pageSize: 4096,
      excludedLooksLikeZero: inp.host.mem.info.excludedLooksLikeZero,
      asId,
      vm: hex(inp.kvm.addr),
    };
  }

  get asId(): number {
    return this.space.asId;
  }

  /** The memslots' gpa ranges, sorted, adjacent slots merged. */
  ranges(): PhysRange[] {
    const rs = this.space.slots.map((s) => ({ start: s.baseGfn << PAGE_SHIFT, end: (s.baseGfn + s.npages) << PAGE_SHIFT })).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const out: PhysRange[] = [];
    for (const r of rs) {
      const last = out[out.length - 1];
      if (last && last.end === r.start) last.end = r.end;
      else out.push({ ...r });
    }
    return out;
  }

  /** Where the page of `gpa` lives, or why it cannot be read (cached per page). */
  locate(gpa: bigint): GuestPage {
    const gfn = gpa >> PAGE_SHIFT;
    let p = this.cache.get(gfn);
    if (!p) {
      p = this.locateUncached(gfn);
      if (this.cache.size >= CACHE_PAGES) this.cache.clear();
      this.cache.set(gfn, p);
    }
    return p;
  }

  private where(gpa: bigint): string {
    return `gpa ${hex(gpa)} of ${this.label}${this.asId === 1 ? ' (SMM address space)' : ''}`;
  }

  private locateUncached(gfn: bigint): GuestPage {
    const gpa = gfn << PAGE_SHIFT;
    const slot = findSlot(this.space, gfn);
    if (!slot) {
      const cover = this.ranges().map((r) => `${hex(r.start)}-${hex(r.end - 1n)}`).join(', ');
      return { gfn, state: 'no-memslot', message: `${this.where(gpa)} is in no memslot; slots cover ${cover || 'nothing'}` };
    }
    const k = this.host;
    if (isGmemSlot(slot)) {
      try {
        if (isPrivate(k, this.kvm, slot, gfn)) {
          const g = gmemPage(k, slot, gfn);
          if (g.pfn === undefined) {
            return { gfn, slot, backing: 'guest_memfd', state: 'gmem-not-in-cache', message: `${this.where(gpa)} is a private page of guest_memfd slot ${slot.id}: index ${hex(g.index)} of the gmem file ${hex(g.file)} is not in its page cache (never faulted in, or freed)` };
          }
          return this.hostState({ gfn, slot, backing: 'guest_memfd', hpa: g.pfn << PAGE_SHIFT, hostPageSize: PAGE, state: 'present' });
        }
      } catch (e) {
        return { gfn, slot, backing: 'guest_memfd', state: 'not-in-dump', message: `${this.where(gpa)} is in guest_memfd slot ${slot.id}, but whether it is private cannot be read: ${(e as Error).message}` };
      }
    }
    const hva = slot.userspaceAddr + ((gfn - slot.baseGfn) << PAGE_SHIFT);
    const base: GuestPage = { gfn, slot, hva, backing: 'hva', state: 'present' };
    try {
      const r = walk((pa) => k.readPhysU64(pa), this.pgdPhys, hva, { levels: k.levels, smeMask: k.smeMask });
      if (!r.present) {
        const last = r.levels[r.levels.length - 1];
        if (r.swap) return { ...base, state: 'swapped', message: `${this.where(gpa)} (hva ${hex(hva)}) was swapped out by the host: ${last.name} ${hex(last.entry)} holds swap entry type ${r.swap.type}, offset ${hex(r.swap.offset)}` };
        const why = r.leaf !== 0n ? `is not present (${hex(r.leaf)}${r.protNone ? ', PROT_NONE / NUMA hinting' : ''})` : 'is empty: the VMM never touched this page';
        return { ...base, state: 'not-present', message: `${this.where(gpa)} (hva ${hex(hva)}) is not mapped on the host: ${last.name} ${hex(last.entry)} ${why}` };
      }
      return this.hostState({ ...base, hpa: r.pa, hostPageSize: r.pageSize });
    } catch (e) {
      const cause = e instanceof WalkAborted ? e.cause : e;
      const level = e instanceof WalkAborted ? `the host ${e.failedLevel} table for hva ${hex(hva)}` : `hva ${hex(hva)}`;
      if (cause instanceof PageExcludedError) return { ...base, state: 'excluded', message: `${this.where(gpa)}: ${level} cannot be read: ${cause.message}` };
      if (cause instanceof PhysAbsentError) return { ...base, state: 'not-in-dump', message: `${this.where(gpa)}: ${level} cannot be read: ${cause.message}` };
      throw cause;
    }
  }

  /** A page whose hpa is known: is it in the host dump? */
  private hostState(p: GuestPage): GuestPage {
    const st = this.host.mem.pageState(p.hpa!);
    if (st === 'present' || st === 'zero') return { ...p, state: st };
    const hpa = hex(p.hpa!);
    if (st === 'excluded') {
      const note = this.host.mem.info.excludedLooksLikeZero ? ' (this ELF dump cannot tell an excluded page from a zero page)' : '';
      return { ...p, state: 'excluded', message: `${this.where(p.gfn << PAGE_SHIFT)} is at hpa ${hpa}, which the dump did not keep (excluded by its filter${note}): its contents are unknown, not zero` };
    }
    return { ...p, state: 'not-in-dump', message: `${this.where(p.gfn << PAGE_SHIFT)} is at hpa ${hpa}, which is outside the RAM this dump describes` };
  }

  /** The 4 KiB of a readable page, from the host dump (kept for the next read of the same page). */
  private pageBytes(p: GuestPage): Buffer {
    let b = this.bytes.get(p.gfn);
    if (!b) {
      b = Buffer.from(this.host.mem.read(p.hpa!, 4096)); // a copy: the dump reader may reuse its buffers
      if (this.bytes.size >= BYTES_PAGES) this.bytes.clear();
      this.bytes.set(p.gfn, b);
    }
    return b;
  }

  pageState(gpa: bigint): PageState {
    const p = this.locate(gpa);
    if (p.state === 'present' || p.state === 'zero') return p.state;
    return p.state === 'excluded' ? 'excluded' : 'absent';
  }

  /** Reads guest-physical bytes; throws GuestPageError naming the first page that cannot be read. */
  read(gpa: bigint, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const a = gpa + BigInt(done);
      const n = Math.min(length - done, Number(PAGE - (a & (PAGE - 1n))));
      const p = this.locate(a);
      if (!readable(p)) throw new GuestPageError(a, p.state as GuestPageReason, p.message ?? `${this.where(a)} cannot be read`);
      const off = Number(a & (PAGE - 1n));
      this.pageBytes(p).copy(out, done, off, off + n);
      done += n;
    }
    return out;
  }

  /**
   * Reads what can be read of [gpa, gpa+length): the bytes (those of missing ranges are left zero in the buffer
   * and must not be shown as data) and every missing range with its reason, adjacent pages of one reason merged.
   */
  readAvailable(gpa: bigint, length: number): { bytes: Buffer; missing: MissingRange[] } {
    const bytes = Buffer.alloc(length);
    const missing: MissingRange[] = [];
    let done = 0;
    while (done < length) {
      const a = gpa + BigInt(done);
      const n = Math.min(length - done, Number(PAGE - (a & (PAGE - 1n))));
      const p = this.locate(a);
      if (readable(p)) {
        const off = Number(a & (PAGE - 1n));
        this.pageBytes(p).copy(bytes, done, off, off + n);
      }
      else {
        const reason = p.state as GuestPageReason;
        const last = missing[missing.length - 1];
        if (last && last.reason === reason && last.gpa + BigInt(last.length) === a) last.length += n;
        else missing.push({ gpa: a, length: n, reason, code: REASON_CODES[reason], message: p.message ?? '' });
      }
      done += n;
    }
    return { bytes, missing };
  }

  /**
   * The VMM's mappings of a slot's hva range, table by table (an empty PMD/PUD is one step), as runs in gpa
   * order. Not for guest_memfd private pages (they have no hva): callers check isGmemSlot.
   */
  forEachHostRun(slot: Memslot, visit: (run: RangeRun, gpa: bigint) => void): void {
    const k = this.host;
    const start = slot.userspaceAddr;
    const end = start + (slot.npages << PAGE_SHIFT);
    const gpa0 = slot.baseGfn << PAGE_SHIFT;
    walkRange((pa) => k.mem.read(pa, 4096), this.pgdPhys, start, end, { levels: k.levels, smeMask: k.smeMask }, (r) => visit(r, gpa0 + (r.va - start)));
  }

  close(): void {
    /* the host dump belongs to the host session */
  }
}
