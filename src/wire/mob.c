/* MOB_MSHO-REQ, MOB_BSHO-RSP, MOB_HO-IND: bit-packed bodies, then TLVs.
 * The layouts are written out in mob.h (profile section 11). */
#include "tekho/mgmt.h"

#include <string.h>

_Static_assert(TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS == 6 || TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS == 7,
               "the sources give 6/5 or 7/4 reserved bits in MOB_BSHO-RSP");

/* ---- MSB-first bit writer over a wbuf -------------------------------------
 * Completed octets go straight into the wbuf, which owns overflow. A value
 * too wide for its field only raises a flag, and writing goes on, so that
 * an out-of-range field is reported as such whatever the buffer size. */
struct bitw {
    struct tekho_wbuf *w;
    unsigned acc;
    unsigned nacc;
    bool bad;
};

static void put_bits(struct bitw *b, uint32_t v, unsigned n)
{
    if (n < 32 && (v >> n) != 0) {
        b->bad = true;
        return;
    }
    /* As many bits at a time as fill the octet being built. */
    while (n > 0) {
        const unsigned take = n < 8 - b->nacc ? n : 8 - b->nacc;
        n -= take;
        b->acc = (b->acc << take) | ((v >> n) & ((1u << take) - 1));
        b->nacc += take;
        if (b->nacc == 8) {
            tekho_wbuf_u8(b->w, (uint8_t)b->acc);
            b->acc = 0;
            b->nacc = 0;
        }
    }
}

static void put_flag(struct bitw *b, bool f)
{
    put_bits(b, f ? 1u : 0u, 1);
}

static void put_octets(struct bitw *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_bits(b, p[i], 8);
}

/* ---- MSB-first bit reader ---------------------------------------------------
 * The first error sticks and later reads return 0, so a decoder checks once
 * before it trusts what it read. bit never exceeds 8 * len. */
struct bitr {
    const uint8_t *p;
    size_t len;
    size_t bit;
    tekho_err err;
};

static void bitr_fail(struct bitr *r, tekho_err e)
{
    if (r->err == TEKHO_OK)
        r->err = e;
}

static uint32_t get_bits(struct bitr *r, unsigned n)
{
    if (r->err != TEKHO_OK)
        return 0;
    if ((r->bit + n + 7) / 8 > r->len) {
        r->err = TEKHO_ERR_TRUNCATED;
        return 0;
    }
    /* As many bits at a time as remain in the current octet. */
    uint32_t v = 0;
    while (n > 0) {
        const unsigned left_in_octet = 8 - (unsigned)(r->bit % 8);
        const unsigned take = n < left_in_octet ? n : left_in_octet;
        const unsigned octet = r->p[r->bit / 8];
        v = (v << take) | ((octet >> (left_in_octet - take)) & ((1u << take) - 1));
        r->bit += take;
        n -= take;
    }
    return v;
}

static uint8_t get_u8(struct bitr *r)
{
    return (uint8_t)get_bits(r, 8);
}

static bool get_flag(struct bitr *r)
{
    return get_bits(r, 1) != 0;
}

/* n whole octets at any bit offset: one bounds check for the run, then
 * each octet from the (at most) two source octets it straddles. On an
 * error p is zeroed, as get_u8 would have left it. */
static void get_octets(struct bitr *r, uint8_t *p, size_t n)
{
    if (r->err == TEKHO_OK && (r->len < n || (r->bit + 7) / 8 > r->len - n))
        r->err = TEKHO_ERR_TRUNCATED;
    if (r->err != TEKHO_OK) {
        memset(p, 0, n);
        return;
    }
    const uint8_t *src = r->p + r->bit / 8;
    const unsigned shift = (unsigned)(r->bit % 8);
    for (size_t i = 0; i < n; i++)
        p[i] = shift == 0 ? src[i] : (uint8_t)(src[i] << shift | src[i + 1] >> (8 - shift));
    r->bit += 8 * n;
}

/* A count of entries; more than the struct holds is refused before any
 * entry is read. */
static size_t get_count(struct bitr *r, unsigned width, size_t max)
{
    const size_t n = get_bits(r, width);
    if (n > max) {
        bitr_fail(r, TEKHO_ERR_TOO_MANY);
        return 0;
    }
    return n;
}

static void bitr_init(struct bitr *r, const uint8_t *in, size_t len, uint8_t type)
{
    r->p = in;
    r->len = len;
    r->bit = 0;
    r->err = TEKHO_OK;
    if (get_u8(r) != type)
        bitr_fail(r, TEKHO_ERR_WRONG_MESSAGE);
}

