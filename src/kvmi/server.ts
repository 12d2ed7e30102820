// The KVMI socket server: one connection per client, framing bounded to one message, a misbehaving
// client closes only its own connection. Owner-only unix socket.
import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { handle, type IntrospectedVm, type Policy } from './handler.js';
import { HDR_SIZE, KVMI_MSG_SIZE } from './protocol.js';

export interface ServerStats {
  connections: number;
  requests: number;
  closedForErrors: number;
}

/** Serves one connection: returns when it closes. Exported for tests over socket pairs. */
export function serveConnection(sock: Socket, vm: IntrospectedVm, policy: Policy, stats: ServerStats): void {
  let pending: Buffer = Buffer.alloc(0);
  const fail = () => {
    stats.closedForErrors++;
    sock.destroy();
  };
  sock.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= HDR_SIZE) {
      const size = pending.readUInt16LE(2);
      if (size > KVMI_MSG_SIZE) return fail(); // as the kernel's receiving worker: drop the connection
      if (pending.length < HDR_SIZE + size) break;
      const req = { id: pending.readUInt16LE(0), seq: pending.readUInt32LE(4), data: Buffer.from(pending.subarray(HDR_SIZE, HDR_SIZE + size)) };
      pending = pending.subarray(HDR_SIZE + size);
      stats.requests++;
      let out: Buffer;
      try {
        out = handle(vm, policy, req);
      } catch {
        return fail();
      }
      // Backpressure: a client that does not read its replies stops being read.
      if (!sock.write(out)) {
        sock.pause();
        sock.once('drain', () => sock.resume());
      }
    }
    if (pending.length > HDR_SIZE + KVMI_MSG_SIZE) fail();
  });
  sock.on('error', () => sock.destroy());
}

export function listenUnix(path: string, vm: IntrospectedVm, policy: Policy): Promise<{ server: Server; stats: ServerStats }> {
  try {
    const st = lstatSync(path);
    if (!st.isSocket()) throw new Error(`${path} exists and is not a socket: refusing to replace it`);
    unlinkSync(path); // a stale socket of an earlier run
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const stats: ServerStats = { connections: 0, requests: 0, closedForErrors: 0 };
  const server = createServer({ pauseOnConnect: false }, (sock) => {
    stats.connections++;
    serveConnection(sock, vm, policy, stats);
  });
  return new Promise((resolve, reject) => {
    // Owner-only from the first instant: the socket is created under a umask that leaves only rw for the owner.
    const old = process.umask(0o177);
    server.once('error', (e) => {
      process.umask(old);
      reject(e);
    });
    server.listen(path, () => {
      process.umask(old);
      resolve({ server, stats });
    });
  });
}
