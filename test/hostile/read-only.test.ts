// Inputs are read-only: the CLI (every subcommand, with and without debug files), the TUI (in tmux) and the
// KVMI server (serving requests) leave the dump, the vmlinux and kvm.ko with the same bytes, mtime and ctime;
// the one file the tool writes (the DWARF index cache) appears under its final name only, never half-written.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer } from '../../bench/kvmi-load.js';
import { runCli } from '../helpers/cli.js';
import { debianDebuginfo, type DebianDebuginfo } from '../helpers/debuginfo.js';
import { Tmux } from '../helpers/tmux.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-readonly-'));
const cache = join(dir, 'cache');
const dump = join(dir, 'vmcore.kdump-zlib');
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const pid = String(truth.vmm.pid);
let di: DebianDebuginfo;
let inputs: string[];
const tmux = new Tmux(`qv-readonly-${process.pid}`);
after(() => {
  tmux.kill();
  rmSync(dir, { recursive: true, force: true });
});

interface Fingerprint {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  sha256: string;
}
function fingerprint(f: string): Fingerprint {
  const st = statSync(f);
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, sha256: createHash('sha256').update(readFileSync(f)).digest('hex') };
}
let before_: Map<string, Fingerprint>;

before(async () => {
  copyFileSync('fixtures/demo-6.1/vmcore.kdump-zlib', dump);
  di = await debianDebuginfo();
  inputs = [dump, di.vmlinux, di.kvmKo];
  before_ = new Map(inputs.map((f) => [f, fingerprint(f)]));
});

const env = () => ({ XDG_CACHE_HOME: cache });

describe('inputs are never written', () => {
  it('the CLI: vtop, info, vms, memslots, vcpus (BTF from the dump, and DWARF with the index cache written)', () => {
    const runs = [
      [dump, '-g', pid, '-p', '0x2000', '0x100201000', '--json'],
      ['info', dump],
      ['vms', dump, '--json'],
      ['memslots', dump, '-g', pid],
      ['vcpus', dump, '-g', pid],
      [dump, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', pid, '-p', '0x2000'],
      [dump, di.vmlinux, '--kvm-debuginfo', di.kvmKo, '-g', pid, '-p', '0x100201000'], // reads the cache it wrote
    ];
    for (const args of runs) {
      const r = runCli(args, env());
      assert.ok(r.status === 0 || r.status === 1, `${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    }
    // The index cache: complete files under their final names, no temporary left behind.
    const written = readdirSync(join(cache, 'qemu-vtop'));
    assert.ok(written.some((f) => /^dwarf-index-[0-9a-f]+\.json$/.test(f)), written.join(', '));
    assert.deepEqual(written.filter((f) => f.includes('.tmp')), []);
    for (const f of written) JSON.parse(readFileSync(join(cache, 'qemu-vtop', f), 'utf8'));
  });

  it('the TUI: load, translate a gpa, quit', () => {
    tmux.start(`XDG_CACHE_HOME=${cache} node bin/qemu-vtop tui ${dump}`);
    tmux.waitFor(/qvtop-vmm/);
    tmux.key('g');
    tmux.waitFor(/go to gpa/);
    tmux.type('0x2000');
    tmux.key('Enter');
    tmux.waitFor(/-> hpa 0x/);
    tmux.key('q');
    tmux.waitFor(/\[exited 0\]/);
  });

  it('the KVMI server: GET_VERSION and READ_PHYSICAL answered, then SIGTERM', async () => {
    const socket = join(dir, 'kvmi.sock');
    const server = await startServer(['-g', pid, dump], socket);
    try {
      const replies = await new Promise<Buffer>((resolve, reject) => {
        const s = connect(socket);
        const frame = (id: number, seq: number, data: Buffer) => {
          const h = Buffer.alloc(8);
          h.writeUInt16LE(id, 0);
          h.writeUInt16LE(data.length, 2);
          h.writeUInt32LE(seq, 4);
          return Buffer.concat([h, data]);
        };
        const rp = Buffer.alloc(16);
        rp.writeBigUInt64LE(BigInt(truth.markers[0].gpa), 0);
        rp.writeBigUInt64LE(16n, 8);
        let got = Buffer.alloc(0);
        s.on('data', (d) => {
          got = Buffer.concat([got, d]);
          if (got.length >= 8 + 8 + 16 + 8 + 8 + 16) {
            s.end();
            resolve(got);
          }
        });
        s.on('error', reject);
        s.write(Buffer.concat([frame(1, 1, Buffer.alloc(0)), frame(13, 2, rp)]));
      });
      assert.equal(replies.readInt32LE(8), 0, 'GET_VERSION answered');
      assert.equal(replies.readInt32LE(32 + 8), 0, 'READ_PHYSICAL answered');
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });

  it('every input has the bytes, size, mtime and ctime it had before', () => {
    for (const f of inputs) assert.deepEqual(fingerprint(f), before_.get(f), f);
  });
});
