// Loads a dump and its debug info into a Kernel session: the one place front ends (CLI, TUI, KVMI) start.
import { BtfTypeSource } from '../debuginfo/btf/btf.js';
import { moduleBtfFromDump, vmlinuxBtfFromDump } from '../kernel/btf-from-dump.js';
import { findKallsyms } from '../debuginfo/kallsyms/find.js';
import { KallsymsSymbols } from '../debuginfo/kallsyms/kallsyms.js';
import { constant } from '../debuginfo/constants.js';
import { debianVersion, fetchDebianDebuginfo } from '../debuginfo/fetch.js';
import { checkVmlinuxMatches, findKvmDebuginfo, moduleRelease } from '../debuginfo/locate.js';
import { DEFAULT_DEBUG_DIRS, findByBuildId } from '../debuginfo/buildid.js';
import { debuginfodFetch, debuginfodUrls } from '../debuginfo/debuginfod.js';
import { findModule } from '../kernel/modules.js';
import { describeModuleBuildId, moduleBuildId } from '../kernel/module-buildid.js';
import { ElfSymbols, type SymbolSource, TextSymbols } from '../debuginfo/symbols/symbols.js';
import { type TypeSource, TypeSources } from '../debuginfo/types.js';
import { openDump } from '../dump/open.js';
import { type PhysicalMemory } from '../dump/physmem.js';
import { parseVmcoreInfo, type VmcoreInfo } from '../dump/vmcoreinfo.js';
import { ElfFile } from '../elf/elf.js';
import { openDwarf } from '../debuginfo/dwarf/index.js';
import { FileSource, readInput } from '../io/source.js';
import { QvError } from '../io/errors.js';
import { Kernel } from '../kernel/kernel.js';

export type TypesMode = 'dwarf' | 'btf' | 'auto';

export interface SessionOptions {
  dump: string[];
  vmlinux?: string;
  kvmDebuginfo?: string;
  types?: TypesMode;
  /** Persistent DWARF index cache (default on). */
  cache?: boolean;
  /** Symbols and types without a vmlinux: System.map, a /proc/kallsyms capture, raw BTF files. */
  systemMap?: string;
  kallsyms?: string;
  btf?: string;
  btfKvm?: string;
  /** With no vmlinux: download the dump's Debian -dbg package into the cache (apt-get download). */
  fetchDebuginfo?: boolean;
  /** --fetch-debuginfo: the Debian suite, when the version does not tell. */
  debianSuite?: string;
  /** Debug directories searched by build-id (default /usr/lib/debug). */
  debugDirs?: string[];
  /** The environment (DEBUGINFOD_URLS); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Progress messages (loading debug info can take seconds). */
  progress?: (msg: string) => void;
}

export interface Session {
  kernel: Kernel;
  mem: PhysicalMemory;
  vmcoreinfo: VmcoreInfo;
  /** Which type source answered, for `info` and error messages. */
  typesUsed: string;
  /** Where debug files that were not given came from (build-id, debuginfod, Debian package). */
  debugSources?: string[];
  close(): void;
}

export function openSession(o: SessionOptions): Session {
  const progress = o.progress ?? (() => {});
  const mem = openDump(o.dump);
  if (!mem.vmcoreinfo) {
    mem.close();
    throw new QvError('NO_VMCOREINFO', `${o.dump[0]}: the dump has no VMCOREINFO note, so the kernel's layout (KASLR offset, phys_base, page tables) is unknown. Dumps from kdump and from QEMU with -device vmcoreinfo have one`);
  }
  const vi = parseVmcoreInfo(mem.vmcoreinfo);
  // Older kernels export no NUMBER(phys_base); makedumpfile's sub-header still records it.
  if (vi.physBase === undefined && mem.physBase !== undefined) vi.physBase = mem.physBase;
  try {
    return openWithVmcoreinfo(mem, vi, o, progress);
  } catch (e) {
    mem.close();
    throw e;
  }
}

