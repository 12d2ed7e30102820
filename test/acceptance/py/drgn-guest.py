# Opens an extracted guest dump with drgn (Debian's python3-drgn) and the guest's debug vmlinux, and prints
# what the acceptance test compares with truth-guest.json: the tasks, the marker task's comm, and the bytes at
# every marker gva read in that task's address space; for --absent GPA..., whether drgn can read each gpa.
# Usage: /usr/bin/python3 drgn-guest.py CORE VMLINUX PID GVA:LEN... [--absent GPA...]
import json
import sys

import drgn
from drgn.helpers.linux.mm import access_remote_vm
from drgn.helpers.linux.pid import find_task
from drgn.helpers.linux.sched import task_state_to_char  # noqa: F401 (proves the helpers import)
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
for item in rest:
    gva, n = item.split(":")
    data = access_remote_vm(task.mm, int(gva, 16), int(n))
    out["markers"].append([gva, data.hex()])
for gpa in absent:
    try:
        prog.read(int(gpa, 16), 8, True)
        out["absent"].append([gpa, "read"])
    except drgn.FaultError as e:
        out["absent"].append([gpa, "fault: " + str(e)])
print(json.dumps(out))
