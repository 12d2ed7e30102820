// The test writer's zstd kdump, with zero pages shared as makedumpfile writes them, checked by the real
// crash utility (Debian's 8.0.2 links libzstd): the real 6.1 dump re-encoded page by page with the zstd
// command (from files, so each frame records its content size, as makedumpfile's ZSTD_compressCCtx does).
// crash prints the truth.json marker strings at their hpas and zeros on a shared zero page; our reader
// agrees. Debian's crash 8.0.2 cannot build the task table of this kernel, but `rd -p` works.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openKdump } from '../../src/dump/kdump.js';
import { FileSource } from '../../src/io/source.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { writeKdump, type KdumpPage } from '../helpers/kdump-writer.js';
import { realFile, realTruth } from '../helpers/real-fixture.js';

const truth = realTruth();
const dir = mkdtempSync(join(tmpdir(), 'qv-crash-zstd-'));
const file = join(dir, 'real.zstd');
const markers: { hpa: string; marker: string }[] = truth.markers.filter((m: { as_id: number }) => m.as_id === 0).slice(0, 4);
let di: DebianDebuginfo;
let zeroHpa: bigint;

before(async () => {
  di = await debianDebuginfo();
  const src = openKdump([new FileSource(realFile('vmcore.kdump-zlib'))]);
  const ram = new Set<number>();
  for (const r of src.ranges()) for (let a = r.start; a < r.end; a += 0x1000n) ram.add(Number(a >> 12n));
  const pagesDir = join(dir, 'pages');
  mkdirSync(pagesDir);
  const pages: KdumpPage[] = [];
  const zero = Buffer.alloc(4096);
  const pfnOf = new Map<Buffer, number>();
  for (const pfn of ram) {
    const pa = BigInt(pfn) << 12n;
    const st = src.pageState(pa);
    if (st === 'zero') {
      pages.push({ pfn, data: zero });
      zeroHpa ??= pa;
    } else if (st === 'present') {
      const data = Buffer.from(src.read(pa, 4096));
      writeFileSync(join(pagesDir, String(pfn)), data);
      pfnOf.set(data, pfn);
      pages.push({ pfn, data });
    }
  }
  execFileSync('zstd', ['-q', '-1', '-r', pagesDir]);
  const encode = (p: Buffer) => ({ flag: 0x20, data: readFileSync(join(pagesDir, `${pfnOf.get(p)}.zst`)) });
  writeFileSync(file, writeKdump({ maxMapnr: Number(src.info.maxMapnr), ramPfns: (p) => ram.has(p), pages, statusBit: 0x20, encode, vmcoreinfo: src.vmcoreinfo!, shareZeroPage: true }));
  rmSync(pagesDir, { recursive: true });
  src.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a zstd kdump with a shared zero page, written by the test writer', () => {
  it('opens in the real crash, which reads the marker strings at their hpas and zeros on a zero page', () => {
    const cmds = [...markers.map((m) => `rd -p -a ${BigInt(m.hpa).toString(16)}`), `rd -p -64 ${zeroHpa.toString(16)} 2`, 'q', ''].join('\n');
    const out = execFileSync('crash', ['-s', di.vmlinux, file], { input: cmds, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
    for (const m of markers) assert.ok(out.includes(m.marker), `crash did not print ${m.marker}:\n${out.slice(-2000)}`);
    assert.match(out, new RegExp(`${zeroHpa.toString(16)}:\\s+0000000000000000\\s+0000000000000000`), out.slice(-2000));
  });
  it('reads the same through our reader', () => {
    const m = openKdump([new FileSource(file)]);
    assert.equal(m.info.compression, 'zstd');
    for (const t of markers) assert.equal(m.read(BigInt(t.hpa), t.marker.length).toString('latin1'), t.marker);
    assert.equal(m.pageState(zeroHpa), 'zero');
  });
});
