// `extract` on the demo dump (no debug files): the demo VMM's guest is not Linux, so this checks the layout
// and the honesty rules, not a guest kernel (the acceptance suite opens a real guest with drgn and crash).
// Expected values come from fixtures/demo-6.1/truth.json (markers written by the VMM, read back by crash; pages it
// never touched); program headers are read by binutils' readelf, kdump pages by libkdumpfile.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const hex = (v: string | bigint) => '0x' + BigInt(v).toString(16);
const dir = mkdtempSync(join(tmpdir(), 'qv-extract-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Load {
  offset: number;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

/** PT_LOADs as binutils' readelf prints them (independent of src/elf). */
function readelfLoads(file: string): Load[] {
  const out = execFileSync('readelf', ['-lW', file], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => /^\s+LOAD\s/.test(l))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return { offset: Number(f[1]), paddr: BigInt(f[3]), filesz: BigInt(f[4]), memsz: BigInt(f[5]) };
    });
}

const slotPages = (as: number) => truth.vmm.memslots.filter((s: { as_id: number }) => s.as_id === as).reduce((a: number, s: { npages: number }) => a + s.npages, 0);

describe('extract --format elf on the demo dump', () => {
  for (const as of [0, 1]) {
    it(`address space ${as}: every marker is in a PT_LOAD with its bytes, no untouched page is`, () => {
      const file = join(dir, `demo-as${as}.elf`);
      const r = runCli(['extract', DEMO, '-g', String(truth.vmm.pid), '--as-id', String(as), '-o', file, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const s = r.json();
      assert.equal(s.totalPages, slotPages(as), 'every page of the slots of this address space is counted once');
      assert.equal(Object.values(s.pages as Record<string, number>).reduce((a, b) => a + b, 0), s.totalPages);
      const loads = readelfLoads(file);
      const bytes = readFileSync(file);
      assert.equal(loads.length, s.loads);
      for (const l of loads) assert.equal(l.filesz, l.memsz, 'no PT_LOAD has bytes missing from the file');
      const written = loads.reduce((a, l) => a + l.filesz, 0n);
      assert.equal(written, BigInt(s.writtenPages) * 4096n);
      assert.equal(statSync(file).size, loads.length ? loads[loads.length - 1].offset + Number(loads[loads.length - 1].filesz) : statSync(file).size);
      const find = (gpa: bigint) => loads.find((l) => gpa >= l.paddr && gpa < l.paddr + l.filesz);
      const markers = truth.markers.filter((m: { as_id: number }) => m.as_id === as);
      assert.ok(markers.length > 0);
      for (const m of markers) {
        const l = find(BigInt(m.gpa));
        assert.ok(l, `marker gpa ${m.gpa} is in no PT_LOAD`);
        const want = Buffer.from(m.bytes_hex, 'hex');
        const at = l.offset + Number(BigInt(m.gpa) - l.paddr);
        assert.deepEqual(bytes.subarray(at, at + want.length), want, `bytes at gpa ${m.gpa}`);
      }
      for (const u of truth.untouched.filter((x: { as_id: number }) => x.as_id === as)) assert.equal(find(BigInt(u.gpa)), undefined, `untouched gpa ${u.gpa} must not be written (as zeros or otherwise)`);
    });
  }

  it('refuses to overwrite without --force, overwrites with it, and leaves no temporary file', () => {
    const file = join(dir, 'exists.elf');
    writeFileSync(file, 'keep me');
    const r = runCli(['extract', DEMO, '-g', String(truth.vmm.pid), '-o', file, '--json']);
    assert.equal(r.status, 2);
    assert.equal(r.json().error.code, 'OUTPUT_EXISTS');
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
    const f = runCli(['extract', DEMO, '-g', String(truth.vmm.pid), '-o', file, '--force']);
    assert.equal(f.status, 0, f.stderr);
    assert.equal(readFileSync(file).subarray(0, 4).toString('latin1'), '\x7fELF');
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
  });

  it('-o - writes the same ELF to stdout, and the summary to stderr', () => {
    const file = join(dir, 'demo-as0.elf');
    const r = spawnSync(process.execPath, ['bin/qemu-vtop', 'extract', DEMO, '-g', String(truth.vmm.pid), '-o', '-'], { maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(r.stdout.equals(readFileSync(file)), 'stdout bytes equal the file written with -o FILE');
    assert.match(r.stderr.toString(), /PT_LOAD/);
    const k = runCli(['extract', DEMO, '-g', String(truth.vmm.pid), '-o', '-', '--format', 'kdump', '--json']);
    assert.equal(k.json().error.code, 'USAGE');
  });
});

describe('extract --format kdump on the demo dump, read by libkdumpfile', () => {
  for (const compress of ['zlib', 'none']) it(`--compress ${compress}: holds every marker and marks every untouched page as not dumped (libkdumpfile: no data)`, () => {
    const file = join(dir, `demo-${compress}.kdump`);
    const r = runCli(['extract', DEMO, '-g', String(truth.vmm.pid), '-o', file, '--format', 'kdump', '--compress', compress, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const markers = truth.markers.filter((m: { as_id: number }) => m.as_id === 0);
    const untouched = truth.untouched.filter((m: { as_id: number }) => m.as_id === 0);
    const reqs = [...markers.map((m: { gpa: string; bytes_hex: string }) => `${hex(m.gpa)}:${m.bytes_hex.length / 2}`), ...untouched.map((u: { gpa: string }) => `${hex(u.gpa)}:8`)];
    const lines = execFileSync('/usr/bin/python3', ['test/helpers/kdump-probe.py', file, ...reqs], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(lines[0], 'arch x86_64');
    markers.forEach((m: { bytes_hex: string; gpa: string }, i: number) => assert.equal(lines[1 + i], m.bytes_hex, `gpa ${m.gpa}`));
    untouched.forEach((u: { gpa: string }, i: number) => assert.match(lines[1 + markers.length + i], /^nodata: /, `untouched gpa ${u.gpa} must not read as zeros`));
  });
});

describe('vms --json says whether an extract would be complete', () => {
  it('the demo VM has untouched pages (truth.json): not complete, and it counts the pages extract writes', () => {
    const v = runCli(['vms', DEMO, '--json']).json();
    const vm = v.find((x: { vm: string }) => x.vm === hex(truth.vmm.struct_kvm));
    assert.equal(vm.extract.complete, false);
    const e = runCli(['extract', DEMO, '-g', String(truth.vmm.pid), '-o', join(dir, 'cov.elf'), '--json']).json();
    assert.equal(e.complete, false);
    assert.deepEqual([vm.extract.pages, vm.extract.written], [slotPages(0), e.writtenPages]);
    assert.ok(e.pages['not-touched'] >= truth.untouched.filter((u: { as_id: number }) => u.as_id === 0).length);
  });
});
