// ELF constants we use, as tables (names from <elf.h>).
export const ET = { REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
export const PT = { NULL: 0, LOAD: 1, NOTE: 4 } as const;
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOTE: 7, NOBITS: 8, REL: 9 } as const;
export const SHF_COMPRESSED = 0x800;
export const ELFCOMPRESS_ZLIB = 1;
export const ELFCOMPRESS_ZSTD = 2;
export const PN_XNUM = 0xffff;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_XINDEX = 0xffff;
export const EM_X86_64 = 62;
export const NT_GNU_BUILD_ID = 3;

/** x86_64 relocation types that appear in .rela.debug_* of kernel modules: how many bytes each writes. */
export const X86_64_RELOC: Record<number, { name: string; size: 4 | 8; signed?: boolean }> = {
  1: { name: 'R_X86_64_64', size: 8 },
  10: { name: 'R_X86_64_32', size: 4 },
  11: { name: 'R_X86_64_32S', size: 4, signed: true },
};
