// The LZO1X decompressor (src/dump/lzo.ts): hand-assembled streams whose output follows from the LZO1X
// instruction encoding (one test per instruction kind), corrupt streams that must end in LzoError (never a
// hang, never another exception), and every page of a real `makedumpfile -l` dump against the zlib page of
// the demo dump it was made from. The dumps are parsed with the naive test parser, not with kdump.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { LzoError, lzo1xDecompress } from '../../src/dump/lzo.js';
import { rawKdump } from '../helpers/kdump-raw.js';

const EOS = [0x11, 0x00, 0x00]; // M4 with distance 0x4000 and length 3: end of stream
const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
const lzo = (bytes: number[], max = 1 << 16) => lzo1xDecompress(Buffer.from(bytes), max);

describe('LZO1X: instruction kinds, streams assembled by hand', () => {
  it('a first-byte literal run (byte 17+n) and the end marker', () => {
    assert.equal(lzo([17 + 5, ...ascii('hello'), ...EOS]).toString(), 'hello');
  });
  it('M1 after 1-3 literals: 2 bytes from up to 1 KiB back', () => {
    // 3 literals, then t=0b0010_00: distance 1 + (t>>2) + (next<<2) = 3, copies "ab"
    assert.equal(lzo([17 + 3, ...ascii('abc'), 0x08, 0x00, ...EOS]).toString(), 'abcab');
  });
  it('M1 after a literal run of 4 or more: 3 bytes from 2 KiB + 1 back', () => {
    const lit = Array.from({ length: 0x900 }, (_, i) => (i * 7 + 3) & 0xff);
    // literal run of 0x900: t=0 then zero-extended length 0x900 - 3 - 15 = 255*8 + 246
    const run = [0x00, ...new Array(8).fill(0), 246, ...lit];
    const out = lzo([...run, 0x00, 0x00, ...EOS]);
    assert.deepEqual([...out], [...lit, ...lit.slice(0x900 - 0x801, 0x900 - 0x801 + 3)]);
  });
  it('M2: 3-8 bytes from up to 2 KiB back, overlapping its own output', () => {
    // length 6 = (t>>5) + 1, distance 3 = 1 + ((t>>2)&7) + (next<<3)
    assert.equal(lzo([17 + 3, ...ascii('abc'), (5 << 5) | (2 << 2), 0x00, ...EOS]).toString(), 'abcabcabc');
  });
  it('M3 with a zero-extended length, and literals carried in its low bits', () => {
    // length 100 = 33 + 67, distance 4 = 1 + (d>>2); d's low bits say 2 literals follow
    const out = lzo([17 + 4, ...ascii('abcd'), 0x20, 67, (3 << 2) | 2, 0x00, ...ascii('XY'), ...EOS]);
    assert.equal(out.toString(), 'abcd'.repeat(26) + 'XY');
  });
  it('M4: a match more than 16 KiB back', () => {
    const lit = Array.from({ length: 0x4005 }, (_, i) => (i * 13 + 1) & 0xff);
    // literal run of 0x4005 bytes: 0x4005 - 3 - 15 = 255*64 + 51; then M4 length 4, distance 0x4000 + 5
    const out = lzo([0x00, ...new Array(64).fill(0), 51, ...lit, 16 | 2, 5 << 2, 0x00, ...EOS]);
    assert.deepEqual([...out], [...lit, ...lit.slice(0, 4)]);
  });
});

describe('LZO1X: corrupt streams end in LzoError', () => {
  const cases: [string, number[], number?][] = [
    ['too short', [0x00]],
    ['literal run past the input', [0x15, 0x61, 0x62]],
    ['match before the start of the output', [0x12, 0x61, 0x20, 0xff, 0xff, 0x11, 0x00, 0x00]],
    ['long length run past the input', [0x20 + 31, 0, 0, 0, 0, 0, 0], 64],
    ['output larger than allowed', [17 + 5, ...ascii('hello'), ...EOS], 4],
    ['end marker with a length', [17 + 1, 0x61, 0x12, 0x00, 0x00]],
    ['bytes after the end marker', [17 + 1, 0x61, ...EOS, 0x00]],
    ['no end marker', [17 + 3, ...ascii('abc'), 0x08, 0x00]],
  ];
  for (const [name, bytes, max] of cases) it(name, () => assert.throws(() => lzo(bytes, max ?? 4096), LzoError));
});

describe('LZO1X: pages of a real makedumpfile -l dump', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qv-lzo-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
  let lzoFile: Buffer;
  before(() => {
    execFileSync('makedumpfile', ['-l', '-d', '23', DEMO, join(dir, 'demo.lzo')], { stdio: ['ignore', 'pipe', 'pipe'] });
    lzoFile = readFileSync(join(dir, 'demo.lzo'));
  });
  const zlibFile = readFileSync(DEMO);

  /** LZO-compressed pages of the makedumpfile output (descriptor flags 0x2), with the zlib original. */
  const lzoPages = () => {
    const l = rawKdump(lzoFile);
    const z = new Map(rawKdump(zlibFile).descs.map((d) => [d.pfn, d]));
    return l.descs
      .filter((d) => d.flags === 0x2)
      .map((d) => {
        const zd = z.get(d.pfn)!;
        const zdata = zlibFile.subarray(zd.offset, zd.offset + zd.size);
        return { pfn: d.pfn, data: lzoFile.subarray(d.offset, d.offset + d.size), want: zd.flags === 1 ? inflateSync(zdata) : zdata };
      });
  };

  it('every LZO page decompresses to the zlib page of the same pfn', () => {
    const pages = lzoPages();
    assert.ok(pages.length > 9000, `${pages.length} lzo pages`);
    for (const p of pages) assert.deepEqual(lzo1xDecompress(p.data, 4096), p.want, `pfn 0x${p.pfn.toString(16)}`);
  });

  it('cut short or damaged real pages fail with LzoError or decode to at most a page, and never hang', () => {
    const pages = lzoPages().filter((_, i) => i % 97 === 0);
    let seed = 12345;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    let errors = 0;
    for (const p of pages) {
      for (let cut = 0; cut < p.data.length; cut += Math.max(1, p.data.length >> 4)) {
        assert.throws(() => lzo1xDecompress(p.data.subarray(0, cut), 4096), LzoError, `pfn ${p.pfn} cut at ${cut}`);
      }
      for (let k = 0; k < 20; k++) {
        const bad = Buffer.from(p.data);
        for (let j = 0; j < 3; j++) bad[rnd(bad.length)] = rnd(256);
        try {
          assert.ok(lzo1xDecompress(bad, 4096).length <= 4096);
        } catch (e) {
          assert.ok(e instanceof LzoError, String(e));
          errors++;
        }
      }
    }
    assert.ok(errors > 0);
  });
});
