// What the guest commands (read, --gva, guest, coverage) share: one VM of the host dump opened as GuestMemory,
// and, when asked for, the guest's VMCOREINFO, the guest kernel and the vCPUs' saved state.
import { type Command } from 'commander';
import { type Cr3Deps } from '../guest/cr3.js';
import { vcpuGuestState, type VcpuGuestState, type VendorTypes } from '../guest/vcpu-state.js';
import { findGuestVmcoreinfo, type GuestVmcoreinfo, requireGuestVmcoreinfo } from '../guest/vmcoreinfo-scan.js';
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { GuestMemory } from '../kvm/guest-memory.js';
import { addressSpaces } from '../kvm/memslots.js';
import { type GuestKernel, openGuestKernel } from '../vtop/guest-session.js';
import { type Session } from '../vtop/session.js';
import { vmContext, type VmContext } from '../vtop/translate.js';
import { loadVendorTypes } from '../vtop/vendor-types.js';
import { classify } from './args.js';
import { asInt, type LoadOptions, loadSession } from './common.js';
import { selectVms } from './vm-select.js';

export interface GuestVmOptions extends LoadOptions {
  pid?: string;
  vm?: string;
  asId: number;
  guestVmlinux?: string;
  vendorDebuginfo?: string;
}

export function addGuestVmOptions(c: Command): Command {
  return c
    .option('-g, --pid <pid>', 'the VMM: a pid (or a task_struct address in hex)')
    .option('--vm <address>', 'a struct kvm address instead of -g')
    .option('--as-id <n>', 'KVM address space (x86: 0 normal, 1 SMM)', asInt, 0)
    .option('--guest-vmlinux <file>', "the guest kernel's debug vmlinux (default: found by the guest's build-id; the host's when it is the same build)")
    .option('--vendor-debuginfo <file>', "kvm-amd.ko's (or kvm-intel.ko's) debug file (default: next to kvm.ko)");
}

export interface OpenedGuest {
  s: Session;
  k: Kernel;
  ctx: VmContext;
  gm: GuestMemory;
  vmlinux?: string;
  kvmDebuginfo?: string;
  vendor(): VendorTypes;
  vcpuState(i: number): VcpuGuestState;
  guestVmcoreinfo(): GuestVmcoreinfo | undefined;
  guestKernel(): GuestKernel;
  cr3Deps(): Cr3Deps;
  close(): void;
}

export function openGuestVm(files: string[], o: GuestVmOptions): OpenedGuest {
  const inputs = classify(files, o);
  const s = loadSession(files, o);
  try {
    const k = s.kernel;
    const [sel] = selectVms(k, { pid: o.pid, vm: o.vm });
    if (!o.pid && !o.vm) process.stderr.write(`qemu-vtop: no -g or --vm given: using VM ${hex(sel.kvm.addr)}${sel.pid !== undefined ? ` (pid ${sel.pid})` : ''}\n`);
    const ctx = vmContext(k, sel.kvm, addressSpaces(k, sel.kvm), undefined, sel.pid, sel.comm);
    const label = `VM ${hex(sel.kvm.addr)}${sel.pid !== undefined ? ` (pid ${sel.pid})` : ''}`;
    const gm = new GuestMemory({ host: k, kvm: ctx.kvm, spaces: ctx.spaces, pgdPhys: ctx.pgdPhys, asId: o.asId, label });
    let vendor: VendorTypes | undefined;
    let gk: GuestKernel | undefined;
    const states = new Map<number, VcpuGuestState>();
    const g: OpenedGuest = {
      s,
      k,
      ctx,
      gm,
      vmlinux: inputs.vmlinux,
      kvmDebuginfo: inputs.kvmDebuginfo,
      vendor: () => (vendor ??= loadVendorTypes(s, { vmlinux: inputs.vmlinux, kvmDebuginfo: inputs.kvmDebuginfo, vendorDebuginfo: o.vendorDebuginfo, cache: o.cache })),
      vcpuState: (i) => {
        let st = states.get(i);
        if (!st) states.set(i, (st = vcpuGuestState(k, ctx.kvm, i, g.vendor())));
        return st;
      },
      guestVmcoreinfo: () => findGuestVmcoreinfo(gm),
      guestKernel: () => {
        if (!gk) {
          const gvi = requireGuestVmcoreinfo(gm);
          gk = openGuestKernel(gm, gvi, { guestVmlinux: o.guestVmlinux, hostVmlinux: inputs.vmlinux, cache: o.cache });
        }
        return gk;
      },
      cr3Deps: () => ({ vcpuState: g.vcpuState, guestVmcoreinfo: g.guestVmcoreinfo, guestKernel: () => g.guestKernel().kernel }),
      close: () => {
        gk?.close();
        s.close();
      },
    };
    return g;
  } catch (e) {
    s.close();
    throw e;
  }
}
