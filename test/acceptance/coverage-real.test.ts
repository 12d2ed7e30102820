// `coverage` on the real-6.1 dumps against an independent count: test/helpers/coverage-count.py walks the
// VMMs' page tables itself (pgd from truth.json, i.e. crash) and asks libkdumpfile, page by page, whether the dump
// holds each mapped page. The -d 31 dump must say the guest pages are excluded, the kdump-zlib one that they are there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { realFile, realTruth } from '../helpers/real-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const truth = realTruth();
const pob = BigInt(truth.kernel.layout.page_offset_base);
const vms = [
  { w: truth.vmm, slots: truth.vmm.memslots },
  { w: truth.qemu, slots: truth.qemu.kvm_vm_files[0].memslots },
];

let di: DebianDebuginfo;
before(async () => {
  di = await debianDebuginfo();
});

function independent(dump: string): Record<string, { inDump: number; excluded: number; notPresent: number; in2M: number }> {
  const input = vms.map(({ w, slots }) => ({
    pgd: '0x' + (BigInt(w.pgd) - pob).toString(16),
    slots: slots.map((m: Any) => ({ key: `${w.pid}/${m.as_id}/${m.id}`, ua: m.userspace_addr, npages: m.npages })),
  }));
  const r = spawnSync('/usr/bin/python3', ['test/helpers/coverage-count.py', dump], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, `coverage-count.py (python3-libkdumpfile): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function coverage(dump: string): Any[] {
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', 'coverage', dump, di.vmlinux, '--json'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('real-6.1: coverage equals the dump bitmap and the VMM page tables (libkdumpfile, own walk)', () => {
  for (const key of ['filtered-d31-lzo', 'kdump-zlib']) {
    it(`${key}: every slot of both VMMs`, () => {
      const dump = realFile(truth.dumps[key].file);
      const want = independent(dump);
      const got = coverage(dump);
      let mapped = 0;
      for (const { w, slots } of vms) {
        const vm = got.find((v: Any) => v.pid === w.pid);
        assert.ok(vm, `VM of pid ${w.pid}`);
        for (const m of slots) {
          const k = `${w.pid}/${m.as_id}/${m.id}`;
          const s = vm.spaces.find((sp: Any) => sp.asId === m.as_id).slots.find((x: Any) => x.memslot.id === m.id);
          const e = want[k];
          assert.deepEqual([s.pages, s.inDump, s.excluded, s.notPresent, s.hostPages2M], [m.npages, e.inDump, e.excluded, e.notPresent, e.in2M], `slot ${k}`);
          assert.equal(s.swapped + s.notInDump + s.tableNotInDump + s.guestMemfd, 0);
          mapped += e.inDump + e.excluded;
        }
      }
      assert.ok(mapped > 1000, 'the VMMs have mapped guest pages to count');
      const total = (f: string) => got.reduce((a: number, v: Any) => a + v.summary[f], 0);
      if (key === 'filtered-d31-lzo') {
        assert.equal(total('inDump'), 0, '-d 31 keeps no user page');
        assert.ok(total('excluded') > 1000);
        for (const v of got) assert.match(v.summary.text, /^guest RAM: 0% in the dump .*excluded by the dump's filter/);
      } else {
        assert.equal(total('excluded'), 0, 'an unfiltered dump excludes nothing');
        assert.ok(total('inDump') > 1000);
      }
    });
  }
  it('read of a guest page the -d 31 dump excluded fails, naming it', () => {
    const m = truth.markers[0];
    const r = spawnSync(process.execPath, ['bin/qemu-vtop', 'read', realFile(truth.dumps['filtered-d31-lzo'].file), di.vmlinux, '-g', String(truth.vmm.pid), '-p', m.gpa, '-n', '32', '--raw'], { maxBuffer: 1 << 20 });
    assert.equal(r.status, 1);
    assert.equal(r.stdout.length, 0, 'no bytes, never zeros');
    assert.match(r.stderr.toString(), new RegExp(`gpa ${m.gpa} \\(32 bytes\\) cannot be read \\(PAGE_EXCLUDED\\)`));
  });
  it('vms shows the IN DUMP column: 0% on -d 31', () => {
    const r = spawnSync(process.execPath, ['bin/qemu-vtop', 'vms', realFile(truth.dumps['filtered-d31-lzo'].file), di.vmlinux, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const v of JSON.parse(r.stdout)) assert.equal(v.coverage.inDump, 0);
  });
});
