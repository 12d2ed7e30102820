#!/usr/bin/env node
// Captures the TUI's main screens on the in-repo demo dump at 80x24, as a person sees them in tmux:
// docs/tui-*.txt (capture-pane text) and, when ImageMagick is installed, docs/tui-*.png (the same screen
// with its colours, drawn cell by cell in DejaVu Sans Mono). Needs `npm run build` and tmux.
//   node scripts/tui-screens.mjs [outdir]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../dist/test/helpers/tmux.js';

const out = process.argv[2] ?? 'docs';
const t = new Tmux(`qv-tui-screens-${process.pid}`);
const wait = (re) => t.waitFor(re, 20000);
const goTo = (text) => {
  t.key('g');
  wait(/go to gpa/);
  t.type(text);
  t.key('Enter');
};

/** Writes name.txt (and name.png) atomically. */
function save(name) {
  spawnSync('sleep', ['0.3']); // let the last render land
  const text = t.screen();
  const ansi = t.screenAnsi();
  write(join(out, `${name}.txt`), text);
  const png = renderPng(ansi);
  if (png) write(join(out, `${name}.png`), png);
  console.log(`${name}: ${text.split('\n').length - 1} lines${png ? ', png' : ''}`);
}

function write(path, data) {
  writeFileSync(path + '.tmp', data);
  renameSync(path + '.tmp', path);
}

// ---- ANSI (tmux capture-pane -e) to PNG, through ImageMagick's own MVG drawing language ----------------

const BASE = ['#000000', '#cd0000', '#00cd00', '#cdcd00', '#2a5fd8', '#cd00cd', '#00cdcd', '#e5e5e5', '#7f7f7f', '#ff0000', '#00ff00', '#ffff00', '#5c5cff', '#ff00ff', '#00ffff', '#ffffff'];
const DEFAULT_FG = '#d0d0d0';
const DEFAULT_BG = '#1c1c1c';

function color256(n) {
  if (n < 16) return BASE[n];
  if (n < 232) {
    const v = [0, 95, 135, 175, 215, 255];
    const i = n - 16;
    return '#' + [v[Math.floor(i / 36)], v[Math.floor(i / 6) % 6], v[i % 6]].map((x) => x.toString(16).padStart(2, '0')).join('');
  }
  const g = (8 + (n - 232) * 10).toString(16).padStart(2, '0');
  return `#${g}${g}${g}`;
}

