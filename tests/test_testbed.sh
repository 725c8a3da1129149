#!/bin/sh
# test_testbed: the daemons for real (issue 12's first "done when"): tekho
# testbed --bs 7 --ms 40 --duration 30 --schemes counter,baseline-update
# completes handovers under both schemes with every security counter and
# invariant 0, its p50 within one frame (5 ms) of the emulator's on the same
# parameters, counter ahead of baseline-update; and (as root, with tshark)
# UDP 2231 on loopback carries only DTLS, which the key log lets Wireshark
# decrypt into ASN-CP messages (HO_Req, Context_Req ...), and nothing without.
#
# usage: test_testbed.sh TEKHO JSON_CHECK [sanitized]
# With "sanitized" (the ASan build, several times slower) the timing checks
# are skipped: real time is what it measures.
set -eu
T=$1
J=$2
SANITIZED=${3:-}
tmp=$(mktemp -d)
cap_pid=
cleanup() {
    [ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "test_testbed: FAIL: $*" >&2
    exit 1
}
val() { "$J" -p "$1" < "$tmp/out.json" || fail "no $1 in the JSON"; }

capture=no
if [ "$(id -u)" = 0 ] && command -v tshark >/dev/null 2>&1; then
    tshark -i lo -f 'udp port 2231' -w "$tmp/backbone.pcapng" -q 2> "$tmp/tshark.log" &
    cap_pid=$!
    # tshark is ready when it says it is capturing
    for _ in $(seq 1 100); do
        grep -q "Capturing on" "$tmp/tshark.log" 2>/dev/null && break
        sleep 0.1
    done
    capture=yes
else
    echo "test_testbed: not root or no tshark: the capture of UDP 2231 is not checked"
fi

"$T" testbed --bs 7 --ms 40 --duration 30 --schemes counter,baseline-update --keylog "$tmp/keys.log" --json \
    > "$tmp/out.json" 2> "$tmp/err.txt" || { cat "$tmp/err.txt" >&2; fail "tekho testbed exited $?"; }
"$J" < "$tmp/out.json" || fail "the JSON does not parse"

for s in counter baseline-update; do
    [ "$(val processes.$s.ok)" = true ] || fail "$s: a process failed: $(val processes.$s.error 2>/dev/null || true)"
    n=$(val schemes.$s.handovers.completed)
    [ "$n" -ge 10 ] || fail "$s: only $n handovers completed"
    for k in security.insecure security.replayed_pdus_accepted security.forged_pdus_accepted security.pn_reuse \
             security.tek_mismatch_after_ho invariants.n_decreased invariants.m_decreased; do
        [ "$(val schemes.$s.$k)" = 0 ] || fail "$s: $k is $(val schemes.$s.$k)"
    done
    [ "$(val processes.$s.dtls.handshakes_failed)" = 0 ] || fail "$s: a DTLS handshake failed"
    echo "test_testbed: $s: $n handovers, union p50 $(val schemes.$s.interruption_ms.union.p50) ms" \
         "(emulator $(val emulator.$s.interruption_ms.union.p50)), frame timing errors" \
         "$(val processes.$s.frame_timing_errors)"
done

if [ -z "$SANITIZED" ]; then
    # within a frame of the emulator, and counter ahead (awk: floats)
    for s in counter baseline-update; do
        awk -v t="$(val schemes.$s.interruption_ms.union.p50)" -v e="$(val emulator.$s.interruption_ms.union.p50)" \
            'BEGIN { d = t - e; exit !(d <= 5 && d >= -5) }' || fail "$s: testbed p50 more than 5 ms from the emulator's"
    done
    awk -v c="$(val schemes.counter.interruption_ms.union.p50)" \
        -v b="$(val schemes.baseline-update.interruption_ms.union.p50)" 'BEGIN { exit !(c < b) }' \
        || fail "counter does not beat baseline-update on the testbed"
fi

if [ "$capture" = yes ]; then
    sleep 1
    kill -INT "$cap_pid"
    wait "$cap_pid" 2>/dev/null || true
    cap_pid=
    total=$(tshark -n -r "$tmp/backbone.pcapng" 2>/dev/null | wc -l)
    [ "$total" -gt 100 ] || fail "only $total datagrams captured on UDP 2231"
    notdtls=$(tshark -n -r "$tmp/backbone.pcapng" -d udp.port==2231,dtls -Y 'not dtls' 2>/dev/null | wc -l)
    [ "$notdtls" = 0 ] || fail "$notdtls datagrams on UDP 2231 are not DTLS"
    # Wireshark decrypts the records with the key log and dissects them
    # as ASN-CP (the dtls.port table has no "Decode As" entry for it: a
    # line of Lua adds one, as the README says). Wireshark 4.2 and later
    # run no Lua for root: run as nobody on copies it can read.
    cat > "$tmp/asncp-in-dtls.lua" <<'EOF'
DissectorTable.get("dtls.port"):add(2231, Dissector.get("wimaxasncp"))
EOF
    chmod 755 "$tmp"
    chmod 644 "$tmp/backbone.pcapng" "$tmp/keys.log" "$tmp/asncp-in-dtls.lua"
    as_nobody() {
        if command -v runuser >/dev/null 2>&1; then runuser -u nobody -- "$@"; else su -s /bin/sh nobody -c "$*"; fi
    }
    as_nobody tshark -n -r "$tmp/backbone.pcapng" -X "lua_script:$tmp/asncp-in-dtls.lua" \
        -o "tls.keylog_file:$tmp/keys.log" -d udp.port==2231,dtls -Y wimaxasncp > "$tmp/asncp.txt" 2>/dev/null || true
    asncp=$(wc -l < "$tmp/asncp.txt")
    for m in HO_Req HO_Rsp Context_Req Context_Rpt HO_Complete; do
        grep -q "$m" "$tmp/asncp.txt" || fail "no $m among the $asncp decrypted ASN-CP messages"
    done
    blind=$(as_nobody tshark -n -r "$tmp/backbone.pcapng" -X "lua_script:$tmp/asncp-in-dtls.lua" \
        -d udp.port==2231,dtls -Y wimaxasncp 2>/dev/null | wc -l)
    [ "$blind" = 0 ] || fail "$blind ASN-CP messages readable without the key log"
    echo "test_testbed: UDP 2231: $total datagrams, all DTLS; with the key log $asncp ASN-CP messages, without 0"
fi
echo "test_testbed: ok"
