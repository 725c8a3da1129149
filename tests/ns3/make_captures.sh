#!/bin/sh
# Builds tests/ns3/wimax_captures.cc against ns-3's WiMAX module and
# writes the captures the tests read, tests/captures/ns3/*.pcap, which are
# committed: ns-3's WiMAX module is in Debian 12 (libns3-dev 3.37), and
# Debian 13's libns3-dev (3.43) could not be checked for it, so the tests
# read the committed files and need no ns-3.
# usage: tests/ns3/make_captures.sh [OUTDIR]   (default tests/captures/ns3)
#   needs g++ and libns3-dev; exit 77 when either is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../captures/ns3}
if ! command -v g++ >/dev/null 2>&1 || ! pkg-config --exists ns3-wimax 2>/dev/null; then
    echo "make_captures: needs g++ and ns-3's WiMAX module (Debian 12: apt-get install libns3-dev)" >&2
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tekho-ns3.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The modules by name: ns-3's .pc files also list libgsl's .so by path,
# which only libgsl-dev installs, and the program needs none of it.
libs=""
for m in wimax internet applications mobility network core; do libs="$libs -lns3-$m"; done
# shellcheck disable=SC2046,SC2086
g++ -std=c++17 -O1 -o "$work/wimax_captures" "$here/wimax_captures.cc" $(pkg-config --cflags ns3-wimax) $libs
mkdir -p "$out"
for s in simple ipv4; do
    (cd "$work" && ./wimax_captures "$s" "$s")
    cp "$work/$s-bs" "$out/$s-bs.pcap"
    cp "$work/$s-ss0" "$out/$s-ss0.pcap"
done
ls -l "$out"
