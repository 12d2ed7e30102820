// The TUI's state on the in-repo demo dump, without a terminal: what each pane would show comes from the
// same functions as the CLI, with the values of fixtures/demo-6.1/truth.json.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentText } from '../../src/kvm/coverage.js';
import { after, before, describe, it } from 'node:test';
import { hex } from '../../src/io/hex.js';
import { translationLines } from '../../src/tui/panes/translation-view.js';
import { vcpuLines } from '../../src/tui/panes/vcpus-view.js';
import { TuiState } from '../../src/tui/state.js';
import { openSession, type Session } from '../../src/vtop/session.js';

const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const marker4k = truth.markers.find((m: { as_id: number; page_size: string }) => m.as_id === 0 && m.page_size === '4K');
const marker2m = truth.markers.find((m: { as_id: number; page_size: string }) => m.as_id === 0 && m.page_size === '2M');
const smm = truth.markers.find((m: { as_id: number }) => m.as_id === 1);

let s: Session;
let st: TuiState;
before(() => {
  s = openSession({ dump: ['fixtures/demo-6.1/vmcore.kdump-zlib'] });
  st = new TuiState(s.kernel);
});
after(() => s?.close());

describe('TUI state on the demo dump', () => {
  it('lists the VM with pid, comm, struct kvm, vCPUs, slots and memory', () => {
    // IN DUMP: the share of AS 0's guest pages the dump holds, counted independently (own walk over libkdumpfile).
    const slots0 = truth.vmm.memslots.filter((m: { as_id: number }) => m.as_id === 0);
    const input = [{ pgd: '0x' + (BigInt(truth.vmm.pgd) - BigInt(truth.kernel.layout.page_offset_base)).toString(16), slots: slots0.map((m: { id: number; userspace_addr: string; npages: number }) => ({ key: String(m.id), ua: m.userspace_addr, npages: m.npages })) }];
    const counted = JSON.parse(execFileSync('/usr/bin/python3', ['test/helpers/coverage-count.py', 'fixtures/demo-6.1/vmcore.kdump-zlib'], { input: JSON.stringify(input), encoding: 'utf8' }));
    const inDump = Object.values(counted).reduce((a: number, c) => a + (c as { inDump: number }).inDump, 0);
    const pages = slots0.reduce((a: number, m: { npages: number }) => a + m.npages, 0);
    assert.deepEqual(st.vmRows(), [[String(truth.vmm.pid), truth.vmm.comm, truth.vmm.struct_kvm, '2', '2', '8 MiB', percentText(inDump, pages)]]);
    assert.equal(st.vmLabel(), `VM ${truth.vmm.struct_kvm} (pid ${truth.vmm.pid} ${truth.vmm.comm})`);
  });
  it('has a slot row per memslot of both address spaces, SMM labelled, sorted by gpa', () => {
    const rows = st.slotRows();
    assert.equal(rows.length, truth.vmm.memslots.length);
    for (const m of truth.vmm.memslots) {
      const start = BigInt(m.base_gfn) << 12n;
      const row = rows.find((r) => r.slot.asId === m.as_id && r.slot.id === m.id)!;
      assert.equal(row.cells[0], m.as_id === 1 ? '1 SMM' : '0');
      assert.equal(row.cells[2], `${hex(start)}-${hex(start + (BigInt(m.npages) << 12n) - 1n)}`);
      assert.equal(row.cells[3], `${hex(BigInt(m.userspace_addr))}-${hex(BigInt(m.userspace_addr) + (BigInt(m.npages) << 12n) - 1n)}`);
      assert.equal(row.compact[2], row.cells[2].replaceAll('0x', ''));
    }
  });
  it('translates a gpa, an hva and a slot offset to the hpa of truth.json', () => {
    for (const input of [marker4k.gpa, `hva ${marker4k.hva}`, `s0:${marker4k.slot_id}+${hex(BigInt(marker4k.gpa) - (BigInt(truth.vmm.memslots.find((m: { id: number; as_id: number }) => m.id === marker4k.slot_id && m.as_id === 0).base_gfn) << 12n))}`]) {
      const r = st.translate(input);
      assert.ok(r.ok, `${input}: ${r.status}`);
      assert.equal(r.translation!.hpa, BigInt(marker4k.hpa), input);
      assert.equal(r.status, `gpa ${marker4k.gpa} -> hva ${marker4k.hva} -> hpa ${marker4k.hpa}`);
    }
    const big = st.translate(marker2m.gpa);
    assert.equal(big.translation!.hpa, BigInt(marker2m.hpa));
    assert.match(translationLines(big.translation!).join('\n'), /^✓ gpa 0x\S+ -> hva 0x\S+ -> hpa 0x\S+\n  slot 1 of AS 0 at \+0x\S+; 2 MiB page mapped by a PMD\n/);
  });
  it('translates in the SMM address space when asked to (an hva finds its address space itself)', () => {
    const r = st.translate(`hva ${smm.hva}`);
    assert.equal(r.translation!.asId, 1);
    assert.equal(r.translation!.hpa, BigInt(smm.hpa));
    st.asId = 1;
    assert.equal(st.translate(smm.gpa).translation!.hpa, BigInt(smm.hpa));
    st.asId = 0;
    assert.equal(st.translate(smm.gpa).ok, false); // 0xa0000 is in no AS 0 slot of this VM
  });
  it('explains failures in words and never throws', () => {
    const out = st.translate('0x1f000000');
    assert.equal(out.ok, false);
    assert.match(out.status, /gpa 0x1f000000 is not in any memslot of VM 0x\S+ \(pid 120\) address space 0; slots cover 0x0-0x1fffff, 0x100000000-0x1005fffff/);
    const lines = translationLines(out.translation!);
    assert.match(lines[0], /^✗ gpa 0x1f000000 \(AS 0\): gpa 0x1f000000 is not in any memslot/);
    assert.ok(!lines.some((l) => l.startsWith('qemu-vtop:')), 'the message is said once');
    assert.match(st.translate('zzz').status, /"zzz" is not a gpa in hex/);
    assert.match(st.translate('hva 0x1234000').status, /hva 0x1234000 is in no memslot of VM/);
    assert.match(st.translate('s0:1+0x600000').status, /offset 0x600000 is past the end of slot 1 \(AS 0\), which is 6 MiB/);
    assert.match(st.translate('s0:9+0').status, /address space 0 has no slot 9 \(its slots: 0, 1\)/);
    assert.match(st.translate('s5:0+0').status, /has no address space 5/);
  });
  it('finds VMs and slots for /', () => {
    assert.equal(st.findVm(String(truth.vmm.pid)), 0);
    assert.equal(st.findVm('VMM'), 0);
    assert.equal(st.findVm(truth.vmm.struct_kvm.slice(2)), 0);
    assert.equal(st.findVm('nothing-like-it'), -1);
    const r = st.findSlotRow('0x100201000');
    assert.equal(st.slotRows()[r.row].slot.id, 1);
    assert.match(r.message, /gpa 0x100201000 is in slot 1 of address space 0/);
    assert.throws(() => st.findSlotRow('0x1f000000'), /gpa 0x1f000000 is in no memslot of address space 0/);
  });
  it('shows the vCPUs with their exit reasons and registers within 80 columns', () => {
    const lines = vcpuLines(st.vcpus(), 80);
    const text = lines.join('\n');
    assert.match(text, /vCPU 0 {2}exit_reason 5 HLT/);
    assert.match(text, /vCPU 1 {2}exit_reason 2 IO/);
    assert.match(text, /io\.port 0x1234/);
    assert.match(text, /rip 0000000000001001/);
    for (const l of lines) assert.ok(l.length <= 79, l);
  });
  it('hexdumps the page at the translated hpa, the marker on the first line', () => {
    st.translate(marker4k.gpa);
    const h = st.hexdump(80);
    assert.equal(h.message, undefined);
    assert.equal(h.lines.length, 256);
    assert.equal(h.title, `hexdump of hpa ${marker4k.hpa} (gpa ${marker4k.gpa})`);
    assert.ok(h.lines[0].endsWith(marker4k.marker.slice(0, 16)), h.lines[0]);
    assert.equal(h.markLine, 0);
    assert.equal(st.hexdump(60).lines.length, 512); // 8 bytes a line when 16 do not fit
  });
  it('says an excluded page is excluded instead of showing zeros (the hexdump reads as `read` does)', () => {
    // A -d 31 refiltering of the demo drops user pages: the VMM's guest pages are excluded, their page tables kept.
    const d31 = join(mkdtempSync(join(tmpdir(), 'qv-tui-')), 'demo.d31');
    execFileSync('makedumpfile', ['-l', '-d', '31', 'fixtures/demo-6.1/vmcore.kdump-zlib', d31], { stdio: ['ignore', 'pipe', 'pipe'] });
    const s31 = openSession({ dump: [d31] });
    try {
      const st31 = new TuiState(s31.kernel);
      const t = st31.translate(marker4k.gpa).translation!;
      assert.equal(t.hpa, BigInt(marker4k.hpa), 'the translation still stands');
      assert.equal(t.pageInDump, false);
      let h = st31.hexdump(80);
      assert.deepEqual(h.lines, []);
      assert.match(h.message!, /not in this dump/);
      // Even when the translation did not say so, the read path (GuestMemory) refuses the page.
      st31.last = { ...t, pageInDump: undefined };
      h = st31.hexdump(80);
      assert.deepEqual(h.lines, []);
      assert.match(h.message!, /did not keep \(excluded by its filter\): its contents are unknown, not zero/);
      st31.last = undefined;
      assert.match(st31.hexdump(80).message!, /nothing translated yet: press g/);
    } finally {
      s31.close();
    }
  });
});

describe('TUI state: whose (w) on the demo dump', () => {
  it('names the VM, address space, slot, gpa and hva of the translated hpa, from the reverse index', () => {
    assert.match(new TuiState(s.kernel).whose().message ?? '', /nothing translated yet/);
    for (const m of [marker4k, marker2m, smm]) {
      st.translate(`s${m.as_id}:${m.slot_id}+${hex(BigInt(m.gpa) - BigInt(truth.vmm.memslots.find((x: { as_id: number; id: number }) => x.as_id === m.as_id && x.id === m.slot_id).base_gfn) * 4096n)}`);
      const w = st.whose();
      assert.equal(w.message, undefined);
      assert.match(w.title, new RegExp(`hpa ${hex(BigInt(m.hpa))}`));
      const row = w.lines.find((l) => l.includes(BigInt(m.hva).toString(16)));
      assert.ok(row, w.lines.join('\n'));
      assert.match(row, new RegExp(`${BigInt(truth.vmm.struct_kvm).toString(16)}\\s+${truth.vmm.pid}\\s+${truth.vmm.comm}\\s+${m.as_id}.*\\s${m.slot_id}\\s+${BigInt(m.gpa).toString(16)}\\s`));
    }
  });
});
