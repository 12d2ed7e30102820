// `npm run fuzz`: every target (or --targets a,b) in its own worker thread, bounded in cases and time,
// deterministic per --seed; a watchdog ends a case that does not return (hang) and a heap limit one that
// eats memory (oom); each distinct failure is minimised and saved under test/corpus/ (never overwriting);
// a summary table at the end. Options: --seed N (1) --cases N (100000) --time SECONDS per target (900)
// --jobs N (1) --slow-ms N (2000) --hang-ms N (15000) --heap-mb N (1536) --corpus DIR (test/corpus)
// --targets a,b --list
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type CorpusCase } from './engine.js';
import { TARGETS } from './targets.js';
import { type WorkerInput, type WorkerStats } from './worker.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
if (args.includes('--list')) {
  for (const t of TARGETS) console.log(`${t.name.padEnd(14)} ${t.what}`);
  process.exit(0);
}
const seed = Number(opt('seed', '1'));
const cases = Number(opt('cases', '100000'));
const timeS = Number(opt('time', '900'));
const jobs = Number(opt('jobs', '1'));
const slowMs = Number(opt('slow-ms', '2000'));
const hangMs = Number(opt('hang-ms', '15000'));
const heapMb = Number(opt('heap-mb', '1536'));
const corpusDir = opt('corpus', 'test/corpus');
const names = opt('targets', TARGETS.map((t) => t.name).join(',')).split(',');
for (const n of names) if (!TARGETS.some((t) => t.name === n)) throw new Error(`no target ${n} (--list)`);
const workerFile = new URL('./worker.js', import.meta.url);

interface Failure {
  target: string;
  kind: string;
  signature: string;
  count: number;
  file?: string;
  message: string;
}
interface Row {
  target: string;
  ran: number;
  answers: number;
  errors: number;
  vague: number;
  failures: number;
  maxMs: number;
  meanMs: number;
  setupS: number;
  wallS: number;
  note: string;
  codes: Record<string, number>;
}
const failures = new Map<string, Failure>();

function save(entry: CorpusCase): string | undefined {
  mkdirSync(corpusDir, { recursive: true });
  const id = createHash('sha256').update(entry.target + '\0' + entry.failure).digest('hex').slice(0, 10);
  const file = join(corpusDir, `${entry.target}-${id}.json`);
  if (existsSync(file)) return file; // a known failure: the corpus keeps its first, minimised case
  writeFileSync(file + '.tmp', JSON.stringify(entry, null, 2) + '\n');
  renameSync(file + '.tmp', file); // atomic: a killed run leaves no half-written case
  return file;
}

function record(target: string, entry: CorpusCase, kind: string, signature: string): void {
  const key = `${target}\0${signature}`;
  const f = failures.get(key);
  if (f) {
    f.count++;
    return;
  }
  failures.set(key, { target, kind, signature, count: 1, file: save(entry), message: entry.message });
  console.error(`  ${target}: NEW ${kind}: ${signature} — ${entry.message.slice(0, 160)}`);
}

