// Translations rendered one by one as they are made, so a batch of any size holds one at a time: crash-style
// text, a JSON array written element by element (byte for byte what JSON.stringify(array, null, 2) gives), JSON
// lines, or --brief lines. Output is gathered into chunks of CHUNK characters (one write per chunk, not per line).
import { writeSync } from 'node:fs';
import { hex } from '../io/hex.js';
import { translationJson } from './render-json.js';
import { renderTranslation } from './render-text.js';
import { type Translation } from './translation.js';

export type BatchFormat = 'text' | 'json' | 'jsonl' | 'brief';

const CHUNK = 1 << 16;
const SIZE_LABEL: Record<string, string> = { '4096': '4K', '2097152': '2M', '1073741824': '1G' };

/**
 * --brief: "GPA HVA HPA SIZE", four columns always, '-' for what is unknown and the error code in place of the
 * page size: `0x2000 0x7f438610d000 0xe1f1000 4K`, `0x5000000 - - GPA_NOT_IN_MEMSLOT`.
 */
export function briefLine(t: Translation): string {
  const hva = t.hva !== undefined ? hex(t.hva) : '-';
  const hpa = t.hpa !== undefined ? hex(t.hpa) : '-';
  const last = t.error ? t.error.code : t.pageSize !== undefined ? (SIZE_LABEL[t.pageSize.toString()] ?? String(t.pageSize)) : '-';
  return `${hex(t.gpa)} ${hva} ${hpa} ${last}\n`;
}

export class BatchWriter {
  private buf: string[] = [];
  private len = 0;
  private count = 0;

  constructor(
    readonly format: BatchFormat,
    private readonly write: (s: string) => void,
    /** Fields added to every JSON object (the live source on a live host). */
    private readonly jsonExtra?: Record<string, unknown>,
  ) {}

  private json(t: Translation): Record<string, unknown> {
    return this.jsonExtra ? { ...translationJson(t), ...this.jsonExtra } : translationJson(t);
  }

  add(t: Translation): void {
    const first = this.count++ === 0;
    switch (this.format) {
      case 'brief':
        this.push(briefLine(t));
        break;
      case 'jsonl':
        this.push(JSON.stringify(this.json(t)) + '\n');
        break;
      case 'json':
        this.push((first ? '[\n  ' : ',\n  ') + JSON.stringify(this.json(t), null, 2).replace(/\n/g, '\n  '));
        break;
      default:
        this.push((first ? '' : '\n') + renderTranslation(t));
    }
  }

  /** Closes the JSON array (also after an error, so what was written stays one document) and writes what is left. */
  end(): void {
    if (this.format === 'json') this.push(this.count ? '\n]\n' : '[]\n');
    this.flush();
  }

  flush(): void {
    if (!this.len) return;
    this.write(this.buf.join(''));
    this.buf = [];
    this.len = 0;
  }

  private push(s: string): void {
    this.buf.push(s);
    this.len += s.length;
    if (this.len >= CHUNK) this.flush();
  }
}

/**
 * Writes to a file descriptor synchronously. process.stdout.write queues what a pipe does not take at once, so a
 * batch piped into a slower reader would hold its whole output in memory; this waits for the pipe instead.
 * A reader that goes away (`| head`) ends the command quietly, as SIGPIPE would.
 */
export function fdWriter(fd: number): (s: string) => void {
  return (s) => {
    const b = Buffer.from(s, 'utf8');
    let off = 0;
    while (off < b.length) {
      try {
        off += writeSync(fd, b, off, b.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        else if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
        else throw e;
      }
    }
  };
}
