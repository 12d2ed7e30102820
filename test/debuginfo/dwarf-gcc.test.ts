// The DWARF reader on objects gcc builds at test time from test/fixtures-src/dwarf-types.c, in every
// flavour gcc can emit: DWARF 2/4/5, 64-bit DWARF, zlib-compressed sections, relocatable objects (ET_REL: relocations applied),
// linked executables carrying .rela.debug_* from --emit-relocs (ET_EXEC: relocations ignored), split
// DWARF (.dwo with DW_FORM_strx) and type units. Ground truth: the same sources compiled into a program
// that prints offsetof/sizeof/enumerator values, and pahole on the very same files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { before, describe, it } from 'node:test';
import { openDwarf } from '../../src/debuginfo/dwarf/index.js';
import { findMember, type KType, resolve, sizeOf } from '../../src/debuginfo/types.js';
import { ElfFile } from '../../src/elf/elf.js';
import { FileSource } from '../../src/io/source.js';
import { layoutDiffs, pahole } from '../helpers/pahole.js';

const SRC = resolvePath('test/fixtures-src');
const TYPES = join(SRC, 'dwarf-types.c');
const DEF = join(SRC, 'dwarf-types-def.c');

let dir: string;
const files: Record<string, string> = {};
/** What the compiler says: "member outer.lo" -> [offset, size], "size outer" -> n, "enum RED" -> value. */
const truth = new Map<string, bigint[]>();

