// The TUI: panes for the VMs, the chosen VM's memslots (with a map of its guest-physical space) and a
// detail pane (translation, vCPUs, hexdump). Keys come from keymap.ts; answers from state.ts, which calls
// what the CLI calls. Every failure becomes a message in the status line and the session goes on; the
// terminal is given back on every way out (terminal.ts).
import { basename } from 'node:path';
import blessed from 'blessed';
import { hex, parseAddress } from '../io/hex.js';
import { formatBytes } from '../vtop/render-vms.js';
import { ADDRESS_FORMS } from './address-input.js';
import { type Action, actionOf, type PaneId } from './keymap.js';
import { computeLayout, type Layout } from './layout.js';
import { type DetailMode, DetailPane } from './panes/detail.js';
import { GpaMap } from './panes/gpa-map.js';
import { HelpOverlay } from './panes/help.js';
import { Prompt } from './panes/prompt.js';
import { StatusBar } from './panes/status.js';
import { tableWidth, TablePane } from './panes/table.js';
import { NO_TRANSLATION, translationLines } from './panes/translation-view.js';
import { vcpuLines } from './panes/vcpus-view.js';
import { SLOT_HEADER, slotLabel, type TuiState, VM_HEADER } from './state.js';
import { EXIT, openScreen, runOnScreen } from './terminal.js';

export interface TuiInfo {
  /** The dump file(s), the kernel release and the type source, for the title line. */
  dump: string;
  release?: string;
  types?: string;
}

interface Key {
  name?: string;
  full?: string;
  ctrl?: boolean;
  shift?: boolean;
}

const PANES: PaneId[] = ['vms', 'slots', 'detail'];

class App {
  private readonly titleBox: blessed.Widgets.BoxElement;
  private readonly vms: TablePane;
  private readonly slots: TablePane;
  private readonly map: GpaMap;
  private readonly detail: DetailPane;
  private readonly bar: StatusBar;
  private readonly prompt: Prompt;
  private readonly help: HelpOverlay;
  private focused: PaneId = 'vms';
  private zoomed = false;
  private layout?: Layout;
  private lastSearch?: { pane: PaneId; text: string; at: number };
  private readonly history: string[] = [];
  private inLayout = false;

