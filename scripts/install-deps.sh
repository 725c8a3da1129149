#!/bin/sh
# Installs what tekho needs to build and test on Debian, only when missing.
set -eu
need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# clang and its runtime for the libFuzzer targets; tshark for the Wireshark
# interop tests; libpcap for captures; gnuplot and mscgen for the report.
for pkg in gcc make cmake pkg-config libssl-dev libpcap-dev clang libclang-rt-14-dev tshark gnuplot-nox mscgen; do
    have_pkg "$pkg" || need="$need $pkg"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "tekho: missing Debian packages:$need (run as root, or install them)" >&2
    exit 1
fi
echo "tekho: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
# tshark asks whether non-root users may capture; the default (no) is right here.
