// `extract`: the guest's RAM out of the host dump as a dump of its own, ELF64 (kexec /proc/vmcore layout) or
// kdump-compressed. Two passes over the guest's extents (table by table): the first plans (page kinds, PT_LOAD
// runs, bitmaps), the second streams page bytes from the host dump to the sink. Pages the host dump cannot give
// are never written: ELF leaves them out (the PT_LOAD splits), kdump marks them not dumped. Returns a summary.
import { prstatus, type PrRegName } from '../arch/x86_64/prstatus.js';
import { constant } from '../debuginfo/constants.js';
import { KdumpWriter, PfnBitmap } from '../dump/write-kdump.js';
import { encodeNotes, layoutCore, type CoreNoteIn, type LoadSpec } from '../elf/write-core.js';
import { type VcpuGuestState } from '../guest/vcpu-state.js';
import { type GuestVmcoreinfo } from '../guest/vmcoreinfo-scan.js';
import { hex } from '../io/hex.js';
import { type Sink } from '../io/sink.js';
import { type Kernel } from '../kernel/kernel.js';
import { type Extent, type ExtentKind, guestExtents, planExtents, READABLE } from '../kvm/guest-extents.js';
import { type GuestMemory } from '../kvm/guest-memory.js';

const PAGE_SHIFT = 12n;
const PAGE = 4096;
/** Pages read from the host dump per write (bounded memory whatever the guest's size). */
const CHUNK_PAGES = 256;
const NT_PRSTATUS = 1;

export type ExtractFormat = 'elf' | 'kdump';

export interface ExtractInputs {
  /** The address space written (--as-id). */
  gm: GuestMemory;
  /** Address space 0, where the guest kernel's VMCOREINFO note and utsname are read (default: gm). */
  kernelMemory?: GuestMemory;
  /** The guest kernel (for p_vaddr and the kernel-text segment), when it could be opened. */
  guestKernel?: Kernel;
  guestKernelError?: string;
  vmcoreinfo?: GuestVmcoreinfo;
  vcpus: VcpuGuestState[];
  vcpuErrors: string[];
  /** When the host crashed (the kdump header's timestamp). */
  crashTime?: Date;
  /** kdump pages: zlib (default, as makedumpfile -c) or none (stored as they are: as fast as ELF, as large). */
  compress?: 'zlib' | 'none';
}

export interface ExtractProgress {
  pagesDone: bigint;
  pagesTotal: bigint;
  bytesDone: number;
}

export interface ExtractSummary {
  format: ExtractFormat;
  asId: number;
  vm: bigint;
  /** Pages of the address space's memslots by kind. */
  pages: Map<ExtentKind, bigint>;
  totalPages: bigint;
  writtenPages: bigint;
  /** PT_LOADs of RAM (ELF) and of the kernel text. */
  loads: number;
  textLoads: number;
  bytes: number;
  vmcoreinfoGpa?: bigint;
  pageOffsetBase?: bigint;
  kernelText?: { vaddr: bigint; paddr: bigint; size: bigint };
  vcpuNotes: number;
  complete: boolean;
  notes: string[];
}

/** pr_reg values of one vCPU: the saved state's rip/rsp/rflags/segments, the rest from KVM's arch.regs. */
function vcpuRegs(st: VcpuGuestState): Partial<Record<PrRegName, bigint>> {
  const r: Partial<Record<PrRegName, bigint>> = {};
  const gprs: PrRegName[] = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi', 'rip', 'rsp'];
  for (const g of st.vcpu.regs) if ((gprs as string[]).includes(g.name)) r[g.name as PrRegName] = g.value;
  if (st.rip !== undefined) r.rip = st.rip;
  if (st.rsp !== undefined) r.rsp = st.rsp;
  if (st.rflags !== undefined) r.eflags = st.rflags;
  for (const s of st.segments ?? []) {
    if (['cs', 'ss', 'ds', 'es', 'fs', 'gs'].includes(s.name)) r[s.name as PrRegName] = BigInt(s.selector);
    if (s.name === 'fs') r.fs_base = s.base;
    if (s.name === 'gs') r.gs_base = s.base;
  }
  return r;
}

