// Fuzz targets: each loads its real input once (the demo dump, generated dumps, gcc/pahole output), runs the
// parser once cleanly to learn where its structures are (the reads it makes), and then runs it per case over
// a mutated view of that input. Every run must end in an answer or a QvError (engine.ts judge()).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { deflateSync, inflateSync } from 'node:zlib';
import snappy from 'snappyjs';
import { BtfTypeSource } from '../../src/debuginfo/btf/btf.js';
import { openDwarf } from '../../src/debuginfo/dwarf/index.js';
import { decodeKallsyms, type KallsymsTables } from '../../src/debuginfo/kallsyms/kallsyms.js';
import { findKallsyms } from '../../src/debuginfo/kallsyms/find.js';
import { findMember, type KType, resolve, sizeOf, typeName, type TypeSource } from '../../src/debuginfo/types.js';
import { CODECS } from '../../src/dump/compression.js';
import { ElfCore } from '../../src/dump/elfcore.js';
import { FlattenedSource } from '../../src/dump/flattened.js';
import { openKdump } from '../../src/dump/kdump.js';
import { type PhysicalMemory } from '../../src/dump/physmem.js';
import { parseVmcoreInfo } from '../../src/dump/vmcoreinfo.js';
import { ElfFile, parseNotes } from '../../src/elf/elf.js';
import { constant } from '../../src/debuginfo/constants.js';
import { BufferSource, type ByteSource, FileSource } from '../../src/io/source.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { processes, threads, findTask } from '../../src/kernel/tasks.js';
import { openFiles } from '../../src/kernel/files.js';
import { findVma, vmas } from '../../src/kernel/vma.js';
import { handle } from '../../src/kvmi/handler.js';
import { serveConnection } from '../../src/kvmi/server.js';
import { CMD, maskOf, READ_COMMANDS } from '../../src/kvmi/protocol.js';
import { addressSpaces } from '../../src/kvm/memslots.js';
import { vcpusOf } from '../../src/kvm/vcpus.js';
import { kvmSymbols, vmsOfTask } from '../../src/kvm/vm.js';
import { allVms } from '../../src/kvm/vms.js';
import { translateGpa, vmContext } from '../../src/vtop/translate.js';
import { openSession, type Session } from '../../src/vtop/session.js';
import { writeElfCore } from '../helpers/elfcore-writer.js';
import { type Mutation, type MutationContext, PatchedSource, ReadLog, type Verdict } from './engine.js';
import { CachedMemory, PatchedMemory, patchedReader } from './memory.js';

export const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';

export interface Instance {
  ctx: MutationContext;
  /** Runs one case; throws what the code under test throws. May return a verdict of its own (a lie). */
  run(m: Mutation): Verdict | void;
  /** Allocation limit for one case (bytes). */
  allocLimit: number;
}

export interface Target {
  name: string;
  what: string;
  setup(): Instance;
}

// ---- shared inputs, loaded once per process -----------------------------------------------------------

let tmp: string | undefined;
function tmpDir(): string {
  if (!tmp) {
    tmp = mkdtempSync(join(tmpdir(), 'qv-fuzz-'));
    process.once('exit', () => rmSync(tmp!, { recursive: true, force: true }));
  }
  return tmp;
}

let demoBuf: Buffer | undefined;
const demoBytes = () => (demoBuf ??= readFileSync(DEMO));
const demoSource = () => new BufferSource(demoBytes(), DEMO);

/** Runs `fn` on an unmutated view with a read log: where the structures are. */
function learn(fn: (log: ReadLog) => void, max?: number): ReadLog {
  const log = new ReadLog(max);
  try {
    fn(log);
  } catch {
    // A clean run may end in an error (e.g. a page the dump lacks); the reads before it still count.
  }
  return log;
}

