// Random access to DIEs by section offset, for the type decoder. A DIE is decoded in full (it is one of
// the few the user asked about); its unit's bytes are loaded whole and kept in a small LRU, since a
// struct, its members and the types they refer to almost always sit in the same unit.
import { type Abbrev, type AbbrevTable } from './abbrev.js';
import { DW_AT, DW_FORM } from './constants.js';
import { type DwarfContext } from './context.js';
import { type AttrValue, fixedFormSize, type FormContext, isRefForm, readAttr, skipVariable, type StringTables } from './forms.js';
import { Reader } from './reader.js';
import { type Encoding, isContentUnit, MAX_UNIT_HEADER, parseUnitHeader, type UnitHeader } from './unit.js';

export class LoadedUnit implements FormContext {
  readonly strings: StringTables;
  readonly unitOffset: number;
  readonly enc: Encoding;
  constructor(
    readonly header: UnitHeader,
    /** The unit's bytes: buf[0] is section offset header.offset. */
    readonly buf: Buffer,
    readonly abbrevs: AbbrevTable,
    readonly strOffsetsBase: number,
    ctx: DwarfContext,
  ) {
    this.unitOffset = header.offset;
    this.enc = header;
    this.strings = {
      strp: (o) => ctx.strp(o),
      lineStrp: (o) => ctx.lineStrp(o),
      strx: (i) => ctx.strp(ctx.strxOffset(strOffsetsBase, i, header.offsetSize)),
    };
  }
}

export interface Die {
  /** Section offset of the DIE. */
  offset: number;
  tag: number;
  hasChildren: boolean;
  unit: LoadedUnit;
  attrs: number[];
  /** Actual form of each value (DW_FORM_indirect resolved). */
  forms: number[];
  values: AttrValue[];
  /** Section offset just past the attributes: the first child when hasChildren. */
  childrenOffset: number;
}

export function attr(d: Die, at: number): AttrValue | undefined {
  const i = d.attrs.indexOf(at);
  return i < 0 ? undefined : d.values[i];
}

export function attrForm(d: Die, at: number): number | undefined {
  const i = d.attrs.indexOf(at);
  return i < 0 ? undefined : d.forms[i];
}

/** A reference attribute as a section offset, or undefined when absent. */
export function ref(d: Die, at: number): number | undefined {
  const i = d.attrs.indexOf(at);
  if (i < 0) return undefined;
  if (!isRefForm(d.forms[i])) return undefined;
  return d.values[i] as number;
}

/** A string attribute. */
export function str(d: Die, at: number): string | undefined {
  const v = attr(d, at);
  return typeof v === 'string' ? v : undefined;
}

export class DieReader {
  private cache = new Map<number, LoadedUnit>();
  private cachedBytes = 0;

  constructor(
    private ctx: DwarfContext,
    /** Section offsets of the content units, ascending (from the name index). */
    private units: number[],
    /** Bytes of unit data kept in memory; least recently used units are dropped beyond it. */
    private budget = 64 << 20,
  ) {}

  /** The unit that contains section offset `offset`. */
  unitAt(offset: number): LoadedUnit {
    const u = this.units;
    let lo = 0;
    let hi = u.length - 1;
    if (hi < 0 || offset < u[0]) throw this.notInUnit(offset);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (u[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const unit = this.load(u[lo]);
    if (offset >= unit.header.end || offset < unit.header.dieOffset) throw this.notInUnit(offset);
    return unit;
  }

  private notInUnit(offset: number): Error {
    return this.ctx.error(this.ctx.sections.names.info, offset, 'is not inside a compile unit: a reference points into a type unit, a skipped unit or outside the section (corrupt DWARF?)');
  }

  private load(unitOffset: number): LoadedUnit {
    const hit = this.cache.get(unitOffset);
    if (hit) {
      this.cache.delete(unitOffset); // re-insert: Map order is the LRU order
      this.cache.set(unitOffset, hit);
      return hit;
    }
    const info = this.ctx.sections.info;
    const head = info.read(unitOffset, Math.min(MAX_UNIT_HEADER, info.size - unitOffset));
    const h0 = parseUnitHeader(head, 0, unitOffset, info.size, this.ctx.infoWhere);
    if (!isContentUnit(h0)) throw this.notInUnit(unitOffset);
    const buf = info.read(unitOffset, h0.end - unitOffset);
    const abbrevs = this.ctx.abbrevs.get(h0.abbrevOffset);
    // The root DIE's DW_AT_str_offsets_base, needed before any DW_FORM_strx can be resolved.
    const r = new Reader(buf, h0.dieOffset - unitOffset, unitOffset, this.ctx.infoWhere);
    const code = r.uleb();
    const root = abbrevs.get(code);
    const strBase = root ? this.ctx.strOffsetsBase(buf, r.pos, root.forms, root.attrs, h0) : 0;
    const unit = new LoadedUnit(h0, buf, abbrevs, strBase, this.ctx);
    this.cache.set(unitOffset, unit);
    this.cachedBytes += buf.length;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= this.budget || k === unitOffset) break;
      this.cache.delete(k);
      this.cachedBytes -= v.buf.length;
    }
    return unit;
  }

