// The result of translating one gpa: a plain data object that every front end renders.
import { type LevelEntry } from '../arch/x86_64/pagetable.js';
import { type PageInfo } from '../kernel/page.js';
import { type ConstantName } from '../debuginfo/constants.js';
import { type Memslot } from '../kvm/memslots.js';

export interface TranslationError {
  code: string;
  message: string;
}

/** The VMM's VMA that holds the hva (crash's VMA section of `vtop -u`). */
export interface VmaInfo {
  /** struct vm_area_struct address. */
  addr: bigint;
  start: bigint;
  end: bigint;
  flags: bigint;
  /** The mapped file's path as crash prints it ('' for anonymous memory). */
  file: string;
  /** For an hva that is not mapped in a file-backed VMA: the file offset (crash's "FILE: ...  OFFSET: ..."). */
  fileOffset?: bigint;
}

export interface Translation {
  gpa: bigint;
  asId: number;
  pid?: number;
  comm?: string;
  vm?: bigint;
  memslot?: Memslot;
  hva?: bigint;
  hpa?: bigint;
  pageSize?: bigint;
  /** Page-table entries walked, as crash prints them. */
  levels: LevelEntry[];
  /** The leaf entry (PTE, or the PMD/PUD of a huge page). */
  pte?: bigint;
  pteFlags?: string[];
  /** False when the translation succeeded but the dump did not keep the final page (makedumpfile -d). */
  pageInDump?: boolean;
  pageNote?: string;
  swap?: { type: number; offset: bigint };
  /** The VMA holding the hva; null when no VMA holds it. */
  vma?: VmaInfo | null;
  /** The struct page of the hpa (present pages only). */
  page?: PageInfo;
  /** Why the VMA or struct page could not be read (the translation itself stands). */
  vmaError?: string;
  pageError?: string;
  /** crash's PADDR_PRLEN: hex digits of the memory size crash computes (width of the PHYSICAL column). */
  paddrPrlen?: number;
  error?: TranslationError;
  /** A private page of a guest_memfd slot: no hva, the page came from the gmem file's page cache. */
  gmem?: { file: bigint; index: bigint; page?: bigint; pfn?: bigint };
  /** Live host: the hpa /proc/PID/pagemap gives for the hva (a second witness), and what it says when it cannot or disagrees. */
  pagemapHpa?: bigint;
  pagemapNote?: string;
  /** Live host: the memslots changed during the first read and the translation was made again. */
  retried?: string;
  /** Kernel #defines this answer relied on (no type source carries them): names into CONSTANTS. */
  constants?: ConstantName[];
}
