#!/usr/bin/env bash
# Runs the unit suite (npm test) from a git clone of the committed HEAD in a fresh temp folder,
# with no ../shared beside it: proves `npm test` needs nothing outside the repository (issue 12, item 6).
# node_modules comes from `npm ci` in the copy (the npm cache makes it quick); the Debian debug package and
# generated files come from ~/.cache as on any machine.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/qv-bare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# A clone, not an archive: some tests ask git which files the project has (the npm package's file list).
git clone -q --no-checkout . "$tmp/qemu-vtop"
git -C "$tmp/qemu-vtop" checkout -q "$(git rev-parse HEAD)"
cd "$tmp/qemu-vtop"
if [ -e ../shared ]; then echo "bare-clone-test: $tmp/shared exists" >&2; exit 1; fi
npm ci --no-audit --no-fund --prefer-offline >/dev/null
npm test