  /** Decodes the DIE at section offset `offset`. */
  die(offset: number): Die {
    const unit = this.unitAt(offset);
    return this.decode(unit, offset);
  }

  private decode(unit: LoadedUnit, offset: number): Die {
    const r = new Reader(unit.buf, offset - unit.unitOffset, unit.unitOffset, this.ctx.infoWhere);
    const code = r.uleb();
    if (code === 0) throw r.error('is a null entry (end of a children list), not a DIE: a reference is off', offset);
    const ab = unit.abbrevs.get(code);
    if (!ab) throw r.error(`uses abbreviation code ${code}, which the unit's table at .debug_abbrev 0x${unit.abbrevs.offset.toString(16)} does not define: corrupt DWARF or a reference is off`, offset);
    const forms: number[] = [];
    const values: AttrValue[] = [];
    for (let i = 0; i < ab.attrs.length; i++) {
      let form = ab.forms[i];
      if (form === DW_FORM.indirect) form = r.uleb();
      forms.push(form);
      values.push(readAttr(r, form, unit, ab.implicit?.[i]));
    }
    return { offset, tag: ab.tag, hasChildren: ab.hasChildren, unit, attrs: ab.attrs, forms, values, childrenOffset: r.offset };
  }

  /** The direct children of a DIE, in order. */
  children(d: Die): Die[] {
    const out: Die[] = [];
    if (!d.hasChildren) return out;
    const unit = d.unit;
    const end = unit.header.end;
    let off = d.childrenOffset;
    while (off < end) {
      if (unit.buf[off - unit.unitOffset] === 0) return out; // end of the list (a 1-byte ULEB 0)
      const c = this.decode(unit, off);
      out.push(c);
      off = this.next(c);
    }
    throw this.ctx.error(this.ctx.sections.names.info, d.offset, `DIE: its children run past the end of its unit (0x${end.toString(16)}): corrupt DWARF`);
  }

  /** Section offset of the DIE after `d` at the same level. */
  private next(d: Die): number {
    if (!d.hasChildren) return d.childrenOffset;
    const sib = ref(d, DW_AT.sibling);
    if (sib !== undefined && sib > d.offset) return sib;
    // No sibling link: skip the subtree DIE by DIE.
    const unit = d.unit;
    const buf = unit.buf;
    const base = unit.unitOffset;
    let pos = d.childrenOffset - base;
    let depth = 1;
    while (depth > 0) {
      if (pos >= buf.length) throw this.ctx.error(this.ctx.sections.names.info, d.offset, 'DIE: its children run past the end of its unit: corrupt DWARF');
      const r = new Reader(buf, pos, base, this.ctx.infoWhere);
      const code = r.uleb();
      pos = r.pos;
      if (code === 0) {
        depth--;
        continue;
      }
      const ab = unit.abbrevs.get(code);
      if (!ab) throw r.error(`uses abbreviation code ${code}, which the unit's table does not define: corrupt DWARF`);
      pos = skipAttrs(buf, pos, ab, unit.enc);
      if (ab.hasChildren) depth++;
    }
    return base + pos;
  }
}

function skipAttrs(buf: Buffer, pos: number, ab: Abbrev, enc: Encoding): number {
  for (const form of ab.forms) {
    const n = fixedFormSize(form, enc);
    pos = n >= 0 ? pos + n : skipVariable(buf, pos, form, enc);
  }
  return pos;
}
