#!/bin/sh
# tekho sweep on every core and on several machines: -j 1 and -j 2 write
# the same output (sweep.csv's wall_s, the runs' thread time, aside); the
# shards 1/3, 2/3 and 3/3 merged by tekho sweep merge are the unsharded run
# byte for byte (sweep.csv but wall_s, sweep.manifest, the plots' data and
# scripts, and the plots); merge refuses a missing shard, a shard given
# twice, shards of different grids, of different N, of a run that did not
# finish and a sweep.csv that does not hold its shard's rows; --json is
# valid and holds the numbers sweep.csv holds.
# usage: test_sweep.sh TEKHO JSON_CHECK
set -u
T=$1
J=$2
D=$(mktemp -d "${TMPDIR:-/tmp}/tekho_sweep.XXXXXX")
trap 'rm -rf "$D"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# A small grid: 4 points x 3 schemes, 2 replications, about a second in all.
sw() {
    "$T" sweep window=0,2 backbone-us=1000,5000 --topology hex:7 --ms 10 --duration 10 \
        --schemes none,counter,reuse --replications 2 "$@"
}
# the same grid with another number of MSs: other_ms N ARGS...
other_ms() {
    v=$1
    shift
    "$T" sweep window=0,2 backbone-us=1000,5000 --topology hex:7 --ms "$v" --duration 10 \
        --schemes none,counter,reuse --replications 2 "$@"
}
# sweep.csv without its wall_s column (which must be there)
nowall() {
    c=$(head -n 1 "$1" | tr ',' '\n' | grep -n -x wall_s | cut -d: -f1)
    if [ -z "$c" ]; then
        echo "no wall_s column in $1"
        return
    fi
    cut -d, -f"1-$((c - 1)),$((c + 1))-" "$1"
}
# same_dir A B: every file the sweep writes is the same in A and B
same_dir() {
    nowall "$1/sweep.csv" >"$D/a.csv"
    nowall "$2/sweep.csv" >"$D/b.csv"
    cmp -s "$D/a.csv" "$D/b.csv" && ok || bad "$3: sweep.csv differs beyond wall_s: $(diff "$D/a.csv" "$D/b.csv" | head -3)"
    [ "$(wc -l <"$1/sweep.csv")" = 13 ] && ok || bad "$3: sweep.csv: a header and 4 x 3 rows"
    for f in sweep.manifest sweep_window.dat sweep_backbone-us.dat; do
        cmp -s "$1/$f" "$2/$f" && ok || bad "$3: $f differs"
    done
    if command -v gnuplot >/dev/null 2>&1; then
        for f in plots.gp sweep_window.png sweep_backbone-us.png; do
            [ -s "$1/$f" ] && cmp -s "$1/$f" "$2/$f" && ok || bad "$3: $f missing or different"
        done
    fi
}

# --- -j 1 and -j 2: the same output
sw -j 1 --report "$D/j1" >"$D/j1.out" 2>"$D/err" || bad "sweep -j 1: $(cat "$D/err")"
sw -j2 --report "$D/j2" >"$D/j2.out" 2>"$D/err" || bad "sweep -j2: $(cat "$D/err")"
sed "s|$D/j1|DIR|g" "$D/j1.out" >"$D/j1.txt"
sed "s|$D/j2|DIR|g" "$D/j2.out" >"$D/j2.txt"
cmp -s "$D/j1.txt" "$D/j2.txt" && ok || bad "sweep -j 1 and -j 2 print different tables"
[ "$(grep -c '^[02] *[15]000 *\(none\|counter\|reuse\) ' "$D/j1.txt")" = 12 ] && ok || bad "sweep -j 1: 12 table rows"
same_dir "$D/j1" "$D/j2" "-j 1 against -j 2"
sw --jobs 1 --report "$D/jj1" --json >"$D/j1.json"
sw --jobs=2 --report "$D/jj1" --json >"$D/j2.json"
cmp -s "$D/j1.json" "$D/j2.json" && ok || bad "sweep --json: -j 1 and -j 2 differ"
grep -q "^shard 1/1$" "$D/j1/sweep.manifest" && grep -q "^held 1,2,3,4$" "$D/j1/sweep.manifest" && ok ||
    bad "an unsharded sweep's manifest: shard 1/1, every point"

