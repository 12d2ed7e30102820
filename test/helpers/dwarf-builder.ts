// A tiny DWARF assembler for tests: builds .debug_info/.debug_abbrev/.debug_str/.debug_str_offsets/
// .debug_line_str from a tree of DIEs, for the forms and unit kinds no compiler here emits
// (DW_FORM_indirect, data16, strx3, ref_udata, ref_sig8, type and skeleton units, 64-bit DWARF 4, ...).
// Values are encoded exactly as the DWARF 5 standard says, independently of the reader under test.

export type Val =
  | number
  | bigint
  | string
  | Buffer
  | boolean
  /** A reference to the DIE with this label (unit-relative for ref1/2/4/8/udata, section offset for ref_addr). */
  | { ref: string }
  /** DW_FORM_indirect: the actual form, then its value. */
  | { form: number; value: Val };

export interface AbbrevSpec {
  tag: number;
  children: boolean;
  /** [attribute, form, implicit_const value] */
  attrs: [number, number, bigint?][];
}

export interface DieSpec {
  code: number;
  values: Val[];
  children?: DieSpec[];
  label?: string;
}

export interface UnitSpec {
  version: number;
  unitType?: number;
  addrSize?: number;
  format64?: boolean;
  /** Abbreviation table (index into the tables given to build). */
  table?: number;
  /** Overrides the version written in the header (to build invalid units). */
  rawVersion?: number;
  root: DieSpec;
  /** DW_UT_type/split_type: signature and the label of the type DIE. */
  typeSignature?: bigint;
  typeLabel?: string;
}

const F = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09, block1: 0x0a,
  data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11, ref2: 0x12, ref4: 0x13,
  ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18, flag_present: 0x19, strx: 0x1a,
  addrx: 0x1b, data16: 0x1e, line_strp: 0x1f, ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23,
  strx1: 0x25, strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
};

export function uleb(v: number | bigint): Buffer {
  let x = BigInt(v);
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return Buffer.from(out);
}

export function sleb(v: number | bigint): Buffer {
  let x = BigInt(v);
  const out: number[] = [];
  for (;;) {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    const done = (x === 0n && !(b & 0x40)) || (x === -1n && b & 0x40);
    out.push(done ? b : b | 0x80);
    if (done) return Buffer.from(out);
  }
}

