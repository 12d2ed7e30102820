// A lazy ELF64 little-endian reader over a ByteSource: headers on open, everything else on request.
// Modelled on the `object` crate: the file holds offsets and counts; sections, notes and symbols are
// decoded when asked, so a 600 MB vmlinux costs a few kilobytes to open.
import { inflateSync } from 'node:zlib';
import { QvError } from '../io/errors.js';
import { BufferSource, type ByteSource, SliceSource } from '../io/source.js';
import {
  ELFCOMPRESS_ZLIB,
  ELFCOMPRESS_ZSTD,
  PN_XNUM,
  SHF_COMPRESSED,
  SHN_XINDEX,
  SHT,
  X86_64_RELOC,
} from './constants.js';

export class ElfError extends QvError {
  constructor(file: string, what: string) {
    super('ELF_FORMAT', `${file}: ${what}`, { file });
    this.name = 'ElfError';
  }
}

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number; // file offset
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: bigint;
  align: bigint;
}

export interface SectionHeader {
  index: number;
  name: string;
  nameOffset: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: bigint;
  entsize: number;
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  type: number; // STT_*
  bind: number; // STB_*
  shndx: number;
}

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;

export class ElfFile {
  readonly type: number;
  readonly machine: number;
  readonly entry: bigint;
  private phoff: number;
  private shoff: number;
  private phnum: number;
  private shnum: number;
  private shstrndx: number;
  private _phdrs?: ProgramHeader[];
  private _shdrs?: SectionHeader[];
  private sectionData = new Map<number, ByteSource>();

