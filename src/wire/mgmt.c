/* What all management messages share: names, the trailing CMAC, and the
 * plain MAC PDU around them (IEEE 802.16-2009 6.3.2.1, 6.3.2.3). */
#include <string.h>

#include "tekho/mgmt.h"
#include "tekho/pdu.h"

#include "../crypto/kit.h"

const char *tekho_mgmt_name(uint8_t type)
{
    switch (type) {
    case TEKHO_MGMT_RNG_REQ: return "RNG-REQ";
    case TEKHO_MGMT_RNG_RSP: return "RNG-RSP";
    case TEKHO_MGMT_PKM_REQ: return "PKM-REQ";
    case TEKHO_MGMT_PKM_RSP: return "PKM-RSP";
    case TEKHO_MGMT_SBC_REQ: return "SBC-REQ";
    case TEKHO_MGMT_SBC_RSP: return "SBC-RSP";
    case TEKHO_MGMT_MOB_MSHO_REQ: return "MOB-MSHO-REQ";
    case TEKHO_MGMT_MOB_BSHO_RSP: return "MOB-BSHO-RSP";
    case TEKHO_MGMT_MOB_HO_IND: return "MOB-HO-IND";
    default: return NULL;
    }
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
