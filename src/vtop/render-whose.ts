// Text and JSON for `whose`: one block per hpa, a row per owner (VM, pid, address space, slot, gpa, hva).
import { hex, hexBare } from '../io/hex.js';
import { pageJson } from './render-json.js';
import { type WhoseResult } from './whose.js';

function table(rows: string[][], right: Set<number>): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}

const size = (b: bigint): string => (b >= 1n << 30n ? `${b >> 30n}G` : b >= 1n << 20n ? `${b >> 20n}M` : `${b >> 10n}K`);

export function renderWhose(results: WhoseResult[], notes: string[]): string {
  const out: string[] = [];
  for (const r of results) {
    const inDump = r.pageState === 'present' || r.pageState === 'zero' ? '' : `  (page ${r.pageState} in this dump)`;
    if (!r.owners.length) {
      out.push(`HOST PHYSICAL ${hexBare(r.hpa)}: no VM maps it${r.use ? ` — ${r.use.kind}: ${r.use.detail}` : ''}${inDump}`, '');
      continue;
    }
    out.push(`HOST PHYSICAL ${hexBare(r.hpa)}: ${r.owners.length} owner${r.owners.length === 1 ? '' : 's'}${inDump}`);
    const rows = [['VM', 'PID', 'COMM', 'AS', 'SLOT', 'GUEST PHYSICAL', 'HOST VIRTUAL', 'PAGE']];
    for (const o of r.owners) {
      rows.push([hexBare(o.vm), o.pid !== undefined ? String(o.pid) : '-', o.comm ?? '-', o.asId === 1 ? '1 (SMM)' : String(o.asId), String(o.slot), hexBare(o.gpa), hexBare(o.hva), size(o.pageSize)]);
    }
    out.push(...table(rows, new Set([1, 4])).map((l) => `  ${l}`), '');
  }
  for (const n of notes) out.push(`NOTE: ${n}`);
  return out.join('\n') + '\n';
}

export function whoseJson(r: WhoseResult): Record<string, unknown> {
  const o: Record<string, unknown> = {
    hpa: hex(r.hpa),
    owners: r.owners.map((w) => ({
      vm: hex(w.vm),
      ...(w.pid !== undefined ? { pid: w.pid } : {}),
      ...(w.comm !== undefined ? { comm: w.comm } : {}),
      asId: w.asId,
      slot: w.slot,
      slotAddr: hex(w.slotAddr),
      gpa: hex(w.gpa),
      hva: hex(w.hva),
      pageSize: Number(w.pageSize),
    })),
    pageState: r.pageState,
  };
  if (r.page) o.page = pageJson(r.page);
  if (r.use) o.use = { kind: r.use.kind, detail: r.use.detail };
  return o;
}
