// Opens any supported dump, detected from its first bytes (never from the file name).
import { resolve } from 'node:path';
import { QvError } from '../io/errors.js';
import { FileSource, type ByteSource } from '../io/source.js';
import { ElfCore } from './elfcore.js';
import { FlattenedSource } from './flattened.js';
import { isKdump, openKdump } from './kdump.js';
import { type PhysicalMemory } from './physmem.js';

/** The running kernel as an ELF core (fs/proc/kcore.c). */
export const KCORE_PATH = '/proc/kcore';

interface Format {
  name: string;
  detect(head: Buffer): boolean;
  open(srcs: ByteSource[]): PhysicalMemory;
}

const FORMATS: Format[] = [
  {
    name: 'kdump-compressed (makedumpfile, "KDUMP   ")',
    detect: (h) => ['KDUMP   ', 'DISKDUMP'].includes(h.toString('latin1', 0, 8)),
    open: (s) => openKdump(s),
  },
  {
    name: 'makedumpfile flattened (makedumpfile -F, QEMU dump-guest-memory -z)',
    detect: (h) => h.toString('latin1', 0, 13) === 'makedumpfile\0',
    // Each part is a flattened stream of a kdump-compressed file (or, rarely, of an ELF one).
    open: (s) => {
      const flat = s.map((x) => new FlattenedSource(x));
      const m = isKdump(flat[0]) ? openKdump(flat) : new ElfCore(flat[0]);
      m.info.format += ', flattened';
      return m;
    },
  },
  {
    name: 'ELF core',
    detect: (h) => h.readUInt32BE(0) === 0x7f454c46,
    open: (s) => {
      if (s.length !== 1) throw new QvError('USAGE', 'an ELF vmcore is a single file; give one dump file');
      return new ElfCore(s[0]);
    },
  },
];

export class DumpFormatError extends QvError {
  constructor(message: string) {
    super('NOT_A_DUMP', message);
    this.name = 'DumpFormatError';
  }
}

export function sniff(src: ByteSource): string | undefined {
  const head = src.read(0, Math.min(64, src.size));
  return FORMATS.find((f) => head.length >= 16 && f.detect(head))?.name;
}

export function openDump(paths: string[]): PhysicalMemory {
  // The running kernel's memory changes under the reader: a small cache, dropped between translations (refresh).
  const live = paths.length === 1 && resolve(paths[0]) === KCORE_PATH;
  const srcs = paths.map((p) => new FileSource(p, live ? 64 : 512));
  const head = srcs[0].read(0, Math.min(64, srcs[0].size));
  const fmt = FORMATS.find((f) => head.length >= 16 && f.detect(head));
  if (!fmt) {
    for (const s of srcs) s.close();
    throw new DumpFormatError(
      `${paths[0]}: not a dump this tool can read (first bytes ${head.subarray(0, 16).toString('hex')}); ` +
        `supported: ${FORMATS.map((f) => f.name).join(', ')}. A gzip-compressed dump (1f8b...) must be gunzipped first`,
    );
  }
  const mem = fmt.open(srcs);
  if (live) mem.info.live = KCORE_PATH;
  return mem;
}
