// One VM seen from inside: its guest memory, the guest's VMCOREINFO, the guest kernel, the vCPUs' saved state and
// guest-virtual translations (guest walk, then the host block of the gpa). The CLI, the TUI and KVMI all use this,
// so a guest answer is the same wherever it is asked.
import { type Cr3Request, resolveCr3, type ResolvedCr3 } from '../guest/cr3.js';
import { translateGva, type GuestWalk } from '../guest/gva.js';
import { vcpuGuestState, type VcpuGuestState, type VendorTypes } from '../guest/vcpu-state.js';
import { findGuestVmcoreinfo, type GuestVmcoreinfo, requireGuestVmcoreinfo } from '../guest/vmcoreinfo-scan.js';
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { GuestMemory, type MissingRange } from '../kvm/guest-memory.js';
import { type GuestKernel, type GuestKernelOptions, openGuestKernel } from './guest-session.js';
import { translateGpa, type VmContext } from './translate.js';
import { type Translation } from './translation.js';

export type { SegmentState, VcpuGuestState, VendorTypes } from '../guest/vcpu-state.js';
export type { GuestWalk } from '../guest/gva.js';
export type { GuestKernelOptions } from './guest-session.js';

export interface GvaAnswer {
  walk: GuestWalk;
  /** The host translation of the resulting gpa (absent when the guest walk stopped). */
  host?: Translation;
}

export class GuestView {
  private mems = new Map<number, GuestMemory>();
  private states = new Map<number, VcpuGuestState>();
  private vendorTypes?: VendorTypes;
  private gk?: GuestKernel;

  constructor(
    readonly host: Kernel,
    readonly ctx: VmContext,
    private readonly loadVendor: () => VendorTypes,
    private readonly kernelOptions: GuestKernelOptions = {},
  ) {}

  get label(): string {
    return `VM ${hex(this.ctx.kvm.addr)}${this.ctx.pid !== undefined ? ` (pid ${this.ctx.pid})` : ''}`;
  }

  memory(asId = 0): GuestMemory {
    let m = this.mems.get(asId);
    if (!m) this.mems.set(asId, (m = new GuestMemory({ host: this.host, kvm: this.ctx.kvm, spaces: this.ctx.spaces, pgdPhys: this.ctx.pgdPhys, asId, label: this.label })));
    return m;
  }

  vendor(): VendorTypes {
    return (this.vendorTypes ??= this.loadVendor());
  }

  vcpuState(i: number): VcpuGuestState {
    let st = this.states.get(i);
    if (!st) this.states.set(i, (st = vcpuGuestState(this.host, this.ctx.kvm, i, this.vendor())));
    return st;
  }

  /** The guest's VMCOREINFO, found in address space 0 (scanned once per dump). */
  vmcoreinfo(): GuestVmcoreinfo | undefined {
    return findGuestVmcoreinfo(this.memory(0));
  }

  guestKernel(): GuestKernel {
    return (this.gk ??= openGuestKernel(this.memory(0), requireGuestVmcoreinfo(this.memory(0)), this.kernelOptions));
  }

  cr3(req: Cr3Request): ResolvedCr3 {
    return resolveCr3(req, { vcpuState: (i) => this.vcpuState(i), guestVmcoreinfo: () => this.vmcoreinfo(), guestKernel: () => this.guestKernel().kernel });
  }

  /** Guest-virtual addresses walked in one guest page table; each gpa then through the host, in `asId`. */
  gva(c: ResolvedCr3, gva: bigint, asId = 0): GvaAnswer {
    const walk = translateGva(this.memory(asId), c.cr3, c.source, c.paging, gva);
    return { walk, host: walk.gpa !== undefined ? translateGpa(this.host, this.ctx, walk.gpa, asId) : undefined };
  }

  /** What `read` gives: the bytes, and each range that cannot be read with its reason (never zeros). */
  read(gpa: bigint, length: number, asId = 0): { bytes: Buffer; missing: MissingRange[] } {
    return this.memory(asId).readAvailable(gpa, length);
  }

  close(): void {
    this.gk?.close();
  }
}
