// Which VMs a command is about: -g PID (the VMs that task holds open), --vm ADDRESS (one struct kvm), or,
// with neither, every VM of the host (both discovery routes).
import { hex, parseAddress } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { allVms } from '../kvm/vms.js';
import { kvmSymbols, noSuchPidError, noVmError, vmsOfTask } from '../kvm/vm.js';
import { resolveTask } from './common.js';

export interface SelectedVm {
  kvm: KObject;
  pid?: number;
  comm?: string;
}

export interface VmSelection {
  pid?: string;
  vm?: string;
}

export function selectVms(k: Kernel, o: VmSelection): SelectedVm[] {
  if (o.pid && o.vm) throw new QvError('USAGE', 'give either -g PID or --vm ADDRESS, not both');
  const syms = kvmSymbols(k);
  if (o.vm) {
    const addr = parseAddress(o.vm);
    const kvm = k.obj('kvm', addr, `kvm ${hex(addr)}`);
    const owner = allVms(k, syms).vms.find((v) => v.addr === addr)?.owners[0];
    return [{ kvm, pid: owner?.pid, comm: owner?.comm }];
  }
  if (o.pid) {
    let task;
    try {
      task = resolveTask(k, o.pid);
    } catch (e) {
      throw e instanceof QvError && e.code === 'NO_SUCH_PID' ? noSuchPidError(k, o.pid, syms) : e;
    }
    const vms = vmsOfTask(k, task.task, syms);
    if (!vms.length) throw noVmError(k, task, syms);
    return vms.map((v) => ({ kvm: v.kvm, pid: task.pid, comm: task.comm }));
  }
  const { vms } = allVms(k, syms);
  if (!vms.length) throw new QvError('NO_VMS', `no VM found: no task holds an anon_inode:kvm-vm file and kvm.ko's vm_list is empty (${syms.source})`);
  return vms.map((v) => ({ kvm: v.kvm, pid: v.owners[0]?.pid, comm: v.owners[0]?.comm }));
}

export function vmLabel(v: SelectedVm): string {
  return `VM ${hex(v.kvm.addr).slice(2)}${v.pid !== undefined ? `  pid ${v.pid} (${v.comm ?? '?'})` : '  (no owning task found)'}`;
}
