#!/bin/sh
# The long crash torture of the SQLite store (make test runs 50 kills):
# usage: tests/store_torture.sh BUILD_DIR [KILLS (default 1000)] [SEED]
set -eu
build=$1
kills=${2:-1000}
if [ $# -ge 3 ]; then
    exec "$build/tests/test_store_torture" "$kills" "$3"
fi
exec "$build/tests/test_store_torture" "$kills"
