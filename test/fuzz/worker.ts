// One fuzz target in a worker thread: sets the target up, runs cases [from, cases) until the time limit,
// reports each new failure signature (minimised) and the tallies. The main thread watches `progress` (the
// index of the running case) to catch a case that never returns.
import { parentPort, workerData } from 'node:worker_threads';
import { AllocGuard } from './engine.js';
import { caseMutation, corpusEntry, minimiseFailure, runCase } from './run-cases.js';
import { targetByName } from './targets.js';

export interface WorkerInput {
  target: string;
  seed: number;
  from: number;
  cases: number;
  deadline: number; // Date.now() value after which no new case starts
  slowMs: number;
  progress: SharedArrayBuffer; // Int32Array [running case index, cases finished]
  describeOnly?: number; // only compute the mutation of this case (for a case that hung or ran out of memory)
}

export interface WorkerStats {
  target: string;
  from: number;
  ran: number;
  answers: number;
  errors: number;
  codes: Record<string, number>;
  vague: number;
  vagueExample?: string;
  maxMs: number;
  totalMs: number;
  setupMs: number;
  stoppedByTime: boolean;
}

const w = workerData as WorkerInput;
const progress = new Int32Array(w.progress);
const t0 = performance.now();
const inst = targetByName(w.target).setup();
const setupMs = performance.now() - t0;
if (w.describeOnly !== undefined) {
  parentPort!.postMessage({ type: 'describe', mutation: corpusEntry(w.target, w.seed, w.describeOnly, caseMutation(inst, w.seed, w.target, w.describeOnly), { ok: true, kind: 'answer' }) });
} else {
  const guard = new AllocGuard();
  guard.install();
  const seen = new Set<string>();
  const st: WorkerStats = { target: w.target, from: w.from, ran: 0, answers: 0, errors: 0, codes: {}, vague: 0, maxMs: 0, totalMs: 0, setupMs, stoppedByTime: false };
  for (let i = w.from; i < w.cases; i++) {
    if (Date.now() > w.deadline) {
      st.stoppedByTime = true;
      break;
    }
    Atomics.store(progress, 0, i);
    const m = caseMutation(inst, w.seed, w.target, i);
    const r = runCase(inst, m, guard, w.slowMs);
    st.ran++;
    st.totalMs += r.ms;
    if (r.ms > st.maxMs) st.maxMs = r.ms;
    const v = r.verdict;
    if (v.ok) {
      if (v.kind === 'answer') st.answers++;
      else {
        st.errors++;
        st.codes[v.code!] = (st.codes[v.code!] ?? 0) + 1;
        if (v.vague) st.vague++;
      }
    } else if (!seen.has(v.signature)) {
      seen.add(v.signature);
      const min = minimiseFailure(inst, m, v.signature, guard, w.slowMs);
      parentPort!.postMessage({ type: 'failure', index: i, entry: corpusEntry(w.target, w.seed, i, min, v) });
    } else parentPort!.postMessage({ type: 'repeat', signature: v.signature });
    Atomics.store(progress, 1, st.ran);
  }
  guard.uninstall();
  parentPort!.postMessage({ type: 'stats', stats: st });
}
