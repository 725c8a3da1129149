/* WiMAX NWG ASN-CP (Stage 3, R1.0 v1.2.1 numbering) as Wireshark's
 * wimaxasncp dissector reads it: wireshark.md section 5, profile 10; and
 * Authentication Relay's AR_EAP_Transfer with the EAP Payload TLV (62). */
#include <openssl/crypto.h>
#include <string.h>

#include "tekho/asncp.h"
#include "tekho/wire.h"

enum required {
    REQ_MS_ID = 1 << 0,
    REQ_HO_TYPE = 1 << 1,
    REQ_AK_CONTEXT = 1 << 2,
    REQ_CMAC_KEY_COUNT = 1 << 3,
    REQ_EAP_PAYLOAD = 1 << 4,
};

/* The legal messages, one row each: a header that names anything else is
 * rejected by construction. */
static const struct msg_row {
    uint8_t function;
    uint8_t type;
    uint8_t op;
    const char *name;
    unsigned required;
} MESSAGES[TEKHO_ASNCP_MSG_COUNT] = {
    [TEKHO_ASNCP_HO_REQ] = {TEKHO_ASNCP_FN_HO_CONTROL, 1, TEKHO_ASNCP_OP_REQUEST, "HO_Req", REQ_MS_ID | REQ_HO_TYPE},
    [TEKHO_ASNCP_HO_RSP] = {TEKHO_ASNCP_FN_HO_CONTROL, 2, TEKHO_ASNCP_OP_RESPONSE, "HO_Rsp", REQ_MS_ID},
    [TEKHO_ASNCP_HO_ACK] = {TEKHO_ASNCP_FN_HO_CONTROL, 3, TEKHO_ASNCP_OP_ACK, "HO_Ack", REQ_MS_ID},
    [TEKHO_ASNCP_HO_CNF] = {TEKHO_ASNCP_FN_HO_CONTROL, 4, TEKHO_ASNCP_OP_INDICATION, "HO_Cnf", REQ_MS_ID},
    /* [PROFILE] the target reports the CMAC_KEY_COUNT the MS used (profile 4). */
    [TEKHO_ASNCP_HO_COMPLETE] = {TEKHO_ASNCP_FN_HO_CONTROL, 5, TEKHO_ASNCP_OP_INDICATION, "HO_Complete",
                                 REQ_MS_ID | REQ_CMAC_KEY_COUNT},
    [TEKHO_ASNCP_CONTEXT_REQ] = {TEKHO_ASNCP_FN_CONTEXT_TRANSFER, 1, TEKHO_ASNCP_OP_REQUEST, "Context_Req", REQ_MS_ID},
    [TEKHO_ASNCP_CONTEXT_RPT] = {TEKHO_ASNCP_FN_CONTEXT_TRANSFER, 2, TEKHO_ASNCP_OP_RESPONSE, "Context_Rpt",
                                 REQ_MS_ID | REQ_AK_CONTEXT},
    [TEKHO_ASNCP_CONTEXT_ACK] = {TEKHO_ASNCP_FN_CONTEXT_TRANSFER, 3, TEKHO_ASNCP_OP_ACK, "Context_Ack", REQ_MS_ID},
    [TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE] = {TEKHO_ASNCP_FN_CONTEXT_TRANSFER, 4, TEKHO_ASNCP_OP_REQUEST,
                                           "CMAC_Key_Count_Update", REQ_MS_ID | REQ_CMAC_KEY_COUNT},
    [TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE_ACK] = {TEKHO_ASNCP_FN_CONTEXT_TRANSFER, 5, TEKHO_ASNCP_OP_ACK,
                                               "CMAC_Key_Count_Update_ACK", REQ_MS_ID},
    /* Authentication Relay 2 in R1.0 v1.2.x (Wireshark's numbering: 1
     * AR_EAP_Start, 2 AR_EAP_Transfer, 3/4 Bulk_Interim_Update/_Ack); the
     * op, [PROFILE] Indication: the same message carries either way. */
    [TEKHO_ASNCP_AR_EAP_TRANSFER] = {TEKHO_ASNCP_FN_AUTH_RELAY, 2, TEKHO_ASNCP_OP_INDICATION, "AR_EAP_Transfer",
                                     REQ_MS_ID | REQ_EAP_PAYLOAD},
};

const char *tekho_asncp_name(enum tekho_asncp_msg msg)
{
    return (unsigned)msg < TEKHO_ASNCP_MSG_COUNT ? MESSAGES[msg].name : NULL;
}

