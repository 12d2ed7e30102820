// Builds the name index with one sequential pass over .debug_info (drgn's approach: index names first,
// parse types when asked). Only the children of each unit's root DIE are looked at; everything below
// them is skipped through DW_AT_sibling (GCC emits it on every DIE with children that has a next
// sibling), or attribute by attribute with precompiled skip programs where there is no sibling link.
//
// This is the one hot path of the reader, so it trades some elegance for allocation-free loops:
//  - names are keyed by their .debug_str offset while scanning (the linker merges identical strings),
//    so most DIEs cost a map probe on a small integer and no string decoding;
//  - the unit's abbreviation table is decoded straight into one reusable Int32Array (a vmlinux has
//    ~300k abbreviations in ~2200 tables: an object per abbreviation costs more in GC than the scan);
//  - .debug_info is read in 16 MB windows into one reusable buffer.
import { DW_AT, DW_FORM, DW_TAG, formName } from './constants.js';
import { type DwarfContext } from './context.js';
import { fixedFormSize, skipVariable } from './forms.js';
import { KINDS, NameIndex } from './nameindex.js';
import { Reader, stringAt } from './reader.js';
import { type Encoding, encodingKey, isContentUnit, MAX_UNIT_HEADER, parseUnitHeader, type UnitHeader } from './unit.js';
import { type NamedKind } from '../types.js';

/** .debug_info is read in windows of this size (whole units; a larger unit gets a window of its own). */
export const SCAN_WINDOW = 16 << 20;

const K_NONE = 0;
const K_ENUM = 3;
const K_ENUMERATOR = 6;
/** Index kinds 1..5 follow KINDS order: struct, union, enum, typedef, base. */
const KIND_OF_TAG = new Map<number, number>([
  [DW_TAG.structure_type, 1],
  [DW_TAG.class_type, 1],
  [DW_TAG.union_type, 2],
  [DW_TAG.enumeration_type, K_ENUM],
  [DW_TAG.typedef, 4],
  [DW_TAG.base_type, 5],
  [DW_TAG.enumerator, K_ENUMERATOR],
]);

// Layout of one abbreviation record in the pool (offsets from the record start).
const R_TAG = 0;
const R_CHILDREN = 1;
const R_KIND = 2;
const R_FIXED = 3; // byte size of all attributes when every form is fixed, else -1
const R_NAME = 4; // attribute index of DW_AT_name, or -1
const R_DECL = 5; // ... DW_AT_declaration
const R_SIBLING = 6; // ... DW_AT_sibling (only on DIEs with children)
const R_STROFF = 7; // ... DW_AT_str_offsets_base (root DIEs)
const R_N = 8; // attribute count
const R_SKIP = 9; // pool index of the whole-DIE skip program
const R_SKIPLEN = 10;
const R_TOSIB = 11; // pool index of the skip program up to DW_AT_sibling
const R_TOSIBLEN = 12;
const R_FORMS = 13; // then n forms, then n sizes (fixed size or -1)
// A skip program is a run of ints: n >= 0 skips n bytes, -form skips one value of a variable-size form.

type Key = number | string;

export interface ScanStats {
  units: number;
  skippedUnits: number;
  /** DIEs looked at: the children of unit roots (everything below them is skipped). */
  topLevelDies: number;
  bytes: number;
}

