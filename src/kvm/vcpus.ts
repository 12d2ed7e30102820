// vCPUs of a VM: kvm->vcpu_array (xarray, 5.17+) or kvm->vcpus[] (older), chosen by probing struct kvm.
// Per vCPU: ids, the thread that last ran it (vcpu->pid), vcpu->mode, arch.mp_state, its kvm_run decoded,
// where the VMM mmapped that kvm_run, and the guest registers KVM keeps in vcpu->arch (caches: see notes).
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { type Vma, vmas } from '../kernel/vma.js';
import { xaEntries } from '../kernel/xarray.js';
import { decodeKvmRun, type KvmRunInfo, type Named, named } from './kvm-run.js';

/** vcpu->mode (include/linux/kvm_host.h). */
export const VCPU_MODES: Readonly<Record<number, string>> = {
  0: 'OUTSIDE_GUEST_MODE',
  1: 'IN_GUEST_MODE',
  2: 'EXITING_GUEST_MODE',
  3: 'READING_SHADOW_PAGE_TABLES',
};

/** KVM_MP_STATE_* (uapi #defines: no enum in the debug info). */
export const MP_STATES: Readonly<Record<number, string>> = {
  0: 'RUNNABLE',
  1: 'UNINITIALIZED',
  2: 'INIT_RECEIVED',
  3: 'HALTED',
  4: 'SIPI_RECEIVED',
  5: 'STOPPED',
  6: 'CHECK_STOP',
  7: 'OPERATING',
  8: 'LOAD',
  9: 'AP_RESET_HOLD',
  10: 'SUSPENDED',
};

/** enum kvm_reg order of vcpu->arch.regs[] on x86_64, used when the debug info has no enum kvm_reg. */
const X86_REGS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];
/** regs_avail bits of the extra registers (enum kvm_reg VCPU_EXREG_*), by name. */
const EXREGS: Record<string, string> = { cr0: 'VCPU_EXREG_CR0', cr3: 'VCPU_EXREG_CR3', cr4: 'VCPU_EXREG_CR4' };

const MAX_VCPUS = 1 << 16; // KVM_MAX_VCPUS is 4096 on x86 (6.x); far above is corruption

export interface GuestRegister {
  name: string;
  value: bigint;
  /** The regs_avail bit: false means KVM's cached copy was not loaded from the VMCS/VMCB (stale). */
  available?: boolean;
  /** The regs_dirty bit: KVM changed it and has yet to write it back. */
  dirty?: boolean;
}

export interface VcpuInfo {
  addr: bigint;
  vcpuId: number;
  vcpuIdx?: number;
  /** The task that last ran KVM_RUN on this vCPU: vcpu->pid->numbers[0].nr. */
  pid?: number;
  mode: Named;
  mpState?: Named;
  statsId?: string;
  /** struct kvm_run (kernel address). */
  run: bigint;
  runInfo?: KvmRunInfo;
  runError?: string;
  /** Where the VMM mapped kvm_run: start of its anon_inode:kvm-vcpu:N VMA (page 0 of the mapping). */
  runHva?: bigint;
  runVma?: bigint;
  regs: GuestRegister[];
  regsAvail?: bigint;
  regsDirty?: bigint;
  /** True when this vCPU was in guest mode at crash time: kvm_run and the registers are from an older exit. */
  stale: boolean;
  notes: string[];
}

/** Addresses of a VM's vCPUs in vcpu index order. */
export function vcpuAddresses(k: Kernel, kvm: KObject): bigint[] {
  const online = kvm.has('online_vcpus') ? atomicValue(kvm.member('online_vcpus')) : undefined;
  const out: bigint[] = [];
  if (kvm.has('vcpu_array')) {
    for (const e of xaEntries(k, kvm.member('vcpu_array').addr, `kvm ${hex(kvm.addr)} vcpu_array`, MAX_VCPUS)) {
      if (e.kind === 'pointer') out.push(e.entry);
    }
    return out;
  }
  if (kvm.has('vcpus')) {
    const arr = kvm.member('vcpus');
    const n = Math.min(arr.length ?? 0, online ?? MAX_VCPUS, MAX_VCPUS);
    for (let i = 0; i < n; i++) {
      const p = arr.at(i).value();
      if (p !== 0n) out.push(p);
    }
    return out;
  }
  throw new QvError('UNKNOWN_VCPU_LAYOUT', "struct kvm has neither vcpu_array (xarray, 5.17+) nor vcpus[] in this kernel's debug info");
}

