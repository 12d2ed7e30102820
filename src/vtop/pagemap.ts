// A second witness on a live host: the kernel's own answer for an hva, from /proc/PID/pagemap (one u64 per
// virtual page: bit 63 present, bit 62 swapped, bits 0-54 the pfn, shown as 0 without CAP_SYS_ADMIN;
// Documentation/admin-guide/mm/pagemap.rst).
import { closeSync, openSync, readSync } from 'node:fs';
import { hex } from '../io/hex.js';

const PRESENT = 1n << 63n;
const SWAPPED = 1n << 62n;
const PFN_MASK = (1n << 55n) - 1n;

export interface PagemapWitness {
  /** The hpa pagemap gives for the hva (pfn << 12 | page offset), when present and its pfn is shown. */
  hpa?: bigint;
  /** Why there is no hpa: not present, swapped, pfn hidden, file unreadable. */
  note?: string;
}

/** Reads the 8-byte entry for virtual page `vpn` of process `pid`, or throws (the caller says why). */
export type PagemapReader = (pid: number, vpn: bigint) => bigint;

export const readPagemapEntry: PagemapReader = (pid, vpn) => {
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  try {
    const b = Buffer.alloc(8);
    // The file offset is vpn * 8: below 2^53 for every 47/56-bit user address.
    if (readSync(fd, b, 0, 8, Number(vpn * 8n)) !== 8) throw new Error('short read');
    return b.readBigUInt64LE(0);
  } finally {
    closeSync(fd);
  }
};

export function pagemapWitness(pid: number, hva: bigint, read: PagemapReader = readPagemapEntry): PagemapWitness {
  let e: bigint;
  try {
    e = read(pid, hva >> 12n);
  } catch (err) {
    return { note: `/proc/${pid}/pagemap cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if (e & SWAPPED) return { note: `/proc/${pid}/pagemap says hva ${hex(hva)} is swapped out` };
  if (!(e & PRESENT)) return { note: `/proc/${pid}/pagemap says hva ${hex(hva)} is not present` };
  const pfn = e & PFN_MASK;
  if (pfn === 0n) return { note: `/proc/${pid}/pagemap hides the pfn (needs CAP_SYS_ADMIN)` };
  return { hpa: (pfn << 12n) | (hva & 0xfffn) };
}