# --- shards 1/3, 2/3, 3/3 (interleaved: points 1 and 4, 2, 3), merged in any order
for i in 1 2 3; do
    sw -j 2 --shard "$i/3" --report "$D/s$i" >"$D/s$i.out" 2>"$D/err" || bad "sweep --shard $i/3: $(cat "$D/err")"
done
grep -q "^held 1,4$" "$D/s1/sweep.manifest" && grep -q "^held 2$" "$D/s2/sweep.manifest" &&
    grep -q "^held 3$" "$D/s3/sweep.manifest" && grep -q "^shard 2/3$" "$D/s2/sweep.manifest" && ok ||
    bad "the shards' manifests: points 1 and 4, 2, 3"
[ "$(wc -l <"$D/s1/sweep.csv")" = 7 ] && [ "$(wc -l <"$D/s3/sweep.csv")" = 4 ] && ok || bad "the shards' rows"
head -n 1 "$D/s1.out" | grep -q '^shard 1/3: 2 of 4 points x 3 schemes, hex:7' && ok || bad "shard 1/3's heading"
[ -e "$D/s1/sweep_window.dat" ] && bad "a shard drew plots" || ok
"$T" sweep merge "$D/s3" "$D/s1" "$D/s2" --report "$D/m/deep" >"$D/m.out" 2>"$D/err" && ok ||
    bad "sweep merge: $(cat "$D/err")"
same_dir "$D/j1" "$D/m/deep" "merged shards against the unsharded run"
grep -q "^3 shards of 4 points x 3 schemes: $D/m/deep/sweep.csv" "$D/m.out" && ok || bad "sweep merge's line"
# the merged rows are the shards' rows, wall_s and all
sed 1d "$D/m/deep/sweep.csv" | sort >"$D/m.rows"
for i in 1 2 3; do sed 1d "$D/s$i/sweep.csv"; done | sort >"$D/s.rows"
cmp -s "$D/m.rows" "$D/s.rows" && ok || bad "merge changed a shard's row"
# an unsharded directory is the one shard of 1; merging into a shard's own directory works
"$T" sweep merge "$D/j1" --report "$D/m1" >/dev/null && same_dir "$D/j1" "$D/m1" "merge of one unsharded run"
cp -r "$D/s1" "$D/s1b"
"$T" sweep merge "$D/s1b" "$D/s2" "$D/s3" --report "$D/s1b" >/dev/null && same_dir "$D/j1" "$D/s1b" "merge into a shard"
# empty shards (N above the points) are fine
for i in 1 2 3 4 5; do sw -j 1 --shard "$i/5" --report "$D/e$i" >/dev/null || bad "sweep --shard $i/5"; done
grep -q "^held none$" "$D/e5/sweep.manifest" && ok || bad "shard 5/5 of 4 points: held none"
"$T" sweep merge "$D/e1" "$D/e2" "$D/e3" "$D/e4" "$D/e5" --report "$D/m5" >/dev/null && same_dir "$D/j1" "$D/m5" "5 shards"

# --- merge refuses (exit 1, one line naming the problem, nothing written)
merge_refused() {
    want=$1
    shift
    rm -rf "$D/never"
    "$T" sweep merge "$@" --report "$D/never" >"$D/out" 2>"$D/err"
    got=$?
    if [ "$got" = 1 ] && [ ! -s "$D/out" ] && [ "$(wc -l <"$D/err")" = 1 ] && grep -qF -- "$want" "$D/err" &&
        [ ! -e "$D/never/sweep.csv" ]; then
        ok
    else
        bad "merge: want exit 1 with '$want', got $got '$(cat "$D/err")': $*"
    fi
}
merge_refused "shard 3/3 missing: 2 of the 3 shards given" "$D/s1" "$D/s2"
merge_refused "shards 1/3, 3/3 missing" "$D/s2"
merge_refused "shard 2/3 given twice: $D/s2 and $D/s2" "$D/s1" "$D/s2" "$D/s2" "$D/s3"
other_ms 12 --shard 3/3 --report "$D/x_ms" >/dev/null
merge_refused "$D/s1 and $D/x_ms are shards of different grids: $D/s1 has ms=10, $D/x_ms ms=12" "$D/s1" "$D/s2" "$D/x_ms"
"$T" sweep window=0,2 backbone-us=1000,5000 --topology hex:7 --ms 10 --duration 10 --schemes none,counter,reuse \
    --replications 2 --harq-bler 20 --shard 3/3 --report "$D/x_bler" >/dev/null
