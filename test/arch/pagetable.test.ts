// The x86_64 walker on hand-built page tables: expected values come from the architecture's rules
// (index = va bits, PSE leaves, PFN mask) applied by hand below, not from the walker.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pteFlagNames, walk } from '../../src/arch/x86_64/pagetable.js';

class FakePhys {
  words = new Map<bigint, bigint>();
  set(pa: bigint, v: bigint): void {
    this.words.set(pa, v);
  }
  read = (pa: bigint): bigint => this.words.get(pa) ?? 0n;
}

const P = 0x1n | 0x2n | 0x4n; // PRESENT|RW|USER
const idx = (va: bigint, shift: bigint): bigint => (va >> shift) & 0x1ffn;

describe('x86_64 page walk', () => {
  const va = 0x7f4385801123n;
  it('walks 4 levels to a 4K page', () => {
    const m = new FakePhys();
    m.set(0x1000n + idx(va, 39n) * 8n, 0x2000n | P);
    m.set(0x2000n + idx(va, 30n) * 8n, 0x3000n | P);
    m.set(0x3000n + idx(va, 21n) * 8n, 0x4000n | P);
    m.set(0x4000n + idx(va, 12n) * 8n, (1n << 63n) | 0xabcd000n | P | 0x60n);
    const r = walk(m.read, 0x1000n, va, { levels: 4, smeMask: 0n });
    assert.equal(r.present, true);
    if (!r.present) return;
    assert.deepEqual(r.levels.map((l) => l.name), ['PGD', 'PUD', 'PMD', 'PTE']);
    assert.equal(r.levels[0].entry, 0x1000n + idx(va, 39n) * 8n);
    assert.equal(r.pageSize, 0x1000n);
    assert.equal(r.pa, 0xabcd123n);
  });
  it('stops at a PSE PMD with a 2M page and at a PSE PUD with a 1G page', () => {
    const m = new FakePhys();
    m.set(0x1000n + idx(va, 39n) * 8n, 0x2000n | P);
    m.set(0x2000n + idx(va, 30n) * 8n, 0x3000n | P);
    m.set(0x3000n + idx(va, 21n) * 8n, 0x5c00000n | P | 0x80n);
    const r = walk(m.read, 0x1000n, va, { levels: 4, smeMask: 0n });
    assert.ok(r.present && r.pageSize === 0x200000n && r.pa === 0x5c00000n + (va & 0x1fffffn));
    m.set(0x2000n + idx(va, 30n) * 8n, 0x40000000n | P | 0x80n);
    const g = walk(m.read, 0x1000n, va, { levels: 4, smeMask: 0n });
    assert.ok(g.present && g.pageSize === 0x40000000n && g.pa === 0x40000000n + (va & 0x3fffffffn));
    assert.equal(g.levels.length, 2);
  });
  it('walks 5 levels with a P4D line', () => {
    const m = new FakePhys();
    const v5 = 0x00ff_1234_5678_9000n;
    m.set(0x1000n + idx(v5, 48n) * 8n, 0x2000n | P);
    m.set(0x2000n + idx(v5, 39n) * 8n, 0x3000n | P);
    m.set(0x3000n + idx(v5, 30n) * 8n, 0x4000n | P);
    m.set(0x4000n + idx(v5, 21n) * 8n, 0x5000n | P);
    m.set(0x5000n + idx(v5, 12n) * 8n, 0x9000n | P);
    const r = walk(m.read, 0x1000n, v5, { levels: 5, smeMask: 0n });
    assert.deepEqual(r.levels.map((l) => l.name), ['PGD', 'P4D', 'PUD', 'PMD', 'PTE']);
    assert.ok(r.present && r.pa === 0x9000n);
  });
  it('clears the SME C-bit from every entry', () => {
    const m = new FakePhys();
    const c = 1n << 47n;
    m.set(0x1000n + idx(va, 39n) * 8n, c | 0x2000n | P);
    m.set(0x2000n + idx(va, 30n) * 8n, c | 0x3000n | P);
    m.set(0x3000n + idx(va, 21n) * 8n, c | 0x4000n | P);
    m.set(0x4000n + idx(va, 12n) * 8n, c | 0x7000n | P);
    const r = walk(m.read, 0x1000n | c, va, { levels: 4, smeMask: c });
    assert.ok(r.present && r.pa === 0x7123n);
    assert.ok(r.levels.every((l) => (l.value & c) === 0n));
  });
  it('reports an empty entry and decodes a swap entry (L1TF-inverted offset)', () => {
    const m = new FakePhys();
    m.set(0x1000n + idx(va, 39n) * 8n, 0x2000n | P);
    m.set(0x2000n + idx(va, 30n) * 8n, 0x3000n | P);
    m.set(0x3000n + idx(va, 21n) * 8n, 0x4000n | P);
    const empty = walk(m.read, 0x1000n, va, { levels: 4, smeMask: 0n });
    assert.ok(!empty.present && empty.leaf === 0n && empty.levels.length === 4 && !empty.swap);
    // Kernel: __swp_entry(type, offset) = (~offset << SWP_OFFSET_SHIFT(14) >> SWP_TYPE_BITS(5)) | type << 59
    const type = 3n;
    const offset = 0x12345n;
    const entry = (BigInt.asUintN(64, BigInt.asUintN(64, ~offset << 14n) >> 5n) & ~(0x1fn << 59n)) | (type << 59n);
    m.set(0x4000n + idx(va, 12n) * 8n, entry & ~1n);
    const sw = walk(m.read, 0x1000n, va, { levels: 4, smeMask: 0n });
    assert.ok(!sw.present);
    assert.deepEqual(sw.swap, { type: 3, offset });
  });
});

describe('crash PTE flag names', () => {
  it('names flags in crash order, PSE only when present', () => {
    assert.deepEqual(pteFlagNames(0x8000000005c008e7n), ['PRESENT', 'RW', 'USER', 'ACCESSED', 'DIRTY', 'PSE', 'NX']);
    assert.deepEqual(pteFlagNames(0x800000000e1f1867n), ['PRESENT', 'RW', 'USER', 'ACCESSED', 'DIRTY', 'NX']);
    assert.deepEqual(pteFlagNames(0x180n), ['PROTNONE', 'GLOBAL']);
  });
});
