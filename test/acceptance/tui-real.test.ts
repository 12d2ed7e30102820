// The TUI in a real terminal (tmux, 80x24) on the real 6.1 host dumps with the Debian debug vmlinux: the
// QEMU ELF dump (both VMMs, the fixture VMM's slots, markers translated to the hpa of truth.json, a gpa in
// no slot explained with the session going on, vCPUs, hexdump, a clean exit), and the makedumpfile -d 31
// dump whose guest pages are excluded (said, never shown as zeros). Missing files fail the suite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { debianDebuginfo } from '../helpers/debuginfo.js';
import { realElfDump, realFile, realTruth } from '../helpers/real-fixture.js';
import { Tmux } from '../helpers/tmux.js';

const truth = realTruth();
const h = (v: string | bigint) => BigInt(v).toString(16);
const marker = (gpa: string) => truth.markers.find((m: { gpa: string }) => m.gpa === gpa);
/** A range as the slot table prints it: with 0x, or bare when the table is too wide for 80 columns. */
const range = (a: bigint, b: bigint) => `(?:0x)?${h(a)}-(?:0x)?${h(b)}`;

function goTo(t: Tmux, text: string): void {
  t.key('g');
  t.waitFor(/go to gpa \(AS \d/);
  t.type(text);
  t.key('Enter');
}

function assertQuitsCleanly(t: Tmux): string {
  t.key('q');
  const r = t.waitForExit();
  assert.equal(r.status, 0, r.screen);
  assert.equal(r.tty, 'isig icanon echo');
  const st = t.state();
  assert.deepEqual([st.alternate, st.cursorVisible, st.mouse], [false, true, false]);
  assert.ok(!t.running('node'), 'the TUI process is gone');
  return r.screen;
}

describe('tui on the real 6.1 ELF dump with the Debian vmlinux (tmux, 80x24)', () => {
  const t = new Tmux(`qv-tui-real-${process.pid}`);
  before(async () => {
    const [dump, dbg] = await Promise.all([realElfDump(), debianDebuginfo()]);
    t.start(`node bin/qemu-vtop tui ${dump} ${dbg.vmlinux}`);
  });
  after(() => t.kill());

  it('lists both VMMs with pid, comm and struct kvm, types from DWARF', () => {
    const s = t.waitFor(/qvtop-vmm[\s\S]*q:quit/);
    const qemuKvm = truth.qemu.kvm_vm_files[0].struct_kvm;
    assert.match(s, new RegExp(`${truth.qemu.pid}\\s+${truth.qemu.comm}\\s+0x${h(qemuKvm)}\\s+2\\s+5\\s+64\\.25 MiB`));
    assert.match(s, new RegExp(`${truth.vmm.pid}\\s+${truth.vmm.comm}\\s+0x${h(truth.vmm.struct_kvm)}\\s+2\\s+4\\s+14\\.25 MiB`));
    assert.match(s, /types: dwarf/);
  });

  it('finds the fixture VMM with / and shows its memslots of both address spaces', () => {
    t.key('/');
    t.waitFor(/find VM/);
    t.type(truth.vmm.comm);
    t.key('Enter');
    const s = t.waitFor(new RegExp(`memslots of VM 0x${h(truth.vmm.struct_kvm)} \\(pid ${truth.vmm.pid} ${truth.vmm.comm}\\)`));
    for (const m of truth.vmm.memslots) {
      const gpa = BigInt(m.base_gfn) << 12n;
      const size = BigInt(m.npages) << 12n;
      const hva = BigInt(m.userspace_addr);
      const flags = { '0x0': '-', '0x1': 'LOG_DIRTY_PAGES', '0x2': 'READONLY' }[m.flags as string];
      const as = m.as_id === 1 ? '1 SMM' : '0';
      assert.match(s, new RegExp(`${as}\\s+${m.id}\\s+${range(gpa, gpa + size - 1n)}\\s+${range(hva, hva + size - 1n)}\\s+\\S+ \\S+\\s+${flags}`), `slot ${m.id} of AS ${m.as_id}`);
    }
    assert.match(s, /AS 0 \[\+·+\+\] 4 GiB/);
  });

  it('translates markers in 4K, THP (2M), dirty-logged and read-only memfd slots to the hpa of truth.json', () => {
    for (const gpa of ['0x2000', '0x100201000', '0x5a5000', '0xfffc0000']) {
      const m = marker(gpa);
      goTo(t, gpa);
      const s = t.waitFor(new RegExp(`gpa ${gpa} -> hva ${m.hva} -> hpa ${m.hpa}`));
      assert.match(s, new RegExp(`slot ${m.slot_id} of AS 0 at \\+0x[0-9a-f]+; ${m.page_size === '2M' ? '2 MiB page mapped by a PMD' : '4 KiB page mapped by a PTE'}`));
      t.key('z'); // the whole breakdown: every level down to the leaf
      const z = t.waitFor(/PAGE\s+PHYSICAL\s+MAPPING/);
      for (const l of m.levels) assert.match(z, new RegExp(`${l.level}: ${h(l.entry_paddr)} => ${h(l.value)}`), `${gpa} ${l.level}`);
      t.key('z');
      t.waitFor(/memslots of/);
    }
  });

  it('translates in the SMM address space after a', () => {
    const m = marker('0xa0000');
    t.key('a');
    t.waitFor(/typed gpas are now in address space 1 \(SMM\)/);
    goTo(t, m.gpa);
    t.waitFor(new RegExp(`gpa ${m.gpa} -> hva ${m.hva} -> hpa ${m.hpa}`));
    t.key('a');
    t.waitFor(/typed gpas are now in address space 0/);
  });

  it('explains a gpa outside every slot and an untouched page in words, and goes on', () => {
    goTo(t, '0x1f000000');
    t.waitForWords(/error: gpa 0x1f000000 is not in any memslot of VM 0x\S+ \(pid 119\) address space 0; slots cover 0x0-0x1fffff, 0x400000-0x7fffff, 0xfffc0000-0xffffffff, 0x100000000-0x1007fffff/);
    const u = truth.untouched[0];
    goTo(t, u.gpa);
    const s = t.waitForWords(/entry is empty: the VMM never touched this page \(not mapped\)/);
    assert.match(s, new RegExp(`${h(u.gpa)}\\s+${h(u.hva)}\\s+\\(not mapped\\)`));
    assert.ok(t.running('node'), 'the session goes on');
    const m = marker('0x1ff000');
    goTo(t, m.gpa);
    t.waitFor(new RegExp(`-> hpa ${m.hpa}`));
  });

  it('shows the hexdump of the translated page with the marker', () => {
    const m = marker('0x1ff000');
    t.key('x');
    const s = t.waitFor(/hexdump of hpa/);
    assert.match(s, new RegExp(`^>${h(m.hpa)}:  51 56 54 4f 50 2d 4d 41`, 'm'));
    assert.ok(s.includes(m.marker.slice(0, 16)), s);
  });

  it("shows the VMM's vCPUs: HLT and IO exits, kvm_run where the VMM mapped it", () => {
    t.key('v');
    t.key('z');
    const s = t.waitFor(/vCPU 1 {2}exit_reason 2 IO/);
    assert.match(s, /vCPU 0 {2}exit_reason 5 HLT/);
    for (const v of truth.vmm.vcpus) assert.match(s, new RegExp(`kvm_run ${h(v.run)}\\s+\\(VMM hva ${h(v.kvm_run_hva)}\\)`));
    assert.match(s, /io\.direction OUT {2}io\.size 1 {2}io\.port 0x1234/);
    t.key('z');
  });

  it('quits on q with the terminal given back; the load progress named the DWARF it indexed', () => {
    const s = assertQuitsCleanly(t);
    assert.match(s, /✓ indexing DWARF of vmlinux-6\.1\.0-53-cloud-amd64 +\d+\.\d\d s/);
    assert.match(s, /ready in \d+\.\d\d s/);
  });
});

describe('tui on the real 6.1 dump filtered with makedumpfile -d 31 (guest pages excluded)', () => {
  const t = new Tmux(`qv-tui-d31-${process.pid}`);
  before(async () => {
    const dbg = await debianDebuginfo();
    t.start(`node bin/qemu-vtop tui ${realFile('vmcore.d31.kdump-lzo')} ${dbg.vmlinux}`);
  });
  after(() => t.kill());

  it('translates a marker (page tables are in the dump) and says its page is not', () => {
    t.waitFor(/qvtop-vmm[\s\S]*q:quit/);
    t.key('/');
    t.type(truth.vmm.comm);
    t.key('Enter');
    t.waitFor(/memslots of VM \S+ \(pid 119 qvtop-vmm\)/);
    const m = marker('0x2000');
    goTo(t, m.gpa);
    t.waitForWords(new RegExp(`gpa ${m.gpa} -> hva ${m.hva} -> hpa ${m.hpa} \\(its page is not in this dump\\)`));
    t.waitForWords(/! page 0x[0-9a-f]+ is not in this dump \(excluded\): the translation is known, its contents are not/);
  });

  it('says the page is excluded in the hexdump view instead of showing zeros, and goes on', () => {
    t.key('x');
    const s = t.waitForWords(/✗ page 0x[0-9a-f]+ is not in this dump \(excluded\).* error: page 0x[0-9a-f]+ is not in this dump/);
    assert.doesNotMatch(s, /^>/m); // no bytes shown
    const m = marker('0x100201000');
    goTo(t, m.gpa);
    t.waitFor(new RegExp(`-> hpa ${m.hpa}`));
    assertQuitsCleanly(t);
  });
});
