// The TUI's state, with no terminal code: which VM is chosen, its slots and vCPUs, and what the translate
// box asked. Everything it shows comes from the same functions the CLI calls.
import { hex, parseAddress } from '../io/hex.js';
import { QvError } from '../kernel/errors.js';
import { type Kernel } from '../kernel/kernel.js';
import { type AddressSpace, findSlot, gpaOfHva, memslotFlagNames, type Memslot } from '../kvm/memslots.js';
import { allVms, type VmSummary } from '../kvm/vms.js';
import { type VcpuInfo, vcpusOf } from '../kvm/vcpus.js';
import { addressSpaces } from '../kvm/memslots.js';
import { renderTranslation } from '../vtop/render-text.js';
import { formatBytes } from '../vtop/render-vms.js';
import { renderVcpus } from '../vtop/render-vcpus.js';
import { translateGpa, vmContext, type VmContext } from '../vtop/translate.js';
import { type Translation } from '../vtop/translation.js';

export interface SlotRow {
  slot: Memslot;
  cells: string[];
}

export interface TranslateResult {
  text: string;
  translation?: Translation;
  /** A one-line message for the status bar (errors in words). */
  status: string;
  ok: boolean;
}

export class TuiModel {
  readonly vms: VmSummary[];
  readonly notes: string[];
  selected = 0;
  private contexts = new Map<bigint, VmContext>();
  private vcpuCache = new Map<bigint, VcpuInfo[] | string>();
  lastTranslation?: Translation;

  constructor(readonly kernel: Kernel) {
    const r = allVms(kernel);
    this.vms = r.vms;
    this.notes = r.notes;
  }

  get vm(): VmSummary | undefined {
    return this.vms[this.selected];
  }

  vmRows(): string[][] {
    return this.vms.map((v) => [String(v.owners[0]?.pid ?? '?'), v.owners[0]?.comm ?? '(no owner)', hex(v.addr), String(v.onlineVcpus ?? '?'), formatBytes(v.memoryBytes)]);
  }

  spaces(): AddressSpace[] {
    const v = this.vm;
    if (!v) return [];
    return v.spaces ?? addressSpaces(this.kernel, v.kvm);
  }

  slotRows(): SlotRow[] {
    const rows: SlotRow[] = [];
    for (const s of this.spaces()) {
      for (const m of s.slots) {
        const gpa = m.baseGfn << 12n;
        const size = m.npages << 12n;
        rows.push({
          slot: m,
          cells: [s.asId === 1 ? '1 SMM' : String(s.asId), String(m.id), `${hex(gpa)}-${hex(gpa + size - 1n)}`, `${hex(m.userspaceAddr)}-${hex(m.userspaceAddr + size - 1n)}`, formatBytes(size), memslotFlagNames(m.flags).join('|') || '-'],
        });
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

  /**
   * Input forms: a gpa ("0x2000", "2000"), "hva 0x7f..." (found back through the slots), or
   * "s<as>:<id>+<offset>" for an offset into a slot (what Enter on a slot row fills in).
   */
  parse(input: string, asId: number): { gpa: bigint; asId: number } {
    const s = input.trim().toLowerCase();
    const slotForm = /^s(\d+):(\d+)\s*\+\s*(\S+)$/.exec(s);
    if (slotForm) {
      const as = Number(slotForm[1]);
      const slot = this.spaces().find((x) => x.asId === as)?.slots.find((m) => m.id === Number(slotForm[2]));
      if (!slot) throw new QvError('USAGE', `no slot ${slotForm[2]} in address space ${as}`);
      const off = parseAddress(slotForm[3]);
      if (off >= slot.npages << 12n) throw new QvError('USAGE', `offset ${hex(off)} is past the end of slot ${slot.id} (${formatBytes(slot.npages << 12n)})`);
      return { gpa: (slot.baseGfn << 12n) + off, asId: as };
    }
    const hvaForm = /^hva\s+(\S+)$/.exec(s);
    if (hvaForm) {
      const hva = parseAddress(hvaForm[1]);
      const hit = gpaOfHva(this.spaces(), hva);
      if (!hit) throw new QvError('HVA_NOT_IN_MEMSLOT', `hva ${hex(hva)} is in no memslot of this VM`);
      return { gpa: hit.gpa, asId: hit.asId };
    }
    return { gpa: parseAddress(s), asId };
  }

  translate(input: string, asId = 0): TranslateResult {
    try {
      const q = this.parse(input, asId);
      const t = translateGpa(this.kernel, this.context(), q.gpa, q.asId);
      this.lastTranslation = t;
      const status = t.error ? t.error.message : `gpa ${hex(t.gpa)} -> hva ${hex(t.hva!)} -> hpa ${hex(t.hpa!)}${t.pageInDump === false ? ' (page not in this dump)' : ''}`;
      return { text: renderTranslation(t), translation: t, status, ok: !t.error };
    } catch (e) {
      return { text: '', status: (e as Error).message, ok: false };
    }
  }

  /** Index in slotRows() of the slot that holds a gpa, or -1. */
  slotRowOf(gpa: bigint, asId: number): number {
    const space = this.spaces().find((s) => s.asId === asId);
    const slot = space && findSlot(space, gpa >> 12n);
    return slot ? this.slotRows().findIndex((r) => r.slot.asId === slot.asId && r.slot.id === slot.id) : -1;
  }

  vcpuText(): string {
    const v = this.vm;
    if (!v) return '';
    let c = this.vcpuCache.get(v.addr);
    if (!c) {
      try {
        c = vcpusOf(this.kernel, v.kvm);
      } catch (e) {
        c = `vCPUs unreadable: ${(e as Error).message}`;
      }
      this.vcpuCache.set(v.addr, c);
    }
    return typeof c === 'string' ? c : renderVcpus(c, `VM ${hex(v.addr)}`);
  }

  /** 16 bytes a line, like crash's rd -8, of the page at the last translated hpa. */
  hexdump(lines = 256): string {
    const t = this.lastTranslation;
    if (!t || t.hpa === undefined) return 'translate a gpa first (g)';
    const page = t.hpa & ~0xfffn;
    let data: Buffer;
    try {
      data = this.kernel.mem.read(page, 4096);
    } catch (e) {
      return `page ${hex(page)}: ${(e as Error).message}`;
    }
    const out: string[] = [];
    for (let o = 0; o < Math.min(4096, lines * 16); o += 16) {
      const b = data.subarray(o, o + 16);
      const bytes = [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
      const ascii = [...b].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
      out.push(`${(page + BigInt(o)).toString(16).padStart(9)}:  ${bytes}  ${ascii}`); // fits 80 columns
    }
    return out.join('\n');
  }
}

/** A one-line proportional map of the guest-physical space of one address space: slots and holes. */
export function gpaMap(space: AddressSpace | undefined, width: number): string {
  if (!space || !space.slots.length || width < 10) return '';
  const slots = [...space.slots].sort((a, b) => (a.baseGfn < b.baseGfn ? -1 : 1));
  const end = slots.reduce((m, s) => (s.baseGfn + s.npages > m ? s.baseGfn + s.npages : m), 0n);
  const cells = Array<string>(width).fill('.');
  for (const s of slots) {
    const a = Number((s.baseGfn * BigInt(width)) / end);
    const b = Math.max(a + 1, Number(((s.baseGfn + s.npages) * BigInt(width)) / end));
    const mark = String(s.id % 10);
    for (let i = a; i < Math.min(b, width); i++) cells[i] = mark;
  }
  return cells.join('');
}
