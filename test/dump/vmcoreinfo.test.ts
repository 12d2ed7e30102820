// VMCOREINFO parsing on the demo dump's own note text (expected values: the fixture README, made by crash).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseVmcoreInfo } from '../../src/dump/vmcoreinfo.js';

/** The VMCOREINFO text as it sits in the demo dump's sub-header (plain KEY=VALUE lines). */
function demoVmcoreinfoText(): string {
  const b = readFileSync('fixtures/demo-6.1/vmcore.kdump-zlib').subarray(0, 1 << 20);
  const start = b.indexOf('OSRELEASE=');
  const end = b.indexOf(0, start);
  return b.toString('latin1', start, end);
}

describe('VMCOREINFO', () => {
  const vi = parseVmcoreInfo(demoVmcoreinfoText());
  it('decodes the keys the kernel layer needs', () => {
    assert.equal(vi.osrelease, '6.1.0-53-cloud-amd64');
    assert.equal(vi.buildId, '4409ab2b8a5a626c1ee41412e8e6189fb23ae77c');
    assert.equal(vi.kernelOffset, 0x14800000n);
    assert.equal(vi.physBase, 0xffffffffeee00000n); // printed as a negative long; modulo 2^64
    assert.equal(vi.symbols.get('init_top_pgt'), 0xffffffff97210000n);
    assert.equal(vi.symbols.get('swapper_pg_dir'), 0xffffffff97210000n);
    assert.equal(vi.symbols.get('_stext'), 0xffffffff95800000n);
    assert.equal(vi.pgtableL5Enabled, false);
    assert.equal(vi.pageSize, 4096);
    assert.equal(vi.offsets.get('page._refcount'), 52);
    assert.equal(vi.sizes.get('page'), 64);
  });
  it('reads negative NUMBER() values as two’s complement and ignores malformed lines', () => {
    const v = parseVmcoreInfo('NUMBER(phys_base)=-335544320\nNUMBER(sme_mask)=0\nSYMBOL(bad)=zz\ngarbage\nKERNELOFFSET=1fc00000\n');
    assert.equal(v.physBase, 0xffffffffec000000n);
    assert.equal(v.smeMask, 0n);
    assert.equal(v.kernelOffset, 0x1fc00000n);
    assert.equal(v.symbols.has('bad'), false);
  });
});
