// Guest page tables in a generated dump (test/gen/generate.ts lays a guest into slot 2: 4- and 5-level tables,
// a 4K NX page, a 2M and a 1G guest page, an empty PTE, a PTE table in a gpa the VMM never touched, and a
// VMCOREINFO note). Expected values: the layout the generator wrote, by the x86 rules, not the tool's output.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { generateEraDump } from './generate.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-guest-'));
const hex = (v: bigint) => '0x' + v.toString(16);
const g = generateEraDump(6, dir, { guest: true, format: 'kdump' });
const guest = g.guest!;
const base = [g.dump, g.vmlinux, '--kvm-debuginfo', g.kvmKo, '-g', String(g.pid)];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

describe('generated guest page tables', () => {
  for (const levels of [4, 5] as const) {
    it(`${levels}-level walks with --cr3: every entry, the gpa, the page size, NX, and the stops`, () => {
      const cases = guest.cases.filter((c) => c.levels === levels);
      const r = runCli([...base, '--cr3', hex(levels === 4 ? guest.cr3L4 : guest.cr3L5), '--guest-paging', String(levels), '--gva', ...cases.map((c) => hex(c.gva)), '--json']);
      const out = r.json();
      assert.equal(out.length, cases.length, r.stderr);
      cases.forEach((c, i) => {
        const o = out[i];
        assert.equal(o.gva, hex(c.gva));
        assert.equal(o.cr3Source.kind, 'given');
        assert.deepEqual(o.guestLevels.map((l: Any) => [l.name, l.entry, l.value]), c.entries.map((e) => [e.name, hex(e.entry), hex(e.value)]), `levels of ${hex(c.gva)}`);
        if (c.error) {
          assert.equal(o.error.code, c.error, o.error.message);
          assert.equal(o.error.level, c.level);
          assert.equal(o.gpa, undefined);
        } else {
          assert.equal(o.gpa, hex(c.gpa!));
          assert.equal(o.guestPageSize, c.pageSize);
          assert.equal(o.guestPteFlags.includes('NX'), c.nx, `NX of ${hex(c.gva)}`);
          assert.equal(o.guestPteFlags.includes('PSE'), c.pageSize !== 4096);
        }
      });
    });
  }
  it('a guest table page the VMM never touched: GUEST_TABLE_NOT_IN_DUMP with the host reason (never zeros)', () => {
    const c = guest.cases.find((x) => x.error === 'GUEST_TABLE_NOT_IN_DUMP')!;
    const [o] = runCli([...base, '--cr3', hex(guest.cr3L4), '--gva', hex(c.gva), '--json']).json();
    assert.equal(o.error.reason, 'not-present');
    assert.match(o.error.message, /PTE table page \(gpa 0x100000\)/);
  });
  it('read of the guest pages gives the markers the generator wrote', () => {
    for (const c of guest.cases.filter((x) => x.marker)) {
      const r = runCli(['read', ...base, '-p', hex(c.gpa!), '-n', String(c.marker!.length), '--raw']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, c.marker);
    }
  });
  it('the guest VMCOREINFO note is found past a decoy; --guest-kernel walks its init_top_pgt', () => {
    const j = runCli(['guest', ...base, '--json']).json();
    assert.equal(j.vmcoreinfo.gpa, hex(guest.noteGpa));
    assert.equal(j.vmcoreinfo.osrelease, guest.osrelease);
    assert.equal(j.vmcoreinfo.kernelOffset, hex(guest.kernelOffset));
    assert.equal(j.vmcoreinfo.physBase, hex(guest.physBase));
    const c = guest.cases.find((x) => x.levels === 4 && x.pageSize === 4096)!;
    const [o] = runCli([...base, '--guest-kernel', '--gva', hex(c.gva), '--json']).json();
    assert.equal(o.cr3, hex(guest.cr3L4), 'init_top_pgt - __START_KERNEL_map + phys_base');
    assert.equal(o.cr3Source.kind, 'guest-kernel');
    assert.equal(o.gpa, hex(c.gpa!));
  });
  it('a vCPU with no saved CR3 (no vendor module, arch.cr3 0) is refused, pointing to --guest-kernel', () => {
    const r = runCli([...base, '--vcpu', '0', '--gva', hex(guest.cases[0].gva), '--json']);
    assert.equal(r.status, 2);
    const j = r.json();
    assert.equal(j.error.code, 'NO_VCPU_CR3');
    assert.match(j.error.message, /--guest-kernel/);
  });
  it("read says why for each kind of page it cannot give: guest_memfd not in the cache, never touched, in no memslot", () => {
    const j = runCli(['read', ...base, '-p', '0x200000ff8', '-n', '0x1010', '--json']).json();
    // 0x200000000 is private and in the gmem page cache (pfn 0x4300), 0x200001000 private and never faulted in.
    assert.deepEqual(j.missing.map((m: Any) => [m.gpa, m.length, m.reason, m.code]), [['0x200001000', 4096, 'gmem-not-in-cache', 'GMEM_PAGE_NOT_IN_CACHE']]);
    // 8 bytes of the private page in the cache, the missing page as "..", 8 bytes of the shared page 0x200002000.
    assert.match(j.bytes, /^[0-9a-f]{16}(\.\.){4096}[0-9a-f]{16}$/);
    // Slot 0 is gpa 0-0x1fffff (its last page mapped), nothing at 0x200000; 0x100000 was never touched by the VMM.
    const k = runCli(['read', ...base, '-p', '0x1ffff8', '-n', '16', '--json']).json();
    assert.deepEqual(k.missing.map((m: Any) => [m.gpa, m.length, m.reason]), [['0x200000', 8, 'no-memslot']]);
    const n = runCli(['read', ...base, '-p', '0x100000', '-n', '8', '--json']).json();
    assert.deepEqual(n.missing.map((m: Any) => [m.gpa, m.length, m.reason]), [['0x100000', 8, 'not-present']]);
  });
  it('the VMCOREINFO scan is bounded: a bound below the note page says so', async () => {
    const { openSession } = await import('../../src/vtop/session.js');
    const { selectVms } = await import('../../src/cli/vm-select.js');
    const { addressSpaces } = await import('../../src/kvm/memslots.js');
    const { vmContext } = await import('../../src/vtop/translate.js');
    const { GuestMemory } = await import('../../src/kvm/guest-memory.js');
    const { findGuestVmcoreinfo } = await import('../../src/guest/vmcoreinfo-scan.js');
    const s = openSession({ dump: [g.dump], vmlinux: g.vmlinux, kvmDebuginfo: g.kvmKo, types: 'dwarf', cache: false });
    try {
      const [v] = selectVms(s.kernel, { pid: String(g.pid) });
      const ctx = vmContext(s.kernel, v.kvm, addressSpaces(s.kernel, v.kvm));
      const gm = new GuestMemory({ host: s.kernel, kvm: ctx.kvm, spaces: ctx.spaces, pgdPhys: ctx.pgdPhys });
      assert.throws(() => findGuestVmcoreinfo(gm, 3), /SCAN_LIMIT|first 3 pages/);
      const found = findGuestVmcoreinfo(gm)!;
      assert.equal(found.gpa, guest.noteGpa);
    } finally {
      s.close();
    }
  });
});
