// Acceptance for `extract`: the real L2 guest of guest-6.1 taken out of the host dump, as ELF and as kdump, and
// opened by tools that are not ours: drgn (Debian's python3-drgn 0.0.22, with the guest's debug vmlinux) lists the
// guest's tasks, finds the marker task and reads every marker at its gva; crash (Debian's 8.0.2: it cannot build
// this kernel's task table, but `rd -p` works) reads every marker at its gpa. Expected values: truth-guest.json
// (crash 8.0.6 + the guest's own pagemap). A page the host dump lacks (a derived host dump without two marker
// pages; real-6.1's -d 31 dump) is absent from the ELF and not dumped in the kdump. Fails when fixtures are missing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ElfFile } from '../../src/elf/elf.js';
import { FileSource } from '../../src/io/source.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { deriveKdump } from '../helpers/derive-kdump.js';
import { realFile, realTruth } from '../helpers/real-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const hex = (v: string | bigint) => '0x' + BigInt(v).toString(16);
const START_KERNEL_MAP = 0xffffffff80000000n;
const GUEST = resolve(process.env.QEMU_VTOP_GUEST_FIXTURE ?? '../shared/fixtures/guest-6.1');
function guestFile(name: string): string {
  const p = resolve(GUEST, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: the acceptance suite needs the guest-6.1 fixture beside the repository`);
  return p;
}

const dir = mkdtempSync(join(tmpdir(), 'qv-extract-acc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let di: DebianDebuginfo;
let g: Json;
const files: Record<string, string> = {};

function extract(dump: string, pid: number, out: string, format: string): Json {
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', 'extract', dump, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(pid), '-o', out, '--format', format, '--force', '--json'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function drgn(core: string, pid: number, markers: Json[], absent: string[] = []): Json {
  const args = ['test/acceptance/py/drgn-guest.py', core, di.vmlinux, String(pid), ...markers.map((m) => `${BigInt(m.gva).toString(16)}:${m.bytes_hex.length / 2}`)];
  if (absent.length) args.push('--absent', ...absent);
  return JSON.parse(execFileSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 300_000 }));
}

interface Load {
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
}
function readelfLoads(file: string): Load[] {
  return execFileSync('readelf', ['-lW', file], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^\s+LOAD\s/.test(l))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return { offset: Number(f[1]), vaddr: BigInt(f[2]), paddr: BigInt(f[3]), filesz: BigInt(f[4]), memsz: BigInt(f[5]) };
    });
}

before(async () => {
  di = await debianDebuginfo();
  g = JSON.parse(readFileSync(guestFile('truth-guest.json'), 'utf8'));
  const host = guestFile('vmcore.d19.kdump-zlib');
  for (const f of ['elf', 'kdump']) files[f] = join(dir, `guest.${f}`);
  files.summaryElf = JSON.stringify(extract(host, g.qemu.pid, files.elf, 'elf'));
  files.summaryKdump = JSON.stringify(extract(host, g.qemu.pid, files.kdump, 'kdump'));
  // The same host dump without the host pages of the first two markers.
  files.derived = join(dir, 'host-without-two-markers.kdump');
  deriveKdump(host, files.derived, g.l2_markers.slice(0, 2).map((m: Json) => BigInt(m.hpa)));
  for (const f of ['elf', 'kdump']) {
    files[`d-${f}`] = join(dir, `derived.${f}`);
    files[`dsum-${f}`] = JSON.stringify(extract(files.derived, g.qemu.pid, files[`d-${f}`], f));
  }
});

describe('extract of the guest-6.1 L2 guest, opened by drgn and crash', () => {
  for (const f of ['elf', 'kdump']) {
    it(`${f}: drgn lists the guest's tasks, finds the marker task and reads every marker at its gva`, () => {
      const out = drgn(files[f], g.l2_ready.marker_pid ? Number(g.l2_ready.marker_pid) : 126, g.l2_markers);
      const pid = Number(g.l2_ready.marker_pid);
      assert.ok(out.tasks.some(([p, c]: [number, string]) => p === pid && c === 'qvtop-l2marker'), `tasks: ${JSON.stringify(out.tasks)}`);
      assert.ok(out.tasks.some(([p]: [number]) => p === 1), 'init is listed');
      assert.equal(out.comm, 'qvtop-l2marker');
      for (const [i, m] of g.l2_markers.entries()) assert.equal(out.markers[i][1], m.bytes_hex, `marker at gva ${m.gva}`);
    });

    it(`${f}: crash reads every marker at its gpa with rd -p`, () => {
      const cmds = [...g.l2_markers.map((m: Json) => `rd -p -a ${BigInt(m.gpa).toString(16)}`), 'q', ''].join('\n');
      const out = execFileSync('crash', ['-s', di.vmlinux, files[f]], { input: cmds, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
      for (const m of g.l2_markers) {
        assert.match(out, new RegExp(`${BigInt(m.gpa).toString(16)}:\\s+${m.crash_rd_ascii.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `crash rd -p ${m.gpa}:\n${out.slice(-1500)}`);
      }
    });
  }

  it("elf: the RAM PT_LOADs are the memslots' present runs, p_vaddr is the guest direct map, the text PT_LOAD is _text.._end", () => {
    const s = JSON.parse(files.summaryElf);
    assert.equal(s.complete, true, 'guest-6.1 holds every page of the L2 guest');
    // Present runs = the slots of address space 0 merged where they touch (every page present: see `complete`).
    const slots = g.qemu.memslots.filter((m: Json) => m.as_id === 0).map((m: Json) => [BigInt(m.base_gfn) << 12n, (BigInt(m.base_gfn) + BigInt(m.npages)) << 12n]).sort((a: bigint[], b: bigint[]) => (a[0] < b[0] ? -1 : 1));
    const runs: bigint[][] = [];
    for (const [a, b] of slots) {
      const last = runs[runs.length - 1];
      if (last && last[1] === a) last[1] = b;
      else runs.push([a, b]);
    }
    const loads = readelfLoads(files.elf);
    const text = BigInt(g.l2_kernel.ksyms_runtime._text);
    const ram = loads.filter((l) => l.vaddr !== text);
    assert.deepEqual(ram.map((l) => [l.paddr, l.paddr + l.filesz]), runs);
    for (const l of loads) assert.equal(l.filesz, l.memsz);
    const pob = BigInt(drgn(files.elf, Number(g.l2_ready.marker_pid), []).page_offset_base);
    for (const l of ram) assert.equal(l.vaddr, pob + l.paddr, `p_vaddr of the load at ${hex(l.paddr)}`);
    const t = loads.filter((l) => l.vaddr === text);
    assert.equal(t.length, 1);
    assert.equal(t[0].paddr, BigInt.asUintN(64, text - START_KERNEL_MAP + BigInt(g.l2_kernel.phys_base)));
    const endLink = execFileSync('readelf', ['-sW', di.vmlinux], { encoding: 'utf8', maxBuffer: 256 << 20 }).split('\n').find((l) => / _end$/.test(l));
    assert.ok(endLink, "vmlinux's _end");
    const end = BigInt('0x' + endLink!.trim().split(/\s+/)[1]) + BigInt(g.l2_kernel.kaslr_offset);
    assert.equal(t[0].filesz, end - text);
  });

  it("elf and kdump: the VMCOREINFO note is the guest's, byte for byte", () => {
    const elf = new ElfFile(new FileSource(files.elf));
    const notes = elf.notes();
    const vi = notes.find((n) => n.name === 'VMCOREINFO');
    assert.ok(vi);
    assert.equal(vi.desc.length, g.l2_kernel.vmcoreinfo_note.descsz);
    assert.equal(vi.desc.toString('latin1').replace(/\0+$/, ''), g.l2_kernel.vmcoreinfo_note.text.replace(/\0+$/, ''));
    assert.equal(notes.filter((n) => n.name === 'CORE' && n.type === 1).length, g.qemu.vcpus.length, 'one NT_PRSTATUS per vCPU');
    const raw = execFileSync('/usr/bin/python3', ['-c', 'import sys,kdumpfile; k=kdumpfile.kdumpfile(sys.argv[1]); sys.stdout.buffer.write(bytes(k.attr["linux.vmcoreinfo.raw"]))', files.kdump], { encoding: 'latin1' });
    assert.equal(raw.replace(/\0+$/, ''), g.l2_kernel.vmcoreinfo_note.text.replace(/\0+$/, ''));
  });
});

describe('a page the host dump lacks is never written', () => {
  it('derived host dump without two marker pages: absent from the ELF (drgn faults), not dumped in the kdump (drgn: excluded)', () => {
    const gone = g.l2_markers.slice(0, 2);
    const kept = g.l2_markers.slice(2);
    const se = JSON.parse(files['dsum-elf']);
    assert.equal(se.complete, false);
    assert.equal(se.pages.excluded, 2, JSON.stringify(se.pages));
    const loads = readelfLoads(files['d-elf']);
    for (const m of gone) {
      const gpa = BigInt(m.gpa);
      assert.ok(!loads.some((l) => gpa >= l.paddr && gpa < l.paddr + l.filesz), `gpa ${m.gpa} is in a PT_LOAD`);
    }
    for (const f of ['elf', 'kdump']) {
      const out = drgn(files[`d-${f}`], Number(g.l2_ready.marker_pid), g.l2_markers, gone.map((m: Json) => hex(m.gpa)));
      gone.forEach((m: Json, i: number) => {
        assert.match(out.markers[i][1], /^fault: /, `${f}: marker gva ${m.gva} must not read`);
        assert.match(out.absent[i][1], f === 'kdump' ? /^fault: .*excluded/i : /^fault: /, `${f}: gpa ${m.gpa}: ${out.absent[i][1]}`);
      });
      kept.forEach((m: Json, i: number) => assert.equal(out.markers[2 + i][1], m.bytes_hex, `${f}: marker ${m.gva} still reads`));
    }
  });

  it("real-6.1's -d 31 dump: the VMM's marker pages are in no PT_LOAD, and libkdumpfile says excluded", () => {
    const t = realTruth();
    const dump = realFile(t.dumps['filtered-d31-lzo'].file);
    const elf = join(dir, 'd31.elf');
    const kd = join(dir, 'd31.kdump');
    const s = extract(dump, t.vmm.pid, elf, 'elf');
    extract(dump, t.vmm.pid, kd, 'kdump');
    assert.equal(s.pages.data ?? 0, 0, 'the -d 31 dump holds no user page');
    const markers = t.markers.filter((m: Json) => m.as_id === 0);
    const loads = readelfLoads(elf);
    for (const m of markers) assert.ok(!loads.some((l) => BigInt(m.gpa) >= l.paddr && BigInt(m.gpa) < l.paddr + l.filesz), `gpa ${m.gpa}`);
    const lines = execFileSync('/usr/bin/python3', ['test/helpers/kdump-probe.py', kd, ...markers.map((m: Json) => `${hex(m.gpa)}:8`)], { encoding: 'utf8' }).trim().split('\n');
    markers.forEach((m: Json, i: number) => assert.equal(lines[1 + i], 'nodata: Excluded page', `gpa ${m.gpa}`));
  });
});
