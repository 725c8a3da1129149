#!/bin/sh
# run_fuzz.sh TARGET CORPUS SECONDS [OUT_DIR]
# Replays every committed input of CORPUS once, then fuzzes for SECONDS
# from it. New inputs land in OUT_DIR (default: a scratch directory that is
# removed), so the repository's corpus only changes when asked.
set -eu
target=$1
corpus=$2
seconds=$3
out=${4:-}
[ -d "$corpus" ] || { echo "run_fuzz: no corpus at $corpus" >&2; exit 1; }
"$target" -runs=0 "$corpus" 2>&1 | tail -n 2
scratch=
if [ -z "$out" ]; then
    scratch=$(mktemp -d)
    out=$scratch
fi
mkdir -p "$out"
status=0
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/" "$out" "$corpus" 2>"$out/log" || status=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)|ERROR|SUMMARY' "$out/log" || true
if [ "$status" != 0 ]; then
    tail -n 40 "$out/log" >&2
fi
[ -n "$scratch" ] && rm -rf "$scratch"
exit "$status"
