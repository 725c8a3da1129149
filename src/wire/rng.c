/* RNG-REQ and RNG-RSP, IEEE 802.16-2009 6.3.2.3.5-6 (with the 802.16e
 * handover TLVs and corrigendum 2's CMAC_KEY_COUNT); profile sections 5,
 * 8, 10; Wireshark's msg_rng_req.c / msg_rng_rsp.c numbering. */
#include <string.h>

#include "tekho/mgmt.h"

/* Both messages: type | reserved | TLVs. */
#define RNG_HEADER_LEN 2
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The single-instance TLVs of each level; SA-TEK-Update repeats, one per SA. */
static const uint8_t RNG_REQ_SINGLE[] = {TEKHO_RNG_REQ_TLV_MS_MAC, TEKHO_RNG_REQ_TLV_SERVING_BSID,
                                         TEKHO_RNG_REQ_TLV_RANGING_PURPOSE, TEKHO_RNG_REQ_TLV_HO_ID,
                                         TEKHO_RNG_REQ_TLV_CMAC_KEY_COUNT, TEKHO_TLV_CMAC_TUPLE};
static const uint8_t RNG_RSP_SINGLE[] = {TEKHO_RNG_RSP_TLV_RANGING_STATUS, TEKHO_RNG_RSP_TLV_MS_MAC,
                                         TEKHO_RNG_RSP_TLV_BASIC_CID, TEKHO_RNG_RSP_TLV_PRIMARY_CID,
                                         TEKHO_RNG_RSP_TLV_HO_PROCESS_OPTIMIZATION, TEKHO_RNG_RSP_TLV_HO_ID,
                                         TEKHO_RNG_RSP_TLV_SA_CHALLENGE_TUPLE, TEKHO_TLV_CMAC_TUPLE};
static const uint8_t SA_CHALLENGE_SINGLE[] = {TEKHO_SA_CHALLENGE_TLV_BS_RANDOM, TEKHO_SA_CHALLENGE_TLV_AKID};
static const uint8_t SA_TEK_UPDATE_SINGLE[] = {
    TEKHO_SA_TEK_UPDATE_TLV_TYPE, TEKHO_SA_TEK_UPDATE_TLV_NEW_SAID, TEKHO_SA_TEK_UPDATE_TLV_OLD_SAID,
    TEKHO_SA_TEK_UPDATE_TLV_OLD_TEK_PARAMS, TEKHO_SA_TEK_UPDATE_TLV_NEW_TEK_PARAMS};

static void put_cmac_tuple(struct tekho_wbuf *w, const struct tekho_cmac_tuple *t)
{
    uint8_t value[TEKHO_CMAC_TUPLE_LEN_WITH_BSID];
    size_t len = 0;
    tekho_err err = tekho_cmac_tuple_encode(t, value, sizeof value, &len);
    if (err != TEKHO_OK) {
        if (w->err == TEKHO_OK)
            w->err = err;
        return;
    }
    tekho_wbuf_tlv(w, TEKHO_TLV_CMAC_TUPLE, value, len);
}

