// crash-style text: qemu-vtop's header, then crash's `vtop -u` page-table lines byte for byte
// (x86_64_uvtop_level4 + x86_64_translate_pte + mkstring from crash's tools.c).
import { pteFlagNames } from '../arch/x86_64/pagetable.js';
import { hexBare } from '../io/hex.js';
import { type PageInfo, pageFlagsText } from '../kernel/page.js';
import { type Translation, type VmaInfo } from './translation.js';

type Just = 'L' | 'R';

/** crash's mkstring(): pad to `size`; CENTER puts the odd extra space on the side opposite the justification. */
export function mkstring(s: string, size: number, center: boolean, just: Just): string {
  const extra = size - s.length;
  if (extra <= 0) return s;
  if (center) {
    const half = Math.floor(extra / 2);
    const [left, right] = extra % 2 === 0 ? [half, half] : just === 'R' ? [half + 1, half] : [half, half + 1];
    return ' '.repeat(left) + s + ' '.repeat(right);
  }
  return just === 'L' ? s + ' '.repeat(extra) : ' '.repeat(extra) + s;
}

const COL = 16; // crash's VADDR_PRLEN on x86_64
const UCOL = 10; // crash's UVADDR_PRLEN on x86_64

const PAGE_LABEL: Record<string, string> = { '2097152': '(2MB)', '1073741824': '(1GB)' };

export function renderTranslation(t: Translation): string {
  const lines: string[] = [];
  lines.push(`${mkstring('GUEST PHYSICAL', COL, false, 'L')}  ${mkstring('HOST VIRTUAL', COL, false, 'L')}  HOST PHYSICAL`);
  const hva = t.hva !== undefined ? hexBare(t.hva) : t.gmem ? '(guest_memfd)' : '';
  let hpa: string;
  if (t.hpa !== undefined) hpa = hexBare(t.hpa);
  else if (t.error?.code === 'GPA_NOT_IN_MEMSLOT') hpa = '(not in any memslot)';
  else if (t.error?.code === 'NOT_PRESENT') hpa = t.swap ? '(swapped out)' : '(not mapped)';
  else hpa = t.error ? '(unknown)' : '';
  lines.push(`${mkstring(hexBare(t.gpa), COL, false, 'L')}  ${mkstring(hva, COL, false, 'L')}  ${hpa}`.trimEnd());
  lines.push('');
  for (const l of t.levels) lines.push(`   ${l.name}: ${hexBare(l.entry)} => ${hexBare(l.value)}`);
  // A private guest_memfd page: no page tables, the page comes from the gmem file's page cache.
  if (t.gmem) {
    lines.push(`   GMEM: file ${hexBare(t.gmem.file)} index ${hexBare(t.gmem.index)} => ${t.gmem.page !== undefined ? `page ${hexBare(t.gmem.page)}` : 'not in the page cache'}`);
    if (t.hpa !== undefined) lines.push(`  PAGE: ${hexBare(t.hpa & ~0xfffn)}  `);
  }
  if (t.hpa !== undefined && t.pte !== undefined && t.pageSize !== undefined) {
    const base = t.hpa & ~(t.pageSize - 1n);
    const label = PAGE_LABEL[t.pageSize.toString()];
    lines.push(label ? `  PAGE: ${hexBare(base)}  ${label}` : `  PAGE: ${hexBare(base)}  `);
    lines.push('');
    lines.push(...pteTable(t.pte));
  }
  // crash's do_vtop: the VMA of the address, then the struct page of a present page, or the file offset.
  if (t.vma !== undefined) lines.push('', ...vmaSection(t.vma));
  if (t.hpa !== undefined && t.page) lines.push('', ...pageSection(t.page, t.paddrPrlen));
  if (t.hpa === undefined && t.vma?.fileOffset !== undefined) lines.push('', `FILE: ${t.vma.file}  OFFSET: ${hexBare(t.vma.fileOffset)}`);
  for (const note of [t.vmaError, t.pageError, t.pageNote, t.pagemapNote, t.retried]) if (note) lines.push('', `  NOTE: ${note}`);
  lines.push('');
  if (t.error) lines.push(`qemu-vtop: ${t.error.message}`, '');
  return lines.join('\n');
}

/** The "PTE  PHYSICAL  FLAGS" table of x86_64_translate_pte (present entries). */
function pteTable(pte: bigint): string[] {
  const pteStr = hexBare(pte);
  const phys = hexBare(pte & 0x000ffffffffff000n);
  const len1 = Math.max(pteStr.length, 3);
  const len2 = Math.max(phys.length, 8);
  return [
    `${mkstring('PTE', len1, true, 'L')}  ${mkstring('PHYSICAL', len2, true, 'L')}  FLAGS`,
    `${mkstring(pteStr, len1, true, 'R')}  ${mkstring(phys, len2, true, 'R')}  (${pteFlagNames(pte).join('|') || 'no mapping'})`,
  ];
}

/** crash's vm_area_dump(UVADDR): the VMA header and the VMA's line ("(not found)" when none holds the address). */
export function vmaSection(v: VmaInfo | null): string[] {
  const header = `${mkstring('VMA', COL, true, 'L')} ${mkstring('START', UCOL, true, 'R')} ${mkstring('END', UCOL, true, 'R')}  FLAGS FILE`;
  if (!v) return [header, '(not found)'];
  return [header, vmaLine(v)];
}

/** PRINT_VMA_DATA: "%s %s %s %6llx %s" with the VMA centred in 16, start and end right-justified in 10. */
export function vmaLine(v: { addr: bigint; start: bigint; end: bigint; flags: bigint; file: string }): string {
  return `${mkstring(hexBare(v.addr), COL, true, 'L')} ${mkstring(hexBare(v.start), UCOL, false, 'R')} ${mkstring(hexBare(v.end), UCOL, false, 'R')} ${mkstring(hexBare(v.flags), 6, false, 'R')} ${v.file}`;
}

/** crash's dump_mem_map for one page: header and style4 line "%-16lx %8llx %16lx %8lx %2d " + flags. */
export function pageSection(p: PageInfo, paddrPrlen = 8): string[] {
  const pw = Math.max(paddrPrlen, 'PHYSICAL'.length);
  const header = `${mkstring('PAGE', COL, true, 'L')} ${mkstring('PHYSICAL', pw, false, 'R')} ${mkstring('MAPPING', COL, true, 'R')} ${mkstring('INDEX', 8, true, 'R')}CNT FLAGS`;
  const line =
    `${mkstring(hexBare(p.addr), COL, false, 'L')} ${mkstring(hexBare(p.phys), pw, false, 'R')} ${mkstring(hexBare(p.mapping), COL, false, 'R')} ` +
    `${mkstring(hexBare(p.index), 8, false, 'R')} ${mkstring(String(p.count), 2, false, 'R')} ${pageFlagsText(p.flags, p.flagNames)}`;
  return [header, line];
}
