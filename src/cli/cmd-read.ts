// `qemu-vtop read DUMP [VMLINUX] -g PID -p GPA [-n LEN] [--raw | --json]`: bytes of guest-physical memory.
import { type Command, InvalidArgumentError } from 'commander';
import { hex, parseAddress } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { readJson, renderRead } from '../vtop/render-read.js';
import { addLoadOptions, guarded } from './common.js';
import { addGuestVmOptions, type GuestVmOptions, openGuestVm } from './guest-common.js';

interface ReadOptions extends GuestVmOptions {
  gpa?: string;
  length: number;
  raw?: boolean;
}

/** Longest read: 64 MiB (the bytes are held in memory and printed at once). */
const MAX_LENGTH = 64 << 20;

const lengthArg = (v: string): number => {
  const n = /^0x/i.test(v) ? Number.parseInt(v, 16) : Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > MAX_LENGTH) throw new InvalidArgumentError(`expected a length from 1 to ${MAX_LENGTH} bytes`);
  return n;
};

function runRead(files: string[], o: ReadOptions): void {
  if (!o.gpa) throw new QvError('USAGE', 'give the guest-physical address with -p GPA');
  if (o.raw && o.json) throw new QvError('USAGE', 'give --raw or --json, not both');
  const gpa = parseAddress(o.gpa);
  const g = openGuestVm(files, o);
  try {
    const { bytes, missing } = g.gm.readAvailable(gpa, o.length);
    const r = { gpa, length: o.length, bytes, missing };
    if (o.raw) {
      if (missing.length) {
        const m = missing[0];
        process.stderr.write(`qemu-vtop: gpa ${hex(m.gpa)} (${m.length} bytes) cannot be read (${m.code}): ${m.message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(bytes);
      return;
    }
    if (o.json) process.stdout.write(JSON.stringify(readJson(r), null, 2) + '\n');
    else process.stdout.write(renderRead(r));
    if (missing.length) process.exitCode = 1;
  } finally {
    g.close();
  }
}

export function readCommand(p: Command): void {
  addGuestVmOptions(addLoadOptions(p.command('read').description('bytes of guest-physical memory (crash rd -p style; --raw, --json)')))
    .argument('[files...]', 'the dump (vmcore) and the debug vmlinux, in either order')
    .option('-p, --gpa <gpa>', 'guest-physical address (hex)')
    .option('-n, --length <bytes>', 'how many bytes (decimal or 0x hex)', lengthArg, 64)
    .option('--raw', 'write exactly the bytes to stdout (fails, exit 1, if any byte cannot be read)')
    .action(guarded(runRead));
}
