#!/bin/sh
# test_daemons: the daemons by hand, as an operator runs them (tekho
# testbed --setup), in two situations issue 12 names:
#  1. wrong credentials: a BS whose certificate another CA signed gets no
#     DTLS session to the Authenticator, so nothing (no AK context) ever
#     reaches it; the Authenticator counts the refused handshake; a genuine
#     BS beside it is served;
#  2. a crashed BS: kill -9 of a bsd while terminals hand over: the
#     terminals see it go off the air and re-enter at neighbours, the
#     Authenticator goes on unaffected, handovers go on; the bsd restarted
#     on its state directory knows it ran before and serves again; every
#     security counter stays 0.
# The daemons' JSON log lines are what is checked (the "stopped" line's
# counters); the network is on 127.X.0.0/16.
#
# usage: test_daemons.sh TEKHO JSON_CHECK
set -eu
T=$1
J=$2
tmp=$(mktemp -d)
pids=
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "test_daemons: FAIL: $*" >&2
    for f in "$tmp"/*.log; do echo "== $f" >&2; tail -5 "$f" >&2; done
    exit 1
}
# field LOG MSG KEY: KEY of the last line of LOG whose msg is MSG
field() {
    grep "\"msg\":\"$2\"" "$1" | tail -1 | "$J" -p "$3" 2>/dev/null || echo missing
}
wait_for() { # LOG PATTERN SECONDS
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le $(($3 * 10)) ] || fail "no '$2' in $1 within $3 s"
        sleep 0.1
    done
}
start() { # NAME ARGS...: a daemon, its log in $tmp/NAME.log
    name=$1
    shift
    "$T" "$@" 2> "$tmp/$name.log" &
    pids="$pids $!"
    eval "pid_$(echo "$name" | tr -c 'a-z0-9\n' '_')=$!"
}
pid_of() { eval "echo \$pid_$(echo "$1" | tr -c 'a-z0-9\n' '_')"; }
stop() { # NAME: SIGTERM, and it must exit 0
    p=$(pid_of "$1")
    kill -TERM "$p"
    wait "$p" || fail "$1 exited $? at SIGTERM"
}

# ---- 1. wrong credentials ----
"$T" testbed --setup "$tmp/net" --bs 3 --ms 20 > /dev/null
"$T" testbed --setup "$tmp/other" --bs 3 --ms 20 > /dev/null
# bs-2's credentials from another network: the right name, a certificate
# another CA signed, and that CA its trust anchor (its own config's ca:)
cp "$tmp/other/bs-2.pem" "$tmp/net/bs-2.pem"
cp "$tmp/other/bs-2.key" "$tmp/net/bs-2.key"
chmod 600 "$tmp/net/bs-2.key"
C=$tmp/net/net.yaml
sed "s|^\\( *ca: *\\).*|\\1$tmp/other/ca.pem|" "$C" > "$tmp/net/rogue.yaml"
grep -q "other/ca.pem" "$tmp/net/rogue.yaml" || fail "no ca: line to change in $C"
start authd authd --config "$C" --state-dir "$tmp/net/authd-0.state"
wait_for "$tmp/authd.log" '"msg":"started"' 10
start bs1 bsd --config "$C" --node 1 --state-dir "$tmp/net/bs-1.state"
start rogue bsd --config "$tmp/net/rogue.yaml" --node 2 --state-dir "$tmp/net/bs-2.state" --duration 15
start bs3 bsd --config "$C" --node 3 --state-dir "$tmp/net/bs-3.state"
wait_for "$tmp/bs1.log" '"msg":"backbone session up"' 10
wait_for "$tmp/bs3.log" '"msg":"backbone session up"' 10
start msd msd --config "$C" --duration 12
wait "$(pid_of msd)" || fail "msd exited $?"
wait "$(pid_of rogue)" || fail "the rogue bsd exited $?"
stop bs1
stop bs3
stop authd
! grep -q '"msg":"backbone session up"' "$tmp/rogue.log" || fail "the rogue BS got a backbone session"
[ "$(field "$tmp/rogue.log" stopped backbone_in)" = 0 ] || fail "the rogue BS received backbone messages"
[ "$(field "$tmp/rogue.log" stopped dtls_handshakes_ok)" = 0 ] || fail "the rogue BS completed a handshake"
[ "$(field "$tmp/rogue.log" stopped dtls_handshakes_failed)" -ge 1 ] || fail "the rogue BS's refusals not counted"
[ "$(field "$tmp/authd.log" stopped dtls_handshakes_failed)" -ge 1 ] || fail "the Authenticator counted no refusal"
[ "$(field "$tmp/bs1.log" stopped backbone_in)" -ge 1 ] || fail "the genuine bs-1 got nothing"
[ "$(field "$tmp/msd.log" stopped insecure)" = 0 ] || fail "a security counter is not 0"
echo "test_daemons: wrong credentials: the rogue bs-2 got 0 backbone messages after" \
     "$(field "$tmp/rogue.log" stopped dtls_handshakes_failed) refused handshakes; the Authenticator refused" \
     "$(field "$tmp/authd.log" stopped dtls_handshakes_failed); the genuine bs-1 got" \
     "$(field "$tmp/bs1.log" stopped backbone_in)"
mkdir "$tmp/one"
mv "$tmp"/*.log "$tmp/one/"
pids=

# ---- 2. a crashed BS ----
"$T" testbed --setup "$tmp/net2" --bs 7 --ms 40 > /dev/null
C=$tmp/net2/net.yaml
start authd authd --config "$C" --state-dir "$tmp/net2/authd-0.state"
wait_for "$tmp/authd.log" '"msg":"started"' 10
for n in 1 2 3 4 5 6 7; do
    start "bs$n" bsd --config "$C" --node "$n" --state-dir "$tmp/net2/bs-$n.state"
done
for n in 1 2 3 4 5 6 7; do wait_for "$tmp/bs$n.log" '"peer":"authd-0"' 10; done
start msd msd --config "$C" --duration 45
sleep 12
# bs-1 is the centre cell: the busiest
kill -9 "$(pid_of bs1)"
wait "$(pid_of bs1)" 2>/dev/null || true
mv "$tmp/bs1.log" "$tmp/bs1-killed.log"
wait_for "$tmp/msd.log" '"msg":"a BS went off the air"' 5
sleep 8
start bs1 bsd --config "$C" --node 1 --state-dir "$tmp/net2/bs-1.state"
wait_for "$tmp/bs1.log" '"peer":"authd-0"' 10
wait_for "$tmp/msd.log" '"msg":"a BS is on the air again"' 5
wait "$(pid_of msd)" || fail "msd exited $?"
for n in 1 2 3 4 5 6 7; do stop "bs$n"; done
kill -0 "$(pid_of authd)" || fail "the Authenticator died"
stop authd
before=$(field "$tmp/msd.log" "a BS went off the air" handovers_so_far)
after=$(field "$tmp/msd.log" stopped handovers)
[ "$(field "$tmp/bs1.log" started restarted)" = true ] || fail "the restarted bs-1 did not know it ran before"
[ "$(field "$tmp/bs1-killed.log" started restarted)" = false ] || fail "the first bs-1 thought it ran before"
[ "$after" -ge $((before + 10)) ] || fail "handovers stopped: $before before the kill, $after in all"
[ "$(field "$tmp/msd.log" stopped insecure)" = 0 ] || fail "a security counter is not 0 at the terminals"
for n in 1 2 3 4 5 6 7; do
    [ "$(field "$tmp/bs$n.log" stopped insecure)" = 0 ] || fail "a security counter is not 0 at bs-$n"
done
[ "$(field "$tmp/authd.log" stopped insecure)" = 0 ] || fail "N went backwards at the Authenticator"
[ "$(field "$tmp/bs1.log" stopped air_in)" -ge 100 ] || fail "the restarted bs-1 did not serve"
[ "$(field "$tmp/bs1.log" stopped backbone_in)" -ge 1 ] || fail "the restarted bs-1 got no backbone message"
grep -q '"level":"error"' "$tmp/authd.log" && fail "the Authenticator logged an error"
echo "test_daemons: crash: bs-1 killed after $before handovers; $after in all; the restarted bs-1 (restarted:" \
     "true) took $(field "$tmp/bs1.log" stopped air_in) air datagrams; every security counter 0"
echo "test_daemons: ok"
