// kvm-amd's / kvm-intel's types, for reading a vCPU's saved guest state (the VMCB). Found the way kvm.ko's are:
// the vendor module's debug file next to kvm.ko (Debian's -dbg package puts both in kernel/arch/x86/kvm/), its
// .BTF with --types btf, or with no debug files its split BTF on the dump's btf_modules list.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BtfTypeSource } from '../debuginfo/btf/btf.js';
import { openDwarf } from '../debuginfo/dwarf/index.js';
import { findKvmDebuginfo } from '../debuginfo/locate.js';
import { TypeSources } from '../debuginfo/types.js';
import { ElfFile } from '../elf/elf.js';
import { FileSource } from '../io/source.js';
import { findModule } from '../kernel/modules.js';
import { moduleBtfFromDump } from '../kernel/btf-from-dump.js';
import { type Vendor, type VendorTypes } from '../guest/vcpu-state.js';
import { type Session } from './session.js';

const MODULES: Record<Exclude<Vendor, 'unknown'>, { module: string; file: string }> = {
  amd: { module: 'kvm_amd', file: 'kvm-amd.ko' },
  intel: { module: 'kvm_intel', file: 'kvm-intel.ko' },
};

export interface VendorTypeOptions {
  vmlinux?: string;
  kvmDebuginfo?: string;
  /** An explicit vendor module debug file. */
  vendorDebuginfo?: string;
  cache?: boolean;
}

/** Which vendor module is loaded, and its types if they can be found (never throws: says why instead). */
export function loadVendorTypes(s: Session, o: VendorTypeOptions): VendorTypes {
  const k = s.kernel;
  let vendor: Vendor = 'unknown';
  try {
    if (findModule(k, MODULES.amd.module)) vendor = 'amd';
    else if (findModule(k, MODULES.intel.module)) vendor = 'intel';
  } catch (e) {
    return { vendor, description: `the module list cannot be read: ${(e as Error).message}` };
  }
  if (vendor === 'unknown') return { vendor, description: 'neither kvm_amd nor kvm_intel is loaded' };
  const m = MODULES[vendor];
  const base = s.kernel.types instanceof TypeSources ? s.kernel.types.sources[0] : s.kernel.types;
  if (o.vmlinux || o.vendorDebuginfo) {
    let path = o.vendorDebuginfo;
    if (!path) {
      try {
        const kvmKo = o.kvmDebuginfo ?? findKvmDebuginfo(s.vmcoreinfo.osrelease ?? '', o.vmlinux);
        path = join(dirname(kvmKo), m.file);
      } catch (e) {
        return { vendor, description: (e as Error).message };
      }
    }
    if (!existsSync(path)) return { vendor, description: `${m.file}'s debug file is not at ${path} (Debian: linux-image-${s.vmcoreinfo.osrelease}-dbg)` };
    try {
      const elf = new ElfFile(new FileSource(path, 64));
      if (s.typesUsed === 'btf') {
        const sec = elf.section('.BTF');
        if (sec && base instanceof BtfTypeSource) return { vendor, types: new BtfTypeSource(elf.sectionSource(sec).read(0, sec.size), `BTF of ${path}`, base), description: `BTF of ${path}` };
      }
      return { vendor, types: openDwarf(elf, { cache: o.cache ?? true, completeFrom: s.kernel.types }), description: `DWARF of ${path}` };
    } catch (e) {
      return { vendor, description: `${path} cannot be read: ${(e as Error).message}` };
    }
  }
  if (!(base instanceof BtfTypeSource)) return { vendor, description: `no ${m.file} debug file and no BTF to find it in` };
  try {
    const t = moduleBtfFromDump(k, base, m.module);
    return { vendor, types: t, description: t.description };
  } catch (e) {
    return { vendor, description: (e as Error).message };
  }
}
