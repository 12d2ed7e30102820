// Generated dumps of four kernel eras (test/gen/era-kernel.c compiled with gcc -g per era, laid out by
// test/gen/generate.ts): the CLI finds the VMM by pid, reads that era's memslots and translates through
// 4K, 2M and 1G pages, not-present pages and holes; the era probe picks the right reader; libkdumpfile
// reads the same bytes from each generated dump. Expected values: the layout the generator wrote.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { memslotEra } from '../../src/kvm/memslots.js';
import { openSession } from '../../src/vtop/session.js';
import { runCli } from '../helpers/cli.js';
import { generateEraDump } from './generate.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-eras-'));
const hex = (v: bigint) => '0x' + v.toString(16);
const ERAS = [
  { era: 1 as const, name: '2.6.34–3.2', probe: /nmemslots/ },
  { era: 2 as const, name: '3.3–3.18', probe: /without count/ },
  { era: 3 as const, name: '4.2–5.6', probe: /used_slots/ },
  { era: 4 as const, name: '5.10–5.16', probe: /used_slots/ },
  { era: 5 as const, name: '5.17–6.0', probe: /rb-tree/ },
  { era: 6 as const, name: '6.8+ with guest_memfd', probe: /rb-tree/ },
];

for (const e of ERAS) {
  describe(`generated dump, kernel era ${e.name}`, () => {
    const g = generateEraDump(e.era, dir);
    it('the era probe picks the reader of that era', () => {
      const s = openSession({ dump: [g.dump], vmlinux: g.vmlinux, kvmDebuginfo: g.kvmKo, types: 'dwarf', cache: false });
      try {
        assert.match(memslotEra(s.kernel).name, e.probe);
      } finally {
        s.close();
      }
    });
    for (const as of [...new Set(g.cases.map((c) => c.asId))]) {
      it(`address space ${as}: every case translates as laid out`, () => {
        const cases = g.cases.filter((c) => c.asId === as);
        const r = runCli([g.dump, g.vmlinux, '--kvm-debuginfo', g.kvmKo, '-g', String(g.pid), '--as-id', String(as), '-p', ...cases.map((c) => hex(c.gpa)), '--json']);
        const out = r.json();
        assert.equal(out.length, cases.length, r.stderr);
        for (const c of cases) {
          const got = out.find((o: { gpa: string }) => o.gpa === hex(c.gpa));
          assert.equal(got.vm, hex(g.kvm));
          assert.deepEqual(
            [got.hva, got.hpa, got.pageSize, got.error?.code, got.backing],
            [c.hva === undefined ? undefined : hex(c.hva), c.hpa === undefined ? undefined : hex(c.hpa), c.pageSize, c.error, c.backing],
            `gpa ${hex(c.gpa)}: ${got.error?.message ?? ''}`,
          );
          // The VMA section comes from the mm->mmap list of these kernels.
          if (c.vma !== undefined) assert.equal(got.vma?.addr, hex(c.vma), `VMA of gpa ${hex(c.gpa)}`);
        }
      });
    }
    it('memslots lists every slot written, by address space', () => {
      const out = runCli(['memslots', g.dump, g.vmlinux, '--kvm-debuginfo', g.kvmKo, '-g', String(g.pid), '--json']).json();
      const text = JSON.stringify(out);
      for (const s of g.slots) assert.ok(text.includes(`"userspaceAddr":"${hex(s.ua)}"`), `slot ${s.id} as ${s.asId}`);
      // The array eras' generator marks address space 1 as caught mid-update (generation bit 63).
      const vm = Array.isArray(out) ? out[0] : out;
      const as1 = vm.addressSpaces.find((a: { asId: number }) => a.asId === 1);
      assert.equal(as1 !== undefined, e.era >= 3, 'eras from 4.2 on have the SMM address space');
      if (as1) assert.equal(as1.updateInProgress, e.era <= 4, JSON.stringify(as1));
      // 2.6.34's struct kvm_memslots has no generation (it came with 2.6.38): said, not read from elsewhere.
      assert.equal(vm.addressSpaces[0].generation, e.era === 1 ? null : 0x10, JSON.stringify(vm.addressSpaces[0]));
    });
    it('vcpus decodes each vCPU’s exit (MMIO, SYSTEM_EVENT, INTERNAL_ERROR, X86_WRMSR) and flags the one in guest mode', () => {
      const out = runCli(['vcpus', g.dump, g.vmlinux, '--kvm-debuginfo', g.kvmKo, '-g', String(g.pid), '--json']).json();
      assert.equal(out.length, g.vcpus.length);
      for (const v of g.vcpus) {
        const got = out.find((o: { vcpuIdx: number }) => o.vcpuIdx === v.idx);
        assert.deepEqual([got.addr, got.exitReason.code, got.exitReason.name, got.stale], [hex(v.addr), v.exitReason, v.exitName, v.mode === 1], JSON.stringify(got));
        assert.equal(got.regs.rip, hex(v.rip));
      }
      const by = (i: number) => out.find((o: { vcpuIdx: number }) => o.vcpuIdx === i);
      assert.deepEqual([by(0).mmio.phys_addr, by(0).mmio.len, by(0).mmio.is_write, by(0).mmio.data.slice(0, 8)], ['0xfee00030', 4, 1, '01020304']);
      assert.equal(by(1).system_event.type.value, 2);
      assert.deepEqual(by(2).internal.data, ['0xaa', '0xbb']);
      assert.equal(by(2).internal.suberror.value, 1);
      assert.equal(by(3).msr.index, '0x10');
    });
    it('libkdumpfile reads the same bytes from the generated dump', () => {
      const lines = execFileSync('/usr/bin/python3', ['test/gen/read-phys.py', g.dump, ...g.probes.map((p) => `${hex(p.pa)}:${p.bytes.length}`)], { encoding: 'utf8' }).trim().split('\n');
      assert.deepEqual(lines, g.probes.map((p) => p.bytes.toString('hex')));
    });
  });
}

describe('generated dump, 5.17–6.0 era with 5-level paging, kdump-compressed', () => {
  const g = generateEraDump(5, dir, { levels: 5, format: 'kdump' });
  it('translates through five levels (a P4D line) from a kdump file', () => {
    const cases = g.cases.filter((c) => c.asId === 0);
    const out = runCli([g.dump, g.vmlinux, '--kvm-debuginfo', g.kvmKo, '-g', String(g.pid), '-p', ...cases.map((c) => hex(c.gpa)), '--json']).json();
    for (const c of cases) {
      const got = out.find((o: { gpa: string }) => o.gpa === hex(c.gpa));
      assert.deepEqual([got.hva, got.hpa, got.error?.code], [c.hva === undefined ? undefined : hex(c.hva), c.hpa === undefined ? undefined : hex(c.hpa), c.error], hex(c.gpa));
      if (c.hpa !== undefined) assert.deepEqual(got.levels.map((l: { name: string }) => l.name).slice(0, 2), ['PGD', 'P4D']);
    }
  });
  it('libkdumpfile reads the same bytes from the kdump file', () => {
    const lines = execFileSync('/usr/bin/python3', ['test/gen/read-phys.py', g.dump, ...g.probes.map((p) => `${hex(p.pa)}:${p.bytes.length}`)], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(lines, g.probes.map((p) => p.bytes.toString('hex')));
  });
});
