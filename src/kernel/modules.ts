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
  const want = names.map((n) => ({ name: n, bytes: Buffer.from(n, 'latin1') }));
  const out = new Map<string, bigint>();
  const ks = mod.member('kallsyms');
  if (ks.value() === 0n) return out;
  const kallsyms = ks.deref();
  const n = Math.min(Number(kallsyms.member('num_symtab').value()), MAX_MODULE_SYMS);
  const symtab = kallsyms.member('symtab').value();
  const strtab = kallsyms.member('strtab').value();
  const syms = k.read(symtab, n * SYM_SIZE);
  const names_ = new StrtabReader(k, strtab);
  for (let i = 0; i < n && out.size < want.length; i++) {
    const nameOff = syms.readUInt32LE(i * SYM_SIZE);
    if (nameOff === 0) continue;
    // Compared as bytes in place: a module has thousands of symbols and we want two of them.
    for (const w of want) {
      if (!out.has(w.name) && names_.equals(nameOff, w.bytes)) out.set(w.name, syms.readBigUInt64LE(i * SYM_SIZE + 8));
    }
  }
  return out;
}

/** A module's string table, read a page at a time and each page once (its pages need not be contiguous). */
class StrtabReader {
  private pages = new Map<bigint, Buffer>();
  constructor(
    private readonly k: Kernel,
    private readonly base: bigint,
  ) {}

  private byte(addr: bigint): number {
    const page = addr & ~0xfffn;
    let b = this.pages.get(page);
    if (!b) {
      b = this.k.read(page, 0x1000);
      if (this.pages.size >= 4096) this.pages.clear(); // 16 MiB: far beyond any module's strtab
      this.pages.set(page, b);
    }
    return b[Number(addr - page)];
  }

  /** Whether the NUL-terminated name at `off` is exactly `name`. */
  equals(off: number, name: Buffer): boolean {
    const at = this.base + BigInt(off);
    const page = at & ~0xfffn;
    const b = this.pages.get(page);
    const o = Number(at - page);
    if (b && o + name.length < b.length) return b[o + name.length] === 0 && b.compare(name, 0, name.length, o, o + name.length) === 0;
    for (let i = 0; i < name.length; i++) if (this.byte(at + BigInt(i)) !== name[i]) return false;
    return this.byte(at + BigInt(name.length)) === 0;
  }
}

export function findModule(k: Kernel, name: string): LoadedModule | undefined {
  for (const m of modules(k)) if (m.name === name) return m;
  return undefined;
}

export function moduleLabel(m: LoadedModule): string {
  return `module ${m.name} (struct module ${hex(m.module.addr)})`;
}

export { memberOffset };
