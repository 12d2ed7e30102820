// The command line. Each subcommand lives in its own cmd-*.ts and registers itself here.
import { Command } from 'commander';
import { infoCommand } from './cmd-info.js';
import { memslotsCommand } from './cmd-memslots.js';
import { vcpusCommand } from './cmd-vcpus.js';
import { vmsCommand } from './cmd-vms.js';
import { serveCommand } from './cmd-serve.js';
import { tuiCommand } from './cmd-tui.js';
import { vtopCommand } from './cmd-vtop.js';
import { fail } from './common.js';
import { readCommand } from './cmd-read.js';
import { coverageCommand } from './cmd-coverage.js';
import { guestCommand } from './cmd-guest.js';
import { whoseCommand } from './cmd-whose.js';
import { extractCommand } from './cmd-extract.js';
import { readFileSync } from 'node:fs';

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

export function program(): Command {
  const p = new Command('qemu-vtop')
    .description('Translate KVM guest-physical addresses to host virtual and physical addresses in a Linux host crash dump')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    // Options after a subcommand's name belong to it (vms/memslots/vcpus/info share -g, --json, ... with the root).
    .enablePositionalOptions();
  vtopCommand(p);
  infoCommand(p);
  vmsCommand(p);
  memslotsCommand(p);
  vcpusCommand(p);
  tuiCommand(p);
  serveCommand(p);
  readCommand(p);
  coverageCommand(p);
  guestCommand(p);
  whoseCommand(p);
  extractCommand(p);
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

program().parseAsync(process.argv).catch((e) => fail(e, process.argv.includes('--json')));
