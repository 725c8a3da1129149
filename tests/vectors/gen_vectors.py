#!/usr/bin/env python3
"""Independent reference vectors for tekho (IEEE 802.16 keys / PDUs).

Written from /work/shared/spec/profile.md only (sections 1, 2, 3, 6, 7, 8, 9),
with Python's `cryptography` package; it shares no code with the C library.

Regenerate:  python3 tests/vectors/gen_vectors.py
Output is deterministic (fixed random seed); files are written next to this
script.  Hex is lowercase, an empty byte string is '-', integers are decimal.
"""

import os
import random
import struct

import cryptography
from cryptography.hazmat.primitives import cmac as _cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

SEED = 0x802160
GENERATOR = "tests/vectors/gen_vectors.py"
OUTDIR = os.path.dirname(os.path.abspath(__file__))
N = 1000


# ---------------------------------------------------------------- primitives

def u8(x):
    return struct.pack(">B", x)


def u16(x):
    return struct.pack(">H", x)


def u32(x):
    return struct.pack(">I", x)


def aes_cmac(key, msg):
    c = _cmac.CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def aes_ecb_encrypt(key, block):
    assert len(block) % 16 == 0
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def truncate(x, nbits):
    """Profile section 1: Truncate keeps the RIGHTMOST n bits (n % 8 == 0)."""
    assert nbits % 8 == 0 and nbits <= 8 * len(x)
    return x[len(x) - nbits // 8:]


def dot16kdf(key, astring, bits):
    """Profile section 1 (CMAC-mode Dot16KDF)."""
    kin = truncate(key, 128)
    out = b""
    for i in range((bits - 1) // 128 + 1):
        out += aes_cmac(kin, u32(i) + astring + u32(bits))
    return truncate(out, bits)


def crc8(data):
    """CRC-8, poly 0x07, init 0, non-reflected, no xorout (GMH HCS)."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def crc32_bzip2(data):
    """CRC-32/BZIP2: poly 0x04C11DB7, init 0xFFFFFFFF, non-reflected, xorout 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            if crc & 0x80000000:
                crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF
            else:
                crc = (crc << 1) & 0xFFFFFFFF
    return crc ^ 0xFFFFFFFF


# ------------------------------------------------------------ derivations

def key_hierarchy(msk, ms_mac, bsid, ckc, pmk_sn):
    """Profile section 2."""
    pmk = truncate(msk, 160)
    ak = dot16kdf(pmk, ms_mac + bsid + b"AK", 160)
    akid = dot16kdf(ak, u8(pmk_sn & 0x0F) + ms_mac + bsid + b"AK", 64)
    k = dot16kdf(ak, ms_mac + bsid + b"CMAC_KEYS+KEK", 384)
    pre_u, pre_d, kek = k[0:16], k[16:32], k[32:48]
    blk = bytes(14) + u16(ckc)
    key_u = aes_ecb_encrypt(pre_u, blk)
    key_d = aes_ecb_encrypt(pre_d, blk)
    return dict(PMK=pmk, AK=ak, AKID=akid, CMAC_PREKEY_U=pre_u,
                CMAC_PREKEY_D=pre_d, KEK=kek, CMAC_KEY_U=key_u,
                CMAC_KEY_D=key_d)


def tek_gen(kek, ckc, said):
    """Profile section 3."""
    t0 = dot16kdf(kek, u16(ckc) + u16(said) + b"TEK0 Generation", 128)
    t1 = dot16kdf(kek, u16(ckc) + u16(said) + b"TEK1 Generation", 128)
    return t0, t1


PN_LITTLE_ENDIAN = True  # profile section 6 default
GMH_LEN = 6
PN_LEN = 4
ICV_LEN = 8
CRC_LEN = 4
LEN_MAX = 2047


def seal_pdu(tek, uplink, pn, cid, eks, crc, payload):
    """Profile section 6: GMH | PN(LE) | CCM ciphertext | ICV(8) [| CRC-32]."""
    assert 1 <= pn <= 0x7FFFFFFF and 0 <= eks <= 3 and crc in (0, 1)
    wire_pn = (pn | 0x80000000) if uplink else pn
    pn_bytes = struct.pack("<I" if PN_LITTLE_ENDIAN else ">I", wire_pn)
    length = GMH_LEN + PN_LEN + len(payload) + ICV_LEN + (CRC_LEN if crc else 0)
    assert length <= LEN_MAX
    b0 = 0x40                                   # HT=0, EC=1, Type=0
    b1 = (crc << 6) | (eks << 4) | ((length >> 8) & 0x07)   # ESF=0, rsv=0
    hdr5 = bytes([b0, b1, length & 0xFF]) + u16(cid)
    gmh = hdr5 + bytes([crc8(hdr5)])
    nonce = hdr5 + bytes(4) + pn_bytes
    assert len(nonce) == 13
    ct_tag = AESCCM(tek, tag_length=ICV_LEN).encrypt(nonce, payload, None)
    pdu = gmh + pn_bytes + ct_tag
    if crc:
        pdu += u32(crc32_bzip2(pdu))
    assert len(pdu) == length
    return pdu


def cmac8(cmac_key, akid, cmac_pn, cid, message):
    """Profile section 7: rightmost 8 bytes of AES-CMAC."""
    full = aes_cmac(cmac_key, akid + u32(cmac_pn) + u16(cid) + u16(0) + message)
    return truncate(full, 64)


def wrap_tek(suite, kek, tek):
    """Profile section 8."""
    if suite == 0x020104:
        return aes_key_wrap(kek, tek)           # RFC 3394, default IV
    if suite == 0x020103:
        return aes_ecb_encrypt(kek, tek)
    raise ValueError(suite)


# ------------------------------------------------------------ self-checks

SEC9 = dict(
    MSK=bytes.fromhex(
        "3d8bfc43c8004afb0ff83b6a30ee7d6cbf93b076b93653e9627fe47aef9cb384"
        "caa55b812aad2d7de554cf9eea8487a0f6f4b35fbddb2f232b771d2f71fdda94"),
    MS_MAC=bytes.fromhex("001b11c9d50c"),
    BSID=bytes.fromhex("000000000005"),
    PMK=bytes.fromhex("ea8487a0f6f4b35fbddb2f232b771d2f71fdda94"),
    AK=bytes.fromhex("d7eaa9683c377b76a2385b8454b57ae7c9ad3224"),
    AKID=bytes.fromhex("3b7e354a44b25806"),
    KEK=bytes.fromhex("e09389b8f3391dfec8a99af41da147b9"),
    CMAC_KEY_U=bytes.fromhex("f6eed12d93c37271bdb384449cb62467"),
    CMAC_KEY_D=bytes.fromhex("c0f5e67ca3b7e3c31de4222a25836b2b"),
)


def self_check():
    # CRC check values
    assert crc8(b"123456789") == 0xF4, hex(crc8(b"123456789"))
    assert crc32_bzip2(b"123456789") == 0xFC891918, hex(crc32_bzip2(b"123456789"))
    # RFC 4493 example 2 (16-byte message), sanity for the CMAC binding
    k = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    m = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    assert aes_cmac(k, m) == bytes.fromhex("070a16b46b4d4144f79bdd9dd04a287c")
    # RFC 3394 section 4.1
    w = aes_key_wrap(bytes.fromhex("000102030405060708090A0B0C0D0E0F"),
                     bytes.fromhex("00112233445566778899AABBCCDDEEFF"))
    assert w == bytes.fromhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"), w.hex()
    # Profile section 9 vendor vector
    r = key_hierarchy(SEC9["MSK"], SEC9["MS_MAC"], SEC9["BSID"], 0, 0)
    for name in ("PMK", "AK", "AKID", "KEK", "CMAC_KEY_U", "CMAC_KEY_D"):
        if r[name] != SEC9[name]:
            raise SystemExit("SECTION 9 MISMATCH for %s: got %s want %s"
                             % (name, r[name].hex(), SEC9[name].hex()))


# ------------------------------------------------------------ output

def h(b):
    return b.hex() if b else "-"


def rbytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def write(name, columns, source, lines, extra=()):
    path = os.path.join(OUTDIR, name)
    with open(path, "w", newline="\n") as f:
        f.write("# %s -- generated by %s (Python cryptography %s)\n"
                % (name, GENERATOR, cryptography.__version__))
        f.write("# seed: random.Random(0x%x), one generator per file\n" % SEED)
        f.write("# columns: %s\n" % " ".join(columns))
        for s in source:
            f.write("# rule: %s\n" % s)
        for s in extra:
            f.write("# %s\n" % s)
        f.write("# hex is lowercase; '-' is an empty byte string; integers are decimal\n")
        for ln in lines:
            f.write(" ".join(ln) + "\n")


def pick(rng, i, edges, lo, hi):
    return edges[i] if i < len(edges) else rng.randint(lo, hi)


def gen_kdf():
    rng = random.Random(SEED ^ 1)
    favs = [64, 128, 160, 384]
    lines = []
    for i in range(N):
        klen = rng.randint(16, 64)
        key = rbytes(rng, klen)
        astring = rbytes(rng, rng.randint(0, 100))
        if i < len(favs):
            bits = favs[i]
        elif rng.random() < 0.4:
            bits = rng.choice(favs)
        else:
            bits = 8 * rng.randint(1, 128)
        lines.append((h(key), h(astring), str(bits), h(dot16kdf(key, astring, bits))))
    write("kdf.txt", ["key", "astring", "bits", "result"],
          ["profile.md section 1 (Dot16KDF, CMAC mode): Kin = last 16 bytes of key; "
           "result = last bits/8 bytes of CMAC(Kin, u32(i)|astring|u32(bits)) concatenated"],
          lines)


def gen_keys():
    rng = random.Random(SEED ^ 2)
    lines = []
    ckc_edges = [0, 0, 1, 65535, 65534]
    sn_edges = [0, 15, 16, 255, 0x1F]
    for i in range(N):
        if i == 0:
            msk, mac, bsid, ckc, sn = SEC9["MSK"], SEC9["MS_MAC"], SEC9["BSID"], 0, 0
        else:
            msk, mac, bsid = rbytes(rng, 64), rbytes(rng, 6), rbytes(rng, 6)
            ckc = pick(rng, i, ckc_edges, 0, 65535)
            sn = pick(rng, i, sn_edges, 0, 255)
        r = key_hierarchy(msk, mac, bsid, ckc, sn)
        if i == 0:
            for name in ("PMK", "AK", "AKID", "KEK", "CMAC_KEY_U", "CMAC_KEY_D"):
                assert r[name] == SEC9[name], name
        lines.append((h(msk), h(mac), h(bsid), str(ckc), str(sn),
                      h(r["PMK"]), h(r["AK"]), h(r["AKID"]), h(r["CMAC_PREKEY_U"]),
                      h(r["CMAC_PREKEY_D"]), h(r["KEK"]), h(r["CMAC_KEY_U"]),
                      h(r["CMAC_KEY_D"])))
    write("keys.txt",
          ["msk", "ms_mac", "bsid", "ckc", "pmk_sn", "PMK", "AK", "AKID",
           "CMAC_PREKEY_U", "CMAC_PREKEY_D", "KEK", "CMAC_KEY_U", "CMAC_KEY_D"],
          ["profile.md section 2 (PKMv2 key hierarchy); ckc = CMAC_KEY_COUNT; "
           "only pmk_sn & 0x0f enters AKID",
           "first data line is the vendor vector of profile.md section 9 (checked)"],
          lines)


def gen_tek():
    rng = random.Random(SEED ^ 3)
    edges = [0, 1, 65535, 65534]
    lines = []
    for i in range(N):
        kek = rbytes(rng, 16)
        ckc = pick(rng, i, edges, 0, 65535)
        said = pick(rng, (i + 2) % len(edges) if i < len(edges) else i,
                    edges, 0, 65535)
        t0, t1 = tek_gen(kek, ckc, said)
        lines.append((h(kek), str(ckc), str(said), h(t0), h(t1)))
    write("tek.txt", ["kek", "ckc", "said", "tek0", "tek1"],
          ["profile.md section 3: TEKn = Dot16KDF(KEK, u16(ckc)|u16(said)|"
           "\"TEKn Generation\", 128)"],
          lines)


def gen_pdu():
    rng = random.Random(SEED ^ 4)
    max_crc = LEN_MAX - GMH_LEN - PN_LEN - ICV_LEN - CRC_LEN    # 2025
    max_nocrc = LEN_MAX - GMH_LEN - PN_LEN - ICV_LEN           # 2029
    # (payload length, crc) edge cases first
    edges = [(0, 0), (0, 1), (1, 0), (1, 1), (15, 1), (16, 0), (16, 1), (17, 0),
             (17, 1), (255, 1), (256, 0), (1400, 1), (max_crc, 1),
             (max_nocrc, 0), (max_crc, 0), (max_crc - 1, 1)]
    pn_edges = [1, 0x7FFFFFFF, 2, 0x7FFFFFFE, 0xFF, 0x100, 0xFFFFFF, 0x1000000]
    lines = []
    for i in range(N):
        tek = rbytes(rng, 16)
        uplink = bool(i & 1) if i < 2 * len(pn_edges) else rng.random() < 0.5
        pn = pn_edges[i // 2] if i < 2 * len(pn_edges) else rng.randint(1, 0x7FFFFFFF)
        cid = pick(rng, i, [0, 65535, 1, 0xFEFF], 0, 65535)
        eks = i % 4 if i < 8 else rng.randint(0, 3)
        if i < len(edges):
            plen, crc = edges[i]
        else:
            crc = rng.randint(0, 1)
            # keep the file small: many short payloads, the rest up to 1400
            plen = rng.randint(0, 64) if rng.random() < 0.5 else rng.randint(0, 1400)
        payload = rbytes(rng, plen)
        pdu = seal_pdu(tek, uplink, pn, cid, eks, crc, payload)
        lines.append((h(tek), "ul" if uplink else "dl", str(pn), str(cid), str(eks),
                      str(crc), h(payload), h(pdu)))
    write("pdu.txt", ["tek", "dir", "pn", "cid", "eks", "crc", "payload", "pdu"],
          ["profile.md section 6: GMH(6: 0x40, CI<<6|EKS<<4|LEN>>8, LEN&0xff, CID be16, "
           "HCS crc8/0x07) | PN le32 | AES-CCM ciphertext | ICV(8) [| CRC-32/BZIP2 be32]",
           "pn is the counter value; wire PN = pn|0x80000000 for ul, pn for dl, "
           "little-endian; CCM nonce = GMH[0..4] | 00000000 | wire PN bytes; no AAD",
           "LEN counts the whole PDU including ICV and CRC"],
          lines)


def gen_cmac():
    rng = random.Random(SEED ^ 5)
    pn_edges = [0, 1, 0xFFFFFFFF, 0x80000000]
    lines = []
    for i in range(N):
        key = rbytes(rng, 16)
        akid = rbytes(rng, 8)
        cpn = pick(rng, i, pn_edges, 0, 0xFFFFFFFF)
        cid = pick(rng, i, [0, 65535, 1, 0x8000], 0, 65535)
        msg = rbytes(rng, rng.randint(1, 300))
        lines.append((h(key), h(akid), str(cpn), str(cid), h(msg),
                      h(cmac8(key, akid, cpn, cid, msg))))
    write("cmac.txt", ["cmac_key", "akid", "cmac_pn", "cid", "message", "cmac8"],
          ["profile.md section 7: cmac8 = RIGHTMOST 8 bytes of AES-CMAC(cmac_key, "
           "akid | u32(cmac_pn) | u16(cid) | u16(0) | message)"],
          lines)


def gen_wrap():
    rng = random.Random(SEED ^ 6)
    lines = []
    for suite in (0x020104, 0x020103):
        for _ in range(500):
            kek = rbytes(rng, 16)
            tek = rbytes(rng, 16)
            lines.append(("0x%06x" % suite, h(kek), h(tek), h(wrap_tek(suite, kek, tek))))
    write("wrap.txt", ["suite", "kek", "tek", "wrapped"],
          ["profile.md section 8: 0x020104 = RFC 3394 AES key wrap, default IV, 24 bytes; "
           "0x020103 = AES-128-ECB(kek, tek), 16 bytes"],
          lines)


def main():
    self_check()
    gen_kdf()
    gen_keys()
    gen_tek()
    gen_pdu()
    gen_cmac()
    gen_wrap()


if __name__ == "__main__":
    main()
