// The kernel's own symbol table (kallsyms), decoded from a dump's memory: names are token-compressed
// (kallsyms_names + kallsyms_token_table/_index), addresses are one of several encodings
// (kernel/kallsyms.c, scripts/kallsyms.c). The tables are found through VMCOREINFO's SYMBOL(kallsyms_*)
// (6.0+ upstream) or, when the dump does not export them (Debian's 6.1), by their content.
import { hex } from '../../io/hex.js';
import { QvError } from '../../io/errors.js';
import { type SymbolSource } from '../symbols/symbols.js';

/** Reads kernel-image virtual memory (the caller maps it through phys_base; no page tables needed). */
export type ImageReader = (va: bigint, length: number) => Buffer;

export type AddressEncoding = 'absolute' | 'base-relative' | 'absolute-percpu' | 'place-relative';

export interface KallsymsTables {
  numSyms: number;
  names: bigint;
  markers?: bigint;
  tokenTable: bigint;
  tokenIndex: bigint;
  offsets?: bigint; // kallsyms_offsets (relative encodings)
  relativeBase?: bigint;
  addresses?: bigint; // kallsyms_addresses (absolute encoding)
  encoding: AddressEncoding;
}

export interface KernelSymbol {
  name: string;
  type: string; // 'T', 't', 'D', 'd', 'b', ...
  addr: bigint;
}

const MAX_SYMS = 10_000_000;

/** Decodes every symbol (names and addresses) from the located tables. */
export function decodeKallsyms(read: ImageReader, t: KallsymsTables): KernelSymbol[] {
  if (t.numSyms <= 0 || t.numSyms > MAX_SYMS) throw new QvError('BAD_KALLSYMS', `kallsyms_num_syms = ${t.numSyms} is not plausible`);
  const tokTab = read(t.tokenTable, readTokenTableLength(read, t.tokenTable));
  const tokIdx = read(t.tokenIndex, 512);
  const tokens: string[] = [];
  for (let i = 0; i < 256; i++) {
    const o = tokIdx.readUInt16LE(i * 2);
    const z = tokTab.indexOf(0, o);
    tokens.push(tokTab.toString('latin1', o, z < 0 ? tokTab.length : z));
  }
  const addrs = decodeAddresses(read, t);
  const out: KernelSymbol[] = [];
  // Names are read in chunks: the table is a few MB and entries are at most a few hundred bytes.
  const CHUNK = 1 << 16;
  let chunkStart = t.names;
  let chunk = read(chunkStart, CHUNK);
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > chunk.length) {
      chunkStart += BigInt(pos);
      chunk = read(chunkStart, CHUNK);
      pos = 0;
    }
  };
  for (let i = 0; i < t.numSyms; i++) {
    need(2);
    let len = chunk[pos++];
    // 6.1+: entries longer than 127 tokens use a second length byte (big-endian base-128).
    if (len & 0x80) len = (len & 0x7f) | (chunk[pos++] << 7);
    need(len);
    let s = '';
    for (let j = 0; j < len; j++) s += tokens[chunk[pos + j]];
    pos += len;
    out.push({ type: s[0] ?? '?', name: s.slice(1), addr: addrs(i) });
  }
  return out;
}

function readTokenTableLength(read: ImageReader, tokenTable: bigint): number {
  // 256 NUL-terminated tokens; read generously and let the index bound the lookups.
  let len = 4096;
  for (;;) {
    const b = read(tokenTable, len);
    let n = 0;
    for (let i = 0; i < b.length; i++) if (b[i] === 0 && ++n === 256) return i + 1;
    if (len >= 1 << 16) throw new QvError('BAD_KALLSYMS', `kallsyms_token_table at ${hex(tokenTable)} has fewer than 256 tokens in 64 KiB`);
    len *= 2;
  }
}

function decodeAddresses(read: ImageReader, t: KallsymsTables): (i: number) => bigint {
  if (t.encoding === 'absolute') {
    const a = read(t.addresses!, t.numSyms * 8);
    return (i) => a.readBigUInt64LE(i * 8);
  }
  const o = read(t.offsets!, t.numSyms * 4);
  switch (t.encoding) {
    case 'base-relative':
      return (i) => BigInt.asUintN(64, t.relativeBase! + BigInt(o.readUInt32LE(i * 4)));
    case 'absolute-percpu':
      // Non-negative: an absolute (per-cpu) value; negative: relative_base - 1 - offset.
      return (i) => {
        const v = o.readInt32LE(i * 4);
        return v >= 0 ? BigInt(v) : BigInt.asUintN(64, t.relativeBase! - 1n - BigInt(v));
      };
    case 'place-relative':
      // 7.0+: relative to the offset's own address.
      return (i) => BigInt.asUintN(64, t.offsets! + BigInt(i * 4) + BigInt(o.readInt32LE(i * 4)));
  }
  throw new Error('unreachable');
}

/** kallsyms as a SymbolSource: run-time addresses, so the kernel layer must not add the KASLR offset. */
export class KallsymsSymbols implements SymbolSource {
  readonly relocated = true;
  private map = new Map<string, bigint>();
  constructor(
    syms: KernelSymbol[],
    readonly description: string,
  ) {
    // Prefer global symbols when a local static shares the name (the same rule as the ELF symtab).
    for (const s of syms) {
      const global = s.type >= 'A' && s.type <= 'Z';
      if (!this.map.has(s.name) || global) this.map.set(s.name, s.addr);
    }
  }
  lookup(name: string): bigint | undefined {
    return this.map.get(name);
  }
  get size(): number {
    return this.map.size;
  }
}
