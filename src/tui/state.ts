// The TUI's state, with no terminal code: which VM is chosen, its slots and vCPUs, what the go-to box
// asked and what came back. Every answer comes from the functions the CLI calls (kvm/, vtop/); this file
// only remembers, caches and turns input into calls.
import { hex, hexBare } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { type AddressSpace, addressSpaces, findSlot, gpaInSlot, gpaOfHva, memslotFlagNames, type Memslot } from '../kvm/memslots.js';
import { type VcpuInfo, vcpusOf } from '../kvm/vcpus.js';
import { allVms, type VmSummary } from '../kvm/vms.js';
import { percentText, type VmCoverage, vmCoverage } from '../kvm/coverage.js';
import { type GuestKernelOptions, GuestView, type GuestWalk, type VendorTypes } from '../vtop/guest-view.js';
import { renderGuestWalk } from '../vtop/render-gva.js';
import { hexdumpPerLine, renderHexdump } from '../vtop/render-hex.js';
import { formatBytes } from '../vtop/render-vms.js';
import { renderWhose } from '../vtop/render-whose.js';
import { hostReverseIndex, whose } from '../vtop/whose.js';
import { translateGpa, vmContext, type VmContext } from '../vtop/translate.js';
import { type Translation } from '../vtop/translation.js';
import { type AddressQuery, parseAddressQuery } from './address-input.js';

export const VM_HEADER = ['PID', 'COMM', 'STRUCT KVM', 'VCPUS', 'SLOTS', 'MEMORY', 'IN DUMP'];

export interface TuiOptions {
  /** kvm-amd / kvm-intel types, for the CR3 a vCPU last ran with (gva ADDR in the go-to box). */
  vendor?: () => VendorTypes;
  /** Where the guest kernel's debug vmlinux may be (gva ADDR kernel needs only its VMCOREINFO). */
  guestKernel?: GuestKernelOptions;
}
export const SLOT_HEADER = ['AS', 'ID', 'GPA RANGE', 'HVA RANGE', 'SIZE', 'FLAGS'];

export interface SlotRow {
  slot: Memslot;
  cells: string[];
  /** The same with bare-hex ranges (crash's style), for when the 0x prefixes would push FLAGS off screen. */
  compact: string[];
}

export interface TranslateResult {
  translation?: Translation;
  /** One line for the status bar: the path, or what went wrong in words. */
  status: string;
  ok: boolean;
}

export interface Hexdump {
  title: string;
  lines: string[];
  /** Index in lines of the line holding the translated address. */
  markLine?: number;
  /** Why there are no bytes (excluded page, no translation yet). */
  message?: string;
}

export const slotLabel = (s: Memslot): string => `slot ${s.id} (AS ${s.asId}${s.asId === 1 ? ' SMM' : ''})`;

export class TuiState {
  readonly vms: VmSummary[];
  readonly notes: string[];
  selected = 0;
  /** The address space typed gpas are in (x86: 0, or 1 = SMM). */
  asId = 0;
  /** The last translation of the chosen VM. */
  last?: Translation;
  /** The guest walk that led to `last`, when a gva was typed. */
  lastGuest?: GuestWalk;
  /** The vCPU whose CR3 a typed gva is walked in. */
  vcpuIndex = 0;
  private views = new Map<bigint, GuestView>();
  private coverage = new Map<bigint, VmCoverage | Error>();
  private contexts = new Map<bigint, VmContext>();
  private spaceCache = new Map<bigint, AddressSpace[]>();
  private vcpuCache = new Map<bigint, VcpuInfo[] | Error>();
  /** Built on the first `w`, once per session: every VM's slots walked table by table. */
  private reverse?: ReturnType<typeof hostReverseIndex>;

  constructor(
    readonly kernel: Kernel,
    readonly options: TuiOptions = {},
  ) {
    const r = allVms(kernel);
    this.vms = r.vms;
    this.notes = r.notes;
  }

  get vm(): VmSummary | undefined {
    return this.vms[this.selected];
  }

  selectVm(i: number): boolean {
    if (i < 0 || i >= this.vms.length || i === this.selected) return false;
    this.selected = i;
    this.last = undefined;
    this.lastGuest = undefined;
    let spaces: AddressSpace[] = [];
    try {
      spaces = this.spaces();
    } catch {
      // the slot pane says why
    }
    if (!spaces.some((s) => s.asId === this.asId)) this.asId = 0;
    return true;
  }

