// `qemu-vtop vms <dump> [vmlinux]`: every VM of the host, from VMM tasks' kvm-vm fds and kvm.ko's vm_list.
import { type Command } from 'commander';
import { vmCoverage } from '../kvm/coverage.js';
import { addressSpaces } from '../kvm/memslots.js';
import { allVms } from '../kvm/vms.js';
import { renderVms, vmsJson, type VmsCoverage } from '../vtop/render-vms.js';
import { vmContext } from '../vtop/translate.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';

function runVms(files: string[], o: LoadOptions): void {
  const s = loadSession(files, o);
  try {
    const k = s.kernel;
    const { vms, notes } = allVms(k);
    // The IN DUMP column: how much of each guest's RAM (address space 0) the dump holds.
    const coverage: VmsCoverage = new Map();
    for (const v of vms) {
      try {
        const ctx = vmContext(k, v.kvm, addressSpaces(k, v.kvm));
        coverage.set(v.addr, vmCoverage(k, v.kvm, ctx.spaces, ctx.pgdPhys));
      } catch (e) {
        coverage.set(v.addr, { error: (e as Error).message });
      }
    }
    if (o.json) process.stdout.write(JSON.stringify(vmsJson(vms, coverage), null, 2) + '\n');
    else process.stdout.write(vms.length ? renderVms(vms, notes, coverage) : `no VM found in this dump${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
  } finally {
    s.close();
  }
}

export function vmsCommand(p: Command): void {
  addLoadOptions(p.command('vms').description("every VM of the host: struct kvm, owning pid, vCPUs, memslots, guest memory (from VMM fds and kvm.ko's vm_list)"))
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .action(guarded(runVms));
}
