// `whose HPA`: which VMs, address spaces, memslots, gpas and hvas map a host page; or, when none does, what
// the page is (from its struct page). The reverse index is built once per run over every VM of the host.
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { type PageInfo } from '../kernel/page.js';
import { pageInfoFast, type PageUse, pageUse } from '../kernel/page-kind.js';
import { type IndexedVm, type Owner, ReverseIndex } from '../kvm/reverse-index.js';
import { allVms } from '../kvm/vms.js';
import { vmContext } from './translate.js';

export interface WhoseResult {
  hpa: bigint;
  owners: Owner[];
  /** The struct page of the hpa (owned pages), when it can be read. */
  page?: PageInfo;
  /** For a page no VM maps: what it is instead. */
  use?: PageUse;
  /** Whether the dump holds the page's bytes (a whose answer does not need them). */
  pageState: string;
}

/** The reverse index of every VM of the host, and notes on what it could not cover. */
export function hostReverseIndex(k: Kernel): ReverseIndex {
  const { vms, notes } = allVms(k);
  const indexed: IndexedVm[] = [];
  for (const v of vms) {
    if (!v.spaces) continue; // its memslots could not be read: summarizeVm already said why
    notes.push(...v.errors);
    try {
      const ctx = vmContext(k, v.kvm, v.spaces, undefined, v.owners[0]?.pid, v.owners[0]?.comm);
      indexed.push({ kvm: v.addr, pid: v.owners[0]?.pid, comm: v.owners[0]?.comm, ctx: { k, kvm: v.kvm, pgdPhys: ctx.pgdPhys }, spaces: v.spaces });
    } catch (e) {
      notes.push(`VM ${hex(v.addr)}: not indexed (${(e as Error).message})`);
    }
  }
  return ReverseIndex.build(indexed, notes);
}

export function whose(k: Kernel, index: ReverseIndex, hpa: bigint): WhoseResult {
  const owners = index.lookup(hpa);
  const r: WhoseResult = { hpa, owners, pageState: k.mem.pageState(hpa) };
  if (owners.length) {
    try {
      r.page = pageInfoFast(k, hpa >> 12n);
    } catch {
      // the struct page is extra: an owner answer stands without it
    }
  } else {
    r.use = pageUse(k, hpa);
    r.page = r.use.page;
  }
  return r;
}
