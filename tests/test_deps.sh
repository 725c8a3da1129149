#!/bin/sh
# scripts/install-deps.sh with dpkg-query, id and apt-get stubbed: each make
# target's group installs only what it needs; the report's plotting tools
# are optional (a user who is not root gets a warning and the build goes
# on), a missing required package without root stops with its name.
# usage: test_deps.sh SOURCE_DIR
set -u
SRC=$1
D=$(mktemp -d "${TMPDIR:-/tmp}/tekho_deps.XXXXXX")
trap 'rm -rf "$D"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
mkdir "$D/bin"
# dpkg-query -W -f=... PKG: installed unless PKG is in $D/missing
cat >"$D/bin/dpkg-query" <<'STUB'
#!/bin/sh
for last; do :; done
grep -qx "$last" "$STUB_DIR/missing" 2>/dev/null && exit 1
printf 'install ok installed'
STUB
printf '#!/bin/sh\ncat "$STUB_DIR/uid"\n' >"$D/bin/id"
printf '#!/bin/sh\necho "$*" >>"$STUB_DIR/apt.log"\n' >"$D/bin/apt-get"
chmod +x "$D/bin/"*
export STUB_DIR="$D"
# run UID MISSING... -- GROUP...: install-deps.sh as UID with MISSING not installed
run() {
    echo "$1" >"$D/uid"
    shift
    : >"$D/missing"
    : >"$D/apt.log"
    while [ "$1" != -- ]; do echo "$1" >>"$D/missing"; shift; done
    shift
    PATH="$D/bin:$PATH" sh "$SRC/scripts/install-deps.sh" "$@" >"$D/out" 2>"$D/err"
}

run 1000 mscgen -- report
[ $? = 0 ] && grep -q '^tekho: warning: not installed: mscgen; ' "$D/err" && [ ! -s "$D/apt.log" ] && ok ||
    bad "report tools missing, not root: want a warning and exit 0, got '$(cat "$D/err")'"
run 1000 mscgen -- build report
[ $? = 0 ] && [ ! -s "$D/apt.log" ] && ok || bad "make run's groups, only mscgen missing, not root"
run 1000 libpcap-dev mscgen -- build report
[ $? = 1 ] && grep -q '^tekho: missing Debian packages: libpcap-dev (run as root' "$D/err" && [ ! -s "$D/apt.log" ] && ok ||
    bad "build package missing, not root: want exit 1 naming it, got '$(cat "$D/err")'"
run 0 cmake gnuplot-nox tshark -- build report
[ $? = 0 ] && grep -q 'install .* cmake gnuplot-nox$' "$D/apt.log" && ! grep -q tshark "$D/apt.log" && ok ||
    bad "root: build and report install what they miss and nothing of test's: $(cat "$D/apt.log")"
run 0 -- build report
[ $? = 0 ] && [ ! -s "$D/apt.log" ] && [ ! -s "$D/err" ] && ok || bad "nothing missing: nothing done"
run 0 tshark -- build
[ $? = 0 ] && [ ! -s "$D/apt.log" ] && ok || bad "make: tshark is not the build's"
run 1000 -- --list build
[ "$(tr '\n' ' ' <"$D/out")" = "gcc make cmake pkg-config libssl-dev libpcap-dev libsqlite3-dev libpq-dev libyaml-dev libmicrohttpd-dev " ] && ok ||
    bad "--list build: $(cat "$D/out")"
run 1000 -- --list report
[ "$(tr '\n' ' ' <"$D/out")" = "gnuplot-nox mscgen " ] && ok || bad "--list report: $(cat "$D/out")"
run 1000 -- --list test
for p in tshark postgresql zlib1g-dev gnuplot-nox libpcap-dev; do
    grep -qx "$p" "$D/out" && ok || bad "--list test: no $p"
done
run 1000 -- nosuch
[ $? = 2 ] && ok || bad "an unknown group"
echo "test_deps: $pass passed, $fail failed"
[ "$fail" = 0 ]
