// The TUI's parts that need no terminal: the keymap (dispatch, hints, help), the layout at 80x24 and
// smaller, the go-to box's parser, the gpa map, text wrapping, the load progress and the hexdump renderer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type AddressSpace, gpaInSlot, type Memslot } from '../../src/kvm/memslots.js';
import { parseAddressQuery } from '../../src/tui/address-input.js';
import { actionOf, helpText, hintLine, KEYMAP } from '../../src/tui/keymap.js';
import { computeLayout, MIN_ROWS } from '../../src/tui/layout.js';
import { gpaMapLine } from '../../src/tui/panes/gpa-map.js';
import { ruleText } from '../../src/tui/panes/rule.js';
import { formatTable, tableWidth } from '../../src/tui/panes/table.js';
import { LoadProgress } from '../../src/tui/progress.js';
import { fitParts, wrapLines } from '../../src/tui/text.js';
import { renderHexdump } from '../../src/vtop/render-hex.js';

const slot = (id: number, asId: number, baseGfn: bigint, npages: bigint): Memslot => ({ addr: 0n, id, asId, baseGfn, npages, userspaceAddr: 0x7f0000000000n + (baseGfn << 12n), flags: 0, dirtyBitmap: 0n });
const space = (asId: number, slots: Memslot[]): AddressSpace => ({ asId, memslots: 0n, generation: 0n, slots, updateInProgress: false });

describe('keymap', () => {
  it('gives every key one action, and the keys the issue names', () => {
    const seen = new Map<string, string>();
    for (const b of KEYMAP) for (const k of b.keys) {
      assert.ok(!seen.has(k), `${k} bound twice (${seen.get(k)} and ${b.action})`);
      seen.set(k, b.action);
    }
    assert.equal(actionOf('up'), 'up');
    assert.equal(actionOf('k'), 'up');
    assert.equal(actionOf('j'), 'down');
    assert.equal(actionOf('enter'), 'select');
    assert.equal(actionOf('tab'), 'focus-next');
    assert.equal(actionOf(undefined, '/'), 'search');
    assert.equal(actionOf('g'), 'goto');
    assert.equal(actionOf(undefined, '?'), 'help');
    assert.equal(actionOf('q'), 'quit');
    assert.equal(actionOf('C-c'), 'interrupt');
    assert.equal(actionOf('w'), 'view-whose');
  });
  it('fits the hint line in 80 columns with Tab, arrows/jk, Enter, /, g, ? and q', () => {
    for (const pane of ['vms', 'slots', 'detail'] as const) {
      const h = hintLine(pane, 79);
      assert.ok(h.length <= 79, h);
      for (const want of ['Tab:', '↑↓/jk:', 'Enter:', 'g:', '/:', '?:', 'q:quit']) assert.ok(h.includes(want), `${pane}: ${want} missing in "${h}"`);
    }
    assert.match(hintLine('slots', 79), /Enter:offset/);
    assert.match(hintLine('detail', 79), /Enter:zoom/);
    assert.equal(hintLine('vms', 10), 'q:quit');
  });
  it('lists every binding in the help, wrapped to the width', () => {
    const h = helpText(60);
    for (const b of KEYMAP) assert.ok(h.includes(b.shown), b.shown);
    for (const l of h.split('\n')) assert.ok(l.length <= 60, l);
  });
});

describe('layout', () => {
  it('at 80x24 gives every pane room and the detail pane at least a third', () => {
    const l = computeLayout(24, 80, 2, 6, false);
    assert.equal(l.tooSmall, undefined);
    assert.deepEqual([l.title.top, l.vmsRule.top, l.vms.height, l.slotsRule.top, l.map.top, l.slots.height, l.detailRule.top], [0, 1, 3, 5, 6, 6, 13]);
    assert.equal(l.detail.top + l.detail.height, l.hints.top);
    assert.equal(l.hints.top, 22);
    assert.equal(l.status.top, 23);
    assert.ok(l.detail.height >= 7, String(l.detail.height));
  });
  it('keeps the panes apart and inside the screen at every size from the minimum up', () => {
    for (let rows = MIN_ROWS; rows <= 60; rows++) {
      for (const [vms, slots] of [[0, 0], [1, 3], [40, 500]]) {
        for (const status of [1, 3]) {
          const l = computeLayout(rows, 80, vms, slots, false, status);
          const order = [l.title, l.vmsRule, l.vms, l.slotsRule, l.map, l.slots, l.detailRule, l.detail, l.hints, l.status];
          for (let i = 1; i < order.length; i++) assert.equal(order[i].top, order[i - 1].top + order[i - 1].height, `rows ${rows} pane ${i}`);
          assert.equal(l.status.top + l.status.height, rows);
          assert.ok(l.detail.height >= 3, `rows ${rows}: detail ${l.detail.height}`);
        }
      }
    }
  });
  it('zooms the detail pane to the whole body, and says when the terminal is too small', () => {
    const z = computeLayout(24, 80, 2, 6, true);
    assert.deepEqual([z.detailRule.top, z.detail.top, z.detail.height, z.vms.height], [1, 2, 20, 0]);
    assert.match(computeLayout(10, 80, 1, 1, false).tooSmall ?? '', /80x10.*at least 60x16/);
  });
});

