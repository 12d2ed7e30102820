// The DWARF reader on hand-assembled DWARF: the forms, unit kinds and encodings no compiler on this
// machine emits (DW_FORM_indirect, data16, strx1-4 with DW_AT_str_offsets_base, ref_udata, ref_addr
// across units, 64-bit DWARF 4, DWARF 2 and 3 headers, type and skeleton units, ref_sig8), and the
// errors for what it cannot read. Codes are written from the DWARF 5 standard, not from the reader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memorySections, openDwarfSections } from '../../src/debuginfo/dwarf/index.js';
import { findMember, type KType, resolve, sizeOf } from '../../src/debuginfo/types.js';
import { type AbbrevSpec, buildDwarf, type DieSpec, type UnitSpec, uleb } from '../helpers/dwarf-builder.js';

// DWARF 5 standard, section 7.5.
const TAG = { array: 0x01, enum: 0x04, member: 0x0d, pointer: 0x0f, cu: 0x11, struct: 0x13, typedef: 0x16, union: 0x17, subrange: 0x21, base: 0x24, const: 0x26, enumerator: 0x28, subprogram: 0x2e, variable: 0x34, volatile: 0x35, type_unit: 0x41, skeleton: 0x4a } as const;
const AT = { sibling: 0x01, name: 0x03, byte_size: 0x0b, bit_offset: 0x0c, bit_size: 0x0d, const_value: 0x1c, lower_bound: 0x22, upper_bound: 0x2f, count: 0x37, data_member_location: 0x38, declaration: 0x3c, encoding: 0x3e, type: 0x49, data_bit_offset: 0x6b, str_offsets_base: 0x72, low_pc: 0x11, ranges: 0x55, location: 0x02 } as const;
const FORM = { addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11, ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18, flag_present: 0x19, strx: 0x1a, addrx: 0x1b, data16: 0x1e, line_strp: 0x1f, ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, strx1: 0x25, strx2: 0x26, strx3: 0x27, strx4: 0x28 } as const;
const ATE = { signed: 0x05, unsigned: 0x07 } as const;
const OP_plus_uconst = 0x23;
// Three decoy .debug_str_offsets entries come first: the unit's entries start at 8 + 3 * 4 + 8.
const PAD = 3;
const STR_BASE = 28;

function open(tables: Map<number, AbbrevSpec>[], units: UnitSpec[], strOffsetsPad = 0) {
  const d = buildDwarf(tables, units, strOffsetsPad);
  return { src: openDwarfSections(memorySections('test.o', d), { cache: false }), d };
}

function struct(t: KType | undefined) {
  assert.ok(t, 'type not found');
  const r = resolve(t);
  assert.ok(r.kind === 'struct' || r.kind === 'union', `expected a struct, got ${r.kind}`);
  return r;
}