/** The guest's notes: one NT_PRSTATUS per vCPU, then its VMCOREINFO note copied from guest RAM. */
function guestNotes(inp: ExtractInputs, notes: string[]): { elfNotes: Buffer; vmcoreinfoText: Buffer; prstatus: number } {
  const list: CoreNoteIn[] = [];
  for (const st of inp.vcpus) list.push({ name: 'CORE', type: NT_PRSTATUS, desc: prstatus(0, vcpuRegs(st)) });
  let text: Buffer = Buffer.alloc(0);
  if (inp.vmcoreinfo) {
    // The note's desc exactly as the guest kernel left it (header 12 + name 12 bytes before it).
    const desc = (inp.kernelMemory ?? inp.gm).read(inp.vmcoreinfo.gpa + 24n, inp.vmcoreinfo.descSize);
    list.push({ name: 'VMCOREINFO', type: 0, desc });
    const z = desc.indexOf(0);
    text = desc.subarray(0, z < 0 ? desc.length : z);
  } else notes.push('no VMCOREINFO note was found in guest RAM: crash and drgn will not know the guest kernel from this file');
  return { elfNotes: encodeNotes(list), vmcoreinfoText: text, prstatus: inp.vcpus.length };
}

/** The guest's utsname fields (init_uts_ns.name), through VMCOREINFO and guest RAM; '' where unreadable. */
function guestUts(inp: ExtractInputs): string[] {
  const vi = inp.vmcoreinfo?.info;
  const uts = vi?.symbols.get('init_uts_ns');
  if (!vi || uts === undefined || vi.physBase === undefined) return [];
  const nameOff = BigInt(vi.offsets.get('uts_namespace.name') ?? 0);
  try {
    // struct new_utsname: sysname, nodename, release, version, machine, domainname: char[65] each.
    const b = inp.gm.read(BigInt.asUintN(64, uts + nameOff - constant('__START_KERNEL_map') + vi.physBase), 6 * 65);
    return Array.from({ length: 6 }, (_, i) => b.toString('latin1', i * 65, i * 65 + 65).replace(/\0.*$/s, ''));
  } catch {
    return [];
  }
}

/** Streams the bytes of every readable extent, in gpa order, CHUNK_PAGES at a time. */
function writePages(inp: ExtractInputs, each: (e: Extent, gpa: bigint, data: Buffer | 'zero', pages: number) => void): void {
  const mem = inp.gm.host.mem;
  for (const e of guestExtents(inp.gm)) {
    if (!READABLE.has(e.kind)) continue;
    for (let i = 0n; i < e.pages; i += BigInt(CHUNK_PAGES)) {
      const n = Number(e.pages - i < BigInt(CHUNK_PAGES) ? e.pages - i : BigInt(CHUNK_PAGES));
      const gpa = e.gpa + (i << PAGE_SHIFT);
      each(e, gpa, e.kind === 'zero' ? 'zero' : mem.read(e.hpa! + (i << PAGE_SHIFT), n * PAGE), n);
    }
  }
}

