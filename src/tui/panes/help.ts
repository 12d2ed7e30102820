// The help screen: a box over the panes with every key (from the keymap table).
import blessed from 'blessed';
import { helpText } from '../keymap.js';
import { type Rect } from '../layout.js';
import { wrapLines } from '../text.js';

export class HelpOverlay {
  readonly box: blessed.Widgets.BoxElement;

  constructor(screen: blessed.Widgets.Screen) {
    this.box = blessed.box({
      parent: screen,
      top: 1,
      left: 0,
      width: '100%',
      height: 10,
      border: 'line',
      label: ' help ',
      tags: false,
      scrollable: true,
      alwaysScroll: true,
      mouse: true,
      keys: false,
      style: { border: { fg: 'cyan' } },
    });
    this.box.hide();
  }

  get open(): boolean {
    return this.box.visible;
  }

  /** Shown wrapped to the box (borders and scrollbar take 3 columns). */
  show(width: number): void {
    this.box.setContent(wrapLines(helpText(Math.max(20, width - 3)).split('\n'), Math.max(20, width - 3)).join('\n'));
    this.box.show();
    this.box.setFront();
    this.box.setScroll(0);
  }

  /** Over the panes, from under the title to above the hint line. */
  place(r: Rect): void {
    this.box.top = r.top;
    this.box.height = Math.max(3, r.height);
  }

  hide(): void {
    this.box.hide();
  }

  scroll(n: number): void {
    this.box.scroll(n);
  }
}
