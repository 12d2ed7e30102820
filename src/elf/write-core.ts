// Writing ELF64 core files in the layout of kexec's /proc/vmcore (crash_prepare_elf64_headers): ET_CORE, one
// PT_NOTE first, then PT_LOADs; each RAM run has p_paddr = physical address and p_vaddr = its direct-map address,
// and the kernel-text PT_LOAD has p_vaddr = _text. Only the headers are built here; the caller streams each
// PT_LOAD's bytes in order. The text segment is an alias: its p_offset points at the RAM bytes already in the file.
import { ET, EM_X86_64, PN_XNUM, PT } from './constants.js';

export interface CoreNoteIn {
  name: string;
  type: number;
  desc: Buffer;
}

export interface LoadSpec {
  paddr: bigint;
  vaddr: bigint;
  size: bigint;
}

export interface CoreLayout {
  /** ELF header, (section header 0 for PN_XNUM), program headers and the notes: the first bytes of the file. */
  header: Buffer;
  /** File offset of each RAM load's bytes, in the order given. */
  loadOffsets: number[];
  /** The aliases as written (pieces that lie inside RAM loads). */
  aliases: LoadSpec[];
  fileSize: number;
}

const EHDR = 64;
const PHDR = 56;
const SHDR = 64;
const PF_RWX = 7;
const DATA_ALIGN = 4096;
const pad4 = (n: number) => (n + 3) & ~3;

/** Elf64_Nhdr + name + desc, each padded to 4 bytes. */
export function encodeNotes(notes: CoreNoteIn[]): Buffer {
  const parts: Buffer[] = [];
  for (const n of notes) {
    const name = Buffer.from(n.name + '\0', 'latin1');
    const h = Buffer.alloc(12);
    h.writeUInt32LE(name.length, 0);
    h.writeUInt32LE(n.desc.length, 4);
    h.writeUInt32LE(n.type, 8);
    parts.push(h, Buffer.concat([name], pad4(name.length)), Buffer.concat([n.desc], pad4(n.desc.length)));
  }
  return Buffer.concat(parts);
}

/** The pieces of `a` that lie inside one load each, with the file offset of their bytes. */
function placeAlias(a: LoadSpec, loads: LoadSpec[], offsets: number[]): { spec: LoadSpec; offset: number }[] {
  const out: { spec: LoadSpec; offset: number }[] = [];
  const end = a.paddr + a.size;
  loads.forEach((l, i) => {
    const lo = a.paddr > l.paddr ? a.paddr : l.paddr;
    const hi = end < l.paddr + l.size ? end : l.paddr + l.size;
    if (lo >= hi) return;
    out.push({ spec: { paddr: lo, vaddr: a.vaddr + (lo - a.paddr), size: hi - lo }, offset: offsets[i] + Number(lo - l.paddr) });
  });
  return out;
}

function phdr(b: Buffer, at: number, type: number, offset: number, vaddr: bigint, paddr: bigint, size: bigint, align: bigint): void {
  b.writeUInt32LE(type, at);
  b.writeUInt32LE(PF_RWX, at + 4);
  b.writeBigUInt64LE(BigInt(offset), at + 8);
  b.writeBigUInt64LE(vaddr, at + 16);
  b.writeBigUInt64LE(paddr, at + 24);
  b.writeBigUInt64LE(size, at + 32); // p_filesz: every byte of a load is in the file (missing pages split loads)
  b.writeBigUInt64LE(size, at + 40);
  b.writeBigUInt64LE(align, at + 48);
}

/** Headers and offsets for a core of `notes` and RAM `loads` (in file order), plus `aliases` (kernel text) first. */
export function layoutCore(notes: Buffer, loads: LoadSpec[], aliasesIn: LoadSpec[] = []): CoreLayout {
  // The alias pieces depend on the load offsets, which depend on the header size: count pieces first.
  const zeroOffsets = loads.map(() => 0);
  const pieces = aliasesIn.flatMap((a) => placeAlias(a, loads, zeroOffsets)).length;
  const phnum = 1 + pieces + loads.length;
  const xnum = phnum >= PN_XNUM;
  const phoff = EHDR + (xnum ? SHDR : 0);
  const noteOff = phoff + phnum * PHDR;
  const dataStart = Math.ceil((noteOff + notes.length) / DATA_ALIGN) * DATA_ALIGN;
  const loadOffsets: number[] = [];
  let off = dataStart;
  for (const l of loads) {
    loadOffsets.push(off);
    off += Number(l.size);
  }
  const aliases = aliasesIn.flatMap((a) => placeAlias(a, loads, loadOffsets));
  const header = Buffer.alloc(dataStart);
  header.write('\x7fELF', 0, 'latin1');
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // ELFDATA2LSB
  header[6] = 1; // EV_CURRENT
  header.writeUInt16LE(ET.CORE, 16);
  header.writeUInt16LE(EM_X86_64, 18);
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(BigInt(phoff), 32);
  header.writeBigUInt64LE(xnum ? BigInt(EHDR) : 0n, 40);
  header.writeUInt16LE(EHDR, 52);
  header.writeUInt16LE(PHDR, 54);
  header.writeUInt16LE(xnum ? PN_XNUM : phnum, 56);
  header.writeUInt16LE(SHDR, 58);
  header.writeUInt16LE(xnum ? 1 : 0, 60);
  if (xnum) header.writeUInt32LE(phnum, EHDR + 44); // section 0's sh_info holds the real e_phnum
  let p = phoff;
  phdr(header, p, PT.NOTE, noteOff, 0n, 0n, BigInt(notes.length), 0n);
  p += PHDR;
  for (const a of aliases) {
    phdr(header, p, PT.LOAD, a.offset, a.spec.vaddr, a.spec.paddr, a.spec.size, 0n);
    p += PHDR;
  }
  loads.forEach((l, i) => {
    phdr(header, p, PT.LOAD, loadOffsets[i], l.vaddr, l.paddr, l.size, 0n);
    p += PHDR;
  });
  notes.copy(header, noteOff);
  return { header, loadOffsets, aliases: aliases.map((a) => a.spec), fileSize: off };
}
