// `npm run bench`: qemu-vtop against drgn (Debian python3-drgn 0.0.22 running bench/drgn_vtop.py, the same lookup),
// on the same dump and debug files, in one run: each case alternates qemu-vtop and drgn (A B A B ...), and prints
// medians, min, max, CPU time, peak RSS and the ratio to drgn. Not a test: nothing here asserts a time.
//
// The dump is real-6.1's vmcore.d31.kdump-lzo, the one format of that fixture drgn 0.0.22 opens (BENCH_DUMP
// overrides it). BENCH_RUNS sets the runs per side (default 7), BENCH_ONLY=regex picks cases.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sparseDumpFor } from './sparse-dump.js';

const N = Number(process.env.BENCH_RUNS ?? 7);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop-fixtures');
const dbg = join(cache, 'linux-image-6.1.0-53-cloud-amd64-dbg_6.1.187-1/usr/lib/debug');
const vmlinux = join(dbg, 'boot/vmlinux-6.1.0-53-cloud-amd64');
const kvmKo = join(dbg, 'lib/modules/6.1.0-53-cloud-amd64/kernel/arch/x86/kvm/kvm.ko');
const dump = process.env.BENCH_DUMP ?? '../shared/fixtures/real-6.1/vmcore.d31.kdump-lzo';
const PID = '119';
const GPA = '0x100201000';
const PYTHON = '/usr/bin/python3'; // Debian's python: the one that sees python3-drgn
const DRGN = 'bench/drgn_vtop.py';