/* ---- shared framing ---------------------------------------------------------- */

static tekho_err encode_check(const void *m, const uint8_t *out, size_t cap, const size_t *out_len, bool has_cmac,
                              const struct tekho_cmac_tuple *cmac)
{
    if (m == NULL || out_len == NULL || (out == NULL && cap != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (has_cmac && cmac->key_seq > 0x0F)
        return TEKHO_ERR_BAD_VALUE;
    return TEKHO_OK;
}

/* Pads to an octet, appends the CMAC tuple and reports, in order: a field
 * out of range, then a full buffer. */
static tekho_err encode_finish(struct bitw *b, bool has_cmac, const struct tekho_cmac_tuple *cmac, size_t *out_len)
{
    if (b->nacc != 0)
        put_bits(b, 0, 8 - b->nacc);
    if (has_cmac) {
        uint8_t v[TEKHO_CMAC_TUPLE_LEN_WITH_BSID];
        size_t n = 0;
        const tekho_err err = tekho_cmac_tuple_encode(cmac, v, sizeof v, &n);
        if (err != TEKHO_OK)
            return err;
        tekho_wbuf_tlv(b->w, TEKHO_TLV_CMAC_TUPLE, v, n);
    }
    if (b->bad)
        return TEKHO_ERR_BAD_VALUE;
    if (b->w->err != TEKHO_OK)
        return b->w->err;
    *out_len = b->w->len;
    return TEKHO_OK;
}

/* TLVs after the padded bit fields: unknown ones are skipped, the CMAC
 * tuple must close the message. With `update` (MOB_BSHO-RSP), an
 * SA-TEK-Update TLV is read into it too. */
static tekho_err decode_tail_with(struct bitr *r, bool *has_cmac, struct tekho_cmac_tuple *cmac, size_t *cmac_offset,
                                  bool *has_update, struct tekho_sa_tek_update *update)
{
    if (r->err != TEKHO_OK)
        return r->err;
    static const uint8_t single[] = {TEKHO_TLV_CMAC_TUPLE, TEKHO_MOB_BSHO_RSP_TLV_SA_TEK_UPDATE};
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, r->p, r->len, (r->bit + 7) / 8, TEKHO_TLV_CMAC_TUPLE, single,
                        update != NULL ? sizeof single : 1);
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        if (update != NULL && t.type == TEKHO_MOB_BSHO_RSP_TLV_SA_TEK_UPDATE) {
            const tekho_err err = tekho_sa_tek_update_parse(t.value, t.len, update);
            if (err != TEKHO_OK)
                return err;
            *has_update = true;
            continue;
        }
        if (t.type != TEKHO_TLV_CMAC_TUPLE)
            continue;
        const tekho_err err = tekho_mgmt_read_cmac_tuple(&t, cmac);
        if (err != TEKHO_OK)
            return err;
        *has_cmac = true;
        *cmac_offset = t.offset;
    }
    return wk.err;
}

static tekho_err decode_tail(struct bitr *r, bool *has_cmac, struct tekho_cmac_tuple *cmac, size_t *cmac_offset)
{
    return decode_tail_with(r, has_cmac, cmac, cmac_offset, NULL, NULL);
}

static bool decode_args_ok(const uint8_t *in, size_t len, const void *out)
{
    return out != NULL && (in != NULL || len == 0);
}

/* ---- MOB_MSHO-REQ ------------------------------------------------------------ */

static void put_nbr_report(struct bitw *b, uint8_t metric, const struct tekho_mob_nbr_report *r)
{
    put_bits(b, r->preamble_index, 8);
    if (metric & TEKHO_MOB_METRIC_CINR)
        put_bits(b, r->cinr, 8);
    if (metric & TEKHO_MOB_METRIC_RSSI)
        put_bits(b, r->rssi, 8);
    if (metric & TEKHO_MOB_METRIC_REL_DELAY)
        put_bits(b, r->rel_delay, 8);
    put_bits(b, r->service_level_prediction, 3);
    put_flag(b, r->has_atd);
    if (r->has_atd)
        put_bits(b, r->atd, 4);
}