  constructor(
    private readonly screen: blessed.Widgets.Screen,
    private readonly state: TuiState,
    private readonly info: TuiInfo,
    private readonly done: (code: number) => void,
  ) {
    this.titleBox = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: 1, tags: false, style: { fg: 'black', bg: 'cyan', bold: true } });
    this.vms = new TablePane(screen, 'VMs');
    this.map = new GpaMap(screen);
    this.slots = new TablePane(screen, 'memslots');
    this.detail = new DetailPane(screen);
    this.bar = new StatusBar(screen);
    this.prompt = new Prompt(screen);
    this.help = new HelpOverlay(screen);
  }

  get width(): number {
    return this.screen.width as number;
  }

  start(): void {
    this.vms.onMove = (i) => this.safely('choosing the VM', () => this.chooseVm(i));
    this.vms.onChoose = () => this.focus('slots');
    this.slots.onMove = (i) => this.safely('choosing the slot', () => this.onSlotMove(i));
    this.slots.onChoose = (i) => this.safely('choosing the slot', () => this.askSlotOffset(i));
    this.vms.list.on('focus', () => this.focused !== 'vms' && this.focus('vms'));
    this.slots.list.on('focus', () => this.focused !== 'slots' && this.focus('slots'));
    this.detail.box.on('focus', () => this.focused !== 'detail' && this.focus('detail'));
    this.screen.on('keypress', (ch: string | undefined, key: Key) => this.safely('that key', () => this.onKey(ch, key)));
    this.screen.on('resize', () =>
      this.safely('resizing', () => {
        this.showVm(this.slots.selected);
        this.relayout();
      }),
    );
    this.bar.onLines = () => !this.inLayout && this.layout && this.relayout();

    this.vms.setRows(VM_HEADER, this.state.vmRows());
    this.vms.setTitle(`VMs (${this.state.vms.length})`);
    this.showVm();
    this.relayout();
    this.focus('vms');
    if (!this.state.vms.length) {
      this.bar.say(`no VM found in this dump${this.state.notes.length ? ': ' + this.state.notes.join('; ') : ''}`, true);
    } else if (!this.bar.isError) {
      this.bar.say(`${this.state.vms.length} VM${this.state.vms.length === 1 ? '' : 's'}${this.state.notes.length ? ` (${this.state.notes.join('; ')})` : ''}. Choose one with ↑↓ and Enter; g translates an address; ? help`);
    }
    this.screen.render();
  }

  // ---- drawing -------------------------------------------------------------------------------------

  private drawTitle(): void {
    const parts = ['qemu-vtop', basename(this.info.dump), this.info.release, this.info.types ? `types: ${this.info.types}` : undefined].filter(Boolean);
    const right = '? help  q quit ';
    const left = ' ' + parts.join(' │ ');
    const w = this.width;
    this.titleBox.setContent(left.length + right.length + 1 <= w ? left + ' '.repeat(w - left.length - right.length) + right : left.slice(0, w));
  }

  private relayout(): void {
    this.inLayout = true;
    try {
      // The status line's height depends on the width, and the layout on it: settle in a pass or two.
      for (let pass = 0; pass < 3; pass++) {
        const lines = this.bar.lines;
        this.placeAll();
        if (this.bar.lines === lines) break;
      }
    } finally {
      this.inLayout = false;
    }
    const l = this.layout!;
    if (l.tooSmall) this.bar.say(l.tooSmall, true);
    // A hidden pane cannot keep the focus.
    if (l.vms.height === 0 && this.focused !== 'detail' && !l.tooSmall) this.focus('detail');
    this.screen.render();
  }

  private placeAll(): void {
    const l = computeLayout(this.screen.height as number, this.width, this.state.vms.length, this.slots.rowCount, this.zoomed, this.bar.lines);
    this.layout = l;
    this.drawTitle();
    this.vms.place(l.vmsRule, l.vms, this.width);
    this.map.place(l.map);
    this.slots.place(l.slotsRule, l.slots, this.width);
    this.detail.place(l.detailRule, l.detail, this.width);
    this.bar.place(l.hints, l.status, this.width);
    this.prompt.place(l.hints);
    this.help.place({ top: 1, height: l.hints.top - 1 });
    this.drawMap();
    this.redrawDetail(true);
  }

  private drawMap(): void {
    const row = this.state.vm ? this.slotRowsSafe()[this.slots.selected] : undefined;
    let space;
    try {
      space = this.state.space();
    } catch {
      // unreadable memslots: the slot pane and the status line say why; the map stays empty
    }
    this.map.set(space, this.width, row?.slot.asId === this.state.asId ? row.slot : undefined);
  }

  private slotRowsSafe() {
    try {
      return this.state.slotRows();
    } catch {
      return [];
    }
  }

  /** The chosen VM's memslots (or why they cannot be read). */
  private showVm(keepRow = 0): void {
    const v = this.state.vm;
    this.slots.setTitle(v ? `memslots of ${this.state.vmLabel()}` : 'memslots');
    try {
      const rows = this.state.slotRows();
      const full = rows.map((r) => r.cells);
      this.slots.setRows(SLOT_HEADER, tableWidth(SLOT_HEADER, full) <= this.width ? full : rows.map((r) => r.compact), keepRow);
    } catch (e) {
      this.slots.setRows(['memslots'], [[`cannot be read: ${(e as Error).message}`]]);
      this.bar.say(`the memslots of ${this.state.vmLabel()} cannot be read: ${(e as Error).message}`, true);
    }
    this.drawMap();
  }

  private setDetail(mode: DetailMode): void {
    this.detail.mode = mode;
    this.redrawDetail(false);
  }

  /** Fills the detail pane for its mode from the state (keepScroll: a resize, not a new answer). */
  private redrawDetail(keepScroll: boolean): void {
    const at = keepScroll ? this.detail.scrollLine : 0;
    const st = this.state;
    const w = this.width;
    switch (this.detail.mode) {
      case 'translation': {
        const t = st.last;
        const g = st.lastGuest;
        const title = g ? `translation of gva ${hex(g.gva)} (CR3 ${hex(g.cr3)}) — ${st.vmLabel()}` : t ? `translation of gpa ${hex(t.gpa)} (AS ${t.asId}) — ${st.vmLabel()}` : `translation — ${st.vmLabel()}`;
        // A typed gva: the guest breakdown first, then the host block of its gpa (as the CLI prints them).
        const lines = [...st.guestLines(), ...(t ? translationLines(t) : g ? [] : NO_TRANSLATION)];
        this.detail.show('translation', title, lines);
        break;
      }
      case 'vcpus': {
        let lines: string[];
        try {
          lines = vcpuLines(st.vcpus(), w);
        } catch (e) {
          lines = [`✗ ${(e as Error).message}`];
        }
        this.detail.show('vcpus', `vCPUs — ${st.vmLabel()}`, lines);
        break;
      }
      case 'whose': {
        let h: { title: string; lines: string[]; message?: string };
        try {
          h = st.whose();
        } catch (e) {
          h = { title: 'whose', lines: [], message: (e as Error).message };
        }
        this.detail.show('whose', h.title, h.message ? [`✗ ${h.message}`] : h.lines);
        break;
      }
      case 'hexdump': {
        const h = st.hexdump(w);
        this.detail.show('hexdump', h.title, h.message ? [`✗ ${h.message}`] : h.lines);
        if (!keepScroll && h.markLine !== undefined) this.detail.scrollToLine(h.markLine);
        break;
      }
    }
    if (keepScroll) this.detail.box.setScroll(at);
  }

  // ---- focus and keys ------------------------------------------------------------------------------

  private focus(p: PaneId): void {
    if (this.zoomed && p !== 'detail') {
      this.zoomed = false;
      this.focused = p;
      this.relayout();
    }
    this.focused = p;
    (p === 'vms' ? this.vms : p === 'slots' ? this.slots : this.detail).focus();
    this.bar.setPane(p);
    this.screen.render();
  }

  private onKey(ch: string | undefined, key: Key): void {
    if (key.name === 'return') return; // blessed sends \r twice: as 'return' and as 'enter'
    const name = key.name === 'linefeed' ? 'enter' : key.name;
    const full = key.full === 'linefeed' ? 'enter' : key.full;
    if (this.prompt.open) {
      if (full === 'C-c') return this.done(EXIT.SIGINT);
      const r = this.prompt.key(ch, name, !!key.ctrl);
      if (r === 'cancelled') this.bar.say('cancelled');
      this.screen.render();
      return;
    }
    const action = actionOf(full, ch);
    if (this.help.open) {
      if (action === 'quit' || action === 'interrupt') return this.act(action);
      if (action === 'up' || action === 'down') this.help.scroll(action === 'up' ? -1 : 1);
      else if (action === 'page-up' || action === 'page-down') this.help.scroll(action === 'page-up' ? -10 : 10);
      else if (name === 'escape' || action === 'help' || action === 'select') {
        this.help.hide();
        this.bar.say('help closed');
      }
      this.screen.render();
      return;
    }
    if (action) this.act(action);
    this.screen.render();
  }

  private act(a: Action): void {
    const list = this.focused === 'vms' ? this.vms : this.focused === 'slots' ? this.slots : undefined;
    switch (a) {
      case 'quit':
        return this.done(EXIT.quit);
      case 'interrupt':
        return this.done(EXIT.SIGINT);
      case 'focus-next':
      case 'focus-prev': {
        const visible = this.zoomed ? ['detail' as PaneId] : PANES;
        const i = visible.indexOf(this.focused);
        const n = visible.length;
        return this.focus(visible[(i + (a === 'focus-next' ? 1 : n - 1)) % n]);
      }
      case 'up':
      case 'down':
        return list ? list.move(a === 'up' ? -1 : 1) : this.detail.scroll(a === 'up' ? -1 : 1);
      case 'page-up':
      case 'page-down': {
        const sign = a === 'page-up' ? -1 : 1;
        return list ? list.move(sign * list.pageRows()) : this.detail.scroll(sign * this.detail.page());
      }
      case 'top':
        return list ? list.select(0) : this.detail.top();
      case 'bottom':
        return list ? list.select(list.rowCount - 1) : this.detail.bottom();
      case 'select':
        if (this.focused === 'vms') return this.focus('slots');
        if (this.focused === 'slots') return this.askSlotOffset(this.slots.selected);
        return this.toggleZoom();
      case 'goto':
        return this.askGoto();
      case 'search':
        return this.askSearch();
      case 'search-next':
        return this.searchNext();
      case 'address-space':
        return this.switchAddressSpace();
      case 'view-translation': {
        this.setDetail('translation');
        const t = this.state.last;
        return this.bar.say(t ? `translation of gpa ${hex(t.gpa)}: levels, PTE flags, VMA and struct page (z zooms)` : 'nothing translated yet: press g and type a gpa');
      }
      case 'view-vcpus': {
        this.setDetail('vcpus');
        return this.safely('reading the vCPUs', () => {
          const v = this.state.vcpus();
          this.bar.say(`${v.length} vCPU${v.length === 1 ? '' : 's'}: ${v.map((c) => `${c.vcpuId} ${c.runInfo?.exitReason.name ?? '?'}`).join(', ')} (exit reasons; z zooms)`);
        });
      }
      case 'view-hexdump': {
        this.setDetail('hexdump');
        const t = this.state.last;
        const h = this.state.hexdump(this.width);
        if (h.message) return this.bar.say(h.message, t?.hpa !== undefined);
        return this.bar.say(`page at hpa ${hex(t!.hpa! & ~0xfffn)}; the line of hpa ${hex(t!.hpa!)} starts with '>'`);
      }
      case 'view-whose': {
        this.setDetail('whose');
        return this.safely('finding the owners', () => {
          const h = this.state.whose();
          if (h.message) return this.bar.say(h.message, this.state.last?.hpa !== undefined);
          const n = h.lines.filter((l) => /^ {2}[0-9a-f]+ /.test(l)).length;
          this.bar.say(`${h.title}: ${n || 'no'} owner${n === 1 ? '' : 's'} (z zooms)`);
        });
      }
      case 'zoom':
        return this.toggleZoom();
      case 'help':
        this.help.show(this.width);
        return this.bar.say('help: ↑↓ scroll; Esc, Enter or ? closes it; q quits');
    }
  }

  private toggleZoom(): void {
    this.zoomed = !this.zoomed;
    if (this.zoomed) this.focused = 'detail';
    this.relayout();
    this.focus(this.focused);
  }

  // ---- what the keys do ----------------------------------------------------------------------------

  private chooseVm(i: number): void {
    if (!this.state.selectVm(i)) return;
    this.showVm();
    this.relayout();
    this.redrawDetail(false);
    this.bar.say(`${this.state.vmLabel()}: ${this.slots.rowCount} memslots. Enter on a slot or g to translate`);
  }

  private onSlotMove(i: number): void {
    const row = this.slotRowsSafe()[i];
    if (row && row.slot.asId !== this.state.asId) this.state.asId = row.slot.asId;
    this.drawMap();
  }

  private askSlotOffset(i: number): void {
    const row = this.slotRowsSafe()[i];
    if (!row) return;
    const m = row.slot;
    const size = m.npages << 12n;
    this.prompt.ask({
      label: `offset into ${slotLabel(m)}, ${formatBytes(size)} (Enter: 0)`,
      allowEmpty: true,
      done: (v) => this.safely('translating', () => {
        const off = v ? parseAddress(v) : 0n;
        this.translate(`s${m.asId}:${m.id}+${hex(off)}`);
      }),
    });
    this.bar.say(`type a hex offset below ${hex(size)}; Enter translates it, Esc cancels`);
  }

  private askGoto(): void {
    const as = this.state.asId;
    this.prompt.ask({ label: `go to gpa (AS ${as}${as === 1 ? ' SMM' : ''}), hva/gva ADDR or s<as>:<slot>+OFF`, history: this.history, done: (v) => this.translate(v) });
    this.bar.say(`type ${ADDRESS_FORMS}; Enter goes, Esc cancels, ↑ earlier ones`);
  }

  /** Translates typed input, shows the breakdown, points the slot table at the slot, says the result. */
  private translate(input: string): void {
    const r = this.state.translate(input);
    const t = r.translation;
    if (t) {
      const row = this.state.slotRowOf(t.gpa, t.asId);
      if (row >= 0) this.slots.select(row);
      this.drawMap();
      this.setDetail(this.detail.mode === 'hexdump' && t.hpa !== undefined ? 'hexdump' : 'translation');
    } else {
      // Nothing to show but the reason: keep what the pane had, say why in the status line.
      if (this.detail.mode !== 'translation') this.setDetail('translation');
    }
    this.bar.say(r.status, !r.ok);
  }

  private switchAddressSpace(): void {
    const ids = this.state.spaces().map((s) => s.asId);
    if (ids.length < 2) {
      this.bar.say(`${this.state.vmLabel()} has only address space ${ids[0] ?? 0}`);
      return;
    }
    this.state.asId = ids[(ids.indexOf(this.state.asId) + 1) % ids.length];
    const first = this.slotRowsSafe().findIndex((r) => r.slot.asId === this.state.asId);
    if (first >= 0) this.slots.select(first);
    this.drawMap();
    this.bar.say(`typed gpas are now in address space ${this.state.asId}${this.state.asId === 1 ? ' (SMM)' : ''}`);
  }

  private askSearch(): void {
    const p = this.focused;
    const label = p === 'vms' ? 'find VM (pid, comm or struct kvm)' : p === 'slots' ? 'find the slot holding gpa (or hva ADDR)' : `find text in the ${this.detail.mode}`;
    this.prompt.ask({ label, done: (v) => this.safely('searching', () => this.search(p, v, -1)) });
  }

  private searchNext(): void {
    const s = this.lastSearch;
    if (!s) return this.bar.say('nothing searched yet: press / first');
    this.search(s.pane, s.text, s.at);
  }

  private search(p: PaneId, text: string, from: number): void {
    if (p === 'vms') {
      const i = this.state.findVm(text, from);
      this.lastSearch = { pane: p, text, at: i };
      if (i < 0) return this.bar.say(`no VM has pid, comm or struct kvm "${text}"`, true);
      this.vms.select(i);
      this.bar.say(`found ${this.state.vmLabel()}`);
    } else if (p === 'slots') {
      const r = this.state.findSlotRow(text);
      this.lastSearch = { pane: p, text, at: r.row };
      this.slots.select(r.row);
      this.bar.say(r.message);
    } else {
      const i = this.detail.find(text, from);
      this.lastSearch = { pane: p, text, at: i };
      if (i < 0) return this.bar.say(`"${text}" is not in the ${this.detail.mode}`, true);
      this.detail.scrollToLine(i);
      this.bar.say(`"${text}" found on line ${i + 1} (n: next)`);
    }
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.bar.say(`${what}: ${(e as Error).message}`, true);
    }
    this.screen.render();
  }
}

/** Runs the TUI until q (0), Ctrl-C (130) or a signal; resolves with the exit status, terminal restored. */
export function runTui(state: TuiState, info: TuiInfo): Promise<number> {
  const screen = openScreen({ title: 'qemu-vtop' });
  return runOnScreen(screen, (done) => new App(screen, state, info, done).start());
}
