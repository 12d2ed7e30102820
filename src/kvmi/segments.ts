// VMCB segment state → struct kvm_segment, the way KVM's svm_get_segment() turns one into the other
// (arch/x86/kvm/svm/svm.c): the VMCB keeps a 12-bit attrib (descriptor bits 55:52 and 47:40); KVM derives g from
// the limit, "unusable" from present/type, sets TR's busy bit, the data segments' accessed bit, and SS's dpl = CPL.
import { type SegmentState } from '../vtop/guest-view.js';

export interface KvmSegment {
  base: bigint;
  limit: number;
  selector: number;
  type: number;
  present: number;
  dpl: number;
  db: number;
  s: number;
  l: number;
  g: number;
  avl: number;
  unusable: number;
}

/** SVM_SELECTOR_*_SHIFT (arch/x86/include/asm/svm.h). */
const ATTR = { S: 4, DPL: 5, P: 7, AVL: 8, L: 9, DB: 10 } as const;
const TYPE_MASK = 0xf;

/** `which`: the kvm_sregs name (cs ds es fs gs ss tr ldt); `cpl`: the VMCB's save.cpl. */
export function kvmSegment(v: SegmentState, which: string, cpl: number | undefined): KvmSegment {
  const a = v.attrib;
  const bit = (shift: number) => (a >> shift) & 1;
  const seg: KvmSegment = {
    base: v.base,
    limit: v.limit >>> 0,
    selector: v.selector & 0xffff,
    type: a & TYPE_MASK,
    s: bit(ATTR.S),
    dpl: (a >> ATTR.DPL) & 3,
    present: bit(ATTR.P),
    avl: bit(ATTR.AVL),
    l: bit(ATTR.L),
    db: bit(ATTR.DB),
    g: v.limit >>> 0 > 0xfffff ? 1 : 0,
    unusable: 0,
  };
  seg.unusable = !seg.present || seg.type === 0 ? 1 : 0;
  if (which === 'tr') seg.type |= 0x2;
  else if (['ds', 'es', 'fs', 'gs'].includes(which)) {
    if (!seg.unusable) seg.type |= 0x1;
  } else if (which === 'ss') {
    if (seg.unusable) seg.db = 0;
    if (cpl !== undefined) seg.dpl = cpl;
  }
  return seg;
}

/** kvm_sregs order of the segments, and the VMCB save-area member each comes from. */
export const SREGS_SEGMENTS: [string, string][] = [
  ['cs', 'cs'],
  ['ds', 'ds'],
  ['es', 'es'],
  ['fs', 'fs'],
  ['gs', 'gs'],
  ['ss', 'ss'],
  ['tr', 'tr'],
  ['ldt', 'ldtr'],
];

/** struct kvm_segment: base u64, limit u32, selector u16, type, present, dpl, db, s, l, g, avl, unusable, padding (u8). */
export function writeKvmSegment(b: Buffer, at: number, s: KvmSegment): void {
  b.writeBigUInt64LE(s.base, at);
  b.writeUInt32LE(s.limit >>> 0, at + 8);
  b.writeUInt16LE(s.selector, at + 12);
  [s.type, s.present, s.dpl, s.db, s.s, s.l, s.g, s.avl, s.unusable].forEach((v, i) => b.writeUInt8(v & 0xff, at + 14 + i));
}

/** struct kvm_dtable: base u64, limit u16, padding u16[3]. */
export function writeKvmDtable(b: Buffer, at: number, base: bigint, limit: number): void {
  b.writeBigUInt64LE(base, at);
  b.writeUInt16LE(limit & 0xffff, at + 8);
}
