// What a host page is used for, told cheaply from its struct page (for `whose` when no VM maps it): the
// kernel image (its physical range, from _text/_end), a page table or a free (buddy) page (page_type bits),
// slab, page cache or anonymous memory (flags and page->mapping), reserved. Bit values come from VMCOREINFO
// where the kernel exports them (PAGE_BUDDY_MAPCOUNT_VALUE), else from the constants table.
import { constant } from '../debuginfo/constants.js';
import { hex } from '../io/hex.js';
import { type Kernel } from './kernel.js';
import { QvError } from '../io/errors.js';
import { pageAddress, pageFlagNames, pageFlagTable, type PageInfo, vmemmapBase } from './page.js';

export type PageKind = 'kernel-image' | 'page-table' | 'free' | 'slab' | 'page-cache' | 'anonymous' | 'reserved' | 'kernel' | 'unknown';

export interface PageUse {
  kind: PageKind;
  /** One line in words. */
  detail: string;
  page?: PageInfo;
}

const PAGE_SHIFT = 12n;

interface Layout {
  imageStart?: bigint;
  imageEnd?: bigint;
  typeBase: bigint;
  buddyBit: bigint;
  tableBit: bigint;
  offlineBit: bigint;
  /** struct page size and member offsets: one raw read per page instead of a typed read per member. */
  size: number;
  flags: number;
  mapping: number;
  index: number;
  private: number;
  count: number;
  type?: number;
  compoundHead?: number;
}

const layouts = new WeakMap<Kernel, Layout>();

function offsetOf(k: Kernel, path: string): number | undefined {
  try {
    return Number(k.obj('page', 0n).member(path).addr);
  } catch {
    return undefined;
  }
}

function layoutOf(k: Kernel): Layout {
  let l = layouts.get(k);
  if (l) return l;
  const text = k.symbolOrUndefined('_text');
  const end = k.symbolOrUndefined('_end');
  // ~NUMBER(PAGE_*_MAPCOUNT_VALUE) is the page_type bit (the kernel exports the whole inverted value).
  const bitOf = (name: string): bigint | undefined => {
    const v = k.vmcoreinfo.numbers.get(name);
    return v === undefined ? undefined : BigInt.asUintN(32, ~v) & 0x0fffffffn;
  };
  const page = k.obj('page', 0n);
  l = {
    imageStart: text !== undefined ? k.textToPhys(text) : undefined,
    imageEnd: end !== undefined ? k.textToPhys(end) : undefined,
    typeBase: constant('PAGE_TYPE_BASE'),
    buddyBit: bitOf('PAGE_BUDDY_MAPCOUNT_VALUE') ?? constant('PG_buddy'),
    offlineBit: bitOf('PAGE_OFFLINE_MAPCOUNT_VALUE') ?? constant('PG_offline'),
    tableBit: constant('PG_table'),
    size: page.size,
    flags: offsetOf(k, 'flags')!,
    mapping: offsetOf(k, 'mapping')!,
    index: offsetOf(k, 'index')!,
    private: offsetOf(k, 'private')!,
    count: offsetOf(k, page.has('_refcount') ? '_refcount' : '_count')!,
    type: offsetOf(k, 'page_type') ?? offsetOf(k, '_mapcount'),
    compoundHead: offsetOf(k, 'compound_head'),
  };
  layouts.set(k, l);
  return l;
}

interface RawPage {
  addr: bigint;
  b: Buffer;
}

function rawPage(k: Kernel, l: Layout, pfn: bigint): RawPage {
  const addr = pageAddress(k, pfn);
  return { addr, b: k.read(addr, l.size) };
}

const u32 = (b: Buffer, off: number | undefined): bigint | undefined => (off === undefined ? undefined : BigInt(b.readUInt32LE(off)));

