// Writes a minimal ELF64 relocatable file with the given sections (plus the NULL section and .shstrtab), after
// <elf.h>: Elf64_Ehdr (64 bytes) at 0, section data from 64 on, Elf64_Shdr table (64 bytes each) at the end.
// Independent of src/; for tests that need a section header the compiler would never write.

export interface SectionSpec {
  name: string;
  type: number; // SHT_*
  flags?: bigint;
  data: Buffer;
  link?: number;
  info?: number;
  entsize?: number;
  /** sh_size when it must differ from data.length (a header pointing past the file). */
  size?: bigint;
  /** sh_offset override. */
  offset?: bigint;
}

export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOTE = 7;
export const SHF_COMPRESSED = 1n << 11n;

export function writeElfSections(sections: SectionSpec[], type = 1 /* ET_REL */): Buffer {
  const names = [''];
  const all = [...sections, { name: '.shstrtab', type: SHT_STRTAB, data: Buffer.alloc(0) } as SectionSpec];
  let strtab = Buffer.from([0]);
  const nameOff: number[] = [];
  for (const s of all) {
    nameOff.push(strtab.length);
    strtab = Buffer.concat([strtab, Buffer.from(s.name + '\0', 'latin1')]);
    names.push(s.name);
  }
  all[all.length - 1].data = strtab;
  const ehdr = Buffer.alloc(64);
  ehdr.write('\x7fELF', 0, 'latin1');
  ehdr[4] = 2;
  ehdr[5] = 1;
  ehdr[6] = 1;
  ehdr.writeUInt16LE(type, 16);
  ehdr.writeUInt16LE(62, 18);
  ehdr.writeUInt32LE(1, 20);
  const parts: Buffer[] = [ehdr];
  let off = 64;
  const offsets: number[] = [];
  for (const s of all) {
    offsets.push(off);
    parts.push(s.data);
    off += s.data.length;
  }
  const shoff = off;
  const shdrs = Buffer.alloc(64 * (all.length + 1));
  all.forEach((s, i) => {
    const o = 64 * (i + 1);
    shdrs.writeUInt32LE(nameOff[i], o);
    shdrs.writeUInt32LE(s.type, o + 4);
    shdrs.writeBigUInt64LE(s.flags ?? 0n, o + 8);
    shdrs.writeBigUInt64LE(s.offset ?? BigInt(offsets[i]), o + 24);
    shdrs.writeBigUInt64LE(s.size ?? BigInt(s.data.length), o + 32);
    shdrs.writeUInt32LE(s.link ?? 0, o + 40);
    shdrs.writeUInt32LE(s.info ?? 0, o + 44);
    shdrs.writeBigUInt64LE(1n, o + 48);
    shdrs.writeBigUInt64LE(BigInt(s.entsize ?? 0), o + 56);
  });
  ehdr.writeBigUInt64LE(BigInt(shoff), 40);
  ehdr.writeUInt16LE(64, 52);
  ehdr.writeUInt16LE(64, 58);
  ehdr.writeUInt16LE(all.length + 1, 60);
  ehdr.writeUInt16LE(all.length, 62); // .shstrtab is the last
  parts.push(shdrs);
  return Buffer.concat(parts);
}

/** An Elf64_Chdr (ELFCOMPRESS_ZLIB) followed by the compressed bytes. */
export function chdr(chSize: bigint, compressed: Buffer, type = 1): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(type, 0);
  h.writeBigUInt64LE(chSize, 8);
  h.writeBigUInt64LE(1n, 16);
  return Buffer.concat([h, compressed]);
}
