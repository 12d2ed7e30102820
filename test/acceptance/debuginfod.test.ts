// Acceptance: debug files through a real debuginfod server (Debian's `debuginfod`, elfutils) that the test
// starts on 127.0.0.1 over a folder holding a -dbg .deb, then stops. The tool, given no vmlinux and only
// DEBUGINFOD_URLS, downloads the 5.10 vmlinux and kvm.ko by build-id (kvm.ko's from the note in the loaded
// module) and translates with DWARF; a second run takes both from the cache: the server's own request
// counter does not move.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { debianDebuginfo510, DBG_510 } from '../helpers/debuginfo.js';
import { fixtureFile, fixtureTruth } from '../helpers/real-fixture.js';

const truth = fixtureTruth('real-5.10');
const dump = fixtureFile('real-5.10', truth.dumps['kdump-zlib'].file);
const hex = (v: string) => '0x' + BigInt(v).toString(16);
const work = mkdtempSync(join(tmpdir(), 'qv-debuginfod-'));
let server: ChildProcess | undefined;
let url = '';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

async function metrics(): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const r = /^([^#].*)\s(\d+(?:\.\d+)?)$/.exec(line); // labels may hold spaces: source=".deb archive"
    if (r) m.set(r[1], Number(r[2]));
  }
  return m;
}
const buildidRequests = async () => [...(await metrics()).entries()].filter(([k]) => k === 'http_requests_total{type="debuginfo"}').reduce((a, [, v]) => a + v, 0);

before(async () => {
  const di = await debianDebuginfo510();
  // A .deb of the -dbg package holding the two files the tool needs, stored uncompressed so that the
  // server's first scan takes seconds (the full package unpacks to 1.7 GB of xz).
  const pkg = join(work, 'pkg');
  const files = [[di.vmlinux, `usr/lib/debug/boot/vmlinux-${DBG_510.release}`], [di.kvmKo, `usr/lib/debug/lib/modules/${DBG_510.release}/kernel/arch/x86/kvm/kvm.ko`]];
  for (const [from, to] of files) {
    mkdirSync(join(pkg, to, '..'), { recursive: true });
    copyFileSync(from, join(pkg, to));
  }
  mkdirSync(join(pkg, 'DEBIAN'));
  writeFileSync(join(pkg, 'DEBIAN', 'control'), `Package: ${DBG_510.package}\nVersion: ${DBG_510.version}\nArchitecture: amd64\nMaintainer: qemu-vtop tests\nDescription: the vmlinux and kvm.ko of ${DBG_510.package}\n`);
  const debs = join(work, 'debs');
  mkdirSync(debs);
  const b = spawnSync('dpkg-deb', ['-Znone', '-b', pkg, join(debs, `${DBG_510.package}_${DBG_510.version}_amd64.deb`)], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  rmSync(pkg, { recursive: true, force: true });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn('debuginfod', ['-U', '-p', String(port), '-d', join(work, 'db.sqlite'), '-t', '0', '-g', '0', debs], { stdio: 'ignore' });
  server.once('error', (e) => assert.fail(`debuginfod could not start (Debian package debuginfod, and libarchive-tools for bsdtar): ${e.message}`));
  const deadline = Date.now() + 900_000; // ~90 s on an idle 2-core machine: it reads the DWARF line tables
  for (;;) {
    try {
      if (((await metrics()).get('found_debuginfo_total{source=".deb archive"}') ?? 0) >= 2) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) assert.fail('debuginfod did not index the .deb within 900 s');
    await new Promise((r) => setTimeout(r, 1000));
  }
});

after(() => {
  server?.kill();
  rmSync(work, { recursive: true, force: true });
});

describe('debuginfod: the 5.10 debug files by build-id from a real server', () => {
  const cache = join(work, 'xdg-cache');
  const run = () => {
    const m = truth.markers[0];
    const r = spawnSync(process.execPath, ['bin/qemu-vtop', dump, '--types', 'dwarf', '--debug-dir', join(work, 'no-such-dir'), '-g', String(truth.vmm.pid), '-p', hex(m.gpa), '--json'], {
      encoding: 'utf8',
      env: { ...process.env, DEBUGINFOD_URLS: url, XDG_CACHE_HOME: cache },
      maxBuffer: 64 << 20,
    });
    assert.equal(r.status, 0, r.stderr);
    const [got] = JSON.parse(r.stdout);
    assert.deepEqual([got.hva, got.hpa], [hex(m.hva), hex(m.hpa)]);
  };
  it('first run: vmlinux and kvm.ko are downloaded (two build-id requests) and the marker translates with DWARF', async () => {
    const before = await buildidRequests();
    run();
    assert.equal((await buildidRequests()) - before, 2);
  });
  it('second run: both come from the cache, no request reaches the server', async () => {
    const before = await buildidRequests();
    run();
    assert.equal(await buildidRequests(), before);
  });
});
