// The struct layouts the tool reads, from the dump's own BTF (no debug files) and from the Debian DWARF
// (vmlinux + kvm.ko), member by member: names, byte offsets, bitfield positions and sizes must agree.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type KType, type Member, resolve, sizeOf, typeName } from '../../src/debuginfo/types.js';
import { openSession, type Session } from '../../src/vtop/session.js';
import { debianDebuginfo } from '../helpers/debuginfo.js';
import { realElfDump } from '../helpers/real-fixture.js';

/** Every struct and union the tool reads (grep of src/ for obj()/structType()/memberOffset()). */
const STRUCTS = [
  'task_struct', 'signal_struct', 'files_struct', 'fdtable', 'file', 'path', 'dentry', 'qstr', 'inode', 'mm_struct',
  'vm_area_struct', 'maple_tree', 'maple_node', 'maple_range_64', 'maple_arange_64', 'list_head', 'rb_node', 'rb_root',
  'module', 'mod_kallsyms', 'page', 'pid', 'upid', 'mount', 'vfsmount', 'xarray', 'xa_node', 'btf_module', 'btf',
  'kvm', 'kvm_memslots', 'kvm_memory_slot', 'kvm_vcpu', 'kvm_vcpu_arch', 'kvm_run',
];

interface Flat {
  path: string;
  bit: number; // absolute bit position in the outer struct
  bits: number; // width
  type: string;
}

/** Members flattened through anonymous structs/unions; positions in bits, so the two bitfield conventions compare. */
function flatten(t: KType, prefix = '', base = 0): Flat[] {
  const r = resolve(t);
  if (r.kind !== 'struct' && r.kind !== 'union') return [];
  const out: Flat[] = [];
  r.members.forEach((m: Member, i: number) => {
    const bit = base + m.offset * 8 + (m.bitOffset ?? 0);
    const name = m.name ?? `<anon ${i}>`;
    out.push({ path: prefix + name, bit, bits: m.bitSize ?? sizeOf(m.type) * 8, type: typeName(resolve(m.type)) });
    if (m.name === undefined) out.push(...flatten(m.type, `${prefix}${name}.`, bit));
  });
  return out;
}

let btf: Session;
let dwarf: Session;
before(async () => {
  const di = await debianDebuginfo();
  const dump = await realElfDump();
  btf = openSession({ dump: [dump] });
  dwarf = openSession({ dump: [dump], vmlinux: di.vmlinux, kvmDebuginfo: di.kvmKo, types: 'dwarf', cache: false });
});

describe('BTF from the dump equals DWARF for every structure the tool uses', () => {
  it('uses BTF from the dump in the no-debuginfo session', () => {
    assert.match(btf.typesUsed, /btf-from-dump/);
    assert.equal(dwarf.typesUsed, 'dwarf');
  });
  for (const name of STRUCTS) {
    it(`struct ${name}`, () => {
      const b = btf.kernel.structType(name);
      const d = dwarf.kernel.structType(name);
      assert.equal(sizeOf(b), sizeOf(d), `sizeof(struct ${name})`);
      // Type names of members can differ in spelling (BTF has no const); compare positions and widths.
      const strip = (f: Flat[]) => f.map(({ path, bit, bits }) => `${path} @${bit} :${bits}`);
      assert.deepEqual(strip(flatten(b)), strip(flatten(d)));
    });
  }
});
