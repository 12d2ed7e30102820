// `whose` on the demo dump with no debug files: every marker hpa of fixtures/demo-6.1/truth.json (found by
// crash and the VMM's own pagemap) maps back to its VM, address space, slot, gpa and hva; the page of the
// host's swapper_pg_dir (address from the truth's layout) is in no VM and is said to be the kernel image.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const hex = (v: string | bigint) => '0x' + BigInt(v).toString(16);
const START_KERNEL_MAP = 0xffffffff80000000n;

describe('whose on the demo dump', () => {
  const lay = truth.kernel.layout;
  const swapperPa = BigInt.asUintN(64, BigInt(lay.swapper_pg_dir) - START_KERNEL_MAP + BigInt(lay.phys_base));
  // An offset inside each page: the answer is per byte (gpa and hva move with it).
  const markers = truth.markers.map((m: { hpa: string }) => ({ ...m, q: BigInt(m.hpa) + 0x123n }));
  const r = runCli(['whose', DEMO, ...markers.map((m: { q: bigint }) => hex(m.q)), hex(swapperPa), '--json']);
  const out = r.json();

  it('maps every marker hpa to the VM, address space, slot, gpa and hva of the truth', () => {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(out.length, markers.length + 1);
    for (const [i, m] of markers.entries()) {
      assert.equal(out[i].hpa, hex(m.q));
      const o = out[i].owners.find((w: { asId: number; slot: number }) => w.asId === m.as_id && w.slot === m.slot_id);
      assert.ok(o, `marker gpa ${m.gpa} (as ${m.as_id} slot ${m.slot_id}): owners ${JSON.stringify(out[i].owners)}`);
      assert.deepEqual([o.vm, o.pid, o.gpa, o.hva], [hex(truth.vmm.struct_kvm), truth.vmm.pid, hex(BigInt(m.gpa) + 0x123n), hex(BigInt(m.hva) + 0x123n)]);
      assert.equal(o.pageSize, { '4K': 4096, '2M': 2097152 }[m.page_size as string]);
      assert.equal(out[i].page.phys, hex(BigInt(m.hpa) & ~0xfffn));
    }
  });

  it("says no VM for the host's swapper_pg_dir page, and that it is the kernel image", () => {
    const s = out[markers.length];
    assert.deepEqual(s.owners, []);
    assert.equal(s.use.kind, 'kernel-image');
  });

  it('prints one block per address in text', () => {
    const t = runCli(['whose', DEMO, hex(BigInt(truth.markers[0].hpa)), hex(swapperPa)]);
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, new RegExp(`HOST PHYSICAL ${BigInt(truth.markers[0].hpa).toString(16)}: 1 owner`));
    assert.match(t.stdout, new RegExp(`${BigInt(truth.vmm.struct_kvm).toString(16)}\\s+${truth.vmm.pid}\\s+qvtop-vmm`));
    assert.match(t.stdout, new RegExp(`HOST PHYSICAL ${swapperPa.toString(16)}: no VM maps it — kernel-image`));
  });

  it('refuses an argument that is neither a file nor an address', () => {
    const bad = runCli(['whose', DEMO, 'nothex', '--json']);
    assert.equal(bad.status, 2);
    assert.equal(bad.json().error.code, 'USAGE');
  });
});

describe("whose's struct page decoder", () => {
  it('gives what readPage (checked against crash elsewhere) gives, for pages of every kind', async () => {
    const { openSession } = await import('../../src/vtop/session.js');
    const { readPage } = await import('../../src/kernel/page.js');
    const { pageInfoFast } = await import('../../src/kernel/page-kind.js');
    const s = openSession({ dump: [DEMO] });
    try {
      let n = 0;
      for (let pfn = 0n; pfn < 0x8000n; pfn += 37n) {
        let want;
        try {
          want = readPage(s.kernel, pfn);
        } catch {
          continue;
        }
        assert.deepEqual(pageInfoFast(s.kernel, pfn), want, `pfn ${pfn}`);
        n++;
      }
      assert.ok(n > 500, String(n));
    } finally {
      s.close();
    }
  });
});
