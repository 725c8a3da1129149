#!/bin/sh
# The tekho command line: its outputs against the independent vectors, the
# exact output names, and every error path (exit 2 for a bad argument with
# a one-line message; exit 1 for a PDU that does not open), and the one
# grammar every command shares: --opt VALUE and --opt=VALUE, complete
# generated help, valid --json everywhere, options that do not fit a mode
# refused with a hint, one unit and one spelling per quantity, output paths
# created and checked before any work.
# usage: test_cli.sh TEKHO VECTOR_DIR JSON_CHECK
set -u
T=$1
V=$2
J=$3
ROWS=${TEKHO_CLI_ROWS:-40}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect STATUS CMD... : exit status and, for failures, exactly one stderr line
expect() {
    want=$1
    shift
    out=$("$@" 2>/tmp/tekho_cli_err.$$)
    got=$?
    lines=$(wc -l </tmp/tekho_cli_err.$$)
    if [ "$got" != "$want" ]; then
        bad "exit $got, want $want: $*"
    elif [ "$want" != 0 ] && [ "$lines" != 1 ]; then
        bad "want one stderr line, got $lines: $*"
    else
        ok
    fi
}
# same STRING CMD... : stdout equals STRING
same() {
    want=$1
    shift
    got=$("$@" 2>&1)
    if [ "$got" = "$want" ]; then ok; else bad "$*: got '$got', want '$want'"; fi
}
# reason TEXT CMD... : exits 1 and stderr names TEXT
reason() {
    want=$1
    shift
    "$@" >/dev/null 2>/tmp/tekho_cli_err.$$
    got=$?
    if [ "$got" = 1 ] && grep -q "$want" /tmp/tekho_cli_err.$$ && [ "$(wc -l </tmp/tekho_cli_err.$$)" = 1 ]; then
        ok
    else
        bad "want exit 1 with '$want', got $got '$(cat /tmp/tekho_cli_err.$$)': $*"
    fi
}

MSK=3d8bfc43c8004afb0ff83b6a30ee7d6cbf93b076b93653e9627fe47aef9cb384caa55b812aad2d7de554cf9eea8487a0f6f4b35fbddb2f232b771d2f71fdda94
K16=00112233445566778899aabbccddeeff

# --- the vendor vector, exact output format (profile section 9)
same "PMK=ea8487a0f6f4b35fbddb2f232b771d2f71fdda94
AK=d7eaa9683c377b76a2385b8454b57ae7c9ad3224
AKID=3b7e354a44b25806
CMAC_PREKEY_U=6b72126de9c3985068a34f96b3a59e68
CMAC_PREKEY_D=15e5563e1e43a2a23bcc60e692b0006b
KEK=e09389b8f3391dfec8a99af41da147b9
CMAC_KEY_U=f6eed12d93c37271bdb384449cb62467
CMAC_KEY_D=c0f5e67ca3b7e3c31de4222a25836b2b" "$T" keys --msk $MSK --ms-mac 001B11C9D50C --bsid 000000000005
same '{"PMK": "ea8487a0f6f4b35fbddb2f232b771d2f71fdda94", "AK": "d7eaa9683c377b76a2385b8454b57ae7c9ad3224", "AKID": "3b7e354a44b25806", "CMAC_PREKEY_U": "6b72126de9c3985068a34f96b3a59e68", "CMAC_PREKEY_D": "15e5563e1e43a2a23bcc60e692b0006b", "KEK": "e09389b8f3391dfec8a99af41da147b9", "CMAC_KEY_U": "f6eed12d93c37271bdb384449cb62467", "CMAC_KEY_D": "c0f5e67ca3b7e3c31de4222a25836b2b"}' \
    "$T" keys --json --msk $MSK --ms-mac 001b11c9d50c --bsid=000000000005 --ckc 0 --pmk-sn 0x0
# MAC addresses with or without colons, as decode prints them: the same keys
same "$("$T" keys --msk $MSK --ms-mac 001b11c9d50c --bsid 000000000005)" \
    "$T" keys --msk $MSK --ms-mac 00:1b:11:C9:d5:0c --bsid 000000000005
expect 2 "$T" keys --msk $MSK --ms-mac 00:1b:11:c9:d5 --bsid 000000000005       # five bytes
expect 2 "$T" keys --msk $MSK --ms-mac 00-1b-11-c9-d5-0c --bsid 000000000005    # not colons
expect 2 "$T" keys --msk $MSK --ms-mac 001b:11c9:d50c --bsid 000000000005      # colons misplaced
expect 2 "$T" keys --msk $MSK --ms-mac 00:1b:11:c9:d5:0g --bsid 000000000005    # not hex

# --- key material from a file or standard input (--NAME-file PATH, - for
# stdin), kept off the command line: byte for byte the output of the
# argument form; a file that cannot be read: exit 2, one line naming it
F=/tmp/tekho_cli_keyfile.$$
KEK=e09389b8f3391dfec8a99af41da147b9
# from_file DESC CMD...: CMD's stdout, stderr and status equal those of the
# last run into $F.want (stdin from $F.in)
from_file() {
    desc=$1
    shift
    "$@" <"$F.in" >"$F.got" 2>&1
    echo "exit $?" >>"$F.got"
    if cmp -s "$F.want" "$F.got"; then ok; else bad "$desc: output differs from the argument form: $*"; fi
}
want() {
    "$@" >"$F.want" 2>&1
    echo "exit $?" >>"$F.want"
}
: >"$F.in"
printf '%s\n' $MSK >"$F.msk"
printf ' \t%s\r\n\n' $MSK >"$F.msk_spaced"
printf '%s' $KEK >"$F.kek"
printf '%s\n' $K16 >"$F.k16"
want "$T" keys --msk $MSK --ms-mac 001B11C9D50C --bsid 000000000005
grep -q '^KEK=e09389b8f3391dfec8a99af41da147b9$' "$F.want" && ok || bad "keys: the vendor vector's KEK"
from_file "--msk-file" "$T" keys --msk-file "$F.msk" --ms-mac 001B11C9D50C --bsid 000000000005
from_file "--msk-file=" "$T" keys --msk-file="$F.msk_spaced" --ms-mac 001B11C9D50C --bsid 000000000005
cp "$F.msk_spaced" "$F.in"
from_file "--msk-file -" "$T" keys --ms-mac 001B11C9D50C --bsid 000000000005 --msk-file -
want "$T" keys --json --msk $MSK --ms-mac 001B11C9D50C --bsid 000000000005 --ckc 3
from_file "--msk-file - --json" "$T" keys --json --msk-file - --ms-mac 001B11C9D50C --bsid 000000000005 --ckc 3
want "$T" tek --kek $KEK --ckc 1 --said 0x2a
from_file "--kek-file" "$T" tek --kek-file "$F.kek" --ckc 1 --said 0x2a
want "$T" kdf --key $KEK --astring 0102 --bits 256
from_file "--key-file" "$T" kdf --key-file "$F.kek" --astring 0102 --bits 256
want "$T" tek-wrap --kek $KEK --tek $K16 --suite 0x020104
W24=$(head -n 1 "$F.want")
from_file "--kek-file --tek-file" "$T" tek-wrap --kek-file "$F.kek" --tek-file "$F.k16" --suite 0x020104
want "$T" tek-unwrap --kek $KEK --wrapped "$W24" --suite 0x020104
grep -q "^$K16\$" "$F.want" && ok || bad "tek-unwrap: the TEK back"
from_file "tek-unwrap --kek-file" "$T" tek-unwrap --kek-file "$F.kek" --wrapped "$W24" --suite 0x020104
want "$T" pdu seal --tek $K16 --dir ul --pn 9 --cid 0x2b --eks 1 --crc --payload 00010203
SEALED=$(head -n 1 "$F.want")
from_file "pdu seal --tek-file" "$T" pdu seal --tek-file "$F.k16" --dir ul --pn 9 --cid 0x2b --eks 1 --crc --payload 00010203
want "$T" pdu open --tek $K16 --dir ul --pdu "$SEALED"
grep -q '^00010203$' "$F.want" && ok || bad "pdu open: the payload back"
cp "$F.k16" "$F.in"
from_file "pdu open --tek-file -" "$T" pdu open --tek-file - --dir ul --pdu "$SEALED"
# the argument form's errors, word for word
printf 'zz\n' >"$F.in"
want "$T" tek --kek zz --ckc 1 --said 1
from_file "not hex" "$T" tek --kek-file - --ckc 1 --said 1
printf '%s00\n' $KEK >"$F.in"
want "$T" tek --kek ${KEK}00 --ckc 1 --said 1
from_file "17 bytes" "$T" tek --kek-file - --ckc 1 --said 1
expect 2 "$T" tek --kek $KEK --kek-file "$F.kek" --ckc 1 --said 1                       # given twice
expect 2 "$T" tek-wrap --kek-file - --tek-file - --suite 0x020104 <"$F.k16"             # stdin twice
expect 2 "$T" keys --ms-mac-file "$F.msk" --bsid 000000000005 --msk $MSK                # not key material
expect 2 "$T" tek --kek-file --ckc 1 --said 1
"$T" tek --kek-file "$F.missing" --ckc 1 --said 1 >/dev/null 2>"$F.err"
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$F.err")" = 1 ] && grep -qF -- "--kek-file: cannot open '$F.missing'" "$F.err"; then
    ok
