// VMCB attrib → kvm_segment, against the rules of KVM's svm_get_segment() applied by hand to known descriptors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kvmSegment } from '../../src/kvmi/segments.js';

describe('VMCB segments as kvm_segment', () => {
  it('a 64-bit kernel code segment (attrib 0x29b: type 0xb, S, P, L)', () => {
    const s = kvmSegment({ name: 'cs', selector: 0x10, attrib: 0x29b, limit: 0xffffffff, base: 0n }, 'cs', 0);
    assert.deepEqual(s, { base: 0n, limit: 0xffffffff, selector: 0x10, type: 0xb, s: 1, dpl: 0, present: 1, avl: 0, l: 1, db: 0, g: 1, unusable: 0 });
  });
  it('SS takes the dpl of the CPL; an unusable SS has db 0', () => {
    assert.equal(kvmSegment({ name: 'ss', selector: 0x2b, attrib: 0xcf3, limit: 0xffffffff, base: 0n }, 'ss', 3).dpl, 3);
    const u = kvmSegment({ name: 'ss', selector: 0, attrib: 0x400, limit: 0, base: 0n }, 'ss', 0);
    assert.deepEqual([u.unusable, u.db], [1, 0]);
  });
  it('TR gets the busy bit, usable data segments the accessed bit, a null selector is unusable', () => {
    assert.equal(kvmSegment({ name: 'tr', selector: 0x40, attrib: 0x89, limit: 0x4087, base: 0xfffffe0000003000n }, 'tr', 0).type, 0xb);
    assert.equal(kvmSegment({ name: 'ds', selector: 0x18, attrib: 0xc92, limit: 0xffffffff, base: 0n }, 'ds', 0).type, 0x3);
    const ds0 = kvmSegment({ name: 'ds', selector: 0, attrib: 0, limit: 0, base: 0n }, 'ds', 0);
    assert.deepEqual([ds0.unusable, ds0.type, ds0.g], [1, 0, 0]);
  });
});
