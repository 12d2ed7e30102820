// Where written files go: a file descriptor written in order (and, for formats whose index precedes the data,
// at positions already passed), created under a temporary name and renamed into place only when complete, so
// a failed or interrupted write never leaves a half file under the real name. `-` is stdout (in order only).
import { closeSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { QvError } from './errors.js';

export interface Sink {
  /** Bytes written in order so far (the position of the next write). */
  readonly position: number;
  write(buf: Buffer): void;
  /** Writes at an earlier position (not for stdout). */
  pwrite(buf: Buffer, position: number): void;
  readonly seekable: boolean;
}

class FdSink implements Sink {
  position = 0;
  constructor(
    readonly fd: number,
    readonly seekable: boolean,
    readonly name: string,
  ) {}

  write(buf: Buffer): void {
    let done = 0;
    while (done < buf.length) {
      try {
        done += writeSync(this.fd, buf, done, buf.length - done, this.seekable ? this.position + done : null);
      } catch (e) {
        // A non-blocking pipe (stdout) that is full: wait for the reader instead of failing.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        throw new QvError('WRITE_FAILED', `writing ${this.name} failed at byte ${this.position + done}: ${(e as Error).message}`);
      }
    }
    this.position += buf.length;
  }

  pwrite(buf: Buffer, position: number): void {
    if (!this.seekable) throw new QvError('NOT_SEEKABLE', `${this.name} cannot be written out of order`);
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, position + done);
  }
}

export interface Output {
  sink: Sink;
  /** Flushes and renames the temporary file to its real name. */
  commit(): void;
  /** Removes the temporary file. */
  abort(): void;
}

/** Opens `path` for writing through a temporary file beside it; `-` = stdout. Refuses to overwrite without force. */
export function openOutput(path: string, o: { force?: boolean; needSeek?: boolean } = {}): Output {
  if (path === '-') {
    if (o.needSeek) throw new QvError('USAGE', 'this format is written out of order and cannot go to stdout: give -o FILE');
    const sink = new FdSink(1, false, 'stdout');
    return { sink, commit: () => {}, abort: () => {} };
  }
  if (existsSync(path) && !o.force) throw new QvError('OUTPUT_EXISTS', `${path} exists: give --force to overwrite it, or another -o`);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw new QvError('OUTPUT_UNWRITABLE', `cannot create ${tmp} (the temporary name of ${path}): ${(e as Error).message}`);
  }
  const sink = new FdSink(fd, true, path);
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    sink,
    commit() {
      fsyncSync(fd);
      close();
      renameSync(tmp, path);
    },
    abort() {
      close();
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    },
  };
}
