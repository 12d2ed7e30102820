// `qemu-vtop serve --kvmi unix:PATH (-g PID | --vm ADDR) DUMP [VMLINUX]`: answer KVMI introspection
// requests about a dumped VM.
import { type Command } from 'commander';
import { QvError } from '../io/errors.js';
import { DumpedVm } from '../kvmi/dump-vm.js';
import { maskOf, READ_COMMANDS } from '../kvmi/protocol.js';
import { listenUnix } from '../kvmi/server.js';
import { addressSpaces } from '../kvm/memslots.js';
import { GuestView } from '../vtop/guest-view.js';
import { vmContext } from '../vtop/translate.js';
import { loadVendorTypes } from '../vtop/vendor-types.js';
import { classify } from './args.js';
import { addLoadOptions, guarded, type LoadOptions, loadSession } from './common.js';
import { selectVms } from './vm-select.js';

interface ServeOptions extends LoadOptions {
  kvmi: string;
  pid?: string;
  vm?: string;
  commands?: string;
  events?: string;
}

const num = (v: string) => Number(v.startsWith('0x') ? BigInt(v) : BigInt(v));

export function serveCommand(p: Command): void {
  addLoadOptions(p.command('serve').description('serve a dumped VM over the KVMI introspection protocol (read-only)'))
    .argument('[files...]', 'the dump and (optionally) the debug vmlinux')
    .requiredOption('--kvmi <unix:PATH>', 'where to listen: a unix socket path, created owner-only (0600)')
    .option('-g, --pid <pid>', 'the VMM: a pid (or a task_struct address)')
    .option('--vm <address>', 'a struct kvm address instead of -g')
    .option('--commands <mask>', 'allowed-command bit mask (default: every read-only command)')
    .option('--events <mask>', 'allowed-event bit mask reported by GET_VERSION (default 0: no event is ever sent)')
    .action(
      guarded(async (files: string[], o: ServeOptions) => {
        if (!o.kvmi.startsWith('unix:')) throw new QvError('USAGE', '--kvmi takes unix:PATH');
        if (!o.pid && !o.vm) throw new QvError('USAGE', 'say which VM to serve: -g PID or --vm ADDRESS');
        const s = loadSession(files, o);
        const [sel] = selectVms(s.kernel, { pid: o.pid, vm: o.vm });
        const ctx = vmContext(s.kernel, sel.kvm, addressSpaces(s.kernel, sel.kvm));
        const inputs = classify(files, o);
        const view = new GuestView(s.kernel, ctx, () => loadVendorTypes(s, { vmlinux: inputs.vmlinux, kvmDebuginfo: inputs.kvmDebuginfo, cache: o.cache }));
        const vm = new DumpedVm(s.kernel, ctx, view);
        const policy = { commands: o.commands ? num(o.commands) : maskOf(READ_COMMANDS), events: o.events ? num(o.events) : 0 };
        const path = o.kvmi.slice('unix:'.length);
        const { server } = await listenUnix(path, vm, policy);
        process.stderr.write(`qemu-vtop: serving VM ${sel.kvm.addr.toString(16)} (${vm.vcpuCount} vCPUs) over KVMI on ${path}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => server.close(() => resolve());
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        s.close();
      }),
    );
}
