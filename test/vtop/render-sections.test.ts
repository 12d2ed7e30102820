// crash's VMA and PAGE sections and its page-flag decoding, against the real crash 8.0.6 transcript of the
// demo-6.1 fixture (in the repository): every VMA line of `vm 120` and every PAGE line of its `vtop`s is
// parsed into fields and must render back byte for byte; the flag names must be what crash printed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PageFlagName, pageFlagNames, pageflagsFromEnumerators, pageFlagsText, type PageInfo } from '../../src/kernel/page.js';
import { pageSection, vmaLine, vmaSection } from '../../src/vtop/render-text.js';
import { crashCommands } from '../helpers/crash-transcript.js';

const TRANSCRIPT = 'fixtures/demo-6.1/crash-kdump-zlib.txt';

/** Linux 6.1 include/trace/events/mmflags.h __def_pageflag_names (the order of mm/debug.c pageflag_names[]), with
 *  enum pageflags bit numbers of 6.1 (x86_64, CONFIG_MEMORY_FAILURE=n, CONFIG_PAGE_IDLE_FLAG=n as in Debian cloud). */
const PAGEFLAG_NAMES_6_1: [string, number][] = [
  ['locked', 0], ['waiters', 7], ['error', 8], ['referenced', 1], ['uptodate', 2], ['dirty', 3], ['lru', 4], ['active', 5],
  ['workingset', 6], ['slab', 9], ['owner_priv_1', 10], ['arch_1', 11], ['reserved', 12], ['private', 13], ['private_2', 14],
  ['writeback', 15], ['head', 16], ['mappedtodisk', 17], ['reclaim', 18], ['swapbacked', 19], ['unevictable', 20], ['mlocked', 21],
  ['uncached', 22], ['arch_2', 23],
];
const TABLE: PageFlagName[] = PAGEFLAG_NAMES_6_1.map(([name, bit]) => ({ name, mask: 1n << BigInt(bit) }));

/** enum pageflags of 6.1 in declaration order, with the aliases that follow __NR_PAGEFLAGS. */
const ENUM_6_1 = new Map<string, bigint>([
  ...['locked', 'referenced', 'uptodate', 'dirty', 'lru', 'active', 'workingset', 'waiters', 'error', 'slab', 'owner_priv_1', 'arch_1', 'reserved', 'private', 'private_2', 'writeback', 'head', 'mappedtodisk', 'reclaim', 'swapbacked', 'unevictable', 'mlocked', 'uncached', 'arch_2'].map(
    (n, i): [string, bigint] => [`PG_${n}`, BigInt(i)],
  ),
  ['__NR_PAGEFLAGS', 24n],
  ['PG_readahead', 18n],
  ['PG_anon_exclusive', 17n],
  ['PG_checked', 10n],
]);

const cmds = crashCommands(TRANSCRIPT);
const PAGE_HEADER = '      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS';
const VMA_HEADER = '      VMA           START       END     FLAGS FILE';

interface PageLine {
  line: string;
  page: PageInfo;
  names: string[];
}

function pageLines(): PageLine[] {
  const out: PageLine[] = [];
  for (const c of cmds.filter((x) => x.cmd.startsWith('vtop '))) {
    const i = c.output.indexOf(PAGE_HEADER);
    if (i < 0) continue;
    const line = c.output[i + 1];
    const m = /^([0-9a-f]{16}) +([0-9a-f]+) +([0-9a-f]+) +([0-9a-f]+) +(-?\d+) ([0-9a-f]+)(?: (\S+))?$/.exec(line);
    assert.ok(m, `unparsed PAGE line: ${line}`);
    const flags = BigInt('0x' + m[6]);
    const names = m[7] ? m[7].split(',') : [];
    out.push({
      line,
      names,
      page: { addr: BigInt('0x' + m[1]), phys: BigInt('0x' + m[2]), pfn: BigInt('0x' + m[2]) >> 12n, mapping: BigInt('0x' + m[3]), index: BigInt('0x' + m[4]), count: Number(m[5]), flags, flagNames: names },
    });
  }
  return out;
}

describe("crash's PAGE section (demo-6.1 transcript)", () => {
  const pages = pageLines();
  it('the transcript has PAGE lines, with and without flag names', () => {
    assert.ok(pages.length >= 5, `${pages.length} PAGE lines`);
    assert.ok(pages.some((p) => p.names.length === 0) && pages.some((p) => p.names.includes('head')));
  });
  it("decodes every page's flags to crash's names from pageflag_names (upper node/zone/section bits unnamed)", () => {
    for (const p of pages) assert.deepEqual(pageFlagNames(p.page.flags, TABLE), p.names, p.line);
  });
  it("decodes them the same from enum pageflags (crash's fallback), stopping at __NR_PAGEFLAGS", () => {
    const t = pageflagsFromEnumerators(ENUM_6_1)!;
    assert.equal(t.length, 24);
    assert.ok(!t.some((f) => f.name === 'checked' || f.name === 'readahead'));
    for (const p of pages) assert.deepEqual(pageFlagNames(p.page.flags, t), p.names, p.line);
  });
  it('refuses an enum without __NR_PAGEFLAGS or with more than 32 flags, as crash does', () => {
    assert.equal(pageflagsFromEnumerators(new Map([['PG_locked', 0n]])), undefined);
    assert.equal(pageflagsFromEnumerators(new Map([['__NR_PAGEFLAGS', 40n]])), undefined);
  });
  it('renders the header and every line byte for byte', () => {
    for (const p of pages) {
      assert.equal(pageFlagsText(p.page.flags, p.names), p.line.slice(p.line.lastIndexOf(p.page.flags.toString(16))));
      assert.deepEqual(pageSection(p.page, 7), [PAGE_HEADER, p.line]);
    }
  });
  it('widens the PHYSICAL column for a larger machine (PADDR_PRLEN over 8)', () => {
    const [h, l] = pageSection({ ...pages[0].page, phys: 0x1234567000n }, 10);
    assert.equal(h, '      PAGE         PHYSICAL      MAPPING       INDEX CNT FLAGS');
    assert.equal(l.slice(17, 27), '1234567000');
  });
});

describe("crash's VMA section (demo-6.1 transcript, vm 120)", () => {
  const vm = cmds.find((c) => c.cmd === 'vm 120')!;
  const start = vm.output.indexOf(VMA_HEADER);
  const lines = vm.output.slice(start + 1).filter((l) => /^[0-9a-f]{16} /.test(l));
  it('has the VMA list', () => {
    assert.ok(start > 0 && lines.length >= 10);
  });
  it('renders every VMA line (anonymous, file-backed, kvm-vcpu) byte for byte', () => {
    for (const line of lines) {
      const m = /^([0-9a-f]{16}) +([0-9a-f]+) +([0-9a-f]+) +([0-9a-f]+) (.*)$/.exec(line)!;
      const v = { addr: BigInt('0x' + m[1]), start: BigInt('0x' + m[2]), end: BigInt('0x' + m[3]), flags: BigInt('0x' + m[4]), file: m[5] };
      assert.equal(vmaLine(v), line);
      assert.deepEqual(vmaSection(v), [VMA_HEADER, line]);
    }
  });
  it('says "(not found)" under the header when no VMA holds the address', () => {
    assert.deepEqual(vmaSection(null), [VMA_HEADER, '(not found)']);
  });
});
