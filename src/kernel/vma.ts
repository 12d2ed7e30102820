// VMAs of an mm_struct: the maple tree mm->mm_mt (6.1+) or the mm->mmap list (older; linked by vm_next and
// sorted by address, the order crash prints), chosen by probing struct mm_struct. Bounded by the walkers and
// by mm->map_count.
import { hex } from '../io/hex.js';
import { QvError, walkLimit } from '../io/errors.js';
import { type Kernel } from './kernel.js';
import { mapleEntries, mapleLoad } from './maple.js';
import { type KObject } from './object.js';
import { filePath } from './path.js';

export interface Vma {
  /** struct vm_area_struct address. */
  addr: bigint;
  start: bigint;
  end: bigint;
  flags: bigint;
  /** vm_pgoff: the file offset of vm_start, in pages. */
  pgoff: bigint;
  /** struct file * (0 for anonymous memory). */
  file: bigint;
}

const MAX_MAP_COUNT = 1 << 24; // sysctl vm.max_map_count is 65530 by default; far above it is corruption

function vmaOf(k: Kernel, addr: bigint): Vma {
  const v = k.obj('vm_area_struct', addr);
  return {
    addr,
    start: v.member('vm_start').value(),
    end: v.member('vm_end').value(),
    flags: v.member('vm_flags').value(),
    pgoff: v.member('vm_pgoff').value(),
    file: v.member('vm_file').value(),
  };
}

export type VmaLayout = 'maple' | 'list';

/** Which VMA container this kernel has: crash's test (no mm_struct.mmap, has mm_mt). */
export function vmaLayout(mm: KObject): VmaLayout {
  if (!mm.has('mmap') && mm.has('mm_mt')) return 'maple';
  if (mm.has('mmap')) return 'list';
  throw new QvError('UNKNOWN_VMA_LAYOUT', "struct mm_struct has neither mm_mt (maple tree) nor mmap (VMA list) in this kernel's debug info");
}

function mapLimit(mm: KObject): number {
  const n = mm.has('map_count') ? mm.member('map_count').num() : MAX_MAP_COUNT;
  return Math.min(Math.max(n, 0) + 16, MAX_MAP_COUNT);
}

/** Every VMA of an mm, lowest address first. */
export function* vmas(k: Kernel, mm: KObject): Generator<Vma> {
  const limit = mapLimit(mm);
  const what = `mm_struct ${hex(mm.addr)} VMAs`;
  if (vmaLayout(mm) === 'maple') {
    for (const e of mapleEntries(k, mm.member('mm_mt').addr, `${what} (mm_mt)`, limit)) yield vmaOf(k, e.entry);
    return;
  }
  let p = mm.member('mmap').value();
  let n = 0;
  while (p !== 0n) {
    if (++n > limit) throw walkLimit(`${what} (mmap list)`, mm.addr, limit);
    const v = vmaOf(k, p);
    yield v;
    p = k.obj('vm_area_struct', p).member('vm_next').value();
  }
}

/** The VMA holding addr (vm_start <= addr < vm_end), or undefined. */
export function findVma(k: Kernel, mm: KObject, addr: bigint): Vma | undefined {
  if (vmaLayout(mm) === 'maple') {
    const e = mapleLoad(k, mm.member('mm_mt').addr, addr, `mm_struct ${hex(mm.addr)} mm_mt`);
    if (!e) return undefined;
    const v = vmaOf(k, e.entry);
    return addr >= v.start && addr < v.end ? v : undefined;
  }
  for (const v of vmas(k, mm)) {
    if (addr < v.start) return undefined; // sorted: passed it
    if (addr < v.end) return v;
  }
  return undefined;
}

/** The file a VMA maps, as crash prints it in the FILE column ('' for anonymous memory). */
export function vmaFilePath(k: Kernel, v: Vma): string {
  if (v.file === 0n) return '';
  return filePath(k, k.obj('file', v.file));
}