/** atomic_t / atomic_long_t / plain integer. */
export function atomicValue(o: KObject): number {
  return o.has('counter') ? o.member('counter').num() : o.num();
}

/** vcpu->pid (struct pid __rcu *): its pid in the initial namespace, numbers[0].nr (numbers[] is flexible in 6.1.187+). */
function vcpuPid(vcpu: KObject): number | undefined {
  if (!vcpu.has('pid')) return undefined;
  const p = vcpu.member('pid');
  if (p.value() === 0n) return undefined;
  return p.deref().member('numbers').at(0).member('nr').num();
}

function enumValue(k: Kernel, name: string): number | undefined {
  const v = k.types.findEnumerator?.(name);
  return v === undefined ? undefined : Number(v);
}

function registers(k: Kernel, arch: KObject): { regs: GuestRegister[]; avail?: bigint; dirty?: bigint } {
  const avail = arch.has('regs_avail') ? arch.member('regs_avail').value() : undefined;
  const dirty = arch.has('regs_dirty') ? arch.member('regs_dirty').value() : undefined;
  const bit = (v: bigint | undefined, i: number | undefined) => (v === undefined || i === undefined ? undefined : ((v >> BigInt(i)) & 1n) === 1n);
  const regs: GuestRegister[] = [];
  if (arch.has('regs')) {
    const arr = arch.member('regs');
    const n = Math.min(arr.length ?? 0, 64);
    for (let i = 0; i < n; i++) {
      const name = regName(k, i);
      regs.push({ name, value: arr.at(i).value(), available: bit(avail, i), dirty: bit(dirty, i) });
    }
  }
  for (const name of ['rflags', 'cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer']) {
    if (!arch.has(name)) continue;
    const ex = EXREGS[name] ? enumValue(k, EXREGS[name]) : undefined;
    regs.push({ name, value: arch.member(name).value(), available: ex === undefined ? undefined : bit(avail, ex), dirty: ex === undefined ? undefined : bit(dirty, ex) });
  }
  return { regs, avail, dirty };
}

const regNames = new WeakMap<Kernel, Map<number, string>>();
function regName(k: Kernel, i: number): string {
  let m = regNames.get(k);
  if (!m) {
    m = new Map();
    const en = k.types.findType('kvm_reg', 'enum');
    if (en && en.kind === 'enum') {
      for (const [n, v] of en.enumerators) if (n.startsWith('VCPU_REGS_') && !m.has(Number(v))) m.set(Number(v), n.slice('VCPU_REGS_'.length).toLowerCase());
    } else X86_REGS.forEach((n, j) => m!.set(j, n));
    regNames.set(k, m);
  }
  return m.get(i) ?? `regs[${i}]`;
}

/** VMAs of the VMM that map a vCPU fd, by the vcpu they map (vm_file->private_data). */
export function vcpuMappings(k: Kernel, mm: KObject | undefined): Map<bigint, Vma> {
  const out = new Map<bigint, Vma>();
  if (!mm) return out;
  for (const v of vmas(k, mm)) {
    if (v.file === 0n) continue;
    const file = k.obj('file', v.file);
    const d = file.member('f_path.dentry').value();
    if (d === 0n) continue;
    const name = k.obj('dentry', d).member('d_name.name').string(32);
    if (!name.startsWith('kvm-vcpu:')) continue;
    const priv = file.member('private_data').value();
    // kvm_run is page 0 of the vCPU mmap: only a VMA that starts at file offset 0 maps it.
    if (v.pgoff === 0n && !out.has(priv)) out.set(priv, v);
  }
  return out;
}

