// The terminal's life: blessed's screen is made here and given back on every way out (q, Ctrl-C,
// SIGTERM/SIGHUP/SIGINT, an exception or a rejected promise nobody caught).
import blessed from 'blessed';

export interface TerminalOptions {
  title: string;
}

function utf8Locale(env: NodeJS.ProcessEnv): boolean {
  return /utf-?8/i.test(env.LC_ALL || env.LC_CTYPE || env.LANG || '');
}

export function openScreen(o: TerminalOptions): blessed.Widgets.Screen {
  const screen = blessed.screen({ smartCSR: true, title: o.title, fullUnicode: true, autoPadding: false, warnings: false, dockBorders: false });
  // In a UTF-8 locale draw lines with UTF-8 characters, not the VT100 alternate character set: terminals
  // (and tmux captures) show them the same everywhere. NCURSES_NO_UTF8_ACS=0 asks for ACS back.
  const tput = screen.tput as unknown as { brokenACS: boolean };
  if (utf8Locale(process.env) && process.env.NCURSES_NO_UTF8_ACS !== '0') tput.brokenACS = true;
  return screen;
}

/** Exit statuses: q 0, an exception 1, Ctrl-C / SIGINT 130, SIGTERM 143, SIGHUP 129. */
export const EXIT = { quit: 0, error: 1, SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs a UI on `screen` until it calls `done(code)` (or a signal or an uncaught error ends it), then gives
 * the terminal back exactly once and resolves with the exit status. An uncaught error is printed after the
 * terminal is restored, and the process exits 1 at once (the UI's state is not to be trusted any more).
 */
export function runOnScreen(screen: blessed.Widgets.Screen, start: (done: (code: number) => void) => void): Promise<number> {
  return new Promise<number>((resolve) => {
    let finished = false;
    const handlers: [string, (...a: unknown[]) => void][] = [];
    const restore = () => {
      for (const [ev, fn] of handlers) process.removeListener(ev, fn);
      try {
        screen.destroy();
      } catch {
        // already gone: still make sure the tty is cooked again
        if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
      }
    };
    const done = (code: number) => {
      if (finished) return;
      finished = true;
      restore();
      resolve(code);
    };
    const crash = (e: unknown) => {
      if (!finished) {
        finished = true;
        restore();
      }
      process.stderr.write(`qemu-vtop tui: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(EXIT.error);
    };
    const on = (ev: string, fn: (...a: unknown[]) => void) => {
      handlers.push([ev, fn]);
      process.on(ev, fn);
    };
    on('SIGTERM', () => done(EXIT.SIGTERM));
    on('SIGHUP', () => done(EXIT.SIGHUP));
    on('SIGINT', () => done(EXIT.SIGINT));
    on('uncaughtException', crash);
    on('unhandledRejection', crash);
    // Last resort: whatever ends the process gives the terminal back (blessed does this too; twice is harmless).
    on('exit', () => {
      if (!finished) restore();
    });
    try {
      start(done);
    } catch (e) {
      crash(e);
    }
  });
}