else
    bad "missing --kek-file: exit $rc, '$(cat "$F.err")'"
fi
expect 2 "$T" keys --msk-file /nonexistent/msk --ms-mac 001B11C9D50C --bsid 000000000005
"$T" tek --help | grep -q -- '--kek HEX | --kek-file PATH' && ok || bad "tek --help: --kek-file"
for cmd in kdf:key keys:msk tek:kek "pdu seal:tek" "pdu open:tek" tek-wrap:kek tek-wrap:tek tek-unwrap:kek decode:msk \
        decode:kek decode:tek; do
    # shellcheck disable=SC2086
    "$T" ${cmd%:*} --help | grep -q -- "--${cmd#*:}-file PATH" && ok || bad "${cmd%:*} --help: --${cmd#*:}-file"
done
rm -f "$F".*

# --- rows of the independent vectors through the command line
grep -v '^#' "$V/kdf.txt" | head -n "$ROWS" | while read -r key astring bits result; do
    [ "$astring" = - ] && astring=
    same "$result" "$T" kdf --key "$key" --astring "$astring" --bits "$bits" || exit 1
done || bad "kdf rows"
grep -v '^#' "$V/keys.txt" | awk '$5 < 16' | head -n "$ROWS" | while read -r msk mac bsid ckc sn pmk ak akid pu pd kek cu cd; do
    same "PMK=$pmk
AK=$ak
AKID=$akid
CMAC_PREKEY_U=$pu
CMAC_PREKEY_D=$pd
KEK=$kek
CMAC_KEY_U=$cu
CMAC_KEY_D=$cd" "$T" keys --msk "$msk" --ms-mac "$mac" --bsid "$bsid" --ckc "$ckc" --pmk-sn "$sn" || exit 1
done || bad "keys rows"
grep -v '^#' "$V/tek.txt" | head -n "$ROWS" | while read -r kek ckc said t0 t1; do
    same "TEK0=$t0
TEK1=$t1" "$T" tek --kek "$kek" --ckc "$ckc" --said "$said" || exit 1
done || bad "tek rows"
grep -v '^#' "$V/pdu.txt" | head -n "$ROWS" | while read -r tek dir pn cid eks crc payload pdu; do
    [ "$payload" = - ] && payload=
    flag=
    [ "$crc" = 1 ] && flag=--crc
    same "$pdu" "$T" pdu seal --tek "$tek" --dir "$dir" --pn "$pn" --cid "$cid" --eks "$eks" $flag --payload "$payload" || exit 1
    same "$payload" "$T" pdu open --tek "$tek" --dir "$dir" --pdu "$pdu" || exit 1
done || bad "pdu rows"
grep -v '^#' "$V/wrap.txt" | head -n "$ROWS" | while read -r suite kek tek wrapped; do
    same "$wrapped" "$T" tek-wrap --kek "$kek" --tek "$tek" --suite "$suite" || exit 1
    same "$tek" "$T" tek-unwrap --kek "$kek" --wrapped "$wrapped" --suite "$suite" || exit 1
done || bad "wrap rows"

# --- JSON names
R=$("$T" kdf --key $K16 --astring 00 --bits 64)
same "{\"result\": \"$R\"}" "$T" kdf --json --key $K16 --astring 00 --bits 64
"$T" tek --json --kek $K16 --ckc 1 --said 2 | grep -q '^{"TEK0": "[0-9a-f]\{32\}", "TEK1": "[0-9a-f]\{32\}"}$' && ok || bad "tek --json"
"$T" tek-wrap --json --kek $K16 --tek $K16 --suite 0x020104 | grep -q '^{"wrapped": "[0-9a-f]\{48\}"}$' && ok || bad "tek-wrap --json"

# --- pdu open: every reason
P=$("$T" pdu seal --tek $K16 --dir ul --pn 7 --cid 43 --eks 1 --crc --payload 0102030405060708)
PN=$("$T" pdu seal --tek $K16 --dir ul --pn 7 --cid 43 --eks 1 --payload 0102030405060708)
same 0102030405060708 "$T" pdu open --tek $K16 --dir ul --pdu "$P"
"$T" pdu open --json --tek $K16 --dir ul --pdu "$P" | grep -q '"payload": "0102030405060708", "pn": 7, "cid": 43, "eks": 1, "crc": true}$' && ok || bad "open --json"
flip() { # flip HEX OFFSET_BYTES MASK -> HEX with one byte changed
    head=$(printf '%s' "$1" | cut -c1-$((2 * $2)))
    byte=$(printf '%s' "$1" | cut -c$((2 * $2 + 1))-$((2 * $2 + 2)))
    tail=$(printf '%s' "$1" | cut -c$((2 * $2 + 3))-)
    printf '%s%02x%s' "$head" $((0x$byte ^ $3)) "$tail"
}
reason "bad HCS" "$T" pdu open --tek $K16 --dir ul --pdu "$(flip "$P" 5 1)"
reason "bad CRC" "$T" pdu open --tek $K16 --dir ul --pdu "$(flip "$P" 12 1)"
reason "bad ICV" "$T" pdu open --tek $K16 --dir ul --pdu "$(flip "$PN" 12 1)"
reason "bad ICV" "$T" pdu open --tek 00112233445566778899aabbccddeefe --dir ul --pdu "$PN"
reason "wrong direction bit" "$T" pdu open --tek $K16 --dir dl --pdu "$P"
reason "truncated" "$T" pdu open --tek $K16 --dir ul --pdu "$(printf '%s' "$P" | cut -c1-40)"
reason "truncated" "$T" pdu open --tek $K16 --dir ul --pdu 4040
reason "length mismatch" "$T" pdu open --tek $K16 --dir ul --pdu "${P}00"
reason "not encrypted" "$T" pdu open --tek $K16 --dir ul --pdu 0040260000a5040002060a1b2c3d4e5f050600aabbccddee06010107012a0d020005042cd2a2
"$T" pdu open --json --tek $K16 --dir dl --pdu "$P" 2>/dev/null | grep -q '^{"error": "wrong direction bit"}$' && ok || bad "open --json error"
reason "unwrap failed" "$T" tek-unwrap --kek $K16 --wrapped 1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe6 --suite 0x020104

