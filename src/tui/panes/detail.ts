// The detail pane: one scrollable box showing the translation, the vCPUs or the hexdump of the chosen VM.
import blessed from 'blessed';
import { type Rect } from '../layout.js';
import { wrapLines } from '../text.js';
import { Rule } from './rule.js';

export type DetailMode = 'translation' | 'vcpus' | 'hexdump' | 'whose';

export class DetailPane {
  readonly rule: Rule;
  readonly box: blessed.Widgets.BoxElement;
  mode: DetailMode = 'translation';
  private source: string[] = [];
  private lines: string[] = [];
  private width = 80;

  constructor(screen: blessed.Widgets.Screen) {
    this.rule = new Rule(screen, 'translation');
    this.box = blessed.box({
      parent: screen,
      left: 0,
      width: '100%',
      scrollable: true,
      alwaysScroll: true,
      mouse: true,
      keys: false,
      tags: false,
      scrollbar: { ch: ' ', style: { bg: 'cyan' } },
    });
    this.box.on('focus', () => this.rule.setFocused(true));
    this.box.on('blur', () => this.rule.setFocused(false));
  }

  show(mode: DetailMode, title: string, lines: string[], scrollTo = 0): void {
    this.mode = mode;
    this.source = lines;
    this.rule.setTitle(title);
    this.draw();
    if (scrollTo > 0) this.scrollToLine(scrollTo);
  }

  /** Wraps to the pane's width ourselves (blessed would too, but then line numbers are its secret). */
  private draw(): void {
    this.lines = wrapLines(this.source, Math.max(20, this.width - 1));
    this.box.setContent(this.lines.map((l) => l).join('\n'));
    this.box.setScroll(0);
  }

  get text(): string {
    return this.lines.join('\n');
  }

  /** Scrolls so that wrapped line `i` is near the top (two lines of context above). */
  scrollToLine(i: number): void {
    this.box.setScroll(Math.max(0, i - 2));
  }

  /** The first wrapped line shown. */
  get scrollLine(): number {
    return this.box.getScroll();
  }

  /** Case-insensitive text search from the line after `from`; the matching line index, or -1. */
  find(text: string, from: number): number {
    const t = text.toLowerCase();
    const n = this.lines.length;
    for (let k = 1; k <= n; k++) {
      const i = (from + k) % n;
      if (this.lines[i].toLowerCase().includes(t)) return i;
    }
    return -1;
  }

  scroll(delta: number): void {
    this.box.scroll(delta);
  }

  page(): number {
    return Math.max(1, (this.box.height as number) - 1);
  }

  top(): void {
    this.box.setScroll(0);
  }

  bottom(): void {
    this.box.setScrollPerc(100);
  }

  place(rule: Rect, body: Rect, width: number): void {
    this.rule.place(rule, width);
    if (width !== this.width) {
      this.width = width;
      const at = this.box.getScroll();
      this.draw();
      this.box.setScroll(at);
    }
    if (body.height <= 0) {
      this.box.hide();
      return;
    }
    this.box.show();
    this.box.top = body.top;
    this.box.height = body.height;
  }

  focus(): void {
    this.box.focus();
  }
}

