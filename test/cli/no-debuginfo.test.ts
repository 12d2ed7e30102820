// Zero-debuginfo mode on the demo dump: no vmlinux, no kvm.ko: kallsyms and BTF come from the dump.
// Expected values: fixtures/demo-6.1/truth.json. Damaged dumps must say what is missing and what supplies it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { openDump } from '../../src/dump/open.js';
import { runCli } from '../helpers/cli.js';
import { writeKdump } from '../helpers/kdump-writer.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const hex = (v: string) => '0x' + BigInt(v).toString(16);
const dir = mkdtempSync(join(tmpdir(), 'qv-nodebug-'));

describe('no debug files at all', () => {
  it('translates every marker and reports every untouched page, with the same levels crash printed', () => {
    for (const as of [0, 1]) {
      const items = [...truth.markers, ...truth.untouched].filter((t) => t.as_id === as);
      const r = runCli([DEMO, '-g', String(truth.vmm.pid), '--as-id', String(as), '-p', ...items.map((t) => hex(t.gpa)), '--json']);
      const out = r.json();
      for (const t of items) {
        const got = out.find((o: { gpa: string }) => o.gpa === hex(t.gpa));
        assert.equal(got.hva, hex(t.hva));
        if (t.hpa) assert.deepEqual([got.hpa, got.error], [hex(t.hpa), undefined]);
        else assert.equal(got.error.code, 'NOT_PRESENT');
        assert.deepEqual(got.levels.map((l: { entry: string; value: string }) => [l.entry, l.value]), t.levels.map((l: { entry_paddr: string; value: string }) => [hex(l.entry_paddr), hex(l.value)]));
      }
    }
  });
});

/** The demo dump rewritten without the pages in [from, to) of the kernel image, and without some VMCOREINFO lines. */
function damaged(name: string, fromVa: bigint, toVa: bigint, dropInfo: (line: string) => boolean): string {
  const src = openDump([DEMO]);
  const physBase = BigInt.asUintN(64, BigInt(truth.kernel.layout.phys_base));
  const pa = (va: bigint) => BigInt.asUintN(64, va - 0xffffffff80000000n + physBase);
  const [lo, hi] = [pa(fromVa) >> 12n, (pa(toVa) + 0xfffn) >> 12n];
  const ram = new Set<number>();
  for (const r of src.ranges()) for (let a = r.start; a < r.end; a += 0x1000n) ram.add(Number(a >> 12n));
  const pages = [];
  for (const pfn of ram) {
    const p = BigInt(pfn);
    const st = src.pageState(p << 12n);
    if ((st === 'present' || st === 'zero') && (p < lo || p >= hi)) pages.push({ pfn, data: Buffer.from(src.read(p << 12n, 4096)) });
  }
  const file = join(dir, name);
  const info = src.vmcoreinfo!.split('\n').filter((l) => !dropInfo(l)).join('\n');
  writeFileSync(file, writeKdump({ maxMapnr: 0x8000, ramPfns: (p) => ram.has(p), pages, statusBit: 1, encode: (p) => ({ flag: 1, data: deflateSync(p, { level: 1 }) }), vmcoreinfo: info }));
  src.close();
  return file;
}

describe('no debug files, and the dump lacks what would replace them', () => {
  const sym = (n: string) => BigInt(truth.kernel_data_checks.symbols.find((s: { symbol: string }) => s.symbol === n).addr);
  it('BTF pages excluded: says the BTF is unreadable and to give the vmlinux', () => {
    const start = sym('__start_BTF');
    const file = damaged('no-btf.kdump', start, start + 0x100000n, () => false);
    const r = runCli([file, '-g', String(truth.vmm.pid), '-p', '0x2000', '--json']);
    assert.equal(r.status, 2);
    assert.equal(r.json().error.code, 'NO_BTF');
    assert.match(r.json().error.message, /Give the vmlinux/);
  });
  it('kallsyms excluded and not in VMCOREINFO: says so and names the files that would supply symbols', () => {
    const file = damaged('no-kallsyms.kdump', sym('kallsyms_offsets'), sym('kallsyms_token_index') + 0x1000n, (l) => l.startsWith('SYMBOL(kallsyms'));
    const r = runCli([file, '-g', String(truth.vmm.pid), '-p', '0x2000', '--json']);
    assert.equal(r.status, 2);
    assert.equal(r.json().error.code, 'NO_KALLSYMS');
    assert.match(r.json().error.message, /Give the vmlinux/);
  });
});
