// The TUI in tmux on the real 6.1 dump (kdump-zlib, no debug files): both VMMs listed, a marker of the
// fixture VMM translated to its hpa from truth.json, a gpa outside every slot explained, a clean exit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { realFile, realTruth } from '../helpers/real-fixture.js';
import { Tmux } from '../helpers/tmux.js';

const truth = realTruth();
const tmux = new Tmux(`qv-tui-real-${process.pid}`);
const h = (v: string) => BigInt(v).toString(16);

before(() => tmux.start(`node bin/qemu-vtop tui ${realFile('vmcore.kdump-zlib')}`));
after(() => tmux.kill());

describe('tui on the real 6.1 dump', () => {
  it('lists both VMMs', () => {
    const s = tmux.waitFor(new RegExp(`${truth.qemu.pid}\\s+qemu-system-x86[\\s\\S]*|${truth.vmm.pid}\\s+${truth.vmm.comm}`));
    assert.match(s, new RegExp(`${truth.vmm.pid}\\s+${truth.vmm.comm}\\s+0x${h(truth.vmm.struct_kvm)}`));
    assert.match(s, new RegExp(`${truth.qemu.pid}\\s+qemu-system-x86`));
  });
  it('selects the fixture VMM and translates a marker to its hpa', () => {
    const rows = tmux.screen().split('\n').filter((l) => /^\S?\d+\s+\S+\s+0x/.test(l.replace(/^│/, '')));
    const idx = rows.findIndex((l) => l.includes(truth.vmm.comm));
    for (let i = 0; i < idx; i++) tmux.key('Down');
    tmux.key('Enter');
    const first = truth.vmm.memslots[0];
    tmux.waitFor(new RegExp(`0x${h(first.userspace_addr)}`));
    const t = truth.markers.find((m: { as_id: number; page_size: string }) => m.as_id === 0 && m.page_size === '2M');
    tmux.key('g');
    tmux.waitFor(/go to/);
    tmux.type(t.gpa);
    tmux.key('Enter');
    const s = tmux.waitFor(new RegExp(`hpa 0x${h(t.hpa)}`));
    const pmd = t.levels.find((l: { level: string }) => l.level === 'PMD');
    assert.match(s, new RegExp(`PMD: ${h(pmd.entry_paddr)} => ${h(pmd.value)}`)); // a 2M page: the PMD is the leaf
  });
  it('explains a gpa in no slot and quits cleanly', () => {
    tmux.key('g');
    tmux.waitFor(/go to/);
    tmux.type('0x1f000000');
    tmux.key('Enter');
    tmux.waitFor(/not in any memslot/);
    tmux.key('q');
    tmux.waitFor(/\[exited 0\]/);
  });
});
