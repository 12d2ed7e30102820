// What the guest commands (read, --gva, guest) share: one VM of the host dump opened as a GuestView (its guest
// memory, the guest's VMCOREINFO, the guest kernel and the vCPUs' saved state, each loaded when first asked for).
import { type Command } from 'commander';
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { type GuestMemory } from '../kvm/guest-memory.js';
import { addressSpaces } from '../kvm/memslots.js';
import { GuestView } from '../vtop/guest-view.js';
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
  view: GuestView;
  /** Guest memory of the address space asked for (--as-id). */
  gm: GuestMemory;
  vmlinux?: string;
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
    const view = new GuestView(k, ctx, () => loadVendorTypes(s, { vmlinux: inputs.vmlinux, kvmDebuginfo: inputs.kvmDebuginfo, vendorDebuginfo: o.vendorDebuginfo, cache: o.cache }), {
      guestVmlinux: o.guestVmlinux,
      hostVmlinux: inputs.vmlinux,
      cache: o.cache,
      debugDirs: o.debugDir,
    });
    return {
      s,
      k,
      ctx,
      view,
      gm: view.memory(o.asId),
      vmlinux: inputs.vmlinux,
      close: () => {
        view.close();
        s.close();
      },
    };
  } catch (e) {
    s.close();
    throw e;
  }
}
