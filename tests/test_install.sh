#!/bin/sh
# Installs the build into a scratch prefix and uses it as an out-of-tree
# program would, building every example of examples/ against it three ways:
#   shared   cc ... $(pkg-config --cflags --libs tekho), run through
#            LD_LIBRARY_PATH and, once, through an rpath
#   static   cc -static ... $(pkg-config --static --cflags --libs tekho): a
#            fully static program (the examples do not use the capture API,
#            whose libpcap cannot be linked statically on Debian); and a
#            capture user with libtekho.a and the system libraries shared
#   cmake    find_package(tekho): tekho::tekho and tekho::tekho_static
# Every example checks its own output and exits non-zero on a mismatch; the
# vendor vector's output is also compared with the installed tool's. The
# shared library must export the public API and nothing else (nm -D).
# usage: test_install.sh BUILD_DIR SOURCE_DIR
set -eu
BUILD=$1
SRC=$(cd "$2" && pwd)
PREFIX=$(mktemp -d)
trap 'rm -rf "$PREFIX"' EXIT
CC=${CC:-cc}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
log=$PREFIX/log

cmake --install "$BUILD" --prefix "$PREFIX" >/dev/null
PC=$(find "$PREFIX" -name tekho.pc)
[ -n "$PC" ] || { echo "FAIL: tekho.pc not installed"; exit 1; }
[ -f "$PREFIX/include/tekho/tekho.h" ] || { echo "FAIL: headers not installed"; exit 1; }
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$PC")
LIBDIR=$(pkg-config --variable=libdir tekho)
if [ ! -f "$LIBDIR/libtekho.a" ] || [ ! -e "$LIBDIR/libtekho.so" ]; then echo "FAIL: libraries not installed"; exit 1; fi
# The flags themselves: --static must name nothing Debian cannot link (it
# once pulled -lsystemd through libpcap's Requires.private: dbus-1).
static_libs=$(pkg-config --static --libs tekho)
case " $static_libs " in
*" -lsystemd "* | *" -ldbus-1 "*) bad "pkg-config --static --libs tekho: $static_libs" ;;
*) ok ;;
esac

