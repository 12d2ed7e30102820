// The two bottom lines: key hints for the focused pane (from the keymap), and the status line where
// every result and every error is said in words.
import blessed from 'blessed';
import { hintLine, type PaneId } from '../keymap.js';
import { type Rect } from '../layout.js';
import { wrapLines } from '../text.js';

export class StatusBar {
  readonly hints: blessed.Widgets.BoxElement;
  readonly status: blessed.Widgets.BoxElement;
  private pane: PaneId = 'vms';
  private width = 80;
  message = '';
  isError = false;
  /** Lines the message needs at this width (1-3): the layout gives the status line that many. */
  lines = 1;
  /** Called when the message needs a different number of lines. */
  onLines: () => void = () => {};

  constructor(screen: blessed.Widgets.Screen) {
    this.hints = blessed.box({ parent: screen, left: 0, width: '100%', height: 1, tags: true, style: { fg: 'white', bg: 'black' } });
    this.status = blessed.box({ parent: screen, left: 0, width: '100%', height: 1, tags: false, style: { fg: 'black', bg: 'white' } });
  }

  private drawHints(): void {
    // Keys bold, their words plain: "Tab:pane" -> "{bold}Tab{/bold}:pane".
    const plain = hintLine(this.pane, this.width - 1);
    this.hints.setContent(
      ' ' +
        plain
          .split(' ')
          .map((h) => {
            const i = h.indexOf(':', 1);
            return `{bold}${blessed.escape(h.slice(0, i))}{/bold}${blessed.escape(h.slice(i))}`;
          })
          .join(' '),
    );
  }

  setPane(p: PaneId): void {
    this.pane = p;
    this.drawHints();
  }

  /** A result (plain) or an error (red; "error:" in front so it reads the same without colour). */
  say(msg: string, isError = false): void {
    this.message = msg.replace(/\s+/g, ' ').trim();
    this.isError = isError;
    this.status.style.bg = isError ? 'red' : 'white';
    this.status.style.fg = isError ? 'white' : 'black';
    this.status.style.bold = isError;
    this.draw();
  }

  private draw(): void {
    let lines = wrapLines([` ${this.isError ? 'error: ' : ''}${this.message}`], Math.max(20, this.width - 1));
    if (lines.length > 3) lines = [...lines.slice(0, 2), lines[2].slice(0, this.width - 2) + '…'];
    this.status.setContent(lines.join('\n'));
    if (lines.length !== this.lines) {
      this.lines = lines.length;
      this.onLines();
    }
  }

  place(hints: Rect, status: Rect, width: number): void {
    this.width = width;
    this.hints.top = hints.top;
    this.status.top = status.top;
    this.status.height = status.height;
    this.drawHints();
    this.draw();
  }
}
