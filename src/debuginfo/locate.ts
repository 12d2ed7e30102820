// Finding and checking debug files: the vmlinux must be the dump's kernel, and kvm.ko's debug file is
// looked up where Debian's -dbg packages put it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { type ElfFile } from '../elf/elf.js';
import { QvError } from '../io/errors.js';

export const KVM_KO_REL = 'kernel/arch/x86/kvm/kvm.ko';

/** Candidate paths of kvm.ko's debug file for a kernel release, most specific first. */
export function kvmDebuginfoCandidates(release: string, vmlinuxPath?: string): string[] {
  const out: string[] = [];
  if (vmlinuxPath) {
    // A -dbg package unpacked anywhere: <root>/usr/lib/debug/boot/vmlinux-R next to <root>/usr/lib/debug/lib/modules/R/.
    const debugRoot = resolvePath(dirname(vmlinuxPath), '..');
    out.push(join(debugRoot, 'lib/modules', release, KVM_KO_REL));
    out.push(join(dirname(vmlinuxPath), 'kvm.ko'));
  }
  out.push(join('/usr/lib/debug/lib/modules', release, KVM_KO_REL));
  out.push(join('/lib/modules', release, KVM_KO_REL));
  return [...new Set(out)];
}

export function findKvmDebuginfo(release: string, vmlinuxPath?: string): string {
  const c = kvmDebuginfoCandidates(release, vmlinuxPath);
  const hit = c.find((p) => existsSync(p));
  if (hit) return hit;
  throw new QvError(
    'NO_KVM_DEBUGINFO',
    `no debug info for kvm.ko of kernel ${release}: looked in ${c.join(', ')}. ` +
      `On Debian it is in the package linux-image-${release}-dbg (apt-get download it and unpack with dpkg-deb -x), ` +
      `or give the file with --kvm-debuginfo PATH, or use --types btf to read kvm's types from its BTF`,
    { looked: c },
  );
}

/** The kernel release a module was built for, from the vermagic in its .modinfo. */
export function moduleRelease(elf: ElfFile): string | undefined {
  const s = elf.section('.modinfo');
  if (!s) return undefined;
  const text = elf.sectionSource(s).read(0, s.size).toString('latin1');
  const m = /vermagic=([^\s\0]+)/.exec(text); // .modinfo entries are NUL-separated
  return m?.[1];
}

/**
 * Refuses a vmlinux that is not the dump's kernel: the GNU build-id must equal VMCOREINFO's BUILD-ID.
 * (Using another build's DWARF gives wrong offsets silently, so this is a hard error.)
 */
export function checkVmlinuxMatches(vmlinux: ElfFile, dumpBuildId: string | undefined, dumpRelease: string | undefined, vmlinuxBanner?: string): void {
  const bid = vmlinux.buildId();
  if (dumpBuildId && bid && dumpBuildId !== bid) {
    throw new QvError(
      'VMLINUX_MISMATCH',
      `${vmlinux.name} is not the kernel of this dump: its build-id is ${bid}, the dump's VMCOREINFO says BUILD-ID=${dumpBuildId}` +
        `${dumpRelease ? ` (kernel ${dumpRelease}; Debian package linux-image-${dumpRelease}-dbg)` : ''}. Give the matching vmlinux`,
      { vmlinuxBuildId: bid, dumpBuildId },
    );
  }
  if (!dumpBuildId && dumpRelease && vmlinuxBanner && !vmlinuxBanner.includes(` ${dumpRelease} `)) {
    throw new QvError('VMLINUX_MISMATCH', `${vmlinux.name} is not the kernel of this dump: its banner is "${vmlinuxBanner.trim()}", the dump's OSRELEASE is ${dumpRelease}`);
  }
}