tekho_err tekho_rng_req_encode(const struct tekho_rng_req *m, uint8_t *out, size_t cap, size_t *out_len)
{
    if (m == NULL || out_len == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (!m->has_ms_mac)
        return TEKHO_ERR_MISSING_TLV;
    struct tekho_wbuf w;
    tekho_wbuf_init(&w, out, cap);
    tekho_wbuf_u8(&w, TEKHO_MGMT_RNG_REQ);
    tekho_wbuf_u8(&w, 0);
    tekho_wbuf_tlv(&w, TEKHO_RNG_REQ_TLV_MS_MAC, m->ms_mac, 6);
    if (m->has_serving_bsid)
        tekho_wbuf_tlv(&w, TEKHO_RNG_REQ_TLV_SERVING_BSID, m->serving_bsid, 6);
    if (m->has_ranging_purpose)
        tekho_wbuf_tlv_u8(&w, TEKHO_RNG_REQ_TLV_RANGING_PURPOSE, m->ranging_purpose);
    if (m->has_ho_id)
        tekho_wbuf_tlv_u8(&w, TEKHO_RNG_REQ_TLV_HO_ID, m->ho_id);
    if (m->has_cmac_key_count)
        tekho_wbuf_tlv_u16(&w, TEKHO_RNG_REQ_TLV_CMAC_KEY_COUNT, m->cmac_key_count);
    if (m->has_cmac)
        put_cmac_tuple(&w, &m->cmac);
    if (w.err == TEKHO_OK)
        *out_len = w.len;
    return w.err;
}


tekho_err tekho_rng_req_decode(const uint8_t *in, size_t len, struct tekho_rng_req *out)
{
    if (in == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len < RNG_HEADER_LEN)
        return TEKHO_ERR_TRUNCATED;
    if (in[0] != TEKHO_MGMT_RNG_REQ)
        return TEKHO_ERR_WRONG_MESSAGE;
    struct tekho_rng_req m;
    memset(&m, 0, sizeof m);
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, in, len, RNG_HEADER_LEN, TEKHO_TLV_CMAC_TUPLE, RNG_REQ_SINGLE, N(RNG_REQ_SINGLE));
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        tekho_err err = TEKHO_OK;
        switch (t.type) {
        case TEKHO_RNG_REQ_TLV_MS_MAC:
            err = tekho_tlv_fixed(&t, m.ms_mac, 6);
            m.has_ms_mac = true;
            break;
        case TEKHO_RNG_REQ_TLV_SERVING_BSID:
            err = tekho_tlv_fixed(&t, m.serving_bsid, 6);
            m.has_serving_bsid = true;
            break;
        case TEKHO_RNG_REQ_TLV_RANGING_PURPOSE:
            err = tekho_tlv_u8(&t, &m.ranging_purpose);
            m.has_ranging_purpose = true;
            break;
        case TEKHO_RNG_REQ_TLV_HO_ID:
            err = tekho_tlv_u8(&t, &m.ho_id);
            m.has_ho_id = true;
            break;
        case TEKHO_RNG_REQ_TLV_CMAC_KEY_COUNT:
            err = tekho_tlv_u16(&t, &m.cmac_key_count);
            m.has_cmac_key_count = true;
            break;
        case TEKHO_TLV_CMAC_TUPLE:
            err = tekho_mgmt_read_cmac_tuple(&t, &m.cmac);
            m.cmac_offset = t.offset;
            m.has_cmac = true;
            break;
        default:
            break; /* unknown optional TLVs are skipped */
        }
        if (err != TEKHO_OK)
            return err;
    }
    if (wk.err != TEKHO_OK)
        return wk.err;
    if (!m.has_ms_mac)
        return TEKHO_ERR_MISSING_TLV;
    *out = m;
    return TEKHO_OK;
}

void tekho_sa_tek_update_put(struct tekho_wbuf *w, uint8_t type, const struct tekho_sa_tek_update *u)
{
    if (w == NULL)
        return;
    if (u == NULL) {
        if (w->err == TEKHO_OK)
            w->err = TEKHO_ERR_INVALID_ARGUMENT;
        return;
    }
    size_t mark = tekho_wbuf_tlv_begin(w, type);
    tekho_wbuf_tlv_u8(w, TEKHO_SA_TEK_UPDATE_TLV_TYPE, u->type);
    tekho_wbuf_tlv_u16(w, TEKHO_SA_TEK_UPDATE_TLV_NEW_SAID, u->new_said);
    tekho_wbuf_tlv_u16(w, TEKHO_SA_TEK_UPDATE_TLV_OLD_SAID, u->old_said);
    if (u->has_old_params)
        tekho_tek_params_put(w, TEKHO_SA_TEK_UPDATE_TLV_OLD_TEK_PARAMS, &u->old_params);
    tekho_tek_params_put(w, TEKHO_SA_TEK_UPDATE_TLV_NEW_TEK_PARAMS, &u->new_params);
    tekho_wbuf_tlv_end(w, mark);
}

