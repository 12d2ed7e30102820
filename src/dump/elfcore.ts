// ELF vmcores as PhysicalMemory: /proc/vmcore and makedumpfile -E (p_paddr = physical, p_vaddr = __va),
// QEMU dump-guest-memory (p_vaddr = 0), /proc/kcore (segments outside the direct map have p_paddr = -1).
// Segments may overlap: kcore's kernel-text PT_LOAD (p_paddr = __pa_symbol(_stext)) and kexec's text segment lie
// inside a RAM segment. Lookups go through an interval index built once (intervals.ts), never a linear scan.
import { QvError } from '../io/errors.js';
import { type ByteSource } from '../io/source.js';
import { hex } from '../io/hex.js';
import { ElfFile, type ElfNote } from '../elf/elf.js';
import { ET, EM_X86_64, PT } from '../elf/constants.js';
import { IntervalIndex, type Piece, type RankedInterval } from './intervals.js';
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

/** What a physical address resolves to: a segment, and whether the file holds its bytes there. */
interface Hit {
  seg: Segment;
  present: boolean;
}

const NO_PADDR = (1n << 64n) - 1n;

export class ElfCore implements PhysicalMemory {
  readonly info: DumpInfo;
  readonly notes: DumpNote[];
  readonly vmcoreinfo?: string;
  private segs: Segment[];
  private index: IntervalIndex<Hit>;

  constructor(private readonly src: ByteSource) {
    const elf = new ElfFile(src);
    if (elf.type !== ET.CORE) throw new QvError('NOT_A_DUMP', `${src.name}: an ELF file but not a core dump (e_type ${elf.type}); give the vmcore, and the vmlinux as the other argument`);
    if (elf.machine !== EM_X86_64) throw new QvError('UNSUPPORTED_MACHINE', `${src.name}: ELF machine ${elf.machine} is not x86_64; only x86_64 hosts are supported`);
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
        throw new QvError(
          'DUMP_TRUNCATED',
          `${src.name}: segment at physical ${hex(s.paddr)} needs file bytes up to 0x${(s.offset + Number(s.fileEnd - s.paddr)).toString(16)} ` +
            `but the file has 0x${src.size.toString(16)}: the dump is truncated (copy it again, or check the disk it was written to)`,
        );
      }
    }
    // Where segments overlap, a segment with file data wins over one without; then the first program header.
    const items: RankedInterval<Hit>[] = [];
    for (const seg of this.segs) {
      items.push({ start: seg.paddr, end: seg.fileEnd, rank: 0, value: { seg, present: true } });
      items.push({ start: seg.fileEnd, end: seg.end, rank: 1, value: { seg, present: false } });
    }
    this.index = new IntervalIndex(items);
    const qemu = this.notes.some((n) => n.name === 'QEMU');
    const kcore = elf.programHeaders().some((p) => p.type === PT.LOAD && p.paddr === NO_PADDR);
    const pages = (present: boolean) => Number(this.index.pieces.filter((p) => p.value.present === present).reduce((a, p) => a + (p.end - p.start), 0n) / 4096n);
    this.info = {
      format: qemu ? 'elf-qemu' : kcore ? 'elf-kcore' : 'elf-vmcore',
      compression: 'none',
      pageSize: 4096,
      // kcore writes one NT_PRSTATUS whatever the CPU count: the kernel's cpu_online_mask tells (cli/cmd-info).
      cpus: kcore ? undefined : this.notes.filter((n) => n.name === 'CORE' && n.type === 1).length || undefined,
      segments: this.segs.length,
      presentPages: pages(true),
      excludedPages: pages(false),
      excludedLooksLikeZero: this.index.pieces.some((p) => !p.value.present),
    };
  }

  /**
   * The RAM the segments describe: overlapping segments (a kernel-text segment inside its RAM range) count once;
   * segments that only touch stay separate ranges, as their program headers say.
   */
  ranges(): PhysRange[] {
    const out: PhysRange[] = [];
    for (const s of this.segs) {
      const last = out[out.length - 1];
      if (last && s.paddr < last.end) {
        if (s.end > last.end) last.end = s.end;
      } else out.push({ start: s.paddr, end: s.end });
    }
    return out;
  }

  private find(paddr: bigint): Piece<Hit> | undefined {
    return this.index.find(paddr);
  }

  pageState(paddr: bigint): PageState {
    const p = this.find(paddr);
    if (!p) return 'absent';
    // ELF cannot tell an excluded page from a zero page: makedumpfile -E writes both as p_filesz < p_memsz.
    return p.value.present ? 'present' : 'excluded';
  }

  read(paddr: bigint, length: number): Buffer {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const a = paddr + BigInt(done);
      const p = this.find(a);
      if (!p) throw new PhysAbsentError(a, `no PT_LOAD segment of ${this.src.name} covers it`);
      if (!p.value.present) {
        throw new PageExcludedError(a, 'ELF segment has no file data here (p_filesz < p_memsz): excluded or zero, ELF cannot tell which');
      }
      const s = p.value.seg;
      // The piece may end before the segment does (another segment takes over there): read up to the piece's end.
      const n = Number(BigInt(length - done) < p.end - a ? BigInt(length - done) : p.end - a);
      this.src.read(s.offset + Number(a - s.paddr), n).copy(out, done);
      done += n;
    }
    return out;
  }

  refresh(): void {
    (this.src as { dropCache?: () => void }).dropCache?.();
  }

  close(): void {
    (this.src as { close?: () => void }).close?.();
  }
}
