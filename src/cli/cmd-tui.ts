// `qemu-vtop tui DUMP [VMLINUX]`: load once (a line per stage while it loads), then browse VMs, memslots
// and vCPUs and translate live. Exit status: 0 on q, 130 on Ctrl-C, 143 on SIGTERM, 2 if loading failed.
import { type Command } from 'commander';
import { LoadProgress } from '../tui/progress.js';
import { TuiState } from '../tui/state.js';
import { type Session } from '../vtop/session.js';
import { loadVendorTypes } from '../vtop/vendor-types.js';
import { classify } from './args.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';

export function tuiCommand(p: Command): void {
  addLoadOptions(p.command('tui').description('interactive browser of the VMs, memslots and vCPUs of a dump; translate addresses live'))
    .argument('[files...]', 'the dump and (optionally) the debug vmlinux')
    .action(
      guarded(async (files: string[], o: LoadOptions) => {
        if (!process.stdout.isTTY || !process.stdin.isTTY) throw new Error('tui needs a terminal (stdin and stdout must be a TTY); in scripts use vms, memslots, vcpus and vtop');
        const dump = classify(files, o).dump;
        const progress = new LoadProgress(process.stderr, `loading ${dump.join(' ')}`);
        let s: Session | undefined;
        let state: TuiState;
        try {
          progress.step('opening the dump');
          s = loadSession(files, o, (m) => progress.step(m));
          progress.step("finding VMs (the VMMs' kvm-vm files and kvm.ko's vm_list)");
          const inputs = classify(files, o);
          const session = s;
          state = new TuiState(s.kernel, {
            vendor: () => loadVendorTypes(session, { vmlinux: inputs.vmlinux, kvmDebuginfo: inputs.kvmDebuginfo, cache: o.cache }),
            guestKernel: { hostVmlinux: inputs.vmlinux, cache: o.cache },
          });
          progress.done();
        } catch (e) {
          progress.failed();
          s?.close();
          throw e;
        }
        const { runTui } = await import('../tui/app.js');
        try {
          process.exitCode = await runTui(state, { dump: dump.join(' '), release: s.vmcoreinfo.osrelease, types: s.typesUsed.split(':')[0] });
        } finally {
          s.close();
        }
      }),
    );
}
