// A one-line proportional map of one address space's guest-physical range: each cell is width/end of it;
// a digit is the (last digit of the) id of the one slot in the cell, '+' several slots, '·' a hole.
import blessed from 'blessed';
import { type AddressSpace, type Memslot } from '../../kvm/memslots.js';
import { formatBytes } from '../../vtop/render-vms.js';
import { type Rect } from '../layout.js';

export interface GpaMapLine {
  /** The plain line: `AS 0 [0·····1] 4.01 GiB`. */
  text: string;
  /** Columns (in text) of the selected slot's cells, for highlighting. */
  highlight?: [number, number];
}

export function gpaMapLine(space: AddressSpace | undefined, width: number, selected?: Memslot): GpaMapLine {
  const label = space ? `AS ${space.asId}${space.asId === 1 ? ' SMM' : ''} ` : 'AS - ';
  if (!space || !space.slots.length) return { text: `${label}(no memslots)` };
  const endGfn = space.slots.reduce((m, s) => (s.baseGfn + s.npages > m ? s.baseGfn + s.npages : m), 0n);
  const tail = ` ${formatBytes(endGfn << 12n)}`;
  const w = width - label.length - 2 - tail.length;
  if (w < 8) return { text: label.trimEnd() };
  const W = BigInt(w);
  const count = new Array<number>(w).fill(0);
  const mark = new Array<string>(w).fill('·');
  let highlight: [number, number] | undefined;
  for (const s of space.slots) {
    const a = Number((s.baseGfn * W) / endGfn);
    const b = Math.min(w, Math.max(a + 1, Number(((s.baseGfn + s.npages) * W + endGfn - 1n) / endGfn)));
    for (let i = a; i < b; i++) {
      count[i]++;
      mark[i] = count[i] > 1 ? '+' : String(s.id % 10);
    }
    if (selected && s.id === selected.id && s.asId === selected.asId) highlight = [label.length + 1 + a, label.length + 1 + b];
  }
  return { text: `${label}[${mark.join('')}]${tail}`, highlight };
}

export class GpaMap {
  readonly box: blessed.Widgets.BoxElement;
  private line: GpaMapLine = { text: '' };

  constructor(screen: blessed.Widgets.Screen) {
    this.box = blessed.box({ parent: screen, left: 0, width: '100%', height: 1, tags: true });
  }

  set(space: AddressSpace | undefined, width: number, selected?: Memslot): void {
    this.line = gpaMapLine(space, width, selected);
    const { text, highlight } = this.line;
    const esc = (s: string) => blessed.escape(s);
    this.box.setContent(highlight ? `${esc(text.slice(0, highlight[0]))}{inverse}${esc(text.slice(...highlight))}{/inverse}${esc(text.slice(highlight[1]))}` : esc(text));
  }

  get text(): string {
    return this.line.text;
  }

  place(r: Rect): void {
    if (r.height <= 0) this.box.hide();
    else {
      this.box.show();
      this.box.top = r.top;
    }
  }
}
