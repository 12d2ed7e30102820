// A hexdump of bytes read at a physical address, like crash's `rd -p -8`: address, bytes, ASCII.
import { hexBare } from '../io/hex.js';

export interface HexdumpOptions {
  /** Bytes a line (16 unless the caller has less room). */
  perLine?: number;
  /** An address inside the dump to point at: its line starts with '>' instead of ' '. */
  mark?: bigint;
}

/** One string per line: ` 3201000:  51 56 54 4f 50 2d 44 45  4d 4f 20 67 70 61 3d 30  QVTOP-DEMO gpa=0`. */
export function renderHexdump(base: bigint, data: Buffer, o: HexdumpOptions = {}): string[] {
  const per = o.perLine ?? 16;
  const half = per / 2;
  const width = hexBare(base + BigInt(Math.max(0, data.length - 1))).length;
  const out: string[] = [];
  for (let off = 0; off < data.length; off += per) {
    const b = data.subarray(off, off + per);
    const addr = base + BigInt(off);
    const bytes = [...b].map((x, i) => (i === half ? ' ' : '') + x.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...b].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    const marked = o.mark !== undefined && o.mark >= addr && o.mark < addr + BigInt(per);
    out.push(`${marked ? '>' : ' '}${hexBare(addr).padStart(width)}:  ${bytes.padEnd(per * 3)}  ${ascii}`);
  }
  return out;
}

/** Bytes a line that fit `columns` (16 or 8). */
export function hexdumpPerLine(columns: number, addrDigits: number): number {
  return 1 + addrDigits + 3 + 16 * 3 + 2 + 16 <= columns ? 16 : 8;
}
