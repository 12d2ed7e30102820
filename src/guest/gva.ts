// Guest-virtual → guest-physical: the x86_64 walker (the host's own) over GuestMemory, so every guest table entry
// is read through gpa → hva → hpa, and a table page the dump cannot give stops the walk with its reason.
import { type LevelEntry, pteFlagNames, walk, WalkAborted } from '../arch/x86_64/pagetable.js';
import { hex } from '../io/hex.js';
import { type GuestMemory, GuestPageError } from '../kvm/guest-memory.js';

/** Where the CR3 came from: part of every answer. */
export interface Cr3Source {
  kind: 'given' | 'vcpu' | 'guest-kernel' | 'guest-pid';
  /** In words: "vCPU 0: VMCB save area (...)", "init_top_pgt of the guest kernel (VMCOREINFO)". */
  description: string;
  vcpu?: number;
  guestPid?: number;
  /** Caveats (a stale vCPU, an unavailable cache). */
  notes?: string[];
}

export interface GuestPaging {
  levels: 4 | 5;
  /** The guest's SME/SEV C-bit (its VMCOREINFO NUMBER(sme_mask)), cleared from every entry. */
  smeMask: bigint;
  /** How the level count was decided. */
  how: string;
}

export interface GuestWalk {
  gva: bigint;
  cr3: bigint;
  cr3Source: Cr3Source;
  paging: GuestPaging;
  /** Guest table entries walked: `entry` is a gpa. */
  levels: LevelEntry[];
  gpa?: bigint;
  pageSize?: bigint;
  leaf?: bigint;
  flags?: string[];
  error?: { code: string; message: string; level?: LevelEntry['name']; reason?: string };
}

export function translateGva(gm: GuestMemory, cr3: bigint, src: Cr3Source, paging: GuestPaging, gva: bigint): GuestWalk {
  const w: GuestWalk = { gva, cr3, cr3Source: src, paging, levels: [] };
  const read = (gpa: bigint) => gm.read(gpa, 8).readBigUInt64LE(0);
  try {
    const r = walk(read, cr3, gva, { levels: paging.levels, smeMask: paging.smeMask });
    w.levels = r.levels;
    w.leaf = r.leaf;
    if (!r.present) {
      const last = r.levels[r.levels.length - 1];
      const why = r.swap
        ? `holds a swap entry (type ${r.swap.type}, offset ${hex(r.swap.offset)}): the guest swapped the page out`
        : r.leaf !== 0n
          ? `is not present (${hex(r.leaf)}${r.protNone ? ', PROT_NONE / NUMA hinting' : ''})`
          : 'is empty: the guest never mapped this address';
      w.error = { code: r.swap ? 'GUEST_SWAPPED' : 'GUEST_NOT_PRESENT', level: last.name, message: `gva ${hex(gva)}: guest ${last.name} ${hex(last.entry)} ${why} (CR3 ${hex(cr3)})` };
      return w;
    }
    w.gpa = r.pa;
    w.pageSize = r.pageSize;
    w.flags = pteFlagNames(r.leaf);
  } catch (e) {
    if (e instanceof WalkAborted && e.cause instanceof GuestPageError) {
      w.levels = e.levels;
      const c = e.cause;
      w.error = {
        code: 'GUEST_TABLE_NOT_IN_DUMP',
        level: e.failedLevel,
        reason: c.reason,
        message: `gva ${hex(gva)}: the guest ${e.failedLevel} table page (gpa ${hex(c.gpa & ~0xfffn)}) cannot be read (${c.code}): ${c.message}`,
      };
      return w;
    }
    throw e;
  }
  return w;
}
