// The TUI in a real terminal (tmux, 80x24) on guest-6.1: the VM list's IN DUMP column, "gva ADDR" in the go-to box
// (the guest breakdown of truth-guest.json, then the host block), the hexdump of the marker's page, a clean exit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { debianDebuginfo } from '../helpers/debuginfo.js';
import { guestFile, guestTruth } from '../helpers/guest-fixture.js';
import { Tmux } from '../helpers/tmux.js';

const truth = guestTruth();
const h = (v: string | bigint) => BigInt(v).toString(16);

describe('tui on guest-6.1 (tmux, 80x24)', () => {
  const t = new Tmux(`qv-tui-guest-${process.pid}`);
  before(async () => {
    const dbg = await debianDebuginfo();
    t.start(`node bin/qemu-vtop tui ${guestFile('vmcore.d19.kdump-zlib')} ${dbg.vmlinux}`);
  });
  after(() => t.kill());

  it("lists QEMU with its guest RAM 100% in the dump", () => {
    const s = t.waitFor(/qemu-system-x86[\s\S]*q:quit/, 60_000);
    assert.match(s, new RegExp(`${truth.qemu.pid}\\s+qemu-system-x86\\s+0x${h(truth.qemu.struct_kvm)}\\s+1\\s+6\\s+128\\.25 MiB\\s+100%`));
  });

  it('gva ADDR: the guest levels of the truth, then the host block, and the marker in the hexdump', () => {
    t.key('/');
    t.waitFor(/find VM/);
    t.type('qemu');
    t.key('Enter');
    t.waitFor(new RegExp(`memslots of VM 0x${h(truth.qemu.struct_kvm)}`));
    const m = truth.l2_markers[0];
    t.key('g');
    t.waitFor(/go to gpa \(AS \d/);
    t.type(`gva ${m.gva}`);
    t.key('Enter');
    t.waitForWords(new RegExp(`gva ${m.gva} \\(CR3 ${m.l2_cr3}, vCPU 0\\) -> gpa ${m.gpa} -> hva ${m.hva} -> hpa ${m.hpa}`), 60_000);
    t.key('z');
    const last = m.l2_levels.at(-1);
    const z = t.waitFor(new RegExp(`${last.level}: ${h(last.entry_gpa)} => ${h(last.value)}[\\s\\S]*gpa ${m.gpa} -> hva ${m.hva} -> hpa ${m.hpa}`));
    for (const l of m.l2_levels) assert.match(z, new RegExp(`${l.level}: ${h(l.entry_gpa)} => ${h(l.value)}`), l.level);
    t.key('z');
    t.waitFor(/memslots of/);
    t.key('x');
    const x = t.waitFor(/hexdump of hpa/);
    assert.match(x, new RegExp(`hexdump of hpa 0x${h(m.hpa)} \\(gpa ${m.gpa}\\)`));
    assert.ok(x.includes(m.marker.slice(0, 16)), x);
  });

  it('quits cleanly', () => {
    t.key('q');
    const r = t.waitForExit();
    assert.equal(r.status, 0, r.screen);
  });
});