static void get_nbr_report(struct bitr *r, uint8_t metric, struct tekho_mob_nbr_report *rep)
{
    rep->preamble_index = get_u8(r);
    if (metric & TEKHO_MOB_METRIC_CINR)
        rep->cinr = get_u8(r);
    if (metric & TEKHO_MOB_METRIC_RSSI)
        rep->rssi = get_u8(r);
    if (metric & TEKHO_MOB_METRIC_REL_DELAY)
        rep->rel_delay = get_u8(r);
    rep->service_level_prediction = (uint8_t)get_bits(r, 3);
    rep->has_atd = get_flag(r);
    if (rep->has_atd)
        rep->atd = (uint8_t)get_bits(r, 4);
}

tekho_err tekho_mob_msho_req_encode(const struct tekho_mob_msho_req *m, uint8_t *out, size_t cap, size_t *out_len)
{
    tekho_err err = encode_check(m, out, cap, out_len, m != NULL && m->has_cmac, m != NULL ? &m->cmac : NULL);
    if (err != TEKHO_OK)
        return err;
    if (m->n_new_bs_index > TEKHO_MOB_MAX_BS || m->n_new_bs_full > TEKHO_MOB_MAX_BS ||
        m->n_current_bs > TEKHO_MOB_MAX_CURRENT_BS || (m->report_metric & ~TEKHO_MOB_METRIC_MASK) != 0)
        return TEKHO_ERR_BAD_VALUE;
    struct tekho_wbuf w;
    tekho_wbuf_init(&w, out, cap);
    struct bitw b = {&w, 0, 0, false};
    const uint8_t metric = m->report_metric;

    put_bits(&b, TEKHO_MGMT_MOB_MSHO_REQ, 8);
    put_bits(&b, metric, 8);
    put_bits(&b, (uint32_t)m->n_new_bs_index, 8);
    if (m->n_new_bs_index != 0)
        put_bits(&b, m->config_change_count, 8);
    for (size_t i = 0; i < m->n_new_bs_index; i++) {
        put_bits(&b, m->new_bs_index[i].nbr_index, 8);
        put_nbr_report(&b, metric, &m->new_bs_index[i].report);
    }
    put_bits(&b, (uint32_t)m->n_new_bs_full, 8);
    for (size_t i = 0; i < m->n_new_bs_full; i++) {
        put_octets(&b, m->new_bs_full[i].bsid, 6);
        put_nbr_report(&b, metric, &m->new_bs_full[i].report);
    }
    put_bits(&b, (uint32_t)m->n_current_bs, 3);
    put_bits(&b, 0, 1);
    for (size_t i = 0; i < m->n_current_bs; i++) {
        const struct tekho_mob_msho_current_bs *c = &m->current_bs[i];
        put_bits(&b, c->temp_bsid, 4);
        if (metric & TEKHO_MOB_METRIC_CINR)
            put_bits(&b, c->cinr, 8);
        if (metric & TEKHO_MOB_METRIC_RSSI)
            put_bits(&b, c->rssi, 8);
        if (metric & TEKHO_MOB_METRIC_REL_DELAY)
            put_bits(&b, c->rel_delay, 8);
        if (metric & TEKHO_MOB_METRIC_RTD)
            put_bits(&b, c->rtd, 8);
    }
    return encode_finish(&b, m->has_cmac, &m->cmac, out_len);
}

tekho_err tekho_mob_msho_req_decode(const uint8_t *in, size_t len, struct tekho_mob_msho_req *out)
{
    if (!decode_args_ok(in, len, out))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_mob_msho_req m;
    memset(&m, 0, sizeof m);
    struct bitr r;
    bitr_init(&r, in, len, TEKHO_MGMT_MOB_MSHO_REQ);

    m.report_metric = get_u8(&r) & TEKHO_MOB_METRIC_MASK;
    const uint8_t metric = m.report_metric;
    m.n_new_bs_index = get_count(&r, 8, TEKHO_MOB_MAX_BS);
    if (m.n_new_bs_index != 0)
        m.config_change_count = get_u8(&r);
    for (size_t i = 0; i < m.n_new_bs_index; i++) {
        m.new_bs_index[i].nbr_index = get_u8(&r);
        get_nbr_report(&r, metric, &m.new_bs_index[i].report);
    }
    m.n_new_bs_full = get_count(&r, 8, TEKHO_MOB_MAX_BS);
    for (size_t i = 0; i < m.n_new_bs_full; i++) {
        get_octets(&r, m.new_bs_full[i].bsid, 6);
        get_nbr_report(&r, metric, &m.new_bs_full[i].report);
    }
    m.n_current_bs = get_count(&r, 3, TEKHO_MOB_MAX_CURRENT_BS);
    (void)get_bits(&r, 1);
    for (size_t i = 0; i < m.n_current_bs; i++) {
        struct tekho_mob_msho_current_bs *c = &m.current_bs[i];
        c->temp_bsid = (uint8_t)get_bits(&r, 4);
        if (metric & TEKHO_MOB_METRIC_CINR)
            c->cinr = get_u8(&r);
        if (metric & TEKHO_MOB_METRIC_RSSI)
            c->rssi = get_u8(&r);
        if (metric & TEKHO_MOB_METRIC_REL_DELAY)
            c->rel_delay = get_u8(&r);
        if (metric & TEKHO_MOB_METRIC_RTD)
            c->rtd = get_u8(&r);
    }
    const tekho_err err = decode_tail(&r, &m.has_cmac, &m.cmac, &m.cmac_offset);
    if (err != TEKHO_OK)
        return err;
    *out = m;
    return TEKHO_OK;
}

