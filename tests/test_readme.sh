#!/bin/sh
# The README runs as written: every command in its code blocks (a line
# starting with "$ ", continued by a trailing backslash) is run, in order,
# in one shell from the top of a copy of the source tree whose build/ is the
# build tree under test, as a reader pastes them after the two set-up
# commands. Each must exit 0, and each output line the README shows after
# it (up to the next command or the end of the block) must be a line it
# printed; "..." in a shown line stands for any text, a line of "..." alone
# for lines left out.
# A block is left out only with a marker on the line before it that says
# why: <!-- readme-test: skip: REASON --> (not run: the set-up commands
# themselves, installing into /usr/local, minutes of CPU) or
# <!-- readme-test: run-only: REASON --> (run, its output not compared:
# timings). The skipped commands and their reasons are printed.
# usage: test_readme.sh README.md BUILD_DIR SOURCE_DIR
set -u
[ $# -eq 3 ] || { echo "usage: test_readme.sh README.md BUILD_DIR SOURCE_DIR" >&2; exit 2; }
README=$1
BUILD=$(cd "$2" && pwd)
SRC=$(cd "$3" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/tekho_readme.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# The reader's tree: the sources, and build/ the tree under test.
mkdir "$W/root" "$W/cmds"
for f in "$SRC"/* "$SRC"/.[!.]*; do
    [ -e "$f" ] || continue
    case ${f##*/} in build | build-* | .git) continue ;; esac
    ln -s "$f" "$W/root/${f##*/}"
done
ln -s "$BUILD" "$W/root/build"

# Split the README into commands: cmds/N.sh (the command), cmds/N.want (the
# lines shown after it), cmds/N.mode (run, run-only or skip: REASON) and
# cmds/N.line (its line in the README).
awk -v dir="$W/cmds" '
    /^<!-- readme-test: / {
        marker = $0
        sub(/^<!-- readme-test: /, "", marker)
        sub(/ *-->$/, "", marker)
        pending = marker
        next
    }
    /^```/ {
        if (!inblock) { inblock = 1; mode = pending; pending = ""; cur = 0 }
        else { inblock = 0; cur = 0 }
        next
    }
    !inblock { if ($0 != "") pending = ""; next }
    cont {
        print $0 >> (dir "/" cur ".sh")
        cont = ($0 ~ /\\$/)
        next
    }
    /^\$ / {
        cur = ++n
        cmd = substr($0, 3)
        print cmd > (dir "/" cur ".sh")
        printf "" > (dir "/" cur ".want")
        print (mode == "" ? "run" : mode) > (dir "/" cur ".mode")
        print NR > (dir "/" cur ".line")
        cont = ($0 ~ /\\$/)
        next
    }
    cur > 0 { print $0 >> (dir "/" cur ".want") }
    END { print n > (dir "/count") }
' "$README"
n=$(cat "$W/cmds/count")
[ "$n" -ge 15 ] && ok || bad "only $n commands found in $README"

# One shell runs them all, in order, so that an export carries on as in a terminal.
{
    echo 'cd "$1" || exit 1'
    i=1
    while [ "$i" -le "$n" ]; do
        case $(cat "$W/cmds/$i.mode") in
        skip:*) ;;
        *)
            echo "{"
            cat "$W/cmds/$i.sh"
            echo "} >\"\$2/$i.out\" 2>&1 </dev/null"
            echo "echo \$? >\"\$2/$i.rc\""
            ;;
        esac
        i=$((i + 1))
    done
} >"$W/run.sh"
mkdir "$W/out"
sh "$W/run.sh" "$W/root" "$W/out"

# Whether a shown line is a line of the output: "..." matches any text.
shown_in() { # shown_in LINE FILE
    awk -v want="$1" '
        BEGIN { np = split(want, part, /\.\.\./) }
        {
            line = $0
            if (np == 1) { if (line == want) { found = 1; exit } next }
            if (index(line, part[1]) != 1) next
            rest = substr(line, length(part[1]) + 1)
            good = 1
            for (k = 2; k < np; k++) {
                at = index(rest, part[k])
                if (part[k] != "" && at == 0) { good = 0; break }
                rest = substr(rest, at + length(part[k]))
            }
            last = part[np]
            if (good && (last == "" || (length(rest) >= length(last) && substr(rest, length(rest) - length(last) + 1) == last))) {
                found = 1
                exit
            }
        }
        END { exit !found }' "$2"
}

i=1
skipped=0
while [ "$i" -le "$n" ]; do
    mode=$(cat "$W/cmds/$i.mode")
    line=$(cat "$W/cmds/$i.line")
    cmd=$(head -n 1 "$W/cmds/$i.sh")
    case $mode in
    skip:*)
        reason=${mode#skip:}
        if [ -n "$(echo "$reason" | tr -d ' ')" ]; then ok; else bad "README line $line: a skip without a reason"; fi
        echo "test_readme: not run, README line $line: $cmd (${reason# })"
        skipped=$((skipped + 1))
        ;;
    run | run-only:*)
        rc=$(cat "$W/out/$i.rc" 2>/dev/null || echo "none")
        if [ "$rc" = 0 ]; then ok; else bad "README line $line: exit $rc: $cmd
$(tail -n 5 "$W/out/$i.out" 2>/dev/null)"; fi
        if [ "$mode" = run ]; then
            while IFS= read -r want; do
                case $want in "" | "...") continue ;; esac
                shown_in "$want" "$W/out/$i.out" || echo "$want"
            done <"$W/cmds/$i.want" >"$W/missing"
            if [ -s "$W/missing" ]; then
                bad "README line $line: $cmd: shown lines it does not print:
$(cat "$W/missing")"
            else
                ok
            fi
        elif [ -z "$(echo "${mode#run-only:}" | tr -d ' ')" ]; then
            bad "README line $line: a run-only without a reason"
        fi
        ;;
    *) bad "README line $line: unknown marker '$mode'" ;;
    esac
    i=$((i + 1))
done
echo "test_readme: $n commands, $skipped not run; $pass passed, $fail failed"
[ "$fail" = 0 ]
