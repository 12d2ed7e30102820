// A guest's RAM (one address space) as extents in gpa order: runs of pages the host dump holds (their hpa, to
// read them from the dump), pages it records as zero pages, and runs it cannot give, each with the reason
// (never touched by the VMM, swapped, excluded from the dump, ...). What `extract` writes and what it leaves
// out both come from here; it is computed table by table (slot runs), and is a generator, so a caller that
// walks it twice (plan, then write) holds no per-page state.
import { hex } from '../io/hex.js';
import { type GuestMemory } from './guest-memory.js';
import { type Memslot } from './memslots.js';
import { type GapKind, slotRuns } from './slot-mappings.js';

const PAGE_SHIFT = 12n;
const PAGE = 1n << PAGE_SHIFT;

/** 'data' and 'zero' can be written; every other kind is a reason the page cannot be. */
export type ExtentKind = 'data' | 'zero' | GapKind | 'excluded' | 'not-in-dump' | 'gmem-not-in-cache';

export const READABLE: ReadonlySet<ExtentKind> = new Set(['data', 'zero']);

/** What each kind means, for the summary. */
export const EXTENT_KIND_WORDS: Readonly<Record<ExtentKind, string>> = {
  data: 'in the host dump (written)',
  zero: "the host dump's zero page (written as zeros: the dump says they are zero)",
  'not-touched': 'never touched by the VMM (no host page; left out)',
  swapped: 'swapped out on the host (left out)',
  'not-present': 'not present in the VMM page tables: PROT_NONE or NUMA hinting (left out)',
  'table-unreadable': "the VMM's page table for them is not in the dump (left out)",
  'gmem-private': 'guest_memfd private pages (left out)',
  'gmem-not-in-cache': "guest_memfd private pages not in the gmem file's page cache (left out)",
  excluded: 'host pages the dump did not keep, e.g. makedumpfile -d (left out)',
  'not-in-dump': 'host pages outside the RAM the dump describes (left out)',
};

export interface Extent {
  gpa: bigint;
  pages: bigint;
  kind: ExtentKind;
  /** hpa of the first page (data and zero extents: contiguous in the host too). */
  hpa?: bigint;
  slot: Memslot;
}

function* coalesce(src: Iterable<Extent>): Generator<Extent> {
  let cur: Extent | undefined;
  for (const e of src) {
    if (
      cur &&
      cur.kind === e.kind &&
      cur.slot === e.slot &&
      cur.gpa + (cur.pages << PAGE_SHIFT) === e.gpa &&
      (cur.hpa === undefined ? e.hpa === undefined : e.hpa !== undefined && cur.hpa + (cur.pages << PAGE_SHIFT) === e.hpa)
    ) {
      cur.pages += e.pages;
      continue;
    }
    if (cur) yield cur;
    cur = { ...e };
  }
  if (cur) yield cur;
}

/** The host dump's answer per page of a mapped run. */
function* splitByDump(gm: GuestMemory, slot: Memslot, gpa: bigint, hpa: bigint, bytes: bigint): Generator<Extent> {
  const mem = gm.host.mem;
  for (let off = 0n; off < bytes; off += PAGE) {
    const st = mem.pageState(hpa + off);
    const kind: ExtentKind = st === 'present' ? 'data' : st === 'zero' ? 'zero' : st === 'excluded' ? 'excluded' : 'not-in-dump';
    yield { gpa: gpa + off, pages: 1n, kind, hpa: READABLE.has(kind) ? hpa + off : undefined, slot };
  }
}

/** A guest_memfd private range, page by page through GuestMemory (the gmem file's page cache). */
function* gmemPages(gm: GuestMemory, slot: Memslot, gpa: bigint, bytes: bigint): Generator<Extent> {
  for (let off = 0n; off < bytes; off += PAGE) {
    const p = gm.locate(gpa + off);
    const kind: ExtentKind = p.state === 'present' ? 'data' : p.state === 'zero' ? 'zero' : p.state === 'excluded' ? 'excluded' : p.state === 'no-memslot' || p.state === 'not-present' ? 'not-present' : p.state === 'swapped' ? 'swapped' : p.state;
    yield { gpa: gpa + off, pages: 1n, kind, hpa: READABLE.has(kind) ? p.hpa : undefined, slot };
  }
}

function* slotExtents(gm: GuestMemory, slot: Memslot): Generator<Extent> {
  const ctx = { k: gm.host, kvm: gm.kvm, pgdPhys: gm.pgdPhys };
  for (const r of slotRuns(ctx, slot)) {
    if (r.kind === 'mapped') yield* splitByDump(gm, slot, r.gpa, r.hpa, r.bytes);
    else if (r.why === 'gmem-private') yield* gmemPages(gm, slot, r.gpa, r.bytes);
    else yield { gpa: r.gpa, pages: r.bytes >> PAGE_SHIFT, kind: r.why, slot };
  }
}

/** Every page of every slot of the address space, as coalesced extents in gpa order. */
export function* guestExtents(gm: GuestMemory): Generator<Extent> {
  const slots = [...gm.space.slots].sort((a, b) => (a.baseGfn < b.baseGfn ? -1 : a.baseGfn > b.baseGfn ? 1 : 0));
  for (const s of slots) yield* coalesce(slotExtents(gm, s));
}

/** Page counts per kind, and the runs of readable gpa (what an ELF core gets as PT_LOADs). */
export interface ExtentPlan {
  counts: Map<ExtentKind, bigint>;
  /** Maximal gpa runs [start, end) of writable pages. */
  loads: { start: bigint; end: bigint }[];
  pages: bigint;
  /** Highest gpa pfn + 1 of any slot. */
  maxPfn: bigint;
}

export function planExtents(gm: GuestMemory, onExtent?: (e: Extent) => void): ExtentPlan {
  const counts = new Map<ExtentKind, bigint>();
  const loads: { start: bigint; end: bigint }[] = [];
  let pages = 0n;
  let maxPfn = 0n;
  for (const s of gm.space.slots) if (s.baseGfn + s.npages > maxPfn) maxPfn = s.baseGfn + s.npages;
  for (const e of guestExtents(gm)) {
    onExtent?.(e);
    counts.set(e.kind, (counts.get(e.kind) ?? 0n) + e.pages);
    pages += e.pages;
    if (!READABLE.has(e.kind)) continue;
    const end = e.gpa + (e.pages << PAGE_SHIFT);
    const last = loads[loads.length - 1];
    if (last && last.end === e.gpa) last.end = end;
    else loads.push({ start: e.gpa, end });
  }
  return { counts, loads, pages, maxPfn };
}

export function describeExtent(e: Extent): string {
  return `gpa ${hex(e.gpa)}-${hex(e.gpa + (e.pages << PAGE_SHIFT) - 1n)} (slot ${e.slot.id}): ${EXTENT_KIND_WORDS[e.kind]}`;
}
