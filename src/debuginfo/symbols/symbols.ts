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

/**
 * The .symtab of a vmlinux (ET_EXEC): values are link-time virtual addresses. The kernel layer asks for a
 * handful of names out of ~150k, so a lookup finds the name's bytes in .strtab (a native search) and then
 * the entries that point at them, instead of decoding every symbol into a map.
 */
export class ElfSymbols implements SymbolSource {
  private tables?: { syms: Buffer; names: Buffer; nameOffsets: Uint32Array };
  private cache = new Map<string, bigint | undefined>();
  constructor(private readonly elf: ElfFile) {}
  get description(): string {
    return `symbol table of ${this.elf.name}`;
  }

  private load() {
    if (this.tables) return this.tables;
    const tab = this.elf.section('.symtab') ?? this.elf.section('.dynsym');
    if (!tab) return (this.tables = { syms: Buffer.alloc(0), names: Buffer.alloc(0), nameOffsets: new Uint32Array(0) });
    const strs = this.elf.sections()[tab.link];
    const syms = this.elf.sectionSource(tab).read(0, tab.size);
    const names = this.elf.sectionSource(strs).read(0, strs.size);
    const n = Math.floor(syms.length / 24);
    const nameOffsets = new Uint32Array(n);
    for (let i = 0; i < n; i++) nameOffsets[i] = syms.readUInt32LE(i * 24);
    return (this.tables = { syms, names, nameOffsets });
  }

  lookup(name: string): bigint | undefined {
    if (this.cache.has(name)) return this.cache.get(name);
    const { syms, names, nameOffsets } = this.load();
    // Every place "name\0" occurs: the linker may have merged it into the tail of a longer name, and an
    // entry whose st_name is one of these offsets is named exactly `name`.
    const needle = Buffer.from(`${name}\0`, 'latin1');
    const offsets = new Set<number>();
    for (let at = names.indexOf(needle); at >= 0; at = names.indexOf(needle, at + 1)) offsets.add(at);
    let best: bigint | undefined;
    let bestGlobal = false;
    // The entries naming one of those offsets, found with the typed array's native indexOf (no JS loop over
    // ~150k entries per lookup); visited in table order, as a scan would.
    const hits: number[] = [];
    for (const off of offsets) for (let i = nameOffsets.indexOf(off); i >= 0; i = nameOffsets.indexOf(off, i + 1)) hits.push(i);
    hits.sort((a, b) => a - b);
    for (const i of hits) {
      const o = i * 24;
      const info = syms[o + 4];
      const shndx = syms.readUInt16LE(o + 6);
      if (!ADDRESS_TYPES.has(info & 0xf) || shndx === 0) continue;
      // Local statics can share a name across files; the first global wins, else the first seen.
      const global = info >> 4 === 1;
      if (best === undefined || (global && !bestGlobal)) {
        best = syms.readBigUInt64LE(o + 8);
        bestGlobal = global;
      }
    }
    this.cache.set(name, best);
    return best;
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
