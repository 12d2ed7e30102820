// `qemu-vtop guest DUMP [VMLINUX] -g PID [--guest-vmlinux F] [--ps] [--json]`: the guest's kernel and its tasks.
import { type Command } from 'commander';
import { guestTasks } from '../guest/ps.js';
import { vcpuAddresses } from '../kvm/vcpus.js';
import { findGuestVmlinux, guestVmlinuxCandidates } from '../vtop/guest-session.js';
import { guestJson, type GuestReport, renderGuest } from '../vtop/render-guest.js';
import { addLoadOptions, guarded } from './common.js';
import { addGuestVmOptions, type GuestVmOptions, openGuestVm } from './guest-common.js';

interface GuestOptions extends GuestVmOptions {
  ps?: boolean;
}

function runGuest(files: string[], o: GuestOptions): void {
  const g = openGuestVm(files, o);
  try {
    const gvi = g.view.vmcoreinfo();
    const r: GuestReport = {
      vm: g.ctx.kvm.addr,
      pid: g.ctx.pid,
      comm: g.ctx.comm,
      asId: g.gm.asId,
      vmcoreinfo: gvi,
      notePage: gvi ? g.view.memory(0).locate(gvi.gpa) : undefined,
      debugVmlinux: gvi ? findGuestVmlinux(gvi, { guestVmlinux: o.guestVmlinux, hostVmlinux: g.vmlinux, debugDirs: o.debugDir }) : undefined,
      debugLooked: gvi ? [...(g.vmlinux ? [`the host's vmlinux ${g.vmlinux}`] : []), ...guestVmlinuxCandidates(gvi.info.buildId, gvi.info.osrelease, o.debugDir)] : [],
      vcpus: [],
      vendor: '',
    };
    const vt = g.view.vendor();
    r.vendor = `${vt.vendor}: ${vt.description}`;
    const n = vcpuAddresses(g.k, g.ctx.kvm).length;
    for (let i = 0; i < n; i++) {
      try {
        r.vcpus.push(g.view.vcpuState(i));
      } catch (e) {
        r.vcpus.push({ index: i, error: (e as Error).message });
      }
    }
    if (o.ps) {
      try {
        const gk = g.view.guestKernel();
        r.tasksFrom = gk.typesUsed;
        r.tasks = guestTasks(gk.kernel);
      } catch (e) {
        r.tasksError = (e as Error).message;
        process.exitCode = 1;
      }
    }
    if (o.json) process.stdout.write(JSON.stringify(guestJson(r), null, 2) + '\n');
    else process.stdout.write(renderGuest(r));
    if (!gvi) process.exitCode = 1;
  } finally {
    g.close();
  }
}

export function guestCommand(p: Command): void {
  addGuestVmOptions(addLoadOptions(p.command('guest').description("the guest's kernel (its VMCOREINFO in guest RAM), its vCPUs' saved state and, with --ps, its tasks")))
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .option('--ps', "list the guest's tasks (through the guest kernel: its debug vmlinux, or its BTF and kallsyms)")
    .action(guarded(runGuest));
}
