/* MOB_MSHO-REQ, MOB_BSHO-RSP, MOB_HO-IND (profile section 11, mob.h):
 * hand-derived encodings, random round trips, every error path, no write
 * to *out on failure and no read past any truncation (run under ASan). */
#include <stdlib.h>
#include <string.h>

#include "tekho/mgmt.h"
#include "test_util.h"

#define ROUNDS 3000

static long n_checks;

#define T(cond)              \
    do {                     \
        n_checks++;          \
        CHECK(cond);         \
    } while (0)
#define TE(expr, want)           \
    do {                         \
        n_checks++;              \
        CHECK_ERR(expr, want);   \
    } while (0)

/* ---- deterministic randomness -------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint8_t rnd_u8(uint64_t *s)
{
    return (uint8_t)rnd(s);
}

static unsigned rnd_below(uint64_t *s, unsigned n)
{
    return (unsigned)(rnd(s) % n);
}

static bool rnd_bool(uint64_t *s)
{
    return (rnd(s) & 1) != 0;
}

static void rnd_bytes(uint64_t *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = rnd_u8(s);
}

static void rnd_cmac(uint64_t *s, bool *has, struct tekho_cmac_tuple *t)
{
    *has = rnd_bool(s);
    if (!*has)
        return;
    t->key_seq = (uint8_t)rnd_below(s, 16);
    t->has_bsid = rnd_bool(s);
    if (t->has_bsid)
        rnd_bytes(s, t->bsid, 6);
    t->cmac_pn = (uint32_t)rnd(s);
    rnd_bytes(s, t->value, 8);
}

/* ---- field-wise equality (padding bytes are not compared) ----------------- */

static bool cmac_eq(bool ha, const struct tekho_cmac_tuple *a, bool hb, const struct tekho_cmac_tuple *b)
{
    if (ha != hb)
        return false;
    if (!ha)
        return true;
    return a->key_seq == b->key_seq && a->has_bsid == b->has_bsid &&
           (!a->has_bsid || memcmp(a->bsid, b->bsid, 6) == 0) && a->cmac_pn == b->cmac_pn &&
           memcmp(a->value, b->value, 8) == 0;
}

static bool report_eq(const struct tekho_mob_nbr_report *a, const struct tekho_mob_nbr_report *b)
{
    return a->preamble_index == b->preamble_index && a->cinr == b->cinr && a->rssi == b->rssi &&
           a->rel_delay == b->rel_delay && a->service_level_prediction == b->service_level_prediction &&
           a->has_atd == b->has_atd && a->atd == b->atd;
}

static bool msho_eq(const struct tekho_mob_msho_req *a, const struct tekho_mob_msho_req *b)
{
    if (a->report_metric != b->report_metric || a->config_change_count != b->config_change_count ||
        a->n_new_bs_index != b->n_new_bs_index || a->n_new_bs_full != b->n_new_bs_full ||
        a->n_current_bs != b->n_current_bs)
        return false;
    for (size_t i = 0; i < a->n_new_bs_index; i++)
        if (a->new_bs_index[i].nbr_index != b->new_bs_index[i].nbr_index ||
            !report_eq(&a->new_bs_index[i].report, &b->new_bs_index[i].report))
            return false;
    for (size_t i = 0; i < a->n_new_bs_full; i++)
        if (memcmp(a->new_bs_full[i].bsid, b->new_bs_full[i].bsid, 6) != 0 ||
            !report_eq(&a->new_bs_full[i].report, &b->new_bs_full[i].report))
            return false;
    for (size_t i = 0; i < a->n_current_bs; i++) {
        const struct tekho_mob_msho_current_bs *x = &a->current_bs[i], *y = &b->current_bs[i];
        if (x->temp_bsid != y->temp_bsid || x->cinr != y->cinr || x->rssi != y->rssi ||
            x->rel_delay != y->rel_delay || x->rtd != y->rtd)
            return false;
    }
    return cmac_eq(a->has_cmac, &a->cmac, b->has_cmac, &b->cmac);
}

static bool bsho_eq(const struct tekho_mob_bsho_rsp *a, const struct tekho_mob_bsho_rsp *b)
{
    if (a->mode != b->mode || a->ho_operation_mandatory != b->ho_operation_mandatory ||
        a->resource_retain != b->resource_retain || a->n_recommended != b->n_recommended ||
        a->action_time != b->action_time)
        return false;
    for (size_t i = 0; i < a->n_recommended; i++) {
        const struct tekho_mob_bsho_rsp_bs *x = &a->recommended[i], *y = &b->recommended[i];
        if (memcmp(x->bsid, y->bsid, 6) != 0 || x->preamble_index != y->preamble_index ||
            x->service_level_prediction != y->service_level_prediction ||
            x->ho_process_optimization != y->ho_process_optimization ||
            x->network_assisted_ho != y->network_assisted_ho || x->has_ho_id != y->has_ho_id ||
            x->ho_id != y->ho_id || x->has_ho_auth_policy != y->has_ho_auth_policy ||
            x->ho_auth_policy != y->ho_auth_policy)
            return false;
    }
    if (a->has_sa_tek_update != b->has_sa_tek_update ||
        (a->has_sa_tek_update && memcmp(&a->sa_tek_update, &b->sa_tek_update, sizeof a->sa_tek_update) != 0))
        return false;
    return cmac_eq(a->has_cmac, &a->cmac, b->has_cmac, &b->cmac);
}

static bool ho_ind_eq(const struct tekho_mob_ho_ind *a, const struct tekho_mob_ho_ind *b)
{
    return a->mode == b->mode && a->ho_ind_type == b->ho_ind_type &&
           a->ranging_params_valid == b->ranging_params_valid && memcmp(a->target_bsid, b->target_bsid, 6) == 0 &&
           a->preamble_index == b->preamble_index && cmac_eq(a->has_cmac, &a->cmac, b->has_cmac, &b->cmac);
}

/* ---- one codec behind a common face, so the generic checks run on all ---- */

union any_msg {
    struct tekho_mob_msho_req msho;
    struct tekho_mob_bsho_rsp bsho;
    struct tekho_mob_ho_ind ind;
};