# --- tekho sim: a scenario and a small emulator run, end to end
"$T" sim --scenario normal --scheme counter --json | grep -q '"scenario": "normal", "scheme": "counter", "seed": 1, "handovers": {"attempted": 2, "completed": 2, "cancelled": 0, "failed": 0, "executed": 2}' && ok || bad "sim scenario --json"
"$T" sim --scenario normal --scheme counter --json | grep -q '"interruption_ms": {"ul": {"n": 2, "censored": 0, "censored_at_end": 0, "min": 17.500, "p50": 17.500, "p99": 17.500, "max": 17.500, "mean": 17.500}, "dl": {"n": 2, .*}, "union": {"n": 2, "censored": 0, ' && ok || bad "sim scenario --json interruption_ms"
# M.2134: a second run under its assumptions, the only figure held against 27.5 ms
"$T" sim --scenario normal --scheme counter --json | grep -q '"m2134_ms": {"ul": {"n": 2, "censored": 0, "censored_at_end": 0, "min": 7.500, .*"union": {"n": 2, .*}, "verdict_p99": 15.000, "limit": 27.5, "verdict": "within"}' && ok || bad "sim scenario --json m2134_ms"
"$T" sim --scenario normal --scheme baseline-full --json | grep -q '"verdict_p99": 112.500, "limit": 27.5, "verdict": "over"}' && ok || bad "sim scenario baseline-full m2134 over"
"$T" sim --scenario normal --scheme baseline-full | grep -qx '  verdict_p99 112.5, limit 27.5, verdict over' && ok || bad "sim scenario text M.2134"
EMU=$("$T" sim --topology hex:7 --ms 10 --duration 10 --schemes none,counter --json)
printf '%s' "$EMU" | grep -q '"counter": {.*"m2134_ms": {"ul": {"n": [1-9][0-9]*, .*"verdict": "\(within\|over\)", "model": {"ul": 7.000, "dl": 15.000, "union": 15.000}}' && ok || bad "sim emulator m2134_ms"
printf '%s' "$EMU" | grep -q '"schemes": {"none": {"scheme": "none"' && ok || bad "sim emulator --json schemes"
printf '%s' "$EMU" | grep -q '"counter": {"scheme": "counter", "seed": 1, "replications": 10, "handovers": {"attempted": [1-9]' && ok || bad "sim emulator handovers"
# intervals beside every value, the model, the differences against counter, seeds seed .. seed + R - 1
printf '%s' "$EMU" | grep -q '"union": {"n": [1-9][0-9]*, "censored": [0-9]*, "censored_at_end": [0-9]*, "min": [0-9.]*, "p50": [0-9.]*, "p99": [0-9.]*, "max": [0-9.]*, "mean": [0-9.]*, "p50_ci95": \[[0-9.]*, [0-9.]*\], "p99_ci95": \[[0-9.]*, [0-9.]*\], "mean_ci95": \[[0-9.]*, [0-9.]*\]}' && ok || bad "sim emulator ci95"
printf '%s' "$EMU" | grep -q '"none": {.*"model_ms": {"ul": 17.000, "dl": 15.000, "union": 17.000}, .*"paired_vs_counter": {"union_mean_ms": {"diff": [-0-9.]*, "ci95": \[' && ok || bad "sim emulator model_ms and paired_vs_counter"
printf '%s' "$EMU" | grep -q '"replications": 10, "seeds": \[1, 10\], "ideal": false, ' && ok || bad "sim emulator params replications"
printf '%s' "$EMU" | grep -q '"mobility": {"handovers_per_ms_s": [0-9.]*, "crossings_per_ms_s": [0-9.]*, "fluid_flow_per_ms_s": 0.0101[0-9], "pingpong": [0-9]*, ' && ok || bad "sim emulator mobility"
printf '%s' "$EMU" | grep -q '"pingpong_rate": [0-9.]*, "returns": [1-9][0-9]*, "returns_rate": 0\.[0-9]*, "returns_5s": [0-9]*, "returns_5s_rate": [0-9.]*, "left_nearest": [1-9][0-9]*, "left_nearest_rate": 0\.[0-9]*, "time_off_nearest": 0\.[0-9]*}' && ok || bad "sim emulator mobility: returns, left_nearest, time_off_nearest"
printf '%s' "$EMU" | grep -q '"mobility": {"meas_alpha": 0.250, "hysteresis_db": 3.0, "ttt_ms": 160, "shadow_sigma_db": 6.0, "shadow_corr_m": 50, "shadow_site_corr": 0.50, ' && ok || bad "sim emulator params mobility"
# without shadowing the handovers follow the geometry: none leaves the nearest BS, none returns within 5 s
PLAIN=$("$T" sim --topology hex:7 --ms 10 --duration 10 --schemes none --replications 2 --shadow-db 0 --hysteresis-db 2 --shadow-corr-m 80 --json)
printf '%s' "$PLAIN" | grep -q '"returns_5s": 0, "returns_5s_rate": 0.0000, "left_nearest": 0, "left_nearest_rate": 0.0000, ' && ok || bad "sim --shadow-db 0: geometry alone"
printf '%s' "$PLAIN" | grep -q '"hysteresis_db": 2.0, "ttt_ms": 160, "shadow_sigma_db": 0.0, "shadow_corr_m": 80, ' && ok || bad "sim --shadow-db, --hysteresis-db, --shadow-corr-m in params"
expect 2 "$T" sim --topology hex:7 --shadow-db -1
expect 2 "$T" sim --topology hex:7 --shadow-corr-m 0
# --ideal: every scheme's p50 (and min and max) each way is its closed-form model's; one replication: no intervals
IDEAL=$("$T" sim --topology hex:7 --ms 10 --duration 10 --schemes none-late,baseline-full --ideal --replications 1 --json)
printf '%s' "$IDEAL" | grep -q '"none-late": {.*"interruption_ms": {"ul": {"n": [1-9][0-9]*, "censored": [0-9]*, "censored_at_end": [0-9]*, "min": 37.000, "p50": 37.000, "p99": 37.000, "max": 37.000, "mean": 37.000, "p50_ci95": null, ' && ok || bad "sim --ideal none-late"
printf '%s' "$IDEAL" | grep -q '"baseline-full": {.*"union": {"n": [1-9][0-9]*, [^}]*"p50": 287.000, [^}]*}}, "model_ms": {"ul": 287.000, "dl": 280.000, "union": 287.000}' && ok || bad "sim --ideal baseline-full = model"
# the EAP round trips are a parameter: two fewer, 30 ms less, and the model follows the run
EAP2=$("$T" sim --topology hex:7 --ms 10 --duration 10 --schemes baseline-full --ideal --replications 1 --eap-round-trips 2 --json)
printf '%s' "$EAP2" | grep -q '"baseline-full": {.*"union": {"n": [1-9][0-9]*, [^}]*"p50": 257.000, [^}]*}}, "model_ms": {"ul": 257.000, "dl": 250.000, "union": 257.000}' && ok || bad "sim --eap-round-trips 2 = model"
# a timing parameter moves the model and the measurement alike
"$T" sim --topology hex:7 --ms 10 --duration 10 --schemes none --ideal --replications 1 --sync-us 20000 --json | grep -q '"ul": {"n": [1-9][0-9]*, [^}]*"p50": 27.000, .*"model_ms": {"ul": 27.000,' && ok || bad "sim --sync-us"
expect 2 "$T" sim --topology hex:7 --replications 0
expect 2 "$T" sim --topology hex:7 --harq-bler 1000
printf '%s' "$EMU" | grep -q '"speed": {"handovers": [1-9][0-9]*, "runs": 40, "handovers_per_elapsed_s": [0-9]*, "handovers_per_thread_s": [0-9]*, "events_per_thread_s": [0-9]*, "peak_rss_mb": ' && ok || bad "sim emulator speed"
# the report: tables, plots (with gnuplot), message sequence charts (with
# mscgen) and captures that Wireshark decodes cleanly (with tshark)
R=/tmp/tekho_cli_report.$$
if "$T" sim --topology hex:7 --ms 10 --duration 10 --schemes none,counter --report "$R" --pcap "$R/pcap" >/dev/null 2>&1; then
    grep -q '^| counter | [1-9][0-9]* | ' "$R/report.md" && ok || bad "report.md comparison row"
    # the mobility paragraph: both rates, the ping-pongs, and the same moves without shadowing
    grep -q '^Mobility (none; the same moves for every scheme): 0\.[0-9]* handovers per MS and second against 0\.[0-9]* cell-boundary crossings .* ping-pong .* without it the same moves make 0\.[0-9]* handovers per MS and second .* went back to the BS the MS had left, .* within 5 s .* left the BS that was the nearest' "$R/report.md" && ok || bad "report.md mobility paragraph"
    # published figures beside the run's
    grep -q '^## Published figures$' "$R/report.md" && grep -q '^| .* | 27.5 ms at most | Report ITU-R M.2134 (2008), .* | counter under M.2134.s assumptions: p99 [0-9.]* ms (\(within\|over\)), ' "$R/report.md" && ok || bad "report.md published figures: M.2134"
    grep -q '^| .* | .*below 30 msec.* | IEEE 802.16 TGm contribution C802.16m-08/016r2 (2008), .* | data after RNG-RSP: baseline-update not run, .* counter p50 [0-9.]* ms' "$R/report.md" && ok || bad "report.md published figures: C802.16m-08/016r2"
    grep -q '<h2>Published figures</h2>' "$R/index.html" && ok || bad "index.html published figures"
    grep -q '<table' "$R/index.html" && ok || bad "index.html table"
    grep -q '^[0-9.]* [0-9.]*' "$R/cdf_counter.dat" && ok || bad "cdf_counter.dat"
    if command -v gnuplot >/dev/null 2>&1; then
        [ -s "$R/cdf.png" ] && [ -s "$R/backbone.png" ] && [ -s "$R/signalling.png" ] && ok || bad "report plots"
    fi
    if command -v mscgen >/dev/null 2>&1; then
        [ -s "$R/msc_counter.png" ] && ok || bad "report message sequence chart"
    fi
    grep -q 'MOB-HO-IND\|MOB_HO-IND' "$R/msc_counter.msc" && ok || bad "msc_counter.msc handover"
    if command -v tshark >/dev/null 2>&1; then
        for f in "$R"/pcap/*/air.pcap "$R"/pcap/*/backbone.pcap; do
            "$(dirname "$0")/../scripts/tshark-check.sh" "$f" >/dev/null 2>&1 && ok || bad "tshark-check $f"
        done
    fi
    [ -s "$R/pcap/counter/air.pcap" ] && ok || bad "report air capture"
    # decode with keys from files and stdin: the same lines as with keys on the command line
    A="$R/pcap/counter/air.pcap"
    printf '%s\n' $MSK >"$R/msk"
    printf '%s\n' $K16 >"$R/kek"
    "$T" decode "$A" --msk $MSK --ms-mac 001b11c9d50c --bsid 000000000005 --kek $K16 --tek $K16 >"$R/argv.txt" 2>&1
    printf '%s' $K16 | "$T" decode "$A" --msk-file "$R/msk" --ms-mac 001b11c9d50c --bsid 000000000005 \
        --kek-file "$R/kek" --tek-file - >"$R/file.txt" 2>&1
    [ -s "$R/argv.txt" ] && cmp -s "$R/argv.txt" "$R/file.txt" && ok || bad "decode --msk-file --kek-file --tek-file -"
else
    bad "sim --report"
