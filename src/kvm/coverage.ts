// How much of a guest the dump holds: per memslot, its guest pages counted by where they stand — in the dump
// (zero pages included: they read as zeros truthfully), excluded by the dump's filter, outside the dump's RAM,
// never touched by the VMM (no host mapping), swapped out by the host, behind a host table page the dump lacks,
// guest_memfd-backed — and how many sit in 2M / 1G host pages. The VMM's page tables are walked table by table
// over each slot's hva range (an empty PUD/PMD is one step); only mapped pages are looked at one by one, and only
// in the dump's page bitmap (pageState), never read.
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { isGmemSlot } from './gmem.js';
import { GuestMemory } from './guest-memory.js';
import { type AddressSpace, type Memslot } from './memslots.js';

export interface CoverageCounts {
  /** Guest 4 KiB pages. */
  pages: number;
  inDump: number;
  /** Of inDump: recorded as the dump's zero page. */
  zero: number;
  excluded: number;
  /** The hpa is known, but the dump describes no RAM there. */
  notInDump: number;
  notPresent: number;
  swapped: number;
  /** Behind a host page-table page the dump does not hold: where they are is unknown. */
  tableNotInDump: number;
  /** Slots whose memory is in guest_memfd (not walked: private pages have no hva). */
  guestMemfd: number;
  /** Of the mapped pages: how many sit in 2M and in 1G host pages. */
  hostPages2M: number;
  hostPages1G: number;
}

export interface SlotCoverage extends CoverageCounts {
  asId: number;
  slot: Memslot;
}

export interface SpaceCoverage {
  asId: number;
  slots: SlotCoverage[];
  total: CoverageCounts;
}

export interface VmCoverage {
  vm: bigint;
  pid?: number;
  comm?: string;
  spaces: SpaceCoverage[];
  /** Address space 0 (the guest's RAM as the guest sees it outside SMM). */
  summary: CoverageCounts & { percentInDump: number };
  /** Whether the dump can tell an excluded page from a zero one (ELF with p_filesz < p_memsz cannot). */
  excludedLooksLikeZero: boolean;
}

export const COUNT_KEYS = ['pages', 'inDump', 'zero', 'excluded', 'notInDump', 'notPresent', 'swapped', 'tableNotInDump', 'guestMemfd', 'hostPages2M', 'hostPages1G'] as const;

const zeroCounts = (): CoverageCounts => ({ pages: 0, inDump: 0, zero: 0, excluded: 0, notInDump: 0, notPresent: 0, swapped: 0, tableNotInDump: 0, guestMemfd: 0, hostPages2M: 0, hostPages1G: 0 });

function add(a: CoverageCounts, b: CoverageCounts): void {
  for (const k of COUNT_KEYS) a[k] += b[k];
}

const PAGE = 4096n;
const M2 = 1n << 21n;
const G1 = 1n << 30n;

export function slotCoverage(gm: GuestMemory, slot: Memslot): SlotCoverage {
  const c: SlotCoverage = { asId: gm.asId, slot, ...zeroCounts(), pages: Number(slot.npages) };
  if (isGmemSlot(slot)) {
    c.guestMemfd = c.pages;
    return c;
  }
  const mem = gm.host.mem;
  gm.forEachHostRun(slot, (run) => {
    const n = Number(run.size / PAGE);
    switch (run.kind) {
      case 'mapped': {
        if (run.pageSize === M2) c.hostPages2M += n;
        else if (run.pageSize === G1) c.hostPages1G += n;
        for (let off = 0n; off < run.size; off += PAGE) {
          const st = mem.pageState(run.pa + off);
          if (st === 'present') c.inDump++;
          else if (st === 'zero') {
            c.inDump++;
            c.zero++;
          } else if (st === 'excluded') c.excluded++;
          else c.notInDump++;
        }
        break;
      }
      case 'empty':
      case 'not-present':
        c.notPresent += n;
        break;
      case 'swap':
        c.swapped += n;
        break;
      case 'unreadable':
        c.tableNotInDump += n;
        break;
    }
  });
  return c;
}

export function vmCoverage(host: Kernel, kvm: KObject, spaces: AddressSpace[], pgdPhys: bigint, owner: { pid?: number; comm?: string } = {}): VmCoverage {
  const out: VmCoverage = { vm: kvm.addr, pid: owner.pid, comm: owner.comm, spaces: [], summary: { ...zeroCounts(), percentInDump: 0 }, excludedLooksLikeZero: !!host.mem.info.excludedLooksLikeZero };
  for (const sp of spaces) {
    const gm = new GuestMemory({ host, kvm, spaces, pgdPhys, asId: sp.asId, label: `VM ${hex(kvm.addr)}` });
    const slots = [...sp.slots].sort((a, b) => (a.baseGfn < b.baseGfn ? -1 : 1)).map((s) => slotCoverage(gm, s));
    const total = zeroCounts();
    for (const s of slots) add(total, s);
    out.spaces.push({ asId: sp.asId, slots, total });
    if (sp.asId === 0) add(out.summary, total);
  }
  out.summary.percentInDump = out.summary.pages ? (100 * out.summary.inDump) / out.summary.pages : 0;
  return out;
}

/** "98% in the dump" with no false 100% or 0%: 99.95% is 99.9%, one page is not 0%. */
export function percentText(inDump: number, pages: number): string {
  if (!pages) return '-';
  if (inDump === pages) return '100%';
  if (inDump === 0) return '0%';
  const p = (100 * inDump) / pages;
  const s = p >= 10 ? Math.min(99.9, Math.floor(p * 10) / 10).toFixed(1) : Math.max(0.1, Math.floor(p * 10) / 10).toFixed(1);
  return `${s.replace(/\.0$/, '')}%`;
}