  vmLabel(v: VmSummary | undefined = this.vm): string {
    if (!v) return 'no VM';
    const o = v.owners[0];
    return `VM ${hex(v.addr)}${o ? ` (pid ${o.pid} ${o.comm})` : ' (no owner found)'}`;
  }

  vmRows(): string[][] {
    return this.vms.map((v) => [
      String(v.owners[0]?.pid ?? '?'),
      v.owners[0]?.comm ?? '(no owner)',
      hex(v.addr),
      String(v.onlineVcpus ?? '?'),
      String(v.memslots),
      formatBytes(v.memoryBytes),
      this.coverageCell(v),
    ]);
  }

  /** How much of the VM's guest RAM (address space 0) the dump holds: the `coverage` command's answer. */
  vmCoverage(v: VmSummary | undefined = this.vm): VmCoverage | Error | undefined {
    if (!v) return undefined;
    let c = this.coverage.get(v.addr);
    if (!c) {
      try {
        const ctx = vmContext(this.kernel, v.kvm, v.spaces ?? addressSpaces(this.kernel, v.kvm));
        c = vmCoverage(this.kernel, v.kvm, ctx.spaces, ctx.pgdPhys);
      } catch (e) {
        c = e as Error;
      }
      this.coverage.set(v.addr, c);
    }
    return c;
  }

  private coverageCell(v: VmSummary): string {
    const c = this.vmCoverage(v);
    return !c || c instanceof Error ? '?' : percentText(c.summary.inDump, c.summary.pages);
  }

  /** The chosen VM seen from inside (guest memory, vCPU state, guest kernel). */
  guestView(): GuestView {
    const v = this.vm;
    if (!v) throw new QvError('NO_VM', 'no VM in this dump');
    let g = this.views.get(v.addr);
    if (!g) {
      const vendor = this.options.vendor ?? (() => ({ vendor: 'unknown' as const, description: 'no vendor module types given to the TUI' }));
      this.views.set(v.addr, (g = new GuestView(this.kernel, this.context(), vendor, this.options.guestKernel)));
    }
    return g;
  }

  /** The guest breakdown of the last gva, as the CLI prints it (empty when a gpa was typed). */
  guestLines(): string[] {
    return this.lastGuest ? renderGuestWalk(this.lastGuest) : [];
  }

  /** Memslots of every address space of the chosen VM (throws, in words, when they cannot be read). */
  spaces(): AddressSpace[] {
    const v = this.vm;
    if (!v) return [];
    let s = this.spaceCache.get(v.addr);
    if (!s) {
      s = v.spaces ?? addressSpaces(this.kernel, v.kvm);
      this.spaceCache.set(v.addr, s);
    }
    return s;
  }

  space(asId = this.asId): AddressSpace | undefined {
    return this.spaces().find((s) => s.asId === asId);
  }

  slotRows(): SlotRow[] {
    const rows: SlotRow[] = [];
    for (const s of this.spaces()) {
      for (const m of [...s.slots].sort((a, b) => (a.baseGfn < b.baseGfn ? -1 : a.baseGfn > b.baseGfn ? 1 : 0))) {
        const gpa = m.baseGfn << 12n;
        const size = m.npages << 12n;
        const cells = (h: (v: bigint) => string) => [
          s.asId === 1 ? '1 SMM' : String(s.asId),
          String(m.id),
          `${h(gpa)}-${h(gpa + size - 1n)}`,
          `${h(m.userspaceAddr)}-${h(m.userspaceAddr + size - 1n)}`,
          formatBytes(size),
          memslotFlagNames(m.flags).join('|') || '-',
        ];
        rows.push({ slot: m, cells: cells(hex), compact: cells(hexBare) });
      }
    }
    return rows;
  }

  private context(): VmContext {
    const v = this.vm;
    if (!v) throw new QvError('NO_VM', 'no VM in this dump');
    let c = this.contexts.get(v.addr);
    if (!c) {
      const owner = v.owners[0];
      c = vmContext(this.kernel, v.kvm, this.spaces(), undefined, owner?.pid, owner?.comm);
      this.contexts.set(v.addr, c);
    }
    return c;
  }

