// The summary of an `extract`: what was written, and how many pages of each kind there were (text and JSON).
import { hex } from '../io/hex.js';
import { EXTENT_KIND_WORDS, type ExtentKind } from '../kvm/guest-extents.js';
import { type ExtractSummary } from './extract.js';
import { formatBytes } from './render-vms.js';

const ORDER: ExtentKind[] = ['data', 'zero', 'not-touched', 'swapped', 'not-present', 'excluded', 'not-in-dump', 'table-unreadable', 'gmem-private', 'gmem-not-in-cache'];

export function renderExtract(s: ExtractSummary, output: string, label: string): string {
  const out: string[] = [];
  const what = s.format === 'elf' ? `ELF core, ${s.loads} PT_LOAD${s.loads === 1 ? '' : 's'} of RAM${s.textLoads ? ` + ${s.textLoads} kernel text` : ''}` : 'kdump-compressed (zlib)';
  out.push(`${output}: ${what}, ${formatBytes(BigInt(s.bytes))}`);
  out.push(`  ${label}, address space ${s.asId}${s.asId === 1 ? ' (SMM)' : ''}`);
  if (s.vmcoreinfoGpa !== undefined) out.push(`  guest VMCOREINFO note from gpa ${hex(s.vmcoreinfoGpa)}`);
  if (s.pageOffsetBase !== undefined) out.push(`  guest page_offset_base ${hex(s.pageOffsetBase)} (p_vaddr of each RAM PT_LOAD)`);
  if (s.kernelText) out.push(`  guest kernel text ${hex(s.kernelText.vaddr)} at gpa ${hex(s.kernelText.paddr)} (${formatBytes(s.kernelText.size)})`);
  out.push(`  ${s.vcpuNotes} NT_PRSTATUS note${s.vcpuNotes === 1 ? '' : 's'} (vCPU saved registers)`);
  out.push(`  pages of the guest's memslots: ${s.totalPages}, written ${s.writtenPages}${s.complete ? ' (complete)' : ''}`);
  for (const k of ORDER) {
    const n = s.pages.get(k);
    if (n) out.push(`  ${String(n).padStart(10)}  ${EXTENT_KIND_WORDS[k]}`);
  }
  for (const n of s.notes) out.push(`NOTE: ${n}`);
  return out.join('\n') + '\n';
}

export function extractJson(s: ExtractSummary, output: string): Record<string, unknown> {
  return {
    output,
    format: s.format,
    vm: hex(s.vm),
    asId: s.asId,
    bytes: s.bytes,
    loads: s.loads,
    textLoads: s.textLoads,
    totalPages: Number(s.totalPages),
    writtenPages: Number(s.writtenPages),
    complete: s.complete,
    pages: Object.fromEntries(ORDER.filter((k) => s.pages.get(k)).map((k) => [k, Number(s.pages.get(k))])),
    ...(s.vmcoreinfoGpa !== undefined ? { vmcoreinfoGpa: hex(s.vmcoreinfoGpa) } : {}),
    ...(s.pageOffsetBase !== undefined ? { pageOffsetBase: hex(s.pageOffsetBase) } : {}),
    ...(s.kernelText ? { kernelText: { vaddr: hex(s.kernelText.vaddr), paddr: hex(s.kernelText.paddr), size: Number(s.kernelText.size) } } : {}),
    prstatusNotes: s.vcpuNotes,
    notes: s.notes,
  };
}
