// The guest kernel: the same Kernel class as the host's, over GuestMemory, with the guest's VMCOREINFO (found in
// guest RAM) and the guest's types: its debug vmlinux (given, the host's when the build-ids are equal, or found by
// build-id where Debian's -dbg packages put it), else the BTF and kallsyms the guest kernel carries in its RAM.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { constant } from '../debuginfo/constants.js';
import { openDwarf } from '../debuginfo/dwarf/index.js';
import { findKallsyms } from '../debuginfo/kallsyms/find.js';
import { KallsymsSymbols } from '../debuginfo/kallsyms/kallsyms.js';
import { DEFAULT_DEBUG_DIRS, findByBuildId } from '../debuginfo/buildid.js';
import { debuginfodFetch, debuginfodUrls } from '../debuginfo/debuginfod.js';
import { checkVmlinuxMatches } from '../debuginfo/locate.js';
import { isValidName } from '../debuginfo/names.js';
import { ElfSymbols } from '../debuginfo/symbols/symbols.js';
import { ElfFile } from '../elf/elf.js';
import { type GuestVmcoreinfo } from '../guest/vmcoreinfo-scan.js';
import { QvError } from '../io/errors.js';
import { FileSource } from '../io/source.js';
import { vmlinuxBtfFromDump } from '../kernel/btf-from-dump.js';
import { Kernel } from '../kernel/kernel.js';
import { type GuestMemory } from '../kvm/guest-memory.js';

export interface GuestKernelOptions {
  /** --guest-vmlinux. */
  guestVmlinux?: string;
  /** The host's vmlinux: used for the guest when its build-id is the guest's. */
  hostVmlinux?: string;
  cache?: boolean;
  /** Debug directories searched by build-id (--debug-dir; default /usr/lib/debug). */
  debugDirs?: string[];
}

export interface GuestKernel {
  kernel: Kernel;
  /** "DWARF of FILE" / "BTF and kallsyms in guest RAM". */
  typesUsed: string;
  /** The debug vmlinux used, if any. */
  vmlinux?: string;
  close(): void;
}

/** Where a debug vmlinux for a build-id / release may be on this machine: the debug directories' .build-id links, Debian's -dbg layout. */
export function guestVmlinuxCandidates(buildId: string | undefined, release: string | undefined, debugDirs: string[] = DEFAULT_DEBUG_DIRS): string[] {
  const out: string[] = [];
  if (buildId && isValidName('buildId', buildId)) out.push(...findByBuildId(buildId, debugDirs).looked);
  if (release) out.push(join('/usr/lib/debug/boot', `vmlinux-${release}`), join('/usr/lib/debug/lib/modules', release, 'vmlinux'), join('/boot', `vmlinux-${release}`));
  return out;
}

function buildIdOf(path: string): string | undefined {
  const src = new FileSource(path, 16);
  try {
    return new ElfFile(src).buildId();
  } catch {
    return undefined;
  } finally {
    src.close();
  }
}

/** The debug vmlinux that matches the guest, and how it was found (undefined: none at hand). */
export function findGuestVmlinux(gvi: GuestVmcoreinfo, o: GuestKernelOptions): { path: string; how: string } | undefined {
  if (o.guestVmlinux) return { path: o.guestVmlinux, how: 'given with --guest-vmlinux' };
  const bid = gvi.info.buildId;
  if (o.hostVmlinux && bid && buildIdOf(o.hostVmlinux) === bid) return { path: o.hostVmlinux, how: "the host's vmlinux (same build-id)" };
  for (const c of guestVmlinuxCandidates(bid, gvi.info.osrelease, o.debugDirs)) {
    if (existsSync(c) && (!bid || buildIdOf(c) === bid)) return { path: c, how: `found by ${bid ? 'build-id' : 'release'}` };
  }
  // The debuginfod servers of DEBUGINFOD_URLS, as for the host's vmlinux.
  const urls = debuginfodUrls(process.env);
  if (bid && urls.length && isValidName('buildId', bid)) {
    const got = debuginfodFetch(bid, "the guest's vmlinux", urls);
    if (got) return { path: got.path, how: `debuginfod ${got.from}, build-id ${bid}` };
  }
  return undefined;
}

export function openGuestKernel(gm: GuestMemory, gvi: GuestVmcoreinfo, o: GuestKernelOptions): GuestKernel {
  const vi = gvi.info;
  if (vi.physBase === undefined) throw new QvError('NO_PHYS_BASE', `the guest's VMCOREINFO (gpa ${gvi.gpa.toString(16)}) has no NUMBER(phys_base): the guest kernel image cannot be placed`);
  const found = findGuestVmlinux(gvi, o);
  if (found) {
    const src = new FileSource(found.path, 256);
    try {
      const elf = new ElfFile(src);
      checkVmlinuxMatches(elf, vi.buildId, vi.osrelease);
      const types = openDwarf(elf, { cache: o.cache ?? true });
      const kernel = new Kernel({ mem: gm, types, symbols: new ElfSymbols(elf), vmcoreinfo: vi });
      return { kernel, typesUsed: `DWARF of ${found.path} (${found.how})`, vmlinux: found.path, close: () => src.close() };
    } catch (e) {
      src.close();
      throw e;
    }
  }
  const physBase = vi.physBase;
  const read = (va: bigint, n: number) => gm.read(BigInt.asUintN(64, va - constant('__START_KERNEL_map') + physBase), n);
  const ks = findKallsyms(read, vi);
  const symbols = new KallsymsSymbols(ks.symbols, `kallsyms in guest RAM (${ks.how})`);
  const types = vmlinuxBtfFromDump(read, symbols);
  const kernel = new Kernel({ mem: gm, types, symbols, vmcoreinfo: vi });
  return { kernel, typesUsed: `${types.description.replace('in the dump', 'in guest RAM')}; symbols: ${symbols.description}`, close: () => {} };
}