merge_refused "$D/s1 has harq-bler=10, $D/x_bler harq-bler=20" "$D/s1" "$D/s2" "$D/x_bler"
"$T" sweep window=0,1 backbone-us=1000,5000 --topology hex:7 --ms 10 --duration 10 --schemes none,counter,reuse \
    --replications 2 --shard 3/3 --report "$D/x_axis" >/dev/null
merge_refused "$D/s1 sweeps window=0,2 backbone-us=1000,5000, $D/x_axis window=0,1 backbone-us=1000,5000" \
    "$D/s1" "$D/s2" "$D/x_axis"
"$T" sweep window=0,2 backbone-us=1000,5000 --topology hex:7 --ms 10 --duration 10 --schemes none,counter \
    --replications 2 --shard 3/3 --report "$D/x_schemes" >/dev/null
merge_refused "$D/s1 compares none,counter,reuse, $D/x_schemes none,counter" "$D/s1" "$D/s2" "$D/x_schemes"
sw --shard 2/2 --report "$D/x_n" >/dev/null
merge_refused "$D/s1 is shard 1/3, $D/x_n shard 2/2: the shards of one sweep share N" "$D/s1" "$D/x_n"
cp -r "$D/s3" "$D/x_unfinished"
rm "$D/x_unfinished/sweep.manifest"
merge_refused "$D/x_unfinished: no sweep.manifest (not the --report directory of a tekho sweep, or its run did not finish)" \
    "$D/s1" "$D/s2" "$D/x_unfinished"
merge_refused "cannot read '$D/nosuch': No such file or directory" "$D/s1" "$D/s2" "$D/nosuch"
cp -r "$D/s1" "$D/x_cut"
sed -i '$d' "$D/x_cut/sweep.csv"
merge_refused "$D/x_cut/sweep.csv: line 7: missing: the file ends before the shard's last point" "$D/x_cut" "$D/s2" "$D/s3"
cp -r "$D/s1" "$D/x_order"
{ head -n 1 "$D/s1/sweep.csv"; sed -n '5,7p' "$D/s1/sweep.csv"; sed -n '2,4p' "$D/s1/sweep.csv"; } >"$D/x_order/sweep.csv"
merge_refused "$D/x_order/sweep.csv: line 2 is not point 1's row for none" "$D/x_order" "$D/s2" "$D/s3"
cp -r "$D/s2" "$D/x_extra"
sed -n 2p "$D/s2/sweep.csv" >>"$D/x_extra/sweep.csv"
merge_refused "$D/x_extra/sweep.csv: line 5: more rows than the shard's points" "$D/s1" "$D/x_extra" "$D/s3"
cp -r "$D/s2" "$D/x_manifest"
sed -i 's/^held 2$/held 3/' "$D/x_manifest/sweep.manifest"
merge_refused "$D/x_manifest/sweep.manifest: held 3, but shard 2/3 of 4 points is 2: not a manifest this tekho writes" \
    "$D/s1" "$D/x_manifest" "$D/s3"
cp -r "$D/s2" "$D/x_manifest2"
sed -i 's/^axis window 0,2$/axis window 0,2,99/' "$D/x_manifest2/sweep.manifest"
merge_refused "$D/x_manifest2/sweep.manifest: line 5: not a manifest this tekho writes" "$D/s1" "$D/x_manifest2" "$D/s3"
cp -r "$D/s2" "$D/x_manifest3"
sed -i '/^points /d' "$D/x_manifest3/sweep.manifest"
merge_refused "$D/x_manifest3/sweep.manifest: no points line: not a manifest this tekho writes" "$D/s1" "$D/x_manifest3" "$D/s3"
cp -r "$D/s2" "$D/x_version"
sed -i 's/^version .*/version 0.0.0-other/' "$D/x_version/sweep.manifest"
merge_refused "$D/x_version was written by tekho 0.0.0-other, $D/s1 by tekho" "$D/s1" "$D/x_version" "$D/s3"
rm -rf "$D/never"
"$T" sweep merge "$D/s1" "$D/s2" --report "$D/never" --json >"$D/out" 2>/dev/null
[ $? = 1 ] && "$J" <"$D/out" && grep -q '^{"error": "shard 3/3 missing' "$D/out" && ok || bad "merge --json error"