const work = mkdtempSync(join(tmpdir(), 'qv-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Seeded addresses (a fixed LCG): `n` random gpas of slot 1 (gpa 0x100000000, 2048 pages, THP-backed). */
function gpaFile(n: number): string {
  const path = join(work, `gpas-${n}.txt`);
  let x = 15n;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    lines.push(`0x${(0x100000000n + ((x >> 20n) % (2048n * 4096n))).toString(16)}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

interface Side {
  cmd: string;
  args: string[];
  /** A private XDG cache; `fresh` empties it before every run (a cold start). */
  fresh?: boolean;
}
interface Case {
  name: string;
  qv: string[];
  fresh?: boolean;
  drgn: string[];
  /** Side B is qemu-vtop with these arguments instead of drgn (the grown dump against the small one). */
  base?: string[];
  /** The goal, as a ratio qemu-vtop / drgn of the median wall times. */
  goal?: number;
  /** Both sides print --brief lines: the bench checks the answers are the same. */
  compare?: boolean;
}

const deb = [dump, vmlinux, '--kvm-debuginfo', kvmKo];
const drgnOpen = ['open', dump, vmlinux, kvmKo];
const drgnVtop = (...gpas: string[]) => ['vtop', dump, vmlinux, kvmKo, PID, ...gpas];

function cases(): Case[] {
  const g100k = gpaFile(100_000);
  const g1k = gpaFile(1_000);
  const out: Case[] = [
    { name: 'one gpa, DWARF, cold (no cache)', qv: [...deb, '--types', 'dwarf', '-g', PID, '-p', GPA], fresh: true, drgn: drgnVtop(GPA), goal: 1.0 },
    { name: 'one gpa, DWARF, warm (build-id cache)', qv: [...deb, '--types', 'dwarf', '-g', PID, '-p', GPA], drgn: drgnVtop(GPA), goal: 0.5 },
    { name: 'one gpa, .BTF of vmlinux + kvm.ko', qv: [...deb, '--types', 'btf', '-g', PID, '-p', GPA], drgn: drgnVtop(GPA) },
    { name: 'one gpa, no debug files (vs drgn+DWARF)', qv: [dump, '--types', 'btf', '-g', PID, '-p', GPA], drgn: drgnVtop(GPA), goal: 0.6 },
    { name: '1,000 gpas --brief', qv: [...deb, '-g', PID, '--brief', '-p', `@${g1k}`], drgn: drgnVtop(`@${g1k}`), compare: true },
    { name: '100,000 gpas --brief', qv: [...deb, '-g', PID, '--brief', '-p', `@${g100k}`], drgn: drgnVtop(`@${g100k}`), goal: 0.5, compare: true },
    { name: '100,000 gpas --jsonl', qv: [...deb, '-g', PID, '--jsonl', '-p', `@${g100k}`], drgn: drgnVtop(`@${g100k}`) },
    { name: '100,000 gpas, crash-style text', qv: [...deb, '-g', PID, '-p', `@${g100k}`], drgn: drgnVtop(`@${g100k}`) },
    { name: 'vms (vs drgn open)', qv: ['vms', ...deb], drgn: drgnOpen, goal: 0.5 },
    { name: 'memslots (vs drgn open)', qv: ['memslots', ...deb, '-g', PID], drgn: drgnOpen, goal: 0.5 },
    { name: 'vcpus (vs drgn open)', qv: ['vcpus', ...deb, '-g', PID], drgn: drgnOpen, goal: 0.5 },
    { name: 'info (vs drgn open)', qv: ['info', dump], drgn: drgnOpen, goal: 0.5 },
  ];
  const sparse = sparseDumpFor(dump, work);
  if (sparse) {
    // side B: the same command on the small dump (goal: within 10% of it, in time and peak RSS)
    const one = ['--types', 'dwarf', '-g', PID, '-p', GPA];
    out.push({ name: `one gpa, DWARF warm, ${sparse.label} vs small`, qv: [sparse.path, vmlinux, '--kvm-debuginfo', kvmKo, ...one], drgn: [], base: [...deb, ...one], goal: 1.1 });
    const vms = ['vms', sparse.path, vmlinux, '--kvm-debuginfo', kvmKo];
    out.push({ name: `vms, ${sparse.label} vs small`, qv: vms, drgn: [], base: ['vms', ...deb], goal: 1.1 });
  }
  return out;
}

interface Run {
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  out: string;
}

function runOnce(side: 'qv' | 'drgn', c: Case, xdg: string, i: number): Run | string {
  if (side === 'qv' && c.fresh) rmSync(join(xdg, 'qemu-vtop'), { recursive: true, force: true });
  const [cmd, args] = side === 'qv' ? [process.execPath, ['bin/qemu-vtop', ...c.qv]] : c.base ? [process.execPath, ['bin/qemu-vtop', ...c.base]] : [PYTHON, [DRGN, ...c.drgn]];
  const outPath = join(work, `out-${side}-${i % 2}.txt`);
  const fd = openSync(outPath, 'w');
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: xdg, QEMU_VTOP_STATS: '1' } });
  const wallMs = performance.now() - t0; // the whole process, interpreter start-up included
  closeSync(fd);
  const tag = side === 'qv' || c.base ? 'qemu-vtop-stats: ' : 'drgn-stats: ';
  const line = (r.stderr ?? '').split('\n').find((l) => l.startsWith(tag));
  // qemu-vtop exits 1 when some address has no translation (a batch of random gpas may hold such)
  if ((r.status !== 0 && r.status !== 1) || !line) {
    return ((r.stderr ?? '').trim().split('\n').find((l) => /qemu-vtop:|Error|error/.test(l)) ?? `exit ${r.status}`).slice(0, 120);
  }
  const s = JSON.parse(line.slice(tag.length)) as { cpuMs: number; maxRssKiB: number };
  return { wallMs, cpuMs: s.cpuMs, maxRssKiB: s.maxRssKiB, out: outPath };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
interface Stats {
  ms: number;
  min: number;
  max: number;
  cpu: number;
  rss: number;
}
const stats = (rs: Run[]): Stats => {
  const ms = rs.map((r) => r.wallMs);
  return { ms: median(ms), min: Math.min(...ms), max: Math.max(...ms), cpu: median(rs.map((r) => r.cpuMs)), rss: Math.max(...rs.map((r) => r.maxRssKiB)) };
};

if (!existsSync(dump)) {
  console.log(`qemu-vtop bench: the dump ${dump} is missing (the real-6.1 fixture beside the clone, or BENCH_DUMP)`);
  process.exit(1);
}
if (!existsSync(vmlinux) || !existsSync(kvmKo)) {
  console.log(`qemu-vtop bench: debug files missing at ${dbg}: run the acceptance suite once to download them`);
  process.exit(1);
}
const drgnOk = spawnSync(PYTHON, ['-c', 'import drgn; print(drgn.__version__)'], { encoding: 'utf8' });
if (drgnOk.status !== 0) {
  console.log('qemu-vtop bench: python3-drgn is missing: run bash bench/setup.sh (as root) first');
  process.exit(1);
}
const uptime = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`qemu-vtop bench, ${new Date().toISOString().slice(0, 16)}Z: ${N} runs per side, alternating qemu-vtop/drgn ${drgnOk.stdout.trim()}; dump ${dump}; load ${uptime}`);
const W = 42;
const header = `${'case'.padEnd(W)} ${'side'.padEnd(5)} ${'median ms'.padStart(9)} ${'min'.padStart(6)} ${'max'.padStart(6)} ${'cpu ms'.padStart(7)} ${'RSS MiB'.padStart(8)} ${'ratio'.padStart(6)} ${'cpu r.'.padStart(6)} goal`;
console.log(header);
const rows: string[] = [];
for (const c of cases()) {
  if (ONLY && !ONLY.test(c.name)) continue;
  const xdg = mkdtempSync(join(work, 'xdg-'));
  if (!c.fresh) runOnce('qv', c, xdg, 0); // warm-up fills the case's own cache (and the page cache)
  runOnce('drgn', c, xdg, 0);
  const qv: Run[] = [];
  const dr: Run[] = [];
  let err: string | undefined;
  let same: boolean | undefined;
  for (let i = 0; i < N && !err; i++) {
    const a = runOnce('qv', c, xdg, i);
    const b = runOnce('drgn', c, xdg, i);
    if (typeof a === 'string' || typeof b === 'string') {
      err = typeof a === 'string' ? `qemu-vtop: ${a}` : `drgn: ${b}`;
      break;
    }
    if (c.compare && i === 0) same = readFileSync(a.out, 'utf8') === readFileSync(b.out, 'utf8');
    qv.push(a);
    dr.push(b);
  }
  if (err) {
    console.log(`${c.name.padEnd(W)} n/a: ${err}`);
    continue;
  }
  const q = stats(qv);
  const d = stats(dr);
  const ratio = q.ms / d.ms;
  const verdict = c.goal === undefined ? '' : `<= ${c.goal.toFixed(1)} ${ratio <= c.goal ? 'met' : 'NOT met'}`;
  const fmt = (side: string, s: Stats, r: string, cr: string, g: string) =>
    `${(side === 'qv' ? c.name : '').padEnd(W)} ${side.padEnd(5)} ${s.ms.toFixed(0).padStart(9)} ${s.min.toFixed(0).padStart(6)} ${s.max.toFixed(0).padStart(6)} ${s.cpu.toFixed(0).padStart(7)} ${(s.rss / 1024).toFixed(0).padStart(8)} ${r.padStart(6)} ${cr.padStart(6)} ${g}`;
  console.log(fmt('qv', q, ratio.toFixed(2), (q.cpu / d.cpu).toFixed(2), verdict + (same === undefined ? '' : same ? ' (answers identical)' : ' (ANSWERS DIFFER)')));
  console.log(fmt(c.base ? 'small' : 'drgn', d, '', '', '') + (c.base ? `RSS ratio ${(q.rss / d.rss).toFixed(2)}` : ''));
  rows.push(c.name);
  rmSync(xdg, { recursive: true, force: true });
}
console.log('ratio = qemu-vtop median wall / drgn median wall (whole processes, start-up included; "small": qemu-vtop on the small dump instead of drgn); cpu r. = the same for user+sys CPU; RSS = the largest peak of the runs');