/* ---- encoding ---------------------------------------------------------- */

static void put_tlv(struct tekho_wbuf *w, uint16_t type, const uint8_t *value, size_t len)
{
    if (len > 0xFFFF && w->err == TEKHO_OK)
        w->err = TEKHO_ERR_BAD_VALUE;
    tekho_wbuf_u16(w, type);
    tekho_wbuf_u16(w, (uint16_t)len);
    tekho_wbuf_bytes(w, value, len);
}

static void put_u8(struct tekho_wbuf *w, uint16_t type, uint8_t v)
{
    put_tlv(w, type, &v, 1);
}

static void put_u16(struct tekho_wbuf *w, uint16_t type, uint16_t v)
{
    const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put_tlv(w, type, b, 2);
}

static void put_u32(struct tekho_wbuf *w, uint16_t type, uint32_t v)
{
    const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put_tlv(w, type, b, 4);
}

static size_t compound_begin(struct tekho_wbuf *w, uint16_t type)
{
    const size_t mark = w->len;
    tekho_wbuf_u16(w, type);
    tekho_wbuf_u16(w, 0);
    return mark;
}

static void compound_end(struct tekho_wbuf *w, size_t mark)
{
    if (w->err != TEKHO_OK)
        return;
    const size_t len = w->len - mark - 4;
    if (len > 0xFFFF) {
        w->err = TEKHO_ERR_BAD_VALUE;
        return;
    }
    w->data[mark + 2] = (uint8_t)(len >> 8);
    w->data[mark + 3] = (uint8_t)len;
}

static void put_tek(struct tekho_wbuf *w, uint16_t type, const struct tekho_asncp_tek *t)
{
    const size_t len = t->tek_len ? t->tek_len : TEKHO_ASNCP_TEK_LEN;
    if (len != TEKHO_ASNCP_TEK_LEN && len != TEKHO_ASNCP_WRAPPED_TEK_LEN) {
        if (w->err == TEKHO_OK)
            w->err = TEKHO_ERR_BAD_VALUE;
        return;
    }
    const size_t mark = compound_begin(w, type);
    put_tlv(w, TEKHO_ASNCP_TLV_TEK, t->tek, len);
    put_u32(w, TEKHO_ASNCP_TLV_TEK_LIFETIME, t->lifetime_s);
    put_u8(w, TEKHO_ASNCP_TLV_TEK_SN, t->tek_sn);
    put_u32(w, TEKHO_ASNCP_TLV_PN_COUNTER, t->pn_counter);
    put_u32(w, TEKHO_ASNCP_TLV_RXPN_COUNTER, t->rxpn_counter);
    compound_end(w, mark);
}

