// Finding a VMM's VMs: the `anon_inode:kvm-vm` file among a task's open files, whose private_data is the
// struct kvm. Identified by f_op == &kvm_vm_fops; when that symbol cannot be found, by the dentry name
// being exactly "kvm-vm" (never a substring: "kvm-vm-stats" files point at the same struct kvm).
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { openFiles } from '../kernel/files.js';
import { type Kernel } from '../kernel/kernel.js';
import { findModule, moduleSymbols } from '../kernel/modules.js';
import { type KObject } from '../kernel/object.js';
import { processes, type Task } from '../kernel/tasks.js';

export interface VmRef {
  kvm: KObject;
  fd: number;
  file: bigint;
  /** How the fd was recognised. */
  matchedBy: 'f_op' | 'dentry-name';
}

export interface KvmSymbols {
  kvmVmFops?: bigint;
  vmList?: bigint;
  /** Where they came from, for messages. */
  source: string;
}

/** kvm.ko's symbols we need, from the loaded module's own symbol table in the dump. */
export function kvmSymbols(k: Kernel): KvmSymbols {
  // kvm may be built in (symbols in vmlinux) or a module (symbols in the module's kallsyms).
  const builtin = k.symbolOrUndefined('kvm_vm_fops');
  if (builtin !== undefined) return { kvmVmFops: builtin, vmList: k.symbolOrUndefined('vm_list'), source: 'vmlinux' };
  const mod = findModule(k, 'kvm');
  if (!mod) return { source: 'none: no kvm module is loaded in this dump' };
  const syms = moduleSymbols(k, mod.module, ['kvm_vm_fops', 'vm_list']);
  return { kvmVmFops: syms.get('kvm_vm_fops'), vmList: syms.get('vm_list'), source: `kvm module kallsyms (struct module ${hex(mod.module.addr)})` };
}

export function vmsOfTask(k: Kernel, task: KObject, syms: KvmSymbols): VmRef[] {
  const out: VmRef[] = [];
  for (const f of openFiles(k, task)) {
    const byFop = syms.kvmVmFops !== undefined && f.fop === syms.kvmVmFops;
    const byName = syms.kvmVmFops === undefined && f.dentryName === 'kvm-vm';
    if (!byFop && !byName) continue;
    if (f.privateData === 0n) continue;
    out.push({ kvm: k.obj('kvm', f.privateData, `kvm (fd ${f.fd})`), fd: f.fd, file: f.file.addr, matchedBy: byFop ? 'f_op' : 'dentry-name' });
  }
  return out;
}

/** Every process that holds a VM fd, for "pid is not a VMM" messages and `vms`. */
export function vmmProcesses(k: Kernel, syms: KvmSymbols): { task: Task; vms: VmRef[] }[] {
  const out: { task: Task; vms: VmRef[] }[] = [];
  for (const p of processes(k)) {
    let vms: VmRef[] = [];
    try {
      vms = vmsOfTask(k, p.task, syms);
    } catch {
      continue; // an exiting task with half-torn-down files: skip it here, it is not the one asked for
    }
    if (vms.length) out.push({ task: p, vms });
  }
  return out;
}

function vmmList(k: Kernel, syms: KvmSymbols): { vmms: { task: Task; vms: VmRef[] }[]; list: string } {
  const vmms = vmmProcesses(k, syms);
  return { vmms, list: vmms.map((v) => `${v.task.pid} (${v.task.comm})`).join(', ') || 'none' };
}

/** "no such pid", with the pids that do own a VM, so the user can pick one. */
export function noSuchPidError(k: Kernel, pid: string, syms: KvmSymbols): QvError {
  const { vmms, list } = vmmList(k, syms);
  return new QvError('NO_SUCH_PID', `no task with pid ${pid} in this dump; pids that own a VM: ${list}`, { pid, vmmPids: vmms.map((v) => v.task.pid) });
}

export function noVmError(k: Kernel, t: Task, syms: KvmSymbols): QvError {
  const { vmms, list } = vmmList(k, syms);
  return new QvError(
    'NOT_A_VMM',
    `pid ${t.pid} (${t.comm}) has no open anon_inode:kvm-vm file, so it owns no VM; pids that own a VM: ${list}`,
    { pid: t.pid, vmmPids: vmms.map((v) => v.task.pid) },
  );
}
