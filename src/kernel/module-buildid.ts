// A loaded module's GNU build-id, read from its own memory in the dump: .note.gnu.build-id is an
// allocated section, so the loader copied it into the module's read-only core. It names the module's
// debug file the way gdb and drgn look it up (/usr/lib/debug/.build-id/xx/rest.debug, debuginfod).
import { hex } from '../io/hex.js';
import { type Kernel } from './kernel.js';
import { type LoadedModule } from './modules.js';
import { type KObject } from './object.js';

/** Where struct module keeps its memory, by era: the first layout whose members the types have wins. */
const LAYOUTS: { era: string; has: string; regions: (m: KObject) => { base: bigint; size: bigint }[] }[] = [
  // 6.4+: struct module_memory mem[MOD_MEM_NUM_TYPES] (text, data, rodata, ro_after_init, init_*).
  { era: '6.4+ mem[]', has: 'mem', regions: (m) => Array.from({ length: m.member('mem').length ?? 0 }, (_, i) => m.member('mem').at(i)).map((r) => ({ base: r.member('base').value(), size: r.member('size').value() })) },
  // 4.5-6.3: struct module_layout core_layout (text, then rodata, then data).
  { era: '4.5-6.3 core_layout', has: 'core_layout', regions: (m) => [{ base: m.member('core_layout.base').value(), size: m.member('core_layout.size').value() }] },
  // Before 4.5: module_core + core_size.
  { era: 'pre-4.5 module_core', has: 'module_core', regions: (m) => [{ base: m.member('module_core').value(), size: m.member('core_size').value() }] },
];

/** A module's core is a few MB; a size past this is a corrupt struct module, not a module. */
const MAX_REGION = 64n << 20n;
const NT_GNU_BUILD_ID = 3;

export interface ModuleBuildId {
  buildId: string;
  /** Kernel address of the note. */
  addr: bigint;
}

/** Finds the module's NT_GNU_BUILD_ID note ("GNU\0", 20-byte SHA-1 or any length up to 64) in its memory. */
export function moduleBuildId(k: Kernel, mod: LoadedModule): ModuleBuildId | undefined {
  const layout = LAYOUTS.find((l) => mod.module.has(l.has));
  if (!layout) return undefined;
  for (const r of layout.regions(mod.module)) {
    if (r.base === 0n || r.size <= 0n || r.size > MAX_REGION) continue;
    const hit = scanRegion(k, r.base, Number(r.size));
    if (hit) return hit;
  }
  return undefined;
}

function scanRegion(k: Kernel, base: bigint, size: number): ModuleBuildId | undefined {
  const PAGE = 4096;
  let prev: Buffer | undefined;
  for (let off = 0; off < size; off += PAGE) {
    let page: Buffer;
    try {
      page = k.read(base + BigInt(off), Math.min(PAGE, size - off));
    } catch {
      prev = undefined; // a page the dump lacks: no note can be read across it
      continue;
    }
    // Notes are 4-aligned; join the tail of the previous page so a note across the boundary is found.
    const buf = prev ? Buffer.concat([prev.subarray(prev.length - 96), page]) : page;
    const shift = prev ? 96 : 0;
    for (let i = 0; i + 16 <= buf.length; i += 4) {
      if (buf.readUInt32LE(i) !== 4 || buf.readUInt32LE(i + 8) !== NT_GNU_BUILD_ID || buf.toString('latin1', i + 12, i + 16) !== 'GNU\0') continue;
      const len = buf.readUInt32LE(i + 4);
      if (len < 8 || len > 64 || i + 16 + len > buf.length) continue;
      return { buildId: buf.toString('hex', i + 16, i + 16 + len), addr: base + BigInt(off - shift + i) };
    }
    prev = page.length >= 96 ? page : undefined;
  }
  return undefined;
}

export function describeModuleBuildId(b: ModuleBuildId): string {
  return `build-id ${b.buildId} (note at ${hex(b.addr)})`;
}
