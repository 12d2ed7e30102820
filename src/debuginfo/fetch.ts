// Fetches a Debian kernel's debug files (vmlinux, kvm.ko) into a cache: `apt-get download` the -dbg
// package of the exact version and unpack only the files needed (the package unpacks to 1.7 GB otherwise).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { QvError } from '../kernel/errors.js';
import { KVM_KO_REL } from './locate.js';

export interface DebianKernel {
  release: string; // 6.1.0-53-cloud-amd64
  version: string; // 6.1.187-1
}

/** Debian's version from the kernel's uts version string: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.187-1 (2026-09-07)". */
export function debianVersion(utsVersion: string): string | undefined {
  return /\bDebian (\S+)/.exec(utsVersion)?.[1];
}

export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop');
}

export interface FetchedDebuginfo {
  vmlinux: string;
  kvmKo: string;
}

export function fetchDebianDebuginfo(k: DebianKernel, log: (m: string) => void = () => {}): FetchedDebuginfo {
  const pkg = `linux-image-${k.release}-dbg`;
  const dir = join(cacheRoot(), 'debuginfo', `${pkg}_${k.version}`);
  const files = { vmlinux: join(dir, 'usr/lib/debug/boot', `vmlinux-${k.release}`), kvmKo: join(dir, 'usr/lib/debug/lib/modules', k.release, KVM_KO_REL) };
  if (existsSync(files.vmlinux) && existsSync(files.kvmKo)) return files;
  const tmp = `${dir}.download-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    log(`downloading ${pkg}=${k.version} (about 300 MB) into ${dir}`);
    const download = () => execFileSync('apt-get', ['download', `${pkg}=${k.version}`], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      try {
        download();
      } catch {
        // A fresh machine may have no package lists yet (needs root; a user without it gets the first error).
        execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'pipe'] });
        download();
      }
    } catch (e) {
      throw new QvError(
        'DEBUGINFO_DOWNLOAD_FAILED',
        `could not download ${pkg}=${k.version} with apt-get (${String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n').pop()}). ` +
          `Debian removes superseded kernel ABIs from the archive; get it from snapshot.debian.org, or give --vmlinux and --kvm-debuginfo`,
      );
    }
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new QvError('DEBUGINFO_DOWNLOAD_FAILED', `apt-get download ${pkg}=${k.version} wrote no .deb`);
    const out = join(tmp, 'root');
    mkdirSync(out);
    const want = [`./usr/lib/debug/boot/vmlinux-${k.release}`, `./usr/lib/debug/lib/modules/${k.release}/${KVM_KO_REL}`];
    execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$0" | tar -x -C "$1" "$2" "$3"', join(tmp, deb), out, ...want], { stdio: ['ignore', 'ignore', 'pipe'] });
    mkdirSync(join(dir, '..'), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir); // atomic: a concurrent run sees either nothing or the complete tree
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return files;
}