tekho_err tekho_rng_rsp_encode(const struct tekho_rng_rsp *m, uint8_t *out, size_t cap, size_t *out_len)
{
    if (m == NULL || out_len == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (!m->has_ranging_status)
        return TEKHO_ERR_MISSING_TLV;
    if (m->n_sa_tek_updates > TEKHO_SA_TEK_UPDATE_MAX)
        return TEKHO_ERR_BAD_VALUE;
    struct tekho_wbuf w;
    tekho_wbuf_init(&w, out, cap);
    tekho_wbuf_u8(&w, TEKHO_MGMT_RNG_RSP);
    tekho_wbuf_u8(&w, 0);
    tekho_wbuf_tlv_u8(&w, TEKHO_RNG_RSP_TLV_RANGING_STATUS, m->ranging_status);
    /* Early in the message: Wireshark 4.0 shows the SA Challenge Tuple's
     * sub-TLVs only while its offset is below its length (wireshark.md 6). */
    if (m->has_sa_challenge) {
        size_t mark = tekho_wbuf_tlv_begin(&w, TEKHO_RNG_RSP_TLV_SA_CHALLENGE_TUPLE);
        tekho_wbuf_tlv(&w, TEKHO_SA_CHALLENGE_TLV_BS_RANDOM, m->bs_random, 8);
        tekho_wbuf_tlv(&w, TEKHO_SA_CHALLENGE_TLV_AKID, m->akid, 8);
        tekho_wbuf_tlv_end(&w, mark);
    }
    if (m->has_ms_mac)
        tekho_wbuf_tlv(&w, TEKHO_RNG_RSP_TLV_MS_MAC, m->ms_mac, 6);
    if (m->has_basic_cid)
        tekho_wbuf_tlv_u16(&w, TEKHO_RNG_RSP_TLV_BASIC_CID, m->basic_cid);
    if (m->has_primary_cid)
        tekho_wbuf_tlv_u16(&w, TEKHO_RNG_RSP_TLV_PRIMARY_CID, m->primary_cid);
    if (m->has_ho_process_optimization)
        tekho_wbuf_tlv_u16(&w, TEKHO_RNG_RSP_TLV_HO_PROCESS_OPTIMIZATION, m->ho_process_optimization);
    if (m->has_ho_id)
        tekho_wbuf_tlv_u8(&w, TEKHO_RNG_RSP_TLV_HO_ID, m->ho_id);
    for (size_t i = 0; i < m->n_sa_tek_updates; i++)
        tekho_sa_tek_update_put(&w, TEKHO_RNG_RSP_TLV_SA_TEK_UPDATE, &m->sa_tek_updates[i]);
    if (m->has_cmac)
        put_cmac_tuple(&w, &m->cmac);
    if (w.err == TEKHO_OK)
        *out_len = w.len;
    return w.err;
}

static tekho_err parse_sa_challenge(const struct tekho_tlv *outer, struct tekho_rng_rsp *m)
{
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, outer->value, outer->len, 0, 0, SA_CHALLENGE_SINGLE, N(SA_CHALLENGE_SINGLE));
    bool has_random = false, has_akid = false;
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        tekho_err err = TEKHO_OK;
        if (t.type == TEKHO_SA_CHALLENGE_TLV_BS_RANDOM) {
            err = tekho_tlv_fixed(&t, m->bs_random, 8);
            has_random = true;
        } else if (t.type == TEKHO_SA_CHALLENGE_TLV_AKID) {
            err = tekho_tlv_fixed(&t, m->akid, 8);
            has_akid = true;
        }
        if (err != TEKHO_OK)
            return err;
    }
    if (wk.err != TEKHO_OK)
        return wk.err;
    return has_random && has_akid ? TEKHO_OK : TEKHO_ERR_MISSING_TLV;
}

