#!/bin/sh
# The main job until the emulator exists: the key tools on the profile's
# vendor vector (profile section 9), then one counter-based handover's TEKs
# and a protected PDU under them.
set -eu
T=${1:-build/tekho}
MSK=3d8bfc43c8004afb0ff83b6a30ee7d6cbf93b076b93653e9627fe47aef9cb384caa55b812aad2d7de554cf9eea8487a0f6f4b35fbddb2f232b771d2f71fdda94
MS=001b11c9d50c
BS=000000000005

echo "== PKMv2 key hierarchy, vendor vector (MS $MS, BSID $BS, CMAC_KEY_COUNT 0)"
"$T" keys --msk $MSK --ms-mac $MS --bsid $BS | sed 's/^/   /'
echo "   expected PMK=ea8487a0..., AK=d7eaa968..., AKID=3b7e354a44b25806, KEK=e09389b8..."

echo
echo "== Handover to a target BS (BSID 000000000007): keys bound to the target"
"$T" keys --msk $MSK --ms-mac $MS --bsid 000000000007 --ckc 1 | sed 's/^/   /'
TKEK=$("$T" keys --msk $MSK --ms-mac $MS --bsid 000000000007 --ckc 1 | sed -n 's/^KEK=//p')

echo
echo "== Counter-based TEKs at the target: MS uses TM = M + 1 = 1, target uses TB = N = 1, SAID 0x2b"
"$T" tek --kek "$TKEK" --ckc 1 --said 0x2b | sed 's/^/   /'
TEK0=$("$T" tek --kek "$TKEK" --ckc 1 --said 0x2b | sed -n 's/^TEK0=//p')
echo "   (no TEK crosses the air: both ends compute them)"

echo
echo "== First uplink PDU under TEK0 (PN 1, CID 0x2b, CRC), then opened at the target"
PDU=$("$T" pdu seal --tek "$TEK0" --dir ul --pn 1 --cid 0x2b --eks 0 --crc --payload 48656c6c6f2c20746172676574)
echo "   PDU      $PDU"
echo "   payload  $("$T" pdu open --tek "$TEK0" --dir ul --pdu "$PDU")  (\"Hello, target\")"
echo
echo "== A stale count gives other keys, so the PDU does not open (mis-synchronised target, TB = 0)"
OLD=$("$T" tek --kek "$TKEK" --ckc 0 --said 0x2b | sed -n 's/^TEK0=//p')
"$T" pdu open --tek "$OLD" --dir ul --pdu "$PDU" 2>&1 | sed 's/^/   /' || true
echo
echo "Next: tekho --help; tekho bench"
