// What the host's page tables say about every page of a memslot: runs of gpa pages mapped to host pages
// (gpa -> hva -> hpa, contiguous in all three), and runs that are not mapped with the reason. Read with the
// range walker, table by table, over the slot's hva range; guest_memfd private ranges are never walked
// through userspace_addr. The one source of "which guest pages does the host hold" for whose and extract.
import { type RangeRun, walkRange } from '../arch/x86_64/range-walk.js';
import { PageExcludedError, PhysAbsentError } from '../dump/physmem.js';
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { isGmemSlot, privateRanges } from './gmem.js';
import { type Memslot } from './memslots.js';

const PAGE_SHIFT = 12n;
const TABLE_BYTES = 4096;

/** Why a run of guest pages has no host page. */
export type GapKind =
  | 'not-touched' // the entry is empty: the VMM never touched the page (anonymous memory reads as zero to the guest, but the host holds nothing)
  | 'swapped' // a swap entry: the page is on the host's swap device
  | 'not-present' // PROT_NONE / NUMA hinting or another non-present entry
  | 'table-unreadable' // a page-table page of the walk is not in the dump
  | 'gmem-private'; // a private page of a guest_memfd slot: not behind userspace_addr

export interface MappedRun {
  kind: 'mapped';
  slot: Memslot;
  gpa: bigint;
  hva: bigint;
  hpa: bigint;
  bytes: bigint;
  /** Host page size of the leaf that maps the start of the run (4K, 2M, 1G). */
  pageSize: bigint;
}

export interface GapRun {
  kind: 'gap';
  slot: Memslot;
  gpa: bigint;
  hva: bigint;
  bytes: bigint;
  why: GapKind;
  detail?: string;
}

export type SlotRun = MappedRun | GapRun;

export interface SlotWalkContext {
  k: Kernel;
  kvm: KObject;
  /** Physical address of the VMM's top-level page table (kvm->mm->pgd). */
  pgdPhys: bigint;
}

/** Reads one page-table page from the host dump (excluded/absent pages throw: the walk reports them). */
function tableReader(k: Kernel): (pa: bigint) => Buffer {
  return (pa) => k.mem.read(pa, TABLE_BYTES);
}

function unreadableDetail(e: unknown, table: bigint): string {
  if (e instanceof PageExcludedError) return `page table ${hex(table)} was excluded from the dump`;
  if (e instanceof PhysAbsentError) return `page table ${hex(table)} is not in the dump`;
  return `page table ${hex(table)} cannot be read: ${(e as Error).message}`;
}

/** Runs over the slot's hva window [hva, hva + bytes) (gpa `gpa` at its start), coalesced. */
function walkWindow(c: SlotWalkContext, slot: Memslot, gpa: bigint, hva: bigint, bytes: bigint): SlotRun[] {
  const out: SlotRun[] = [];
  const k = c.k;
  const add = (run: SlotRun) => {
    const last = out[out.length - 1];
    if (last && contiguous(last, run)) last.bytes += run.bytes;
    else out.push(run);
  };
  walkRange(tableReader(k), c.pgdPhys, hva, hva + bytes, { levels: k.levels, smeMask: k.smeMask }, (it: RangeRun) => {
    const g = gpa + (it.va - hva);
    if (it.kind === 'mapped') add({ kind: 'mapped', slot, gpa: g, hva: it.va, hpa: it.pa, bytes: it.size, pageSize: it.pageSize });
    else if (it.kind === 'unreadable') add({ kind: 'gap', slot, gpa: g, hva: it.va, bytes: it.size, why: 'table-unreadable', detail: unreadableDetail(it.error, it.table) });
    else add({ kind: 'gap', slot, gpa: g, hva: it.va, bytes: it.size, why: it.kind === 'empty' ? 'not-touched' : it.kind === 'swap' ? 'swapped' : 'not-present' });
  });
  return out;
}

function contiguous(a: SlotRun, b: SlotRun): boolean {
  if (a.gpa + a.bytes !== b.gpa || a.hva + a.bytes !== b.hva) return false;
  if (a.kind === 'mapped' && b.kind === 'mapped') return a.hpa + a.bytes === b.hpa;
  return a.kind === 'gap' && b.kind === 'gap' && a.why === b.why && a.detail === b.detail;
}

/** Every page of a slot, as coalesced runs in gpa order. */
export function* slotRuns(c: SlotWalkContext, slot: Memslot): Generator<SlotRun> {
  const base = slot.baseGfn << PAGE_SHIFT;
  const total = slot.npages << PAGE_SHIFT;
  // Private ranges of a guest_memfd slot are gaps here; the rest of the slot is walked through its hva.
  const priv = isGmemSlot(slot) ? privateRanges(c.k, c.kvm, slot).map(([a, b]) => [(a - slot.baseGfn) << PAGE_SHIFT, (b - slot.baseGfn) << PAGE_SHIFT] as const) : [];
  let off = 0n;
  for (const [a, b] of [...priv, [total, total] as const]) {
    if (a > off) yield* walkWindow(c, slot, base + off, slot.userspaceAddr + off, a - off);
    if (b > a) yield { kind: 'gap', slot, gpa: base + a, hva: slot.userspaceAddr + a, bytes: b - a, why: 'gmem-private', detail: 'a private page of a guest_memfd slot: its memory is in the gmem file, not at the hva' };
    off = b;
  }
}
