// Drives a program in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen.
// Every wait has a deadline; the session is always killed.
import { execFileSync, spawnSync } from 'node:child_process';

export class Tmux {
  constructor(
    readonly session: string,
    readonly width = 80,
    readonly height = 24,
  ) {}

  start(command: string): void {
    this.kill();
    execFileSync('tmux', ['new-session', '-d', '-s', this.session, '-x', String(this.width), '-y', String(this.height), `${command}; echo "[exited $?]"; sleep 60`], {
      env: { ...process.env, TERM: 'xterm-256color' },
    });
  }

  screen(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.session], { encoding: 'utf8' });
  }

  /** Types keys one at a time, as a person does (a burst of characters is not how terminals deliver typing). */
  type(text: string): void {
    for (const ch of text) {
      execFileSync('tmux', ['send-keys', '-t', this.session, '-l', ch]);
      spawnSync('sleep', ['0.03']);
    }
  }

  key(name: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.session, name]);
  }

  resize(width: number, height: number): void {
    execFileSync('tmux', ['resize-window', '-t', this.session, '-x', String(width), '-y', String(height)]);
  }

  /** Polls the screen until `re` matches, or fails after `ms` with what the screen showed. */
  waitFor(re: RegExp, ms = 15000): string {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      last = this.screen();
      if (re.test(last)) return last;
      spawnSync('sleep', ['0.1']);
    }
    throw new Error(`screen never showed ${re} in ${ms} ms; it showed:\n${last}`);
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.session]);
  }
}
