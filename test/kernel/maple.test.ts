// The maple tree walker on hand-built nodes encoded as lib/maple_tree.c encodes them: a child slot holds
// node | type << 3 | MAPLE_ENODE_NULL (4); the root is that | MAPLE_ROOT_NODE (2); pivots are inclusive
// upper bounds and the last used pivot of a node equals the node's maximum.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapleEntries, mapleLoad } from '../../src/kernel/maple.js';
import { mapleTypes, SyntheticMemory } from '../helpers/synthetic-kernel.js';

const ULONG_MAX = (1n << 64n) - 1n;
const LEAF64 = 1n;
const RANGE64 = 2n;
const ARANGE64 = 3n;
const enode = (node: bigint, type: bigint) => node | (type << 3n) | 4n;
const root = (e: bigint) => e | 2n;

const TREE = 0x1000n; // struct maple_tree
const V1 = 0xffff888000001000n;
const V2 = 0xffff888000002000n;
const V3 = 0xffff888000003000n;

/** Writes a range64/leaf64 node (pivot[15] at 8, slot[16] at 128). */
function range64(mem: SyntheticMemory, at: bigint, pivots: bigint[], slots: bigint[]) {
  pivots.forEach((p, i) => mem.u64(at + 8n + BigInt(i) * 8n, p));
  slots.forEach((s, i) => mem.u64(at + 128n + BigInt(i) * 8n, s));
}

/** Writes an arange64 node (pivot[9] at 8, slot[10] at 80). */
function arange64(mem: SyntheticMemory, at: bigint, pivots: bigint[], slots: bigint[]) {
  pivots.forEach((p, i) => mem.u64(at + 8n + BigInt(i) * 8n, p));
  slots.forEach((s, i) => mem.u64(at + 80n + BigInt(i) * 8n, s));
}

/** A two-level tree like an mm's: an arange64 root over two leaves, gaps stored as NULL ranges. */
function vmaLikeTree(): SyntheticMemory {
  const mem = new SyntheticMemory(mapleTypes());
  const A = 0x10000n;
  const L1 = 0x10100n;
  const L2 = 0x10200n;
  mem.u64(TREE + 8n, root(enode(A, ARANGE64)));
  arange64(mem, A, [0x7fffffffn, ULONG_MAX], [enode(L1, LEAF64), enode(L2, LEAF64)]);
  range64(mem, L1, [0x3fffffn, 0x400fffn, 0x47afffn, 0x7fffffffn], [0n, V1, V2, 0n]);
  range64(mem, L2, [0x7f43851fffffn, 0x7f43855fffffn, ULONG_MAX], [0n, V3, 0n]);
  return mem;
}

describe('maple tree walker (synthetic nodes)', () => {
  it('lists every entry with its inclusive range, in index order, skipping NULL gaps', () => {
    const got = [...mapleEntries(vmaLikeTree(), TREE, 'test tree')];
    assert.deepEqual(got, [
      { first: 0x400000n, last: 0x400fffn, entry: V1 },
      { first: 0x401000n, last: 0x47afffn, entry: V2 },
      { first: 0x7f4385200000n, last: 0x7f43855fffffn, entry: V3 },
    ]);
  });

  it('loads the entry holding an index by descending one path', () => {
    const mem = vmaLikeTree();
    assert.equal(mapleLoad(mem, TREE, 0x400800n, 't')?.entry, V1);
    assert.equal(mapleLoad(mem, TREE, 0x47afffn, 't')?.entry, V2);
    assert.deepEqual(mapleLoad(mem, TREE, 0x7f43853a5000n, 't'), { first: 0x7f4385200000n, last: 0x7f43855fffffn, entry: V3 });
    assert.equal(mapleLoad(mem, TREE, 0x3fffffn, 't'), undefined, 'a NULL range');
    assert.equal(mapleLoad(mem, TREE, 0x7f4385600000n, 't'), undefined, 'past the last VMA');
    assert.equal(mapleLoad(mem, TREE, 0n, 't'), undefined);
  });

  it('reads a tree whose root is a single leaf (range64 as an internal node too)', () => {
    const mem = new SyntheticMemory(mapleTypes());
    const R = 0x20000n;
    const L = 0x20100n;
    mem.u64(TREE + 8n, root(enode(R, RANGE64)));
    range64(mem, R, [0xffffn, ULONG_MAX], [enode(L, LEAF64), 0n]);
    range64(mem, L, [0xfffn, 0x1fffn, 0xffffn], [V1, 0n, V2]);
    assert.deepEqual(
      [...mapleEntries(mem, TREE, 't')].map((e) => [e.first, e.last, e.entry]),
      [
        [0n, 0xfffn, V1],
        [0x2000n, 0xffffn, V2],
      ],
    );
  });

  it('an empty tree and a single entry stored in the root pointer', () => {
    const mem = new SyntheticMemory(mapleTypes());
    mem.u64(TREE + 8n, 0n);
    assert.deepEqual([...mapleEntries(mem, TREE, 't')], []);
    mem.u64(TREE + 8n, V1);
    assert.deepEqual([...mapleEntries(mem, TREE, 't')], [{ first: 0n, last: 0n, entry: V1 }]);
    assert.equal(mapleLoad(mem, TREE, 0n, 't')?.entry, V1);
    assert.equal(mapleLoad(mem, TREE, 1n, 't'), undefined);
  });

  it('stops on a cycle (a node whose child is itself): WALK_CYCLE naming the node when walking, WALK_LIMIT (depth) when descending', () => {
    const mem = new SyntheticMemory(mapleTypes());
    const A = 0x30000n;
    mem.u64(TREE + 8n, root(enode(A, ARANGE64)));
    arange64(mem, A, [ULONG_MAX], [enode(A, ARANGE64)]);
    assert.throws(() => [...mapleEntries(mem, TREE, 'cyclic tree')], (e: Error & { code?: string }) => e.code === 'WALK_CYCLE' && /cyclic tree/.test(e.message) && /node 0x30000 is reached twice/.test(e.message));
    assert.throws(() => mapleLoad(mem, TREE, 5n, 'cyclic tree'), (e: Error & { code?: string }) => e.code === 'WALK_LIMIT');
  });

  it('stops with WALK_LIMIT when a tree has more entries than its bound', () => {
    assert.throws(() => [...mapleEntries(vmaLikeTree(), TREE, 'small bound', 2)], (e: Error & { code?: string }) => e.code === 'WALK_LIMIT');
  });

  it('rejects a pivot above the node maximum and an unknown node type, naming the node', () => {
    const mem = new SyntheticMemory(mapleTypes());
    const A = 0x40000n;
    const L = 0x40100n;
    mem.u64(TREE + 8n, root(enode(A, ARANGE64)));
    arange64(mem, A, [0xffffn, ULONG_MAX], [enode(L, LEAF64), 0n]);
    range64(mem, L, [0x1ffffn], [V1]);
    assert.throws(() => [...mapleEntries(mem, TREE, 't')], (e: Error & { code?: string }) => e.code === 'BAD_MAPLE_NODE' && /0x40100/.test(e.message));
    mem.u64(TREE + 8n, root(enode(A, 9n)));
    assert.throws(() => [...mapleEntries(mem, TREE, 't')], (e: Error & { code?: string }) => e.code === 'BAD_MAPLE_NODE' && /unknown type 9/.test(e.message));
  });
});
