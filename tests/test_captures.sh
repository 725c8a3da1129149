#!/bin/sh
# Captures tekho did not write, and tekho's own in every link layer:
# - ns-3's WiMAX captures (tests/captures/ns3, made by tests/ns3/
#   make_captures.sh, Ethernet with the M2M ethertype, as ns-3 writes
#   them) decode with every PDU named, none left as MGMT-n, and frame by
#   frame the same names and CIDs as tshark's dissection, with Wireshark's
#   default wmx.basic_cid_max and with ns-3's CID layout (21760);
# - `tekho sim` captures rewritten (rewrite_capture) with other IPv4
#   addresses, IPv6, one and two VLAN tags, Linux SLL and SLL2, raw IP,
#   another UDP port (--asncp-port), foreign traffic mixed in and as pcapng
#   (backbone), and as M2M with fragments (air) decode to the same messages
#   as the original, with the other traffic counted as skipped; tshark
#   agrees frame by frame on the air rewrites and on the backbone ones.
# usage: test_captures.sh TEKHO REWRITE_CAPTURE NS3_CAPTURES DIR
#   exit 77 (skipped) when only the tshark comparisons could not run.
set -u
[ $# -eq 4 ] || { echo "usage: test_captures.sh TEKHO REWRITE_CAPTURE NS3_CAPTURES DIR" >&2; exit 2; }
T=$1
RW=$2
NS3=$3
D=$4
COMPARE=$(cd "$(dirname "$0")" && pwd)/pdu_compare.sh
rm -rf "$D" && mkdir -p "$D" || { echo "FAIL: mkdir $D" >&2; exit 1; }
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
same() { # same WHAT GOT WANT
    if [ "$2" = "$3" ]; then ok; else bad "$1: got
$2
want
$3"; fi
}
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
have_tshark=no
command -v tshark >/dev/null 2>&1 && have_tshark=yes
# compare FILE [MAX]: tekho and tshark agree frame by frame
compare() {
    [ $have_tshark = yes ] || return 0
    if out=$("$COMPARE" "$T" "$@" 2>&1); then ok; else bad "$out"; fi
}

# ---- ns-3's captures, as ns-3 wrote them
n=0
for f in "$NS3"/*.pcap; do
    [ -r "$f" ] || continue
    n=$((n + 1))
    name=$(basename "$f" .pcap)
    out=$("$T" decode "$f")
    same "$name: decode exit status" "$?" 0
    same "$name: no MGMT-n" "$(printf '%s\n' "$out" | grep -c ' MGMT-')" 0
    sum=$(printf '%s\n' "$out" | tail -n 1)
    same "$name: nothing skipped, no read error" "$(value skipped "$sum") $(value errors "$sum")" "0 0"
    for t in DL-MAP UL-MAP UCD DCD RNG-REQ RNG-RSP "BR AGGREGATE" Data; do
        printf '%s\n' "$out" | grep -q "^[0-9]* $t " && ok || bad "$name: no $t"
    done
    # Management on the primary CIDs (21761..43520 in ns-3) only when told
    with=$("$T" decode "$f" --basic-cid-max 21760 | grep -c ' DSA-REQ ')
    without=$(printf '%s\n' "$out" | grep -c ' DSA-REQ ')
    [ "$with" -gt 0 ] && [ "$without" = 0 ] && ok || bad "$name: DSA-REQ with and without --basic-cid-max: $with $without"
    compare "$f"
    compare "$f" 21760
done
[ "$n" -ge 4 ] && ok || bad "only $n ns-3 captures in $NS3"

# ---- tekho's own captures, rewritten
P="$D/sim"
if ! "$T" sim --scenario normal --scheme counter --pcap "$P" >/dev/null; then
    bad "sim --pcap"
    echo "test_captures: $pass passed, $fail failed"
    exit 1
fi
# shellcheck disable=SC2046
set -- $(cat "$P/decode-args")
strip() { sed '$d' | cut -d' ' -f2-; } # the messages without frame numbers
ref_bb=$("$T" decode "$P/backbone.pcap")
records=$(printf '%s\n' "$ref_bb" | sed '$d' | wc -l)
for m in ipv4 ipv6 vlan qinq sll sll2 raw mixed pcapng port; do
    if ! "$RW" "$m" "$P/backbone.pcap" "$D/bb-$m.pcap"; then
        bad "rewrite_capture $m"
        continue
    fi
    port=""
    [ $m = port ] && port="--asncp-port 7000"
    # shellcheck disable=SC2086
    got=$("$T" decode "$D/bb-$m.pcap" $port)
    same "backbone $m: messages" "$(printf '%s\n' "$got" | strip)" "$(printf '%s\n' "$ref_bb" | strip)"
    skipped=0
    [ $m = mixed ] && skipped=$((5 * records))
    same "backbone $m: summary" "$(printf '%s\n' "$got" | tail -n 1)" \
        "$(printf '%s\n' "$ref_bb" | tail -n 1 | sed "s/skipped=0/skipped=$skipped/")"
    if [ $have_tshark = yes ] && [ $m != port ]; then
        n=$(tshark -n -r "$D/bb-$m.pcap" -Y wimaxasncp -T fields -e frame.number 2>/dev/null | wc -l)
        same "backbone $m: tshark's ASN-CP messages" "$n" "$records"
    fi
done
# the port is not ASN-CP's: all skipped
sum=$("$T" decode "$D/bb-port.pcap" 2>/dev/null | tail -n 1)
same "backbone port without --asncp-port" "$(value messages "$sum") $(value skipped "$sum")" "0 $records"

ref_air=$("$T" decode "$P/air.pcap" "$@")
for m in m2m m2m-frag; do
    if ! "$RW" "$m" "$P/air.pcap" "$D/air-$m.pcap"; then
        bad "rewrite_capture $m"
        continue
    fi
    got=$("$T" decode "$D/air-$m.pcap" "$@")
    same "air $m: messages" "$(printf '%s\n' "$got" | strip)" "$(printf '%s\n' "$ref_air" | strip)"
    sum=$(printf '%s\n' "$got" | tail -n 1)
    same "air $m: summary" "$(printf '%s\n' "$sum" | sed 's/ skipped=[0-9]*//')" \
        "$(printf '%s\n' "$ref_air" | tail -n 1 | sed 's/ skipped=[0-9]*//')"
    compare "$D/air-$m.pcap"
done
# analyze finds the same handovers in the rewrites (frame numbers aside)
noframes() { sed 's/"left_frame": [0-9]*, //g; s/"resumed_frames": {[^}]*}, //g'; }
same "analyze on M2M fragments and IPv6" \
    "$("$T" analyze "$D/air-m2m-frag.pcap" "$D/bb-ipv6.pcap" "$@" --json | noframes)" \
    "$("$T" analyze "$P/air.pcap" "$P/backbone.pcap" "$@" --json | noframes)"
# one PDU burst a record keeps the frame numbers too
same "air m2m: frames" "$("$T" decode "$D/air-m2m.pcap" "$@")" "$ref_air"
compare "$P/air.pcap"

if [ $have_tshark = no ]; then
    echo "test_captures: $pass passed, $fail failed (tshark missing: comparisons skipped)"
    [ "$fail" = 0 ] || exit 1
    exit 77
fi
echo "test_captures: $pass passed, $fail failed"
[ "$fail" = 0 ]
