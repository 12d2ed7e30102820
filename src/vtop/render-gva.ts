// `--gva`: the guest breakdown first (each guest table entry's gpa => its value, as crash's vtop prints host
// entries), then the usual host block of the resulting gpa; and the JSON shape.
import { hex, hexBare } from '../io/hex.js';
import { type GuestWalk } from '../guest/gva.js';
import { mkstring, renderTranslation } from './render-text.js';
import { translationJson } from './render-json.js';
import { type Translation } from './translation.js';

const COL = 16;
const PAGE_LABEL: Record<string, string> = { '2097152': '(2MB)', '1073741824': '(1GB)' };

export interface GvaResult {
  walk: GuestWalk;
  /** The host translation of the resulting gpa (absent when the guest walk stopped). */
  host?: Translation;
}

export function renderGuestWalk(w: GuestWalk): string[] {
  const lines: string[] = [];
  lines.push(`${mkstring('GUEST VIRTUAL', COL, false, 'L')}  GUEST PHYSICAL`);
  const gpa = w.gpa !== undefined ? hexBare(w.gpa) : w.error?.code === 'GUEST_TABLE_NOT_IN_DUMP' ? '(table not in dump)' : w.error?.code === 'GUEST_SWAPPED' ? '(swapped out)' : '(not mapped)';
  lines.push(`${mkstring(hexBare(w.gva), COL, false, 'L')}  ${gpa}`);
  lines.push(`   CR3: ${hexBare(w.cr3)}  (${w.cr3Source.description}; ${w.paging.levels}-level paging from ${w.paging.how})`);
  for (const n of w.cr3Source.notes ?? []) lines.push(`  NOTE: ${n}`);
  lines.push('');
  for (const l of w.levels) lines.push(`   ${l.name}: ${hexBare(l.entry)} => ${hexBare(l.value)}`);
  if (w.gpa !== undefined && w.pageSize !== undefined && w.leaf !== undefined) {
    const base = w.gpa & ~(w.pageSize - 1n);
    const label = PAGE_LABEL[w.pageSize.toString()];
    lines.push(label ? `  PAGE: ${hexBare(base)}  ${label}` : `  PAGE: ${hexBare(base)}  `);
    lines.push('');
    const pteStr = hexBare(w.leaf);
    const phys = hexBare(base);
    const len1 = Math.max(pteStr.length, 3);
    const len2 = Math.max(phys.length, 8);
    lines.push(`${mkstring('PTE', len1, true, 'L')}  ${mkstring('PHYSICAL', len2, true, 'L')}  FLAGS`);
    lines.push(`${mkstring(pteStr, len1, true, 'R')}  ${mkstring(phys, len2, true, 'R')}  (${(w.flags ?? []).join('|') || 'no mapping'})`);
  }
  lines.push('');
  if (w.error) lines.push(`qemu-vtop: ${w.error.message}`, '');
  return lines;
}

export function renderGva(r: GvaResult): string {
  const out = renderGuestWalk(r.walk).join('\n');
  return r.host ? `${out}\n${renderTranslation(r.host)}` : `${out}\n`;
}

export function gvaJson(r: GvaResult): Record<string, unknown> {
  const w = r.walk;
  const o: Record<string, unknown> = r.host ? translationJson(r.host) : {};
  const head: Record<string, unknown> = {
    gva: hex(w.gva),
    cr3: hex(w.cr3),
    cr3Source: { kind: w.cr3Source.kind, description: w.cr3Source.description, ...(w.cr3Source.vcpu !== undefined ? { vcpu: w.cr3Source.vcpu } : {}), ...(w.cr3Source.guestPid !== undefined ? { guestPid: w.cr3Source.guestPid } : {}), ...(w.cr3Source.notes ? { notes: w.cr3Source.notes } : {}) },
    guestPaging: { levels: w.paging.levels, smeMask: hex(w.paging.smeMask), how: w.paging.how },
    guestLevels: w.levels.map((l) => ({ name: l.name, entry: hex(l.entry), value: hex(l.value) })),
  };
  if (w.gpa !== undefined) {
    head.gpa = hex(w.gpa);
    head.guestPageSize = Number(w.pageSize);
    head.guestPte = hex(w.leaf!);
    head.guestPteFlags = w.flags;
  }
  if (w.error) head.error = w.error;
  return { ...head, ...o, ...(w.error ? { error: w.error } : {}) };
}