function openWithVmcoreinfo(mem: PhysicalMemory, vi: VmcoreInfo, o: SessionOptions, progress: (m: string) => void): Session {
  const release = vi.osrelease ?? '';
  const sources: string[] = [];
  if (!o.vmlinux && o.fetchDebuginfo) {
    const version = debianVersion(utsVersion(mem, vi));
    if (!version) throw new QvError('NOT_DEBIAN', `--fetch-debuginfo: the dump's kernel (${release}, "${utsVersion(mem, vi)}") is not a Debian kernel; give --vmlinux`);
    const got = fetchDebianDebuginfo({ release, version, suite: o.debianSuite }, progress);
    o = { ...o, vmlinux: got.vmlinux, kvmDebuginfo: o.kvmDebuginfo ?? got.kvmKo };
    sources.push(`vmlinux and kvm.ko from the Debian package linux-image-${release}-dbg=${version}`);
  }
  const mode = o.types ?? 'auto';
  const dumpOnly = o;
  let foundByBuildId = false;
  // No vmlinux named and no other source asked for: look for it by the dump's build-id, as gdb and drgn do.
  if (!o.vmlinux && mode !== 'btf' && !o.systemMap && !o.kallsyms && !o.btf && vi.buildId) {
    const found = debugFileByBuildId(vi.buildId, 'vmlinux', o, progress);
    if (found) {
      o = { ...o, vmlinux: found.path };
      foundByBuildId = true;
      sources.push(`vmlinux ${found.path} (${found.how})`);
    }
  }
  if (!o.vmlinux && mode !== 'dwarf') return dumpOnlySession(mem, vi, o, progress);
  if (!o.vmlinux) {
    throw new QvError(
      'NO_VMLINUX',
      `no vmlinux given: give the debug vmlinux of ${release || 'the dump\'s kernel'} (Debian: /usr/lib/debug/boot/vmlinux-${release} from linux-image-${release}-dbg)`,
    );
  }
  const vmSrc = new FileSource(o.vmlinux, 256);
  const opened: FileSource[] = [vmSrc];
  try {
    return withDebugFiles(mem, vi, { ...o, vmlinux: o.vmlinux }, vmSrc, opened, progress, sources);
  } catch (e) {
    for (const f of opened) f.close();
    // A vmlinux we found ourselves without its kvm.ko is no reason to fail: the dump's own BTF still answers.
    if (foundByBuildId && mode === 'auto' && e instanceof QvError && e.code === 'NO_KVM_DEBUGINFO') {
      progress(`${e.message.split(':')[0]}: using the types in the dump instead`);
      return dumpOnlySession(mem, vi, dumpOnly, progress);
    }
    throw e;
  }
}

/** A debug file by build-id: the debug directories' .build-id links, then the debuginfod servers. */
function debugFileByBuildId(buildId: string, label: string, o: SessionOptions, progress: (m: string) => void): { path: string; how: string } | undefined {
  const local = findByBuildId(buildId, o.debugDirs ?? DEFAULT_DEBUG_DIRS);
  if (local.path) return { path: local.path, how: `by build-id ${buildId}` };
  const urls = debuginfodUrls(o.env ?? process.env);
  if (!urls.length) return undefined;
  const got = debuginfodFetch(buildId, label, urls, progress);
  return got && { path: got.path, how: got.from === 'cache' ? `debuginfod cache, build-id ${buildId}` : `debuginfod ${got.from}, build-id ${buildId}` };
}

/**
 * kvm.ko's debug file: as given, where -dbg packages put it, or by the build-id that the loaded module's
 * own note carries in the dump (read with the vmlinux's types: struct module is a vmlinux type).
 */
function locateKvmKo(o: SessionOptions & { vmlinux: string }, release: string, probe: () => Kernel, progress: (m: string) => void): { path: string; how: string } {
  if (o.kvmDebuginfo) return { path: o.kvmDebuginfo, how: 'given' };
  try {
    return { path: findKvmDebuginfo(release, o.vmlinux), how: 'next to the vmlinux / under /usr/lib/debug/lib/modules' };
  } catch (e) {
    const k = probe();
    const mod = findModule(k, 'kvm');
    const bid = mod && moduleBuildId(k, mod);
    const found = bid && debugFileByBuildId(bid.buildId, 'kvm.ko', o, progress);
    if (found) return found;
    if (bid && e instanceof QvError) throw new QvError(e.code, `${e.message}; nor by the loaded module's ${describeModuleBuildId(bid)} (debug directories, DEBUGINFOD_URLS)`, e.detail);
    throw e;
  }
}

