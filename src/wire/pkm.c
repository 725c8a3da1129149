/* PKMv2 EAP-Transfer (EAP in re-authentication, IEEE 802.16e-2005 7.2.2;
 * code 18 as Wireshark's wmx.pkm.msg_code reads it), PKMv2
 * SA-TEK-Challenge / SA-TEK-Request / SA-TEK-Response (the SA-TEK
 * 3-way handshake, IEEE 802.16e-2005 7.2.2.4, 6.3.2.3.9.19-21) and
 * Key-Request / Key-Reply / Key-Reject / TEK-Invalid in PKM-REQ and
 * PKM-RSP: IEEE 802.16-2009 6.3.2.3.9 (message bodies) and 11.9 (PKM
 * attributes); profile section 8; mgmt.h. */
#include "tekho/mgmt.h"

#include <string.h>

/* type | code | PKM identifier, then the attributes (6.3.2.3.9). */
#define PKM_HEADER_LEN 3u
#define TEK_LEN_ECB 16u   /* suite 0x020103: AES-128-ECB of the TEK */
#define TEK_LEN_WRAP 24u  /* suite 0x020104: RFC 3394 key wrap */
/* The EKS field of the MAC header is 2 bits wide (6.3.2.1.1), so a TEK's
 * sequence number cannot exceed 3. */
#define TEK_KEY_SEQ_MAX 3u

const char *tekho_pkm_code_name(uint8_t code)
{
    /* The names Wireshark's wmx.pkm.msg_code shows. */
    switch (code) {
    case TEKHO_PKM_EAP_TRANSFER:
        return "PKMv2 EAP-Transfer";
    case TEKHO_PKM_SA_TEK_CHALLENGE:
        return "PKMv2 SA TEK Challenge";
    case TEKHO_PKM_SA_TEK_REQUEST:
        return "PKMv2 SA TEK Request";
    case TEKHO_PKM_SA_TEK_RESPONSE:
        return "PKMv2 SA TEK Response";
    case TEKHO_PKM_KEY_REQUEST:
        return "PKMv2 Key-Request";
    case TEKHO_PKM_KEY_REPLY:
        return "PKMv2 Key-Reply";
    case TEKHO_PKM_KEY_REJECT:
        return "PKMv2 Key-Reject";
    case TEKHO_PKM_TEK_INVALID:
        return "PKMv2 TEK-Invalid";
    default:
        return NULL;
    }
}

/* The management message type that carries a code: the MS requests keys
 * in PKM-REQ, the BS answers in PKM-RSP (6.3.2.3.9). 0 for a
 * code tekho does not implement. */
static uint8_t pkm_code_mgmt_type(uint8_t code)
{
    switch (code) {
    case TEKHO_PKM_SA_TEK_REQUEST:
    case TEKHO_PKM_KEY_REQUEST:
        return TEKHO_MGMT_PKM_REQ;
    case TEKHO_PKM_SA_TEK_CHALLENGE:
    case TEKHO_PKM_SA_TEK_RESPONSE:
    case TEKHO_PKM_KEY_REPLY:
    case TEKHO_PKM_KEY_REJECT:
    case TEKHO_PKM_TEK_INVALID:
        return TEKHO_MGMT_PKM_RSP;
    default:
        return 0;
    }
}

static tekho_err check_type_and_code(uint8_t mgmt_type, uint8_t code)
{
    /* EAP-Transfer goes both ways: the MS answers the BS's in PKM-REQ. */
    if (code == TEKHO_PKM_EAP_TRANSFER)
        return TEKHO_OK;
    const uint8_t want = pkm_code_mgmt_type(code);
    if (want == 0)
        return TEKHO_ERR_UNKNOWN_MESSAGE;
    return want == mgmt_type ? TEKHO_OK : TEKHO_ERR_BAD_VALUE;
}

/* ---- TEK-Parameters (11.9.14) ---------------------------------------- */

static bool tek_params_valid(const struct tekho_tek_params *p)
{
    return (p->wrapped_tek_len == TEK_LEN_ECB || p->wrapped_tek_len == TEK_LEN_WRAP) &&
           p->key_seq <= TEK_KEY_SEQ_MAX;
}

