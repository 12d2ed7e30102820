// Property: kernel virtual -> physical is right wherever arch/x86/mm/kaslr.c may put the direct map, vmalloc
// and vmemmap. Each draw generates a dump (test/gen) whose struct kvm is vmalloc'ed (mapped only through the
// kernel page tables), whose slab objects are in the direct map at that draw's page_offset_base, and whose
// region variables say where kaslr.c put them; then every translation of the generated VMM must be the one
// laid out. Draws are seeded (deterministic) and include the extremes: vmalloc right after the direct map
// region with no padding (1 TiB + 1 GiB after page_offset_base: far inside the 64 TiB that MAX_PHYSMEM_BITS
// would allow), and every gap at its maximum.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { generateEraDump } from './generate.js';
import { kaslrDraw, rng64, type Draw } from './kaslr.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-kaslr-'));
const hex = (v: bigint) => '0x' + v.toString(16);
const RAM_END = 0x50001000n; // the generated dump's highest page + 1
const SEED = 0x5eed;
const RANDOM_DRAWS = 10;

function draws(): { name: string; d: Draw }[] {
  const out: { name: string; d: Draw }[] = [
    { name: 'every gap 0, no padding: vmalloc 1 TiB + 1 GiB after the direct map', d: kaslrDraw(RAM_END, 0n, () => 0n) },
    { name: 'direct map at its lowest, vmalloc right after 10 TiB of padding', d: kaslrDraw(RAM_END, 10n, () => 0n) },
    { name: 'every gap at its maximum', d: kaslrDraw(RAM_END, 10n, (_, max) => max) },
  ];
  const r = rng64(SEED);
  for (let i = 0; i < RANDOM_DRAWS; i++) {
    const padding = [0n, 1n, 10n][Number(r() % 3n)];
    out.push({ name: `seed ${hex(BigInt(SEED))} draw ${i}`, d: kaslrDraw(RAM_END, padding, (_, max) => r() % (max + 1n)) });
  }
  return out;
}

describe('KASLR memory regions: every draw translates as laid out (era 5.17–6.0 generated dumps)', () => {
  let checked = 0;
  for (const [i, { name, d }] of draws().entries()) {
    it(`${name}: direct map ${hex(d.pageOffsetBase)}, vmalloc ${hex(d.vmallocBase)} (+${(d.vmallocBase - d.pageOffsetBase) >> 30n} GiB), vmemmap ${hex(d.vmemmapBase)}`, () => {
      assert.ok(d.pageOffsetBase < d.vmallocBase && d.vmallocBase < d.vmemmapBase, 'kaslr.c keeps the order');
      const g = generateEraDump(5, dir, { regions: d, tag: `kaslr${i}` });
      for (const as of [0, 1]) {
        const cases = g.cases.filter((c) => c.asId === as);
        const r = runCli([g.dump, g.vmlinux, '--kvm-debuginfo', g.kvmKo, '--no-cache', '-g', String(g.pid), '--as-id', String(as), '-p', ...cases.map((c) => hex(c.gpa)), '--json']);
        const out = r.json();
        assert.equal(out.length, cases.length, r.stderr);
        for (const c of cases) {
          const got = out.find((o: { gpa: string }) => o.gpa === hex(c.gpa));
          assert.equal(got.vm, hex(g.kvm), 'struct kvm, in vmalloc');
          assert.deepEqual(
            [got.hva, got.hpa, got.pageSize, got.error?.code],
            [c.hva === undefined ? undefined : hex(c.hva), c.hpa === undefined ? undefined : hex(c.hpa), c.pageSize, c.error],
            `gpa ${hex(c.gpa)}: ${got.error?.message ?? ''}`,
          );
          checked++;
        }
      }
    });
  }
  it('checked every case of every draw', () => assert.equal(checked, draws().length * 8));
});
