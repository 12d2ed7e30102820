// The DWARF reader against the pahole 1.24 layouts saved with the real fixture (dwarf-structs.txt, read from
// ../shared/fixtures/real-6.1/): moved out of test/debuginfo/pahole.test.ts so that the unit suite needs
// nothing beside the clone. Fails (never skips) when the fixture is missing, like every acceptance test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { type DwarfTypeSource, openDwarf } from '../../src/debuginfo/dwarf/index.js';
import { ElfFile } from '../../src/elf/elf.js';
import { FileSource } from '../../src/io/source.js';
import { debianDebuginfo } from '../helpers/debuginfo.js';
import { layoutDiffs, paholeBlocks } from '../helpers/pahole.js';
import { realFile } from '../helpers/real-fixture.js';

let vmlinux: DwarfTypeSource;
let kvm: DwarfTypeSource;
const open = (f: string) => openDwarf(new ElfFile(new FileSource(f)), { cache: false });

before(async () => {
  const files = await debianDebuginfo();
  vmlinux = open(files.vmlinux);
  kvm = open(files.kvmKo);
});

describe('DWARF against the fixture dwarf-structs.txt', () => {
  it('agrees with every complete layout in the fixture dwarf-structs.txt (pahole 1.24)', () => {
    const blocks = paholeBlocks(readFileSync(realFile('dwarf-structs.txt'), 'utf8'));
    const names = blocks.map((b) => b.layout.name);
    for (const n of ['kvm_memslots', 'kvm_memory_slot', 'kvm', 'file']) assert.ok(names.includes(n), `${n} in dwarf-structs.txt`);
    for (const { header, layout } of blocks) {
      const src = header.includes('vmlinux') ? vmlinux : kvm;
      const t = src.findType(layout.name, layout.kind);
      assert.ok(t, `${layout.name} (${header})`);
      assert.deepEqual(layoutDiffs(t, layout), [], `${layout.name} (${header})`);
    }
  });
});