function gcc(out: string, ...args: string[]): string {
  const path = join(dir, out);
  execFileSync('gcc', ['-O0', '-o', path, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qv-dwarf-'));
  files.o2 = gcc('t2.o', '-g', '-gdwarf-2', '-c', TYPES);
  files.o4 = gcc('t4.o', '-g', '-gdwarf-4', '-c', TYPES);
  files.o5 = gcc('t5.o', '-g', '-gdwarf-5', '-c', TYPES);
  files.o5x64 = gcc('t5x64.o', '-g', '-gdwarf-5', '-gdwarf64', '-c', TYPES);
  files.o5z = gcc('t5z.o', '-g', '-gdwarf-5', '-gz=zlib', '-c', TYPES);
  gcc('split.o', '-g', '-gdwarf-5', '-gsplit-dwarf', '-c', TYPES);
  files.dwo = join(dir, 'split.dwo');
  const exe = (v: string) => ['-g', `-gdwarf-${v}`, '-DLAYOUT_MAIN', '-no-pie', '-Wl,--emit-relocs', '-Wl,--build-id=sha1', TYPES, DEF];
  files.exe4 = gcc('layout4', ...exe('4'));
  files.exe5 = gcc('layout5', ...exe('5'));
  files.tu5 = gcc('tu5', '-g', '-gdwarf-5', '-fdebug-types-section', '-DLAYOUT_MAIN', TYPES, DEF);
  files.tu5o = gcc('tu5.o', '-g', '-gdwarf-5', '-fdebug-types-section', '-c', TYPES);
  for (const line of execFileSync(files.exe5, { encoding: 'utf8' }).trim().split('\n')) {
    const [kind, name, ...vals] = line.split(' ');
    truth.set(`${kind} ${name}`, vals.map(BigInt));
  }
});

const open = (f: string, opts = {}) => openDwarf(new ElfFile(new FileSource(f)), { cache: false, ...opts });

function struct(t: KType | undefined, what: string) {
  assert.ok(t, `${what} not found`);
  const r = resolve(t);
  assert.ok(r.kind === 'struct' || r.kind === 'union', `${what} is a ${r.kind}`);
  return r;
}

/** Checks every line the layout program printed; `linked` files also define struct fwd_only. */
function checkTruth(f: string, linked: boolean) {
  const src = open(f);
  let checked = 0;
  for (const [key, vals] of truth) {
    const [kind, name] = key.split(' ');
    if (!linked && name.startsWith('fwd_only')) continue;
    if (kind === 'member') {
      const [s, m] = name.split('.');
      const mem = findMember(struct(src.findType(s, 'struct'), s), m);
      assert.ok(mem, `${f}: ${name} not found`);
      assert.deepEqual([BigInt(mem.offset), BigInt(sizeOf(mem.type))], vals, `${f}: ${name} offset and size`);
    } else if (kind === 'size') {
      const t = src.findType(name, 'struct') ?? src.findType(name, 'union') ?? src.findType(name, 'enum');
      assert.ok(t, `${f}: type ${name} not found`);
      assert.equal(BigInt(sizeOf(t)), vals[0], `${f}: sizeof ${name}`);
    } else if (kind === 'enum') {
      assert.equal(src.findEnumerator(name), vals[0], `${f}: enumerator ${name}`);
    }
    checked++;
  }
  assert.ok(checked > 40, `only ${checked} facts checked`);
}

const VARIANTS: [string, boolean][] = [
  ['o2', false],
  ['o4', false],
  ['o5', false],
  ['o5x64', false],
  ['o5z', false],
  ['dwo', false],
  ['exe4', true],
  ['exe5', true],
];

describe('DWARF reader against the compiler (offsetof, sizeof, enumerator values)', () => {
  for (const [v, linked] of VARIANTS) it(`${v}: every offset, size and enumerator the layout program prints`, () => checkTruth(files[v], linked));
});

describe('DWARF reader against pahole on the same files', () => {
  const names: [string, 'struct' | 'union'][] = [['outer', 'struct'], ['inner', 'struct'], ['bits', 'struct'], ['zero_len', 'struct'], ['packed_bits', 'struct'], ['u', 'union']];
  for (const [v] of VARIANTS) {
    it(`${v}: layouts of ${names.map((n) => n[0]).join(', ')} (bitfields, anonymous unions, flexible and zero-length arrays)`, () => {
      const src = open(files[v]);
      for (const [name, kind] of names) {
        const t = src.findType(name, kind);
        assert.ok(t, `${name} not found`);
        assert.deepEqual(layoutDiffs(t, pahole(files[v], name)), [], `${v} ${name}`);
      }
    });
  }
});

describe('DWARF reader: type shapes of dwarf-types.c', () => {
  it('nests multi-dimensional arrays, keeps flexible arrays countless and zero-length arrays at 0', () => {
    const src = open(files.exe5);
    const outer = struct(src.findType('outer', 'struct'), 'outer');
    const grid = findMember(outer, 'grid')!.type;
    assert.ok(grid.kind === 'array' && grid.count === 3);
    assert.ok(grid.element.kind === 'array' && grid.element.count === 4);
    assert.ok(grid.element.element.kind === 'array' && grid.element.element.count === 5);
    assert.deepEqual(resolve(grid.element.element.element), { kind: 'base', name: 'int', size: 4, signed: true });
    const tail = findMember(outer, 'tail')!.type;
    assert.ok(tail.kind === 'array' && tail.count === undefined, 'u32_alias tail[] is flexible');
    const data = findMember(struct(src.findType('zero_len', 'struct'), 'zero_len'), 'data')!.type;
    assert.ok(data.kind === 'array' && data.count === 0, 'char data[0] has 0 elements');
  });

  it('follows typedef chains through const/volatile/_Atomic/restrict without representing them', () => {
    const src = open(files.exe5);
    const outer = struct(src.findType('outer', 'struct'), 'outer');
    // volatile cv_u32 counter; cv_u32 = const volatile u32_alias; u32_alias = u32_t; u32_t = unsigned int
    const chain: string[] = [];
    let t = findMember(outer, 'counter')!.type;
    while (t.kind === 'typedef') {
      chain.push(t.name);
      t = t.target;
    }
    assert.deepEqual(chain, ['cv_u32', 'u32_alias', 'u32_t']);
    assert.deepEqual(t, { kind: 'base', name: 'unsigned int', size: 4, signed: false });
    const names = findMember(outer, 'names')!.type; // const char *const names[2]
    assert.ok(names.kind === 'array' && names.count === 2 && names.element.kind === 'pointer');
    assert.equal(resolve(names.element.target).kind === 'base' && (resolve(names.element.target) as { name: string }).name, 'char');
    const rp = findMember(outer, 'rp')!.type; // int *restrict
    assert.ok(rp.kind === 'pointer' && rp.size === 8 && rp.target.kind === 'base');
    const atomics = struct(src.findType('atomics', 'struct'), 'atomics');
    assert.equal(resolve(findMember(atomics, 'ai')!.type).kind, 'base');
    const ap = findMember(atomics, 'ap')!.type;
    assert.ok(ap.kind === 'pointer' && ap.target === src.findType('inner', 'struct'));
  });

  it('types function pointers as pointers to functions, _Bool as bool and enums with their sign', () => {
    const src = open(files.exe5);
    const outer = struct(src.findType('outer', 'struct'), 'outer');
    const handler = findMember(outer, 'handler')!.type;
    assert.ok(handler.kind === 'typedef' && handler.name === 'handler_t' && handler.target.kind === 'pointer');
    assert.equal(handler.target.target.kind, 'function');
    const cb = findMember(outer, 'callback')!.type;
    assert.ok(cb.kind === 'pointer' && cb.target.kind === 'function');
    const g = findMember(struct(src.findType('bits', 'struct'), 'bits'), 'g')!;
    assert.deepEqual(resolve(g.type), { kind: 'base', name: '_Bool', size: 1, signed: false, bool: true });
    const color = src.findType('color', 'enum');
    assert.ok(color?.kind === 'enum' && color.signed && color.enumerators.get('RED') === -3n);
    const flags = src.findType('flagsu', 'enum');
    assert.ok(flags?.kind === 'enum' && !flags.signed && flags.enumerators.get('F_HIGH') === 0x80000000n);
    const anon = findMember(outer, 'named')!.type;
    assert.ok(anon.kind === 'struct' && anon.name === undefined);
    assert.equal(outer.members[1].name, undefined, 'the anonymous union is a member without a name');
  });

  it('never returns a declaration: struct fwd_only resolves to the definition in the other unit', () => {
    const linked = open(files.exe5);
    const def = struct(linked.findType('fwd_only', 'struct'), 'fwd_only');
    assert.equal(def.declaration, undefined);
    assert.equal(BigInt(def.size), truth.get('size fwd_only')![0]);
    const outer = struct(linked.findType('outer', 'struct'), 'outer');
    const fwd = findMember(outer, 'fwd')!.type;
    assert.ok(fwd.kind === 'pointer' && fwd.target === def, 'the declaration in the first unit resolves to the definition');
    const fwd2 = findMember(outer, 'fwd2')!.type; // fwd_t *, fwd_t = struct fwd_only
    assert.ok(fwd2.kind === 'pointer' && fwd2.target.kind === 'typedef' && fwd2.target.target === def);

    const single = open(files.o5); // one unit: only the declaration exists
    assert.equal(single.findType('fwd_only', 'struct'), undefined);
    const decl = findMember(struct(single.findType('outer', 'struct'), 'outer'), 'fwd')!.type;
    assert.ok(decl.kind === 'pointer' && decl.target.kind === 'struct' && decl.target.declaration === true && decl.target.size === 0);
  });
});

describe('DWARF reader: relocations, type units and split DWARF', () => {
  it('applies .rela.debug_* of ET_REL objects: without them the names are wrong', () => {
    const elf = new ElfFile(new FileSource(files.o5));
    assert.equal(elf.type, 1);
    assert.ok(elf.section('.rela.debug_info'), 'the object has .rela.debug_info');
    assert.ok(open(files.o5).findType('outer', 'struct'));
    const raw = open(files.o5, { relocate: false });
    let found: KType | undefined;
    try {
      found = raw.findType('outer', 'struct');
    } catch {
      found = undefined; // garbage DWARF may also fail loudly
    }
    assert.equal(found, undefined, 'unrelocated DW_FORM_strp offsets all point at the first string');
  });

  it('ignores .rela.debug_* of ET_EXEC files linked with --emit-relocs (their contents are final)', () => {
    const elf = new ElfFile(new FileSource(files.exe5));
    assert.equal(elf.type, 2);
    assert.ok(elf.section('.rela.debug_info'), 'the executable kept .rela.debug_info');
    assert.ok(open(files.exe5).findType('outer', 'struct'));
  });

  it('skips DWARF 5 type units in a linked file and explains unlinked -fdebug-types-section objects', () => {
    const src = open(files.tu5);
    assert.equal(src.index.units.length, 2, 'the two compile units');
    assert.equal(src.findType('outer', 'struct'), undefined, 'struct outer lives in a type unit');
    assert.throws(() => open(files.tu5o), /tu5\.o: \.debug_info appears \d+ times: .*-fdebug-types-section/);
  });

  it('reads a split-DWARF .dwo (DW_UT_split_compile, DW_FORM_strx) and finds nothing in its skeleton', () => {
    assert.ok(open(files.dwo).findType('outer', 'struct'));
    const skeleton = open(join(dir, 'split.o'));
    assert.equal(skeleton.index.units.length, 0);
    assert.equal(skeleton.findType('outer', 'struct'), undefined);
  });

  it('names the file and says what to do when there is no DWARF', () => {
    const stripped = gcc('stripped', '-s', '-DLAYOUT_MAIN', TYPES, DEF);
    assert.throws(() => open(stripped), /stripped: \.debug_info is missing: the file has no DWARF debug info .*-dbg package.*--types btf/);
  });
});