  constructor(readonly src: ByteSource) {
    if (src.size < EHDR_SIZE) throw new ElfError(src.name, `too short for an ELF header (${src.size} bytes)`);
    const h = src.read(0, EHDR_SIZE);
    if (h.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(src.name, 'not an ELF file (no \\x7fELF magic)');
    if (h[4] !== 2) throw new ElfError(src.name, `not ELF64 (EI_CLASS ${h[4]}); only 64-bit files are supported`);
    if (h[5] !== 1) throw new ElfError(src.name, 'big-endian ELF is not supported (x86_64 dumps are little-endian)');
    this.type = h.readUInt16LE(16);
    this.machine = h.readUInt16LE(18);
    this.entry = h.readBigUInt64LE(24);
    this.phoff = Number(h.readBigUInt64LE(32));
    this.shoff = Number(h.readBigUInt64LE(40));
    this.phnum = h.readUInt16LE(56);
    this.shnum = h.readUInt16LE(60);
    this.shstrndx = h.readUInt16LE(62);
    // Extended numbering: with more than 0xfffe segments/sections, the real counts live in section 0.
    if (this.shoff !== 0 && (this.phnum === PN_XNUM || this.shnum === 0 || this.shstrndx === SHN_XINDEX)) {
      const s0 = src.read(this.shoff, SHDR_SIZE);
      if (this.phnum === PN_XNUM) this.phnum = s0.readUInt32LE(44); // sh_info
      if (this.shnum === 0) this.shnum = Number(s0.readBigUInt64LE(32)); // sh_size
      if (this.shstrndx === SHN_XINDEX) this.shstrndx = s0.readUInt32LE(40); // sh_link
    }
  }

  get name(): string {
    return this.src.name;
  }

  programHeaders(): ProgramHeader[] {
    if (this._phdrs) return this._phdrs;
    const out: ProgramHeader[] = [];
    if (this.phnum > 0) {
      const b = this.src.read(this.phoff, this.phnum * PHDR_SIZE);
      for (let i = 0; i < this.phnum; i++) {
        const o = i * PHDR_SIZE;
        out.push({
          type: b.readUInt32LE(o),
          flags: b.readUInt32LE(o + 4),
          offset: Number(b.readBigUInt64LE(o + 8)),
          vaddr: b.readBigUInt64LE(o + 16),
          paddr: b.readBigUInt64LE(o + 24),
          filesz: Number(b.readBigUInt64LE(o + 32)),
          memsz: b.readBigUInt64LE(o + 40),
          align: b.readBigUInt64LE(o + 48),
        });
      }
    }
    return (this._phdrs = out);
  }

  sections(): SectionHeader[] {
    if (this._shdrs) return this._shdrs;
    const out: SectionHeader[] = [];
    if (this.shoff !== 0 && this.shnum > 0) {
      const b = this.src.read(this.shoff, this.shnum * SHDR_SIZE);
      for (let i = 0; i < this.shnum; i++) {
        const o = i * SHDR_SIZE;
        out.push({
          index: i,
          name: '',
          nameOffset: b.readUInt32LE(o),
          type: b.readUInt32LE(o + 4),
          flags: b.readBigUInt64LE(o + 8),
          addr: b.readBigUInt64LE(o + 16),
          offset: Number(b.readBigUInt64LE(o + 24)),
          size: Number(b.readBigUInt64LE(o + 32)),
          link: b.readUInt32LE(o + 40),
          info: b.readUInt32LE(o + 44),
          addralign: b.readBigUInt64LE(o + 48),
          entsize: Number(b.readBigUInt64LE(o + 56)),
        });
      }
      const strtab = out[this.shstrndx];
      if (strtab && strtab.type !== SHT.NOBITS) {
        const names = this.src.read(strtab.offset, strtab.size);
        for (const s of out) s.name = cstring(names, s.nameOffset);
      }
    }
    return (this._shdrs = out);
  }

  section(name: string): SectionHeader | undefined {
    return this.sections().find((s) => s.name === name);
  }

  /**
   * The contents of a section as a byte source: a window onto the file, or for SHF_COMPRESSED sections
   * the decompressed bytes (kept, since DWARF reads them randomly).
   */
  sectionSource(s: SectionHeader): ByteSource {
    let d = this.sectionData.get(s.index);
    if (d) return d;
    const label = `${this.name} section ${s.name}`;
    if (s.type === SHT.NOBITS) d = new BufferSource(Buffer.alloc(0), label);
    else if ((s.flags & BigInt(SHF_COMPRESSED)) !== 0n) d = new BufferSource(decompressSection(this.src.read(s.offset, s.size), label), label);
    else d = new SliceSource(this.src, s.offset, s.size, label);
    this.sectionData.set(s.index, d);
    return d;
  }

  /** Replaces a section's contents (relocated debug sections of ET_REL files). */
  setSectionSource(s: SectionHeader, src: ByteSource): void {
    this.sectionData.set(s.index, src);
  }

  /** All notes from PT_NOTE segments (cores) or SHT_NOTE sections (vmlinux/modules). */
  notes(): ElfNote[] {
    const out: ElfNote[] = [];
    const phdrs = this.programHeaders().filter((p) => p.type === 4 /* PT_NOTE */);
    // A loop, not push(...notes): spreading 200,000 notes as arguments overflows the stack.
    const add = (notes: ElfNote[]) => {
      for (const n of notes) out.push(n);
    };
    if (phdrs.length) for (const p of phdrs) add(parseNotes(this.src.read(p.offset, p.filesz)));
    else for (const s of this.sections()) if (s.type === SHT.NOTE) add(parseNotes(this.sectionSource(s).read(0, s.size)));
    return out;
  }

  /** GNU build-id as lower-case hex, if the file has one. */
  buildId(): string | undefined {
    const n = this.notes().find((x) => x.name === 'GNU' && x.type === 3);
    return n?.desc.toString('hex');
  }

  /** Decoded .symtab (or .dynsym) entries. `filter` avoids building objects for symbols nobody wants. */
  symbols(filter?: (name: string) => boolean): ElfSymbol[] {
    const tab = this.section('.symtab') ?? this.section('.dynsym');
    if (!tab) return [];
    const strs = this.sections()[tab.link];
    if (!strs) throw new ElfError(this.name, `${tab.name}: sh_link ${tab.link} names no section (its string table); the section headers are corrupt`);
    const data = this.sectionSource(tab).read(0, tab.size);
    const names = this.sectionSource(strs).read(0, strs.size);
    const out: ElfSymbol[] = [];
    for (let o = 0; o + 24 <= data.length; o += 24) {
      const nameOff = data.readUInt32LE(o);
      if (nameOff === 0) continue;
      const name = cstring(names, nameOff);
      if (filter && !filter(name)) continue;
      const info = data[o + 4];
      out.push({
        name,
        type: info & 0xf,
        bind: info >> 4,
        shndx: data.readUInt16LE(o + 6),
        value: data.readBigUInt64LE(o + 8),
        size: data.readBigUInt64LE(o + 16),
      });
    }
    return out;
  }

  /**
   * Applies the RELA relocations that target section `target` (ET_REL only) and returns the relocated
   * bytes. In a kernel module's debug info every cross-section reference (DW_FORM_strp into .debug_str,
   * DW_AT_stmt_list, str_offsets entries, ...) is 0 + a relocation: skipping this makes the DWARF garbage.
   * Symbols of relocatable files are section-relative, so S is the symbol's value plus 0 for the
   * debug sections' own base (they are not loaded).
   */
  relocatedSection(target: SectionHeader): Buffer {
    const contents = this.sectionSource(target); // sh_size is the compressed size for SHF_COMPRESSED
    const bytes = Buffer.from(contents.read(0, contents.size)); // private copy
    const rela = this.sections().filter((s) => s.type === SHT.RELA && s.info === target.index);
    if (!rela.length) return bytes;
    const symtab = this.sections()[rela[0].link];
    if (!symtab || symtab.type !== SHT.SYMTAB) {
      throw new ElfError(this.name, `${rela[0].name}: sh_link ${rela[0].link} is not a symbol table; the section headers are corrupt`);
    }
    const symSource = this.sectionSource(symtab);
    const syms = symSource.read(0, symSource.size);
    for (const r of rela) {
      const data = this.sectionSource(r).read(0, r.size);
      for (let o = 0; o + 24 <= data.length; o += 24) {
        const off = Number(data.readBigUInt64LE(o));
        const info = data.readBigUInt64LE(o + 8);
        const addend = data.readBigInt64LE(o + 16);
        const type = Number(info & 0xffffffffn);
        const symIndex = Number(info >> 32n);
        const kind = X86_64_RELOC[type];
        if (!kind) throw new ElfError(this.name, `unsupported relocation type ${type} in ${r.name} at 0x${off.toString(16)}`);
        if (symIndex * 24 + 24 > syms.length) {
          throw new ElfError(this.name, `${r.name}: relocation at 0x${off.toString(16)} names symbol ${symIndex}, past the ${syms.length / 24 | 0} entries of ${symtab.name}`);
        }
        const symValue = syms.readBigUInt64LE(symIndex * 24 + 8);
        const v = BigInt.asUintN(64, symValue + addend);
        if (off + kind.size > bytes.length) throw new ElfError(this.name, `${r.name}: relocation at 0x${off.toString(16)} is outside ${target.name}`);
        if (kind.size === 8) bytes.writeBigUInt64LE(v, off);
        else bytes.writeUInt32LE(Number(v & 0xffffffffn), off);
      }
    }
    return bytes;
  }
}

export function cstring(buf: Buffer, offset: number): string {
  let end = buf.indexOf(0, offset);
  if (end < 0) end = buf.length;
  return buf.toString('latin1', offset, end);
}

/** Rounds up to a multiple of 4 in float arithmetic: `(n + 3) & ~3` wraps to a negative for n >= 0x7ffffffd. */
const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * Parses a run of Elf64_Nhdr notes (name and desc each padded to 4 bytes). Every step moves forward by at
 * least the 12-byte header, so the loop ends after at most b.length / 12 notes; a note whose name or desc
 * runs past the end stops the run (what follows it cannot be found).
 */
export function parseNotes(b: Buffer): ElfNote[] {
  const out: ElfNote[] = [];
  let o = 0;
  while (o + 12 <= b.length) {
    const namesz = b.readUInt32LE(o);
    const descsz = b.readUInt32LE(o + 4);
    const type = b.readUInt32LE(o + 8);
    o += 12;
    if (namesz === 0 && descsz === 0 && type === 0) break; // zero padding at the end of a note segment
    if (o + namesz > b.length) break;
    const name = b.toString('latin1', o, o + Math.max(0, namesz - 1)).replace(/\0+$/, '');
    o += align4(namesz);
    if (o + descsz > b.length) break;
    out.push({ name, type, desc: b.subarray(o, o + descsz) });
    o += align4(descsz);
  }
  return out;
}

/**
 * Upper bound of what one zlib byte can inflate to (deflate's best ratio is 1032:1, zlib's FAQ): a section
 * header claiming more than this for its compressed size is corrupt, and is refused before anything is
 * allocated for it.
 */
const ZLIB_MAX_RATIO = 1032;

function decompressSection(raw: Buffer, label: string): Buffer {
  // Elf64_Chdr { u32 ch_type; u32 ch_reserved; u64 ch_size; u64 ch_addralign }
  if (raw.length < 24) throw new ElfError(label, `SHF_COMPRESSED but only ${raw.length} bytes, too short for its Elf64_Chdr (24)`);
  const type = raw.readUInt32LE(0);
  const chSize = raw.readBigUInt64LE(8);
  if (type === ELFCOMPRESS_ZLIB) {
    const cap = (raw.length - 24) * ZLIB_MAX_RATIO + 64;
    if (chSize > BigInt(cap)) {
      throw new ElfError(label, `Elf64_Chdr says it inflates to ${chSize} bytes, more than ${raw.length - 24} zlib bytes can hold: the section header is corrupt`);
    }
    const size = Number(chSize);
    let out: Buffer;
    try {
      // The output is capped at what the header promises: a zlib bomb stops there instead of filling memory.
      out = inflateSync(raw.subarray(24), { maxOutputLength: Math.max(1, size) });
    } catch (e) {
      throw new ElfError(label, `zlib data does not inflate to the ${size} bytes its Elf64_Chdr says (${(e as Error).message}); the file is damaged`);
    }
    if (out.length !== size) throw new ElfError(label, `decompressed to ${out.length} bytes, header says ${size}`);
    return out;
  }
  if (type === ELFCOMPRESS_ZSTD) throw new ElfError(label, 'zstd-compressed (ELFCOMPRESS_ZSTD) sections are not supported yet; decompress with `objcopy --decompress-debug-sections`');
  throw new ElfError(label, `unknown section compression type ${type}`);
}
