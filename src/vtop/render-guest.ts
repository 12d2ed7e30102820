// `guest`: what the guest ran (its VMCOREINFO, the note's place, each vCPU's saved state and its source, the
// debug vmlinux at hand) and, with --ps, its tasks in crash's `ps` layout. Text and JSON from one result object.
import { hex, hexBare } from '../io/hex.js';
import { type GuestTask } from '../guest/ps.js';
import { type VcpuGuestState } from '../guest/vcpu-state.js';
import { type GuestVmcoreinfo } from '../guest/vmcoreinfo-scan.js';
import { type GuestPage } from '../kvm/guest-memory.js';
import { mkstring } from './render-text.js';

export interface GuestReport {
  vm: bigint;
  pid?: number;
  comm?: string;
  asId: number;
  vmcoreinfo?: GuestVmcoreinfo;
  /** Where the note page lives on the host. */
  notePage?: GuestPage;
  debugVmlinux?: { path: string; how: string };
  debugLooked: string[];
  vcpus: (VcpuGuestState | { index: number; error: string })[];
  vendor: string;
  tasks?: GuestTask[];
  tasksFrom?: string;
  tasksError?: string;
}

const opt = (v: bigint | undefined) => (v === undefined ? '-' : hexBare(v));

export function renderGuest(r: GuestReport): string {
  const L: string[] = [];
  L.push(`GUEST OF VM ${hexBare(r.vm)}${r.pid !== undefined ? `  pid ${r.pid} (${r.comm ?? '?'})` : ''}  address space ${r.asId}`);
  L.push('');
  const g = r.vmcoreinfo;
  if (!g) L.push('VMCOREINFO: not found in the guest RAM this dump holds (not Linux, no CONFIG_CRASH_CORE, or its page was not kept)');
  else {
    const p = r.notePage;
    L.push(`VMCOREINFO: gpa ${hexBare(g.gpa)}${p?.hva !== undefined ? `  hva ${hexBare(p.hva + (g.gpa & 0xfffn))}` : ''}${p?.hpa !== undefined ? `  hpa ${hexBare(p.hpa + (g.gpa & 0xfffn))}` : ''}  (${g.descSize} bytes of text; ${g.pagesScanned} page starts scanned)`);
    const vi = g.info;
    const rows: [string, string][] = [
      ['OSRELEASE', vi.osrelease ?? '-'],
      ['BUILD-ID', vi.buildId ?? '-'],
      ['PAGESIZE', vi.pageSize !== undefined ? String(vi.pageSize) : '-'],
      ['KERNELOFFSET', opt(vi.kernelOffset)],
      ['phys_base', opt(vi.physBase)],
      ['paging', `${vi.pgtableL5Enabled ? 5 : 4}-level (NUMBER(pgtable_l5_enabled)=${vi.pgtableL5Enabled ? 1 : 0})`],
      ['init_top_pgt', opt(vi.symbols.get('init_top_pgt'))],
    ];
    if (vi.smeMask) rows.push(['sme_mask', hexBare(vi.smeMask)]);
    for (const [k, v] of rows) L.push(`  ${k.padEnd(13)} ${v}`);
  }
  L.push('');
  L.push(r.debugVmlinux ? `DEBUG VMLINUX: ${r.debugVmlinux.path} (${r.debugVmlinux.how})` : `DEBUG VMLINUX: none at hand (looked in ${r.debugLooked.join(', ') || 'nothing'}): the guest's own BTF and kallsyms are used`);
  L.push('');
  L.push(`VCPU  ${['CR3', 'CR0', 'CR4', 'EFER'].map((h) => mkstring(h, 10, false, 'L')).join(' ')} ${mkstring('RIP', 16, false, 'L')}  CPL  SOURCE`);
  for (const v of r.vcpus) {
    if ('error' in v) {
      L.push(`${String(v.index).padStart(4)}  ${v.error}`);
      continue;
    }
    L.push(`${String(v.index).padStart(4)}  ${[v.cr3, v.cr0, v.cr4, v.efer].map((x) => mkstring(opt(x), 10, false, 'L')).join(' ')} ${mkstring(opt(v.rip), 16, false, 'L')}  ${mkstring(v.cpl === undefined ? '-' : String(v.cpl), 3, false, 'R')}  ${v.source}`);
    for (const n of v.notes) L.push(`      NOTE: ${n}`);
  }
  if (r.tasks || r.tasksError) {
    L.push('');
    if (r.tasksError) L.push(`qemu-vtop: the guest's tasks cannot be listed: ${r.tasksError}`);
    else {
      L.push(`(tasks read with ${r.tasksFrom})`);
      L.push('   PID    PPID  CPU       TASK        ST        MM        COMM');
      for (const t of r.tasks!) {
        const comm = t.kernelThread ? `[${t.comm}]` : t.comm;
        L.push(`${String(t.pid).padStart(6)}  ${(t.ppid === undefined ? '-' : String(t.ppid)).padStart(6)}  ${(t.cpu === undefined ? '-' : String(t.cpu)).padStart(3)}  ${hexBare(t.task).padStart(16)}  ${t.state}  ${hexBare(t.mm).padStart(16)}  ${comm}`);
      }
    }
  }
  return L.join('\n') + '\n';
}

