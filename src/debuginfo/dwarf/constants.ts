// DWARF constants (DWARF 5 standard, section 7, plus the GNU extensions GCC emits). Only what the reader
// uses or names in messages; the tables map codes back to names for errors.

export const DW_TAG = {
  array_type: 0x01,
  class_type: 0x02,
  enumeration_type: 0x04,
  member: 0x0d,
  pointer_type: 0x0f,
  reference_type: 0x10,
  compile_unit: 0x11,
  structure_type: 0x13,
  subroutine_type: 0x15,
  typedef: 0x16,
  union_type: 0x17,
  inheritance: 0x1c,
  subrange_type: 0x21,
  ptr_to_member_type: 0x1f,
  base_type: 0x24,
  const_type: 0x26,
  enumerator: 0x28,
  subprogram: 0x2e,
  variable: 0x34,
  volatile_type: 0x35,
  restrict_type: 0x37,
  namespace: 0x39,
  unspecified_type: 0x3b,
  partial_unit: 0x3c,
  imported_unit: 0x3d,
  shared_type: 0x40,
  type_unit: 0x41,
  rvalue_reference_type: 0x42,
  atomic_type: 0x47,
  immutable_type: 0x4b,
  skeleton_unit: 0x4a,
} as const;

export const DW_AT = {
  sibling: 0x01,
  location: 0x02,
  name: 0x03,
  byte_size: 0x0b,
  bit_offset: 0x0c,
  bit_size: 0x0d,
  lower_bound: 0x22,
  upper_bound: 0x2f,
  const_value: 0x1c,
  count: 0x37,
  data_member_location: 0x38,
  declaration: 0x3c,
  encoding: 0x3e,
  type: 0x49,
  data_bit_offset: 0x6b,
  str_offsets_base: 0x72,
  addr_base: 0x73,
  rnglists_base: 0x74,
  loclists_base: 0x8c,
} as const;

export const DW_FORM = {
  addr: 0x01,
  block2: 0x03,
  block4: 0x04,
  data2: 0x05,
  data4: 0x06,
  data8: 0x07,
  string: 0x08,
  block: 0x09,
  block1: 0x0a,
  data1: 0x0b,
  flag: 0x0c,
  sdata: 0x0d,
  strp: 0x0e,
  udata: 0x0f,
  ref_addr: 0x10,
  ref1: 0x11,
  ref2: 0x12,
  ref4: 0x13,
  ref8: 0x14,
  ref_udata: 0x15,
  indirect: 0x16,
  sec_offset: 0x17,
  exprloc: 0x18,
  flag_present: 0x19,
  strx: 0x1a,
  addrx: 0x1b,
  ref_sup4: 0x1c,
  strp_sup: 0x1d,
  data16: 0x1e,
  line_strp: 0x1f,
  ref_sig8: 0x20,
  implicit_const: 0x21,
  loclistx: 0x22,
  rnglistx: 0x23,
  ref_sup8: 0x24,
  strx1: 0x25,
  strx2: 0x26,
  strx3: 0x27,
  strx4: 0x28,
  addrx1: 0x29,
  addrx2: 0x2a,
  addrx3: 0x2b,
  addrx4: 0x2c,
  GNU_addr_index: 0x1f01,
  GNU_str_index: 0x1f02,
  GNU_ref_alt: 0x1f20,
  GNU_strp_alt: 0x1f21,
} as const;

export const DW_UT = {
  compile: 0x01,
  type: 0x02,
  partial: 0x03,
  skeleton: 0x04,
  split_compile: 0x05,
  split_type: 0x06,
} as const;

export const DW_ATE = {
  address: 0x1,
  boolean: 0x2,
  complex_float: 0x3,
  float: 0x4,
  signed: 0x5,
  signed_char: 0x6,
  unsigned: 0x7,
  unsigned_char: 0x8,
  UTF: 0x10,
} as const;

export const DW_OP = {
  plus_uconst: 0x23,
  constu: 0x10,
  consts: 0x11,
  lit0: 0x30,
  lit31: 0x4f,
} as const;

function invert(t: Record<string, number>, prefix: string): Map<number, string> {
  return new Map(Object.entries(t).map(([k, v]) => [v, prefix + k]));
}
const TAG_NAMES = invert(DW_TAG, 'DW_TAG_');
const AT_NAMES = invert(DW_AT, 'DW_AT_');
const FORM_NAMES = invert(DW_FORM, 'DW_FORM_');
const UT_NAMES = invert(DW_UT, 'DW_UT_');

const hex = (v: number) => `0x${v.toString(16)}`;
export const tagName = (v: number) => TAG_NAMES.get(v) ?? `DW_TAG ${hex(v)}`;
export const atName = (v: number) => AT_NAMES.get(v) ?? `DW_AT ${hex(v)}`;
export const formName = (v: number) => FORM_NAMES.get(v) ?? `DW_FORM ${hex(v)}`;
export const utName = (v: number) => UT_NAMES.get(v) ?? `DW_UT ${hex(v)}`;
