// The result of translating one gpa: a plain data object that every front end renders.
import { type LevelEntry } from '../arch/x86_64/pagetable.js';
import { type Memslot } from '../kvm/memslots.js';

export interface TranslationError {
  code: string;
  message: string;
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
  error?: TranslationError;
}
