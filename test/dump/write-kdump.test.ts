// The streaming kdump writer on synthetic pages, read back by libkdumpfile (independent) and by our reader:
// stored, zlib and zero pages; RAM pages left undumped read as "excluded", never as zeros; more pages than
// one descriptor chunk; out-of-order pages refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openDump } from '../../src/dump/open.js';
import { KdumpWriter, PfnBitmap } from '../../src/dump/write-kdump.js';
import { openOutput } from '../../src/io/sink.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-wkdump-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PFNS = 6000n; // > one 4096-descriptor chunk
/** Page content by pfn: every 7th random (incompressible), every 5th zero, else a text pattern. */
function page(pfn: bigint): Buffer {
  if (pfn % 5n === 0n) return Buffer.alloc(4096);
  if (pfn % 7n === 0n) return randomBytes(4096);
  return Buffer.from(`page ${pfn} `.repeat(1000).slice(0, 4096), 'latin1');
}
const excluded = (pfn: bigint) => pfn % 11n === 3n;

describe('kdump writer', () => {
  const file = join(dir, 'synthetic.kdump');
  const pages = new Map<bigint, Buffer>();
  it('writes a file libkdumpfile and our reader read back page for page, excluded pages as no data', () => {
    const ram = new PfnBitmap(PFNS);
    const dumped = new PfnBitmap(PFNS);
    ram.setRange(0n, PFNS);
    for (let p = 0n; p < PFNS; p++) if (!excluded(p)) dumped.set(p);
    const out = openOutput(file, { needSeek: true });
    const w = new KdumpWriter(out.sink, { release: '6.1.0-test', version: '#1 test', nrCpus: 1, timestamp: new Date(0), physBase: 0n, vmcoreinfo: Buffer.from('OSRELEASE=6.1.0-test\nPAGESIZE=4096\n'), notes: Buffer.alloc(0), maxPfn: PFNS, ram, dumped });
    w.writeHeaders(true);
    for (let p = 0n; p < PFNS; p++) {
      if (excluded(p)) continue;
      const b = page(p);
      pages.set(p, b);
      w.page(p, b);
    }
    assert.throws(() => w.page(1n, Buffer.alloc(4096)), /out of order/);
    assert.throws(() => w.page(PFNS - 1n, Buffer.alloc(100)), /a page is 4096/);
    w.finish();
    out.commit();
    const probe = [1n, 5n, 7n, 3n, 4096n, 4097n, 5999n, 14n].map((p) => `${'0x' + (p << 12n).toString(16)}:4096`);
    const lines = execFileSync('/usr/bin/python3', ['test/helpers/kdump-probe.py', file, ...probe], { encoding: 'utf8', maxBuffer: 16 << 20 }).trim().split('\n');
    assert.equal(lines[0], 'arch x86_64');
    [1n, 5n, 7n, 3n, 4096n, 4097n, 5999n, 14n].forEach((p, i) => {
      if (excluded(p)) assert.match(lines[1 + i], /^nodata: /, `pfn ${p}`);
      else assert.equal(lines[1 + i], pages.get(p)!.toString('hex'), `pfn ${p}`);
    });
    const m = openDump([file]);
    try {
      for (let p = 0n; p < PFNS; p++) {
        if (excluded(p)) {
          assert.equal(m.pageState(p << 12n), 'excluded');
          assert.throws(() => m.read(p << 12n, 8), /excluded/);
        } else {
          assert.equal(m.pageState(p << 12n), p % 5n === 0n ? 'zero' : 'present', `pfn ${p}`);
          assert.ok(m.read(p << 12n, 4096).equals(pages.get(p)!), `pfn ${p}`);
        }
      }
      assert.equal(m.vmcoreinfo?.startsWith('OSRELEASE=6.1.0-test'), true);
    } finally {
      m.close();
    }
  });
});
