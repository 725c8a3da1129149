#!/bin/bash
# Wireshark as an interop oracle for tekho captures (docs: the shared
# wireshark.md, section 7; tested on tshark 4.0.17, Debian 12, and 4.4.19,
# Debian 13).
#
# usage: tshark-check.sh FILE.pcap
#          exit 0: every frame decodes as 802.16 MAC (USER0 air capture) or
#          WiMAX ASN-CP, with no malformed packet, no expert item at Warning
#          or above and none of the failures tshark reports silently;
#          exit 1: the offending frames are printed on stdout, one per line
#          and reason; an empty or unreadable-to-the-end capture fails too.
#        tshark-check.sh --fields FILE.pcap FIELD...
#          tshark -T fields output for the fields (tab-separated, repeated
#          occurrences comma-separated), decoded with the same options, so
#          tests can compare values.
#        exit 2: bad usage, tshark missing, or tshark refused the fields.
#
# Options (always): -n; -o wmx.corrigendum_2_version:TRUE (without it
# RNG-REQ CMAC_KEY_COUNT, TLV 13, is an unknown TLV); the user_dlts UAT
# mapping USER0 (DLT 147) to wimax_pdu_burst_handler (the only entry point
# that checks HCS and CRC); wimaxasncp.nwg_version pinned to R1.0 v1.2.1
# (the ASN-CP message numbers depend on it). A private, empty
# WIRESHARK_CONFIG_DIR keeps anyone's own preferences out.
set -u

usage() {
    echo "usage: tshark-check.sh FILE.pcap | tshark-check.sh --fields FILE.pcap FIELD..." >&2
    exit 2
}

mode=check
if [ "${1:-}" = "--fields" ]; then
    mode=fields
    shift
    [ $# -ge 2 ] || usage
else
    [ $# -eq 1 ] || usage
fi
file=$1
shift
case $file in -*) usage ;; esac
if [ ! -r "$file" ] || [ -d "$file" ]; then
    echo "tshark-check: cannot read $file" >&2
    exit 2
fi
if ! command -v tshark >/dev/null 2>&1; then
    echo "tshark-check: tshark not found (Debian: apt-get install tshark)" >&2
    exit 2
fi

cfg=$(mktemp -d "${TMPDIR:-/tmp}/tshark-check.XXXXXX") || exit 2
trap 'rm -rf "$cfg"' EXIT
export WIRESHARK_CONFIG_DIR="$cfg"

O=(-n
   -o wmx.corrigendum_2_version:TRUE
   -o 'uat:user_dlts:"User 0 (DLT=147)","wimax_pdu_burst_handler","0","","0",""'
   -o 'wimaxasncp.nwg_version:R1.0 v1.2.1')

# ts ARGS...: tshark on $file; stdout to stdout, stderr kept in $cfg/err
# without the harmless note about running as root. Returns tshark's status.
ts() {
    tshark "${O[@]}" -r "$file" "$@" 2>"$cfg/err.raw"
    local rc=$?
    grep -v '^Running as user "root"' "$cfg/err.raw" >"$cfg/err"
    return $rc
}

if [ "$mode" = fields ]; then
    E=()
    for f in "$@"; do E+=(-e "$f"); done
    ts -T fields "${E[@]}"
    rc=$?
    cat "$cfg/err" >&2
    [ $rc = 0 ] || exit 2
    exit 0
fi

# -T fields in every run: only a full tree raises the length-mismatch
# errors (summary mode fakes the items).
all=$(ts -T fields -e frame.number -e _ws.col.Info)
read_rc=$?
read_err=$(cat "$cfg/err")

# (1) Malformed, or an expert item at Warning (0x600000) or above.
bad=$(ts -T fields -e frame.number -e _ws.expert.message \
        -Y '_ws.malformed || _ws.expert.severity >= 0x00600000')

# (2) What tshark shows without any expert item:
#   wmx.pdu.value            HCS error or invalid PDU, the rest undecoded
#   *.invalid_tlv            an 802.16 TLV of length 0
#   wimaxasncp.tlv_value_bytes  ASN-CP value of the wrong size (raw hex)
#   wimaxasncp.tlv.length == 0  zero-length ASN-CP TLV
#   wimaxasncp.length != udp.length - 8
#                            the ASN-CP length disagrees with the datagram:
#                            bytes past it are silently dropped
#   frame.cap_len < frame.len  the record was cut by a snaplen
#   !(wmx || wimaxasncp)     no WiMAX dissector ran at all (not UDP 2231,
#                            ASN-CP version not 1, another protocol)
inv='wmx.pdu.value || m2m.invalid_tlv || wimaxasncp.tlv_value_bytes || wimaxasncp.tlv.length == 0'
for p in cst ucd dcd sbc rng_rsp rng_req res_cmd rep reg_rsp reg_req dsd dreg; do
    inv="$inv || wmx.$p.invalid_tlv"
done
inv="$inv || wimaxasncp.length != udp.length - 8 || frame.cap_len < frame.len || !(wmx || wimaxasncp)"
silent=$(ts -T fields -e frame.number -e frame.protocols -e _ws.col.Info -Y "$inv")
filter_rc=$?
# Info texts of silent failures ("MAC Header CRC error", "RNG-REQ TLV
# error", "Invalid PDU"): _ws.col.Info cannot be used in -Y in 4.0.
info=$(printf '%s\n' "$all" | grep -E 'error|Invalid')

if [ $filter_rc != 0 ] && [ $read_rc = 0 ]; then
    echo "tshark-check: tshark refused the checks:" >&2
    cat "$cfg/err" >&2
    exit 2
fi

out=$( {
    [ -n "$bad" ] && printf '%s\n' "$bad" | sed 's/\t/: expert: /'
    [ -n "$silent" ] && printf '%s\n' "$silent" | awk -F'\t' '{ print $1 ": silent (" $2 "): " $3 }'
    [ -n "$info" ] && printf '%s\n' "$info" | sed 's/\t/: info: /'
} | sort -n -k1,1 -s | uniq | sed 's/^/frame /')

status=0
if [ -n "$out" ]; then
    printf '%s\n' "$out"
    status=1
fi
if [ $read_rc != 0 ]; then
    # A capture cut short: the frames before the cut were checked above.
    echo "tshark could not read $file to the end: $read_err"
    status=1
elif [ -z "$all" ]; then
    echo "no frames in $file"
    status=1
fi
if [ $status != 0 ]; then
    echo "tshark-check: $file: FAIL" >&2
fi
exit $status
