#!/bin/sh
# tekho analyze on the captures of `tekho sim --scenario NAME --pcap DIR`:
# for every scenario and scheme it finds every handover the run executed,
# with the interruption the run measured, within one frame (5 ms), per
# direction and for the union (count, min, max and mean), and no anomaly,
# with the keys and without; the scheme it names is the run's (counter
# falls back to SA-TEK-Update at no-capability's target). Copies of the
# counter capture with one record added (rewrite_capture insert) are
# flagged: a PDU sealed under the target's TEK with a PN the MS already
# used (pn-reuse, proven with the keys, seen without them), a management
# message replayed (replayed-mgmt), an old RNG-REQ answered with success
# (stale-count-accepted), TEK parameters in a counter handover
# (tek-on-air). --report writes the timeline and CDF data (plots when
# gnuplot is there).
# usage: test_analyze.sh TEKHO REWRITE_CAPTURE DIR
set -u
[ $# -eq 3 ] || { echo "usage: test_analyze.sh TEKHO REWRITE_CAPTURE DIR" >&2; exit 2; }
T=$1
RW=$2
D=$3
rm -rf "$D" && mkdir -p "$D" || { echo "FAIL: mkdir $D" >&2; exit 1; }
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
same() { if [ "$2" = "$3" ]; then ok; else bad "$1: got
$2
want
$3"; fi; }

# sim_stats JSON DIR: "n min max mean" of the run's interruption in DIR
sim_stats() {
    printf '%s\n' "$1" | sed 's/.*"interruption_ms": {//; s/}}, "m2134_ms".*/}/' |
        sed "s/.*\"$2\": {\\([^}]*\\)}.*/\\1/" |
        awk -F', ' '{ for (i = 1; i <= NF; i++) { split($i, kv, ": "); gsub(/"/, "", kv[1]); v[kv[1]] = kv[2] }
                     printf "%d %s %s %s\n", v["n"], v["min"] + 0, v["max"] + 0, v["mean"] + 0 }'
}
# an_stats JSON DIR: the same from analyze's handovers
an_stats() {
    printf '%s\n' "$1" | grep -o '"interruption_ms": {[^}]*}' | sed "s/.*\"$2\": \\([0-9.null]*\\).*/\\1/" |
        awk '$1 != "null" { n++; s += $1; if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1 }
             END { if (n) printf "%d %s %s %s\n", n, lo + 0, hi + 0, s / n; else print "0 0 0 0" }'
}
# close WHAT SIM AN: the counts equal, min, max and mean within 5 ms
close() {
    if printf '%s\n%s\n' "$2" "$3" | awk 'NR == 1 { n = $1; a = $2; b = $3; c = $4 }
        NR == 2 { exit !(n == $1 && (n == 0 || ((a - $2 <= 5.0001 && $2 - a <= 5.0001) &&
                   (b - $3 <= 5.0001 && $3 - b <= 5.0001) && (c - $4 <= 5.0001 && $4 - c <= 5.0001)))) }'; then
        ok
    else
        bad "$1: the run measured (n min max mean) $2, analyze $3"
    fi
}

SCENARIOS="normal ms-ahead replay cancel-retry ping-pong no-capability tek-refresh lossy-air auth-restart"
SCHEMES="none counter baseline-update baseline-full reuse"
for sc in $SCENARIOS; do
    for s in $SCHEMES; do
        P="$D/$sc-$s"
        if ! sim=$("$T" sim --scenario "$sc" --scheme "$s" --pcap "$P" --json); then
            bad "sim $sc $s"
            continue
        fi
        # shellcheck disable=SC2046
        an=$("$T" analyze "$P/air.pcap" "$P/backbone.pcap" $(cat "$P/decode-args") --json)
        same "$sc $s: analyze exit status" "$?" 0
        for dir in ul dl union; do
            close "$sc $s $dir" "$(sim_stats "$sim" $dir)" "$(an_stats "$an" $dir)"
        done
        executed=$(printf '%s\n' "$sim" | sed 's/.*"executed": \([0-9]*\).*/\1/')
        same "$sc $s: handovers" "$(printf '%s\n' "$an" | grep -o '"left_frame"' | wc -l)" "$executed"
        want=$s
        [ "$sc" = no-capability ] && [ "$s" = counter ] && want=baseline-update
        same "$sc $s: scheme" "$(printf '%s\n' "$an" | grep -o '"scheme": "[a-z-]*"' | sort -u)" "\"scheme\": \"$want\""
        same "$sc $s: keys" "$(printf '%s\n' "$an" | grep -o '"keys": "[a-z]*"' | sort -u)" '"keys": "ok"'
        same "$sc $s: no anomaly" "$(printf '%s\n' "$an" | sed 's/.*"anomalies": //')" "[]}"
        an=$("$T" analyze "$P/air.pcap" --json)
        same "$sc $s: no anomaly without keys" "$(printf '%s\n' "$an" | sed 's/.*"anomalies": //')" "[]}"
    done
done

# ---- anomalies, in copies of normal/counter with one record added
P="$D/normal-counter"
# shellcheck disable=SC2046
set -- $(cat "$P/decode-args")
clean=$("$T" decode "$P/air.pcap" "$@")
frame_of() { printf '%s\n' "$clean" | grep -E "$1" | sed -n "${2:-1}p" | cut -d' ' -f1; }
cut_record() { "$RW" record "$1" "$2"; } # FILE FRAME: the record's bytes in hex

# (1) pn-reuse: a PDU under the second BS's TEK0 (counter: KEK of that BS,
# CMAC_KEY_COUNT 1, SAID 1) with UL PN 2 again, other plaintext
KEK=$("$T" keys --msk-file "$P/msk" --ms-mac 02:74:6b:00:00:00 --bsid 000000000002 --json |
      sed 's/.*"KEK": "\([0-9a-f]*\)".*/\1/')
TEK=$(printf '%s' "$KEK" | "$T" tek --kek-file - --ckc 1 --said 1 --json | sed 's/.*"TEK0": "\([0-9a-f]*\)".*/\1/')
PDU=$(printf '%s' "$TEK" | "$T" pdu seal --tek-file - --dir ul --pn 2 --cid 641 --eks 0 --crc \
      --payload "$(printf '%096d' 7)" --json | sed 's/.*"pdu": "\([0-9a-f]*\)".*/\1/')
first=$(frame_of 'Data cid=641 dir=ul eks=0 pn=2 ' 2) # the second stay's UL PN 2
if [ -n "$PDU" ] && [ -n "$first" ] && "$RW" insert "$P/air.pcap" "$D/reuse.pcap" 150 "$PDU"; then
    got=$("$T" analyze "$D/reuse.pcap" "$@" --json | sed 's/.*"anomalies": //')
    same "pn-reuse with keys" "$got" "[{\"kind\": \"pn-reuse\", \"ms\": \"02:74:6b:00:00:00\", \"frames\": [$first, 151], \"detail\": \"UL PN 2, EKS 0, twice under one TEK (opened both)\"}]}"
    got=$("$T" analyze "$D/reuse.pcap" --json | sed 's/.*"anomalies": //')
    same "pn-reuse without keys" "$got" "[{\"kind\": \"pn-reuse\", \"ms\": \"02:74:6b:00:00:00\", \"frames\": [$first, 151], \"detail\": \"UL PN 2, EKS 0, twice under one key epoch\"}]}"
    "$T" decode "$D/reuse.pcap" "$@" | grep -q '^151 Data cid=641 dir=ul eks=0 pn=2 .* decrypt=ok$' && ok ||
        bad "the inserted PDU does not open with the TEK"
else
    bad "could not make the PN-reuse capture"
fi

# (2) replayed-mgmt and stale-count-accepted: the first handover's RNG-REQ
# and RNG-RSP again during the second stay
req=$(frame_of ' RNG-REQ .*ranging_purpose=1' 1)
rsp=$(frame_of ' RNG-RSP .*tek_mode=counter' 1)
if R1=$(cut_record "$P/air.pcap" "$req") && R2=$(cut_record "$P/air.pcap" "$rsp") &&
    "$RW" insert "$P/air.pcap" "$D/replay1.pcap" 600 "$R1" && "$RW" insert "$D/replay1.pcap" "$D/replay.pcap" 601 "$R2"; then
    got=$("$T" analyze "$D/replay.pcap" "$@" --json | sed 's/.*"anomalies": //')
    printf '%s\n' "$got" | grep -q "{\"kind\": \"replayed-mgmt\", \"ms\": \"02:74:6b:00:00:00\", \"frames\": \\[$req, 601\\]" && ok ||
        bad "replayed RNG-REQ not flagged: $got"
    printf '%s\n' "$got" | grep -q "{\"kind\": \"replayed-mgmt\", \"ms\": \"02:74:6b:00:00:00\", \"frames\": \\[$rsp, 602\\]" && ok ||
        bad "replayed RNG-RSP not flagged: $got"
    printf '%s\n' "$got" | grep -q '{"kind": "stale-count-accepted", "ms": "02:74:6b:00:00:00", "frames": \[601, 602\], "detail": "RNG-REQ with CMAC_KEY_COUNT 1, not above 2, answered with success"}' && ok ||
        bad "stale count not flagged: $got"
    # ... but not the same handover's RNG-REQ sent again (its RNG-RSP
    # lost: the next CMAC_PN, the same count) and answered again, nor a
    # count used again after a network entry (a new PMK: counts start
    # again). Without keys: the copies' CMAC_PN is 256, one the MS never used (CMAC tuple TLV 141:
    # key sequence, CMAC_PN), their CRC redone, their CMAC not.
    req1=$("$RW" crc "$(printf '%s' "$R1" | sed 's/8d0d0000000000/8d0d0000000100/')")
    rsp1=$("$RW" crc "$(printf '%s' "$R2" | sed 's/8d0d0000000000/8d0d0000000100/')")
    [ "$req1" != "$R1" ] && [ "$rsp1" != "$R2" ] || bad "no CMAC tuple with CMAC_PN 0 in frames $req and $rsp"
    if "$RW" insert "$P/air.pcap" "$D/again1.pcap" "$rsp" "$req1" &&
        "$RW" insert "$D/again1.pcap" "$D/again.pcap" "$((rsp + 1))" "$rsp1"; then
        "$T" decode "$D/again.pcap" | grep -q "^$((rsp + 2)) RNG-RSP .*cmac_pn=256" && ok ||
            bad "the RNG-RSP's copy is not where it goes"

        same "the handover's RNG-REQ again" "$("$T" analyze "$D/again.pcap" --json | sed 's/.*"anomalies": //')" "[]}"
    else
        bad "could not make the RNG-REQ retransmission capture"
    fi
    ireq=$(frame_of ' RNG-REQ .*ranging_purpose=0' 1)
    irsp=$(frame_of ' RNG-RSP .*ranging_status=3' 1)
    if E1=$(cut_record "$P/air.pcap" "$ireq") && E2=$(cut_record "$P/air.pcap" "$irsp") &&
        "$RW" insert "$P/air.pcap" "$D/entry1.pcap" 600 "$E1" && "$RW" insert "$D/entry1.pcap" "$D/entry2.pcap" 601 "$E2" &&
        "$RW" insert "$D/entry2.pcap" "$D/entry3.pcap" 602 "$req1" && "$RW" insert "$D/entry3.pcap" "$D/entry.pcap" 603 "$rsp1"; then
        same "a count again after an entry" "$("$T" analyze "$D/entry.pcap" --json | sed 's/.*"anomalies": //')" "[]}"
    else
        bad "could not make the re-entry capture"
    fi
    # (3) tek-on-air: the entry's Key-Reply again, inside the first (counter) handover
    hoind=$(frame_of ' MOB-HO-IND ' 1)
    kr=$(frame_of ' PKM-RSP .*code=24 ' 1)
    if R3=$(cut_record "$P/air.pcap" "$kr") && "$RW" insert "$P/air.pcap" "$D/tek.pcap" "$hoind" "$R3"; then
        got=$("$T" analyze "$D/tek.pcap" "$@" --json | sed 's/.*"anomalies": //')
        # the copy is a replay too (the entry's CMAC_PN again)
        same "tek-on-air" "$got" "[{\"kind\": \"replayed-mgmt\", \"ms\": \"02:74:6b:00:00:00\", \"frames\": [$kr, $((hoind + 1))], \"detail\": \"PKM-RSP with CMAC_PN 2 again (CMAC_KEY_COUNT 0)\"}, {\"kind\": \"tek-on-air\", \"ms\": \"02:74:6b:00:00:00\", \"frames\": [$((hoind + 1))], \"detail\": \"PKM-RSP carries 2 TEK parameters in a counter handover\"}]}"
    else
        bad "could not make the TEK-on-air capture"
    fi
else
    bad "could not make the replay capture"
fi

# ---- the report: data always, plots with gnuplot
"$T" analyze "$P/air.pcap" "$@" --report "$D/report" >/dev/null 2>"$D/report.err"
same "report exit status" "$?" 0
for f in timeline-1.dat cdf_ul.dat cdf_dl.dat cdf_union.dat; do
    [ -s "$D/report/$f" ] && ok || bad "report: no $f"
done
same "report: CDF rows" "$(grep -vc '^#' "$D/report/cdf_union.dat")" 2
if command -v gnuplot >/dev/null 2>&1; then
    [ -s "$D/report/cdf.png" ] && [ -s "$D/report/timeline-1.png" ] && ok || bad "report: no plots ($(cat "$D/report.err"))"
else
    grep -q 'gnuplot is not installed' "$D/report.err" && ok || bad "report: no warning without gnuplot"
fi

echo "test_analyze: $pass passed, $fail failed"
[ "$fail" = 0 ]
