// kallsyms: the decoder on synthetic tables for every address encoding (expected addresses are the inputs),
// and the finder on the demo dump against the addresses crash read (fixture truth.json kernel_data_checks).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { findKallsyms } from '../../src/debuginfo/kallsyms/find.js';
import { type AddressEncoding, decodeKallsyms } from '../../src/debuginfo/kallsyms/kallsyms.js';
import { openDump } from '../../src/dump/open.js';
import { parseVmcoreInfo } from '../../src/dump/vmcoreinfo.js';

/** A tiny image: tokens are single characters (token i = chr(i) for printable i), names uncompressed. */
function image(names: string[], encode: (i: number, at: bigint) => Buffer, addrBytes: number) {
  const base = 0xffffffff81000000n;
  const tokTab: Buffer[] = [];
  const idx = Buffer.alloc(512);
  let off = 0;
  for (let i = 0; i < 256; i++) {
    const t = Buffer.from([i === 0 ? 1 : i, 0]);
    idx.writeUInt16LE(off, i * 2);
    tokTab.push(t);
    off += 2;
  }
  const nameBytes = Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([n.length]), Buffer.from(n, 'latin1')])));
  const layout = { offsets: base, names: base + 0x10000n, tokenTable: base + 0x20000n, tokenIndex: base + 0x30000n };
  const mem = Buffer.alloc(0x40000);
  for (let i = 0; i < names.length; i++) encode(i, layout.offsets + BigInt(i * addrBytes)).copy(mem, i * addrBytes);
  nameBytes.copy(mem, 0x10000);
  Buffer.concat(tokTab).copy(mem, 0x20000);
  idx.copy(mem, 0x30000);
  const read = (va: bigint, n: number) => mem.subarray(Number(va - base), Number(va - base) + n);
  return { read, layout };
}

describe('kallsyms decoder', () => {
  const names = ['Tstart_kernel', 'Dinit_task', 'ddata_here', 'Afixed_percpu_data'];
  const want = [0xffffffff81000100n, 0xffffffff82a00000n, 0xffffffff82a00040n, 0n];
  const rb = 0xffffffff81000000n;
  const cases: [AddressEncoding, number, (i: number, at: bigint) => Buffer][] = [
    ['absolute', 8, (i) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(want[i]); return b; }],
    ['base-relative', 4, (i) => { const b = Buffer.alloc(4); b.writeUInt32LE(Number(want[i] === 0n ? 0n : want[i] - rb)); return b; }],
    // absolute-percpu: per-cpu symbols stored as themselves (>= 0), the rest as -(addr - base) - 1.
    ['absolute-percpu', 4, (i) => { const b = Buffer.alloc(4); b.writeInt32LE(want[i] === 0n ? 0 : Number(rb - 1n - want[i])); return b; }],
    ['place-relative', 4, (i, at) => { const b = Buffer.alloc(4); b.writeInt32LE(Number(BigInt.asIntN(64, want[i] - at))); return b; }],
  ];
  for (const [encoding, size, enc] of cases) {
    it(`decodes ${encoding} addresses`, () => {
      const { read, layout } = image(names, enc, size);
      const wantAddr = encoding === 'base-relative' ? want.map((a) => (a === 0n ? rb : a)) : want;
      const syms = decodeKallsyms(read, { numSyms: names.length, names: layout.names, tokenTable: layout.tokenTable, tokenIndex: layout.tokenIndex, offsets: layout.offsets, addresses: layout.offsets, relativeBase: rb, encoding });
      assert.deepEqual(syms.map((s) => [s.type, s.name, s.addr]), names.map((n, i) => [n[0], n.slice(1), wantAddr[i]]));
    });
  }
});

describe('kallsyms in the demo dump', () => {
  const m = openDump(['fixtures/demo-6.1/vmcore.kdump-zlib']);
  const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
  const read = (va: bigint, n: number) => m.read(BigInt.asUintN(64, va - 0xffffffff80000000n + vi.physBase!), n);
  const vi = parseVmcoreInfo(m.vmcoreinfo!);
  const crashSaw = new Map<string, bigint>(truth.kernel_data_checks.symbols.map((s: { symbol: string; addr: string }) => [s.symbol, BigInt(s.addr)]));
  const check = (syms: { name: string; addr: bigint }[]) => {
    const by = new Map(syms.map((s) => [s.name, s.addr]));
    for (const name of ['__start_BTF', 'linux_banner', 'init_top_pgt', 'vmcoreinfo_data']) assert.equal(by.get(name), crashSaw.get(name), name);
  };
  it('through VMCOREINFO: 87256 symbols at the addresses crash read', () => {
    const k = findKallsyms(read, vi);
    assert.match(k.how, /VMCOREINFO/);
    assert.equal(k.tables.numSyms, 87256);
    check(k.symbols);
  });
  it('by content, with VMCOREINFO saying nothing: the same tables', () => {
    const bare = parseVmcoreInfo(m.vmcoreinfo!.split('\n').filter((l) => !l.startsWith('SYMBOL(kallsyms')).join('\n'));
    const k = findKallsyms(read, bare);
    assert.match(k.how, /by content/);
    assert.equal(k.tables.names, crashSaw.get('kallsyms_names'));
    assert.equal(k.tables.tokenTable, crashSaw.get('kallsyms_token_table'));
    assert.equal(k.tables.tokenIndex, crashSaw.get('kallsyms_token_index'));
    assert.equal(k.tables.markers, crashSaw.get('kallsyms_markers'));
    assert.equal(k.tables.offsets, crashSaw.get('kallsyms_offsets'));
    check(k.symbols);
  });
});
