#!/usr/bin/python3
"""The drgn side of `npm run bench`: the same lookup qemu-vtop does, written for drgn (Debian python3-drgn 0.0.22).

usage: drgn_vtop.py open DUMP VMLINUX KVM_KO
       drgn_vtop.py vtop DUMP VMLINUX KVM_KO PID GPA...|@FILE

`open` only opens the dump and loads the debug info (what every qemu-vtop subcommand must do before it answers).
`vtop` then finds the task by pid, its anon_inode:kvm-vm file by f_op == kvm_vm_fops, struct kvm, the memslots of
address space 0 through the gfn rb-tree (gfn_node[node_idx]), and for every gpa: memslot -> hva -> a 4/5-level
walk of the VMM's page tables (1G/2M leaves) -> hpa. One line per gpa in qemu-vtop's --brief format, so the bench
can compare the answers: "0xGPA 0xHVA 0xHPA 4K|2M|1G", or "0xGPA - - GPA_NOT_IN_MEMSLOT", "0xGPA 0xHVA - NOT_PRESENT".
GPAs come from the command line or, with @FILE, one per line from a file (100,000 do not fit argv everywhere).
Peak RSS and CPU time go to stderr as `drgn-stats: {"maxRssKiB": N, "cpuMs": T}` for the bench to read.
Kept in line with ../shared/fixtures/real-6.1/build/drgn_lookup.py, which cross-checked truth.json the same way.
"""
import json
import resource
import sys

import drgn
from drgn import cast, container_of
from drgn.helpers.linux.fs import for_each_file
from drgn.helpers.linux.pid import find_task

PFN_MASK = 0x000FFFFFFFFFF000
SIZES = {4096: "4K", 1 << 21: "2M", 1 << 30: "1G"}


def gpas_of(args):
    for a in args:
        if a.startswith("@"):
            with open(a[1:]) as f:
                for line in f:
                    line = line.strip()
                    if line:
                        yield int(line, 16)
        else:
            yield int(a, 16)


def main():
    mode, dump, vmlinux, kvm_ko = sys.argv[1:5]
    prog = drgn.Program()
    prog.set_core_dump(dump)
    try:
        prog.load_debug_info([vmlinux, kvm_ko])
    except drgn.MissingDebugInfoError:
        pass  # other modules' debug info: not needed for this lookup
    if mode == "open":
        return
    pid = int(sys.argv[5])
    task = find_task(prog, pid)
    fops = prog.object("kvm_vm_fops").address_
    kvm = None
    for _fd, f in for_each_file(task):
        if f.f_op.value_() == fops:
            kvm = cast("struct kvm *", f.private_data)
            break
    if kvm is None:
        sys.exit("pid %d has no kvm-vm file" % pid)
    ms = kvm.memslots[0]
    idx = ms.node_idx.value_()
    slots = []
    node, stack = ms.gfn_tree.rb_node, []
    while stack or node.value_():
        while node.value_():
            stack.append(node)
            node = node.rb_left
        node = stack.pop()
        s = container_of(node, "struct kvm_memory_slot", "gfn_node[%d]" % idx)
        slots.append((s.base_gfn.value_(), s.npages.value_(), s.userspace_addr.value_()))
        node = node.rb_right
    l5 = bool(prog["__pgtable_l5_enabled"].value_())
    shifts = [48, 39, 30, 21, 12] if l5 else [39, 30, 21, 12]
    pgd = task.mm.pgd.value_() - prog["page_offset_base"].value_()
    read_u64 = prog.read_u64
    out = []
    for gpa in gpas_of(sys.argv[6:]):
        gfn = gpa >> 12
        hva = None
        for base, n, ua in slots:
            if base <= gfn < base + n:
                hva = ua + ((gfn - base) << 12) + (gpa & 0xFFF)
                break
        if hva is None:
            out.append("%#x - - GPA_NOT_IN_MEMSLOT" % gpa)
            continue
        table, res = pgd, None
        for lvl, sh in enumerate(shifts):
            ent = read_u64(table + ((hva >> sh) & 511) * 8, True)
            if not ent & 1:
                break
            left = len(shifts) - lvl - 1
            if left in (1, 2) and ent & 0x80:
                size = 1 << sh
                res = ((ent & PFN_MASK & ~(size - 1)) | (hva & (size - 1)), size)
                break
            table = ent & PFN_MASK
            if left == 0:
                res = (table | (hva & 0xFFF), 4096)
        if res is None:
            out.append("%#x %#x - NOT_PRESENT" % (gpa, hva))
        else:
            out.append("%#x %#x %#x %s" % (gpa, hva, res[0], SIZES[res[1]]))
        if len(out) >= 4096:
            sys.stdout.write("\n".join(out) + "\n")
            out = []
    if out:
        sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write("drgn-stats: %s\n" % json.dumps({"maxRssKiB": ru.ru_maxrss, "cpuMs": (ru.ru_utime + ru.ru_stime) * 1000}))
