#!/bin/sh
# The captures test_capture writes, judged by Wireshark: air.pcap and
# backbone.pcap pass scripts/tshark-check.sh and decode to the values they
# were built from; each bad_*.pcap fails it for its own reason (a bad CRC
# and a bad HCS, zero-length TLVs on the air and on the backbone, framing
# errors), and so does air.pcap with one byte changed, so the checker is
# shown to catch what it claims. Protocol lists (frame.protocols) are
# compared by the names they must contain, in order, so that a Wireshark
# version adding a layer (4.4 adds wmx) still passes.
# usage: test_tshark.sh DIR [TEST_CAPTURE]
#   DIR holds the captures; with TEST_CAPTURE, that binary writes them
#   there first (test_capture DIR). Exit 77 (skipped) without tshark.
set -u
[ $# -ge 1 ] || { echo "usage: test_tshark.sh DIR [TEST_CAPTURE]" >&2; exit 2; }
D=$1
CHECK=$(cd "$(dirname "$0")/.." && pwd)/scripts/tshark-check.sh
if ! command -v tshark >/dev/null 2>&1; then
    echo "test_tshark: tshark not installed, skipped" >&2
    exit 77
fi
if [ $# -ge 2 ]; then
    if ! mkdir -p "$D" || ! "$2" "$D" >/dev/null; then
        echo "FAIL: $2 $D" >&2
        exit 1
    fi
fi

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
T=$(printf '\t')

# passes FILE: the checker accepts it
passes() {
    if out=$("$CHECK" "$D/$1" 2>&1); then
        ok
    else
        bad "$1 should pass tshark-check:"
        printf '%s\n' "$out" >&2
    fi
}
# fails FILE TEXT: the checker rejects it (exit 1) and says TEXT
fails() {
    out=$("$CHECK" "$D/$1" 2>/dev/null)
    rc=$?
    if [ $rc = 1 ] && printf '%s\n' "$out" | grep -qF -- "$2"; then
        ok
    else
        bad "$1 should fail tshark-check with '$2', got exit $rc:"
        printf '%s\n' "$out" >&2
    fi
}
# has_protos WANT GOT: the colon-separated protocol names of WANT appear in
# GOT in that order, others allowed between them (newer Wireshark versions
# add layers: 4.4 adds wmx to the air frames).
has_protos() {
    awk -v want="$1" -v got="$2" 'BEGIN {
        n = split(want, w, ":"); m = split(got, g, ":"); j = 1
        for (i = 1; i <= m && j <= n; i++) if (g[i] == w[j]) j++
        exit !(n > 0 && j > n) }'
}
# protos FILE FRAME PROTOS: that frame's frame.protocols has PROTOS (has_protos)
protos() {
    got=$("$CHECK" --fields "$D/$1" frame.number frame.protocols 2>/dev/null | awk -F"$T" -v n="$2" '$1 == n { print $2 }')
    if has_protos "$3" "$got"; then
        ok
    else
        bad "$1 frame $2: protocols '$got' lack $3"
    fi
}
# silent FILE FRAME PROTOS [TEXT]: the checker rejects FILE (exit 1) with a
# silent failure of that frame whose protocols have PROTOS (has_protos) and
# whose line says TEXT
silent() {
    out=$("$CHECK" "$D/$1" 2>/dev/null)
    rc=$?
    line=$(printf '%s\n' "$out" | grep -F -- "frame $2: silent (" | head -n 1)
    got=$(printf '%s' "$line" | sed 's/^[^(]*(\([^)]*\)).*/\1/')
    if [ $rc = 1 ] && [ -n "$line" ] && has_protos "$3" "$got" && printf '%s' "$line" | grep -qF -- "${4:-}"; then
        ok
    else
        bad "$1 should fail tshark-check with frame $2 silent ($3) ${4:-}, got exit $rc:"
        printf '%s\n' "$out" >&2
    fi
}
# fields FILE EXPECTED FIELD...: the -T fields output, tabs written as '|'
fields() {
    f=$1
    want=$2
    shift 2
    got=$("$CHECK" --fields "$D/$f" "$@" 2>&1 | tr "$T" '|')
    if [ "$got" = "$want" ]; then
        ok
    else
        bad "$f fields $*"
        printf 'got:\n%s\nwant:\n%s\n' "$got" "$want" >&2
    fi
}

passes air.pcap
passes backbone.pcap

# Air: frame 3 holds two PDUs; frame 4 has no CRC (an expert Note only).
# CMAC_KEY_COUNT in RNG-REQ decodes only with the corrigendum-2 option.
# The protocol lists are checked by name and order, not as whole strings,
# which change between Wireshark versions.
fields air.pcap "1|RNG-REQ|4|1|1.000000000
2|RNG-RSP|5|1|1.000500000
3|RNG-REQ, MOB-HO-IND|4,59|1,1|1.002000000
4|MOB-HO-IND|59||4294967295.999999000" \
    frame.number _ws.col.Info wmx.macmgtmsgtype wmx.genericCrc.status frame.time_epoch
protos air.pcap 1 user_dlt:wmx.hdr:wmx.mgmt:wmx.rng_req
protos air.pcap 2 user_dlt:wmx.hdr:wmx.mgmt:wmx.rng_rsp
protos air.pcap 3 user_dlt:wmx.hdr:wmx.mgmt:wmx.rng_req:wmx.hdr:wmx.mgmt
protos air.pcap 4 user_dlt:wmx.hdr:wmx.mgmt
# ... and the comparison can fail: frame 3 has two PDUs, not three, and
# frame 2 is no RNG-REQ.
if has_protos user_dlt:wmx.hdr:wmx.hdr:wmx.hdr "$("$CHECK" --fields "$D/air.pcap" frame.protocols 2>/dev/null | sed -n 3p)"; then
    bad "has_protos accepts three PDUs in frame 3"
else
    ok
fi
if has_protos wmx.rng_req "$("$CHECK" --fields "$D/air.pcap" frame.protocols 2>/dev/null | sed -n 2p)"; then
    bad "has_protos accepts an RNG-REQ in frame 2"
else
    ok
fi
# A good capture with one byte changed (frame 1, the RNG-REQ's MS MAC
# address) fails the check: the CRC no longer matches.
cp "$D/air.pcap" "$D/corrupt_air.pcap"
off=$((24 + 16 + 12))
byte=$(od -An -tu1 -j $off -N 1 "$D/air.pcap" | tr -d ' ')
printf '%b' "\\0$(printf '%03o' $((byte ^ 0x01)))" | dd of="$D/corrupt_air.pcap" bs=1 seek=$off conv=notrunc 2>/dev/null
fails corrupt_air.pcap "frame 1: expert: Bad checksum"
fields air.pcap "1|5|42|0a:1b:2c:3d:4e:5f|00:aa:bb:cc:dd:ee|0x01|||
2||||||3|0x00ff|0x2a
3|5|42|0a:1b:2c:3d:4e:5f|00:aa:bb:cc:dd:ee|0x01|||
4||||||||" \
    frame.number wmx.rng_req.cmac_key_count wmx.rng_req.ho_id wmx.rng_req.ss_mac_address \
    wmx.rng_req.serving_bs_id wmx.rng_req.ranging_purpose.indication wmx.rng_rsp.ranging_status \
    wmx.rng_rsp.ho_process_optimization wmx.rng_rsp.ho_id

# Backbone: node ids as 10.x.y.z, UDP 2231 both ways, R1.0 v1.2.1 names.
fields backbone.pcap "1|10.0.0.1|10.0.0.2|2231|2231|HO_Req - MSID:0a:1b:2c:3d:4e:5f, TID:0x0001|2.000000000
2|10.0.0.3|10.0.0.2|2231|2231|Context_Rpt - MSID:0a:1b:2c:3d:4e:5f, TID:0x0002|2.000100000
3|10.0.0.2|10.255.255.255|2231|2231|CMAC_Key_Count_Update - MSID:0a:1b:2c:3d:4e:5f, TID:0x0003|2.000200000" \
    frame.number ip.src ip.dst udp.srcport udp.dstport _ws.col.Info frame.time_epoch
fields backbone.pcap "1|2|0x0001|5|||||0|00:aa:bb:cc:dd:ee|00:aa:bb:cc:dd:01|0a:1b:2c:3d:4e:5f
2|4|0x0002|5|000102030405060708090a0b0c0d0e0f10111213|a0a1a2a3a4a5a6a7|3600|0x02||||0a:1b:2c:3d:4e:5f
3|4|0x0003|6||||||||0a:1b:2c:3d:4e:5f" \
    frame.number wimaxasncp.function_type wimaxasncp.transaction_id \
    wimaxasncp.tlv.CMAC_KEY_COUNT.value wimaxasncp.tlv.AK.value wimaxasncp.tlv.AK_ID.value \
    wimaxasncp.tlv.AK_Lifetime.value wimaxasncp.tlv.AK_SN.value wimaxasncp.tlv.HO_Type.value \
    wimaxasncp.tlv.Source_Identifier.bsid_value wimaxasncp.tlv.Destination_Identifier.bsid_value \
    wimaxasncp.tlv.MS_ID.value

fails bad_crc.pcap "frame 1: expert: Bad checksum [should be 0x042cd2a2]"
fails bad_hcs.pcap "frame 1: info: MAC Header CRC error"
fails bad_zero_tlv.pcap "frame 1: info: RNG-REQ, RNG-REQ TLV error"
silent bad_zero_tlv_backbone.pcap 1 eth:ethertype:ip:udp:wimaxasncp
# bad_backbone.pcap: frames 1 and 8 are good, 2..7 each wrong in one way.
silent bad_backbone.pcap 2 eth:ethertype:ip:icmp:data
silent bad_backbone.pcap 3 eth:ethertype:ip:udp:data
fails bad_backbone.pcap "frame 4: expert: IPv4 total length exceeds packet length (10 bytes)"
fails bad_backbone.pcap "frame 5: expert: IPv4 total length exceeds packet length"
silent bad_backbone.pcap 6 eth:ethertype:arp
silent bad_backbone.pcap 7 eth:ethertype:ip:udp:wimaxasncp "CMAC_Key_Count_Update[Packet size limited during capture]"
out=$("$CHECK" "$D/bad_backbone.pcap" 2>/dev/null)
if printf '%s\n' "$out" | grep -qE '^frame (1|8):'; then bad "bad_backbone.pcap: good frames 1 or 8 reported"; else ok; fi

echo "test_tshark: $pass passed, $fail failed"
[ "$fail" = 0 ]
