// The DWARF sections of one file, loaded on first use. .debug_info stays a ByteSource (163 MB in a
// vmlinux: read in windows and per unit); the small sections are held whole.
//
// Relocations: in an ET_REL file (kernel modules) every cross-section reference in the debug sections
// (abbrev offsets in unit headers, DW_FORM_strp, str_offsets entries, DW_FORM_ref_addr) is a RELA
// relocation, so the sections are read through ElfFile.relocatedSection. In ET_EXEC/ET_DYN files the
// contents are final; a vmlinux linked with --emit-relocs still carries .rela.debug_* and those must
// be ignored (applying them again would be wrong and would cost seconds on 255 MB of relocations).
import { type ElfFile } from '../../elf/elf.js';
import { BufferSource, type ByteSource, FileSource, SliceSource } from '../../io/source.js';
import { DwarfError } from './errors.js';

const ET_REL = 1;

export interface DwarfSections {
  /** The file, for messages. */
  readonly file: string;
  /** Section names as the file spells them (".debug_info" or ".debug_info.dwo"), for messages. */
  readonly names: { info: string; abbrev: string; str: string; lineStr: string; strOffsets: string };
  readonly info: ByteSource;
  /**
   * Reads [offset, offset+length) of the info section for a sequential scan, into `scratch` when the
   * bytes come from a file and fit (the result is then only valid until the next call).
   */
  readInfo(offset: number, length: number, scratch: Buffer): Buffer;
  abbrev(): Buffer;
  str(): Buffer | undefined;
  lineStr(): Buffer | undefined;
  strOffsets(): Buffer | undefined;
  /** GNU build-id of the file, the key of the persistent index. */
  readonly buildId?: string;
  /** Sizes that must match for a persistent index to be trusted. */
  readonly fingerprint: string;
}

export interface ElfSectionOptions {
  /** Apply .rela.debug_* of ET_REL files (default true; false only to show what goes wrong without). */
  relocate?: boolean;
}

/** Finds the DWARF of an ELF file: the normal sections, or the .dwo ones of a split-DWARF object. */
export function elfDwarfSections(elf: ElfFile, opts: ElfSectionOptions = {}): DwarfSections {
  const dwo = !elf.section('.debug_info') && !!elf.section('.debug_info.dwo');
  const sfx = dwo ? '.dwo' : '';
  const names = {
    info: '.debug_info' + sfx,
    abbrev: '.debug_abbrev' + sfx,
    str: '.debug_str' + sfx,
    lineStr: '.debug_line_str',
    strOffsets: '.debug_str_offsets' + sfx,
  };
  const infoSec = elf.section(names.info);
  if (!infoSec || infoSec.size === 0) {
    throw new DwarfError(elf.name, '.debug_info', undefined, 'is missing: the file has no DWARF debug info (stripped?). Use the debug file (Debian: the -dbg package under /usr/lib/debug) or --types btf');
  }
  const copies = elf.sections().filter((x) => x.name === names.info).length;
  if (copies > 1) {
    throw new DwarfError(elf.name, names.info, undefined, `appears ${copies} times: an object built with -fdebug-types-section keeps type units in COMDAT sections, which only the linker merges. Link it first, or rebuild without -fdebug-types-section`);
  }
  const relocate = elf.type === ET_REL && opts.relocate !== false;
  const memo = new Map<string, Buffer | undefined>();
  const whole = (name: string): Buffer | undefined => {
    if (memo.has(name)) return memo.get(name);
    const s = elf.section(name);
    if (!s) return undefined;
    const src = elf.sectionSource(s); // its size, not sh_size: SHF_COMPRESSED sections are decompressed
    const b = relocate ? elf.relocatedSection(s) : src.read(0, src.size);
    memo.set(name, b);
    return b;
  };
  // Relocating kvm.ko's .debug_info takes ~60 ms: done on first read, so a cached index costs nothing.
  const raw = elf.sectionSource(infoSec);
  const info: ByteSource = relocate ? new LazySource(`${elf.name} ${names.info}`, raw.size, () => elf.relocatedSection(infoSec)) : raw;
  const abbrevSec = elf.section(names.abbrev);
  const strSec = elf.section(names.str);
  return {
    file: elf.name,
    names,
    info,
    readInfo: windowReader(info),
    abbrev() {
      const b = whole(names.abbrev);
      if (!b) throw new DwarfError(elf.name, names.abbrev, undefined, `is missing although ${names.info} is present: the debug file is damaged`);
      return b;
    },
    str: () => whole(names.str),
    lineStr: () => whole(names.lineStr),
    strOffsets: () => whole(names.strOffsets),
    buildId: elf.buildId(),
    fingerprint: [elf.src.size, infoSec.offset, infoSec.size, abbrevSec?.size ?? 0, strSec?.size ?? 0, relocate ? 'rel' : 'final'].join(':'),
  };
}

/** Sections from buffers (hand-built DWARF in tests). */
export function memorySections(file: string, s: { info: Buffer; abbrev: Buffer; str?: Buffer; lineStr?: Buffer; strOffsets?: Buffer }): DwarfSections {
  return {
    file,
    names: { info: '.debug_info', abbrev: '.debug_abbrev', str: '.debug_str', lineStr: '.debug_line_str', strOffsets: '.debug_str_offsets' },
    info: new BufferSource(s.info, `${file} .debug_info`),
    readInfo: (offset, length) => s.info.subarray(offset, offset + length),
    abbrev: () => s.abbrev,
    str: () => s.str,
    lineStr: () => s.lineStr,
    strOffsets: () => s.strOffsets,
    fingerprint: `${s.info.length}:${s.abbrev.length}`,
  };
}

function windowReader(info: ByteSource): DwarfSections['readInfo'] {
  if (info instanceof SliceSource && info.base instanceof FileSource) {
    const file = info.base;
    const start = info.start;
    return (offset, length, scratch) => {
      if (offset < 0 || offset + length > info.size) return info.read(offset, length); // reports the range error
      return length <= scratch.length ? file.readInto(scratch, start + offset, length) : file.readUncached(start + offset, length);
    };
  }
  return (offset, length) => info.read(offset, length);
}

/** A byte source whose bytes are computed on first read (relocated sections). */
class LazySource implements ByteSource {
  private src?: BufferSource;
  constructor(
    readonly name: string,
    readonly size: number,
    private make: () => Buffer,
  ) {}
  read(offset: number, length: number): Buffer {
    this.src ??= new BufferSource(this.make(), this.name);
    return this.src.read(offset, length);
  }
}