function le(v: number | bigint, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = BigInt.asUintN(n * 8, BigInt(v));
  for (let i = 0; i < n; i++) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

export interface BuiltDwarf {
  info: Buffer;
  abbrev: Buffer;
  str: Buffer;
  lineStr: Buffer;
  strOffsets: Buffer;
  /** Section offset of each labelled DIE. */
  labels: Map<string, number>;
  /** Section offset of each unit. */
  unitOffsets: number[];
}

/**
 * `strOffsetsPad`: entries of a decoy contribution placed before the real one in .debug_str_offsets
 * (they name the string "WRONG"); the real entries then start at 8 + 4 * pad + 8, the value to give
 * DW_AT_str_offsets_base.
 */
export function buildDwarf(tables: Map<number, AbbrevSpec>[], units: UnitSpec[], strOffsetsPad = 0): BuiltDwarf {
  // .debug_abbrev
  const abbrevParts: Buffer[] = [];
  const tableOffsets: number[] = [];
  let abbrevLen = 0;
  for (const t of tables) {
    tableOffsets.push(abbrevLen);
    for (const [code, a] of t) {
      const parts = [uleb(code), uleb(a.tag), Buffer.from([a.children ? 1 : 0])];
      for (const [at, form, imp] of a.attrs) {
        parts.push(uleb(at), uleb(form));
        if (form === F.implicit_const) parts.push(sleb(imp ?? 0n));
      }
      parts.push(Buffer.from([0, 0]));
      const b = Buffer.concat(parts);
      abbrevParts.push(b);
      abbrevLen += b.length;
    }
    abbrevParts.push(Buffer.from([0]));
    abbrevLen += 1;
  }

  // String sections. str_offsets starts with its DWARF 5 header; entries follow at offset 8.
  const strs: string[] = [];
  const strOff = new Map<string, number>();
  let strLen = 0;
  const strp = (s: string) => {
    let o = strOff.get(s);
    if (o === undefined) {
      o = strLen;
      strOff.set(s, o);
      strs.push(s);
      strLen += Buffer.byteLength(s, 'latin1') + 1;
    }
    return o;
  };
  const lineStrs: string[] = [];
  let lineStrLen = 0;
  const lineStrp = (s: string) => {
    const o = lineStrLen;
    lineStrs.push(s);
    lineStrLen += s.length + 1;
    return o;
  };
  const strIndex: number[] = [];
  const strx = (s: string) => {
    strIndex.push(strp(s));
    return strIndex.length - 1;
  };

  const labels = new Map<string, number>();
  const patches: { unit: number; at: number; form: number; label: string; size: number }[] = [];
  const unitBufs: Buffer[] = [];
  const unitOffsets: number[] = [];
  let sectionLen = 0;

  units.forEach((u, ui) => {
    const addrSize = u.addrSize ?? 8;
    const off64 = !!u.format64;
    const osz = off64 ? 8 : 4;
    const table = tables[u.table ?? 0];
    const body: Buffer[] = [];
    let len = 0;
    const push = (b: Buffer) => {
      body.push(b);
      len += b.length;
    };
    // Header after unit_length.
    const version = u.rawVersion ?? u.version;
    const abbrevOffset = tableOffsets[u.table ?? 0];
    if (u.version >= 5) {
      push(le(version, 2));
      push(Buffer.from([u.unitType ?? 1, addrSize]));
      push(le(abbrevOffset, osz));
      if (u.unitType === 2 || u.unitType === 6) {
        push(le(u.typeSignature ?? 0n, 8));
        patches.push({ unit: ui, at: len, form: -1, label: u.typeLabel!, size: osz });
        push(Buffer.alloc(osz));
      } else if (u.unitType === 4 || u.unitType === 5) push(Buffer.alloc(8));
    } else {
      push(le(version, 2));
      push(le(abbrevOffset, osz));
      push(Buffer.from([addrSize]));
    }
    const lengthSize = off64 ? 12 : 4;
    const unitStart = sectionLen;
    const encode = (form: number, v: Val): Buffer => {
      if (typeof v === 'object' && v !== null && 'form' in v) return Buffer.concat([uleb(v.form), encode(v.form, v.value)]);
      if (typeof v === 'object' && v !== null && 'ref' in v && !Buffer.isBuffer(v)) {
        const size = form === F.ref1 ? 1 : form === F.ref2 ? 2 : form === F.ref8 ? 8 : form === F.ref_udata ? 4 : form === F.ref_addr ? (u.version <= 2 ? addrSize : osz) : 4;
        patches.push({ unit: ui, at: len + 0, form, label: v.ref, size });
        return Buffer.alloc(size); // patched below; the offset is fixed up by `at` relative to the body
      }
      switch (form) {
        case F.addr: return le(v as number | bigint, addrSize);
        case F.data1: case F.flag: case F.strx1: case F.addrx1: return form === F.strx1 ? le(strx(v as string), 1) : le(typeof v === 'boolean' ? (v ? 1 : 0) : (v as number), 1);
        case F.data2: case F.addrx2: return le(v as number, 2);
        case F.strx2: return le(strx(v as string), 2);
        case F.strx3: return le(strx(v as string), 3);
        case F.strx4: return le(strx(v as string), 4);
        case F.addrx3: return le(v as number, 3);
        case F.data4: case F.addrx4: return le(v as number | bigint, 4);
        case F.data8: case F.ref_sig8: return le(v as number | bigint, 8);
        case F.data16: return v as Buffer;
        case F.sdata: return sleb(v as number | bigint);
        case F.udata: case F.addrx: case F.loclistx: case F.rnglistx: return uleb(v as number | bigint);
        case F.strx: return uleb(strx(v as string));
        case F.string: return Buffer.from((v as string) + '\0', 'latin1');
        case F.strp: return le(strp(v as string), osz);
        case F.line_strp: return le(lineStrp(v as string), osz);
        case F.sec_offset: return le(v as number, osz);
        case F.flag_present: case F.implicit_const: return Buffer.alloc(0);
        case F.exprloc: case F.block: return Buffer.concat([uleb((v as Buffer).length), v as Buffer]);
        case F.block1: return Buffer.concat([le((v as Buffer).length, 1), v as Buffer]);
        case F.block2: return Buffer.concat([le((v as Buffer).length, 2), v as Buffer]);
        case F.block4: return Buffer.concat([le((v as Buffer).length, 4), v as Buffer]);
        default: throw new Error(`dwarf-builder: form 0x${form.toString(16)} not supported`);
      }
    };
    const writeDie = (d: DieSpec) => {
      const a = table.get(d.code);
      if (!a) throw new Error(`dwarf-builder: no abbreviation ${d.code}`);
      if (d.label) labels.set(d.label, unitStart + lengthSize + len);
      push(uleb(d.code));
      a.attrs.forEach(([, form], i) => {
        const v = d.values[i];
        // Reference placeholders record their position before the bytes are pushed.
        if (typeof v === 'object' && v !== null && 'form' in v && !Buffer.isBuffer(v)) {
          push(uleb(v.form));
          push(encode(v.form, v.value));
        } else push(encode(form, v));
      });
      if (a.children) {
        for (const c of d.children ?? []) writeDie(c);
        push(Buffer.from([0]));
      }
    };
    writeDie(u.root);
    const content = Buffer.concat(body);
    const head = off64 ? Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), le(content.length, 8)]) : le(content.length, 4);
    const unit = Buffer.concat([head, content]);
    unitOffsets.push(unitStart);
    unitBufs.push(unit);
    sectionLen += unit.length;
  });

  const info = Buffer.concat(unitBufs);
  for (const p of patches) {
    const target = labels.get(p.label);
    if (target === undefined) throw new Error(`dwarf-builder: unknown label ${p.label}`);
    const uStart = unitOffsets[p.unit];
    const lengthSize = units[p.unit].format64 ? 12 : 4;
    const at = uStart + lengthSize + p.at;
    const value = p.form === F.ref_addr ? target : target - uStart;
    if (p.form === F.ref_udata) {
      // A 4-byte ULEB (padded with continuation bits) so the layout did not depend on the value.
      for (let i = 0; i < 4; i++) info[at + i] = ((value >> (7 * i)) & 0x7f) | (i < 3 ? 0x80 : 0);
    } else le(value, p.size).copy(info, at);
  }
  const decoy = strOffsetsPad ? [le(4 + strOffsetsPad * 4, 4), le(5, 2), le(0, 2), ...Array.from({ length: strOffsetsPad }, () => le(strp('WRONG'), 4))] : [];
  const strOffsets = Buffer.concat([...decoy, le(4 + strIndex.length * 4, 4), le(5, 2), le(0, 2), ...strIndex.map((o) => le(o, 4))]);
  return {
    info,
    abbrev: Buffer.concat(abbrevParts),
    str: Buffer.from(strs.map((s) => s + '\0').join(''), 'latin1'),
    lineStr: Buffer.from(lineStrs.map((s) => s + '\0').join(''), 'latin1'),
    strOffsets,
    labels,
    unitOffsets,
  };
}