fi
rm -rf "$R"
# The report directory is never parsed by a shell: a name with quotes, a
# space, a command substitution and a ; gets the whole report, and nothing
# runs (with a shell, the quotes would end the name and run touch).
W=$(mktemp -d "${TMPDIR:-/tmp}/tekho_cli_quote.XXXXXX")
Q="$W/q'\$(touch PWNED)'\"; x\""
if (cd "$W" && "$T" sim --topology hex:7 --ms 10 --duration 10 --schemes none,counter --report "$Q" >/dev/null 2>&1); then
    [ -s "$Q/report.md" ] && [ -s "$Q/index.html" ] && [ -s "$Q/cdf_counter.dat" ] && ok || bad "quoted --report: files"
    if command -v gnuplot >/dev/null 2>&1; then
        [ -s "$Q/cdf.png" ] && [ -s "$Q/signalling.png" ] && ok || bad "quoted --report: plots"
        grep -q 'gnuplot was not available' "$Q/report.md" && bad "quoted --report: says gnuplot is missing" || ok
    fi
    if command -v mscgen >/dev/null 2>&1; then
        [ -s "$Q/msc_counter.png" ] && ok || bad "quoted --report: message sequence chart"
    fi
else
    bad "sim --report into a quoted directory name"
fi
[ -z "$(find "$W" -name PWNED)" ] && [ ! -e PWNED ] && ok || bad "quoted --report: a shell ran touch PWNED"
[ -z "$(find "$Q" -name '.plot-*')" ] && ok || bad "quoted --report: gnuplot script file left behind"
rm -rf "$W"
# tekho sweep: one CSV row per point and scheme, a plot per swept parameter
S=/tmp/tekho_cli_sweep.$$
if "$T" sweep backbone-us=1000,20000 window=0,2 --topology hex:7 --ms 10 --duration 10 --schemes none,counter \
        --report "$S" >/dev/null 2>&1; then
    [ "$(wc -l <"$S/sweep.csv")" = 9 ] && ok || bad "sweep.csv: 4 points x 2 schemes + header"
    head -1 "$S/sweep.csv" | grep -q '^backbone-us,window,scheme,attempted,completed,failed,executed,ul_n,ul_censored,ul_min_ms,ul_p50_ms,ul_p99_ms,ul_max_ms,ul_mean_ms,dl_n,.*,union_p99_ms,union_max_ms,union_mean_ms,m2134_ul_p99_ms,m2134_dl_p99_ms,m2134_union_n,m2134_union_censored,m2134_union_p50_ms,m2134_union_p99_ms,m2134_union_max_ms,m2134_verdict,air_messages_per_ho,backbone_messages_per_ho,air_bytes_per_ho,backbone_bytes_per_ho,tek_air_bytes_per_ho,tek_backbone_bytes_per_ho,' \
        && ok || bad "sweep.csv header"
    grep -q '^20000,2,counter,[1-9][0-9]*,' "$S/sweep.csv" && ok || bad "sweep.csv last point"
    head -1 "$S/sweep.csv" | grep -q ',wall_s,replications,model_ul_ms,model_dl_ms,model_union_ms,model_m2134_union_ms,ul_mean_lo,ul_mean_hi,ul_p50_lo,.*,d_union_p99_vs_counter,d_union_p99_lo,d_union_p99_hi,.*,pingpong,crossings,' \
        && ok || bad "sweep.csv intervals header"
    grep -q '^20000,2,none,.*,5,17.000,25.000,25.000,15.000,[0-9]' "$S/sweep.csv" && ok || bad "sweep.csv model and replications"
    [ "$(wc -l <"$S/sweep_backbone-us.dat")" = 3 ] && ok || bad "sweep_backbone-us.dat"
    if command -v gnuplot >/dev/null 2>&1; then
        [ -s "$S/sweep_window.png" ] && ok || bad "sweep plot"
    fi
else
    bad "tekho sweep"
fi
rm -rf "$S"
expect 2 "$T" sweep --report /tmp/x
expect 2 "$T" sweep nosuch=1 --report /tmp/x
expect 2 "$T" sweep window=1,99 --report /tmp/x
expect 2 "$T" sweep window=1 window=2 --report /tmp/x
expect 2 "$T" sweep window=1,2
expect 2 "$T" sweep window=1 --topology hex:1 --report /tmp/x
expect 2 "$T" sweep speed=1,2,3,4,5,6,7,8 isd=500,600,700,800,900,1000,1100,1200,1300,1400,1500,1600,1700,1800,1900,2000 window=0,1,2,3 --report /tmp/x
expect 2 "$T" sim --topology hex:1
expect 2 "$T" sim --topology hex:7 --schemes counter,nosuch
expect 2 "$T" sim --scenario normal

# --- bad arguments: exit 2, one line
expect 2 "$T"
expect 2 "$T" nosuchcommand
expect 2 "$T" pdu
expect 2 "$T" pdu nosuch
expect 0 "$T" --help
expect 0 "$T" --version
for cmd in kdf keys tek "pdu seal" "pdu open" tek-wrap tek-unwrap bench decode sim "creds ca" "creds node" "creds psk" \
    authd bsd msd; do
    # shellcheck disable=SC2086
    expect 0 "$T" $cmd --help
    # shellcheck disable=SC2086
    expect 2 "$T" $cmd --no-such-option 1
done
expect 2 "$T" kdf --key 0011 --astring 00 --bits 128                         # key too short
expect 2 "$T" kdf --key ${K16}0 --astring 00 --bits 128                      # odd hex
expect 2 "$T" kdf --key ${K16} --astring zz --bits 128                       # not hex
expect 2 "$T" kdf --key ${K16} --astring 00 --bits 12                        # not a multiple of 8
expect 2 "$T" kdf --key ${K16} --astring 00 --bits 0
expect 2 "$T" kdf --key ${K16} --astring 00 --bits 4104                      # too long
expect 2 "$T" kdf --key ${K16} --astring 00 --bits -8
expect 2 "$T" kdf --key ${K16} --astring 00 --bits 0x                        # not a number
expect 2 "$T" kdf --key ${K16} --astring 00 --bits 12abc
expect 2 "$T" kdf --key ${K16} --astring 00                                  # missing --bits
expect 2 "$T" kdf --key ${K16} --astring 00 --bits                           # missing value
expect 2 "$T" kdf --key ${K16} --key ${K16} --astring 00 --bits 128          # given twice
expect 2 "$T" kdf --key ${K16} --astring 00 --bits 128 extra                 # stray argument
expect 0 "$T" kdf --key ${K16} --astring "" --bits 0x80                      # empty astring, hex number
expect 2 "$T" keys --msk 00 --ms-mac 001b11c9d50c --bsid 000000000005
expect 2 "$T" keys --msk $MSK --ms-mac 001b11c9d5 --bsid 000000000005       # 5-byte MAC
expect 2 "$T" keys --msk $MSK --ms-mac 001b11c9d50c --bsid 00000000000500   # 7-byte BSID
expect 2 "$T" keys --msk $MSK --ms-mac 001b11c9d50c --bsid 000000000005 --ckc 65536
expect 2 "$T" keys --msk $MSK --ms-mac 001b11c9d50c --bsid 000000000005 --pmk-sn 16
expect 0 "$T" keys --msk $MSK --ms-mac 001b11c9d50c --bsid 000000000005 --ckc 0xffff --pmk-sn 15
expect 2 "$T" tek --kek $K16 --ckc 1 --said 65536
expect 2 "$T" tek --kek ${K16}00 --ckc 1 --said 1
expect 2 "$T" tek --kek $K16 --ckc 1
expect 2 "$T" pdu seal --tek $K16 --dir up --pn 1 --cid 1 --eks 0 --payload 00
expect 2 "$T" pdu seal --tek $K16 --dir ul --pn 0 --cid 1 --eks 0 --payload 00
expect 2 "$T" pdu seal --tek $K16 --dir ul --pn 0x80000000 --cid 1 --eks 0 --payload 00
expect 0 "$T" pdu seal --tek $K16 --dir ul --pn 0x7fffffff --cid 1 --eks 0 --payload 00
expect 2 "$T" pdu seal --tek $K16 --dir ul --pn 1 --cid 65536 --eks 0 --payload 00
expect 2 "$T" pdu seal --tek $K16 --dir ul --pn 1 --cid 1 --eks 4 --payload 00
expect 2 "$T" pdu seal --tek $K16 --dir ul --pn 1 --cid 1 --eks 0 --crc=1 --payload 00
expect 2 "$T" pdu seal --tek $K16 --dir ul --pn 1 --cid 1 --eks 0 --crc --payload "$(head -c 2026 /dev/zero | od -An -v -tx1 | tr -d ' \n')"
expect 0 "$T" pdu seal --tek $K16 --dir ul --pn 1 --cid 1 --eks 0 --crc --payload "$(head -c 2025 /dev/zero | od -An -v -tx1 | tr -d ' \n')"
expect 2 "$T" pdu open --tek $K16 --dir ul --pdu 123
expect 2 "$T" pdu open --tek $K16 --pdu "$P"
expect 2 "$T" tek-wrap --kek $K16 --tek $K16 --suite 0x010001
expect 2 "$T" tek-wrap --kek $K16 --tek $K16 --suite 020104
expect 2 "$T" tek-unwrap --kek $K16 --wrapped $K16 --suite 0x020104          # 16 bytes for a 24-byte suite
expect 2 "$T" bench --rounds 0

