// ELF vmcore shapes: /proc/vmcore and QEMU (p_paddr), makedumpfile -E (p_filesz < p_memsz: excluded or
// zero, ELF cannot tell), /proc/kcore (p_paddr = -1 segments), PN_XNUM, truncated files.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ElfCore } from '../../src/dump/elfcore.js';
import { openDump } from '../../src/dump/open.js';
import { PageExcludedError, PhysAbsentError } from '../../src/dump/physmem.js';
import { BufferSource } from '../../src/io/source.js';
import { writeElfCore } from '../helpers/elfcore-writer.js';

const page = (fill: number) => Buffer.alloc(4096, fill);
const vmcoreinfo = { name: 'VMCOREINFO', type: 0, desc: Buffer.from('OSRELEASE=6.1.0-test\nKERNELOFFSET=1000000\n') };
const dir = mkdtempSync(join(tmpdir(), 'qv-elfcore-'));

describe('ELF vmcore reader', () => {
  it('reads segments by physical address and exposes VMCOREINFO', () => {
    const core = writeElfCore(
      [
        { paddr: 0x1000n, data: Buffer.concat([page(0x11), page(0x22)]) },
        { paddr: 0x100000n, data: page(0x33) },
      ],
      [{ name: 'CORE', type: 1, desc: Buffer.alloc(336) }, vmcoreinfo],
    );
    const m = new ElfCore(new BufferSource(core, 'core'));
    assert.equal(m.read(0x1ffen, 4).toString('hex'), '11112222');
    assert.equal(m.read(0x100010n, 2).toString('hex'), '3333');
    assert.match(m.vmcoreinfo!, /OSRELEASE=6.1.0-test/);
    assert.equal(m.info.cpus, 1);
    assert.deepEqual(m.ranges(), [
      { start: 0x1000n, end: 0x3000n },
      { start: 0x100000n, end: 0x101000n },
    ]);
    assert.throws(() => m.read(0x5000n, 1), PhysAbsentError);
    assert.equal(m.pageState(0x5000n), 'absent');
  });
  it('reports p_filesz < p_memsz pages as excluded (never zeros) and says ELF cannot tell', () => {
    const core = writeElfCore([{ paddr: 0n, data: page(0x44), memsz: 0x3000n }], [vmcoreinfo]);
    const m = new ElfCore(new BufferSource(core, 'core-E'));
    assert.equal(m.pageState(0x0n), 'present');
    assert.equal(m.pageState(0x1000n), 'excluded');
    assert.equal(m.info.excludedLooksLikeZero, true);
    assert.deepEqual([m.info.presentPages, m.info.excludedPages], [1, 2]);
    assert.throws(() => m.read(0xff0n, 0x20), (e: unknown) => e instanceof PageExcludedError && /cannot tell/.test(e.message));
  });
  it('ignores /proc/kcore segments without a physical address (p_paddr = -1)', () => {
    const core = writeElfCore(
      [
        { paddr: 0xffffffffffffffffn, vaddr: 0xffffffffc0000000n, data: page(0x55) },
        { paddr: 0x2000n, vaddr: 0xffff888000002000n, data: page(0x66) },
      ],
      [vmcoreinfo],
    );
    const m = new ElfCore(new BufferSource(core, 'kcore'));
    assert.equal(m.info.format, 'elf-kcore');
    assert.deepEqual(m.ranges(), [{ start: 0x2000n, end: 0x3000n }]);
    assert.equal(m.read(0x2000n, 1)[0], 0x66);
  });
  it('reads more than 65534 segments through PN_XNUM', () => {
    const segs = Array.from({ length: 70000 }, (_, i) => ({ paddr: BigInt(i) * 0x2000n, data: Buffer.from([i & 0xff, (i >> 8) & 0xff]) }));
    const m = new ElfCore(new BufferSource(writeElfCore(segs, [vmcoreinfo]), 'xnum'));
    assert.equal(m.ranges().length, 70000);
    assert.deepEqual([...m.read(69999n * 0x2000n, 2)], [69999 & 0xff, (69999 >> 8) & 0xff]);
  });
  it('refuses a truncated file, saying where the data should end', () => {
    const core = writeElfCore([{ paddr: 0n, data: Buffer.concat([page(1), page(2)]) }], [vmcoreinfo]);
    const path = join(dir, 'truncated.elf');
    writeFileSync(path, core.subarray(0, core.length - 5000));
    assert.throws(() => openDump([path]), /truncated/);
  });
  it('says a non-dump file is not a dump, and what a gzip file needs', () => {
    const path = join(dir, 'x.gz');
    writeFileSync(path, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100)]));
    assert.throws(() => openDump([path]), (e: unknown) => (e as { code?: string }).code === 'NOT_A_DUMP' && /gunzip/.test((e as Error).message));
  });
});
