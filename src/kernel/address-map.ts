// Where the x86_64 kernel's virtual regions sit in this boot, and which of them may be translated by
// arithmetic. With CONFIG_RANDOMIZE_MEMORY, arch/x86/mm/kaslr.c places the direct map, vmalloc and
// vmemmap one after the other, each at a random PUD-aligned gap, and sizes the direct map region from the
// RAM present (DIV_ROUND_UP(max_pfn << PAGE_SHIFT, 1 TiB) + CONFIG_RANDOMIZE_MEMORY_PHYSICAL_PADDING), not
// from MAX_PHYSMEM_BITS: vmalloc can start 1 TiB after page_offset_base. So an address is taken for a
// direct-map one only inside the RAM the dump describes and below the next region; everything else is
// walked through the kernel page tables.
import { hex } from '../io/hex.js';

/** The link-time bases, used when the kernel has no such variable (no KASLR of memory regions). */
export const DEFAULT_REGION_BASES = {
  4: { pageOffsetBase: 0xffff888000000000n, vmallocBase: 0xffffc90000000000n, vmemmapBase: 0xffffea0000000000n },
  5: { pageOffsetBase: 0xff11000000000000n, vmallocBase: 0xffa0000000000000n, vmemmapBase: 0xffd4000000000000n },
} as const;

/** The variables that hold each base (arch/x86/kernel/head64.c), in the order kaslr.c places them. */
export const REGION_VARIABLES = { pageOffsetBase: 'page_offset_base', vmallocBase: 'vmalloc_base', vmemmapBase: 'vmemmap_base' } as const;

export type RegionName = keyof typeof REGION_VARIABLES;
export type RegionBases = Record<RegionName, bigint>;

export interface RegionSource {
  /** Run-time address of a kernel variable, or undefined when the kernel has no such symbol. */
  symbol(name: string): bigint | undefined;
  /** Reads a u64 kernel variable (through the image mapping: no page tables needed). */
  readVariable(addr: bigint): bigint;
}

export interface RegionBasesFound extends RegionBases {
  /** Which bases were read from the kernel's variables rather than taken from the defaults. */
  fromVariables: RegionName[];
}

export function regionBases(src: RegionSource, levels: 4 | 5): RegionBasesFound {
  const out: RegionBasesFound = { ...DEFAULT_REGION_BASES[levels], fromVariables: [] };
  for (const [name, variable] of Object.entries(REGION_VARIABLES) as [RegionName, string][]) {
    const at = src.symbol(variable);
    if (at === undefined) continue;
    out[name] = src.readVariable(at);
    out.fromVariables.push(name);
  }
  return out;
}

/**
 * How many bytes after page_offset_base are the direct map: the end of the RAM the dump describes, never
 * reaching into the region kaslr.c placed next (vmalloc, then vmemmap), never past 1 << MAX_PHYSMEM_BITS.
 */
export function directMapExtent(bases: RegionBases, ramEnd: bigint, maxPhysBits: bigint): bigint {
  let extent = ramEnd;
  const cap = 1n << maxPhysBits;
  if (extent > cap) extent = cap;
  for (const next of [bases.vmallocBase, bases.vmemmapBase]) {
    if (next > bases.pageOffsetBase && next - bases.pageOffsetBase < extent) extent = next - bases.pageOffsetBase;
  }
  return extent;
}

export function describeRegions(b: RegionBases, extent: bigint): string {
  return `direct map ${hex(b.pageOffsetBase)}-${hex(b.pageOffsetBase + extent)}, vmalloc ${hex(b.vmallocBase)}, vmemmap ${hex(b.vmemmapBase)}`;
}