describe('DWARF reader on hand-built DWARF 5 (strx, implicit_const, data16, indirect, ref_udata, ref_addr)', () => {
  // Table 0: the forms under test.
  const t0 = new Map<number, AbbrevSpec>([
    [1, { tag: TAG.cu, children: true, attrs: [[AT.name, FORM.line_strp], [AT.str_offsets_base, FORM.sec_offset], [AT.low_pc, FORM.addr], [AT.ranges, FORM.rnglistx]] }],
    [2, { tag: TAG.base, children: false, attrs: [[AT.name, FORM.strx1], [AT.byte_size, FORM.implicit_const, 4n], [AT.encoding, FORM.data1]] }],
    [3, { tag: TAG.struct, children: true, attrs: [[AT.name, FORM.strx2], [AT.byte_size, FORM.udata], [AT.sibling, FORM.ref_udata]] }],
    [4, { tag: TAG.member, children: false, attrs: [[AT.name, FORM.strx3], [AT.type, FORM.ref_udata], [AT.data_member_location, FORM.indirect]] }],
    [5, { tag: TAG.member, children: false, attrs: [[AT.name, FORM.strx4], [AT.type, FORM.ref_addr], [AT.data_member_location, FORM.exprloc]] }],
    [6, { tag: TAG.enum, children: true, attrs: [[AT.name, FORM.strx], [AT.byte_size, FORM.data1], [AT.encoding, FORM.data1], [AT.sibling, FORM.ref2]] }],
    [7, { tag: TAG.enumerator, children: false, attrs: [[AT.name, FORM.string], [AT.const_value, FORM.data16]] }],
    [8, { tag: TAG.enumerator, children: false, attrs: [[AT.name, FORM.strp], [AT.const_value, FORM.implicit_const, -5n]] }],
    // A subprogram with children and no DW_AT_sibling: the scan must walk its subtree DIE by DIE.
    [9, { tag: TAG.subprogram, children: true, attrs: [[AT.name, FORM.string], [AT.low_pc, FORM.addrx], [AT.location, FORM.loclistx], [AT.byte_size, FORM.block2], [AT.encoding, FORM.block4]] }],
    [10, { tag: TAG.variable, children: false, attrs: [[AT.name, FORM.string], [AT.location, FORM.exprloc], [AT.type, FORM.ref8]] }],
    [11, { tag: TAG.member, children: false, attrs: [[AT.name, FORM.string], [AT.type, FORM.ref1], [AT.data_member_location, FORM.block1]] }],
    [12, { tag: TAG.typedef, children: false, attrs: [[AT.name, FORM.strp], [AT.type, FORM.ref4]] }],
  ]);
  // Table 1 (second unit): a struct declared with DW_FORM_flag, pointers, arrays.
  const t1 = new Map<number, AbbrevSpec>([
    [1, { tag: TAG.cu, children: true, attrs: [[AT.name, FORM.string]] }],
    [2, { tag: TAG.base, children: false, attrs: [[AT.name, FORM.string], [AT.byte_size, FORM.data1], [AT.encoding, FORM.data1]] }],
    [3, { tag: TAG.struct, children: false, attrs: [[AT.name, FORM.strp], [AT.declaration, FORM.flag]] }],
    [4, { tag: TAG.pointer, children: false, attrs: [[AT.type, FORM.ref4]] }],
    [5, { tag: TAG.array, children: true, attrs: [[AT.type, FORM.ref4]] }],
    [6, { tag: TAG.subrange, children: false, attrs: [[AT.lower_bound, FORM.data1], [AT.upper_bound, FORM.data1]] }],
    [7, { tag: TAG.subrange, children: false, attrs: [[AT.upper_bound, FORM.exprloc]] }],
    [8, { tag: TAG.struct, children: true, attrs: [[AT.name, FORM.strp], [AT.byte_size, FORM.data2]] }],
    [9, { tag: TAG.member, children: false, attrs: [[AT.name, FORM.string], [AT.type, FORM.ref4], [AT.data_member_location, FORM.data1]] }],
    [10, { tag: TAG.enum, children: true, attrs: [[AT.name, FORM.string], [AT.byte_size, FORM.data1], [AT.type, FORM.ref4]] }],
    [11, { tag: TAG.enumerator, children: false, attrs: [[AT.name, FORM.string], [AT.const_value, FORM.data1]] }],
    [12, { tag: TAG.const, children: false, attrs: [[AT.type, FORM.ref4]] }],
    [13, { tag: TAG.volatile, children: false, attrs: [[AT.type, FORM.ref4]] }],
    [14, { tag: TAG.member, children: false, attrs: [[AT.name, FORM.string], [AT.type, FORM.ref4], [AT.byte_size, FORM.data1], [AT.bit_size, FORM.data1], [AT.bit_offset, FORM.data1], [AT.data_member_location, FORM.data1]] }],
  ]);
  const big = Buffer.alloc(16);
  big.writeBigUInt64LE(0x0123456789abcdefn, 0);
  big.writeBigUInt64LE(0x1n, 8); // 2^64 + 0x0123456789abcdef
  const unit0: UnitSpec = {
    version: 5,
    root: {
      code: 1,
      values: ['dir/a.c', STR_BASE, 0x1000n, 0],
      children: [
        { code: 2, label: 'int', values: ['int', undefined as never, ATE.signed] },
        {
          code: 9,
          values: ['func', 3, 1, Buffer.from([1, 2, 3]), Buffer.from([4, 5])],
          children: [{ code: 10, values: ['local', Buffer.from([0x91, 0x10]), { ref: 'int' }] }],
        },
        {
          code: 3,
          label: 'pair',
          values: ['pair', 24, { ref: 'after_pair' }],
          children: [
            { code: 4, values: ['first', { ref: 'int' }, { form: FORM.data2, value: 0 }] },
            { code: 5, values: ['second', { ref: 'u1_int' }, Buffer.from([OP_plus_uconst, ...uleb(8)])] },
            { code: 11, values: ['third', { ref: 'int' }, Buffer.from([OP_plus_uconst, 16])] },
          ],
        },
        {
          code: 6,
          label: 'after_pair',
          values: ['wide', 16, ATE.unsigned, { ref: 'after_wide' }],
          children: [
            { code: 7, values: ['W_BIG', big] },
            { code: 8, values: ['W_NEG', undefined as never] },
          ],
        },
        { code: 12, label: 'after_wide', values: ['pair_t', { ref: 'pair' }] },
      ],
    },
  };
  const unit1: UnitSpec = {
    version: 5,
    table: 1,
    root: {
      code: 1,
      values: ['b.c'],
      children: [
        { code: 2, label: 'u1_int', values: ['long int', 8, ATE.signed] },
        { code: 2, label: 'u1_char', values: ['char', 1, ATE.signed] },
        { code: 3, label: 'decl', values: ['pair', true] },
        { code: 4, label: 'ptr', values: [{ ref: 'decl' }] },
        { code: 13, label: 'vol', values: [{ ref: 'cst' }] },
        { code: 12, label: 'cst', values: [{ ref: 'u1_char' }] },
        { code: 5, label: 'arr', values: [{ ref: 'vol' }], children: [{ code: 6, values: [1, 4] }, { code: 6, values: [0, 255] }] },
        { code: 5, label: 'vla', values: [{ ref: 'u1_char' }], children: [{ code: 7, values: [Buffer.from([0x30])] }] },
        {
          code: 8,
          values: ['holder', 1040],
          children: [
            { code: 9, values: ['p', { ref: 'ptr' }, 0] },
            { code: 9, values: ['a', { ref: 'arr' }, 8] },
            { code: 9, values: ['v', { ref: 'vla' }, 1032] },
            // Old-style bitfield: 3 bits, 5 bits below the top of a 4-byte unit at 1036 -> LSB bit 24.
            { code: 14, values: ['bf', { ref: 'u1_int' }, 4, 3, 5, 36] },
          ],
        },
        { code: 10, values: ['small', 1, { ref: 'u1_char' }], children: [{ code: 11, values: ['S_M1', 0xff] }, { code: 11, values: ['S_1', 1] }] },
      ],
    },
  };

  it('resolves strx1-4/strx through DW_AT_str_offsets_base, line_strp, implicit_const, indirect and expression locations', () => {
    const { src } = open([t0, t1], [unit0, unit1], PAD);
    assert.deepEqual(src.index.units.length, 2);
    const int = src.findType('int', 'base');
    assert.deepEqual(int, { kind: 'base', name: 'int', size: 4, signed: true });
    const pair = struct(src.findType('pair', 'struct'));
    assert.equal(pair.size, 24);
    assert.deepEqual(pair.members.map((m) => [m.name, m.offset, sizeOf(m.type)]), [['first', 0, 4], ['second', 8, 8], ['third', 16, 4]]);
    // `second` is typed through DW_FORM_ref_addr into the other unit.
    assert.equal(resolve(pair.members[1].type).kind, 'base');
    assert.equal((resolve(pair.members[1].type) as { name: string }).name, 'long int');
    const td = src.findType('pair_t', 'typedef');
    assert.equal(td?.kind === 'typedef' && td.target, pair);
  });

  it('reads data16 and implicit_const enumerators and skips DIEs without DW_AT_sibling', () => {
    const { src } = open([t0, t1], [unit0, unit1], PAD);
    assert.equal(src.findEnumerator('W_BIG'), (1n << 64n) + 0x0123456789abcdefn);
    assert.equal(src.findEnumerator('W_NEG'), -5n);
    assert.equal(src.findType('func', 'struct'), undefined);
    assert.equal(src.findType('local', 'typedef'), undefined);
  });

  it('completes a declaration (DW_FORM_flag) from another unit and nests arrays with lower bounds', () => {
    const { src, d } = open([t0, t1], [unit0, unit1], PAD);
    const holder = struct(src.findType('holder', 'struct'));
    const p = findMember(holder, 'p')!;
    const target = p.type.kind === 'pointer' ? p.type.target : undefined;
    assert.equal(target, src.findType('pair', 'struct'), 'the declared struct pair resolves to its definition');
    assert.equal(p.type.kind === 'pointer' && p.type.size, 8);
    const a = findMember(holder, 'a')!.type;
    assert.ok(a.kind === 'array');
    assert.equal(a.count, 4); // [1..4]
    assert.ok(a.element.kind === 'array');
    assert.equal(a.element.count, 256); // [0..255] in a data1 form: 256 elements, not -1
    assert.equal(resolve(a.element.element).kind, 'base', 'const volatile char is char');
    assert.equal(sizeOf(a), 1024);
    const v = findMember(holder, 'v')!.type;
    assert.ok(v.kind === 'array' && v.count === undefined, 'a bound computed at run time gives no count');
    const bf = findMember(holder, 'bf')!;
    // 32 - 5 - 3 = bit 24 of the 4-byte unit at 36; reported in the 8-byte unit of `long int` at 32.
    assert.deepEqual([bf.offset, bf.bitOffset, bf.bitSize], [32, 56, 3]);
    assert.equal(src.typeAtOffset(d.labels.get('decl')!), src.findType('pair', 'struct'));
  });

  it('takes the sign of data-form enumerators from the enum (DW_AT_type without DW_AT_encoding)', () => {
    const { src } = open([t0, t1], [unit0, unit1], PAD);
    assert.equal(src.findEnumerator('S_M1'), -1n);
    assert.equal(src.findEnumerator('S_1'), 1n);
    const e = src.findType('small', 'enum');
    assert.ok(e?.kind === 'enum' && e.signed && e.size === 1);
  });
});

