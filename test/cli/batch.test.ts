// Batches on the demo dump: addresses from a file (-p @FILE) and stdin (-p -), --brief, --jsonl, and the streamed
// text and JSON being byte for byte what the same addresses on the command line give. Answers from truth.json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gpaInputs } from '../../src/cli/gpa-input.js';
import { BatchWriter, briefLine } from '../../src/vtop/render-stream.js';
import { type Translation } from '../../src/vtop/translation.js';
import { runCli } from '../helpers/cli.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const hex = (v: string) => '0x' + BigInt(v).toString(16);
const OUTSIDE = '0x7000000000'; // in no memslot of the demo VM

interface Mark {
  gpa: string;
  as_id: number;
  hva: string;
  hpa?: string;
  page_size?: string;
}
const space0 = (l: Mark[]) => l.filter((t) => t.as_id === 0);
const markers: Mark[] = space0(truth.markers);
const untouched: Mark[] = space0(truth.untouched);
const gpas = [...markers, ...untouched].map((t) => hex(t.gpa));

let di: DebianDebuginfo;
let dir: string;
let load: string[];
before(async () => {
  di = await debianDebuginfo();
  dir = mkdtempSync(join(tmpdir(), 'qv-batch-'));
  load = [DEMO, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '--types', 'dwarf', '-g', String(truth.vmm.pid)];
});
after(() => rmSync(dir, { recursive: true, force: true }));

function list(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('batch input and output (demo-6.1)', () => {
  it('-p @FILE --brief: one line per address, gpa hva hpa pagesize or the error code, as truth.json says', () => {
    // comments, blank lines, several per line, with or without 0x
    const body = `# demo markers\n${gpas.slice(0, 2).join(' ')}\n\n${gpas.slice(2).map((g) => g.slice(2)).join('\n')}\n${OUTSIDE}  # outside\n`;
    const r = runCli([...load, '--brief', '-p', `@${list('a.txt', body)}`]);
    assert.equal(r.status, 1, r.stderr); // untouched pages and OUTSIDE have no translation
    const want = [
      ...markers.map((t) => `${hex(t.gpa)} ${hex(t.hva)} ${hex(t.hpa!)} ${t.page_size}`),
      ...untouched.map((t) => `${hex(t.gpa)} ${hex(t.hva)} - NOT_PRESENT`),
      `${OUTSIDE} - - GPA_NOT_IN_MEMSLOT`,
    ];
    assert.deepEqual(r.stdout.trimEnd().split('\n'), want);
  });

  it('-p - --jsonl: stdin, one object per line, the objects of --json', () => {
    const json = runCli([...load, '--json', '-p', ...gpas]);
    const viaStdin = spawnSync(process.execPath, ['bin/qemu-vtop', ...load, '--jsonl', '-p', '-'], { input: gpas.join('\n') + '\n', encoding: 'utf8' });
    assert.equal(viaStdin.status, json.status, viaStdin.stderr);
    const lines = viaStdin.stdout.trimEnd().split('\n');
    assert.equal(lines.length, gpas.length);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      json.json(),
    );
  });

  it('streamed text and --json from @FILE are byte for byte the output of the same addresses on the command line', () => {
    const file = `@${list('b.txt', gpas.join('\n'))}`;
    for (const fmt of [[], ['--json']]) {
      const a = runCli([...load, ...fmt, '-p', ...gpas]);
      const b = runCli([...load, ...fmt, '-p', file]);
      assert.equal(b.status, a.status);
      assert.equal(b.stdout, a.stdout);
    }
    // and mixed: literals and a file, in order
    const m = runCli([...load, '--brief', '-p', gpas[0], `@${list('c.txt', gpas[1])}`]);
    assert.deepEqual(
      m.stdout.trimEnd().split('\n').map((l) => l.split(' ')[0]),
      [gpas[0], gpas[1]],
    );
  });

  it('refuses what is not a list of addresses, naming the file and line; one output format at a time', () => {
    const bad = runCli([...load, '--brief', '-p', `@${list('d.txt', `${gpas[0]}\nzz9\n`)}`]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /d\.txt:2: "zz9" is not an address/);
    // a chunk of the list (64 KiB) is checked before it is translated: nothing of this one was written
    assert.equal(bad.stdout, '');
    const missing = runCli([...load, '-p', `@${join(dir, 'nope.txt')}`]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot open the address list .*nope\.txt/);
    const two = runCli([...load, '--brief', '--jsonl', '-p', gpas[0]]);
    assert.equal(two.status, 2);
    assert.match(two.stderr, /--jsonl and --brief are different output formats|--brief and --jsonl are different/);
  });
});

describe('gpaInputs and BatchWriter', () => {
  it('reads a list longer than one read chunk, across chunk boundaries', () => {
    const d = mkdtempSync(join(tmpdir(), 'qv-gpa-'));
    try {
      const want = Array.from({ length: 30_000 }, (_, i) => BigInt(i) * 0x1001n + 7n);
      const p = join(d, 'l.txt');
      writeFileSync(p, want.map((v, i) => (i % 3 ? '0x' : '') + v.toString(16) + (i % 5 ? '\n' : '\r\n')).join(''));
      assert.deepEqual([...gpaInputs(['0x5', `@${p}`, '6'])], [5n, ...want, 6n]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('writes a JSON array identical to JSON.stringify(array, null, 2), for 0, 1 and 3 elements', () => {
    const t = (gpa: bigint): Translation => ({ gpa, asId: 0, levels: [{ name: 'PGD', entry: 0x10n, value: 0x20n }], error: { code: 'X', message: 'a\nb' } });
    for (const n of [0, 1, 3]) {
      let s = '';
      const w = new BatchWriter('json', (x) => (s += x));
      const ts = Array.from({ length: n }, (_, i) => t(BigInt(i)));
      for (const x of ts) w.add(x);
      w.end();
      assert.deepEqual(JSON.parse(s), JSON.parse(JSON.stringify(ts.map((x) => ({ gpa: '0x' + x.gpa.toString(16), asId: 0, levels: [{ name: 'PGD', entry: '0x10', value: '0x20' }], error: x.error })))));
      assert.equal(s, JSON.stringify(JSON.parse(s), null, 2) + '\n');
    }
    assert.equal(briefLine({ gpa: 0x2000n, asId: 0, levels: [], hva: 0x7f00n, hpa: 0x5000n, pageSize: 2097152n }), '0x2000 0x7f00 0x5000 2M\n');
  });
});