# tekho bench --store: the figures on a real SQLite file, and its refusals.
STORE_DIR=$(mktemp -d)
out=$("$T" bench --store "sqlite:$STORE_DIR/bench.db" --ms 500 --batch 100 --seconds 1 --json 2>&1)
case $out in
*'"store_updates_per_s": '*'"commit_p50_ms": '*'"commit_p99_ms": '*'"refused": 0'*) ok ;;
*'"refused": 0'*'"store_updates_per_s": '*'"commit_p50_ms": '*'"commit_p99_ms": '*) ok ;;
*) bad "bench --store: $out" ;;
esac
expect 2 "$T" bench --store "sqlite:$STORE_DIR/bench.db" --batch 0
expect 1 "$T" bench --store "nosuch:$STORE_DIR/x" --seconds 1
printf 'not a database, not at all' >"$STORE_DIR/junk.db"
expect 1 "$T" bench --store "sqlite:$STORE_DIR/junk.db" --seconds 1
rm -rf "$STORE_DIR"


# ============================================================================
# One grammar for every command (shared option table, src/tools/cli.c)
D=$(mktemp -d "${TMPDIR:-/tmp}/tekho_cli_grammar.XXXXXX")
SRC=$(cd "$(dirname "$0")/.." && pwd)
# refused PATTERN CMD...: exit 2, one stderr line that holds PATTERN (fixed string), nothing on stdout
refused() {
    want=$1
    shift
    out=$("$@" 2>"$D/err" </dev/null)
    got=$?
    if [ "$got" = 2 ] && [ -z "$out" ] && [ "$(wc -l <"$D/err")" = 1 ] && grep -qF -- "$want" "$D/err"; then
        ok
    else
        bad "want exit 2 with '$want', got $got '$(cat "$D/err")' stdout '$out': $*"
    fi
}
# valid DESC [-l]: standard input is valid JSON (JSON Lines with -l)
valid() {
    desc=$1
    shift
    if "$J" "$@" 2>"$D/jerr"; then ok; else bad "$desc: not valid JSON: $(cat "$D/jerr")"; fi
}
# the json_check itself: it must refuse what is not JSON
printf '{"a": 1,}' | "$J" 2>/dev/null && bad "json_check took a trailing comma" || ok
printf '{"a": 01}' | "$J" 2>/dev/null && bad "json_check took a leading zero" || ok
printf '{"a": 1}\n{"b": true}\n' | "$J" -l && ok || bad "json_check -l"
printf '{"a": 1}\n{"b": true}\n' | "$J" 2>/dev/null && bad "json_check took two values" || ok
nospeed() { sed 's/, "speed": {[^}]*}//'; }

# --- --opt VALUE and --opt=VALUE: the same, in every command
same "$("$T" tek --kek $K16 --ckc 1 --said 2)" "$T" tek --kek=$K16 --ckc=1 --said=2
same "$("$T" pdu seal --tek $K16 --dir ul --pn 9 --cid 43 --eks 1 --crc --payload 00)" \
    "$T" pdu seal --tek=$K16 --dir=ul --pn=9 --cid=43 --eks=1 --crc --payload=00
same "$("$T" sim --scenario normal --scheme counter --json)" "$T" sim --scenario=normal --scheme=counter --seed=1 --json
EMU_ARGS="--ms 10 --duration 10 --schemes none,counter --replications 2 --jobs 1"
same "$("$T" sim --topology hex:7 $EMU_ARGS --air-loss 1 --json | nospeed)" \
    sh -c '"$1" sim --topology=hex:7 --ms=10 --duration=10 --schemes=none,counter --replications=2 --jobs=1 --air-loss=1 --json | sed "s/, \"speed\": {[^}]*}//"' sh "$T"
"$T" sim --scenario normal --scheme counter --trace="$D/t1/trace.txt" >/dev/null &&
    grep -q ' event ms0 HO_STARTED ' "$D/t1/trace.txt" && ok || bad "sim --trace=FILE"
# the inputs a role refused, with why: the replay scenario's initial RNG-REQ recorded for bs1, sent to bs2
"$T" sim --scenario replay --scheme counter --trace "$D/t1/replay.txt" >/dev/null &&
    grep -q ' refused bs2: unexpected message$' "$D/t1/replay.txt" && ok || bad "sim --trace: refused inputs"
refused "--trace: with --keep (the traces are in the run's directory)" "$T" testbed --trace
"$T" explore --scheme counter --runs 2 --save="$D/save/x" >/dev/null && [ -d "$D/save/x" ] && ok || bad "explore --save=DIR"
CASE=$(ls "$SRC"/tests/explore-cases/*.case | head -n 1)
"$T" explore --replay "$CASE" >"$D/replay1" 2>&1
r1=$?
"$T" explore --replay="$CASE" >"$D/replay2" 2>&1
[ "$?" = "$r1" ] && cmp -s "$D/replay1" "$D/replay2" && ok || bad "explore --replay=FILE"
"$T" bench --ms-per-round=1 --rounds=1 --json | valid "bench --ms-per-round=1 --rounds=1 --json"
"$T" sweep window=0,2 --topology=hex:7 --ms=10 --duration=10 --schemes=counter --replications=1 --report="$D/sw1" \
    >/dev/null && [ "$(wc -l <"$D/sw1/sweep.csv")" = 3 ] && ok || bad "sweep --opt=VALUE"

# --- --json on every command, valid JSON (decode: JSON Lines)
"$T" kdf --key $K16 --astring 00 --bits 64 --json | valid "kdf --json"
"$T" keys --msk $MSK --ms-mac 001b11c9d50c --bsid 000000000005 --json | valid "keys --json"
"$T" tek --kek $K16 --ckc 1 --said 2 --json | valid "tek --json"
"$T" pdu seal --tek $K16 --dir ul --pn 7 --cid 43 --eks 1 --crc --payload 0102 --json | valid "pdu seal --json"
"$T" pdu open --tek $K16 --dir ul --pdu "$P" --json | valid "pdu open --json"
"$T" pdu open --tek $K16 --dir dl --pdu "$P" --json 2>/dev/null | valid "pdu open --json, failed"
"$T" tek-wrap --kek $K16 --tek $K16 --suite 0x020104 --json | valid "tek-wrap --json"
"$T" tek-unwrap --kek $KEK --wrapped "$W24" --suite 0x020104 --json | valid "tek-unwrap --json"
"$T" sim --scenario normal --scheme none --json | valid "sim --scenario --json"
"$T" sim --topology hex:7 $EMU_ARGS --json >"$D/emu.json" && valid "sim --topology --json" <"$D/emu.json"
"$T" explore --scheme counter --runs 2 --json | valid "explore --json"
"$T" sim --scenario normal --scheme counter --pcap "$D/pc" >/dev/null
# shellcheck disable=SC2046
"$T" decode "$D/pc/air.pcap" $(cat "$D/pc/decode-args") --json | valid "decode --json" -l
"$T" analyze "$D/pc/air.pcap" "$D/pc/backbone.pcap" --json | valid "analyze --json"
"$T" analyze "$D/pc/air.pcap" --report="$D/an/r" >/dev/null 2>&1 && [ -s "$D/an/r/cdf_union.dat" ] && ok || bad "analyze --report=DIR"
"$T" decode "$D/pc/air.pcap" --ms-mac=02:74:6b:00:00:00 --msk-file="$D/pc/msk" --bsid=000000000001000000000002000000000003 \
    --said=1 | tail -n 1 | grep -q ' cmac_bad=0 .* decrypt_ok=[1-9][0-9]* decrypt_bad=0 ' && ok || bad "decode --opt=VALUE"
"$T" sweep backbone-us=1000,20000 window=0,2 --topology hex:7 --ms 10 --duration 10 --schemes none,counter \
    --replications 2 --report "$D/sw2" --json >"$D/sweep.json"
valid "sweep --json" <"$D/sweep.json"
grep -q '^{"params": {"topology": "hex:7", .*"axes": \[{"name": "backbone-us", "values": \[1000, 20000\]}, {"name": "window", "values": \[0, 2\]}\], "csv": ".*/sweep.csv", "shard": {"index": 1, "count": 1, "points": \[1, 2, 3, 4\]}, "points": \[{"point": 1, "backbone-us": 1000, "window": 0, "schemes": {"none": {"scheme": "none", ' "$D/sweep.json" && ok || bad "sweep --json: params, axes, points"
[ "$(grep -o '"schemes": {"none": ' "$D/sweep.json" | wc -l)" = 4 ] && ok || bad "sweep --json: four points"
[ "$(wc -l <"$D/sw2/sweep.csv")" = 9 ] && ok || bad "sweep --json still writes sweep.csv"

# --- complete generated help: every scenario, scheme and option; every
# option the help names is one the parser takes, and the synopsis names none
# the options list lacks
H=$("$T" sim --help)
for s in normal ms-ahead replay cancel-retry ping-pong no-capability tek-refresh lossy-air auth-restart; do
    printf '%s\n' "$H" | grep -q "^      NAME: .*\b$s\b" && printf '%s\n' "$H" | grep -q "^  $s  " && ok || bad "sim --help: scenario $s"
done
for s in none none-late counter baseline-early baseline-update baseline-challenge baseline-full reuse; do
    printf '%s\n' "$H" | grep -q "^      SCHEME: .*\b$s\b" && ok || bad "sim --help: scheme $s"
done
for o in scenario scheme topology schemes seed trace pcap report ms duration replications jobs ideal crypto-all \
        json air-loss backbone-us sync-us meas-alpha; do
    printf '%s\n' "$H" | grep -q "^  --$o\b" && ok || bad "sim --help: --$o"
done
SW=$("$T" sweep --help)
printf '%s\n' "$H" | sed -n '/^  --jobs /,$p' | sed -n 's/^  --\([a-z0-9-]*\) .*/\1/p' | grep -v '^jobs$' >"$D/axes"
[ "$(wc -l <"$D/axes")" -ge 20 ] && ok || bad "sim --help: model parameters"
while read -r o; do
    printf '%s\n' "$SW" | grep -q "^  --$o " && ok || bad "sweep --help: no --$o"
done <"$D/axes"
for o in report topology schemes ms duration seed replications jobs shard ideal crypto-all json; do
    printf '%s\n' "$SW" | grep -q "^  --$o\b" && ok || bad "sweep --help: --$o"
done
# -j is --jobs in both; sweep's help ends with sweep merge's
printf '%s\n' "$SW" | grep -q '^  --jobs J | -j J  (optional)' && ok || bad "sweep --help: -j"
printf '%s\n' "$H" | grep -q '^  --jobs J | -j J  (optional; with --topology)' && ok || bad "sim --help: -j"
printf '%s\n' "$SW" | grep -q '^usage: tekho sweep merge DIR\.\.\. --report OUT \[--json\]' && ok || bad "sweep --help: merge"
for s in none none-late counter baseline-early baseline-update baseline-challenge baseline-full reuse; do
    printf '%s\n' "$SW" | grep -q "^      A: .*\b$s\b" && ok || bad "sweep --help: scheme $s"
done
for cmd in kdf keys tek "pdu seal" "pdu open" tek-wrap tek-unwrap decode analyze sim sweep "sweep merge" explore bench \
    "creds ca" "creds node" "creds psk" authd bsd msd; do
    # shellcheck disable=SC2086
    "$T" $cmd --help >"$D/help" || bad "$cmd --help"
    sed -n 's/^  --\([a-z0-9-]*\).*/\1/p' "$D/help" | sort -u >"$D/opts"
    [ -s "$D/opts" ] || bad "$cmd --help: no options"
    while read -r o; do
        [ "$o" = help ] && continue
        # shellcheck disable=SC2086
        "$T" $cmd "--$o=@@@" >/dev/null 2>"$D/err" </dev/null
        grep -q 'unknown option' "$D/err" && bad "$cmd --help names --$o, which the parser refuses"
    done <"$D/opts"
    # short forms: "  --NAME ARG | -C ARG"
    sed -n 's/^  --[a-z0-9-]* [^ ]* | -\([a-zA-Z]\) .*/\1/p' "$D/help" >"$D/short"
    while read -r c; do
        # shellcheck disable=SC2086
        "$T" $cmd "-$c" @@@ >/dev/null 2>"$D/err" </dev/null
        grep -q 'unknown option' "$D/err" && bad "$cmd --help names -$c, which the parser refuses" || ok
    done <"$D/short"
    head -n 1 "$D/help" | grep -q "^usage: tekho $cmd tekho " && bad "$cmd --help: 'usage: tekho $cmd' twice"
    # the synopsis: the usage lines before the first blank line
    sed '/^$/q' "$D/help" | grep -o -- '--[a-z][a-z0-9-]*' | sed 's/^--//' | sort -u >"$D/syn"
    while read -r o; do
        case $o in *-file) grep -qx "${o%-file}" "$D/opts" && continue ;; esac
        grep -qx "$o" "$D/opts" && ok || bad "$cmd: the synopsis names --$o, the options list does not"
    done <"$D/syn"
