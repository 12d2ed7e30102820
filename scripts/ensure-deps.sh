#!/usr/bin/env bash
# Installs the Debian packages the test suites use, when they are missing (CI starts from a bare machine).
# pahole (dwarves): DWARF layouts to compare with; makedumpfile: derives real dump formats from the demo dump;
# zstd: writes zstd-compressed test dumps; python3-libkdumpfile: independent reader of generated dumps;
# tmux: drives the TUI in a real terminal; crash: checks the test kdump writer; gcc: builds the per-era DWARF of the dump generator;
# debuginfod + libarchive-tools (bsdtar, which debuginfod uses to read .deb files): the debuginfod acceptance test;
# qemu-system-x86, busybox-static, cpio: the live-host kit (test/live/) boots a real Debian kernel under TCG with an initramfs.
# python3-drgn: opens extracted guest dumps; binutils (readelf): reads their program headers independently.
set -euo pipefail
need=()
command -v pahole >/dev/null || need+=(dwarves)
command -v makedumpfile >/dev/null || need+=(makedumpfile)
command -v zstd >/dev/null || need+=(zstd)
command -v tmux >/dev/null || need+=(tmux)
command -v crash >/dev/null || need+=(crash)
command -v gcc >/dev/null || need+=(gcc)
command -v debuginfod >/dev/null || need+=(debuginfod)
command -v bsdtar >/dev/null || need+=(libarchive-tools)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
/usr/bin/python3 -c 'import kdumpfile' 2>/dev/null || need+=(python3-libkdumpfile) # Debian's python, not a pyenv one
/usr/bin/python3 -c 'import drgn' 2>/dev/null || need+=(python3-drgn)
command -v readelf >/dev/null || need+=(binutils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-deps: missing Debian packages: ${need[*]} (run as root, or apt-get install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
