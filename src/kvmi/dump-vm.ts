// A dumped VM as the KVMI handler sees it: memory through memslots and the VMM's page tables, vCPU state
// from what KVM saved in struct kvm_vcpu. Nothing here writes; a page that is not there is an error.
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { type VcpuInfo, vcpusOf } from '../kvm/vcpus.js';
import { translateGpa, type VmContext } from '../vtop/translate.js';
import { type GuestView, type VcpuGuestState } from '../vtop/guest-view.js';
import { type IntrospectedVm, type SavedSregs } from './handler.js';
import { type KvmSegment, kvmSegment, SREGS_SEGMENTS } from './segments.js';

const MSR_EFER = 0xc0000080;
const MAX_CPUID = 256;

export class DumpedVm implements IntrospectedVm {
  readonly vcpuCount: number;
  readonly tscKhz?: number;
  private vcpus: VcpuInfo[];
  private regCache = new Map<number, Map<string, bigint>>();

  constructor(
    private readonly k: Kernel,
    private readonly ctx: VmContext,
    /** The VM from inside: with kvm-amd's types, the VMCB save area gives CR0/CR3/CR4/EFER and the segments. */
    private readonly guest?: GuestView,
  ) {
    this.vcpus = vcpusOf(k, ctx.kvm);
    this.vcpuCount = this.vcpus.length;
    const v0 = this.vcpus[0] && this.vcpuObj(0);
    if (v0?.has('arch.virtual_tsc_khz')) this.tscKhz = Number(v0.member('arch.virtual_tsc_khz').value());
  }

  private vcpuObj(i: number): KObject | undefined {
    const v = this.vcpus.find((x) => (x.vcpuIdx ?? x.vcpuId) === i) ?? this.vcpus[i];
    return v ? this.k.obj('kvm_vcpu', v.addr) : undefined;
  }

  readPhysical(gpa: bigint, size: number): Buffer {
    const t = translateGpa(this.k, this.ctx, gpa, 0);
    if (t.error || t.hpa === undefined) throw new Error(t.error?.message ?? 'no hpa');
    return Buffer.from(this.k.mem.read(t.hpa, size));
  }

  registers(vcpu: number): Map<string, bigint> | undefined {
    if (vcpu >= this.vcpus.length) return undefined;
    let m = this.regCache.get(vcpu);
    if (!m) {
      const v = this.vcpus.find((x) => (x.vcpuIdx ?? x.vcpuId) === vcpu) ?? this.vcpus[vcpu];
      m = new Map(v.regs.map((r) => [r.name, r.value]));
      const run = v.runInfo as { apicBase?: bigint } | undefined;
      if (run?.apicBase !== undefined) m.set('apic_base', run.apicBase);
      // CR3: the VMCB's saved value (what the guest last ran with: KVM reads it back only when it needs it, so
      // vcpu->arch.cr3 can be an older cache). The GPRs and RIP stay KVM's: after an exit KVM emulates (an IO
      // instruction is skipped), so its copies are newer than the VMCB's.
      const st = this.vmcbState(vcpu);
      if (st?.cr3 !== undefined) m.set('cr3', st.cr3);
      this.regCache.set(vcpu, m);
    }
    return m;
  }

  /** vCPU `vcpu`'s VMCB save area, when kvm-amd's types are at hand (else undefined: no VMCB state). */
  private vmcbState(vcpu: number): VcpuGuestState | undefined {
    if (!this.guest) return undefined;
    try {
      const st = this.guest.vcpuState(vcpu);
      return st.vmcb !== undefined ? st : undefined;
    } catch {
      return undefined;
    }
  }

  sregs(vcpu: number): SavedSregs | undefined {
    const st = this.vmcbState(vcpu);
    if (!st?.segments) return undefined;
    const byName = new Map(st.segments.map((s) => [s.name, s]));
    const segments = new Map<string, KvmSegment>();
    for (const [name, vmcbName] of SREGS_SEGMENTS) {
      const s = byName.get(vmcbName);
      if (s) segments.set(name, kvmSegment(s, name, st.cpl));
    }
    const dt = (n: string) => {
      const s = byName.get(n);
      return s ? { base: s.base, limit: s.limit } : undefined;
    };
    return { segments, gdt: dt('gdtr'), idt: dt('idtr') };
  }

  msr(vcpu: number, index: number): bigint | undefined {
    return index === MSR_EFER ? this.registers(vcpu)?.get('efer') : undefined;
  }

  /** From the vCPU's CPUID table (arch.cpuid_entries[arch.cpuid_nent], struct kvm_cpuid_entry2). */
  cpuid(vcpu: number, fn: number, index: number): [number, number, number, number] | undefined {
    const o = this.vcpuObj(vcpu);
    if (!o || !o.has('arch.cpuid_entries') || !o.has('arch.cpuid_nent')) return undefined;
    const n = Math.min(Number(o.member('arch.cpuid_nent').value()), MAX_CPUID);
    const entries = o.member('arch.cpuid_entries');
    if (entries.value() === 0n) return undefined;
    for (let i = 0; i < n; i++) {
      const e = entries.at(i);
      if (Number(e.member('function').value()) !== fn) continue;
      const flags = Number(e.member('flags').value());
      const significant = (flags & 1) !== 0; // KVM_CPUID_FLAG_SIGNIFCANT_INDEX
      if (significant && Number(e.member('index').value()) !== index) continue;
      return [e.member('eax'), e.member('ebx'), e.member('ecx'), e.member('edx')].map((x) => Number(x.value())) as [number, number, number, number];
    }
    return undefined;
  }
}
