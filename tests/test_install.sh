#!/bin/sh
# Installs the build into a scratch prefix and builds examples/vendor_vector.c
# against it through pkg-config, once shared and once static; both must
# print the vendor vector's KEK and the same TEKs as the tekho tool.
# usage: test_install.sh BUILD_DIR SOURCE_DIR
set -eu
BUILD=$1
SRC=$2
PREFIX=$(mktemp -d)
trap 'rm -rf "$PREFIX"' EXIT
cmake --install "$BUILD" --prefix "$PREFIX" >/dev/null
PC=$(find "$PREFIX" -name tekho.pc)
[ -n "$PC" ] || { echo "FAIL: tekho.pc not installed"; exit 1; }
[ -f "$PREFIX/include/tekho/tekho.h" ] || { echo "FAIL: headers not installed"; exit 1; }
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$PC")
LIBDIR=$(pkg-config --variable=libdir tekho)
want="KEK=e09389b8f3391dfec8a99af41da147b9
$("$PREFIX/bin/tekho" tek --kek e09389b8f3391dfec8a99af41da147b9 --ckc 1 --said 0x2b)"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "$SRC/examples/vendor_vector.c" -o "$PREFIX/shared" $(pkg-config --cflags --libs tekho)
got=$(LD_LIBRARY_PATH="$LIBDIR" "$PREFIX/shared")
[ "$got" = "$want" ] || { echo "FAIL (shared): got '$got', want '$want'"; exit 1; }
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "$SRC/examples/vendor_vector.c" -o "$PREFIX/static" $(pkg-config --cflags tekho) \
    "$LIBDIR/libtekho.a" $(pkg-config --libs libcrypto)
got=$("$PREFIX/static")
[ "$got" = "$want" ] || { echo "FAIL (static): got '$got', want '$want'"; exit 1; }
echo "test_install: 2 passed, 0 failed"
