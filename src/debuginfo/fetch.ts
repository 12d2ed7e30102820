// Fetches a Debian kernel's debug files (vmlinux, kvm.ko) into a cache: `apt-get download` the -dbg
// package of the exact version and unpack only the files needed (the package unpacks to 1.7 GB otherwise).
// A kernel of another Debian release than this machine's (a Debian 11 host's dump read on Debian 12) comes
// from that release's suite, through a private sources list and lists folder under the cache: /etc/apt is
// never touched. The .deb is checked against the SHA256 the archive's signed index gives for it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { QvError } from '../io/errors.js';
import { KVM_KO_REL } from './locate.js';
import { checkName } from './names.js';

export interface DebianKernel {
  release: string; // 6.1.0-53-cloud-amd64
  version: string; // 6.1.187-1
  /** The Debian suite that has it (default: from the version, see debianSuite). */
  suite?: string;
}

/** Debian's version from the kernel's uts version string: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.187-1 (2026-09-07)". */
export function debianVersion(utsVersion: string): string | undefined {
  return /\bDebian (\S+)/.exec(utsVersion)?.[1];
}

/** Debian releases by number, for the "+debNN" and "~bpoNN" markers of a version. */
const RELEASES: Record<string, string> = { '10': 'buster', '11': 'bullseye', '12': 'bookworm', '13': 'trixie', '14': 'forky' };

/** The kernel series each Debian release ships (its stable updates keep the series). */
const SERIES: { series: RegExp; suite: string }[] = [
  { series: /^4\.19\./, suite: 'buster' },
  { series: /^5\.10\./, suite: 'bullseye' },
  { series: /^6\.1\./, suite: 'bookworm' },
  { series: /^6\.12\./, suite: 'trixie' },
];

/**
 * The suite whose archive holds a kernel version: a backport (~bpoNN) is in that release's -backports, a
 * "+debNN" version in release NN, else the release that ships the version's series. Undefined: ask the user.
 */
export function debianSuite(version: string): string | undefined {
  const bpo = /~bpo(\d+)/.exec(version);
  if (bpo) return RELEASES[bpo[1]] ? `${RELEASES[bpo[1]]}-backports` : undefined;
  const deb = /\+deb(\d+)/.exec(version);
  if (deb) return RELEASES[deb[1]];
  return SERIES.find((s) => s.series.test(version))?.suite;
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
  /** The .deb's expected sha256 (besides the archive's own); a mismatch is refused. */
  sha256?: string;
  /** More paths of the package to unpack (relative, without "./"). */
  extra?: string[];
}

/** This machine's Debian codename (/etc/os-release), whose suite its own apt already lists. */
function systemCodename(): string | undefined {
  try {
    return /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The URI of the main Debian archive in this machine's apt sources (deb822 or one-line format). */
export function systemArchiveUri(): string {
  const files = ['/etc/apt/sources.list'];
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) files.push(...readdirSync(d).sort().map((f) => join(d, f)));
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const uris = [...text.matchAll(/^URIs:\s*(\S+)/gm), ...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)].map((m) => m[1]).filter((u) => !/security/.test(u));
    if (uris.length) return uris[0];
  }
  throw new QvError('NO_APT_SOURCES', 'no Debian archive URI in /etc/apt/sources.list*: cannot fetch debug packages of another Debian release; give --vmlinux and --kvm-debuginfo');
}

/**
 * apt-get options for a suite: none for this machine's own, else a private sources list, lists and
 * package cache under the tool's cache (updated once, again when a package is not found).
 */
