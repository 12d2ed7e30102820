// The page-table walk over a whole virtual range, table by table: each table page is read once (4 KiB), an empty
// or huge entry covers its whole span in one step, so a range costs what its mappings cost, not its page count.
// The same level tables and leaf rules as walk() (pagetable.ts): one walker, two ways to drive it.
import { LEVELS_4, LEVELS_5, notPresentDetail, PHYS_MASK, PTE_BITS, type LevelEntry, type WalkOptions } from './pagetable.js';

export type RangeRun =
  /** [va, va+size) is mapped to [pa, pa+size), inside one leaf of `pageSize`. */
  | { kind: 'mapped'; va: bigint; size: bigint; pa: bigint; pageSize: bigint; leaf: bigint }
  /** The entry at `level` is empty: never touched. */
  | { kind: 'empty'; va: bigint; size: bigint; level: LevelEntry['name'] }
  /** A PTE holding a swap entry. */
  | { kind: 'swap'; va: bigint; size: bigint; leaf: bigint; swap: { type: number; offset: bigint } }
  /** A non-empty entry that is not present (PROT_NONE / NUMA hinting, or a non-present upper entry). */
  | { kind: 'not-present'; va: bigint; size: bigint; leaf: bigint; level: LevelEntry['name']; protNone?: boolean }
  /** The table page at `table` could not be read (excluded from the dump...): the range it covers is unknown. */
  | { kind: 'unreadable'; va: bigint; size: bigint; level: LevelEntry['name']; table: bigint; error: unknown };

const PAGE = 4096;

/**
 * Visits [start, end) in address order as runs. `readTable` reads one 4 KiB table page at a physical address and
 * may throw. Bounded: every step advances by at least one 4 KiB page.
 */
export function walkRange(readTable: (pa: bigint) => Buffer, top: bigint, start: bigint, end: bigint, opts: WalkOptions, visit: (r: RangeRun) => void): void {
  const table = opts.levels === 5 ? LEVELS_5 : LEVELS_4;
  const mask = PHYS_MASK & ~opts.smeMask;
  const rec = (base: bigint, li: number, lo: bigint, hi: bigint): void => {
    const lv = table[li];
    let buf: Buffer;
    try {
      buf = readTable(base);
      if (buf.length < PAGE) throw new Error(`short read of the ${lv.name} table at ${base.toString(16)}`);
    } catch (error) {
      visit({ kind: 'unreadable', va: lo, size: hi - lo, level: lv.name, table: base, error });
      return;
    }
    const span = 1n << lv.shift;
    let va = lo;
    while (va < hi) {
      const i = Number((va >> lv.shift) & 0x1ffn);
      const segEnd = ((va >> lv.shift) + 1n) << lv.shift;
      const to = segEnd < hi ? segEnd : hi;
      const value = buf.readBigUInt64LE(i * 8) & ~opts.smeMask;
      const isPte = lv.name === 'PTE';
      if (!(value & PTE_BITS.PRESENT)) {
        if (value === 0n) visit({ kind: 'empty', va, size: to - va, level: lv.name });
        else {
          const d = notPresentDetail(value, isPte);
          if (d.swap) visit({ kind: 'swap', va, size: to - va, leaf: value, swap: d.swap });
          else visit({ kind: 'not-present', va, size: to - va, leaf: value, level: lv.name, protNone: d.protNone });
        }
      } else if (isPte || (lv.leafSize !== undefined && (value & PTE_BITS.PSE) !== 0n)) {
        const pageBase = value & mask & ~(span - 1n);
        visit({ kind: 'mapped', va, size: to - va, pa: pageBase + (va & (span - 1n)), pageSize: span, leaf: value });
      } else {
        rec(value & mask, li + 1, va, to);
      }
      va = to;
    }
  };
  if (end > start) rec(top & mask, 0, start, end);
}
