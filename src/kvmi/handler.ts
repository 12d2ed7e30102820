// One KVMI request in, one reply out: no sockets here, so every rule is testable with plain buffers.
import {
  CMD, HDR_SIZE, KVM_ERR, KVM_MSR_ENTRY_SIZE, KVM_REGS_ORDER, KVM_REGS_SIZE, KVM_SREGS_SIZE, KVMI_VERSION,
  PAGE_SIZE, SREGS_CR_OFFSET, SREGS_CR_ORDER, VCPU_HDR_SIZE, WRITE_COMMANDS,
} from './protocol.js';
import { type KvmSegment, SREGS_SEGMENTS, writeKvmDtable, writeKvmSegment } from './segments.js';

const KVM_SEGMENT_SIZE = 24;
const KVM_DTABLE_SIZE = 16;

/** What the server needs from a dumped VM (implemented over the translation core by the caller). */
export interface IntrospectedVm {
  vcpuCount: number;
  tscKhz?: number;
  /** Guest-physical bytes; throws when the page is not mapped or not in the dump (never zeros). */
  readPhysical(gpa: bigint, size: number): Buffer;
  /** KVM's saved registers of a vCPU by name (rax.., rip, rflags, cr0.., efer, apic_base); undefined: no such vCPU. */
  registers(vcpu: number): Map<string, bigint> | undefined;
  /** Saved MSR values by index, where KVM keeps them (efer ...). */
  msr?(vcpu: number, index: number): bigint | undefined;
  cpuid?(vcpu: number, fn: number, index: number): [number, number, number, number] | undefined;
  /** The segments and descriptor tables of kvm_sregs where the dump has them (AMD: the VMCB save area). */
  sregs?(vcpu: number): SavedSregs | undefined;
}

export interface SavedSregs {
  /** By kvm_sregs name: cs ds es fs gs ss tr ldt. */
  segments: Map<string, KvmSegment>;
  gdt?: { base: bigint; limit: number };
  idt?: { base: bigint; limit: number };
}

export interface Policy {
  commands: number; // allowed-command bit mask
  events: number;
}

export interface Request {
  id: number;
  seq: number;
  data: Buffer;
}

function reply(req: Request, err: number, data?: Buffer): Buffer {
  const body = err === 0 && data ? data : Buffer.alloc(0);
  const out = Buffer.alloc(HDR_SIZE + 8 + body.length);
  out.writeUInt16LE(req.id, 0);
  out.writeUInt16LE(8 + body.length, 2);
  out.writeUInt32LE(req.seq, 4);
  out.writeInt32LE(err === 0 ? 0 : -err, 8);
  body.copy(out, 16);
  return out;
}

/** Request payload sizes of the commands whose request is one fixed struct (or none: 0). */
const REQUEST_SIZE: Readonly<Record<number, number>> = {
  [CMD.GET_VERSION]: 0,
  [CMD.GET_GUEST_INFO]: 0,
  [CMD.READ_PHYSICAL]: 16, // struct kvmi_read_physical { __u64 gpa; __u64 size; }
  [CMD.GET_CPUID]: VCPU_HDR_SIZE + 8, // kvmi_vcpu_hdr + struct kvmi_get_cpuid { __u32 function; __u32 index; }
};

const zero = (b: Buffer, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);

/** The guest's CPU mode in bytes (2, 4, 8) from the saved CR0/EFER: long mode active -> 8, protected -> 4. */
export function cpuMode(regs: Map<string, bigint>): number {
  const efer = regs.get('efer') ?? 0n;
  const cr0 = regs.get('cr0') ?? 0n;
  if (efer & (1n << 10n)) return 8; // EFER.LMA
  return cr0 & 1n ? 4 : 2; // CR0.PE
}

