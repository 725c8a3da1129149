#!/bin/sh
# Installs what tekho needs to build and test on Debian, only when missing
# (tested on Debian 12 and 13: the libFuzzer runtime's package
# carries clang's major version, so it is derived from the clang installed).
# usage: install-deps.sh          install what is missing (as root)
#        install-deps.sh --list   print the packages needed, one a line
set -eu

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# The major version of the clang on PATH: from `clang --version` ("Debian
# clang version 14.0.6"), else from where it lives (/usr/lib/llvm-14/bin).
clang_major() {
    command -v clang >/dev/null 2>&1 || return 0
    v=$(clang --version 2>/dev/null | sed -n '1s/.*clang version \([0-9][0-9]*\).*/\1/p')
    [ -n "$v" ] || v=$(readlink -f "$(command -v clang)" | sed -n 's,.*/llvm-\([0-9][0-9]*\)/.*,\1,p')
    printf '%s\n' "$v"
}

# The compiler-rt package with clang's libFuzzer and sanitizer runtimes,
# for the installed clang; empty when clang is missing or its version unknown.
runtime_pkg() {
    v=$(clang_major)
    [ -z "$v" ] || printf 'libclang-rt-%s-dev\n' "$v"
}

# clang and its runtime for the libFuzzer targets; tshark for the Wireshark
# interop tests; libpcap for captures; gnuplot and mscgen for the report;
# zlib1g-dev and libzstd-dev for a static link (tests/test_install.sh): Debian
# 13's libcrypto.pc has Libs.private: -lz -lzstd, and libssl-dev does not
# bring their static libraries. SQLite and libpq for the Authenticator's
# stores, the PostgreSQL server (postgresql: initdb, pg_ctl) the store tests
# start for themselves, and the sqlite3 shell to look into a store file.
BASE="gcc make cmake pkg-config libssl-dev zlib1g-dev libzstd-dev libpcap-dev clang tshark gnuplot-nox mscgen
libsqlite3-dev libpq-dev postgresql sqlite3"

if [ "${1:-}" = --list ]; then
    # shellcheck disable=SC2086
    printf '%s\n' $BASE
    rt=$(runtime_pkg)
    if [ -n "$rt" ]; then
        printf '%s\n' "$rt"
    else
        echo "tekho: no clang yet: its runtime, libclang-rt-VERSION-dev, is chosen once it is installed" >&2
    fi
    exit 0
elif [ $# -ne 0 ]; then
    echo "usage: install-deps.sh [--list]" >&2
    exit 2
fi

updated=no
later=""
# install PKG...: as root, apt-get update (once per run) and install them.
install() {
    if [ "$(id -u)" != 0 ]; then
        echo "tekho: missing Debian packages: $*$later (run as root, or install them)" >&2
        exit 1
    fi
    echo "tekho: installing $*" >&2
    export DEBIAN_FRONTEND=noninteractive
    if [ "$updated" = no ]; then
        apt-get update -qq
        updated=yes
    fi
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    # tshark asks whether non-root users may capture; the default (no) is right here.
}

need=""
for pkg in $BASE; do
    have_pkg "$pkg" || need="$need $pkg"
done
rt=$(runtime_pkg)
if [ -n "$rt" ]; then
    have_pkg "$rt" || need="$need $rt"
else
    later=", then the libclang-rt-VERSION-dev of that clang"
fi
if [ -n "$need" ]; then
    # shellcheck disable=SC2086
    install $need
fi
# Without clang at first, its runtime is known only now that it is installed.
if [ -z "$rt" ]; then
    rt=$(runtime_pkg)
    if [ -z "$rt" ]; then
        echo "tekho: cannot tell the version of clang for its libFuzzer runtime (clang --version)" >&2
        exit 1
    fi
    have_pkg "$rt" || install "$rt"
fi
