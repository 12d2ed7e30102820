#!/usr/bin/python3
# Independent reader of kdump files: libkdumpfile (Debian python3-libkdumpfile) at machine-physical addresses.
# usage: kdump-probe.py DUMP ADDR:LEN ... -> per request one line: the bytes in hex, or "nodata: <libkdumpfile's words>"
import sys
import kdumpfile
from kdumpfile.exceptions import NoDataException

k = kdumpfile.kdumpfile(sys.argv[1])
print("arch " + k.attr["arch.name"])
for req in sys.argv[2:]:
    addr, length = (int(x, 0) for x in req.split(":"))
    try:
        print(bytes(k.read(kdumpfile.KDUMP_MACHPHYSADDR, addr, length)).hex())
    except NoDataException as e:
        print("nodata: " + str(e))