done

# --- options that do not fit the mode: refused, with a hint
refused "--scheme goes with --scenario, not with --topology; did you mean --schemes?" "$T" sim --topology hex:7 --scheme counter
refused "--schemes goes with --topology, not with --scenario; did you mean --scheme?" "$T" sim --scenario normal --scheme counter --schemes counter
refused "--trace goes with --scenario, not with --topology" "$T" sim --topology hex:7 --trace "$D/never.txt"
[ -e "$D/never.txt" ] && bad "a refused --trace made its file" || ok
for o in "isd 500" "speed 30" "ms 5" "duration 5" "replications 2" "jobs 1" "air-loss 1" "frame-us 5000" "ideal" "crypto-all"; do
    # shellcheck disable=SC2086
    refused "--${o%% *} goes with --topology, not with --scenario" "$T" sim --scenario normal --scheme counter --$o
done
refused "--report goes with --topology, not with --scenario" "$T" sim --scenario normal --scheme counter --report "$D/never"
refused "not both" "$T" sim --scenario normal --scheme counter --topology hex:7
refused "give --scenario NAME --scheme SCHEME, or --topology hex:N" "$T" sim --seed 3
refused "missing --scheme (with --scenario)" "$T" sim --scenario normal
refused "unknown option '--topolgy'; did you mean --topology?" "$T" sim --topolgy hex:7
refused "unknown option '--shcemes'; did you mean --schemes?" "$T" sweep window=1 --report "$D/never" --shcemes counter
refused "--topology: hex:N with N from 2" "$T" sim --topology hex:7x
refused "each at most once" "$T" sim --topology hex:7 --schemes counter,counter
refused "is swept and fixed" "$T" sweep window=0,1 --window 2 --report "$D/never"
# short options: -j is --jobs (-j N, -jN); --shard I/N
refused "--jobs given twice (as --jobs or -j)" "$T" sweep window=0 --report "$D/never" --jobs 2 -j 2
refused "--jobs: out of range 1..64: '0'" "$T" sweep window=0 --report "$D/never" -j0
refused "-j needs a value" "$T" sweep window=0 --report "$D/never" -j
refused "unknown option '-x'" "$T" sweep window=0 --report "$D/never" -x 2
refused "--jobs goes with --topology, not with --scenario" "$T" sim --scenario normal --scheme counter -j 2
for s in 0/3 4/3 1/0 3 a/b 1/257 0x1/2 -1/2 1/2/3; do
    refused "--shard: I/N with 1 <= I <= N <= 256 (the I-th of N slices), got '$s'" "$T" sweep window=0 --report "$D/never" --shard "$s"
done
refused "missing DIR..." "$T" sweep merge --report "$D/never"
refused "missing --report" "$T" sweep merge "$D"
refused "--json takes no value" "$T" tek --kek $K16 --ckc 1 --said 2 --json=1
# the roles' timing options work in a scenario too: 10 ms more DL sync is 10 ms more interruption,
# and nothing under M.2134's assumptions (which zero it)
"$T" sim --scenario normal --scheme counter --sync-us 20000 >"$D/sync"
grep -q '^  ul             n 2, .* p50 27.5,' "$D/sync" && ok || bad "sim --scenario --sync-us: UL"
sed -n '/^m2134_ms/,$p' "$D/sync" | grep -q '^  ul             n 2, .* p50 7.5,' && ok || bad "sim --scenario --sync-us: M.2134"
# bench: --ms is MSs (with --store), as in sim; the round length is --ms-per-round
refused "--ms goes with --store, not without --store; the length of a measurement round is --ms-per-round" "$T" bench --ms 100
refused "--rounds goes without --store, not with --store" "$T" bench --store "sqlite:$D/b.db" --rounds 2

# --- one unit per quantity: rates in percent on the command line, in JSON and in the report
"$T" sim --topology hex:7 --ms 10 --duration 10 --schemes counter --replications 1 --air-loss 0.5 --harq-bler 12.5 \
    --load 80 --ranging-code-fail 5 --meas-alpha 0.5 --report "$D/units" --json >"$D/units.json" 2>/dev/null
grep -q '"air_loss_pct": 0.500, ' "$D/units.json" && ok || bad "JSON air_loss_pct"
grep -q '"harq_bler_pct": 12.500, .*"load_pct": 80.000, .*"ranging_code_fail_pct": 5.000, ' "$D/units.json" && ok || bad "JSON *_pct"
grep -q '"meas_alpha": 0.500, ' "$D/units.json" && ok || bad "JSON meas_alpha"
# the report's parameters: every option, its value in the option's unit
for ov in air-loss:0.5 harq-bler:12.5 load:80 ranging-code-fail:5 meas-alpha:0.5 backbone-us:2000 frame-us:5000; do
    grep -q "^| \`--${ov%%:*}\` | ${ov#*:} | " "$D/units/report.md" && ok || bad "report: --${ov%%:*} ${ov#*:}"
