#!/bin/sh
# The capture-to-decode workflow: `tekho sim --scenario normal --scheme S
# --pcap DIR` leaves DIR/decode-args (and DIR/msk, both mode 0600, the MSK
# only in the key file) so that `tekho decode DIR/air.pcap $(cat
# DIR/decode-args)` verifies every CMAC and opens every encrypted PDU, for
# every scheme; baseline-full needs every MSK of its re-authentications.
# Copies with one byte changed in a CMAC-protected message and in an
# encrypted PDU (CRC made right again, so only the CMAC and the ICV can
# tell) give cmac=bad and decrypt=bad, and --strict exits 1 on them and on
# a malformed PDU. An empty capture, a missing file and an 802.11 capture
# are reported by name. Wireshark (scripts/tshark-check.sh) still
# dissects every capture. The README's decode walk-through shows real
# output: its commands are the ones run here and each output line it shows
# is one decode prints.
# usage: test_decode.sh TEKHO FLIP_CAPTURE DIR README.md
#   exit 77 (skipped) when only the Wireshark checks could not run.
set -u
[ $# -eq 4 ] || { echo "usage: test_decode.sh TEKHO FLIP_CAPTURE DIR README.md" >&2; exit 2; }
T=$1
FLIP=$2
D=$3
README=$4
CHECK=$(cd "$(dirname "$0")/.." && pwd)/scripts/tshark-check.sh
rm -rf "$D" && mkdir -p "$D" || { echo "FAIL: mkdir $D" >&2; exit 1; }
D=$(cd "$D" && pwd)
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
# value NAME SUMMARY: NAME's number in a summary line
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

SCHEMES="none counter baseline-early baseline-update baseline-challenge baseline-full reuse"
BSIDS=000000000001000000000002000000000003

# ---- every scheme, scenario normal: all verified, all opened, nothing bad
for s in $SCHEMES; do
    P="$D/$s"
    if ! "$T" sim --scenario normal --scheme "$s" --pcap "$P" >/dev/null; then
        bad "sim --scheme $s --pcap"
        continue
    fi
    same "$s: decode-args" "$(cat "$P/decode-args")" \
        "--msk-file $P/msk --ms-mac 02:74:6b:00:00:00 --bsid $BSIDS --said 1"
    same "$s: decode-args and msk are private" "$(stat -c %a "$P/decode-args") $(stat -c %a "$P/msk")" "600 600"
    # baseline-full re-authenticates at both handovers: three MSKs
    n=1
    [ "$s" = baseline-full ] && n=3
    same "$s: MSKs in the key file" "$(tr -d '\n' <"$P/msk" | wc -c)" $((128 * n))
    grep -qE '[0-9a-f]{64}' "$P/decode-args" && bad "$s: decode-args holds key material" || ok
    # shellcheck disable=SC2046
    out=$("$T" decode "$P/air.pcap" $(cat "$P/decode-args") 2>"$P/stderr")
    rc=$?
    same "$s: decode exit status" "$rc" 0
    same "$s: decode stderr" "$(cat "$P/stderr")" ""
    sum=$(printf '%s\n' "$out" | tail -n 1)
    body=$(printf '%s\n' "$out" | sed '$d')
    # Every message with a CMAC (tuple or digest) verified, every
    # encrypted PDU opened, nothing bad, malformed or unchecked.
    with_cmac=$(printf '%s\n' "$body" | grep -c 'cmac_tuple=\|cmac_pn=')
    encrypted=$(printf '%s\n' "$body" | grep -c ' Data .* eks=')
    plain=$(printf '%s\n' "$body" | grep -c ' Data cid=[0-9]* payload_len=')
    same "$s: no bad" "$(printf '%s\n' "$body" | grep -c '=bad\|error=')" 0
    same "$s: cmac=ok lines" "$(printf '%s\n' "$body" | grep -c ' cmac=ok$\| cmac=ok ')" "$with_cmac"
    same "$s: decrypt=ok lines" "$(printf '%s\n' "$body" | grep -c ' decrypt=ok$')" "$encrypted"
    same "$s: summary" "$sum" "summary: messages=$(printf '%s\n' "$body" | wc -l) cmac_ok=$with_cmac cmac_bad=0 cmac_absent=4 cmac_unchecked=0 decrypt_ok=$encrypted decrypt_bad=0 decrypt_unchecked=0 malformed=0 errors=0 skipped=0"
    [ "$with_cmac" -ge 10 ] && ok || bad "$s: only $with_cmac messages with a CMAC"
    if [ "$s" = none ]; then
        same "none: nothing encrypted" "$encrypted" 0
        [ "$plain" -gt 500 ] && ok || bad "none: only $plain plain data PDUs"
    else
        same "$s: no plain data" "$plain" 0
        [ "$encrypted" -gt 500 ] && ok || bad "$s: only $encrypted encrypted PDUs"
    fi
    # --strict on a clean capture, and the backbone capture with the same keys
    # shellcheck disable=SC2046
    "$T" decode "$P/air.pcap" $(cat "$P/decode-args") --strict >/dev/null 2>&1
    same "$s: --strict on a clean capture" "$?" 0
    # shellcheck disable=SC2046
    bb=$("$T" decode "$P/backbone.pcap" $(cat "$P/decode-args") --strict | tail -n 1)
    same "$s: backbone decodes" "$(value malformed "$bb") $(value errors "$bb")" "0 0"
    [ "$(value messages "$bb")" -gt 0 ] && ok || bad "$s: backbone has no messages"
done

# The exact figures of the README's walk-through (counter).
P="$D/counter"
# shellcheck disable=SC2046
sum=$("$T" decode "$P/air.pcap" $(cat "$P/decode-args") | tail -n 1)
same "counter: summary figures" "$sum" "summary: messages=731 cmac_ok=15 cmac_bad=0 cmac_absent=4 cmac_unchecked=0 decrypt_ok=712 decrypt_bad=0 decrypt_unchecked=0 malformed=0 errors=0 skipped=0"
# JSON Lines: an object per message, then the summary object, same figures
# shellcheck disable=SC2046
js=$("$T" decode "$P/air.pcap" $(cat "$P/decode-args") --json)
same "counter: JSON summary" "$(printf '%s\n' "$js" | tail -n 1)" '{"summary": {"messages": 731, "cmac_ok": 15, "cmac_bad": 0, "cmac_absent": 4, "cmac_unchecked": 0, "decrypt_ok": 712, "decrypt_bad": 0, "decrypt_unchecked": 0, "malformed": 0, "errors": 0, "skipped": 0}}'
same "counter: JSON objects per message" "$(printf '%s\n' "$js" | grep -c '^{"frame": [0-9]*, "type": ')" 731
same "counter: JSON booleans" "$(printf '%s\n' "$js" | grep -c '"crc": true')" 712

# baseline-full with only the entry MSK: the messages under the
# re-authentications' AKs are bad, and decode says which AK is missing.
P="$D/baseline-full"
head -c 128 "$P/msk" >"$D/entry-msk"
out=$("$T" decode "$P/air.pcap" --msk-file "$D/entry-msk" --ms-mac 02:74:6b:00:00:00 --bsid $BSIDS --said 1 \
      2>"$D/stderr" | tail -n 1)
[ "$(value cmac_bad "$out")" -gt 0 ] && [ "$(value decrypt_bad "$out")" -gt 0 ] && ok ||
    bad "baseline-full with one MSK should fail: $out"
grep -q '^tekho decode: frame [0-9]*: its AKID comes from none of the MSKs and BSIDs given' "$D/stderr" && ok ||
    bad "baseline-full with one MSK: no note of the unknown AKID"

# ---- corrupted copies of the counter capture
P="$D/counter"
# shellcheck disable=SC2046
set -- $(cat "$P/decode-args")
clean=$("$T" decode "$P/air.pcap" "$@")
# the first message with a CMAC tuple (its CMAC value ends 5 bytes before
# the PDU's end, before the CRC-32) and the first encrypted PDU (byte 10:
# the first ciphertext byte after the header and the PN)
fc=$(printf '%s\n' "$clean" | grep 'cmac_tuple=' | head -n 1 | cut -d' ' -f1)
fd=$(printf '%s\n' "$clean" | grep ' Data .* eks=' | head -n 1 | cut -d' ' -f1)
if "$FLIP" "$P/air.pcap" "$D/corrupt.pcap" "$fc:-5" "$fd:10"; then
    out=$("$T" decode "$D/corrupt.pcap" "$@")
    same "corrupt: bad lines" "$(printf '%s\n' "$out" | grep '=bad' | cut -d' ' -f1,2 | tr '\n' ' ')" "$fd Data $fc MOB-MSHO-REQ "
    same "corrupt: the CMAC" "$(printf '%s\n' "$out" | grep "^$fc " | grep -o 'cmac=[a-z]*')" "cmac=bad"
    same "corrupt: the PDU" "$(printf '%s\n' "$out" | grep "^$fd " | grep -o 'decrypt=[a-z]*')" "decrypt=bad"
    same "corrupt: summary" "$(printf '%s\n' "$out" | tail -n 1)" "summary: messages=731 cmac_ok=14 cmac_bad=1 cmac_absent=4 cmac_unchecked=0 decrypt_ok=711 decrypt_bad=1 decrypt_unchecked=0 malformed=0 errors=0 skipped=0"
    "$T" decode "$D/corrupt.pcap" "$@" >/dev/null
    same "corrupt: exit status" "$?" 0
    "$T" decode "$D/corrupt.pcap" "$@" --strict >/dev/null
    same "corrupt: --strict exit status" "$?" 1
    "$T" decode "$D/corrupt.pcap" "$@" --strict --json >/dev/null
    same "corrupt: --strict --json exit status" "$?" 1
else
    bad "flip_capture (CMAC and ICV)"
fi
# each on its own
if "$FLIP" "$P/air.pcap" "$D/corrupt_cmac.pcap" "$fc:-5" && "$FLIP" "$P/air.pcap" "$D/corrupt_pdu.pcap" "$fd:10"; then
    "$T" decode "$D/corrupt_cmac.pcap" "$@" --strict >/dev/null
    same "corrupt CMAC only: --strict" "$?" 1
    "$T" decode "$D/corrupt_pdu.pcap" "$@" --strict >/dev/null
    same "corrupt PDU only: --strict" "$?" 1
else
    bad "flip_capture (one each)"
fi
# a malformed PDU (a header byte: bad HCS), keys or not
if "$FLIP" "$P/air.pcap" "$D/malformed.pcap" "$fd:1"; then
    out=$("$T" decode "$D/malformed.pcap" --strict)
    rc=$?
    same "malformed: --strict without keys" "$rc $(value malformed "$(printf '%s\n' "$out" | tail -n 1)")" "1 1"
    same "malformed: named" "$(printf '%s\n' "$out" | grep "^$fd ")" "$fd MAC PDU error=\"bad HCS\""
    "$T" decode "$D/malformed.pcap" >/dev/null
    same "malformed: exit status without --strict" "$?" 0
else
    bad "flip_capture (header)"
fi

# ---- an empty capture, a missing file, another link type
head -c 24 "$D/counter/air.pcap" >"$D/empty.pcap"
out=$("$T" decode "$D/empty.pcap" --strict 2>"$D/stderr")
same "empty: exit status" "$?" 0
same "empty: summary" "$out" "summary: messages=0 cmac_ok=0 cmac_bad=0 cmac_absent=0 cmac_unchecked=0 decrypt_ok=0 decrypt_bad=0 decrypt_unchecked=0 malformed=0 errors=0 skipped=0"
same "empty: says so" "$(cat "$D/stderr")" "tekho decode: $D/empty.pcap: no messages (the capture has no records)"
out=$("$T" decode "$D/nosuch.pcap" 2>"$D/stderr")
same "missing: exit status" "$?" 1
same "missing: message" "$out$(cat "$D/stderr")" "tekho decode: $D/nosuch.pcap: No such file or directory"
same "missing: JSON" "$("$T" decode "$D/nosuch.pcap" --json 2>/dev/null)" "{\"error\": \"$D/nosuch.pcap: No such file or directory\"}"
# classic pcap, little-endian, snaplen 65535, LINKTYPE_IEEE802_11 (105)
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\151\000\000\000' >"$D/wlan.pcap"
"$T" decode "$D/wlan.pcap" >/dev/null 2>"$D/stderr"
same "802.11: exit status" "$?" 1
same "802.11: message" "$(cat "$D/stderr")" "tekho decode: $D/wlan.pcap: link type 105 (LINKTYPE_IEEE802_11, 802.11) is not one tekho reads (USER0, Ethernet, Linux SLL or SLL2, raw IP, loopback)"

# ---- the README's walk-through: its commands, and each line it shows
R="$D/readme"
SIM_CMD='$ build/tekho sim --scenario normal --scheme counter --pcap /tmp/tekho-demo'
DEC_CMD='build/tekho decode /tmp/tekho-demo/air.pcap $(cat /tmp/tekho-demo/decode-args)'
grep -qxF "$SIM_CMD" "$README" && ok || bad "README: no line '$SIM_CMD'"
grep -qxF "\$ $DEC_CMD" "$README" && ok || bad "README: no line '\$ $DEC_CMD'"
if "$T" sim --scenario normal --scheme counter --pcap "$R" >/dev/null; then
    # shellcheck disable=SC2046
    "$T" decode "$R/air.pcap" $(cat "$R/decode-args") >"$D/readme.out"
    sed "s#$R#/tmp/tekho-demo#" "$R/decode-args" >>"$D/readme.out"
    # the lines after "$ build/tekho cat|decode ..." up to the end of the block
    shown=$(awk -v a="\$ cat /tmp/tekho-demo/decode-args" '
        $0 == a { on = 1; next } on && /^```/ { exit } on && $0 != "..." && $0 !~ /^\$ / { print }' "$README")
    n=$(printf '%s\n' "$shown" | grep -c .)
    [ "$n" -ge 5 ] && ok || bad "README: only $n output lines in the walk-through"
    printf "%s\n" "$shown" | while IFS= read -r line; do
        [ -n "$line" ] || continue
        grep -qxF -- "$line" "$D/readme.out" || echo "$line"
    done >"$D/readme.missing"
    [ -s "$D/readme.missing" ] && bad "README lines decode does not print:
$(cat "$D/readme.missing")" || ok
else
    bad "sim for the README walk-through"
fi

# ---- Wireshark still dissects what sim captured
if ! command -v tshark >/dev/null 2>&1; then
    echo "test_decode: $pass passed, $fail failed (tshark missing: Wireshark checks skipped)"
    [ "$fail" = 0 ] || exit 1
    exit 77
fi
for s in $SCHEMES; do
    for f in air backbone; do
        if out=$("$CHECK" "$D/$s/$f.pcap" 2>&1); then ok; else bad "tshark-check $s/$f.pcap: $out"; fi
    done
done
# ... and, unlike decode, cannot see the changed CMAC (the CRC is right)
if out=$("$CHECK" "$D/corrupt_cmac.pcap" 2>&1); then ok; else bad "tshark-check corrupt_cmac.pcap: $out"; fi

echo "test_decode: $pass passed, $fail failed"
[ "$fail" = 0 ]