struct codec {
    const char *name;
    uint8_t type;
    tekho_err (*encode)(const union any_msg *m, uint8_t *out, size_t cap, size_t *out_len);
    tekho_err (*decode)(const uint8_t *in, size_t len, union any_msg *out);
    bool (*eq)(const union any_msg *a, const union any_msg *b);
    bool (*has_cmac)(const union any_msg *m);
    size_t (*cmac_offset)(const union any_msg *m);
};

static tekho_err enc_msho(const union any_msg *m, uint8_t *o, size_t c, size_t *l)
{
    return tekho_mob_msho_req_encode(&m->msho, o, c, l);
}
static tekho_err dec_msho(const uint8_t *i, size_t l, union any_msg *o)
{
    return tekho_mob_msho_req_decode(i, l, &o->msho);
}
static bool eq_msho(const union any_msg *a, const union any_msg *b)
{
    return msho_eq(&a->msho, &b->msho);
}
static bool cm_msho(const union any_msg *m)
{
    return m->msho.has_cmac;
}
static size_t off_msho(const union any_msg *m)
{
    return m->msho.cmac_offset;
}
static tekho_err enc_bsho(const union any_msg *m, uint8_t *o, size_t c, size_t *l)
{
    return tekho_mob_bsho_rsp_encode(&m->bsho, o, c, l);
}
static tekho_err dec_bsho(const uint8_t *i, size_t l, union any_msg *o)
{
    return tekho_mob_bsho_rsp_decode(i, l, &o->bsho);
}
static bool eq_bsho(const union any_msg *a, const union any_msg *b)
{
    return bsho_eq(&a->bsho, &b->bsho);
}
static bool cm_bsho(const union any_msg *m)
{
    return m->bsho.has_cmac;
}
static size_t off_bsho(const union any_msg *m)
{
    return m->bsho.cmac_offset;
}
static tekho_err enc_ind(const union any_msg *m, uint8_t *o, size_t c, size_t *l)
{
    return tekho_mob_ho_ind_encode(&m->ind, o, c, l);
}
static tekho_err dec_ind(const uint8_t *i, size_t l, union any_msg *o)
{
    return tekho_mob_ho_ind_decode(i, l, &o->ind);
}
static bool eq_ind(const union any_msg *a, const union any_msg *b)
{
    return ho_ind_eq(&a->ind, &b->ind);
}
static bool cm_ind(const union any_msg *m)
{
    return m->ind.has_cmac;
}
static size_t off_ind(const union any_msg *m)
{
    return m->ind.cmac_offset;
}

static const struct codec codecs[3] = {
    {"MOB_MSHO-REQ", TEKHO_MGMT_MOB_MSHO_REQ, enc_msho, dec_msho, eq_msho, cm_msho, off_msho},
    {"MOB_BSHO-RSP", TEKHO_MGMT_MOB_BSHO_RSP, enc_bsho, dec_bsho, eq_bsho, cm_bsho, off_bsho},
    {"MOB_HO-IND", TEKHO_MGMT_MOB_HO_IND, enc_ind, dec_ind, eq_ind, cm_ind, off_ind},
};

/* Decodes from a heap copy of exactly len bytes, so ASan sees any over-read,
 * and checks *out is untouched when the decoder fails. */
static tekho_err decode_exact(const struct codec *c, const uint8_t *in, size_t len, union any_msg *out)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    if (len)
        memcpy(copy, in, len);
    union any_msg before;
    memset(out, 0xA5, sizeof *out);
    memcpy(&before, out, sizeof before);
    const tekho_err err = c->decode(copy, len, out);
    if (err != TEKHO_OK)
        T(memcmp(&before, out, sizeof before) == 0);
    free(copy);
    return err;
}

/* Expects in[0..len) to fail with want, leaving *out alone. */
static void expect_decode_err(const struct codec *c, const uint8_t *in, size_t len, tekho_err want)
{
    union any_msg out;
    TE(decode_exact(c, in, len, &out), want);
}

/* Every strict prefix: short of the bit fields it is TRUNCATED; cut inside
 * the CMAC TLV it is TRUNCATED or TLV_OVERRUN; cut right before the CMAC TLV
 * it is a well-formed message without one (no length field can tell). */
static void check_truncations(const struct codec *c, const uint8_t *enc, size_t len, bool has_cmac,
                              size_t cmac_offset)
{
    const size_t body = has_cmac ? cmac_offset : len;
    for (size_t n = 0; n < len; n++) {
        union any_msg out;
        const tekho_err err = decode_exact(c, enc, n, &out);
        if (n < body) {
            TE(err, TEKHO_ERR_TRUNCATED);
        } else if (n == body) {
            TE(err, TEKHO_OK);
            T(!c->has_cmac(&out));
        } else {
            T(err == TEKHO_ERR_TRUNCATED || err == TEKHO_ERR_TLV_OVERRUN);
        }
    }
}

/* Every smaller buffer: BUFFER_TOO_SMALL, no write past cap, *out_len kept. */
static void check_small_buffers(const struct codec *c, const union any_msg *m, size_t len)
{
    for (size_t cap = 0; cap < len; cap++) {
        uint8_t *buf = malloc(cap ? cap : 1);
        if (buf == NULL)
            exit(2);
        size_t out_len = 12345;
        TE(c->encode(m, cap ? buf : NULL, cap, &out_len), TEKHO_ERR_BUFFER_TOO_SMALL);
        T(out_len == 12345);
        free(buf);
    }
}

/* Encode -> decode -> encode, plus the truncation and buffer sweeps. */
static void round_trip(const struct codec *c, const union any_msg *m, const union any_msg *wire_fields)
{
    uint8_t a[512], b[512];
    size_t la = 0, lb = 0;
    memset(a, 0xFF, sizeof a);
    TE(c->encode(m, a, sizeof a, &la), TEKHO_OK);
    union any_msg d;
    TE(decode_exact(c, a, la, &d), TEKHO_OK);
    T(c->eq(&d, wire_fields));
    TE(c->encode(&d, b, sizeof b, &lb), TEKHO_OK);
    T(la == lb && memcmp(a, b, la) == 0);
    if (c->has_cmac(&d))
        T(a[c->cmac_offset(&d)] == TEKHO_TLV_CMAC_TUPLE && c->cmac_offset(&d) + 15 <= la);
    check_truncations(c, a, la, c->has_cmac(&d), c->cmac_offset(&d));
    check_small_buffers(c, m, la);
}

