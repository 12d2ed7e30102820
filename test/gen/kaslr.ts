// arch/x86/mm/kaslr.c's kernel_randomize_memory(), 4-level paging, with a seeded generator in place of the
// kernel's prandom: where the direct map, vmalloc and vmemmap of one boot may sit. The regions are placed in
// order, each after a random PUD-aligned share of the remaining entropy; the direct map region is sized from
// the RAM (DIV_ROUND_UP(max_pfn << PAGE_SHIFT, 1 TiB) + CONFIG_RANDOMIZE_MEMORY_PHYSICAL_PADDING TiB).
import { type Regions } from './generate.js';

const TB = 1n << 40n;
const PUD = 1n << 30n;
const PAGE_OFFSET_BASE_L4 = 0xffff888000000000n;
const CPU_ENTRY_AREA_BASE = 0xfffffe0000000000n; // vaddr_end, 4-level
const MAX_PHYSMEM_TB = 64n; // 1 << (MAX_PHYSMEM_BITS 46 - TB_SHIFT)
const VMALLOC_SIZE_TB = 32n; // 4-level
const STRUCT_PAGE = 64n;

/** mulberry32 twice: a deterministic 64-bit stream for a seed. */
export function rng64(seed: number): () => bigint {
  let a = seed >>> 0;
  const next32 = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return BigInt(((t ^ (t >>> 14)) >>> 0) >>> 0);
  };
  return () => (next32() << 32n) | next32();
}

export interface Draw extends Regions {
  paddingTb: bigint;
  memoryTb: bigint;
}

/**
 * One boot's bases. `pick(i, max)` chooses region i's gap in [0, max] (kaslr.c: prandom % (entropy + 1),
 * then & PUD_MASK); the tests pass random picks and the extremes (0: a region right after the previous).
 */
export function kaslrDraw(ramEnd: bigint, paddingTb: bigint, pick: (region: number, max: bigint) => bigint): Draw {
  const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
  let memoryTb = ceilDiv(ramEnd, TB) + paddingTb;
  if (memoryTb > MAX_PHYSMEM_TB) memoryTb = MAX_PHYSMEM_TB;
  const vmemmapTb = ceilDiv((memoryTb * TB) / 4096n * STRUCT_PAGE, TB);
  const sizes = [memoryTb, VMALLOC_SIZE_TB, vmemmapTb];
  let remain = CPU_ENTRY_AREA_BASE - PAGE_OFFSET_BASE_L4 - sizes.reduce((a, b) => a + b, 0n) * TB;
  let vaddr = PAGE_OFFSET_BASE_L4;
  const bases: bigint[] = [];
  for (let i = 0; i < 3; i++) {
    const share = remain / BigInt(3 - i);
    const entropy = pick(i, share) & ~(PUD - 1n);
    vaddr += entropy;
    bases.push(vaddr);
    vaddr += sizes[i] * TB;
    vaddr = ((vaddr + 1n + PUD - 1n) / PUD) * PUD; // round_up(vaddr + 1, PUD_SIZE)
    remain -= entropy;
  }
  return { pageOffsetBase: bases[0], vmallocBase: bases[1], vmemmapBase: bases[2], paddingTb, memoryTb };
}