describe('go-to box input', () => {
  it('reads a gpa, an hva and an offset into a slot', () => {
    assert.deepEqual(parseAddressQuery('0x100201000'), { kind: 'gpa', gpa: 0x100201000n });
    assert.deepEqual(parseAddressQuery(' 2000 '), { kind: 'gpa', gpa: 0x2000n });
    assert.deepEqual(parseAddressQuery('gpa 0x2000'), { kind: 'gpa', gpa: 0x2000n });
    assert.deepEqual(parseAddressQuery('hva 0x7f600ebb3000'), { kind: 'hva', hva: 0x7f600ebb3000n });
    assert.deepEqual(parseAddressQuery('H 7f600ebb3000'), { kind: 'hva', hva: 0x7f600ebb3000n });
    assert.deepEqual(parseAddressQuery('s0:1+0x2000'), { kind: 'slot', asId: 0, slotId: 1, offset: 0x2000n });
    assert.deepEqual(parseAddressQuery('slot 1 + 10'), { kind: 'slot', asId: undefined, slotId: 1, offset: 0x10n });
    assert.deepEqual(parseAddressQuery('s1'), { kind: 'slot', asId: undefined, slotId: 1, offset: 0n });
  });
  it('says what to type when the input is not an address', () => {
    assert.throws(() => parseAddressQuery('zzz'), /"zzz" is not a gpa in hex; type a gpa/);
    assert.throws(() => parseAddressQuery('hva qq'), /"qq" is not an hva/);
    assert.throws(() => parseAddressQuery('s0:1+xyz'), /"xyz" is not an offset/);
    assert.throws(() => parseAddressQuery('0x1 0x2'), /is not an address/);
    assert.throws(() => parseAddressQuery('  '), /nothing typed/);
  });
  it('finds the gpa of a slot offset through kvm/memslots, refusing one past the end', () => {
    const s = slot(1, 0, 0x100000n, 1536n);
    assert.equal(gpaInSlot(s, 0x201000n), 0x100201000n);
    assert.equal(gpaInSlot(s, 0x5fffffn), 0x1005fffffn);
    assert.equal(gpaInSlot(s, 0x600000n), undefined);
  });
});

describe('gpa map', () => {
  it('draws slots in proportion, holes as dots, the end as a size', () => {
    const m = gpaMapLine(space(0, [slot(0, 0, 0n, 0x200n), slot(1, 0, 0x100000n, 0x600n)]), 80);
    assert.equal(m.text.length, 80);
    assert.match(m.text, /^AS 0 \[0·+1\] 4 GiB$/);
  });
  it("marks a cell several slots share with '+', and gives the chosen slot's columns", () => {
    const a = slot(3, 0, 0n, 0x10n);
    const b = slot(4, 0, 0x10n, 0x10n);
    const c = slot(5, 0, 0x400n, 0x400n);
    const m = gpaMapLine(space(0, [a, b, c]), 40, c);
    assert.match(m.text, /^AS 0 \[\+·+5+\] 8 MiB$/);
    const [from, to] = m.highlight!;
    assert.match(m.text.slice(from, to), /^5+$/);
    assert.equal(gpaMapLine(space(1, []), 80).text, 'AS 1 SMM (no memslots)');
  });
});

