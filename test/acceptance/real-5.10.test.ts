// Acceptance on ../shared/fixtures/real-5.10: a real Debian 11 (5.10) KVM host, array-era memslots, DWARF 4,
// a KASLR draw that puts vmalloc 23 TiB after the direct map (struct kvm is vmalloc'ed), no module BTF.
// Every expected value comes from the fixture's truth.json (crash 8.0.6 + the VMM's own pagemap) and the
// real crash transcript. Runs with the Debian debug files (fetched from bullseye through a private apt
// list) and with none at all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { truthGroups } from '../helpers/truth-groups.js';
import { openDump } from '../../src/dump/open.js';
import { openSession } from '../../src/vtop/session.js';
import { vtopByHva, vtopTableLines } from '../helpers/crash-transcript.js';
import { debianDebuginfo510, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { fixtureFile, fixtureTruth } from '../helpers/real-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const FIX = 'real-5.10';
const truth = fixtureTruth(FIX);
const dump = fixtureFile(FIX, truth.dumps['kdump-zlib'].file);
const PAGE: Record<string, number> = { '4K': 4096, '2M': 2097152 };
const hex = (v: string | bigint | number) => '0x' + BigInt(v).toString(16);

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const groups = () => truthGroups(truth);

let di: DebianDebuginfo;
before(async () => {
  di = await debianDebuginfo510();
});

const MODES: { name: string; args: () => string[] }[] = [
  { name: 'DWARF of the Debian 11 -dbg package', args: () => [di.vmlinux, '--kvm-debuginfo', di.kvmKo] },
  { name: 'no debug files (kallsyms + vmlinux BTF from the dump)', args: () => ['--types', 'btf'] },
];

for (const mode of MODES) {
  describe(`real-5.10 kdump-zlib, ${mode.name}: every truth.json address`, () => {
    for (const g of groups()) {
      it(`pid ${g.pid} as ${g.as}: ${g.items.length} gpas`, () => {
        const r = cli([dump, ...mode.args(), '-g', String(g.pid), '--as-id', String(g.as), '-p', ...g.items.map((i) => hex(i.t.gpa)), '--json']);
        assert.ok(r.stdout, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.equal(r.status, g.items.every((i) => i.kind === 'marker') ? 0 : 1, r.stderr);
        const mem = openDump([dump]);
        try {
          for (const { kind, t } of g.items) {
            const got = out.find((o: Any) => o.gpa === hex(t.gpa));
            assert.ok(got, `gpa ${hex(t.gpa)} missing`);
            if (kind === 'outside') {
              assert.equal(got.error?.code, 'GPA_NOT_IN_MEMSLOT');
              continue;
            }
            assert.equal(got.hva, hex(t.hva), `hva of ${hex(t.gpa)}`);
            if (kind === 'untouched') {
              assert.equal(got.error?.code, 'NOT_PRESENT', `gpa ${hex(t.gpa)}`);
            } else {
              assert.equal(got.error, undefined, JSON.stringify(got.error));
              assert.equal(got.hpa, hex(t.hpa), `hpa of ${hex(t.gpa)}`);
              assert.equal(got.pageSize, PAGE[t.page_size]);
              const want = Buffer.from(t.bytes_hex, 'hex');
              assert.deepEqual(mem.read(BigInt(t.hpa), want.length), want, `bytes at ${hex(t.hpa)}`);
            }
            for (const lv of t.levels ?? []) {
              const gl = got.levels.find((x: Any) => x.name === lv.level);
              assert.deepEqual([gl?.entry, gl?.value], [hex(lv.entry_paddr), hex(lv.value)], `${lv.level} of ${hex(t.gpa)}`);
            }
          }
        } finally {
          mem.close();
        }
      });
    }
  });
}

describe('real-5.10: text output equals the real crash transcript', () => {
  for (const pid of [truth.vmm.pid, truth.qemu.pid]) {
    it(`pid ${pid}: the page-table lines of every vtop crash printed`, () => {
      const crash = vtopByHva(fixtureFile(FIX, 'crash-kdump.txt'), pid);
      let compared = 0;
      for (const g of groups().filter((x) => x.pid === pid)) {
        const items = g.items.filter((i) => i.kind !== 'outside');
        if (!items.length) continue;
        const r = cli([dump, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', String(pid), '--as-id', String(g.as), '-p', ...items.map((i) => hex(i.t.gpa))]);
        const blocks = r.stdout.split(/(?=^GUEST PHYSICAL)/m);
        for (const [n, i] of items.entries()) {
          const c = crash.get(BigInt(i.t.hva).toString(16));
          if (!c) continue; // crash was asked once per distinct hva
          const want = vtopTableLines(c);
          const lines = blocks[n].split('\n');
          const start = lines.findIndex((l) => /^ {3}PGD:/.test(l));
          assert.deepEqual(lines.slice(start, start + want.length), want, `gpa ${hex(i.t.gpa)}`);
          compared++;
        }
      }
      assert.ok(compared >= 3, `compared ${compared} blocks`);
    });
  }
});

/** The two VMMs of the fixture with their truth. */
function vmms(): { pid: number; comm: string; kvm: string; memslots: Any[]; spaces: Any[]; vcpus: Any[] }[] {
  const q = truth.qemu.kvm_vm_files[0];
  return [
    { pid: truth.vmm.pid, comm: truth.vmm.comm, kvm: truth.vmm.struct_kvm, memslots: truth.vmm.memslots, spaces: truth.vmm.address_spaces, vcpus: truth.vmm.vcpus },
    { pid: truth.qemu.pid, comm: truth.qemu.comm, kvm: q.struct_kvm, memslots: q.memslots, spaces: q.address_spaces, vcpus: q.vcpus },
  ];
}

for (const mode of MODES) {
  describe(`real-5.10 vms, memslots, vcpus, ${mode.name}`, () => {
    const json = (cmd: string, extra: string[] = []) => {
      const r = cli([cmd, dump, ...mode.args(), ...extra, '--json']);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    it('vms: both VMMs with their struct kvm, vCPUs and memory', () => {
      const got = json('vms');
      assert.deepEqual(got.map((v: Any) => v.pid).sort(), vmms().map((w) => w.pid).sort());
      for (const w of vmms()) {
        const v = got.find((x: Any) => x.pid === w.pid);
        assert.deepEqual([v.vm, v.comm, v.vcpus], [w.kvm, w.comm, w.vcpus.length]);
        const as0 = w.memslots.filter((m: Any) => m.as_id === 0);
        assert.equal(v.memslots, as0.length);
        assert.equal(v.memoryBytes, as0.reduce((a: number, m: Any) => a + m.npages * 4096, 0));
      }
    });
    it('memslots: every slot of both address spaces, the set address and generation', () => {
      for (const w of vmms()) {
        const [vm] = json('memslots', ['-g', String(w.pid)]);
        assert.equal(vm.vm, w.kvm);
        for (const sp of w.spaces) {
          const a = vm.addressSpaces.find((x: Any) => x.asId === sp.as_id);
          assert.deepEqual([a.memslotsSet, a.generation, a.updateInProgress], [sp.memslots, sp.generation, false], `pid ${w.pid} as ${sp.as_id}`);
        }
        assert.equal(vm.memslots.length, w.memslots.length);
        for (const m of w.memslots) {
          const s = vm.memslots.find((x: Any) => x.asId === m.as_id && x.id === m.id);
          assert.ok(s, `pid ${w.pid} slot ${m.as_id}:${m.id}`);
          assert.deepEqual([s.baseGfn, s.npages, s.userspaceAddr, s.flagsValue], [hex(m.base_gfn), m.npages, hex(m.userspace_addr), hex(m.flags)]);
          if (m.addr) assert.equal(s.addr, m.addr);
          if (m.dirty_bitmap) assert.equal(s.dirtyBitmap, m.dirty_bitmap);
        }
      }
    });
    it('vcpus: each vCPU with its struct kvm_vcpu, kvm_run and exit reason', () => {
      for (const w of vmms()) {
        const got = json('vcpus', ['-g', String(w.pid)]);
        assert.equal(got.length, w.vcpus.length);
        for (const v of w.vcpus) {
          const g = got.find((x: Any) => x.vcpuId === v.vcpu_id);
          assert.deepEqual([g.addr, g.run, g.exitReason.code], [v.addr, v.run ?? g.run, v.exit_reason], `pid ${w.pid} vcpu ${v.vcpu_id}`);
          if (v.kvm_run_hva) assert.equal(g.runHva, v.kvm_run_hva);
        }
      }
    });
  });
}

describe('real-5.10: without module BTF, info says where kvm’s types come from', () => {
  it('the vmlinux BTF answers for struct kvm, kallsyms for the symbols', () => {
    const r = cli(['info', dump, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.osrelease, truth.kernel.release);
    assert.match(s.types, /kvm's structs from the vmlinux BTF \(no module BTF in this kernel/);
    assert.match(s.types, /kallsyms in the dump/);
  });
});

describe('real-5.10: debug files found by build-id, as gdb and drgn find them', () => {
  it('vmlinux by VMCOREINFO BUILD-ID, kvm.ko by the build-id note in the loaded module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qv-buildid-'));
    const link = (id: string, target: string) => {
      const p = join(dir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`);
      mkdirSync(dirname(p), { recursive: true });
      symlinkSync(resolve(target), p);
    };
    link(truth.vmlinux_build_id, di.vmlinux);
    link(truth.kvm_ko_build_id, di.kvmKo);
    const s = openSession({ dump: [dump], types: 'dwarf', debugDirs: [dir], env: {} });
    try {
      assert.equal(s.typesUsed, 'dwarf');
      assert.deepEqual(
        s.debugSources?.map((x) => /build-id ([0-9a-f]+)/.exec(x)?.[1]),
        [truth.vmlinux_build_id, truth.kvm_ko_build_id],
        JSON.stringify(s.debugSources),
      );
    } finally {
      s.close();
    }
    const m = truth.markers[0];
    const r = cli([dump, '--debug-dir', dir, '--types', 'dwarf', '-g', String(truth.vmm.pid), '--as-id', String(m.as_id), '-p', hex(m.gpa), '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout)[0].hpa, hex(m.hpa));
  });
});

describe('real-5.10: a vmlinux found by build-id without its kvm.ko', () => {
  it('auto: falls back to the types in the dump and still translates; --types dwarf: says kvm.ko is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qv-buildid-vmlinux-only-'));
    const p = join(dir, '.build-id', truth.vmlinux_build_id.slice(0, 2), `${truth.vmlinux_build_id.slice(2)}.debug`);
    mkdirSync(dirname(p), { recursive: true });
    symlinkSync(resolve(di.vmlinux), p);
    const s = openSession({ dump: [dump], debugDirs: [dir], env: {} });
    try {
      assert.match(s.typesUsed, /^btf-from-dump/);
    } finally {
      s.close();
    }
    assert.throws(() => openSession({ dump: [dump], types: 'dwarf', debugDirs: [dir], env: {} }), /no debug info for kvm\.ko/);
  });
});