tekho_err tekho_asncp_encode(const struct tekho_asncp *m, uint8_t *out, size_t cap, size_t *out_len)
{
    if (m == NULL || out_len == NULL || (unsigned)m->msg >= TEKHO_ASNCP_MSG_COUNT)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const struct msg_row *row = &MESSAGES[m->msg];
    if (((row->required & REQ_MS_ID) && !m->has_ms_id) || ((row->required & REQ_HO_TYPE) && !m->has_ho_type) ||
        ((row->required & REQ_AK_CONTEXT) && !m->has_ak_context) ||
        ((row->required & REQ_CMAC_KEY_COUNT) && !m->has_cmac_key_count) ||
        ((row->required & REQ_EAP_PAYLOAD) && m->eap_payload_len == 0) || m->has_source_id != m->has_destination_id)
        return TEKHO_ERR_MISSING_TLV;
    if (m->n_sa > TEKHO_ASNCP_SA_MAX || m->eap_payload_len > TEKHO_ASNCP_EAP_MAX)
        return TEKHO_ERR_BAD_VALUE;

    struct tekho_wbuf w;
    tekho_wbuf_init(&w, out, cap > TEKHO_ASNCP_MAX_LEN ? TEKHO_ASNCP_MAX_LEN : cap);
    tekho_wbuf_u8(&w, TEKHO_ASNCP_VERSION);
    tekho_wbuf_u8(&w, m->has_source_id ? TEKHO_ASNCP_FLAG_T : 0);
    tekho_wbuf_u8(&w, row->function);
    tekho_wbuf_u8(&w, (uint8_t)(row->op << 5 | row->type));
    tekho_wbuf_u16(&w, 0); /* length, fixed below */
    tekho_wbuf_bytes(&w, m->msid, 6);
    tekho_wbuf_u32(&w, 0);
    tekho_wbuf_u16(&w, m->transaction_id);
    tekho_wbuf_u16(&w, 0);

    if (m->has_source_id) {
        put_tlv(&w, TEKHO_ASNCP_TLV_SOURCE_ID, m->source_id, 6);
        put_tlv(&w, TEKHO_ASNCP_TLV_DESTINATION_ID, m->destination_id, 6);
    }
    if (m->has_ms_id)
        put_tlv(&w, TEKHO_ASNCP_TLV_MS_ID, m->ms_id, 6);
    if (m->has_bs_id)
        put_tlv(&w, TEKHO_ASNCP_TLV_BS_ID, m->bs_id, 6);
    if (m->has_ak_id)
        put_tlv(&w, TEKHO_ASNCP_TLV_AK_ID, m->ak_id, sizeof m->ak_id);
    if (m->has_ho_type)
        put_u32(&w, TEKHO_ASNCP_TLV_HO_TYPE, m->ho_type);
    if (m->has_ho_id)
        put_u8(&w, TEKHO_ASNCP_TLV_HO_ID, m->ho_id);
    if (m->has_ho_process_optimization)
        put_u8(&w, TEKHO_ASNCP_TLV_HO_PROCESS_OPTIMIZATION, m->ho_process_optimization);
    if (m->has_bs_ho_rsp_code)
        put_u8(&w, TEKHO_ASNCP_TLV_BS_HO_RSP_CODE, m->bs_ho_rsp_code);
    if (m->has_context_purpose)
        put_u32(&w, TEKHO_ASNCP_TLV_CONTEXT_PURPOSE, m->context_purpose);
    if (m->has_cmac_key_count)
        put_u16(&w, TEKHO_ASNCP_TLV_CMAC_KEY_COUNT, m->cmac_key_count);
    if (m->has_ak_context) {
        const struct tekho_asncp_ak_context *ak = &m->ak_context;
        const size_t mark = compound_begin(&w, TEKHO_ASNCP_TLV_AK_CONTEXT);
        put_tlv(&w, TEKHO_ASNCP_TLV_AK, ak->ak, sizeof ak->ak);
        put_tlv(&w, TEKHO_ASNCP_TLV_AK_ID, ak->ak_id, sizeof ak->ak_id);
        put_u32(&w, TEKHO_ASNCP_TLV_AK_LIFETIME, ak->ak_lifetime_s);
        put_u8(&w, TEKHO_ASNCP_TLV_AK_SN, ak->ak_sn);
        if (ak->has_cmac_key_count)
            put_u16(&w, TEKHO_ASNCP_TLV_CMAC_KEY_COUNT, ak->cmac_key_count);
        compound_end(&w, mark);
    }
    for (size_t i = 0; i < m->n_sa; i++) {
        const struct tekho_asncp_sa *sa = &m->sa[i];
        const size_t mark = compound_begin(&w, TEKHO_ASNCP_TLV_SA_DESCRIPTOR);
        put_u16(&w, TEKHO_ASNCP_TLV_SAID, sa->said);
        if (sa->has_older)
            put_tek(&w, TEKHO_ASNCP_TLV_OLDER_TEK_PARAMETERS, &sa->older);
        if (sa->has_newer)
            put_tek(&w, TEKHO_ASNCP_TLV_NEWER_TEK_PARAMETERS, &sa->newer);
        compound_end(&w, mark);
    }
    if (m->eap_payload_len > 0)
        put_tlv(&w, TEKHO_ASNCP_TLV_EAP_PAYLOAD, m->eap_payload, m->eap_payload_len);
    if (w.err != TEKHO_OK) {
        OPENSSL_cleanse(out, w.len);
        return w.err;
    }
    out[4] = (uint8_t)(w.len >> 8);
    out[5] = (uint8_t)w.len;
    *out_len = w.len;
    return TEKHO_OK;
}

/* ---- decoding ---------------------------------------------------------- */

struct asn_tlv {
    uint16_t type;
    const uint8_t *value;
    size_t len;
};

struct asn_reader {
    const uint8_t *p;
    size_t len;
    size_t at;
    uint64_t seen[5];   /* single-instance types below 320; others are bounded by the caller */
};

