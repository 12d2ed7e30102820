// A program for the exit tests: the TUI's terminal handling (src/tui/terminal.ts) around a screen whose
// key handler throws on 'b' and leaves a rejected promise on 'r', as a bug in the UI would. The tests
// check that the terminal comes back and the error is printed after it.
import blessed from 'blessed';
import { openScreen, runOnScreen } from '../../src/tui/terminal.js';

const screen = openScreen({ title: 'qemu-vtop exit test' });
runOnScreen(screen, () => {
  blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: 1, content: 'exit test ready: b throws, r rejects' });
  screen.program.hideCursor();
  screen.on('keypress', (ch: string | undefined) => {
    if (ch === 'b') throw new Error('boom from a key handler');
    if (ch === 'r') void Promise.reject(new Error('a promise nobody awaited'));
  });
  screen.render();
}).then((code) => {
  process.exitCode = code;
});
