// hpa -> (VM, address space, memslot, gpa, hva): built once per run from every slot's present host
// mappings (runs from the range walk, table by table), then each lookup is a binary search. A host page can
// have several owners (aliased slots, the SMM address space mirroring RAM): every one is returned.
import { hex } from '../io/hex.js';
import { type AddressSpace } from './memslots.js';
import { type SlotWalkContext, slotRuns } from './slot-mappings.js';

export interface IndexedVm {
  kvm: bigint;
  pid?: number;
  comm?: string;
  ctx: SlotWalkContext;
  spaces: AddressSpace[];
}

export interface Owner {
  vm: bigint;
  pid?: number;
  comm?: string;
  asId: number;
  slot: number;
  /** struct kvm_memory_slot. */
  slotAddr: bigint;
  gpa: bigint;
  hva: bigint;
  /** Host page size of the mapping. */
  pageSize: bigint;
}

interface Run {
  vm: IndexedVm;
  asId: number;
  slot: number;
  slotAddr: bigint;
  gpa: bigint;
  hva: bigint;
  pageSize: bigint;
}

export interface IndexStats {
  vms: number;
  slots: number;
  runs: number;
  mappedBytes: bigint;
}

export class ReverseIndex {
  /** Parts of the index that could not be built (page tables not in the dump, VMs without an mm). */
  readonly notes: string[];
  readonly stats: IndexStats;
  // hpas fit a double exactly (physical addresses are below 2^52): typed arrays keep lookups fast.
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  /** Largest end among runs 0..i: a lookup walks back only while a run could still cover the address. */
  private readonly maxEnd: Float64Array;
  private readonly runs: Run[];

  private constructor(entries: { start: number; end: number; run: Run }[], notes: string[], stats: IndexStats) {
    entries.sort((a, b) => a.start - b.start || a.end - b.end);
    const n = entries.length;
    this.starts = new Float64Array(n);
    this.ends = new Float64Array(n);
    this.maxEnd = new Float64Array(n);
    this.runs = new Array<Run>(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      this.starts[i] = entries[i].start;
      this.ends[i] = entries[i].end;
      m = Math.max(m, entries[i].end);
      this.maxEnd[i] = m;
      this.runs[i] = entries[i].run;
    }
    this.notes = notes;
    this.stats = stats;
  }

  static build(vms: IndexedVm[], notes: string[] = []): ReverseIndex {
    const entries: { start: number; end: number; run: Run }[] = [];
    const stats: IndexStats = { vms: vms.length, slots: 0, runs: 0, mappedBytes: 0n };
    for (const vm of vms) {
      for (const sp of vm.spaces) {
        for (const slot of sp.slots) {
          stats.slots++;
          let unreadable = 0n;
          let why = '';
          try {
            for (const r of slotRuns(vm.ctx, slot)) {
              if (r.kind === 'gap') {
                if (r.why === 'table-unreadable' || r.why === 'gmem-private') {
                  unreadable += r.bytes;
                  why ||= r.detail ?? r.why;
                }
                continue;
              }
              entries.push({
                start: Number(r.hpa),
                end: Number(r.hpa + r.bytes),
                run: { vm, asId: sp.asId, slot: slot.id, slotAddr: slot.addr, gpa: r.gpa, hva: r.hva, pageSize: r.pageSize },
              });
              stats.mappedBytes += r.bytes;
            }
          } catch (e) {
            notes.push(`VM ${hex(vm.kvm)} address space ${sp.asId} slot ${slot.id}: its mappings cannot be walked (${(e as Error).message}); hpas it maps are not indexed`);
            continue;
          }
          if (unreadable) {
            notes.push(`VM ${hex(vm.kvm)} address space ${sp.asId} slot ${slot.id}: ${unreadable >> 12n} pages not indexed (${why})`);
          }
        }
      }
    }
    stats.runs = entries.length;
    return new ReverseIndex(entries, notes, stats);
  }

  /** Every owner of the byte at `hpa`, ordered by VM, address space and slot. */
  lookup(hpa: bigint): Owner[] {
    const q = Number(hpa);
    let lo = 0;
    let hi = this.starts.length - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= q) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const out: Owner[] = [];
    for (let j = i; j >= 0 && this.maxEnd[j] > q; j--) {
      if (this.ends[j] <= q) continue;
      const r = this.runs[j];
      const off = hpa - BigInt(this.starts[j]);
      out.push({ vm: r.vm.kvm, pid: r.vm.pid, comm: r.vm.comm, asId: r.asId, slot: r.slot, slotAddr: r.slotAddr, gpa: r.gpa + off, hva: r.hva + off, pageSize: r.pageSize });
    }
    return out.sort((a, b) => cmp(a.vm, b.vm) || a.asId - b.asId || a.slot - b.slot || cmp(a.gpa, b.gpa));
  }
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
