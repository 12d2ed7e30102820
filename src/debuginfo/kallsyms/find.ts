// Locating the kallsyms tables in a dump's memory. First from VMCOREINFO (SYMBOL(kallsyms_*), exported by
// 6.0+ upstream); otherwise by content in the kernel image, the way scripts/kallsyms.c lays them out
// (each table 8-aligned): kallsyms_offsets, kallsyms_relative_base (= the image start), kallsyms_num_syms,
// kallsyms_names, kallsyms_markers, [kallsyms_seqs_of_names], kallsyms_token_table, kallsyms_token_index.
// Every step is checked against the next table, and the result against VMCOREINFO's _stext.
import { type VmcoreInfo } from '../../dump/vmcoreinfo.js';
import { constant } from '../constants.js';
import { hex } from '../../io/hex.js';
import { QvError } from '../../io/errors.js';
import { type AddressEncoding, decodeKallsyms, type ImageReader, type KallsymsTables, type KernelSymbol } from './kallsyms.js';

const START_KERNEL_MAP = constant('__START_KERNEL_map');
const SCAN_BYTES = 128n << 20n; // kernel images are tens of MB; rodata follows .text
const DIGITS = Buffer.from('0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00', 'latin1');
const align8 = (v: bigint) => (v + 7n) & ~7n;

export interface FoundKallsyms {
  tables: KallsymsTables;
  symbols: KernelSymbol[];
  how: string;
}

/** Tries each address encoding and keeps the one under which `_stext` decodes to VMCOREINFO's value. */
function decodeChecked(read: ImageReader, base: Omit<KallsymsTables, 'encoding'>, encodings: AddressEncoding[], stext: bigint | undefined): { tables: KallsymsTables; symbols: KernelSymbol[] } {
  let last: unknown;
  for (const encoding of encodings) {
    const tables = { ...base, encoding };
    try {
      const symbols = decodeKallsyms(read, tables);
      const s = symbols.find((x) => x.name === '_stext');
      if (stext === undefined || (s && s.addr === stext)) return { tables, symbols };
      last = new Error(`with ${encoding} addresses _stext decodes to ${s ? hex(s.addr) : 'nothing'}, VMCOREINFO says ${hex(stext)}`);
    } catch (e) {
      last = e;
    }
  }
  throw new QvError('BAD_KALLSYMS', `kallsyms tables found but their addresses do not decode: ${(last as Error)?.message}`);
}

function fromVmcoreinfo(read: ImageReader, vi: VmcoreInfo): FoundKallsyms | undefined {
  const s = (n: string) => vi.symbols.get(n);
  const names = s('kallsyms_names');
  const num = s('kallsyms_num_syms');
  const tokenTable = s('kallsyms_token_table');
  const tokenIndex = s('kallsyms_token_index');
  if (names === undefined || num === undefined || tokenTable === undefined || tokenIndex === undefined) return undefined;
  const numSyms = read(num, 4).readUInt32LE(0);
  const offsets = s('kallsyms_offsets');
  const rb = s('kallsyms_relative_base');
  const base = {
    numSyms,
    names,
    tokenTable,
    tokenIndex,
    offsets,
    relativeBase: rb !== undefined ? read(rb, 8).readBigUInt64LE(0) : undefined,
    addresses: s('kallsyms_addresses'),
  };
  const encodings: AddressEncoding[] = base.addresses !== undefined ? ['absolute'] : rb !== undefined ? ['absolute-percpu', 'base-relative'] : ['place-relative'];
  return { ...decodeChecked(read, base, encodings, s('_stext')), how: 'VMCOREINFO SYMBOL(kallsyms_*)' };
}

/** Reads a page, or undefined where the dump has none (excluded .text, holes). */
function tryRead(read: ImageReader, va: bigint, len: number): Buffer | undefined {
  try {
    return read(va, len);
  } catch {
    return undefined;
  }
}

/** Offset of the end of `numSyms` name entries starting at `names` (each: length byte(s) + tokens). */
function namesEnd(read: ImageReader, names: bigint, numSyms: number): { end: bigint; offset256: number } | undefined {
  const CHUNK = 1 << 16;
  let base = names;
  let chunk = tryRead(read, base, CHUNK);
  let pos = 0;
  let offset256 = -1;
  for (let i = 0; i < numSyms; i++) {
    if (!chunk) return undefined;
    if (pos + 300 > chunk.length) {
      base += BigInt(pos);
      pos = 0;
      chunk = tryRead(read, base, CHUNK);
      if (!chunk) return undefined;
    }
    if (i === 256) offset256 = Number(base - names) + pos;
    let len = chunk[pos++];
    if (len === 0) return undefined; // no symbol has an empty name
    if (len & 0x80) len = (len & 0x7f) | (chunk[pos++] << 7);
    pos += len;
  }
  return { end: base + BigInt(pos), offset256 };
}

