#!/bin/sh
# Writes a man page from a template and the tool's own --help texts, so the
# page documents every command with the options the tool really takes.
# @VERSION@ becomes VERSION; the line @COMMANDS@ becomes one subsection per
# command listed by `TOOL --help` (the lines after "commands:", "  NAME
# summary"), each with its summary and its `TOOL NAME --help` text verbatim.
# usage: gen-man.sh TOOL TEMPLATE VERSION OUTPUT
set -eu
TOOL=$1
TEMPLATE=$2
VERSION=$3
OUT=$4
tmp=$OUT.tmp
trap 'rm -f "$tmp" "$tmp.cmds"' EXIT

# Text for no-fill roff: backslashes and minus signs escaped (so options copy
# as ASCII), lines starting with a control character protected.
roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

"$TOOL" --help | sed -n '/^commands:/,$p' | sed -n 's/^  \([a-z][a-z0-9-]*\)  *\(.*\)$/\1 \2/p' >"$tmp.cmds"
[ -s "$tmp.cmds" ] || { echo "gen-man.sh: no commands in '$TOOL --help'" >&2; exit 1; }

{
    while IFS= read -r line; do
        case $line in
        @COMMANDS@)
            while read -r name summary; do
                printf '.SS %s\n' "$(printf '%s' "$name" | roff)"
                printf '.PP\n'
                printf '%s\n' "$summary" | roff
                printf '.PP\n.RS 4\n.nf\n'
                "$TOOL" "$name" --help | roff
                printf '.fi\n.RE\n'
            done <"$tmp.cmds"
            ;;
        *) printf '%s\n' "$line" | sed "s/@VERSION@/$VERSION/g" ;;
        esac
    done <"$TEMPLATE"
} >"$tmp"
mv "$tmp" "$OUT"
