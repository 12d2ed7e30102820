// The KVMI request handler with a fake VM: framing, errors and read-only policy, as the KVMI v5/v6
// documentation states them (ids and error values from the protocol summary).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handle, type IntrospectedVm } from '../../src/kvmi/handler.js';
import { CMD, maskOf, READ_COMMANDS } from '../../src/kvmi/protocol.js';

const page = Buffer.alloc(4096, 0x5a);
const vm: IntrospectedVm = {
  vcpuCount: 2,
  tscKhz: 2000000,
  readPhysical: (gpa, size) => {
    if (gpa >= 0x10000n) throw new Error('not mapped');
    return page.subarray(Number(gpa & 0xfffn), Number(gpa & 0xfffn) + size);
  },
  registers: (v) => (v < 2 ? new Map([['rax', 0x1111n], ['rip', 0xfff0n], ['cr0', 0x80050033n], ['efer', 0xd01n]]) : undefined),
  msr: (_v, i) => (i === 0xc0000080 ? 0xd01n : undefined),
  cpuid: (_v, fn) => (fn === 0 ? [0xd, 0x68747541, 0x444d4163, 0x69746e65] : undefined),
};
const policy = { commands: maskOf(READ_COMMANDS), events: 0 };
const req = (id: number, data: Buffer = Buffer.alloc(0), seq = 7) => ({ id, seq, data });
const err = (r: Buffer) => r.readInt32LE(8);

describe('KVMI handler', () => {
  it('replies with the same id and seq, an error code, and data only on success', () => {
    const r = handle(vm, policy, req(CMD.GET_VERSION, Buffer.alloc(0), 0xabcdef));
    assert.deepEqual([r.readUInt16LE(0), r.readUInt32LE(4), err(r), r.readUInt16LE(2)], [CMD.GET_VERSION, 0xabcdef, 0, 8 + 16]);
    assert.equal(r.readUInt32LE(16), 1); // KVMI_VERSION
    assert.equal(r.readUInt32LE(20), policy.commands);
  });
  it('GET_GUEST_INFO: vcpu count and tsc speed in Hz', () => {
    const r = handle(vm, policy, req(CMD.GET_GUEST_INFO));
    assert.deepEqual([err(r), r.readUInt32LE(16), r.readBigUInt64LE(24)], [0, 2, 2000000000n]);
  });
  it('READ_PHYSICAL: bytes within one page; unmapped -> an error, never zeros', () => {
    const q = Buffer.alloc(16);
    q.writeBigUInt64LE(0x1ff0n, 0);
    q.writeBigUInt64LE(16n, 8);
    const r = handle(vm, policy, req(CMD.READ_PHYSICAL, q));
    assert.deepEqual([err(r), r.subarray(16)], [0, Buffer.alloc(16, 0x5a)]);
    q.writeBigUInt64LE(0x20000n, 0);
    assert.equal(err(handle(vm, policy, req(CMD.READ_PHYSICAL, q))), -2);
    q.writeBigUInt64LE(0x1ff0n, 0);
    q.writeBigUInt64LE(32n, 8); // crosses the page end
    assert.equal(err(handle(vm, policy, req(CMD.READ_PHYSICAL, q))), -22);
  });
  it('GET_REGISTERS: mode from EFER.LMA, kvm_regs order, requested MSRs; bad vcpu/MSR -> EINVAL', () => {
    const q = Buffer.alloc(8 + 8 + 4);
    q.writeUInt16LE(1, 0); // vcpu 1
    q.writeUInt16LE(1, 8); // nmsrs
    q.writeUInt32LE(0xc0000080, 16);
    const r = handle(vm, policy, req(CMD.GET_REGISTERS, q));
    assert.equal(err(r), 0);
    assert.equal(r.readUInt32LE(16), 8);
    assert.equal(r.readBigUInt64LE(24), 0x1111n); // rax
    assert.equal(r.readBigUInt64LE(24 + 16 * 8), 0xfff0n); // rip
    q.writeUInt16LE(5, 0);
    assert.equal(err(handle(vm, policy, req(CMD.GET_REGISTERS, q))), -22);
    q.writeUInt16LE(0, 0);
    q.writeUInt32LE(0x10, 16);
    assert.equal(err(handle(vm, policy, req(CMD.GET_REGISTERS, q))), -22);
  });
  it('nonzero padding -> -KVM_EINVAL', () => {
    const q = Buffer.alloc(16);
    q[3] = 1; // vcpu header padding
    assert.equal(err(handle(vm, policy, req(CMD.GET_CPUID, q))), -22);
  });
  it('write commands -> -KVM_EPERM; unknown ids -> -KVM_EOPNOTSUPP; disallowed -> -KVM_EPERM', () => {
    for (const id of [CMD.SET_REGISTERS, CMD.WRITE_PHYSICAL, CMD.SET_PAGE_ACCESS, CMD.INJECT_EXCEPTION, CMD.CONTROL_EVENTS, CMD.EVENT_REPLY]) {
      assert.equal(err(handle(vm, policy, req(id))), -1, `id ${id}`);
    }
    assert.equal(err(handle(vm, policy, req(999))), -95);
    assert.equal(err(handle(vm, { commands: maskOf([CMD.GET_VERSION]), events: 0 }, req(CMD.GET_GUEST_INFO))), -1);
    assert.equal(err(handle(vm, policy, req(CMD.GET_PAGE_ACCESS))), -95);
  });
  it('GET_CPUID: a leaf from the vCPU table; missing leaf -> ENOENT', () => {
    const q = Buffer.alloc(16);
    const r = handle(vm, policy, req(CMD.GET_CPUID, q));
    assert.equal(r.subarray(20, 32).toString('latin1'), 'AuthenticAMD'.replace(/(....)(....)(....)/, '$1$3$2'));
    q.writeUInt32LE(0x99, 8);
    assert.equal(err(handle(vm, policy, req(CMD.GET_CPUID, q))), -2);
  });
});
