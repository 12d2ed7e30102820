// The case loop shared by the fuzzer's workers and the unit suite's fixed-seed slice: for case i of a target,
// the mutation comes from caseSeed(seed, target, i) alone, so any case replays by itself.
import { AllocGuard, caseSeed, judge, minimise, type Mutation, mutate, Rng, toCorpus, type CorpusCase, type Verdict } from './engine.js';
import { type Instance } from './targets.js';

export interface CaseResult {
  index: number;
  verdict: Verdict;
  ms: number;
  mutation: Mutation;
}

/** Runs one case under the allocation guard and judges it; `slowMs` turns a slow case into a failure. */
export function runCase(inst: Instance, m: Mutation, guard: AllocGuard, slowMs = Infinity): { verdict: Verdict; ms: number } {
  guard.limit = inst.allocLimit;
  guard.biggest = 0;
  const t0 = performance.now();
  let thrown: unknown;
  let own: Verdict | void = undefined;
  try {
    own = inst.run(m);
  } catch (e) {
    thrown = e;
  }
  const ms = performance.now() - t0;
  if (guard.biggest > inst.allocLimit) {
    return { verdict: { ok: false, kind: 'alloc', signature: `allocation of ${guard.biggest} bytes`, message: `one allocation of ${guard.biggest} bytes (limit ${inst.allocLimit})` }, ms };
  }
  if (own && !own.ok) return { verdict: own, ms };
  const v = judge(thrown);
  if (v.ok && ms > slowMs) return { verdict: { ok: false, kind: 'slow', signature: 'slow case', message: `${ms.toFixed(0)} ms (budget ${slowMs} ms)` }, ms };
  return { verdict: v, ms };
}

export function caseMutation(inst: Instance, seed: number, target: string, index: number): Mutation {
  return mutate(new Rng(caseSeed(seed, target, index)), inst.ctx);
}

/** Minimises a failing case to the patches that still give the same failure signature. */
export function minimiseFailure(inst: Instance, m: Mutation, signature: string, guard: AllocGuard, slowMs: number): Mutation {
  return minimise(m, (c) => {
    const r = runCase(inst, c, guard, slowMs);
    return !r.verdict.ok && r.verdict.signature === signature;
  });
}

export function corpusEntry(target: string, seed: number, index: number, m: Mutation, v: Verdict): CorpusCase {
  const f = v.ok ? { signature: 'ok', message: '' } : v;
  return toCorpus(target, seed, index, m, `${v.ok ? 'ok' : v.kind}: ${f.signature}`, f.message);
}