# The shared library's dynamic symbols: exactly the public API. Every
# defined symbol is named tekho_* and declared TEKHO_API in an installed
# header (no internal helper: -fvisibility=hidden hides the rest), every
# TEKHO_API declaration is exported, and no function the headers declare
# lacks TEKHO_API.
HDRS=$PREFIX/include/tekho
exported=$(nm -D --defined-only "$LIBDIR/libtekho.so" | awk '{print $3}' | sort -u)
declared=$(grep -hE '^(extern )?TEKHO_API ' "$HDRS"/*.h | sed -E 's/^[^([]*[ *](tekho_[a-z0-9_]+)[([].*/\1/' | sort -u)
n_exported=$(printf '%s\n' "$exported" | grep -c .)
unprefixed=$(printf '%s\n' "$exported" | grep -v '^tekho_' | tr '\n' ' ')
internal=$(printf '%s\n' "$exported" | grep '^tekho_' | grep -vxF "$declared" | tr '\n' ' ')
hidden=$(printf '%s\n' "$declared" | grep -vxF "$exported" | tr '\n' ' ')
unmarked=$(grep -hE '^[A-Za-z].*[ *]tekho_[a-z0-9_]+ ?[([]' "$HDRS"/*.h | grep -vE '^(extern )?TEKHO_API |^typedef ' |
    head -3)
if [ "$n_exported" -lt 100 ]; then bad "nm -D libtekho.so: only $n_exported symbols"; else ok; fi
if [ -z "$unprefixed" ]; then ok; else bad "libtekho.so exports names without tekho_: $unprefixed"; fi
if [ -z "$internal" ]; then ok; else bad "libtekho.so exports internal functions (not TEKHO_API in include/tekho): $internal"; fi
if [ -z "$hidden" ]; then ok; else bad "TEKHO_API declarations libtekho.so does not export: $hidden"; fi
if [ -z "$unmarked" ]; then ok; else bad "public declarations without TEKHO_API: $unmarked"; fi

# tekho(1): installed, a subsection for every command the tool lists, and
# (where groff is installed) no formatter warning.
MAN=$PREFIX/share/man/man1/tekho.1
if [ -f "$MAN" ]; then
    ok
    for cmd in $("$PREFIX/bin/tekho" --help | sed -n '/^commands:/,$s/^  \([a-z][a-z0-9-]*\) .*/\1/p'); do
        pat=$(printf '%s' "$cmd" | sed 's/-/\\\\-/g')
        if grep -q "^\.SS $pat\$" "$MAN"; then ok; else bad "tekho.1 does not document '$cmd'"; fi
    done
    if command -v groff >/dev/null 2>&1; then
        if groff -man -ww -z "$MAN" >"$log" 2>&1 && [ ! -s "$log" ]; then ok; else bad "groff: $(head -5 "$log")"; fi
    fi
else
    bad "tekho.1 not installed in share/man/man1"
fi

EXAMPLES=$(ls "$SRC"/examples/*.c)
OUT=$PREFIX/out
mkdir -p "$OUT"

needs_libtekho() { readelf -d "$1" 2>/dev/null | grep -q 'NEEDED.*libtekho\.so'; }

# run NAME PROGRAM [ENV...]: the example exits 0 (it checks its own output)
run() {
    name=$1
    shift
    if "$@" >"$log" 2>&1; then ok; else bad "$name exited $?: $(head -5 "$log")"; fi
}

# ---- pkg-config, shared ----
for ex in $EXAMPLES; do
    n=$(basename "$ex" .c)
    # shellcheck disable=SC2046
    if $CC -std=c11 -Wall -Wextra -Werror "$ex" -o "$OUT/$n-shared" $(pkg-config --cflags --libs tekho) 2>"$log"; then
        needs_libtekho "$OUT/$n-shared" || bad "$n-shared does not use libtekho.so"
        run "$n (shared)" env LD_LIBRARY_PATH="$LIBDIR" "$OUT/$n-shared"
    else
        bad "$n: shared build: $(head -5 "$log")"
    fi
done
# An rpath instead of LD_LIBRARY_PATH.
# shellcheck disable=SC2046
if $CC -std=c11 "$SRC/examples/vendor_vector.c" -o "$OUT/rpath" $(pkg-config --cflags --libs tekho) \
    -Wl,-rpath,"$LIBDIR" 2>"$log"; then
    run "vendor_vector (rpath)" env -u LD_LIBRARY_PATH "$OUT/rpath"
else
    bad "rpath build: $(head -5 "$log")"
fi
want="KEK=e09389b8f3391dfec8a99af41da147b9
$("$PREFIX/bin/tekho" tek --kek e09389b8f3391dfec8a99af41da147b9 --ckc 1 --said 0x2b)"
got=$("$OUT/rpath" 2>&1 || true)
if [ "$got" = "$want" ]; then ok; else bad "vendor_vector: got '$got', want '$want'"; fi

# ---- pkg-config --static ----
for ex in $EXAMPLES; do
    n=$(basename "$ex" .c)
    # glibc warns that libcrypto's getaddrinfo/dlopen need the shared glibc at run time: not ours.
    # shellcheck disable=SC2046
    if $CC -std=c11 -Wall -Wextra -Werror -static "$ex" -o "$OUT/$n-static" \
        $(pkg-config --static --cflags --libs tekho) 2>"$log"; then
        if readelf -d "$OUT/$n-static" 2>/dev/null | grep -q NEEDED; then bad "$n-static is not static"; fi
        run "$n (static)" "$OUT/$n-static"
    else
        bad "$n: static build: $(grep -v 'statically linked' "$log" | head -5)"
    fi
done
# The capture API with libtekho.a and the shared system libraries: libpcap
# (Debian's libpcap.a needs libdbus-1 and libsystemd, which has no static
# library), libcrypto.
cat >"$OUT/capture.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <tekho/capture.h>
int main(int argc, char **argv)
{
    static const unsigned char pdu[] = {0x00, 0x00, 0x06, 0x00, 0x00, 0x00};
    struct tekho_capture_writer *w = NULL;
    struct tekho_capture_reader *r = NULL;
    struct tekho_capture_record rec;
    bool got = false;
    if (argc != 2)
        return 2;
    tekho_err err = tekho_capture_open(argv[1], TEKHO_CAPTURE_AIR, &w);
    if (err == TEKHO_OK)
        err = tekho_capture_write_air(w, 1000, pdu, sizeof pdu);
    tekho_err cerr = tekho_capture_close(w);
    if (err == TEKHO_OK)
        err = cerr;
    if (err == TEKHO_OK)
        err = tekho_capture_read_open(argv[1], &r);
    if (err == TEKHO_OK)
        err = tekho_capture_next(r, &rec, &got);
    /* rec.data lives until the reader is closed */
    const bool same = err == TEKHO_OK && got && rec.len == sizeof pdu && memcmp(rec.data, pdu, sizeof pdu) == 0;
    tekho_capture_read_close(r);
    if (!same) {
        fprintf(stderr, "capture: %s\n", err != TEKHO_OK ? tekho_strerror(err) : "the record read back differs");
        return 1;
    }
    return 0;
}
EOF
# shellcheck disable=SC2046
if $CC -std=c11 -Wall -Werror "$OUT/capture.c" -o "$OUT/capture" $(pkg-config --cflags tekho) \
    -L"$LIBDIR" -Wl,-Bstatic -ltekho -Wl,-Bdynamic -lpcap -lcrypto -lm 2>"$log"; then
    needs_libtekho "$OUT/capture" && bad "capture links libtekho.so, not libtekho.a"
    run "capture (libtekho.a)" "$OUT/capture" "$OUT/air.pcap"
else
    bad "capture build: $(head -5 "$log")"
fi

# ---- find_package ----
mkdir -p "$OUT/cmake-src"
{
    echo 'cmake_minimum_required(VERSION 3.20)'
    echo 'project(tekho_consumer LANGUAGES C)'
    echo 'find_package(tekho 0.1 REQUIRED)'
    for ex in $EXAMPLES; do
        n=$(basename "$ex" .c)
        echo "add_executable($n-shared $ex)"
        echo "target_link_libraries($n-shared PRIVATE tekho::tekho)"
        echo "add_executable($n-static $ex)"
        echo "target_link_libraries($n-static PRIVATE tekho::tekho_static)"
    done
    echo 'add_executable(capture-static ../capture.c)'
    echo 'target_link_libraries(capture-static PRIVATE tekho::tekho_static)'
} >"$OUT/cmake-src/CMakeLists.txt"
if cmake -S "$OUT/cmake-src" -B "$OUT/cmake-build" -DCMAKE_PREFIX_PATH="$PREFIX" >"$log" 2>&1 &&
    cmake --build "$OUT/cmake-build" >>"$log" 2>&1; then
    for ex in $EXAMPLES; do
        n=$(basename "$ex" .c)
        needs_libtekho "$OUT/cmake-build/$n-shared" || bad "$n (find_package) does not use libtekho.so"
        run "$n (find_package, tekho::tekho)" "$OUT/cmake-build/$n-shared"
        needs_libtekho "$OUT/cmake-build/$n-static" && bad "$n (tekho::tekho_static) uses libtekho.so"
        run "$n (find_package, tekho::tekho_static)" "$OUT/cmake-build/$n-static"
    done
    run "capture (find_package, tekho::tekho_static)" "$OUT/cmake-build/capture-static" "$OUT/air2.pcap"
else
    bad "find_package build: $(tail -15 "$log")"
fi
# A version the package does not offer is refused.
mkdir -p "$OUT/cmake-v9"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(v LANGUAGES C)\nfind_package(tekho 9 REQUIRED)\n' \
    >"$OUT/cmake-v9/CMakeLists.txt"
if cmake -S "$OUT/cmake-v9" -B "$OUT/cmake-v9/b" -DCMAKE_PREFIX_PATH="$PREFIX" >"$log" 2>&1; then
    bad "find_package(tekho 9) succeeded"
else
    ok
fi

echo "test_install: $pass passed, $fail failed"
[ "$fail" = 0 ]
