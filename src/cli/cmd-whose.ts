// `qemu-vtop whose <dump> [vmlinux] HPA...`: every VM mapping of each host-physical address, or what the
// page is when no VM maps it. Arguments that are files are the dump and vmlinux; the rest are addresses.
import { existsSync } from 'node:fs';
import { type Command } from 'commander';
import { parseAddress } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { renderWhose, whoseJson } from '../vtop/render-whose.js';
import { hostReverseIndex, whose } from '../vtop/whose.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';

function runWhose(args: string[], o: LoadOptions): void {
  // An argument that names an existing file is an input; everything else must be an address.
  const files = args.filter((a) => existsSync(a));
  const addrs = args.filter((a) => !existsSync(a));
  if (!addrs.length) throw new QvError('USAGE', 'give one or more host-physical addresses: qemu-vtop whose DUMP [VMLINUX] HPA...');
  const hpas = addrs.map((a) => {
    try {
      return parseAddress(a);
    } catch {
      throw new QvError('USAGE', `"${a}" is neither a file nor a host-physical address in hex`);
    }
  });
  const s = loadSession(files, o);
  try {
    const k = s.kernel;
    const index = hostReverseIndex(k);
    const results = hpas.map((h) => whose(k, index, h));
    if (o.json) process.stdout.write(JSON.stringify(results.map(whoseJson), null, 2) + '\n');
    else process.stdout.write(renderWhose(results, index.notes));
  } finally {
    s.close();
  }
}

export function whoseCommand(p: Command): void {
  addLoadOptions(p.command('whose').description('which VM, address space, memslot, gpa and hva map each host-physical address (or what the page is)'))
    .argument('<args...>', 'the dump (vmcore), the debug vmlinux (either order), then host-physical addresses (hex)')
    .action(guarded(runWhose));
}
