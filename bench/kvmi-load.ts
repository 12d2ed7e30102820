// KVMI load: N concurrent clients x M mixed requests against a server process on a unix socket (loopback
// only, bounded, stops by itself), plus malformed frames from a small fuzzer; every answer is checked.
// `node dist/bench/kvmi-load.js` runs the full 16 x 10,000; the test suite runs a small version.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoadResult {
  requests: number;
  wrong: number;
  seconds: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  fuzzFrames: number;
  serverAlive: boolean;
}

export interface Marker {
  gpa: bigint;
  bytes: Buffer;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** A client that sends one request at a time and reads its reply (header + error + data). */
class Client {
  private buf = Buffer.alloc(0);
  private waiting?: (b: Buffer | undefined) => void;
  private seq = 1;
  constructor(private sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.flush();
    });
    sock.on('close', () => this.waiting?.(undefined));
    sock.on('error', () => {});
  }
  private flush() {
    if (!this.waiting || this.buf.length < 8) return;
    const size = this.buf.readUInt16LE(2);
    if (this.buf.length < 8 + size) return;
    const msg = this.buf.subarray(0, 8 + size);
    this.buf = this.buf.subarray(8 + size);
    const w = this.waiting;
    this.waiting = undefined;
    w(msg);
  }
  call(id: number, data: Buffer): Promise<Buffer | undefined> {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(id, 0);
    h.writeUInt16LE(data.length, 2);
    h.writeUInt32LE(this.seq++, 4);
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.sock.write(Buffer.concat([h, data]));
      this.flush();
    });
  }
}

const open = (path: string) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', reject);
  });

export async function startServer(args: string[], socket: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/qemu-vtop', 'serve', '--kvmi', `unix:${socket}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const end = Date.now() + 60_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`KVMI server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

export async function runLoad(socket: string, serverPid: number, markers: Marker[], vcpus: number, clients: number, perClient: number, fuzz: number): Promise<LoadResult> {
  const rssBefore = rssKiB(serverPid);
  const t0 = performance.now();
  let wrong = 0;
  let requests = 0;
  const one = async (c: number) => {
    const cl = new Client(await open(socket));
    for (let i = 0; i < perClient; i++) {
      const kind = (i + c) % 3;
      if (kind === 0) {
        const m = markers[(i + c) % markers.length];
        const q = Buffer.alloc(16);
        q.writeBigUInt64LE(m.gpa, 0);
        q.writeBigUInt64LE(BigInt(m.bytes.length), 8);
        const r = await cl.call(13, q);
        if (!r || r.readInt32LE(8) !== 0 || !r.subarray(16).equals(m.bytes)) wrong++;
      } else if (kind === 1) {
        const r = await cl.call(3, Buffer.alloc(0));
        if (!r || r.readInt32LE(8) !== 0 || r.readUInt32LE(16) !== vcpus) wrong++;
      } else {
        const r = await cl.call(14, Buffer.alloc(16)); // WRITE_PHYSICAL: always -KVM_EPERM
        if (!r || r.readInt32LE(8) !== -1) wrong++;
      }
      requests++;
    }
    (cl as unknown as { sock: Socket }).sock.end();
  };
  // The fuzzer: random frames on their own connections; each may be answered or closed, never crash the server.
  let fuzzed = 0;
  const fuzzer = async () => {
    let x = 12345;
    const rnd = () => (x = (x * 1103515245 + 12345) >>> 0);
    for (let i = 0; i < fuzz; i++) {
      const s = await open(socket);
      s.on('error', () => {});
      const len = rnd() % 64;
      const frame = Buffer.alloc(len);
      for (let j = 0; j < len; j++) frame[j] = rnd() & 0xff;
      if (i % 4 === 0 && len >= 8) frame.writeUInt16LE(0xffff, 2); // oversize
      s.write(frame);
      await new Promise((r) => setTimeout(r, 2));
      s.destroy();
      fuzzed++;
    }
  };
  await Promise.all([...Array.from({ length: clients }, (_, c) => one(c)), fuzzer()]);
  const seconds = (performance.now() - t0) / 1000;
  // Alive: a fresh client still gets an answer.
  const probe = new Client(await open(socket));
  const alive = !!(await probe.call(1, Buffer.alloc(0)));
  (probe as unknown as { sock: Socket }).sock.end();
  return { requests, wrong, seconds, rssBeforeKiB: rssBefore, rssAfterKiB: rssKiB(serverPid), fuzzFrames: fuzzed, serverAlive: alive };
}

/** The full load run over the real dump (npm run bench). */
async function main(): Promise<void> {
  const truthPath = '../shared/fixtures/real-6.1/truth.json';
  const dump = '../shared/fixtures/real-6.1/vmcore.kdump-zlib';
  if (!existsSync(truthPath) || !existsSync(dump)) {
    console.log('kvmi load: ../shared/fixtures/real-6.1 is missing; nothing to run');
    return;
  }
  const truth = JSON.parse(readFileSync(truthPath, 'utf8'));
  const markers = truth.markers.filter((m: { as_id: number }) => m.as_id === 0).map((m: { gpa: string; bytes_hex: string }) => ({ gpa: BigInt(m.gpa), bytes: Buffer.from(m.bytes_hex, 'hex') }));
  const socket = join(mkdtempSync(join(tmpdir(), 'qv-kvmi-')), 'kvmi.sock');
  const server = await startServer(['-g', String(truth.vmm.pid), dump], socket);
  try {
    const r = await runLoad(socket, server.pid!, markers, truth.vmm.vcpus.length, 16, Number(process.env.KVMI_REQUESTS ?? 10000), 500);
    console.log(`kvmi load: 16 clients x ${r.requests / 16} requests + ${r.fuzzFrames} fuzz frames: ${r.requests} requests in ${r.seconds.toFixed(2)} s = ${(r.requests / r.seconds).toFixed(0)} req/s; wrong answers ${r.wrong}; server alive ${r.serverAlive}; server RSS ${(r.rssBeforeKiB / 1024).toFixed(0)} -> ${(r.rssAfterKiB / 1024).toFixed(0)} MiB`);
  } finally {
    server.kill('SIGTERM');
  }
}

if (process.argv[1]?.endsWith('kvmi-load.js')) await main();
