// Caches for one batch of translations over one dump (a command's lifetime; the TUI and the KVMI server, which
// may outlive a snapshot, do not use them). A batch of 100,000 gpas reads the same few page-table pages, the same
// VMAs and struct pages over and over: each is read once and then costs a Map lookup. Every cache is bounded, so
// memory does not grow with the batch. Nothing here changes an answer: a page that cannot be read whole is read
// entry by entry as before (so the same error is raised for the same entry), and failures are never cached.
import { pteFlagNames, type WalkResult } from '../arch/x86_64/pagetable.js';
import { type PageState, type PhysicalMemory } from '../dump/physmem.js';
import { type PageInfo } from '../kernel/page.js';
import { type Vma } from '../kernel/vma.js';
import { endianness } from 'node:os';

const PAGE = 4096;
/** The entries are copied as host-order 64-bit words: only right on a little-endian host (else read one by one). */
const LE = endianness() === 'LE';

/** First-in first-out bound: Map keeps insertion order, so the first key is the oldest. */
function bounded<K, V>(m: Map<K, V>, key: K, v: V, cap: number): V {
  m.set(key, v);
  if (m.size > cap) m.delete(m.keys().next().value as K);
  return v;
}

export class TranslationCache {
  /** Page-table pages as 512 entries; null: the page cannot be read whole, read its entries one by one. */
  private tables = new Map<number, BigUint64Array | null>();
  private states = new Map<number, PageState>();
  private flags = new Map<bigint, string[]>();
  private pages = new Map<bigint, PageInfo>();
  private vmas: { v: Vma; file: string }[] = [];
  private walks = new Map<number, WalkResult>();
  private constantsBySlot = new WeakMap<object, unknown>();

  constructor(
    private readonly mem: PhysicalMemory,
    private readonly cap = 2048,
  ) {}

  /** A page-table entry: the same value (or the same thrown error) as mem.read(pa, 8). */
  readU64(pa: bigint): bigint {
    if ((pa & 7n) !== 0n) return this.mem.read(pa, 8).readBigUInt64LE(0);
    const pfn = Number(pa >> 12n);
    let t = this.tables.get(pfn);
    if (t === undefined) t = bounded(this.tables, pfn, this.loadTable(pa & ~0xfffn), this.cap);
    if (t === null) return this.mem.read(pa, 8).readBigUInt64LE(0);
    return t[Number(pa & 0xfffn) >> 3];
  }

  private loadTable(base: bigint): BigUint64Array | null {
    if (!LE) return null;
    try {
      const b = this.mem.read(base, PAGE);
      const t = new BigUint64Array(PAGE / 8);
      Buffer.from(t.buffer).set(b);
      return t;
    } catch {
      return null;
    }
  }

  /**
   * The walk of `hva` from the walk of another address of its 4K page: the entries read are the same (their
   * addresses depend only on the bits above 12), so only the final address is recomputed, as walk() computes it.
   * A walk that throws is not kept (the next address of the page walks again and throws the same).
   */
  walk(hva: bigint, doWalk: () => WalkResult): WalkResult {
    const key = Number(hva >> 12n);
    const hit = this.walks.get(key);
    if (!hit) return bounded(this.walks, key, doWalk(), this.cap);
    return hit.present ? { ...hit, pa: hit.pageBase + (hva & (hit.pageSize - 1n)) } : hit;
  }

  /** A value derived from a memslot alone (its constants list), made once per slot object. */
  perSlot<T>(slot: object, make: () => T): T {
    let v = this.constantsBySlot.get(slot) as T | undefined;
    if (v === undefined) {
      v = make();
      this.constantsBySlot.set(slot, v);
    }
    return v;
  }

  pageState(pa: bigint): PageState {
    const pfn = Number(pa >> 12n);
    return this.states.get(pfn) ?? bounded(this.states, pfn, this.mem.pageState(pa), this.cap);
  }

  /** pteFlagNames, once per distinct entry value (a copy: callers own their array). */
  pteFlags(leaf: bigint): string[] {
    return (this.flags.get(leaf) ?? bounded(this.flags, leaf, pteFlagNames(leaf), this.cap)).slice();
  }

  page(pfn: bigint, read: () => PageInfo): PageInfo {
    return this.pages.get(pfn) ?? bounded(this.pages, pfn, read(), this.cap);
  }

  /** The VMA holding `hva` among the last few found (VMAs do not overlap: a hit is the one findVma returns). */
  vma(hva: bigint): { v: Vma; file: string } | undefined {
    return this.vmas.find((e) => hva >= e.v.start && hva < e.v.end);
  }

  addVma(v: Vma, file: string): void {
    this.vmas.unshift({ v, file });
    if (this.vmas.length > 8) this.vmas.pop();
  }
}
