#!/bin/sh
# Mutation builds (src/mutation.h): for each deliberate defect, build the
# tekho tool with it and check that `tekho explore` finds a violation
# within 300 runs of at least one scheme. A mutation nobody catches means
# the explorer cannot fail where it should: this script fails then.
# Usage: tests/mutations.sh SOURCE_DIR BUILD_DIR [MUTATION...]
# The builds run JOBS (environment) jobs at once, by default one per core.
set -eu
src=$1
dir=$2
shift 2
all="evict-live-context reinstall-resets-pn bs-advances-n no-replay-window ms-rederive-on-retry accept-stale-count no-cmac-pn-check auth-forgets-n early-data count-past-limit persist-failure-ignored"
[ $# -gt 0 ] || set -- $all
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
failed=""
for m in "$@"; do
    # One build tree, reconfigured per mutation: only the files with a
    # mutation point are rebuilt.
    cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTEKHO_BUILD_TESTS=OFF -DTEKHO_WERROR=ON \
        -DTEKHO_MUTATION="$m" >/dev/null 2>&1 || { echo "mutation $m: configure failed"; exit 1; }
    cmake --build "$dir" -j"$jobs" --target tekho >/dev/null || { echo "mutation $m: build failed"; exit 1; }
    caught=""
    for scheme in counter reuse baseline-update baseline-full none-late baseline-early baseline-challenge; do
        for faults in 0 63; do
            for seed in 1 1001; do
                # Exit 1 is a violation found; a crash or a usage error is not a catch.
                status=0
                "$dir/tekho" explore --scheme "$scheme" --seed "$seed" --runs 300 --faults-off "$faults" \
                    --shrink 0 >"$dir/mutation.out" 2>/dev/null || status=$?
                if [ "$status" -gt 1 ]; then
                    echo "mutation $m: tekho explore exited $status (crashed?)"
                    exit 1
                fi
                if [ "$status" -eq 1 ]; then
                    caught="$scheme, seed $seed, faults-off $faults: $(grep -m1 violation "$dir/mutation.out" | sed 's/^ *//')"
                    break 3
                fi
            done
        done
    done
    if [ -n "$caught" ]; then
        echo "mutation $m: caught ($caught)"
    else
        echo "mutation $m: NOT CAUGHT in 300 runs of any scheme"
        failed="$failed $m"
    fi
done
# Leave the tree as the real code.
cmake -S "$src" -B "$dir" -DTEKHO_MUTATION= >/dev/null 2>&1
total=$#
missed=$(echo $failed | wc -w)
[ -z "$failed" ] || echo "mutations not caught:$failed"
echo "mutations: $((total - missed)) passed, $missed failed"
[ -z "$failed" ]
