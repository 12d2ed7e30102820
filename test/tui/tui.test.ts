// The TUI in a real terminal (tmux, 80x24) on the in-repo demo dump: what a person would see, key by key.
// Expected values from fixtures/demo-6.1/truth.json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Tmux } from '../helpers/tmux.js';

const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const tmux = new Tmux(`qv-tui-demo-${process.pid}`);
const h = (v: string) => BigInt(v).toString(16);
const m4k = truth.markers.find((m: { as_id: number; page_size: string }) => m.as_id === 0 && m.page_size === '4K');
const m2m = truth.markers.find((m: { as_id: number; page_size: string }) => m.as_id === 0 && m.page_size === '2M');
const smm = truth.markers.find((m: { as_id: number }) => m.as_id === 1);
const slot1 = truth.vmm.memslots.find((m: { as_id: number; id: number }) => m.as_id === 0 && m.id === m2m.slot_id);

/** Opens the go-to box and types an address. */
function goTo(text: string): void {
  tmux.key('g');
  tmux.waitFor(/go to gpa \(AS \d/);
  tmux.type(text);
  tmux.key('Enter');
}

const lines = (s: string) => s.split('\n');

/** Tab until the pane whose title starts with `title` has the focus (its rule reads "━━ ▶ title"). */
function focusPane(title: string): void {
  const re = new RegExp(`━━ ▶ ${title}`);
  for (let i = 0; i < 3 && !re.test(tmux.screen()); i++) {
    tmux.key('Tab');
    spawnSync('sleep', ['0.1']);
  }
  tmux.waitFor(re, 2000);
}

before(() => tmux.start('node bin/qemu-vtop tui fixtures/demo-6.1/vmcore.kdump-zlib'));
after(() => tmux.kill());

describe('tui on the demo dump (tmux, 80x24)', () => {
  it('lists the VM with its pid, comm and struct kvm, the key hints in view', () => {
    // The first frames are drawn before the focus is set: wait for the finished one (the focused VM pane).
    const s = tmux.waitFor(/━━ ▶ VMs \(1\)[\s\S]*qvtop-vmm/);
    assert.match(s, new RegExp(`▸ ${truth.vmm.pid}\\s+${truth.vmm.comm}\\s+0x${h(truth.vmm.struct_kvm)}\\s+2\\s+2\\s+8 MiB`));
    assert.match(s, /━━ ▶ VMs \(1\)/); // the focused pane
    assert.match(lines(s)[22], /Tab:pane ↑↓\/jk:move Enter:open g:go-to \/:search .*\?:help q:quit/);
    assert.ok(lines(s).every((l) => l.length <= 80));
    assert.ok(tmux.state().alternate, 'the TUI runs on the alternate screen');
  });

  it('shows the slot table of the chosen VM, SMM slots labelled, and the gpa map', () => {
    const s = tmux.screen();
    for (const m of truth.vmm.memslots) {
      const start = BigInt(m.base_gfn) << 12n;
      const end = start + (BigInt(m.npages) << 12n) - 1n;
      const hva = BigInt(m.userspace_addr);
      const as = m.as_id === 1 ? '1 SMM' : '0';
      assert.match(s, new RegExp(`${as}\\s+${m.id}\\s+0x${start.toString(16)}-0x${end.toString(16)}\\s+0x${hva.toString(16)}-0x${(hva + end - start).toString(16)}`), `slot ${m.id} as ${m.as_id}`);
    }
    assert.match(s, /memslots of VM 0x\S+ \(pid 120 qvtop-vmm\)/);
    assert.match(s, /AS 0 \[0·+1\] 4 GiB/); // slot 0 at 0, a hole up to 4 GiB, slot 1 just above
  });

  it('translates a marker gpa typed after g: the hpa of truth.json and the crash-style levels', () => {
    goTo(m4k.gpa);
    const s = tmux.waitFor(new RegExp(`-> hpa 0x${h(m4k.hpa)}`));
    assert.match(s, new RegExp(`✓ gpa ${m4k.gpa} -> hva ${m4k.hva} -> hpa ${m4k.hpa}`));
    assert.match(s, /slot 0 of AS 0 at \+0x2000; 4 KiB page mapped by a PTE/);
    assert.match(s, new RegExp(`${h(m4k.gpa)}\\s+${h(m4k.hva)}\\s+${h(m4k.hpa)}`));
    assert.match(s, new RegExp(`PGD: ${h(m4k.levels[0].entry_paddr)} => ${h(m4k.levels[0].value)}`));
    assert.match(lines(s)[23], new RegExp(`gpa ${m4k.gpa} -> hva ${m4k.hva} -> hpa ${m4k.hpa}`));
  });

  it('zooms the detail pane to the whole breakdown (VMA, struct page) and back', () => {
    tmux.key('z');
    const s = tmux.waitFor(/PAGE\s+PHYSICAL\s+MAPPING/);
    assert.match(s, /VMA\s+START\s+END\s+FLAGS FILE/);
    assert.match(s, new RegExp(`PTE: ${h(m4k.levels[3].entry_paddr)} => ${h(m4k.levels[3].value)}`));
    assert.doesNotMatch(s, /memslots of/);
    tmux.key('z');
    tmux.waitFor(/memslots of/);
  });

  it('explains a gpa outside every slot in words, and the session goes on', () => {
    goTo('0x1f000000');
    const s = tmux.waitFor(/error: gpa 0x1f000000 is not in any memslot/);
    assert.match(s, /✗ gpa 0x1f000000 \(AS 0\): gpa 0x1f000000 is not in any memslot of VM/);
    assert.match(s, /slots cover 0x0-0x1fffff, 0x100000000-0x1005fffff/);
    assert.ok(tmux.running('node'), 'the TUI is still running');
    tmux.key('v');
    const v = tmux.waitFor(/vCPUs — VM/);
    assert.match(v, /vCPU 0 {2}exit_reason 5 HLT/);
    assert.match(v, /2 vCPUs: 0 HLT, 1 IO/);
  });

  it('shows both vCPUs, registers included, when zoomed', () => {
    tmux.key('z');
    const s = tmux.waitFor(/vCPU 1 {2}exit_reason 2 IO/);
    assert.match(s, /rip 0000000000001001/);
    tmux.key('z');
    tmux.waitFor(/memslots of/);
  });

  it('says what to type when the input is not an address', () => {
    goTo('zzz');
    tmux.waitFor(/error: "zzz" is not a gpa in hex; type a gpa/);
    tmux.key('g');
    tmux.waitFor(/go to gpa/);
    tmux.type('0x123');
    tmux.key('Escape');
    tmux.waitFor(/ cancelled/);
  });

  it('translates an offset into a slot picked in the table (Tab, ↓, Enter, offset)', () => {
    focusPane('memslots of');
    tmux.key('Home');
    tmux.key('j');
    tmux.key('Enter');
    tmux.waitFor(new RegExp(`offset into slot ${slot1.id} \\(AS 0\\), 6 MiB \\(Enter: 0\\)`));
    tmux.type((BigInt(m2m.gpa) - (BigInt(slot1.base_gfn) << 12n)).toString(16));
    tmux.key('Enter');
    const s = tmux.waitFor(new RegExp(`-> hpa 0x${h(m2m.hpa)}`));
    assert.match(s, /2 MiB page mapped by a PMD/);
    const pmd = m2m.levels.find((l: { level: string }) => l.level === 'PMD');
    assert.match(s, new RegExp(`PMD: ${h(pmd.entry_paddr)} => ${h(pmd.value)}`));
  });

  it('picks a slot row with the mouse; a second click asks for the offset', () => {
    const row = lines(tmux.screen()).findIndex((l) => /^. 1 SMM 0 /.test(l));
    assert.ok(row > 0);
    const click = () => {
      tmux.raw(`\x1b[<0;12;${row + 1}M`); // SGR mouse report: button 1 down, column 12, row (1-based)
      tmux.raw(`\x1b[<0;12;${row + 1}m`);
    };
    click();
    const s = tmux.waitFor(/^▸ 1 SMM 0 /m);
    assert.match(s, /AS 1 SMM \[/); // the map follows the chosen slot's address space
    click();
    tmux.waitFor(/offset into slot 0 \(AS 1 SMM\), 128 KiB/);
    tmux.key('Escape');
    tmux.waitFor(/ cancelled/);
    tmux.key('a'); // back to address space 0 for the next tests
    tmux.waitFor(/typed gpas are now in address space 0/);
  });

  it('translates an hva back through the memslots', () => {
    goTo(`hva ${m4k.hva}`);
    tmux.waitFor(new RegExp(`✓ gpa ${m4k.gpa} -> hva ${m4k.hva} -> hpa ${m4k.hpa}`));
  });

  it('keeps what was typed in the go-to box: ↑ brings it back', () => {
    tmux.key('g');
    tmux.waitFor(/go to gpa/);
    tmux.key('Up');
    tmux.waitFor(new RegExp(`go to gpa .*: hva ${m4k.hva}█`));
    tmux.key('Up');
    tmux.waitFor(/go to gpa .*: zzz█/);
    tmux.key('Escape');
    tmux.waitFor(/ cancelled/);
  });

  it('shows the hexdump of the translated page, with the marker string', () => {
    tmux.key('x');
    const s = tmux.waitFor(/hexdump of hpa/);
    assert.match(s, new RegExp(`hexdump of hpa ${m4k.hpa} \\(gpa ${m4k.gpa}\\)`));
    assert.match(s, new RegExp(`^>${h(m4k.hpa)}:  51 56 54 4f`, 'm'));
    assert.ok(s.includes(m4k.marker.slice(0, 16)), s);
  });

  it('switches to the SMM address space with a and translates there', () => {
    tmux.key('a');
    tmux.waitFor(/typed gpas are now in address space 1 \(SMM\)/);
    assert.match(tmux.screen(), /AS 1 SMM \[/);
    goTo(smm.gpa);
    tmux.waitFor(new RegExp(`-> hpa 0x${h(smm.hpa)}`));
    tmux.key('a');
    tmux.waitFor(/typed gpas are now in address space 0/);
  });

  it('finds the slot holding a gpa with / in the slot table, and a VM with / in the VM list', () => {
    focusPane('memslots of');
    tmux.key('/');
    tmux.waitFor(/find the slot holding gpa/);
    tmux.type('0x100201000');
    tmux.key('Enter');
    tmux.waitFor(new RegExp(`gpa 0x100201000 is in slot ${slot1.id} of address space 0`));
    tmux.key('BTab'); // Shift-Tab
    tmux.waitFor(/━━ ▶ VMs/);
    tmux.key('/');
    tmux.waitFor(/find VM \(pid, comm or struct kvm\)/);
    tmux.type('vmm');
    tmux.key('Enter');
    tmux.waitFor(/found VM 0x\S+ \(pid 120 qvtop-vmm\)/);
    tmux.key('/');
    tmux.type('nosuchvm');
    tmux.key('Enter');
    tmux.waitFor(/error: no VM has pid, comm or struct kvm "nosuchvm"/);
  });

  it('shows the keys on ? and closes the help on Esc', () => {
    tmux.key('?');
    const s = tmux.waitFor(/qemu-vtop tui: keys/);
    assert.match(s, /g {7}go to an address/);
    tmux.key('Escape');
    tmux.waitFor(/help closed/);
    assert.doesNotMatch(tmux.screen(), /qemu-vtop tui: keys/);
  });

  it('stays usable after resizes, and says when the terminal is too small', () => {
    tmux.resize(100, 30);
    let s = tmux.waitFor(/memslots of VM \S+ \(pid 120 qvtop-vmm\) ─{35}/); // rules drawn to the new width
    assert.ok(lines(s).every((l) => l.length <= 100));
    assert.match(lines(s)[28], /Tab:pane/);
    tmux.resize(50, 12);
    tmux.waitFor(/error: the terminal is 50x12; the TUI needs at\s+least 60x16 \(q quits\)/);
    tmux.resize(80, 24);
    s = tmux.waitFor(/memslots of[\s\S]*Tab:pane/);
    assert.match(s, /AS 0 \[0·+1\] 4 GiB/);
    goTo(m4k.gpa);
    tmux.waitFor(new RegExp(`-> hpa 0x${h(m4k.hpa)}`));
  });

  it('quits on q, gives the terminal back and leaves the load progress on the screen', () => {
    tmux.key('q');
    const r = tmux.waitForExit();
    assert.equal(r.status, 0);
    assert.equal(r.tty, 'isig icanon echo');
    const st = tmux.state();
    assert.equal(st.alternate, false);
    assert.equal(st.cursorVisible, true);
    assert.equal(st.mouse, false);
    assert.ok(!tmux.running('node'), 'the TUI process is gone');
    assert.doesNotMatch(r.screen, /memslots of/);
    // (tmux reflowed these lines when the window was 50 columns wide: compare them as words)
    assert.match(
      r.screen.replace(/\s+/g, ' '),
      /qemu-vtop tui: loading fixtures\/demo-6\.1\/vmcore\.kdump-zlib ✓ opening the dump \d+\.\d\d s ✓ reading symbols and BTF from the dump \d+\.\d\d s ✓ finding VMs .* \d+\.\d\d s ready in \d+\.\d\d s \[exited 0\]/,
    );
  });
});
