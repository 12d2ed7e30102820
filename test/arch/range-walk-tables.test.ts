// The range walker on hand-built page tables: each expected item is derived by hand from the entries set
// below (index = va bits, PSE leaves, clipping to the range), and every table page must be read once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { walkRange as walkWith, type RangeRun } from '../../src/arch/x86_64/range-walk.js';
import { type WalkOptions } from '../../src/arch/x86_64/pagetable.js';

function walkRange(read: (pa: bigint) => Buffer, top: bigint, a: bigint, b: bigint, o: WalkOptions): RangeRun[] {
  const out: RangeRun[] = [];
  walkWith(read, top, a, b, o, (r) => out.push(r));
  return out;
}
import { PageExcludedError } from '../../src/dump/physmem.js';

const P = 0x7n; // PRESENT|RW|USER
const idx = (va: bigint, shift: bigint): number => Number((va >> shift) & 0x1ffn);

class Tables {
  pages = new Map<bigint, Buffer>();
  reads = new Map<bigint, number>();
  excluded = new Set<bigint>();
  set(table: bigint, i: number, v: bigint): void {
    if (!this.pages.has(table)) this.pages.set(table, Buffer.alloc(4096));
    this.pages.get(table)!.writeBigUInt64LE(v, i * 8);
  }
  read = (pa: bigint): Buffer => {
    this.reads.set(pa, (this.reads.get(pa) ?? 0) + 1);
    if (this.excluded.has(pa)) throw new PageExcludedError(pa, 'test');
    return this.pages.get(pa) ?? Buffer.alloc(4096);
  };
}

const brief = (it: RangeRun) => [it.kind, it.va, it.size, it.kind === 'mapped' ? it.pa : it.kind === 'unreadable' ? it.table : it.kind === 'empty' ? 0n : it.leaf];

describe('range walk of the page tables', () => {
  // va 0x7f0000000000: PGD index 254, PUD 0; PMD 0 -> PTE table; PMD 1 -> 2M page; PMD 2 empty.
  const base = 0x7f0000000000n;
  function build(): Tables {
    const t = new Tables();
    t.set(0x1000n, idx(base, 39n), 0x2000n | P);
    t.set(0x2000n, idx(base, 30n), 0x3000n | P);
    t.set(0x3000n, 0, 0x4000n | P);
    t.set(0x3000n, 1, 0x40000000n | P | 0x80n); // PSE: 2M at hpa 0x40000000
    t.set(0x4000n, 0, 0xa000n | P);
    t.set(0x4000n, 1, 0xb000n | P); // the next page in va and in pa
    t.set(0x4000n, 3, 0x8000000000000000n | 0x5000n | P); // NX bit set: the pa must drop it
    t.set(0x4000n, 4, ~(0x1234n << 9n) & ((1n << 59n) - 1n) & ~1n & ~0x100n); // a swap entry (not present, not PROT_NONE)
    return t;
  }

  it('yields maps, holes and huge pages in va order, clipped to the range, each table read once', () => {
    const t = build();
    const start = base + 0x800n; // inside PTE 0
    const end = base + 0x200000n + 0x3000n; // 3 pages into the 2M page
    const items = (walkRange(t.read, 0x1000n, start, end, { levels: 4, smeMask: 0n }));
    assert.deepEqual(items.map(brief), [
      ['mapped', start, 0x800n, 0xa800n],
      ['mapped', base + 0x1000n, 0x1000n, 0xb000n],
      ['empty', base + 0x2000n, 0x1000n, 0n],
      ['mapped', base + 0x3000n, 0x1000n, 0x5000n],
      ['swap', base + 0x4000n, 0x1000n, ~(0x1234n << 9n) & ((1n << 59n) - 1n) & ~1n & ~0x100n],
      ...Array.from({ length: 507 }, (_, i) => ['empty', base + BigInt(5 + i) * 0x1000n, 0x1000n, 0n]),
      ['mapped', base + 0x200000n, 0x3000n, 0x40000000n],
    ]);
    const huge = items[items.length - 1];
    assert.ok(huge.kind === 'mapped' && huge.pageSize === 0x200000n && huge.leaf === (0x40000000n | P | 0x80n));
    const swap = items[4];
    assert.ok(swap.kind === 'swap' && swap.swap.type === 0, 'a non-present, non-PROT_NONE PTE is a swap entry');
    for (const [pa, n] of t.reads) assert.equal(n, 1, `table ${pa.toString(16)} read ${n} times`);
    assert.deepEqual([...t.reads.keys()].sort((a, b) => Number(a - b)), [0x1000n, 0x2000n, 0x3000n, 0x4000n]);
  });

  it('covers an empty upper-level entry with one hole, and an unreadable table with one item', () => {
    const t = build();
    const items = (walkRange(t.read, 0x1000n, base + 0x400000n, base + 0x40000000n + 0x1000n, { levels: 4, smeMask: 0n }));
    // PMD 2..511 of PUD 0 are empty (one hole each), then PUD 1 is empty: one hole of a single page (clipped).
    assert.equal(items.length, 511);
    assert.ok(items.every((i) => i.kind === 'empty'));
    assert.deepEqual(brief(items[items.length - 1]), ['empty', base + 0x40000000n, 0x1000n, 0n]);
    t.excluded.add(0x4000n);
    const bad = (walkRange(t.read, 0x1000n, base, base + 0x2000n, { levels: 4, smeMask: 0n }));
    assert.deepEqual(bad.map(brief), [['unreadable', base, 0x2000n, 0x4000n]]);
    assert.ok(bad[0].kind === 'unreadable' && bad[0].error instanceof PageExcludedError && bad[0].level === 'PTE');
  });

  it('sums to the range length whatever the alignment', () => {
    const t = build();
    for (const [a, b] of [[base + 1n, base + 2n], [base + 0xfffn, base + 0x1001n], [base, base + 0x600000n]] as const) {
      const items = (walkRange(t.read, 0x1000n, a, b, { levels: 4, smeMask: 0n }));
      assert.equal(items.reduce((s, i) => s + i.size, 0n), b - a);
      assert.equal(items[0].va, a);
    }
  });
});
