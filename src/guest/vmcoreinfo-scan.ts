// Finding the guest kernel's VMCOREINFO note in guest RAM, the way a dump reader finds any kernel: the kernel
// allocates the note page-aligned (alloc_pages_exact in crash_save_vmcoreinfo_init), so only page starts are
// looked at: an Elf64_Nhdr {namesz 11, descsz, type 0}, the name "VMCOREINFO\0" (padded to 12), and a desc whose
// text starts with "OSRELEASE=". Only pages the VMM has mapped and the dump holds are read (table by table),
// the scan is bounded, and its answer is cached per VM of an open dump.
import { type PhysicalMemory } from '../dump/physmem.js';
import { parseVmcoreInfo, type VmcoreInfo } from '../dump/vmcoreinfo.js';
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type GuestMemory } from '../kvm/guest-memory.js';
import { isGmemSlot } from '../kvm/gmem.js';

const NOTE_NAME = Buffer.from('VMCOREINFO\0', 'latin1');
const HEADER = 12 + 12; // Elf64_Nhdr + name padded to 4
const TEXT_START = Buffer.from('OSRELEASE=', 'latin1');
/** VMCOREINFO_BYTES is one page in every kernel so far; allow a few. */
const MAX_DESC = 4 * 4096;
/** Pages looked at before giving up: 16 Mi pages = 64 GiB of guest RAM. */
export const DEFAULT_SCAN_LIMIT = 1 << 24;

export interface GuestVmcoreinfo {
  /** gpa of the note header. */
  gpa: bigint;
  /** The note's descsz (bytes of text, NUL included). */
  descSize: number;
  text: string;
  info: VmcoreInfo;
  /** Pages whose start was examined. */
  pagesScanned: number;
}

/** Is this the start of a VMCOREINFO note? (header + name + the first text bytes) */
export function isVmcoreinfoHeader(b: Buffer): boolean {
  if (b.length < HEADER + TEXT_START.length) return false;
  const namesz = b.readUInt32LE(0);
  const descsz = b.readUInt32LE(4);
  const type = b.readUInt32LE(8);
  return namesz === NOTE_NAME.length && type === 0 && descsz > TEXT_START.length && descsz <= MAX_DESC && b.subarray(12, 12 + NOTE_NAME.length).equals(NOTE_NAME) && b.subarray(HEADER, HEADER + TEXT_START.length).equals(TEXT_START);
}

/** Per open host dump, per VM and address space: the scan runs once however many GuestMemory views exist. */
const cache = new WeakMap<PhysicalMemory, Map<string, GuestVmcoreinfo | null>>();

/** The guest's VMCOREINFO, or undefined when no mapped page of guest RAM in the dump holds it. */
export function findGuestVmcoreinfo(gm: GuestMemory, limit = DEFAULT_SCAN_LIMIT): GuestVmcoreinfo | undefined {
  let perDump = cache.get(gm.host.mem);
  if (!perDump) cache.set(gm.host.mem, (perDump = new Map()));
  const key = `${hex(gm.kvm.addr)}/${gm.asId}`;
  if (perDump.has(key)) return perDump.get(key) ?? undefined;
  const found = scan(gm, limit);
  perDump.set(key, found ?? null);
  return found;
}

class Found {
  constructor(readonly gpa: bigint) {}
}

function scan(gm: GuestMemory, limit: number): GuestVmcoreinfo | undefined {
  const mem = gm.host.mem;
  let pages = 0;
  const slots = [...gm.space.slots].sort((a, b) => (a.baseGfn < b.baseGfn ? -1 : 1));
  let hit: bigint | undefined;
  try {
    for (const slot of slots) {
      if (isGmemSlot(slot)) continue; // private guest_memfd pages have no hva; the kernel's note is in shared RAM
      gm.forEachHostRun(slot, (run, gpa) => {
        if (run.kind !== 'mapped') return;
        for (let off = 0n; off < run.size; off += 4096n) {
          if (++pages > limit) {
            throw new QvError('SCAN_LIMIT', `no VMCOREINFO note in the first ${limit} pages of guest RAM of ${gm.label}; the guest is larger than the scan bound`);
          }
          const hpa = run.pa + off;
          if (mem.pageState(hpa) !== 'present') continue; // a zero or missing page holds no note
          if (isVmcoreinfoHeader(mem.read(hpa, HEADER + TEXT_START.length))) throw new Found(gpa + off);
        }
      });
    }
  } catch (e) {
    if (!(e instanceof Found)) throw e;
    hit = e.gpa;
  }
  if (hit === undefined) return undefined;
  const head = gm.read(hit, HEADER);
  const descSize = head.readUInt32LE(4);
  const desc = gm.read(hit + BigInt(HEADER), descSize);
  const z = desc.indexOf(0);
  const text = desc.toString('latin1', 0, z < 0 ? desc.length : z);
  return { gpa: hit, descSize, text, info: parseVmcoreInfo(text), pagesScanned: pages };
}

/** The same, or an error that says where it looked and what to do. */
export function requireGuestVmcoreinfo(gm: GuestMemory, limit = DEFAULT_SCAN_LIMIT): GuestVmcoreinfo {
  const v = findGuestVmcoreinfo(gm, limit);
  if (!v) {
    const slots = gm.space.slots.map((s) => `${hex(s.baseGfn << 12n)}-${hex(((s.baseGfn + s.npages) << 12n) - 1n)}`).join(', ');
    throw new QvError(
      'NO_GUEST_VMCOREINFO',
      `no VMCOREINFO note found in the guest RAM of ${gm.label} that this dump holds (looked at the start of every mapped page of ${slots}): ` +
        'the guest kernel was not Linux, was built without CONFIG_CRASH_CORE, or its pages were excluded from the dump. Give the guest CR3 with --cr3 or use --vcpu N',
    );
  }
  return v;
}
