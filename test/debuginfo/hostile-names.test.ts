// Strings from the dump never steer the file system or a command: a dump whose OSRELEASE is "../../x", or
// whose uts version makes the Debian version "-oAPT::..." (an apt-get option), is refused with BAD_NAME
// before any path is made or apt-get is run (a stand-in apt-get on PATH records any call).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkName, isValidName } from '../../src/debuginfo/names.js';
import { buildIdPath } from '../../src/debuginfo/buildid.js';
import { debuginfodCachePath } from '../../src/debuginfo/debuginfod.js';
import { debianSuite } from '../../src/debuginfo/fetch.js';
import { writeElfCore } from '../helpers/elfcore-writer.js';

const UTS = 0xffffffff82000000n; // SYMBOL(init_uts_ns), in the image mapping: pa = va - __START_KERNEL_map
const START_KERNEL_MAP = 0xffffffff80000000n;

/** A minimal ELF vmcore: VMCOREINFO with the given OSRELEASE, and init_uts_ns whose version is `version`. */
function dumpWith(dir: string, release: string, version: string): string {
  const page = Buffer.alloc(4096);
  page.write(version + '\0', 3 * 65, 'latin1'); // new_utsname: sysname, nodename, release, version, ...
  const info = [`OSRELEASE=${release}`, 'PAGESIZE=4096', 'KERNELOFFSET=0', 'NUMBER(phys_base)=0', `SYMBOL(init_uts_ns)=${UTS.toString(16)}`, 'SYMBOL(init_top_pgt)=ffffffff81000000', 'OFFSET(uts_namespace.name)=0', ''].join('\n');
  const p = join(dir, 'vmcore');
  writeFileSync(p, writeElfCore([{ paddr: UTS - START_KERNEL_MAP, data: page }], [{ name: 'VMCOREINFO', type: 0, desc: Buffer.from(info) }]));
  return p;
}

function runFetch(release: string, version: string): { status: number | null; stderr: string; aptCalls: boolean; home: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'qv-names-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'apt-calls');
  for (const tool of ['apt-get', 'apt-cache', 'dpkg-deb']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${log}\nexit 1\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  const home = join(dir, 'home');
  mkdirSync(home);
  const dump = dumpWith(dir, release, version);
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', dump, '--fetch-debuginfo', '-g', '1', '-p', '0x1000'], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, HOME: home, XDG_CACHE_HOME: join(home, '.cache') },
  });
  const tree: string[] = [];
  (function walk(d: string) {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      tree.push(join(d, f.name).slice(home.length));
      if (f.isDirectory()) walk(join(d, f.name));
    }
  })(home);
  return { status: r.status, stderr: r.stderr, aptCalls: existsSync(log), home: tree };
}

describe('dump strings against their grammar', () => {
  it('an OSRELEASE of ../../x is refused: no file is made, apt-get is never run', () => {
    const r = runFetch('../../x', '#1 SMP Debian 6.1.187-1 (2026-09-07)');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /OSRELEASE gives the kernel release "\.\.\/\.\.\/x", which is not one/);
    assert.equal(r.aptCalls, false);
    assert.deepEqual(r.home, []);
  });
  it('a Debian version that would be an apt-get option (-o...) is refused the same way', () => {
    const r = runFetch('6.1.0-53-cloud-amd64', '#1 SMP Debian -oDir::Etc::SourceList=/tmp/evil (2026-09-07)');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /uts version gives the Debian package version "-oDir::Etc::SourceList=\/tmp\/evil"/);
    assert.equal(r.aptCalls, false);
    assert.deepEqual(r.home, []);
  });
  it('grammars: releases, versions, build-ids, suites', () => {
    assert.ok(isValidName('release', '5.10.0-32-cloud-amd64'));
    assert.ok(isValidName('release', '6.12.38+deb13-amd64'));
    for (const bad of ['..', '../x', 'a/b', '-rf', '', 'a..b', 'a b']) assert.ok(!isValidName('release', bad), bad);
    assert.ok(isValidName('version', '6.12.41-1~bpo12+1'));
    assert.ok(!isValidName('version', '-oAPT::x=1'));
    assert.ok(isValidName('buildId', 'e0c94673e97d58a386e99a20572aa7d597d5aa5c'));
    for (const bad of ['E0C9', '../e0c94673e97d58a386e99a20572aa7d597d5aa5c', 'xyz0123456']) assert.ok(!isValidName('buildId', bad), bad);
    assert.throws(() => checkName('suite', 'bookworm; rm -rf /', 'x'), /BAD_NAME|not one/);
    assert.throws(() => buildIdPath('/usr/lib/debug', '../../etc/passwd'), /not one/);
    assert.throws(() => debuginfodCachePath('..'), /not one/);
    assert.equal(buildIdPath('/usr/lib/debug', 'e0c94673e97d58a386e99a20572aa7d597d5aa5c'), '/usr/lib/debug/.build-id/e0/c94673e97d58a386e99a20572aa7d597d5aa5c.debug');
  });
  it('the Debian suite of a kernel version', () => {
    assert.deepEqual(
      ['5.10.223-1', '6.1.187-1', '6.12.38-1', '6.12.41-1+deb13u1', '6.12.41-1~bpo12+1', '4.19.304-1', '5.4.0-1'].map(debianSuite),
      ['bullseye', 'bookworm', 'trixie', 'trixie', 'bookworm-backports', 'buster', undefined],
    );
  });
});
