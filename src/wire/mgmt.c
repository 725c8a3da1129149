/* What all management messages share: names, the trailing CMAC, and the
 * plain MAC PDU around them (IEEE 802.16-2009 6.3.2.1, 6.3.2.3). */
#include <string.h>

#include "tekho/mgmt.h"
#include "tekho/pdu.h"

#include "../crypto/kit.h"

/* IEEE 802.16-2009 Table 38, named as Wireshark's mgt_msg_abbrv_vals
 * (wireshark.md 8), so that a name compares with tshark's Info column. */
static const char *const MGMT_NAMES[] = {
    "UCD",          "DCD",          "DL-MAP",          "UL-MAP",       "RNG-REQ",      "RNG-RSP",
    "REG-REQ",      "REG-RSP",      "Reserved8",       "PKM-REQ",      "PKM-RSP",      "DSA-REQ",
    "DSA-RSP",      "DSA-ACK",      "DSC-REQ",         "DSC-RSP",      "DSC-ACK",      "DSD-REQ",
    "DSD-RSP",      "Reserved19",   "Reserved20",      "MCA-REQ",      "MCA-RSP",      "DBPC-REQ",
    "DBPC-RSP",     "RES-CMD",      "SBC-REQ",         "SBC-RSP",      "CLK-CMP",      "DREG-CMD",
    "DSX-RVD",      "TFTP-CPLT",    "TFTP-RSP",        "ARQ-FEEDBACK", "ARQ-DISCARD",  "ARQ-RESET",
    "REP-REQ",      "REP-RSP",      "FPC",             "MSH-NCFG",     "MSH-NENT",     "MSH-DSCH",
    "MSH-CSCH",     "MSH-CSCF",     "AAS-FBCK_REQ",    "AAS-FBCK_RSP", "AAS-BEAM_SELECT", "AAS-BEAM_REQ",
    "AAS-BEAM_RSP", "DREG-REQ",     "MOB-SLP-REQ",     "MOB-SLP-RSP",  "MOB-TRF-IND",  "MOB-NBR-ADV",
    "MOB-SCN-REQ",  "MOB-SCN-RSP",  "MOB-BSHO-REQ",    "MOB-MSHO-REQ", "MOB-BSHO-RSP", "MOB-HO-IND",
    "MOB-SCN-REP",  "MOB-PAG-ADV",  "MBS-MAP",         "PMC_REQ",      "PMC_RSP",      "PRC-LT-CTRL",
    "MOB-ASC-REP",
};

const char *tekho_mgmt_name(uint8_t type)
{
    return type < sizeof MGMT_NAMES / sizeof MGMT_NAMES[0] ? MGMT_NAMES[type] : NULL;
}

/* The CMAC TLV (tuple or digest) runs from cmac_offset to the end, and its
 * last 8 bytes are the value. */
static tekho_err cmac_span_ok(size_t len, size_t cmac_offset)
{
    if (cmac_offset == 0 || cmac_offset > len || len - cmac_offset < 2 + TEKHO_CMAC_VALUE_LEN)
        return TEKHO_ERR_INVALID_ARGUMENT;
    return TEKHO_OK;
}

