// The guest state a vCPU last ran with, from the host dump. AMD keeps it architecturally in the VMCB save area
// (to_svm(vcpu)->vmcb->save, types from kvm-amd's debug info or BTF); Intel's VMCS layout in memory is not
// architectural, so only KVM's cached vcpu->arch copies are used, and only where regs_avail marks them valid.
import { type KType, type TypeSource } from '../debuginfo/types.js';
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { KObject, type Memory } from '../kernel/object.js';
import { memberOffset } from '../kernel/walkers.js';
import { readVcpu, vcpuAddresses, type VcpuInfo } from '../kvm/vcpus.js';

export type Vendor = 'amd' | 'intel' | 'unknown';

/** kvm-amd / kvm-intel types on top of the host kernel's (found by the front end: DWARF next to kvm.ko, or BTF). */
export interface VendorTypes {
  vendor: Vendor;
  types?: TypeSource;
  /** Where the types came from, or why there are none. */
  description: string;
}

export interface SegmentState {
  name: string;
  selector: number;
  attrib: number;
  limit: number;
  base: bigint;
}

export interface VcpuGuestState {
  index: number;
  vcpu: VcpuInfo;
  /** What the values are: "VMCB save area (svm->vmcb->save)" or "KVM's cached vcpu->arch". */
  source: string;
  /** The struct vmcb when the VMCB was read. */
  vmcb?: bigint;
  cr0?: bigint;
  cr3?: bigint;
  cr4?: bigint;
  efer?: bigint;
  rip?: bigint;
  rsp?: bigint;
  rflags?: bigint;
  cpl?: number;
  segments?: SegmentState[];
  /** Why a value is missing or stale. */
  notes: string[];
}

/** CR4.LA57 (bit 12): the guest uses 5-level paging. */
export const CR4_LA57 = 1n << 12n;

const SEGMENTS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'gdtr', 'ldtr', 'idtr', 'tr'];

/** Reads kernel memory through the host kernel with the vendor module's types first. */
function vendorMemory(k: Kernel, types: TypeSource): Memory {
  return {
    read: (va, n) => k.read(va, n),
    structType: (name: string): KType => {
      const t = types.findType(name, 'struct') ?? types.findType(name, 'union');
      return t ?? k.structType(name);
    },
  };
}

export function vcpuGuestState(k: Kernel, kvm: KObject, index: number, vt: VendorTypes): VcpuGuestState {
  const addrs = vcpuAddresses(k, kvm);
  if (index < 0 || index >= addrs.length) {
    throw new QvError('NO_SUCH_VCPU', `VM ${hex(kvm.addr)} has ${addrs.length} vCPU${addrs.length === 1 ? '' : 's'} (0-${addrs.length - 1}); there is no vCPU ${index}`);
  }
  const vcpu = readVcpu(k, addrs[index], new Map());
  const st: VcpuGuestState = { index, vcpu, source: '', notes: [] };
  if (vcpu.stale) st.notes.push(`vCPU ${index} was in guest mode when the host crashed: its saved state is from its previous exit (stale)`);
  if (vt.vendor === 'amd' && vt.types) {
    try {
      readVmcb(k, vt.types, vcpu.addr, st);
      return st;
    } catch (e) {
      st.notes.push(`the VMCB of vCPU ${index} cannot be read (${(e as Error).message}); using KVM's cached registers`);
    }
  } else if (vt.vendor === 'amd') st.notes.push(`kvm-amd's types are not at hand (${vt.description}), so the VMCB cannot be read; using KVM's cached registers`);
  if (vt.vendor === 'intel') st.notes.push("the VMCS's layout in memory is not architectural, so only KVM's cached registers are used; --guest-kernel needs no vCPU state");
  fromArchCache(vcpu, st);
  return st;
}

function readVmcb(k: Kernel, types: TypeSource, vcpuAddr: bigint, st: VcpuGuestState): void {
  const mem = vendorMemory(k, types);
  const svmType = mem.structType('vcpu_svm');
  // to_svm(vcpu) = container_of(vcpu, struct vcpu_svm, vcpu)
  const off = BigInt(memberOffsetIn(svmType, 'vcpu', () => memberOffset(k, 'vcpu_svm', 'vcpu')));
  const svm = new KObject(mem, svmType, vcpuAddr - off, `to_svm(${hex(vcpuAddr)})`);
  const vmcbPtr = svm.member('vmcb');
  if (vmcbPtr.value() === 0n) throw new QvError('NO_VMCB', `svm->vmcb of vCPU ${hex(vcpuAddr)} is NULL`);
  const vmcb = vmcbPtr.deref();
  const save = vmcb.member('save');
  st.vmcb = vmcb.addr;
  st.source = `VMCB save area (to_svm(vcpu)->vmcb->save, vmcb ${hex(vmcb.addr)})`;
  const get = (n: string) => (save.has(n) ? save.member(n).value() : undefined);
  st.cr0 = get('cr0');
  st.cr3 = get('cr3');
  st.cr4 = get('cr4');
  st.efer = get('efer');
  st.rip = get('rip');
  st.rsp = get('rsp');
  st.rflags = get('rflags');
  const cpl = get('cpl');
  st.cpl = cpl === undefined ? undefined : Number(cpl);
  st.segments = [];
  for (const n of SEGMENTS) {
    if (!save.has(n)) continue;
    const s = save.member(n);
    st.segments.push({ name: n, selector: s.member('selector').num(), attrib: s.member('attrib').num(), limit: s.member('limit').num(), base: s.member('base').value() });
  }
}

function memberOffsetIn(t: KType, name: string, fallback: () => bigint): number {
  const r = t.kind === 'struct' ? t : undefined;
  const m = r?.members.find((x) => x.name === name);
  return m ? m.offset : Number(fallback());
}

/** KVM's cached copies: a value counts only when regs_avail says it was loaded from the VMCS/VMCB. */
function fromArchCache(vcpu: VcpuInfo, st: VcpuGuestState): void {
  st.source = "KVM's cached vcpu->arch registers";
  for (const r of vcpu.regs) {
    const name = r.name as keyof VcpuGuestState;
    if (!['cr0', 'cr3', 'cr4', 'efer', 'rip', 'rsp', 'rflags'].includes(r.name)) continue;
    if (r.available === false) {
      st.notes.push(`vcpu->arch.${r.name} (${hex(r.value)}) is not marked available in regs_avail: KVM had not read it back from the VMCS/VMCB, it may be stale`);
      if (r.name === 'cr3') continue; // a stale CR3 would walk the wrong page table
    }
    (st as unknown as Record<string, bigint>)[name] = r.value;
  }
}