  /** A query to (gpa, address space), through the memslots: hva and slot+offset are found back in them. */
  resolve(q: AddressQuery): { gpa: bigint; asId: number } {
    if (q.kind === 'gpa') return { gpa: q.gpa, asId: this.asId };
    if (q.kind === 'hva') {
      const hit = gpaOfHva(this.spaces(), q.hva);
      if (!hit) throw new QvError('HVA_NOT_IN_MEMSLOT', `hva ${hex(q.hva)} is in no memslot of ${this.vmLabel()}: the VMM did not give that memory to the guest`);
      return { gpa: hit.gpa, asId: hit.asId };
    }
    if (q.kind === 'gva') {
      const r = this.translateGva(q.gva, q.table, q.vcpu);
      if (!this.last || !this.lastGuest || this.lastGuest.gpa === undefined) throw new QvError(this.lastGuest?.error?.code ?? 'GVA_NOT_TRANSLATED', r.status);
      return { gpa: this.lastGuest.gpa, asId: this.asId };
    }
    const asId = q.asId ?? this.asId;
    const space = this.space(asId);
    if (!space) throw new QvError('NO_ADDRESS_SPACE', `${this.vmLabel()} has no address space ${asId}`);
    const slot = space.slots.find((m) => m.id === q.slotId);
    if (!slot) throw new QvError('NO_SUCH_SLOT', `address space ${asId} has no slot ${q.slotId} (its slots: ${space.slots.map((m) => m.id).join(', ') || 'none'})`);
    const gpa = gpaInSlot(slot, q.offset);
    if (gpa === undefined) throw new QvError('OFFSET_PAST_SLOT', `offset ${hex(q.offset)} is past the end of ${slotLabel(slot)}, which is ${formatBytes(slot.npages << 12n)} (${hex(slot.npages << 12n)}) long`);
    return { gpa, asId };
  }

  /** Translates what was typed; every failure becomes a message, nothing throws. */
  translate(input: string): TranslateResult {
    try {
      const pq = parseAddressQuery(input);
      if (pq.kind === 'gva') return this.translateGva(pq.gva, pq.table, pq.vcpu);
      const q = this.resolve(pq);
      this.lastGuest = undefined;
      return this.translateGpa(q.gpa, q.asId);
    } catch (e) {
      return { status: (e as Error).message, ok: false };
    }
  }

  /** A gva in the chosen vCPU's page table (or vCPU n's, or the guest kernel's): the guest walk, then the host block. */
  translateGva(gva: bigint, table: 'vcpu' | 'kernel', vcpu?: number): TranslateResult {
    try {
      const g = this.guestView();
      if (vcpu !== undefined) this.vcpuIndex = vcpu;
      const c = g.cr3(table === 'kernel' ? { guestKernel: true } : { vcpu: this.vcpuIndex });
      const a = g.gva(c, gva, this.asId);
      this.lastGuest = a.walk;
      if (!a.host) {
        this.last = undefined;
        return { status: a.walk.error?.message ?? `gva ${hex(gva)} has no gpa`, ok: false };
      }
      const r = this.translateGpa(a.host.gpa, this.asId, a.host);
      return { ...r, status: `gva ${hex(gva)} (CR3 ${hex(c.cr3)}, ${c.source.kind === 'vcpu' ? `vCPU ${c.source.vcpu}` : 'guest kernel'}) -> ${r.status}` };
    } catch (e) {
      return { status: (e as Error).message, ok: false };
    }
  }

  translateGpa(gpa: bigint, asId: number, done?: Translation): TranslateResult {
    try {
      const t = done ?? translateGpa(this.kernel, this.context(), gpa, asId);
      this.last = t;
      this.asId = asId;
      if (t.error) return { translation: t, status: t.error.message, ok: false };
      const note = t.pageInDump === false ? ' (its page is not in this dump)' : '';
      return { translation: t, status: `gpa ${hex(t.gpa)} -> hva ${hex(t.hva ?? 0n)} -> hpa ${hex(t.hpa!)}${note}`, ok: true };
    } catch (e) {
      return { status: (e as Error).message, ok: false };
    }
  }

  /** Index in slotRows() of the slot holding a gpa, or -1. */
  slotRowOf(gpa: bigint, asId: number): number {
    const space = this.space(asId);
    const slot = space && findSlot(space, gpa >> 12n);
    return slot ? this.slotRows().findIndex((r) => r.slot.asId === asId && r.slot.id === slot.id) : -1;
  }

