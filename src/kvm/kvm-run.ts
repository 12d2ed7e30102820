// struct kvm_run (uapi/linux/kvm.h), the page a VMM mmaps from a vCPU fd: the last exit of that vCPU.
// Exit reasons by name up to the newest uapi (unknown values stay numbers), and per exit reason the union
// member and fields to show. The struct's layout comes from the debug info (kvm.ko's types); a field this
// kernel's kvm_run does not have is reported missing, never read at a guessed offset.
import { hex } from '../io/hex.js';
import { type KObject } from '../kernel/object.js';

/** KVM_EXIT_* (include/uapi/linux/kvm.h), index = value. */
export const EXIT_REASONS: readonly string[] = [
  'UNKNOWN', // 0
  'EXCEPTION',
  'IO',
  'HYPERCALL',
  'DEBUG',
  'HLT', // 5
  'MMIO',
  'IRQ_WINDOW_OPEN',
  'SHUTDOWN',
  'FAIL_ENTRY',
  'INTR', // 10
  'SET_TPR',
  'TPR_ACCESS',
  'S390_SIEIC',
  'S390_RESET',
  'DCR', // 15 (deprecated)
  'NMI',
  'INTERNAL_ERROR',
  'OSI',
  'PAPR_HCALL',
  'S390_UCONTROL', // 20
  'WATCHDOG',
  'S390_TSCH',
  'EPR',
  'SYSTEM_EVENT',
  'S390_STSI', // 25
  'IOAPIC_EOI',
  'HYPERV',
  'ARM_NISV',
  'X86_RDMSR',
  'X86_WRMSR', // 30
  'DIRTY_RING_FULL',
  'AP_RESET_HOLD',
  'X86_BUS_LOCK',
  'XEN',
  'RISCV_SBI', // 35
  'RISCV_CSR',
  'NOTIFY',
  'LOONGARCH_IOCSR',
  'MEMORY_FAULT', // 39 (6.8)
  'TDX', // 40 (6.16)
  'ARM_SEA', // 41
];

export interface Named {
  code: number;
  /** undefined when the value has no name in the table (a newer kernel, or garbage). */
  name?: string;
}

export function exitReason(code: number): Named {
  return { code, name: EXIT_REASONS[code] };
}

export function named(table: Readonly<Record<number, string>>, code: number): Named {
  return { code, name: table[code] };
}

/** KVM_SYSTEM_EVENT_* */
export const SYSTEM_EVENT_TYPES: Readonly<Record<number, string>> = { 1: 'SHUTDOWN', 2: 'RESET', 3: 'CRASH', 4: 'WAKEUP', 5: 'SUSPEND', 6: 'SEV_TERM', 7: 'TDX_FATAL' };
/** KVM_INTERNAL_ERROR_* */
export const INTERNAL_SUBERRORS: Readonly<Record<number, string>> = { 1: 'EMULATION', 2: 'SIMUL_EX', 3: 'DELIVERY_EV', 4: 'UNEXPECTED_EXIT_REASON' };
/** KVM_EXIT_IO_IN / _OUT */
export const IO_DIRECTIONS: Readonly<Record<number, string>> = { 0: 'IN', 1: 'OUT' };
/** KVM_MSR_EXIT_REASON_* (bits) */
export const MSR_EXIT_REASONS: readonly [bigint, string][] = [
  [1n << 0n, 'INVAL'],
  [1n << 1n, 'UNKNOWN'],
  [1n << 2n, 'FILTER'],
];
/** kvm_run.flags: KVM_RUN_X86_* (bits) */
export const RUN_FLAGS: readonly [bigint, string][] = [
  [1n << 0n, 'X86_SMM'],
  [1n << 1n, 'X86_BUS_LOCK'],
  [1n << 2n, 'X86_GUEST_MODE'],
];
/** KVM_MEMORY_EXIT_FLAG_* (bits) */
export const MEMORY_FAULT_FLAGS: readonly [bigint, string][] = [[1n << 3n, 'PRIVATE']];

