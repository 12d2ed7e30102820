// The title line above a pane: "── memslots of VM ... ──", drawn heavy with a '▶' when the pane has focus
// (visible without colours, and in a tmux capture).
import blessed from 'blessed';
import { type Rect } from '../layout.js';

export function ruleText(title: string, width: number, focused: boolean): string {
  const ch = focused ? '━' : '─';
  const label = ` ${focused ? '▶ ' : ''}${title} `;
  const room = Math.max(0, width - 2);
  const text = label.length > room ? label.slice(0, Math.max(0, room - 1)) + '…' : label;
  return (ch.repeat(2) + text + ch.repeat(Math.max(0, width - 2 - text.length))).slice(0, width);
}

export class Rule {
  readonly box: blessed.Widgets.BoxElement;
  private focused = false;
  private width = 80;

  constructor(
    screen: blessed.Widgets.Screen,
    private title: string,
  ) {
    this.box = blessed.box({ parent: screen, left: 0, width: '100%', height: 1, style: { fg: 'cyan' } });
  }

  private draw(): void {
    this.box.setContent(ruleText(this.title, this.width, this.focused));
    this.box.style.bold = this.focused;
  }

  setTitle(t: string): void {
    this.title = t;
    this.draw();
  }

  setFocused(f: boolean): void {
    this.focused = f;
    this.draw();
  }

  place(r: Rect, width: number): void {
    this.width = width;
    if (r.height <= 0) this.box.hide();
    else {
      this.box.show();
      this.box.top = r.top;
    }
    this.draw();
  }
}