export function extract(inp: ExtractInputs, format: ExtractFormat, sink: Sink, progress?: (p: ExtractProgress) => void): ExtractSummary {
  const gm = inp.gm;
  const notes: string[] = [...inp.vcpuErrors];
  if (inp.guestKernelError) notes.push(inp.guestKernelError);
  let dumped: PfnBitmap | undefined;
  let ramMap: PfnBitmap | undefined;
  const maxPfn = gm.space.slots.reduce((m, s) => (s.baseGfn + s.npages > m ? s.baseGfn + s.npages : m), 0n);
  if (format === 'kdump') {
    dumped = new PfnBitmap(maxPfn);
    ramMap = new PfnBitmap(maxPfn);
    for (const s of gm.space.slots) ramMap.setRange(s.baseGfn, s.baseGfn + s.npages);
  }
  let hasZero = false;
  const plan = planExtents(gm, (e) => {
    if (e.kind === 'zero') hasZero = true;
    if (dumped && READABLE.has(e.kind)) dumped.setRange(e.gpa >> PAGE_SHIFT, (e.gpa >> PAGE_SHIFT) + e.pages);
  });
  const written = (plan.counts.get('data') ?? 0n) + (plan.counts.get('zero') ?? 0n);
  const { elfNotes, vmcoreinfoText, prstatus: nPr } = guestNotes(inp, notes);
  const gk = inp.guestKernel;
  const summary: ExtractSummary = {
    format,
    asId: gm.asId,
    vm: gm.kvm.addr,
    pages: plan.counts,
    totalPages: plan.pages,
    writtenPages: written,
    loads: 0,
    textLoads: 0,
    bytes: 0,
    vmcoreinfoGpa: inp.vmcoreinfo?.gpa,
    pageOffsetBase: gk?.pageOffsetBase,
    vcpuNotes: nPr,
    complete: written === plan.pages,
    notes,
  };
  let done = 0n;
  const tick = (pages: number) => {
    done += BigInt(pages);
    progress?.({ pagesDone: done, pagesTotal: written, bytesDone: sink.position });
  };
  if (format === 'elf') {
    const pob = gk?.pageOffsetBase;
    if (pob === undefined) notes.push("the guest's page_offset_base is unknown (no guest kernel): PT_LOADs have p_vaddr 0, which drgn 0.0.22 cannot open");
    const loads: LoadSpec[] = plan.loads.map((l) => ({ paddr: l.start, vaddr: pob === undefined ? 0n : BigInt.asUintN(64, pob + l.start), size: l.end - l.start }));
    const aliases: LoadSpec[] = [];
    const text = gk?.symbolOrUndefined('_text');
    const end = gk?.symbolOrUndefined('_end');
    if (gk && text !== undefined && end !== undefined && end > text) {
      const paddr = BigInt.asUintN(64, text - constant('__START_KERNEL_map') + gk.physBase);
      summary.kernelText = { vaddr: text, paddr, size: end - text };
      aliases.push({ paddr, vaddr: text, size: end - text });
    } else if (gk) notes.push('the guest kernel has no _text/_end symbols: no kernel-text PT_LOAD');
    const layout = layoutCore(elfNotes, loads, aliases);
    summary.loads = loads.length;
    summary.textLoads = layout.aliases.length;
    sink.write(layout.header);
    let li = 0;
    let inLoad = 0n;
    const zero = Buffer.alloc(CHUNK_PAGES * PAGE);
    writePages(inp, (_e, gpa, data, n) => {
      // The second pass must meet the plan exactly: same dump, same tables.
      const l = loads[li];
      if (!l || gpa !== l.paddr + inLoad) throw new Error(`extract: gpa ${hex(gpa)} is not where the plan put it (load ${li}); the dump changed while it was read?`);
      sink.write(data === 'zero' ? zero.subarray(0, n * PAGE) : data);
      inLoad += BigInt(n * PAGE);
      if (inLoad === l.size) {
        li++;
        inLoad = 0n;
      }
      tick(n);
    });
    if (li !== loads.length || sink.position !== layout.fileSize) throw new Error(`extract: wrote ${sink.position} bytes, the layout has ${layout.fileSize}`);
  } else {
    const vi = inp.vmcoreinfo?.info;
    const uts = guestUts(inp);
    const w = new KdumpWriter(sink, {
      release: vi?.osrelease || uts[2] || '(unknown)',
      // libkdumpfile takes the header's utsname (and its arch) only when release and version are set: never empty.
      version: uts[3] || '(unknown)',
      nodename: uts[1] || '(none)',
      nrCpus: Math.max(inp.vcpus.length, 1),
      timestamp: inp.crashTime ?? new Date(),
      physBase: vi?.physBase ?? 0n,
      vmcoreinfo: vmcoreinfoText,
      notes: elfNotes,
      maxPfn,
      ram: ramMap!,
      dumped: dumped!,
      level: inp.compress === 'none' ? 0 : 1,
    });
    w.writeHeaders(hasZero);
    writePages(inp, (_e, gpa, data, n) => {
      const pfn = gpa >> PAGE_SHIFT;
      for (let i = 0; i < n; i++) w.page(pfn + BigInt(i), data === 'zero' ? 'zero' : data.subarray(i * PAGE, (i + 1) * PAGE));
      tick(n);
    });
    w.finish();
  }
  summary.bytes = sink.position;
  return summary;
}
