// `coverage` on the demo dump shipped in fixtures/ (no debug files: kallsyms + BTF from the dump) and on a
// makedumpfile -d 31 refiltering of it, against an independent count: test/helpers/coverage-count.py walks the
// VMM's page tables itself (pgd from the fixture's truth.json, made with crash) and asks libkdumpfile, page by
// page, whether the dump holds each mapped page.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { percentText } from '../../src/kvm/coverage.js';
import { runCli } from '../helpers/cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const pob = BigInt(truth.kernel.layout.page_offset_base);
const dir = mkdtempSync(join(tmpdir(), 'qv-cov-'));
const d31 = join(dir, 'demo.d31');
execFileSync('makedumpfile', ['-l', '-d', '31', DEMO, d31], { stdio: ['ignore', 'pipe', 'pipe'] });

function independent(dump: string): Record<string, Any> {
  const input = [{ pgd: '0x' + (BigInt(truth.vmm.pgd) - pob).toString(16), slots: truth.vmm.memslots.map((m: Any) => ({ key: `${m.as_id}/${m.id}`, ua: m.userspace_addr, npages: m.npages })) }];
  const r = spawnSync('/usr/bin/python3', ['test/helpers/coverage-count.py', dump], { input: JSON.stringify(input), encoding: 'utf8' });
  assert.equal(r.status, 0, `coverage-count.py (python3-libkdumpfile): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('coverage on the demo dump', () => {
  for (const [name, dump] of [['kdump-zlib', DEMO], ['makedumpfile -d 31', d31]]) {
    it(`${name}: every slot equals the independent count`, () => {
      const want = independent(dump);
      const r = runCli(['coverage', dump, '-g', String(truth.vmm.pid), '--json']);
      assert.equal(r.status, 0, r.stderr);
      const [vm] = r.json();
      let mapped = 0;
      for (const m of truth.vmm.memslots) {
        const s = vm.spaces.find((x: Any) => x.asId === m.as_id).slots.find((x: Any) => x.memslot.id === m.id);
        const e = want[`${m.as_id}/${m.id}`];
        assert.deepEqual([s.pages, s.inDump, s.excluded, s.notPresent, s.hostPages2M], [m.npages, e.inDump, e.excluded, e.notPresent, e.in2M], `slot ${m.as_id}/${m.id}`);
        mapped += e.inDump + e.excluded;
      }
      assert.ok(mapped > 100, 'the VMM has mapped pages to count');
      if (dump === d31) assert.equal(vm.summary.inDump, 0, '-d 31 drops user pages');
      else assert.equal(vm.summary.excluded, 0);
    });
  }
  it('read of an excluded guest page fails with its reason, the same gpa reads on the unfiltered dump', () => {
    const m = truth.markers[0];
    const bad = runCli(['read', d31, '-g', String(truth.vmm.pid), '-p', m.gpa, '-n', '16', '--raw']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /PAGE_EXCLUDED/);
    const good = runCli(['read', DEMO, '-g', String(truth.vmm.pid), '-p', m.gpa, '-n', String(m.marker.length), '--raw']);
    assert.equal(good.stdout, m.marker);
  });
  it('percentages never round to a false 100% or 0%', () => {
    assert.deepEqual([percentText(0, 10), percentText(10, 10), percentText(9999, 10000), percentText(1, 10000), percentText(1, 2)], ['0%', '100%', '99.9%', '0.1%', '50%']);
  });
});