done
[ "$(grep -c '^| `--[a-z0-9-]*` | ' "$D/units/report.md")" = "$(wc -l <"$D/axes")" ] && ok || bad "report: a row for every model parameter"
grep -q '^# backbone_us (--backbone-us)' "$D/units/backbone.dat" && grep -q '^1000 ' "$D/units/backbone.dat" && ok || bad "report: backbone latency in us"
grep -q '"air_loss"\|"harq_bler"\|"interference_load"\|"ranging_code_fail"' "$D/units.json" && bad "JSON: a rate without its unit" || ok
expect 2 "$T" sim --topology hex:7 --air-loss 101
expect 2 "$T" sim --topology hex:7 --air-loss 1e-3
expect 2 "$T" sim --topology hex:7 --air-loss -1
expect 2 "$T" sim --topology hex:7 --frame-us 5000.5
expect 2 "$T" sim --topology hex:7 --meas-alpha 0
"$T" sweep air-loss=0,0.5 --topology hex:7 --ms 10 --duration 10 --schemes counter --replications 1 --report "$D/sw3" >/dev/null
[ "$(cut -d, -f1 "$D/sw3/sweep.csv" | tr '\n' ' ')" = "air-loss 0 0.5 " ] && ok || bad "sweep air-loss=0,0.5: CSV values"
expect 2 "$T" sweep air-loss=0,101 --report "$D/never"
expect 2 "$T" sweep window=0.5 --report "$D/never"

# --- one spelling per verdict (within, over; n/a with no handover), JSON booleans as booleans
v=$(cat "$D/emu.json" "$D/units.json" "$D/sweep.json" | grep -o '"verdict": "[^"]*"' | sort -u | tr '\n' ' ')
case $v in *'"verdict": "within"'*|*'"verdict": "over"'*) ok ;; *) bad "JSON verdicts: $v" ;; esac
[ -z "$(printf '%s' "$v" | sed 's/"verdict": "\(within\|over\|n\/a\)" //g')" ] && ok || bad "JSON verdict spellings: $v"
vc=$(head -n 1 "$D/sw2/sweep.csv" | tr ',' '\n' | grep -n -x m2134_verdict | cut -d: -f1)
[ -n "$vc" ] && [ -n "$(cut -d, -f"$vc" "$D/sw2/sweep.csv" | sed 1d)" ] &&
    [ -z "$(cut -d, -f"$vc" "$D/sw2/sweep.csv" | sed 1d | grep -v -x 'within\|over')" ] && ok || bad "sweep.csv verdicts"
"$T" sim --topology hex:7 $EMU_ARGS >"$D/emu.txt"
[ "$(sed -n '/^scheme /,/^$/p' "$D/emu.txt" | sed '1d;$d' | grep -c ' within \| over ')" = 2 ] && ok || bad "sim table verdicts"
grep -q '| \(within\|over\) |' "$D/units/report.md" && ok || bad "report verdicts"
grep -q '"[a-z_]*verdict[a-z_]*": "\(ok\|yes\|no\)"' "$D/emu.json" && bad "a verdict spelt ok/yes/no" || ok
cat "$D/emu.json" "$D/units.json" "$D/sweep.json" >"$D/all.json"
"$T" pdu open --tek $K16 --dir ul --pdu "$P" --json >>"$D/all.json"
"$T" sim --scenario normal --scheme none --json >>"$D/all.json"
# shellcheck disable=SC2046
"$T" decode "$D/pc/air.pcap" $(cat "$D/pc/decode-args") --json >>"$D/all.json"
grep -q '"crc": true' "$D/all.json" && grep -q '"ideal": false' "$D/all.json" && grep -q '"encrypted": false' "$D/all.json" && ok || bad "JSON booleans present"
grep -q '"\(crc\|ideal\|enabled\|encrypted\|preamble_search\)": [^tf]' "$D/all.json" && bad "a JSON boolean as a number" || ok

# --- JSON names are the text labels: every label of sim --scenario's text is a JSON name
"$T" sim --scenario replay --scheme counter >"$D/scen.txt"
"$T" sim --scenario replay --scheme counter --json >"$D/scen.json"
grep -o '[a-z][a-z0-9_]* \(-\?[0-9][0-9.]*\|true\|false\|within\|over\)\(,\|$\| (\)' "$D/scen.txt" | cut -d' ' -f1 | sort -u >"$D/labels"
[ "$(wc -l <"$D/labels")" -ge 30 ] && ok || bad "sim text: only $(wc -l <"$D/labels") labels"
head -n 1 "$D/scen.txt" | grep -qx 'scenario replay, scheme counter, seed 1' && grep -q '^{"scenario": "replay", "scheme": "counter", "seed": 1, ' "$D/scen.json" && ok || bad "sim text and JSON: scenario, scheme, seed"
while read -r l; do
    grep -q "\"$l\": " "$D/scen.json" || echo "$l"
done <"$D/labels" >"$D/missing"
[ -s "$D/missing" ] && bad "sim text labels that are no JSON name: $(tr '\n' ' ' <"$D/missing")" || ok
# interruption_ms and m2134_ms: the text's figures are the JSON's
grep -q '"interruption_ms": {"ul": {"n": 2, "censored": 0, "censored_at_end": 0, "min": 17.500, "p50": 17.500, ' "$D/scen.json" &&
    grep -qx '  ul             n 2, censored 0, censored_at_end 0, min 17.5, p50 17.5, p99 17.5, max 17.5, mean 17.5' "$D/scen.txt" &&
    ok || bad "sim text and JSON: the same interruption"
# bench: the text's labels are the JSON's names
"$T" bench --ms-per-round 1 --rounds 1 >"$D/bench.txt"
"$T" bench --ms-per-round 1 --rounds 1 --json >"$D/bench.json"
grep -o '[a-z][a-z0-9_]*_\(per_s\|MBps\|ratio\|cmac16\|round\)\b\|\brounds\b' "$D/bench.txt" | sort -u >"$D/labels"
[ "$(wc -l <"$D/labels")" -ge 10 ] && ok || bad "bench text: only $(wc -l <"$D/labels") labels"
while read -r l; do grep -q "\"$l\": " "$D/bench.json" || echo "$l"; done <"$D/labels" >"$D/missing"
[ -s "$D/missing" ] && bad "bench text labels that are no JSON name: $(tr '\n' ' ' <"$D/missing")" || ok
# --trace FILE in sim and explore alike, - for standard error
"$T" sim --scenario normal --scheme counter --trace - 2>"$D/tr1" >/dev/null && grep -q ' event ms0 HO_STARTED ' "$D/tr1" && ok || bad "sim --trace -"
"$T" explore --replay "$CASE" --trace "$D/t2/trace.txt" >/dev/null 2>&1
[ "$?" = "$r1" ] && grep -q ' air ' "$D/t2/trace.txt" && ok || bad "explore --trace FILE"
"$T" explore --replay "$CASE" --trace - 2>"$D/tr3" >/dev/null
grep -q ' air ' "$D/tr3" && ok || bad "explore --trace -"
# none encrypts nothing: its insecure 0 must not read as secure
"$T" sim --scenario normal --scheme none | grep -q '^security         encrypted false, insecure 0 ' && ok || bad "sim none: encrypted false"
grep -q '"none": {.*"security": {"encrypted": false, ' "$D/emu.json" && grep -q '"counter": {.*"security": {"encrypted": true, "insecure": 0, ' "$D/emu.json" && ok || bad "JSON security.encrypted"
sed -n '/^scheme /,/^$/p' "$D/emu.txt" | grep -q '^none .* n/a$' && sed -n '/^scheme /,/^$/p' "$D/emu.txt" | grep -q '^counter .* 0$' && ok || bad "sim table: insecure n/a for none"

# --- tekho creds: a CA, node certificates, PSKs (the daemons' backbone credentials)
expect 0 "$T" creds --help
"$T" creds --help | grep -q '^usage: tekho creds node --ca FILE --ca-key FILE --name NAME --out DIR' && ok || bad "creds --help: node"
expect 2 "$T" creds
expect 2 "$T" creds nosuch
C=$D/creds
same "cert=$C/ca/ca.pem
key=$C/ca/ca.key" "$T" creds ca --name tekho-ca --out "$C/ca"
[ "$(stat -c %a "$C/ca/ca.key")" = 600 ] && [ "$(stat -c %a "$C/ca/ca.pem")" = 644 ] && ok || bad "creds ca: file modes"
grep -q '^-----BEGIN CERTIFICATE-----$' "$C/ca/ca.pem" && grep -q '^-----BEGIN PRIVATE KEY-----$' "$C/ca/ca.key" && ok || bad "creds ca: PEM"
# never over what is there, unless --force (then a new key)
cp "$C/ca/ca.key" "$C/ca.key.first"
refused "--out: '$C/ca/ca.pem' is there already (--force replaces it)" "$T" creds ca --name tekho-ca --out "$C/ca"
cmp -s "$C/ca/ca.key" "$C/ca.key.first" && ok || bad "creds ca: a refused run changed the key"
"$T" creds ca --name tekho-ca --out "$C/ca" --force --days 10 >/dev/null && ! cmp -s "$C/ca/ca.key" "$C/ca.key.first" && ok ||
    bad "creds ca --force: a new key"
