// Writes small ELF64 core files for tests: PT_NOTE with the given notes, one PT_LOAD per segment.
// Independent of src/: the layout follows <elf.h> (Elf64_Ehdr 64 bytes, Elf64_Phdr 56, Elf64_Nhdr 12).

export interface CoreSegment {
  paddr: bigint;
  vaddr?: bigint;
  data: Buffer; // bytes in the file
  memsz?: bigint; // > data.length: the rest is not in the file (excluded)
}

export interface CoreNote {
  name: string;
  type: number;
  desc: Buffer;
}

const pad4 = (n: number) => (n + 3) & ~3;

export function noteBytes(notes: CoreNote[]): Buffer {
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

/** With more than 0xfffe program headers, e_phnum is PN_XNUM and section 0's sh_info holds the count. */
export function writeElfCore(segments: CoreSegment[], notes: CoreNote[]): Buffer {
  const note = noteBytes(notes);
  const phnum = segments.length + 1;
  const xnum = phnum >= 0xffff;
  const ehdr = Buffer.alloc(64);
  ehdr.write('\x7fELF', 0, 'latin1');
  ehdr[4] = 2; // ELFCLASS64
  ehdr[5] = 1; // little-endian
  ehdr[6] = 1; // EV_CURRENT
  ehdr.writeUInt16LE(4, 16); // ET_CORE
  ehdr.writeUInt16LE(62, 18); // EM_X86_64
  ehdr.writeUInt32LE(1, 20);
  const shoff = 64;
  const phoff = xnum ? 64 + 64 : 64;
  ehdr.writeBigUInt64LE(BigInt(phoff), 32);
  ehdr.writeBigUInt64LE(xnum ? BigInt(shoff) : 0n, 40);
  ehdr.writeUInt16LE(64, 52); // e_ehsize
  ehdr.writeUInt16LE(56, 54); // e_phentsize
  ehdr.writeUInt16LE(xnum ? 0xffff : phnum, 56);
  ehdr.writeUInt16LE(64, 58); // e_shentsize
  ehdr.writeUInt16LE(xnum ? 1 : 0, 60);
  const shdr = Buffer.alloc(xnum ? 64 : 0);
  if (xnum) shdr.writeUInt32LE(phnum, 44); // sh_info = real e_phnum
  const phdrs = Buffer.alloc(56 * phnum);
  let off = phoff + phdrs.length;
  const noteOff = off;
  off += note.length;
  phdrs.writeUInt32LE(4, 0); // PT_NOTE
  phdrs.writeBigUInt64LE(BigInt(noteOff), 8);
  phdrs.writeBigUInt64LE(BigInt(note.length), 32);
  segments.forEach((s, i) => {
    const o = 56 * (i + 1);
    phdrs.writeUInt32LE(1, o); // PT_LOAD
    phdrs.writeUInt32LE(7, o + 4);
    phdrs.writeBigUInt64LE(BigInt(off), o + 8);
    phdrs.writeBigUInt64LE(s.vaddr ?? 0n, o + 16);
    phdrs.writeBigUInt64LE(s.paddr, o + 24);
    phdrs.writeBigUInt64LE(BigInt(s.data.length), o + 32);
    phdrs.writeBigUInt64LE(s.memsz ?? BigInt(s.data.length), o + 40);
    off += s.data.length;
  });
  return Buffer.concat([ehdr, shdr, phdrs, note, ...segments.map((s) => s.data)]);
}
