// `extract` and `whose` speed on guest-6.1 (the real 128 MiB L2 guest inside a host dump): the dump's own page
// read throughput (every present page of the host dump) against extract's (guest bytes written per second of the
// extract call, load excluded), and whose: the reverse index build, then 100,000 lookups. Medians of N; not a test.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGuestVm } from '../src/cli/guest-common.js';
import { openDump } from '../src/dump/open.js';
import { openOutput } from '../src/io/sink.js';
import { vcpuAddresses } from '../src/kvm/vcpus.js';
import { extract, type ExtractFormat, type ExtractInputs } from '../src/vtop/extract.js';
import { hostReverseIndex, whose } from '../src/vtop/whose.js';

const N = Number(process.env.BENCH_RUNS ?? 3);
const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop-fixtures');
const dbg = join(cache, 'linux-image-6.1.0-53-cloud-amd64-dbg_6.1.187-1/usr/lib/debug');
const vmlinux = join(dbg, 'boot/vmlinux-6.1.0-53-cloud-amd64');
const kvmKo = join(dbg, 'lib/modules/6.1.0-53-cloud-amd64/kernel/arch/x86/kvm/kvm.ko');
const dump = '../shared/fixtures/guest-6.1/vmcore.d19.kdump-zlib';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!existsSync(dump) || !existsSync(vmlinux)) {
  console.log(`extract/whose bench: needs ${dump} and ${vmlinux} (run npm test once); skipped`);
  process.exit(0);
}

function dumpReadMBs(): number {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const m = openDump([dump]);
    bytes = 0;
    for (const r of m.ranges()) {
      for (let pa = r.start; pa < r.end; pa += 4096n) {
        const s = m.pageState(pa);
        if (s === 'present' || s === 'zero') bytes += m.read(pa, 4096).length;
      }
    }
    m.close();
    ms.push(performance.now() - t0);
  }
  return bytes / 1e6 / (median(ms) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'qv-bench-extract-'));
const g = openGuestVm([dump, vmlinux], { pid: '127', asId: 0, types: 'auto', cache: true, kvmDebuginfo: kvmKo });
try {
  const inp: ExtractInputs = { gm: g.gm, vcpus: [], vcpuErrors: [], vmcoreinfo: g.view.vmcoreinfo() };
  inp.guestKernel = g.view.guestKernel().kernel;
  for (let i = 0; i < vcpuAddresses(g.k, g.ctx.kvm).length; i++) inp.vcpus.push(g.view.vcpuState(i));
  const readMBs = dumpReadMBs();
  console.log(`extract of the guest-6.1 L2 guest (pid 127, 128 MiB), ${N} runs, medians; host dump page reads: ${readMBs.toFixed(0)} MB/s`);
  console.log(`${'format'.padEnd(11)} ${'guest MB'.padStart(9)} ${'file MB'.padStart(8)} ${'ms'.padStart(7)} ${'MB/s'.padStart(7)} ${'vs dump read'.padStart(13)}`);
  for (const [format, compress] of [['elf', 'zlib'], ['kdump', 'zlib'], ['kdump', 'none']] as [ExtractFormat, 'zlib' | 'none'][]) {
    const ms: number[] = [];
    let guestMb = 0;
    let fileMb = 0;
    for (let i = 0; i < N; i++) {
      const out = openOutput(join(dir, `g.${format}`), { force: true, needSeek: format === 'kdump' });
      const t0 = performance.now();
      const s = extract({ ...inp, compress }, format, out.sink);
      ms.push(performance.now() - t0);
      out.commit();
      guestMb = Number(s.writtenPages * 4096n) / 1e6;
      fileMb = s.bytes / 1e6;
    }
    const m = median(ms);
    const rate = guestMb / (m / 1000);
    const name = format === 'kdump' ? `kdump/${compress}` : format;
    console.log(`${name.padEnd(11)} ${guestMb.toFixed(1).padStart(9)} ${fileMb.toFixed(1).padStart(8)} ${m.toFixed(0).padStart(7)} ${rate.toFixed(0).padStart(7)} ${(rate / readMBs).toFixed(2).padStart(13)}`);
  }

  // whose: the index once, then 100,000 hpas: every page of the guest's first 64 MiB of host RAM and random others.
  const t0 = performance.now();
  const index = hostReverseIndex(g.k);
  const buildMs = performance.now() - t0;
  const hpas: bigint[] = [];
  let x = 0x12345678n;
  for (let i = 0; i < 100_000; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    hpas.push((x >> 20n) % 0x20000000n); // anywhere in the host's 512 MiB
  }
  const lookups: number[] = [];
  let owned = 0;
  for (let r = 0; r < N; r++) {
    owned = 0;
    const t1 = performance.now();
    for (const h of hpas) if (index.lookup(h).length) owned++;
    lookups.push(performance.now() - t1);
  }
  const t2 = performance.now();
  for (const h of hpas.slice(0, 10_000)) whose(g.k, index, h);
  const fullMs = performance.now() - t2;
  console.log(`whose: index of ${index.stats.vms} VMs, ${index.stats.slots} slots, ${index.stats.runs} runs built in ${buildMs.toFixed(0)} ms; 100,000 lookups (${owned} owned) ${median(lookups).toFixed(0)} ms; 10,000 full answers with struct page ${fullMs.toFixed(0)} ms`);
} finally {
  g.close();
  rmSync(dir, { recursive: true, force: true });
}