/** Bit names of a flags word; leftover bits as one hex string (never rejected). */
export function bitNames(v: bigint, table: readonly [bigint, string][]): string[] {
  const out: string[] = [];
  let rest = v;
  for (const [bit, name] of table) {
    if (rest & bit) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push(hex(rest));
  return out;
}

/** How a field is shown: decimal, hex, a name from a table, bit names, or raw bytes. */
export type FieldKind =
  | { kind: 'dec' }
  | { kind: 'hex' }
  | { kind: 'enum'; table: Readonly<Record<number, string>> }
  | { kind: 'bits'; table: readonly [bigint, string][] }
  | { kind: 'bytes' }
  /** An array member: the first `countFrom` (a sibling field's value) elements, or all. */
  | { kind: 'array'; countFrom?: string };

export interface FieldSpec {
  /** Path of the member inside kvm_run ("io.port"). */
  path: string;
  show: FieldKind;
}

export interface ExitSpec {
  /** The kvm_run union member this exit fills. */
  member: string;
  fields: FieldSpec[];
}

const dec: FieldKind = { kind: 'dec' };
const hx: FieldKind = { kind: 'hex' };
const f = (path: string, show: FieldKind = hx): FieldSpec => ({ path, show });

/** Per exit reason code: its union member and fields (uapi names). Exits with no data are absent. */
export const EXIT_FIELDS: Readonly<Record<number, ExitSpec>> = {
  1: { member: 'ex', fields: [f('ex.exception', dec), f('ex.error_code')] },
  2: {
    member: 'io',
    fields: [f('io.direction', { kind: 'enum', table: IO_DIRECTIONS }), f('io.size', dec), f('io.port'), f('io.count', dec), f('io.data_offset')],
  },
  3: { member: 'hypercall', fields: [f('hypercall.nr'), f('hypercall.args', { kind: 'array' }), f('hypercall.ret'), f('hypercall.longmode', dec)] },
  4: { member: 'debug', fields: [f('debug.arch.exception', dec), f('debug.arch.pc'), f('debug.arch.dr6'), f('debug.arch.dr7')] },
  6: { member: 'mmio', fields: [f('mmio.phys_addr'), f('mmio.data', { kind: 'bytes' }), f('mmio.len', dec), f('mmio.is_write', dec)] },
  9: { member: 'fail_entry', fields: [f('fail_entry.hardware_entry_failure_reason'), f('fail_entry.cpu', dec)] },
  12: { member: 'tpr_access', fields: [f('tpr_access.rip'), f('tpr_access.is_write', dec)] },
  17: {
    member: 'internal',
    fields: [f('internal.suberror', { kind: 'enum', table: INTERNAL_SUBERRORS }), f('internal.ndata', dec), f('internal.data', { kind: 'array', countFrom: 'internal.ndata' })],
  },
  24: {
    member: 'system_event',
    fields: [f('system_event.type', { kind: 'enum', table: SYSTEM_EVENT_TYPES }), f('system_event.ndata', dec), f('system_event.data', { kind: 'array', countFrom: 'system_event.ndata' })],
  },
  26: { member: 'eoi', fields: [f('eoi.vector', dec)] },
  27: { member: 'hyperv', fields: [f('hyperv.type', dec)] },
  28: { member: 'arm_nisv', fields: [f('arm_nisv.esr_iss'), f('arm_nisv.fault_ipa')] },
  29: { member: 'msr', fields: [f('msr.error', dec), f('msr.reason', { kind: 'bits', table: MSR_EXIT_REASONS }), f('msr.index'), f('msr.data')] },
  30: { member: 'msr', fields: [f('msr.error', dec), f('msr.reason', { kind: 'bits', table: MSR_EXIT_REASONS }), f('msr.index'), f('msr.data')] },
  34: { member: 'xen', fields: [f('xen.type', dec)] },
  35: { member: 'riscv_sbi', fields: [f('riscv_sbi.extension_id'), f('riscv_sbi.function_id'), f('riscv_sbi.args', { kind: 'array' }), f('riscv_sbi.ret', { kind: 'array' })] },
  36: { member: 'riscv_csr', fields: [f('riscv_csr.csr_num'), f('riscv_csr.new_value'), f('riscv_csr.write_mask'), f('riscv_csr.ret_value')] },
  37: { member: 'notify', fields: [f('notify.flags')] },
  38: { member: 'iocsr_io', fields: [f('iocsr_io.phys_addr'), f('iocsr_io.data', { kind: 'bytes' }), f('iocsr_io.len', dec), f('iocsr_io.is_write', dec)] },
  39: { member: 'memory_fault', fields: [f('memory_fault.flags', { kind: 'bits', table: MEMORY_FAULT_FLAGS }), f('memory_fault.gpa'), f('memory_fault.size')] },
  40: { member: 'tdx', fields: [f('tdx.flags'), f('tdx.nr')] },
  41: { member: 'arm_sea', fields: [f('arm_sea.flags'), f('arm_sea.esr'), f('arm_sea.gva'), f('arm_sea.gpa')] },
};

/** One decoded field: the raw value(s) and, where a table names it, the name(s). */
export interface ExitField {
  /** The uapi member path ("io.port"). */
  name: string;
  show: FieldKind['kind'];
  /** enum: the value's name (undefined when the table has none); bits: the bit names. */
  valueName?: string;
  bitNames?: string[];
  value?: bigint;
  values?: bigint[];
  bytes?: Buffer;
  /** Display form: "0x1234", "OUT", "INVAL|FILTER", "42 00 00 00". */
  text: string;
  /** False when this kernel's kvm_run has no such member. */
  present: boolean;
}

/** What decoding needs: the value of a member path (undefined when the member does not exist), arrays, bytes. */
export interface RunReader {
  has(path: string): boolean;
  value(path: string): bigint;
  array(path: string): bigint[];
  bytes(path: string): Buffer;
}

const MAX_ARRAY = 64;

export function decodeField(spec: FieldSpec, r: RunReader): ExitField {
  const s = spec.show;
  const base = { name: spec.path, show: s.kind };
  if (!r.has(spec.path)) return { ...base, present: false, text: "(not in this kernel's kvm_run)" };
  switch (s.kind) {
    case 'dec': {
      const v = r.value(spec.path);
      return { ...base, value: v, text: v.toString(), present: true };
    }
    case 'hex': {
      const v = r.value(spec.path);
      return { ...base, value: v, text: hex(v), present: true };
    }
    case 'enum': {
      const v = r.value(spec.path);
      const n = s.table[Number(v)];
      return { ...base, value: v, valueName: n, text: n ?? v.toString(), present: true };
    }
    case 'bits': {
      const v = r.value(spec.path);
      const names = bitNames(v, s.table);
      return { ...base, value: v, bitNames: names, text: names.join('|') || '0', present: true };
    }
    case 'bytes': {
      const b = r.bytes(spec.path);
      return { ...base, bytes: b, text: hexBytes(b), present: true };
    }
    case 'array': {
      let vals = r.array(spec.path).slice(0, MAX_ARRAY);
      if (s.countFrom && r.has(s.countFrom)) vals = vals.slice(0, Math.max(0, Math.min(Number(r.value(s.countFrom)), vals.length)));
      return { ...base, values: vals, text: `[${vals.map(hex).join(', ')}]`, present: true };
    }
  }
}

export function hexBytes(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** The fields of one exit (empty for exits without data or unknown codes). */
export function decodeExitFields(code: number, r: RunReader): ExitField[] {
  const spec = EXIT_FIELDS[code];
  return spec ? spec.fields.map((s) => decodeField(s, r)) : [];
}

/** A RunReader over a kvm_run object read through the debug info. */
export function kobjectReader(run: KObject): RunReader {
  return {
    has: (p) => run.has(p),
    value: (p) => run.member(p).value(),
    array: (p) => {
      const a = run.member(p);
      const n = Math.min(a.length ?? 0, MAX_ARRAY);
      const out: bigint[] = [];
      for (let i = 0; i < n; i++) out.push(a.at(i).value());
      return out;
    },
    bytes: (p) => run.member(p).bytes(),
  };
}

export interface KvmRunInfo {
  addr: bigint;
  exitReason: Named;
  requestInterruptWindow?: number;
  immediateExit?: number;
  readyForInterruptInjection: number;
  ifFlag: number;
  flags: bigint;
  flagNames: string[];
  cr8: bigint;
  apicBase: bigint;
  /** The union member of this exit ("io"), when the exit carries data. */
  exitMember?: string;
  fields: ExitField[];
  /** KVM_EXIT_IO: the size × count bytes at run + data_offset (bounded to the kvm_run mapping). */
  ioData?: Buffer;
  ioDataError?: string;
}

/**
 * Kernel address of byte `off` of the vCPU's mmap (page 0 is kvm_run; x86 maps vcpu->arch.pio_data as page
 * KVM_PIO_PAGE_OFFSET and the coalesced MMIO ring after it: these pages are not contiguous in the kernel).
 * undefined when the offset is in no page the caller knows.
 */
export type MmapResolver = (off: bigint) => bigint | undefined;

const PAGE = 4096n;
const MAX_IO_DATA = 4096;

const opt = (run: KObject, p: string): number | undefined => (run.has(p) ? Number(run.member(p).value()) : undefined);

/** Decodes the kvm_run at `run` (a struct kvm_run object). */
export function decodeKvmRun(run: KObject, resolve: MmapResolver = (off) => (off < PAGE ? run.addr + off : undefined)): KvmRunInfo {
  const code = Number(run.member('exit_reason').value());
  const flags = run.has('flags') ? run.member('flags').value() : 0n;
  const info: KvmRunInfo = {
    addr: run.addr,
    exitReason: exitReason(code),
    requestInterruptWindow: opt(run, 'request_interrupt_window'),
    immediateExit: opt(run, 'immediate_exit'),
    readyForInterruptInjection: Number(run.member('ready_for_interrupt_injection').value()),
    ifFlag: Number(run.member('if_flag').value()),
    flags,
    flagNames: bitNames(flags, RUN_FLAGS),
    cr8: run.member('cr8').value(),
    apicBase: run.member('apic_base').value(),
    exitMember: EXIT_FIELDS[code]?.member,
    fields: decodeExitFields(code, kobjectReader(run)),
  };
  if (info.exitReason.name === 'IO' && run.has('io.data_offset')) {
    const off = run.member('io.data_offset').value();
    const len = Number(run.member('io.size').value()) * Number(run.member('io.count').value());
    const start = resolve(off);
    const endOk = len === 0 || (resolve(off + BigInt(len) - 1n) ?? -1n) === (start ?? 0n) + BigInt(len) - 1n;
    if (start === undefined || !endOk || len > MAX_IO_DATA) {
      info.ioDataError = `io.data_offset ${hex(off)} (+${len} bytes) is not in a page of the vCPU's mapping that can be read`;
    } else {
      try {
        info.ioData = run.mem.read(start, len);
      } catch (e) {
        info.ioDataError = `the I/O data at ${hex(start)} cannot be read: ${(e as Error).message}`;
      }
    }
  }
  return info;
}