/** The struct page decoded from one raw read (the same fields as readPage, crash's flag names). */
export function pageInfoFast(k: Kernel, pfn: bigint): PageInfo {
  const l = layoutOf(k);
  let r: RawPage;
  try {
    r = rawPage(k, l, pfn);
  } catch (e) {
    throw new QvError('PAGE_STRUCT_UNREADABLE', `struct page ${hex(pageAddress(k, pfn))} of pfn ${hex(pfn)} cannot be read (${(e as Error).message})`);
  }
  const flags = r.b.readBigUInt64LE(l.flags);
  const info: PageInfo = {
    addr: r.addr,
    pfn,
    phys: pfn << PAGE_SHIFT,
    flags,
    mapping: r.b.readBigUInt64LE(l.mapping),
    index: r.b.readBigUInt64LE(l.index),
    count: r.b.readInt32LE(l.count),
    flagNames: pageFlagNames(flags, pageFlagTable(k)),
  };
  if (l.compoundHead !== undefined) {
    const ch = r.b.readBigUInt64LE(l.compoundHead);
    if (ch & 1n) info.compoundHead = ch - 1n;
  }
  return info;
}

const isType = (v: bigint | undefined, bit: bigint, l: Layout): boolean => v !== undefined && (v & (l.typeBase | bit)) === l.typeBase;

/** True when pfn lies inside a free buddy block: the head of an order-n block around it (n >= 1). */
function inFreeBlock(k: Kernel, pfn: bigint, l: Layout): boolean {
  const maxOrder = Number(constant('MAX_ORDER'));
  for (let order = 1; order < maxOrder; order++) {
    const head = pfn & ~((1n << BigInt(order)) - 1n);
    if (head === pfn) continue;
    try {
      const r = rawPage(k, l, head);
      if (!isType(u32(r.b, l.type), l.buddyBit, l)) continue;
      // page->private of a buddy head is its order: the block must reach pfn.
      if (r.b.readBigUInt64LE(l.private) >= BigInt(order)) return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** What the host page holding `hpa` is, from the kernel's own bookkeeping. */
export function pageUse(k: Kernel, hpa: bigint): PageUse {
  const pfn = hpa >> PAGE_SHIFT;
  const l = layoutOf(k);
  if (l.imageStart !== undefined && l.imageEnd !== undefined && hpa >= l.imageStart && hpa < l.imageEnd) {
    return { kind: 'kernel-image', detail: `in the kernel image (_text.._end: ${hex(l.imageStart)}-${hex(l.imageEnd - 1n)})`, page: tryPage(k, pfn) };
  }
  let page: PageInfo;
  let t: bigint | undefined;
  try {
    page = pageInfoFast(k, pfn);
    t = u32(rawPage(k, l, pfn).b, l.type);
  } catch (e) {
    return { kind: 'unknown', detail: (e as Error).message };
  }
  if (isType(t, l.tableBit, l)) return { kind: 'page-table', detail: 'a page table (PageTable)', page };
  if (isType(t, l.offlineBit, l)) return { kind: 'reserved', detail: 'offline (PageOffline: ballooned or hot-unplugged)', page };
  if (isType(t, l.buddyBit, l) || inFreeBlock(k, pfn, l)) return { kind: 'free', detail: 'free (in the buddy allocator)', page };
  // Slab and mapping live on the head of a compound page.
  let head = page;
  if (page.compoundHead !== undefined) {
    const hp = tryPage(k, (page.compoundHead - vmemmapBase(k)) / BigInt(k.obj('page', 0n).size));
    if (hp) head = hp;
  }
  if (head.flagNames.includes('slab')) return { kind: 'slab', detail: 'slab (kernel objects)', page };
  if (head.mapping !== 0n) {
    if (head.mapping & constant('PAGE_MAPPING_ANON')) return { kind: 'anonymous', detail: 'anonymous memory of a process (no VM slot maps it)', page };
    return { kind: 'page-cache', detail: `page cache (address_space ${hex(head.mapping)}, index ${hex(head.index)})`, page };
  }
  if (head.flagNames.includes('reserved')) return { kind: 'reserved', detail: 'reserved (PG_reserved: firmware, early allocations, memmap)', page };
  return { kind: 'kernel', detail: 'in use by the kernel (no mapping, not slab)', page };
}

function tryPage(k: Kernel, pfn: bigint): PageInfo | undefined {
  try {
    return pageInfoFast(k, pfn);
  } catch {
    return undefined;
  }
}