/* repeatable_type may occur more than once (0: none); its count is bounded by the caller. */
static tekho_err asn_next(struct asn_reader *r, struct asn_tlv *t, bool *got, uint16_t repeatable_type)
{
    *got = false;
    if (r->at == r->len)
        return TEKHO_OK;
    if (r->len - r->at < 4)
        return TEKHO_ERR_TRUNCATED;
    t->type = tekho_be16(r->p + r->at);
    t->len = tekho_be16(r->p + r->at + 2);
    if (t->len == 0)
        return TEKHO_ERR_TLV_ZERO_LENGTH;
    if (t->len > r->len - r->at - 4)
        return TEKHO_ERR_TLV_OVERRUN;
    t->value = r->p + r->at + 4;
    r->at += 4 + t->len;
    if (t->type != repeatable_type && t->type < 64 * 5) {
        const uint64_t bit = (uint64_t)1 << (t->type % 64);
        if (r->seen[t->type / 64] & bit)
            return TEKHO_ERR_DUPLICATE_TLV;
        r->seen[t->type / 64] |= bit;
    }
    *got = true;
    return TEKHO_OK;
}

static void asn_reader_init(struct asn_reader *r, const uint8_t *p, size_t len)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->len = len;
}

static tekho_err fixed(const struct asn_tlv *t, uint8_t *out, size_t n)
{
    if (t->len != n)
        return TEKHO_ERR_WRONG_WIDTH;
    memcpy(out, t->value, n);
    return TEKHO_OK;
}

static tekho_err get_u8(const struct asn_tlv *t, uint8_t *v)
{
    return fixed(t, v, 1);
}

static tekho_err get_u16(const struct asn_tlv *t, uint16_t *v)
{
    if (t->len != 2)
        return TEKHO_ERR_WRONG_WIDTH;
    *v = tekho_be16(t->value);
    return TEKHO_OK;
}

static tekho_err get_u32(const struct asn_tlv *t, uint32_t *v)
{
    if (t->len != 4)
        return TEKHO_ERR_WRONG_WIDTH;
    *v = tekho_be32(t->value);
    return TEKHO_OK;
}

#define HAVE(bit) (1u << (bit))

static tekho_err parse_ak_context(const struct asn_tlv *outer, struct tekho_asncp_ak_context *ak)
{
    struct asn_reader r;
    asn_reader_init(&r, outer->value, outer->len);
    unsigned have = 0;
    for (;;) {
        struct asn_tlv t;
        bool got;
        tekho_err err = asn_next(&r, &t, &got, 0);
        if (err != TEKHO_OK || !got) {
            if (err == TEKHO_OK && have != (HAVE(0) | HAVE(1) | HAVE(2) | HAVE(3)))
                err = TEKHO_ERR_MISSING_TLV;
            return err;
        }
        switch (t.type) {
        case TEKHO_ASNCP_TLV_AK: err = fixed(&t, ak->ak, sizeof ak->ak); have |= HAVE(0); break;
        case TEKHO_ASNCP_TLV_AK_ID: err = fixed(&t, ak->ak_id, sizeof ak->ak_id); have |= HAVE(1); break;
        case TEKHO_ASNCP_TLV_AK_LIFETIME: err = get_u32(&t, &ak->ak_lifetime_s); have |= HAVE(2); break;
        case TEKHO_ASNCP_TLV_AK_SN: err = get_u8(&t, &ak->ak_sn); have |= HAVE(3); break;
        case TEKHO_ASNCP_TLV_CMAC_KEY_COUNT:
            err = get_u16(&t, &ak->cmac_key_count);
            ak->has_cmac_key_count = true;
            break;
        default: break;
        }
        if (err != TEKHO_OK)
            return err;
    }
}

