// `npm run bench` (guest part): after the dump and debug info are loaded, in one process: `coverage` of the
// 128 MiB guest of guest-6.1 (QEMU pid 127), and 10,000 `--gva` translations (guest walk + host block). Not a
// test: nothing asserts a time. Targets (issue 13): coverage <= 0.5 s, 10,000 --gva <= 1 s.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolveCr3 } from '../src/guest/cr3.js';
import { translateGva } from '../src/guest/gva.js';
import { vcpuGuestState } from '../src/guest/vcpu-state.js';
import { findGuestVmcoreinfo } from '../src/guest/vmcoreinfo-scan.js';
import { findTask } from '../src/kernel/tasks.js';
import { vmCoverage } from '../src/kvm/coverage.js';
import { GuestMemory } from '../src/kvm/guest-memory.js';
import { addressSpaces } from '../src/kvm/memslots.js';
import { kvmSymbols, vmsOfTask } from '../src/kvm/vm.js';
import { openGuestKernel } from '../src/vtop/guest-session.js';
import { openSession } from '../src/vtop/session.js';
import { translateGpa, vmContext } from '../src/vtop/translate.js';
import { loadVendorTypes } from '../src/vtop/vendor-types.js';

const N = Number(process.env.BENCH_RUNS ?? 5);
const dump = join(process.env.QEMU_VTOP_GUEST_FIXTURE ?? '../shared/fixtures/guest-6.1', 'vmcore.d19.kdump-zlib');
const dbg = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop-fixtures', 'linux-image-6.1.0-53-cloud-amd64-dbg_6.1.187-1/usr/lib/debug');
const vmlinux = join(dbg, 'boot/vmlinux-6.1.0-53-cloud-amd64');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Wall ms of one run; the CPU ms (user + system) of the same run go to `cpu` (less hurt by a busy machine). */
const cpu: number[] = [];
const time = (f: () => void) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  return performance.now() - t0;
};
const cpuOf = (from: number, n: number) => median(cpu.slice(from, from + n)).toFixed(1);

if (!existsSync(dump) || !existsSync(vmlinux)) {
  console.log(`qemu-vtop guest bench: n/a (needs ${dump} and ${vmlinux})`);
  process.exit(0);
}
const t0 = performance.now();
const s = openSession({ dump: [dump], vmlinux });
const k = s.kernel;
const t = findTask(k, 127n);
const [vm] = vmsOfTask(k, t.task, kvmSymbols(k));
const ctx = vmContext(k, vm.kvm, addressSpaces(k, vm.kvm), t.task, t.pid, t.comm);
const gm = new GuestMemory({ host: k, kvm: ctx.kvm, spaces: ctx.spaces, pgdPhys: ctx.pgdPhys });
const loadMs = performance.now() - t0;
const scanMs = time(() => findGuestVmcoreinfo(gm));
const vt = loadVendorTypes(s, { vmlinux });
const c = resolveCr3({ vcpu: 0 }, { vcpuState: (i) => vcpuGuestState(k, vm.kvm, i, vt), guestVmcoreinfo: () => findGuestVmcoreinfo(gm), guestKernel: () => k });

let pages = 0;
const c0 = cpu.length;
const cov = Array.from({ length: N }, () => time(() => (pages = vmCoverage(k, vm.kvm, ctx.spaces, ctx.pgdPhys).summary.pages)));
// 10,000 guest-virtual addresses of the marker process: its 4K-mapped area (page by page, in and out of it).
const base = 0x7fb90ea00000n;
const gvas = Array.from({ length: 10_000 }, (_, i) => base + BigInt(i % 160) * 4096n + BigInt((i * 8) % 4096));
let ok = 0;
const c1 = cpu.length;
const walkOnly = Array.from({ length: N }, () => time(() => gvas.forEach((g) => translateGva(gm, c.cr3, c.source, c.paging, g))));
// 10,000 distinct guest pages: direct-map addresses of the guest kernel (every third page of its RAM), walked in
// init_top_pgt (--guest-kernel), each with its host block.
const gk = openGuestKernel(gm, findGuestVmcoreinfo(gm)!, { hostVmlinux: vmlinux });
const ck = resolveCr3({ guestKernel: true }, { vcpuState: (i) => vcpuGuestState(k, vm.kvm, i, vt), guestVmcoreinfo: () => findGuestVmcoreinfo(gm), guestKernel: () => gk.kernel });
const direct = Array.from({ length: 10_000 }, (_, i) => gk.kernel.pageOffsetBase + 0x100000n + BigInt(i) * 3n * 4096n + 0x10n);
let okDirect = 0;
const c3 = cpu.length;
const distinct = Array.from({ length: N }, () =>
  time(() => {
    okDirect = 0;
    for (const g of direct) {
      const w = translateGva(gm, ck.cr3, ck.source, ck.paging, g);
      if (w.gpa !== undefined && !translateGpa(k, ctx, w.gpa, 0).error) okDirect++;
    }
  }),
);
const c2 = cpu.length;
const full = Array.from({ length: N }, () =>
  time(() => {
    ok = 0;
    for (const g of gvas) {
      const w = translateGva(gm, c.cr3, c.source, c.paging, g);
      if (w.gpa !== undefined && !translateGpa(k, ctx, w.gpa, 0).error) ok++;
    }
  }),
);
gk.close();
s.close();
console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} (the machine's; wall times grow with it)`);
console.log(`qemu-vtop guest bench: ${dump}, QEMU pid 127 (${pages} guest pages in AS 0), ${N} runs, in-process after load`);
console.log(`load (session, VM, memslots) ${loadMs.toFixed(0)} ms; guest VMCOREINFO scan ${scanMs.toFixed(0)} ms`);
console.log(`coverage (both address spaces)             median ${median(cov).toFixed(1)} ms (cpu ${cpuOf(c0, N)} ms)  first ${cov[0].toFixed(1)} ms  (target <= 500 ms)`);
console.log(`10,000 --gva, guest walk only              median ${median(walkOnly).toFixed(1)} ms (cpu ${cpuOf(c1, N)} ms)  first ${walkOnly[0].toFixed(1)} ms`);
console.log(`10,000 --gva --guest-kernel, distinct pages median ${median(distinct).toFixed(1)} ms (cpu ${cpuOf(c3, N)} ms)  first ${distinct[0].toFixed(1)} ms  (${okDirect} translated; guest walk + host block)`);
console.log(`10,000 --gva, guest walk + host block      median ${median(full).toFixed(1)} ms (cpu ${cpuOf(c2, N)} ms)  first ${full[0].toFixed(1)} ms  (${ok} translated; target <= 1000 ms)`);
