// `qemu-vtop info DUMP...`: a quick look at a dump that needs no debug info.
import { type Command } from 'commander';
import { openDump } from '../dump/open.js';
import { type PhysicalMemory } from '../dump/physmem.js';
import { parseVmcoreInfo } from '../dump/vmcoreinfo.js';
import { hex } from '../io/hex.js';
import { openSession } from '../vtop/session.js';
import { onlineCpus, type OnlineCpus } from '../kernel/cpus.js';
import { liveDump, planLive, realHost } from '../vtop/live.js';
import { guarded } from './common.js';

export interface DumpSummary {
  files: string[];
  format: string;
  compression?: string;
  dumpLevel?: number;
  pageSize: number;
  osrelease?: string;
  buildId?: string;
  crashTime?: string;
  cpus?: number;
  /** Online CPU list and where the count came from, when the kernel was asked (kcore: not its notes). */
  cpusOnline?: string;
  cpusFrom?: string;
  kernelOffset?: string;
  physBase?: string;
  pagingLevels?: number;
  ranges: { start: string; end: string }[];
  ramBytes: number;
  notes: { name: string; type: number; count: number }[];
  incomplete?: { reason: string; lastPfn?: string };
  excludedLooksLikeZero?: boolean;
  /** Which type/symbol sources a translation with no debug files would use, or why none works. */
  types?: string;
  /** Format-specific extras the reader reports (page counts, header version, ...). */
  details: Record<string, unknown>;
}

const CORE_KEYS = new Set(['format', 'compression', 'dumpLevel', 'pageSize', 'cpus', 'crashTime', 'incomplete', 'excludedLooksLikeZero']);

export function summarize(files: string[], mem: PhysicalMemory): DumpSummary {
  const vi = mem.vmcoreinfo ? parseVmcoreInfo(mem.vmcoreinfo) : undefined;
  const ranges = mem.ranges();
  const notes = new Map<string, { name: string; type: number; count: number }>();
  for (const n of mem.notes) {
    const key = `${n.name}/${n.type}`;
    const e = notes.get(key) ?? { name: n.name, type: n.type, count: 0 };
    e.count++;
    notes.set(key, e);
  }
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(mem.info)) if (!CORE_KEYS.has(k) && v !== undefined) details[k] = typeof v === 'bigint' ? hex(v) : v;
  const crash = mem.info.crashTime ?? vi?.crashTime;
  return {
    files,
    format: mem.info.format,
    compression: mem.info.compression,
    dumpLevel: mem.info.dumpLevel,
    pageSize: mem.info.pageSize,
    osrelease: vi?.osrelease,
    buildId: vi?.buildId,
    crashTime: crash ? crash.toISOString() : undefined,
    cpus: mem.info.cpus,
    kernelOffset: vi?.kernelOffset !== undefined ? hex(vi.kernelOffset) : undefined,
    physBase: vi?.physBase !== undefined ? hex(vi.physBase) : undefined,
    pagingLevels: vi ? (vi.pgtableL5Enabled ? 5 : 4) : undefined,
    ranges: ranges.map((r) => ({ start: hex(r.start), end: hex(r.end) })),
    ramBytes: Number(ranges.reduce((a, r) => a + (r.end - r.start), 0n)),
    notes: [...notes.values()],
    incomplete: mem.info.incomplete ? { reason: mem.info.incomplete.reason, lastPfn: mem.info.incomplete.lastPfn !== undefined ? hex(mem.info.incomplete.lastPfn) : undefined } : undefined,
    excludedLooksLikeZero: mem.info.excludedLooksLikeZero,
    details,
  };
}

export function renderSummary(s: DumpSummary): string {
  const rows: [string, string | undefined][] = [
    ['file', s.files.join(', ')],
    ['format', s.format],
    ['compression', s.compression],
    ['dump level', s.dumpLevel !== undefined ? String(s.dumpLevel) : undefined],
    ['page size', String(s.pageSize)],
    ['release', s.osrelease],
    ['build-id', s.buildId],
    ['crash time', s.crashTime],
    ['cpus', s.cpus !== undefined ? `${s.cpus}${s.cpusOnline ? ` online (${s.cpusOnline}; from ${s.cpusFrom})` : ''}` : s.cpusFrom ? `unknown: ${s.cpusFrom}` : undefined],
    ['KASLR offset', s.kernelOffset],
    ['phys_base', s.physBase],
    ['paging', s.pagingLevels ? `${s.pagingLevels}-level` : undefined],
    ['RAM', `${(s.ramBytes / 1048576).toFixed(1)} MiB in ${s.ranges.length} range(s)`],
    ['types', s.types],
    ['notes', s.notes.map((n) => `${n.name}/${n.type}${n.count > 1 ? ` x${n.count}` : ''}`).join(', ')],
    ['incomplete', s.incomplete ? `${s.incomplete.reason}${s.incomplete.lastPfn ? ` (last readable pfn ${s.incomplete.lastPfn})` : ''}` : undefined],
    ['excluded pages', s.excludedLooksLikeZero ? 'some segments are shorter in the file than in memory: those pages are excluded or zero (ELF cannot tell which)' : undefined],
    ...Object.entries(s.details).map(([k, v]): [string, string] => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  ];
  const lines = rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '').map(([k, v]) => `${(k + ':').padEnd(16)}${v}`);
  lines.push('ranges:');
  for (const r of s.ranges.slice(0, 64)) lines.push(`  ${r.start.padStart(14)} - ${r.end}`);
  if (s.ranges.length > 64) lines.push(`  ... ${s.ranges.length - 64} more`);
  return lines.join('\n') + '\n';
}

/**
 * Tries the zero-debuginfo mode (kallsyms and BTF from the dump) and says what it found, or why not. On the live
 * host the sources are the ones a translation would use (live.ts), and the online CPUs come from the kernel:
 * kcore's single NT_PRSTATUS note is no CPU count.
 */
function kernelFacts(files: string[], mem: PhysicalMemory): { types: string; cpus?: OnlineCpus; cpusError?: string } {
  const plan = mem.info.live ? planLive(realHost, {}, files[0]) : undefined;
  try {
    const session = openSession({ dump: files, ...(plan ?? {}), types: plan?.vmlinux ? 'auto' : 'btf' });
    try {
      const types = plan ? `${session.typesUsed} (${plan.source})` : session.typesUsed;
      if (mem.info.cpus !== undefined) return { types };
      try {
        return { types, cpus: onlineCpus(session.kernel) };
      } catch (e) {
        return { types, cpusError: (e as Error).message };
      }
    } finally {
      session.close();
    }
  } catch (e) {
    return { types: `none without debug files: ${(e as Error).message}` };
  }
}

export function infoCommand(p: Command): void {
  p.command('info')
    .description('format, kernel and memory ranges of a dump (needs no debug info)')
    .argument('[dump...]', 'the dump file (several for a makedumpfile --split set); none: the running host\'s /proc/kcore')
    .option('--json', 'machine-readable output')
    .action(
      guarded((files: string[], o: { json?: boolean }) => {
        if (!files.length) files = [liveDump()];
        const mem = openDump(files);
        try {
          const s = summarize(files, mem);
          const facts = kernelFacts(files, mem);
          s.types = facts.types;
          if (facts.cpus) {
            s.cpus = facts.cpus.count;
            s.cpusOnline = facts.cpus.list;
            s.cpusFrom = facts.cpus.source;
          } else if (facts.cpusError) s.cpusFrom = facts.cpusError;
          process.stdout.write(o.json ? JSON.stringify(s, null, 2) + '\n' : renderSummary(s));
        } finally {
          mem.close();
        }
      }),
    );
}
