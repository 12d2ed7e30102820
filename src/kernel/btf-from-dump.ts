// Types with nothing but the dump: the vmlinux BTF the kernel carries between __start_BTF and __stop_BTF,
// and kvm's split BTF from the kernel's btf_modules list (struct btf_module -> struct btf .data).
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from './kernel.js';
import { listNodes, memberOffset } from './walkers.js';
import { type ImageReader } from '../debuginfo/kallsyms/kallsyms.js';
import { type SymbolSource } from '../debuginfo/symbols/symbols.js';
import { BtfTypeSource } from '../debuginfo/btf/btf.js';

const MAX_BTF = 64 << 20;

export function vmlinuxBtfFromDump(read: ImageReader, syms: SymbolSource): BtfTypeSource {
  const start = syms.lookup('__start_BTF');
  const stop = syms.lookup('__stop_BTF');
  if (start === undefined || stop === undefined || stop <= start || stop - start > BigInt(MAX_BTF)) {
    throw new QvError('NO_BTF', `the kernel has no usable BTF (__start_BTF/__stop_BTF ${start !== undefined ? hex(start) : '?'}-${stop !== undefined ? hex(stop) : '?'}; CONFIG_DEBUG_INFO_BTF off?): give the vmlinux, or --types dwarf with its debug info`);
  }
  let data: Buffer;
  try {
    data = read(start, Number(stop - start));
  } catch (e) {
    throw new QvError('NO_BTF', `the kernel's BTF (${hex(start)}-${hex(stop)}) is not readable in this dump: ${(e as Error).message}. Give the vmlinux (or /sys/kernel/btf/vmlinux saved from the host)`);
  }
  return new BtfTypeSource(data, `BTF in the dump (${hex(start)}-${hex(stop)})`);
}

/** A module's split BTF from the btf_modules list, on top of the vmlinux BTF. */
export function moduleBtfFromDump(k: Kernel, base: BtfTypeSource, module: string): BtfTypeSource {
  const head = k.symbolOrUndefined('btf_modules');
  if (head === undefined) throw new QvError('NO_MODULE_BTF', `btf_modules is not among the kernel's symbols: ${module}'s BTF cannot be found (CONFIG_DEBUG_INFO_BTF_MODULES off?); give ${module}.ko's debug info with --kvm-debuginfo`);
  const off = memberOffset(k, 'btf_module', 'list');
  for (const node of listNodes(k, head, 'btf_modules', 10_000)) {
    const bm = k.obj('btf_module', node - off);
    const mod = bm.member('module');
    if (mod.value() === 0n || mod.deref().member('name').string(64) !== module) continue;
    const btf = bm.member('btf').deref();
    const size = Number(btf.member('data_size').value());
    if (size <= 0 || size > MAX_BTF) throw new QvError('NO_MODULE_BTF', `${module}'s struct btf at ${hex(btf.addr)} has data_size ${size}`);
    return new BtfTypeSource(k.read(btf.member('data').value(), size), `BTF of module ${module} in the dump (struct btf ${hex(btf.addr)})`, base);
  }
  throw new QvError('NO_MODULE_BTF', `module ${module} has no BTF on the kernel's btf_modules list (not loaded, or built without BTF); give its debug info with --kvm-debuginfo`);
}
