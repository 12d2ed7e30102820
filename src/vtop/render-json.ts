// JSON: stable field names, every address a lower-case "0x…" string, counts as numbers.
import { describeConstants } from '../debuginfo/constants.js';
import { hex } from '../io/hex.js';
import { type Memslot, memslotFlagNames } from '../kvm/memslots.js';
import { type PageInfo } from '../kernel/page.js';
import { type Translation, type VmaInfo } from './translation.js';

export function vmaJson(v: VmaInfo): Record<string, unknown> {
  const o: Record<string, unknown> = { addr: hex(v.addr), start: hex(v.start), end: hex(v.end), flags: hex(v.flags), file: v.file };
  if (v.fileOffset !== undefined) o.fileOffset = hex(v.fileOffset);
  return o;
}

export function pageJson(p: PageInfo): Record<string, unknown> {
  const o: Record<string, unknown> = {
    addr: hex(p.addr),
    phys: hex(p.phys),
    mapping: hex(p.mapping),
    index: hex(p.index),
    count: p.count,
    flags: hex(p.flags),
    flagNames: p.flagNames,
  };
  if (p.compoundHead !== undefined) o.compoundHead = hex(p.compoundHead);
  return o;
}

export function memslotJson(m: Memslot): Record<string, unknown> {
  return {
    id: m.id,
    asId: m.asId,
    baseGfn: hex(m.baseGfn),
    npages: Number(m.npages),
    userspaceAddr: hex(m.userspaceAddr),
    flags: memslotFlagNames(m.flags),
    addr: hex(m.addr),
    dirtyBitmap: hex(m.dirtyBitmap),
  };
}

export function translationJson(t: Translation): Record<string, unknown> {
  const o: Record<string, unknown> = { gpa: hex(t.gpa), asId: t.asId };
  if (t.pid !== undefined) o.pid = t.pid;
  if (t.comm !== undefined) o.comm = t.comm;
  if (t.vm !== undefined) o.vm = hex(t.vm);
  if (t.memslot) o.memslot = memslotJson(t.memslot);
  if (t.hva !== undefined) o.hva = hex(t.hva);
  if (t.gmem) {
    o.backing = 'guest_memfd';
    o.gmem = { file: hex(t.gmem.file), index: hex(t.gmem.index), ...(t.gmem.page !== undefined ? { page: hex(t.gmem.page) } : {}) };
  }
  if (t.hpa !== undefined) o.hpa = hex(t.hpa);
  if (t.pagemapHpa !== undefined) o.pagemapHpa = hex(t.pagemapHpa);
  if (t.pagemapNote) o.pagemapNote = t.pagemapNote;
  if (t.retried) o.retried = t.retried;
  if (t.pageSize !== undefined) o.pageSize = Number(t.pageSize);
  o.levels = t.levels.map((l) => ({ name: l.name, entry: hex(l.entry), value: hex(l.value) }));
  if (t.pte !== undefined) o.pte = hex(t.pte);
  if (t.pteFlags) o.pteFlags = t.pteFlags;
  if (t.pageInDump !== undefined) o.pageInDump = t.pageInDump;
  if (t.pageNote) o.pageNote = t.pageNote;
  if (t.swap) o.swap = { type: t.swap.type, offset: hex(t.swap.offset) };
  if (t.vma !== undefined) o.vma = t.vma ? vmaJson(t.vma) : null;
  if (t.page) o.page = pageJson(t.page);
  if (t.vmaError) o.vmaError = t.vmaError;
  if (t.pageError) o.pageError = t.pageError;
  if (t.constants?.length) o.constants = describeConstants(t.constants);
  if (t.error) o.error = t.error;
  return o;
}
