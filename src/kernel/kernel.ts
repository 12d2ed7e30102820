// A kernel session over a dump: KASLR, kernel virtual → physical, typed reads.
import { constant } from '../debuginfo/constants.js';
import { type KType, type TypeSource } from '../debuginfo/types.js';
import { type SymbolSource } from '../debuginfo/symbols/symbols.js';
import { type PhysicalMemory } from '../dump/physmem.js';
import { type VmcoreInfo } from '../dump/vmcoreinfo.js';
import { walk, type WalkResult } from '../arch/x86_64/pagetable.js';
import { hex, u64 } from '../io/hex.js';
import { LruCache } from '../io/lru.js';
import { QvError } from '../io/errors.js';
import { KObject, type Memory } from './object.js';
import { directMapExtent, regionBases, type RegionBasesFound } from './address-map.js';

/** __START_KERNEL_map: the kernel image mapping starts here; modules follow at +1 GiB (KERNEL_IMAGE_SIZE). */
const START_KERNEL_MAP = constant('__START_KERNEL_map');
const MODULES_VADDR = constant('MODULES_VADDR');

export interface KernelInputs {
  mem: PhysicalMemory;
  types: TypeSource;
  /** vmlinux symbols (link-time addresses). */
  symbols: SymbolSource;
  vmcoreinfo: VmcoreInfo;
}

export class Kernel implements Memory {
  readonly mem: PhysicalMemory;
  readonly types: TypeSource;
  readonly vmcoreinfo: VmcoreInfo;
  readonly kaslrOffset: bigint;
  readonly physBase: bigint;
  readonly levels: 4 | 5;
  readonly smeMask: bigint;
  /** Physical address of the kernel's top-level page table (init_top_pgt / swapper_pg_dir). */
  readonly topPgt: bigint;
  readonly pageOffsetBase: bigint;
  /** page_offset_base, vmalloc_base, vmemmap_base of this boot (KASLR), or their link-time defaults. */
  readonly regions: RegionBasesFound;
  private maxPhysBits: bigint;
  private directMapBytes?: bigint;
  private symbols: SymbolSource;
  private structCache = new Map<string, KType>();
  private vtopCache = new LruCache<bigint, bigint>(4096);

  constructor(inp: KernelInputs) {
    this.mem = inp.mem;
    this.types = inp.types;
    this.symbols = inp.symbols;
    const vi = (this.vmcoreinfo = inp.vmcoreinfo);
    this.kaslrOffset = this.findKaslrOffset();
    if (vi.physBase === undefined) {
      throw new QvError('NO_PHYS_BASE', 'the dump has no NUMBER(phys_base) in its VMCOREINFO: cannot place the kernel image in physical memory');
    }
    this.physBase = vi.physBase;
    this.levels = vi.pgtableL5Enabled ? 5 : 4;
    this.smeMask = vi.smeMask ?? 0n;
    const pgt = vi.symbols.get('init_top_pgt') ?? vi.symbols.get('swapper_pg_dir') ?? this.symbolOrUndefined('init_top_pgt');
    if (pgt === undefined) throw new QvError('NO_KERNEL_PGT', 'neither SYMBOL(init_top_pgt) nor SYMBOL(swapper_pg_dir) is known: cannot walk kernel page tables');
    this.topPgt = this.textToPhys(pgt);
    this.maxPhysBits = vi.numbers.get('MAX_PHYSMEM_BITS') ?? (this.levels === 5 ? 52n : 46n);
    // The region bases are variables (randomized by KASLR), so read them through the image mapping.
    this.regions = regionBases({ symbol: (n) => this.symbolOrUndefined(n), readVariable: (va) => this.readPhysU64(this.textToPhys(va)) }, this.levels);
    this.pageOffsetBase = this.regions.pageOffsetBase;
  }

  /** Bytes of the direct map that arithmetic may translate: the dump's RAM, up to the next region. */
  get directMapSize(): bigint {
    if (this.directMapBytes === undefined) {
      const ranges = this.mem.ranges();
      const ramEnd = ranges.reduce((m, r) => (r.end > m ? r.end : m), 0n);
      this.directMapBytes = directMapExtent(this.regions, ramEnd, this.maxPhysBits);
    }
    return this.directMapBytes;
  }

