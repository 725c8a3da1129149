#!/bin/sh
# Installs what a make target needs on Debian, only when missing (tested on
# Debian 12 and 13: the libFuzzer runtime's package carries clang's major
# version, so it is derived from the clang installed).
# usage: install-deps.sh [GROUP...]          install what the groups need (as root)
#        install-deps.sh --list [GROUP...]   print the packages, one a line
# GROUP (default: all of them):
#   build   compiler, cmake, pkg-config, the libraries libtekho links
#           (libssl, libpcap, libsqlite3, libpq) and the daemons' (libyaml
#           for their config, libmicrohttpd for their metrics; the tool
#           links them, libtekho does not): make, make run, make install
#   report  gnuplot and mscgen, which draw the report's plots and charts
#           (make run); optional: without root they are skipped with a
#           warning, and the report says what it could not draw
#   test    make test: clang and its runtime, tshark, the PostgreSQL server
#           and sqlite3 shell the store tests use, zlib1g-dev and
#           libzstd-dev for the static link test
#   fuzz    clang and its libFuzzer runtime
# Missing packages of a required group without root: exit 1, naming them.
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

# Debian 13's libcrypto.pc has Libs.private: -lz -lzstd, and libssl-dev does
# not bring their static libraries (tests/test_install.sh links statically).
BUILD_PKGS="gcc make cmake pkg-config libssl-dev libpcap-dev libsqlite3-dev libpq-dev libyaml-dev libmicrohttpd-dev"
REPORT_PKGS="gnuplot-nox mscgen"
TEST_PKGS="$BUILD_PKGS $REPORT_PKGS clang tshark postgresql sqlite3 zlib1g-dev libzstd-dev"
FUZZ_PKGS="$BUILD_PKGS clang"

list=no
if [ "${1:-}" = --list ]; then
    list=yes
    shift
fi
[ $# -gt 0 ] || set -- build report test fuzz
required=""
optional=""
clang_rt=no
for g in "$@"; do
    case $g in
    build) required="$required $BUILD_PKGS" ;;
    report) optional="$optional $REPORT_PKGS" ;;
    test) required="$required $TEST_PKGS"; clang_rt=yes ;;
    fuzz) required="$required $FUZZ_PKGS"; clang_rt=yes ;;
    *)
        echo "usage: install-deps.sh [--list] [build|report|test|fuzz ...]" >&2
        exit 2
        ;;
    esac
done
# Each package once, in order.
dedup() { printf '%s\n' "$@" | awk 'NF && !seen[$0]++'; }
# shellcheck disable=SC2086
required=$(dedup $required)
# shellcheck disable=SC2086
optional=$(dedup $optional)

if [ $list = yes ]; then
    printf '%s\n' $required $optional | awk 'NF && !seen[$0]++'
    if [ $clang_rt = yes ]; then
        rt=$(runtime_pkg)
        if [ -n "$rt" ]; then
            printf '%s\n' "$rt"
        else
            echo "tekho: no clang yet: its runtime, libclang-rt-VERSION-dev, is chosen once it is installed" >&2
        fi
    fi
    exit 0
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
        apt-get update -qq -o DPkg::Lock::Timeout=600
        updated=yes
    fi
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "$@" >/dev/null
    # tshark asks whether non-root users may capture; the default (no) is right here.
}

missing() {
    for pkg in "$@"; do
        have_pkg "$pkg" || printf ' %s' "$pkg"
    done
}

# shellcheck disable=SC2086
need=$(missing $required)
rt=""
if [ $clang_rt = yes ]; then
    rt=$(runtime_pkg)
    if [ -n "$rt" ]; then
        have_pkg "$rt" || need="$need $rt"
    else
        later=", then the libclang-rt-VERSION-dev of that clang"
    fi
fi
# shellcheck disable=SC2086
opt_need=$(missing $optional)
if [ -n "$opt_need" ] && [ "$(id -u)" != 0 ]; then
    echo "tekho: warning: not installed:$opt_need; the report will say what it could not draw (as root, make installs them)" >&2
    opt_need=""
fi
if [ -n "$need$opt_need" ]; then
    # shellcheck disable=SC2086
    install $need $opt_need
fi
# Without clang at first, its runtime is known only now that it is installed.
if [ $clang_rt = yes ] && [ -z "$rt" ]; then
    rt=$(runtime_pkg)
    if [ -z "$rt" ]; then
        echo "tekho: cannot tell the version of clang for its libFuzzer runtime (clang --version)" >&2
        exit 1
    fi
    have_pkg "$rt" || install "$rt"
fi