/* With cmac NULL, a one-shot CMAC context. */
tekho_err tekho_mgmt_cmac_sign_with(struct tekho_aes_cmac *cmac, uint8_t *msg, size_t len, size_t cmac_offset,
                                    const uint8_t cmac_key[16], const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid)
{
    if (msg == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    tekho_err err = cmac_span_ok(len, cmac_offset);
    if (err != TEKHO_OK)
        return err;
    uint8_t *value = msg + len - TEKHO_CMAC_VALUE_LEN;
    return cmac ? tekho_cmac_value_with(cmac, cmac_key, akid, cmac_pn, cid, msg, cmac_offset, value)
                : tekho_cmac_value(cmac_key, akid, cmac_pn, cid, msg, cmac_offset, value);
}

tekho_err tekho_mgmt_cmac_sign(uint8_t *msg, size_t len, size_t cmac_offset, const uint8_t cmac_key[16],
                               const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid)
{
    return tekho_mgmt_cmac_sign_with(NULL, msg, len, cmac_offset, cmac_key, akid, cmac_pn, cid);
}

tekho_err tekho_mgmt_cmac_verify_with(struct tekho_aes_cmac *cmac, const uint8_t *msg, size_t len,
                                      size_t cmac_offset, const uint8_t cmac_key[16], const uint8_t akid[8],
                                      uint32_t cmac_pn, uint16_t cid)
{
    if (msg == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    tekho_err err = cmac_span_ok(len, cmac_offset);
    if (err != TEKHO_OK)
        return err;
    const uint8_t *value = msg + len - TEKHO_CMAC_VALUE_LEN;
    return cmac ? tekho_cmac_verify_with(cmac, cmac_key, akid, cmac_pn, cid, msg, cmac_offset, value)
                : tekho_cmac_verify(cmac_key, akid, cmac_pn, cid, msg, cmac_offset, value);
}

tekho_err tekho_mgmt_cmac_verify(const uint8_t *msg, size_t len, size_t cmac_offset, const uint8_t cmac_key[16],
                                 const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid)
{
    return tekho_mgmt_cmac_verify_with(NULL, msg, len, cmac_offset, cmac_key, akid, cmac_pn, cid);
}

tekho_err tekho_mgmt_read_cmac_tuple(const struct tekho_tlv *t, struct tekho_cmac_tuple *out)
{
    if (t->len != TEKHO_CMAC_TUPLE_LEN && t->len != TEKHO_CMAC_TUPLE_LEN_WITH_BSID)
        return TEKHO_ERR_WRONG_WIDTH;
    return tekho_cmac_tuple_decode(t->value, t->len, out);
}

tekho_err tekho_mgmt_frame(uint16_t cid, bool crc, const uint8_t *msg, size_t msg_len, uint8_t *out, size_t cap,
                           size_t *out_len)
{
    if (msg == NULL || out == NULL || out_len == NULL || msg_len == 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t total = TEKHO_GMH_LEN + msg_len + (crc ? TEKHO_CRC_LEN : 0);
    if (total > TEKHO_PDU_MAX_LEN)
        return TEKHO_ERR_PDU_TOO_LONG;
    if (cap < total)
        return TEKHO_ERR_BUFFER_TOO_SMALL;
    const struct tekho_gmh gmh = {.ci = crc, .len = (uint16_t)total, .cid = cid};
    tekho_err err = tekho_gmh_encode(&gmh, out);
    if (err != TEKHO_OK)
        return err;
    memmove(out + TEKHO_GMH_LEN, msg, msg_len);
    if (crc && (err = tekho_pdu_put_crc(out, total)) != TEKHO_OK)
        return err;
    *out_len = total;
    return TEKHO_OK;
}

tekho_err tekho_mgmt_unframe(const uint8_t *pdu, size_t len, uint16_t *cid, const uint8_t **msg, size_t *msg_len)
{
    if (pdu == NULL || cid == NULL || msg == NULL || msg_len == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_gmh gmh;
    tekho_err err = tekho_gmh_decode(pdu, len, &gmh);
    if (err != TEKHO_OK)
        return err;
    if (gmh.len != len)
        return gmh.len > len ? TEKHO_ERR_TRUNCATED : TEKHO_ERR_LENGTH_MISMATCH;
    if (gmh.ec)
        return TEKHO_ERR_BAD_VALUE; /* management messages travel in the clear */
    size_t end = len;
    if (gmh.ci) {
        if (len < TEKHO_GMH_LEN + TEKHO_CRC_LEN)
            return TEKHO_ERR_TRUNCATED;
        if (!tekho_pdu_crc_ok(pdu, len))
            return TEKHO_ERR_BAD_CRC;
        end -= TEKHO_CRC_LEN;
    }
    if (end <= TEKHO_GMH_LEN)
        return TEKHO_ERR_TRUNCATED;
    *cid = gmh.cid;
    *msg = pdu + TEKHO_GMH_LEN;
    *msg_len = end - TEKHO_GMH_LEN;
    return TEKHO_OK;
}
