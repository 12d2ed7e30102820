#!/usr/bin/python3
# Independent count for `coverage`: libkdumpfile (Debian python3-libkdumpfile) reads the dump, this script walks
# the VMM's 4-level page tables itself (pgd from truth.json, i.e. crash) over each memslot's hva range, and for
# every mapped 4 KiB page asks libkdumpfile whether the dump holds it.
# usage: coverage-count.py DUMP < [{"pgd": "0x...", "slots": [{"key": "...", "ua": "0x...", "npages": N}]}]
# prints {"key": {"inDump": n, "excluded": n, "notPresent": n, "in2M": n}, ...}
import json
import sys
import kdumpfile

k = kdumpfile.kdumpfile(sys.argv[1])
try:
    k.attr['addrxlat.ostype'] = 'linux'
except Exception:
    pass
PHYS = 0x000ffffffffff000
SHIFTS = [39, 30, 21, 12]
tables = {}


def table(pa):
    if pa not in tables:
        b = bytes(k.read(kdumpfile.KDUMP_MACHPHYSADDR, pa, 4096))
        tables[pa] = [int.from_bytes(b[i:i + 8], 'little') for i in range(0, 4096, 8)]
    return tables[pa]


held = {}


def in_dump(pa):
    if pa not in held:
        try:
            k.read(kdumpfile.KDUMP_MACHPHYSADDR, pa, 8)
            held[pa] = True
        except kdumpfile.exceptions.NoDataException:
            held[pa] = False
    return held[pa]


def translate(pgd, va):
    base = pgd
    for level, shift in enumerate(SHIFTS):
        e = table(base)[(va >> shift) & 0x1ff]
        if not e & 1:
            return None, 0
        if shift == 12 or (shift in (21, 30) and e & 0x80):
            size = 1 << shift
            return (e & PHYS & ~(size - 1)) + (va & (size - 1)), size
        base = e & PHYS
    return None, 0


out = {}
for vm in json.load(sys.stdin):
    pgd = int(vm['pgd'], 16)
    for s in vm['slots']:
        c = {'inDump': 0, 'excluded': 0, 'notPresent': 0, 'in2M': 0}
        ua = int(s['ua'], 16)
        for i in range(s['npages']):
            pa, size = translate(pgd, ua + i * 4096)
            if pa is None:
                c['notPresent'] += 1
                continue
            if size == 1 << 21:
                c['in2M'] += 1
            c['inDump' if in_dump(pa) else 'excluded'] += 1
        out[s['key']] = c
print(json.dumps(out))