/* ---- random valid messages --------------------------------------------------
 * gen_* fill only what goes on the wire (so a decode must give it back);
 * noise_* then scribble on what the encoder must ignore. */

static void gen_report(uint64_t *s, struct tekho_mob_nbr_report *r, uint8_t metric)
{
    r->preamble_index = rnd_u8(s);
    if (metric & TEKHO_MOB_METRIC_CINR)
        r->cinr = rnd_u8(s);
    if (metric & TEKHO_MOB_METRIC_RSSI)
        r->rssi = rnd_u8(s);
    if (metric & TEKHO_MOB_METRIC_REL_DELAY)
        r->rel_delay = rnd_u8(s);
    r->service_level_prediction = (uint8_t)rnd_below(s, 8);
    r->has_atd = rnd_bool(s);
    if (r->has_atd)
        r->atd = (uint8_t)rnd_below(s, 16);
}

static void noise_report(uint64_t *s, struct tekho_mob_nbr_report *r, uint8_t metric)
{
    if (!(metric & TEKHO_MOB_METRIC_CINR))
        r->cinr = rnd_u8(s);
    if (!(metric & TEKHO_MOB_METRIC_RSSI))
        r->rssi = rnd_u8(s);
    if (!(metric & TEKHO_MOB_METRIC_REL_DELAY))
        r->rel_delay = rnd_u8(s);
    if (!r->has_atd)
        r->atd = rnd_u8(s);
}

static void gen_msho(uint64_t *s, struct tekho_mob_msho_req *m)
{
    memset(m, 0, sizeof *m);
    m->report_metric = (uint8_t)rnd_below(s, 16);
    m->n_new_bs_index = rnd_below(s, TEKHO_MOB_MAX_BS + 1);
    if (m->n_new_bs_index)
        m->config_change_count = rnd_u8(s);
    for (size_t i = 0; i < m->n_new_bs_index; i++) {
        m->new_bs_index[i].nbr_index = rnd_u8(s);
        gen_report(s, &m->new_bs_index[i].report, m->report_metric);
    }
    m->n_new_bs_full = rnd_below(s, TEKHO_MOB_MAX_BS + 1);
    for (size_t i = 0; i < m->n_new_bs_full; i++) {
        rnd_bytes(s, m->new_bs_full[i].bsid, 6);
        gen_report(s, &m->new_bs_full[i].report, m->report_metric);
    }
    m->n_current_bs = rnd_below(s, TEKHO_MOB_MAX_CURRENT_BS + 1);
    for (size_t i = 0; i < m->n_current_bs; i++) {
        struct tekho_mob_msho_current_bs *c = &m->current_bs[i];
        c->temp_bsid = (uint8_t)rnd_below(s, 16);
        if (m->report_metric & TEKHO_MOB_METRIC_CINR)
            c->cinr = rnd_u8(s);
        if (m->report_metric & TEKHO_MOB_METRIC_RSSI)
            c->rssi = rnd_u8(s);
        if (m->report_metric & TEKHO_MOB_METRIC_REL_DELAY)
            c->rel_delay = rnd_u8(s);
        if (m->report_metric & TEKHO_MOB_METRIC_RTD)
            c->rtd = rnd_u8(s);
    }
    rnd_cmac(s, &m->has_cmac, &m->cmac);
}

static void noise_msho(uint64_t *s, struct tekho_mob_msho_req *m)
{
    const uint8_t metric = m->report_metric;
    if (m->n_new_bs_index == 0)
        m->config_change_count = rnd_u8(s);
    for (size_t i = 0; i < m->n_new_bs_index; i++)
        noise_report(s, &m->new_bs_index[i].report, metric);
    for (size_t i = 0; i < m->n_new_bs_full; i++)
        noise_report(s, &m->new_bs_full[i].report, metric);
    for (size_t i = 0; i < m->n_current_bs; i++) {
        struct tekho_mob_msho_current_bs *c = &m->current_bs[i];
        if (!(metric & TEKHO_MOB_METRIC_CINR))
            c->cinr = rnd_u8(s);
        if (!(metric & TEKHO_MOB_METRIC_RSSI))
            c->rssi = rnd_u8(s);
        if (!(metric & TEKHO_MOB_METRIC_REL_DELAY))
            c->rel_delay = rnd_u8(s);
        if (!(metric & TEKHO_MOB_METRIC_RTD))
            c->rtd = rnd_u8(s);
    }
    m->cmac_offset = rnd(s);
}

static void gen_bsho(uint64_t *s, struct tekho_mob_bsho_rsp *m)
{
    memset(m, 0, sizeof *m);
    m->mode = TEKHO_MOB_BSHO_MODE_HO;
    m->ho_operation_mandatory = rnd_bool(s);
    m->resource_retain = rnd_bool(s);
    m->n_recommended = rnd_below(s, TEKHO_MOB_MAX_BS + 1);
    for (size_t i = 0; i < m->n_recommended; i++) {
        struct tekho_mob_bsho_rsp_bs *e = &m->recommended[i];
        rnd_bytes(s, e->bsid, 6);
        e->preamble_index = rnd_u8(s);
        e->service_level_prediction = rnd_u8(s);
        e->ho_process_optimization =
            TEKHO_MOB_HO_OPT_WITH_TEK_MODE(rnd_u8(s), (enum tekho_ho_tek_mode)rnd_below(s, 4));
        e->network_assisted_ho = rnd_bool(s);
        e->has_ho_id = rnd_bool(s);
        if (e->has_ho_id)
            e->ho_id = rnd_u8(s);
        e->has_ho_auth_policy = rnd_bool(s);
        if (e->has_ho_auth_policy)
            e->ho_auth_policy = rnd_u8(s);
    }
    m->action_time = rnd_u8(s);
    rnd_cmac(s, &m->has_cmac, &m->cmac);
}

static void noise_bsho(uint64_t *s, struct tekho_mob_bsho_rsp *m)
{
    for (size_t i = 0; i < m->n_recommended; i++) {
        if (!m->recommended[i].has_ho_id)
            m->recommended[i].ho_id = rnd_u8(s);
        if (!m->recommended[i].has_ho_auth_policy)
            m->recommended[i].ho_auth_policy = rnd_u8(s);
    }
    m->cmac_offset = rnd(s);
}

