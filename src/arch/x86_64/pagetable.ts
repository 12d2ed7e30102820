// x86_64 page-table walk (4- and 5-level, 1G/2M/4K pages), producing exactly what crash's `vtop` shows:
// for each level the physical address of the entry and the entry's value (with the SME C-bit cleared).
import { QvError } from '../../io/errors.js';

export interface LevelEntry {
  name: 'PGD' | 'P4D' | 'PUD' | 'PMD' | 'PTE';
  /** Physical address of the entry (table base + 8 × index). */
  entry: bigint;
  value: bigint;
}

export type WalkResult =
  | { present: true; levels: LevelEntry[]; pageSize: bigint; pageBase: bigint; pa: bigint; leaf: bigint }
  | { present: false; levels: LevelEntry[]; leaf: bigint; swap?: { type: number; offset: bigint }; protNone?: boolean };

export const PTE_BITS = {
  PRESENT: 1n << 0n,
  RW: 1n << 1n,
  USER: 1n << 2n,
  PWT: 1n << 3n,
  PCD: 1n << 4n,
  ACCESSED: 1n << 5n,
  DIRTY: 1n << 6n,
  PSE: 1n << 7n,
  GLOBAL: 1n << 8n,
  NX: 1n << 63n,
} as const;
/** PROTNONE shares the GLOBAL bit; it means PROTNONE only when PRESENT is clear. */
const PROTNONE = PTE_BITS.GLOBAL;
/** crash's PHYSICAL_PAGE_MASK: bits 12..51. */
export const PHYS_MASK = 0x000ffffffffff000n;

export interface Level {
  name: LevelEntry['name'];
  shift: bigint;
  /** Page size when this level's entry is a leaf (PSE); undefined where PSE does not mean a page. */
  leafSize?: bigint;
}

export const LEVELS_5: readonly Level[] = [
  { name: 'PGD', shift: 48n },
  { name: 'P4D', shift: 39n },
  { name: 'PUD', shift: 30n, leafSize: 1n << 30n },
  { name: 'PMD', shift: 21n, leafSize: 1n << 21n },
  { name: 'PTE', shift: 12n, leafSize: 1n << 12n },
];
// With 4 levels the P4D is folded into the PGD (crash prints no P4D line).
export const LEVELS_4: readonly Level[] = LEVELS_5.filter((l) => l.name !== 'P4D').map((l) => (l.name === 'PGD' ? { ...l, shift: 39n } : l));

/** A read failed mid-walk (e.g. an excluded page-table page): the levels read so far travel with it. */
export class WalkAborted extends QvError {
  constructor(
    readonly levels: LevelEntry[],
    readonly failedLevel: LevelEntry['name'],
    override readonly cause: unknown,
  ) {
    super(cause instanceof QvError ? cause.code : 'WALK_ABORTED', cause instanceof Error ? cause.message : String(cause), { level: failedLevel });
    this.name = 'WalkAborted';
  }
}

export interface WalkOptions {
  levels: 4 | 5;
  smeMask: bigint;
}

/**
 * Walks from the top-level table at physical `top` for virtual address `va`. `readU64` reads one entry
 * from physical memory and may throw (e.g. PageExcludedError); the walk is bounded by the level count.
 */
export function walk(readU64: (pa: bigint) => bigint, top: bigint, va: bigint, opts: WalkOptions): WalkResult {
  const table = opts.levels === 5 ? LEVELS_5 : LEVELS_4;
  const mask = PHYS_MASK & ~opts.smeMask;
  const levels: LevelEntry[] = [];
  let base = top & mask;
  for (const lv of table) {
    const index = (va >> lv.shift) & 0x1ffn;
    const entry = base + index * 8n;
    let value: bigint;
    try {
      value = readU64(entry) & ~opts.smeMask;
    } catch (e) {
      throw new WalkAborted(levels, lv.name, e);
    }
    levels.push({ name: lv.name, entry, value });
    if (!(value & PTE_BITS.PRESENT)) {
      return { present: false, levels, leaf: value, ...notPresentDetail(value, lv.name === 'PTE') };
    }
    const isLeaf = lv.name === 'PTE' || (lv.leafSize !== undefined && (value & PTE_BITS.PSE) !== 0n);
    if (isLeaf) {
      const size = lv.leafSize!;
      const pageBase = value & mask & ~(size - 1n);
      return { present: true, levels, pageSize: size, pageBase, pa: pageBase + (va & (size - 1n)), leaf: value };
    }
    base = value & mask;
  }
  throw new Error('unreachable: the PTE level is always a leaf');
}

export function notPresentDetail(value: bigint, isPte: boolean): { swap?: { type: number; offset: bigint }; protNone?: boolean } {
  if (value === 0n) return {};
  if (isPte && value & PROTNONE) return { protNone: true };
  if (!isPte) return {};
  // Swap entry with L1TF PTE inversion (4.20+): type in the top 5 bits, offset stored inverted below them.
  const type = Number(value >> 59n);
  const offset = (BigInt.asUintN(64, ~value << 5n)) >> 14n;
  return { swap: { type, offset } };
}

/** crash's flag names for an entry, in crash's order (x86_64_translate_pte). */
export function pteFlagNames(pte: bigint): string[] {
  if (pte === 0n) return [];
  const present = (pte & PTE_BITS.PRESENT) !== 0n;
  const out: string[] = [];
  const table: [string, boolean][] = [
    ['PRESENT', present],
    ['RW', (pte & PTE_BITS.RW) !== 0n],
    ['USER', (pte & PTE_BITS.USER) !== 0n],
    ['PWT', (pte & PTE_BITS.PWT) !== 0n],
    ['PCD', (pte & PTE_BITS.PCD) !== 0n],
    ['ACCESSED', (pte & PTE_BITS.ACCESSED) !== 0n],
    ['DIRTY', (pte & PTE_BITS.DIRTY) !== 0n],
    ['PSE', (pte & PTE_BITS.PSE) !== 0n && present],
    ['PROTNONE', (pte & PROTNONE) !== 0n && !present],
    ['GLOBAL', (pte & PTE_BITS.GLOBAL) !== 0n],
    ['NX', (pte & PTE_BITS.NX) !== 0n],
  ];
  for (const [name, on] of table) if (on) out.push(name);
  return out;
}
