// Acceptance for the guest views (read, --gva, guest, --ps, coverage) on guest-6.1: a real QEMU running a real
// Linux guest inside the dumped host. Every expected value comes from truth-guest.json / truth.json (made with
// crash 8.0.6 and checked against QEMU's own info registers / gva2gpa and the guest's /proc/self/pagemap).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { guestFile, guestTruth, hostTruth } from '../helpers/guest-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const truth = guestTruth();
const host = hostTruth();
const dump = guestFile('vmcore.d19.kdump-zlib');
const QEMU = String(truth.qemu.pid);
const hexn = (v: string | bigint | number) => '0x' + BigInt(v).toString(16);

let di: DebianDebuginfo;
before(async () => {
  di = await debianDebuginfo();
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string; raw: Buffer } {
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', ...args], { maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}
function json(args: string[]): Any {
  const r = cli([...args, '--json']);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.status}): ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 500)}`);
  }
}

describe('guest-6.1: read', () => {
  it('read --raw of every guest marker gpa returns its marker string', () => {
    for (const m of truth.l2_markers) {
      const r = cli(['read', dump, di.vmlinux, '-g', QEMU, '-p', m.gpa, '-n', String(m.marker.length), '--raw']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.raw.toString('latin1'), m.marker, `marker at gpa ${m.gpa}`);
      assert.equal(r.raw.toString('hex'), m.bytes_hex.slice(0, m.marker.length * 2));
    }
  });
  it('read text is crash rd -p -8 lines with the marker bytes', () => {
    const m = truth.l2_markers[0];
    const r = cli(['read', dump, di.vmlinux, '-g', QEMU, '-p', m.gpa, '-n', '16']);
    assert.equal(r.status, 0, r.stderr);
    const bytes = Buffer.from(m.bytes_hex.slice(0, 32), 'hex');
    const want = `${BigInt(m.gpa).toString(16).padStart(16)}:  ${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}   ${m.marker.slice(0, 16)}`;
    assert.equal(r.stdout.trimEnd(), want);
  });
  it("a read of the VMM's memfd slot (excluded by -d 19) fails, never zeros", () => {
    const m = host.markers.find((x: Any) => x.page_in_dump === false);
    assert.ok(m, 'truth.json has an excluded marker');
    const raw = cli(['read', dump, di.vmlinux, '-g', String(host.vmm.pid), '-p', m.gpa, '-n', '16', '--raw']);
    assert.equal(raw.status, 1);
    assert.equal(raw.raw.length, 0);
    assert.match(raw.stderr, new RegExp(`gpa ${m.gpa}.*PAGE_EXCLUDED`));
    const j = json(['read', dump, di.vmlinux, '-g', String(host.vmm.pid), '-p', m.gpa, '-n', '16']);
    assert.deepEqual(j.missing.map((x: Any) => [x.gpa, x.length, x.reason]), [[m.gpa, 16, 'excluded']]);
    assert.equal(j.bytes, '..'.repeat(16));
  });
  it('a read across the end of guest RAM names the gpa outside every memslot', () => {
    const end = truth.qemu.memslots.filter((s: Any) => s.as_id === 0).map((s: Any) => BigInt(s.base_gfn) * 4096n + BigInt(s.npages) * 4096n).filter((e: bigint) => e === 0x8000000n);
    assert.equal(end.length, 1, 'the 128 MiB RAM slot ends at 0x8000000');
    const j = json(['read', dump, di.vmlinux, '-g', QEMU, '-p', '0x7fffff8', '-n', '16']);
    assert.deepEqual(j.missing.map((x: Any) => [x.gpa, x.length, x.reason]), [['0x8000000', 8, 'no-memslot']]);
  });
});

describe('guest-6.1: --gva', () => {
  it('every marker with --vcpu 0: the truth CR3, each guest level, gpa, hva and hpa', () => {
    const got = json([dump, di.vmlinux, '-g', QEMU, '--vcpu', '0', '--gva', ...truth.l2_markers.map((m: Any) => m.gva)]);
    assert.equal(got.length, truth.l2_markers.length);
    truth.l2_markers.forEach((m: Any, i: number) => {
      const g = got[i];
      assert.equal(g.gva, m.gva);
      assert.equal(g.cr3, m.l2_cr3);
      assert.equal(g.cr3, truth.qemu.vcpus[0].vmcb_save.cr3, 'CR3 of the VMCB save area');
      assert.equal(g.cr3Source.kind, 'vcpu');
      assert.match(g.cr3Source.description, /VMCB save area/);
      assert.deepEqual(
        g.guestLevels.map((l: Any) => [l.name, l.entry, l.value]),
        m.l2_levels.map((l: Any) => [l.level, l.entry_gpa, l.value]),
      );
      assert.equal(g.gpa, m.gpa);
      assert.equal(g.hva, m.hva);
      assert.equal(g.hpa, m.hpa);
      assert.equal(g.error, undefined);
    });
  });
  it('the text shows the guest levels as crash prints them, then the host block', () => {
    const m = truth.l2_markers[0];
    const r = cli([dump, di.vmlinux, '-g', QEMU, '--gva', m.gva]);
    assert.equal(r.status, 0, r.stderr);
    for (const l of m.l2_levels) assert.ok(r.stdout.includes(`   ${l.level}: ${BigInt(l.entry_gpa).toString(16)} => ${BigInt(l.value).toString(16)}\n`), `${l.level} line`);
    assert.match(r.stdout, new RegExp(`\\n${BigInt(m.gpa).toString(16)} +${BigInt(m.hva).toString(16)} +${BigInt(m.hpa).toString(16)}\\n`));
  });
  it('the never touched guest page stops with GUEST_NOT_PRESENT at the truth level', () => {
    for (const u of truth.l2_untouched) {
      const r = cli([dump, di.vmlinux, '-g', QEMU, '--vcpu', '0', '--gva', u.gva, '--json']);
      assert.equal(r.status, 1);
      const [g] = JSON.parse(r.stdout);
      assert.equal(g.error.code, 'GUEST_NOT_PRESENT');
      assert.equal(g.error.level, u.walk_stops_at_level);
      assert.deepEqual(g.guestLevels.map((l: Any) => [l.name, l.entry, l.value]), u.l2_levels.map((l: Any) => [l.level, l.entry_gpa, l.value]));
      assert.equal(g.guestLevels.at(-1).value, u.stop_entry_value);
      assert.equal(g.gpa, undefined);
    }
  });
  it('--guest-kernel translates init_task, linux_banner and init_top_pgt; init_task.comm reads swapper/0', () => {
    const k = truth.l2_kernel;
    const syms = ['init_task', 'linux_banner', 'init_top_pgt'];
    const got = json([dump, di.vmlinux, '-g', QEMU, '--guest-kernel', '--gva', ...syms.map((s) => k[s].gva)]);
    syms.forEach((s, i) => {
      assert.equal(got[i].cr3Source.kind, 'guest-kernel');
      assert.equal(got[i].cr3, k.init_top_pgt.gpa, 'CR3 = init_top_pgt gpa');
      assert.equal(got[i].gpa, k[s].gpa, `${s} gpa`);
      if (k[s].hpa) assert.equal(got[i].hpa, k[s].hpa, `${s} hpa`);
    });
    const comm = cli(['read', dump, di.vmlinux, '-g', QEMU, '-p', hexn(BigInt(k.init_task.gpa) + BigInt(k.init_task.comm_offset)), '-n', '16', '--raw']);
    assert.equal(comm.raw.toString('latin1').replace(/\0.*$/s, ''), 'swapper/0');
    const banner = cli(['read', dump, di.vmlinux, '-g', QEMU, '-p', k.linux_banner.gpa, '-n', String(k.linux_banner.text.length), '--raw']);
    assert.equal(banner.raw.toString('latin1'), k.linux_banner.text);
  });
  it('--guest-pid (the marker pid) gives the same gpa as --vcpu 0, with and without debug files', () => {
    const pid = String(truth.l2_markers[0].l2_pid);
    const gvas = truth.l2_markers.map((m: Any) => m.gva);
    for (const files of [[dump, di.vmlinux], [dump]]) {
      const got = json([...files, '-g', QEMU, '--guest-pid', pid, '--gva', ...gvas]);
      truth.l2_markers.forEach((m: Any, i: number) => {
        assert.equal(got[i].cr3Source.kind, 'guest-pid');
        assert.equal(got[i].cr3, m.l2_cr3);
        assert.equal(got[i].gpa, m.gpa, `${m.gva} (${files.length === 1 ? 'no debug files' : 'DWARF'})`);
      });
    }
  });
});

describe('guest-6.1: guest', () => {
  it("prints the truth's OSRELEASE, BUILD-ID, KERNELOFFSET and the note's gpa, and vCPU 0's VMCB state", () => {
    const k = truth.l2_kernel;
    const g = json(['guest', dump, di.vmlinux, '-g', QEMU]);
    assert.equal(g.vmcoreinfo.osrelease, k.osrelease);
    assert.equal(g.vmcoreinfo.buildId, k.build_id);
    assert.equal(g.vmcoreinfo.kernelOffset, hexn(k.kaslr_offset));
    assert.equal(g.vmcoreinfo.physBase, k.phys_base);
    assert.equal(g.vmcoreinfo.gpa, k.vmcoreinfo_note.gpa);
    assert.equal(g.vmcoreinfo.hva, k.vmcoreinfo_note.hva);
    assert.equal(g.vmcoreinfo.hpa, k.vmcoreinfo_note.hpa);
    assert.equal(g.vmcoreinfo.text, k.vmcoreinfo_note.text.replace(/\0+$/, ''));
    assert.equal(g.vmcoreinfo.pagingLevels, k.pgtable_l5_enabled ? 5 : 4);
    const save = truth.qemu.vcpus[0].vmcb_save;
    assert.deepEqual([g.vcpus[0].cr0, g.vcpus[0].cr3, g.vcpus[0].cr4, g.vcpus[0].efer, g.vcpus[0].rip, g.vcpus[0].cpl], [save.cr0, save.cr3, save.cr4, save.efer, save.rip, save.cpl]);
    assert.equal(g.vcpus[0].vmcb, truth.qemu.vcpus[0].vmcb);
    assert.equal(g.debugVmlinux.path, di.vmlinux, "the host's vmlinux has the guest's build-id");
    const text = cli(['guest', dump, di.vmlinux, '-g', QEMU]).stdout;
    for (const s of [k.osrelease, k.build_id, BigInt(k.kaslr_offset).toString(16)]) assert.ok(text.includes(s), s);
  });
  for (const mode of ['guest debug vmlinux', 'no debug files']) {
    it(`--ps lists the marker pid with comm qvtop-l2marker (${mode})`, () => {
      const files = mode === 'no debug files' ? [dump] : [dump, '--guest-vmlinux', di.vmlinux];
      const g = json(['guest', ...files, '-g', QEMU, '--ps']);
      assert.ok(g.tasks, g.tasksError);
      const m = truth.l2_markers[0];
      const t = g.tasks.find((x: Any) => x.pid === m.l2_pid);
      assert.ok(t, `pid ${m.l2_pid} listed`);
      assert.equal(t.comm, 'qvtop-l2marker');
      assert.equal(t.kernelThread, false);
      const swapper = g.tasks.find((x: Any) => x.pid === 0);
      assert.equal(swapper.task, truth.l2_kernel.init_task.gva, 'pid 0 is init_task');
      assert.match(g.tasksFrom, mode === 'no debug files' ? /BTF in guest RAM/ : /DWARF/);
    });
  }
});

describe('guest-6.1: coverage', () => {
  it("QEMU's guest RAM is in the dump; the VMM's memfd slot is excluded", () => {
    const all = json(['coverage', dump, di.vmlinux]);
    const q = all.find((v: Any) => v.pid === truth.qemu.pid);
    assert.equal(q.summary.inDump, q.summary.pages, q.summary.text);
    assert.equal(q.summary.pages, truth.qemu.memslots.filter((s: Any) => s.as_id === 0).reduce((a: number, s: Any) => a + s.npages, 0));
    const vmm = all.find((v: Any) => v.pid === host.vmm.pid);
    const excludedMarkers = host.markers.filter((m: Any) => m.page_in_dump === false);
    for (const m of excludedMarkers) {
      const s = vmm.spaces[0].slots.find((x: Any) => x.memslot.id === m.slot_id);
      assert.equal(s.inDump, 0, `memfd slot ${m.slot_id}`);
      assert.ok(s.excluded >= 1, `memfd slot ${m.slot_id} has excluded pages`);
    }
  });
});

describe('guest-6.1: the TUI state (go-to box "gva ADDR", VM list coverage, hexdump through read)', () => {
  it('gva of a marker: the guest breakdown of the truth, then the host block, and the marker in the hexdump', async () => {
    const { openSession } = await import('../../src/vtop/session.js');
    const { TuiState } = await import('../../src/tui/state.js');
    const { loadVendorTypes } = await import('../../src/vtop/vendor-types.js');
    const s = openSession({ dump: [dump], vmlinux: di.vmlinux });
    try {
      const st = new TuiState(s.kernel, { vendor: () => loadVendorTypes(s, { vmlinux: di.vmlinux }), guestKernel: { hostVmlinux: di.vmlinux } });
      const q = st.vms.findIndex((v) => v.owners[0]?.pid === truth.qemu.pid);
      assert.ok(q >= 0);
      assert.equal(st.vmRows()[q].at(-1), '100%', 'IN DUMP of QEMU');
      st.selectVm(q);
      const m = truth.l2_markers[0];
      const r = st.translate(`gva ${m.gva}`);
      assert.equal(r.ok, true, r.status);
      assert.equal(hexn(st.lastGuest!.cr3), m.l2_cr3);
      assert.deepEqual(st.lastGuest!.levels.map((l) => [l.name, hexn(l.entry), hexn(l.value)]), m.l2_levels.map((l: Any) => [l.level, l.entry_gpa, l.value]));
      assert.equal(hexn(r.translation!.hpa!), m.hpa);
      const lines = st.guestLines();
      assert.ok(lines.some((l) => l.includes(`PTE: ${BigInt(m.l2_levels[3].entry_gpa).toString(16)} => ${BigInt(m.l2_levels[3].value).toString(16)}`)), lines.join('\n'));
      const h = st.hexdump(80);
      assert.equal(h.message, undefined);
      assert.ok(h.lines[h.markLine!].endsWith(m.marker.slice(0, 16)), h.lines[h.markLine!]);
      const k = st.translate(`gva ${truth.l2_kernel.init_task.gva} kernel`);
      assert.equal(k.ok, true, k.status);
      assert.equal(hexn(st.lastGuest!.gpa!), truth.l2_kernel.init_task.gpa);
      assert.equal(hexn(st.last!.hpa!), truth.l2_kernel.init_task.hpa);
      const u = st.translate(`gva ${truth.l2_untouched[0].gva}`);
      assert.equal(u.ok, false);
      assert.match(u.status, /guest PTE .* is empty/);
    } finally {
      s.close();
    }
  });
});

describe('guest-6.1: KVMI GET_REGISTERS from the VMCB save area', () => {
  it("CR3 is the VMCB's; segments and descriptor tables are filled (QEMU's info registers for the ones that never change)", async () => {
    const { openSession } = await import('../../src/vtop/session.js');
    const { DumpedVm } = await import('../../src/kvmi/dump-vm.js');
    const { handle } = await import('../../src/kvmi/handler.js');
    const { CMD, maskOf, READ_COMMANDS } = await import('../../src/kvmi/protocol.js');
    const { GuestView } = await import('../../src/vtop/guest-view.js');
    const { loadVendorTypes } = await import('../../src/vtop/vendor-types.js');
    const { vmContext } = await import('../../src/vtop/translate.js');
    const { addressSpaces } = await import('../../src/kvm/memslots.js');
    const { findTask } = await import('../../src/kernel/tasks.js');
    const { kvmSymbols, vmsOfTask } = await import('../../src/kvm/vm.js');
    const s = openSession({ dump: [dump], vmlinux: di.vmlinux });
    try {
      const k = s.kernel;
      const t = findTask(k, BigInt(truth.qemu.pid));
      const [vm] = vmsOfTask(k, t.task, kvmSymbols(k));
      const ctx = vmContext(k, vm.kvm, addressSpaces(k, vm.kvm), t.task, t.pid, t.comm);
      const dvm = new DumpedVm(k, ctx, new GuestView(k, ctx, () => loadVendorTypes(s, { vmlinux: di.vmlinux })));
      const q = Buffer.alloc(16); // kvmi_vcpu_hdr (vcpu 0) + kvmi_get_registers { nmsrs 0 }
      const r = handle(dvm, { commands: maskOf(READ_COMMANDS), events: 0 }, { id: CMD.GET_REGISTERS, seq: 1, data: q });
      assert.equal(r.readInt32LE(8), 0);
      const sregs = 16 + 8 + 18 * 8;
      const seg = (i: number) => {
        const at = sregs + i * 24;
        return { base: r.readBigUInt64LE(at), limit: r.readUInt32LE(at + 8), selector: r.readUInt16LE(at + 12), type: r[at + 14], present: r[at + 15], dpl: r[at + 16], l: r[at + 19], unusable: r[at + 22] };
      };
      const crs = sregs + 8 * 24 + 2 * 16;
      const save = truth.qemu.vcpus[0].vmcb_save;
      // CR3 from the VMCB; CR0/CR4/EFER are KVM's (the guest's view: EFER without the SVME bit KVM sets in the VMCB,
      // as QEMU's info registers shows it).
      const v0 = truth.qemu.vcpus[0];
      assert.deepEqual(
        [r.readBigUInt64LE(crs), r.readBigUInt64LE(crs + 16), r.readBigUInt64LE(crs + 24), r.readBigUInt64LE(crs + 40)].map(hexn),
        [v0.arch_cr0, save.cr3, v0.arch_cr4, hexn(BigInt('0x' + truth.qemu_info_registers_at_ready.EFER.replace(/^0x/, '')))],
      );
      // The last exit was in the guest kernel (VMCB cpl 0): Linux's __KERNEL_CS is GDT entry 2 (0x10), a 64-bit code segment.
      const cs = seg(0);
      assert.deepEqual([cs.selector, cs.l, cs.dpl, cs.present, cs.unusable], [0x10, 1, save.cpl, 1, 0]);
      // TR, GDT and IDT are set once per CPU at boot: QEMU's info registers (at READY, in user mode) has the same ones.
      const tr = seg(6);
      assert.deepEqual([tr.selector, hexn(tr.base), tr.limit, tr.type], [0x40, '0xfffffe0000003000', 0x4087, 0xb]);
      const dt = sregs + 8 * 24;
      assert.deepEqual([hexn(r.readBigUInt64LE(dt)), r.readUInt16LE(dt + 8)], ['0xfffffe0000001000', 0x7f], 'GDT');
      assert.deepEqual([hexn(r.readBigUInt64LE(dt + 16)), r.readUInt16LE(dt + 24)], ['0xfffffe0000000000', 0xfff], 'IDT');
      // QEMU: "LDT=0000 0000000000000000 00000000 00008200 DPL=0 LDT" (present, type 2).
      const ldt = seg(7);
      assert.deepEqual([ldt.selector, ldt.type, ldt.present, ldt.unusable], [0, 2, 1, 0]);
    } finally {
      s.close();
    }
  });
});
