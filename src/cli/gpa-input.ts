// Where -p's addresses come from: the command line, a file (`-p @FILE`) or stdin (`-p -`), one or more per line.
// A batch of 100,000 addresses does not fit every system's argv, and must not be held whole: the file is read in
// chunks and yielded address by address, so memory stays flat however long the list is.
import { closeSync, openSync, readSync } from 'node:fs';
import { parseAddress } from '../io/hex.js';
import { QvError } from '../io/errors.js';

const CHUNK = 1 << 16;
/** A line longer than this is not a list of addresses (a binary file given by mistake): stop, do not buffer it. */
const MAX_LINE = 1 << 12;

/** Every gpa of `values` in order: hex literals, `@FILE` (its addresses) and `-` (stdin's). */
export function* gpaInputs(values: string[], stdinFd = 0): Generator<bigint> {
  for (const v of values) {
    if (v === '-') yield* addressesOfFd(stdinFd, 'stdin');
    else if (v.startsWith('@')) {
      const path = v.slice(1);
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        throw new QvError('NO_SUCH_FILE', `cannot open the address list ${path}: ${(e as Error).message}`);
      }
      try {
        yield* addressesOfFd(fd, path);
      } finally {
        closeSync(fd);
      }
    } else yield parseAddress(v);
  }
}

/** Lines of a file descriptor, read in chunks; '#' starts a comment, blank lines are skipped, words split on blanks or commas. */
function* addressesOfFd(fd: number, name: string): Generator<bigint> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let rest = '';
  let lineNo = 0;
  for (;;) {
    const n = readChunk(fd, buf);
    const text = rest + (n > 0 ? buf.toString('latin1', 0, n) : '');
    const lines = text.split('\n');
    rest = n > 0 ? lines.pop()! : '';
    if (rest.length > MAX_LINE) throw new QvError('USAGE', `${name}:${lineNo + 1}: line longer than ${MAX_LINE} bytes: not a list of addresses`);
    for (const line of lines) {
      lineNo++;
      const body = line.split('#', 1)[0].trim();
      if (!body) continue;
      for (const w of body.split(/[\s,]+/)) {
        if (!w) continue;
        try {
          yield parseAddress(w);
        } catch (e) {
          throw new QvError('USAGE', `${name}:${lineNo}: ${(e as Error).message}`);
        }
      }
    }
    if (n === 0) return;
  }
}

/** One read; a non-blocking stdin (EAGAIN) is waited on rather than taken for the end of the list. */
function readChunk(fd: number, buf: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') return 0;
      throw e;
    }
  }
}
