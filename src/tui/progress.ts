// What the TUI shows while the dump and its debug info load: one line per stage with its time, written to
// the terminal before the full-screen UI takes it over. It stays in cooked mode on purpose: loading is
// synchronous, so only the kernel's default SIGINT can stop it at once, and nothing needs restoring if it does.

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export class LoadProgress {
  private current?: { msg: string; t0: number };
  private readonly start: number;
  readonly lines: string[] = [];

  constructor(
    private readonly out: ProgressStream,
    title: string,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = this.now();
    this.emit(`qemu-vtop tui: ${title}\n`);
  }

  private emit(s: string): void {
    this.out.write(s);
  }

  private finish(mark: string): void {
    const c = this.current;
    if (!c) return;
    const line = `  ${mark} ${c.msg.padEnd(58)} ${((this.now() - c.t0) / 1000).toFixed(2)} s`;
    this.lines.push(line);
    // On a terminal the pending line is rewritten in place; elsewhere each stage is one finished line.
    this.emit(this.out.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
    this.current = undefined;
  }

  /** A new stage begins (the previous one is done). Long messages (paths) keep their end. */
  step(msg: string): void {
    this.finish('✓');
    // Paths are long: keep their last component, then the start and the end if still too long.
    const short = msg.length > 58 ? msg.replace(/(?:\/[^/\s]+)+\/([^/\s]+)/g, '$1') : msg;
    const m = short.length > 58 ? short.slice(0, 20) + '…' + short.slice(short.length - 37) : short;
    this.current = { msg: m, t0: this.now() };
    if (this.out.isTTY) this.emit(`  … ${m}`);
  }

  done(): void {
    this.finish('✓');
    this.emit(`  ready in ${((this.now() - this.start) / 1000).toFixed(2)} s\n`);
  }

  failed(): void {
    this.finish('✗');
  }
}
