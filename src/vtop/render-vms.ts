// Text and JSON for `vms` (every VM of the host) and `memslots` (the slot table of a VM).
import { hex, hexBare } from '../io/hex.js';
import { type AddressSpace, type Memslot, memslotFlagNames } from '../kvm/memslots.js';
import { percentText, type VmCoverage } from '../kvm/coverage.js';
import { type VmSummary } from '../kvm/vms.js';
import { memslotJson } from './render-json.js';

const PAGE_SHIFT = 12n;

/** 14.25 MiB, 64 KiB, 2 GiB: binary units, at most two decimals. */
export function formatBytes(b: bigint): string {
  const units: [bigint, string][] = [
    [1n << 40n, 'TiB'],
    [1n << 30n, 'GiB'],
    [1n << 20n, 'MiB'],
    [1n << 10n, 'KiB'],
  ];
  for (const [size, name] of units) {
    if (b >= size) {
      const v = Number((b * 100n) / size) / 100;
      return `${v} ${name}`;
    }
  }
  return `${b} B`;
}

function table(rows: string[][], right: Set<number>): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}

function foundBy(v: VmSummary): string {
  const out: string[] = [];
  for (const o of v.owners) if (o.via === 'fd') out.push(`fd ${o.fd}`);
  if (v.inVmList) out.push('vm_list');
  if (!v.viaFd) {
    const o = v.owners[0];
    out.push(o ? `owner by ${o.via}` : 'no owner');
  }
  return out.join(', ');
}

/** Per VM: its coverage (how much of its guest RAM the dump holds), or why it could not be counted. */
export type VmsCoverage = Map<bigint, VmCoverage | { error: string }>;

function coverageCell(c: VmCoverage | { error: string } | undefined): string {
  if (!c) return '-';
  if ('error' in c) return '?';
  return percentText(c.summary.inDump, c.summary.pages);
}

export function renderVms(vms: VmSummary[], notes: string[], coverage?: VmsCoverage): string {
  const rows: string[][] = [['VM', 'PID', 'COMM', 'VCPUS', 'MEMSLOTS', 'MEMORY', ...(coverage ? ['IN DUMP'] : []), 'SMM (AS 1)', 'GMEM', 'STATS_ID', 'FOUND BY']];
  for (const v of vms) {
    const o = v.owners[0];
    const as1 = v.perAs.find((p) => p.asId === 1);
    rows.push([
      hexBare(v.addr),
      o ? String(o.pid) : '-',
      o ? o.comm : '-',
      v.onlineVcpus !== undefined ? String(v.onlineVcpus) : '?',
      String(v.memslots),
      formatBytes(v.memoryBytes),
      ...(coverage ? [coverageCell(coverage.get(v.addr))] : []),
      as1 ? `${as1.memslots} slot${as1.memslots === 1 ? '' : 's'}, ${formatBytes(as1.memoryBytes)}` : '-',
      v.guestMemfd ? 'yes' : 'no',
      v.statsId || '-',
      foundBy(v),
    ]);
  }
  const lines = table(rows, new Set(coverage ? [1, 3, 4, 6] : [1, 3, 4]));
  for (const v of vms) for (const e of v.errors) lines.push(`qemu-vtop: ${e}`);
  for (const v of vms) {
    const c = coverage?.get(v.addr);
    if (c && 'error' in c) lines.push(`qemu-vtop: VM ${hexBare(v.addr)}: coverage not counted: ${c.error}`);
  }
  for (const n of notes) lines.push(`qemu-vtop: ${n}`);
  return lines.join('\n') + '\n';
}

export function vmsJson(vms: VmSummary[], coverage?: VmsCoverage): Record<string, unknown>[] {
  return vms.map((v) => {
    const o = v.owners[0];
    const j: Record<string, unknown> = { vm: hex(v.addr) };
    if (o) {
      j.pid = o.pid;
      j.comm = o.comm;
      j.ownerFoundBy = o.via;
      if (o.fd !== undefined) j.fd = o.fd;
    }
    if (v.owners.length > 1) j.owners = v.owners.map((x) => ({ pid: x.pid, comm: x.comm, fd: x.fd, via: x.via }));
    j.vcpus = v.onlineVcpus ?? null;
    if (v.createdVcpus !== undefined) j.createdVcpus = v.createdVcpus;
    j.memslots = v.memslots;
    j.memoryBytes = Number(v.memoryBytes);
    j.addressSpaces = v.perAs.map((p) => ({ asId: p.asId, memslots: p.memslots, memoryBytes: Number(p.memoryBytes) }));
    j.guestMemfd = v.guestMemfd;
    if (v.statsId !== undefined) j.statsId = v.statsId;
    if (v.userspacePid !== undefined) j.userspacePid = v.userspacePid;
    if (v.mm !== undefined) j.mm = hex(v.mm);
    const c = coverage?.get(v.addr);
    if (c) j.coverage = 'error' in c ? { error: c.error } : { pages: c.summary.pages, inDump: c.summary.inDump, excluded: c.summary.excluded, notPresent: c.summary.notPresent, percentInDump: Math.round(c.summary.percentInDump * 100) / 100 };
    // `extract` writes exactly the pages the dump holds: it is complete when every page of address space 0 is in it.
    if (c) j.extract = 'error' in c ? { complete: false, error: c.error } : { complete: c.summary.inDump === c.summary.pages, pages: c.summary.pages, written: c.summary.inDump };
    j.inVmList = v.inVmList;
    j.viaFd = v.viaFd;
    if (v.errors.length) j.errors = v.errors;
    return j;
  });
}

