// Which guest page table a guest-virtual address is walked in, in the order the user can ask for them:
// --cr3 (as given), --vcpu N (the CR3 the vCPU last ran with), --guest-kernel (init_top_pgt from the guest's
// VMCOREINFO: no vCPU state needed), --guest-pid N (that guest task's mm->pgd, through the guest kernel).
import { constant } from '../debuginfo/constants.js';
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { findTask } from '../kernel/tasks.js';
import { type Cr3Source, type GuestPaging } from './gva.js';
import { CR4_LA57, type VcpuGuestState } from './vcpu-state.js';
import { type GuestVmcoreinfo } from './vmcoreinfo-scan.js';

export interface Cr3Request {
  cr3?: bigint;
  vcpu?: number;
  guestKernel?: boolean;
  guestPid?: number;
  /** Paging levels as the user says (overrides CR4 / the guest's VMCOREINFO). */
  levels?: 4 | 5;
}

/** What resolving a CR3 may need; each is asked for only when the request needs it. */
export interface Cr3Deps {
  vcpuState(index: number): VcpuGuestState;
  /** The guest's VMCOREINFO (scans guest RAM once), or undefined when it is not found. */
  guestVmcoreinfo(): GuestVmcoreinfo | undefined;
  guestKernel(): Kernel;
}

export interface ResolvedCr3 {
  cr3: bigint;
  source: Cr3Source;
  paging: GuestPaging;
}

function pagingFromVmcoreinfo(g: GuestVmcoreinfo | undefined): GuestPaging | undefined {
  if (!g) return undefined;
  const l5 = g.info.pgtableL5Enabled === true;
  return { levels: l5 ? 5 : 4, smeMask: g.info.smeMask ?? 0n, how: `the guest's VMCOREINFO (NUMBER(pgtable_l5_enabled)=${l5 ? 1 : 0}${g.info.smeMask ? `, sme_mask ${hex(g.info.smeMask)}` : ''})` };
}

export function resolveCr3(req: Cr3Request, d: Cr3Deps): ResolvedCr3 {
  const r = resolveSource(req, d);
  if (req.levels !== undefined) r.paging = { ...r.paging, levels: req.levels, how: `--guest-paging ${req.levels}` };
  return r;
}

function resolveSource(req: Cr3Request, d: Cr3Deps): ResolvedCr3 {
  const asked = [req.cr3 !== undefined, req.vcpu !== undefined, !!req.guestKernel, req.guestPid !== undefined].filter(Boolean).length;
  if (asked > 1) throw new QvError('USAGE', 'give one of --cr3, --vcpu, --guest-kernel, --guest-pid');
  if (req.cr3 !== undefined) {
    const p = pagingFromVmcoreinfo(d.guestVmcoreinfo()) ?? { levels: 4 as const, smeMask: 0n, how: 'no guest VMCOREINFO found: 4-level paging assumed' };
    return { cr3: req.cr3, source: { kind: 'given', description: 'given with --cr3' }, paging: p };
  }
  if (req.guestKernel) {
    const g = d.guestVmcoreinfo();
    if (!g) throw new QvError('NO_GUEST_VMCOREINFO', "--guest-kernel: the guest's VMCOREINFO note was not found in the guest RAM this dump holds; use --vcpu N or --cr3");
    const pgt = g.info.symbols.get('init_top_pgt') ?? g.info.symbols.get('swapper_pg_dir');
    if (pgt === undefined || g.info.physBase === undefined) throw new QvError('NO_KERNEL_PGT', `the guest's VMCOREINFO (gpa ${hex(g.gpa)}) has no SYMBOL(init_top_pgt) or NUMBER(phys_base)`);
    const cr3 = BigInt.asUintN(64, pgt - constant('__START_KERNEL_map') + g.info.physBase);
    return {
      cr3,
      source: { kind: 'guest-kernel', description: `the guest kernel's init_top_pgt ${hex(pgt)} (VMCOREINFO at gpa ${hex(g.gpa)}, phys_base ${hex(g.info.physBase)})` },
      paging: pagingFromVmcoreinfo(g)!,
    };
  }
  if (req.guestPid !== undefined) {
    const gk = d.guestKernel();
    const t = findTask(gk, BigInt(req.guestPid));
    const mm = t.task.member('mm').value();
    if (mm === 0n) throw new QvError('GUEST_TASK_NO_MM', `guest pid ${req.guestPid} (${t.comm}) is a kernel thread (mm is NULL): it has no page table of its own; use --guest-kernel`);
    const pgd = gk.obj('mm_struct', mm).member('pgd').value();
    const cr3 = gk.vtop(pgd);
    return {
      cr3,
      source: { kind: 'guest-pid', guestPid: req.guestPid, description: `guest pid ${req.guestPid} (${t.comm}): mm ${hex(mm)}, mm->pgd ${hex(pgd)}` },
      paging: pagingFromVmcoreinfo(d.guestVmcoreinfo())!,
    };
  }
  const index = req.vcpu ?? 0;
  const st = d.vcpuState(index);
  if (st.cr3 === undefined) {
    throw new QvError('NO_VCPU_CR3', `vCPU ${index}'s CR3 is not known (${st.notes.join('; ') || st.source}); use --guest-kernel (the guest kernel's own page table) or --cr3`);
  }
  if (st.cr3 === 0n) {
    // No page table lives at 0 in a paging guest: the vCPU never ran with paging on, or KVM never filled its copy.
    throw new QvError('NO_VCPU_CR3', `vCPU ${index}'s saved CR3 is 0 (${st.source}): it never ran with paging on, or that copy was never filled; use --guest-kernel (the guest kernel's own page table) or --cr3`);
  }
  const fromVi = pagingFromVmcoreinfo(d.guestVmcoreinfo());
  const paging: GuestPaging =
    st.cr4 !== undefined
      ? { levels: (st.cr4 & CR4_LA57) !== 0n ? 5 : 4, smeMask: fromVi?.smeMask ?? 0n, how: `vCPU ${index}'s CR4 ${hex(st.cr4)} (LA57 ${(st.cr4 & CR4_LA57) !== 0n ? 'set' : 'clear'})` }
      : (fromVi ?? { levels: 4, smeMask: 0n, how: 'CR4 unknown and no guest VMCOREINFO: 4-level paging assumed' });
  return { cr3: st.cr3, source: { kind: 'vcpu', vcpu: index, description: `vCPU ${index}: ${st.source}`, notes: st.notes.length ? st.notes : undefined }, paging };
}
