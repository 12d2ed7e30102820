// A one-line editor over the hint line (blessed's textbox drops the first key when opened from a key
// handler). While it is open it gets every key: printable characters, Backspace, Ctrl-U, ↑/↓ history,
// Enter to accept, Esc to cancel.
import blessed from 'blessed';
import { type Rect } from '../layout.js';

export interface PromptRequest {
  label: string;
  initial?: string;
  /** Accepting an empty line is allowed (the caller gives it a meaning). */
  allowEmpty?: boolean;
  history?: string[];
  done: (value: string) => void;
}

export class Prompt {
  readonly box: blessed.Widgets.BoxElement;
  private req?: PromptRequest;
  private value = '';
  private hist = -1;

  constructor(private readonly screen: blessed.Widgets.Screen) {
    this.box = blessed.box({ parent: screen, left: 0, width: '100%', height: 1, tags: false, style: { fg: 'black', bg: 'yellow' } });
    this.box.hide();
  }

  get open(): boolean {
    return this.req !== undefined;
  }

  ask(req: PromptRequest): void {
    this.req = req;
    this.value = req.initial ?? '';
    this.hist = -1;
    this.box.show();
    this.box.setFront();
    this.draw();
  }

  private draw(): void {
    if (!this.req) return;
    const w = (this.screen.width as number) - 1;
    let text = ` ${this.req.label}: ${this.value}█`;
    // Keep the end (what is being typed) in view.
    if (text.length > w) text = '…' + text.slice(text.length - w + 1);
    this.box.setContent(text);
  }

  close(): void {
    this.req = undefined;
    this.box.hide();
  }

  /** Handles a key while open. Returns what happened for the caller's status line. */
  key(ch: string | undefined, name: string | undefined, ctrl: boolean): 'accepted' | 'cancelled' | 'edited' | 'ignored' {
    const r = this.req;
    if (!r) return 'ignored';
    if (name === 'enter') {
      const v = this.value.trim();
      if (!v && !r.allowEmpty) {
        this.close();
        return 'cancelled';
      }
      if (v && r.history && r.history[r.history.length - 1] !== v) r.history.push(v);
      this.close();
      r.done(v);
      return 'accepted';
    }
    if (name === 'escape') {
      this.close();
      return 'cancelled';
    }
    if (name === 'backspace') this.value = this.value.slice(0, -1);
    else if (ctrl && name === 'u') this.value = '';
    else if ((name === 'up' || name === 'down') && r.history?.length) {
      const h = r.history;
      this.hist = name === 'up' ? (this.hist < 0 ? h.length - 1 : Math.max(0, this.hist - 1)) : this.hist < 0 ? -1 : this.hist + 1;
      if (this.hist >= h.length) this.hist = -1;
      this.value = this.hist < 0 ? '' : h[this.hist];
    } else if (ch && !ctrl && ch >= ' ' && ch <= '~' && this.value.length < 200) this.value += ch;
    else return 'ignored';
    this.draw();
    return 'edited';
  }

  place(r: Rect): void {
    this.box.top = r.top;
    this.draw();
  }
}
