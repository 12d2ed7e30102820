// `npm run bench`: whole-command timings side by side, in one run: medians of N runs, peak memory, and the
// ratio of each case to the cold DWARF run. Not a test: nothing here asserts a time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.env.BENCH_RUNS ?? 5);
const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop-fixtures');
const dbg = join(cache, 'linux-image-6.1.0-53-cloud-amd64-dbg_6.1.187-1/usr/lib/debug');
const vmlinux = join(dbg, 'boot/vmlinux-6.1.0-53-cloud-amd64');
const kvmKo = join(dbg, 'lib/modules/6.1.0-53-cloud-amd64/kernel/arch/x86/kvm/kvm.ko');
const realElf = join(cache, 'real-6.1-vmcore.elf');
const dump = existsSync(realElf) ? realElf : 'fixtures/demo-6.1/vmcore.kdump-zlib';
const pid = dump === realElf ? '119' : '120';

interface Case {
  name: string;
  args: string[];
  /** A private XDG cache per case; `fresh` empties it before every run (a cold start). */
  fresh: boolean;
}

const vtop = ['-g', pid, '-p', '0x100201000', '0x2000'];
const CASES: Case[] = [
  { name: 'DWARF, cold (no index cache)', args: [dump, vmlinux, '--kvm-debuginfo', kvmKo, '--types', 'dwarf', ...vtop], fresh: true },
  { name: 'DWARF, warm (index cache)', args: [dump, vmlinux, '--kvm-debuginfo', kvmKo, '--types', 'dwarf', ...vtop], fresh: false },
  { name: 'BTF from vmlinux/kvm.ko .BTF', args: [dump, vmlinux, '--kvm-debuginfo', kvmKo, '--types', 'btf', ...vtop], fresh: false },
  { name: 'BTF from the dump (no debug files)', args: [dump, '--types', 'btf', ...vtop], fresh: false },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function runOnce(c: Case, xdg: string): { wallMs: number; maxRssKiB: number } | string {
  if (c.fresh) rmSync(join(xdg, 'qemu-vtop'), { recursive: true, force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', ...c.args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: xdg, QEMU_VTOP_STATS: '1' } });
  const wallMs = performance.now() - t0; // the whole process, node's own start-up included
  const line = r.stderr.split('\n').find((l) => l.startsWith('qemu-vtop-stats: '));
  if (r.status !== 0 || !line) return (r.stderr.trim().split('\n').find((l) => l.startsWith('qemu-vtop:')) ?? `exit ${r.status}`).slice(0, 100);
  return { wallMs, maxRssKiB: JSON.parse(line.slice('qemu-vtop-stats: '.length)).maxRssKiB };
}

console.log(`qemu-vtop bench: ${N} runs per case, dump ${dump}`);
if (!existsSync(vmlinux)) console.log(`(debug files missing at ${dbg}: run npm test once to download them)`);
const rows: { name: string; ms?: number; min?: number; max?: number; rss?: number; err?: string }[] = [];
for (const c of CASES) {
  const xdg = mkdtempSync(join(tmpdir(), 'qv-bench-'));
  try {
    if (!c.fresh) runOnce(c, xdg); // warm-up fills the case's own cache
    const res = Array.from({ length: N }, () => runOnce(c, xdg));
    const err = res.find((r): r is string => typeof r === 'string');
    if (err) rows.push({ name: c.name, err });
    else {
      const ok = res as { wallMs: number; maxRssKiB: number }[];
      const ms = ok.map((r) => r.wallMs);
      rows.push({ name: c.name, ms: median(ms), min: Math.min(...ms), max: Math.max(...ms), rss: median(ok.map((r) => r.maxRssKiB)) });
    }
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
}
const base = rows[0].ms;
console.log(`${'case'.padEnd(38)} ${'median ms'.padStart(10)} ${'min'.padStart(8)} ${'max'.padStart(8)} ${'peak RSS MiB'.padStart(13)} ${'vs cold'.padStart(8)}`);
for (const r of rows) {
  if (r.err) console.log(`${r.name.padEnd(38)} n/a: ${r.err}`);
  else console.log(`${r.name.padEnd(38)} ${r.ms!.toFixed(0).padStart(10)} ${r.min!.toFixed(0).padStart(8)} ${r.max!.toFixed(0).padStart(8)} ${(r.rss! / 1024).toFixed(0).padStart(13)} ${base ? (r.ms! / base).toFixed(3).padStart(8) : ''}`);
}
console.log('reference: crash 8.0.6 takes 5.68 s to start on this vmlinux + ELF dump (fixture README, 2-core build machine)');
