// The translation view of the detail pane: the path in words first (what a person looks for), then the
// CLI's crash-style breakdown of the same Translation object (levels, PTE flags, VMA, struct page).
import { hex } from '../../io/hex.js';
import { renderTranslation } from '../../vtop/render-text.js';
import { formatBytes } from '../../vtop/render-vms.js';
import { type Translation } from '../../vtop/translation.js';

export function translationLines(t: Translation): string[] {
  const out: string[] = [];
  const s = t.memslot;
  const where = s ? `slot ${s.id} of AS ${t.asId}${t.asId === 1 ? ' (SMM)' : ''} at +${hex(t.gpa - (s.baseGfn << 12n))}` : `AS ${t.asId}${t.asId === 1 ? ' (SMM)' : ''}`;
  if (t.error) {
    out.push(`✗ gpa ${hex(t.gpa)} (${where}): ${t.error.message}`);
  } else if (t.hpa !== undefined) {
    const leaf = t.levels.length ? `mapped by a ${t.levels[t.levels.length - 1].name}` : t.gmem ? 'from guest_memfd' : '';
    const size = t.pageSize !== undefined ? `${formatBytes(t.pageSize)} page` : 'page';
    out.push(`✓ gpa ${hex(t.gpa)}${t.hva !== undefined ? ` -> hva ${hex(t.hva)}` : ''} -> hpa ${hex(t.hpa)}`);
    out.push(`  ${where}; ${size} ${leaf}`.trimEnd());
    if (t.pageInDump === false && t.pageNote) out.push(`  ! ${t.pageNote}`);
  }
  // The CLI ends an error with "qemu-vtop: <message>": said above already.
  const crash = renderTranslation(t).trimEnd().split('\n');
  if (t.error && crash[crash.length - 1] === `qemu-vtop: ${t.error.message}`) crash.pop();
  out.push('', ...crash);
  return out;
}

export const NO_TRANSLATION = ['No translation yet.', '', 'Press g and type a gpa (0x100201000), "hva 0x7f..." or "s0:1+0x2000";', 'or pick a slot in the memslot table and press Enter to give an offset into it.'];
