// What a host page is used for, told cheaply from its struct page (for `whose` when no VM maps it): the
// kernel image (its physical range, from _text/_end), a page table or a free (buddy) page (page_type bits),
// slab, page cache or anonymous memory (flags and page->mapping), reserved. Bit values come from VMCOREINFO
// where the kernel exports them (PAGE_BUDDY_MAPCOUNT_VALUE), else from the constants table.
import { constant } from '../debuginfo/constants.js';
import { hex } from '../io/hex.js';
import { type Kernel } from './kernel.js';
import { pageAddress, type PageInfo, readPage, vmemmapBase } from './page.js';

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
  typeMember?: string;
}

const layouts = new WeakMap<Kernel, Layout>();

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
    typeMember: page.has('page_type') ? 'page_type' : page.has('_mapcount') ? '_mapcount' : undefined,
  };
  layouts.set(k, l);
  return l;
}

function pageType(k: Kernel, pfn: bigint, l: Layout): bigint | undefined {
  if (!l.typeMember) return undefined;
  const m = k.obj('page', pageAddress(k, pfn)).member(l.typeMember);
  const v = m.has('counter') ? m.member('counter').value() : m.value();
  return v & 0xffffffffn;
}

const isType = (v: bigint | undefined, bit: bigint, l: Layout): boolean => v !== undefined && (v & (l.typeBase | bit)) === l.typeBase;

/** True when pfn lies inside a free buddy block: its own head, or the head of an order-n block around it. */
function inFreeBlock(k: Kernel, pfn: bigint, l: Layout): boolean {
  const maxOrder = Number(constant('MAX_ORDER'));
  for (let order = 0; order < maxOrder; order++) {
    const head = pfn & ~((1n << BigInt(order)) - 1n);
    try {
      if (!isType(pageType(k, head, l), l.buddyBit, l)) continue;
      // page->private of a buddy head is its order: the block must reach pfn.
      const o = k.obj('page', pageAddress(k, head)).member('private').value();
      if (o >= BigInt(order)) return true;
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
  try {
    page = readPage(k, pfn);
  } catch (e) {
    return { kind: 'unknown', detail: (e as Error).message };
  }
  let t: bigint | undefined;
  try {
    t = pageType(k, pfn, l);
  } catch {
    t = undefined;
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
    return readPage(k, pfn);
  } catch {
    return undefined;
  }
}