static void gen_ind(uint64_t *s, struct tekho_mob_ho_ind *m)
{
    memset(m, 0, sizeof *m);
    m->mode = TEKHO_MOB_HO_IND_MODE_HO;
    m->ho_ind_type = (uint8_t)rnd_below(s, 3);
    m->ranging_params_valid = (uint8_t)rnd_below(s, 4);
    if (m->ho_ind_type != TEKHO_MOB_HO_IND_CANCEL)
        rnd_bytes(s, m->target_bsid, 6);
    m->preamble_index = rnd_u8(s);
    rnd_cmac(s, &m->has_cmac, &m->cmac);
}

static void noise_ind(uint64_t *s, struct tekho_mob_ho_ind *m)
{
    if (m->ho_ind_type == TEKHO_MOB_HO_IND_CANCEL)
        rnd_bytes(s, m->target_bsid, 6);
    m->cmac_offset = rnd(s);
}

static void test_random(void)
{
    uint64_t seed = 0x9E3779B97F4A7C15u;
    size_t with_cmac[3] = {0}, max_len[3] = {0};
    for (int round = 0; round < ROUNDS; round++) {
        for (int k = 0; k < 3; k++) {
            union any_msg m, noisy;
            if (k == 0)
                gen_msho(&seed, &m.msho);
            else if (k == 1)
                gen_bsho(&seed, &m.bsho);
            else
                gen_ind(&seed, &m.ind);
            memcpy(&noisy, &m, sizeof m);
            if (k == 0)
                noise_msho(&seed, &noisy.msho);
            else if (k == 1)
                noise_bsho(&seed, &noisy.bsho);
            else
                noise_ind(&seed, &noisy.ind);
            round_trip(&codecs[k], &noisy, &m);

            uint8_t a[512], b[512];
            size_t la = 0, lb = 0;
            TE(codecs[k].encode(&m, a, sizeof a, &la), TEKHO_OK);
            TE(codecs[k].encode(&noisy, b, sizeof b, &lb), TEKHO_OK);
            T(la == lb && memcmp(a, b, la) == 0);
            with_cmac[k] += codecs[k].has_cmac(&m);
            if (la > max_len[k])
                max_len[k] = la;
        }
    }
    for (int k = 0; k < 3; k++)
        printf("  %s: %d random round trips (%zu with CMAC), longest %zu bytes\n", codecs[k].name, ROUNDS,
               with_cmac[k], max_len[k]);
}

/* ---- hand-derived encodings --------------------------------------------------- */

/* CMAC tuple of the examples: key seq 3, CMAC_PN 7, value 01..08, no BSID
 * -> TLV 8d 0d | 03 | 00000007 | 0102030405060708. */
static const struct tekho_cmac_tuple example_cmac = {
    .key_seq = 3, .cmac_pn = 7, .value = {1, 2, 3, 4, 5, 6, 7, 8}};

static void expect_encoding(const struct codec *c, const union any_msg *m, const uint8_t *want, size_t want_len)
{
    uint8_t buf[256];
    size_t len = 0;
    memset(buf, 0xFF, sizeof buf);  /* reserved and padding bits must come out 0 anyway */
    TE(c->encode(m, buf, sizeof buf, &len), TEKHO_OK);
    T(len == want_len);
    if (len == want_len)
        CHECK_BYTES(buf, want, len);
    union any_msg d;
    TE(decode_exact(c, want, want_len, &d), TEKHO_OK);
    T(c->eq(&d, m));
}

/* MOB_MSHO-REQ, report metric CINR | RTD:
 *   39                     type 57
 *   09                     report metric 0000 1001
 *   01                     N_New_BS_Index 1
 *   05                     configuration change count
 *   03 21 40               nbr index 3, preamble 0x21, CINR 0x40
 *   ba                     SLP 101 | ATD ind 1 | ATD 1010
 *   01                     N_New_BS_Full 1
 *   00 11 22 33 44 55      BSID
 *   22 41                  preamble 0x22, CINR 0x41
 *   42                     SLP 010 | ATD ind 0 | N_Current_BSs 001 | rsv 0
 *   15 06 c0               temp BSID 0001 | CINR 0101 0000 | RTD 0110 1100 | pad 0000
 *                          = 0001 0101 | 0000 0110 | 1100 0000
 *   8d 0d 03 00000007 0102030405060708   CMAC tuple at offset 21 */
