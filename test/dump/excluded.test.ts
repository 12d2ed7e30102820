// A dump that lost a page-table page: the translation stops with PAGE_EXCLUDED at that level (never reads
// the table as zeros). The dump is the demo dump rewritten without one PTE page (from truth.json's levels).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import { openDump } from '../../src/dump/open.js';
import { runCli } from '../helpers/cli.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { writeKdump } from '../helpers/kdump-writer.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const marker = truth.markers.find((t: { page_size: string; as_id: number }) => t.page_size === '4K' && t.as_id === 0);
const pteLevel = marker.levels.find((l: { level: string }) => l.level === 'PTE');
const ptePage = BigInt(pteLevel.entry_paddr) >> 12n;
let file: string;
let di: DebianDebuginfo;

before(async () => {
  di = await debianDebuginfo();
  const src = openDump([DEMO]);
  const pages = [];
  const ram = new Set<number>();
  for (const r of src.ranges()) for (let pa = r.start; pa < r.end; pa += 0x1000n) ram.add(Number(pa >> 12n));
  for (const pfn of ram) {
    const state = src.pageState(BigInt(pfn) << 12n);
    if ((state === 'present' || state === 'zero') && BigInt(pfn) !== ptePage) pages.push({ pfn, data: Buffer.from(src.read(BigInt(pfn) << 12n, 4096)) });
  }
  file = join(mkdtempSync(join(tmpdir(), 'qv-excl-')), 'no-pte.kdump');
  writeFileSync(file, writeKdump({ maxMapnr: 0x8000, ramPfns: (p) => ram.has(p), pages, statusBit: 1, encode: (p) => ({ flag: 1, data: deflateSync(p, { level: 1 }) }), vmcoreinfo: src.vmcoreinfo! }));
  src.close();
});

describe('a page-table page missing from the dump', () => {
  it(`stops the walk of gpa ${marker.gpa} at its PTE table with PAGE_EXCLUDED`, () => {
    const r = runCli([file, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(truth.vmm.pid), '-p', marker.gpa, '--json']);
    assert.equal(r.status, 1, r.stderr);
    const [t] = r.json();
    assert.equal(t.hva, '0x' + BigInt(marker.hva).toString(16));
    assert.equal(t.error.code, 'PAGE_EXCLUDED');
    assert.match(t.error.message, new RegExp(`pfn 0x${ptePage.toString(16)}`));
    assert.equal(t.hpa, undefined);
    assert.match(t.error.message, /reading the PTE entry/);
    // The levels above it were read and are reported, as crash would print them.
    const want = marker.levels.filter((l: { level: string }) => l.level !== 'PTE').map((l: { level: string; entry_paddr: string; value: string }) => [l.level, '0x' + BigInt(l.entry_paddr).toString(16), '0x' + BigInt(l.value).toString(16)]);
    assert.deepEqual(t.levels.map((l: { name: string; entry: string; value: string }) => [l.name, l.entry, l.value]), want);
  });
});
