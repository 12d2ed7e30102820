// The default command: `qemu-vtop [vmcore] [vmlinux] -g PID -p GPA...` (crash's qemu-vtop syntax).
import { type Command } from 'commander';
import { hex, parseAddress } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { taskLabel } from '../kernel/tasks.js';
import { kvmSymbols, noSuchPidError, noVmError, vmsOfTask } from '../kvm/vm.js';
import { type BatchFormat, BatchWriter, BriefMemo, fdWriter } from '../vtop/render-stream.js';
import { TranslationCache } from '../vtop/translation-cache.js';
import { vmContext, type VmContext } from '../vtop/translate.js';
import { spacesOf, translateLive } from '../vtop/live-translate.js';
import { type GvaOptions, runGva } from './cmd-gva.js';
import { addLoadOptions, asInt, guarded, type LoadOptions, loadSession, resolveTask } from './common.js';
import { gpaBatches } from './gpa-input.js';

interface VtopOptions extends LoadOptions {
  pid?: string;
  vm?: string;
  gpa?: string[];
  asId: number;
  brief?: boolean;
  jsonl?: boolean;
}

function batchFormat(o: VtopOptions): BatchFormat {
  const picked = (['json', 'jsonl', 'brief'] as const).filter((f) => o[f]);
  if (picked.length > 1) throw new QvError('USAGE', `--${picked.join(' and --')} are different output formats: give one`);
  return picked[0] ?? 'text';
}

function runVtop(files: string[], o: VtopOptions & GvaOptions): void {
  if (o.gva?.length) return runGva(files, o);
  if (!o.pid && !o.vm) throw new QvError('USAGE', 'say which VMM: -g PID (or a task address), or --vm ADDRESS of a struct kvm');
  if (!o.gpa?.length) throw new QvError('USAGE', 'give one or more guest-physical addresses with -p GPA...');
  const format = batchFormat(o);
  // Addresses on the command line are checked before the dump is opened; @FILE and - are read as they are used.
  for (const v of o.gpa) if (v !== '-' && !v.startsWith('@')) parseAddress(v);
  const s = loadSession(files, o);
  try {
    const k = s.kernel;
    let ctx: VmContext;
    if (o.vm) {
      const kvm = k.obj('kvm', parseAddress(o.vm), `kvm ${o.vm}`);
      ctx = vmContext(k, kvm, spacesOf(k, kvm));
    } else {
      const syms = kvmSymbols(k);
      let task;
      try {
        task = resolveTask(k, o.pid!);
      } catch (e) {
        throw e instanceof QvError && e.code === 'NO_SUCH_PID' ? noSuchPidError(k, o.pid!, syms) : e;
      }
      const vms = vmsOfTask(k, task.task, syms);
      if (!vms.length) throw noVmError(k, task, syms);
      if (vms.length > 1) {
        process.stderr.write(`qemu-vtop: ${taskLabel(task)} has ${vms.length} VMs (${vms.map((v) => `fd ${v.fd}: ${hex(v.kvm.addr)}`).join(', ')}); using the first, pick another with --vm\n`);
      }
      ctx = vmContext(k, vms[0].kvm, spacesOf(k, vms[0].kvm), task.task, task.pid, task.comm);
    }
    // A dump does not change: its page tables, VMAs and struct pages are read once for the whole batch. Live
    // memory does, so there every translation reads afresh (and translateLive checks the memslots around it).
    if (!k.mem.info.live) ctx.cache = new TranslationCache(k.mem);
    const live = s.live ? { kcore: s.live.kcore, sources: s.live.source } : undefined;
    // Streamed: one translation at a time from input to output, so memory does not grow with the batch.
    const out = new BatchWriter(format, fdWriter(1), live ? { live } : undefined);
    let failed = false;
    try {
      // --brief on a dump: each 4K page translated once (on live memory every address is translated afresh).
      const brief = format === 'brief' && ctx.cache ? new BriefMemo() : undefined;
      // On the live host: memslot generation checked around each translation, pagemap as a second witness.
      const translate = (g: bigint) => translateLive(k, ctx, g, o.asId, { pagemap: s.live !== undefined, sections: format !== 'brief' });
      for (const batch of gpaBatches(o.gpa)) {
        for (const g of batch) {
          if (brief) {
            const b = brief.line(g, translate);
            if (b.error) failed = true;
            out.addLine(b.line);
            continue;
          }
          const t = translate(g);
          if (t.error) failed = true;
          out.add(t);
        }
      }
    } catch (e) {
      out.flush(); // what was translated before the error stays written
      throw e;
    }
    out.end();
    if (failed) process.exitCode = 1;
  } finally {
    s.close();
  }
}

export function vtopCommand(p: Command): void {
  addLoadOptions(p)
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .option('-g, --pid <pid>', 'the VMM: a pid (or a task_struct address in hex)')
    .option('--vm <address>', 'a struct kvm address instead of -g')
    .option('-p, --gpa <gpa...>', 'guest-physical addresses (hex); @FILE reads them from a file, - from stdin (one or more per line)')
    .option('--brief', 'one line per address: gpa hva hpa pagesize (or the error code); no VMA or struct page sections')
    .option('--jsonl', 'one JSON object per line (the objects of --json)')
    .option('--as-id <n>', 'KVM address space (x86: 0 normal, 1 SMM)', asInt, 0)
    .option('--gva <gva...>', 'guest-virtual addresses (hex), walked in the guest page table chosen below')
    .option('--vcpu <n>', "with --gva: the CR3 vCPU N last ran with (default: vCPU 0)", asInt)
    .option('--cr3 <cr3>', 'with --gva: this guest CR3 (hex)')
    .option('--guest-kernel', "with --gva: the guest kernel's init_top_pgt (from the guest's VMCOREINFO)")
    .option('--guest-pid <n>', "with --gva: guest task N's page table (mm->pgd, through the guest kernel)", asInt)
    .option('--guest-paging <levels>', 'with --gva: 4 or 5 guest paging levels (default: the vCPU\'s CR4.LA57, else the guest\'s VMCOREINFO)')
    .option('--guest-vmlinux <file>', "the guest kernel's debug vmlinux (default: by the guest's build-id; the host's when the same)")
    .option('--vendor-debuginfo <file>', "kvm-amd.ko's (or kvm-intel.ko's) debug file (default: next to kvm.ko)")
    .action(guarded(runVtop));
}
