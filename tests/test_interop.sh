#!/bin/sh
# Interop: captures of every message type, written by tekho (tests/samples.c),
# pass Wireshark's dissectors without a malformed packet, an expert item at
# Warning or above, or a silent failure (scripts/tshark-check.sh), and
# decode to the values that were encoded; `tekho decode` reads them back
# with every CMAC verified and the data PDU opened, flags corrupted copies
# by name, and reads a hand-made capture in Wireshark's documented layout.
# usage: test_interop.sh MAKE_CAPTURES TEKHO DIR
set -u
MAKE=$1
T=$2
D=$3
CHECK=$(cd "$(dirname "$0")/.." && pwd)/scripts/tshark-check.sh
mkdir -p "$D" && "$MAKE" "$D" || { echo "FAIL: $MAKE $D" >&2; exit 1; }
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
same() { # same WHAT GOT WANT
    if [ "$2" = "$3" ]; then ok; else bad "$1: got
$2
want
$3"; fi
}
TAB=$(printf '\t')

MSK=3d8bfc43c8004afb0ff83b6a30ee7d6cbf93b076b93653e9627fe47aef9cb384caa55b812aad2d7de554cf9eea8487a0f6f4b35fbddb2f232b771d2f71fdda94
KEYS="--msk $MSK --ms-mac 001b11c9d50c --bsid 000000000005000000000007"