function findTokenTable(read: ImageReader, from: bigint): { tokenTable: bigint; tokenIndex: bigint } | undefined {
  const window = 2 << 20; // markers end .. token table: at most seqs_of_names (3 bytes per symbol)
  for (let off = 0n; off < BigInt(window); off += 0x10000n) {
    const b = tryRead(read, from + off, 0x10000 + 64);
    if (!b) continue;
    for (let p = b.indexOf(DIGITS); p >= 0 && p < 0x10000; p = b.indexOf(DIGITS, p + 1)) {
      const digitsAt = from + off + BigInt(p);
      // Token 0x30 is "0": 48 tokens precede it; try each 8-aligned start within their reach.
      for (let start = (digitsAt - 48n * 32n) & ~7n; start <= digitsAt; start += 8n) {
        const t = tryRead(read, start, Number(digitsAt - start) + 4096);
        if (!t) continue;
        let n = 0;
        let end = -1;
        for (let i = 0; i < t.length; i++) if (t[i] === 0 && ++n === 256) {
          end = i + 1;
          break;
        }
        if (end < 0) continue;
        const idxAt = align8(start + BigInt(end));
        const idx = tryRead(read, idxAt, 512);
        if (idx && idx.readUInt16LE(0) === 0 && BigInt(idx.readUInt16LE(0x30 * 2)) === digitsAt - start) return { tokenTable: start, tokenIndex: idxAt };
      }
    }
  }
  return undefined;
}

function byContent(read: ImageReader, vi: VmcoreInfo, kaslr: bigint): FoundKallsyms | undefined {
  const stext = vi.symbols.get('_stext');
  const start = stext ?? START_KERNEL_MAP + 0x1000000n + kaslr;
  const candidates = [...new Set([stext, START_KERNEL_MAP + 0x1000000n + kaslr].filter((v): v is bigint => v !== undefined))];
  for (let va = start; va < start + SCAN_BYTES; va += 0x10000n) {
    const b = tryRead(read, va, 0x10000);
    if (!b) continue;
    for (const rb of candidates) {
      const pat = Buffer.alloc(8);
      pat.writeBigUInt64LE(rb);
      for (let p = b.indexOf(pat); p >= 0; p = b.indexOf(pat, p + 1)) {
        if (p % 8 || p + 16 > b.length) continue;
        const numSyms = b.readUInt32LE(p + 8);
        if (numSyms < 1000 || numSyms > 10_000_000) continue;
        const rbAt = va + BigInt(p);
        const names = rbAt + 16n;
        const ne = namesEnd(read, names, numSyms);
        if (!ne) continue;
        const markers = align8(ne.end);
        const m = tryRead(read, markers, 8);
        if (!m || m.readUInt32LE(0) !== 0 || m.readUInt32LE(4) !== ne.offset256) continue;
        const tok = findTokenTable(read, markers + BigInt(Math.ceil(numSyms / 256) * 4));
        if (!tok) continue;
        const offsetsBytes = BigInt(numSyms * 4);
        const offsets = rbAt - offsetsBytes - (offsetsBytes % 8n ? 4n : 0n);
        const base = { numSyms, names, markers, offsets, relativeBase: rb, ...tok };
        return { ...decodeChecked(read, base, ['absolute-percpu', 'base-relative'], stext), how: `found by content at ${hex(rbAt)} (kallsyms_relative_base)` };
      }
    }
  }
  return undefined;
}

export function findKallsyms(read: ImageReader, vi: VmcoreInfo): FoundKallsyms {
  const kaslr = vi.kernelOffset ?? 0n;
  const found = fromVmcoreinfo(read, vi) ?? byContent(read, vi, kaslr);
  if (!found) {
    throw new QvError(
      'NO_KALLSYMS',
      "the kernel's symbol table (kallsyms) is not in this dump: VMCOREINFO exports no SYMBOL(kallsyms_*) and the tables were not found in the kernel image " +
        '(excluded from the dump, or corrupt). Give the vmlinux (its symbol table), or --system-map with the System.map of this kernel',
    );
  }
  return found;
}
