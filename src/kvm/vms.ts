// Every VM of the host, from two routes merged by struct kvm address: the VMM tasks' anon_inode:kvm-vm fds,
// and kvm.ko's vm_list (so a VM whose VMM is exiting or whose fd is gone still shows). Each VM is named by
// its owner: the task holding its fd, else kvm->userspace_pid, else the task whose mm is kvm->mm.
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { findTask, processes } from '../kernel/tasks.js';
import { listNodes, memberOffset } from '../kernel/walkers.js';
import { type AddressSpace, addressSpaces } from './memslots.js';
import { atomicValue } from './vcpus.js';
import { kvmSymbols, type KvmSymbols, vmmProcesses } from './vm.js';

const PAGE_SIZE = 4096n;
const KVM_MEM_GUEST_MEMFD = 1 << 2;
const MAX_VMS = 100_000;

export interface VmOwner {
  pid: number;
  comm: string;
  /** The fd of its anon_inode:kvm-vm file, when found through the fd table. */
  fd?: number;
  file?: bigint;
  /** How the owner was found. */
  via: 'fd' | 'userspace_pid' | 'mm';
}

export interface VmSpaceSummary {
  asId: number;
  memslots: number;
  memoryBytes: bigint;
}

export interface VmSummary {
  kvm: KObject;
  addr: bigint;
  owners: VmOwner[];
  /** Found in kvm.ko's vm_list / through a task's fd. */
  inVmList: boolean;
  viaFd: boolean;
  userspacePid?: number;
  mm?: bigint;
  onlineVcpus?: number;
  createdVcpus?: number;
  statsId?: string;
  spaces?: AddressSpace[];
  perAs: VmSpaceSummary[];
  /** Slots and bytes of address space 0 (guest RAM as the guest normally sees it). */
  memslots: number;
  memoryBytes: bigint;
  guestMemfd: boolean;
  /** Why part of it could not be read. */
  errors: string[];
}

function optNum(o: KObject, path: string): number | undefined {
  if (!o.has(path)) return undefined;
  try {
    return atomicValue(o.member(path));
  } catch {
    return undefined;
  }
}

/** struct kvm addresses on kvm.ko's vm_list. */
export function vmListAddresses(k: Kernel, syms: KvmSymbols): bigint[] {
  if (syms.vmList === undefined) return [];
  const off = memberOffset(k, 'kvm', 'vm_list');
  return [...listNodes(k, syms.vmList, 'kvm vm_list', MAX_VMS)].map((n) => n - off);
}

export function summarizeVm(k: Kernel, kvm: KObject): VmSummary {
  const s: VmSummary = { kvm, addr: kvm.addr, owners: [], inVmList: false, viaFd: false, perAs: [], memslots: 0, memoryBytes: 0n, guestMemfd: false, errors: [] };
  try {
    s.userspacePid = optNum(kvm, 'userspace_pid');
    s.onlineVcpus = optNum(kvm, 'online_vcpus');
    s.createdVcpus = optNum(kvm, 'created_vcpus');
    if (kvm.has('mm')) s.mm = kvm.member('mm').value();
    if (kvm.has('stats_id')) s.statsId = kvm.member('stats_id').string(48);
  } catch (e) {
    s.errors.push(`struct kvm ${hex(kvm.addr)} cannot be read: ${(e as Error).message}`);
    return s;
  }
  try {
    s.spaces = addressSpaces(k, kvm);
    for (const sp of s.spaces) {
      const bytes = sp.slots.reduce((a, m) => a + m.npages * PAGE_SIZE, 0n);
      s.perAs.push({ asId: sp.asId, memslots: sp.slots.length, memoryBytes: bytes });
      if (sp.slots.some((m) => m.flags & KVM_MEM_GUEST_MEMFD)) s.guestMemfd = true;
    }
    const as0 = s.perAs.find((p) => p.asId === 0);
    s.memslots = as0?.memslots ?? 0;
    s.memoryBytes = as0?.memoryBytes ?? 0n;
  } catch (e) {
    s.errors.push(`memslots of VM ${hex(kvm.addr)} cannot be read: ${(e as Error).message}`);
  }
  return s;
}

/** Every VM: the fd route and vm_list, merged by struct kvm address, in vm_list order then fd order. */
export function allVms(k: Kernel, syms: KvmSymbols = kvmSymbols(k)): { vms: VmSummary[]; notes: string[] } {
  const notes: string[] = [];
  const byAddr = new Map<bigint, VmSummary>();
  const get = (addr: bigint): VmSummary => {
    let s = byAddr.get(addr);
    if (!s) {
      s = summarizeVm(k, k.obj('kvm', addr, `kvm ${hex(addr)}`));
      byAddr.set(addr, s);
    }
    return s;
  };
  try {
    for (const a of vmListAddresses(k, syms)) get(a).inVmList = true;
    if (syms.vmList === undefined) notes.push(`kvm.ko's vm_list was not found (${syms.source}): only VMs held open by a task's fd are listed`);
  } catch (e) {
    notes.push(`kvm.ko's vm_list cannot be walked: ${(e as Error).message}`);
  }
  for (const { task, vms } of vmmProcesses(k, syms)) {
    for (const v of vms) {
      const s = get(v.kvm.addr);
      s.viaFd = true;
      s.owners.push({ pid: task.pid, comm: task.comm, fd: v.fd, file: v.file, via: 'fd' });
    }
  }
  for (const s of byAddr.values()) if (!s.owners.length) s.owners.push(...ownerWithoutFd(k, s));
  return { vms: [...byAddr.values()], notes };
}

/** A VM no task holds by fd: kvm->userspace_pid, else the process whose mm is kvm->mm. */
function ownerWithoutFd(k: Kernel, s: VmSummary): VmOwner[] {
  if (s.userspacePid) {
    try {
      const t = findTask(k, BigInt(s.userspacePid));
      return [{ pid: t.pid, comm: t.comm, via: 'userspace_pid' }];
    } catch {
      // the creating thread is gone: try the mm
    }
  }
  if (s.mm) {
    for (const p of processes(k)) {
      try {
        if (p.task.member('mm').value() === s.mm) return [{ pid: p.pid, comm: p.comm, via: 'mm' }];
      } catch {
        continue;
      }
    }
  }
  return [];
}
