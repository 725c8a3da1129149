#!/bin/sh
# What make install puts in place for running the daemons as services,
# installed into a scratch prefix (cmake --install --prefix) and once with
# DESTDIR: the systemd units (tekho-authd.service, tekho-bsd@.service,
# tekho-msd.service: Type=notify, ExecStart naming the installed tool and
# /etc/tekho/net.yaml, options the tool takes), the tekho user's
# sysusers.d file and the example configs. systemd-analyze verify must
# find nothing to say about the units (Documentation= included: the man
# page is installed), and systemd-analyze security must rate them well
# exposed no more than 2.0 of 10. Without systemd-analyze the rest is
# checked and the test is reported skipped (77).
# usage: test_units.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/tekho_units.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

P=$W/prefix
cmake --install "$BUILD" --prefix "$P" >/dev/null || bad "cmake --install --prefix"
U=$P/lib/systemd/system
UNITS="tekho-authd.service tekho-bsd@.service tekho-msd.service"
for u in $UNITS; do
    [ -f "$U/$u" ] && ok || bad "$u not installed in lib/systemd/system"
done
[ -f "$P/lib/sysusers.d/tekho.conf" ] && grep -q '^u tekho - ' "$P/lib/sysusers.d/tekho.conf" && ok ||
    bad "lib/sysusers.d/tekho.conf: no tekho user"
for e in net-cert.yaml net-psk.yaml; do
    [ -f "$P/share/tekho/examples/$e" ] && cmp -s "$P/share/tekho/examples/$e" "$SRC/deploy/examples/$e" && ok ||
        bad "share/tekho/examples/$e not installed"
done

# Each unit: Type=notify, no @PLACEHOLDER@ left, ExecStart the installed
# tool on /etc/tekho/net.yaml, with options the tool takes.
for u in $UNITS; do
    f=$U/$u
    grep -qx 'Type=notify' "$f" && grep -qx 'NotifyAccess=main' "$f" && ok || bad "$u: not Type=notify, NotifyAccess=main"
    grep -q '@[A-Z_]*@' "$f" && bad "$u: a placeholder left: $(grep '@[A-Z_]*@' "$f")" || ok
    for k in User=tekho ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes CapabilityBoundingSet= \
        'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' RestartPreventExitStatus=2; do
        grep -qx "$k" "$f" && ok || bad "$u: no $k"
    done
    exec=$(sed -n 's/^ExecStart=//p' "$f")
    role=${u#tekho-}
    role=${role%%[@.]*}
    case $exec in
    "$P/bin/tekho $role --config /etc/tekho/net.yaml"*) ok ;;
    *) bad "$u: ExecStart=$exec" ;;
    esac
    # the options, as systemd expands them for instance 1, are the tool's
    # shellcheck disable=SC2086
    set -- $(printf '%s\n' "$exec" | sed -e 's/%i/1/g' -e "s|%S|$W/state|g")
    "$@" --help >/dev/null 2>"$W/err" && ok || bad "$u: the tool refuses ExecStart's options: $(cat "$W/err")"
done
grep -q '^ExecStart=.* --node %i --state-dir %S/tekho/bs-%i$' "$U/tekho-bsd@.service" &&
    grep -qx 'StateDirectory=tekho/bs-%i' "$U/tekho-bsd@.service" && ok || bad "tekho-bsd@.service: --state-dir not its StateDirectory"

# DESTDIR: the files under it, the paths in them without it.
D=$W/destdir
DESTDIR=$D cmake --install "$BUILD" --prefix /opt/tekho >/dev/null || bad "DESTDIR=... cmake --install"
grep -qx 'ExecStart=/opt/tekho/bin/tekho msd --config /etc/tekho/net.yaml' "$D/opt/tekho/lib/systemd/system/tekho-msd.service" &&
    ok || bad "DESTDIR: tekho-msd.service's ExecStart"

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "test_units: $pass passed, $fail failed; systemd-analyze is not installed: the units are not verified"
    [ "$fail" = 0 ] && exit 77
    exit 1
fi
# verify: every warning is a failure (it exits 0 on unknown keys); its
# Documentation= check runs man, which finds the installed page.
(cd "$U" && MANPATH=$P/share/man systemd-analyze verify ./tekho-authd.service ./tekho-bsd@.service \
    ./tekho-msd.service) >"$W/verify" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ ! -s "$W/verify" ]; then ok; else bad "systemd-analyze verify: exit $rc: $(head -n 5 "$W/verify")"; fi
# and it does speak up: an unknown key in a copy
sed 's/^Type=notify$/Type=notify\nNoSuchKey=1/' "$U/tekho-msd.service" >"$W/tekho-copy.service"
(cd "$W" && MANPATH=$P/share/man systemd-analyze verify ./tekho-copy.service) >"$W/verify" 2>&1
grep -q NoSuchKey "$W/verify" && ok || bad "systemd-analyze verify said nothing of an unknown key"
for u in $UNITS; do
    (cd "$U" && systemd-analyze security --offline=yes --threshold=20 "./$u") >"$W/security" 2>&1 && ok ||
        bad "systemd-analyze security $u: $(tail -n 1 "$W/security")"
done
echo "test_units: $pass passed, $fail failed"
[ "$fail" = 0 ]
