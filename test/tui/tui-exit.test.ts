// Every way out of the TUI gives the terminal back (main screen, cursor shown, mouse off, icanon/echo/isig
// on) with a status that says how it ended: q 0, Ctrl-C 130, SIGTERM 143, SIGHUP 129, an exception or a
// rejected promise 1 (printed after the terminal is back), a dump that does not load 2 (before any screen).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { Tmux } from '../helpers/tmux.js';

const DEMO = 'node bin/qemu-vtop tui fixtures/demo-6.1/vmcore.kdump-zlib';
const started: Tmux[] = [];
let n = 0;

function run(command: string): Tmux {
  const t = new Tmux(`qv-tui-exit-${process.pid}-${n++}`);
  started.push(t);
  t.start(command);
  return t;
}

/** The program ended with `status` and the terminal is as it was before it started. */
function assertRestored(t: Tmux, status: number): string {
  const r = t.waitForExit();
  assert.equal(r.status, status, r.screen);
  assert.equal(r.tty, 'isig icanon echo', 'terminal modes given back');
  const st = t.state();
  assert.equal(st.alternate, false, 'main screen back');
  assert.equal(st.cursorVisible, true, 'cursor shown');
  assert.equal(st.mouse, false, 'mouse reporting off');
  assert.ok(!t.running('node'), 'the process is gone');
  return r.screen;
}

after(() => {
  for (const t of started) t.kill();
});

describe('leaving the TUI (tmux)', () => {
  it('Ctrl-C quits with status 130', () => {
    const t = run(DEMO);
    t.waitFor(/qvtop-vmm[\s\S]*q:quit/);
    t.key('C-c');
    assertRestored(t, 130);
  });

  it('Ctrl-C quits from inside the go-to box too', () => {
    const t = run(DEMO);
    t.waitFor(/q:quit/);
    t.key('g');
    t.waitFor(/go to gpa/);
    t.type('0x20');
    t.key('C-c');
    assertRestored(t, 130);
  });

  it('q typed into the go-to box is text, not quit', () => {
    const t = run(DEMO);
    t.waitFor(/q:quit/);
    t.key('g');
    t.waitFor(/go to gpa/);
    t.type('q');
    t.key('Enter');
    t.waitFor(/error: "q" is not a gpa in hex/);
    assert.ok(t.running('node'));
    t.key('q');
    assertRestored(t, 0);
  });

  for (const [signal, status] of [
    ['TERM', 143],
    ['HUP', 129],
  ] as const) {
    it(`SIG${signal} ends it with status ${status}`, () => {
      const t = run(DEMO);
      t.waitFor(/q:quit/);
      const node = t.children().find((c) => c.comm === 'node');
      assert.ok(node, 'the TUI runs');
      process.kill(node.pid, `SIG${signal}`);
      assertRestored(t, status);
    });
  }

  it('an exception in a key handler restores the terminal, then prints the error, status 1', () => {
    const t = run('node dist/test/helpers/tui-throw.js');
    t.waitFor(/exit test ready/);
    assert.equal(t.state().alternate, true);
    t.key('b');
    const s = assertRestored(t, 1);
    assert.match(s, /qemu-vtop tui: internal error: Error: boom from a key handler\n\s+at /);
  });

  it('a rejected promise nobody awaited does the same', () => {
    const t = run('node dist/test/helpers/tui-throw.js');
    t.waitFor(/exit test ready/);
    t.key('r');
    const s = assertRestored(t, 1);
    assert.match(s, /qemu-vtop tui: internal error: Error: a promise nobody awaited/);
  });

  it('a dump that does not load is reported before any screen is drawn, status 2', () => {
    const t = run('node bin/qemu-vtop tui fixtures/demo-6.1/README.md');
    const s = assertRestored(t, 2);
    assert.match(s, /qemu-vtop tui: loading fixtures\/demo-6\.1\/README\.md\n {2}✗ opening the dump +\d+\.\d\d s\nqemu-vtop: /);
  });
});

describe('tui without a terminal', () => {
  it('refuses, says why and exits 2', () => {
    const r = spawnSync(process.execPath, ['bin/qemu-vtop', 'tui', 'fixtures/demo-6.1/vmcore.kdump-zlib'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /tui needs a terminal \(stdin and stdout must be a TTY\)/);
    assert.equal(r.stdout, '');
  });
});

describe('a VM that cannot be read (tmux)', () => {
  it('says why in the slot pane, the status line and the detail pane, and the session goes on', () => {
    const t = run('node dist/test/helpers/tui-broken-vm.js');
    let s = t.waitForWords(/error: the memslots of VM 0xffff888000001000 \(pid 4242 broken-vmm\) cannot be read: kvm->memslots\[0\] at 0xffff888000001488: physical page 0x1234000 was excluded/);
    assert.match(s, /▸ cannot be read: kvm->memslots\[0\]/);
    t.key('g');
    t.waitFor(/go to gpa/);
    t.type('0x1000');
    t.key('Enter');
    t.waitForWords(/error: kvm->memslots\[0\] at 0xffff888000001488: physical page 0x1234000 was excluded/);
    t.key('v');
    s = t.waitForWords(/✗ the vCPUs of VM 0xffff888000001000 cannot be read: vcpu_array is corrupt/);
    assert.match(s.replace(/\s+/g, ' '), /error: reading the vCPUs: the vCPUs of VM/);
    t.key('x');
    t.waitForWords(/nothing translated yet: press g and type a gpa, then x/);
    assert.ok(t.running('node'));
    t.key('q');
    assertRestored(t, 0);
  });
});
