// The test tree's kdump writer (used for the snappy/zstd cases Debian's makedumpfile cannot make) checked by
// the real crash utility: the real 6.1 dump re-encoded with snappy pages is opened by Debian's crash 8.0.2,
// whose `rd -p -a` at marker hpas prints the marker strings of truth.json; our reader agrees.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import snappy from 'snappyjs';
import { openDump } from '../../src/dump/open.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { writeKdump } from '../helpers/kdump-writer.js';
import { realFile, realTruth } from '../helpers/real-fixture.js';

const truth = realTruth();
const dir = mkdtempSync(join(tmpdir(), 'qv-crash-snappy-'));
const file = join(dir, 'real.snappy');
let di: DebianDebuginfo;
const markers = truth.markers.filter((m: { as_id: number }) => m.as_id === 0).slice(0, 4);

before(async () => {
  di = await debianDebuginfo();
  const src = openDump([realFile('vmcore.kdump-zlib')]);
  const ram = new Set<number>();
  for (const r of src.ranges()) for (let a = r.start; a < r.end; a += 0x1000n) ram.add(Number(a >> 12n));
  const pages = [];
  for (const p of ram) {
    const st = src.pageState(BigInt(p) << 12n);
    if (st === 'present' || st === 'zero') pages.push({ pfn: p, data: Buffer.from(src.read(BigInt(p) << 12n, 4096)) });
  }
  writeFileSync(file, writeKdump({ maxMapnr: 0x100000, ramPfns: (p) => ram.has(p), pages, statusBit: 0x4, encode: (p) => ({ flag: 0x4, data: Buffer.from(snappy.compress(p)) }), vmcoreinfo: src.vmcoreinfo! }));
  src.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a snappy kdump written by the test writer', () => {
  it('opens in the real crash, which reads the marker strings at their hpas', () => {
    const cmds = markers.map((m: { hpa: string }) => `rd -p -a ${BigInt(m.hpa).toString(16)}`).join('\n') + '\nq\n';
    const out = execFileSync('crash', ['-s', di.vmlinux, file], { input: cmds, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
    for (const m of markers) assert.ok(out.includes(m.marker), `crash did not print ${m.marker}:\n${out.slice(-2000)}`);
  });
  it('reads the same marker bytes through our reader', () => {
    const m = openDump([file]);
    assert.equal(m.info.compression, 'snappy');
    for (const t of markers) assert.equal(m.read(BigInt(t.hpa), t.marker.length).toString('latin1'), t.marker);
  });
});