  /** `/` on the slot table: the row of the slot holding a gpa (or hva, or slot+offset). */
  findSlotRow(input: string): { row: number; message: string } {
    const q = this.resolve(parseAddressQuery(input));
    const row = this.slotRowOf(q.gpa, q.asId);
    if (row < 0) throw new QvError('GPA_NOT_IN_MEMSLOT', `gpa ${hex(q.gpa)} is in no memslot of address space ${q.asId}${q.asId === 1 ? ' (SMM)' : ''}`);
    return { row, message: `gpa ${hex(q.gpa)} is in slot ${this.slotRows()[row].slot.id} of address space ${q.asId}` };
  }

  /** `/` on the VM list: a pid, a comm (or part of one) or a struct kvm address. */
  findVm(text: string, from = -1): number {
    const t = text.trim().toLowerCase();
    const addr = /^(0x)?[0-9a-f]{6,}$/.test(t) ? BigInt('0x' + t.replace(/^0x/, '')) : undefined;
    const n = this.vms.length;
    for (let k = 1; k <= n; k++) {
      const i = (from + k) % n;
      const v = this.vms[i];
      if (addr !== undefined && v.addr === addr) return i;
      for (const o of v.owners) if (String(o.pid) === t || o.comm.toLowerCase().includes(t)) return i;
      if (hex(v.addr).includes(t)) return i;
    }
    return -1;
  }

  vcpus(): VcpuInfo[] {
    const v = this.vm;
    if (!v) return [];
    let c = this.vcpuCache.get(v.addr);
    if (!c) {
      try {
        c = vcpusOf(this.kernel, v.kvm);
      } catch (e) {
        c = e as Error;
      }
      this.vcpuCache.set(v.addr, c);
    }
    if (c instanceof Error) throw new QvError('VCPUS_UNREADABLE', `the vCPUs of ${this.vmLabel()} cannot be read: ${c.message}`);
    return c;
  }

  /**
   * The 4 KiB guest page of the last translation, read the way `read` reads (through the guest memory: a page the
   * dump lacks is said, never shown as zeros). Lines are labelled with the hpa of each byte.
   */
  hexdump(columns: number): Hexdump {
    const t = this.last;
    if (!t || t.hpa === undefined) {
      const why = t?.error ? `the last translation found no page (${t.error.message})` : 'nothing translated yet';
      return { title: 'hexdump', lines: [], message: `${why}: press g and type a gpa, then x` };
    }
    const page = t.hpa & ~0xfffn;
    const gpaPage = t.gpa & ~0xfffn;
    const title = `hexdump of hpa ${hex(page)} (gpa ${hex(gpaPage)})`;
    if (t.pageInDump === false) return { title, lines: [], message: t.pageNote ?? `page ${hex(page)} is not in this dump` };
    let data: Buffer;
    try {
      const r = this.guestView().read(gpaPage, 4096, t.asId);
      if (r.missing.length) return { title, lines: [], message: r.missing[0].message };
      data = r.bytes;
    } catch (e) {
      return { title, lines: [], message: (e as Error).message };
    }
    const lines = renderHexdump(page, data, { mark: t.hpa, perLine: hexdumpPerLine(columns, page.toString(16).length) });
    const markLine = lines.findIndex((l) => l.startsWith('>'));
    return { title, lines, markLine: markLine < 0 ? undefined : markLine };
  }

  /** Every owner of the last translated hpa (the reverse index, built once), as text lines. */
  whose(): { title: string; lines: string[]; message?: string } {
    const t = this.last;
    if (!t || t.hpa === undefined) {
      const why = t?.error ? `the last translation found no page (${t.error.message})` : 'nothing translated yet';
      return { title: 'whose', lines: [], message: `${why}: press g and type a gpa, then w` };
    }
    this.reverse ??= hostReverseIndex(this.kernel);
    const r = whose(this.kernel, this.reverse, t.hpa);
    const lines = renderWhose([r], this.reverse.notes).trimEnd().split('\n');
    return { title: `whose is hpa ${hex(t.hpa)} (gpa ${hex(t.gpa)}, AS ${t.asId})`, lines };
  }
}