/** Position after the last ULEB128 read by `uleb` (a module variable, so reads allocate nothing). */
let ulebEnd = 0;
function uleb(buf: Buffer, pos: number): number {
  let v = 0;
  let mul = 1;
  let b: number;
  do {
    b = buf[pos++];
    v += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  ulebEnd = pos;
  return v;
}

export class IndexScanner {
  private names: Map<Key, number>[] = KINDS.map(() => new Map());
  private enumerators = new Map<Key, number>();
  private units: number[] = [];
  readonly stats: ScanStats = { units: 0, skippedUnits: 0, topLevelDies: 0, bytes: 0 };

  // The decoded abbreviation table of the current unit.
  private pool = new Int32Array(1 << 16);
  private poolLen = 0;
  private byCode = new Int32Array(1024).fill(-1);
  private maxCode = 0;
  private tableKey = '';

  // The unit being scanned.
  private buf: Buffer = Buffer.alloc(0);
  private base = 0; // section offset of buf[0]
  private unitRel = 0; // buf index of the unit header (unit-relative references start there)
  private end = 0; // buf index of the unit's end
  private h!: UnitHeader;
  private strBase = 0;

  constructor(private ctx: DwarfContext) {}

  run(): NameIndex {
    const sections = this.ctx.sections;
    const size = sections.info.size;
    const scratch = Buffer.allocUnsafe(Math.min(SCAN_WINDOW, size));
    let off = 0;
    while (off < size) {
      // One window holds whole units; a unit is never split across windows.
      let win = sections.readInfo(off, Math.min(SCAN_WINDOW, size - off), scratch);
      let pos = 0;
      while (off + pos < size) {
        if (pos + MAX_UNIT_HEADER > win.length && off + win.length < size) break; // the header may straddle
        const h = parseUnitHeader(win, pos, off, size, this.ctx.infoWhere);
        if (h.end > off + win.length) {
          if (pos !== 0) break;
          win = sections.readInfo(off, h.end - off, scratch); // a unit larger than the window
        }
        try {
          this.scanUnit(win, off, h);
        } catch (e) {
          // The scanner reads attributes without a bounds check per field (the index is built at hundreds of
          // MB/s); Buffer's own check stops a read past the window, and here it becomes what it means.
          if ((e as { code?: string }).code !== 'ERR_OUT_OF_RANGE' && (e as { code?: string }).code !== 'ERR_BUFFER_OUT_OF_BOUNDS') throw e;
          throw this.ctx.error(this.ctx.sections.names.info, h.offset, `unit: an attribute of its DIEs runs past the unit's end (0x${h.end.toString(16)}): corrupt DWARF (${(e as Error).message})`);
        }
        pos = h.end - off;
      }
      off += pos;
      this.stats.bytes = off;
    }
    this.buf = Buffer.alloc(0);
    return this.finish();
  }

  private scanUnit(buf: Buffer, base: number, h: UnitHeader): void {
    if (!isContentUnit(h)) {
      this.stats.skippedUnits++;
      return;
    }
    this.stats.units++;
    this.units.push(h.offset);
    this.buf = buf;
    this.base = base;
    this.h = h;
    this.loadTable(h);
    this.unitRel = h.offset - base;
    const end = (this.end = h.end - base);
    const pool = this.pool;
    const byCode = this.byCode;
    const maxCode = this.maxCode;
    const enc: Encoding = h;
    const names = this.names;

    // The root DIE: only its DW_AT_str_offsets_base matters here.
    let pos = h.dieOffset - base;
    let code = uleb(buf, pos);
    pos = ulebEnd;
    if (code === 0) return;
    let r = code <= maxCode ? byCode[code] : -1;
    if (r < 0) throw this.badCode(code, pos);
    this.strBase = this.strOffsetsBase(r, pos);
    pos = this.skipAttrs(r, pos);
    if (!pool[r + R_CHILDREN]) return;

    let dies = 0;
    while (pos < end) {
      const dieAt = pos;
      code = buf[pos++];
      if (code & 0x80) {
        code = uleb(buf, pos - 1);
        pos = ulebEnd;
      }
      if (code === 0) break; // end of the root's children
      dies++;
      r = code <= maxCode ? byCode[code] : -1;
      if (r < 0) throw this.badCode(code, dieAt);
      const kind = pool[r + R_KIND];
      if (kind === K_NONE || kind === K_ENUMERATOR) {
        pos = this.skipDie(r, pos, dieAt);
        continue;
      }
      // A type DIE at the top level: read its name, declaration flag and sibling link.
      const n = pool[r + R_N];
      const nameAt = pool[r + R_NAME];
      const declAt = pool[r + R_DECL];
      const sibAt = pool[r + R_SIBLING];
      let key: Key | undefined;
      let decl = false;
      let sib = -1;
      for (let i = 0; i < n; i++) {
        const form = pool[r + R_FORMS + i];
        if (i === nameAt) key = this.nameKey(pos, form, enc);
        else if (i === declAt) decl = form === DW_FORM.flag_present || (form === DW_FORM.flag && buf[pos] !== 0);
        else if (i === sibAt) sib = this.sibling(pos, form, dieAt);
        const s = pool[r + R_FORMS + n + i];
        pos = s >= 0 ? pos + s : skipVariable(buf, pos, form, enc);
      }
      const children = pool[r + R_CHILDREN] !== 0;
      if (!decl) {
        if (key !== undefined) {
          const m = names[kind - 1];
          if (m.get(key) === undefined) {
            m.set(key, base + dieAt);
            if (kind === K_ENUM && children) {
              pos = this.enumerators_(pos, base + dieAt, false);
              continue;
            }
          }
        } else if (kind === K_ENUM && children) {
          // Anonymous enums carry many kernel constants; the same one is repeated in every unit that
          // includes its header, so only its first appearance is walked.
          pos = this.enumerators_(pos, base + dieAt, true);
          continue;
        }
      }
      if (children) pos = sib >= 0 ? sib : this.skipChildren(pos);
    }
    if (pos > end) throw this.overrun();
    this.stats.topLevelDies += dies;
  }

  /** Records the enumerators of an enumeration whose attributes end at `pos`; returns the position after its children. */
  private enumerators_(pos: number, enumOff: number, anonymous: boolean): number {
    const { buf, pool, byCode, maxCode, enumerators: en, h } = this;
    let first = true;
    for (;;) {
      if (pos >= this.end) throw this.overrun();
      const dieAt = pos;
      const code = uleb(buf, pos);
      pos = ulebEnd;
      if (code === 0) return pos;
      const r = code <= maxCode ? byCode[code] : -1;
      if (r < 0) throw this.badCode(code, dieAt);
      const nameAt = pool[r + R_NAME];
      if (pool[r + R_KIND] !== K_ENUMERATOR || nameAt < 0) {
        pos = this.skipDie(r, pos, dieAt);
        continue;
      }
      let key: Key | undefined;
      const n = pool[r + R_N];
      for (let i = 0; i < n; i++) {
        const form = pool[r + R_FORMS + i];
        if (i === nameAt) key = this.nameKey(pos, form, h);
        const s = pool[r + R_FORMS + n + i];
        pos = s >= 0 ? pos + s : skipVariable(buf, pos, form, h);
      }
      if (pool[r + R_CHILDREN]) pos = this.skipChildren(pos);
      if (en.get(key!) === undefined) en.set(key!, enumOff);
      else if (first && anonymous) return this.skipChildren(pos);
      first = false;
    }
  }

  /** Skips the DIE whose attributes start at `pos`, with its children. */
  private skipDie(r: number, pos: number, dieAt: number): number {
    const pool = this.pool;
    if (!pool[r + R_CHILDREN]) {
      const fixed = pool[r + R_FIXED];
      return fixed >= 0 ? pos + fixed : this.runSkip(pool[r + R_SKIP], pool[r + R_SKIPLEN], pos);
    }
    const sibAt = pool[r + R_SIBLING];
    if (sibAt >= 0) return this.sibling(this.runSkip(pool[r + R_TOSIB], pool[r + R_TOSIBLEN], pos), pool[r + R_FORMS + sibAt], dieAt);
    return this.skipChildren(this.runSkip(pool[r + R_SKIP], pool[r + R_SKIPLEN], pos));
  }

  /** Skips a children list up to and including its terminating 0; returns the position after it. */
  private skipChildren(pos: number): number {
    const { buf, pool, byCode, maxCode, end } = this;
    let depth = 1;
    while (depth > 0) {
      if (pos >= end) throw this.overrun();
      const dieAt = pos;
      let code = buf[pos++];
      if (code & 0x80) {
        code = uleb(buf, pos - 1);
        pos = ulebEnd;
      }
      if (code === 0) {
        depth--;
        continue;
      }
      const r = code <= maxCode ? byCode[code] : -1;
      if (r < 0) throw this.badCode(code, dieAt);
      if (!pool[r + R_CHILDREN]) {
        const fixed = pool[r + R_FIXED];
        pos = fixed >= 0 ? pos + fixed : this.runSkip(pool[r + R_SKIP], pool[r + R_SKIPLEN], pos);
      } else {
        const sibAt = pool[r + R_SIBLING];
        if (sibAt >= 0) pos = this.sibling(this.runSkip(pool[r + R_TOSIB], pool[r + R_TOSIBLEN], pos), pool[r + R_FORMS + sibAt], dieAt);
        else {
          pos = this.runSkip(pool[r + R_SKIP], pool[r + R_SKIPLEN], pos);
          depth++;
        }
      }
    }
    return pos;
  }

  private runSkip(at: number, len: number, pos: number): number {
    const pool = this.pool;
    for (let i = at; i < at + len; i++) {
      const s = pool[i];
      pos = s >= 0 ? pos + s : skipVariable(this.buf, pos, -s, this.h);
    }
    return pos;
  }

  private skipAttrs(r: number, pos: number): number {
    const fixed = this.pool[r + R_FIXED];
    return fixed >= 0 ? pos + fixed : this.runSkip(this.pool[r + R_SKIP], this.pool[r + R_SKIPLEN], pos);
  }

  /** Reads a DW_AT_sibling value at `pos`: the buffer index of the next DIE, checked to move forward within the unit. */
  private sibling(pos: number, form: number, dieAt: number): number {
    const buf = this.buf;
    let target: number;
    switch (form) {
      case DW_FORM.ref4:
        target = this.unitRel + (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)) + buf[pos + 3] * 0x1000000;
        break;
      case DW_FORM.ref1:
        target = this.unitRel + buf[pos];
        break;
      case DW_FORM.ref2:
        target = this.unitRel + (buf[pos] | (buf[pos + 1] << 8));
        break;
      case DW_FORM.ref8:
        target = this.unitRel + Number(buf.readBigUInt64LE(pos));
        break;
      case DW_FORM.ref_udata:
        target = this.unitRel + uleb(buf, pos);
        break;
      case DW_FORM.ref_addr:
        target = (this.h.offsetSize === 4 && this.h.version > 2 ? buf.readUInt32LE(pos) : Number(buf.readBigUInt64LE(pos))) - this.base;
        break;
      default:
        throw this.infoError(dieAt, `DIE has DW_AT_sibling in form ${formName(form)}, which is not a reference`);
    }
    if (target <= dieAt || target > this.end) throw this.infoError(dieAt, `DIE has DW_AT_sibling 0x${(this.base + target).toString(16)}, outside its unit or backwards: corrupt DWARF`);
    return target;
  }

  /** The name at `pos` as a map key: its .debug_str offset, or the string itself for inline names. */
  private nameKey(pos: number, form: number, enc: Encoding): Key {
    const buf = this.buf;
    const ctx = this.ctx;
    switch (form) {
      case DW_FORM.strp:
        return enc.offsetSize === 4 ? buf.readUInt32LE(pos) : Number(buf.readBigUInt64LE(pos));
      case DW_FORM.string: {
        const e = buf.indexOf(0, pos);
        return buf.toString('latin1', pos, e < 0 ? buf.length : e);
      }
      case DW_FORM.line_strp:
        return stringAt(ctx.lineStr, enc.offsetSize === 4 ? buf.readUInt32LE(pos) : Number(buf.readBigUInt64LE(pos)), ctx.where(ctx.sections.names.lineStr));
      case DW_FORM.strx1:
        return ctx.strxOffset(this.strBase, buf[pos], enc.offsetSize);
      case DW_FORM.strx2:
        return ctx.strxOffset(this.strBase, buf.readUInt16LE(pos), enc.offsetSize);
      case DW_FORM.strx3:
        return ctx.strxOffset(this.strBase, buf.readUIntLE(pos, 3), enc.offsetSize);
      case DW_FORM.strx4:
        return ctx.strxOffset(this.strBase, buf.readUInt32LE(pos), enc.offsetSize);
      case DW_FORM.strx:
      case DW_FORM.GNU_str_index:
        return ctx.strxOffset(this.strBase, uleb(buf, pos), enc.offsetSize);
      default:
        throw this.infoError(pos, `DW_AT_name has form ${formName(form)}, which this reader cannot resolve (a dwz supplementary file?); use the original debug file or --types btf`);
    }
  }

  /** DW_AT_str_offsets_base of the root DIE whose attributes start at `pos` (see DwarfContext.strOffsetsBase). */
  private strOffsetsBase(r: number, pos: number): number {
    const pool = this.pool;
    const at = pool[r + R_STROFF];
    const h = this.h;
    if (at >= 0 && pool[r + R_FORMS + at] === DW_FORM.sec_offset) {
      const n = pool[r + R_N];
      for (let i = 0; i < at; i++) {
        const s = pool[r + R_FORMS + n + i];
        pos = s >= 0 ? pos + s : skipVariable(this.buf, pos, pool[r + R_FORMS + i], h);
      }
      return h.offsetSize === 4 ? this.buf.readUInt32LE(pos) : Number(this.buf.readBigUInt64LE(pos));
    }
    return h.version >= 5 ? (h.offsetSize === 4 ? 8 : 16) : 0;
  }

  /**
   * Decodes the unit's abbreviation table into the pool, unless it is the table already there. GCC gives
   * every unit its own table, so the pool is simply overwritten unit after unit.
   */
  private loadTable(h: UnitHeader): void {
    const key = `${h.abbrevOffset}/${encodingKey(h)}`;
    if (key === this.tableKey) return;
    this.tableKey = '';
    const where = this.ctx.where(this.ctx.sections.names.abbrev);
    const data = this.ctx.sections.abbrev();
    if (h.abbrevOffset >= data.length) throw new Reader(data, 0, 0, where).error(`is outside ${where.section} (size 0x${data.length.toString(16)}): the abbreviation offset of the unit at .debug_info 0x${h.offset.toString(16)} is corrupt or was not relocated`, h.abbrevOffset);
    this.byCode.fill(-1, 0, this.maxCode + 1);
    this.maxCode = 0;
    this.poolLen = 0;
    const rd = new Reader(data, h.abbrevOffset, 0, where);
    const forms: number[] = [];
    const attrs: number[] = [];
    for (;;) {
      const at = rd.offset;
      const code = rd.uleb();
      if (code === 0) break;
      const tag = rd.uleb();
      const children = rd.u8() !== 0;
      forms.length = 0;
      attrs.length = 0;
      for (;;) {
        const name = rd.uleb();
        const form = rd.uleb();
        if (name === 0 && form === 0) break;
        if (form === DW_FORM.implicit_const) rd.slebBig(); // the value is not needed to scan
        attrs.push(name);
        forms.push(form);
      }
      if (code >= this.byCode.length) {
        if (code > 1 << 20) throw rd.error(`has abbreviation code ${code}, far beyond any real table: corrupt .debug_abbrev`, at);
        const bigger = new Int32Array(Math.max(code + 1, this.byCode.length * 2)).fill(-1);
        bigger.set(this.byCode);
        this.byCode = bigger;
      }
      if (this.byCode[code] >= 0) throw rd.error(`defines abbreviation code ${code} twice in the table at 0x${h.abbrevOffset.toString(16)}`, at);
      this.byCode[code] = this.addRecord(tag, children, attrs, forms, h);
      if (code > this.maxCode) this.maxCode = code;
      if (rd.atEnd()) break;
    }
    this.tableKey = key;
  }

  private addRecord(tag: number, children: boolean, attrs: number[], forms: number[], enc: Encoding): number {
    const n = attrs.length;
    // Record header + forms + sizes + two skip programs of at most n entries each.
    this.reserve(R_FORMS + 4 * n + 2);
    const p = this.pool;
    const r = this.poolLen;
    p[r + R_TAG] = tag;
    p[r + R_CHILDREN] = children ? 1 : 0;
    p[r + R_KIND] = KIND_OF_TAG.get(tag) ?? K_NONE;
    p[r + R_NAME] = attrs.indexOf(DW_AT.name);
    p[r + R_DECL] = attrs.indexOf(DW_AT.declaration);
    p[r + R_SIBLING] = children ? attrs.indexOf(DW_AT.sibling) : -1;
    p[r + R_STROFF] = attrs.indexOf(DW_AT.str_offsets_base);
    p[r + R_N] = n;
    let fixed = 0;
    for (let i = 0; i < n; i++) {
      const s = fixedFormSize(forms[i], enc);
      if (s === -2) throw this.ctx.error(this.ctx.sections.names.abbrev, this.h.abbrevOffset, `table uses the unknown attribute form ${formName(forms[i])}; DIEs using it cannot be read or skipped`);
      p[r + R_FORMS + i] = forms[i];
      p[r + R_FORMS + n + i] = s;
      if (s < 0) fixed = -1;
      else if (fixed >= 0) fixed += s;
    }
    p[r + R_FIXED] = fixed;
    let len = r + R_FORMS + 2 * n;
    p[r + R_SKIP] = len;
    len = this.compileSkip(r, 0, n, len);
    p[r + R_SKIPLEN] = len - p[r + R_SKIP];
    const sib = p[r + R_SIBLING];
    p[r + R_TOSIB] = len;
    p[r + R_TOSIBLEN] = -1;
    if (sib >= 0) {
      len = this.compileSkip(r, 0, sib, len);
      p[r + R_TOSIBLEN] = len - p[r + R_TOSIB];
    }
    this.poolLen = len;
    return r;
  }

  /** Writes the skip program of attributes [from, to) of record r at pool[at]; returns the end. */
  private compileSkip(r: number, from: number, to: number, at: number): number {
    const p = this.pool;
    const n = p[r + R_N];
    let run = 0;
    for (let i = from; i < to; i++) {
      const s = p[r + R_FORMS + n + i];
      if (s >= 0) run += s;
      else {
        if (run) p[at++] = run;
        run = 0;
        p[at++] = -p[r + R_FORMS + i];
      }
    }
    if (run) p[at++] = run;
    return at;
  }

  private reserve(n: number): void {
    if (this.poolLen + n <= this.pool.length) return;
    const bigger = new Int32Array(Math.max(this.pool.length * 2, this.poolLen + n));
    bigger.set(this.pool.subarray(0, this.poolLen));
    this.pool = bigger;
  }

  private infoError(pos: number, what: string): Error {
    return this.ctx.error(this.ctx.sections.names.info, this.base + pos, what);
  }

  private badCode(code: number, pos: number): Error {
    const h = this.h;
    return this.infoError(pos, `DIE uses abbreviation code ${code}, which the table at .debug_abbrev 0x${h.abbrevOffset.toString(16)} of the unit at 0x${h.offset.toString(16)} does not define: corrupt DWARF${h.abbrevOffset === 0 ? ', or relocations were not applied' : ''}`);
  }

  private overrun(): Error {
    const h = this.h;
    return this.ctx.error(this.ctx.sections.names.info, h.offset, `unit: its DIEs run past the unit's end (0x${h.end.toString(16)}): corrupt DWARF`);
  }

  /** Decodes the string keys and keeps, for each name, the first definition in file order. */
  private finish(): NameIndex {
    const str = (k: Key) => (typeof k === 'string' ? k : this.ctx.strp(k));
    const decode = (m: Map<Key, number>) => {
      const out = new Map<string, number>();
      for (const [k, off] of m) {
        const name = str(k);
        const prev = out.get(name);
        if (prev === undefined || off < prev) out.set(name, off);
      }
      return out;
    };
    const names = {} as Record<NamedKind, Map<string, number>>;
    KINDS.forEach((k, i) => (names[k] = decode(this.names[i])));
    return new NameIndex(this.ctx.sections.buildId, this.ctx.sections.fingerprint, this.units, names, decode(this.enumerators));
  }
}
