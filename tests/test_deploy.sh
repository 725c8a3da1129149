#!/bin/bash
# The daemons run as a deployment would run them, on loopback: started one
# by one as systemd starts Type=notify units (each waited for until it
# sends READY=1 to a stand-in for systemd's socket, notify_sink), scraped
# with a plain TCP client for their Prometheus metrics, and stopped with
# SIGTERM one by one: each must exit 0 with its "stopped" line, its
# results file and STOPPING=1, and its peers must see its DTLS session
# closed (close_notify: "backbone session down", why "closed"). Three
# networks:
#   testbed  tekho testbed --setup DIR (cert mode), metrics from the config
#            (authd, bs-1) and from --metrics (msd)
#   cert     deploy/examples/net-cert.yaml on 127.X.0.{10,20,30} with
#            credentials from tekho creds, as the README makes them
#   psk      deploy/examples/net-psk.yaml with PSKs from tekho creds psk
# In cert and psk, the msd and bs-2 run in time namespaces whose monotonic
# clocks are 1 and 2 hours ahead (when unshare -T works: root, Linux 5.6),
# as on machines booted at other times: the air clock keeps their frames
# in step (frame timing errors under a quarter of the air datagrams in;
# without it, half or more). Every log line is JSON, and no
# log line and no scrape holds a PSK or a private key's bytes.
# usage: test_deploy.sh TEKHO NOTIFY_SINK JSON_CHECK SOURCE_DIR
set -u
[ $# -eq 4 ] || { echo "usage: test_deploy.sh TEKHO NOTIFY_SINK JSON_CHECK SOURCE_DIR" >&2; exit 2; }
T=$1
SINK=$2
J=$3
SRC=$(cd "$4" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/tekho_deploy.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    [ -n "${TEKHO_TEST_KEEP:-}" ] && echo "test_deploy: kept $W" || rm -rf "$W"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# An address block of our own for the example networks (the testbed picks 127.64-191.*).
O=$((200 + $$ % 50))

# ---- helpers ----

# wait_for SECONDS CMD...: until CMD succeeds (every 0.1 s); 1 if it never does.
wait_for() {
    local until=$((SECONDS + $1))
    shift
    while ! "$@"; do
        [ "$SECONDS" -ge "$until" ] && return 1
        sleep 0.1
    done
}
# ready PID SINKLOG: PID has sent READY=1; gone: it has exited (no use waiting)
ready() { grep -q "^$1 READY=1 " "$2"; }
alive() { kill -0 "$1" 2>/dev/null; }
ready_or_gone() { ready "$1" "$2" || ! alive "$1"; }

# start NAME SINKLOG CMD...: CMD in the background, standard error in
# $W/NAME.log, $NOTIFY_SOCKET the sink's; then waits (30 s) for READY=1.
# Sets PID[NAME].
declare -A PID
start() {
    local name=$1 sinklog=$2
    shift 2
    NOTIFY_SOCKET=$SOCK "$@" 2>"$W/$name.log" >/dev/null </dev/null &
    PID[$name]=$!
    pids+=($!)
    if wait_for 30 ready_or_gone "${PID[$name]}" "$sinklog" && ready "${PID[$name]}" "$sinklog"; then
        ok
    else
        bad "$name: no READY=1 in 30 s (alive: $(alive "${PID[$name]}" && echo yes || echo no)): $(tail -n 3 "$W/$name.log")"
    fi
}

# scrape ADDR PORT OUT: GET /metrics over a plain TCP connection (bash's /dev/tcp).
scrape() {
    timeout 10 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" >&3 && cat <&3' \
        _ "$1" "$2" >"$3" 2>/dev/null
}

# metrics NAME ADDR PORT: the families every daemon exports, and a sane scrape.
metrics() {
    local name=$1 out=$W/$1.metrics
    if ! scrape "$2" "$3" "$out"; then
        bad "$name: no scrape from $2:$3"
        return
    fi
    tr -d '\r' <"$out" >"$out.txt"
    head -n 1 "$out.txt" | grep -q '^HTTP/1\.[01] 200' && grep -qi '^Content-Type: text/plain; version=0.0.4' "$out.txt" &&
        ok || bad "$name: scrape status or type: $(head -n 3 "$out.txt")"
    local fam
    for fam in "tekho_handovers gauge" "tekho_interruption_ms histogram" "tekho_security_violations gauge" \
        "tekho_air_datagrams_total counter" "tekho_backbone_messages_total counter" "tekho_dtls_handshakes gauge" \
        "tekho_frame_timing_errors_total counter"; do
        grep -qx "# TYPE $fam" "$out.txt" && ok || bad "$name: no '# TYPE $fam' in its metrics"
    done
    for s in 'tekho_handovers{outcome="completed"}' 'tekho_interruption_ms_bucket{le="+Inf"}' \
        'tekho_security_violations{kind="forged_accepted"}' 'tekho_dtls_handshakes{result="failed"}'; do
        grep -qF "$s " "$out.txt" && ok || bad "$name: no series $s"
    done
    # every security counter 0
    if grep '^tekho_security_violations{' "$out.txt" | grep -qv ' 0$'; then
        bad "$name: $(grep '^tekho_security_violations{' "$out.txt" | tr '\n' ' ')"
    else
        ok
    fi
}
# value NAME SERIES: a series' value in NAME's last scrape
value() { grep -F "$2 " "$W/$1.metrics.txt" | head -n 1 | awk '{print $2}'; }

# stop NAME SINKLOG: SIGTERM, exit 0, "stopped", the results file, STOPPING=1.
stop() {
    local name=$1 sinklog=$2 pid=${PID[$1]}
    kill -TERM "$pid"
    wait "$pid"
    local rc=$?
    [ "$rc" = 0 ] && ok || bad "$name: exit $rc after SIGTERM: $(tail -n 3 "$W/$name.log")"
    grep -q '"msg":"stopping","signal":15}' "$W/$name.log" && grep -q '"msg":"stopped",' "$W/$name.log" && ok ||
        bad "$name: no 'stopping' and 'stopped' lines"
    [ "$(head -c 15 "$W/$name.results" 2>/dev/null)" = tekho-results-1 ] && ok || bad "$name: no results file"
    grep -q "^$pid STOPPING=1 " "$sinklog" && ok || bad "$name: no STOPPING=1"
    [ "$(grep -c "^$pid READY=1 " "$sinklog")" = 1 ] && ok || bad "$name: READY=1 not exactly once"
}

# closed NAME PEER: NAME's log says PEER's session went down with close_notify.
closed() {
    if wait_for 5 grep -q "\"msg\":\"backbone session down\",\"peer\":\"$2\",\"why\":\"closed\"" "$W/$1.log"; then
        ok
    else
        bad "$1: no 'backbone session down' from $2 with why 'closed': $(grep 'session down' "$W/$1.log" | tail -n 2)"
    fi
}

# frame_errors NAME: the "stopped" line's frame_timing_errors, and air_in
stopped_field() { grep '"msg":"stopped"' "$W/$1.log" | sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"; }

# ---- one network ----

# run_net NET CONFIG N_BS SHIFT: authd, N_BS bsd and the msd of CONFIG;
# SHIFT=yes: bs-2 and the msd on monotonic clocks hours ahead.
run_net() {
    local net=$1 cfg=$2 n_bs=$3 shift=$4
    SOCK=$W/$net.sock
    local sinklog=$W/$net.notify
    "$SINK" "$SOCK" "$sinklog" &
    local sink=$!
    pids+=($sink)
    wait_for 5 test -S "$SOCK" || bad "$net: notify_sink did not start"
    local metrics_msd=()
    [ "$net" = testbed ] && metrics_msd=(--metrics "$MSD_IP:9110")
    start "$net-authd" "$sinklog" "$T" authd --config "$cfg" --results "$W/$net-authd.results" \
        --state-dir "$W/$net-authd.state"
    local k pre
    for k in $(seq 1 "$n_bs"); do
        pre=()
        [ "$shift" = yes ] && [ "$k" = 2 ] && pre=(unshare -T --monotonic=7200)
        start "$net-bs-$k" "$sinklog" "${pre[@]}" "$T" bsd --config "$cfg" --node "$k" --state-dir "$W/$net-bs-$k.state" \
            --results "$W/$net-bs-$k.results"
        # a BS is ready once its session to the Authenticator is up, logged before
        grep -q '"msg":"backbone session up","peer":"authd-0","node":0}' "$W/$net-bs-$k.log" && ok ||
            bad "$net-bs-$k: READY=1 before its session to the Authenticator"
    done
    pre=()
    [ "$shift" = yes ] && pre=(unshare -T --monotonic=3600)
    start "$net-msd" "$sinklog" "${pre[@]}" "$T" msd --config "$cfg" --results "$W/$net-msd.results" "${metrics_msd[@]}"
    # the authd was ready before any BS started: READY=1 is its first line
    [ "$(head -n 1 "$sinklog" | cut -d' ' -f1-2)" = "${PID[$net-authd]} READY=1" ] && ok || bad "$net: authd not ready first"
    sleep 6
    for k in $(seq 1 "$n_bs"); do alive "${PID[$net-bs-$k]}" || bad "$net-bs-$k died: $(tail -n 2 "$W/$net-bs-$k.log")"; done

    # metrics, where the config or --metrics put them
    metrics "$net-authd" "$AUTHD_IP" 9100
    metrics "$net-bs-1" "$BS1_IP" "$BS1_PORT"
    metrics "$net-msd" "$MSD_IP" 9110
    [ "$(value "$net-bs-1" 'tekho_dtls_handshakes{result="ok"}')" -ge 1 ] 2>/dev/null && ok ||
        bad "$net-bs-1: no DTLS handshake in its metrics"
    [ "$(value "$net-authd" 'tekho_dtls_handshakes{result="ok"}')" -ge "$n_bs" ] 2>/dev/null && ok ||
        bad "$net-authd: fewer DTLS handshakes than BSs"
    [ "$(value "$net-msd" 'tekho_air_datagrams_total{dir="in"}')" -gt 100 ] 2>/dev/null && ok ||
        bad "$net-msd: no air datagrams in its metrics"
    [ "$(value "$net-bs-1" 'tekho_backbone_messages_total{dir="in"}')" -ge 1 ] 2>/dev/null && ok ||
        bad "$net-bs-1: no backbone message in its metrics"

    # SIGTERM, one by one: a BS first (the authd sees its close_notify),
    # then the authd (the other BSs see its), then the rest.
    stop "$net-bs-$n_bs" "$sinklog"
    closed "$net-authd" "bs-$n_bs"
    stop "$net-authd" "$sinklog"
    for k in $(seq 1 $((n_bs - 1))); do closed "$net-bs-$k" authd-0; done
    sleep 1 # the BSs try the Authenticator again meanwhile
    stop "$net-msd" "$sinklog"
    for k in $(seq 1 $((n_bs - 1))); do stop "$net-bs-$k" "$sinklog"; done
    kill "$sink"

    # the terminals handed over, with none of the air's frames out of step
    local ho air errs
    ho=$(stopped_field "$net-msd" handovers)
    [ "${ho:-0}" -ge 1 ] && ok || bad "$net: no handover in 6 s"
    for k in $(seq 1 "$n_bs"); do
        air=$(stopped_field "$net-bs-$k" air_in)
        errs=$(stopped_field "$net-bs-$k" frame_timing_errors)
        # Off the air clock, half or more of them are (a BS on another
        # clock sees UL PDUs stamped with other frames); a loaded machine's
        # late timers make a few.
        [ "${air:-0}" -ge 1 ] && [ $((${errs:-0} * 4)) -le "$air" ] && ok ||
            bad "$net-bs-$k: $errs frame timing errors of $air air datagrams in"
    done
    # every log line is one JSON object
    for f in "$W/$net"-*.log; do
        "$J" -l <"$f" 2>"$W/jerr" && ok || bad "$f: not JSON lines: $(cat "$W/jerr")"
    done
}

# no_secret NET SECRET...: no log line and no scrape of NET holds any of them
no_secret() {
    local net=$1 s
    shift
    for s in "$@"; do
        if grep -qiF -- "$s" "$W/$net"-*.log "$W/$net"-*.metrics.txt; then bad "$net: a secret in a log or a scrape"; else ok; fi
    done
}

# ---- testbed --setup ----
"$T" testbed --setup "$W/tb" --bs 3 --ms 20 >"$W/tb.out" || bad "testbed --setup"
grep -qx "tekho authd --config $W/tb/net.yaml --name authd-0 --state-dir $W/tb/authd-0.state" "$W/tb.out" && ok ||
    bad "testbed --setup: the authd command"
AUTHD_IP=$(sed -n 's/^  backbone: \(127[0-9.]*\):2231$/\1/p' "$W/tb/net.yaml" | head -n 1)
BS1_IP=$(sed -n 's/^  air: \(127[0-9.]*\):4000$/\1/p' "$W/tb/net.yaml" | head -n 1)
MSD_IP=$(sed -n '/^msd:/,$s/^  air: \(127[0-9.]*\):4000$/\1/p' "$W/tb/net.yaml")
BS1_PORT=9101
# metrics from the config for the authd and bs-1 (the msd's from --metrics)
awk -v a="$AUTHD_IP" -v b="$BS1_IP" '
    { print }
    $0 == "  store: memory" { print "  metrics: " a ":9100" }
    $0 == "  air: " b ":4000" { print "  metrics: " b ":9101" }' "$W/tb/net.yaml" >"$W/tb/net.yaml.new" &&
    mv "$W/tb/net.yaml.new" "$W/tb/net.yaml"
[ "$(grep -c '^  metrics: ' "$W/tb/net.yaml")" = 2 ] && ok || bad "testbed net.yaml: metrics lines not added"
run_net testbed "$W/tb/net.yaml" 3 no
no_secret testbed "$(sed -n '2p' "$W/tb/bs-1.key")" "$(sed -n '2p' "$W/tb/authd-0.key")"

# ---- the example configs, as the README sets them up ----
SHIFT=no
if unshare -T --monotonic=3600 true 2>/dev/null; then
    SHIFT=yes
else
    echo "test_deploy: unshare -T not available: every daemon on this machine's monotonic clock"
fi
AUTHD_IP=127.$O.0.10
BS1_IP=127.$O.0.20
MSD_IP=127.$O.0.30
BS1_PORT=9101
at_home() { sed "s/192\.0\.2\.\([0-9][0-9]*\)/127.$O.0.\1/g"; }

# cert mode: a CA, a certificate per node, each in its machine's directory
E=$W/cert
"$T" creds ca --name tekho-ca --out "$E/ca" >/dev/null || bad "creds ca"
for n in authd-0 bs-1 bs-2 bs-3; do
    "$T" creds node --ca "$E/ca/ca.pem" --ca-key "$E/ca/ca.key" --name "$n" --out "$E/etc" >/dev/null || bad "creds node $n"
done
cp "$E/ca/ca.pem" "$E/etc/"
at_home <"$SRC/deploy/examples/net-cert.yaml" >"$E/etc/net.yaml"
run_net cert "$E/etc/net.yaml" 3 "$SHIFT"
no_secret cert "$(sed -n '2p' "$E/etc/bs-1.key")" "$(sed -n '2p' "$E/etc/authd-0.key")" "$(sed -n '2p' "$E/ca/ca.key")"

# psk mode: a PSK per node; the example's placeholders do not parse
E=$W/psk
mkdir -p "$E"
out=$("$T" authd --config "$SRC/deploy/examples/net-psk.yaml" 2>&1)
rc=$?
[ "$rc" = 2 ] && printf '%s' "$out" | grep -q 'authd\[0\]\.psk' && ! printf '%s' "$out" | grep -q REPLACE && ok ||
    bad "net-psk.yaml as shipped: want exit 2 naming authd[0].psk, got $rc: $out"
psks=()
at_home <"$SRC/deploy/examples/net-psk.yaml" >"$E/net.yaml"
for n in authd-0 bs-1 bs-2 bs-3; do
    k=$("$T" creds psk)
    psks+=("$k")
    sed -i "s/REPLACE-WITH-tekho-creds-psk-$n\([^0-9a-z-]\|\$\)/$k\1/" "$E/net.yaml"
done
chmod 600 "$E/net.yaml"
grep -q REPLACE "$E/net.yaml" && bad "psk: a placeholder left"
run_net psk "$E/net.yaml" 3 "$SHIFT"
no_secret psk "${psks[@]}"

# the shipped cert example parses as it is: it fails only at its backbone
# (no credentials beside it, an address of no machine here), not at a line
out=$("$T" authd --config "$SRC/deploy/examples/net-cert.yaml" 2>&1)
case $out in "tekho authd: backbone 192.0.2.10:2231: "*) ok ;; *) bad "net-cert.yaml as shipped: $out" ;; esac

echo "test_deploy: $pass passed, $fail failed"
[ "$fail" = 0 ]
