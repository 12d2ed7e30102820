// The Debian debug files of the fixtures' kernel, downloaded once into a cache outside the repository
// (the same layout /work/shared/tools/check-truth.mjs uses). Fails loudly, naming the package, when it cannot.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DBG = {
  package: 'linux-image-6.1.0-53-cloud-amd64-dbg',
  version: '6.1.187-1',
  sha256: '22f445ef29ef1262e93f7d786dc5b7303deb056c219eeb420c7ae36500ddb20f',
  vmlinux: 'usr/lib/debug/boot/vmlinux-6.1.0-53-cloud-amd64',
  kvmKo: 'usr/lib/debug/lib/modules/6.1.0-53-cloud-amd64/kernel/arch/x86/kvm/kvm.ko',
  kvmAmdKo: 'usr/lib/debug/lib/modules/6.1.0-53-cloud-amd64/kernel/arch/x86/kvm/kvm-amd.ko',
};

export function fixtureCache(): string {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop-fixtures');
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface DebianDebuginfo {
  vmlinux: string;
  kvmKo: string;
  kvmAmdKo: string;
}

let pending: Promise<DebianDebuginfo> | undefined;

export function debianDebuginfo(): Promise<DebianDebuginfo> {
  return (pending ??= fetchOnce());
}

async function fetchOnce(): Promise<DebianDebuginfo> {
  const dir = join(fixtureCache(), `${DBG.package}_${DBG.version}`);
  const files = { vmlinux: join(dir, DBG.vmlinux), kvmKo: join(dir, DBG.kvmKo), kvmAmdKo: join(dir, DBG.kvmAmdKo) };
  if (Object.values(files).every(existsSync)) return files;
  const tmp = join(fixtureCache(), `download-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const download = () => execFileSync('apt-get', ['download', `${DBG.package}=${DBG.version}`], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      try {
        download();
      } catch {
        // A fresh machine may have no package lists yet.
        execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'pipe'] });
        download();
      }
    } catch (e) {
      throw new Error(`cannot download the Debian package ${DBG.package}=${DBG.version} with apt-get (${String((e as { stderr?: Buffer }).stderr ?? e).trim()}); the tests need its vmlinux and kvm.ko`);
    }
    const deb = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.deb'))!);
    const sum = await sha256(deb);
    if (sum !== DBG.sha256) throw new Error(`${deb}: sha256 ${sum}, expected ${DBG.sha256} for ${DBG.package}=${DBG.version}`);
    const out = join(tmp, 'root');
    mkdirSync(out);
    execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$0" | tar -x -C "$1" "./$2" "./$3" "./$4"', deb, out, DBG.vmlinux, DBG.kvmKo, DBG.kvmAmdKo], { stdio: 'inherit' });
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return files;
}
