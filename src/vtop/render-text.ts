// crash-style text: qemu-vtop's header, then crash's `vtop -u` page-table lines byte for byte
// (x86_64_uvtop_level4 + x86_64_translate_pte + mkstring from crash's tools.c).
import { pteFlagNames } from '../arch/x86_64/pagetable.js';
import { hexBare } from '../io/hex.js';
import { type Translation } from './translation.js';

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

const PAGE_LABEL: Record<string, string> = { '2097152': '(2MB)', '1073741824': '(1GB)' };

export function renderTranslation(t: Translation): string {
  const lines: string[] = [];
  lines.push(`${mkstring('GUEST PHYSICAL', COL, false, 'L')}  ${mkstring('HOST VIRTUAL', COL, false, 'L')}  HOST PHYSICAL`);
  const hva = t.hva !== undefined ? hexBare(t.hva) : '';
  let hpa: string;
  if (t.hpa !== undefined) hpa = hexBare(t.hpa);
  else if (t.error?.code === 'GPA_NOT_IN_MEMSLOT') hpa = '(not in any memslot)';
  else if (t.error?.code === 'NOT_PRESENT') hpa = t.swap ? '(swapped out)' : '(not mapped)';
  else hpa = t.error ? '(unknown)' : '';
  lines.push(`${mkstring(hexBare(t.gpa), COL, false, 'L')}  ${mkstring(hva, COL, false, 'L')}  ${hpa}`.trimEnd());
  lines.push('');
  for (const l of t.levels) lines.push(`   ${l.name}: ${hexBare(l.entry)} => ${hexBare(l.value)}`);
  if (t.hpa !== undefined && t.pte !== undefined && t.pageSize !== undefined) {
    const base = t.hpa & ~(t.pageSize - 1n);
    const label = PAGE_LABEL[t.pageSize.toString()];
    lines.push(label ? `  PAGE: ${hexBare(base)}  ${label}` : `  PAGE: ${hexBare(base)}  `);
    lines.push('');
    lines.push(...pteTable(t.pte));
    if (t.pageNote) lines.push('', `  NOTE: ${t.pageNote}`);
  }
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
