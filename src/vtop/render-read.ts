// `read`: guest-physical bytes in crash's `rd -p -8` layout (address right-aligned in 16, 16 bytes, ASCII), a
// missing range said in words on its own line; and the JSON shape, where missing bytes are "..", never zeros.
import { hex, hexBare } from '../io/hex.js';
import { type MissingRange } from '../kvm/guest-memory.js';

export interface ReadResult {
  gpa: bigint;
  length: number;
  bytes: Buffer;
  missing: MissingRange[];
}

const PER_LINE = 16;

function rdLine(addr: bigint, b: Buffer): string {
  const bytes = [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  const ascii = [...b].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
  return `${hexBare(addr).padStart(16)}:  ${bytes.padEnd(PER_LINE * 3 - 1)}   ${ascii}`;
}

export function renderRead(r: ReadResult): string {
  const lines: string[] = [];
  const end = r.gpa + BigInt(r.length);
  let a = r.gpa;
  for (const m of [...r.missing, undefined]) {
    const stop = m ? m.gpa : end;
    // Lines of readable bytes break at 16-byte boundaries of the address, as crash's do.
    while (a < stop) {
      const lineEnd = (a & ~15n) + 16n < stop ? (a & ~15n) + 16n : stop;
      lines.push(rdLine(a, r.bytes.subarray(Number(a - r.gpa), Number(lineEnd - r.gpa))));
      a = lineEnd;
    }
    if (m) {
      lines.push(`${hexBare(m.gpa).padStart(16)}:  <${m.length} bytes not in the dump: ${m.reason}> ${m.message}`);
      a = m.gpa + BigInt(m.length);
    }
  }
  return lines.join('\n') + '\n';
}

export function readJson(r: ReadResult): Record<string, unknown> {
  let s = r.bytes.toString('hex');
  for (const m of r.missing) {
    const off = Number(m.gpa - r.gpa) * 2;
    s = s.slice(0, off) + '..'.repeat(m.length) + s.slice(off + m.length * 2);
  }
  return {
    gpa: hex(r.gpa),
    length: r.length,
    bytes: s,
    missing: r.missing.map((m) => ({ gpa: hex(m.gpa), length: m.length, reason: m.reason, code: m.code, message: m.message })),
  };
}