static tekho_err parse_tek(const struct asn_tlv *outer, struct tekho_asncp_tek *tek)
{
    struct asn_reader r;
    asn_reader_init(&r, outer->value, outer->len);
    unsigned have = 0;
    for (;;) {
        struct asn_tlv t;
        bool got;
        tekho_err err = asn_next(&r, &t, &got, 0);
        if (err != TEKHO_OK || !got) {
            if (err == TEKHO_OK && have != (HAVE(0) | HAVE(1) | HAVE(2) | HAVE(3) | HAVE(4)))
                err = TEKHO_ERR_MISSING_TLV;
            return err;
        }
        switch (t.type) {
        case TEKHO_ASNCP_TLV_TEK:
            /* The TEK, or the TEK wrapped under the target's KEK. */
            if (t.len != TEKHO_ASNCP_TEK_LEN && t.len != TEKHO_ASNCP_WRAPPED_TEK_LEN) {
                err = TEKHO_ERR_WRONG_WIDTH;
                break;
            }
            memcpy(tek->tek, t.value, t.len);
            tek->tek_len = t.len;
            have |= HAVE(0);
            break;
        case TEKHO_ASNCP_TLV_TEK_LIFETIME: err = get_u32(&t, &tek->lifetime_s); have |= HAVE(1); break;
        case TEKHO_ASNCP_TLV_TEK_SN: err = get_u8(&t, &tek->tek_sn); have |= HAVE(2); break;
        case TEKHO_ASNCP_TLV_PN_COUNTER: err = get_u32(&t, &tek->pn_counter); have |= HAVE(3); break;
        case TEKHO_ASNCP_TLV_RXPN_COUNTER: err = get_u32(&t, &tek->rxpn_counter); have |= HAVE(4); break;
        default: break;
        }
        if (err != TEKHO_OK)
            return err;
    }
}

static tekho_err parse_sa(const struct asn_tlv *outer, struct tekho_asncp_sa *sa)
{
    struct asn_reader r;
    asn_reader_init(&r, outer->value, outer->len);
    bool has_said = false;
    for (;;) {
        struct asn_tlv t;
        bool got;
        tekho_err err = asn_next(&r, &t, &got, 0);
        if (err != TEKHO_OK || !got)
            return err == TEKHO_OK && !has_said ? TEKHO_ERR_MISSING_TLV : err;
        switch (t.type) {
        case TEKHO_ASNCP_TLV_SAID: err = get_u16(&t, &sa->said); has_said = true; break;
        case TEKHO_ASNCP_TLV_OLDER_TEK_PARAMETERS: err = parse_tek(&t, &sa->older); sa->has_older = true; break;
        case TEKHO_ASNCP_TLV_NEWER_TEK_PARAMETERS: err = parse_tek(&t, &sa->newer); sa->has_newer = true; break;
        default: break;
        }
        if (err != TEKHO_OK)
            return err;
    }
}

static tekho_err parse_tlvs(const uint8_t *p, size_t len, struct tekho_asncp *m)
{
    struct asn_reader r;
    asn_reader_init(&r, p, len);
    for (;;) {
        struct asn_tlv t;
        bool got;
        tekho_err err = asn_next(&r, &t, &got, TEKHO_ASNCP_TLV_SA_DESCRIPTOR);
        if (err != TEKHO_OK || !got)
            return err;
        switch (t.type) {
        case TEKHO_ASNCP_TLV_SOURCE_ID: err = fixed(&t, m->source_id, 6); m->has_source_id = true; break;
        case TEKHO_ASNCP_TLV_DESTINATION_ID:
            err = fixed(&t, m->destination_id, 6);
            m->has_destination_id = true;
            break;
        case TEKHO_ASNCP_TLV_MS_ID: err = fixed(&t, m->ms_id, 6); m->has_ms_id = true; break;
        case TEKHO_ASNCP_TLV_BS_ID: err = fixed(&t, m->bs_id, 6); m->has_bs_id = true; break;
        case TEKHO_ASNCP_TLV_AK_ID: err = fixed(&t, m->ak_id, sizeof m->ak_id); m->has_ak_id = true; break;
        case TEKHO_ASNCP_TLV_HO_TYPE: err = get_u32(&t, &m->ho_type); m->has_ho_type = true; break;
        case TEKHO_ASNCP_TLV_HO_ID: err = get_u8(&t, &m->ho_id); m->has_ho_id = true; break;
        case TEKHO_ASNCP_TLV_HO_PROCESS_OPTIMIZATION:
            err = get_u8(&t, &m->ho_process_optimization);
            m->has_ho_process_optimization = true;
            break;
        case TEKHO_ASNCP_TLV_BS_HO_RSP_CODE:
            err = get_u8(&t, &m->bs_ho_rsp_code);
            m->has_bs_ho_rsp_code = true;
            break;
        case TEKHO_ASNCP_TLV_CONTEXT_PURPOSE:
            err = get_u32(&t, &m->context_purpose);
            m->has_context_purpose = true;
            break;
        case TEKHO_ASNCP_TLV_CMAC_KEY_COUNT:
            err = get_u16(&t, &m->cmac_key_count);
            m->has_cmac_key_count = true;
            break;
        case TEKHO_ASNCP_TLV_AK_CONTEXT:
            err = parse_ak_context(&t, &m->ak_context);
            m->has_ak_context = true;
            break;
        case TEKHO_ASNCP_TLV_SA_DESCRIPTOR:
            if (m->n_sa == TEKHO_ASNCP_SA_MAX)
                return TEKHO_ERR_TOO_MANY;
            err = parse_sa(&t, &m->sa[m->n_sa]);
            m->n_sa++;
            break;
        case TEKHO_ASNCP_TLV_EAP_PAYLOAD:
            /* Carried, not read here: the Authenticator judges the EAP packet. */
            if (t.len > TEKHO_ASNCP_EAP_MAX) {
                err = TEKHO_ERR_WRONG_WIDTH;
                break;
            }
            memcpy(m->eap_payload, t.value, t.len);
            m->eap_payload_len = t.len;
            break;
        default: break; /* unknown optional TLVs are skipped */
        }
        if (err != TEKHO_OK)
            return err;
    }
}