function withDebugFiles(mem: PhysicalMemory, vi: VmcoreInfo, o: SessionOptions & { vmlinux: string }, vmSrc: FileSource, opened: FileSource[], progress: (m: string) => void, sources: string[]): Session {
  const release = vi.osrelease ?? '';
  const vmlinux = new ElfFile(vmSrc);
  checkVmlinuxMatches(vmlinux, vi.buildId, vi.osrelease);
  const mode = o.types ?? 'auto';
  const cache = o.cache ?? true;
  let vmlinuxTypes: TypeSource | undefined;
  const baseTypes = (): TypeSource => {
    if (!vmlinuxTypes) {
      if (mode === 'btf') {
        progress('loading BTF types');
        vmlinuxTypes = new BtfTypeSource(sectionBytes(vmlinux, '.BTF'), `BTF of ${o.vmlinux}`);
      } else {
        progress(`indexing DWARF of ${o.vmlinux}`);
        vmlinuxTypes = openDwarf(vmlinux, { cache });
      }
    }
    return vmlinuxTypes;
  };
  const symbols = new ElfSymbols(vmlinux);
  const kvmFound = locateKvmKo(o, release, () => new Kernel({ mem, types: baseTypes(), symbols, vmcoreinfo: vi }), progress);
  const kvmPath = kvmFound.path;
  if (kvmFound.how !== 'given') sources.push(`kvm.ko ${kvmPath} (${kvmFound.how})`);
  const kvmSrc = new FileSource(kvmPath, 64);
  opened.push(kvmSrc);
  const kvmKo = new ElfFile(kvmSrc);
  const kvmRelease = moduleRelease(kvmKo);
  if (kvmRelease && release && kvmRelease !== release) {
    throw new QvError('KVM_DEBUGINFO_MISMATCH', `${kvmPath} was built for kernel ${kvmRelease}, the dump runs ${release}: give the kvm.ko of ${release}`);
  }

  let types: TypeSource;
  let typesUsed: string;
  if (mode === 'btf') {
    const base = baseTypes() as BtfTypeSource;
    const kvm = new BtfTypeSource(sectionBytes(kvmKo, '.BTF'), `BTF of ${kvmPath}`, base);
    types = new TypeSources([base, kvm]);
    typesUsed = 'btf';
  } else {
    const base = baseTypes();
    // kvm.ko declares kernel structs it only points to (struct mm_struct;): their bodies are in vmlinux.
    types = new TypeSources([base, openDwarf(kvmKo, { cache, completeFrom: base })]);
    typesUsed = 'dwarf';
  }
  const kernel = new Kernel({ mem, types, symbols, vmcoreinfo: vi });
  return {
    kernel,
    mem,
    vmcoreinfo: vi,
    typesUsed,
    debugSources: sources,
    close() {
      mem.close();
      for (const f of opened) f.close();
    },
  };
}

/**
 * No debug files at all: kallsyms and BTF from the dump's own memory (the kernel image is mapped at
 * phys_base, so they can be read before any page table is walked).
 */