static const uint8_t msho_bytes[] = {0x39, 0x09, 0x01, 0x05, 0x03, 0x21, 0x40, 0xba, 0x01, 0x00, 0x11, 0x22,
                                     0x33, 0x44, 0x55, 0x22, 0x41, 0x42, 0x15, 0x06, 0xc0, 0x8d, 0x0d, 0x03,
                                     0x00, 0x00, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

static void example_msho(struct tekho_mob_msho_req *m)
{
    memset(m, 0, sizeof *m);
    m->report_metric = TEKHO_MOB_METRIC_CINR | TEKHO_MOB_METRIC_RTD;
    m->n_new_bs_index = 1;
    m->config_change_count = 5;
    m->new_bs_index[0].nbr_index = 3;
    m->new_bs_index[0].report =
        (struct tekho_mob_nbr_report){.preamble_index = 0x21, .cinr = 0x40, .service_level_prediction = 5,
                                      .has_atd = true, .atd = 0xA};
    m->n_new_bs_full = 1;
    memcpy(m->new_bs_full[0].bsid, "\x00\x11\x22\x33\x44\x55", 6);
    m->new_bs_full[0].report =
        (struct tekho_mob_nbr_report){.preamble_index = 0x22, .cinr = 0x41, .service_level_prediction = 2};
    m->n_current_bs = 1;
    m->current_bs[0] = (struct tekho_mob_msho_current_bs){.temp_bsid = 1, .cinr = 0x50, .rtd = 0x6C};
    m->has_cmac = true;
    m->cmac = example_cmac;
}

/* MOB_BSHO-RSP, two recommended BSs (reserved widths 6 / 5):
 *   3a                     type 58
 *   00                     mode 000 | rsv 00000
 *   81 40                  HO op mode 1 | N_Recommended 0000 0010 | retain 1 | rsv 000000
 *   0a 0b 0c 0d 0e 0f 11 02 05
 *                          BSID, preamble 0x11, SLP 2, HO_process_optimization
 *                          0000 0101 (bit 0, TEK mode 10 = counter)
 *   dd c0                  NA-HO 1 | HO_ID ind 1 | HO_ID 0111 0111 | policy ind 0 | rsv 00000
 *   10 20 30 40 50 60 12 01 06
 *                          BSID, preamble 0x12, SLP 1, HO_process_optimization
 *                          0000 0110 (TEK mode 11 = reuse)
 *   20 3c                  NA-HO 0 | HO_ID ind 0 | policy ind 1 | rsv 00000 | policy 0011 1100
 *   0a                     action time
 * With 7 / 4 reserved bits nothing after the first reserved field is
 * octet-aligned; that variant is covered by the round trips only. */
static const uint8_t bsho_bytes[] = {0x3a, 0x00, 0x81, 0x40, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x11,
                                     0x02, 0x05, 0xdd, 0xc0, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x12,
                                     0x01, 0x06, 0x20, 0x3c, 0x0a};

static void example_bsho(struct tekho_mob_bsho_rsp *m)
{
    memset(m, 0, sizeof *m);
    m->mode = TEKHO_MOB_BSHO_MODE_HO;
    m->ho_operation_mandatory = true;
    m->resource_retain = true;
    m->n_recommended = 2;
    struct tekho_mob_bsho_rsp_bs *e = &m->recommended[0];
    memcpy(e->bsid, "\x0a\x0b\x0c\x0d\x0e\x0f", 6);
    e->preamble_index = 0x11;
    e->service_level_prediction = 2;
    e->ho_process_optimization = TEKHO_MOB_HO_OPT_WITH_TEK_MODE(0x01, TEKHO_HO_TEK_COUNTER);
    e->network_assisted_ho = true;
    e->has_ho_id = true;
    e->ho_id = 0x77;
    e = &m->recommended[1];
    memcpy(e->bsid, "\x10\x20\x30\x40\x50\x60", 6);
    e->preamble_index = 0x12;
    e->service_level_prediction = 1;
    e->ho_process_optimization = TEKHO_MOB_HO_OPT_WITH_TEK_MODE(0, TEKHO_HO_TEK_REUSE);
    e->has_ho_auth_policy = true;
    e->ho_auth_policy = 0x3c;
    m->action_time = 0x0a;
}

/* MOB_HO-IND, HO reject, CMAC tuple with BSID:
 *   3b                     type 59
 *   00                     rsv 000000 | mode 00
 *   90                     HO_IND_type 10 | ranging params valid 01 | rsv 0000
 *   00 1a 2b 3c 4d 5e      target BSID  } swapped when the preamble index
 *   33                     preamble     } goes first
 *   8d 13 0a 010203040506 01020304 f0f1f2f3f4f5f6f7   CMAC tuple at offset 10 */
static const uint8_t ind_reject_bytes[] = {
    0x3b, 0x00, 0x90,
#if TEKHO_MOB_HO_IND_PREAMBLE_LAST
    0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x33,
#else
    0x33, 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e,
#endif
    0x8d, 0x13, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x01, 0x02, 0x03, 0x04, 0xf0, 0xf1, 0xf2, 0xf3,
    0xf4, 0xf5, 0xf6, 0xf7};

/* MOB_HO-IND, HO cancel (no target BSID): 3b | 00 | 01 11 0000 = 70 | preamble 44. */
static const uint8_t ind_cancel_bytes[] = {0x3b, 0x00, 0x70, 0x44};

static void example_ind_reject(struct tekho_mob_ho_ind *m)
{
    memset(m, 0, sizeof *m);
    m->ho_ind_type = TEKHO_MOB_HO_IND_REJECT;
    m->ranging_params_valid = 1;
    memcpy(m->target_bsid, "\x00\x1a\x2b\x3c\x4d\x5e", 6);
    m->preamble_index = 0x33;
    m->has_cmac = true;
    m->cmac = (struct tekho_cmac_tuple){.key_seq = 0xA,
                                        .has_bsid = true,
                                        .bsid = {1, 2, 3, 4, 5, 6},
                                        .cmac_pn = 0x01020304,
                                        .value = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7}};
}

static void example_ind_cancel(struct tekho_mob_ho_ind *m)
{
    memset(m, 0, sizeof *m);
    m->ho_ind_type = TEKHO_MOB_HO_IND_CANCEL;
    m->ranging_params_valid = 3;
    m->preamble_index = 0x44;
}

static void test_examples(void)
{
    union any_msg m, d;
    uint8_t buf[32];
    size_t len = 0;

    example_msho(&m.msho);
    expect_encoding(&codecs[0], &m, msho_bytes, sizeof msho_bytes);
    TE(decode_exact(&codecs[0], msho_bytes, sizeof msho_bytes, &d), TEKHO_OK);
    T(d.msho.has_cmac && d.msho.cmac_offset == 21);

#if TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS == 6
    example_bsho(&m.bsho);
    expect_encoding(&codecs[1], &m, bsho_bytes, sizeof bsho_bytes);
    TE(decode_exact(&codecs[1], bsho_bytes, sizeof bsho_bytes, &d), TEKHO_OK);
    T(!d.bsho.has_cmac && d.bsho.cmac_offset == 0);
    T(TEKHO_MOB_HO_OPT_TEK_MODE(d.bsho.recommended[0].ho_process_optimization) == TEKHO_HO_TEK_COUNTER);
    T(TEKHO_MOB_HO_OPT_TEK_MODE(d.bsho.recommended[1].ho_process_optimization) == TEKHO_HO_TEK_REUSE);
#endif

    example_ind_reject(&m.ind);
    expect_encoding(&codecs[2], &m, ind_reject_bytes, sizeof ind_reject_bytes);
    TE(decode_exact(&codecs[2], ind_reject_bytes, sizeof ind_reject_bytes, &d), TEKHO_OK);
    T(d.ind.has_cmac && d.ind.cmac_offset == 10);
    example_ind_cancel(&m.ind);
    expect_encoding(&codecs[2], &m, ind_cancel_bytes, sizeof ind_cancel_bytes);
    /* The ignored target BSID of a cancel does not reach the wire. */
    memset(m.ind.target_bsid, 0xEE, 6);
    len = 0;
    TE(tekho_mob_ho_ind_encode(&m.ind, buf, sizeof buf, &len), TEKHO_OK);
    T(len == sizeof ind_cancel_bytes && memcmp(buf, ind_cancel_bytes, len) == 0);
    /* Serving BS release carries the target BSID too. */
    example_ind_reject(&m.ind);
    m.ind.ho_ind_type = TEKHO_MOB_HO_IND_RELEASE;
    m.ind.has_cmac = false;
    TE(tekho_mob_ho_ind_encode(&m.ind, buf, sizeof buf, &len), TEKHO_OK);
    T(len == 10 && buf[2] == 0x10);
}

