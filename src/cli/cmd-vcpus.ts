// `qemu-vtop vcpus <dump> [vmlinux] (-g PID | --vm ADDR)`: vCPUs with their kvm_run exit decoded.
import { type Command } from 'commander';
import { vcpusOf } from '../kvm/vcpus.js';
import { renderVcpus, vcpuJson } from '../vtop/render-vcpus.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';
import { selectVms, type VmSelection, vmLabel } from './vm-select.js';

function runVcpus(files: string[], o: LoadOptions & VmSelection): void {
  const s = loadSession(files, o);
  try {
    const k = s.kernel;
    const out = selectVms(k, o).map((v) => ({ v, vcpus: vcpusOf(k, v.kvm) }));
    if (o.json) {
      const all = out.flatMap(({ v, vcpus }) => vcpus.map((c) => vcpuJson(c, { vm: v.kvm.addr, vmmPid: v.pid })));
      process.stdout.write(JSON.stringify(all, null, 2) + '\n');
    } else process.stdout.write(out.map(({ v, vcpus }) => renderVcpus(vcpus, vmLabel(v))).join('\n'));
  } finally {
    s.close();
  }
}

export function vcpusCommand(p: Command): void {
  addLoadOptions(p.command('vcpus').description("vCPUs of a VM: thread, mode, mp_state, kvm_run exit decoded, where the VMM mapped kvm_run, KVM's saved registers"))
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .option('-g, --pid <pid>', 'the VMM: a pid (or a task_struct address in hex)')
    .option('--vm <address>', 'a struct kvm address instead of -g')
    .action(guarded(runVcpus));
}