export interface VmSlots {
  vm: bigint;
  pid?: number;
  comm?: string;
  spaces: AddressSpace[];
}

function asLabel(asId: number): string {
  return asId === 1 ? 'AS 1 (SMM)' : `AS ${asId}`;
}

function gpaRange(m: Memslot): string {
  return `${hex(m.baseGfn << PAGE_SHIFT)}-${hex(((m.baseGfn + m.npages) << PAGE_SHIFT) - 1n)}`;
}

function hvaRange(m: Memslot): string {
  return `${hex(m.userspaceAddr)}-${hex(m.userspaceAddr + (m.npages << PAGE_SHIFT) - 1n)}`;
}

export function renderMemslots(vm: VmSlots, label: string): string {
  const lines = [label, ''];
  for (const sp of vm.spaces) {
    const head = [`${asLabel(sp.asId)}  kvm_memslots ${hexBare(sp.memslots)}  generation ${sp.generation === undefined ? '- (none in this kernel)' : sp.generation & ~(1n << 63n)}`];
    if (sp.nodeIdx !== undefined) head.push(`node_idx ${sp.nodeIdx}`);
    if (sp.updateInProgress) head.push('UPDATE IN PROGRESS (the dump caught a memslot change midway: this set may be half-edited)');
    lines.push(head.join('  '));
    const rows: string[][] = [['ID', 'BASE_GFN', 'GPA', 'HVA', 'PAGES', 'FLAGS', 'DIRTY_BITMAP', 'KVM_MEMORY_SLOT']];
    for (const m of sp.slots) {
      rows.push([
        String(m.id),
        hex(m.baseGfn),
        gpaRange(m),
        hvaRange(m),
        m.npages.toString(),
        memslotFlagNames(m.flags).join('|') || '-',
        m.dirtyBitmap !== 0n ? hexBare(m.dirtyBitmap) : '-',
        hexBare(m.addr),
      ]);
    }
    if (sp.slots.length) lines.push(...table(rows, new Set([0, 1, 4])).map((l) => `  ${l}`));
    else lines.push('  (no memslots)');
    lines.push('');
  }
  return lines.join('\n');
}

/** A memslot as in a translation (memslotJson), with its gpa/hva ranges and dirty-bitmap presence. */
export function memslotDetailJson(m: Memslot): Record<string, unknown> {
  return {
    ...memslotJson(m),
    gpaStart: hex(m.baseGfn << PAGE_SHIFT),
    gpaEnd: hex(((m.baseGfn + m.npages) << PAGE_SHIFT) - 1n),
    hvaEnd: hex(m.userspaceAddr + (m.npages << PAGE_SHIFT) - 1n),
    flagsValue: hex(m.flags),
    hasDirtyBitmap: m.dirtyBitmap !== 0n,
  };
}

export function memslotsJson(vm: VmSlots): Record<string, unknown> {
  const j: Record<string, unknown> = { vm: hex(vm.vm) };
  if (vm.pid !== undefined) j.pid = vm.pid;
  if (vm.comm !== undefined) j.comm = vm.comm;
  j.addressSpaces = vm.spaces.map((sp) => {
    const a: Record<string, unknown> = { asId: sp.asId, smm: sp.asId === 1, memslotsSet: hex(sp.memslots), generation: sp.generation === undefined ? null : Number(sp.generation & ~(1n << 63n)), updateInProgress: sp.updateInProgress };
    if (sp.nodeIdx !== undefined) a.nodeIdx = sp.nodeIdx;
    return a;
  });
  j.memslots = vm.spaces.flatMap((sp) => sp.slots.map(memslotDetailJson));
  return j;
}