void tekho_tek_params_put(struct tekho_wbuf *w, uint8_t type, const struct tekho_tek_params *p)
{
    if (w == NULL)
        return;
    /* The function returns nothing, so a bad value is reported through the
     * buffer like an overflow: the encoder checks w->err once at the end. */
    if (p == NULL) {
        if (w->err == TEKHO_OK)
            w->err = TEKHO_ERR_INVALID_ARGUMENT;
        return;
    }
    if (!tek_params_valid(p)) {
        if (w->err == TEKHO_OK)
            w->err = TEKHO_ERR_BAD_VALUE;
        return;
    }
    /* Sub-attribute order as listed in 11.9.14: TEK, lifetime, sequence. */
    const size_t mark = tekho_wbuf_tlv_begin(w, type);
    tekho_wbuf_tlv(w, TEKHO_PKM_ATTR_TEK, p->wrapped_tek, p->wrapped_tek_len);
    tekho_wbuf_tlv_u32(w, TEKHO_PKM_ATTR_KEY_LIFETIME, p->lifetime_s);
    tekho_wbuf_tlv_u8(w, TEKHO_PKM_ATTR_KEY_SEQ, p->key_seq);
    tekho_wbuf_tlv_end(w, mark);
}

tekho_err tekho_tek_params_parse(const uint8_t *in, size_t len, struct tekho_tek_params *out)
{
    if ((in == NULL && len != 0) || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_tek_params p;
    memset(&p, 0, sizeof p);
    bool has_tek = false, has_lifetime = false, has_key_seq = false;
    static const uint8_t single[] = {TEKHO_PKM_ATTR_TEK, TEKHO_PKM_ATTR_KEY_LIFETIME, TEKHO_PKM_ATTR_KEY_SEQ};
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, in, len, 0, 0, single, sizeof single);
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        tekho_err err = TEKHO_OK;
        if (t.type == TEKHO_PKM_ATTR_TEK) {
            if (t.len != TEK_LEN_ECB && t.len != TEK_LEN_WRAP)
                return TEKHO_ERR_WRONG_WIDTH;
            memcpy(p.wrapped_tek, t.value, t.len);
            p.wrapped_tek_len = t.len;
            has_tek = true;
        } else if (t.type == TEKHO_PKM_ATTR_KEY_LIFETIME) {
            err = tekho_tlv_u32(&t, &p.lifetime_s);
            has_lifetime = true;
        } else if (t.type == TEKHO_PKM_ATTR_KEY_SEQ) {
            err = tekho_tlv_u8(&t, &p.key_seq);
            if (err == TEKHO_OK && p.key_seq > TEK_KEY_SEQ_MAX)
                err = TEKHO_ERR_BAD_VALUE;
            has_key_seq = true;
        }
        /* Anything else (CBC-IV 15, Associated GKEK SN 46, ...) does not
         * concern a unicast AES-CCM SA and is skipped (11.9.14). */
        if (err != TEKHO_OK)
            return err;
    }
    if (wk.err != TEKHO_OK)
        return wk.err;
    if (!has_tek || !has_lifetime || !has_key_seq)
        return TEKHO_ERR_MISSING_TLV;
    *out = p;
    return TEKHO_OK;
}

/* ---- PKM-REQ / PKM-RSP ------------------------------------------------- */

/* An EAP packet as RFC 3748 4 frames it: code 1..4 (Request, Response,
 * Success, Failure), a Length field equal to the packet's length, and a
 * type byte for Request and Response. */
static bool eap_packet_valid(const uint8_t *p, size_t len)
{
    if (len < TEKHO_EAP_HEADER_LEN || len > TEKHO_PKM_EAP_MAX || p[0] < 1 || p[0] > 4 ||
        ((size_t)p[2] << 8 | p[3]) != len)
        return false;
    return p[0] > 2 || len > TEKHO_EAP_HEADER_LEN;
}

/* Mandatory attributes per code (6.3.2.3.9, the SA-TEK handshake, the
 * PKMv2 key messages and TEK-Invalid). Key-Reply's two TEK-Parameters are
 * checked separately. */
static bool pkm_has_mandatory(const struct tekho_pkm *m)
{
    if (!m->has_key_seq || !m->has_cmac_digest)
        return false;
    switch (m->code) {
    case TEKHO_PKM_EAP_TRANSFER:
        return m->eap_payload_len > 0;
    case TEKHO_PKM_SA_TEK_CHALLENGE:
        return m->has_bs_random && m->has_akid && m->has_key_lifetime;
    case TEKHO_PKM_SA_TEK_REQUEST:
    case TEKHO_PKM_SA_TEK_RESPONSE:
        /* The SAID is optional in the Response. */
        return m->has_ms_random && m->has_bs_random && m->has_akid;
    default:
        break;
    }
    if (!m->has_said)
        return false;
    switch (m->code) {
    case TEKHO_PKM_KEY_REQUEST:
    case TEKHO_PKM_KEY_REPLY:
        return m->has_nonce;
    case TEKHO_PKM_KEY_REJECT:
        return m->has_nonce && m->has_error_code;
    case TEKHO_PKM_TEK_INVALID:
        return m->has_error_code;
    default:
        return false;
    }
}

/* Key-Reply carries the older and the newer TEK, exactly two
 * (6.3.2.3.9); other codes may carry at most two. */
