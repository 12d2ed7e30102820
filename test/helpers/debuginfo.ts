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

/** The Debian 11 (bullseye) kernel of ../shared/fixtures/real-5.10: fetched through a private apt sources list. */
export const DBG_510 = {
  package: 'linux-image-5.10.0-32-cloud-amd64-dbg',
  release: '5.10.0-32-cloud-amd64',
  version: '5.10.223-1',
  sha256: '75b674fddb6f461cf45c88b9ded53b517f8b770a6e2006a5ea31a388e003d3db',
  kvmAmdKo: 'usr/lib/debug/lib/modules/5.10.0-32-cloud-amd64/kernel/arch/x86/kvm/kvm-amd.ko',
};

let pending510: Promise<DebianDebuginfo> | undefined;

export function debianDebuginfo510(): Promise<DebianDebuginfo> {
  return (pending510 ??= Promise.resolve().then(() => {
    const dir = join(fixtureCache(), `${DBG_510.package}_${DBG_510.version}`);
    try {
      // No suite given: the tool's own choice from the version (5.10.x-N is bullseye) is what is tested.
      const f = fetchDebianDebuginfo({ release: DBG_510.release, version: DBG_510.version }, () => {}, { dir, sha256: DBG_510.sha256, extra: [DBG_510.kvmAmdKo] });
      return { vmlinux: f.vmlinux, kvmKo: f.kvmKo, kvmAmdKo: join(dir, DBG_510.kvmAmdKo) };
    } catch (e) {
      throw new Error(`the tests need ${DBG_510.package}=${DBG_510.version} from Debian bullseye: ${(e as Error).message}`);
    }
  }));
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
