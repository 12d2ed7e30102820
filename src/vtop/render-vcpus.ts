// Text and JSON for `vcpus`: per vCPU its ids, thread, mode, mp_state, decoded kvm_run and KVM's saved registers.
import { hex, hexBare } from '../io/hex.js';
import { type ExitField, hexBytes, type KvmRunInfo, type Named } from '../kvm/kvm-run.js';
import { type GuestRegister, type VcpuInfo } from '../kvm/vcpus.js';

const name = (n: Named): string => (n.name ? `${n.code} ${n.name}` : `${n.code} (unknown)`);
const named = (n: Named): Record<string, unknown> => (n.name ? { code: n.code, name: n.name } : { code: n.code, name: null });

export const REGS_NOTE =
  "registers are KVM's cached copies in vcpu->arch (regs[] by enum kvm_reg, cr*, efer): a bit clear in regs_avail (marked *) means the cache was not loaded from the VMCS/VMCB; in guest mode all of them are stale";

function runLines(r: KvmRunInfo): string[] {
  const out: string[] = [];
  out.push(
    `  exit_reason ${name(r.exitReason)}  ready_for_interrupt_injection ${r.readyForInterruptInjection}  if_flag ${r.ifFlag}  cr8 ${hex(r.cr8)}  apic_base ${hex(r.apicBase)}` +
      `  flags ${r.flagNames.join('|') || '0'}${r.immediateExit !== undefined ? `  immediate_exit ${r.immediateExit}` : ''}`,
  );
  if (r.fields.length) out.push(`  ${r.fields.map((f) => `${f.name} ${f.text}`).join('  ')}`);
  if (r.ioData) out.push(`  io data (${r.ioData.length} bytes at data_offset): ${hexBytes(r.ioData)}`);
  if (r.ioDataError) out.push(`  io data: ${r.ioDataError}`);
  return out;
}

function regLines(regs: GuestRegister[]): string[] {
  const cells = regs.map((r) => `${r.name.padStart(4)} ${r.value.toString(16).padStart(16, '0')}${r.available === false ? '*' : ' '}`);
  const out: string[] = [];
  for (let i = 0; i < cells.length; i += 4) out.push(`    ${cells.slice(i, i + 4).join('  ').trimEnd()}`);
  return out;
}

export function renderVcpus(vcpus: VcpuInfo[], label: string): string {
  const lines = [label, ''];
  if (!vcpus.length) lines.push('(no vCPUs)', '');
  for (const v of vcpus) {
    lines.push(
      `VCPU ${v.vcpuId}${v.vcpuIdx !== undefined ? ` (idx ${v.vcpuIdx})` : ''}  struct kvm_vcpu ${hexBare(v.addr)}  thread ${v.pid ?? '-'}  mode ${name(v.mode)}` +
        `${v.mpState ? `  mp_state ${name(v.mpState)}` : ''}${v.statsId ? `  ${v.statsId}` : ''}`,
    );
    lines.push(`  kvm_run ${hexBare(v.run)}  ${v.runHva !== undefined ? `mapped by the VMM at hva ${hexBare(v.runHva)} (VMA ${hexBare(v.runVma!)})` : 'not found in the VMM\'s mappings'}`);
    if (v.runInfo) lines.push(...runLines(v.runInfo));
    if (v.runError) lines.push(`  ${v.runError}`);
    if (v.regs.length) {
      const avail = v.regsAvail !== undefined ? `  regs_avail ${hex(v.regsAvail)}  regs_dirty ${hex(v.regsDirty ?? 0n)}` : '';
      lines.push(`  registers (KVM's cached copies${v.stale ? ', STALE: the vCPU was in guest mode' : ''})${avail}`);
      lines.push(...regLines(v.regs));
    }
    for (const n of v.notes) lines.push(`  NOTE: ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}

function fieldJson(f: ExitField): unknown {
  if (!f.present) return null;
  switch (f.show) {
    case 'dec':
      return Number(f.value);
    case 'hex':
      return hex(f.value!);
    case 'enum':
      return { value: Number(f.value), name: f.valueName ?? null };
    case 'bits':
      return { value: hex(f.value!), names: f.bitNames ?? [] };
    case 'bytes':
      return f.bytes!.toString('hex');
    case 'array':
      return (f.values ?? []).map(hex);
  }
}

export function kvmRunJson(r: KvmRunInfo): Record<string, unknown> {
  const j: Record<string, unknown> = {
    exitReason: named(r.exitReason),
    readyForInterruptInjection: r.readyForInterruptInjection,
    ifFlag: r.ifFlag,
    flags: r.flagNames,
    cr8: hex(r.cr8),
    apicBase: hex(r.apicBase),
  };
  if (r.immediateExit !== undefined) j.immediateExit = r.immediateExit;
  if (r.requestInterruptWindow !== undefined) j.requestInterruptWindow = r.requestInterruptWindow;
  if (r.exitMember) {
    const ex: Record<string, unknown> = {};
    for (const f of r.fields) ex[f.name.slice(r.exitMember.length + 1)] = fieldJson(f);
    if (r.ioData) ex.data = r.ioData.toString('hex');
    if (r.ioDataError) ex.dataError = r.ioDataError;
    j[r.exitMember] = ex;
  }
  return j;
}

export function vcpuJson(v: VcpuInfo, vm: { vm: bigint; vmmPid?: number }): Record<string, unknown> {
  const j: Record<string, unknown> = { vm: hex(vm.vm) };
  if (vm.vmmPid !== undefined) j.vmmPid = vm.vmmPid;
  j.vcpuId = v.vcpuId;
  if (v.vcpuIdx !== undefined) j.vcpuIdx = v.vcpuIdx;
  j.addr = hex(v.addr);
  j.pid = v.pid ?? null;
  j.mode = named(v.mode);
  if (v.mpState) j.mpState = named(v.mpState);
  if (v.statsId !== undefined) j.statsId = v.statsId;
  j.run = hex(v.run);
  j.runHva = v.runHva !== undefined ? hex(v.runHva) : null;
  if (v.runVma !== undefined) j.runVma = hex(v.runVma);
  j.stale = v.stale;
  if (v.runInfo) Object.assign(j, kvmRunJson(v.runInfo));
  if (v.runError) j.runError = v.runError;
  j.regs = Object.fromEntries(v.regs.map((r) => [r.name, hex(r.value)]));
  const unavailable = v.regs.filter((r) => r.available === false).map((r) => r.name);
  j.regsNote = REGS_NOTE;
  if (v.regsAvail !== undefined) j.regsAvail = hex(v.regsAvail);
  if (v.regsDirty !== undefined) j.regsDirty = hex(v.regsDirty);
  if (unavailable.length) j.regsNotAvailable = unavailable;
  if (v.notes.length) j.notes = v.notes;
  return j;
}
