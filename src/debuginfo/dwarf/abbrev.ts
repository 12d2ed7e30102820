// Abbreviation tables (.debug_abbrev) for the type decoder, parsed once per table offset and shared by
// every unit that points at it. (The index scan decodes tables its own allocation-free way: scan.ts.)
import { DW_FORM } from './constants.js';
import { type Where } from './errors.js';
import { Reader } from './reader.js';

export interface Abbrev {
  code: number;
  tag: number;
  hasChildren: boolean;
  /** Attribute codes, in DIE order. */
  attrs: number[];
  /** Form of each attribute. */
  forms: number[];
  /** DW_FORM_implicit_const values by attribute index (the value lives in the abbreviation). */
  implicit?: bigint[];
}

export class AbbrevTable {
  /** Codes are small and dense in practice (GCC numbers them 1..n): an array indexed by code. */
  readonly byCode: (Abbrev | undefined)[] = [];
  constructor(readonly offset: number) {}
  get(code: number): Abbrev | undefined {
    return this.byCode[code];
  }
}

const MAX_DENSE_CODE = 1 << 20;

export function parseAbbrevTable(buf: Buffer, offset: number, where: Where): AbbrevTable {
  if (offset >= buf.length) throw new Reader(buf, 0, 0, where).error(`is outside ${where.section} (size 0x${buf.length.toString(16)}): a unit's abbreviation offset is corrupt or was not relocated`, offset);
  const r = new Reader(buf, offset, 0, where);
  const t = new AbbrevTable(offset);
  for (;;) {
    const at = r.offset;
    const code = r.uleb();
    if (code === 0) break;
    if (code > MAX_DENSE_CODE) throw r.error(`has abbreviation code ${code}, far beyond any real table: corrupt .debug_abbrev`, at);
    const tag = r.uleb();
    const hasChildren = r.u8() !== 0;
    const attrs: number[] = [];
    const forms: number[] = [];
    let implicit: bigint[] | undefined;
    for (;;) {
      const name = r.uleb();
      const form = r.uleb();
      if (name === 0 && form === 0) break;
      if (form === DW_FORM.implicit_const) (implicit ??= [])[attrs.length] = r.slebBig();
      attrs.push(name);
      forms.push(form);
    }
    if (t.byCode[code]) throw r.error(`defines abbreviation code ${code} twice in the table at 0x${offset.toString(16)}`, at);
    t.byCode[code] = { code, tag, hasChildren, attrs, forms, implicit };
    if (r.atEnd()) break; // a table missing its final 0 at the very end of the section
  }
  return t;
}

/** Caches tables by offset: the decoder needs the tables of the few units that hold the types asked for. */
export class AbbrevCache {
  private tables = new Map<number, AbbrevTable>();
  constructor(
    private data: () => Buffer,
    private where: Where,
  ) {}
  get(offset: number): AbbrevTable {
    let t = this.tables.get(offset);
    if (!t) {
      t = parseAbbrevTable(this.data(), offset, this.where);
      this.tables.set(offset, t);
    }
    return t;
  }}
