// Acceptance: every marker, untouched page and QEMU probe of real-6.1/truth.json, through the real CLI,
// on every dump format of the fixture. Expected values are the fixture's ground truth (crash + the VMM's
// own /proc/self/pagemap), and the page-table lines must equal the real crash transcript's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { truthGroups } from '../helpers/truth-groups.js';
import { openDump } from '../../src/dump/open.js';
import { vtopByHva, vtopTableLines } from '../helpers/crash-transcript.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { realElfDump, realFile, realTruth } from '../helpers/real-fixture.js';

const truth = realTruth();
const PAGE: Record<string, number> = { '4K': 4096, '2M': 2097152, '1G': 1073741824 };
const hex = (v: string | bigint) => '0x' + BigInt(v).toString(16);

const groups = () => truthGroups(truth);

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DUMPS: { key: string; excluded: boolean }[] = [
  { key: 'elf', excluded: false },
  { key: 'kdump-zlib', excluded: false },
  { key: 'kdump-zlib-flat', excluded: false },
  { key: 'filtered-d31-lzo', excluded: true },
];

let di: DebianDebuginfo;
const dumpPaths = new Map<string, string>();
before(async () => {
  di = await debianDebuginfo();
  for (const d of DUMPS) dumpPaths.set(d.key, d.key === 'elf' ? await realElfDump() : realFile(truth.dumps[d.key].file));
});

for (const d of DUMPS) {
  describe(`real-6.1 ${d.key}: every truth.json address through the CLI`, () => {
    for (const g of groups()) {
      it(`pid ${g.pid} as ${g.as}: ${g.items.length} gpas`, () => {
        const dump = dumpPaths.get(d.key)!;
        const gpas = g.items.map((i) => hex(i.t.gpa));
        const r = cli([dump, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(g.pid), '--as-id', String(g.as), '-p', ...gpas, '--json']);
        const out = JSON.parse(r.stdout);
        assert.equal(r.status, g.items.every((i) => i.kind === 'marker') ? 0 : 1, r.stderr);
        const mem = openDump([dump]);
        try {
          for (const { kind, t } of g.items) {
            const got = out.find((o: { gpa: string }) => o.gpa === hex(t.gpa));
            assert.ok(got, `gpa ${hex(t.gpa)} missing`);
            if (kind === 'outside') {
              assert.equal(got.error?.code, 'GPA_NOT_IN_MEMSLOT');
              continue;
            }
            assert.equal(got.hva, hex(t.hva), `hva of ${hex(t.gpa)}`);
            if (kind === 'untouched') {
              assert.equal(got.error?.code, 'NOT_PRESENT', `gpa ${hex(t.gpa)}`);
              assert.equal(got.hpa, undefined);
            } else {
              assert.equal(got.error, undefined, JSON.stringify(got.error));
              assert.equal(got.hpa, hex(t.hpa), `hpa of ${hex(t.gpa)}`);
              assert.equal(got.pageSize, PAGE[t.page_size]);
              assert.equal(got.pageInDump, !d.excluded, `pageInDump of ${hex(t.gpa)}`);
              const want = Buffer.from(t.bytes_hex, 'hex');
              if (d.excluded) assert.throws(() => mem.read(BigInt(t.hpa), want.length), /excluded/);
              else assert.deepEqual(mem.read(BigInt(t.hpa), want.length), want, `bytes at ${hex(t.hpa)}`);
            }
            for (const lv of t.levels ?? []) {
              const gl = got.levels.find((x: { name: string }) => x.name === lv.level);
              assert.deepEqual([gl?.entry, gl?.value], [hex(lv.entry_paddr), hex(lv.value)], `${lv.level} of ${hex(t.gpa)}`);
            }
          }
        } finally {
          mem.close();
        }
      });
    }
  });
}

describe('real-6.1: text output equals the real crash transcript', () => {
  for (const pid of [truth.vmm.pid, truth.qemu.pid]) {
    it(`pid ${pid}: the page-table lines of every vtop crash printed`, async () => {
      const crash = vtopByHva(realFile('crash-elf.txt'), pid);
      const items = groups().filter((g) => g.pid === pid).flatMap((g) => g.items.filter((i) => i.kind !== 'outside').map((i) => ({ ...i, as: g.as })));
      assert.ok(items.length > 0);
      let compared = 0;
      for (const as of [0, 1]) {
        const mine = items.filter((i) => i.as === as);
        if (!mine.length) continue;
        const r = cli([dumpPaths.get('elf')!, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(pid), '--as-id', String(as), '-p', ...mine.map((i) => hex(i.t.gpa))]);
        const blocks = r.stdout.split(/(?=^GUEST PHYSICAL)/m);
        for (const [n, i] of mine.entries()) {
          const c = crash.get(BigInt(i.t.hva).toString(16));
          if (!c) continue; // crash was asked once per distinct hva
          const want = vtopTableLines(c);
          const lines = blocks[n].split('\n');
          const start = lines.findIndex((l) => /^ {3}PGD:/.test(l));
          const got = lines.slice(start, start + want.length);
          assert.deepEqual(got, want, `gpa ${hex(i.t.gpa)} hva ${hex(i.t.hva)}`);
          compared++;
        }
      }
      assert.ok(compared >= 3, `compared ${compared} blocks`);
    });
  }
});
