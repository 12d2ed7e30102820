// The terminal UI (blessed): panes for VMs, memslots (with a map of the guest-physical space) and a
// detail pane (translation breakdown, vCPUs, hexdump). Keyboard first; every failure becomes a message
// in the status line and the session goes on; the terminal is restored on every way out.
import blessed from 'blessed';
import { hex } from '../io/hex.js';
import { gpaMap, type TuiModel } from './model.js';

type DetailMode = 'translation' | 'vcpus' | 'hexdump' | 'help';

const HINTS = 'Tab pane  ↑↓/jk move  Enter select  g go-to gpa  / find slot  v vCPUs  x hexdump  t translation  z zoom  ? help  q quit';

const HELP = `qemu-vtop TUI

  Tab / S-Tab   move between the VM list, the memslot table and the detail pane
  ↑ ↓ / j k     move in a list; PgUp/PgDn scroll the detail pane
  Enter         on a VM: show its memslots; on a slot: translate its first page (edit the offset with g)
  g             go to an address: a gpa (0x2000), "hva 0x7f..." or "s<as>:<slot>+<offset>"
  a             switch the address space used for gpas (0, or 1 = SMM)
  /             find the slot that holds a gpa
  v  x  t       detail pane: vCPUs (exit reason, registers), hexdump of the translated page, translation
  z             zoom the detail pane to the whole screen and back
  ?             this help;  q or Ctrl-C  quit`;

