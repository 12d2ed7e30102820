// The xarray walker on hand-built nodes encoded as include/linux/xarray.h encodes them: node pointers are
// node | 2 (internal, > 4096), value entries v << 1 | 1, sibling entries (offset << 2) | 2, retry and zero
// entries xa_mk_internal(256) and (257).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xaEntries } from '../../src/kernel/xarray.js';
import { SyntheticMemory, xarrayTypes } from '../helpers/synthetic-kernel.js';

const XA = 0x1000n;
const node = (addr: bigint) => addr | 2n;
const value = (v: bigint) => (v << 1n) | 1n;
const sibling = (offset: number) => (BigInt(offset) << 2n) | 2n;
const RETRY = (256n << 2n) | 2n;
const ZERO = (257n << 2n) | 2n;
const P = (n: number) => 0xffff888000000000n + BigInt(n) * 0x1000n;

function xaNode(mem: SyntheticMemory, at: bigint, shift: number, offset: number, slots: Record<number, bigint>) {
  mem.u8(at, shift);
  mem.u8(at + 1n, offset);
  for (const [i, v] of Object.entries(slots)) mem.u64(at + 40n + BigInt(i) * 8n, v);
}

function twoLevel(): SyntheticMemory {
  const mem = new SyntheticMemory(xarrayTypes());
  const N0 = 0x10000n;
  const N1 = 0x10400n;
  mem.u64(XA + 8n, node(N0));
  xaNode(mem, N0, 6, 0, { 0: node(N1), 1: P(64) });
  xaNode(mem, N1, 0, 0, { 0: P(0), 1: P(1), 2: value(5n), 4: P(4), 5: sibling(4), 6: sibling(4), 7: sibling(4), 9: RETRY, 10: ZERO });
  return mem;
}

describe('xarray walker (synthetic nodes)', () => {
  it('walks two levels: pointers, a value entry, a multi-index entry with siblings; skips retry/zero entries', () => {
    const got = [...xaEntries(twoLevel(), XA, 'test xarray')].map((e) => ({ index: e.index, kind: e.kind, entry: e.entry, value: e.value, span: e.span }));
    assert.deepEqual(got, [
      { index: 0n, kind: 'pointer', entry: P(0), value: undefined, span: 1n },
      { index: 1n, kind: 'pointer', entry: P(1), value: undefined, span: 1n },
      { index: 2n, kind: 'value', entry: value(5n), value: 5n, span: 1n },
      { index: 4n, kind: 'pointer', entry: P(4), value: undefined, span: 4n },
      { index: 64n, kind: 'pointer', entry: P(64), value: undefined, span: 64n },
    ]);
  });

  it('an empty xarray, and a single entry kept in xa_head (index 0)', () => {
    const mem = new SyntheticMemory(xarrayTypes());
    mem.u64(XA + 8n, 0n);
    assert.deepEqual([...xaEntries(mem, XA, 't')], []);
    mem.u64(XA + 8n, P(7));
    assert.deepEqual(
      [...xaEntries(mem, XA, 't')].map((e) => [e.index, e.entry]),
      [[0n, P(7)]],
    );
  });

  it('rejects a node whose shift does not fit its parent (a cycle back to the root), naming the node', () => {
    const mem = new SyntheticMemory(xarrayTypes());
    const N0 = 0x20000n;
    mem.u64(XA + 8n, node(N0));
    xaNode(mem, N0, 6, 0, { 3: node(N0) });
    assert.throws(() => [...xaEntries(mem, XA, 't')], (e: Error & { code?: string }) => e.code === 'BAD_XARRAY_NODE' && /0x20000/.test(e.message));
  });

  it('a node two parents share (a corrupt tree): WALK_CYCLE naming the node, not a walk to the bound', () => {
    const mem = new SyntheticMemory(xarrayTypes());
    const N0 = 0x20000n;
    const N1 = 0x21000n;
    mem.u64(XA + 8n, node(N0));
    xaNode(mem, N0, 6, 0, { 0: node(N1), 1: node(N1) });
    xaNode(mem, N1, 0, 0, { 0: 0x1234000n });
    assert.throws(() => [...xaEntries(mem, XA, 'shared')], (e: Error & { code?: string }) => e.code === 'WALK_CYCLE' && /shared/.test(e.message) && /0x21000/.test(e.message));
  });

  it('stops with WALK_LIMIT past its node bound', () => {
    assert.throws(() => [...xaEntries(twoLevel(), XA, 'bounded', 1)], (e: Error & { code?: string }) => e.code === 'WALK_LIMIT' && /bounded/.test(e.message));
  });
});