export function aptOptionsFor(suite: string, log: (m: string) => void, refresh = false): string[] {
  checkName('suite', suite, 'the Debian suite');
  if (suite === systemCodename()) return [];
  const dir = join(cacheRoot(), 'apt', suite);
  mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  const list = join(dir, 'sources.list');
  writeFileSync(list, `deb ${systemArchiveUri()} ${suite} main\n`);
  const opts = ['-o', `Dir::Etc::SourceList=${list}`, '-o', 'Dir::Etc::SourceParts=/dev/null', '-o', `Dir::State::Lists=${join(dir, 'lists')}`, '-o', `Dir::Cache=${join(dir, 'cache')}`];
  const stamp = join(dir, 'updated');
  if (refresh || !existsSync(stamp)) {
    log(`reading the package index of Debian ${suite} (private apt lists in ${dir})`);
    try {
      execFileSync('apt-get', [...opts, 'update', '-qq'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new QvError('DEBUGINFO_DOWNLOAD_FAILED', `apt-get update of Debian ${suite} failed (${lastLine(e)}); give --vmlinux and --kvm-debuginfo`);
    }
    writeFileSync(stamp, new Date().toISOString());
  }
  return opts;
}

function lastLine(e: unknown): string {
  return String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n').pop() ?? '';
}

/** The SHA256 the archive's (signed) Packages index gives for pkg=version. */
function archiveSha256(opts: string[], pkg: string, version: string): string | undefined {
  try {
    const out = execFileSync('apt-cache', [...opts, 'show', `${pkg}=${version}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /^SHA256:\s*([0-9a-f]{64})$/m.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

export function fetchDebianDebuginfo(k: DebianKernel, log: (m: string) => void = () => {}, o: FetchOptions = {}): FetchedDebuginfo {
  const release = checkName('release', k.release, "the dump's OSRELEASE");
  const version = checkName('version', k.version, "the dump's uts version");
  const pkg = `linux-image-${release}-dbg`;
  const dir = o.dir ?? join(cacheRoot(), 'debuginfo', `${pkg}_${version}`);
  const rel = { vmlinux: `usr/lib/debug/boot/vmlinux-${release}`, kvmKo: `usr/lib/debug/lib/modules/${release}/${KVM_KO_REL}` };
  const files = { vmlinux: join(dir, rel.vmlinux), kvmKo: join(dir, rel.kvmKo) };
  const want = [rel.vmlinux, rel.kvmKo, ...(o.extra ?? [])];
  if (want.every((p) => existsSync(join(dir, p)))) return files;
  const suite = k.suite ?? debianSuite(version);
  if (!suite) {
    throw new QvError('NO_DEBIAN_SUITE', `--fetch-debuginfo: which Debian release has kernel ${version} is not known; say it with --debian-suite NAME (e.g. bookworm), or give --vmlinux and --kvm-debuginfo`);
  }
  const tmp = `${dir}.download-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    log(`downloading ${pkg}=${version} from Debian ${suite} (about 300 MB) into ${dir}`);
    let opts = aptOptionsFor(suite, log);
    const download = () => execFileSync('apt-get', [...opts, 'download', `${pkg}=${version}`], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      try {
        download();
      } catch {
        // Lists may be old or missing (a fresh machine; this needs root for the system's own suite).
        if (opts.length) opts = aptOptionsFor(suite, log, true);
        else execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'pipe'] });
        download();
      }
    } catch (e) {
      throw new QvError(
        'DEBUGINFO_DOWNLOAD_FAILED',
        `could not download ${pkg}=${version} from Debian ${suite} with apt-get (${lastLine(e)}). ` +
          `Debian removes superseded kernel ABIs from the archive; get it from snapshot.debian.org, or give --vmlinux and --kvm-debuginfo`,
      );
    }
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new QvError('DEBUGINFO_DOWNLOAD_FAILED', `apt-get download ${pkg}=${version} wrote no .deb`);
    const sum = createHash('sha256').update(readFileSync(join(tmp, deb))).digest('hex');
    const archive = archiveSha256(opts, pkg, version);
    for (const [want, from] of [[archive, `the Debian ${suite} index`], [o.sha256, 'the expected checksum']] as const) {
      if (want && sum !== want) throw new QvError('DEBUGINFO_CHECKSUM', `${deb}: sha256 ${sum}, but ${from} says ${want} for ${pkg}=${version}; not used`);
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
