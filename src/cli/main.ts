// The command line: `qemu-vtop [vmcore] [vmlinux] -g PID -p GPA...`, as crash's qemu-vtop extension had it.
import { Command, InvalidArgumentError, Option } from 'commander';
import { hex, parseAddress } from '../io/hex.js';
import { QvError } from '../kernel/errors.js';
import { findTask, taskLabel } from '../kernel/tasks.js';
import { addressSpaces } from '../kvm/memslots.js';
import { kvmSymbols, noVmError, vmsOfTask } from '../kvm/vm.js';
import { translationJson } from '../vtop/render-json.js';
import { renderTranslation } from '../vtop/render-text.js';
import { openSession, type TypesMode } from '../vtop/session.js';
import { translateGpa, vmContext } from '../vtop/translate.js';
import { classify } from './args.js';
import '../debuginfo/register.js';

interface VtopOptions {
  vmcore?: string[];
  vmlinux?: string;
  kvmDebuginfo?: string;
  pid?: string;
  gpa?: string[];
  asId: number;
  vm?: string;
  json?: boolean;
  types: TypesMode;
  cache: boolean;
}

const asInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

function fail(e: unknown, json: boolean | undefined): never {
  const code = e instanceof QvError ? e.code : ((e as { code?: string }).code ?? 'ERROR');
  const message = e instanceof Error ? e.message : String(e);
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }, null, 2) + '\n');
  process.stderr.write(`qemu-vtop: ${message}\n`);
  if (process.env.QEMU_VTOP_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(2);
}

function runVtop(files: string[], o: VtopOptions): void {
  if (!o.pid && !o.vm) throw new QvError('USAGE', 'say which VMM: -g PID (or a task address), or --vm ADDRESS of a struct kvm');
  if (!o.gpa?.length) throw new QvError('USAGE', 'give one or more guest-physical addresses with -p GPA...');
  const gpas = o.gpa.map(parseAddress);
  const inputs = classify(files, o);
  const s = openSession({ ...inputs, types: o.types, cache: o.cache, progress: (m) => process.stderr.isTTY && process.stderr.write(`${m}...\n`) });
  try {
    const k = s.kernel;
    const syms = kvmSymbols(k);
    let ctx;
    if (o.vm) {
      const kvm = k.obj('kvm', parseAddress(o.vm), `kvm ${o.vm}`);
      ctx = vmContext(k, kvm, addressSpaces(k, kvm));
    } else {
      const task = findTask(k, parseAddress(o.pid!.replace(/^(?!0x)(\d+)$/, (m) => '0x' + Number(m).toString(16))));
      const vms = vmsOfTask(k, task.task, syms);
      if (!vms.length) throw noVmError(k, task, syms);
      if (vms.length > 1) {
        process.stderr.write(`qemu-vtop: ${taskLabel(task)} has ${vms.length} VMs (${vms.map((v) => `fd ${v.fd}: ${hex(v.kvm.addr)}`).join(', ')}); using the first, pick another with --vm\n`);
      }
      ctx = vmContext(k, vms[0].kvm, addressSpaces(k, vms[0].kvm), task.task, task.pid, task.comm);
    }
    const results = gpas.map((g) => translateGpa(k, ctx, g, o.asId));
    if (o.json) process.stdout.write(JSON.stringify(results.map(translationJson), null, 2) + '\n');
    else process.stdout.write(results.map(renderTranslation).join('\n'));
    if (results.some((r) => r.error)) process.exitCode = 1;
  } finally {
    s.close();
  }
}

export function program(): Command {
  const p = new Command('qemu-vtop')
    .description('Translate KVM guest-physical addresses to host virtual and physical addresses in a Linux host crash dump')
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .option('--vmcore <file...>', 'the dump file(s)')
    .option('--vmlinux <file>', 'the debug vmlinux of the dumped kernel')
    .option('--kvm-debuginfo <file>', "kvm.ko's debug file (found by itself under /usr/lib/debug/lib/modules/RELEASE/)")
    .option('-g, --pid <pid>', 'the VMM: a pid (or a task_struct address)')
    .option('--vm <address>', 'a struct kvm address instead of -g')
    .option('-p, --gpa <gpa...>', 'guest-physical addresses (hex)')
    .option('--as-id <n>', 'KVM address space (x86: 0 normal, 1 SMM)', asInt, 0)
    .option('--json', 'one JSON array element per gpa')
    .addOption(new Option('--types <source>', 'where struct layouts come from').choices(['dwarf', 'btf', 'auto']).default('auto'))
    .option('--no-cache', 'do not read or write the persistent DWARF index cache')
    .showHelpAfterError()
    .action((files: string[], o: VtopOptions) => {
      try {
        runVtop(files, o);
      } catch (e) {
        fail(e, o.json);
      }
    });
  return p;
}

program().parseAsync(process.argv).catch((e) => fail(e, process.argv.includes('--json')));
