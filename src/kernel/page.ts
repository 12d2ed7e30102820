// struct page of a physical page (SPARSEMEM_VMEMMAP, x86_64): vmemmap_base + pfn * sizeof(struct page),
// with its flags decoded the way crash 8.0.6 does (memory.c page_flags_init): names and masks from the
// kernel's own pageflag_names[] table (mm/debug.c, {mask, name} pairs ending with a NULL name); failing
// that, from the enum pageflags enumerators before __NR_PAGEFLAGS (PG_ prefix dropped). Only those masks
// are named, so the node/zone/section bits at the top of page->flags never are. crash prints a tail page of
// a compound page as it is (its own mapping/index/count/flags), not its head: so does this.
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from './kernel.js';

export interface PageFlagName {
  mask: bigint;
  name: string;
}

export interface PageInfo {
  /** struct page address. */
  addr: bigint;
  pfn: bigint;
  /** Physical address of the page (pfn << 12). */
  phys: bigint;
  flags: bigint;
  mapping: bigint;
  index: bigint;
  /** page->_refcount (page->_count before 4.6), as crash reads it (an int). */
  count: number;
  flagNames: string[];
  /** For a tail page of a compound page: its head's struct page (compound_head with bit 0 cleared). */
  compoundHead?: bigint;
}

const PAGE_SHIFT = 12n;
const MAX_PAGEFLAG_NAMES = 128;

const flagTables = new WeakMap<Kernel, PageFlagName[]>();

/** Start of the struct page array: the vmemmap_base variable (KASLR), else the fixed VMEMMAP_START. */
export function vmemmapBase(k: Kernel): bigint {
  return k.regions.vmemmapBase;
}

export function pageAddress(k: Kernel, pfn: bigint): bigint {
  return vmemmapBase(k) + pfn * BigInt(k.obj('page', 0n).size);
}

/** crash's table of page flag names, in crash's order. */
export function pageFlagTable(k: Kernel): PageFlagName[] {
  let t = flagTables.get(k);
  if (!t) {
    t = fromPageflagNames(k) ?? fromPageflagsEnum(k) ?? [];
    flagTables.set(k, t);
  }
  return t;
}

/** The pageflag_names[] array in the dump (struct trace_print_flags {unsigned long mask; const char *name;}). */
export function fromPageflagNames(k: Kernel): PageFlagName[] | undefined {
  const sym = k.symbolOrUndefined('pageflag_names');
  if (sym === undefined || !k.hasStruct('trace_print_flags')) return undefined;
  try {
    const tpf = k.obj('trace_print_flags', sym);
    const size = BigInt(tpf.size);
    const out: PageFlagName[] = [];
    for (let i = 0; i < MAX_PAGEFLAG_NAMES; i++) {
      const e = k.obj('trace_print_flags', sym + BigInt(i) * size);
      const mask = e.member('mask').value();
      const name = e.member('name').value();
      if (name === 0n) return out; // {0, NULL} (4.6+) or {-1UL, NULL} (3.5 and earlier) ends the table
      out.push({ mask, name: e.member('name').string(64) });
    }
    return out;
  } catch {
    return undefined;
  }
}

/** enum pageflags up to __NR_PAGEFLAGS, as crash's fallback reads it (1 << value, "PG_" removed). */
export function fromPageflagsEnum(k: Kernel): PageFlagName[] | undefined {
  const en = k.types.findType('pageflags', 'enum');
  if (!en || en.kind !== 'enum') return undefined;
  return pageflagsFromEnumerators(en.enumerators);
}

export function pageflagsFromEnumerators(enumerators: ReadonlyMap<string, bigint>): PageFlagName[] | undefined {
  const out: PageFlagName[] = [];
  for (const [name, value] of enumerators) {
    if (name === '__NR_PAGEFLAGS') {
      if (value === 0n || value > 32n) return undefined;
      return out;
    }
    out.push({ mask: 1n << value, name: name.startsWith('PG_') ? name.slice(3) : name });
  }
  return undefined; // no __NR_PAGEFLAGS: not the enum crash understands
}

/** Names of the flags set, in table order (crash's translate_page_flags). */
export function pageFlagNames(flags: bigint, table: PageFlagName[]): string[] {
  if (flags === 0n) return [];
  return table.filter((f) => (flags & f.mask) !== 0n).map((f) => f.name);
}

/** crash's FLAGS column: "%lx" of the flags, then " name,name,..." when any is named. */
export function pageFlagsText(flags: bigint, names: string[]): string {
  return names.length ? `${flags.toString(16)} ${names.join(',')}` : flags.toString(16);
}

export function readPage(k: Kernel, pfn: bigint): PageInfo {
  const addr = pageAddress(k, pfn);
  let page;
  try {
    page = k.obj('page', addr);
    page.bytes();
  } catch (e) {
    throw new QvError('PAGE_STRUCT_UNREADABLE', `struct page ${hex(addr)} of pfn ${hex(pfn)} cannot be read (${(e as Error).message})`);
  }
  const flags = page.member('flags').value();
  const countObj = page.member(page.has('_refcount') ? '_refcount' : '_count');
  const count = countObj.has('counter') ? countObj.member('counter') : countObj;
  const info: PageInfo = {
    addr,
    pfn,
    phys: pfn << PAGE_SHIFT,
    flags,
    mapping: page.member('mapping').value(),
    index: page.member('index').value(),
    count: Number(BigInt.asIntN(32, count.value() & 0xffffffffn)),
    flagNames: pageFlagNames(flags, pageFlagTable(k)),
  };
  if (page.has('compound_head')) {
    const ch = page.member('compound_head').value();
    if (ch & 1n) info.compoundHead = ch - 1n;
  }
  return info;
}

const MAX_NODES = 1 << 10;

/**
 * crash's PADDR_PRLEN: the hex digits of its memory size, which is the sum of every node's
 * node_present_pages (crash total_node_memory(); x86_64 has no FLATMEM max_mapnr). Falls back to the
 * dump's RAM ranges when the node data cannot be read.
 */
export function paddrPrlen(k: Kernel): number {
  let total: bigint | undefined;
  try {
    total = presentPages(k);
  } catch {
    total = undefined;
  }
  if (total === undefined || total === 0n) {
    total = k.mem.ranges().reduce((a, r) => a + (r.end - r.start), 0n) >> PAGE_SHIFT;
  }
  return (total << PAGE_SHIFT).toString(16).length;
}

function presentPages(k: Kernel): bigint | undefined {
  const nodeData = k.symbolOrUndefined('node_data');
  if (nodeData !== undefined) {
    const nrSym = k.symbolOrUndefined('nr_node_ids');
    const nr = nrSym !== undefined ? k.read(nrSym, 4).readInt32LE(0) : 1;
    const n = Math.min(Math.max(nr, 1), MAX_NODES);
    const ptrs = k.read(nodeData, n * 8);
    let total = 0n;
    for (let i = 0; i < n; i++) {
      const p = ptrs.readBigUInt64LE(i * 8);
      if (p !== 0n) total += k.obj('pglist_data', p).member('node_present_pages').value();
    }
    return total;
  }
  const contig = k.symbolOrUndefined('contig_page_data');
  if (contig !== undefined) return k.obj('pglist_data', contig).member('node_present_pages').value();
  return undefined;
}