/* Reserved and padding bits set to 1 on the wire change nothing. */
static void test_reserved_ignored(void)
{
    union any_msg want, got;
    uint8_t b[64];

    example_msho(&want.msho);
    memcpy(b, msho_bytes, sizeof msho_bytes);
    b[1] |= 0xF0;   /* report metric bits 4-7 */
    b[17] |= 0x01;  /* the reserved bit after N_Current_BSs */
    b[20] |= 0x0F;  /* padding */
    TE(decode_exact(&codecs[0], b, sizeof msho_bytes, &got), TEKHO_OK);
    T(msho_eq(&got.msho, &want.msho) && got.msho.report_metric == 0x09);

#if TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS == 6
    example_bsho(&want.bsho);
    memcpy(b, bsho_bytes, sizeof bsho_bytes);
    b[1] |= 0x1F;   /* 5 reserved after the mode */
    b[3] |= 0x3F;   /* 6 reserved after the retain flag */
    b[14] |= 0x1F;  /* 5 reserved in entry 1 */
    b[24] |= 0x1F;  /* 5 reserved in entry 2 */
    TE(decode_exact(&codecs[1], b, sizeof bsho_bytes, &got), TEKHO_OK);
    T(bsho_eq(&got.bsho, &want.bsho));
#endif

    example_ind_cancel(&want.ind);
    memcpy(b, ind_cancel_bytes, sizeof ind_cancel_bytes);
    b[1] |= 0xFC;   /* 6 reserved before the mode */
    b[2] |= 0x0F;   /* 4 reserved after ranging params valid */
    TE(decode_exact(&codecs[2], b, sizeof ind_cancel_bytes, &got), TEKHO_OK);
    T(ho_ind_eq(&got.ind, &want.ind));
}

/* ---- error paths ------------------------------------------------------------------ */