function dumpOnlySession(mem: PhysicalMemory, vi: VmcoreInfo, o: SessionOptions, progress: (m: string) => void): Session {
  if (vi.physBase === undefined) throw new QvError('NO_PHYS_BASE', 'the dump has no NUMBER(phys_base) in its VMCOREINFO: cannot read the kernel image; give the vmlinux');
  const physBase = vi.physBase;
  const read = (va: bigint, n: number) => mem.read(BigInt.asUintN(64, va - constant('__START_KERNEL_map') + physBase), n);
  progress('reading symbols and BTF from the dump');
  let symbols: SymbolSource;
  if (o.kallsyms) symbols = new TextSymbols(readInput(o.kallsyms).toString('latin1'), `kallsyms capture ${o.kallsyms}`, true);
  else if (o.systemMap) symbols = new TextSymbols(readInput(o.systemMap).toString('latin1'), `System.map ${o.systemMap}`, false);
  else {
    const found = findKallsyms(read, vi);
    symbols = new KallsymsSymbols(found.symbols, `kallsyms in the dump (${found.how})`);
  }
  // The image reader needs run-time addresses; a System.map's are link-time.
  const runtime: SymbolSource = symbols.relocated
    ? symbols
    : { description: symbols.description, relocated: true, lookup: (n) => { const v = symbols.lookup(n); return v === undefined ? undefined : BigInt.asUintN(64, v + (vi.kernelOffset ?? 0n)); } };
  const base = o.btf ? new BtfTypeSource(readInput(o.btf), `BTF file ${o.btf}`) : vmlinuxBtfFromDump(read, runtime);
  let kvm: BtfTypeSource | undefined;
  let kvmTypes: string;
  if (o.btfKvm) {
    kvm = new BtfTypeSource(readInput(o.btfKvm), `BTF file ${o.btfKvm}`, base);
    kvmTypes = kvm.description;
  } else {
    // A first kernel with vmlinux types only walks btf_modules to find kvm's split BTF.
    const probe = new Kernel({ mem, types: base, symbols, vmcoreinfo: vi });
    const found = kvmTypesFromDump(probe, base);
    kvm = found.btf;
    kvmTypes = found.description;
  }
  const kernel = new Kernel({ mem, types: kvm ? new TypeSources([base, kvm]) : base, symbols, vmcoreinfo: vi });
  return { kernel, mem, vmcoreinfo: vi, typesUsed: `btf-from-dump: ${base.description} + ${kvmTypes}; symbols: ${symbols.description}`, close: () => mem.close() };
}

/** The KVM structs whose layouts a translation reads: a type source without them cannot stand in for kvm's. */
const KVM_STRUCTS = ['kvm', 'kvm_memslots', 'kvm_memory_slot', 'kvm_vcpu', 'kvm_run'];

/**
 * kvm's types with no debug files: its split BTF from btf_modules, or, on kernels built without
 * CONFIG_DEBUG_INFO_BTF_MODULES (Debian 11's 5.10), the vmlinux BTF itself, which describes the KVM
 * structs that vmlinux code also uses (checked: every struct the translation reads must be there).
 */
function kvmTypesFromDump(probe: Kernel, base: BtfTypeSource): { btf?: BtfTypeSource; description: string } {
  try {
    const btf = moduleBtfFromDump(probe, base, 'kvm');
    return { btf, description: btf.description };
  } catch (e) {
    if (!(e instanceof QvError) || e.code !== 'NO_MODULE_BTF') throw e;
    const missing = KVM_STRUCTS.filter((n) => !base.findType(n, 'struct'));
    if (missing.length) {
      throw new QvError('NO_MODULE_BTF', `${e.message}; the vmlinux BTF does not describe struct ${missing.join(', struct ')} either. Give kvm.ko's debug info with --kvm-debuginfo (Debian: linux-image-${probe.vmcoreinfo.osrelease ?? 'RELEASE'}-dbg), or --btf-kvm`);
    }
    return { description: `kvm's structs from the vmlinux BTF (no module BTF in this kernel: ${e.message.split(':')[0]})` };
  }
}

/** init_uts_ns.name.version, read through the kernel image mapping (needs only VMCOREINFO). */
function utsVersion(mem: PhysicalMemory, vi: VmcoreInfo): string {
  const uts = vi.symbols.get('init_uts_ns');
  if (uts === undefined || vi.physBase === undefined) return '';
  const nameOff = BigInt(vi.offsets.get('uts_namespace.name') ?? 0);
  // struct new_utsname: sysname, nodename, release, version, machine, domainname: char[65] each.
  const pa = BigInt.asUintN(64, uts + nameOff + 3n * 65n - constant('__START_KERNEL_map') + vi.physBase);
  try {
    const b = mem.read(pa, 65);
    return b.toString('latin1', 0, Math.max(0, b.indexOf(0)));
  } catch {
    return '';
  }
}

function sectionBytes(elf: ElfFile, name: string): Buffer {
  const s = elf.section(name);
  if (!s) throw new QvError('NO_BTF', `${elf.name} has no ${name} section; use --types dwarf`);
  return elf.sectionSource(s).read(0, s.size);
}