tekho_err tekho_sa_tek_update_parse(const uint8_t *in, size_t len, struct tekho_sa_tek_update *out)
{
    if ((in == NULL && len != 0) || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, in, len, 0, 0, SA_TEK_UPDATE_SINGLE, N(SA_TEK_UPDATE_SINGLE));
    struct tekho_sa_tek_update update;
    struct tekho_sa_tek_update *u = &update;
    memset(u, 0, sizeof *u);
    bool has_type = false, has_new_said = false, has_old_said = false, has_new = false;
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        tekho_err err = TEKHO_OK;
        switch (t.type) {
        case TEKHO_SA_TEK_UPDATE_TLV_TYPE:
            err = tekho_tlv_u8(&t, &u->type);
            has_type = true;
            break;
        case TEKHO_SA_TEK_UPDATE_TLV_NEW_SAID:
            err = tekho_tlv_u16(&t, &u->new_said);
            has_new_said = true;
            break;
        case TEKHO_SA_TEK_UPDATE_TLV_OLD_SAID:
            err = tekho_tlv_u16(&t, &u->old_said);
            has_old_said = true;
            break;
        case TEKHO_SA_TEK_UPDATE_TLV_OLD_TEK_PARAMS:
            err = tekho_tek_params_parse(t.value, t.len, &u->old_params);
            u->has_old_params = true;
            break;
        case TEKHO_SA_TEK_UPDATE_TLV_NEW_TEK_PARAMS:
            err = tekho_tek_params_parse(t.value, t.len, &u->new_params);
            has_new = true;
            break;
        default:
            break;
        }
        if (err != TEKHO_OK)
            return err;
    }
    if (wk.err != TEKHO_OK)
        return wk.err;
    if (!(has_type && has_new_said && has_old_said && has_new))
        return TEKHO_ERR_MISSING_TLV;
    *out = update;
    return TEKHO_OK;
}

tekho_err tekho_rng_rsp_decode(const uint8_t *in, size_t len, struct tekho_rng_rsp *out)
{
    if (in == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len < RNG_HEADER_LEN)
        return TEKHO_ERR_TRUNCATED;
    if (in[0] != TEKHO_MGMT_RNG_RSP)
        return TEKHO_ERR_WRONG_MESSAGE;
    struct tekho_rng_rsp m;
    memset(&m, 0, sizeof m);
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, in, len, RNG_HEADER_LEN, TEKHO_TLV_CMAC_TUPLE, RNG_RSP_SINGLE, N(RNG_RSP_SINGLE));
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        tekho_err err = TEKHO_OK;
        switch (t.type) {
        case TEKHO_RNG_RSP_TLV_RANGING_STATUS:
            err = tekho_tlv_u8(&t, &m.ranging_status);
            m.has_ranging_status = true;
            break;
        case TEKHO_RNG_RSP_TLV_MS_MAC:
            err = tekho_tlv_fixed(&t, m.ms_mac, 6);
            m.has_ms_mac = true;
            break;
        case TEKHO_RNG_RSP_TLV_BASIC_CID:
            err = tekho_tlv_u16(&t, &m.basic_cid);
            m.has_basic_cid = true;
            break;
        case TEKHO_RNG_RSP_TLV_PRIMARY_CID:
            err = tekho_tlv_u16(&t, &m.primary_cid);
            m.has_primary_cid = true;
            break;
        case TEKHO_RNG_RSP_TLV_HO_PROCESS_OPTIMIZATION:
            err = tekho_tlv_u16(&t, &m.ho_process_optimization);
            m.has_ho_process_optimization = true;
            break;
        case TEKHO_RNG_RSP_TLV_HO_ID:
            err = tekho_tlv_u8(&t, &m.ho_id);
            m.has_ho_id = true;
            break;
        case TEKHO_RNG_RSP_TLV_SA_CHALLENGE_TUPLE:
            err = parse_sa_challenge(&t, &m);
            m.has_sa_challenge = true;
            break;
        case TEKHO_RNG_RSP_TLV_SA_TEK_UPDATE:
            if (m.n_sa_tek_updates == TEKHO_SA_TEK_UPDATE_MAX)
                return TEKHO_ERR_TOO_MANY;
            err = tekho_sa_tek_update_parse(t.value, t.len, &m.sa_tek_updates[m.n_sa_tek_updates++]);
            break;
        case TEKHO_TLV_CMAC_TUPLE:
            err = tekho_mgmt_read_cmac_tuple(&t, &m.cmac);
            m.cmac_offset = t.offset;
            m.has_cmac = true;
            break;
        default:
            break;
        }
        if (err != TEKHO_OK)
            return err;
    }
    if (wk.err != TEKHO_OK)
        return wk.err;
    if (!m.has_ranging_status)
        return TEKHO_ERR_MISSING_TLV;
    *out = m;
    return TEKHO_OK;
}
