// KVMI against the real 6.1 dump, driven by a C client compiled here from the protocol's structure
// definitions (test/kvmi/client.c, no code shared with the server). Expected values from truth.json and
// the fixture README (vCPU 1 ran `out dx,al` with al = 0x42).
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLoad, startServer } from '../../bench/kvmi-load.js';
import { runCli } from '../helpers/cli.js';
import { realFile, realTruth } from '../helpers/real-fixture.js';

const truth = realTruth();
const dir = mkdtempSync(join(tmpdir(), 'qv-kvmi-acc-'));
const socket = join(dir, 'kvmi.sock');
const client = join(dir, 'client');
let server: ChildProcess;
const dump = () => realFile('vmcore.kdump-zlib');
const c = (...args: string[]) => execFileSync(client, [socket, ...args], { encoding: 'utf8' });

before(async () => {
  execFileSync('gcc', ['-Wall', '-O1', '-o', client, 'test/kvmi/client.c']);
  server = await startServer(['-g', String(truth.vmm.pid), dump()], socket);
});
after(() => server?.kill('SIGTERM'));

describe('KVMI server on the real 6.1 dump (C client)', () => {
  it('creates its socket owner-only', () => {
    assert.equal(statSync(socket).mode & 0o777, 0o600);
  });
  it('READ_PHYSICAL of every address-space-0 marker returns the marker bytes', () => {
    for (const m of truth.markers.filter((x: { as_id: number }) => x.as_id === 0)) {
      const out = c('read', m.gpa, String(m.bytes_hex.length / 2));
      assert.match(out, /^err 0$/m, m.gpa);
      assert.equal(/^data (\S+)$/m.exec(out)![1], m.bytes_hex, m.gpa);
    }
  });
  it('READ_PHYSICAL of an untouched page is an error, not zeros', () => {
    assert.match(c('read', truth.untouched.find((u: { as_id: number }) => u.as_id === 0).gpa, '16'), /^err -2$/m);
  });
  it('GET_GUEST_INFO and PAUSE_ALL_VCPUS give the vCPU count', () => {
    assert.match(c('info'), new RegExp(`vcpu_count ${truth.vmm.vcpus.length} `));
    assert.match(c('pause'), new RegExp(`^err 0\\nvcpu_count ${truth.vmm.vcpus.length}$`, 'm'));
  });
  it('GET_REGISTERS returns what qemu-vtop vcpus shows (vCPU 1: al = 0x42 from its out dx,al)', () => {
    const shown = runCli(['vcpus', dump(), '-g', String(truth.vmm.pid), '--json']).json();
    for (const v of [0, 1]) {
      const out = c('regs', String(v));
      assert.match(out, /^err 0$/m);
      const regs = new Map<string, string>(Object.entries(shown.find((x: { vcpuIdx: number }) => x.vcpuIdx === v).regs as Record<string, string>));
      for (const name of ['rax', 'rip', 'cr0', 'cr3', 'efer']) {
        const got = new RegExp(`${name} (0x[0-9a-f]+)`).exec(out)![1];
        assert.equal(BigInt(got), BigInt(regs.get(name)!), `vcpu ${v} ${name}`);
      }
    }
    assert.match(c('regs', '1'), /rax 0x42 /);
  });
  it('write commands get -KVM_EPERM, unknown ids -KVM_EOPNOTSUPP, nonzero padding -KVM_EINVAL', () => {
    for (const id of ['7', '11', '12', '14', '17', '18', '19', '24', '28']) assert.match(c('cmd', id), /^err -1$/m, `id ${id}`);
    assert.match(c('cmd', '999'), /^err -95$/m);
    assert.match(c('cmd', '25', '1'), /^err -22$/m);
  });
  it('an oversize header closes that connection only', () => {
    assert.match(c('oversize'), /closed 1/);
    assert.match(c('version'), /^version 1 /m);
  });
  it('4 clients x 500 mixed requests and 100 fuzz frames: no wrong answer, server alive', async () => {
    const markers = truth.markers.filter((m: { as_id: number }) => m.as_id === 0).map((m: { gpa: string; bytes_hex: string }) => ({ gpa: BigInt(m.gpa), bytes: Buffer.from(m.bytes_hex, 'hex') }));
    const r = await runLoad(socket, server.pid!, markers, truth.vmm.vcpus.length, 4, 500, 100);
    assert.equal(r.wrong, 0);
    assert.equal(r.requests, 2000);
    assert.ok(r.serverAlive);
  });
});
