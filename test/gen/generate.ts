// Generates a dump of a fake kernel of one era (test/gen/era-kernel.c compiled with gcc -g): kernel
// objects laid out with the offsets pahole reads from that DWARF, a VMM task whose fd 3 is the VM, a
// struct kvm with that era's memslots, the VMM's page tables with 4K, 2M and 1G pages, written as an ELF
// vmcore with a VMCOREINFO note. The expected translations come from the layout written here.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { writeElfCore } from '../helpers/elfcore-writer.js';
import { writeKdump } from '../helpers/kdump-writer.js';
import { pahole, type PaholeMember } from '../helpers/pahole.js';

export const RELEASE = '6.99.0-qvtop-era';
const KASLR = 0xffffffff81000000n; // run-time = link-time (PIE, near 0) + this
const START_KERNEL_MAP = 0xffffffff80000000n;
/** The link-time bases of the direct map, vmalloc and vmemmap (4-level): the defaults of a draw. */
export const DEFAULT_REGIONS = { pageOffsetBase: 0xffff888000000000n, vmallocBase: 0xffffc90000000000n, vmemmapBase: 0xffffea0000000000n };
export type Regions = typeof DEFAULT_REGIONS;
/** Where struct kvm sits: vmalloc'ed, as on x86 (it is embedded in kvm_svm/kvm_vmx), 2 MiB of 4K pages. */
const KVM_PA = 0x2800000n;
const KVM_VMALLOC_OFFSET = 0x1234000n;
const KERNEL_TABLES_PA = 0x3c00000n;
const P = 0x7n;
const PSE = 0x80n;

export interface GenSlot {
  id: number;
  asId: number;
  baseGfn: bigint;
  npages: bigint;
  ua: bigint;
  flags: number;
}
export interface GenCase {
  gpa: bigint;
  asId: number;
  hva?: bigint;
  hpa?: bigint;
  pageSize?: number;
  error?: string;
  backing?: string;
  /** The struct vm_area_struct that maps the hva. */
  vma?: bigint;
}
export interface GenVcpu {
  idx: number;
  addr: bigint;
  exitReason: number;
  exitName: string;
  mode: number;
  rip: bigint;
}

/** One guest-virtual address of the generated guest, and what its walk must give (from the layout written here). */
export interface GenGuestCase {
  gva: bigint;
  cr3: bigint;
  levels: 4 | 5;
  /** Guest table entries: entry gpa => value. */
  entries: { name: string; entry: bigint; value: bigint }[];
  gpa?: bigint;
  pageSize?: number;
  nx?: boolean;
  error?: string;
  level?: string;
  marker?: string;
}
export interface GenGuest {
  cr3L4: bigint;
  cr3L5: bigint;
  cases: GenGuestCase[];
  /** The guest's VMCOREINFO note (page-aligned) and its fields. */
  noteGpa: bigint;
  osrelease: string;
  kernelOffset: bigint;
  physBase: bigint;
  initTopPgt: bigint;
}

export interface GeneratedDump {
  dump: string;
  vmlinux: string;
  kvmKo: string;
  pid: number;
  kvm: bigint;
  slots: GenSlot[];
  cases: GenCase[];
  /** Physical bytes written, for the independent reader check. */
  probes: { pa: bigint; bytes: Buffer }[];
  vcpus: GenVcpu[];
  guest?: GenGuest;
}

class Mem {
  pages = new Map<bigint, Buffer>();
  private page(pa: bigint): Buffer {
    const b = pa & ~0xfffn;
    let p = this.pages.get(b);
    if (!p) this.pages.set(b, (p = Buffer.alloc(4096)));
    return p;
  }
  write(pa: bigint, d: Buffer): void {
    for (let i = 0; i < d.length; i++) this.page(pa + BigInt(i))[Number((pa + BigInt(i)) & 0xfffn)] = d[i];
  }
  u64(pa: bigint, v: bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    this.write(pa, b);
  }
  u32(pa: bigint, v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v | 0);
    this.write(pa, b);
  }
  u16(pa: bigint, v: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    this.write(pa, b);
  }
  get(pa: bigint): bigint {
    const p = this.pages.get(pa & ~0xfffn);
    return p ? p.readBigUInt64LE(Number(pa & 0xfffn)) : 0n;
  }
}

/** Member offsets of a struct, from pahole on the generated DWARF. */
function layout(file: string, name: string): { size: number; off: (m: string) => bigint; has: (m: string) => boolean } {
  const p = pahole(file, name);
  const byName = new Map(p.members.filter((m) => m.name).map((m) => [m.name!, m.offset]));
  return {
    size: p.size ?? 0,
    has: (m) => byName.has(m),
    off: (m) => {
      const o = byName.get(m);
      if (o === undefined) throw new Error(`struct ${name} of ${file} has no member ${m}`);
      return BigInt(o);
    },
  };
}

