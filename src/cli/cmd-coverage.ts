// `qemu-vtop coverage DUMP [VMLINUX] [-g PID | --vm ADDR] [--json]`: per memslot, how much of the guest the dump holds.
import { type Command } from 'commander';
import { hex, hexBare } from '../io/hex.js';
import { vmCoverage } from '../kvm/coverage.js';
import { addressSpaces } from '../kvm/memslots.js';
import { coverageJson, renderCoverage } from '../vtop/render-coverage.js';
import { vmContext } from '../vtop/translate.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';
import { selectVms } from './vm-select.js';

interface CoverageOptions extends LoadOptions {
  pid?: string;
  vm?: string;
}

function runCoverage(files: string[], o: CoverageOptions): void {
  const s = loadSession(files, o);
  try {
    const k = s.kernel;
    // One VM that cannot be counted (its VMM gone, its memslots unreadable) does not hide the others.
    const results = selectVms(k, o).map((v) => {
      try {
        const ctx = vmContext(k, v.kvm, addressSpaces(k, v.kvm), undefined, v.pid, v.comm);
        return vmCoverage(k, v.kvm, ctx.spaces, ctx.pgdPhys, { pid: v.pid, comm: v.comm });
      } catch (e) {
        return { vm: v.kvm.addr, pid: v.pid, error: e as Error };
      }
    });
    const failed = (r: (typeof results)[number]): r is { vm: bigint; pid: number | undefined; error: Error } => 'error' in r;
    if (o.json) {
      const out = results.map((r) => (failed(r) ? { vm: hex(r.vm), ...(r.pid !== undefined ? { pid: r.pid } : {}), error: { code: (r.error as { code?: string }).code ?? 'ERROR', message: r.error.message } } : coverageJson(r)));
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else process.stdout.write(results.map((r) => (failed(r) ? `VM ${hexBare(r.vm)}: coverage cannot be counted: ${r.error.message}\n` : renderCoverage(r))).join('\n'));
    if (results.some(failed)) process.exitCode = 1;
  } finally {
    s.close();
  }
}

export function coverageCommand(p: Command): void {
  addLoadOptions(p.command('coverage').description('per memslot: how many guest pages the dump holds, excluded, never touched, swapped, in 2M/1G host pages'))
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .option('-g, --pid <pid>', 'the VMM: a pid (or a task_struct address in hex); default every VM')
    .option('--vm <address>', 'a struct kvm address instead of -g')
    .action(guarded(runCoverage));
}