export function handle(vm: IntrospectedVm, policy: Policy, req: Request): Buffer {
  const d = req.data;
  if (WRITE_COMMANDS.has(req.id)) return reply(req, KVM_ERR.EPERM);
  if (!Object.values(CMD).includes(req.id as never)) return reply(req, KVM_ERR.EOPNOTSUPP);
  if (req.id !== CMD.GET_VERSION && !(policy.commands & (1 << req.id))) return reply(req, KVM_ERR.EPERM);
  const vcpuHdr = (): number | undefined => {
    if (d.length < VCPU_HDR_SIZE || !zero(d, 2, VCPU_HDR_SIZE)) return undefined;
    return d.readUInt16LE(0);
  };
  // As the kernel's receiving worker: a command whose request struct has a fixed size gets -KVM_EINVAL for
  // any other size (GET_VERSION and GET_GUEST_INFO take no payload at all), before anything is answered.
  const want = REQUEST_SIZE[req.id];
  if (want !== undefined && d.length !== want) return reply(req, KVM_ERR.EINVAL);
  switch (req.id) {
    case CMD.GET_VERSION: {
      const r = Buffer.alloc(16);
      r.writeUInt32LE(KVMI_VERSION, 0);
      r.writeUInt32LE(policy.commands, 4);
      r.writeUInt32LE(policy.events, 8);
      return reply(req, 0, r);
    }
    case CMD.GET_GUEST_INFO: {
      const r = Buffer.alloc(16); // { __u32 vcpu_count; __u32 padding; __u64 tsc_speed (Hz) }
      r.writeUInt32LE(vm.vcpuCount, 0);
      r.writeBigUInt64LE(BigInt(vm.tscKhz ?? 0) * 1000n, 8);
      return reply(req, 0, r);
    }
    case CMD.PAUSE_ALL_VCPUS: {
      // { __u32 count; __u32 padding } when sent: the VM of a dump is stopped for good.
      if (d.length >= 8 && !zero(d, 4, 8)) return reply(req, KVM_ERR.EINVAL);
      const r = Buffer.alloc(8);
      r.writeUInt32LE(vm.vcpuCount, 0);
      return reply(req, 0, r);
    }
    case CMD.READ_PHYSICAL: {
      if (d.length !== 16) return reply(req, KVM_ERR.EINVAL);
      const gpa = d.readBigUInt64LE(0);
      const size = d.readBigUInt64LE(8);
      if (size === 0n || size > BigInt(PAGE_SIZE) || (gpa & 0xfffn) + size > BigInt(PAGE_SIZE)) return reply(req, KVM_ERR.EINVAL);
      try {
        return reply(req, 0, vm.readPhysical(gpa, Number(size)));
      } catch {
        return reply(req, KVM_ERR.ENOENT);
      }
    }
    case CMD.GET_REGISTERS: {
      const vcpu = vcpuHdr();
      if (vcpu === undefined || d.length < VCPU_HDR_SIZE + 8) return reply(req, KVM_ERR.EINVAL);
      const nmsrs = d.readUInt16LE(8);
      if (!zero(d, 10, 16) || d.length !== VCPU_HDR_SIZE + 8 + nmsrs * 4) return reply(req, KVM_ERR.EINVAL);
      const regs = vm.registers(vcpu);
      if (!regs) return reply(req, KVM_ERR.EINVAL);
      const r = Buffer.alloc(8 + KVM_REGS_SIZE + KVM_SREGS_SIZE + 8 + nmsrs * KVM_MSR_ENTRY_SIZE);
      r.writeUInt32LE(cpuMode(regs), 0);
      KVM_REGS_ORDER.forEach((n, i) => r.writeBigUInt64LE(regs.get(n) ?? 0n, 8 + i * 8));
      const sregs = 8 + KVM_REGS_SIZE;
      SREGS_CR_ORDER.forEach((n, i) => r.writeBigUInt64LE(regs.get(n) ?? 0n, sregs + SREGS_CR_OFFSET + i * 8));
      const saved = vm.sregs?.(vcpu);
      if (saved) {
        SREGS_SEGMENTS.forEach(([name], i) => {
          const seg = saved.segments.get(name);
          if (seg) writeKvmSegment(r, sregs + i * KVM_SEGMENT_SIZE, seg);
        });
        const dt = sregs + SREGS_SEGMENTS.length * KVM_SEGMENT_SIZE;
        if (saved.gdt) writeKvmDtable(r, dt, saved.gdt.base, saved.gdt.limit);
        if (saved.idt) writeKvmDtable(r, dt + KVM_DTABLE_SIZE, saved.idt.base, saved.idt.limit);
      }
      const msrs = sregs + KVM_SREGS_SIZE;
      r.writeUInt32LE(nmsrs, msrs);
      for (let i = 0; i < nmsrs; i++) {
        const index = d.readUInt32LE(16 + i * 4);
        const v = vm.msr?.(vcpu, index);
        if (v === undefined) return reply(req, KVM_ERR.EINVAL); // "one of the indicated MSR-s is invalid"
        r.writeUInt32LE(index, msrs + 8 + i * KVM_MSR_ENTRY_SIZE);
        r.writeBigUInt64LE(v, msrs + 8 + i * KVM_MSR_ENTRY_SIZE + 8);
      }
      return reply(req, 0, r);
    }
    case CMD.GET_CPUID: {
      const vcpu = vcpuHdr();
      if (vcpu === undefined || d.length !== VCPU_HDR_SIZE + 8) return reply(req, KVM_ERR.EINVAL);
      if (!vm.registers(vcpu)) return reply(req, KVM_ERR.EINVAL);
      const leaf = vm.cpuid?.(vcpu, d.readUInt32LE(8), d.readUInt32LE(12));
      if (!leaf) return reply(req, KVM_ERR.ENOENT);
      const r = Buffer.alloc(16);
      leaf.forEach((v, i) => r.writeUInt32LE(v >>> 0, i * 4));
      return reply(req, 0, r);
    }
    default:
      // GET_PAGE_ACCESS, GET_MAP_TOKEN, GET_XSAVE: nothing a dump can answer truthfully.
      return reply(req, KVM_ERR.EOPNOTSUPP);
  }
}
