// The flattened-format reader (src/dump/flattened.ts). Synthetic streams are checked against what the
// real `makedumpfile -R` reassembles from them (later records overwrite earlier ones, unwritten bytes
// are holes); a real `makedumpfile -F` stream against its -R reassembly, record by record, reading only
// the record headers while opening.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FlattenedHoleError, FlattenedSource, isFlattened } from '../../src/dump/flattened.js';
import { BufferSource, FileSource, ShortReadError } from '../../src/io/source.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-flat-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A flattened stream: makedumpfile_header (BE int64 type 1, version 1) padded to 4096, records, end record. */
function flatten(records: [number, Buffer][], opts: { end?: boolean; version?: number } = {}): Buffer {
  const head = Buffer.alloc(4096);
  head.write('makedumpfile', 0, 'latin1');
  head.writeBigInt64BE(1n, 16);
  head.writeBigInt64BE(BigInt(opts.version ?? 1), 24);
  const parts: Buffer[] = [head];
  for (const [offset, data] of records) {
    const h = Buffer.alloc(16);
    h.writeBigInt64BE(BigInt(offset), 0);
    h.writeBigInt64BE(BigInt(data.length), 8);
    parts.push(h, data);
  }
  if (opts.end ?? true) parts.push(Buffer.alloc(16, 0xff));
  return Buffer.concat(parts);
}

/** What the real makedumpfile -R makes of a stream. */
function reassemble(stream: Buffer, name: string): Buffer {
  const f = join(dir, name);
  writeFileSync(f + '.flat', stream);
  execFileSync('sh', ['-c', 'makedumpfile -R "$1" < "$0"', f + '.flat', f], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(f);
}

const fill = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + 7) & 0xff));

describe('flattened: synthetic streams against makedumpfile -R', () => {
  // Out of order, overlapping (B overwrites part of A, C part of B), a hole at 150..200, a lone record at 200.
  const records: [number, Buffer][] = [
    [100, fill(50, 1)],
    [0, fill(120, 2)],
    [110, fill(5, 3)],
    [200, fill(10, 4)],
    [4000, fill(9000, 5)],
    [210, fill(3790, 6)],
  ];
  const stream = flatten(records);
  const src = new FlattenedSource(new BufferSource(stream, 'syn.flat'));
  const want = reassemble(stream, 'syn');
  const holes = [[150, 200]];
  const inHole = (o: number) => holes.some(([s, e]) => o >= s && o < e);

  it('is recognised and sized like the reassembled file', () => {
    assert.equal(isFlattened(new BufferSource(stream)), true);
    assert.equal(isFlattened(new BufferSource(want)), false);
    assert.equal(src.size, want.length);
    assert.equal(src.records, records.length);
  });

  it('reads every written byte as makedumpfile -R placed it, single bytes and ranges across records', () => {
    for (let o = 0; o < want.length; o++) if (!inHole(o)) assert.equal(src.read(o, 1)[0], want[o], `byte ${o}`);
    for (const [o, n] of [[0, 150], [95, 30], [200, 12800], [205, 10], [3990, 20]]) assert.deepEqual(src.read(o, n), want.subarray(o, o + n), `${o}+${n}`);
  });

  it('refuses to invent bytes no record wrote, and reads past the end', () => {
    assert.throws(() => src.read(150, 1), FlattenedHoleError);
    assert.throws(() => src.read(140, 20), (e: unknown) => e instanceof FlattenedHoleError && /byte 0x96/.test(e.message) && /syn\.flat/.test(e.message));
    assert.throws(() => src.read(want.length - 4, 8), ShortReadError);
  });

  it('a stream cut short keeps what it has and says so', () => {
    const cut = stream.subarray(0, stream.length - 16 - 1000); // no end record, the last record 1000 bytes short
    const s = new FlattenedSource(new BufferSource(cut, 'cut.flat'));
    assert.match(s.truncated!, /runs past the end of the file/);
    // The last record (offset 210, 3790 bytes) keeps its first 2790 bytes; the record at 4000 is whole.
    assert.deepEqual(s.read(0, 150), want.subarray(0, 150));
    assert.deepEqual(s.read(210, 2790), want.subarray(210, 3000));
    assert.equal(s.size, 13000);
    assert.throws(() => s.read(3000, 1), FlattenedHoleError);
    const noEnd = new FlattenedSource(new BufferSource(flatten(records, { end: false }), 'noend.flat'));
    assert.match(noEnd.truncated!, /without its end record/);
    assert.deepEqual(noEnd.read(0, 150), want.subarray(0, 150));
  });

  it('refuses other versions and other files with what to do', () => {
    assert.throws(() => new FlattenedSource(new BufferSource(flatten(records, { version: 2 }), 'v2.flat')), /version 2.*makedumpfile -R/);
    assert.throws(() => new FlattenedSource(new BufferSource(want, 'plain')), /not a makedumpfile flattened file/);
  });
});

describe('flattened: makedumpfile -F output', () => {
  const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
  const flat = join(dir, 'demo.flat');
  const reassembled = join(dir, 'demo.reassembled');
  before(() => {
    execFileSync('sh', ['-c', 'makedumpfile -F -c -d 23 "$0" > "$1"', DEMO, flat], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('sh', ['-c', 'makedumpfile -R "$1" < "$0"', flat, reassembled], { stdio: ['ignore', 'ignore', 'pipe'] });
  });

  it('opens reading only the record headers, then reads every record as -R placed it', () => {
    const file = new FileSource(flat);
    const src = new FlattenedSource(file);
    // The first cache block (the 4 KiB header and a bit) and 16 bytes per record: the data is skipped.
    assert.ok(file.bytesRead <= 65536 + 16 * (src.records + 1), `${file.bytesRead} bytes read`);
    assert.ok(file.bytesRead < file.size / 100);
    const want = readFileSync(reassembled);
    assert.equal(src.size, want.length);
    // Walk the stream independently and compare each record's range.
    const stream = readFileSync(flat);
    let at = 4096;
    let n = 0;
    for (;;) {
      const offset = Number(stream.readBigInt64BE(at));
      const len = Number(stream.readBigInt64BE(at + 8));
      if (offset === -1) break;
      assert.deepEqual(src.read(offset, len), want.subarray(offset, offset + len), `record at ${offset}`);
      at += 16 + len;
      n++;
    }
    assert.equal(n, src.records);
    assert.ok(n > 100);
  });
});
