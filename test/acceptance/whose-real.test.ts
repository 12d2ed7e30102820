// Acceptance for `whose`: every marker hpa of real-6.1/truth.json (fixture VMM, both address spaces, and
// QEMU's probes) and of guest-6.1/truth-guest.json maps back to its VM, slot, gpa and hva; a host page that
// several slots map (QEMU's BIOS: pc.bios, its isa-bios alias and both SMM mirrors) lists every owner the
// truth's memslots imply; the host's swapper_pg_dir page is in no VM. Expected values: the fixtures' truth
// (crash + the VMMs' own pagemap), never this tool's output. Fails when the fixtures are missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { realFile, realTruth } from '../helpers/real-fixture.js';

const hex = (v: string | bigint) => '0x' + BigInt(v).toString(16);
const START_KERNEL_MAP = 0xffffffff80000000n;
const GUEST = resolve(process.env.QEMU_VTOP_GUEST_FIXTURE ?? '../shared/fixtures/guest-6.1');

function guestFile(name: string): string {
  const p = resolve(GUEST, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: the acceptance suite needs the guest-6.1 fixture beside the repository`);
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function whose(dump: string, vmlinux: string, kvmKo: string, hpas: bigint[]): Json[] {
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', 'whose', dump, vmlinux, '--kvm-debuginfo', kvmKo, ...hpas.map(hex), '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Every (as, slot, gpa) whose slot maps `hva`, from the truth's memslot table. */
function ownersFromSlots(slots: Json[], hva: bigint): string[] {
  const out: string[] = [];
  for (const s of slots) {
    const ua = BigInt(s.userspace_addr);
    const n = BigInt(s.npages) << 12n;
    if (hva >= ua && hva < ua + n) out.push(`${s.as_id}/${s.id}/${hex((BigInt(s.base_gfn) << 12n) + (hva - ua))}`);
  }
  return out.sort();
}

const key = (o: Json) => `${o.asId}/${o.slot}/${o.gpa}`;

let di: DebianDebuginfo;
before(async () => {
  di = await debianDebuginfo();
});

describe('whose on real-6.1 (kdump-zlib and the -d 31 filtered dump)', () => {
  const truth = realTruth();
  const vmm = truth.vmm;
  const qemu = truth.qemu;
  const qvm = qemu.kvm_vm_files[0];
  const probes = qemu.probes.filter((p: Json) => p.present);
  const lay = truth.kernel.layout;
  const swapper = BigInt.asUintN(64, BigInt(lay.swapper_pg_dir) - START_KERNEL_MAP + BigInt(lay.phys_base));
  const items = [
    ...truth.markers.map((m: Json) => ({ t: m, vm: vmm.struct_kvm, pid: vmm.pid, slots: vmm.memslots })),
    ...probes.map((p: Json) => ({ t: p, vm: qvm.struct_kvm, pid: qemu.pid, slots: qvm.memslots })),
  ];
  for (const dumpKey of ['kdump-zlib', 'filtered-d31-lzo']) {
    it(`${dumpKey}: every marker and probe hpa (both address spaces) to its VM, slot, gpa and hva, with every owner`, () => {
      const out = whose(realFile(truth.dumps[dumpKey].file), di.vmlinux, di.kvmKo, [...items.map((i) => BigInt(i.t.hpa)), swapper]);
      assert.equal(out.length, items.length + 1);
      for (const [n, { t, vm, pid, slots }] of items.entries()) {
        const r = out[n];
        const mine = r.owners.find((o: Json) => o.asId === t.as_id && o.slot === t.slot_id);
        assert.ok(mine, `hpa ${t.hpa} (gpa ${t.gpa} as ${t.as_id} slot ${t.slot_id}): owners ${JSON.stringify(r.owners)}`);
        assert.deepEqual([mine.vm, mine.pid, mine.gpa, mine.hva], [hex(vm), pid, hex(t.gpa), hex(t.hva)]);
        // Every slot whose hva range holds this hva owns the page too (aliases, SMM mirrors), and nothing else does.
        assert.deepEqual(r.owners.map(key).sort(), ownersFromSlots(slots, BigInt(t.hva)), `owners of ${t.hpa}`);
        if (dumpKey === 'filtered-d31-lzo') assert.equal(r.pageState, 'excluded', `the -d 31 dump left out guest page ${t.hpa}`);
      }
      const bios = out.find((r: Json) => r.hpa === '0x668cff0');
      assert.ok(bios && bios.owners.length === 4, `QEMU's BIOS page: pc.bios, isa-bios, and both in SMM: ${JSON.stringify(bios?.owners)}`);
      const sw = out[items.length];
      assert.deepEqual(sw.owners, [], "swapper_pg_dir's page is in no VM");
      assert.equal(sw.use.kind, 'kernel-image');
    });
  }
});

describe('whose on guest-6.1: the L2 markers at host level', () => {
  it('every L2 marker hpa of truth-guest.json to QEMU, slot, gpa and hva', () => {
    const g = JSON.parse(readFileSync(guestFile('truth-guest.json'), 'utf8'));
    const h = JSON.parse(readFileSync(guestFile('truth.json'), 'utf8'));
    const out = whose(guestFile('vmcore.d19.kdump-zlib'), di.vmlinux, di.kvmKo, g.l2_markers.map((m: Json) => BigInt(m.hpa)));
    for (const [n, m] of g.l2_markers.entries()) {
      const as0 = out[n].owners.filter((o: Json) => o.asId === 0);
      assert.equal(as0.length, 1, JSON.stringify(out[n].owners));
      assert.deepEqual([as0[0].vm, as0[0].pid, as0[0].slot, as0[0].gpa, as0[0].hva], [hex(g.qemu.struct_kvm), g.qemu.pid, m.slot_id, hex(m.gpa), hex(m.hva)]);
      assert.deepEqual(out[n].owners.map(key).sort(), ownersFromSlots(g.qemu.memslots, BigInt(m.hva)));
      assert.equal(out[n].pageState, 'present');
    }
    const lay = h.kernel.layout;
    const swapper = BigInt.asUintN(64, BigInt(lay.swapper_pg_dir) - START_KERNEL_MAP + BigInt(lay.phys_base));
    const sw = whose(guestFile('vmcore.d19.kdump-zlib'), di.vmlinux, di.kvmKo, [swapper])[0];
    assert.deepEqual([sw.owners.length, sw.use.kind], [0, 'kernel-image']);
  });
});
