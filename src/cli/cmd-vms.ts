// `qemu-vtop vms <dump> [vmlinux]`: every VM of the host, from VMM tasks' kvm-vm fds and kvm.ko's vm_list.
import { type Command } from 'commander';
import { allVms } from '../kvm/vms.js';
import { renderVms, vmsJson } from '../vtop/render-vms.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';

function runVms(files: string[], o: LoadOptions): void {
  const s = loadSession(files, o);
  try {
    const { vms, notes } = allVms(s.kernel);
    if (o.json) process.stdout.write(JSON.stringify(vmsJson(vms), null, 2) + '\n');
    else process.stdout.write(vms.length ? renderVms(vms, notes) : `no VM found in this dump${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
  } finally {
    s.close();
  }
}

export function vmsCommand(p: Command): void {
  addLoadOptions(p.command('vms').description("every VM of the host: struct kvm, owning pid, vCPUs, memslots, guest memory (from VMM fds and kvm.ko's vm_list)"))
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .action(guarded(runVms));
}
