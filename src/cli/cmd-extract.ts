// `qemu-vtop extract DUMP [VMLINUX] -g PID -o FILE [--format elf|kdump] [--as-id N] [--force] [--json]`: the
// guest's RAM as a dump crash and drgn open with the guest's vmlinux.
import { type Command, Option } from 'commander';
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { openOutput } from '../io/sink.js';
import { vcpuAddresses } from '../kvm/vcpus.js';
import { extract, type ExtractFormat, type ExtractInputs } from '../vtop/extract.js';
import { extractJson, renderExtract } from '../vtop/render-extract.js';
import { addLoadOptions, guarded } from './common.js';
import { addGuestVmOptions, type GuestVmOptions, openGuestVm } from './guest-common.js';
import { progressLine } from './progress.js';

interface ExtractOptions extends GuestVmOptions {
  output?: string;
  format: ExtractFormat;
  compress: 'zlib' | 'none';
  force?: boolean;
}

function runExtract(files: string[], o: ExtractOptions): void {
  if (!o.output) throw new QvError('USAGE', 'say where to write the guest dump: -o FILE (or -o - for ELF on stdout)');
  if (o.output === '-' && o.format !== 'elf') throw new QvError('USAGE', 'only --format elf can be written to stdout (-o -): kdump-compressed files are written out of order');
  if (o.output === '-' && o.json) throw new QvError('USAGE', '-o - writes the dump to stdout: --json cannot share it');
  const g = openGuestVm(files, o);
  try {
    // The guest kernel (VMCOREINFO, page_offset_base, _text) lives in address space 0 whatever --as-id says.
    const inp: ExtractInputs = { gm: g.gm, kernelMemory: g.view.memory(0), vcpus: [], vcpuErrors: [], crashTime: g.s.vmcoreinfo.crashTime, compress: o.compress };
    inp.vmcoreinfo = g.view.vmcoreinfo();
    if (inp.vmcoreinfo) {
      try {
        inp.guestKernel = g.view.guestKernel().kernel;
      } catch (e) {
        inp.guestKernelError = `the guest kernel cannot be opened (${(e as Error).message}): no direct-map p_vaddr and no kernel-text segment`;
      }
    }
    const n = vcpuAddresses(g.k, g.ctx.kvm).length;
    for (let i = 0; i < n; i++) {
      try {
        const st = g.view.vcpuState(i);
        inp.vcpus.push(st);
        inp.vcpuErrors.push(...st.notes.map((x: string) => `vCPU ${i}: ${x}`));
      } catch (e) {
        inp.vcpuErrors.push(`vCPU ${i}: no NT_PRSTATUS note (${(e as Error).message})`);
      }
    }
    const out = openOutput(o.output, { force: o.force, needSeek: o.format === 'kdump' });
    const bar = progressLine(!o.json && o.output !== '-', `extract ${o.output}`);
    let summary;
    try {
      summary = extract(inp, o.format, out.sink, (p) => bar.update(p.pagesDone, p.pagesTotal, p.bytesDone));
      bar.end();
      out.commit();
    } catch (e) {
      bar.end();
      out.abort();
      throw e;
    }
    const label = `VM ${hex(g.ctx.kvm.addr)}${g.ctx.pid !== undefined ? ` (pid ${g.ctx.pid} ${g.ctx.comm ?? ''})`.replace(' )', ')') : ''}`;
    if (o.json) process.stdout.write(JSON.stringify(extractJson(summary, o.output), null, 2) + '\n');
    else (o.output === '-' ? process.stderr : process.stdout).write(renderExtract(summary, o.output === '-' ? 'stdout' : o.output, label));
  } finally {
    g.close();
  }
}

export function extractCommand(p: Command): void {
  addGuestVmOptions(addLoadOptions(p.command('extract').description("write the guest's RAM as its own dump (ELF core as /proc/vmcore has it, or kdump-compressed) for crash and drgn")))
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .option('-o, --output <file>', 'where to write (- = stdout, ELF only)')
    .addOption(new Option('--format <format>', 'output format').choices(['elf', 'kdump']).default('elf'))
    .addOption(new Option('--compress <how>', 'kdump pages: zlib (smaller) or none (stored as they are: as fast as ELF)').choices(['zlib', 'none']).default('zlib'))
    .option('--force', 'overwrite an existing output file')
    .action(guarded(runExtract));
}
