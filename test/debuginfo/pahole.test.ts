// The DWARF reader on the real Debian 6.1 debug files (vmlinux: ET_EXEC, 163 MB of DWARF 5; kvm.ko and
// kvm-amd.ko: ET_REL, relocations applied) against pahole run on the same files at test time.
// pahole is required: without it these tests fail (Debian package dwarves). The comparison with the shared
// fixture's dwarf-structs.txt is in test/acceptance/pahole-fixture.test.ts (it needs ../shared).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { type DwarfTypeSource, openDwarf } from '../../src/debuginfo/dwarf/index.js';
import { findMember, type KType, resolve, sizeOf } from '../../src/debuginfo/types.js';
import { ElfFile } from '../../src/elf/elf.js';
import { FileSource } from '../../src/io/source.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { layoutDiffs, pahole, paholeEnum, parsePahole } from '../helpers/pahole.js';

let files: DebianDebuginfo;
let vmlinux: DwarfTypeSource;
let kvm: DwarfTypeSource;
const open = (f: string, opts = {}) => openDwarf(new ElfFile(new FileSource(f)), { cache: false, ...opts });

before(async () => {
  files = await debianDebuginfo();
  vmlinux = open(files.vmlinux);
  kvm = open(files.kvmKo);
});

function sameLayout(src: DwarfTypeSource, file: string, name: string, kind: 'struct' | 'union' = 'struct') {
  const t = src.findType(name, kind);
  assert.ok(t, `${kind} ${name} not found in ${file}`);
  const p = pahole(file, name);
  assert.ok(p.members.length > 0, `pahole printed no members for ${name}`);
  assert.deepEqual(layoutDiffs(t, p), [], `${name} differs from pahole`);
}

describe('DWARF of vmlinux against pahole', () => {
  for (const name of ['task_struct', 'file', 'files_struct', 'fdtable', 'mm_struct', 'maple_tree', 'vm_area_struct', 'list_head', 'module', 'page']) {
    it(`struct ${name}`, () => sameLayout(vmlinux, files.vmlinux, name));
  }
  it('enum pageflags and enum pid_type enumerators', () => {
    for (const name of ['pageflags', 'pid_type']) {
      const want = paholeEnum(files.vmlinux, name);
      const t = vmlinux.findType(name, 'enum');
      assert.ok(t?.kind === 'enum', `enum ${name}`);
      assert.ok(want.size > 3);
      assert.deepEqual([...t.enumerators], [...want], name);
      for (const [k, v] of want) assert.equal(vmlinux.findEnumerator(k), v, k);
    }
  });
});

describe('DWARF of kvm.ko and kvm-amd.ko against pahole', () => {
  for (const name of ['kvm', 'kvm_memslots', 'kvm_memory_slot', 'kvm_vcpu', 'kvm_run']) {
    it(`struct ${name}`, () => sameLayout(kvm, files.kvmKo, name));
  }
  it('enum kvm_bus (KVM_NR_BUSES)', () => {
    const want = paholeEnum(files.kvmKo, 'kvm_bus');
    assert.equal(kvm.findEnumerator('KVM_NR_BUSES'), want.get('KVM_NR_BUSES'));
  });
  for (const which of ['kvmKo', 'kvmAmdKo'] as const) {
    it(`every struct and union pahole prints for ${which === 'kvmKo' ? 'kvm.ko' : 'kvm-amd.ko'}`, () => {
      const file = files[which];
      const src = which === 'kvmKo' ? kvm : open(file);
      const text = execFileSync('pahole', ['-F', 'dwarf', file], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
      const seen = new Set<string>();
      const diffs: string[] = [];
      for (const block of text.split(/\n(?=(?:struct|union) \S+ \{)/)) {
        if (!/^(struct|union) \S+ \{/.test(block)) continue;
        const p = parsePahole(block);
        if (seen.has(`${p.kind} ${p.name}`)) continue;
        seen.add(`${p.kind} ${p.name}`);
        const t = src.findType(p.name, p.kind);
        if (!t) diffs.push(`${p.kind} ${p.name}: not found`);
        else diffs.push(...layoutDiffs(t, p));
      }
      assert.ok(seen.size > 500, `only ${seen.size} structs`);
      assert.deepEqual(diffs, []);
    });
  }
});

describe('kvm.ko relocations', () => {
  it('without its .rela.debug_* the DWARF of kvm.ko is garbage', () => {
    let t: KType | undefined;
    let err: Error | undefined;
    try {
      t = open(files.kvmKo, { relocate: false }).findType('kvm_memory_slot', 'struct');
    } catch (e) {
      err = e as Error;
    }
    if (err) assert.match(err.message, /kvm\.ko: \.debug_(info|abbrev)/, 'the error names the file and section');
    else {
      const names = t && (resolve(t) as { members?: { name?: string }[] }).members?.map((m) => m.name);
      assert.notDeepEqual(names?.slice(0, 4), ['id_node', 'hva_node', 'gfn_node', 'base_gfn']);
    }
  });

  it('with them, struct kvm_memory_slot and struct kvm_memslots have the layout pahole reports', () => {
    const slot = resolve(kvm.findType('kvm_memory_slot', 'struct')!);
    assert.ok(slot.kind === 'struct');
    assert.deepEqual(
      slot.members.map((m) => m.name),
      ['id_node', 'hva_node', 'gfn_node', 'base_gfn', 'npages', 'dirty_bitmap', 'arch', 'userspace_addr', 'flags', 'id', 'as_id'],
    );
    const at = (t: KType, m: string) => findMember(t, m)!.offset;
    assert.deepEqual([at(slot, 'base_gfn'), at(slot, 'npages'), at(slot, 'userspace_addr'), at(slot, 'flags'), at(slot, 'id'), at(slot, 'as_id'), slot.size], [176, 184, 248, 256, 260, 262, 264]);
    const slots = kvm.findType('kvm_memslots', 'struct')!;
    assert.deepEqual([sizeOf(slots), at(slots, 'node_idx')], [1072, 1064]);
  });

});