"$T" creds ca --name other-ca --out "$C/other" --json | valid "creds ca --json"
refused "--name: 'bad name': 1 to 64 of A-Z a-z 0-9 . _ -" "$T" creds ca --name "bad name" --out "$C/x"
refused "--name: " "$T" creds ca --name "$(printf 'a%.0s' $(seq 65))" --out "$C/x"
refused "--days: " "$T" creds ca --name ca --out "$C/x" --days 0
[ ! -e "$C/x" ] && ok || bad "creds: a refused command created its --out"
: >"$C/file"
refused "--out: cannot create '$C/file/ca': Not a directory" "$T" creds ca --name ca --out "$C/file/ca"
# node credentials: the key 0600, signed by the CA (a CA key others may read is refused, a CA of another key fails)
same "cert=$C/n/bs-1.pem
key=$C/n/bs-1.key" "$T" creds node --ca "$C/ca/ca.pem" --ca-key "$C/ca/ca.key" --name bs-1 --out "$C/n"
[ "$(stat -c %a "$C/n/bs-1.key")" = 600 ] && [ "$(stat -c %a "$C/n/bs-1.pem")" = 644 ] && ok || bad "creds node: file modes"
"$T" creds node --ca "$C/ca/ca.pem" --ca-key "$C/ca/ca.key" --name authd-0 --out "$C/n" --days 30 --json | valid "creds node --json"
refused "--out: '$C/n/bs-1.pem' is there already" "$T" creds node --ca "$C/ca/ca.pem" --ca-key "$C/ca/ca.key" --name bs-1 --out "$C/n"
refused "--ca: cannot read '$C/nosuch.pem': No such file or directory" "$T" creds node --ca "$C/nosuch.pem" --ca-key "$C/ca/ca.key" --name bs-2 --out "$C/n"
cp "$C/ca/ca.key" "$C/open.key"
chmod 644 "$C/open.key"
refused "--ca-key: key file $C/open.key: mode 644 lets others read or write it (chmod 600)" "$T" creds node --ca "$C/ca/ca.pem" --ca-key "$C/open.key" --name bs-2 --out "$C/n"
refused "--name: 'bs 2'" "$T" creds node --ca "$C/ca/ca.pem" --ca-key "$C/ca/ca.key" --name "bs 2" --out "$C/n"
reason "ca.key is not its key" "$T" creds node --ca "$C/other/ca.pem" --ca-key "$C/ca/ca.key" --name bs-3 --out "$C/n"
[ ! -e "$C/n/bs-2.key" ] && [ ! -e "$C/n/bs-3.key" ] && ok || bad "creds node: a refused or failed command left a key"
# PSKs: 32 random bytes in hex by default, each new
p1=$("$T" creds psk)
p2=$("$T" creds psk)
printf '%s\n' "$p1" | grep -qx '[0-9a-f]\{64\}' && [ "$p1" != "$p2" ] && ok || bad "creds psk: '$p1', '$p2'"
"$T" creds psk --bytes 16 | grep -qx '[0-9a-f]\{32\}' && ok || bad "creds psk --bytes 16"
"$T" creds psk --bytes=64 --json | grep -q '^{"psk": "[0-9a-f]\{128\}"}$' && ok || bad "creds psk --json"
"$T" creds psk --json | valid "creds psk --json"
expect 2 "$T" creds psk --bytes 15
expect 2 "$T" creds psk --bytes 65
expect 2 "$T" creds psk extra

# --- outputs created and checked before any work: one exit status (2), the path and the reason named
: >"$D/file"
start=$(date +%s)
out=$(timeout 60 "$T" sim --topology hex:19 --ms 10000 --duration 86400 --report "$D/file/report" 2>"$D/err")
rc=$?
[ "$rc" = 2 ] && [ -z "$out" ] && [ $(($(date +%s) - start)) -lt 30 ] && grep -qF -- "--report: cannot create '$D/file/report': Not a directory" "$D/err" && ok ||
    bad "sim --report under a file: exit $rc, '$(cat "$D/err")'"
refused "--pcap: cannot create '$D/file/p': Not a directory" "$T" sim --topology hex:7 --pcap "$D/file/p"
refused "--pcap: cannot create '$D/file/p': Not a directory" "$T" sim --scenario normal --scheme counter --pcap "$D/file/p"
refused "--trace: cannot create '$D/file': Not a directory" "$T" sim --scenario normal --scheme counter --trace "$D/file/t.txt"
refused "--trace: cannot write '$D': Is a directory" "$T" sim --scenario normal --scheme counter --trace "$D"
refused "--report: cannot create '$D/file/s': Not a directory" "$T" sweep window=0 --report "$D/file/s"
refused "--save: cannot create '$D/file/x': Not a directory" "$T" explore --scheme counter --runs 1 --save "$D/file/x"
refused "--report: cannot create '$D/file/a': Not a directory" "$T" analyze "$D/pc/air.pcap" --report "$D/file/a"
refused "--trace: cannot create '$D/file': Not a directory" "$T" explore --replay "$CASE" --trace "$D/file/t.txt"
# an input that cannot be read (a capture, a case file, a store) is the operation failing: exit 1, the file named
reason "$D/nosuch.pcap: No such file or directory" "$T" decode "$D/nosuch.pcap"
reason "$D/nosuch.case: No such file or directory" "$T" explore --replay "$D/nosuch.case"
reason "key file $D/nosuch.key: No such file or directory" "$T" bench --store "sqlite:$D/b.db" --key-file "$D/nosuch.key" --seconds 1
# key material read while parsing (--NAME-file) is part of the command line: exit 2
refused "--kek-file: cannot open '$D/nosuch.key'" "$T" tek --kek-file "$D/nosuch.key" --ckc 1 --said 1
# parents created
"$T" sim --scenario normal --scheme counter --pcap "$D/n1/n2/p" --trace "$D/n3/n4/t.txt" >/dev/null &&
    [ -s "$D/n1/n2/p/air.pcap" ] && [ -s "$D/n1/n2/p/decode-args" ] && [ -s "$D/n3/n4/t.txt" ] && ok || bad "sim: parents of --pcap and --trace"
"$T" sim --topology hex:7 --ms 10 --duration 10 --schemes none,counter --replications 1 --pcap "$D/n5/p" --report "$D/n6/r" >"$D/out" 2>/dev/null &&
    [ -s "$D/n5/p/counter/air.pcap" ] && [ -s "$D/n5/p/none/decode-args" ] && [ -s "$D/n6/r/report.md" ] &&
    grep -q "^captures: $D/n5/p/SCHEME/air.pcap" "$D/out" && grep -q "$D/n5/p/SCHEME/air.pcap" "$D/n6/r/report.md" && ok || bad "sim --topology: parents of --pcap and --report"
# the report: none's security columns are n/a, counter's are counts
grep -q '^| none | .* | n/a | n/a | n/a | n/a | [0-9]* | [0-9]* |$' "$D/n6/r/report.md" &&
    grep -q '^| counter | .* | 0 | 0 | 0 | 0 | [0-9]* | [0-9]* |$' "$D/n6/r/report.md" && ok || bad "report: security columns n/a for none"
# shellcheck disable=SC2046
"$T" decode "$D/n5/p/counter/air.pcap" $(cat "$D/n5/p/counter/decode-args") --strict | tail -n 1 | grep -q ' cmac_bad=0 .* decrypt_ok=[1-9][0-9]* decrypt_bad=0 ' && ok || bad "sim --topology --pcap: decode-args"
# plotting tools missing (a non-root user who cannot install them): warnings, the report without plots, exit 0
mkdir -p "$D/nobin"
PATH="$D/nobin" "$T" sim --topology hex:7 --ms 10 --duration 10 --schemes counter --replications 1 --report "$D/np" >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" = 0 ] && grep -q '^counter ' "$D/out" && grep -q "^report: $D/np/report.md" "$D/out" && ok || bad "report without gnuplot and mscgen: exit $rc"
grep -q '^tekho sim: warning: gnuplot is not installed: the report has no plots' "$D/err" &&
    grep -q '^tekho sim: warning: mscgen is not installed' "$D/err" && ok || bad "report: no warning of the missing tools: $(cat "$D/err")"
grep -q 'gnuplot was not available' "$D/np/report.md" && grep -q 'mscgen was not available' "$D/np/report.md" && ok || bad "report.md: says the tools are missing"
PATH="$D/nobin" "$T" sweep window=0,2 --topology hex:7 --ms 10 --duration 10 --schemes counter --replications 1 --report "$D/nps" >/dev/null 2>"$D/err" &&
    grep -q '^tekho sweep: warning: gnuplot is not installed' "$D/err" && [ -s "$D/nps/sweep_window.dat" ] && ok || bad "sweep without gnuplot"
# the report cannot be written at the end (a plotting tool that removes the directory): the results are out, exit 1, the path named
mkdir -p "$D/evil"
printf '#!/bin/sh\nd=$PWD; cd /; rm -rf "$d"; : >"$d"; exit 1\n' >"$D/evil/gnuplot"
chmod +x "$D/evil/gnuplot"
PATH="$D/evil:$PATH" "$T" sim --topology hex:7 --ms 10 --duration 10 --schemes counter --replications 1 --report "$D/gone" >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" = 1 ] && grep -q '^counter ' "$D/out" && grep -qF "tekho sim: --report: cannot write '$D/gone/report.md': Not a directory" "$D/err" && ok ||
    bad "report failing at the end: exit $rc, stdout '$(head -c 200 "$D/out")', stderr '$(cat "$D/err")'"
rm -rf "$D"
rm -f /tmp/tekho_cli_err.$$
echo "test_cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