# ---- tekho decode (runs without tshark)
got=$("$T" decode "$D/air.pcap" --json $KEYS | sed -n 's/.*"type": "\([^"]*\)".*/\1/p' | tr '\n' ' ')
same "decode air types" "$got" "SBC-REQ SBC-RSP PKM-REQ PKM-RSP PKM-RSP PKM-RSP PKM-RSP PKM-REQ PKM-RSP MOB-MSHO-REQ MOB-BSHO-RSP MOB-HO-IND Data RNG-REQ RNG-RSP RNG-RSP "
got=$("$T" decode "$D/air.pcap" --json $KEYS | grep -o '"cmac": "[a-z]*"' | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
same "decode air CMACs" "$got" ' 2 "cmac": "absent"  13 "cmac": "ok" '
# JSON Lines: the last object is the summary, with the text line's names.
got=$("$T" decode "$D/air.pcap" --json $KEYS | tail -n 1)
same "decode air summary (JSON)" "$got" '{"summary": {"messages": 16, "cmac_ok": 13, "cmac_bad": 0, "cmac_absent": 2, "cmac_unchecked": 0, "decrypt_ok": 1, "decrypt_bad": 0, "decrypt_unchecked": 0, "malformed": 0, "errors": 0, "skipped": 0}}'
got=$("$T" decode "$D/air.pcap" | tail -n 1)
same "decode air summary without keys" "$got" 'summary: messages=16 cmac_ok=0 cmac_bad=0 cmac_absent=2 cmac_unchecked=13 decrypt_ok=0 decrypt_bad=0 decrypt_unchecked=1 malformed=0 errors=0 skipped=0'
got=$("$T" decode "$D/air.pcap" --json $KEYS | grep '"type": "Data"' | grep -o '"decrypt": "[a-z]*"')
same "decode counter-TEK data PDU" "$got" '"decrypt": "ok"'
got=$("$T" decode "$D/air.pcap" --json $KEYS | grep '"type": "RNG-REQ"' |
      grep -o '"ms_mac": "[^"]*"\|"cmac_key_count": [0-9]*\|"serving_bsid": "[^"]*"' | tr '\n' ' ')
same "decode RNG-REQ values" "$got" '"ms_mac": "00:1b:11:c9:d5:0c" "serving_bsid": "000000000005" "cmac_key_count": 1 '
got=$("$T" decode "$D/air.pcap" --json $KEYS | grep -o '"code": 2[012],.*"cmac_pn"' |
      sed 's/"code_name": "[^"]*", "identifier": [0-9]*, //' | tr '\n' ' ')
same "decode SA-TEK handshake" "$got" '"code": 20, "key_seq": 0, "bs_random": "b1b2b3b4b5b6b7b8", "akid": "3b7e354a44b25806", "key_lifetime_s": 28800, "cmac_pn" "code": 21, "key_seq": 0, "ms_random": "a1a2a3a4a5a6a7a8", "bs_random": "b1b2b3b4b5b6b7b8", "akid": "3b7e354a44b25806", "cmac_pn" "code": 22, "key_seq": 0, "said": 43, "ms_random": "a1a2a3a4a5a6a7a8", "bs_random": "b1b2b3b4b5b6b7b8", "akid": "3b7e354a44b25806", "cmac_pn" '
got=$("$T" decode "$D/air.pcap" --json $KEYS | grep -o '"tek_mode": "[a-z-]*"' | tr '\n' ' ')
same "decode TEK modes" "$got" '"tek_mode": "counter" "tek_mode": "counter" "tek_mode": "sa-tek-update" '
got=$("$T" decode "$D/air.pcap" | sed -n 1p)
same "decode text line" "$got" "1 SBC-REQ cid=43 bw_alloc_support=32 security_negotiation={pkm_version=1 auth_policy=12 mac_mode=2 pn_window_size=128 max_sas=2 tek_generation=1 counter_tek_supported=true} cmac=absent"
# Without keys there is nothing to verify, so no verdict is claimed.
got=$("$T" decode "$D/air.pcap" --json | grep -c '"cmac": "ok"\|"decrypt"')
same "decode without keys" "$got" 0
# A wrong MSK fails every CMAC and the data PDU. (Only the MSK's last 20
# bytes, the PMK, matter: the first byte would change nothing.)
WRONG=$(printf '%s' "$MSK" | sed 's/94$/95/')
got=$("$T" decode "$D/air.pcap" --json --msk "$WRONG" --ms-mac 001b11c9d50c --bsid 000000000005000000000007 2>/dev/null |
      grep -c '"cmac": "bad"\|"decrypt": "bad"')
same "decode with a wrong MSK" "$got" 14
# ... and says why the SA-TEK handshake's AK is none it can derive.
got=$("$T" decode "$D/air.pcap" --msk "$WRONG" --ms-mac 001b11c9d50c --bsid 000000000005000000000007 2>&1 >/dev/null |
      grep -c 'its AKID comes from none of the MSKs and BSIDs given')
same "decode notes an unknown AKID" "$got" 3
# The TEK alone opens the data PDU.
TKEK=$("$T" keys --msk $MSK --ms-mac 001b11c9d50c --bsid 000000000007 | sed -n 's/^KEK=//p')
TEK0=$("$T" tek --kek "$TKEK" --ckc 1 --said 43 | sed -n 's/^TEK0=//p')
got=$("$T" decode "$D/air.pcap" --tek "$TEK0" | grep ' Data ' | grep -o 'decrypt=[a-z]*')
same "decode with --tek" "$got" "decrypt=ok"
got=$("$T" decode "$D/backbone.pcap" --json | sed -n 's/.*"type": "\([^"]*\)".*/\1/p' | tr '\n' ' ')
same "decode backbone types" "$got" "HO_Req HO_Rsp HO_Ack Context_Req Context_Rpt Context_Ack HO_Cnf HO_Complete CMAC_Key_Count_Update CMAC_Key_Count_Update_ACK HO_Req "
got=$("$T" decode "$D/backbone.pcap" --json | grep '"Context_Rpt"' | grep -o '"ak_context": {[^}]*}')
same "decode AK context (no AK printed)" "$got" '"ak_context": {"ak_id": "083cefc3e041bb60", "ak_lifetime_s": 28800, "ak_sn": 0, "cmac_key_count": 1}'
got=$("$T" decode "$D/corrupt.pcap" --json $KEYS | grep -o '"cmac": "bad"\|"decrypt": "bad"\|"error": "[^"]*"' | tr '\n' ' ')
same "decode flags corruption" "$got" '"cmac": "bad" "decrypt": "bad" "error": "bad HCS" "error": "bad CRC" '
got=$("$T" decode "$D/corrupt.pcap" $KEYS | tail -n 1)
same "decode corruption summary" "$got" 'summary: messages=4 cmac_ok=0 cmac_bad=1 cmac_absent=0 cmac_unchecked=0 decrypt_ok=0 decrypt_bad=1 decrypt_unchecked=0 malformed=2 errors=0 skipped=0'
"$T" decode "$D/corrupt.pcap" $KEYS >/dev/null
same "decode corruption exit status" "$?" 0
"$T" decode "$D/corrupt.pcap" $KEYS --strict >/dev/null
same "decode --strict corruption exit status" "$?" 1
"$T" decode "$D/air.pcap" $KEYS --strict >/dev/null
same "decode --strict clean exit status" "$?" 0

# ---- Wireshark's own reading
if ! command -v tshark >/dev/null 2>&1; then
    echo "test_interop: $pass passed, $fail failed (tshark missing: Wireshark checks skipped)"
    [ "$fail" = 0 ] || exit 1
    exit 77
fi
for f in air backbone; do
    if out=$("$CHECK" "$D/$f.pcap" 2>&1); then ok; else bad "tshark-check $f.pcap: $out"; fi
done
if "$CHECK" "$D/corrupt.pcap" >/dev/null 2>&1; then bad "tshark-check should reject corrupt.pcap"; else ok; fi

# fields FILE FIELD...: one line per frame, '|' between fields, frames whose
# first field is empty left out, lines joined by spaces.
fields() { "$CHECK" --fields "$@" | grep -v "^$TAB\|^$" | tr "$TAB" '|' | tr '\n' ' '; }
got=$(fields "$D/air.pcap" _ws.col.Info wmx.macmgtmsgtype wmx.genericCrc.status)
same "tshark air names" "$got" "SBC-REQ|26|1 SBC-RSP|27|1 PKM-REQ|9|1 PKM-RSP|10|1 PKM-RSP|10|1 PKM-RSP|10|1 PKM-RSP|10|1 PKM-REQ|9|1 PKM-RSP|10|1 MOB-MSHO-REQ|57|1 MOB-BSHO-RSP|58|1 MOB-HO-IND|59|1 RNG-REQ|4|1 RNG-RSP|5|1 RNG-RSP|5|1 "
got=$(fields "$D/air.pcap" wmx.rng_req.ss_mac_address wmx.rng_req.cmac_key_count wmx.rng_req.ho_id wmx.rng_req.serving_bs_id)
same "tshark RNG-REQ values" "$got" "00:1b:11:c9:d5:0c|1|42|00:00:00:00:00:05 "
got=$(fields "$D/air.pcap" wmx.rng_rsp.ho_process_optimization wmx.rng_rsp.ho_process_optimization.perform_reauthentication wmx.rng_rsp.ho_id)
same "tshark HO Process Optimization" "$got" "0x0004|0x0002|0x2a 0x0002|0x0001|0x2a "
got=$(fields "$D/air.pcap" wmx.pkm.msg_code wmx.pkm_msg.pkm_attr.said wmx.pkm_msg.pkm_attr.key_life_time)
same "tshark PKM codes, SAID, key lifetimes" "$got" "23|0x002b| 24|0x002b|0x00000e10,0x00003840 25|0x002b| 27|0x002b| 20||0x00007080 21|| 22|0x002b| "
got=$(fields "$D/air.pcap" wmx.pkm.msg_code wmx.pkm_msg.pkm_attr.ss_random wmx.pkm_msg.pkm_attr.bs_random wmx.pkm_msg.pkm_attr.akid wmx.pkm_msg.pkm_attr.key_seq_num)
same "tshark PKM SA-TEK randoms and AKID" "$got" "23||||0 24||||0,0,1 25||||0 27||||0 20||b1b2b3b4b5b6b7b8|3b7e354a44b25806|0 21|a1a2a3a4a5a6a7a8|b1b2b3b4b5b6b7b8|3b7e354a44b25806|0 22|a1a2a3a4a5a6a7a8|b1b2b3b4b5b6b7b8|3b7e354a44b25806|0 "
got=$(fields "$D/air.pcap" wmx.security_negotiation_parameters.pn_window_size)
same "tshark PN window size" "$got" "128 128 "
got=$(fields "$D/backbone.pcap" _ws.col.Info)
same "tshark ASN-CP names" "$got" "HO_Req - MSID:00:1b:11:c9:d5:0c, TID:0x0001 HO_Rsp - MSID:00:1b:11:c9:d5:0c, TID:0x0001 HO_Ack - MSID:00:1b:11:c9:d5:0c, TID:0x0001 Context_Req - MSID:00:1b:11:c9:d5:0c, TID:0x0002 Context_Rpt - MSID:00:1b:11:c9:d5:0c, TID:0x0002 Context_Ack - MSID:00:1b:11:c9:d5:0c, TID:0x0002 HO_Cnf - MSID:00:1b:11:c9:d5:0c, TID:0x0001 HO_Complete - MSID:00:1b:11:c9:d5:0c, TID:0x0003 CMAC_Key_Count_Update - MSID:00:1b:11:c9:d5:0c, TID:0x0004 CMAC_Key_Count_Update_ACK - MSID:00:1b:11:c9:d5:0c, TID:0x0004 HO_Req - MSID:00:1b:11:c9:d5:0c, TID:0x0005 "
got=$(fields "$D/backbone.pcap" wimaxasncp.tlv.CMAC_KEY_COUNT.value wimaxasncp.tlv.AK_Lifetime.value wimaxasncp.tlv.AK_SN.value wimaxasncp.tlv.AK_ID.value)
same "tshark ASN-CP CMAC_KEY_COUNT and AK context" "$got" "1|28800|0x00|083cefc3e041bb60 1||| 2||| 2||| "

# ---- a hand-made capture in Wireshark's documented layout (wireshark.md 3), read by tekho
printf '0000 00 40 26 00 00 a5 04 00 02 06 0a 1b 2c 3d 4e 5f 05 06 00 aa bb cc dd ee 06 01 01 07 01 2a 0d 02 00 05 04 2c d2 a2\n' >"$D/handmade.txt"
if text2pcap -q -l 147 "$D/handmade.txt" "$D/handmade.pcap" 2>/dev/null; then
    got=$("$T" decode "$D/handmade.pcap")
    same "decode hand-made RNG-REQ" "$got" "1 RNG-REQ cid=0 ms_mac=0a:1b:2c:3d:4e:5f serving_bsid=00aabbccddee ranging_purpose=1 ho_id=42 cmac_key_count=5 cmac=absent
summary: messages=1 cmac_ok=0 cmac_bad=0 cmac_absent=1 cmac_unchecked=0 decrypt_ok=0 decrypt_bad=0 decrypt_unchecked=0 malformed=0 errors=0 skipped=0"
else
    bad "text2pcap"
fi

echo "test_interop: $pass passed, $fail failed"
[ "$fail" = 0 ]