export function readVcpu(k: Kernel, addr: bigint, mappings: Map<bigint, Vma>): VcpuInfo {
  const vcpu = k.obj('kvm_vcpu', addr);
  const modeCode = vcpu.member('mode').num();
  const arch = vcpu.member('arch');
  const info: VcpuInfo = {
    addr,
    vcpuId: vcpu.member('vcpu_id').num(),
    vcpuIdx: vcpu.has('vcpu_idx') ? vcpu.member('vcpu_idx').num() : undefined,
    mode: named(VCPU_MODES, modeCode),
    mpState: arch.has('mp_state') ? named(MP_STATES, arch.member('mp_state').num()) : undefined,
    statsId: vcpu.has('stats_id') ? vcpu.member('stats_id').string(48) : undefined,
    run: vcpu.member('run').value(),
    regs: [],
    stale: false,
    notes: [],
  };
  try {
    info.pid = vcpuPid(vcpu);
    if (info.pid === undefined && vcpu.has('pid')) info.notes.push('vcpu->pid is NULL: no thread has run KVM_RUN on this vCPU yet (its kvm_run holds no exit)');
  } catch (e) {
    info.notes.push(`vcpu->pid cannot be read: ${(e as Error).message}`);
  }
  const inGuest = enumValue(k, 'IN_GUEST_MODE') ?? 1;
  const exiting = enumValue(k, 'EXITING_GUEST_MODE') ?? 2;
  if (modeCode === inGuest || modeCode === exiting) {
    info.stale = true;
    info.notes.push(`the vCPU was ${modeCode === inGuest ? 'in guest mode' : 'exiting guest mode'} when the host crashed: kvm_run holds its previous exit and the registers KVM saved at that exit, both stale`);
  }
  const map = mappings.get(addr);
  if (map) {
    info.runHva = map.start;
    info.runVma = map.addr;
  }
  if (info.run !== 0n) {
    try {
      const pio = arch.has('pio_data') ? arch.member('pio_data').value() : 0n;
      const pioPage = enumValue(k, 'KVM_PIO_PAGE_OFFSET') ?? 1;
      const run = k.obj('kvm_run', info.run);
      info.runInfo = decodeKvmRun(run, (off) => {
        const page = off >> 12n;
        if (page === 0n) return info.run + off;
        if (page === BigInt(pioPage) && pio !== 0n) return pio + (off & 0xfffn);
        return undefined;
      });
    } catch (e) {
      info.runError = `kvm_run ${hex(info.run)} cannot be read: ${(e as Error).message}`;
    }
  }
  try {
    const r = registers(k, arch);
    info.regs = r.regs;
    info.regsAvail = r.avail;
    info.regsDirty = r.dirty;
  } catch (e) {
    info.notes.push(`vcpu->arch registers cannot be read: ${(e as Error).message}`);
  }
  return info;
}

/** Every vCPU of a VM, decoded. */
export function vcpusOf(k: Kernel, kvm: KObject): VcpuInfo[] {
  const mm = kvm.has('mm') && kvm.member('mm').value() !== 0n ? kvm.member('mm').deref() : undefined;
  let mappings = new Map<bigint, Vma>();
  let mapNote: string | undefined;
  try {
    mappings = vcpuMappings(k, mm);
  } catch (e) {
    mapNote = `the VMM's VMAs cannot be read, so where it mapped kvm_run is unknown: ${(e as Error).message}`;
  }
  return vcpuAddresses(k, kvm).map((a) => {
    let v: VcpuInfo;
    try {
      v = readVcpu(k, a, mappings);
    } catch (e) {
      // One unreadable vCPU does not hide the others.
      v = { addr: a, vcpuId: -1, mode: { code: -1 }, run: 0n, regs: [], stale: false, notes: [`struct kvm_vcpu ${hex(a)} cannot be read: ${(e as Error).message}`] };
    }
    if (mapNote) v.notes.push(mapNote);
    else if (!mm) v.notes.push('kvm->mm is NULL (the VMM is gone): where it mapped kvm_run is unknown');
    return v;
  });
}
