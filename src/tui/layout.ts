// Where each pane goes for a terminal size: a pure function, so 80x24 (and smaller) can be checked
// without a terminal. Panes have no side borders (a title rule above each), so all 80 columns hold data.
//
//   title                         1
//   ── VMs ──                     1   vms: header + one row per VM (capped)
//   ── memslots of VM ... ──      1   map (1) + header + one row per slot (capped)
//   ── translation ──             1   detail: the rest
//   hints / prompt                1
//   status                        1 (up to 3 for a long message)

export interface Rect {
  top: number;
  height: number;
}

export interface Layout {
  title: Rect;
  vmsRule: Rect;
  vms: Rect;
  slotsRule: Rect;
  map: Rect;
  slots: Rect;
  detailRule: Rect;
  detail: Rect;
  hints: Rect;
  status: Rect;
  zoomed: boolean;
  /** Set when the terminal is too small to show the panes. */
  tooSmall?: string;
}

export const MIN_ROWS = 16;
export const MIN_COLS = 60;

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

/** statusLines: the status line grows (up to 3 lines) so that a long message is read whole. */
export function computeLayout(rows: number, cols: number, vmCount: number, slotCount: number, zoomed: boolean, statusLines = 1): Layout {
  const hidden: Rect = { top: 0, height: 0 };
  const title = { top: 0, height: 1 };
  const sl = Math.max(1, Math.min(3, statusLines));
  const hints = { top: Math.max(1, rows - 1 - sl), height: 1 };
  const status = { top: Math.max(1, rows - sl), height: sl };
  if (rows < MIN_ROWS || cols < MIN_COLS) {
    const tooSmall = `the terminal is ${cols}x${rows}; the TUI needs at least ${MIN_COLS}x${MIN_ROWS} (q quits)`;
    return { title, vmsRule: hidden, vms: hidden, slotsRule: hidden, map: hidden, slots: hidden, detailRule: hidden, detail: hidden, hints, status, zoomed, tooSmall };
  }
  const body = rows - 2 - sl; // title, hints, status
  if (zoomed) {
    return { title, vmsRule: hidden, vms: hidden, slotsRule: hidden, map: hidden, slots: hidden, detailRule: { top: 1, height: 1 }, detail: { top: 2, height: body - 1 }, hints, status, zoomed };
  }
  // Tall terminals give the lists more rows; the detail pane keeps at least a third of the body.
  const minDetail = Math.max(4, Math.floor(body / 3));
  let vmRows = clamp(vmCount, 1, rows >= 40 ? 8 : rows >= 30 ? 5 : 3);
  let slotRows = clamp(slotCount, 1, rows >= 40 ? 12 : rows >= 30 ? 8 : 5);
  const fixed = () => 1 + (1 + vmRows) + 1 + 1 + (1 + slotRows) + 1; // rules, headers, map
  while (body - fixed() < minDetail && slotRows > 2) slotRows--;
  while (body - fixed() < minDetail && vmRows > 1) vmRows--;
  while (body - fixed() < minDetail && slotRows > 1) slotRows--;
  let top = 1;
  const take = (height: number): Rect => {
    const r = { top, height };
    top += height;
    return r;
  };
  const vmsRule = take(1);
  const vms = take(1 + vmRows);
  const slotsRule = take(1);
  const map = take(1);
  const slots = take(1 + slotRows);
  const detailRule = take(1);
  const detail = { top, height: Math.max(1, hints.top - top) };
  return { title, vmsRule, vms, slotsRule, map, slots, detailRule, detail, hints, status, zoomed };
}
