// ELF dumps written by the real makedumpfile (-E) from the real QEMU ELF dump: unfiltered (-d 0) and
// filtered (-d 31: guest pages excluded). makedumpfile 1.7.2 ignores e_phoff, so a header-fixed copy is
// its input (the fixture's build/elf-phdr-fixup.py does the same: program headers moved to offset 64).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { realElfDump, realTruth } from '../helpers/real-fixture.js';

const truth = realTruth();
const dir = mkdtempSync(join(tmpdir(), 'qv-mdf-elf-'));
const hex = (v: string) => '0x' + BigInt(v).toString(16);
let di: DebianDebuginfo;
let plain: string;
let filtered: string;

function fixPhdrs(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const eh = Buffer.alloc(64);
    readSync(fd, eh, 0, 64, 0);
    const phoff = Number(eh.readBigUInt64LE(0x20));
    const ph = Buffer.alloc(eh.readUInt16LE(0x36) * eh.readUInt16LE(0x38));
    readSync(fd, ph, 0, ph.length, phoff);
    eh.writeBigUInt64LE(64n, 0x20);
    eh.writeBigUInt64LE(0n, 0x28);
    eh.fill(0, 0x3a, 0x40);
    writeSync(fd, eh, 0, 64, 0);
    writeSync(fd, ph, 0, ph.length, 64);
  } finally {
    closeSync(fd);
  }
}

before(async () => {
  di = await debianDebuginfo();
  const src = join(dir, 'input.elf');
  copyFileSync(await realElfDump(), src);
  fixPhdrs(src);
  plain = join(dir, 'd0.elf');
  filtered = join(dir, 'd31.elf');
  execFileSync('makedumpfile', ['-E', '-d', '0', src, plain], { stdio: 'ignore' });
  execFileSync('makedumpfile', ['-E', '-d', '31', '-x', di.vmlinux, src, filtered], { stdio: 'ignore' });
  rmSync(src);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('makedumpfile -E output of the real dump', () => {
  const markers = truth.markers.filter((t: { as_id: number }) => t.as_id === 0);
  const args = () => ['-g', String(truth.vmm.pid), '-p', ...markers.map((t: { gpa: string }) => hex(t.gpa)), '--json'];
  it('-d 0: every marker translates and its page is in the dump', () => {
    const r = runCli([plain, di.vmlinux, '--kvm-debuginfo', di.kvmKo, ...args()]);
    assert.equal(r.status, 0, r.stderr);
    const out = r.json();
    for (const t of markers) {
      const got = out.find((o: { gpa: string }) => o.gpa === hex(t.gpa));
      assert.deepEqual([got.hva, got.hpa, got.pageInDump], [hex(t.hva), hex(t.hpa), true]);
    }
  });
  it('-d 31: markers still translate, their pages are reported as not in the dump (excluded or zero)', () => {
    const r = runCli([filtered, di.vmlinux, '--kvm-debuginfo', di.kvmKo, ...args()]);
    assert.equal(r.status, 0, r.stderr);
    const out = r.json();
    for (const t of markers) {
      const got = out.find((o: { gpa: string }) => o.gpa === hex(t.gpa));
      assert.deepEqual([got.hva, got.hpa, got.pageInDump], [hex(t.hva), hex(t.hpa), false]);
      assert.match(got.pageNote, /ELF cannot tell/);
    }
  });
});
