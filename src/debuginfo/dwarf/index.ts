// The DWARF type source: a name index (built by one scan of .debug_info, or loaded from the persistent
// cache by build-id) plus a decoder that turns the indexed DIE offsets into types when asked.
import { type ElfFile } from '../../elf/elf.js';
import { type KType, type NamedKind, type TypeSource } from '../types.js';
import { defaultCacheDir, indexCachePath, readCachedIndex, writeCachedIndex } from './cache.js';
import { DwarfContext } from './context.js';
import { DieReader } from './die.js';
import { type NameIndex } from './nameindex.js';
import { IndexScanner, type ScanStats } from './scan.js';
import { type DwarfSections, elfDwarfSections } from './sections.js';
import { TypeDecoder } from './types.js';

export { DwarfError } from './errors.js';
export { NameIndex, INDEX_VERSION } from './nameindex.js';
export { type DwarfSections, elfDwarfSections, memorySections } from './sections.js';
export { defaultCacheDir, indexCachePath } from './cache.js';

export interface DwarfOptions {
  /** Keep the name index in the persistent cache, keyed by build-id (default true; the CLI's --no-cache). */
  cache?: boolean;
  /** Cache directory (default $XDG_CACHE_HOME/qemu-vtop, else ~/.cache/qemu-vtop). */
  cacheDir?: string;
  /** Apply the .rela.debug_* relocations of ET_REL files (default true; false only to show why they matter). */
  relocate?: boolean;
  /**
   * Where to look for the complete definition of a struct/union/enum this file only declares
   * (e.g. kvm.ko's `struct foo;` defined in vmlinux).
   */
  completeFrom?: TypeSource;
}

/** How the name index was obtained, for progress messages and benchmarks. */
export interface IndexInfo {
  source: 'cache' | 'scan';
  ms: number;
  cachePath?: string;
  /** Why the cache could not be written, if it could not (never fatal). */
  cacheWriteError?: string;
  scan?: ScanStats;
}

export class DwarfTypeSource implements TypeSource {
  readonly description: string;
  private ctx: DwarfContext;
  private _index?: NameIndex;
  private _decoder?: TypeDecoder;
  indexInfo?: IndexInfo;

  constructor(
    readonly sections: DwarfSections,
    private opts: DwarfOptions = {},
  ) {
    this.description = `DWARF of ${sections.file}`;
    this.ctx = new DwarfContext(sections);
  }

  /** The name index, loaded from the cache or built on first use. */
  get index(): NameIndex {
    return (this._index ??= this.loadIndex());
  }

  private loadIndex(): NameIndex {
    const t0 = performance.now();
    const s = this.sections;
    const useCache = this.opts.cache !== false && s.buildId !== undefined;
    const path = useCache ? indexCachePath(this.opts.cacheDir ?? defaultCacheDir(), s.buildId!) : undefined;
    if (path) {
      const hit = readCachedIndex(path, { buildId: s.buildId, fingerprint: s.fingerprint });
      if (hit) {
        this.indexInfo = { source: 'cache', ms: performance.now() - t0, cachePath: path };
        return hit;
      }
    }
    const scanner = new IndexScanner(this.ctx);
    const index = scanner.run();
    const cacheWriteError = path ? writeCachedIndex(path, index) : undefined;
    this.indexInfo = { source: 'scan', ms: performance.now() - t0, cachePath: path, cacheWriteError, scan: scanner.stats };
    return index;
  }

  private get decoder(): TypeDecoder {
    return (this._decoder ??= new TypeDecoder(new DieReader(this.ctx, this.index.units), this.ctx, (name, kind) => this.findType(name, kind) ?? this.opts.completeFrom?.findType(name, kind)));
  }

  findType(name: string, kind: NamedKind): KType | undefined {
    const off = this.index.lookup(name, kind);
    return off === undefined ? undefined : this.decoder.typeAt(off);
  }

  findEnumerator(name: string): bigint | undefined {
    const off = this.index.enumerators.get(name);
    if (off === undefined) return undefined;
    const t = this.decoder.typeAt(off);
    return t.kind === 'enum' ? t.enumerators.get(name) : undefined;
  }

  /** The type whose DIE is at section offset `offset` of .debug_info (tests, debugging). */
  typeAtOffset(offset: number): KType {
    return this.decoder.typeAt(offset);
  }
}

/** The DWARF of an ELF file (vmlinux, a module's .ko debug file, a split-DWARF .dwo). */
export function openDwarf(elf: ElfFile, opts: DwarfOptions = {}): DwarfTypeSource {
  return new DwarfTypeSource(elfDwarfSections(elf, { relocate: opts.relocate }), opts);
}

/** The DWARF of sections given directly (hand-built DWARF in tests). */
export function openDwarfSections(sections: DwarfSections, opts: DwarfOptions = {}): DwarfTypeSource {
  return new DwarfTypeSource(sections, opts);
}