static tekho_err pkm_check_tek_count(const struct tekho_pkm *m)
{
    if (m->n_tek_params > 2)
        return TEKHO_ERR_TOO_MANY;
    if (m->code == TEKHO_PKM_KEY_REPLY && m->n_tek_params != 2)
        return TEKHO_ERR_MISSING_TLV;
    return TEKHO_OK;
}

tekho_err tekho_pkm_encode(const struct tekho_pkm *m, uint8_t *out, size_t cap, size_t *out_len)
{
    if (m == NULL || out == NULL || out_len == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* An encoder given a type other than PKM-REQ/RSP has a field out of
     * range; WRONG_MESSAGE is kept for decoders given foreign bytes. */
    if (m->mgmt_type != TEKHO_MGMT_PKM_REQ && m->mgmt_type != TEKHO_MGMT_PKM_RSP)
        return TEKHO_ERR_BAD_VALUE;
    tekho_err err = check_type_and_code(m->mgmt_type, m->code);
    if (err != TEKHO_OK)
        return err;
    err = pkm_check_tek_count(m);
    if (err != TEKHO_OK)
        return err;
    if (!pkm_has_mandatory(m))
        return TEKHO_ERR_MISSING_TLV;
    for (size_t i = 0; i < m->n_tek_params; i++)
        if (!tek_params_valid(&m->tek_params[i]))
            return TEKHO_ERR_BAD_VALUE;
    if (m->eap_payload_len > 0 && !eap_packet_valid(m->eap_payload, m->eap_payload_len))
        return TEKHO_ERR_BAD_VALUE;

    uint8_t digest[TEKHO_CMAC_DIGEST_LEN];
    err = tekho_cmac_digest_encode(&m->cmac_digest, digest);
    if (err != TEKHO_OK)
        return err;

    struct tekho_wbuf w;
    tekho_wbuf_init(&w, out, cap);
    tekho_wbuf_u8(&w, m->mgmt_type);
    tekho_wbuf_u8(&w, m->code);
    tekho_wbuf_u8(&w, m->identifier);
    if (m->has_key_seq)
        tekho_wbuf_tlv_u8(&w, TEKHO_PKM_ATTR_KEY_SEQ, m->key_seq);
    if (m->has_said)
        tekho_wbuf_tlv_u16(&w, TEKHO_PKM_ATTR_SAID, m->said);
    if (m->has_ms_random)
        tekho_wbuf_tlv(&w, TEKHO_PKM_ATTR_MS_RANDOM, m->ms_random, TEKHO_PKM_RANDOM_LEN);
    if (m->has_bs_random)
        tekho_wbuf_tlv(&w, TEKHO_PKM_ATTR_BS_RANDOM, m->bs_random, TEKHO_PKM_RANDOM_LEN);
    if (m->has_akid)
        tekho_wbuf_tlv(&w, TEKHO_PKM_ATTR_AKID, m->akid, TEKHO_PKM_AKID_LEN);
    if (m->has_key_lifetime)
        tekho_wbuf_tlv_u32(&w, TEKHO_PKM_ATTR_KEY_LIFETIME, m->key_lifetime_s);
    for (size_t i = 0; i < m->n_tek_params; i++)
        tekho_tek_params_put(&w, TEKHO_PKM_ATTR_TEK_PARAMETERS, &m->tek_params[i]);
    if (m->has_error_code)
        tekho_wbuf_tlv_u8(&w, TEKHO_PKM_ATTR_ERROR_CODE, m->error_code);
    if (m->has_nonce)
        tekho_wbuf_tlv(&w, TEKHO_PKM_ATTR_NONCE, m->nonce, TEKHO_PKM_NONCE_LEN);
    if (m->eap_payload_len > 0)
        tekho_wbuf_tlv(&w, TEKHO_PKM_ATTR_EAP_PAYLOAD, m->eap_payload, m->eap_payload_len);
    /* The CMAC covers everything before it, so it goes last (profile 7). */
    tekho_wbuf_tlv(&w, TEKHO_PKM_ATTR_CMAC_DIGEST, digest, sizeof digest);
    if (w.err != TEKHO_OK)
        return w.err;
    *out_len = w.len;
    return TEKHO_OK;
}

/* One attribute into the message being decoded. */
static tekho_err pkm_take_attribute(struct tekho_pkm *m, const struct tekho_tlv *t)
{
    tekho_err err;
    switch (t->type) {
    case TEKHO_PKM_ATTR_KEY_SEQ:
        err = tekho_tlv_u8(t, &m->key_seq);
        m->has_key_seq = true;
        return err;
    case TEKHO_PKM_ATTR_SAID:
        err = tekho_tlv_u16(t, &m->said);
        m->has_said = true;
        return err;
    case TEKHO_PKM_ATTR_MS_RANDOM:
        err = tekho_tlv_fixed(t, m->ms_random, TEKHO_PKM_RANDOM_LEN);
        m->has_ms_random = true;
        return err;
    case TEKHO_PKM_ATTR_BS_RANDOM:
        err = tekho_tlv_fixed(t, m->bs_random, TEKHO_PKM_RANDOM_LEN);
        m->has_bs_random = true;
        return err;
    case TEKHO_PKM_ATTR_AKID:
        err = tekho_tlv_fixed(t, m->akid, TEKHO_PKM_AKID_LEN);
        m->has_akid = true;
        return err;
    case TEKHO_PKM_ATTR_KEY_LIFETIME:
        /* At the top level: the AK lifetime (SA-TEK-Challenge). */
        err = tekho_tlv_u32(t, &m->key_lifetime_s);
        m->has_key_lifetime = true;
        return err;
    case TEKHO_PKM_ATTR_TEK_PARAMETERS:
        if (m->n_tek_params == 2)
            return TEKHO_ERR_TOO_MANY;
        err = tekho_tek_params_parse(t->value, t->len, &m->tek_params[m->n_tek_params]);
        if (err == TEKHO_OK)
            m->n_tek_params++;
        return err;
    case TEKHO_PKM_ATTR_ERROR_CODE:
        err = tekho_tlv_u8(t, &m->error_code);
        m->has_error_code = true;
        return err;
    case TEKHO_PKM_ATTR_NONCE:
        err = tekho_tlv_fixed(t, m->nonce, TEKHO_PKM_NONCE_LEN);
        m->has_nonce = true;
        return err;
    case TEKHO_PKM_ATTR_EAP_PAYLOAD:
        if (t->len > TEKHO_PKM_EAP_MAX)
            return TEKHO_ERR_WRONG_WIDTH;
        if (!eap_packet_valid(t->value, t->len))
            return TEKHO_ERR_BAD_VALUE;
        memcpy(m->eap_payload, t->value, t->len);
        m->eap_payload_len = t->len;
        return TEKHO_OK;
    case TEKHO_PKM_ATTR_CMAC_DIGEST:
        /* No duplicate check needed: a second digest would follow the
         * first, which the caller already rejects. */
        if (t->len != TEKHO_CMAC_DIGEST_LEN)
            return TEKHO_ERR_WRONG_WIDTH;
        err = tekho_cmac_digest_decode(t->value, t->len, &m->cmac_digest);
        m->has_cmac_digest = true;
        return err;
    default:
        /* 11.9: a receiver ignores attributes it does not know. */
        return TEKHO_OK;
    }
}

tekho_err tekho_pkm_decode(const uint8_t *in, size_t len, struct tekho_pkm *out)
{
    if ((in == NULL && len != 0) || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len == 0)
        return TEKHO_ERR_TRUNCATED;
    if (in[0] != TEKHO_MGMT_PKM_REQ && in[0] != TEKHO_MGMT_PKM_RSP)
        return TEKHO_ERR_WRONG_MESSAGE;
    if (len < PKM_HEADER_LEN)
        return TEKHO_ERR_TRUNCATED;

    struct tekho_pkm m;
    memset(&m, 0, sizeof m);
    m.mgmt_type = in[0];
    m.code = in[1];
    m.identifier = in[2];
    tekho_err err = check_type_and_code(m.mgmt_type, m.code);
    if (err != TEKHO_OK)
        return err;

    /* TEK-Parameters repeat (at most two, counted below); the digest comes last. */
    static const uint8_t single[] = {TEKHO_PKM_ATTR_KEY_SEQ,      TEKHO_PKM_ATTR_SAID,
                                     TEKHO_PKM_ATTR_MS_RANDOM,    TEKHO_PKM_ATTR_BS_RANDOM,
                                     TEKHO_PKM_ATTR_AKID,         TEKHO_PKM_ATTR_KEY_LIFETIME,
                                     TEKHO_PKM_ATTR_ERROR_CODE,   TEKHO_PKM_ATTR_NONCE,
                                     TEKHO_PKM_ATTR_EAP_PAYLOAD,  TEKHO_PKM_ATTR_CMAC_DIGEST};
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, in, len, PKM_HEADER_LEN, TEKHO_PKM_ATTR_CMAC_DIGEST, single, sizeof single);
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        err = pkm_take_attribute(&m, &t);
        if (err != TEKHO_OK)
            return err;
        if (t.type == TEKHO_PKM_ATTR_CMAC_DIGEST)
            m.cmac_offset = t.offset;
    }
    if (wk.err != TEKHO_OK)
        return wk.err;
    err = pkm_check_tek_count(&m);
    if (err != TEKHO_OK)
        return err;
    if (!pkm_has_mandatory(&m))
        return TEKHO_ERR_MISSING_TLV;
    *out = m;
    return TEKHO_OK;
}