function runWorker(inp: Omit<WorkerInput, 'progress'>): Promise<{ stats?: WorkerStats; died?: { index: number; why: string }; describe?: CorpusCase }> {
  const progress = new SharedArrayBuffer(8);
  const p = new Int32Array(progress);
  p[0] = -1;
  const w = new Worker(workerFile, { workerData: { ...inp, progress }, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
  return new Promise((resolve) => {
    let stats: WorkerStats | undefined;
    let describe: CorpusCase | undefined;
    let last = -1;
    let since = Date.now();
    let died: { index: number; why: string } | undefined;
    const timer = setInterval(() => {
      const cur = Atomics.load(p, 0);
      if (cur !== last) {
        last = cur;
        since = Date.now();
      } else if (cur >= 0 && Date.now() - since > hangMs) {
        died = { index: cur, why: `hang: case did not return within ${hangMs} ms` };
        void w.terminate();
      }
    }, 250);
    w.on('message', (msg) => {
      if (msg.type === 'failure') record(inp.target, msg.entry, msg.entry.failure.split(':')[0], msg.entry.failure.replace(/^[a-z]+: /, ''));
      else if (msg.type === 'repeat') {
        for (const f of failures.values()) if (f.target === inp.target && f.signature === msg.signature) f.count++;
      } else if (msg.type === 'stats') stats = msg.stats;
      else if (msg.type === 'describe') describe = msg.mutation;
    });
    w.on('error', (e) => {
      const cur = Atomics.load(p, 0);
      died ??= { index: cur, why: `${(e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash'}: ${e.message.slice(0, 200)}` };
    });
    w.on('exit', () => {
      clearInterval(timer);
      resolve({ stats, died, describe });
    });
  });
}

async function fuzzTarget(target: string): Promise<Row> {
  const t0 = Date.now();
  const deadline = t0 + timeS * 1000;
  const row: Row = { target, ran: 0, answers: 0, errors: 0, vague: 0, failures: 0, maxMs: 0, meanMs: 0, setupS: 0, wallS: 0, note: '', codes: {} };
  let from = 0;
  let totalMs = 0;
  for (let restarts = 0; from < cases && restarts < 50; restarts++) {
    const r = await runWorker({ target, seed, from, cases, deadline, slowMs });
    if (r.stats) {
      const s = r.stats;
      row.ran += s.ran;
      row.answers += s.answers;
      row.errors += s.errors;
      row.vague += s.vague;
      row.maxMs = Math.max(row.maxMs, s.maxMs);
      totalMs += s.totalMs;
      row.setupS += s.setupMs / 1000;
      for (const [c, n] of Object.entries(s.codes)) row.codes[c] = (row.codes[c] ?? 0) + n;
      if (s.stoppedByTime) row.note = `time limit (${timeS} s) reached`;
      break;
    }
    if (!r.died) {
      row.note = 'worker exited without stats';
      break;
    }
    // A case hung or ran out of memory: describe it from a fresh worker, save it, resume after it.
    const { index, why } = r.died;
    if (index < 0) {
      row.note = `setup failed: ${why}`;
      break;
    }
    const d = await runWorker({ target, seed, from, cases, deadline, slowMs, describeOnly: index });
    const kind = why.split(':')[0];
    if (d.describe) record(target, { ...d.describe, failure: `${kind}: ${why}`, message: why }, kind, why.replace(/\d+ ms/, 'N ms'));
    row.ran += index - from + 1;
    from = index + 1;
  }
  row.failures = [...failures.values()].filter((f) => f.target === target).length;
  row.meanMs = row.ran ? totalMs / row.ran : 0;
  row.wallS = (Date.now() - t0) / 1000;
  return row;
}

const started = Date.now();
console.error(`qemu-vtop fuzz: seed ${seed}, up to ${cases} cases and ${timeS} s per target, ${jobs} job(s), targets: ${names.join(' ')}`);
const rows: Row[] = [];
const queue = [...names];
await Promise.all(
  Array.from({ length: Math.max(1, jobs) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const r = await fuzzTarget(t);
      rows.push(r);
      console.error(`  ${t}: ${r.ran} cases in ${r.wallS.toFixed(1)} s, ${r.failures} distinct failure(s)${r.note ? ` (${r.note})` : ''}`);
    }
  }),
);
rows.sort((a, b) => names.indexOf(a.target) - names.indexOf(b.target));
const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`\nseed ${seed}; per target: cases run, answers, QvErrors, QvErrors whose message names no place, distinct failures, mean/max ms per case, setup s, wall s`);
console.log(`${'target'.padEnd(14)}${pad('cases', 8)}${pad('answers', 9)}${pad('errors', 8)}${pad('vague', 7)}${pad('fail', 6)}${pad('mean ms', 9)}${pad('max ms', 8)}${pad('setup', 7)}${pad('wall', 7)}  top error codes`);
for (const r of rows) {
  const top = Object.entries(r.codes).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, n]) => `${c} ${n}`).join(', ');
  console.log(`${r.target.padEnd(14)}${pad(r.ran, 8)}${pad(r.answers, 9)}${pad(r.errors, 8)}${pad(r.vague, 7)}${pad(r.failures, 6)}${pad(r.meanMs.toFixed(2), 9)}${pad(r.maxMs.toFixed(0), 8)}${pad(r.setupS.toFixed(1), 7)}${pad(r.wallS.toFixed(0), 7)}  ${top}${r.note ? `  [${r.note}]` : ''}`);
}
const total = rows.reduce((a, r) => a + r.ran, 0);
console.log(`total: ${total} cases, ${failures.size} distinct failures, ${((Date.now() - started) / 1000).toFixed(0)} s wall`);
for (const f of failures.values()) console.log(`  FAIL ${f.target}: ${f.kind}: ${f.signature} ×${f.count} — ${f.message.slice(0, 140)}${f.file ? ` (${f.file})` : ''}`);
process.exit(failures.size ? 1 : 0);