/* ---- MOB_BSHO-RSP ------------------------------------------------------------ */

tekho_err tekho_mob_bsho_rsp_encode(const struct tekho_mob_bsho_rsp *m, uint8_t *out, size_t cap, size_t *out_len)
{
    tekho_err err = encode_check(m, out, cap, out_len, m != NULL && m->has_cmac, m != NULL ? &m->cmac : NULL);
    if (err != TEKHO_OK)
        return err;
    if (m->mode != TEKHO_MOB_BSHO_MODE_HO || m->n_recommended > TEKHO_MOB_MAX_BS)
        return TEKHO_ERR_BAD_VALUE;
    struct tekho_wbuf w;
    tekho_wbuf_init(&w, out, cap);
    struct bitw b = {&w, 0, 0, false};

    put_bits(&b, TEKHO_MGMT_MOB_BSHO_RSP, 8);
    put_bits(&b, m->mode, 3);
    put_bits(&b, 0, 5);
    put_flag(&b, m->ho_operation_mandatory);
    put_bits(&b, (uint32_t)m->n_recommended, 8);
    put_flag(&b, m->resource_retain);
    put_bits(&b, 0, TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS);
    for (size_t i = 0; i < m->n_recommended; i++) {
        const struct tekho_mob_bsho_rsp_bs *e = &m->recommended[i];
        put_octets(&b, e->bsid, 6);
        put_bits(&b, e->preamble_index, 8);
        put_bits(&b, e->service_level_prediction, 8);
        put_bits(&b, e->ho_process_optimization, 8);
        put_flag(&b, e->network_assisted_ho);
        put_flag(&b, e->has_ho_id);
        if (e->has_ho_id)
            put_bits(&b, e->ho_id, 8);
        put_flag(&b, e->has_ho_auth_policy);
        put_bits(&b, 0, TEKHO_MOB_BSHO_RSP_POLICY_RSV_BITS);
        if (e->has_ho_auth_policy)
            put_bits(&b, e->ho_auth_policy, 8);
    }
    put_bits(&b, m->action_time, 8);
    if (m->has_sa_tek_update) {
        if (b.nacc != 0)
            put_bits(&b, 0, 8 - b.nacc);
        tekho_sa_tek_update_put(&w, TEKHO_MOB_BSHO_RSP_TLV_SA_TEK_UPDATE, &m->sa_tek_update);
    }
    return encode_finish(&b, m->has_cmac, &m->cmac, out_len);
}