  private findKaslrOffset(): bigint {
    const vi = this.vmcoreinfo;
    if (vi.kernelOffset !== undefined) return vi.kernelOffset;
    const stext = vi.symbols.get('_stext');
    const link = this.symbols.relocated ? undefined : this.symbols.lookup('_stext');
    if (stext !== undefined && link !== undefined) return u64(stext - link);
    return 0n;
  }

  symbolOrUndefined(name: string): bigint | undefined {
    const v = this.symbols.lookup(name);
    if (v === undefined) return undefined;
    return this.symbols.relocated ? v : u64(v + this.kaslrOffset);
  }

  /** Run-time address of a vmlinux symbol. */
  symbol(name: string): bigint {
    const v = this.symbolOrUndefined(name);
    if (v === undefined) throw new QvError('NO_SYMBOL', `symbol ${name} is not in ${this.symbols.description}`);
    return v;
  }

  structType(name: string): KType {
    let t = this.structCache.get(name);
    if (!t) {
      t = this.types.findType(name, 'struct') ?? this.types.findType(name, 'union');
      if (!t) throw new QvError('NO_TYPE', `struct ${name} is not in the debug info (${this.types.description})`, { type: name });
      this.structCache.set(name, t);
    }
    return t;
  }

  hasStruct(name: string): boolean {
    try {
      this.structType(name);
      return true;
    } catch {
      return false;
    }
  }

  /** An object of `struct name` at a kernel address. */
  obj(structName: string, addr: bigint, path?: string): KObject {
    return new KObject(this, this.structType(structName), addr, path ?? `((struct ${structName} *)${hex(addr)})`);
  }

  /** A global variable of a known type (BTF and ELF symbols carry no variable types). */
  variable(symbolName: string, type: KType): KObject {
    return new KObject(this, type, this.symbol(symbolName), symbolName);
  }

  textToPhys(va: bigint): bigint {
    return u64(va - START_KERNEL_MAP + this.physBase);
  }

  readPhysU64(pa: bigint): bigint {
    return this.mem.read(pa, 8).readBigUInt64LE(0);
  }

  /**
   * Kernel virtual → physical: the image mapping, the direct map inside the dump's RAM, or else a walk of
   * the kernel page tables (vmalloc, vmemmap, modules, and anything kaslr.c placed where we do not know).
   */
  vtop(va: bigint): bigint {
    if (va >= START_KERNEL_MAP && va < MODULES_VADDR) return this.textToPhys(va);
    if (va >= this.pageOffsetBase && va - this.pageOffsetBase < this.directMapSize) return va - this.pageOffsetBase;
    const page = va & ~0xfffn;
    let pa = this.vtopCache.get(page);
    if (pa === undefined) {
      const r = this.walkKernel(page);
      if (!r.present) {
        throw new QvError('KERNEL_VA_NOT_MAPPED', `kernel address ${hex(va)} is not mapped in the kernel page tables (${r.levels.map((l) => `${l.name} ${hex(l.value)}`).join(', ')})`);
      }
      pa = r.pa;
      this.vtopCache.set(page, pa);
    }
    return pa + (va & 0xfffn);
  }

  walkKernel(va: bigint): WalkResult {
    return walk((pa) => this.readPhysU64(pa), this.topPgt, va, { levels: this.levels, smeMask: this.smeMask });
  }

  /** Reads kernel virtual memory, page by page (pages need not be physically contiguous). */
  read(va: bigint, length: number): Buffer {
    const firstPageLeft = Number(0x1000n - (va & 0xfffn));
    if (length <= firstPageLeft) return this.mem.read(this.vtop(va), length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const a = va + BigInt(done);
      const n = Math.min(length - done, Number(0x1000n - (a & 0xfffn)));
      this.mem.read(this.vtop(a), n).copy(out, done);
      done += n;
    }
    return out;
  }

  u64(va: bigint): bigint {
    return this.read(va, 8).readBigUInt64LE(0);
  }
}
