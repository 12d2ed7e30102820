# Opens an extracted guest dump with drgn (Debian's python3-drgn) and the guest's debug vmlinux, and prints
# what the acceptance test compares with truth-guest.json: the tasks, the marker task's comm, and the bytes at
# every marker gva read in that task's address space, page_offset_base; for --absent GPA..., whether drgn can
# read 8 bytes at each gpa (physical).
# Usage: /usr/bin/python3 drgn-guest.py CORE VMLINUX PID GVA:LEN... [--absent GPA...]
import json
import sys

import drgn
from drgn.helpers.linux.mm import access_remote_vm
from drgn.helpers.linux.pid import find_task
from drgn.helpers.linux.pid import for_each_task

core, vmlinux, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
rest = sys.argv[4:]
absent = []
if "--absent" in rest:
    i = rest.index("--absent")
    absent, rest = rest[i + 1:], rest[:i]

prog = drgn.Program()
prog.set_core_dump(core)
prog.load_debug_info([vmlinux])
out = {"tasks": [], "markers": [], "absent": []}
for t in for_each_task(prog):
    out["tasks"].append([int(t.pid), t.comm.string_().decode()])
task = find_task(prog, pid)
out["comm"] = task.comm.string_().decode()
out["page_offset_base"] = hex(prog["page_offset_base"].value_())
for item in rest:
    gva, n = item.split(":")
    try:
        data = access_remote_vm(task.mm, int(gva, 16), int(n))
        out["markers"].append([gva, data.hex()])
    except drgn.FaultError as e:
        out["markers"].append([gva, "fault: " + str(e)])
for gpa in absent:
    try:
        prog.read(int(gpa, 16), 8, True)
        out["absent"].append([gpa, "read"])
    except drgn.FaultError as e:
        out["absent"].append([gpa, "fault: " + str(e)])
print(json.dumps(out))
