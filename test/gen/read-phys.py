#!/usr/bin/python3
# Independent reader for generated dumps: libkdumpfile (Debian python3-libkdumpfile) reads physical bytes.
# usage: read-phys.py DUMP ADDR:LEN [ADDR:LEN ...]  -> one hex line per request
import sys
import kdumpfile

k = kdumpfile.kdumpfile(sys.argv[1])
for req in sys.argv[2:]:
    addr, length = (int(x, 0) for x in req.split(':'))
    print(bytes(k.read(kdumpfile.KDUMP_MACHPHYSADDR, addr, length)).hex())
