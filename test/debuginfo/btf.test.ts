// The BTF reader (src/debuginfo/btf/btf.ts) on BTF that pahole encodes at test time (pahole -J) from gcc's DWARF
// of test/fixtures-src/dwarf-types.c and -def.c, base and split (--btf_base). Ground truth: the same sources built
// into a program that prints offsetof/sizeof/enumerator values as the compiler sees them (as the DWARF tests do),
// and pahole's own layouts of the BTF (pahole -F btf). Corrupt BTF is in test/hostile/defects.test.ts and the fuzzer.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { before, describe, it } from 'node:test';
import { BtfTypeSource } from '../../src/debuginfo/btf/btf.js';
import { findMember, type KType, resolve, sizeOf } from '../../src/debuginfo/types.js';
import { ElfFile } from '../../src/elf/elf.js';
import { FileSource } from '../../src/io/source.js';
import { layoutDiffs, parsePahole } from '../helpers/pahole.js';

const SRC = resolvePath('test/fixtures-src');
const TYPES = join(SRC, 'dwarf-types.c');
const DEF = join(SRC, 'dwarf-types-def.c');
let dir: string;
let baseObj: string;
let modObj: string;
let base: BtfTypeSource;
let split: BtfTypeSource;
const truth = new Map<string, bigint[]>();

function btfSection(file: string): Buffer {
  const elf = new ElfFile(new FileSource(file));
  const s = elf.section('.BTF');
  assert.ok(s, `${file} has no .BTF`);
  return Buffer.from(elf.sectionSource(s).read(0, s.size));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qv-btf-'));
  baseObj = join(dir, 'types.o');
  modObj = join(dir, 'def.o');
  execFileSync('gcc', ['-O0', '-g', '-c', '-o', baseObj, TYPES]);
  execFileSync('gcc', ['-O0', '-g', '-c', '-o', modObj, DEF]);
  execFileSync('pahole', ['-J', baseObj], { stdio: 'ignore' });
  execFileSync('pahole', ['-J', `--btf_base=${baseObj}`, modObj], { stdio: 'ignore' });
  const exe = join(dir, 'layout');
  execFileSync('gcc', ['-O0', '-g', '-DLAYOUT_MAIN', '-o', exe, TYPES, DEF]);
  for (const line of execFileSync(exe, { encoding: 'utf8' }).trim().split('\n')) {
    const [kind, name, ...vals] = line.split(' ');
    truth.set(`${kind} ${name}`, vals.map(BigInt));
  }
  base = new BtfTypeSource(btfSection(baseObj), 'BTF of types.o');
  split = new BtfTypeSource(btfSection(modObj), 'split BTF of def.o', base);
});

function struct(t: KType | undefined, what: string) {
  assert.ok(t, `${what} not found`);
  const r = resolve(t);
  assert.ok(r.kind === 'struct' || r.kind === 'union', `${what} is a ${r.kind}`);
  return r;
}

describe('BTF reader against the compiler (offsetof, sizeof, enumerator values)', () => {
  it('every offset, size and enumerator the layout program prints for dwarf-types.c', () => {
    let checked = 0;
    for (const [key, vals] of truth) {
      const [kind, name] = key.split(' ');
      if (name.startsWith('fwd_only')) continue; // defined in the other file: checked through the split BTF
      // pahole 1.24 cannot encode DW_TAG_atomic_type ("tag not supported 0x47"): its BTF gives the _Atomic members
      // of struct atomics type 0 (void), so their sizes are not the compiler's; the struct's size and offsets still are.
      if (kind === 'member' && name.startsWith('atomics.') && name !== 'atomics.c') {
        const mem = findMember(struct(base.findType('atomics', 'struct'), 'atomics'), name.split('.')[1]);
        assert.equal(BigInt(mem!.offset), vals[0], `${name} offset`);
        checked++;
        continue;
      }
      if (kind === 'member') {
        const [s, m] = name.split('.');
        const mem = findMember(struct(base.findType(s, 'struct'), s), m);
        assert.ok(mem, `${name} not found`);
        // BTF has no bitfield storage units: a bitfield's byte offset is floor(bit offset / 8), its size that of its type.
        if (mem.bitSize) continue;
        assert.deepEqual([BigInt(mem.offset), BigInt(sizeOf(mem.type))], vals, `${name} offset and size`);
      } else if (kind === 'size') {
        const t = base.findType(name, 'struct') ?? base.findType(name, 'union') ?? base.findType(name, 'enum');
        assert.ok(t, `type ${name} not found`);
        assert.equal(BigInt(sizeOf(t)), vals[0], `sizeof ${name}`);
      } else if (kind === 'enum') {
        assert.equal(base.findEnumerator(name), vals[0], `enumerator ${name}`);
      }
      checked++;
    }
    assert.ok(checked > 30, `only ${checked} facts checked`);
  });

  it('split BTF: ids and strings continue the base; its types resolve members of base types', () => {
    assert.ok(split.typeCount > 0 && base.typeCount > 0);
    const facts = [...truth].filter(([k]) => k.includes('fwd_only'));
    assert.ok(facts.length > 0, 'the layout program prints struct fwd_only');
    for (const [key, vals] of facts) {
      const [kind, name] = key.split(' ');
      if (kind === 'member') {
        const [s, m] = name.split('.');
        const mem = findMember(struct(split.findType(s, 'struct'), s), m);
        assert.ok(mem, `${name} in the split BTF`);
        assert.deepEqual([BigInt(mem.offset), BigInt(sizeOf(mem.type))], vals, name);
      } else if (kind === 'size') assert.equal(BigInt(sizeOf(split.findType(name, 'struct')!)), vals[0], `sizeof ${name}`);
    }
  });
});

describe('BTF reader against pahole -F btf on the same file', () => {
  for (const name of ['outer', 'inner', 'bits', 'zero_len', 'packed_bits']) {
    it(`struct ${name}`, () => {
      const text = execFileSync('pahole', ['-F', 'btf', '-C', name, baseObj], { encoding: 'utf8' });
      const want = parsePahole(text);
      assert.ok(want.members.length > 0, `pahole printed no members for ${name}`);
      assert.deepEqual(layoutDiffs(base.findType(name, 'struct')!, want), [], name);
    });
  }
});
