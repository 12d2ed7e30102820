// Drives a program in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen.
// Each Tmux has its own tmux server (-L socket, no user config) started with a known TERM and UTF-8
// locale, so tests neither see nor disturb other tmux sessions. Every wait has a deadline; kill() ends
// the server. After the program exits the pane shows "[exited N]" and "[tty ...]" (the terminal modes
// the next program would get: icanon, echo and isig when the terminal was given back).
import { spawnSync } from 'node:child_process';

export interface PaneState {
  /** 1 while the alternate screen is on. */
  alternate: boolean;
  cursorVisible: boolean;
  mouse: boolean;
  /** The pane's foreground process group leader (the shell while the TUI runs). */
  command: string;
  /** The shell running the test command. */
  panePid: number;
}

export const DEFAULT_WAIT_MS = 20000;

export class Tmux {
  readonly socket: string;

  constructor(
    readonly session: string,
    readonly width = 80,
    readonly height = 24,
  ) {
    this.socket = session;
  }

  private tmux(args: string[], opts: { allowFail?: boolean } = {}): string {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
    if (r.status !== 0 && !opts.allowFail) throw new Error(`tmux ${args.join(' ')}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
    return r.stdout ?? '';
  }

  /** Runs `command` in a fresh server, in a width x height window (cwd: the repository). */
  start(command: string): void {
    this.kill();
    const after = `echo "[exited $?]"; printf '[tty %s]\\n' "$(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo|isig)' | tr '\\n' ' ')"; sleep 120`;
    this.tmux(['new-session', '-d', '-s', this.session, '-x', String(this.width), '-y', String(this.height), `${command}; ${after}`]);
    this.tmux(['set-option', '-t', this.session, 'status', 'off']);
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', this.session]);
  }

  /** The screen with colours and attributes as escape sequences (for rendering pictures of it). */
  screenAnsi(): string {
    return this.tmux(['capture-pane', '-p', '-e', '-N', '-t', this.session]);
  }

  /** Types keys one at a time, as a person does (a burst of characters is not how terminals deliver typing). */
  type(text: string): void {
    for (const ch of text) {
      this.tmux(['send-keys', '-t', this.session, '-l', ch]);
      spawnSync('sleep', ['0.02']);
    }
  }

  /** Sends one named key (Enter, Tab, Escape, Down, C-c, ...), then lets the program take it. */
  key(name: string): void {
    this.tmux(['send-keys', '-t', this.session, name]);
    spawnSync('sleep', ['0.05']); // Escape followed at once by another key would read as Alt+key
  }

  /** Writes bytes to the program as if the terminal sent them (mouse reports, escape sequences). */
  raw(bytes: string): void {
    this.tmux(['send-keys', '-t', this.session, '-l', bytes]);
    spawnSync('sleep', ['0.1']);
  }

  resize(width: number, height: number): void {
    this.tmux(['resize-window', '-t', this.session, '-x', String(width), '-y', String(height)]);
  }

  state(): PaneState {
    const [alt, cursor, mouse, command, pid] = this.tmux(['display-message', '-p', '-t', this.session, '#{alternate_on} #{cursor_flag} #{mouse_any_flag} #{pane_current_command} #{pane_pid}']).trim().split(' ');
    return { alternate: alt === '1', cursorVisible: cursor === '1', mouse: mouse === '1', command, panePid: Number(pid) };
  }

  /** Processes the pane's shell started ("node" while the TUI runs; "sleep" once it exited). */
  children(): { pid: number; comm: string }[] {
    const r = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(this.state().panePid)], { encoding: 'utf8' });
    return r.stdout
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), comm: m[2] }));
  }

  /** Is a process named `comm` (the program under test) running in the pane? */
  running(comm = 'node'): boolean {
    return this.children().some((c) => c.comm === comm);
  }

  /** Polls the screen until `re` matches, or fails after `ms` with what the screen showed. */
  waitFor(re: RegExp, ms = DEFAULT_WAIT_MS): string {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      last = this.screen();
      if (re.test(last)) return last;
      spawnSync('sleep', ['0.1']);
    }
    throw new Error(`screen never showed ${re} in ${ms} ms; it showed:\n${last}`);
  }

  /**
   * Like waitFor, on the screen with every run of white space made one space: for messages the TUI
   * wraps to the terminal's width. Returns the raw screen.
   */
  waitForWords(re: RegExp, ms = DEFAULT_WAIT_MS): string {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      last = this.screen();
      if (re.test(last.replace(/\s+/g, ' '))) return last;
      spawnSync('sleep', ['0.1']);
    }
    throw new Error(`screen never showed ${re} (white space collapsed) in ${ms} ms; it showed:\n${last}`);
  }

  /** Waits for the program to end: its exit status, and the terminal modes it left. */
  waitForExit(ms = DEFAULT_WAIT_MS): { status: number; tty: string; screen: string } {
    const s = this.waitFor(/\[exited (\d+)\][\s\S]*\[tty [^\]]*\]/, ms);
    const m = /\[exited (\d+)\][\s\S]*\[tty ([^\]]*)\]/.exec(s)!;
    return { status: Number(m[1]), tty: m[2].trim(), screen: s };
  }

  kill(): void {
    this.tmux(['kill-server'], { allowFail: true });
  }
}