describe('text layout', () => {
  it('wraps at spaces with a hanging indent, and fits parts to a width', () => {
    assert.deepEqual(wrapLines(['  alpha beta gamma delta'], 14), ['  alpha beta', '    gamma', '    delta']);
    assert.deepEqual(wrapLines(['x'.repeat(25)], 10), ['x'.repeat(10), '  ' + 'x'.repeat(8), '  ' + 'x'.repeat(7)]);
    assert.deepEqual(fitParts(['aaaa', 'bbbb', 'cccc'], 14), ['  aaaa  bbbb', '  cccc']);
  });
  it('pads table columns and never passes the width', () => {
    const t = formatTable(['A', 'BB'], [['xxx', 'y'], ['z', 'long cell']], 12);
    assert.deepEqual(t, { header: '  A   BB', lines: ['  xxx y', '  z   long c'] });
    assert.equal(tableWidth(['A', 'BB'], [['xxx', 'y'], ['z', 'long cell']]), 2 + 3 + 1 + 9);
  });
  it('draws a pane title heavy with a ▶ when it has the focus', () => {
    assert.equal(ruleText('VMs', 20, false), '── VMs ─────────────');
    assert.equal(ruleText('VMs', 20, true), '━━ ▶ VMs ━━━━━━━━━━━');
    assert.equal(ruleText('a very long title indeed', 12, false).length, 12);
  });
});

describe('load progress', () => {
  it('writes a line per stage with its time, and keeps the end of long paths', () => {
    let out = '';
    let t = 0;
    const p = new LoadProgress({ write: (s: string) => (out += s), isTTY: false }, 'loading d', () => t);
    p.step('opening the dump');
    t += 250;
    p.step('indexing DWARF of /root/.cache/qemu-vtop-fixtures/linux-image-6.1.0-53-cloud-amd64-dbg_6.1.187-1/usr/lib/debug/boot/vmlinux-6.1.0-53-cloud-amd64');
    t += 1000;
    p.step('reading a stage whose message is far too long for one line of the progress display');
    p.done();
    assert.match(out, /^qemu-vtop tui: loading d\n  ✓ opening the dump +0\.25 s\n  ✓ indexing DWARF of vmlinux-6\.1\.0-53-cloud-amd64 +1\.00 s\n  ✓ reading a stage whos… for one line of the progress display 0\.00 s\n  ready in 1\.25 s\n$/);
  });
  it('rewrites the pending line in place on a terminal, and marks a failed stage', () => {
    let out = '';
    const p = new LoadProgress({ write: (s: string) => (out += s), isTTY: true }, 'x', () => 0);
    p.step('opening the dump');
    p.failed();
    assert.ok(out.endsWith('  … opening the dump\r\x1b[K  ✗ opening the dump' + ' '.repeat(42) + ' 0.00 s\n'), JSON.stringify(out));
  });
});

describe('hexdump', () => {
  it("prints 16 bytes a line with ASCII, in 80 columns, and points at the translated address with '>'", () => {
    const data = Buffer.alloc(64);
    data.write('QVTOP-DEMO gpa=0x2000 slot=0 as=0');
    const lines = renderHexdump(0x68a9000n, data, { mark: 0x68a9015n });
    assert.equal(lines.length, 4);
    assert.equal(lines[0], ' 68a9000:  51 56 54 4f 50 2d 44 45  4d 4f 20 67 70 61 3d 30  QVTOP-DEMO gpa=0');
    assert.ok(lines[1].startsWith('>68a9010:'));
    assert.ok(lines.every((l) => l.length <= 79));
    assert.equal(renderHexdump(0n, data.subarray(0, 16), { perLine: 8 }).length, 2);
  });
});

describe('src/tui is a front end', () => {
  it('imports no page-table, kernel-walk or dump code: answers come from kvm/ and vtop/ like the CLI', () => {
    // What the TUI may use outside itself; a translation step written in src/tui would need more.
    const allowed = /^(blessed|node:path|\.\.\/(\.\.\/)?(io\/hex|io\/errors|kernel\/kernel|kvm\/(memslots|vms|vcpus|kvm-run|coverage)|vtop\/(translate|translation|guest-view|whose|render-[a-z]+))\.js)$/;
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
      }
    };
    walk('src/tui');
    assert.ok(files.length >= 15, String(files.length));
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/^import[^;]*? from '([^']+)'/gms)) {
        const spec = m[1];
        if (spec.startsWith('./') || (spec.startsWith('../') && !/^\.\.\/(\.\.\/)?(io|kernel|kvm|vtop|dump|arch|debuginfo|elf|cli|kvmi)\//.test(spec))) continue; // inside src/tui
        assert.match(spec, allowed, `${f} imports ${spec}`);
      }
    }
  });
});
