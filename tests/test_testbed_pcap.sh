#!/bin/sh
# test_testbed_pcap: issue 14's last clause. tekho testbed --pcap DIR:
# each scheme's msd writes the terminals' air (DIR/SCHEME/air.pcap, on its
# air clock, HARQ retransmissions as copies) and the interruptions it
# measured (DIR/SCHEME/interruptions.tsv). tekho analyze on each capture
# with DIR/SCHEME/analyze-args (the air's model: frame, DL share,
# management processing; no keys: the testbed's MSKs never leave its
# Authenticator) must report
# every handover the msd measured, the same MS leaving at the same time,
# with the same interruption within one frame (5 ms) per direction, the
# scheme the run used, and no anomaly: the HARQ copies folded, the
# downlink in PN order. And the other way: every interruption analyze
# finds is one the msd measured, but for a handover the run's end cut.
#
# usage: test_testbed_pcap.sh TEKHO [sanitized]
# With "sanitized" (the ASan build, several times slower: the air's
# timing is what it measures) only the capture's shape is checked.
set -u
T=$1
SANITIZED=${2:-}
tmp=$(mktemp -d)
fail() {
    echo "test_testbed_pcap: FAIL: $* (the captures are in $tmp)" >&2
    exit 1
}

"$T" testbed --bs 7 --ms 40 --duration 20 --schemes counter,baseline-update --pcap "$tmp/cap" --json \
    > "$tmp/out.json" 2> "$tmp/err.txt" || { cat "$tmp/err.txt" >&2; fail "tekho testbed exited $?"; }

for s in counter baseline-update; do
    D=$tmp/cap/$s
    [ -s "$D/air.pcap" ] || fail "$s: no $D/air.pcap"
    [ -f "$D/interruptions.tsv" ] || fail "$s: no interruptions.tsv"
    head -1 "$D/interruptions.tsv" | grep -q '^# ms	left_s	dir	interruption_ms$' || fail "$s: the TSV's header"
    # the air's model: 5 ms frames, 60 % DL (the radio's), management
    # messages processed in their own time (the variability)
    args=$(cat "$D/analyze-args")
    [ "$args" = "--frame-us 5000 --dl-percent 60 --mgmt-processing" ] || fail "$s: analyze-args: $args"
    # shellcheck disable=SC2086
    an=$("$T" analyze "$D/air.pcap" $args --json) || fail "$s: analyze exited $?"
    got=$(printf '%s\n' "$an" | sed 's/.*"anomalies": //')
    [ "$got" = "[]}" ] || fail "$s: analyze reports anomalies: $got"
    # analyze's handovers: MS, left_s, ul, dl, scheme
    printf '%s\n' "$an" | grep -o '"ms": "[^"]*", [^{]*"left_s": [0-9.]*, "interruption_ms": {"ul": [0-9.a-z]*, "dl": [0-9.a-z]*' |
        sed 's/"ms": "\([^"]*\)".*"scheme": "\([a-z-]*\)".*"left_s": \([0-9.]*\), "interruption_ms": {"ul": \([0-9.a-z]*\), "dl": \([0-9.a-z]*\)/\1 \3 \4 \5 \2/' \
        > "$D/analyze.txt"
    n_an=$(wc -l < "$D/analyze.txt")
    n_msd=$(grep -vc '^#' "$D/interruptions.tsv")
    [ "$n_msd" -ge 10 ] || fail "$s: the msd measured only $n_msd interruptions"
    schemes=$(cut -d' ' -f5 "$D/analyze.txt" | sort -u | tr '\n' ' ')
    [ "$schemes" = "$s " ] || fail "$s: analyze names the schemes $schemes"
    if [ -n "$SANITIZED" ]; then
        echo "test_testbed_pcap: $s: $n_msd interruptions measured, $n_an handovers in the capture (timing not checked)"
        continue
    fi
    # Every interruption the msd measured, in analyze within a frame; and
    # every one analyze found, measured by the msd, but for the last
    # second of the capture (a handover the run's end cut).
    awk -v scheme="$s" '
        function abs(x) { return x < 0 ? -x : x }
        FNR == 1 { file++ }
        file == 1 && !/^#/ { m[++nm] = $1; l[nm] = $2; d[nm] = $3; v[nm] = $4; next }
        file == 2 { am[++na] = $1; al[na] = $2; au[na] = $3; ad[na] = $4; if ($2 > last) last = $2 }
        END {
            bad = 0; worst["ul"] = worst["dl"] = 0
            for (i = 1; i <= nm; i++) {
                found = 0
                for (j = 1; j <= na && !found; j++) {
                    if (am[j] != m[i] || abs(al[j] - l[i]) > 0.0005) continue
                    found = 1
                    x = d[i] == "ul" ? au[j] : ad[j]
                    if (x == "null") { printf "%s: %s left %s: the msd measured %s %s ms, analyze none\n", scheme, m[i], l[i], d[i], v[i]; bad++; continue }
                    if (abs(x - v[i]) > 5.0001) { printf "%s: %s left %s: %s the msd %s ms, analyze %s ms\n", scheme, m[i], l[i], d[i], v[i], x; bad++ }
                    if (abs(x - v[i]) > worst[d[i]]) worst[d[i]] = abs(x - v[i])
                    used[j, d[i]] = 1
                }
                if (!found) { printf "%s: %s left %s: measured by the msd (%s %s ms), not in the capture\n", scheme, m[i], l[i], d[i], v[i]; bad++ }
            }
            extra = 0
            for (j = 1; j <= na; j++)
                for (k = 0; k < 2; k++) {
                    dir = k ? "dl" : "ul"; x = k ? ad[j] : au[j]
                    if (x != "null" && !used[j, dir] && al[j] < last - 1) { printf "%s: %s left %s: analyze finds %s %s ms, the msd measured none\n", scheme, am[j], al[j], dir, x; extra++ }
                }
            printf "test_testbed_pcap: %s: %d interruptions measured, %d handovers in the capture; largest difference ul %.3f ms, dl %.3f ms\n", scheme, nm, na, worst["ul"], worst["dl"]
            exit bad + extra > 0
        }' "$D/interruptions.tsv" "$D/analyze.txt" || fail "$s: analyze and the msd disagree (above)"
done
rm -rf "$tmp"
echo "test_testbed_pcap: ok"
