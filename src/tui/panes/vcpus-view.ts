// The vCPU view of the detail pane: the CLI's `vcpus` facts (the same VcpuInfo objects), laid out to the
// pane's width: exit reason first, registers in as many columns as fit.
import { hex, hexBare } from '../../io/hex.js';
import { hexBytes, type Named } from '../../kvm/kvm-run.js';
import { type VcpuInfo } from '../../kvm/vcpus.js';
import { REGS_NOTE } from '../../vtop/render-vcpus.js';
import { fitParts, wrapLines } from '../text.js';

const name = (n: Named): string => (n.name ? `${n.code} ${n.name}` : `${n.code} (unknown)`);

export function vcpuLines(vcpus: VcpuInfo[], width: number): string[] {
  if (!vcpus.length) return ['(this VM has no vCPUs)'];
  const w = width - 1;
  const out: string[] = [];
  for (const v of vcpus) {
    const r = v.runInfo;
    out.push(
      ...fitParts(
        [
          `vCPU ${v.vcpuId}${v.vcpuIdx !== undefined && v.vcpuIdx !== v.vcpuId ? ` (idx ${v.vcpuIdx})` : ''}`,
          `exit_reason ${r ? name(r.exitReason) : '?'}`,
          `mode ${name(v.mode)}`,
          v.mpState ? `mp_state ${name(v.mpState)}` : '',
        ],
        w,
        '',
      ),
    );
    out.push(
      ...fitParts(
        [`thread ${v.pid ?? '-'}`, `struct kvm_vcpu ${hexBare(v.addr)}`, `kvm_run ${hexBare(v.run)}`, v.runHva !== undefined ? `(VMM hva ${hexBare(v.runHva)})` : '', v.statsId ?? ''],
        w,
      ),
    );
    if (r) {
      if (r.fields.length) out.push(...fitParts(r.fields.map((f) => `${f.name} ${f.text}`), w));
      if (r.ioData) out.push(...wrapLines([`  io data (${r.ioData.length} bytes): ${hexBytes(r.ioData)}`], w));
      if (r.ioDataError) out.push(...wrapLines([`  io data: ${r.ioDataError}`], w));
      out.push(
        ...fitParts(
          [`if_flag ${r.ifFlag}`, `cr8 ${hex(r.cr8)}`, `apic_base ${hex(r.apicBase)}`, `flags ${r.flagNames.join('|') || '0'}`, `ready_for_interrupt_injection ${r.readyForInterruptInjection}`],
          w,
        ),
      );
    }
    if (v.runError) out.push(...wrapLines([`  kvm_run: ${v.runError}`], w));
    if (v.regs.length) {
      out.push(`  registers${v.stale ? ' (STALE: the vCPU was in guest mode)' : ''}${v.regsAvail !== undefined ? `  regs_avail ${hex(v.regsAvail)}` : ''}`);
      const cells = v.regs.map((g) => `${g.name.padStart(4)} ${g.value.toString(16).padStart(16, '0')}${g.available === false ? '*' : ' '}`);
      const per = Math.max(1, Math.floor((w - 2) / 24));
      for (let i = 0; i < cells.length; i += per) out.push(`  ${cells.slice(i, i + per).join('  ').trimEnd()}`);
    }
    for (const n of v.notes) out.push(...wrapLines([`  NOTE: ${n}`], w));
    out.push('');
  }
  out.push(...wrapLines([`(${REGS_NOTE})`], w));
  return out;
}
