// Errors a user can act on: each names what is wrong, where, and what to do. Run through the CLI on the
// demo dump; expected facts (pids, slots, build-ids) come from the fixture's truth.json and the files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'qv-errors-'));
let di: DebianDebuginfo;
let base: string[];
before(async () => {
  di = await debianDebuginfo();
  base = [DEMO, di.vmlinux, '--kvm-debuginfo', di.kvmKo];
});

describe('errors', () => {
  it('gpa in no memslot: GPA_NOT_IN_MEMSLOT listing the slots', () => {
    const r = runCli([...base, '-g', String(truth.vmm.pid), '-p', '0x1f000000', '--json']);
    assert.equal(r.status, 1);
    const [e] = r.json();
    assert.equal(e.error.code, 'GPA_NOT_IN_MEMSLOT');
    for (const s of truth.vmm.memslots.filter((m: { as_id: number }) => m.as_id === 0)) {
      const start = BigInt(s.base_gfn) << 12n;
      const end = start + (BigInt(s.npages) << 12n) - 1n;
      assert.ok(e.error.message.includes(`0x${start.toString(16)}-0x${end.toString(16)}`), e.error.message);
    }
  });
  it('pid not found: NO_SUCH_PID listing the VMM pids', () => {
    const r = runCli([...base, '-g', '4242', '-p', '0x2000', '--json']);
    assert.equal(r.status, 2);
    assert.equal(r.json().error.code, 'NO_SUCH_PID');
    assert.match(r.json().error.message, new RegExp(`${truth.vmm.pid} \\(${truth.vmm.comm}\\)`));
  });
  it('a pid that owns no VM: NOT_A_VMM listing the VMM pids', () => {
    const r = runCli([...base, '-g', '1', '-p', '0x2000']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`pid 1 \\(init\\) has no open anon_inode:kvm-vm file.*${truth.vmm.pid} \\(${truth.vmm.comm}\\)`));
  });
  it('a page never touched: NOT_PRESENT naming the empty entry', () => {
    const t = truth.untouched[0];
    const r = runCli([...base, '-g', String(truth.vmm.pid), '-p', t.gpa]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\(not mapped\)/);
    assert.match(r.stdout, new RegExp(`${t.levels[t.levels.length - 1].level} 0x[0-9a-f]+ entry is empty`));
  });
  it('a vmlinux of another build: VMLINUX_MISMATCH naming both build-ids', () => {
    writeFileSync(join(dir, 'k.c'), 'int main(void) { return 0; }\n');
    const fake = join(dir, 'vmlinux-other');
    execFileSync('gcc', ['-Wl,--build-id=sha1', '-o', fake, join(dir, 'k.c')]);
    const fakeId = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', fake], { encoding: 'utf8' }))![1];
    const r = runCli([DEMO, fake, '--kvm-debuginfo', di.kvmKo, '-g', String(truth.vmm.pid), '-p', '0x2000', '--json']);
    assert.equal(r.status, 2);
    const e = r.json().error;
    assert.equal(e.code, 'VMLINUX_MISMATCH');
    assert.ok(e.message.includes(fakeId) && e.message.includes(truth.vmlinux_build_id), e.message);
  });
  it('kvm.ko debug info not found: says where it looked and which package has it', () => {
    const lonely = join(dir, 'vmlinux');
    symlinkSync(di.vmlinux, lonely);
    const r = runCli([DEMO, lonely, '-g', String(truth.vmm.pid), '-p', '0x2000', '--json']);
    assert.equal(r.status, 2);
    const e = r.json().error;
    assert.equal(e.code, 'NO_KVM_DEBUGINFO');
    assert.match(e.message, /\/usr\/lib\/debug\/lib\/modules\/6\.1\.0-53-cloud-amd64\/kernel\/arch\/x86\/kvm\/kvm\.ko/);
    assert.match(e.message, /linux-image-6\.1\.0-53-cloud-amd64-dbg/);
  });
  it('a file that is not a dump: NOT_A_DUMP', () => {
    const junk = join(dir, 'junk');
    writeFileSync(junk, Buffer.alloc(4096, 0x41));
    const r = runCli([junk, di.vmlinux, '-g', '1', '-p', '0', '--json']);
    assert.equal(r.status, 2);
    assert.equal(r.json().error.code, 'NOT_A_DUMP');
  });
  it('a truncated dump: the error says the file is truncated', () => {
    const cut = join(dir, 'cut.kdump');
    const whole = readFileSync(DEMO);
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const r = runCli([cut, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(truth.vmm.pid), '-p', ...truth.markers.map((m: { gpa: string }) => m.gpa)]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /truncated/);
  });
});