describe('DWARF reader on hand-built unit headers', () => {
  const tbl = (nameForm: number) =>
    new Map<number, AbbrevSpec>([
      [1, { tag: TAG.cu, children: true, attrs: [[AT.name, FORM.string]] }],
      [2, { tag: TAG.base, children: false, attrs: [[AT.name, nameForm], [AT.byte_size, FORM.data1], [AT.encoding, FORM.data1]] }],
      [3, { tag: TAG.struct, children: true, attrs: [[AT.name, nameForm], [AT.byte_size, FORM.data1]] }],
      [4, { tag: TAG.member, children: false, attrs: [[AT.name, FORM.string], [AT.type, FORM.ref_addr], [AT.data_member_location, FORM.sdata]] }],
    ]);
  const cu = (name: string, size: number, ...kids: DieSpec[]): DieSpec => ({
    code: 1,
    values: ['x.c'],
    children: [{ code: 2, label: `${name}_int`, values: [`${name}_int`, size, ATE.signed] }, ...kids],
  });
  const structOf = (name: string, intLabel: string): DieSpec => ({ code: 3, values: [name, 16], children: [{ code: 4, values: ['m', { ref: intLabel }, 8] }] });

  it('reads 64-bit DWARF 4, DWARF 3 and DWARF 2 (ref_addr of address size) units', () => {
    const { src } = open(
      [tbl(FORM.strp)],
      [
        { version: 4, format64: true, root: cu('v4', 8, structOf('s64', 'v4_int')) },
        { version: 3, root: cu('v3', 4, structOf('s3', 'v3_int')) },
        { version: 2, addrSize: 4, root: cu('v2', 2, structOf('s2', 'v2_int')) },
      ],
    );
    for (const [s, size] of [['s64', 8], ['s3', 4], ['s2', 2]] as const) {
      const t = struct(src.findType(s, 'struct'));
      assert.deepEqual([t.members[0].name, t.members[0].offset, sizeOf(t.members[0].type)], ['m', 8, size], s);
    }
  });

  it('skips type and skeleton units cleanly and reports a DW_FORM_ref_sig8 reference clearly', () => {
    const t = new Map<number, AbbrevSpec>([
      [1, { tag: TAG.cu, children: true, attrs: [[AT.name, FORM.string]] }],
      [2, { tag: TAG.struct, children: true, attrs: [[AT.name, FORM.string], [AT.byte_size, FORM.data1]] }],
      [3, { tag: TAG.member, children: false, attrs: [[AT.name, FORM.string], [AT.type, FORM.ref_sig8], [AT.data_member_location, FORM.data1]] }],
      [4, { tag: TAG.type_unit, children: true, attrs: [] }],
      [5, { tag: TAG.skeleton, children: false, attrs: [[AT.name, FORM.string]] }],
    ]);
    const { src } = open(
      [t],
      [
        { version: 5, unitType: 2, typeSignature: 0x1122334455667788n, typeLabel: 'hidden', root: { code: 4, values: [], children: [{ code: 2, label: 'hidden', values: ['hidden', 4], children: [] }] } },
        { version: 5, unitType: 4, root: { code: 5, values: ['skeleton.c'] } },
        { version: 5, root: { code: 1, values: ['main.c'], children: [{ code: 2, values: ['visible', 8], children: [{ code: 3, values: ['h', 0x1122334455667788n, 0] }] }] } },
      ],
    );
    assert.equal(src.index.units.length, 1, 'only the compile unit is indexed');
    assert.equal(src.findType('hidden', 'struct'), undefined);
    const v = struct(src.findType('visible', 'struct'));
    assert.deepEqual(v.members.map((m) => [m.name, m.offset]), [['h', 0]], 'the layout is readable; only following the reference fails');
    assert.throws(() => v.members[0].type, /test\.o: \.debug_info at 0x[0-9a-f]+ DIE refers to a type unit by signature 0x1122334455667788.*-fdebug-types-section/);
  });

  it('rejects DWARF version 6 naming the file, section and offset', () => {
    const { src } = open([tbl(FORM.string)], [{ version: 5, root: cu('a', 4) }, { version: 5, rawVersion: 6, root: cu('b', 4) }]);
    assert.throws(() => src.index, /^DwarfError: test\.o: \.debug_info at 0x[1-9a-f][0-9a-f]* unit has DWARF version 6; only versions 2 to 5 are supported \(use --types btf/m);
  });

  it('reports an undefined abbreviation code and an unknown form', () => {
    const good = buildDwarf([tbl(FORM.string)], [{ version: 5, root: cu('a', 4) }]);
    const badCode = Buffer.from(good.info);
    // The first child DIE (after the 12-byte header and the root DIE "x.c"): code 2 -> 9.
    const at = 12 + 1 + 4;
    assert.equal(badCode[at], 2);
    badCode[at] = 9;
    const s1 = openDwarfSections(memorySections('bad.o', { ...good, info: badCode }), { cache: false });
    assert.throws(() => s1.index, /bad\.o: \.debug_info at 0x11 DIE uses abbreviation code 9, which the table at \.debug_abbrev 0x0 .* does not define/);
    const badForm = Buffer.from(good.abbrev);
    // Abbreviation 2's first attribute form (DW_FORM_string, 0x08) -> 0x7f, which DWARF does not define.
    const i = badForm.indexOf(Buffer.from([2, TAG.base, 0, AT.name, FORM.string]));
    badForm[i + 4] = 0x7f;
    const s2 = openDwarfSections(memorySections('bad.o', { ...good, abbrev: badForm }), { cache: false });
    assert.throws(() => s2.index, /bad\.o: \.debug_abbrev at 0x0 table uses the unknown attribute form DW_FORM 0x7f/);
  });

  it('reports a unit running past the end of the section', () => {
    const good = buildDwarf([tbl(FORM.string)], [{ version: 5, root: cu('a', 4) }]);
    const cut = good.info.subarray(0, good.info.length - 3);
    const s = openDwarfSections(memorySections('cut.o', { ...good, info: cut }), { cache: false });
    assert.throws(() => s.index, /cut\.o: \.debug_info at 0x0 unit claims 0x[0-9a-f]+ bytes, past the end of the section/);
  });
});
