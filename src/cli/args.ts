// crash's argument style: dump and vmlinux in either order, told apart by their content.
import { closeSync, readSync } from 'node:fs';
import { QvError } from '../io/errors.js';
import { type HostFs, liveDump } from '../vtop/live.js';
import { openInput } from '../io/source.js';

export type FileRole = 'dump' | 'vmlinux' | 'module';

const ET_REL = 1;
const ET_EXEC = 2;
const ET_CORE = 4;

export function fileRole(path: string): FileRole {
  let head = Buffer.alloc(64);
  const { fd } = openInput(path); // a directory or a missing file is a QvError naming the path
  try {
    const n = readSync(fd, head, 0, 64, 0);
    head = head.subarray(0, n);
  } finally {
    closeSync(fd);
  }
  if (head.length >= 18 && head.readUInt32BE(0) === 0x7f454c46) {
    const type = head.readUInt16LE(16);
    if (type === ET_CORE) return 'dump';
    if (type === ET_EXEC || type === 3) return 'vmlinux';
    if (type === ET_REL) return 'module';
  }
  return 'dump'; // kdump/flattened and anything else: the dump reader says what it is not
}

export interface Inputs {
  dump: string[];
  vmlinux?: string;
  kvmDebuginfo?: string;
}

/** No dump named: the running host's /proc/kcore (or why it cannot be read). */
export function classify(files: string[], opts: { vmcore?: string[]; vmlinux?: string; kvmDebuginfo?: string }, host?: HostFs): Inputs {
  const out: Inputs = { dump: [...(opts.vmcore ?? [])], vmlinux: opts.vmlinux, kvmDebuginfo: opts.kvmDebuginfo };
  for (const f of files) {
    const role = fileRole(f);
    if (role === 'dump') out.dump.push(f);
    else if (role === 'vmlinux') {
      if (out.vmlinux) throw new QvError('USAGE', `two kernels given (${out.vmlinux} and ${f}): give one vmlinux`);
      out.vmlinux = f;
    } else if (!out.kvmDebuginfo) out.kvmDebuginfo = f;
  }
  if (!out.dump.length) out.dump.push(liveDump(host));
  return out;
}