tekho_err tekho_asncp_peek(const uint8_t *in, size_t len, enum tekho_asncp_msg *msg, uint8_t msid[6])
{
    if (in == NULL || msg == NULL || msid == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len < TEKHO_ASNCP_HEADER_LEN)
        return TEKHO_ERR_TRUNCATED;
    if (in[0] != TEKHO_ASNCP_VERSION || (in[1] & ~(TEKHO_ASNCP_FLAG_T | 0x01u)) != 0)
        return TEKHO_ERR_BAD_ASNCP_HEADER;
    if (tekho_be16(in + 4) != len)
        return TEKHO_ERR_BAD_ASNCP_LENGTH;
    const uint8_t function = in[2], op = in[3] >> 5, type = in[3] & 0x1F;
    unsigned i = 0;
    while (i < TEKHO_ASNCP_MSG_COUNT && !(MESSAGES[i].function == function && MESSAGES[i].type == type))
        i++;
    if (i == TEKHO_ASNCP_MSG_COUNT)
        return TEKHO_ERR_UNKNOWN_MESSAGE;
    if (MESSAGES[i].op != op)
        return TEKHO_ERR_BAD_ASNCP_HEADER;
    *msg = (enum tekho_asncp_msg)i;
    memcpy(msid, in + 6, 6);
    return TEKHO_OK;
}

tekho_err tekho_asncp_decode(const uint8_t *in, size_t len, struct tekho_asncp *out)
{
    if (in == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_asncp m;
    memset(&m, 0, sizeof m);
    tekho_err err = tekho_asncp_peek(in, len, &m.msg, m.msid);
    if (err != TEKHO_OK)
        return err;
    const unsigned i = (unsigned)m.msg;
    m.transaction_id = tekho_be16(in + 16);
    err = parse_tlvs(in + TEKHO_ASNCP_HEADER_LEN, len - TEKHO_ASNCP_HEADER_LEN, &m);
    const unsigned req = MESSAGES[i].required;
    const bool flag_t = (in[1] & TEKHO_ASNCP_FLAG_T) != 0;
    if (err == TEKHO_OK &&
        (((req & REQ_MS_ID) && !m.has_ms_id) || ((req & REQ_HO_TYPE) && !m.has_ho_type) ||
         ((req & REQ_AK_CONTEXT) && !m.has_ak_context) || ((req & REQ_CMAC_KEY_COUNT) && !m.has_cmac_key_count) ||
         ((req & REQ_EAP_PAYLOAD) && m.eap_payload_len == 0) ||
         (flag_t && !(m.has_source_id && m.has_destination_id))))
        err = TEKHO_ERR_MISSING_TLV;
    if (err == TEKHO_OK && !flag_t && (m.has_source_id || m.has_destination_id))
        err = TEKHO_ERR_BAD_ASNCP_HEADER;
    if (err == TEKHO_OK)
        *out = m;
    tekho_asncp_wipe(&m);
    return err;
}

void tekho_asncp_wipe(struct tekho_asncp *m)
{
    if (m == NULL)
        return;
    OPENSSL_cleanse(m->ak_context.ak, sizeof m->ak_context.ak);
    for (size_t i = 0; i < TEKHO_ASNCP_SA_MAX; i++) {
        OPENSSL_cleanse(m->sa[i].older.tek, sizeof m->sa[i].older.tek);
        OPENSSL_cleanse(m->sa[i].newer.tek, sizeof m->sa[i].newer.tek);
    }
}
