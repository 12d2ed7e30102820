// Every key of the TUI in one table: the dispatcher, the hint line and the help screen all read it, so
// what the screen promises is what the keys do.

export type PaneId = 'vms' | 'slots' | 'detail';

export type Action =
  | 'focus-next'
  | 'focus-prev'
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'top'
  | 'bottom'
  | 'select'
  | 'goto'
  | 'search'
  | 'search-next'
  | 'address-space'
  | 'view-translation'
  | 'view-vcpus'
  | 'view-hexdump'
  | 'view-whose'
  | 'zoom'
  | 'help'
  | 'quit'
  | 'interrupt';

export interface Binding {
  /** blessed key names (key.full): 'tab', 'S-tab', 'C-c', 'pagedown', 'j', '/', 'S-g' (G). */
  keys: string[];
  /** How the help and the hint line write the keys. */
  shown: string;
  action: Action;
  help: string;
  /** A word for the hint line (per pane when it differs); no hint: help screen only. */
  hint?: string | Partial<Record<PaneId, string>>;
  /** Lower shows first when the hint line is short of room. */
  priority?: number;
}

export const KEYMAP: readonly Binding[] = [
  { keys: ['tab'], shown: 'Tab', action: 'focus-next', help: 'next pane: VMs -> memslots -> detail', hint: 'pane', priority: 1 },
  { keys: ['S-tab'], shown: 'S-Tab', action: 'focus-prev', help: 'previous pane' },
  { keys: ['up', 'k'], shown: '↑/k', action: 'up', help: 'move up in the focused list (scroll the detail pane)' },
  { keys: ['down', 'j'], shown: '↓/j', action: 'down', help: 'move down (the slot table and the map follow the chosen VM)', hint: 'move', priority: 1 },
  { keys: ['pageup', 'C-b'], shown: 'PgUp', action: 'page-up', help: 'a page up' },
  { keys: ['pagedown', 'C-f'], shown: 'PgDn', action: 'page-down', help: 'a page down' },
  { keys: ['home'], shown: 'Home', action: 'top', help: 'first line' },
  { keys: ['end', 'S-g'], shown: 'End/G', action: 'bottom', help: 'last line' },
  {
    keys: ['enter'],
    shown: 'Enter',
    action: 'select',
    help: 'on a VM: show its memslots; on a slot: ask an offset into it and translate; on the detail pane: zoom',
    hint: { vms: 'open', slots: 'offset', detail: 'zoom' },
    priority: 1,
  },
  { keys: ['g'], shown: 'g', action: 'goto', help: 'go to an address: a gpa (0x100201000), "hva 0x7f..." or "s<as>:<slot>+<offset>"', hint: 'go-to', priority: 1 },
  { keys: ['/'], shown: '/', action: 'search', help: 'search the focused pane: VMs by pid, comm or struct kvm; slots by gpa or hva; detail text', hint: 'search', priority: 1 },
  { keys: ['n'], shown: 'n', action: 'search-next', help: 'next match of the last search' },
  { keys: ['a'], shown: 'a', action: 'address-space', help: 'switch the address space typed gpas are in (0, or 1 = SMM)', hint: 'AS', priority: 3 },
  { keys: ['t'], shown: 't', action: 'view-translation', help: 'detail pane: the translation (levels, flags, VMA, struct page)', hint: 'xlate', priority: 3 },
  { keys: ['v'], shown: 'v', action: 'view-vcpus', help: 'detail pane: the vCPUs (exit reason, registers)', hint: 'vCPUs', priority: 2 },
  { keys: ['x'], shown: 'x', action: 'view-hexdump', help: 'detail pane: hexdump of the page at the translated hpa', hint: 'hex', priority: 2 },
  { keys: ['w'], shown: 'w', action: 'view-whose', help: 'detail pane: whose is the translated hpa: every VM, address space, slot, gpa and hva that maps it (aliases, SMM)', hint: 'whose', priority: 3 },
  { keys: ['z'], shown: 'z', action: 'zoom', help: 'zoom the detail pane to the whole screen and back', hint: 'zoom', priority: 3 },
  { keys: ['?'], shown: '?', action: 'help', help: 'this help', hint: 'help', priority: 1 },
  { keys: ['q'], shown: 'q', action: 'quit', help: 'quit (the only key that leaves; errors never do)', hint: 'quit', priority: 0 },
  { keys: ['C-c'], shown: 'Ctrl-C', action: 'interrupt', help: 'quit at once (exit status 130)' },
];

const byKey = new Map<string, Action>(KEYMAP.flatMap((b) => b.keys.map((k) => [k, b.action] as [string, Action])));

/** The action of a key, by blessed's key.full (or the character typed, for '/' and '?'). */
export function actionOf(full: string | undefined, ch?: string): Action | undefined {
  return (full !== undefined ? byKey.get(full) : undefined) ?? (ch !== undefined ? byKey.get(ch) : undefined);
}

function hintWord(b: Binding, pane: PaneId): string | undefined {
  return typeof b.hint === 'string' || b.hint === undefined ? b.hint : b.hint[pane];
}

/** "↓/j:move Enter:open ..." for the focused pane, as many hints as fit `width` (most important first). */
export function hintLine(pane: PaneId, width: number): string {
  const items = KEYMAP.map((b, order) => ({ b, order, word: hintWord(b, pane) }))
    .filter((x): x is { b: Binding; order: number; word: string } => x.word !== undefined)
    .map((x) => ({ ...x, text: `${x.b.shown === '↓/j' ? '↑↓/jk' : x.b.shown}:${x.word}`, priority: x.b.priority ?? 9 }));
  const chosen = new Set<number>();
  let used = 0;
  for (const it of [...items].sort((a, b) => a.priority - b.priority || a.order - b.order)) {
    const need = it.text.length + (chosen.size ? 1 : 0);
    if (used + need > width) continue;
    chosen.add(it.order);
    used += need;
  }
  return items
    .filter((it) => chosen.has(it.order))
    .map((it) => it.text)
    .join(' ');
}

/** The help screen's text for a box `width` columns wide: every binding, then the input forms. */
export function helpText(width = 78): string {
  const w = Math.max(...KEYMAP.map((b) => b.shown.length)) + 4;
  const hang = (first: string, text: string): string[] => {
    const out: string[] = [];
    let line = first;
    for (const word of text.split(' ')) {
      if (line.length + 1 + word.length > width && line.trim().length > first.trim().length) {
        out.push(line);
        line = ' '.repeat(first.length) + word;
      } else line += (line.length === first.length ? '' : ' ') + word;
    }
    out.push(line);
    return out;
  };
  return [
    'qemu-vtop tui: keys',
    '',
    ...KEYMAP.flatMap((b) => hang(`  ${b.shown.padEnd(w - 2)}`, b.help)),
    '',
    'The go-to box (g) takes:',
    ...hang('  0x100201000         ', 'a guest-physical address, in the address space shown (a switches)'),
    ...hang('  hva 0x7f43860cb000  ', 'a host-virtual address of the VMM, found back through the memslots'),
    ...hang('  s0:1+0x2000         ', 'offset 0x2000 into slot 1 of address space 0 (s1+0x2000: the one shown)'),
    '',
    ...hang('', 'Errors (a gpa in no slot, an excluded page, bad input) are said in the status line and the session goes on; only q leaves. The mouse selects rows and scrolls where the terminal reports it.'),
    '',
    'Esc, Enter or ? closes this help.',
  ].join('\n');
}