function fileContext(base: ByteSource, log: ReadLog): MutationContext {
  return {
    log,
    size: base.size,
    truncatable: true,
    current: (at, w) => {
      const o = Number(at);
      if (o < 0 || o + w > base.size) return 0n;
      const b = base.read(o, w);
      let v = 0n;
      for (let i = w - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
      return v;
    },
  };
}

function restrict(log: ReadLog, keep: (r: { at: bigint; len: number }) => boolean): ReadLog {
  const out = new ReadLog();
  for (const r of log.reads) if (keep(r)) out.add(r.at, r.len);
  return out;
}

const MiB = 1 << 20;

// ---- dumps ----------------------------------------------------------------------------------------------

/** What every dump target does with an opened PhysicalMemory: info, ranges, states and reads of pages. */
function exerciseDump(mem: PhysicalMemory, pages: bigint[]): void {
  void mem.info;
  const ranges = mem.ranges();
  if (mem.vmcoreinfo) parseVmcoreInfo(mem.vmcoreinfo);
  for (const n of mem.notes) void n.desc.length;
  for (const p of pages) {
    const st = mem.pageState(p);
    if (st === 'present' || st === 'zero') {
      try {
        const b = mem.read(p, 4096);
        if (b.length !== 4096) throw new Error(`read returned ${b.length} bytes for 4096`);
      } catch (e) {
        if (!(e as { code?: string }).code) throw e;
      }
    }
  }
  void ranges;
}

/** Dumped pages to read: the first ones, some spread over the range, the last one. */
function pagesOf(mem: PhysicalMemory, n = 24): bigint[] {
  const out: bigint[] = [];
  for (const r of mem.ranges()) {
    const count = (r.end - r.start) >> 12n;
    for (let i = 0n; i < 4n && i < count; i++) out.push(r.start + (i << 12n));
    for (let i = 1n; i <= 3n; i++) out.push(r.start + (((count * i) / 4n) << 12n));
    if (out.length >= n) break;
  }
  return out.slice(0, n);
}

const kdumpTarget = (name: string, what: string, keep: (r: { at: bigint; len: number }, blockSize: number) => boolean): Target => ({
  name,
  what,
  setup() {
    const base = demoSource();
    const clean = openKdump([base]);
    const pages = pagesOf(clean);
    const log = learn((l) => exerciseDump(openKdump([new PatchedSource(base, { patches: [], ops: [] }, l)]), pages));
    const bs = 4096;
    return {
      ctx: fileContext(base, restrict(log, (r) => keep(r, bs))),
      allocLimit: 4 * base.size + 16 * MiB,
      run: (m) => exerciseDump(openKdump([new PatchedSource(base, m)]), pages),
    };
  },
});

/** A flattened stream of the demo dump: records of varying size, in a fixed shuffled order. */
function flattenDemo(): Buffer {
  const src = demoBytes();
  const head = Buffer.alloc(4096);
  head.write('makedumpfile', 0, 'latin1');
  head.writeBigInt64BE(1n, 16);
  head.writeBigInt64BE(1n, 24);
  const recs: [number, number][] = [];
  let seed = 7;
  for (let o = 0; o < src.length; ) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const n = Math.min(src.length - o, 512 + (seed % 65536));
    recs.push([o, n]);
    o += n;
  }
  // makedumpfile writes headers last: move the first records to the end.
  const order = [...recs.slice(3), ...recs.slice(0, 3)];
  const parts: Buffer[] = [head];
  for (const [o, n] of order) {
    const h = Buffer.alloc(16);
    h.writeBigInt64BE(BigInt(o), 0);
    h.writeBigInt64BE(BigInt(n), 8);
    parts.push(h, src.subarray(o, o + n));
  }
  parts.push(Buffer.alloc(16, 0xff));
  return Buffer.concat(parts);
}

/** Two parts of a makedumpfile --split set made from the demo: sub-header split=1 and pfn ranges. */
function splitDemo(): [Buffer, Buffer] {
  const a = Buffer.from(demoBytes());
  const b = Buffer.from(demoBytes());
  const bs = a.readInt32LE(428);
  const maxMapnr = a.readUInt32LE(440);
  const mid = BigInt(Math.floor(maxMapnr / 2));
  for (const [buf, start, end] of [[a, 0n, mid], [b, mid, BigInt(maxMapnr)]] as const) {
    buf.writeInt32LE(1, bs + 12); // split
    buf.writeBigUInt64LE(start, bs + 16);
    buf.writeBigUInt64LE(end, bs + 24);
    if (buf.readInt32LE(8) >= 6) {
      buf.writeBigUInt64LE(start, bs + 80);
      buf.writeBigUInt64LE(end, bs + 88);
    }
  }
  return [a, b];
}

/** Part B's bytes are addressed at PART_B + offset in the patches of a split-set case. */
const PART_B = 1n << 40n;
function splitPatches(m: Mutation, part: 0 | 1): Mutation {
  const inB = (at: bigint) => at >= PART_B;
  return {
    ...m,
    patches: m.patches.filter((p) => inB(p.at) === (part === 1)).map((p) => (part ? { ...p, at: p.at - PART_B } : p)),
    truncate: part === 0 ? m.truncate : undefined,
  };
}