# --- a run cut off leaves no manifest, even where a finished one was
cp -r "$D/j1" "$D/cut"
"$T" sweep window=0,2 backbone-us=1000,5000 --topology hex:7 --ms 10 --duration 3600 --schemes none,counter,reuse \
    --replications 2 --report "$D/cut" >/dev/null 2>&1 &
pid=$!
n=0
while [ "$(wc -l <"$D/cut/sweep.csv")" = 13 ] && [ $n -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ $n -lt 200 ] && [ ! -e "$D/cut/sweep.manifest" ] && ok || bad "a sweep under way kept the old manifest"
merge_refused "$D/cut: no sweep.manifest" "$D/cut"

# --- --json: valid, and the CSV's numbers
"$J" <"$D/j1.json" && ok || bad "sweep --json: not valid JSON"
"$J" -p shard.count points.3.point <"$D/j1.json" | tr '\n' ' ' | grep -qx '1 4 ' && ok || bad "sweep --json: shard, point"
sw --shard 1/3 --json --report "$D/js1" >"$D/js1.json"
"$J" -p shard.index shard.count shard.points points.1.point points.1.window points.1.backbone-us <"$D/js1.json" |
    tr '\n' ' ' | grep -qx '1 3 \[1, 4\] 4 2 5000 ' && ok || bad "sweep --shard 1/3 --json: shard, points 1 and 4"
col() { head -n 1 "$D/j1/sweep.csv" | tr ',' '\n' | grep -n -x "$1" | cut -d: -f1; }
# CSV column = JSON path under points.I.schemes.SCHEME (a string's quotes dropped)
pairs="executed=handovers.executed completed=handovers.completed union_censored=interruption_ms.union.censored
ul_p50_ms=interruption_ms.ul.p50 dl_p99_ms=interruption_ms.dl.p99 union_mean_ms=interruption_ms.union.mean
union_p99_ms=interruption_ms.union.p99 union_p99_lo=interruption_ms.union.p99_ci95.0
union_p99_hi=interruption_ms.union.p99_ci95.1 m2134_union_p99_ms=m2134_ms.verdict_p99 m2134_verdict=m2134_ms.verdict
model_union_ms=model_ms.union air_bytes_per_ho=signalling.per_handover.air_bytes
tek_backbone_bytes_per_ho=signalling.per_handover.tek_bytes_over_backbone replications=replications
ho_window_lost=traffic.ho_window_lost pingpong=mobility.pingpong"
compared=0
for i in 0 1 2 3; do
    k=0
    for s in none counter reuse; do
        row=$(sed -n "$((2 + 3 * i + k))p" "$D/j1/sweep.csv")
        [ "$(printf '%s\n' "$row" | cut -d, -f3)" = "$s" ] || bad "sweep.csv row $((2 + 3 * i + k)): not $s"
        w=$("$J" -p "points.$i.window" "points.$i.backbone-us" <"$D/j1.json" | tr '\n' ',')
        [ "$(printf '%s\n' "$row" | cut -d, -f1-2),," = "$w," ] || bad "point $i: CSV values '$row', JSON $w"
        for p in $pairs; do
            c=$(col "${p%%=*}")
            csv=$(printf '%s\n' "$row" | cut -d, -f"$c")
            js=$("$J" -p "points.$i.schemes.$s.${p#*=}" <"$D/j1.json" | tr -d '"')
            if [ -n "$csv" ] && [ "$csv" = "$js" ]; then
                compared=$((compared + 1))
            else
                bad "point $i $s: sweep.csv ${p%%=*} '$csv', JSON ${p#*=} '$js'"
            fi
        done
        k=$((k + 1))
    done
    # the paired difference: none and reuse against counter (counter has none)
    c=$(col d_union_p99_vs_counter)
    csv=$(sed -n "$((2 + 3 * i + 2))p" "$D/j1/sweep.csv" | cut -d, -f"$c")
    js=$("$J" -p "points.$i.schemes.reuse.paired_vs_counter.union_p99_ms.diff" <"$D/j1.json")
    [ -n "$csv" ] && [ "$csv" = "$js" ] && compared=$((compared + 1)) || bad "point $i: d_union_p99_vs_counter '$csv', JSON '$js'"
done
[ "$compared" = $((4 * 3 * 17 + 4)) ] && ok || bad "compared $compared CSV values with the JSON"

echo "test_sweep: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
