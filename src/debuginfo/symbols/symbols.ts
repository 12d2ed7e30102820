// Symbol sources: name → link-time address. The kernel layer adds the KASLR offset.
import { type ElfFile } from '../../elf/elf.js';

export interface SymbolSource {
  readonly description: string;
  /** True when addresses are run-time ones (KASLR already applied: kallsyms, VMCOREINFO). */
  readonly relocated?: boolean;
  lookup(name: string): bigint | undefined;
}

/** STT_OBJECT, STT_FUNC, STT_NOTYPE (linker-script symbols such as _stext): the ones with addresses we use. */
const ADDRESS_TYPES = new Set([0, 1, 2]);

/** The .symtab of a vmlinux (ET_EXEC): values are link-time virtual addresses. Decoded once, on first use. */
export class ElfSymbols implements SymbolSource {
  private map?: Map<string, bigint>;
  constructor(private readonly elf: ElfFile) {}
  get description(): string {
    return `symbol table of ${this.elf.name}`;
  }
  lookup(name: string): bigint | undefined {
    if (!this.map) {
      this.map = new Map();
      for (const s of this.elf.symbols()) {
        if (!ADDRESS_TYPES.has(s.type) || s.shndx === 0) continue;
        // Local statics can share a name across files; the first global wins, else the first seen.
        if (!this.map.has(s.name) || s.bind === 1) this.map.set(s.name, s.value);
      }
    }
    return this.map.get(name);
  }
}

/** SYMBOL(name)=addr entries of VMCOREINFO: already run-time addresses (KASLR applied). */
export class MapSymbols implements SymbolSource {
  readonly relocated = true;
  constructor(
    private readonly map: Map<string, bigint>,
    readonly description: string,
  ) {}
  lookup(name: string): bigint | undefined {
    return this.map.get(name);
  }
}

/**
 * A System.map (link-time addresses: the kernel layer adds the KASLR offset) or a /proc/kallsyms capture
 * (run-time addresses of the boot it was taken on): "ffffffff81000000 T _text [module]" lines.
 */
export class TextSymbols implements SymbolSource {
  private map = new Map<string, bigint>();
  constructor(
    text: string,
    readonly description: string,
    readonly relocated: boolean,
  ) {
    for (const line of text.split('\n')) {
      const m = /^([0-9a-fA-F]+)\s+(\S)\s+(\S+)(\s+\[(\S+)\])?/.exec(line);
      if (!m || m[5]) continue; // module symbols of a kallsyms capture are not vmlinux's
      const global = m[2] >= 'A' && m[2] <= 'Z';
      if (!this.map.has(m[3]) || global) this.map.set(m[3], BigInt('0x' + m[1]));
    }
    if (this.map.size === 0) throw new Error(`${description}: no "ADDRESS TYPE NAME" lines: not a System.map or kallsyms file`);
  }
  lookup(name: string): bigint | undefined {
    return this.map.get(name);
  }
}
