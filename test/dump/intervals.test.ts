// The interval index against a linear reference on random sets of intervals: overlapping, nested, adjacent,
// unsorted, duplicated, empty. fast-check shrinks any failing set to a minimal one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IntervalIndex, type RankedInterval } from '../../src/dump/intervals.js';

/** The definition: among the intervals containing x, the lowest rank, then the first given. */
function linear<T>(items: RankedInterval<T>[], x: bigint): RankedInterval<T> | undefined {
  let best: RankedInterval<T> | undefined;
  for (const it of items) if (x >= it.start && x < it.end && (!best || it.rank < best.rank)) best = it;
  return best;
}

// Small coordinates so that random intervals collide often; some sets are then shifted high (kernel-sized bigints).
const interval = fc.record({ start: fc.integer({ min: 0, max: 64 }), len: fc.integer({ min: 0, max: 24 }), rank: fc.integer({ min: 0, max: 3 }) });
const sets = fc.record({
  raw: fc.array(interval, { maxLength: 24 }),
  dup: fc.boolean(),
  base: fc.constantFrom(0n, 0x100000n, 0xffff888000000000n),
});

let cases = 0;
let points = 0;

describe('IntervalIndex', () => {
  it('answers every point exactly as a linear scan does (random segment sets)', (t) => {
    fc.assert(
      fc.property(sets, ({ raw, dup, base }) => {
        const items: RankedInterval<number>[] = raw.map((r, i) => ({ start: base + BigInt(r.start), end: base + BigInt(r.start + r.len), rank: r.rank, value: i }));
        if (dup && items.length) items.push({ ...items[0], value: items.length }); // an exact duplicate, given later: never wins
        const idx = new IntervalIndex(items);
        for (let x = -1; x <= 90; x++) {
          const p = base + BigInt(x);
          if (p < 0n) continue;
          const want = linear(items, p);
          const got = idx.find(p);
          assert.equal(got?.value, want?.value, `point ${p}`);
          if (got) assert.ok(got.start <= p && p < got.end);
          points++;
        }
        // Pieces are disjoint, sorted, non-empty, and no two touching pieces carry the same value.
        for (let i = 0; i < idx.pieces.length; i++) {
          const a = idx.pieces[i];
          assert.ok(a.start < a.end);
          if (i) {
            const b = idx.pieces[i - 1];
            assert.ok(b.end <= a.start);
            assert.ok(!(b.end === a.start && b.value === a.value));
          }
        }
        cases++;
      }),
      { numRuns: 2000 },
    );
    assert.equal(cases, 2000);
    t.diagnostic(`intervals: ${cases} random sets, ${points} points, all equal to the linear scan`);
  });

  it('finds points inside a segment that a nested one splits (the kcore text-inside-RAM shape)', () => {
    const idx = new IntervalIndex([
      { start: 0x1000000n, end: 0x3830000n, rank: 0, value: 'text' },
      { start: 0x1000n, end: 0x9f000n, rank: 0, value: 'ram0' },
      { start: 0x100000n, end: 0x40000000n, rank: 0, value: 'ram1' },
    ]);
    assert.equal(idx.find(0x2000000n)?.value, 'text');
    assert.equal(idx.find(0x5399590n)?.value, 'ram1'); // the address the kit's four-range run could not read
    assert.equal(idx.find(0xc000000n)?.value, 'ram1');
    assert.equal(idx.find(0x100000n)?.value, 'ram1');
    assert.equal(idx.find(0x9f000n), undefined);
    assert.deepEqual(idx.pieces.map((p) => p.value), ['ram0', 'ram1', 'text', 'ram1']);
  });

  it('builds an index of 100,000 disjoint segments once, without quadratic work', () => {
    const n = 100_000;
    const items = Array.from({ length: n }, (_, i) => ({ start: BigInt(i) * 0x2000n, end: BigInt(i) * 0x2000n + 0x1000n, rank: 0, value: i }));
    items.reverse(); // unsorted input
    const idx = new IntervalIndex(items);
    assert.equal(idx.pieces.length, n);
    assert.equal(idx.find(0x2000n * 777n + 0x10n)?.value, 777);
    assert.equal(idx.find(0x2000n * 777n + 0x1000n), undefined);
  });
});
