// The fuzzer's engine: a seeded PRNG, patch-based inputs over a shared base (an 8 MB dump is never copied
// per case), read recording (the parser's own reads tell where its structures are), structure-aware
// mutations of those words (lengths, counts, offsets, pointers back into the same structure, cycles), the
// oracle every case must pass, and minimisation of failing cases.
//
// Why not fast-check: its strength is generating and shrinking values from combinators; here an input is a
// real multi-megabyte dump mutated in a few places, the mutations must follow the bytes the parser actually
// reads, and a case must be replayable from a tiny JSON patch list. Writing that on top of fast-check would
// use none of its generators; this engine is ~300 lines with no dependency.
import { QvError } from '../../src/io/errors.js';
import { type ByteSource, ShortReadError } from '../../src/io/source.js';

/** mulberry32: small, fast, good enough for choosing mutations; deterministic per seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  u64(): bigint {
    return (BigInt(this.int(0x100000000)) << 32n) | BigInt(this.int(0x100000000));
  }
}

/** A case's seed from the run seed, the target name and the case index (so one case replays alone). */
export function caseSeed(runSeed: number, target: string, index: number): number {
  let h = (runSeed ^ 0x811c9dc5) >>> 0;
  for (const c of `${target}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** One change to an input: bytes written at an address (file offset or physical/virtual address). */
export interface Patch {
  at: bigint;
  bytes: Buffer;
}

/** A mutated input: patches, optionally a truncated size (files) or pages made unreadable (memory). */
export interface Mutation {
  patches: Patch[];
  truncate?: number;
  /** Page addresses (4 KiB aligned) that read as excluded from the dump. */
  drop?: bigint[];
  /** What was done, for the corpus file. */
  ops: string[];
}

export const noMutation = (): Mutation => ({ patches: [], ops: [] });

/** Applies the patches that overlap [at, at+len) to a copy of `b` (the base's bytes there). */
export function applyPatches(b: Buffer, at: bigint, patches: Patch[]): Buffer {
  let out: Buffer | undefined;
  const end = at + BigInt(b.length);
  for (const p of patches) {
    const pe = p.at + BigInt(p.bytes.length);
    if (pe <= at || p.at >= end) continue;
    out ??= Buffer.from(b);
    const from = p.at > at ? p.at : at;
    const to = pe < end ? pe : end;
    p.bytes.copy(out, Number(from - at), Number(from - p.at), Number(to - p.at));
  }
  return out ?? b;
}

/** Address ranges read during a run: where the structures are. Merged by start, capped in number. */
export class ReadLog {
  readonly reads: { at: bigint; len: number }[] = [];
  private seen = new Set<string>();
  constructor(private readonly max = 20000) {}
  add(at: bigint, len: number): void {
    if (len <= 0 || this.reads.length >= this.max) return;
    const k = `${at}:${len}`;
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.reads.push({ at, len });
  }
}

/** A ByteSource over a shared base with a mutation applied; records what it is asked for. */
export class PatchedSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly base: ByteSource,
    private readonly m: Mutation,
    private readonly log?: ReadLog,
    readonly name = base.name,
  ) {
    this.size = m.truncate !== undefined ? Math.min(m.truncate, base.size) : base.size;
  }
  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size || !Number.isSafeInteger(offset + length)) {
      throw new ShortReadError(this.name, offset, length, this.size);
    }
    this.log?.add(BigInt(offset), length);
    const b = this.base.read(offset, length);
    return this.m.patches.length ? applyPatches(b, BigInt(offset), this.m.patches) : b;
  }
  readUncached(offset: number, length: number): Buffer {
    return this.read(offset, length);
  }
}

// ---- structure-aware mutation -------------------------------------------------------------------------

const WIDTHS = [1, 2, 4, 8, 8, 8, 4, 4] as const;

export interface MutationContext {
  /** Where the parser read during a clean run. */
  log: ReadLog;
  /** The input's size (files) for length/offset values; undefined for memory. */
  size?: number;
  /** Turns an address of the log into the value a pointer to it would hold (memory: a direct-map VA). */
  pointerTo?: (at: bigint) => bigint;
  /** Files can be cut short; memory pages can be dropped. */
  truncatable?: boolean;
  droppable?: boolean;
  /** Address of the current word, read from the base (for bit flips and deltas). */
  current?: (at: bigint, width: number) => bigint;
}

function le(v: bigint, width: number): Buffer {
  const b = Buffer.alloc(width);
  let x = BigInt.asUintN(width * 8, v);
  for (let i = 0; i < width; i++) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

/** A read range, favouring small ones (headers, descriptors, pointers) over bulk data. */
function pickRead(r: Rng, log: ReadLog): { at: bigint; len: number } {
  const reads = log.reads;
  for (let i = 0; i < 4; i++) {
    const x = reads[r.int(reads.length)];
    if (x.len <= 512 || r.chance(0.15)) return x;
  }
  return reads[r.int(reads.length)];
}

/** Interesting values for a word: boundaries, sizes around the input's, pointers into the structures. */
function interesting(r: Rng, ctx: MutationContext, at: bigint, width: number): bigint {
  const bits = BigInt(width * 8);
  const max = (1n << bits) - 1n;
  const size = BigInt(ctx.size ?? 1 << 20);
  const cur = ctx.current?.(at, width) ?? 0n;
  switch (r.int(12)) {
    case 0:
      return 0n;
    case 1:
      return max; // -1
    case 2:
      return max >> 1n; // INT_MAX
    case 3:
      return 1n << (bits - 1n); // INT_MIN
    case 4:
      return BigInt(r.pick([1, 2, 3, 4, 7, 8, 12, 16, 24, 64, 255, 256, 4095, 4096, 4097, 65535, 65536]));
    case 5:
      return size + BigInt(r.int(9) - 4); // about the input's size (a length that just fits or overruns)
    case 6:
      return cur ^ (1n << BigInt(r.int(width * 8))); // one bit
    case 7:
      return cur + BigInt(r.int(33) - 16); // a small delta (off-by-one lengths, misaligned pointers)
    case 8:
    case 9: {
      // A pointer (or offset) to another structure the parser read: cycles and shared nodes.
      const to = pickRead(r, ctx.log).at + BigInt(r.pick([0, 0, 8, 16, -8]));
      return ctx.pointerTo ? ctx.pointerTo(to) : to;
    }
    case 10:
      // A pointer back at itself (a list whose next is itself; an offset pointing at its own header).
      return ctx.pointerTo ? ctx.pointerTo(at) : at;
    default:
      return cur * BigInt(r.pick([2, 16, 256, 4096])); // a count or length grown past any sane bound
  }
}

/** One to four structure-aware changes at places the parser reads. */
export function mutate(r: Rng, ctx: MutationContext): Mutation {
  const m: Mutation = { patches: [], ops: [] };
  if (!ctx.log.reads.length) return m;
  const n = 1 + (r.chance(0.5) ? 0 : r.int(4));
  for (let i = 0; i < n; i++) {
    const op = r.int(10);
    const rd = pickRead(r, ctx.log);
    if (op <= 5) {
      const width = r.pick(WIDTHS);
      const span = Math.max(1, rd.len - width + 1);
      const at = rd.at + BigInt(Math.floor(r.int(span) / width) * width);
      const v = interesting(r, ctx, at, width);
      m.patches.push({ at, bytes: le(v, width) });
      m.ops.push(`u${width * 8}@0x${at.toString(16)}=0x${BigInt.asUintN(width * 8, v).toString(16)}`);
    } else if (op === 6) {
      const k = 1 + r.int(8);
      const at = rd.at + BigInt(r.int(Math.max(1, rd.len)));
      const bytes = Buffer.from(Array.from({ length: k }, () => r.int(256)));
      m.patches.push({ at, bytes });
      m.ops.push(`bytes@0x${at.toString(16)}:${bytes.toString('hex')}`);
    } else if (op === 7 && ctx.current) {
      // Copy one structure's bytes over another's (duplicated headers, a node that is its own child).
      const src = pickRead(r, ctx.log);
      const len = Math.min(64, src.len, rd.len);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j += 8) le(ctx.current(src.at + BigInt(j), Math.min(8, len - j)), Math.min(8, len - j)).copy(bytes, j);
      m.patches.push({ at: rd.at, bytes });
      m.ops.push(`copy 0x${src.at.toString(16)}->0x${rd.at.toString(16)}+${len}`);
    } else if (op === 8 && ctx.truncatable && ctx.size) {
      const cut = Math.min(ctx.size, Number(rd.at) + r.int(Math.max(1, rd.len)));
      m.truncate = Math.min(m.truncate ?? ctx.size, cut);
      m.ops.push(`truncate ${cut}`);
    } else if (op === 9 && ctx.droppable) {
      const page = rd.at & ~0xfffn;
      (m.drop ??= []).push(page);
      m.ops.push(`drop page 0x${page.toString(16)}`);
    } else {
      const at = rd.at + BigInt(r.int(Math.max(1, rd.len)));
      const bytes = Buffer.from([r.int(256)]);
      m.patches.push({ at, bytes });
      m.ops.push(`byte@0x${at.toString(16)}=${bytes[0]}`);
    }
  }
  return m;
}

// ---- the oracle ---------------------------------------------------------------------------------------

export type Verdict =
  | { ok: true; kind: 'answer' | 'error'; code?: string; vague?: boolean }
  | { ok: false; kind: 'crash' | 'alloc' | 'slow' | 'hang' | 'oom' | 'lie'; signature: string; message: string };

/** A message that says where: an address, offset, id, count or a named file/section/structure. */
const SAYS_WHERE = /0x[0-9a-f]+|\b\d+\b|offset|section|struct|pfn|page/i;

/** Judges how a case ended: a QvError with a code is fine, anything else thrown is a defect. */
export function judge(e: unknown): Verdict {
  if (e === undefined) return { ok: true, kind: 'answer' };
  if (e instanceof QvError && typeof e.code === 'string' && e.code && e.message) {
    return { ok: true, kind: 'error', code: e.code, vague: !SAYS_WHERE.test(e.message) };
  }
  const err = e as Error;
  const name = err?.constructor?.name ?? typeof e;
  const message = String(err?.message ?? e);
  // The signature groups failures by kind and where they were thrown (first frame in src/).
  const frame = /\((?:file:\/\/)?[^)]*?\/(src\/[^):]+):(\d+)/.exec(err?.stack ?? '');
  const where = frame ? `${frame[1]}:${frame[2]}` : '?';
  const stackOverflow = /Maximum call stack/.test(message);
  return { ok: false, kind: 'crash', signature: `${stackOverflow ? 'StackOverflow' : name} at ${where}`, message: message.slice(0, 300) };
}

/**
 * Allocation guard: a single Buffer allocation above `limit` during a case marks it as a failure (an
 * allocation proportional to an unchecked length). The allocation still fails, so the case stops.
 */
export class AllocGuard {
  biggest = 0;
  private orig = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow };
  limit = Infinity;
  install(): void {
    const self = this;
    const wrap = <F extends (n: number, ...a: never[]) => Buffer>(f: F): F =>
      function (this: unknown, n: number, ...a: never[]) {
        if (n > self.biggest) self.biggest = n;
        if (n > self.limit) throw new RangeError(`fuzz alloc guard: ${n} bytes requested (limit ${self.limit})`);
        return f.call(Buffer, n, ...a);
      } as F;
    Buffer.alloc = wrap(this.orig.alloc as never);
    Buffer.allocUnsafe = wrap(this.orig.allocUnsafe as never);
    Buffer.allocUnsafeSlow = wrap(this.orig.allocUnsafeSlow as never);
  }
  uninstall(): void {
    Buffer.alloc = this.orig.alloc;
    Buffer.allocUnsafe = this.orig.allocUnsafe;
    Buffer.allocUnsafeSlow = this.orig.allocUnsafeSlow;
  }
}

// ---- corpus format ------------------------------------------------------------------------------------

export interface CorpusCase {
  target: string;
  /** How it was found: run seed and case index (informative; the patches are what replays). */
  found: { seed: number; index: number };
  failure: string;
  message: string;
  ops: string[];
  patches: { at: string; hex: string }[];
  truncate?: number;
  drop?: string[];
  /** Set once fixed: what the case ends in now (replayed by the unit suite). */
  fixedIn?: string;
}

export function toCorpus(target: string, seed: number, index: number, m: Mutation, failure: string, message: string): CorpusCase {
  return {
    target,
    found: { seed, index },
    failure,
    message,
    ops: m.ops,
    patches: m.patches.map((p) => ({ at: '0x' + p.at.toString(16), hex: p.bytes.toString('hex') })),
    ...(m.truncate !== undefined ? { truncate: m.truncate } : {}),
    ...(m.drop?.length ? { drop: m.drop.map((d) => '0x' + d.toString(16)) } : {}),
  };
}

export function fromCorpus(c: CorpusCase): Mutation {
  return {
    patches: c.patches.map((p) => ({ at: BigInt(p.at), bytes: Buffer.from(p.hex, 'hex') })),
    truncate: c.truncate,
    drop: c.drop?.map((d) => BigInt(d)),
    ops: c.ops,
  };
}

/** Greedy minimisation: drop patches, then shorten the rest, while `fails` still says the same failure. */
export function minimise(m: Mutation, fails: (m: Mutation) => boolean, budget = 200): Mutation {
  let cur = m;
  let tries = 0;
  for (let i = 0; i < cur.patches.length && tries < budget; ) {
    const cand = { ...cur, patches: cur.patches.filter((_, j) => j !== i), ops: cur.ops };
    tries++;
    if (fails(cand)) cur = cand;
    else i++;
  }
  if (cur.truncate !== undefined && tries < budget) {
    const cand = { ...cur, truncate: undefined };
    tries++;
    if (fails(cand)) cur = cand;
  }
  if (cur.drop?.length && tries < budget) {
    const cand = { ...cur, drop: undefined };
    tries++;
    if (fails(cand)) cur = cand;
  }
  return cur;
}