export function guestJson(r: GuestReport): Record<string, unknown> {
  const g = r.vmcoreinfo;
  const o: Record<string, unknown> = { vm: hex(r.vm), asId: r.asId };
  if (r.pid !== undefined) o.pid = r.pid;
  if (r.comm !== undefined) o.comm = r.comm;
  o.vmcoreinfo = g
    ? {
        gpa: hex(g.gpa),
        ...(r.notePage?.hva !== undefined ? { hva: hex(r.notePage.hva + (g.gpa & 0xfffn)) } : {}),
        ...(r.notePage?.hpa !== undefined ? { hpa: hex(r.notePage.hpa + (g.gpa & 0xfffn)) } : {}),
        descSize: g.descSize,
        pagesScanned: g.pagesScanned,
        osrelease: g.info.osrelease,
        buildId: g.info.buildId,
        pageSize: g.info.pageSize,
        kernelOffset: g.info.kernelOffset !== undefined ? hex(g.info.kernelOffset) : undefined,
        physBase: g.info.physBase !== undefined ? hex(g.info.physBase) : undefined,
        pagingLevels: g.info.pgtableL5Enabled ? 5 : 4,
        smeMask: g.info.smeMask !== undefined ? hex(g.info.smeMask) : undefined,
        initTopPgt: g.info.symbols.has('init_top_pgt') ? hex(g.info.symbols.get('init_top_pgt')!) : undefined,
        text: g.text,
      }
    : null;
  o.debugVmlinux = r.debugVmlinux ?? null;
  o.vendor = r.vendor;
  o.vcpus = r.vcpus.map((v) =>
    'error' in v
      ? v
      : {
          index: v.index,
          addr: hex(v.vcpu.addr),
          source: v.source,
          ...(v.vmcb !== undefined ? { vmcb: hex(v.vmcb) } : {}),
          ...Object.fromEntries((['cr0', 'cr3', 'cr4', 'efer', 'rip', 'rsp', 'rflags'] as const).filter((n) => v[n] !== undefined).map((n) => [n, hex(v[n]!)])),
          ...(v.cpl !== undefined ? { cpl: v.cpl } : {}),
          ...(v.segments ? { segments: v.segments.map((s) => ({ ...s, base: hex(s.base) })) } : {}),
          stale: v.vcpu.stale,
          notes: v.notes,
        },
  );
  if (r.tasks) o.tasks = r.tasks.map((t) => ({ pid: t.pid, ppid: t.ppid, cpu: t.cpu, task: hex(t.task), state: t.state, stateValue: hex(t.stateValue), mm: hex(t.mm), comm: t.comm, kernelThread: t.kernelThread }));
  if (r.tasksFrom) o.tasksFrom = r.tasksFrom;
  if (r.tasksError) o.tasksError = r.tasksError;
  return o;
}
