// ELF core headers from the writer, read back by binutils' readelf and by our ELF core reader: loads at the
// offsets the layout says, an alias (kernel text) split across two loads pointing into their bytes, and more
// than 65534 program headers (PN_XNUM, the count in section 0's sh_info).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PRSTATUS_SIZE, PR_REG_NAMES, prstatus } from '../../src/arch/x86_64/prstatus.js';
import { ElfCore } from '../../src/dump/elfcore.js';
import { openDump } from '../../src/dump/open.js';
import { encodeNotes, layoutCore } from '../../src/elf/write-core.js';
import { FileSource } from '../../src/io/source.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-wcore-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function build(loads: { paddr: bigint; vaddr: bigint; size: bigint }[], aliases: { paddr: bigint; vaddr: bigint; size: bigint }[], name: string): string {
  const notes = encodeNotes([{ name: 'VMCOREINFO', type: 0, desc: Buffer.from('OSRELEASE=test\n') }]);
  const l = layoutCore(notes, loads, aliases);
  const parts = [l.header];
  for (const x of loads) {
    const b = Buffer.alloc(Number(x.size));
    for (let o = 0; o < b.length; o += 4096) b.writeBigUInt64LE(x.paddr + BigInt(o), o); // each page says its address
    parts.push(b);
  }
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(parts));
  assert.equal(Buffer.concat(parts).length, l.fileSize);
  return file;
}

describe('ELF core writer', () => {
  it('places loads and splits an alias over two loads, as readelf and our reader see them', () => {
    const loads = [
      { paddr: 0n, vaddr: 0xffff888000000000n, size: 0x3000n },
      { paddr: 0x5000n, vaddr: 0xffff888000005000n, size: 0x2000n },
    ];
    const file = build(loads, [{ paddr: 0x2000n, vaddr: 0xffffffff81000000n, size: 0x5000n }], 'alias.core');
    const out = execFileSync('readelf', ['-lW', file], { encoding: 'utf8' });
    const rows = out.split('\n').filter((x) => /^\s+(LOAD|NOTE)\s/.test(x)).map((x) => x.trim().split(/\s+/));
    assert.deepEqual(rows.map((r) => r[0]), ['NOTE', 'LOAD', 'LOAD', 'LOAD', 'LOAD']);
    // The alias: [0x2000,0x3000) inside load 0 and [0x5000,0x7000) inside load 1; the hole 0x3000-0x5000 is left out.
    assert.deepEqual(rows.slice(1, 3).map((r) => [BigInt(r[2]), BigInt(r[3]), BigInt(r[4])]), [
      [0xffffffff81000000n, 0x2000n, 0x1000n],
      [0xffffffff81003000n, 0x5000n, 0x2000n],
    ]);
    const core = new ElfCore(new FileSource(file));
    for (const pa of [0x0n, 0x2000n, 0x5000n, 0x6000n]) assert.equal(core.read(pa, 8).readBigUInt64LE(0), pa);
    assert.equal(core.pageState(0x3000n), 'absent');
    assert.equal(core.vmcoreinfo, 'OSRELEASE=test\n');
    // The alias's offsets point at the same bytes as the RAM loads.
    const aliasOff = Number(rows[1][1]);
    const buf = new FileSource(file).read(aliasOff, 8);
    assert.equal(buf.readBigUInt64LE(0), 0x2000n);
  });

  it('writes more than 65534 program headers with PN_XNUM', () => {
    const loads = Array.from({ length: 70000 }, (_, i) => ({ paddr: BigInt(i) * 0x2000n, vaddr: 0n, size: 0x1000n }));
    const file = build(loads, [], 'xnum.core');
    const hdr = execFileSync('readelf', ['-hW', file], { encoding: 'utf8' });
    assert.match(hdr, /Number of program headers:\s+65535 \(70001\)/);
    const core = new ElfCore(new FileSource(file));
    assert.equal(core.ranges().length, 70000);
    assert.equal(core.read(69999n * 0x2000n, 8).readBigUInt64LE(0), 69999n * 0x2000n);
    assert.equal(core.pageState(0x1000n), 'absent');
  });
});

describe('NT_PRSTATUS layout', () => {
  it("matches QEMU's notes in the demo dump: 336 bytes, rip/rsp in pr_reg where QEMU's own QEMUCPUState has them", () => {
    const m = openDump(['fixtures/demo-6.1/vmcore.kdump-zlib']);
    try {
      const pr = m.notes.filter((n) => n.name === 'CORE' && n.type === 1);
      const qemu = m.notes.filter((n) => n.name === 'QEMU');
      assert.ok(pr.length > 0 && pr.length === qemu.length);
      for (const [i, n] of pr.entries()) {
        assert.equal(n.desc.length, PRSTATUS_SIZE);
        // QEMUCPUState (qemu contrib/elf2dmp/qemu_elf.h): u32 version, u32 size, then rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip.
        const q = qemu[i].desc;
        const rsp = q.readBigUInt64LE(8 + 6 * 8);
        const rip = q.readBigUInt64LE(8 + 16 * 8);
        const mine = prstatus(0, { rip, rsp });
        for (const name of ['rip', 'rsp'] as const) {
          const at = 112 + 8 * PR_REG_NAMES.indexOf(name);
          assert.equal(n.desc.readBigUInt64LE(at), mine.readBigUInt64LE(at), `${name} of CPU ${i}`);
        }
      }
    } finally {
      m.close();
    }
  });
});
