// Regression tests for the defects issue 12 lists, one per defect: each input is built here byte by byte
// (after <elf.h>, btf.h, makedumpfile.h, the KVMI uapi), and each test fails on the code before the fix
// (a hang, a stack overflow, a multi-gigabyte allocation, a raw EISDIR, a success reply).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { BtfError, BtfTypeSource } from '../../src/debuginfo/btf/btf.js';
import { findMember, sizeOf, typeName, type KType, type StructType } from '../../src/debuginfo/types.js';
import { FlattenedSource } from '../../src/dump/flattened.js';
import { openKdump } from '../../src/dump/kdump.js';
import { ElfFile, parseNotes } from '../../src/elf/elf.js';
import { QvError } from '../../src/io/errors.js';
import { BufferSource } from '../../src/io/source.js';
import { handle } from '../../src/kvmi/handler.js';
import { CODECS } from '../../src/dump/compression.js';
import { CMD, maskOf, READ_COMMANDS } from '../../src/kvmi/protocol.js';
import { BTF_KIND, BtfBuilder } from '../helpers/btf-builder.js';
import { runCli } from '../helpers/cli.js';
import { chdr, SHF_COMPRESSED, SHT_PROGBITS, writeElfSections } from '../helpers/elf-sections.js';
import { writeElfCore } from '../helpers/elfcore-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-defects-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One Elf64_Nhdr with raw namesz/descsz (no name or desc bytes follow unless given). */
function nhdr(namesz: number, descsz: number, type: number, rest = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(namesz >>> 0, 0);
  h.writeUInt32LE(descsz >>> 0, 4);
  h.writeUInt32LE(type, 8);
  return Buffer.concat([h, rest]);
}

/** An ELF core whose PT_NOTE holds `notes` as given (raw bytes) and one 4 KiB PT_LOAD. */
function coreWithNoteBytes(notes: Buffer): Buffer {
  const core = writeElfCore([{ paddr: 0n, data: Buffer.alloc(4096) }], []);
  // writeElfCore puts an empty PT_NOTE right after the phdrs: splice the raw notes in there.
  const phoff = Number(core.readBigUInt64LE(32));
  const noteOff = Number(core.readBigUInt64LE(phoff + 8));
  const out = Buffer.concat([core.subarray(0, noteOff), notes, core.subarray(noteOff)]);
  out.writeBigUInt64LE(BigInt(notes.length), phoff + 32); // PT_NOTE p_filesz
  out.writeBigUInt64LE(BigInt(noteOff + notes.length), phoff + 56 + 8); // PT_LOAD p_offset
  return out;
}

