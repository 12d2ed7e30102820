// What every subcommand shares: loading options, error reporting, pid parsing.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseAddress } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { findTask, type Task } from '../kernel/tasks.js';
import { openSession, type Session, type TypesMode } from '../vtop/session.js';
import { describeLive, type GivenSources, isKcore, type LivePlan, planLive, realHost } from '../vtop/live.js';
import { classify } from './args.js';

export interface LoadOptions {
  vmcore?: string[];
  vmlinux?: string;
  kvmDebuginfo?: string;
  types: TypesMode;
  cache: boolean;
  fetchDebuginfo?: boolean;
  systemMap?: string;
  kallsyms?: string;
  btf?: string;
  btfKvm?: string;
  debianSuite?: string;
  debugDir?: string[];
  json?: boolean;
}

/** Options every command that loads a dump accepts. */
export function addLoadOptions(c: Command): Command {
  return c
    .option('--vmcore <file...>', 'the dump file(s)')
    .option('--vmlinux <file>', 'the debug vmlinux of the dumped kernel')
    .option('--kvm-debuginfo <file>', "kvm.ko's debug file (found by itself under /usr/lib/debug/lib/modules/RELEASE/)")
    .addOption(new Option('--types <source>', 'where struct layouts come from').choices(['dwarf', 'btf', 'auto']).default('auto'))
    .option('--no-cache', 'do not read or write the persistent DWARF index cache')
    .option('--system-map <file>', "with no vmlinux: the kernel's System.map for symbols (instead of kallsyms in the dump)")
    .option('--kallsyms <file>', 'with no vmlinux: a /proc/kallsyms capture of the same boot')
    .option('--btf <file>', 'with no vmlinux: vmlinux BTF saved from the host (/sys/kernel/btf/vmlinux)')
    .option('--btf-kvm <file>', "with no vmlinux: kvm's BTF saved from the host (/sys/kernel/btf/kvm)")
    .option('--fetch-debuginfo', "with no vmlinux given: download the dump's Debian -dbg package (apt-get) into the cache")
    .option('--debian-suite <suite>', 'with --fetch-debuginfo: the Debian suite that has the kernel, when its version does not tell (e.g. bookworm)')
    .option('--debug-dir <dir...>', 'debug directories searched by build-id (DIR/.build-id/xx/rest.debug; default /usr/lib/debug)')
    .option('--json', 'machine-readable output');
}

/** A session, and for the running host (/proc/kcore) where its symbols and types came from. */
export type LoadedSession = Session & { live?: LivePlan };

/** `progress` replaces the default (a line on stderr per stage, when stderr is a terminal). */
export function loadSession(files: string[], o: LoadOptions, progress?: (msg: string) => void): LoadedSession {
  const inputs = classify(files, o);
  let sources: GivenSources = { vmlinux: inputs.vmlinux, kvmDebuginfo: inputs.kvmDebuginfo, systemMap: o.systemMap, kallsyms: o.kallsyms, btf: o.btf, btfKvm: o.btfKvm };
  let live: LivePlan | undefined;
  if (inputs.dump.length === 1 && isKcore(inputs.dump[0])) {
    live = planLive(realHost, { ...sources, debugDirs: o.debugDir }, inputs.dump[0]);
    sources = live;
    process.stderr.write(`qemu-vtop: ${describeLive(live)}\n`);
  }
  const s: LoadedSession = openSession({
    ...inputs,
    ...sources,
    types: o.types,
    cache: o.cache,
    fetchDebuginfo: o.fetchDebuginfo,
    debianSuite: o.debianSuite,
    debugDirs: o.debugDir,
    progress:
      progress ??
      ((m) => {
        if (process.stderr.isTTY) process.stderr.write(`${m}...\n`);
      }),
  });
  if (live) s.live = live;
  return s;
}

export const asInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

/** crash's -g takes a decimal pid or a hex task address. */
export function resolveTask(k: Kernel, pidOrTask: string): Task {
  const v = /^\d+$/.test(pidOrTask) ? BigInt(pidOrTask) : parseAddress(pidOrTask);
  return findTask(k, v);
}

export function fail(e: unknown, json: boolean | undefined): never {
  const code = e instanceof QvError ? e.code : ((e as { code?: string }).code ?? 'ERROR');
  const message = e instanceof Error ? e.message : String(e);
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }, null, 2) + '\n');
  process.stderr.write(`qemu-vtop: ${message}\n`);
  if (process.env.QEMU_VTOP_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(2);
}

/** Wraps an action so every error becomes a message (and a JSON error object with --json), exit 2. */
export function guarded<A extends unknown[]>(fn: (...a: A) => void | Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    const opts = a.find((x): x is { json?: boolean } => typeof x === 'object' && x !== null && !Array.isArray(x) && 'types' in x);
    try {
      await fn(...a);
    } catch (e) {
      fail(e, opts?.json);
    }
  };
}
