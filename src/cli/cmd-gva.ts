// `qemu-vtop DUMP [VMLINUX] -g PID --gva GVA... [--vcpu N | --cr3 X | --guest-kernel | --guest-pid N]`:
// guest-virtual addresses through the guest's own page tables, then the host block of each gpa.
import { parseAddress } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { gvaJson, type GvaResult, renderGva } from '../vtop/render-gva.js';
import { type GuestVmOptions, openGuestVm } from './guest-common.js';

export interface GvaOptions extends GuestVmOptions {
  gva?: string[];
  cr3?: string;
  vcpu?: number;
  guestKernel?: boolean;
  guestPid?: number;
  guestPaging?: string;
}

function pagingArg(v: string | undefined): 4 | 5 | undefined {
  if (v === undefined) return undefined;
  if (v !== '4' && v !== '5') throw new QvError('USAGE', `--guest-paging takes 4 or 5, not ${v}`);
  return Number(v) as 4 | 5;
}

export function runGva(files: string[], o: GvaOptions): void {
  if (!o.pid && !o.vm) throw new QvError('USAGE', 'say which VMM: -g PID (or a task address), or --vm ADDRESS of a struct kvm');
  const gvas = (o.gva ?? []).map(parseAddress);
  if (!gvas.length) throw new QvError('USAGE', 'give one or more guest-virtual addresses with --gva GVA...');
  const g = openGuestVm(files, o);
  try {
    const c = g.view.cr3({ cr3: o.cr3 !== undefined ? parseAddress(o.cr3) : undefined, vcpu: o.vcpu, guestKernel: o.guestKernel, guestPid: o.guestPid, levels: pagingArg(o.guestPaging) });
    const results: GvaResult[] = gvas.map((gva) => g.view.gva(c, gva, o.asId));
    if (o.json) process.stdout.write(JSON.stringify(results.map(gvaJson), null, 2) + '\n');
    else process.stdout.write(results.map(renderGva).join('\n'));
    if (results.some((r) => r.walk.error || r.host?.error)) process.exitCode = 1;
  } finally {
    g.close();
  }
}
