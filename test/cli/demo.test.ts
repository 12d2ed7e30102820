// The main job on the dump shipped in the repository, through the CLI with the Debian DWARF: every marker
// and untouched page of fixtures/demo-6.1/truth.json (ground truth from crash and the VMM's pagemap).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { openDump } from '../../src/dump/open.js';
import { runCli } from '../helpers/cli.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const hex = (v: string) => '0x' + BigInt(v).toString(16);
const SIZE: Record<string, number> = { '4K': 4096, '2M': 2097152 };

let di: DebianDebuginfo;
before(async () => {
  di = await debianDebuginfo();
});

describe('demo-6.1: gpa -> hva -> hpa with DWARF', () => {
  for (const as of [0, 1]) {
    it(`address space ${as}: markers translate, untouched pages are not present`, () => {
      const markers = truth.markers.filter((t: { as_id: number }) => t.as_id === as);
      const untouched = truth.untouched.filter((t: { as_id: number }) => t.as_id === as);
      const gpas = [...markers, ...untouched].map((t) => hex(t.gpa));
      const r = runCli([DEMO, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '--types', 'dwarf', '-g', String(truth.vmm.pid), '--as-id', String(as), '-p', ...gpas, '--json']);
      assert.equal(r.status, untouched.length ? 1 : 0, r.stderr);
      const out = r.json();
      const mem = openDump([DEMO]);
      for (const t of markers) {
        const got = out.find((o: { gpa: string }) => o.gpa === hex(t.gpa));
        assert.deepEqual([got.hva, got.hpa, got.pageSize, got.pageInDump, got.error], [hex(t.hva), hex(t.hpa), SIZE[t.page_size], true, undefined]);
        assert.deepEqual(
          got.levels.map((l: { name: string; entry: string; value: string }) => [l.name, l.entry, l.value]),
          t.levels.map((l: { level: string; entry_paddr: string; value: string }) => [l.level, hex(l.entry_paddr), hex(l.value)]),
        );
        assert.equal(mem.read(BigInt(t.hpa), t.marker.length).toString('latin1'), t.marker);
        assert.equal(got.memslot.id, t.slot_id);
      }
      for (const t of untouched) {
        const got = out.find((o: { gpa: string }) => o.gpa === hex(t.gpa));
        assert.equal(got.hva, hex(t.hva));
        assert.equal(got.error.code, 'NOT_PRESENT');
        assert.match(got.error.message, /never touched|not mapped/);
        assert.equal(got.hpa, undefined);
      }
      mem.close();
    });
  }
});
