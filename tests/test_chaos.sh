#!/bin/sh
# test_chaos: issue 13's chaos on the testbed: 7 bsd and 40 terminals for
# 40 s under counter while an Authenticator is killed (SIGKILL) 3 times at
# random moments and restarted on the same store: every security counter
# and invariant 0, the kills happened, handovers complete after the last.
# usage: test_chaos.sh TEKHO JSON_CHECK STORE [AUTHD]
#   STORE: sqlite, or a postgresql:// URL (with_pg gives one)
set -eu
T=$1
J=$2
STORE=$3
AUTHD=${4:-1}
tmp=$(mktemp -d)
kept=
trap 'rm -rf "$tmp" ${kept:+"$kept"}' EXIT
fail() {
    # the run's logs and traces (every process's life) stay for a look
    [ -n "$kept" ] && echo "test_chaos: the run's logs and traces: $kept" >&2 && kept=
    echo "test_chaos: FAIL: $*" >&2
    exit 1
}
val() { "$J" -p "$1" < "$tmp/out.json" || fail "no $1 in the JSON"; }
"$T" testbed --bs 7 --ms 40 --duration 40 --schemes counter --store "$STORE" --authd "$AUTHD" \
    --chaos kill-authd=3 --keep --trace --json > "$tmp/out.json" 2> "$tmp/err.txt" || { cat "$tmp/err.txt" >&2; fail "exit $?"; }
kept=$("$J" -p processes.counter.kept < "$tmp/out.json") || fail "no processes.counter.kept in the JSON (--keep)"
kept=${kept#\"}
kept=${kept%\"} # a JSON string as written: a mkdtemp name needs no escapes
[ -d "$kept" ] || fail "no run directory kept (--keep)"
# --trace: a file per process life (each kill's restart its own), the msd's with the handovers
n_authd_traces=$(find "$kept" -name 'authd-*.trace' | wc -l)
[ "$n_authd_traces" -eq $((AUTHD + 3)) ] || fail "$n_authd_traces Authenticator traces, not $((AUTHD + 3))"
grep -q ' event ms[0-9]* HO_COMPLETED ' "$kept"/msd-0.*.trace || fail "no completed handover in the msd's trace"
"$J" < "$tmp/out.json" || fail "the JSON does not parse"
[ "$(val processes.counter.ok)" = true ] || fail "a process failed: $(val processes.counter.error)"
[ "$(val chaos.counter.authd_kills)" = 3 ] || fail "$(val chaos.counter.authd_kills) kills, not 3"
after=$(val chaos.counter.handovers_after_last_kill)
[ "$after" -ge 1 ] || fail "no handover completed after the last kill"
for k in security.insecure security.replayed_pdus_accepted security.forged_pdus_accepted security.pn_reuse \
         security.tek_mismatch_after_ho invariants.n_decreased invariants.m_decreased; do
    [ "$(val schemes.counter.$k)" = 0 ] || fail "$k is $(val schemes.counter.$k)"
done
echo "test_chaos: store $(val chaos.counter.store), $AUTHD Authenticator(s): $(val chaos.counter.authd_kills) kills," \
     "$(val schemes.counter.handovers.completed) handovers, $after after the last kill," \
     "$(val chaos.counter.reauthentications) re-authentications; every security counter and invariant 0"