/** Absolute offset of a member path ("mmio.phys_addr") through pahole's nested, possibly anonymous, members. */
function offPath(file: string, struct: string, path: string): bigint {
  const find = (ms: PaholeMember[], name: string): PaholeMember | undefined => {
    for (const m of ms) {
      if (m.name === name) return m;
      if (m.name === undefined && m.members) {
        const inner = find(m.members, name);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  let ms = pahole(file, struct).members;
  let hit: PaholeMember | undefined;
  for (const part of path.split('.')) {
    hit = find(ms, part);
    if (!hit) throw new Error(`${struct}.${path}: no ${part} in ${file}`);
    ms = hit.members ?? [];
  }
  return BigInt(hit!.offset);
}

function symbols(vmlinux: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of execFileSync('nm', [vmlinux], { encoding: 'utf8' }).split('\n')) {
    const m = /^([0-9a-f]+) \S (\S+)$/.exec(line);
    if (m) out.set(m[2], BigInt('0x' + m[1]));
  }
  return out;
}

export interface GenerateOptions {
  /** Paging levels of the VMM's page tables (and NUMBER(pgtable_l5_enabled)). */
  levels?: 4 | 5;
  /** The dump file's format: an ELF vmcore, or kdump-compressed with zlib pages. */
  format?: 'elf' | 'kdump';
  /** Where KASLR put the direct map, vmalloc and vmemmap (default: the link-time bases). */
  regions?: Regions;
  /** A name for the dump file (several dumps of one era in one folder). */
  tag?: string;
  /** Lay out a guest inside slot 2: guest page tables (4- and 5-level; 4K/NX, 2M, 1G, a missing table page), a VMCOREINFO note. */
  guest?: boolean;
}

export function generateEraDump(era: 1 | 2 | 3 | 4 | 5 | 6, dir: string, opts: GenerateOptions = {}): GeneratedDump {
  const levels = opts.levels ?? 4;
  const src = 'test/gen/era-kernel.c';
  const vmlinux = join(dir, `vmlinux-era${era}`);
  const kvmKo = join(dir, `kvm-era${era}.ko`);
  // Compiled once per folder and era: several dumps (KASLR draws) share one fake kernel.
  if (!existsSync(vmlinux) || !existsSync(kvmKo)) {
    execFileSync('gcc', ['-g', '-O0', `-DERA=${era}`, '-Wl,--build-id=sha1', '-o', vmlinux, src]);
    execFileSync('gcc', ['-g', '-O0', `-DERA=${era}`, '-DKVM_MODULE', '-c', '-o', kvmKo, src]);
  }
  const regions = opts.regions ?? DEFAULT_REGIONS;
  const POB = regions.pageOffsetBase;
  const kvmVa = regions.vmallocBase + KVM_VMALLOC_OFFSET;
  const buildId = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', vmlinux], { encoding: 'utf8' }))![1];
  const sym = symbols(vmlinux);
  const rt = (name: string) => sym.get(name)! + KASLR; // run-time address
  // Image mapping, struct kvm's vmalloc area, or the direct map.
  const pa = (va: bigint) => (va >= START_KERNEL_MAP ? va - START_KERNEL_MAP : va >= kvmVa && va < kvmVa + 0x200000n ? KVM_PA + (va - kvmVa) : va - POB);
  const L = (f: string, n: string) => layout(f, n);
  const T = { task: L(vmlinux, 'task_struct'), files: L(vmlinux, 'files_struct'), fdt: L(vmlinux, 'fdtable'), file: L(vmlinux, 'file'), dentry: L(vmlinux, 'dentry'), qstr: L(vmlinux, 'qstr'), path: L(vmlinux, 'path'), mm: L(vmlinux, 'mm_struct'), module: L(vmlinux, 'module'), ks: L(vmlinux, 'mod_kallsyms'), kvm: L(kvmKo, 'kvm'), set: L(kvmKo, 'kvm_memslots'), slot: L(kvmKo, 'kvm_memory_slot') };
  const mem = new Mem();
  let next = 0x2000000n; // a bump allocator for "slab" objects in the direct map
  const alloc = (size: number, align = 64n) => {
    next = (next + align - 1n) & ~(align - 1n);
    const at = next;
    next += BigInt(Math.max(size, 8));
    return POB + at;
  };
  const w64 = (va: bigint, v: bigint) => mem.u64(pa(va), v);
  const list = (head: bigint, nodes: bigint[]) => {
    const all = [head, ...nodes];
    all.forEach((n, i) => {
      w64(n, all[(i + 1) % all.length]);
      w64(n + 8n, all[(i + all.length - 1) % all.length]);
    });
  };
  const cstr = (s: string) => {
    const at = alloc(s.length + 1, 8n);
    mem.write(pa(at), Buffer.from(s + '\0', 'latin1'));
    return at;
  };

  // Kernel globals: the region bases as kaslr.c left them, and the kernel page tables that map vmalloc.
  w64(rt('page_offset_base'), POB);
  w64(rt('vmalloc_base'), regions.vmallocBase);
  w64(rt('vmemmap_base'), regions.vmemmapBase);
  const kpgd = pa(rt('init_top_pgt'));
  mem.write(kpgd, Buffer.alloc(4096));
  let ktables = KERNEL_TABLES_PA;
  const ktable = (parent: bigint, i: bigint) => {
    const e = mem.get(parent + i * 8n);
    if (e & 1n) return e & 0x000ffffffffff000n;
    const t = (ktables += 0x1000n);
    mem.write(t, Buffer.alloc(4096));
    mem.u64(parent + i * 8n, t | 0x63n); // PRESENT|RW|ACCESSED|DIRTY, no USER
    return t;
  };
  const kix = (va: bigint, sh: bigint) => (va >> sh) & 0x1ffn;
  for (let off = 0n; off < 0x200000n; off += 0x1000n) {
    const va = kvmVa + off;
    const top = levels === 5 ? ktable(kpgd, kix(va, 48n)) : kpgd;
    const pt = ktable(ktable(ktable(top, kix(va, 39n)), kix(va, 30n)), kix(va, 21n));
    mem.u64(pt + kix(va, 12n) * 8n, (KVM_PA + off) | 0x8000000000000063n); // NX: vmalloc data
  }
  // The kvm module with kvm_vm_fops in its kallsyms.
  const fops = alloc(256);
  const module = alloc(T.module.size);
  mem.write(pa(module + T.module.off('name')), Buffer.from('kvm\0'));
  const strtab = cstr('\0kvm_vm_fops\0');
  const symtab = alloc(48, 8n);
  mem.u32(pa(symtab + 24n), 1); // st_name of entry 1
  mem.write(pa(symtab + 24n + 4n), Buffer.from([0x11])); // STB_GLOBAL | STT_OBJECT
  w64(symtab + 24n + 8n, fops);
  const ks = alloc(T.ks.size);
  w64(ks + T.ks.off('symtab'), symtab);
  mem.u32(pa(ks + T.ks.off('num_symtab')), 2);
  w64(ks + T.ks.off('strtab'), strtab);
  w64(module + T.module.off('kallsyms'), ks);
  list(rt('modules'), [module + T.module.off('list')]);

  // The VMM task, its mm and its VM fd.
  const pid = 4242;
  const init = rt('init_task');
  const task = alloc(T.task.size);
  for (const [t, p, comm] of [[init, 0, 'swapper/0'], [task, pid, 'fake-vmm']] as const) {
    mem.u32(pa(t + T.task.off('pid')), p);
    mem.u32(pa(t + T.task.off('tgid')), p);
    mem.write(pa(t + T.task.off('comm')), Buffer.from(comm + '\0'));
    list(t + T.task.off('thread_group'), []);
  }
  list(init + T.task.off('tasks'), [task + T.task.off('tasks')]);
  const pgdPa = 0x2f00000n;
  mem.write(pgdPa, Buffer.alloc(4096));
  const mm = alloc(T.mm.size);
  w64(mm + T.mm.off('pgd'), POB + pgdPa);
  w64(task + T.task.off('mm'), mm);
  const kvm = kvmVa; // kvm structs are big in some eras: a region of its own, vmalloc'ed
  mem.write(pa(kvm), Buffer.alloc(T.kvm.size));
  w64(kvm + T.kvm.off('mm'), mm);
  const dentry = alloc(T.dentry.size);
  w64(dentry + T.dentry.off('d_name') + T.qstr.off('name'), cstr('kvm-vm'));
  const file = alloc(T.file.size);
  w64(file + T.file.off('f_path') + T.path.off('dentry'), dentry);
  w64(file + T.file.off('f_op'), fops);
  w64(file + T.file.off('private_data'), kvm);
  const fdarr = alloc(8 * 8, 8n);
  w64(fdarr + 3n * 8n, file);
  const fdt = alloc(T.fdt.size);
  mem.u32(pa(fdt + T.fdt.off('max_fds')), 8);
  w64(fdt + T.fdt.off('fd'), fdarr);
  const files = alloc(T.files.size);
  w64(files + T.files.off('fdt'), fdt);
  w64(task + T.task.off('files'), files);

  // Memslots in the era's layout.
  const slots: GenSlot[] = [
    { id: 0, asId: 0, baseGfn: 0x0n, npages: 0x200n, ua: 0x7f0000000000n, flags: 0 },
    { id: 1, asId: 0, baseGfn: 0x100000n, npages: 0x800n, ua: 0x7f0040000000n, flags: 1 },
    { id: 2, asId: 0, baseGfn: 0x140000n, npages: 0x40000n, ua: 0x7f0080000000n, flags: 0 },
    { id: 3, asId: 0, baseGfn: 0xfffc0n, npages: 0x40n, ua: 0x7f00c0000000n, flags: 2 },
  ];
  const multiAs = era >= 3;
  if (multiAs) slots.push({ id: 0, asId: 1, baseGfn: 0xa0n, npages: 0x20n, ua: 0x7f00d0000000n, flags: 0 });
  // 6.8+: a guest_memfd slot (KVM_MEM_GUEST_MEMFD) whose private pages live in a gmem file's page cache.
  const gmem = T.slot.has('gmem');
  const GMEM_PGOFF = 0x10n;
  if (gmem) slots.push({ id: 4, asId: 0, baseGfn: 0x200000n, npages: 0x100n, ua: 0x7f00e0000000n, flags: 4 });
  const VMEMMAP = regions.vmemmapBase;
  const pageSize = BigInt(L(vmlinux, 'page').size);
  // An xarray writer: nodes of 64 slots, the root tall enough for the largest index stored.
  const nodeT = L(vmlinux, 'xa_node');
  const xaStore = (xa: bigint, maxIndex: bigint, index: bigint, entry: bigint) => {
    const headAt = xa + L(vmlinux, 'xarray').off('xa_head');
    let head = mem.get(pa(headAt));
    const newNode = (shift: number) => {
      const n = alloc(nodeT.size, 256n);
      mem.write(pa(n + nodeT.off('shift')), Buffer.from([shift]));
      return n;
    };
    if (head === 0n) {
      let shift = 0;
      while (maxIndex >> BigInt(shift + 6) > 0n) shift += 6;
      head = newNode(shift) | 2n;
      w64(headAt, head);
    }
    let node = head - 2n;
    for (;;) {
      const shift = BigInt(mem.get(pa(node + nodeT.off('shift'))) & 0xffn);
      const slot = node + nodeT.off('slots') + ((index >> shift) & 63n) * 8n;
      if (shift === 0n) return w64(slot, entry);
      let child = mem.get(pa(slot));
      if (child === 0n) {
        child = newNode(Number(shift) - 6) | 2n;
        w64(slot, child);
      }
      node = child - 2n;
    }
  };
  const setVa = [POB + 0x2a00000n, POB + 0x2c00000n];
  // The gmem file: its page cache holds index pgoff+0 (pfn 0x4300); index pgoff+1 was never faulted in.
  let gfile = 0n;
  if (gmem) {
    const mapping = alloc(L(vmlinux, 'address_space').size);
    gfile = alloc(T.file.size);
    w64(gfile + T.file.off('f_mapping'), mapping);
    xaStore(mapping + L(vmlinux, 'address_space').off('i_pages'), GMEM_PGOFF + 0xffn, GMEM_PGOFF, VMEMMAP + 0x4300n * pageSize);
    // gfns 0x200000 and 0x200001 are private (KVM_MEMORY_ATTRIBUTE_PRIVATE, as xa_mk_value), 0x200002 shared.
    const attrs = kvm + T.kvm.off('mem_attr_array');
    for (const g of [0x200000n, 0x200001n]) xaStore(attrs, 0x2000ffn, g, (8n << 1n) | 1n);
  }
  const rbTree = T.set.has('gfn_tree');
  for (const as of multiAs ? [0, 1] : [0]) {
    const mine = slots.filter((s) => s.asId === as).sort((a, b) => (a.baseGfn < b.baseGfn ? 1 : -1));
    if (rbTree) {
      // 5.17+: the active set of an address space is __memslots[as][active]; its node_idx picks which of
      // each slot's two gfn_node entries links it into this set's tree. AS 0 uses copy 1, AS 1 copy 0.
      const active = as === 0 ? 1 : 0;
      const set = kvm + T.kvm.off('__memslots') + BigInt((as * 2 + active) * T.set.size);
      w64(set + T.set.off('generation'), 0x10n + BigInt(as));
      mem.u32(pa(set + T.set.off('node_idx')), active);
      const nodeOff = T.slot.off('gfn_node') + BigInt(active * 24);
      const ascending = [...mine].reverse();
      const addrs = ascending.map(() => alloc(T.slot.size));
      ascending.forEach((sl, i) => {
        const at = addrs[i];
        w64(at + T.slot.off('base_gfn'), sl.baseGfn);
        w64(at + T.slot.off('npages'), sl.npages);
        w64(at + T.slot.off('userspace_addr'), sl.ua);
        mem.u32(pa(at + T.slot.off('flags')), sl.flags);
        mem.u16(pa(at + T.slot.off('id')), sl.id);
        mem.u16(pa(at + T.slot.off('as_id')), as);
        if (gmem && sl.flags & 4) {
          w64(at + offPath(kvmKo, 'kvm_memory_slot', 'gmem.pgoff'), GMEM_PGOFF);
          w64(at + offPath(kvmKo, 'kvm_memory_slot', 'gmem.file'), gfile);
        }
        // A right-leaning chain is a valid binary search tree: in-order = ascending base_gfn.
        w64(at + nodeOff + 8n, addrs[i + 1] ? addrs[i + 1] + nodeOff : 0n); // rb_right
      });
      w64(set + T.set.off('gfn_tree'), addrs.length ? addrs[0] + nodeOff : 0n);
      w64(kvm + T.kvm.off('memslots') + BigInt(as * 8), set);
      continue;
    }
    const set = setVa[as];
    mem.write(pa(set), Buffer.alloc(Math.min(T.set.size || 0x1000, 0x100000)));
    // Address space 1 was caught mid-update: KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS (bit 63) in its generation.
    if (T.set.has('generation')) w64(set + T.set.off('generation'), (0x10n + BigInt(as)) | (as === 1 ? 1n << 63n : 0n));
    const arr = set + T.set.off('memslots');
    const size = BigInt(T.slot.size);
    mine.forEach((s, i) => {
      const at = arr + BigInt(i) * size;
      w64(at + T.slot.off('base_gfn'), s.baseGfn);
      w64(at + T.slot.off('npages'), s.npages);
      w64(at + T.slot.off('userspace_addr'), s.ua);
      mem.u32(pa(at + T.slot.off('flags')), s.flags);
      mem.u16(pa(at + T.slot.off('id')), s.id);
      if (T.slot.has('as_id')) mem.u16(pa(at + T.slot.off('as_id')), as);
    });
    if (T.set.has('nmemslots')) mem.u32(pa(set + T.set.off('nmemslots')), mine.length);
    if (T.set.has('used_slots')) mem.u32(pa(set + T.set.off('used_slots')), mine.length);
    w64(kvm + T.kvm.off('memslots') + BigInt(as * 8), set);
  }

  // The VMM's page tables and guest pages with markers.
  let tablesNext = 0x3000000n;
  const table = (parent: bigint, i: bigint) => {
    const e = mem.get(parent + i * 8n);
    if (e & 1n) return e & 0x000ffffffffff000n;
    const t = (tablesNext += 0x1000n);
    mem.write(t, Buffer.alloc(4096));
    mem.u64(parent + i * 8n, t | P);
    return t;
  };
  const ix = (va: bigint, s: bigint) => (va >> s) & 0x1ffn;
  const map = (va: bigint, to: bigint, size: number) => {
    const top = levels === 5 ? table(pgdPa, ix(va, 48n)) : pgdPa; // with 5 levels the PGD points at P4D tables
    const pud = table(top, ix(va, 39n));
    if (size === 0x40000000) return mem.u64(pud + ix(va, 30n) * 8n, to | P | PSE);
    const pmd = table(pud, ix(va, 30n));
    if (size === 0x200000) return mem.u64(pmd + ix(va, 21n) * 8n, to | P | PSE);
    mem.u64(table(pmd, ix(va, 21n)) + ix(va, 12n) * 8n, to | P | (1n << 63n));
  };
  const probes: { pa: bigint; bytes: Buffer }[] = [];
  let vmaOf: (hva: bigint) => bigint | undefined = () => undefined;
  const marker = (hpa: bigint, text: string) => {
    const b = Buffer.from(text + '\0');
    mem.write(hpa, b);
    probes.push({ pa: hpa, bytes: b });
  };
  map(0x7f0000002000n, 0x4000000n, 0x1000);
  marker(0x4000000n, `ERA${era} gpa=0x2000`);
  map(0x7f00001ff000n - 0x0n, 0x4001000n, 0x1000); // last page of slot 0
  marker(0x4001000n, `ERA${era} gpa=0x1ff000`);
  map(0x7f0040200000n, 0x4200000n, 0x200000);
  marker(0x4201000n, `ERA${era} gpa=0x100201000`);
  map(0x7f0080000000n, 0x40000000n, 0x40000000);
  marker(0x50000000n, `ERA${era} gpa=0x150000000`);
  if (gmem) {
    marker(0x4300000n, `ERA${era} gpa=0x200000000 private`);
    map(0x7f00e0002000n, 0x4004000n, 0x1000);
    marker(0x4004000n, `ERA${era} gpa=0x200002000 shared`);
  }
  if (multiAs) {
    map(0x7f00d0001000n, 0x4002000n, 0x1000);
    marker(0x4002000n, `ERA${era} gpa=0xa1000 smm`);
  }
  const guest = opts.guest ? layGuest((hpa, d) => mem.write(hpa, d), (hpa) => mem.get(hpa), marker) : undefined;
  const cases: GenCase[] = [
    { gpa: 0x2000n, asId: 0, hva: 0x7f0000002000n, hpa: 0x4000000n, pageSize: 0x1000 },
    { gpa: 0x1ff000n, asId: 0, hva: 0x7f00001ff000n, hpa: 0x4001000n, pageSize: 0x1000 },
    { gpa: 0x100201000n, asId: 0, hva: 0x7f0040201000n, hpa: 0x4201000n, pageSize: 0x200000 },
    { gpa: 0x150000000n, asId: 0, hva: 0x7f0090000000n, hpa: 0x50000000n, pageSize: 0x40000000 },
    { gpa: 0x100000n, asId: 0, hva: 0x7f0000100000n, error: 'NOT_PRESENT' },
    { gpa: 0x200000n, asId: 0, error: 'GPA_NOT_IN_MEMSLOT' },
    { gpa: 0xfffc0000n, asId: 0, hva: 0x7f00c0000000n, error: 'NOT_PRESENT' },
  ];
  if (multiAs) cases.push({ gpa: 0xa1000n, asId: 1, hva: 0x7f00d0001000n, hpa: 0x4002000n, pageSize: 0x1000 });
  if (gmem) {
    cases.push(
      { gpa: 0x200000123n, asId: 0, hpa: 0x4300123n, pageSize: 0x1000, backing: 'guest_memfd' }, // private, in the page cache
      { gpa: 0x200001000n, asId: 0, error: 'GMEM_PAGE_NOT_IN_CACHE', backing: 'guest_memfd' }, // private, never faulted in
      { gpa: 0x200002000n, asId: 0, hva: 0x7f00e0002000n, hpa: 0x4004000n, pageSize: 0x1000 }, // shared: through the hva
    );
  }

  // vCPUs in kvm->vcpus[], each stopped at a different exit (kvm_run laid out as the uapi header does).
  const vcpuT = L(kvmKo, 'kvm_vcpu');
  const run = (path: string) => offPath(kvmKo, 'kvm_run', path);
  const regsOff = vcpuT.off('arch') + L(kvmKo, 'kvm_vcpu_arch').off('regs'); // arch is a named struct: pahole does not expand it
  const vcpus: GenVcpu[] = [];
  const exits: { code: number; name: string; mode: number; fill: (r: bigint) => void }[] = [
    { code: 6, name: 'MMIO', mode: 0, fill: (r) => { w64(r + run('mmio.phys_addr'), 0xfee00030n); mem.write(pa(r + run('mmio.data')), Buffer.from([1, 2, 3, 4])); mem.u32(pa(r + run('mmio.len')), 4); mem.write(pa(r + run('mmio.is_write')), Buffer.from([1])); } },
    { code: 24, name: 'SYSTEM_EVENT', mode: 0, fill: (r) => { mem.u32(pa(r + run('system_event.type')), 2); mem.u32(pa(r + run('system_event.ndata')), 1); w64(r + run('system_event.data'), 0x77n); } },
    { code: 17, name: 'INTERNAL_ERROR', mode: 0, fill: (r) => { mem.u32(pa(r + run('internal.suberror')), 1); mem.u32(pa(r + run('internal.ndata')), 2); w64(r + run('internal.data'), 0xaan); w64(r + run('internal.data') + 8n, 0xbbn); } },
    { code: 30, name: 'X86_WRMSR', mode: 1, fill: (r) => { mem.u32(pa(r + run('msr.index')), 0x10); w64(r + run('msr.data'), 0x1234n); } },
  ];
  exits.forEach((e, i) => {
    const v = alloc(vcpuT.size, 4096n);
    const r = alloc(4096, 4096n);
    mem.u32(pa(r + run('exit_reason')), e.code);
    e.fill(r);
    w64(v + vcpuT.off('kvm'), kvm);
    mem.u32(pa(v + vcpuT.off('vcpu_id')), i);
    mem.u32(pa(v + vcpuT.off('vcpu_idx')), i);
    mem.u32(pa(v + vcpuT.off('mode')), e.mode);
    w64(v + vcpuT.off('run'), r);
    const rip = 0xfff0n + BigInt(i);
    w64(v + regsOff + 16n * 8n, rip); // regs[VCPU_REGS_RIP = 16]
    if (T.kvm.has('vcpus')) w64(kvm + T.kvm.off('vcpus') + BigInt(i * 8), v);
    vcpus.push({ idx: i, addr: v, exitReason: e.code, exitName: e.name, mode: e.mode, rip });
  });
  mem.u32(pa(kvm + T.kvm.off('online_vcpus')), exits.length);
  if (T.kvm.has('vcpu_array')) {
    // 5.17+: an xarray with one leaf node (shift 0) holding vcpus 0..3; the head is the node | 2.
    const nodeT = L(vmlinux, 'xa_node');
    const node = alloc(nodeT.size, 256n);
    exits.forEach((_, i) => w64(node + nodeT.off('slots') + BigInt(i * 8), vcpus[i].addr));
    mem.write(pa(node + nodeT.off('count')), Buffer.from([exits.length]));
    w64(kvm + T.kvm.off('vcpu_array') + L(vmlinux, 'xarray').off('xa_head'), node | 2n);
  }

  // The VMM's VMAs on the mm->mmap list: one per slot mapping, sorted by address.
  const vmaT = L(vmlinux, 'vm_area_struct');
  const vmas = [...new Map(slots.map((s) => [s.ua, s])).values()].sort((a, b) => (a.ua < b.ua ? -1 : 1)).map((s) => {
    const v = alloc(vmaT.size);
    w64(v + vmaT.off('vm_start'), s.ua);
    w64(v + vmaT.off('vm_end'), s.ua + (s.npages << 12n));
    w64(v + vmaT.off('vm_flags'), 0x100073n);
    w64(v + vmaT.off('vm_mm'), mm);
    return v;
  });
  vmas.forEach((v, i) => w64(v + vmaT.off('vm_next'), vmas[i + 1] ?? 0n));
  w64(mm + T.mm.off('mmap'), vmas[0]);
  mem.u32(pa(mm + T.mm.off('map_count')), vmas.length);
  vmaOf = (hva) => {
    const i = [...new Map(slots.map((s) => [s.ua, s])).values()].sort((a, b) => (a.ua < b.ua ? -1 : 1)).findIndex((s) => hva >= s.ua && hva < s.ua + (s.npages << 12n));
    return i < 0 ? undefined : vmas[i];
  };

  // The ELF vmcore: one PT_LOAD per run of written pages (the 1G page: only its marker page exists).
  const pfns = [...mem.pages.keys()].sort((a, b) => (a < b ? -1 : 1));
  const segments: { paddr: bigint; data: Buffer }[] = [];
  for (const p of pfns) {
    const last = segments[segments.length - 1];
    if (last && last.paddr + BigInt(last.data.length) === p) last.data = Buffer.concat([last.data, mem.pages.get(p)!]);
    else segments.push({ paddr: p, data: Buffer.from(mem.pages.get(p)!) });
  }
  const info = [`OSRELEASE=${RELEASE}`, `BUILD-ID=${buildId}`, 'PAGESIZE=4096', `KERNELOFFSET=${KASLR.toString(16)}`, 'NUMBER(phys_base)=0', `SYMBOL(init_top_pgt)=${rt('init_top_pgt').toString(16)}`, `NUMBER(pgtable_l5_enabled)=${levels === 5 ? 1 : 0}`, ''].join('\n');
  const format = opts.format ?? 'elf';
  const dump = join(dir, `vmcore-era${era}${levels === 5 ? '-l5' : ''}${opts.tag ? '-' + opts.tag : ''}.${format}`);
  if (format === 'elf') writeFileSync(dump, writeElfCore(segments, [{ name: 'VMCOREINFO', type: 0, desc: Buffer.from(info) }]));
  else {
    const maxPfn = Number(pfns[pfns.length - 1] >> 12n) + 1;
    const pages = pfns.map((p) => ({ pfn: Number(p >> 12n), data: mem.pages.get(p)! }));
    writeFileSync(dump, writeKdump({ maxMapnr: maxPfn, ramPfns: (p) => mem.pages.has(BigInt(p) << 12n), pages, statusBit: 1, encode: (d) => ({ flag: 1, data: deflateSync(d) }), vmcoreinfo: info }));
  }
  for (const c of cases) if (c.hva !== undefined) c.vma = vmaOf(c.hva);
  return { dump, vmlinux, kvmKo, pid, kvm, slots, cases, probes, vcpus, guest };
}

/**
 * A guest in slot 2 (gpa 0x140000000 + x is hpa 0x40000000 + x: the VMM maps the slot with one 1G page). Guest
 * tables are allocated from gpa 0x140200000 on; entries use the x86 rules directly (index = va bits, PSE leaves).
 */
function layGuest(write: (hpa: bigint, d: Buffer) => void, get: (hpa: bigint) => bigint, marker: (hpa: bigint, text: string) => void): GenGuest {
  const BASE = 0x140000000n;
  const hpaOf = (gpa: bigint) => 0x40000000n + (gpa - BASE);
  const g64 = (gpa: bigint, v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    write(hpaOf(gpa), b);
  };
  let next = 0x140200000n;
  const newTable = () => {
    const t = next;
    next += 0x1000n;
    write(hpaOf(t), Buffer.alloc(4096));
    return t;
  };
  const NX = 1n << 63n;
  const GP = 0x67n; // PRESENT|RW|USER|ACCESSED|DIRTY
  const ix = (va: bigint, s: bigint) => (va >> s) & 0x1ffn;
  const names5 = ['PGD', 'P4D', 'PUD', 'PMD', 'PTE'];
  const names4 = ['PGD', 'PUD', 'PMD', 'PTE'];
  const shifts5 = [48n, 39n, 30n, 21n, 12n];
  const shifts4 = [39n, 30n, 21n, 12n];
  /** Maps gva to a leaf at depth `leafAt` (index into the level list) with `leaf` as the entry value. */
  const mapGuest = (cr3: bigint, levels: 4 | 5, gva: bigint, leafAt: number, leaf: bigint, tableAt?: (i: number) => bigint | undefined) => {
    const shifts = levels === 5 ? shifts5 : shifts4;
    const names = levels === 5 ? names5 : names4;
    const entries: GenGuestCase['entries'] = [];
    let t = cr3;
    for (let i = 0; i < shifts.length; i++) {
      const e = t + ix(gva, shifts[i]) * 8n;
      if (i === leafAt) {
        g64(e, leaf);
        entries.push({ name: names[i], entry: e, value: leaf });
        return entries;
      }
      const cur = get(hpaOf(e));
      let nt = cur & 1n ? cur & 0x000ffffffffff000n : (tableAt?.(i) ?? newTable());
      if (!(cur & 1n)) g64(e, nt | GP);
      else nt = cur & 0x000ffffffffff000n;
      entries.push({ name: names[i], entry: e, value: nt | GP });
      t = nt;
      if (t < BASE || t >= BASE + 0x40000000n) return entries; // a table outside the guest RAM we write: the walk stops there
    }
    return entries;
  };
  const cr3L4 = newTable();
  const cr3L5 = newTable();
  const cases: GenGuestCase[] = [];
  // 4-level: a 4K NX page, a 2M page, a 1G page, an empty PTE, and a PMD pointing at a table page in a gpa
  // the VMM never touched (slot 0, gpa 0x100000: NOT_PRESENT on the host).
  const pages: [bigint, number, bigint, boolean][] = [
    [0x7f1234567000n, 3, 0x140100000n, true],
    [0x7f1234800000n, 2, 0x140400000n, false],
    [0x7f8000000000n, 1, 0x140000000n, false],
  ];
  for (const [gva, leafAt, gpa, nx] of pages) {
    const size = [0, 1n << 30n, 1n << 21n, 1n << 12n][leafAt] as bigint;
    const leaf = gpa | GP | (leafAt < 3 ? 0x80n : 0n) | (nx ? NX : 0n);
    const entries = mapGuest(cr3L4, 4, gva, leafAt, leaf);
    const text = `GUEST gva=0x${gva.toString(16)} ${size === 4096n ? '4K' : size === 1n << 21n ? '2M' : '1G'}`;
    if (size !== 1n << 30n) marker(hpaOf(gpa), text);
    cases.push({ gva, cr3: cr3L4, levels: 4, entries, gpa, pageSize: Number(size), nx, marker: size !== 1n << 30n ? text : undefined });
  }
  const untouched = 0x7f1234568000n; // next to the 4K page: same PTE table, empty entry
  const ptes = mapGuest(cr3L4, 4, 0x7f1234567000n, 3, 0x140100000n | GP | NX);
  cases.push({ gva: untouched, cr3: cr3L4, levels: 4, entries: [...ptes.slice(0, 3), { name: 'PTE', entry: ptes[3].entry + 8n, value: 0n }], error: 'GUEST_NOT_PRESENT', level: 'PTE' });
  const missing = 0x7f2000000000n;
  const e3 = mapGuest(cr3L4, 4, missing, 3, 0x140101000n | GP, (i) => (i === 2 ? 0x100000n : undefined));
  cases.push({ gva: missing, cr3: cr3L4, levels: 4, entries: e3, error: 'GUEST_TABLE_NOT_IN_DUMP', level: 'PTE' });
  // 5-level: a 4K page above the 4-level range (bit 47 and up are index bits of the PGD).
  const gva5 = 0x00ff123456789000n;
  const e5 = mapGuest(cr3L5, 5, gva5, 4, 0x140102000n | GP);
  marker(hpaOf(0x140102000n), 'GUEST 5-level');
  cases.push({ gva: gva5, cr3: cr3L5, levels: 5, entries: e5, gpa: 0x140102000n, pageSize: 4096, nx: false, marker: 'GUEST 5-level' });
  // The guest's VMCOREINFO note, page-aligned as the kernel allocates it; init_top_pgt is the 4-level table.
  const noteGpa = 0x140010000n;
  const kernelOffset = 0x2000000n;
  const initTopPgt = 0xffffffff81000000n + kernelOffset + 0x1000n;
  const physBase = BigInt.asUintN(64, cr3L4 - (initTopPgt - 0xffffffff80000000n));
  const osrelease = '6.99.0-qvtop-guest';
  const text = [`OSRELEASE=${osrelease}`, 'PAGESIZE=4096', `SYMBOL(init_top_pgt)=${initTopPgt.toString(16)}`, `NUMBER(phys_base)=${BigInt.asIntN(64, physBase)}`, 'NUMBER(pgtable_l5_enabled)=0', `KERNELOFFSET=${kernelOffset.toString(16)}`, ''].join('\n');
  const desc = Buffer.from(text + '\0', 'latin1');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(11, 0);
  hdr.writeUInt32LE(desc.length, 4);
  hdr.writeUInt32LE(0, 8);
  hdr.write('VMCOREINFO\0', 12, 'latin1');
  write(hpaOf(noteGpa), Buffer.concat([hdr, desc]));
  // A decoy before it: the right name but not OSRELEASE= text (must be skipped by the scan).
  const decoy = Buffer.from(hdr);
  decoy.writeUInt32LE(8, 4);
  write(hpaOf(0x140008000n), Buffer.concat([decoy, Buffer.from('XX=1\n\0\0\0', 'latin1')]));
  return { cr3L4, cr3L5, cases, noteGpa, osrelease, kernelOffset, physBase, initTopPgt };
}
