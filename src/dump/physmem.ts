// The one interface every dump format implements. The kernel layer reads physical memory only through it.
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';

export interface PhysRange {
  start: bigint; // first physical address
  end: bigint; // one past the last
}

/** What a page's presence in the dump is. */
export type PageState =
  | 'present' // the dump holds its bytes
  | 'zero' // the dump records it as a zero page (kdump shared zero page): reads as zeros, truthfully
  | 'excluded' // RAM that the dump did not keep (makedumpfile -d): never read as zeros
  | 'absent'; // no RAM / outside every range the dump describes

export interface DumpInfo {
  format: string; // "elf-qemu", "elf-vmcore", "kdump-compressed", "kdump-flattened", ...
  compression?: string; // "zlib", "lzo", "snappy", "zstd", "none"
  dumpLevel?: number; // makedumpfile -d
  pageSize: number;
  /** True when excluded and zero pages cannot be told apart (ELF with p_filesz < p_memsz). */
  excludedLooksLikeZero?: boolean;
  incomplete?: { reason: string; lastPfn?: bigint };
  cpus?: number;
  crashTime?: Date;
  /** The running kernel's memory (the path, "/proc/kcore"): it changes while it is read. */
  live?: string;
  [k: string]: unknown;
}

export interface PhysicalMemory {
  readonly info: DumpInfo;
  /** Raw VMCOREINFO text (KEY=VALUE lines), if the dump has it. */
  readonly vmcoreinfo?: string;
  /** The kernel's phys_base where the format records it outside VMCOREINFO (kdump sub-header). */
  readonly physBase?: bigint;
  /** ELF notes found in the dump (NT_PRSTATUS, QEMU, VMCOREINFO ...), undecoded. */
  readonly notes: DumpNote[];
  /** Physical ranges the dump describes (RAM), sorted. */
  ranges(): PhysRange[];
  pageState(paddr: bigint): PageState;
  /** Reads `length` bytes; throws PageExcludedError / PhysAbsentError for any page that is not readable. */
  read(paddr: bigint, length: number): Buffer;
  /** Live memory only (/proc/kcore): forget cached bytes so that the next reads see memory as it is now. */
  refresh?(): void;
  close(): void;
}

export interface DumpNote {
  name: string;
  type: number;
  desc: Buffer;
}

export class PageExcludedError extends QvError {
  constructor(
    readonly paddr: bigint,
    readonly why: string,
  ) {
    super(
      'PAGE_EXCLUDED',
      `physical page ${hex(paddr & ~0xfffn)} (pfn ${hex(paddr >> 12n)}) was excluded from this dump (${why}); ` +
        `its contents are unknown, not zero. Use a dump taken with a lower makedumpfile dump level (-d) to read it`,
      { paddr: hex(paddr) },
    );
    this.name = 'PageExcludedError';
  }
}

export class PhysAbsentError extends QvError {
  constructor(
    readonly paddr: bigint,
    detail: string,
  ) {
    super('PHYS_NOT_IN_DUMP', `physical address ${hex(paddr)} is not in the dump: ${detail}`, { paddr: hex(paddr) });
    this.name = 'PhysAbsentError';
  }
}