function elfCoreSeed(): Buffer {
  const mem = openKdump([demoSource()]);
  const vi = Buffer.from((mem.vmcoreinfo ?? '') + '\0', 'latin1');
  // Three segments of real pages (the first 64 KiB of RAM, 64 KiB at 16 MiB), one with p_memsz > p_filesz.
  const seg = (pa: bigint, n: number) => {
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      try {
        parts.push(mem.read(pa + BigInt(i * 4096), 4096));
      } catch {
        parts.push(Buffer.alloc(4096, 0xee));
      }
    }
    return Buffer.concat(parts);
  };
  return writeElfCore(
    [
      { paddr: 0x1000n, data: seg(0x1000n, 8) },
      { paddr: 0x1000000n, data: seg(0x1000000n, 16), memsz: 0x20000n },
      { paddr: 0x100000000n, vaddr: 0xffff888100000000n, data: seg(0x2000000n, 4) },
    ],
    [
      { name: 'CORE', type: 1, desc: Buffer.alloc(336, 0x11) },
      { name: 'QEMU', type: 0, desc: Buffer.alloc(456, 0x22) },
      { name: 'VMCOREINFO', type: 0, desc: vi },
    ],
  );
}

// ---- debug info -----------------------------------------------------------------------------------------

let objFiles: { obj: string; base: string; mod: string } | undefined;
/** gcc -g -c of the DWARF test types (ET_REL with .rela.debug_*), and two objects for split BTF. */
function debugObjects(): { obj: string; base: string; mod: string } {
  if (objFiles) return objFiles;
  const d = tmpDir();
  const obj = join(d, 'types.o');
  execFileSync('gcc', ['-g', '-O0', '-c', '-o', obj, 'test/fixtures-src/dwarf-types.c']);
  const base = join(d, 'base.o');
  const mod = join(d, 'mod.o');
  execFileSync('gcc', ['-g', '-O0', '-c', '-o', base, 'test/fixtures-src/dwarf-types.c']);
  execFileSync('gcc', ['-g', '-O0', '-c', '-o', mod, 'test/fixtures-src/dwarf-types-def.c']);
  execFileSync('pahole', ['-J', base], { stdio: 'ignore' });
  execFileSync('pahole', ['-J', `--btf_base=${base}`, mod], { stdio: 'ignore' });
  return (objFiles = { obj, base, mod });
}

function btfOf(file: string): Buffer {
  const elf = new ElfFile(new FileSource(file));
  const s = elf.section('.BTF');
  if (!s) throw new Error(`${file}: pahole -J wrote no .BTF`);
  return Buffer.from(elf.sectionSource(s).read(0, s.size));
}

/** Names the type walk starts from; every member reached is resolved, sized and named (bounded). */
function walkTypes(src: TypeSource, names: string[]): void {
  let budget = 2000;
  const seen = new Set<KType>();
  const visit = (t: KType, depth: number) => {
    if (budget-- <= 0 || depth > 12 || seen.has(t)) return;
    seen.add(t);
    const r = resolve(t);
    sizeOf(r);
    typeName(r);
    if (r.kind === 'struct' || r.kind === 'union') {
      for (const m of r.members) {
        visit(m.type, depth + 1);
        if (m.name) findMember(r, m.name);
      }
    } else if (r.kind === 'pointer') visit(r.target, depth + 1);
    else if (r.kind === 'array') visit(r.element, depth + 1);
  };
  for (const n of names) {
    for (const kind of ['struct', 'union', 'typedef', 'enum', 'base'] as const) {
      const t = src.findType(n, kind);
      if (t) visit(t, 0);
    }
    src.findEnumerator?.(n);
  }
}

function typeNames(file: string): string[] {
  const text = readFileSync(file, 'latin1');
  return [...new Set([...text.matchAll(/\b(?:struct|union|enum|typedef [^;]*?)\s+([a-z_][a-z0-9_]*)/g)].map((m) => m[1]))].slice(0, 60);
}

// ---- kernel objects over the demo dump ------------------------------------------------------------------

interface DemoKernel {
  s: Session;
  /** The demo's memory with a page cache of its own (the base every case's mutation overlays). */
  mem: PhysicalMemory;
  make(mem: PhysicalMemory): Kernel;
  kvm: bigint;
  pid: bigint;
}
let demoKernel: DemoKernel | undefined;
function demo(): DemoKernel {
  if (demoKernel) return demoKernel;
  const s = openSession({ dump: [DEMO] });
  const k = s.kernel;
  const symbols = (k as unknown as { symbols: ConstructorParameters<typeof Kernel>[0]['symbols'] }).symbols;
  const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
  const make = (mem: PhysicalMemory) => new Kernel({ mem, types: k.types, symbols, vmcoreinfo: s.vmcoreinfo });
  const mem = new CachedMemory(s.mem);
  return (demoKernel = { s, mem, make, kvm: BigInt(truth.vmm.struct_kvm), pid: BigInt(truth.vmm.pid) });
}

