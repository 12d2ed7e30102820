// The command line. Each subcommand lives in its own cmd-*.ts and registers itself here. Only the modules of the
// command being run are loaded (the TUI's and the KVMI server's alone take tens of ms to load): a subcommand's
// module is imported when its name is among the arguments, and all of them for --help.
import { Command } from 'commander';
import { vtopCommand } from './cmd-vtop.js';
import { fail } from './common.js';
import { readFileSync } from 'node:fs';

type Register = (p: Command) => void;
/** Subcommands in the order --help lists them. */
const SUBCOMMANDS: [string, () => Promise<Register>][] = [
  ['info', async () => (await import('./cmd-info.js')).infoCommand],
  ['vms', async () => (await import('./cmd-vms.js')).vmsCommand],
  ['memslots', async () => (await import('./cmd-memslots.js')).memslotsCommand],
  ['vcpus', async () => (await import('./cmd-vcpus.js')).vcpusCommand],
  ['tui', async () => (await import('./cmd-tui.js')).tuiCommand],
  ['serve', async () => (await import('./cmd-serve.js')).serveCommand],
  ['read', async () => (await import('./cmd-read.js')).readCommand],
  ['coverage', async () => (await import('./cmd-coverage.js')).coverageCommand],
  ['guest', async () => (await import('./cmd-guest.js')).guestCommand],
  ['whose', async () => (await import('./cmd-whose.js')).whoseCommand],
  ['extract', async () => (await import('./cmd-extract.js')).extractCommand],
];

/** The package's version, from its package.json (two folders up from dist/src/cli, or src/cli). */
function packageVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')).version as string;
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}

/** The subcommands `argv` may run: those named in it, or all when it asks for help (or names nothing at all). */
function wanted(argv: string[]): Set<string> {
  const args = argv.slice(2);
  const all = !args.length || args.some((a) => a === '-h' || a === '--help' || a === 'help');
  return new Set(SUBCOMMANDS.map(([n]) => n).filter((n) => all || args.includes(n)));
}

export async function program(argv: string[] = process.argv): Promise<Command> {
  const p = new Command('qemu-vtop')
    .description('Translate KVM guest-physical addresses to host virtual and physical addresses in a Linux host crash dump')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    // Options after a subcommand's name belong to it (vms/memslots/vcpus/info share -g, --json, ... with the root).
    .enablePositionalOptions();
  vtopCommand(p);
  const names = wanted(argv);
  for (const [name, load] of SUBCOMMANDS) if (names.has(name)) (await load())(p);
  return p;
}

// Benchmarks read wall time and peak memory from this line (QEMU_VTOP_STATS=1); users never see it.
if (process.env.QEMU_VTOP_STATS) {
  const t0 = performance.now();
  process.on('exit', () => {
    const ru = process.resourceUsage();
    const cpuMs = (ru.userCPUTime + ru.systemCPUTime) / 1000;
    process.stderr.write(`qemu-vtop-stats: ${JSON.stringify({ wallMs: performance.now() - t0, cpuMs, maxRssKiB: ru.maxRSS })}\n`);
  });
}

program()
  .then((p) => p.parseAsync(process.argv))
  .catch((e) => fail(e, process.argv.includes('--json')));
