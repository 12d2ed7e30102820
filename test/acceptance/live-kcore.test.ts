// qemu-vtop on a LIVE KVM host: the kit in test/live/ boots Debian's 6.1.0-53-cloud-amd64 under QEMU TCG with
// nested KVM, starts the fixture VMM, and runs the tool inside on that kernel's own /proc/kcore. Two boots: the
// default (two RAM ranges, KASLR on) and four RAM ranges (nokaslr + two memmap= holes: the shape that broke the
// PT_LOAD lookup). Truth: the VMM's own pointers and /proc/self/pagemap, L1's /proc/iomem and online CPU list.
// Each boot takes minutes under TCG (bounded: L1 is killed after 30 minutes). Missing tools make it fail.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type LiveRun, parseSerial, runKit, type Serial, type Truth } from '../helpers/live-kit.js';

const hex = (v: bigint) => '0x' + v.toString(16);
const PAGE = 0x1000n;

const BOOTS = [
  { name: 'default', env: {} as Record<string, string>, ranges: 2 },
  { name: 'four-ranges', env: { L1_APPEND_EXTRA: 'nokaslr memmap=16M$0x40000000 memmap=16M$0x60000000' }, ranges: 4 },
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function json(r: LiveRun): any {
  try {
    return JSON.parse(r.out);
  } catch {
    throw new Error(`${r.name}: stdout is not JSON (exit ${r.rc}): ${r.out.slice(0, 300)}\nstderr: ${r.err.slice(0, 1000)}`);
  }
}

function run(s: Serial, name: string): LiveRun {
  const r = s.runs.get(name);
  assert.ok(r, `the kit ran no "${name}" (serial log incomplete: LIVE-DONE ${s.done})`);
  return r;
}

/** Every marker of the address space: hva and hpa equal to the VMM's truth. */
function checkMarkers(s: Serial, name: string, as: number, o: { pagemap?: boolean } = {}): number {
  const r = run(s, name);
  assert.equal(r.rc, 0, `${name}: exit ${r.rc}: ${r.err}`);
  const want = s.marks.filter((m) => m.as === as);
  const got = json(r) as { gpa: string; hva: string; hpa: string; pagemapHpa?: string; error?: unknown }[];
  assert.equal(got.length, want.length, `${name}: ${got.length} answers for ${want.length} markers`);
  for (const m of want) {
    const t = got.find((g) => g.gpa === hex(m.gpa));
    assert.ok(t, `${name}: no answer for gpa ${hex(m.gpa)}`);
    assert.equal(t.error, undefined, `${name}: gpa ${hex(m.gpa)}: ${JSON.stringify(t.error)}`);
    assert.equal(t.hva, hex(m.hva), `${name}: hva of gpa ${hex(m.gpa)}`);
    assert.equal(t.hpa, hex(m.hpa), `${name}: hpa of gpa ${hex(m.gpa)}`);
    if (o.pagemap) assert.equal(t.pagemapHpa, hex(m.hpa), `${name}: pagemapHpa of gpa ${hex(m.gpa)}`);
  }
  return want.length;
}

for (const boot of BOOTS) {
  describe(`live /proc/kcore: ${boot.name} boot`, { timeout: 3600_000 }, () => {
    let s: Serial;
    before(() => {
      s = parseSerial(runKit(boot.name, boot.env).serial);
    });

    it('the kit ran to its end with the VMM alive, and the VMM truth has 12 markers (10 in AS 0, 2 in SMM)', () => {
      assert.ok(s.done, 'no QVTOP LIVE-DONE in the serial log');
      assert.ok(s.vmmAliveAfter);
      assert.deepEqual([s.marks.filter((m) => m.as === 0).length, s.marks.filter((m) => m.as === 1).length], [10, 2]);
      assert.equal(s.iomemRam.length, boot.ranges, `L1 /proc/iomem System RAM ranges: ${JSON.stringify(s.iomemRam.map((r) => r.map(hex)))}`);
    });

    it('translates every marker right (hva and hpa) with /proc/kcore named, with the /proc + /sys files given, and with copies', (t) => {
      let n = 0;
      n += checkMarkers(s, 'vtop-as0-kcore', 0);
      n += checkMarkers(s, 'vtop-as1-kcore', 1);
      n += checkMarkers(s, 'vtop-as0-files', 0);
      n += checkMarkers(s, 'vtop-as0-copies', 0);
      t.diagnostic(`${boot.name}: ${n} marker translations equal to the VMM's pagemap truth`);
    });

    it('with no dump named: reads /proc/kcore, says its sources, and pagemapHpa equals the truth too', (t) => {
      const n = checkMarkers(s, 'vtop-nodump', 0, { pagemap: true }) + checkMarkers(s, 'vtop-nodump-as1', 1, { pagemap: true });
      const r = run(s, 'vtop-nodump');
      assert.match(r.err, /live: \/proc\/kcore; symbols and types: \/proc\/kallsyms \+ \/sys\/kernel\/btf\/vmlinux \+ \/sys\/kernel\/btf\/kvm/);
      for (const e of json(r)) assert.deepEqual(e.live, { kcore: '/proc/kcore', sources: '/proc/kallsyms + /sys/kernel/btf/vmlinux + /sys/kernel/btf/kvm' });
      t.diagnostic(`${boot.name}: ${n} no-dump translations, hpa = pagemapHpa = truth`);
    });

    it('with kptr_restrict=2: kallsyms and BTF read out of kcore itself, and a zeroed --kallsyms refused (KALLSYMS_HIDDEN)', (t) => {
      const n = checkMarkers(s, 'vtop-kptr-own', 0, { pagemap: true });
      const own = run(s, 'vtop-kptr-own');
      assert.match(own.err, /symbols and types: kallsyms and BTF read from \/proc\/kcore \(passed over: .*\/proc\/kallsyms: every address is 0 \(kernel\.kptr_restrict hides them\)/);
      const given = run(s, 'vtop-kptr-given');
      assert.equal(given.rc, 2);
      assert.equal(json(given).error.code, 'KALLSYMS_HIDDEN');
      assert.match(json(given).error.message, /kptr_restrict=2/);
      t.diagnostic(`${boot.name}: ${n} translations with kcore's own kallsyms and BTF`);
    });

    it('reports the untouched pages as NOT_PRESENT at the right hva (exit 1)', () => {
      const r = run(s, 'vtop-untouched');
      assert.equal(r.rc, 1);
      const got = json(r) as { gpa: string; hva: string; error?: { code: string } }[];
      const want = s.untouched.filter((u: Truth) => u.as === 0);
      assert.equal(got.length, want.length);
      for (const u of want) {
        const g = got.find((x) => x.gpa === hex(u.gpa))!;
        assert.equal(g.hva, hex(u.hva));
        assert.equal(g.error?.code, 'NOT_PRESENT');
      }
    });

    it('vms, memslots, vcpus (and vms on saved copies) exit 0 and name the VMM', () => {
      const pid = /-g (\d+)/.exec(run(s, 'vtop-as0-kcore').cmd)![1];
      for (const name of ['vms', 'vms-copies', 'memslots', 'vcpus']) {
        const r = run(s, name);
        assert.equal(r.rc, 0, `${name}: ${r.err}`);
        assert.match(r.out, new RegExp(`\\b${pid}\\b`), `${name} names pid ${pid}`);
      }
    });

    it('info says live: /proc/kcore, the online CPUs of L1 and its RAM ranges from /proc/iomem, with and without the path', () => {
      // kcore's RAM segments are the System RAM ranges rounded inward to pages.
      const ranges = s.iomemRam.map(([a, b]) => `${hex((a + PAGE - 1n) & ~(PAGE - 1n))} - ${hex((b + 1n) & ~(PAGE - 1n))}`);
      const mib = s.iomemRam.reduce((acc, [a, b]) => acc + (((b + 1n) & ~(PAGE - 1n)) - ((a + PAGE - 1n) & ~(PAGE - 1n))), 0n);
      const cpus = s.cpusOnline!.split(',').reduce((n, part) => n + (part.includes('-') ? Number(part.split('-')[1]) - Number(part.split('-')[0]) + 1 : 1), 0);
      for (const name of ['info', 'info-nodump']) {
        const r = run(s, name);
        assert.equal(r.rc, 0, `${name}: ${r.err}`);
        assert.match(r.out, /^live: +\/proc\/kcore$/m);
        assert.match(r.out, new RegExp(`^cpus: +${cpus} online \\(${s.cpusOnline}; from __cpu_online_mask`, 'm'));
        assert.match(r.out, new RegExp(`^RAM: +${(Number(mib) / 1048576).toFixed(1)} MiB in ${s.iomemRam.length} range\\(s\\)$`, 'm'));
        const listed = r.out.split('ranges:\n')[1].split('\n').map((l) => l.trim()).filter(Boolean);
        assert.deepEqual(listed, ranges);
      }
    });

    it('while the VMM replaces its memslots every 2 ms: every answer is right or MEMSLOTS_CHANGED, and right again after', (t) => {
      const r = run(s, 'vtop-churn');
      assert.ok(r.rc === 0 || r.rc === 1, `vtop-churn exit ${r.rc}: ${r.err}`);
      const got = json(r) as { gpa: string; hva?: string; hpa?: string; retried?: string; error?: { code: string } }[];
      let changed = 0;
      let retried = 0;
      for (const m of s.marks.filter((x) => x.as === 0)) {
        const g = got.find((x) => x.gpa === hex(m.gpa))!;
        if (g.error) {
          assert.equal(g.error.code, 'MEMSLOTS_CHANGED', `gpa ${hex(m.gpa)}: ${JSON.stringify(g.error)}`);
          assert.equal(g.hpa, undefined);
          changed++;
        } else {
          assert.deepEqual([g.hva, g.hpa], [hex(m.hva), hex(m.hpa)], `gpa ${hex(m.gpa)} during churn`);
          if (g.retried) retried++;
        }
      }
      checkMarkers(s, 'vtop-after-churn', 0);
      t.diagnostic(`${boot.name}: during churn ${changed} MEMSLOTS_CHANGED, ${retried} retried and right, ${got.length - changed - retried} right first time`);
    });
  });
}
