// `qemu-vtop tui DUMP [VMLINUX]`: load once, then browse VMs, memslots and vCPUs and translate live.
import { type Command } from 'commander';
import { TuiModel } from '../tui/model.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';

export function tuiCommand(p: Command): void {
  addLoadOptions(p.command('tui').description('interactive browser of the VMs, memslots and vCPUs of a dump'))
    .argument('[files...]', 'the dump and (optionally) the debug vmlinux')
    .action(
      guarded(async (files: string[], o: LoadOptions) => {
        if (!process.stdout.isTTY) throw new Error('tui needs a terminal (stdout is not a TTY); use the other commands in scripts');
        process.stderr.write('qemu-vtop: loading the dump and its types...\n');
        const s = loadSession(files, o);
        const { runTui } = await import('../tui/app.js');
        try {
          const model = new TuiModel(s.kernel);
          const title = `${files.join(' ')}  ${s.vmcoreinfo.osrelease ?? ''}  types: ${s.typesUsed.split(':')[0]}`;
          await runTui(model, title);
        } finally {
          s.close();
        }
      }),
    );
}
