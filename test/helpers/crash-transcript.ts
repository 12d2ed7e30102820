// Reads the real crash utility's transcripts shipped with the fixtures: each `crash> CMD` with its output.
import { readFileSync } from 'node:fs';

export interface CrashCommand {
  cmd: string;
  output: string[];
}

export function crashCommands(path: string): CrashCommand[] {
  const out: CrashCommand[] = [];
  let cur: CrashCommand | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('crash> ')) {
      cur = { cmd: line.slice(7).trim(), output: [] };
      out.push(cur);
    } else if (line.startsWith('# wall')) {
      cur = undefined;
    } else if (cur) cur.output.push(line);
  }
  return out;
}

/** The page-table part of a `vtop -u` block: level lines, PAGE line and the PTE table, as crash printed them. */
export function vtopTableLines(c: CrashCommand): string[] {
  const start = c.output.findIndex((l) => /^ {3}(PGD|P4D|PUD|PMD|PTE):/.test(l));
  if (start < 0) return [];
  const vma = c.output.findIndex((l) => l.startsWith('      VMA'));
  const end = vma < 0 ? c.output.length : vma;
  const lines = c.output.slice(start, end);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Map hva (hex, no 0x) → its vtop command, for one pid. */
export function vtopByHva(path: string, pid: number): Map<string, CrashCommand> {
  const m = new Map<string, CrashCommand>();
  for (const c of crashCommands(path)) {
    const r = /^vtop -u -c (\d+) ([0-9a-f]+)$/.exec(c.cmd);
    if (r && Number(r[1]) === pid) m.set(r[2], c);
  }
  return m;
}
