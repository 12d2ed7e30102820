#!/usr/bin/env bash
# The bench's setup: drgn (Debian's python3-drgn, for Debian's python) runs the same lookup side by side.
set -euo pipefail
/usr/bin/python3 -c 'import drgn' 2>/dev/null && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "bench setup: python3-drgn is missing (run as root, or apt-get install python3-drgn)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq python3-drgn >/dev/null
