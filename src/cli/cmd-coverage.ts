// `qemu-vtop coverage DUMP [VMLINUX] [-g PID | --vm ADDR] [--json]`: per memslot, how much of the guest the dump holds.
import { type Command } from 'commander';
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
    const results = selectVms(k, o).map((v) => {
      const ctx = vmContext(k, v.kvm, addressSpaces(k, v.kvm), undefined, v.pid, v.comm);
      return vmCoverage(k, v.kvm, ctx.spaces, ctx.pgdPhys, { pid: v.pid, comm: v.comm });
    });
    if (o.json) process.stdout.write(JSON.stringify(results.map(coverageJson), null, 2) + '\n');
    else process.stdout.write(results.map(renderCoverage).join('\n'));
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
