// Unit headers of .debug_info (DWARF 2-5, 32- and 64-bit formats).
import { DW_UT, utName } from './constants.js';
import { type Where } from './errors.js';
import { Reader } from './reader.js';

/** What the size of forms depends on. */
export interface Encoding {
  version: number;
  addrSize: number;
  /** 4 in 32-bit DWARF, 8 in 64-bit DWARF. */
  offsetSize: number;
}

export interface UnitHeader extends Encoding {
  /** Section offset of the unit header. */
  offset: number;
  /** Section offset just past the unit. */
  end: number;
  unitType: number;
  abbrevOffset: number;
  /** Section offset of the unit's root DIE. */
  dieOffset: number;
}

export function encodingKey(e: Encoding): string {
  return `${e.version < 3 ? 2 : 3}/${e.addrSize}/${e.offsetSize}`;
}

/** Units whose DIEs are ordinary debug info; type units are reached only by signature, skeletons hold nothing. */
export function isContentUnit(h: UnitHeader): boolean {
  return h.unitType === DW_UT.compile || h.unitType === DW_UT.partial || h.unitType === DW_UT.split_compile;
}

/**
 * Parses the header at buf[pos] (buf[0] is section offset `base`). `sectionEnd` is the section size:
 * a unit claiming to run past it is an error, not a silent truncation.
 */
export function parseUnitHeader(buf: Buffer, pos: number, base: number, sectionEnd: number, where: Where): UnitHeader {
  const r = new Reader(buf, pos, base, where);
  const offset = r.offset;
  const unitWhere = (what: string) => r.error(what, offset);
  let length = r.u32();
  let offsetSize = 4;
  if (length === 0xffffffff) {
    length = r.u64();
    offsetSize = 8;
  } else if (length >= 0xfffffff0) {
    throw unitWhere(`unit has the reserved unit_length 0x${length.toString(16)}: not DWARF, or corrupt`);
  }
  const end = r.offset + length;
  if (end > sectionEnd) throw unitWhere(`unit claims 0x${length.toString(16)} bytes, past the end of the section (0x${sectionEnd.toString(16)}): the file is truncated or corrupt`);
  const version = r.u16();
  if (version < 2 || version > 5) throw unitWhere(`unit has DWARF version ${version}; only versions 2 to 5 are supported (use --types btf, or debug info built with -gdwarf-5 or older)`);
  let unitType: number = DW_UT.compile;
  let addrSize: number;
  let abbrevOffset: number;
  if (version >= 5) {
    unitType = r.u8();
    addrSize = r.u8();
    abbrevOffset = r.offsetOf(offsetSize);
    switch (unitType) {
      case DW_UT.compile:
      case DW_UT.partial:
        break;
      case DW_UT.skeleton:
      case DW_UT.split_compile:
        r.skip(8); // dwo_id
        break;
      case DW_UT.type:
      case DW_UT.split_type:
        r.skip(8 + offsetSize); // type_signature, type_offset
        break;
      default:
        throw unitWhere(`unit has unknown unit type ${utName(unitType)}; it cannot be skipped safely`);
    }
  } else {
    abbrevOffset = r.offsetOf(offsetSize);
    addrSize = r.u8();
  }
  if (addrSize !== 4 && addrSize !== 8 && addrSize !== 2) throw unitWhere(`unit has address size ${addrSize}; only 2, 4 and 8 are supported`);
  if (r.offset >= end) throw unitWhere(`unit is too short (0x${length.toString(16)} bytes) to hold its header and a DIE: corrupt DWARF`);
  return { offset, end, version, unitType, addrSize, offsetSize, abbrevOffset, dieOffset: r.offset };
}

/** Bytes needed to parse any unit header (64-bit DWARF 5 type unit: 4+8+2+1+1+8+8+8). */
export const MAX_UNIT_HEADER = 40;