tekho_err tekho_mob_bsho_rsp_decode(const uint8_t *in, size_t len, struct tekho_mob_bsho_rsp *out)
{
    if (!decode_args_ok(in, len, out))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_mob_bsho_rsp m;
    memset(&m, 0, sizeof m);
    struct bitr r;
    bitr_init(&r, in, len, TEKHO_MGMT_MOB_BSHO_RSP);

    m.mode = (uint8_t)get_bits(&r, 3);
    if (m.mode != TEKHO_MOB_BSHO_MODE_HO)
        bitr_fail(&r, TEKHO_ERR_BAD_VALUE);
    (void)get_bits(&r, 5);
    m.ho_operation_mandatory = get_flag(&r);
    m.n_recommended = get_count(&r, 8, TEKHO_MOB_MAX_BS);
    m.resource_retain = get_flag(&r);
    (void)get_bits(&r, TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS);
    for (size_t i = 0; i < m.n_recommended; i++) {
        struct tekho_mob_bsho_rsp_bs *e = &m.recommended[i];
        get_octets(&r, e->bsid, 6);
        e->preamble_index = get_u8(&r);
        e->service_level_prediction = get_u8(&r);
        e->ho_process_optimization = get_u8(&r);
        e->network_assisted_ho = get_flag(&r);
        e->has_ho_id = get_flag(&r);
        if (e->has_ho_id)
            e->ho_id = get_u8(&r);
        e->has_ho_auth_policy = get_flag(&r);
        (void)get_bits(&r, TEKHO_MOB_BSHO_RSP_POLICY_RSV_BITS);
        if (e->has_ho_auth_policy)
            e->ho_auth_policy = get_u8(&r);
    }
    m.action_time = get_u8(&r);
    const tekho_err err =
        decode_tail_with(&r, &m.has_cmac, &m.cmac, &m.cmac_offset, &m.has_sa_tek_update, &m.sa_tek_update);
    if (err != TEKHO_OK)
        return err;
    *out = m;
    return TEKHO_OK;
}

/* ---- MOB_HO-IND -------------------------------------------------------------- */

static bool ho_ind_has_target(uint8_t ho_ind_type)
{
    return ho_ind_type == TEKHO_MOB_HO_IND_RELEASE || ho_ind_type == TEKHO_MOB_HO_IND_REJECT;
}

tekho_err tekho_mob_ho_ind_encode(const struct tekho_mob_ho_ind *m, uint8_t *out, size_t cap, size_t *out_len)
{
    tekho_err err = encode_check(m, out, cap, out_len, m != NULL && m->has_cmac, m != NULL ? &m->cmac : NULL);
    if (err != TEKHO_OK)
        return err;
    if (m->mode != TEKHO_MOB_HO_IND_MODE_HO || m->ho_ind_type > TEKHO_MOB_HO_IND_REJECT)
        return TEKHO_ERR_BAD_VALUE;
    struct tekho_wbuf w;
    tekho_wbuf_init(&w, out, cap);
    struct bitw b = {&w, 0, 0, false};

    put_bits(&b, TEKHO_MGMT_MOB_HO_IND, 8);
    put_bits(&b, 0, 6);
    put_bits(&b, m->mode, 2);
    put_bits(&b, m->ho_ind_type, 2);
    put_bits(&b, m->ranging_params_valid, 2);
    put_bits(&b, 0, 4);
    if (!TEKHO_MOB_HO_IND_PREAMBLE_LAST)
        put_bits(&b, m->preamble_index, 8);
    if (ho_ind_has_target(m->ho_ind_type))
        put_octets(&b, m->target_bsid, 6);
    if (TEKHO_MOB_HO_IND_PREAMBLE_LAST)
        put_bits(&b, m->preamble_index, 8);
    return encode_finish(&b, m->has_cmac, &m->cmac, out_len);
}

tekho_err tekho_mob_ho_ind_decode(const uint8_t *in, size_t len, struct tekho_mob_ho_ind *out)
{
    if (!decode_args_ok(in, len, out))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_mob_ho_ind m;
    memset(&m, 0, sizeof m);
    struct bitr r;
    bitr_init(&r, in, len, TEKHO_MGMT_MOB_HO_IND);

    (void)get_bits(&r, 6);
    m.mode = (uint8_t)get_bits(&r, 2);
    if (m.mode != TEKHO_MOB_HO_IND_MODE_HO)
        bitr_fail(&r, TEKHO_ERR_BAD_VALUE);
    m.ho_ind_type = (uint8_t)get_bits(&r, 2);
    if (m.ho_ind_type > TEKHO_MOB_HO_IND_REJECT)
        bitr_fail(&r, TEKHO_ERR_BAD_VALUE);
    m.ranging_params_valid = (uint8_t)get_bits(&r, 2);
    (void)get_bits(&r, 4);
    if (!TEKHO_MOB_HO_IND_PREAMBLE_LAST)
        m.preamble_index = get_u8(&r);
    if (ho_ind_has_target(m.ho_ind_type))
        get_octets(&r, m.target_bsid, 6);
    if (TEKHO_MOB_HO_IND_PREAMBLE_LAST)
        m.preamble_index = get_u8(&r);
    const tekho_err err = decode_tail(&r, &m.has_cmac, &m.cmac, &m.cmac_offset);
    if (err != TEKHO_OK)
        return err;
    *out = m;
    return TEKHO_OK;
}
