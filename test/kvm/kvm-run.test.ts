// kvm_run decoding tables against the uapi header itself (/usr/include/linux/kvm.h from linux-libc-dev, which
// gcc pulls in: scripts/ensure-deps.sh installs it) and, for the exit reasons newer than that header, against
// the values the newer uapi defines (include/uapi/linux/kvm.h: 38 LOONGARCH_IOCSR, 39 MEMORY_FAULT (6.8),
// 40 TDX (6.16), 41 ARM_SEA). Field decoding runs on a reader over plain values.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  decodeExitFields,
  EXIT_REASONS,
  exitReason,
  INTERNAL_SUBERRORS,
  MSR_EXIT_REASONS,
  type RunReader,
  RUN_FLAGS,
  SYSTEM_EVENT_TYPES,
} from '../../src/kvm/kvm-run.js';
import { MP_STATES, VCPU_MODES } from '../../src/kvm/vcpus.js';

const HEADER = '/usr/include/linux/kvm.h';
const ASM_HEADER = '/usr/include/x86_64-linux-gnu/asm/kvm.h';

function header(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: install linux-libc-dev (the uapi headers; gcc depends on it)`);
  return readFileSync(path, 'utf8');
}

/** name -> value of `#define PREFIXNAME value` or `(1 << n)` lines, optionally only between two markers. */
function defines(text: string, prefix: string, from?: string, to?: string): Map<string, number> {
  let t = text;
  if (from) t = t.slice(t.indexOf(from));
  if (to) t = t.slice(0, t.indexOf(to));
  const out = new Map<string, number>();
  const re = new RegExp(`^#define ${prefix}(\\w+)\\s+(?:\\(1 << (\\d+)\\)|(\\d+))`, 'gm');
  for (const m of t.matchAll(re)) out.set(m[1], m[2] !== undefined ? 1 << Number(m[2]) : Number(m[3]));
  return out;
}

function reader(values: Record<string, bigint | bigint[] | Buffer>): RunReader {
  return {
    has: (p) => p in values,
    value: (p) => values[p] as bigint,
    array: (p) => values[p] as bigint[],
    bytes: (p) => values[p] as Buffer,
  };
}

describe('kvm_run exit reasons', () => {
  it('name every KVM_EXIT_* of the installed uapi header with its value', () => {
    const exits = defines(header(HEADER), 'KVM_EXIT_', '#define KVM_EXIT_UNKNOWN', 'KVM_INTERNAL_ERROR_EMULATION');
    assert.ok(exits.size >= 38, `only ${exits.size} KVM_EXIT_* found in ${HEADER}`);
    for (const [name, code] of exits) assert.equal(EXIT_REASONS[code], name, `KVM_EXIT_${name} = ${code}`);
  });
  it('name the exit reasons of newer kernels', () => {
    assert.deepEqual(
      [38, 39, 40, 41].map((c) => exitReason(c).name),
      ['LOONGARCH_IOCSR', 'MEMORY_FAULT', 'TDX', 'ARM_SEA'],
    );
  });
  it('keep an unknown exit reason as its number, with no fields', () => {
    assert.deepEqual(exitReason(200), { code: 200, name: undefined });
    assert.deepEqual(decodeExitFields(200, reader({})), []);
  });
});

describe('kvm_run field tables against the uapi header', () => {
  const h = header(HEADER);
  const check = (prefix: string, table: Readonly<Record<number, string>>, min: number) => {
    const d = defines(h, prefix);
    assert.ok(d.size >= min, `${prefix}*: ${d.size} in ${HEADER}`);
    for (const [name, v] of d) if (!name.includes('FLAG')) assert.equal(table[v], name, `${prefix}${name} = ${v}`);
  };
  it('KVM_SYSTEM_EVENT_*', () => check('KVM_SYSTEM_EVENT_', SYSTEM_EVENT_TYPES, 6));
  it('KVM_INTERNAL_ERROR_*', () => check('KVM_INTERNAL_ERROR_', INTERNAL_SUBERRORS, 4));
  it('KVM_MP_STATE_*', () => check('KVM_MP_STATE_', MP_STATES, 9));
  it('KVM_MSR_EXIT_REASON_* bits', () => {
    const d = defines(h, 'KVM_MSR_EXIT_REASON_');
    assert.equal(d.size, 3);
    for (const [name, v] of d) assert.ok(MSR_EXIT_REASONS.some(([bit, n]) => n === name && bit === BigInt(v)), name);
  });
  it('KVM_RUN_X86_* flag bits (asm/kvm.h)', () => {
    const d = defines(header(ASM_HEADER), 'KVM_RUN_X86_');
    assert.ok(d.size >= 2);
    for (const [name, v] of d) assert.ok(RUN_FLAGS.some(([bit, n]) => `X86_${name}` === n && bit === BigInt(v)), name);
  });
  it('vcpu->mode names (include/linux/kvm_host.h order)', () => {
    assert.deepEqual(VCPU_MODES, { 0: 'OUTSIDE_GUEST_MODE', 1: 'IN_GUEST_MODE', 2: 'EXITING_GUEST_MODE', 3: 'READING_SHADOW_PAGE_TABLES' });
  });
});

describe('kvm_run exit fields', () => {
  it('IO: the exit the fixture VMM saw (serial.log: io_port=0x1234 io_dir=1 io_size=1)', () => {
    const f = decodeExitFields(2, reader({ 'io.direction': 1n, 'io.size': 1n, 'io.port': 0x1234n, 'io.count': 1n, 'io.data_offset': 0x1000n }));
    assert.deepEqual(
      f.map((x) => [x.name, x.text]),
      [
        ['io.direction', 'OUT'],
        ['io.size', '1'],
        ['io.port', '0x1234'],
        ['io.count', '1'],
        ['io.data_offset', '0x1000'],
      ],
    );
  });
  it('MMIO: address, the data bytes, length, write flag', () => {
    const f = decodeExitFields(6, reader({ 'mmio.phys_addr': 0xfee00300n, 'mmio.data': Buffer.from([0x10, 0x20, 0, 0, 0, 0, 0, 0]), 'mmio.len': 4n, 'mmio.is_write': 1n }));
    assert.deepEqual(
      f.map((x) => x.text),
      ['0xfee00300', '10 20 00 00 00 00 00 00', '4', '1'],
    );
  });
  it('INTERNAL_ERROR: suberror by name, only ndata of the data words', () => {
    const f = decodeExitFields(17, reader({ 'internal.suberror': 1n, 'internal.ndata': 2n, 'internal.data': [1n, 0xabcn, 7n, 7n] }));
    assert.deepEqual(
      f.map((x) => x.text),
      ['EMULATION', '2', '[0x1, 0xabc]'],
    );
  });
  it('SYSTEM_EVENT type by name; MSR reason bits; MEMORY_FAULT private flag; HYPERCALL args', () => {
    assert.equal(decodeExitFields(24, reader({ 'system_event.type': 2n, 'system_event.ndata': 0n, 'system_event.data': [5n] }))[0].text, 'RESET');
    assert.equal(decodeExitFields(29, reader({ 'msr.error': 0n, 'msr.reason': 5n, 'msr.index': 0xc0000080n, 'msr.data': 0n }))[1].text, 'INVAL|FILTER');
    assert.equal(decodeExitFields(30, reader({ 'msr.error': 0n, 'msr.reason': 0x12n, 'msr.index': 0n, 'msr.data': 0n }))[1].text, 'UNKNOWN|0x10');
    assert.deepEqual(
      decodeExitFields(39, reader({ 'memory_fault.flags': 8n, 'memory_fault.gpa': 0x1000n, 'memory_fault.size': 0x1000n })).map((x) => x.text),
      ['PRIVATE', '0x1000', '0x1000'],
    );
    assert.equal(decodeExitFields(3, reader({ 'hypercall.nr': 12n, 'hypercall.args': [1n, 2n, 3n, 0n, 0n, 0n], 'hypercall.ret': 0n, 'hypercall.longmode': 1n }))[1].text, '[0x1, 0x2, 0x3, 0x0, 0x0, 0x0]');
  });
  it("reports a field this kernel's kvm_run lacks as missing instead of reading a guessed offset", () => {
    const f = decodeExitFields(39, reader({}));
    assert.equal(f.length, 3);
    assert.ok(f.every((x) => !x.present && x.value === undefined));
  });
  it('exits without data have no fields (HLT, SHUTDOWN)', () => {
    assert.deepEqual(decodeExitFields(5, reader({})), []);
    assert.deepEqual(decodeExitFields(8, reader({})), []);
  });
});
