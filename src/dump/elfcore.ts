// ELF vmcores as PhysicalMemory: /proc/vmcore and makedumpfile -E (p_paddr = physical, p_vaddr = __va),
// QEMU dump-guest-memory (p_vaddr = 0), /proc/kcore (segments outside the direct map have p_paddr = -1).
import { type ByteSource } from '../io/source.js';
import { hex } from '../io/hex.js';
import { ElfFile, type ElfNote } from '../elf/elf.js';
import { ET, EM_X86_64, PT } from '../elf/constants.js';
import {
  type DumpInfo,
  type DumpNote,
  type PageState,
  PageExcludedError,
  PhysAbsentError,
  type PhysicalMemory,
  type PhysRange,
} from './physmem.js';

interface Segment {
  paddr: bigint;
  end: bigint; // paddr + memsz
  fileEnd: bigint; // paddr + filesz: beyond it (up to `end`) the page was excluded or is zero
  offset: number;
}

const NO_PADDR = (1n << 64n) - 1n;

export class ElfCore implements PhysicalMemory {
  readonly info: DumpInfo;
  readonly notes: DumpNote[];
  readonly vmcoreinfo?: string;
  private segs: Segment[];

  constructor(private readonly src: ByteSource) {
    const elf = new ElfFile(src);
    if (elf.type !== ET.CORE) throw new Error(`${src.name}: an ELF file but not a core dump (e_type ${elf.type}); give the vmcore, and the vmlinux as the other argument`);
    if (elf.machine !== EM_X86_64) throw new Error(`${src.name}: ELF machine ${elf.machine} is not x86_64; only x86_64 hosts are supported`);
    this.notes = elf.notes().map((n: ElfNote) => ({ name: n.name, type: n.type, desc: n.desc }));
    const vi = this.notes.find((n) => n.name === 'VMCOREINFO');
    this.vmcoreinfo = vi ? vi.desc.toString('latin1').replace(/\0+$/, '') : undefined;
    this.segs = elf
      .programHeaders()
      .filter((p) => p.type === PT.LOAD && p.paddr !== NO_PADDR && p.memsz > 0n)
      .map((p) => ({ paddr: p.paddr, end: p.paddr + p.memsz, fileEnd: p.paddr + BigInt(p.filesz), offset: p.offset }))
      .sort((a, b) => (a.paddr < b.paddr ? -1 : a.paddr > b.paddr ? 1 : 0));
    for (const s of this.segs) {
      if (s.offset + Number(s.fileEnd - s.paddr) > src.size) {
        throw new Error(
          `${src.name}: segment at physical ${hex(s.paddr)} needs file bytes up to 0x${(s.offset + Number(s.fileEnd - s.paddr)).toString(16)} ` +
            `but the file has 0x${src.size.toString(16)}: the dump is truncated (copy it again, or check the disk it was written to)`,
        );
      }
    }
    const qemu = this.notes.some((n) => n.name === 'QEMU');
    const kcore = elf.programHeaders().some((p) => p.type === PT.LOAD && p.paddr === NO_PADDR);
    const partial = this.segs.some((s) => s.fileEnd < s.end);
    this.info = {
      format: qemu ? 'elf-qemu' : kcore ? 'elf-kcore' : 'elf-vmcore',
      compression: 'none',
      pageSize: 4096,
      cpus: this.notes.filter((n) => n.name === 'CORE' && n.type === 1).length || undefined,
      segments: this.segs.length,
      presentPages: Number(this.segs.reduce((a, x) => a + (x.fileEnd - x.paddr), 0n) / 4096n),
      excludedPages: Number(this.segs.reduce((a, x) => a + (x.end - x.fileEnd), 0n) / 4096n),
      excludedLooksLikeZero: partial,
    };
  }

  ranges(): PhysRange[] {
    return this.segs.map((s) => ({ start: s.paddr, end: s.end }));
  }

  private find(paddr: bigint): Segment | undefined {
    let lo = 0;
    let hi = this.segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segs[mid];
      if (paddr < s.paddr) hi = mid - 1;
      else if (paddr >= s.end) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  pageState(paddr: bigint): PageState {
    const s = this.find(paddr);
    if (!s) return 'absent';
    // ELF cannot tell an excluded page from a zero page: makedumpfile -E writes both as p_filesz < p_memsz.
    return paddr < s.fileEnd ? 'present' : 'excluded';
  }

  read(paddr: bigint, length: number): Buffer {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const a = paddr + BigInt(done);
      const s = this.find(a);
      if (!s) throw new PhysAbsentError(a, `no PT_LOAD segment of ${this.src.name} covers it`);
      if (a >= s.fileEnd) {
        throw new PageExcludedError(a, 'ELF segment has no file data here (p_filesz < p_memsz): excluded or zero, ELF cannot tell which');
      }
      const n = Number(BigInt(length - done) < s.fileEnd - a ? BigInt(length - done) : s.fileEnd - a);
      this.src.read(s.offset + Number(a - s.paddr), n).copy(out, done);
      done += n;
    }
    return out;
  }

  close(): void {
    (this.src as { close?: () => void }).close?.();
  }
}
