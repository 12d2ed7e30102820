// VMCOREINFO: the KEY=VALUE text the kernel leaves for dump readers. Parsed into a table, then the keys
// this tool relies on are decoded with their own validation (drgn keeps the same keys in a switch table).
import { QvError } from '../io/errors.js';

export interface VmcoreInfo {
  raw: Map<string, string>;
  osrelease?: string;
  buildId?: string;
  pageSize?: number;
  kernelOffset?: bigint;
  physBase?: bigint;
  pgtableL5Enabled?: boolean;
  smeMask?: bigint;
  /** SYMBOL(name)=address entries (init_top_pgt, swapper_pg_dir, kallsyms_* ...). */
  symbols: Map<string, bigint>;
  numbers: Map<string, bigint>;
  offsets: Map<string, number>;
  sizes: Map<string, number>;
  crashTime?: Date;
}

const hexValue = (v: string): bigint => BigInt('0x' + v.trim());
const decValue = (v: string): bigint => BigInt(v.trim());

/** A key every reader needs, malformed: refused by name (guessing it would give wrong addresses). */
function required(key: string, v: string, re: RegExp, parse: (v: string) => bigint): bigint {
  if (!re.test(v.trim())) {
    throw new QvError('BAD_VMCOREINFO', `VMCOREINFO ${key}=${JSON.stringify(v.slice(0, 40))} is not a valid value; the dump's VMCOREINFO note is corrupt (give --vmlinux, or a dump with intact notes)`, { key });
  }
  return parse(v);
}

export function parseVmcoreInfo(text: string): VmcoreInfo {
  const raw = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    raw.set(line.slice(0, eq), line.slice(eq + 1).replace(/\0+$/, ''));
  }
  const info: VmcoreInfo = { raw, symbols: new Map(), numbers: new Map(), offsets: new Map(), sizes: new Map() };
  const bracket = /^(SYMBOL|NUMBER|OFFSET|SIZE|LENGTH)\((.+)\)$/;
  for (const [k, v] of raw) {
    const m = bracket.exec(k);
    if (!m) continue;
    try {
      // SYMBOL values are hex; NUMBER/OFFSET/SIZE/LENGTH are printed with %ld (decimal, may be negative).
      if (m[1] === 'SYMBOL') info.symbols.set(m[2], hexValue(v));
      else if (m[1] === 'NUMBER') info.numbers.set(m[2], decValue(v));
      else if (m[1] === 'OFFSET') info.offsets.set(m[2], Number(decValue(v)));
      else info.sizes.set(m[2], Number(decValue(v)));
    } catch {
      /* a malformed entry is ignored; the keys we need are validated where they are used */
    }
  }
  info.osrelease = raw.get('OSRELEASE');
  info.buildId = raw.get('BUILD-ID')?.toLowerCase();
  if (raw.has('PAGESIZE')) info.pageSize = Number(required('PAGESIZE', raw.get('PAGESIZE')!, /^\d{1,9}$/, decValue));
  if (raw.has('KERNELOFFSET')) info.kernelOffset = BigInt.asUintN(64, required('KERNELOFFSET', raw.get('KERNELOFFSET')!, /^[0-9a-fA-F]{1,16}$/, hexValue));
  // phys_base is printed as a signed long: "-335544320" means 0xffffffffec000000 modulo 2^64.
  const pb = info.numbers.get('phys_base');
  if (pb !== undefined) info.physBase = BigInt.asUintN(64, pb);
  const l5 = info.numbers.get('pgtable_l5_enabled');
  if (l5 !== undefined) info.pgtableL5Enabled = l5 !== 0n;
  const sme = info.numbers.get('sme_mask');
  if (sme !== undefined) info.smeMask = BigInt.asUintN(64, sme);
  const ct = raw.get('CRASHTIME');
  if (ct && /^\d+$/.test(ct)) info.crashTime = new Date(Number(ct) * 1000);
  return info;
}
