// Fetches a Debian kernel's debug files (vmlinux, kvm.ko) into a cache: `apt-get download` the -dbg
// package of the exact version and unpack only the files needed (the package unpacks to 1.7 GB otherwise).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { QvError } from '../io/errors.js';
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

export interface FetchOptions {
  /** Where to unpack (default: the tool's cache, qemu-vtop/debuginfo/PACKAGE_VERSION). */
  dir?: string;
  /** The .deb's expected sha256; a mismatch is refused. */
  sha256?: string;
  /** More paths of the package to unpack (relative, without "./"). */
  extra?: string[];
}

export function fetchDebianDebuginfo(k: DebianKernel, log: (m: string) => void = () => {}, o: FetchOptions = {}): FetchedDebuginfo {
  const pkg = `linux-image-${k.release}-dbg`;
  const dir = o.dir ?? join(cacheRoot(), 'debuginfo', `${pkg}_${k.version}`);
  const rel = { vmlinux: `usr/lib/debug/boot/vmlinux-${k.release}`, kvmKo: `usr/lib/debug/lib/modules/${k.release}/${KVM_KO_REL}` };
  const files = { vmlinux: join(dir, rel.vmlinux), kvmKo: join(dir, rel.kvmKo) };
  const want = [rel.vmlinux, rel.kvmKo, ...(o.extra ?? [])];
  if (want.every((p) => existsSync(join(dir, p)))) return files;
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
    if (o.sha256) {
      const sum = createHash('sha256').update(readFileSync(join(tmp, deb))).digest('hex');
      if (sum !== o.sha256) throw new QvError('DEBUGINFO_CHECKSUM', `${deb}: sha256 ${sum}, expected ${o.sha256} for ${pkg}=${k.version}`);
    }
    const out = join(tmp, 'root');
    mkdirSync(out);
    execFileSync('sh', ['-c', 'f="$1"; d="$2"; shift 2; dpkg-deb --fsys-tarfile "$f" | tar -x -C "$d" "$@"', 'sh', join(tmp, deb), out, ...want.map((p) => `./${p}`)], { stdio: ['ignore', 'ignore', 'pipe'] });
    mkdirSync(join(dir, '..'), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir); // atomic: a concurrent run sees either nothing or the complete tree
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return files;
}
