// Loaded modules and their symbols, from the kernel's own module list and per-module kallsyms
// (Elf64_Sym entries whose st_value the module loader already relocated to run-time addresses).
import { hex } from '../io/hex.js';
import { type Kernel } from './kernel.js';
import { type KObject } from './object.js';
import { listNodes, memberOffset } from './walkers.js';

export interface LoadedModule {
  name: string;
  module: KObject;
}

export function* modules(k: Kernel): Generator<LoadedModule> {
  const off = memberOffset(k, 'module', 'list');
  for (const node of listNodes(k, k.symbol('modules'), 'modules', 10_000)) {
    const m = k.obj('module', node - off);
    yield { name: m.member('name').string(64), module: m };
  }
}

const SYM_SIZE = 24; // sizeof(Elf64_Sym)
const MAX_MODULE_SYMS = 1_000_000;

/** Run-time addresses of the named symbols of a module (only those asked for). */
export function moduleSymbols(k: Kernel, mod: KObject, names: string[]): Map<string, bigint> {
  const want = new Set(names);
  const out = new Map<string, bigint>();
  const ks = mod.member('kallsyms');
  if (ks.value() === 0n) return out;
  const kallsyms = ks.deref();
  const n = Math.min(Number(kallsyms.member('num_symtab').value()), MAX_MODULE_SYMS);
  const symtab = kallsyms.member('symtab').value();
  const strtab = kallsyms.member('strtab').value();
  const syms = k.read(symtab, n * SYM_SIZE);
  for (let i = 0; i < n && out.size < want.size; i++) {
    const nameOff = syms.readUInt32LE(i * SYM_SIZE);
    if (nameOff === 0) continue;
    const name = readName(k, strtab + BigInt(nameOff));
    if (want.has(name) && !out.has(name)) out.set(name, syms.readBigUInt64LE(i * SYM_SIZE + 8));
  }
  return out;
}

function readName(k: Kernel, addr: bigint): string {
  const b = k.read(addr, Math.min(128, Number(0x1000n - (addr & 0xfffn))));
  const z = b.indexOf(0);
  return b.toString('latin1', 0, z < 0 ? b.length : z);
}

export function findModule(k: Kernel, name: string): LoadedModule | undefined {
  for (const m of modules(k)) if (m.name === name) return m;
  return undefined;
}

export function moduleLabel(m: LoadedModule): string {
  return `module ${m.name} (struct module ${hex(m.module.addr)})`;
}

export { memberOffset };
