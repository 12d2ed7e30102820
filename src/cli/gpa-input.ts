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

/** Words of a file descriptor, read in chunks: blanks or commas separate them, '#' starts a comment to the line's end. */
function* addressesOfFd(fd: number, name: string): Generator<bigint> {
  const buf = Buffer.allocUnsafe(CHUNK);
  const word = /[^\s,#]+|#[^\n]*|\n/g;
  let rest = '';
  let lineNo = 1;
  for (;;) {
    const n = readChunk(fd, buf);
    let text = rest + (n > 0 ? buf.toString('latin1', 0, n) : '\n');
    // Only whole lines are scanned; the tail waits for the next chunk (a word may continue there).
    const cut = text.lastIndexOf('\n');
    rest = text.slice(cut + 1);
    text = text.slice(0, cut + 1);
    if (rest.length > MAX_LINE) throw new QvError('USAGE', `${name}:${lineNo}: line longer than ${MAX_LINE} bytes: not a list of addresses`);
    word.lastIndex = 0;
    for (let m = word.exec(text); m; m = word.exec(text)) {
      const w = m[0];
      if (w === '\n') lineNo++;
      else if (w.charCodeAt(0) !== 0x23 /* # */) yield hexWord(w, name, lineNo);
    }
    if (n === 0) return;
  }
}

const HEX = /^(?:0[xX])?([0-9a-fA-F]{1,16})$/;

function hexWord(w: string, name: string, lineNo: number): bigint {
  const m = HEX.exec(w);
  if (m) return BigInt('0x' + m[1]);
  try {
    return parseAddress(w); // the same message as an address on the command line
  } catch (e) {
    throw new QvError('USAGE', `${name}:${lineNo}: ${(e as Error).message}`);
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