/** Cells of each line: { ch, fg, bg, bold }. */
function parseAnsi(text) {
  const rows = [];
  // tmux writes an attribute when it changes, not at each line: the state runs on across lines.
  let st = { fg: undefined, bg: undefined, bold: false, inverse: false };
  for (const line of text.replace(/\n$/, '').split('\n')) {
    const cells = [];
    for (let i = 0; i < line.length; ) {
      const m = /^\x1b\[([0-9;:]*)m/.exec(line.slice(i));
      if (m) {
        const p = m[1] === '' ? [0] : m[1].split(/[;:]/).map(Number);
        for (let k = 0; k < p.length; k++) {
          const c = p[k];
          if (c === 0) st = { fg: undefined, bg: undefined, bold: false, inverse: false };
          else if (c === 1) st = { ...st, bold: true };
          else if (c === 22) st = { ...st, bold: false };
          else if (c === 7) st = { ...st, inverse: true };
          else if (c === 27) st = { ...st, inverse: false };
          else if (c >= 30 && c <= 37) st = { ...st, fg: BASE[c - 30] };
          else if (c >= 90 && c <= 97) st = { ...st, fg: BASE[c - 90 + 8] };
          else if (c >= 40 && c <= 47) st = { ...st, bg: BASE[c - 40] };
          else if (c >= 100 && c <= 107) st = { ...st, bg: BASE[c - 100 + 8] };
          else if (c === 39) st = { ...st, fg: undefined };
          else if (c === 49) st = { ...st, bg: undefined };
          else if ((c === 38 || c === 48) && p[k + 1] === 5) {
            st = { ...st, [c === 38 ? 'fg' : 'bg']: color256(p[k + 2]) };
            k += 2;
          } else if ((c === 38 || c === 48) && p[k + 1] === 2) {
            st = { ...st, [c === 38 ? 'fg' : 'bg']: '#' + p.slice(k + 2, k + 5).map((x) => x.toString(16).padStart(2, '0')).join('') };
            k += 4;
          }
        }
        i += m[0].length;
        continue;
      }
      const other = /^\x1b[[(][0-9;?]*[A-Za-z]/.exec(line.slice(i));
      if (other) {
        i += other[0].length;
        continue;
      }
      const ch = String.fromCodePoint(line.codePointAt(i));
      i += ch.length;
      let fg = st.fg ?? DEFAULT_FG;
      let bg = st.bg ?? DEFAULT_BG;
      if (st.inverse) [fg, bg] = [st.bg ?? DEFAULT_BG, st.fg ?? DEFAULT_FG];
      if (st.bold && st.fg === undefined && !st.inverse) fg = '#ffffff';
      cells.push({ ch, fg, bg, bold: st.bold });
    }
    rows.push(cells);
  }
  return rows;
}

function imageMagick() {
  for (const cmd of [process.env.CONVERT, 'magick', '/usr/bin/convert', 'convert'].filter(Boolean)) {
    const r = spawnSync(cmd, ['-version'], { encoding: 'utf8' });
    if (r.status === 0 && /ImageMagick/.test(r.stdout)) return cmd;
  }
  return undefined;
}

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';
const FONT_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf';
const magick = imageMagick();

function renderPng(ansi) {
  if (!magick || !existsSync(FONT)) return undefined;
  const rows = parseAnsi(ansi);
  const cols = 80;
  const cw = 9; // cell width at 15 px DejaVu Sans Mono (advance 0.602 em)
  const chh = 18;
  const pad = 8;
  const W = cols * cw + 2 * pad;
  const H = 24 * chh + 2 * pad;
  const esc = (s) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  const mvg = [`viewbox 0 0 ${W} ${H}`, `fill '${DEFAULT_BG}'`, `rectangle 0,0 ${W},${H}`, 'font-size 15', 'text-antialias 1'];
  rows.forEach((cells, y) => {
    // backgrounds, one rectangle per run of the same colour
    for (let x = 0; x < cells.length; ) {
      let e = x;
      while (e < cells.length && cells[e].bg === cells[x].bg) e++;
      if (cells[x].bg !== DEFAULT_BG) mvg.push(`fill '${cells[x].bg}'`, `rectangle ${pad + x * cw},${pad + y * chh} ${pad + e * cw - 1},${pad + (y + 1) * chh - 1}`);
      x = e;
    }
    // text, one glyph per cell so that every column lines up whatever the font's advances
    for (let x = 0; x < cells.length; x++) {
      const c = cells[x];
      if (c.ch === ' ') continue;
      mvg.push(`font '${c.bold ? FONT_BOLD : FONT}'`, `fill '${c.fg}'`, `text ${pad + x * cw},${pad + y * chh + 14} '${esc(c.ch)}'`);
    }
  });
  const dir = mkdtempSync(join(tmpdir(), 'qv-screens-'));
  try {
    writeFileSync(join(dir, 's.mvg'), mvg.join('\n'));
    execFileSync(magick, [`mvg:${join(dir, 's.mvg')}`, `png8:${join(dir, 's.png')}`]);
    return execFileSync('cat', [join(dir, 's.png')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the screens ----------------------------------------------------------------------------------------

try {
  t.start('node bin/qemu-vtop tui fixtures/demo-6.1/vmcore.kdump-zlib');
  wait(/qvtop-vmm[\s\S]*q:quit/);
  save('tui-vms-memslots');
  goTo('0x100201000');
  wait(/-> hpa 0x3201000/);
  save('tui-translation');
  t.key('z');
  wait(/PAGE\s+PHYSICAL\s+MAPPING/);
  save('tui-translation-zoomed');
  t.key('z');
  wait(/memslots of/);
  goTo('0x1f000000');
  wait(/not in any memslot/);
  save('tui-error');
  t.key('v');
  wait(/vCPU 0 {2}exit_reason/);
  save('tui-vcpus');
  goTo('0x2000');
  wait(/-> hpa 0x68a9000/);
  t.key('x');
  wait(/hexdump of hpa/);
  save('tui-hexdump');
  t.key('?');
  wait(/qemu-vtop tui: keys/);
  save('tui-help');
  t.key('Escape');
  t.key('q');
  t.waitForExit();
} finally {
  t.kill();
}
