// `qemu-vtop memslots <dump> [vmlinux] (-g PID | --vm ADDR)`: the memslot table of each address space.
import { type Command } from 'commander';
import { addressSpaces } from '../kvm/memslots.js';
import { memslotsJson, renderMemslots, type VmSlots } from '../vtop/render-vms.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';
import { selectVms, type VmSelection, vmLabel } from './vm-select.js';

function runMemslots(files: string[], o: LoadOptions & VmSelection): void {
  const s = loadSession(files, o);
  try {
    const k = s.kernel;
    const out: { vm: VmSlots; label: string }[] = selectVms(k, o).map((v) => ({
      vm: { vm: v.kvm.addr, pid: v.pid, comm: v.comm, spaces: addressSpaces(k, v.kvm) },
      label: vmLabel(v),
    }));
    if (o.json) process.stdout.write(JSON.stringify(out.map((x) => memslotsJson(x.vm)), null, 2) + '\n');
    else process.stdout.write(out.map((x) => renderMemslots(x.vm, x.label)).join('\n'));
  } finally {
    s.close();
  }
}

export function memslotsCommand(p: Command): void {
  addLoadOptions(p.command('memslots').description('memslots of a VM per address space (AS 1 = SMM): gpa and hva ranges, flags, dirty bitmap'))
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .option('-g, --pid <pid>', 'the VMM: a pid (or a task_struct address in hex)')
    .option('--vm <address>', 'a struct kvm address instead of -g')
    .action(guarded(runMemslots));
}