export function runTui(model: TuiModel, title: string): Promise<void> {
  const screen = blessed.screen({ smartCSR: true, title: 'qemu-vtop', fullUnicode: true, autoPadding: true });
  let asId = 0;
  let mode: DetailMode = 'translation';
  let zoomed = false;
  let lastTranslationText = 'No translation yet: press g and type a gpa.';

  const restore = () => {
    try {
      screen.destroy();
    } catch {
      /* already gone */
    }
  };
  const header = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: 1, content: ` qemu-vtop  ${title}`, style: { fg: 'black', bg: 'cyan' } });
  const vmList = blessed.listtable({
    parent: screen, top: 1, left: 0, width: '100%', height: 5, border: 'line', label: ' VMs ', keys: true, vi: true, mouse: true,
    align: 'left', noCellBorders: true, style: { header: { bold: true }, cell: { selected: { bg: 'blue' } }, border: { fg: 'white' } },
  });
  const map = blessed.box({ parent: screen, top: 6, left: 0, width: '100%', height: 1 });
  const slots = blessed.listtable({
    parent: screen, top: 7, left: 0, width: '100%', height: 7, border: 'line', label: ' memslots ', keys: true, vi: true, mouse: true,
    align: 'left', noCellBorders: true, style: { header: { bold: true }, cell: { selected: { bg: 'blue' } }, border: { fg: 'white' } },
  });
  const detail = blessed.box({
    parent: screen, top: 14, left: 0, width: '100%', bottom: 2, border: 'line', label: ' translation ', scrollable: true, alwaysScroll: true,
    keys: true, vi: true, mouse: true, scrollbar: { ch: ' ', style: { bg: 'white' } }, style: { border: { fg: 'white' } }, tags: false,
  });
  // A one-line editor of our own: blessed's textbox loses its first input when opened from a key handler.
  const prompt = blessed.box({ parent: screen, bottom: 1, left: 0, width: '100%', height: 1, style: { fg: 'white', bg: 'black' } });
  let input: { label: string; value: string; done: (v: string) => void } | undefined;
  const status = blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: 1, content: HINTS, style: { fg: 'black', bg: 'white' } });
  const panes = [vmList, slots, detail];
  let focusIndex = 0;

  const say = (msg: string, isError = false) => {
    status.style.bg = isError ? 'red' : 'white';
    status.style.fg = isError ? 'white' : 'black';
    status.setContent(msg.replace(/\s+/g, ' '));
    screen.render();
  };
  const safely = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      say(`${what}: ${(e as Error).message}`, true);
    }
  };

  const showDetail = () => {
    const label: Record<DetailMode, string> = { translation: ' translation ', vcpus: ' vCPUs ', hexdump: ' hexdump of the translated page ', help: ' help ' };
    detail.setLabel(label[mode]);
    if (mode === 'translation') detail.setContent(lastTranslationText);
    else if (mode === 'vcpus') detail.setContent(model.vcpuText());
    else if (mode === 'hexdump') detail.setContent(model.hexdump());
    else detail.setContent(HELP);
    detail.setScroll(0);
    screen.render();
  };

  const layout = () => {
    const hidden = zoomed;
    for (const w of [vmList, map, slots]) (hidden ? w.hide() : w.show());
    detail.top = zoomed ? 1 : 14;
    screen.render();
  };

  const showVm = () => {
    safely('reading the VM', () => {
      const rows = model.slotRows();
      slots.setData([['AS', 'ID', 'GPA RANGE', 'HVA RANGE', 'SIZE', 'FLAGS'], ...rows.map((r) => r.cells)]);
      const sp = model.spaces().find((s) => s.asId === asId);
      const width = Math.max(10, (screen.width as number) - 22);
      map.setContent(` AS ${asId} gpa map [${gpaMap(sp, width)}]`);
      const v = model.vm;
      say(v ? `VM ${hex(v.addr)} (pid ${v.owners[0]?.pid ?? '?'} ${v.owners[0]?.comm ?? ''}): ${rows.length} slots. ${HINTS}` : 'no VM in this dump');
      if (mode === 'vcpus') showDetail();
    });
  };

  const translate = (input: string) => {
    const r = model.translate(input, asId);
    if (r.text) lastTranslationText = r.text;
    else lastTranslationText = `${input}: ${r.status}`;
    mode = 'translation';
    showDetail();
    say(r.status, !r.ok);
  };

  const drawPrompt = () => {
    prompt.setContent(input ? `${input.label}: ${input.value}_` : '');
    screen.render();
  };
  const close = () => {
    input = undefined;
    screen.lockKeys = false;
    drawPrompt();
  };
  const ask = (label: string, initial: string, done: (v: string) => void) => {
    // Opened on the next tick so the key that asked for it is not typed into it; while it is open the
    // screen's keys are locked and every key comes here.
    setImmediate(() => {
      input = { label, value: initial, done };
      screen.lockKeys = true;
      status.setContent('Enter to go, Esc to cancel');
      drawPrompt();
    });
  };
  screen.program.on('keypress', (ch: string | undefined, key: { name?: string; ctrl?: boolean }) => {
    if (!input) return;
    const cur = input;
    if (key.name === 'enter' || key.name === 'return') {
      close();
      if (cur.value.trim()) safely('input', () => cur.done(cur.value.trim()));
      else say(HINTS);
    } else if (key.name === 'escape') {
      close();
      say(HINTS);
    } else if (key.name === 'backspace') {
      cur.value = cur.value.slice(0, -1);
      drawPrompt();
    } else if (ch && !key.ctrl && ch >= ' ' && ch <= '~') {
      cur.value += ch;
      drawPrompt();
    }
  });
  /** Screen keys act only when no prompt is open (the prompt takes every key). */
  const onKey = (keys: string[], fn: () => void) => screen.key(keys, () => {
    if (!input) fn();
  });

  vmList.setData([['PID', 'COMM', 'STRUCT KVM', 'VCPUS', 'MEMORY'], ...model.vmRows()]);
  vmList.on('select', (_el: unknown, index: number) => {
    if (index < 1) return;
    model.selected = index - 1;
    showVm();
    focusIndex = 1;
    slots.focus();
  });
  slots.on('select', (_el: unknown, index: number) => {
    const row = model.slotRows()[index - 1];
    if (!row) return;
    asId = row.slot.asId;
    translate(`s${row.slot.asId}:${row.slot.id}+0`);
  });

  onKey(['tab'], () => {
    focusIndex = (focusIndex + 1) % panes.length;
    panes[focusIndex].focus();
    screen.render();
  });
  onKey(['S-tab'], () => {
    focusIndex = (focusIndex + panes.length - 1) % panes.length;
    panes[focusIndex].focus();
    screen.render();
  });
  onKey(['g'], () => ask(`go to (AS ${asId}): gpa, "hva ADDR" or "s<as>:<slot>+<offset>"`, '', translate));
  onKey(['/'], () =>
    ask('find the slot holding gpa', '', (v) => {
      const q = model.parse(v, asId);
      const idx = model.slotRowOf(q.gpa, q.asId);
      if (idx < 0) say(`gpa ${hex(q.gpa)} is in no memslot of address space ${q.asId}`, true);
      else {
        slots.select(idx + 1);
        focusIndex = 1;
        slots.focus();
        say(`gpa ${hex(q.gpa)} is in slot ${model.slotRows()[idx].slot.id}`);
      }
    }),
  );
  onKey(['a'], () => {
    asId = asId === 0 ? 1 : 0;
    showVm();
  });
  onKey(['v'], () => safely('vCPUs', () => ((mode = 'vcpus'), showDetail())));
  onKey(['x'], () => safely('hexdump', () => ((mode = 'hexdump'), showDetail())));
  onKey(['t'], () => ((mode = 'translation'), showDetail()));
  onKey(['?'], () => ((mode = 'help'), showDetail()));
  onKey(['z'], () => ((zoomed = !zoomed), layout()));
  screen.on('resize', () => {
    showVm();
    layout();
  });

  return new Promise<void>((resolvePromise) => {
    const quit = () => {
      restore();
      resolvePromise();
    };
    onKey(['q'], quit);
    screen.key(['C-c'], quit);
    (screen as unknown as { ignoreLocked: string[] }).ignoreLocked = ['C-c']; // @types/blessed has it as a boolean
    process.once('SIGTERM', quit);
    process.once('SIGHUP', quit);
    // Whatever goes wrong, the terminal is given back before the error is printed.
    process.once('uncaughtException', (e) => {
      restore();
      process.stderr.write(`qemu-vtop tui: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    });
    if (model.vms.length) showVm();
    else say(`no VM found in this dump${model.notes.length ? ': ' + model.notes.join('; ') : ''}`, true);
    showDetail();
    vmList.focus();
    vmList.select(1);
    screen.render();
    void header;
  });
}
