// One debuginfod download, run as a child process so the (synchronous) session loader can wait for it:
//   node debuginfod-get.js URL DEST LABEL
// Streams the body to DEST, a progress line on stderr when it is a terminal. Exit 0: written; 4: the server
// does not have it (404); 3: any other failure, its reason on stdout.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [url, dest, label] = process.argv.slice(2);

async function main(): Promise<number> {
  const res = await fetch(url);
  if (res.status === 404) return 4;
  if (!res.ok || !res.body) {
    process.stdout.write(`HTTP ${res.status} ${res.statusText}`);
    return 3;
  }
  const total = Number(res.headers.get('content-length') ?? 0);
  const tty = process.stderr.isTTY;
  let got = 0;
  let shown = 0;
  const started = Date.now();
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (c: Buffer) => {
    got += c.length;
    if (tty && Date.now() - shown > 200) {
      shown = Date.now();
      const mb = (n: number) => (n / 1048576).toFixed(1);
      const rate = got / 1048576 / Math.max(0.001, (Date.now() - started) / 1000);
      process.stderr.write(`\rdownloading ${label}: ${mb(got)}${total ? ` of ${mb(total)}` : ''} MB, ${rate.toFixed(1)} MB/s`);
    }
  });
  await pipeline(body, createWriteStream(dest, { flags: 'wx' }));
  if (tty) process.stderr.write('\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stdout.write((e.cause as Error | undefined)?.message ?? e.message);
    process.exit(3);
  },
);
