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

/**
 * --brief lines of a batch, each 4K page translated once: every field of a brief line depends only on the gpa's
 * page, except the low 12 bits, which the gpa, hva and hpa share (memslots and pages are page-aligned). So the
 * line of another address of a translated page is its hex prefixes with the offset appended; where that cannot
 * hold (page 0, whose hex has no prefix, or an answer whose low bits differ) each address is translated itself.
 */
export class BriefMemo {
  private pages = new Map<number, { gpa: string; hva: string; hpa: string; last: string; error: boolean } | null>();
  constructor(private readonly cap = 1 << 16) {}

  line(gpa: bigint, translate: (gpa: bigint) => Translation): { line: string; error: boolean } {
    const pageNo = gpa >> 12n;
    if (pageNo === 0n || pageNo > 0xffffffffffn) return this.slow(gpa, translate);
    const key = Number(pageNo);
    let m = this.pages.get(key);
    const off = Number(gpa & 0xfffn);
    if (m === undefined) {
      const t = translate(gpa);
      const low = BigInt(off);
      const prefix = (v: bigint | undefined): string | undefined => (v === undefined ? '-' : v >> 12n !== 0n && (v & 0xfffn) === low ? `0x${(v >> 12n).toString(16)}` : undefined);
      const hva = prefix(t.hva);
      const hpa = prefix(t.hpa);
      m = hva !== undefined && hpa !== undefined ? { gpa: `0x${pageNo.toString(16)}`, hva, hpa, last: briefLine(t).split(' ')[3], error: t.error !== undefined } : null;
      this.pages.set(key, m);
      if (this.pages.size > this.cap) this.pages.delete(this.pages.keys().next().value as number);
      if (!m) return { line: briefLine(t), error: t.error !== undefined };
    }
    if (m === null) return this.slow(gpa, translate);
    const o = off.toString(16).padStart(3, '0');
    return { line: `${m.gpa}${o} ${m.hva === '-' ? '-' : m.hva + o} ${m.hpa === '-' ? '-' : m.hpa + o} ${m.last}`, error: m.error };
  }

  private slow(gpa: bigint, translate: (gpa: bigint) => Translation): { line: string; error: boolean } {
    const t = translate(gpa);
    return { line: briefLine(t), error: t.error !== undefined };
  }
}

export class BatchWriter {
  private buf = '';
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

  /** A line already rendered (--brief through BriefMemo). */
  addLine(line: string): void {
    this.count++;
    this.push(line);
  }

  /** Closes the JSON array (also after an error, so what was written stays one document) and writes what is left. */
  end(): void {
    if (this.format === 'json') this.push(this.count ? '\n]\n' : '[]\n');
    this.flush();
  }

  flush(): void {
    if (!this.buf) return;
    this.write(this.buf);
    this.buf = '';
  }

  private push(s: string): void {
    this.buf += s;
    if (this.buf.length >= CHUNK) this.flush();
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
