// A PhysicalMemory (and an image reader) over a real dump with a mutation applied: the walkers read the
// dump's kernel objects with some words changed and some pages made unreadable, without copying the dump.
import { type DumpInfo, type PageState, PageExcludedError, type PhysicalMemory, type PhysRange } from '../../src/dump/physmem.js';
import { applyPatches, type Mutation, type ReadLog } from './engine.js';

export class PatchedMemory implements PhysicalMemory {
  private dropped: Set<bigint>;
  /** The span all patches fall in: most reads are outside it and skip the per-patch check. */
  private lo = 0n;
  private hi = -1n;
  constructor(
    private readonly base: PhysicalMemory,
    private readonly m: Mutation,
    private readonly log?: ReadLog,
  ) {
    this.dropped = new Set(m.drop ?? []);
    for (const p of m.patches) {
      const e = p.at + BigInt(p.bytes.length);
      if (this.hi < this.lo || p.at < this.lo) this.lo = p.at;
      if (e > this.hi) this.hi = e;
    }
  }
  get info(): DumpInfo {
    return this.base.info;
  }
  get vmcoreinfo(): string | undefined {
    return this.base.vmcoreinfo;
  }
  get physBase(): bigint | undefined {
    return this.base.physBase;
  }
  get notes() {
    return this.base.notes;
  }
  ranges(): PhysRange[] {
    return this.base.ranges();
  }
  pageState(paddr: bigint): PageState {
    return this.dropped.has(paddr & ~0xfffn) ? 'excluded' : this.base.pageState(paddr);
  }
  read(paddr: bigint, length: number): Buffer {
    if (this.dropped.size) {
      for (let p = paddr & ~0xfffn; p < paddr + BigInt(length); p += 0x1000n) {
        if (this.dropped.has(p)) throw new PageExcludedError(p, 'dropped by the fuzzer');
      }
    }
    // Reads are logged in 8-byte words' granularity of what was asked (a 4 KiB page-table read is one entry).
    this.log?.add(paddr, length);
    const b = this.base.read(paddr, length);
    if (this.hi < this.lo || paddr >= this.hi || paddr + BigInt(length) <= this.lo) return b;
    return applyPatches(b, paddr, this.m.patches);
  }
  close(): void {}
}

/** The same over an image reader (kernel virtual addresses), for kallsyms. */
export function patchedReader(base: (va: bigint, n: number) => Buffer, m: Mutation, log?: ReadLog): (va: bigint, n: number) => Buffer {
  return (va, n) => {
    log?.add(va, n);
    const b = base(va, n);
    return m.patches.length ? applyPatches(b, va, m.patches) : b;
  };
}

/**
 * The base dump with every page it was asked for kept decompressed (and every failure remembered): cases
 * touch the same few hundred pages over and over, more than the reader's own LRU holds.
 */
export class CachedMemory implements PhysicalMemory {
  private pages = new Map<bigint, Buffer | Error>();
  constructor(private readonly base: PhysicalMemory) {}
  get info(): DumpInfo {
    return this.base.info;
  }
  get vmcoreinfo(): string | undefined {
    return this.base.vmcoreinfo;
  }
  get physBase(): bigint | undefined {
    return this.base.physBase;
  }
  get notes() {
    return this.base.notes;
  }
  ranges(): PhysRange[] {
    return this.base.ranges();
  }
  pageState(paddr: bigint): PageState {
    return this.base.pageState(paddr);
  }
  private page(pa: bigint): Buffer {
    let p = this.pages.get(pa);
    if (p === undefined) {
      try {
        p = Buffer.from(this.base.read(pa, 4096));
      } catch (e) {
        p = e as Error;
      }
      this.pages.set(pa, p);
    }
    if (p instanceof Error) throw p;
    return p;
  }
  read(paddr: bigint, length: number): Buffer {
    const first = paddr & ~0xfffn;
    const off = Number(paddr - first);
    if (off + length <= 4096) return this.page(first).subarray(off, off + length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    for (let pa = first; done < length; pa += 0x1000n) {
      const from = pa === first ? off : 0;
      const n = Math.min(4096 - from, length - done);
      this.page(pa).copy(out, done, from, from + n);
      done += n;
    }
    return out;
  }
  close(): void {}
}
