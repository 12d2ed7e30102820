// The running host as a dump: /proc/kcore when no dump is given, and where its symbols and types come from.
// Order (first that works): a vmlinux the user gave; the running kernel's debug files found by its build-id
// (/sys/kernel/notes); /proc/kallsyms + /sys/kernel/btf/vmlinux + /sys/kernel/btf/kvm; kallsyms and BTF read out
// of kcore itself (what a dump without debug files uses). Every check goes through a HostFs so that tests can
// give a host of their own: the machine running the tests may have no /proc/kcore at all.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ElfFile } from '../elf/elf.js';
import { FileSource } from '../io/source.js';
import { QvError } from '../io/errors.js';
import { kvmDebuginfoCandidates } from '../debuginfo/locate.js';
import { buildIdPath, DEFAULT_DEBUG_DIRS } from '../debuginfo/buildid.js';
import { KCORE_PATH } from '../dump/open.js';

export const KCORE = KCORE_PATH;

const FILES = {
  notes: '/sys/kernel/notes',
  kvmNotes: '/sys/module/kvm/notes/.note.gnu.build-id',
  lockdown: '/sys/kernel/security/lockdown',
  kallsyms: '/proc/kallsyms',
  kptrRestrict: '/proc/sys/kernel/kptr_restrict',
  btf: '/sys/kernel/btf/vmlinux',
  btfKvm: '/sys/kernel/btf/kvm',
  osrelease: '/proc/sys/kernel/osrelease',
} as const;

/** Where a debug vmlinux of release R with build-id B is looked for (the distributions' places), in order. */
export function vmlinuxCandidates(release: string, buildId?: string, debugDirs: string[] = DEFAULT_DEBUG_DIRS): string[] {
  const out: string[] = [];
  if (buildId) out.push(...debugDirs.map((d) => buildIdPath(d, buildId)));
  out.push(`/usr/lib/debug/boot/vmlinux-${release}`, `/usr/lib/debug/vmlinux-${release}`, `/boot/vmlinux-${release}`, `/lib/modules/${release}/build/vmlinux`);
  return out;
}

/** What the live-host logic needs from the machine. */
export interface HostFs {
  exists(path: string): boolean;
  /** The file's bytes, or undefined when it cannot be read. */
  read(path: string): Buffer | undefined;
  /** Why `path` cannot be opened for reading ('EACCES', 'EPERM', ...), or undefined when it can. */
  openError(path: string): string | undefined;
  uid(): number;
  /** GNU build-id of an ELF file (hex), or undefined. */
  buildIdOf(path: string): string | undefined;
}

export const realHost: HostFs = {
  exists: (p) => existsSync(p),
  read: (p) => {
    try {
      return readFileSync(p);
    } catch {
      return undefined;
    }
  },
  // Open and close (never read: kcore's size is 128 TiB): the open is where root, CAP_SYS_RAWIO and lockdown are checked.
  openError: (p) => {
    try {
      new FileSource(p, 1).close();
      return undefined;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? 'EIO';
    }
  },
  uid: () => (process.getuid ? process.getuid() : -1),
  buildIdOf: (p) => {
    let src: FileSource | undefined;
    try {
      src = new FileSource(p, 4);
      return new ElfFile(src).buildId();
    } catch {
      return undefined;
    } finally {
      src?.close();
    }
  },
};
export function isKcore(path: string): boolean {
  return resolve(path) === KCORE;
}

/** The lockdown mode in force: /sys/kernel/security/lockdown lists the modes with the selected one in brackets. */
export function lockdownMode(h: HostFs): string | undefined {
  const t = h.read(FILES.lockdown)?.toString('latin1');
  return t ? /\[(\w+)\]/.exec(t)?.[1] : undefined;
}

/** No dump given: the running kernel's /proc/kcore, or an error that says why it cannot be read and what to do. */
export function liveDump(h: HostFs = realHost): string {
  const usage = 'or give a dump file: qemu-vtop VMCORE [VMLINUX] -g PID -p GPA...';
  if (!h.exists(KCORE)) {
    throw new QvError(
      'NO_KCORE',
      `no dump given, and this host has no ${KCORE} to read the running kernel from (a kernel built without CONFIG_PROC_KCORE, /proc not mounted, or a container that hides it); ${usage}`,
    );
  }
  if (h.uid() !== 0) {
    throw new QvError('NOT_ROOT', `no dump given: reading the running kernel through ${KCORE} needs root (the file is mode 0400 and its open needs CAP_SYS_RAWIO): run qemu-vtop with sudo, ${usage}`);
  }
  const mode = lockdownMode(h);
  const err = h.openError(KCORE);
  if (err) {
    // Lockdown's confidentiality mode forbids /proc/kcore (LOCKDOWN_KCORE); integrity mode allows it.
    if (mode === 'confidentiality' || err === 'EPERM') {
      throw new QvError(
        'KCORE_LOCKED_DOWN',
        `${KCORE} cannot be opened (${err}): the kernel is locked down${mode ? ` (${FILES.lockdown}: ${mode})` : ' or the process lacks CAP_SYS_RAWIO'}, which forbids reading kernel memory. ` +
          `Boot with lockdown=none (or without Secure Boot enforcing it), or take a dump with kdump and read that, ${usage}`,
      );
    }
    throw new QvError('KCORE_UNREADABLE', `${KCORE} cannot be opened: ${err}; ${usage}`);
  }
  return KCORE;
}

