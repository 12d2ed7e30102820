// Acceptance for `vms`, `memslots`, `vcpus` and the VMA/PAGE sections of `vtop`, on the real dumps.
// Every expected value comes from the fixtures' ground truth: truth.json (made with the real crash and the
// VMM's own view), the crash 8.0.6 transcripts, and the VMM's serial log (what KVM_RUN returned to it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { crashCommands, type CrashCommand } from '../helpers/crash-transcript.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { realElfDump, realFile, realTruth } from '../helpers/real-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const truth = realTruth();
const hex = (v: string | bigint | number) => '0x' + BigInt(v).toString(16);
const PAGE = 4096;

let di: DebianDebuginfo;
let elf: string;
const dumps = new Map<string, string>();
before(async () => {
  di = await debianDebuginfo();
  elf = await realElfDump();
  dumps.set('elf', elf);
  for (const key of ['kdump-zlib', 'filtered-d31-lzo']) dumps.set(key, realFile(truth.dumps[key].file));
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[]): Any {
  const r = cli([...args, '--vmlinux', di.vmlinux, '--kvm-debuginfo', di.kvmKo, '--json']);
  assert.equal(r.status, 0, `qemu-vtop ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The VMMs of the fixture: the fixture VMM and the real QEMU, each with its struct kvm's truth. */
function vmms(): { pid: number; comm: string; fd: number; kvm: string; memslots: Any[]; spaces: Any[]; vcpus: Any[] }[] {
  const q = truth.qemu.kvm_vm_files[0];
  return [
    { pid: truth.vmm.pid, comm: truth.vmm.comm, fd: truth.vmm.vm_fd, kvm: truth.vmm.struct_kvm, memslots: truth.vmm.memslots, spaces: truth.vmm.address_spaces, vcpus: truth.vmm.vcpus },
    { pid: truth.qemu.pid, comm: truth.qemu.comm, fd: q.fd, kvm: q.struct_kvm, memslots: q.memslots, spaces: q.address_spaces, vcpus: q.vcpus },
  ];
}

const transcript = (): CrashCommand[] => crashCommands(realFile('crash-elf.txt'));

/** kvm-vcpu:N VMAs of a pid from crash's `vm PID`: N -> vm_start. */
function vcpuVmas(pid: number): Map<number, string> {
  const vm = transcript().find((c) => c.cmd === `vm ${pid}`)!;
  const out = new Map<number, string>();
  for (const l of vm.output) {
    const m = /^[0-9a-f]{16} +([0-9a-f]+) +[0-9a-f]+ +[0-9a-f]+ kvm-vcpu:(\d+)$/.exec(l);
    if (m) out.set(Number(m[2]), '0x' + m[1]);
  }
  return out;
}

describe('real-6.1: vms lists every VM of the host', () => {
  for (const key of ['elf', 'kdump-zlib', 'filtered-d31-lzo']) {
    it(`${key}: exactly the two VMMs of truth.json, with their struct kvm, fd, vCPUs and memory`, () => {
      const got = json(['vms', dumps.get(key)!]);
      const want = vmms();
      assert.deepEqual(got.map((v: Any) => v.pid).sort(), want.map((w) => w.pid).sort());
      for (const w of want) {
        const v = got.find((x: Any) => x.pid === w.pid);
        assert.equal(v.vm, w.kvm, `struct kvm of pid ${w.pid}`);
        assert.equal(v.comm, w.comm);
        assert.equal(v.fd, w.fd, `kvm-vm fd of pid ${w.pid}`);
        assert.equal(v.vcpus, w.vcpus.length);
        assert.equal(v.inVmList, true, 'on kvm.ko vm_list');
        assert.equal(v.viaFd, true);
        const as0 = w.memslots.filter((m: Any) => m.as_id === 0);
        assert.equal(v.memslots, as0.length);
        assert.equal(v.memoryBytes, as0.reduce((a: number, m: Any) => a + m.npages * PAGE, 0));
        for (const as of [0, 1]) {
          const slots = w.memslots.filter((m: Any) => m.as_id === as);
          const g = v.addressSpaces.find((a: Any) => a.asId === as);
          assert.deepEqual([g.memslots, g.memoryBytes], [slots.length, slots.reduce((a: number, m: Any) => a + m.npages * PAGE, 0)], `AS ${as} of pid ${w.pid}`);
        }
        assert.equal(v.guestMemfd, false);
        assert.equal(v.statsId, `kvm-${w.pid}`, 'stats_id is "kvm-%d" of the creating pid');
      }
    });
  }
  it('text: one row per VM naming struct kvm, pid and comm', () => {
    const r = cli(['vms', elf, di.vmlinux, '--kvm-debuginfo', di.kvmKo]);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^[0-9a-f]{16} /.test(l));
    assert.equal(rows.length, 2);
    for (const w of vmms()) assert.ok(rows.some((l) => l.startsWith(w.kvm.slice(2)) && l.includes(` ${w.pid} `) && l.includes(w.comm)), `row of ${w.pid}`);
  });
});

describe('real-6.1: memslots match every slot of truth.json', () => {
  for (const w of vmms()) {
    for (const sel of [['-g', String(w.pid)], ['--vm', w.kvm]]) {
      it(`pid ${w.pid} (${sel.join(' ')}): both address spaces, every slot`, () => {
        const [vm] = json(['memslots', elf, ...sel]);
        assert.equal(vm.vm, w.kvm);
        assert.equal(vm.pid, w.pid);
        const key = (m: Any) => `${m.as_id ?? m.asId}/${m.id}`;
        const got = new Map<string, Any>(vm.memslots.map((m: Any) => [key(m), m]));
        assert.equal(got.size, w.memslots.length);
        for (const t of w.memslots) {
          const m = got.get(key(t));
          assert.ok(m, `slot ${key(t)}`);
          assert.deepEqual(
            [m.addr, m.baseGfn, m.npages, m.userspaceAddr, m.flagsValue, m.dirtyBitmap, m.hasDirtyBitmap],
            [t.addr, t.base_gfn, t.npages, t.userspace_addr, t.flags, t.dirty_bitmap, BigInt(t.dirty_bitmap) !== 0n],
            `slot ${key(t)}`,
          );
          assert.equal(m.gpaStart, hex(BigInt(t.base_gfn) << 12n));
          assert.equal(m.gpaEnd, hex(((BigInt(t.base_gfn) + BigInt(t.npages)) << 12n) - 1n));
          assert.deepEqual(m.flags, [...(Number(t.flags) & 1 ? ['LOG_DIRTY_PAGES'] : []), ...(Number(t.flags) & 2 ? ['READONLY'] : [])]);
        }
        for (const s of w.spaces) {
          const a = vm.addressSpaces.find((x: Any) => x.asId === s.as_id);
          assert.deepEqual([a.memslotsSet, a.generation, a.nodeIdx, a.updateInProgress, a.smm], [s.memslots, s.generation, s.node_idx, false, s.as_id === 1], `AS ${s.as_id}`);
        }
      });
    }
  }
  it('text: every slot of the fixture VMM, its struct kvm_memory_slot and the SMM label', () => {
    const r = cli(['memslots', elf, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(truth.vmm.pid)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^AS 1 \(SMM\)/m);
    for (const t of truth.vmm.memslots) assert.ok(r.stdout.includes(t.addr.slice(2)), t.addr);
  });
});

describe('real-6.1: vcpus match truth.json, the transcript and what the VMM saw', () => {
  const serial = () => readFileSync(realFile('serial.log'), 'utf8');
  for (const w of vmms()) {
    it(`pid ${w.pid}: ids, struct kvm_vcpu, kvm_run, exit reasons, kvm_run hva, mode`, () => {
      const got = json(['vcpus', elf, '-g', String(w.pid)]);
      assert.equal(got.length, w.vcpus.length);
      const hvas = vcpuVmas(w.pid);
      for (const t of w.vcpus) {
        const v = got.find((x: Any) => x.vcpuId === t.vcpu_id);
        assert.ok(v, `vcpu ${t.vcpu_id}`);
        assert.deepEqual([v.vm, v.vcpuIdx, v.addr, v.run, v.exitReason.code], [w.kvm, t.vcpu_idx, t.addr, t.run, t.exit_reason], `vcpu ${t.vcpu_id}`);
        // uapi: KVM_EXIT_UNKNOWN 0, KVM_EXIT_IO 2, KVM_EXIT_HLT 5
        assert.equal(v.exitReason.name, { 0: 'UNKNOWN', 2: 'IO', 5: 'HLT' }[t.exit_reason as number]);
        assert.equal(v.runHva, t.kvm_run_hva ?? hvas.get(t.vcpu_id), `kvm_run hva of vcpu ${t.vcpu_id}`);
        assert.equal(v.runHva, hvas.get(t.vcpu_id), "the start of crash's kvm-vcpu:N VMA");
        const c = transcript().find((x) => x.cmd === `struct kvm_vcpu.vcpu_id,vcpu_idx,run,mode,pid ${t.addr.slice(2)}`)!;
        const mode = Number(/mode = (0x[0-9a-f]+)/.exec(c.output.join('\n'))![1]);
        assert.equal(v.mode.code, mode);
        assert.equal(v.stale, mode === 1);
      }
    });
  }
  it("the fixture VMM's IO exit: port, direction, size and data byte as KVM_RUN returned them (serial.log)", () => {
    const m = /QVTOP vcpu id=(\d+) .*exit_reason=2 io_port=(0x[0-9a-f]+) io_dir=(\d+) io_size=(\d+) io_data=(0x[0-9a-f]+)/.exec(serial())!;
    const v = json(['vcpus', elf, '-g', String(truth.vmm.pid)]).find((x: Any) => x.vcpuId === Number(m[1]));
    assert.deepEqual([v.io.port, v.io.direction.value, v.io.direction.name, v.io.size], [m[2], Number(m[3]), 'OUT', Number(m[4])]);
    assert.equal(v.io.data, Number(m[5]).toString(16).padStart(2, '0'));
    // build/vmm.c runs vCPU 1 on "mov dx,0x1234; mov al,0x42; out dx,al": KVM saved rdx and rax at that exit.
    assert.equal(BigInt(v.regs.rdx), 0x1234n);
    assert.equal(BigInt(v.regs.rax) & 0xffn, 0x42n);
  });
  it("each vCPU's thread is the one that ran KVM_RUN: the single-threaded VMM; QEMU's vCPUs never ran (-S)", () => {
    for (const v of json(['vcpus', elf, '-g', String(truth.vmm.pid)])) assert.equal(v.pid, truth.vmm.pid);
    for (const v of json(['vcpus', elf, '-g', String(truth.qemu.pid)])) assert.equal(v.pid, null);
  });
  it("vcpu_array holds the vCPUs crash's `tree -t xarray` listed, in order", () => {
    const cmds = transcript();
    for (const w of vmms()) {
      const px = cmds.find((x) => x.cmd === `px &((struct kvm *)${w.kvm})->vcpu_array`)!;
      const xa = /(0x[0-9a-f]+)\s*$/.exec(px.output.join(' ').trim())![1];
      const tree = cmds.find((x) => x.cmd === `tree -t xarray ${xa.slice(2)}`)!;
      const want = tree.output.filter((l) => /^[0-9a-f]+$/.test(l)).map((l) => '0x' + l);
      assert.ok(want.length > 0);
      assert.deepEqual(
        json(['vcpus', elf, '--vm', w.kvm]).map((v: Any) => v.addr),
        want,
      );
    }
  });
  it('text names the exit reasons and the IO port', () => {
    const r = cli(['vcpus', elf, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(truth.vmm.pid)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /exit_reason 5 HLT/);
    assert.match(r.stdout, /exit_reason 2 IO/);
    assert.match(r.stdout, /io\.port 0x1234/);
  });
});

/** Our lines from the VMA header to the end of the block (before our own NOTE/error lines). */
function ourSections(block: string): string[] {
  const lines = block.split('\n');
  const start = lines.indexOf('      VMA           START       END     FLAGS FILE');
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start)) {
    if (l.startsWith('qemu-vtop:') || l.startsWith('  NOTE:') || l.startsWith('GUEST PHYSICAL')) break;
    out.push(l);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

function crashSections(c: CrashCommand): string[] {
  const start = c.output.indexOf('      VMA           START       END     FLAGS FILE');
  const out = start < 0 ? [] : c.output.slice(start);
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

interface Probe {
  pid: number;
  as: number;
  gpa: string;
  hva: string;
}

function compareSections(dump: string, transcriptPath: string, probes: Probe[]): number {
  const crash = new Map<string, CrashCommand>();
  for (const c of crashCommands(transcriptPath)) {
    const m = /^vtop -u -c (\d+) ([0-9a-f]+)$/.exec(c.cmd);
    if (m) crash.set(`${m[1]}/${m[2]}`, c);
  }
  let compared = 0;
  const groups = new Map<string, Probe[]>();
  for (const p of probes) groups.set(`${p.pid}/${p.as}`, [...(groups.get(`${p.pid}/${p.as}`) ?? []), p]);
  for (const g of groups.values()) {
    const r = cli([dump, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(g[0].pid), '--as-id', String(g[0].as), '-p', ...g.map((p) => p.gpa)]);
    const blocks = r.stdout.split(/(?=^GUEST PHYSICAL)/m);
    assert.equal(blocks.length, g.length, r.stderr);
    g.forEach((p, i) => {
      const c = crash.get(`${p.pid}/${BigInt(p.hva).toString(16)}`);
      if (!c) return;
      const want = crashSections(c);
      assert.ok(want.length >= 2, `crash printed no VMA for ${p.hva}`);
      assert.deepEqual(ourSections(blocks[i]), want, `pid ${p.pid} gpa ${p.gpa} hva ${p.hva}`);
      compared++;
    });
  }
  return compared;
}

describe("vtop's VMA and PAGE sections equal crash's", () => {
  it('real-6.1 ELF: every marker, untouched page, the code page and every QEMU probe crash looked at', () => {
    const probes: Probe[] = [
      ...truth.markers.map((t: Any) => ({ pid: truth.vmm.pid, as: t.as_id, gpa: t.gpa, hva: t.hva })),
      ...truth.untouched.map((t: Any) => ({ pid: truth.vmm.pid, as: t.as_id, gpa: t.gpa, hva: t.hva })),
      { pid: truth.vmm.pid, as: truth.code_page.as_id, gpa: truth.code_page.gpa, hva: truth.code_page.hva },
      ...truth.qemu.probes.filter((t: Any) => t.in_memslot !== false).map((t: Any) => ({ pid: truth.qemu.pid, as: t.as_id, gpa: t.gpa, hva: t.hva })),
    ];
    const n = compareSections(elf, realFile('crash-elf.txt'), probes);
    const distinct = new Set(crashCommands(realFile('crash-elf.txt')).filter((c) => c.cmd.startsWith('vtop -u -c')).map((c) => c.cmd)).size;
    assert.ok(n >= distinct, `compared ${n} blocks, crash has ${distinct} distinct vtop commands`);
  });
  it('demo-6.1 kdump (in the repository): every marker and untouched page', () => {
    const demo = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
    const probes: Probe[] = [...demo.markers, ...demo.untouched, demo.code_page].map((t: Any) => ({ pid: demo.vmm.pid, as: t.as_id, gpa: t.gpa, hva: t.hva }));
    const n = compareSections('fixtures/demo-6.1/vmcore.kdump-zlib', 'fixtures/demo-6.1/crash-kdump-zlib.txt', probes);
    assert.ok(n >= demo.markers.length + demo.untouched.length, `compared ${n}`);
  });
  it('JSON carries the same VMA and struct page', () => {
    const m = truth.markers.find((t: Any) => t.page_size === '2M' && BigInt(t.hva) % 0x200000n !== 0n);
    const [t] = json([elf, '-g', String(truth.vmm.pid), '-p', m.gpa]);
    const c = transcript().find((x) => x.cmd === `vtop -u -c ${truth.vmm.pid} ${BigInt(m.hva).toString(16)}`)!;
    const sec = crashSections(c);
    const [vma, start, end, flags] = sec[1].split(/ +/);
    assert.deepEqual([t.vma.addr, t.vma.start, t.vma.end, t.vma.flags, t.vma.file], ['0x' + vma, '0x' + start, '0x' + end, '0x' + flags, '']);
    const [page, phys, mapping, index, cnt, pflags] = sec[4].split(/ +/);
    assert.deepEqual([t.page.addr, t.page.phys, t.page.mapping, t.page.index, t.page.count, t.page.flags], ['0x' + page, '0x' + phys, '0x' + mapping, '0x' + index, Number(cnt), '0x' + pflags]);
    // The head of this THP tail page is the struct page of the 2M-aligned pfn: crash printed it for the marker
    // at the start of the same huge page, or derive it from the struct page stride of two crash PAGE lines.
    const lines = transcript()
      .filter((x) => x.cmd.startsWith('vtop -u -c'))
      .map((x) => crashSections(x)[4])
      .filter(Boolean)
      .map((l) => l.split(/ +/));
    const [a, b] = [lines[0], lines.find((l) => l[1] !== lines[0][1])!];
    const stride = (BigInt('0x' + a[0]) - BigInt('0x' + b[0])) / ((BigInt('0x' + a[1]) - BigInt('0x' + b[1])) >> 12n);
    assert.equal(t.page.compoundHead, hex(BigInt('0x' + page) - ((BigInt(m.hpa) & 0x1ff000n) >> 12n) * stride), 'a tail page of the THP: its head is the 2M-aligned struct page');
  });
});
