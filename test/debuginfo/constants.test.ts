// The constants table against the kernel's own uapi header (linux-libc-dev's /usr/include/linux/kvm.h),
// and the translation output naming the constants an answer relied on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONSTANTS } from '../../src/debuginfo/constants.js';
import { memslotFlagNames } from '../../src/kvm/memslots.js';
import { runCli } from '../helpers/cli.js';

const uapi = readFileSync('/usr/include/linux/kvm.h', 'utf8');
const define = (name: string): bigint | undefined => {
  const m = new RegExp(`#define\\s+${name}\\s+\\(?\\s*(?:1UL?L?\\s*<<\\s*(\\d+)|(0x[0-9a-fA-F]+|\\d+))`).exec(uapi);
  return m ? (m[1] !== undefined ? 1n << BigInt(m[1]) : BigInt(m[2])) : undefined;
};

describe('kernel constants table', () => {
  it('memslot uapi flags equal the uapi header', () => {
    for (const name of ['KVM_MEM_LOG_DIRTY_PAGES', 'KVM_MEM_READONLY'] as const) assert.equal(CONSTANTS[name].value, define(name), name);
    const gmem = define('KVM_MEM_GUEST_MEMFD'); // only in 6.8+ headers
    if (gmem !== undefined) assert.equal(CONSTANTS.KVM_MEM_GUEST_MEMFD.value, gmem);
  });
  it('flag names decode known bits and keep unknown ones as hex', () => {
    assert.deepEqual(memslotFlagNames(0x3), ['LOG_DIRTY_PAGES', 'READONLY']);
    assert.deepEqual(memslotFlagNames(0x30000 | 0x4 | 0x100), ['GUEST_MEMFD', 'INVALID', 'GMEM_ONLY', '0x100']);
    assert.deepEqual(memslotFlagNames(0xafd9d925), ['LOG_DIRTY_PAGES', 'GUEST_MEMFD', 'INVALID', '0xafd8d920']);
  });
  it('a translation names the #defines it relied on', () => {
    const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
    const [t] = runCli(['fixtures/demo-6.1/vmcore.kdump-zlib', '-g', String(truth.vmm.pid), '-p', truth.markers[0].gpa, '--json']).json();
    assert.ok(t.constants.some((c: string) => c.startsWith('PAGE_SHIFT = 0xc (')), JSON.stringify(t.constants));
    assert.ok(t.constants.some((c: string) => c.startsWith('__START_KERNEL_map = 0xffffffff80000000')));
  });
});
