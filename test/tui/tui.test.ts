// The TUI in a real terminal (tmux, 80x24) on the demo dump: what a person would see.
// Expected values from fixtures/demo-6.1/truth.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Tmux } from '../helpers/tmux.js';

const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const tmux = new Tmux(`qv-tui-${process.pid}`);
const h = (v: string) => BigInt(v).toString(16);

before(() => tmux.start('node bin/qemu-vtop tui fixtures/demo-6.1/vmcore.kdump-zlib'));
after(() => tmux.kill());

describe('tui on the demo dump (80x24)', () => {
  it('lists the VM with its pid, comm and struct kvm', () => {
    const s = tmux.waitFor(/qvtop-vmm/);
    assert.match(s, new RegExp(`${truth.vmm.pid}\\s+${truth.vmm.comm}\\s+0x${h(truth.vmm.struct_kvm)}`));
  });
  it('shows the slot table of the chosen VM, SMM slots labelled', () => {
    const s = tmux.screen();
    for (const m of truth.vmm.memslots) {
      const start = BigInt(m.base_gfn) << 12n;
      assert.ok(s.includes(`0x${start.toString(16)}-0x${(start + (BigInt(m.npages) << 12n) - 1n).toString(16)}`), `slot ${m.id} as ${m.as_id}`);
    }
    assert.match(s, /1 SMM/);
    assert.match(s, /gpa map \[/);
  });
  it('translates a marker gpa typed after g, showing the right hpa and crash-style levels', () => {
    const t = truth.markers.find((m: { as_id: number; page_size: string }) => m.as_id === 0 && m.page_size === '4K');
    tmux.key('g');
    tmux.waitFor(/go to \(AS 0\)/);
    tmux.type(t.gpa);
    tmux.key('Enter');
    const s = tmux.waitFor(new RegExp(`hpa 0x${h(t.hpa)}`));
    assert.match(s, new RegExp(`${h(t.gpa)}\\s+${h(t.hva)}\\s+${h(t.hpa)}`));
    assert.match(s, new RegExp(`PGD: ${h(t.levels[0].entry_paddr)} => ${h(t.levels[0].value)}`));
  });
  it('explains a gpa outside every slot in words, and keeps the session', () => {
    tmux.key('g');
    tmux.waitFor(/go to/);
    tmux.type('0x1f000000');
    tmux.key('Enter');
    tmux.waitFor(/not in any memslot/);
    tmux.key('v');
    tmux.key('z'); // zoom the detail pane: the vCPU text is longer than 80x24 leaves for it
    const s = tmux.waitFor(/exit_reason 5 HLT/);
    assert.match(s, /vCPUs/);
    assert.match(s, /not in any memslot/); // the message is still there: the session went on
    tmux.key('z');
  });
  it('shows the hexdump of the translated page, with the marker string', () => {
    const t = truth.markers.find((m: { as_id: number; page_size: string }) => m.as_id === 0 && m.page_size === '4K');
    tmux.key('g');
    tmux.waitFor(/go to/);
    tmux.type(t.gpa);
    tmux.key('Enter');
    tmux.waitFor(new RegExp(`hpa 0x${h(t.hpa)}`));
    tmux.key('x');
    const s = tmux.waitFor(/hexdump of the translated page/);
    assert.ok(s.includes(t.marker.slice(0, 16)), s);
  });
  it('finds the slot holding a gpa with /', () => {
    tmux.key('/');
    tmux.waitFor(/find the slot/);
    tmux.type('0x100201000');
    tmux.key('Enter');
    const slot = truth.vmm.memslots.find((m: { as_id: number; base_gfn: string }) => m.as_id === 0 && m.base_gfn === '0x100000');
    tmux.waitFor(new RegExp(`gpa 0x100201000 is in slot ${slot.id}`));
  });
  it('stays usable after a resize', () => {
    tmux.resize(100, 30);
    tmux.waitFor(/memslots/);
    tmux.resize(80, 24);
    tmux.waitFor(/memslots/);
  });
  it('quits on q and restores the terminal', () => {
    tmux.key('q');
    const s = tmux.waitFor(/\[exited 0\]/);
    assert.doesNotMatch(s, /memslots/); // the alternate screen is gone
  });
});
