#!/bin/sh
# Compares, frame by frame, the PDUs tekho decode finds in an air capture
# with tshark's dissection: each frame's message names in order (tshark's
# Info column: "RNG-REQ", "BR AGGREGATE", "Data", "DL-MAP") and its CIDs
# (tshark's wmx.genericCid and wmx.type1Cid). tshark names no encrypted
# PDU (an "Encrypted PDU" blob, Info empty), so tekho's encrypted "Data"
# compares as an empty name; M2M fragment notes are left out. Prints the
# lines that differ.
# usage: pdu_compare.sh TEKHO FILE [BASIC_CID_MAX]
#   exit 0 same, 1 different, 2 usage or a tool failed, 77 no tshark.
set -u
[ $# -ge 2 ] || { echo "usage: pdu_compare.sh TEKHO FILE [BASIC_CID_MAX]" >&2; exit 2; }
T=$1
F=$2
MAX=${3:-320}
command -v tshark >/dev/null 2>&1 || exit 77
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pdu-compare.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
export WIRESHARK_CONFIG_DIR="$tmp"
# tekho: frame|name,name|cid,cid (a PDU without a CID adds none)
"$T" decode "$F" --basic-cid-max "$MAX" --json >"$tmp/tekho.json" || exit 2
sed -n 's/^{"frame": \([0-9]*\), "type": "\([^"]*\)", "fields": {\(.*\)$/\1|\2|\3/p' "$tmp/tekho.json" |
    awk -F'|' '{ cid = ""; if (match($3, /^"cid": [0-9]+/)) cid = substr($3, 8, RLENGTH - 7)
                 if ($2 == "Data" && $3 ~ /"eks": /) $2 = ""    # tshark names no encrypted PDU
                 if ($1 != f) { if (f != "") print f "|" n "|" c; f = $1; n = $2; c = cid }
                 else { n = n "," $2; if (cid != "") c = (c == "" ? cid : c "," cid) } }
           END { if (f != "") print f "|" n "|" c }' >"$tmp/tekho"
# tshark: the Info column without the failure notes Wireshark appends
tshark -n -r "$F" -o wmx.corrigendum_2_version:TRUE -o "wmx.basic_cid_max:$MAX" \
    -o 'uat:user_dlts:"User 0 (DLT=147)","wimax_pdu_burst_handler","0","","0",""' \
    -T fields -E separator='|' -e frame.number -e _ws.col.Info -e wmx.genericCid -e wmx.type1Cid \
    -Y 'wmx.hdr || wmx' 2>"$tmp/err" >"$tmp/tshark.raw" || { cat "$tmp/err" >&2; exit 2; }
awk -F'|' '{ info = $2; gsub(/\[Malformed Packet\]/, "", info); gsub(/\[Packet size limited during capture\]/, "", info)
             n = split(info, part, ", "); names = ""
             for (i = 1; i <= n; i++) { if (part[i] ~ / TLV error$/ || part[i] ~ /TLV Fragment/ || part[i] == "") continue
                                        names = (names == "" ? part[i] : names "," part[i]) }
             cids = $3; if ($4 != "") cids = (cids == "" ? $4 : cids "," $4)
             if (names != "" || cids != "") print $1 "|" names "|" cids }' "$tmp/tshark.raw" >"$tmp/tshark"
if diff "$tmp/tshark" "$tmp/tekho" >"$tmp/diff"; then
    echo "pdu_compare: $F: $(wc -l <"$tmp/tekho") frames alike"
    exit 0
fi
echo "pdu_compare: $F: tshark (<) and tekho (>) differ:"
head -n 20 "$tmp/diff"
exit 1
