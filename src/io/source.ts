// Byte sources: everything that parses a file reads through this interface, never through fs directly,
// so parsers work the same over a file descriptor, an in-memory buffer or a decompressed section.
// Offsets are numbers: file offsets stay far below 2^53 (a 9 PB file), unlike kernel addresses.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { QvError } from './errors.js';
import { LruCache } from './lru.js';

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A human name for error messages (file path, "section .debug_info of kvm.ko", ...). */
  readonly name: string;
  /**
   * Exactly `length` bytes at `offset`. Throws ShortReadError when the source ends first.
   * The returned buffer may be shared with a cache: callers must not modify it.
   */
  read(offset: number, length: number): Buffer;
}

export class ShortReadError extends QvError {
  constructor(
    readonly source: string,
    readonly offset: number,
    readonly length: number,
    readonly size: number,
  ) {
    super(
      'SHORT_READ',
      `${source}: read of ${length} bytes at offset 0x${offset.toString(16)} runs past its end ` +
        `(size 0x${size.toString(16)}); the file is truncated or a header points outside it`,
      { source, offset, length, size },
    );
    this.name = 'ShortReadError';
  }
}

function checkRange(src: ByteSource, offset: number, length: number): void {
  if (offset < 0 || length < 0 || offset + length > src.size || !Number.isSafeInteger(offset + length)) {
    throw new ShortReadError(src.name, offset, length, src.size);
  }
}

/** An in-memory byte source (decompressed or relocated sections, tests). */
export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(
    readonly buf: Buffer,
    readonly name = 'buffer',
  ) {
    this.size = buf.length;
  }
  read(offset: number, length: number): Buffer {
    checkRange(this, offset, length);
    return this.buf.subarray(offset, offset + length);
  }
}

/** A window [start, start+size) of another source, e.g. one ELF section. */
export class SliceSource implements ByteSource {
  constructor(
    readonly base: ByteSource,
    readonly start: number,
    readonly size: number,
    readonly name = `${base.name}[0x${start.toString(16)}+0x${size.toString(16)}]`,
  ) {
    checkRange(base, start, size);
  }
  read(offset: number, length: number): Buffer {
    checkRange(this, offset, length);
    return this.base.read(this.start + offset, length);
  }
}

/**
 * Opens an input read-only and returns its descriptor and size, or a QvError naming the path and what to
 * give instead: a directory, a missing file or a device would otherwise surface as a raw EISDIR/ENOENT
 * from deep inside a parser.
 */
export function openInput(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new QvError(code === 'ENOENT' ? 'NO_SUCH_FILE' : 'CANNOT_OPEN', `cannot open ${path}: ${(e as Error).message}`, { path });
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    const what = st.isDirectory() ? 'a directory' : 'not a regular file';
    throw new QvError(
      'NOT_A_FILE',
      `${path} is ${what}; give the dump file itself (e.g. ${path.replace(/\/+$/, '')}/vmcore or dump.<date>), and the vmlinux as a file too`,
      { path },
    );
  }
  return { fd, size: st.size };
}

/** A whole small input (a System.map, a kallsyms capture, a BTF file) read through openInput's checks. */
/** Pseudo-files (/proc/kallsyms) say size 0 and are read to their end; past this they are not what we want. */
const MAX_PSEUDO_FILE = 256 << 20;

export function readInput(path: string): Buffer {
  const { fd, size } = openInput(path);
  try {
    if (size === 0) {
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const b = Buffer.allocUnsafe(1 << 20);
        const n = readSync(fd, b, 0, b.length, null);
        if (n <= 0) break;
        chunks.push(b.subarray(0, n));
        total += n;
        if (total > MAX_PSEUDO_FILE) throw new QvError('INPUT_TOO_LARGE', `${path}: more than ${MAX_PSEUDO_FILE >> 20} MiB from a file that says it is empty: not a kallsyms/BTF file`);
      }
      return Buffer.concat(chunks, total);
    }
    const out = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, out, done, size - done, done);
      if (n <= 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

const BLOCK_SHIFT = 16; // 64 KiB cache blocks
const BLOCK = 1 << BLOCK_SHIFT;

/**
 * Positional reads from a file descriptor through a small LRU block cache. Never reads the whole file:
 * peak memory is the cache (blocks × 64 KiB) plus what callers keep.
 */
export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number;
  private cache: LruCache<number, Buffer>;
  /** Reads that hit the disk, for benchmarks and tests of laziness. */
  diskReads = 0;
  bytesRead = 0;

  constructor(
    readonly name: string,
    cacheBlocks = 256,
  ) {
    const { fd, size } = openInput(name);
    this.fd = fd;
    this.size = size;
    this.cache = new LruCache(cacheBlocks);
  }

  /** Forgets every cached block: the next reads go to the file (a live source such as /proc/kcore changes). */
  dropCache(): void {
    this.cache.clear();
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Reads straight from the file, bypassing the cache (large sequential scans). */
  readUncached(offset: number, length: number): Buffer {
    return this.readInto(Buffer.allocUnsafe(length), offset, length);
  }

  /**
   * Reads into the caller's buffer (bypassing the cache) and returns the filled part. Sequential scans
   * reuse one buffer: a fresh multi-megabyte buffer per window costs page faults and GC pressure.
   */
  readInto(target: Buffer, offset: number, length: number): Buffer {
    checkRange(this, offset, length);
    if (length > target.length) throw new RangeError(`${this.name}: readInto: ${length} bytes do not fit a ${target.length}-byte buffer`);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, target, done, length - done, offset + done);
      if (n <= 0) throw new ShortReadError(this.name, offset, length, this.size);
      done += n;
    }
    this.diskReads++;
    this.bytesRead += length;
    return target.subarray(0, length);
  }

  private block(index: number): Buffer {
    let b = this.cache.get(index);
    if (!b) {
      const start = index * BLOCK;
      b = this.readUncached(start, Math.min(BLOCK, this.size - start));
      this.cache.set(index, b);
    }
    return b;
  }

  read(offset: number, length: number): Buffer {
    checkRange(this, offset, length);
    if (length > BLOCK) return this.readUncached(offset, length);
    const first = Math.floor(offset / BLOCK);
    const last = Math.floor((offset + length - 1) / BLOCK);
    if (length === 0) return Buffer.alloc(0);
    if (first === last) {
      const off = offset - first * BLOCK;
      return this.block(first).subarray(off, off + length);
    }
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    for (let i = first; i <= last; i++) {
      const b = this.block(i);
      const from = i === first ? offset - first * BLOCK : 0;
      const n = Math.min(b.length - from, length - done);
      b.copy(out, done, from, from + n);
      done += n;
    }
    return out;
  }
}
