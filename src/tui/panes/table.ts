// A titled table pane: a rule with the title, a header line and a blessed list of rows (the core `list`
// widget: ListTable resizes itself in ways a fixed layout cannot live with). The chosen row carries a '▸'
// so it shows in any terminal, colour or not.
import blessed from 'blessed';
import { type Rect } from '../layout.js';
import { Rule } from './rule.js';

/** Columns a table needs (marker, cells, one space between). */
export function tableWidth(header: string[], rows: string[][]): number {
  return 2 + header.reduce((sum, h, i) => sum + Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)), 0) + header.length - 1;
}

/** Pads columns to their widest cell; a line never exceeds `width` (the last column is cut first). */
export function formatTable(header: string[], rows: string[][], width: number): { header: string; lines: string[] } {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], mark: string) =>
    (mark + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join(' ')).slice(0, Math.max(0, width));
  return { header: line(header, '  '), lines: rows.map((r) => line(r, '  ')) };
}

export class TablePane {
  readonly rule: Rule;
  readonly head: blessed.Widgets.BoxElement;
  readonly list: blessed.Widgets.ListElement;
  private header: string[] = [];
  private rows: string[][] = [];
  private lines: string[] = [];
  private width = 80;
  /** Set while rows are replaced: blessed moves the selection around then, nobody asked for it. */
  private silent = false;
  /** Called when the chosen row changes (keys, mouse or code). */
  onMove: (index: number) => void = () => {};
  /** Enter, or a click on the chosen row. */
  onChoose: (index: number) => void = () => {};

  constructor(
    readonly screen: blessed.Widgets.Screen,
    title: string,
  ) {
    this.rule = new Rule(screen, title);
    this.head = blessed.box({ parent: screen, left: 0, width: '100%', height: 1, style: { bold: true } });
    this.list = blessed.list({
      parent: screen,
      left: 0,
      width: '100%',
      keys: false,
      mouse: true,
      tags: false,
      style: { selected: { bg: 'blue', fg: 'white', bold: true }, item: {} },
    });
    this.list.on('select item', (_el: unknown, i: number) => {
      this.mark(i);
      if (!this.silent) this.onMove(i);
    });
    this.list.on('select', (_el: unknown, i: number) => this.onChoose(i));
    this.list.on('focus', () => this.rule.setFocused(true));
    this.list.on('blur', () => this.rule.setFocused(false));
  }

  get selected(): number {
    return (this.list as unknown as { selected: number }).selected ?? 0;
  }

  get rowCount(): number {
    return this.rows.length;
  }

  setTitle(title: string): void {
    this.rule.setTitle(title);
  }

  setRows(header: string[], rows: string[][], keep = 0): void {
    this.header = header;
    this.rows = rows;
    this.redraw(keep);
  }

  /** Lays the pane out: rule at rule.top, header and rows in `body`. */
  place(rule: Rect, body: Rect, width: number): void {
    this.width = width;
    this.rule.place(rule, width);
    const hidden = body.height <= 0;
    for (const w of [this.head, this.list]) (hidden ? w.hide() : w.show());
    if (hidden) return;
    this.head.top = body.top;
    this.list.top = body.top + 1;
    this.list.height = Math.max(1, body.height - 1);
    this.redraw(this.selected);
  }

  private redraw(keep: number): void {
    const t = formatTable(this.header, this.rows, this.width);
    this.head.setContent(t.header);
    this.lines = t.lines;
    const sel = Math.max(0, Math.min(keep, this.lines.length - 1));
    this.silent = true;
    try {
      this.list.setItems(this.lines as unknown as blessed.Widgets.BlessedElement[]);
      this.list.select(sel);
      this.mark(sel);
    } finally {
      this.silent = false;
    }
  }

  private mark(i: number): void {
    // blessed selects row 0 of the old items while setItems replaces them: only mark rows that exist.
    const n = Math.min(this.lines.length, (this.list as unknown as { items: unknown[] }).items.length);
    for (let j = 0; j < n; j++) this.list.setItem(j as unknown as blessed.Widgets.BlessedElement, j === i ? '▸' + this.lines[j].slice(1) : this.lines[j]);
  }

  select(i: number): void {
    if (i >= 0 && i < this.lines.length) this.list.select(i);
  }

  move(delta: number): void {
    if (!this.lines.length) return;
    this.select(Math.max(0, Math.min(this.lines.length - 1, this.selected + delta)));
  }

  /** Rows of the list (for page up/down). */
  pageRows(): number {
    return Math.max(1, (this.list.height as number) - 1);
  }

  focus(): void {
    this.list.focus();
  }

  show(): void {
    this.rule.box.show();
    this.head.show();
    this.list.show();
  }

  hide(): void {
    this.rule.box.hide();
    this.head.hide();
    this.list.hide();
  }
}