static void test_arguments(void)
{
    struct tekho_mob_msho_req msho;
    struct tekho_mob_bsho_rsp bsho;
    struct tekho_mob_ho_ind ind;
    example_msho(&msho);
    example_bsho(&bsho);
    example_ind_cancel(&ind);
    uint8_t buf[64];
    size_t len = 0;
    TE(tekho_mob_msho_req_encode(NULL, buf, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_msho_req_encode(&msho, NULL, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_msho_req_encode(&msho, buf, sizeof buf, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_msho_req_encode(&msho, NULL, 0, &len), TEKHO_ERR_BUFFER_TOO_SMALL);
    TE(tekho_mob_bsho_rsp_encode(NULL, buf, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_bsho_rsp_encode(&bsho, NULL, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_bsho_rsp_encode(&bsho, buf, sizeof buf, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_ho_ind_encode(NULL, buf, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_ho_ind_encode(&ind, NULL, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_ho_ind_encode(&ind, buf, sizeof buf, NULL), TEKHO_ERR_INVALID_ARGUMENT);

    TE(tekho_mob_msho_req_decode(NULL, 4, &msho), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_msho_req_decode(msho_bytes, sizeof msho_bytes, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_msho_req_decode(NULL, 0, &msho), TEKHO_ERR_TRUNCATED);
    TE(tekho_mob_bsho_rsp_decode(NULL, 4, &bsho), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_bsho_rsp_decode(bsho_bytes, sizeof bsho_bytes, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_bsho_rsp_decode(NULL, 0, &bsho), TEKHO_ERR_TRUNCATED);
    TE(tekho_mob_ho_ind_decode(NULL, 4, &ind), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_ho_ind_decode(ind_cancel_bytes, sizeof ind_cancel_bytes, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    TE(tekho_mob_ho_ind_decode(NULL, 0, &ind), TEKHO_ERR_TRUNCATED);
}

static void test_wrong_message(void)
{
    const uint8_t *valid[3] = {msho_bytes, bsho_bytes, ind_cancel_bytes};
    const size_t valid_len[3] = {sizeof msho_bytes, sizeof bsho_bytes, sizeof ind_cancel_bytes};
    for (int k = 0; k < 3; k++) {
        for (int other = 0; other < 3; other++)
            if (other != k)
                expect_decode_err(&codecs[k], valid[other], valid_len[other], TEKHO_ERR_WRONG_MESSAGE);
        /* RNG-REQ, and a type byte alone */
        const uint8_t rng_req[] = {TEKHO_MGMT_RNG_REQ, 0x00};
        expect_decode_err(&codecs[k], rng_req, sizeof rng_req, TEKHO_ERR_WRONG_MESSAGE);
        const uint8_t wrong_alone[] = {(uint8_t)(codecs[k].type + 1)};
        expect_decode_err(&codecs[k], wrong_alone, 1, TEKHO_ERR_WRONG_MESSAGE);
        const uint8_t right_alone[] = {codecs[k].type};
        expect_decode_err(&codecs[k], right_alone, 1, TEKHO_ERR_TRUNCATED);
    }
}

static void test_decode_values(void)
{
    const struct codec *msho = &codecs[0], *bsho = &codecs[1], *ind = &codecs[2];
    /* counts above what the struct holds, refused before the entries */
    const uint8_t msho_idx9[] = {0x39, 0x00, TEKHO_MOB_MAX_BS + 1};
    expect_decode_err(msho, msho_idx9, sizeof msho_idx9, TEKHO_ERR_TOO_MANY);
    const uint8_t msho_idx255[] = {0x39, 0x00, 0xFF, 0x00};
    expect_decode_err(msho, msho_idx255, sizeof msho_idx255, TEKHO_ERR_TOO_MANY);
    const uint8_t msho_full9[] = {0x39, 0x00, 0x00, TEKHO_MOB_MAX_BS + 1, 0x00};
    expect_decode_err(msho, msho_full9, sizeof msho_full9, TEKHO_ERR_TOO_MANY);
    /* the largest count accepted, with nothing behind it */
    const uint8_t msho_full8[] = {0x39, 0x00, 0x00, TEKHO_MOB_MAX_BS, 0x00};
    expect_decode_err(msho, msho_full8, sizeof msho_full8, TEKHO_ERR_TRUNCATED);
    /* mode 0 | op 0 | N_Recommended 9 = 0 0000100 | 1 ... */
    const uint8_t bsho_rec9[] = {0x3a, 0x00, 0x04, 0x80, 0x00};
    expect_decode_err(bsho, bsho_rec9, sizeof bsho_rec9, TEKHO_ERR_TOO_MANY);

    /* modes and types tekho does not handle */
    uint8_t b[64];
    for (unsigned mode = 1; mode < 8; mode++) {
        memcpy(b, bsho_bytes, sizeof bsho_bytes);
        b[1] = (uint8_t)(mode << 5);
        expect_decode_err(bsho, b, sizeof bsho_bytes, TEKHO_ERR_BAD_VALUE);
    }
    for (unsigned mode = 1; mode < 4; mode++) {
        memcpy(b, ind_cancel_bytes, sizeof ind_cancel_bytes);
        b[1] = (uint8_t)mode;
        expect_decode_err(ind, b, sizeof ind_cancel_bytes, TEKHO_ERR_BAD_VALUE);
    }
    const uint8_t ind_type11[] = {0x3b, 0x00, 0xC0, 0x44};
    expect_decode_err(ind, ind_type11, sizeof ind_type11, TEKHO_ERR_BAD_VALUE);
}

/* TLVs after the bit fields, on the HO cancel 3b 00 70 44. */
static void test_tail(void)
{
    const struct codec *ind = &codecs[2];
    uint8_t b[64];
    const size_t body = sizeof ind_cancel_bytes;
    const uint8_t cmac_tlv[] = {0x8d, 0x0d, 0x03, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8};
    union any_msg got;
#define TAIL(...)                                                         \
    do {                                                                  \
        const uint8_t tail_[] = {__VA_ARGS__};                            \
        memcpy(b, ind_cancel_bytes, body);                                \
        memcpy(b + body, tail_, sizeof tail_);                            \
        n = body + sizeof tail_;                                          \
    } while (0)
    size_t n;

    TAIL(0x05, 0x00);
    expect_decode_err(ind, b, n, TEKHO_ERR_TLV_ZERO_LENGTH);
    TAIL(0x05);
    expect_decode_err(ind, b, n, TEKHO_ERR_TRUNCATED);
    TAIL(0x05, 0x80, 0x01);
    expect_decode_err(ind, b, n, TEKHO_ERR_TLV_BAD_LENGTH);
    TAIL(0x05, 0x85, 0, 0, 0, 0, 1, 0xAA);
    expect_decode_err(ind, b, n, TEKHO_ERR_TLV_BAD_LENGTH);
    TAIL(0x05, 0x82, 0x00);
    expect_decode_err(ind, b, n, TEKHO_ERR_TRUNCATED);
    TAIL(0x05, 0x03, 0x01, 0x02);
    expect_decode_err(ind, b, n, TEKHO_ERR_TLV_OVERRUN);

    /* unknown TLVs are skipped, before the CMAC tuple or alone */
    TAIL(0x05, 0x01, 0xAA, 0xF0, 0x81, 0x02, 0xBB, 0xCC);
    TE(decode_exact(ind, b, n, &got), TEKHO_OK);
    T(!got.ind.has_cmac && got.ind.cmac_offset == 0 && got.ind.preamble_index == 0x44);
    memcpy(b + n, cmac_tlv, sizeof cmac_tlv);
    TE(decode_exact(ind, b, n + sizeof cmac_tlv, &got), TEKHO_OK);
    T(got.ind.has_cmac && got.ind.cmac_offset == n && got.ind.cmac.key_seq == 3 && got.ind.cmac.cmac_pn == 7);

    /* the CMAC tuple must be last: another TLV, a second tuple, stray bytes */
    memcpy(b, ind_cancel_bytes, body);
    memcpy(b + body, cmac_tlv, sizeof cmac_tlv);
    n = body + sizeof cmac_tlv;
    memcpy(b + n, "\x05\x01\xAA", 3);
    expect_decode_err(ind, b, n + 3, TEKHO_ERR_CMAC_NOT_LAST);
    memcpy(b + n, cmac_tlv, sizeof cmac_tlv);
    expect_decode_err(ind, b, n + sizeof cmac_tlv, TEKHO_ERR_CMAC_NOT_LAST);
    b[n] = 0x00;
    expect_decode_err(ind, b, n + 1, TEKHO_ERR_CMAC_NOT_LAST);

    /* a CMAC tuple of another size: a width error, as in every codec */
    TAIL(0x8d, 0x0c, 0x03, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7);
    expect_decode_err(ind, b, n, TEKHO_ERR_WRONG_WIDTH);
    TAIL(0x8d, 0x0e, 0x03, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    expect_decode_err(ind, b, n, TEKHO_ERR_WRONG_WIDTH);
    /* reserved high nibble of the key sequence byte is ignored */
    TAIL(0x8d, 0x0d, 0xF3, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8);
    TE(decode_exact(ind, b, n, &got), TEKHO_OK);
    T(got.ind.has_cmac && got.ind.cmac.key_seq == 3 && got.ind.cmac_offset == body);
#undef TAIL
}

/* Encoders refuse out-of-range fields with BAD_VALUE, even when the buffer
 * is too small as well, and never report a length. */
static void expect_encode_bad(const struct codec *c, const union any_msg *m)
{
    uint8_t buf[256];
    size_t len = 777;
    TE(c->encode(m, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    TE(c->encode(m, buf, 1, &len), TEKHO_ERR_BAD_VALUE);
    TE(c->encode(m, NULL, 0, &len), TEKHO_ERR_BAD_VALUE);
    T(len == 777);
}

static void test_encode_values(void)
{
    union any_msg m;
    const struct codec *msho = &codecs[0], *bsho = &codecs[1], *ind = &codecs[2];

    example_msho(&m.msho);
    m.msho.report_metric = 0x10;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.n_new_bs_index = TEKHO_MOB_MAX_BS + 1;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.n_new_bs_full = TEKHO_MOB_MAX_BS + 1;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.n_current_bs = TEKHO_MOB_MAX_CURRENT_BS + 1;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.new_bs_index[0].report.service_level_prediction = 8;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.new_bs_full[0].report.service_level_prediction = 9;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.new_bs_index[0].report.atd = 16;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.new_bs_full[0].report.has_atd = true;
    m.msho.new_bs_full[0].report.atd = 0xFF;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.current_bs[0].temp_bsid = 16;
    expect_encode_bad(msho, &m);
    example_msho(&m.msho);
    m.msho.cmac.key_seq = 16;
    expect_encode_bad(msho, &m);
    /* without a tuple its key sequence is not looked at */
    m.msho.has_cmac = false;
    uint8_t buf[128];
    size_t len = 0;
    TE(msho->encode(&m, buf, sizeof buf, &len), TEKHO_OK);

    example_bsho(&m.bsho);
    m.bsho.mode = 1;
    expect_encode_bad(bsho, &m);
    m.bsho.mode = 8;
    expect_encode_bad(bsho, &m);
    example_bsho(&m.bsho);
    m.bsho.n_recommended = TEKHO_MOB_MAX_BS + 1;
    expect_encode_bad(bsho, &m);
    example_bsho(&m.bsho);
    m.bsho.has_cmac = true;
    m.bsho.cmac = example_cmac;
    m.bsho.cmac.key_seq = 0x80;
    expect_encode_bad(bsho, &m);

    example_ind_reject(&m.ind);
    m.ind.mode = 1;
    expect_encode_bad(ind, &m);
    m.ind.mode = 4;
    expect_encode_bad(ind, &m);
    example_ind_reject(&m.ind);
    m.ind.ho_ind_type = 3;
    expect_encode_bad(ind, &m);
    m.ind.ho_ind_type = 9;
    expect_encode_bad(ind, &m);
    example_ind_reject(&m.ind);
    m.ind.ranging_params_valid = 4;
    expect_encode_bad(ind, &m);
    example_ind_reject(&m.ind);
    m.ind.cmac.key_seq = 16;
    expect_encode_bad(ind, &m);
}

/* The fixed examples through the same sweeps as the random messages. */
/* baseline-early's MOB_BSHO-RSP: the target's TEKs in an SA-TEK-Update TLV
 * between the bit fields and the CMAC tuple. It round-trips; a prefix cut
 * inside it is refused, one cut before it is a message without it. */
static void test_bsho_sa_tek_update(void)
{
    union any_msg m;
    example_bsho(&m.bsho);
    struct tekho_sa_tek_update *u = &m.bsho.sa_tek_update;
    memset(u, 0, sizeof *u);
    m.bsho.has_sa_tek_update = true;
    m.bsho.has_cmac = true;
    m.bsho.cmac = example_cmac;
    u->type = 0x80;
    u->new_said = u->old_said = 0x2001;
    u->has_old_params = true;
    struct tekho_tek_params *p[2] = {&u->old_params, &u->new_params};
    for (int i = 0; i < 2; i++) {
        memset(p[i]->wrapped_tek, 0x30 + i, 24);
        p[i]->wrapped_tek_len = 24;
        p[i]->lifetime_s = 3600u * (uint32_t)(i + 1);
        p[i]->key_seq = (uint8_t)i;
    }
    uint8_t a[512], plain[512];
    size_t la = 0, lp = 0;
    TE(tekho_mob_bsho_rsp_encode(&m.bsho, a, sizeof a, &la), TEKHO_OK);
    union any_msg d;
    TE(decode_exact(&codecs[1], a, la, &d), TEKHO_OK);
    T(bsho_eq(&d.bsho, &m.bsho));
    /* The same message without the TLV: the TLV sits right after its bit fields. */
    union any_msg q = m;
    q.bsho.has_sa_tek_update = false;
    q.bsho.has_cmac = false;
    TE(tekho_mob_bsho_rsp_encode(&q.bsho, plain, sizeof plain, &lp), TEKHO_OK);
    T(a[lp] == TEKHO_MOB_BSHO_RSP_TLV_SA_TEK_UPDATE && memcmp(a, plain, lp) == 0);
    T(d.bsho.cmac_offset > lp && a[d.bsho.cmac_offset] == TEKHO_TLV_CMAC_TUPLE);
    for (size_t n = lp; n < d.bsho.cmac_offset; n++) {
        union any_msg out;
        const tekho_err err = decode_exact(&codecs[1], a, n, &out);
        if (n == lp)
            T(err == TEKHO_OK && !out.bsho.has_sa_tek_update && !out.bsho.has_cmac);
        else
            T(err == TEKHO_ERR_TRUNCATED || err == TEKHO_ERR_TLV_OVERRUN);
    }
    const size_t cmac_at = d.bsho.cmac_offset;
    if (cmac_at <= lp)
        return;
    /* Two of them: a duplicate. */
    uint8_t twice[600];
    const size_t ulen = cmac_at - lp;
    memcpy(twice, a, cmac_at);
    memcpy(twice + cmac_at, a + lp, ulen);
    TE(decode_exact(&codecs[1], twice, cmac_at + ulen, &d), TEKHO_ERR_DUPLICATE_TLV);
    /* Its TEK-Parameters are checked as RNG-RSP's are: a key sequence of 4
     * (the last byte of the new TEK-Parameters) is refused. */
    a[cmac_at - 1] = 4;
    TE(decode_exact(&codecs[1], a, la, &d), TEKHO_ERR_BAD_VALUE);
}

static void test_example_sweeps(void)
{
    union any_msg m;
    example_msho(&m.msho);
    round_trip(&codecs[0], &m, &m);
    example_bsho(&m.bsho);
    round_trip(&codecs[1], &m, &m);
    example_ind_reject(&m.ind);
    round_trip(&codecs[2], &m, &m);
    example_ind_cancel(&m.ind);
    round_trip(&codecs[2], &m, &m);
}

int main(void)
{
    printf("layout: BSHO-RSP reserved %d/%d, HO-IND preamble %s\n", TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS,
           TEKHO_MOB_BSHO_RSP_POLICY_RSV_BITS, TEKHO_MOB_HO_IND_PREAMBLE_LAST ? "last" : "before BSID");
    test_examples();
    test_bsho_sa_tek_update();
    test_reserved_ignored();
    test_arguments();
    test_wrong_message();
    test_decode_values();
    test_tail();
    test_encode_values();
    test_example_sweeps();
    test_random();
    printf("  %ld checks\n", n_checks);
    return test_summary("test_wire_mob");
}
