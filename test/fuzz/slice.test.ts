// The fuzzer's fixed-seed slice in the unit suite: every target of `npm run fuzz`, a few hundred cases each
// with seed 20261201 (the walker targets over the demo dump fewer: each case walks real kernel objects).
// Every case must end in an answer or a QvError with a code, with no allocation past the target's limit;
// a failure prints its case so that `npm run fuzz -- --targets T --seed 20261201` finds it again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AllocGuard } from './engine.js';
import { caseMutation, runCase } from './run-cases.js';
import { TARGETS } from './targets.js';

const SEED = 20261201;
const casesOf = (name: string) => (name.startsWith('kobj-') ? 40 : 200);
/** Targets whose code stops at bad input by design instead of failing (a note run ends; a KVMI reply is an error code). */
const NEVER_THROWS = new Set(['elf-notes', 'kvmi-frames', 'kallsyms', 'kdump-pages']);

describe('fuzz slice (seed 20261201)', () => {
  for (const t of TARGETS) {
    it(`${t.name}: ${casesOf(t.name)} cases end in an answer or a coded QvError`, () => {
      const inst = t.setup();
      assert.ok(inst.ctx.log.reads.length > 0, `${t.name}: the clean run read nothing: no structure to mutate`);
      const guard = new AllocGuard();
      guard.install();
      const bad: string[] = [];
      let errors = 0;
      try {
        for (let i = 0; i < casesOf(t.name); i++) {
          const m = caseMutation(inst, SEED, t.name, i);
          const { verdict } = runCase(inst, m, guard);
          if (!verdict.ok) bad.push(`case ${i} [${m.ops.join('; ')}]: ${verdict.kind}: ${verdict.signature}: ${verdict.message}`);
          else if (verdict.kind === 'error') errors++;
        }
      } finally {
        guard.uninstall();
      }
      assert.deepEqual(bad, []);
      // The mutations must reach the parser: a slice where nothing ever fails to parse tests nothing.
      if (!NEVER_THROWS.has(t.name)) assert.ok(errors > 0, `${t.name}: no case ended in an error`);
    });
  }
});
