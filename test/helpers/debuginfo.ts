// The Debian debug files of the fixtures' kernel, downloaded once into a cache outside the repository
// (the same layout /work/shared/tools/check-truth.mjs uses). Fails loudly, naming the package, when it cannot.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fetchDebianDebuginfo } from '../../src/debuginfo/fetch.js';

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

export interface DebianDebuginfo {
  vmlinux: string;
  kvmKo: string;
  kvmAmdKo: string;
}

let pending: Promise<DebianDebuginfo> | undefined;

export function debianDebuginfo(): Promise<DebianDebuginfo> {
  return (pending ??= Promise.resolve().then(fetchOnce));
}

/** The tool's own fetcher, into the cache layout check-truth.mjs shares, with the .deb's checksum checked. */
function fetchOnce(): DebianDebuginfo {
  const dir = join(fixtureCache(), `${DBG.package}_${DBG.version}`);
  try {
    const f = fetchDebianDebuginfo({ release: '6.1.0-53-cloud-amd64', version: DBG.version }, () => {}, { dir, sha256: DBG.sha256, extra: [DBG.kvmAmdKo] });
    return { vmlinux: f.vmlinux, kvmKo: f.kvmKo, kvmAmdKo: join(dir, DBG.kvmAmdKo) };
  } catch (e) {
    throw new Error(`the tests need ${DBG.package}=${DBG.version} (its vmlinux and kvm.ko): ${(e as Error).message}`);
  }
}
