// The ELF reader against binutils' readelf on files gcc builds at test time (readelf is the ground truth).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ElfFile } from '../../src/elf/elf.js';
import { BufferSource, FileSource } from '../../src/io/source.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qv-elf-'));
  writeFileSync(
    join(dir, 'a.c'),
    'struct s { int a; long b; } g_s = {1, 2};\nint counter = 3;\nstatic const char msg[] = "hello";\nconst char *get(void) { return msg; }\nint main(void) { return counter + g_s.a; }\n',
  );
  execFileSync('gcc', ['-g', '-O0', '-Wl,--build-id=sha1', '-o', join(dir, 'a.out'), join(dir, 'a.c')]);
  execFileSync('gcc', ['-g', '-O0', '-c', '-o', join(dir, 'a.o'), join(dir, 'a.c')]);
  execFileSync('gcc', ['-g', '-O0', '-gz=zlib', '-c', '-o', join(dir, 'z.o'), join(dir, 'a.c')]);
});

function readelf(args: string[], file: string): string {
  return execFileSync('readelf', ['-W', ...args, file], { encoding: 'utf8' });
}

describe('ElfFile', () => {
  it('lists the sections readelf lists, with the same offsets and sizes', () => {
    const f = join(dir, 'a.out');
    const elf = new ElfFile(new FileSource(f));
    const want = [...readelf(['-S'], f).matchAll(/\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/g)].map((m) => [m[1], parseInt(m[2], 16), parseInt(m[3], 16)]).filter(([name]) => name !== 'NULL');
    assert.ok(want.length > 10);
    for (const [name, off, size] of want) {
      const s = elf.section(name as string);
      assert.ok(s, `section ${name}`);
      assert.deepEqual([s!.offset, s!.size], [off, size], String(name));
    }
  });
  it('reads symbols with their 64-bit values and the GNU build-id', () => {
    const f = join(dir, 'a.out');
    const elf = new ElfFile(new FileSource(f));
    const line = readelf(['-s'], f).split('\n').find((l) => / counter$/.test(l))!;
    const value = BigInt('0x' + line.trim().split(/\s+/)[1]);
    assert.equal(elf.symbols((n) => n === 'counter')[0].value, value);
    const bid = /Build ID: ([0-9a-f]+)/.exec(readelf(['-n'], f))![1];
    assert.equal(elf.buildId(), bid);
  });
  it('applies RELA relocations to .debug_info of an ET_REL object (readelf applies them too)', () => {
    const obj = new ElfFile(new FileSource(join(dir, 'a.o')));
    assert.equal(obj.type, 1);
    const raw = obj.sectionSource(obj.section('.debug_info')!).read(0, obj.section('.debug_info')!.size);
    const rel = obj.relocatedSection(obj.section('.debug_info')!);
    assert.notDeepEqual(raw, rel, 'relocation changed nothing');
    // readelf -R (--relocated-dump) prints the section with its relocations applied.
    const dump = readelf(['-R', '.debug_info'], join(dir, 'a.o'));
    const bytes = Buffer.from([...dump.matchAll(/^\s+0x[0-9a-f]+ ((?:[0-9a-f]{2,8} ?){1,4})/gm)].map((m) => m[1].replace(/ /g, '')).join(''), 'hex');
    assert.deepEqual(rel.subarray(0, bytes.length), bytes);
  });
  it('decompresses SHF_COMPRESSED sections to what the uncompressed object holds', () => {
    const z = new ElfFile(new FileSource(join(dir, 'z.o')));
    const s = z.section('.debug_abbrev')!;
    assert.ok(s.flags & 0x800n, 'gcc -gz did not compress');
    const plain = new ElfFile(new FileSource(join(dir, 'a.o')));
    const p = plain.section('.debug_abbrev')!;
    assert.deepEqual(z.sectionSource(s).read(0, z.sectionSource(s).size), plain.sectionSource(p).read(0, p.size));
  });
  it('says what is wrong with a file that is not ELF64', () => {
    assert.throws(() => new ElfFile(new BufferSource(Buffer.from('KDUMP   and more bytes here, long enough for a header........................'), 'x.bin')), /not an ELF file/);
    assert.throws(() => new ElfFile(new BufferSource(Buffer.alloc(10), 'tiny')), /too short/);
  });
});
