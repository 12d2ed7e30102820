// `coverage`: one table per VM (address space, slot, gpa range, pages by where they stand), a line per VM.
import { hex, hexBare } from '../io/hex.js';
import { COUNT_KEYS, type CoverageCounts, percentText, type VmCoverage } from '../kvm/coverage.js';
import { memslotFlagNames } from '../kvm/memslots.js';
import { memslotJson } from './render-json.js';

const COLS: [keyof CoverageCounts, string][] = [
  ['pages', 'PAGES'],
  ['inDump', 'IN DUMP'],
  ['excluded', 'EXCLUDED'],
  ['notPresent', 'NOT PRESENT'],
  ['swapped', 'SWAPPED'],
  ['notInDump', 'NO RAM'],
  ['tableNotInDump', 'NO TABLE'],
  ['guestMemfd', 'GMEM'],
  ['hostPages2M', 'IN 2M'],
  ['hostPages1G', 'IN 1G'],
];

export function summaryLine(c: VmCoverage): string {
  const s = c.summary;
  const parts = [`${s.inDump} of ${s.pages} pages`];
  if (s.zero) parts.push(`${s.zero} of them zero pages`);
  const rest: string[] = [];
  if (s.excluded) rest.push(`${s.excluded} excluded by the dump's filter`);
  if (s.notPresent) rest.push(`${s.notPresent} never touched by the VMM`);
  if (s.swapped) rest.push(`${s.swapped} swapped out`);
  if (s.notInDump) rest.push(`${s.notInDump} outside the dump's RAM`);
  if (s.tableNotInDump) rest.push(`${s.tableNotInDump} behind host page tables the dump lacks`);
  if (s.guestMemfd) rest.push(`${s.guestMemfd} in guest_memfd`);
  return `guest RAM: ${percentText(s.inDump, s.pages)} in the dump (${parts.join(', ')}${rest.length ? `; ${rest.join(', ')}` : ''})`;
}

export function renderCoverage(c: VmCoverage): string {
  const L: string[] = [];
  L.push(`VM ${hexBare(c.vm)}${c.pid !== undefined ? `  pid ${c.pid} (${c.comm ?? '?'})` : ''}`);
  const head = ['AS', 'SLOT', 'GPA RANGE'.padEnd(23), ...COLS.map(([, h]) => h), 'FLAGS'];
  L.push(`${head[0]}  ${head[1].padStart(4)}  ${head[2]}  ${COLS.map(([, h]) => h.padStart(Math.max(h.length, 7))).join('  ')}  FLAGS`);
  for (const sp of c.spaces) {
    for (const s of sp.slots) {
      const range = `${hexBare(s.slot.baseGfn << 12n)}-${hexBare(((s.slot.baseGfn + s.slot.npages) << 12n) - 1n)}`;
      L.push(`${String(sp.asId).padStart(2)}  ${String(s.slot.id).padStart(4)}  ${range.padEnd(23)}  ${COLS.map(([k, h]) => String(s[k]).padStart(Math.max(h.length, 7))).join('  ')}  ${memslotFlagNames(s.slot.flags).join('|')}`);
    }
  }
  L.push(summaryLine(c));
  if (c.excludedLooksLikeZero) L.push("  NOTE: this ELF dump cannot tell excluded pages from zero pages; both are counted as excluded");
  return L.join('\n') + '\n';
}

const counts = (c: CoverageCounts) => Object.fromEntries(COUNT_KEYS.map((k) => [k, c[k]]));

export function coverageJson(c: VmCoverage): Record<string, unknown> {
  return {
    vm: hex(c.vm),
    ...(c.pid !== undefined ? { pid: c.pid, comm: c.comm } : {}),
    spaces: c.spaces.map((sp) => ({ asId: sp.asId, slots: sp.slots.map((s) => ({ memslot: memslotJson(s.slot), ...counts(s) })), total: counts(sp.total) })),
    summary: { ...counts(c.summary), percentInDump: Math.round(c.summary.percentInDump * 100) / 100, text: summaryLine(c) },
    excludedLooksLikeZero: c.excludedLooksLikeZero,
  };
}