/** A walker target: the scenario runs on a Kernel over the demo's memory with the mutation applied. */
const walkerTarget = (name: string, what: string, scenario: (k: Kernel, d: DemoKernel, m: Mutation) => Verdict | void): Target => ({
  name,
  what,
  setup() {
    const d = demo();
    const log = learn((l) => scenario(d.make(new PatchedMemory(d.mem, { patches: [], ops: [] }, l)), d, { patches: [], ops: [] }));
    const pob = d.s.kernel.pageOffsetBase;
    return {
      ctx: {
        log,
        droppable: true,
        pointerTo: (pa) => BigInt.asUintN(64, pob + pa), // a direct-map pointer to that structure
        current: (at, w) => {
          try {
            const b = d.mem.read(at, w);
            let v = 0n;
            for (let i = w - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
            return v;
          } catch {
            return 0n;
          }
        },
      },
      allocLimit: 64 * MiB,
      run: (m) => scenario(d.make(new PatchedMemory(d.mem, m)), d, m),
    };
  },
});

/** Drains a generator up to `max` items (the walkers' own bounds are far larger). */
function drain<T>(g: Iterable<T>, max = 5000): T[] {
  const out: T[] = [];
  for (const x of g) {
    out.push(x);
    if (out.length >= max) break;
  }
  return out;
}

const GPAS = [0x2000n, 0x100201000n, 0x7f000n, 0x1f000000n];

function vtopScenario(k: Kernel, d: DemoKernel, m: Mutation): Verdict | void {
  const kvm = k.obj('kvm', d.kvm);
  const spaces = addressSpaces(k, kvm);
  const task = findTask(k, d.pid);
  const ctx = vmContext(k, kvm, spaces, task.task, task.pid, task.comm);
  for (const gpa of GPAS) {
    const t = translateGpa(k, ctx, gpa, 0);
    // A translation that says it has the page must carry its hpa; a missing page is never zeros.
    if (t.pageInDump === true && t.hpa === undefined) throw new Error(`gpa ${gpa.toString(16)}: pageInDump without an hpa`);
    // A page the case made unreadable is never reported as in the dump (it would read as something it is not).
    if (t.hpa !== undefined && t.pageInDump === true && m.drop?.includes(t.hpa & ~0xfffn)) {
      return { ok: false, kind: 'lie', signature: 'pageInDump for a dropped page', message: `gpa ${gpa.toString(16)} -> hpa ${t.hpa.toString(16)}: the page was made unreadable but pageInDump is true` };
    }
  }
}

// ---- KVMI -----------------------------------------------------------------------------------------------

const KVMI_VM = {
  vcpuCount: 2,
  tscKhz: 2_000_000,
  readPhysical: (gpa: bigint, size: number) => {
    if (gpa >= 0x100000000n) throw new Error('not mapped');
    return Buffer.alloc(size, 0x5a);
  },
  registers: (v: number) => (v < 2 ? new Map([['rip', 0xffffffff81000000n], ['cr0', 0x80050033n], ['efer', 0xd01n]]) : undefined),
  msr: (_v: number, i: number) => (i === 0xc0000080 ? 0xd01n : undefined),
  cpuid: (_v: number, fn: number) => (fn === 0 ? ([0xd, 0x68747541, 0x444d4163, 0x69746e65] as [number, number, number, number]) : undefined),
};
const POLICY = { commands: maskOf(READ_COMMANDS), events: 0 };

/** Valid requests of every command, as frames: what the mutations start from. */
function kvmiSeedFrames(): Buffer {
  const frame = (id: number, seq: number, data: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(id, 0);
    h.writeUInt16LE(data.length, 2);
    h.writeUInt32LE(seq, 4);
    return Buffer.concat([h, data]);
  };
  const rp = Buffer.alloc(16);
  rp.writeBigUInt64LE(0x1000n, 0);
  rp.writeBigUInt64LE(64n, 8);
  const regs = Buffer.alloc(20);
  regs.writeUInt16LE(1, 8);
  regs.writeUInt32LE(0xc0000080, 16);
  return Buffer.concat([
    frame(CMD.GET_VERSION, 1, Buffer.alloc(0)),
    frame(CMD.GET_GUEST_INFO, 2, Buffer.alloc(0)),
    frame(CMD.READ_PHYSICAL, 3, rp),
    frame(CMD.GET_REGISTERS, 4, regs),
    frame(CMD.GET_CPUID, 5, Buffer.alloc(16)),
    frame(CMD.PAUSE_ALL_VCPUS, 6, Buffer.alloc(8)),
    frame(CMD.WRITE_PHYSICAL, 7, Buffer.alloc(24)),
  ]);
}

/** A socket stand-in: serveConnection reads 'data' events and writes replies here. */
class FakeSocket extends EventEmitter {
  out: Buffer[] = [];
  destroyed = false;
  write(b: Buffer): boolean {
    this.out.push(Buffer.from(b));
    return true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  pause(): void {}
  resume(): void {}
}

/** Checks each reply against the uapi rules; returns a 'lie' verdict when one is broken. */
function checkKvmiReplies(frames: Buffer, replies: Buffer[]): Verdict | void {
  const reqs: { id: number; seq: number; size: number }[] = [];
  for (let o = 0; o + 8 <= frames.length; ) {
    const size = frames.readUInt16LE(o + 2);
    if (o + 8 + size > frames.length || size > 4096 - 8) break;
    reqs.push({ id: frames.readUInt16LE(o), seq: frames.readUInt32LE(o + 4), size });
    o += 8 + size;
  }
  const all = Buffer.concat(replies);
  let i = 0;
  for (let o = 0; o < all.length; i++) {
    const size = all.readUInt16LE(o + 2);
    const err = all.readInt32LE(o + 8);
    const req = reqs[i];
    const lie = (why: string): Verdict => ({ ok: false, kind: 'lie', signature: `kvmi ${why}`, message: `reply ${i} (id ${req?.id}, size ${req?.size}): ${why}` });
    if (!req || all.readUInt16LE(o) !== req.id || all.readUInt32LE(o + 4) !== req.seq) return lie('reply does not match its request');
    if (size < 8 || o + 8 + size > all.length) return lie('reply size field wrong');
    if (err === 0 && (req.id === CMD.GET_GUEST_INFO || req.id === CMD.GET_VERSION) && req.size !== 0) return lie('success for a payload the command does not take');
    if (err === 0 && [7, 11, 12, 14, 17, 18, 19, 24, 28].includes(req.id)) return lie('success for a command that writes');
    o += 8 + size;
  }
}

// ---- the list -------------------------------------------------------------------------------------------

export const TARGETS: Target[] = [
  {
    name: 'elf-core',
    what: 'ELF vmcore: ELF header, program headers, PT_NOTE notes, VMCOREINFO, PT_LOAD reads',
    setup() {
      const base = new BufferSource(elfCoreSeed(), 'seed.core');
      const pages = [0x1000n, 0x5000n, 0x1000000n, 0x100f000n, 0x101f000n, 0x100000000n];
      const run = (src: ByteSource) => exerciseDump(new ElfCore(src), pages);
      const log = learn((l) => run(new PatchedSource(base, { patches: [], ops: [] }, l)));
      return { ctx: fileContext(base, restrict(log, (r) => r.len <= 4096 || r.at < 4096n)), allocLimit: 4 * base.size + 16 * MiB, run: (m) => run(new PatchedSource(base, m)) };
    },
  },
  {
    name: 'elf-notes',
    what: 'Elf64_Nhdr runs (namesz/descsz/type) and the VMCOREINFO text inside them',
    setup() {
      const core = elfCoreSeed();
      const phoff = Number(core.readBigUInt64LE(32));
      const off = Number(core.readBigUInt64LE(phoff + 8));
      const len = Number(core.readBigUInt64LE(phoff + 32));
      const base = new BufferSource(Buffer.from(core.subarray(off, off + len)), 'notes');
      const run = (src: ByteSource) => {
        for (const n of parseNotes(src.read(0, src.size))) if (n.name === 'VMCOREINFO') parseVmcoreInfo(n.desc.toString('latin1'));
      };
      // Every 4-byte word of the notes is a field (headers, names, descs).
      const log = new ReadLog();
      for (let o = 0; o < base.size; o += o < 1024 ? 4 : 64) log.add(BigInt(o), Math.min(16, base.size - o));
      return { ctx: fileContext(base, log), allocLimit: 16 * MiB, run: (m) => run(new PatchedSource(base, m)) };
    },
  },
  kdumpTarget('kdump-headers', 'kdump-compressed: disk_dump_header, kdump_sub_header, the two bitmaps', (r) => r.at < 4096n * 3n || r.len >= 4096 * 2),
  kdumpTarget('kdump-pages', 'kdump-compressed: page_desc table, the shared zero page, zlib page data', (r) => r.at >= 4096n * 3n && r.len < 4096 * 8),
  {
    name: 'flattened',
    what: 'makedumpfile -F stream: makedumpfile_header, data record headers (offset, buf_size), then the kdump inside',
    setup() {
      const base = new BufferSource(flattenDemo(), 'demo.flat');
      const pages = pagesOf(openKdump([new FlattenedSource(base)]), 8);
      const run = (src: ByteSource) => exerciseDump(openKdump([new FlattenedSource(src)]), pages);
      const log = learn((l) => run(new PatchedSource(base, { patches: [], ops: [] }, l)));
      return { ctx: fileContext(base, restrict(log, (r) => r.len === 16 || r.at < 4096n || r.len <= 512)), allocLimit: 4 * base.size + 16 * MiB, run: (m) => run(new PatchedSource(base, m)) };
    },
  },
  {
    name: 'split-set',
    what: 'makedumpfile --split parts: split flag, start_pfn/end_pfn (32- and 64-bit), per-part headers',
    setup() {
      const [a, b] = splitDemo();
      const A = new BufferSource(a, 'part1');
      const B = new BufferSource(b, 'part2');
      const pages = pagesOf(openKdump([A, B]), 12);
      const run = (m: Mutation) => exerciseDump(openKdump([new PatchedSource(A, splitPatches(m, 0)), new PatchedSource(B, splitPatches(m, 1))]), pages);
      // The fields: both parts' headers and sub-headers (the rest is the demo's, fuzzed by kdump-*).
      const log = new ReadLog();
      for (const at of [0n, PART_B]) {
        log.add(at, 464);
        log.add(at + 4096n, 104);
        log.add(at + 4096n + 12n, 8);
        log.add(at + 4096n + 16n, 16);
        log.add(at + 4096n + 80n, 24);
      }
      const ctx = fileContext(A, log);
      return { ctx: { ...ctx, truncatable: false, current: (at, w) => ctx.current!(at >= PART_B ? at - PART_B : at, w) }, allocLimit: 8 * a.length + 16 * MiB, run };
    },
  },
  ...(['zlib', 'lzo', 'snappy', 'zstd'] as const).map(
    (codec): Target => ({
      name: `page-${codec}`,
      what: `${codec}-compressed pages (real page contents of the demo dump) through the kdump page decompressor`,
      setup() {
        const pages = codecPages(codec);
        const c = CODECS.find((x) => x.name === codec)!;
        // All pages concatenated: a case mutates one page's bytes (the log's entries are the pages).
        const all = Buffer.concat(pages);
        const base = new BufferSource(all, `${codec} pages`);
        const log = new ReadLog();
        let o = 0;
        for (const p of pages) {
          log.add(BigInt(o), Math.min(p.length, 32));
          log.add(BigInt(o), p.length);
          o += p.length;
        }
        const starts: number[] = [];
        o = 0;
        for (const p of pages) {
          starts.push(o);
          o += p.length;
        }
        return {
          ctx: { ...fileContext(base, log), truncatable: false },
          allocLimit: 4 * MiB,
          run: (m) => {
            // The page the first patch falls in (or page 0), with the mutation applied, cut as the mutation says.
            const at = Number(m.patches[0]?.at ?? 0n);
            let i = starts.findIndex((s, j) => at >= s && (j === starts.length - 1 || at < starts[j + 1]));
            if (i < 0) i = 0;
            const src = new PatchedSource(base, m);
            const data = src.read(starts[i], pages[i].length);
            const cut = m.ops.length % 7 === 3 ? data.subarray(0, data.length >> 1) : data;
            const out = c.decompress(Buffer.from(cut), 4096);
            if (out.length > 4097) return { ok: false, kind: 'lie', signature: `${codec} output past its cap`, message: `${out.length} bytes` };
          },
        };
      },
    }),
  ),
  {
    name: 'dwarf',
    what: 'DWARF 5 of an ET_REL (gcc -g -c): section headers, .debug_abbrev/.debug_info/.debug_str/.debug_line_str/.debug_str_offsets, .rela.debug_* relocations',
    setup() {
      const { obj } = debugObjects();
      const base = new BufferSource(readFileSync(obj), obj);
      const names = typeNames('test/fixtures-src/dwarf-types.c');
      const run = (src: ByteSource) => walkTypes(openDwarf(new ElfFile(src), { cache: false }), names);
      const log = learn((l) => run(new PatchedSource(base, { patches: [], ops: [] }, l)));
      return { ctx: fileContext(base, log), allocLimit: 64 * base.size + 16 * MiB, run: (m) => run(new PatchedSource(base, m)) };
    },
  },
  {
    name: 'btf',
    what: 'BTF (pahole -J of the DWARF test types): btf_header, type records (kinds, vlen, sizes, member offsets), strings',
    setup() {
      const buf = btfOf(debugObjects().base);
      const base = new BufferSource(buf, 'types.btf');
      const names = typeNames('test/fixtures-src/dwarf-types.c');
      const run = (b: Buffer) => walkTypes(new BtfTypeSource(b, 'fuzzed BTF'), names);
      const log = new ReadLog();
      for (let o = 0; o < buf.length; o += 4) log.add(BigInt(o), Math.min(12, buf.length - o));
      return { ctx: fileContext(base, log), allocLimit: 16 * MiB, run: (m) => run(new PatchedSource(base, m).read(0, m.truncate !== undefined ? Math.min(m.truncate, buf.length) : buf.length)) };
    },
  },
  {
    name: 'btf-split',
    what: 'split BTF (pahole -J --btf_base): type ids and string offsets continuing the base',
    setup() {
      const { base: b, mod } = debugObjects();
      const baseBtf = new BtfTypeSource(btfOf(b), 'base BTF');
      const buf = btfOf(mod);
      const src = new BufferSource(buf, 'split.btf');
      const names = [...typeNames('test/fixtures-src/dwarf-types-def.c'), ...typeNames('test/fixtures-src/dwarf-types.c').slice(0, 20)];
      const run = (x: Buffer) => walkTypes(new BtfTypeSource(x, 'fuzzed split BTF', baseBtf), names);
      const log = new ReadLog();
      for (let o = 0; o < buf.length; o += 4) log.add(BigInt(o), Math.min(12, buf.length - o));
      return { ctx: fileContext(src, log), allocLimit: 16 * MiB, run: (m) => run(new PatchedSource(src, m).read(0, m.truncate !== undefined ? Math.min(m.truncate, buf.length) : buf.length)) };
    },
  },
  {
    name: 'kallsyms',
    what: "kallsyms tables in the demo dump's kernel image: num_syms, names, markers, token table/index, offsets, relative base",
    setup() {
      const d = demo();
      const vi = d.s.vmcoreinfo;
      const physBase = vi.physBase!;
      const read = (va: bigint, n: number) => d.s.mem.read(BigInt.asUintN(64, va - constant('__START_KERNEL_map') + physBase), n);
      const found = findKallsyms(read, vi);
      // The first 400 symbols: the decoder's every path (tokens, markers, addresses) at a per-case cost.
      const tables: KallsymsTables = { ...found.tables, numSyms: Math.min(400, found.tables.numSyms) };
      const run = (m: Mutation, r: (va: bigint, n: number) => Buffer) => {
        const count = m.ops.length % 11 === 5 ? [0, -1, 0x7fffffff, 1e7, 1e7 + 1][m.ops.length % 5] : tables.numSyms;
        decodeKallsyms(r, { ...tables, numSyms: count });
      };
      const log = learn((l) => run({ patches: [], ops: [] }, patchedReader(read, { patches: [], ops: [] }, l)));
      const fields = restrict(log, (r) => r.len <= 4096);
      fields.add(tables.names, 4096); // the first names (read as one 64 KiB chunk)
      return {
        ctx: {
          log: fields,
          current: (at, w) => {
            const b = read(at, w);
            let v = 0n;
            for (let i = w - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
            return v;
          },
          pointerTo: (at) => at,
        },
        allocLimit: 64 * MiB,
        run: (m) => run(m, patchedReader(read, m)),
      };
    },
  },
  walkerTarget('kobj-tasks', 'task list (init_task.tasks list_heads), thread lists, pids, comm', (k, d) => {
    for (const p of drain(processes(k), 2000)) drain(threads(k, p.task), 200);
    findTask(k, d.pid);
  }),
  walkerTarget('kobj-files', "the VMM's files_struct, fdtable (max_fds, fd array), struct file, dentry names, f_op", (k, d) => {
    const t = findTask(k, d.pid);
    drain(openFiles(k, t.task), 4096);
    vmsOfTask(k, t.task, kvmSymbols(k));
  }),
  walkerTarget('kobj-vms', "every VM: VMM tasks' kvm-vm fds and kvm.ko's vm_list (list_heads), per-VM summaries", (k) => {
    allVms(k);
  }),
  walkerTarget('kobj-memslots', 'struct kvm memslots: kvm_memslots (generation, node_idx), gfn_tree rb-tree, slot fields, counts', (k, d) => {
    const spaces = addressSpaces(k, k.obj('kvm', d.kvm));
    for (const s of spaces) {
      for (const sl of s.slots) void sl.npages;
      // "Update in progress" (bit 63 of the generation, as the mutated memory holds it) is always said.
      const raw = k.mem.read(k.vtop(s.memslots + BigInt(findMember(k.structType('kvm_memslots'), 'generation')!.offset)), 8).readBigUInt64LE(0);
      if (((raw >> 63n) & 1n) === 1n && !s.updateInProgress) return { ok: false, kind: 'lie', signature: 'update in progress not said', message: `memslots ${s.memslots.toString(16)} generation ${raw.toString(16)}` };
    }
  }),
  walkerTarget('kobj-vcpus', 'vCPUs: online_vcpus, the vcpu_array xarray, struct kvm_vcpu, kvm_run', (k, d) => {
    vcpusOf(k, k.obj('kvm', d.kvm));
  }),
  walkerTarget('kobj-maple', "the VMM's VMAs: mm_mt maple tree nodes (pivots, slots, types), vm_area_struct", (k, d) => {
    const t = findTask(k, d.pid);
    const mm = k.obj('mm_struct', t.task.member('mm').value());
    drain(vmas(k, mm), 5000);
    findVma(k, mm, 0x7f600ebb3000n);
  }),
  walkerTarget('kobj-vtop', 'gpa -> hva -> hpa: memslot lookup, the VMM page tables (PGD..PTE entries), the VMA, struct page', vtopScenario),
  {
    name: 'kvmi-frames',
    what: 'KVMI framing (kvmi_msg_hdr id/size/seq) and every command handler, through serveConnection',
    setup() {
      const seed = kvmiSeedFrames();
      const base = new BufferSource(seed, 'kvmi frames');
      const log = new ReadLog();
      for (let o = 0; o < seed.length; o += 2) log.add(BigInt(o), Math.min(8, seed.length - o));
      return {
        ctx: fileContext(base, log),
        allocLimit: 4 * MiB,
        run: (m) => {
          const frames = new PatchedSource(base, m).read(0, m.truncate ?? seed.length);
          const sock = new FakeSocket();
          serveConnection(sock as never, KVMI_VM, POLICY, { connections: 0, requests: 0, closedForErrors: 0 });
          // Delivered in pieces (the framing must reassemble them), split where the mutation count says.
          const cut = Math.min(frames.length, 1 + ((m.patches.length * 37) % Math.max(1, frames.length)));
          sock.emit('data', frames.subarray(0, cut));
          if (!sock.destroyed && cut < frames.length) sock.emit('data', frames.subarray(cut));
          if (!sock.destroyed) return checkKvmiReplies(frames, sock.out);
          for (const r of sock.out) void r;
          // handle() alone on the raw frame too: it must never throw.
          if (frames.length >= 8) handle(KVMI_VM, POLICY, { id: frames.readUInt16LE(0), seq: frames.readUInt32LE(4), data: frames.subarray(8) });
        },
      };
    },
  },
];

/** Compressed pages of the demo dump's contents, compressed here with each codec's real compressor. */
function codecPages(codec: 'zlib' | 'lzo' | 'snappy' | 'zstd'): Buffer[] {
  const mem = openKdump([demoSource()]);
  const raw: Buffer[] = [];
  for (const p of pagesOf(mem, 64)) {
    try {
      const b = mem.read(p, 4096);
      if (b.some((x) => x !== 0)) raw.push(Buffer.from(b));
    } catch {
      // not in the dump
    }
  }
  const d = tmpDir();
  switch (codec) {
    case 'zlib':
      return raw.map((b) => zlibDeflate(b));
    case 'snappy':
      return raw.map((b) => Buffer.from(snappy.compress(b)));
    case 'zstd':
      return raw.map((b, i) => {
        const f = join(d, `p${i}`);
        writeFileSync(f, b);
        execFileSync('zstd', ['-q', '-f', '-19', '--no-check', f, '-o', f + '.zst']);
        return readFileSync(f + '.zst');
      });
    case 'lzo': {
      // makedumpfile -l writes LZO1X pages (the only LZO1X compressor at hand): take them from its output.
      const out = join(d, 'demo.lzo');
      execFileSync('makedumpfile', ['-l', '-d', '31', DEMO, out], { stdio: 'ignore' });
      const b = readFileSync(out);
      const bs = b.readInt32LE(428);
      const bitmapBlocks = b.readUInt32LE(436);
      const descStart = (1 + b.readInt32LE(432)) * bs + bitmapBlocks * bs;
      const pages: Buffer[] = [];
      for (let o = descStart; pages.length < 64 && o + 24 <= b.length; o += 24) {
        const off = Number(b.readBigInt64LE(o));
        const size = b.readUInt32LE(o + 8);
        const flags = b.readUInt32LE(o + 12);
        if (flags === 0x2 && off > 0 && off + size <= b.length) pages.push(Buffer.from(b.subarray(off, off + size)));
      }
      return pages;
    }
  }
}

function zlibDeflate(b: Buffer): Buffer {
  // node's deflateSync writes a zlib stream as compress2() does; inflateSync checks it round-trips.
  const z = deflateSync(b);
  if (!inflateSync(z).equals(b)) throw new Error('zlib round trip');
  return z;
}

export function targetByName(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name}; targets: ${TARGETS.map((x) => x.name).join(', ')}`);
  return t;
}

