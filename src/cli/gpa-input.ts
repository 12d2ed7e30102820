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
  for (const batch of gpaBatches(values, stdinFd)) yield* batch;
}

/** The same addresses in arrays of up to a read chunk's worth (a batch of 100,000 pays no per-address generator step). */
export function* gpaBatches(values: string[], stdinFd = 0): Generator<bigint[]> {
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
    } else yield [parseAddress(v)];
  }
}

/** Words of a file descriptor, read in chunks: blanks or commas separate them, '#' starts a comment to the line's end. */
function* addressesOfFd(fd: number, name: string): Generator<bigint[]> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let rest = '';
  const line = { no: 1 };
  for (;;) {
    const n = readChunk(fd, buf);
    let text = rest + (n > 0 ? buf.toString('latin1', 0, n) : '\n');
    // Only whole lines are scanned; the tail waits for the next chunk (a word may continue there).
    const cut = text.lastIndexOf('\n');
    rest = text.slice(cut + 1);
    text = text.slice(0, cut + 1);
    if (rest.length > MAX_LINE) throw new QvError('USAGE', `${name}:${line.no}: line longer than ${MAX_LINE} bytes: not a list of addresses`);
    const out = scanWords(text, name, line);
    if (out.length) yield out;
    if (n === 0) return;
  }
}

/** Blanks (as latin1 text: \s) and the comma end a word; so does '#', which starts a comment. */
function isSeparator(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x2c || c === 0x23 || c === 0x85 || c === 0xa0;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/**
 * The addresses of whole lines, scanned by character code: a word of 1 to 13 hex digits (with or without 0x) is
 * summed as a double, exact below 2^53; any other word goes through parseAddress, which takes it or says why not.
 */
function scanWords(text: string, name: string, line: { no: number }): bigint[] {
  const out: bigint[] = [];
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line.no++;
      i++;
    } else if (c === 0x23) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? len : nl;
    } else if (isSeparator(c)) i++;
    else {
      let j = c === 0x30 && (text.charCodeAt(i + 1) | 0x20) === 0x78 ? i + 2 : i;
      const digits0 = j;
      let v = 0;
      let ok = true;
      for (; j < len; j++) {
        const d = text.charCodeAt(j);
        if (isSeparator(d)) break;
        const h = hexDigit(d);
        if (h < 0) ok = false;
        else v = v * 16 + h;
      }
      const digits = j - digits0;
      out.push(ok && digits >= 1 && digits <= 13 ? BigInt(v) : hexWord(text.slice(i, j), name, line.no));
      i = j;
    }
  }
  return out;
}

function hexWord(w: string, name: string, lineNo: number): bigint {
  try {
    return parseAddress(w); // the same answer, or the same message, as an address on the command line
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
