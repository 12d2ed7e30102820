// An index over possibly overlapping half-open intervals [start, end): for any point, the covering interval of
// lowest rank. ELF cores need it: /proc/kcore's kernel-text PT_LOAD carries a real p_paddr inside a RAM segment,
// and kexec's /proc/vmcore (and makedumpfile -E) also writes a text segment inside a RAM range, so program headers
// are not a disjoint sorted list. Built once in O(n log n) by a sweep; each lookup is one binary search.

export interface RankedInterval<T> {
  start: bigint;
  end: bigint; // one past the last
  /** Lower wins where intervals overlap; ties go to the one given first. */
  rank: number;
  value: T;
}

/** A maximal run of points that all resolve to the same interval. */
export interface Piece<T> {
  start: bigint;
  end: bigint;
  value: T;
}

/** Binary min-heap on (rank, input order), with lazy deletion by the caller. */
class Heap {
  private a: number[] = [];
  constructor(private readonly less: (x: number, y: number) => boolean) {}
  get size(): number {
    return this.a.length;
  }
  peek(): number | undefined {
    return this.a[0];
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): void {
    const a = this.a;
    const last = a.pop()!;
    if (!a.length) return;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l], a[m])) m = l;
      if (r < a.length && this.less(a[r], a[m])) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m], a[i]];
      i = m;
    }
  }
}

export class IntervalIndex<T> {
  /** Disjoint pieces sorted by start; gaps are points no interval covers. */
  readonly pieces: Piece<T>[];

  constructor(intervals: readonly RankedInterval<T>[]) {
    const items = intervals.filter((x) => x.end > x.start);
    const less = (x: number, y: number) => items[x].rank < items[y].rank || (items[x].rank === items[y].rank && x < y);
    const byStart = items.map((_, i) => i).sort((x, y) => cmp(items[x].start, items[y].start));
    const bounds = [...new Set(items.flatMap((x) => [x.start, x.end]))].sort(cmp);
    const heap = new Heap(less);
    const pieces: Piece<T>[] = [];
    let next = 0;
    // Between two consecutive boundaries the set of covering intervals is constant: the heap holds it
    // (plus intervals already ended, dropped lazily when they reach the top).
    for (let b = 0; b + 1 < bounds.length; b++) {
      const lo = bounds[b];
      const hi = bounds[b + 1];
      while (next < byStart.length && items[byStart[next]].start <= lo) heap.push(byStart[next++]);
      while (heap.size && items[heap.peek()!].end <= lo) heap.pop();
      const top = heap.peek();
      if (top === undefined) continue;
      const last = pieces[pieces.length - 1];
      if (last && last.end === lo && last.value === items[top].value) last.end = hi;
      else pieces.push({ start: lo, end: hi, value: items[top].value });
    }
    this.pieces = pieces;
  }

  /** The piece holding `x` (its value is the lowest-ranked interval covering x), or undefined. */
  find(x: bigint): Piece<T> | undefined {
    const p = this.pieces;
    let lo = 0;
    let hi = p.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (x < p[mid].start) hi = mid - 1;
      else if (x >= p[mid].end) lo = mid + 1;
      else return p[mid];
    }
    return undefined;
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
