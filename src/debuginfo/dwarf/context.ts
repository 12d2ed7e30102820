// What every part of the reader shares about one file: its sections, the abbreviation cache and the
// string tables (.debug_str, .debug_line_str, .debug_str_offsets).
import { AbbrevCache } from './abbrev.js';
import { DW_AT, DW_FORM } from './constants.js';
import { DwarfError, type Where } from './errors.js';
import { fixedFormSize, skipVariable } from './forms.js';
import { stringAt } from './reader.js';
import { type DwarfSections } from './sections.js';
import { type Encoding } from './unit.js';

export class DwarfContext {
  readonly abbrevs: AbbrevCache;
  readonly infoWhere: Where;
  private _str?: Buffer | null;
  private _lineStr?: Buffer | null;
  private _strOffsets?: Buffer | null;

  constructor(readonly sections: DwarfSections) {
    this.infoWhere = this.where(sections.names.info);
    this.abbrevs = new AbbrevCache(() => sections.abbrev(), this.where(sections.names.abbrev));
  }

  where(section: string): Where {
    return { file: this.sections.file, section };
  }

  error(section: string, offset: number | undefined, what: string): DwarfError {
    return new DwarfError(this.sections.file, section, offset, what);
  }

  get str(): Buffer {
    if (this._str === undefined) this._str = this.sections.str() ?? null;
    if (!this._str) throw this.error(this.sections.names.str, undefined, 'is missing but DW_FORM_strp/strx attributes refer to it: the debug file is damaged');
    return this._str;
  }
  get lineStr(): Buffer {
    if (this._lineStr === undefined) this._lineStr = this.sections.lineStr() ?? null;
    if (!this._lineStr) throw this.error(this.sections.names.lineStr, undefined, 'is missing but DW_FORM_line_strp attributes refer to it: the debug file is damaged');
    return this._lineStr;
  }
  get strOffsets(): Buffer {
    if (this._strOffsets === undefined) this._strOffsets = this.sections.strOffsets() ?? null;
    if (!this._strOffsets) throw this.error(this.sections.names.strOffsets, undefined, 'is missing but DW_FORM_strx attributes refer to it: the debug file is damaged');
    return this._strOffsets;
  }

  strp(offset: number): string {
    return stringAt(this.str, offset, this.where(this.sections.names.str));
  }
  lineStrp(offset: number): string {
    return stringAt(this.lineStr, offset, this.where(this.sections.names.lineStr));
  }
  /** The .debug_str offset of string index `index` of a unit whose contribution starts at `base`. */
  strxOffset(base: number, index: number, offsetSize: number): number {
    const so = this.strOffsets;
    const at = base + index * offsetSize;
    if (at + offsetSize > so.length) throw this.error(this.sections.names.strOffsets, at, `is past the end of the section (size 0x${so.length.toString(16)}): string index ${index} with DW_AT_str_offsets_base 0x${base.toString(16)} is corrupt`);
    if (offsetSize === 4) return so.readUInt32LE(at);
    const v = so.readBigUInt64LE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(this.sections.names.strOffsets, at, 'holds an offset beyond 2^53');
    return Number(v);
  }

  /**
   * DW_AT_str_offsets_base of a unit, read from the attributes of its root DIE at buf[pos] without
   * decoding anything else. Without the attribute (split units, or none needed): the first entry
   * after a DWARF 5 contribution header, or 0 for the pre-standard GNU split DWARF.
   */
  strOffsetsBase(buf: Buffer, pos: number, forms: number[], attrs: number[], enc: Encoding): number {
    for (let i = 0; i < attrs.length; i++) {
      let form = forms[i];
      if (form === DW_FORM.indirect) {
        let f = 0;
        let mul = 1;
        let b: number;
        do {
          b = buf[pos++];
          f += (b & 0x7f) * mul;
          mul *= 128;
        } while (b & 0x80);
        form = f;
      }
      if (attrs[i] === DW_AT.str_offsets_base && form === DW_FORM.sec_offset) {
        return enc.offsetSize === 4 ? buf.readUInt32LE(pos) : Number(buf.readBigUInt64LE(pos));
      }
      const n = fixedFormSize(form, enc);
      pos = n >= 0 ? pos + n : skipVariable(buf, pos, form, enc);
    }
    return enc.version >= 5 ? (enc.offsetSize === 4 ? 8 : 16) : 0;
  }
}