/** The running kernel's GNU build-id from /sys/kernel/notes (raw Elf64_Nhdr notes: name "GNU", type 3), or a loaded module's. */
export function runningBuildId(h: HostFs, notesFile: string = FILES.notes): string | undefined {
  const b = h.read(notesFile);
  if (!b) return undefined;
  for (let o = 0, n = 0; o + 12 <= b.length && n < 64; n++) {
    const namesz = b.readUInt32LE(o);
    const descsz = b.readUInt32LE(o + 4);
    const type = b.readUInt32LE(o + 8);
    const name = b.toString('latin1', o + 12, o + 12 + Math.max(0, namesz - 1));
    const desc = o + 12 + ((namesz + 3) & ~3);
    if (name === 'GNU' && type === 3 && desc + descsz <= b.length) return b.subarray(desc, desc + descsz).toString('hex');
    o = desc + ((descsz + 3) & ~3);
  }
  return undefined;
}

/** Symbol and type inputs a live session uses, and a sentence saying which and why. */
export interface LivePlan {
  kcore: string;
  vmlinux?: string;
  kvmDebuginfo?: string;
  kallsyms?: string;
  btf?: string;
  btfKvm?: string;
  /** "debug files by build-id" | "/proc/kallsyms + /sys/kernel/btf" | "kcore" | "given" */
  source: string;
  /** Why earlier sources in the order were passed over (shown with the answer). */
  skipped: string[];
}

export interface GivenSources {
  vmlinux?: string;
  kvmDebuginfo?: string;
  kallsyms?: string;
  systemMap?: string;
  btf?: string;
  btfKvm?: string;
  /** Debug directories searched by build-id (--debug-dir). */
  debugDirs?: string[];
}

/** True when every address in a kallsyms text is zero: kptr_restrict hides them from this reader. */
export function kallsymsHidden(text: string): boolean {
  let lines = 0;
  for (const line of text.split('\n', 2000)) {
    const a = line.split(' ', 1)[0];
    if (!a) continue;
    lines++;
    if (!/^0+$/.test(a)) return false;
  }
  return lines > 0;
}

function kptrHiddenError(h: HostFs, path: string): QvError {
  const kr = h.read(FILES.kptrRestrict)?.toString('latin1').trim();
  return new QvError(
    'KALLSYMS_HIDDEN',
    `${path} shows every symbol at address 0: kernel.kptr_restrict${kr !== undefined ? `=${kr}` : ''} hides kernel addresses from this reader. ` +
      `Run as root with kptr_restrict at 0 or 1 (sysctl kernel.kptr_restrict=1), or leave out --kallsyms: the symbols are then read from ${KCORE} itself`,
  );
}

export function planLive(h: HostFs, given: GivenSources, kcore = KCORE): LivePlan {
  const skipped: string[] = [];
  if (given.kallsyms) {
    const t = h.read(given.kallsyms)?.toString('latin1');
    if (t !== undefined && kallsymsHidden(t)) throw kptrHiddenError(h, given.kallsyms);
  }
  const { debugDirs, ...files } = given;
  if (files.vmlinux || files.kallsyms || files.systemMap || files.btf || files.btfKvm) return { kcore, ...files, source: 'given', skipped };
  const release = h.read(FILES.osrelease)?.toString('latin1').trim() ?? '';
  const bid = runningBuildId(h);
  // 1. The running kernel's debug vmlinux (its build-id must match) and kvm.ko's debug file.
  if (!bid) skipped.push(`debug files: ${FILES.notes} gives no build-id`);
  else {
    const cands = vmlinuxCandidates(release, bid, debugDirs);
    const vmlinux = cands.find((p) => h.exists(p) && h.buildIdOf(p) === bid);
    if (!vmlinux) skipped.push(`debug files: no vmlinux with build-id ${bid} in ${cands.join(', ')}`);
    else {
      // kvm.ko's debug file where -dbg packages put it, or by the loaded module's own build-id note.
      const kvmBid = runningBuildId(h, FILES.kvmNotes);
      const kvmCands = [...kvmDebuginfoCandidates(release, vmlinux), ...(kvmBid ? (debugDirs ?? DEFAULT_DEBUG_DIRS).map((d) => buildIdPath(d, kvmBid)) : [])];
      const kvm = kvmCands.find((p) => h.exists(p));
      if (kvm) return { kcore, vmlinux, kvmDebuginfo: kvm, source: `debug files by build-id ${bid}: ${vmlinux} + ${kvm}`, skipped };
      skipped.push(`debug files: ${vmlinux} matches, but no kvm.ko debug file in ${kvmCands.join(', ')}`);
    }
  }
  // 2. The live kernel's own exports.
  const ks = h.read(FILES.kallsyms)?.toString('latin1');
  if (ks === undefined) skipped.push(`${FILES.kallsyms}: not readable`);
  else if (kallsymsHidden(ks)) skipped.push(`${FILES.kallsyms}: every address is 0 (kernel.kptr_restrict hides them)`);
  else if (!h.exists(FILES.btf)) skipped.push(`${FILES.btf}: missing (kernel without CONFIG_DEBUG_INFO_BTF)`);
  else if (!h.exists(FILES.btfKvm)) skipped.push(`${FILES.btfKvm}: missing (kvm not loaded, or no CONFIG_DEBUG_INFO_BTF_MODULES)`);
  else return { kcore, kallsyms: FILES.kallsyms, btf: FILES.btf, btfKvm: FILES.btfKvm, source: `${FILES.kallsyms} + ${FILES.btf} + ${FILES.btfKvm}`, skipped };
  // 3. kallsyms and BTF out of kcore's kernel image.
  return { kcore, source: `kallsyms and BTF read from ${kcore}`, skipped };
}

/** One line for stderr / info: what the live session reads. */
export function describeLive(p: LivePlan): string {
  return `live: ${p.kcore}; symbols and types: ${p.source}${p.skipped.length ? ` (passed over: ${p.skipped.join('; ')})` : ''}`;
}