describe('ELF notes', () => {
  it('namesz 0xfffffff1 (the 32-bit `(namesz + 3) & ~3` wrap) ends the note run instead of looping', () => {
    const b = Buffer.concat([nhdr(5, 4, 1, Buffer.from('CORE\0\0\0\0abcd', 'latin1')), nhdr(0xfffffff1, 0, 7), nhdr(5, 0, 2, Buffer.from('CORE\0\0\0\0', 'latin1'))]);
    const notes = parseNotes(b);
    // The first note is whole; the bogus one claims more bytes than exist, so nothing after it can be found.
    assert.deepEqual(notes.map((n) => [n.name, n.type, n.desc.toString('latin1')]), [['CORE', 1, 'abcd']]);
  });
  it('namesz 0x7ffffffd..0xffffffff never moves the cursor backwards', () => {
    for (const namesz of [0x7ffffffd, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff]) {
      const b = Buffer.concat([nhdr(namesz, 0, 1), Buffer.alloc(64)]);
      assert.deepEqual(parseNotes(b), [], `namesz ${namesz.toString(16)}`);
    }
  });
  it('the CLI on an ELF core with that note: an answer or a coded error, never a hang', () => {
    const f = join(dir, 'wrap.core');
    writeFileSync(f, coreWithNoteBytes(nhdr(0xfffffff1, 0, 7)));
    const r = runCli(['info', f, '--json'], {});
    assert.notEqual(r.status, null, 'killed (hang)');
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'a JavaScript stack was printed');
  });
  it('200,000 tiny notes: all read, no "Maximum call stack size exceeded"', () => {
    const one = nhdr(1, 0, 9, Buffer.from([0, 0, 0, 0])); // name "" (namesz 1 = the NUL), no desc
    const many = Buffer.concat(Array.from({ length: 200_000 }, () => one));
    const elf = new ElfFile(new BufferSource(coreWithNoteBytes(many), 'many.core'));
    assert.equal(elf.notes().length, 200_000);
    const f = join(dir, 'many.core');
    writeFileSync(f, coreWithNoteBytes(many));
    for (const args of [['info', f], [f, '-g', '1', '-p', '0x1000']]) {
      const r = runCli(args);
      assert.notEqual(r.status, null);
      assert.doesNotMatch(r.stderr, /Maximum call stack|RangeError|at .*\.js:\d+/, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});

describe('SHF_COMPRESSED sections', () => {
  const section = (chSize: bigint, payload: Buffer) =>
    new ElfFile(new BufferSource(writeElfSections([{ name: '.debug_info', type: SHT_PROGBITS, flags: SHF_COMPRESSED, data: chdr(chSize, payload) }]), 'z.o'));
  it('a header claiming 2^40 bytes is refused before anything is inflated', () => {
    const elf = section(1n << 40n, deflateSync(Buffer.alloc(100)));
    assert.throws(() => elf.sectionSource(elf.section('.debug_info')!), (e: unknown) => e instanceof QvError && e.code === 'ELF_FORMAT' && /1099511627776 bytes/.test(e.message));
  });
  it('a zlib bomb stops at the size the header promises', () => {
    const bomb = deflateSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros in ~64 KiB
    const elf = section(4096n, bomb);
    assert.throws(() => elf.sectionSource(elf.section('.debug_info')!), (e: unknown) => e instanceof QvError && e.code === 'ELF_FORMAT' && /\.debug_info/.test(e.message));
  });
  it('corrupt zlib data is an ELF_FORMAT error naming the section', () => {
    const elf = section(100n, Buffer.from('not zlib at all'));
    assert.throws(() => elf.sectionSource(elf.section('.debug_info')!), (e: unknown) => e instanceof QvError && e.code === 'ELF_FORMAT' && /z\.o section \.debug_info/.test(e.message));
  });
  it('a correct section still inflates', () => {
    const text = Buffer.from('hello, compressed world');
    const elf = section(BigInt(text.length), deflateSync(text));
    assert.equal(elf.sectionSource(elf.section('.debug_info')!).read(0, text.length).toString(), text.toString());
  });
});

describe('BTF cycles and findMember depth', () => {
  it('a two-entry const cycle is a BtfError, not a stack overflow', () => {
    const b = new BtfBuilder();
    const a = b.qualifier(BTF_KIND.CONST, 2);
    b.qualifier(BTF_KIND.CONST, a);
    b.typedef('cyc_t', a);
    const btf = new BtfTypeSource(b.build(), 'cycle BTF');
    assert.throws(() => btf.type(1), (e: unknown) => e instanceof BtfError && e.code === 'BTF_FORMAT' && /cycle/.test(e.message));
    const td = btf.findType('cyc_t', 'typedef') as { target: KType };
    assert.throws(() => td.target, BtfError);
  });
  it('an anonymous member whose type is its own struct: findMember ends in TYPE_CYCLE', () => {
    const b = new BtfBuilder();
    const s = b.struct('loop', 8, [{ name: '', type: 1, bitOffset: 0 }]); // id 1, member of type 1
    assert.equal(s, 1);
    const btf = new BtfTypeSource(b.build(), 'loop BTF');
    const t = btf.findType('loop', 'struct')!;
    assert.throws(() => findMember(t, 'nothing'), (e: unknown) => e instanceof QvError && e.code === 'TYPE_CYCLE');
  });
  it('a pointer to itself has a finite name, an array of itself a TYPE_CYCLE size', () => {
    const b = new BtfBuilder();
    const p = b.ptr(1); // id 1 points at 1
    const arr = b.array(2, 0, 3); // id 2: array of itself
    const btf = new BtfTypeSource(b.build(), 'self BTF');
    assert.match(typeName(btf.type(p)), /^\.\.\.( \*)+$/);
    assert.throws(() => sizeOf(btf.type(arr)), (e: unknown) => e instanceof QvError && e.code === 'TYPE_CYCLE');
  });
  it('a record running past the type section, and a string offset past the strings, are BtfErrors', () => {
    const b = new BtfBuilder();
    b.raw('x', BTF_KIND.STRUCT, 100, 8); // vlen 100 but no member bytes
    assert.throws(() => new BtfTypeSource(b.build(), 'short BTF'), (e: unknown) => e instanceof BtfError && /runs past/.test(e.message));
    const c = new BtfBuilder();
    c.int('int', 4, true);
    const buf = c.build();
    buf.writeUInt32LE(0x7fff0000, 24); // name_off of type 1
    const btf = new BtfTypeSource(buf, 'bad string BTF');
    assert.throws(() => btf.type(1), (e: unknown) => e instanceof BtfError && /string offset/.test(e.message));
  });
  it('a struct nested normally still resolves (the depth bound is not hit by real nesting)', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, true);
    // 10 levels of anonymous structs around `x`.
    let inner = b.struct('', 4, [{ name: 'x', type: int, bitOffset: 0 }]);
    for (let i = 0; i < 10; i++) inner = b.struct('', 4, [{ name: '', type: inner, bitOffset: 0 }]);
    b.struct('outer', 8, [{ name: 'pad', type: int, bitOffset: 0 }, { name: '', type: inner, bitOffset: 32 }]);
    const btf = new BtfTypeSource(b.build(), 'nest BTF');
    const m = findMember(btf.findType('outer', 'struct') as StructType, 'x');
    assert.equal(m?.offset, 4);
  });
});

describe('flattened: a record length is checked before anything is allocated', () => {
  it('a bogus far record + a large bitmap_blocks: a coded error, no allocation beyond the file size', () => {
    // A kdump header (block 4096, bitmap_blocks 2^18 = 1 GiB of bitmap) written as one record covering
    // [0, 12288), and one byte written at 2^40: the reassembled file "is" 2^40 bytes, its bitmap unwritten.
    const kh = Buffer.alloc(3 * 4096);
    kh.write('KDUMP   ', 0, 'latin1');
    kh.writeInt32LE(6, 8); // header_version
    kh.writeInt32LE(4096, 428); // block_size
    kh.writeInt32LE(1, 432); // sub_hdr_size
    kh.writeUInt32LE(1 << 18, 436); // bitmap_blocks
    kh.writeUInt32LE(1 << 20, 440); // max_mapnr
    const head = Buffer.alloc(4096);
    head.write('makedumpfile', 0, 'latin1');
    head.writeBigInt64BE(1n, 16);
    head.writeBigInt64BE(1n, 24);
    const rec = (off: bigint, data: Buffer) => {
      const h = Buffer.alloc(16);
      h.writeBigInt64BE(off, 0);
      h.writeBigInt64BE(BigInt(data.length), 8);
      return Buffer.concat([h, data]);
    };
    const stream = Buffer.concat([head, rec(0n, kh), rec(1n << 40n, Buffer.from([1])), Buffer.alloc(16, 0xff)]);
    const flat = new FlattenedSource(new BufferSource(stream, 'bogus.flat'));
    assert.equal(flat.size, 2 ** 40 + 1);
    let biggest = 0;
    const orig = Buffer.allocUnsafe;
    Buffer.allocUnsafe = (n: number) => {
      biggest = Math.max(biggest, n);
      return orig(n);
    };
    try {
      assert.throws(() => openKdump([flat]), (e: unknown) => e instanceof QvError && e.code === 'DUMP_CORRUPT' && /bitmaps/.test(e.message));
    } finally {
      Buffer.allocUnsafe = orig;
    }
    assert.ok(biggest <= stream.length, `allocated ${biggest} bytes for a ${stream.length}-byte file`);
  });
});

describe('a directory given as the dump', () => {
  for (const args of [['/tmp', '-g', '1', '-p', '0'], ['info', '/tmp'], ['vms', '/tmp', '--json']]) {
    it(`qemu-vtop ${args.join(' ')}: NOT_A_FILE naming the path, no raw EISDIR`, () => {
      const r = runCli(args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /\/tmp is a directory; give the dump file itself/);
      assert.doesNotMatch(r.stderr + r.stdout, /EISDIR/);
      if (args.includes('--json')) assert.equal(r.json().error.code, 'NOT_A_FILE');
    });
  }
});

describe('KVMI request sizes', () => {
  const vm = { vcpuCount: 2, tscKhz: 1000, readPhysical: () => Buffer.alloc(0), registers: () => undefined };
  const policy = { commands: maskOf(READ_COMMANDS), events: 0 };
  const err = (r: Buffer) => r.readInt32LE(8);
  it('GET_GUEST_INFO with 8 bytes of payload (nonzero padding) is -KVM_EINVAL (22), not success', () => {
    const r = handle(vm, policy, { id: CMD.GET_GUEST_INFO, seq: 1, data: Buffer.from([0, 0, 0, 0, 1, 2, 3, 4]) });
    assert.equal(err(r), -22);
    assert.equal(r.readUInt16LE(2), 8, 'an error reply carries only kvmi_error_code');
  });
  it('GET_GUEST_INFO with no payload still answers; GET_VERSION with a payload is -KVM_EINVAL', () => {
    assert.equal(err(handle(vm, policy, { id: CMD.GET_GUEST_INFO, seq: 2, data: Buffer.alloc(0) })), 0);
    assert.equal(err(handle(vm, policy, { id: CMD.GET_VERSION, seq: 3, data: Buffer.alloc(8) })), -22);
  });
});

describe('snappy pages (found by the fuzzer: snappyjs looped on them)', () => {
  const snappy = CODECS.find((c) => c.name === 'snappy')!;
  it('a literal whose 4-byte length has the top bit set is PAGE_CORRUPT, not an endless loop', () => {
    // varint 4096, then tag 0xfc (literal, 4 length bytes) with length 0xfffffffe + 1: snappyjs computes -1 and steps back.
    const page = Buffer.from([0x80, 0x20, 0xfc, 0xfe, 0xff, 0xff, 0xff, 0x41]);
    assert.throws(() => snappy.decompress(page, 4096), (e: unknown) => e instanceof QvError && e.code === 'PAGE_CORRUPT' && /literal/.test(e.message));
  });
  it('a copy running past the page is PAGE_CORRUPT (snappyjs dropped the writes silently)', () => {
    // varint 8, literal "ab", then a 2-byte-offset copy of 64 bytes at offset 2: past the 8-byte output.
    const page = Buffer.from([0x08, 0x04, 0x61, 0x62, (63 << 2) | 2, 0x02, 0x00]);
    assert.throws(() => snappy.decompress(page, 4096), (e: unknown) => e instanceof QvError && e.code === 'PAGE_CORRUPT' && /past the 8-byte output/.test(e.message));
  });
  it('a valid block still decompresses (overlapping copy repeats the pattern)', () => {
    // varint 8, literal "ab", copy 6 bytes at offset 2 (tag kind 1: len 6 -> ((6-4)<<2)|1).
    const page = Buffer.from([0x08, 0x04, 0x61, 0x62, ((6 - 4) << 2) | 1, 0x02]);
    assert.equal(snappy.decompress(page, 4096).toString(), 'abababab');
  });
});
