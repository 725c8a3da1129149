/* tekho analyze: every MS's handovers reconstructed from an air capture
 * (and the backbone capture of the same period, if given): per handover
 * the MS, serving and target BS, the TEK scheme the messages show, the
 * interruption per direction measured as the emulator measures it, the
 * counts in use and whether the keys verified; and the anomalies an
 * implementer testing equipment wants to see: a (key, PN) pair used
 * twice, PNs going backwards, management messages replayed (a CMAC_PN
 * again), a stale CMAC_KEY_COUNT accepted, TEK material on the air where
 * the handover promised none. Built on decode's engine (decode_engine.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decode_engine.h"
#include "fields.h"
#include "report.h"
#include "tekho/asncp.h"
#include "tekho/capture.h"
#include "tekho/mgmt.h"
#include "tekho/mob.h"

#define MAX_FILES 16
#define MAX_MS 256
#define MAX_FRAMES 4 /* frames named by one anomaly */

static const struct cli_opt ANALYZE_OPTS[] = {
    DECODE_KEY_OPTS_INIT,
    DECODE_INPUT_OPTS_INIT,
    {.name = "report", .kind = CLI_STR, .arg = "DIR",
     .help = "write a timeline per MS and the interruption CDF (gnuplot) into DIR (created with its parents)"},
    {.name = "frame-us", .kind = CLI_NUM, .min = 100, .max = 1000000,
     .help = "the frame duration (default 5000): a PDU sent in a frame arrives at the end of its subframe\n"
             "      in the next one"},
    {.name = "dl-percent", .kind = CLI_NUM, .min = 1, .max = 99,
     .help = "the downlink subframe's share of the frame, in per cent (default 50)"},
    {.name = "mgmt-processing", .kind = CLI_FLAG,
     .help = "management messages take time at their receiver (the emulator's variability, the testbed): user\n"
             "      data arriving with the message that brings the MS its new TEKs comes before it is processed"},
};
enum { OPT_MSK, OPT_ASNCP_PORT = DECODE_KEY_OPTS_N, OPT_REPORT = DECODE_KEY_OPTS_N + DECODE_INPUT_OPTS_N,
       OPT_FRAME_US, OPT_DL_PERCENT, OPT_MGMT_PROCESSING };
static const struct cli_cmd ANALYZE_CMD = {
    .name = "analyze",
    .synopsis = "FILE... [--json] [--report DIR] [--msk HEX | --msk-file PATH] [--ms-mac MAC --bsid HEX]\n"
    "                    [--kek HEX] [--tek HEX] [--said N] [--asncp-port N] [--basic-cid-max N]\n"
    "                    [--frame-us N] [--dl-percent N] [--mgmt-processing]",
    .description = "Reconstructs every MS's handovers from an air capture (any link layer decode reads), with the\n"
    "backbone capture of the same period if given. Per handover: the MS, serving and target BS, the\n"
    "scheme (none, counter, baseline-update, baseline-full or reuse, from the HO Process Optimization\n"
    "the messages carry and whether user data is encrypted), the interruption per direction as the\n"
    "emulator measures it (from MOB_HO-IND, the MS leaving its serving BS, to the arrival of the first\n"
    "user PDU through the target: a PDU sent in a frame arrives at the end of its subframe in the\n"
    "next; the serving BS sends until MOB_HO-IND reaches it), the counts in use (CMAC_KEY_COUNT in the\n"
    "MS's RNG-REQ, N in the backbone's messages) and whether the keys verified (ok, bad, unchecked).\n"
    "Then the anomalies, each with its kind, MS and frames: pn-reuse (one key and PN, two different\n"
    "PDUs: with keys the TEK that opened them, without keys the key epochs the messages announce),\n"
    "pn-backwards, replayed-mgmt (a CMAC_PN seen again under one CMAC key), stale-count-accepted (an\n"
    "RNG-REQ whose CMAC_KEY_COUNT is not above one the MS used before under its PMK, a network entry\n"
    "starting a new one, answered with success; not the same handover's RNG-REQ sent again) and\n"
    "tek-on-air (TEK parameters sent in a handover whose TEK mode is counter or reuse). --json prints\n"
    "{\"handovers\": [...], \"anomalies\": [...]}.",
    .opts = ANALYZE_OPTS,
    .n_opts = sizeof ANALYZE_OPTS / sizeof ANALYZE_OPTS[0],
    .operands = "FILE",
    .min_operands = 1,
    .max_operands = MAX_FILES};

/* ---- what the analysis needs of each message ---------------------------- */

enum verdict_code { V_NONE, V_OK, V_BAD, V_ABSENT, V_UNCHECKED };

struct aev {
    uint64_t t;
    uint64_t last_t; /* its last HARQ retransmission's time (t: none) */
    uint64_t frame;
    uint32_t part;
    unsigned file;
    size_t seq;
    size_t retx_of;  /* a HARQ retransmission: the index (in time order) of its first transmission; else SIZE_MAX */
    enum decoded_what what;
    char type[24];
    bool err;
    uint8_t cmac, decrypt;
    bool has_cid;
    uint16_t cid;
    /* data */
    bool encrypted, dir_known, uplink, tek_known;
    uint8_t eks;
    uint32_t pn;
    uint8_t tek_fp[8], digest[8];
    /* management */
    uint8_t mgmt;
    bool has_mac;
    uint8_t mac[6];
    bool has_count;
    uint16_t count;
    bool has_cmac_pn;
    uint32_t cmac_pn;
    uint8_t key_seq;
    bool cmac_key_known;     /* the keys verified it: the AK (AKID) and count of its CMAC key */
    uint8_t cmac_akid[8];
    uint16_t cmac_count;
    bool has_akid;           /* PKM SA-TEK messages: the AKID they name */
    uint8_t akid[8];
    bool has_bsid;
    uint8_t bsid[6];   /* MOB_HO-IND: target; RNG-REQ: former serving; MOB_BSHO-RSP: recommended */
    bool ho_release;   /* MOB_HO-IND release */
    bool ho_ranging;   /* RNG-REQ with the HO indication */
    bool has_tek_mode;
    uint8_t tek_mode;
    bool ranging_success;
    bool is_rng_rsp;
    unsigned n_tek_params;
    /* backbone */
    bool asncp;
    uint8_t msid[6];
};

struct events {
    struct aev *v;
    size_t n, cap;
    unsigned file;
    bool oom;
};

static enum verdict_code code_of(const char *v)
{
    if (v == NULL)
        return V_NONE;
    if (strcmp(v, "ok") == 0)
        return V_OK;
    if (strcmp(v, "bad") == 0)
        return V_BAD;
    if (strcmp(v, "absent") == 0)
        return V_ABSENT;
    return V_UNCHECKED;
}

static void cmac_tuple(struct aev *e, bool has, const struct tekho_cmac_tuple *t)
{
    if (!has)
        return;
    e->has_cmac_pn = true;
    e->cmac_pn = t->cmac_pn;
    e->key_seq = t->key_seq;
}

static void mgmt_details(struct aev *e, const uint8_t *msg, size_t len)
{
    e->mgmt = msg[0];
    switch (msg[0]) {
    case TEKHO_MGMT_RNG_REQ: {
        struct tekho_rng_req m;
        if (tekho_rng_req_decode(msg, len, &m) != TEKHO_OK)
            return;
        e->has_mac = m.has_ms_mac;
        memcpy(e->mac, m.ms_mac, 6);
        e->has_count = m.has_cmac_key_count;
        e->count = m.cmac_key_count;
        e->ho_ranging = m.has_ranging_purpose && (m.ranging_purpose & TEKHO_RANGING_PURPOSE_HO);
        e->has_bsid = m.has_serving_bsid;
        memcpy(e->bsid, m.serving_bsid, 6);
        cmac_tuple(e, m.has_cmac, &m.cmac);
        break;
    }
    case TEKHO_MGMT_RNG_RSP: {
        struct tekho_rng_rsp m;
        if (tekho_rng_rsp_decode(msg, len, &m) != TEKHO_OK)
            return;
        e->is_rng_rsp = true;
        e->has_mac = m.has_ms_mac;
        memcpy(e->mac, m.ms_mac, 6);
        e->ranging_success = m.ranging_status == TEKHO_RANGING_STATUS_SUCCESS;
        e->has_tek_mode = m.has_ho_process_optimization;
        e->tek_mode = (uint8_t)((m.ho_process_optimization & TEKHO_HO_OPT_TEK_MASK) >> TEKHO_HO_OPT_TEK_SHIFT);
        for (size_t i = 0; i < m.n_sa_tek_updates; i++)
            e->n_tek_params += 1u + m.sa_tek_updates[i].has_old_params;
        cmac_tuple(e, m.has_cmac, &m.cmac);
        break;
    }
    case TEKHO_MGMT_PKM_REQ:
    case TEKHO_MGMT_PKM_RSP: {
        struct tekho_pkm m;
        if (tekho_pkm_decode(msg, len, &m) != TEKHO_OK)
            return;
        e->n_tek_params = (unsigned)m.n_tek_params;
        e->has_akid = m.has_akid;
        memcpy(e->akid, m.akid, 8);
        if (m.has_cmac_digest) {
            e->has_cmac_pn = true;
            e->cmac_pn = m.cmac_digest.cmac_pn;
            e->key_seq = m.has_key_seq ? m.key_seq : 0;
        }
        break;
    }
    case TEKHO_MGMT_SBC_REQ:
    case TEKHO_MGMT_SBC_RSP: {
        struct tekho_sbc m;
        if (tekho_sbc_decode(msg, len, &m) == TEKHO_OK)
            cmac_tuple(e, m.has_cmac, &m.cmac);
        break;
    }
    case TEKHO_MGMT_MOB_MSHO_REQ: {
        struct tekho_mob_msho_req m;
        if (tekho_mob_msho_req_decode(msg, len, &m) == TEKHO_OK)
            cmac_tuple(e, m.has_cmac, &m.cmac);
        break;
    }
    case TEKHO_MGMT_MOB_BSHO_RSP: {
        struct tekho_mob_bsho_rsp m;
        if (tekho_mob_bsho_rsp_decode(msg, len, &m) != TEKHO_OK)
            return;
        if (m.n_recommended > 0) {
            e->has_bsid = true;
            memcpy(e->bsid, m.recommended[0].bsid, 6);
            e->has_tek_mode = true;
            e->tek_mode = (uint8_t)TEKHO_MOB_HO_OPT_TEK_MODE(m.recommended[0].ho_process_optimization);
        }
        cmac_tuple(e, m.has_cmac, &m.cmac);
        break;
    }
    case TEKHO_MGMT_MOB_HO_IND: {
        struct tekho_mob_ho_ind m;
        if (tekho_mob_ho_ind_decode(msg, len, &m) != TEKHO_OK)
            return;
        e->ho_release = m.ho_ind_type == TEKHO_MOB_HO_IND_RELEASE;
        e->has_bsid = e->ho_release;
        memcpy(e->bsid, m.target_bsid, 6);
        cmac_tuple(e, m.has_cmac, &m.cmac);
        break;
    }
    default:
        break;
    }
}

static void collect(void *ctx, const struct decoded *m, const struct fields *f)
{
    (void)f;
    struct events *ev = ctx;
    if (ev->n == ev->cap) {
        const size_t cap = ev->cap ? ev->cap * 2 : 1024;
        struct aev *v = realloc(ev->v, cap * sizeof *v);
        if (v == NULL) {
            ev->oom = true;
            return;
        }
        ev->v = v;
        ev->cap = cap;
    }
    struct aev *e = &ev->v[ev->n];
    memset(e, 0, sizeof *e);
    e->seq = ev->n++;
    e->retx_of = SIZE_MAX;
    e->t = e->last_t = m->time_us;
    e->frame = m->frame;
    e->part = m->part;
    e->file = ev->file;
    e->what = m->what;
    snprintf(e->type, sizeof e->type, "%s", m->type ? m->type : "?");
    e->err = m->err != TEKHO_OK;
    e->cmac = (uint8_t)code_of(m->cmac);
    e->decrypt = (uint8_t)code_of(m->decrypt);
    e->has_cid = m->has_cid;
    e->cid = m->cid;
    e->cmac_key_known = m->cmac_key_known;
    memcpy(e->cmac_akid, m->cmac_akid, 8);
    e->cmac_count = m->cmac_count;
    e->encrypted = m->encrypted;
    e->dir_known = m->dir_known;
    e->uplink = m->uplink;
    e->tek_known = m->tek_known;
    e->eks = m->eks;
    e->pn = m->pn;
    memcpy(e->tek_fp, m->tek_fp, 8);
    memcpy(e->digest, m->digest, 8);
    if (m->err != TEKHO_OK)
        return;
    if (m->what == DECODED_AIR_MGMT && m->msg_len > 0) {
        mgmt_details(e, m->msg, m->msg_len);
    } else if (m->what == DECODED_BACKBONE) {
        struct tekho_asncp a;
        if (tekho_asncp_decode(m->msg, m->msg_len, &a) != TEKHO_OK)
            return;
        e->asncp = true;
        memcpy(e->msid, a.msid, 6);
        if (a.has_cmac_key_count) {
            e->has_count = true;
            e->count = a.cmac_key_count;
        } else if (a.has_ak_context && a.ak_context.has_cmac_key_count) {
            e->has_count = true;
            e->count = a.ak_context.cmac_key_count;
        }
        tekho_asncp_wipe(&a);
    }
}

static int by_time(const void *a, const void *b)
{
    const struct aev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- the analysis ------------------------------------------------------- */

struct handover {
    size_t ms;
    bool has_serving;
    uint8_t serving[6];
    uint8_t target[6];
    uint64_t t0, frame0;
    uint64_t serving_stop;      /* when MOB_HO-IND reaches the serving BS */
    bool resumed[2];            /* 0 UL, 1 DL */
    uint64_t resumed_at[2], resumed_frame[2];
    int tek_mode;               /* -1 unknown */
    bool saw_plain, saw_encrypted;
    bool has_count_ms;
    uint16_t count_ms;
    bool has_count_bb;
    uint16_t count_bb;
    unsigned keys_ok, keys_bad;
    bool window;                /* from MOB_HO-IND until ranging is done and both directions resumed */
    bool rng_rsp_seen;
    bool has_keys_at;           /* the MS's new TEKs came in a DL message (baseline schemes) ... */
    uint64_t keys_at;           /* ... that arrived then (its last HARQ copy) */
    bool resync, resync_done;   /* a counter target's downlink may change TEK at resync_at */
    uint64_t resync_at;
    bool has_ul_tek;            /* the TEK (fingerprint) of the MS's first uplink PDU at the target */
    uint8_t ul_tek[8];
    uint8_t ul_eks;
    bool closed;
};

struct anomaly {
    const char *kind;
    size_t ms;
    size_t n_frames;
    uint64_t frames[MAX_FRAMES];
    char detail[96];
};

/* A PN seen under one key identity: its PDU's digest and frame. */
struct pn_seen {
    uint64_t key; /* identity index << 32 | pn; 0: empty slot (identity indexes start at 1) */
    uint8_t digest[8];
    uint64_t frame;
};

struct identity {
    size_t ms;
    uint8_t dir, eks;
    bool by_tek;
    uint8_t tek_fp[8];
    uint32_t epoch;
    bool has_last;
    uint32_t last_pn;
    uint64_t last_frame;
};

/* A CMAC_PN seen under one CMAC key: with keys the AKID and count that
 * verified it; without, the MS's BS, its AK epoch (a PKM message naming
 * a new AKID starts one), the count and the key sequence. */
struct mgmt_seen {
    size_t ms;
    uint8_t dir, key_seq;
    bool by_key;
    uint8_t akid[8];
    uint8_t bsid[6];
    uint32_t ak_epoch;
    uint16_t count;
    uint32_t cmac_pn;
    uint64_t frame;
};

struct ms_state {
    bool has_mac;
    uint8_t mac[6];
    bool has_basic;
    uint16_t basic_cid;
    bool has_bsid;
    uint8_t bsid[6];            /* the BS the MS is at */
    uint16_t count;             /* CMAC_KEY_COUNT in use (its last RNG-REQ's) */
    bool has_max_count;
    uint16_t max_count;         /* the highest it ever used */
    bool has_n;
    uint16_t n;                 /* the backbone's latest */
    bool has_offer;
    uint8_t offer_bsid[6];      /* the last MOB_BSHO-RSP's recommendation */
    uint8_t offer_mode;
    long ho;                    /* its current handover, -1 none */
    int stay_mode;              /* TEK mode of the current stay: -1 unknown (initial entry) */
    uint32_t epoch[4][2];       /* key epochs without keys, per EKS and direction */
    bool has_akid;
    uint8_t akid[8];            /* the last AKID a PKM message named */
    uint32_t ak_epoch;
    bool stale_pending;
    bool entry_pending;         /* an initial RNG-REQ not yet answered */
    uint64_t stale_frame;
    uint16_t stale_count;
    bool plain_data;
};

struct analysis {
    uint64_t frame_us;
    unsigned dl_percent;
    bool mgmt_processing;
    bool keys;
    struct ms_state ms[MAX_MS];
    size_t n_ms;
    struct handover *ho;
    size_t n_ho, cap_ho;
    struct anomaly *an;
    size_t n_an, cap_an;
    struct identity *id;
    size_t n_id, cap_id;
    struct pn_seen *pns;
    size_t cap_pns, n_pns;
    struct mgmt_seen *mg;
    size_t n_mg, cap_mg;
    unsigned long duplicates, unattributed, harq_copies;
    uint64_t capture_end; /* the last record's time: a PDU that would arrive later never did, as far as we know */
    bool oom;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 64;
    while (cap2 < need)
        cap2 *= 2;
    void *q = realloc(*p, cap2 * size);
    if (q == NULL)
        return false;
    *p = q;
    *cap = cap2;
    return true;
}

static void anomaly(struct analysis *a, const char *kind, size_t ms, const uint64_t *frames, size_t n,
                    const char *detail)
{
    if (!grow((void **)&a->an, &a->cap_an, a->n_an + 1, sizeof *a->an)) {
        a->oom = true;
        return;
    }
    struct anomaly *x = &a->an[a->n_an++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->ms = ms;
    x->n_frames = n < MAX_FRAMES ? n : MAX_FRAMES;
    memcpy(x->frames, frames, x->n_frames * sizeof *frames);
    snprintf(x->detail, sizeof x->detail, "%s", detail);
}

/* When a PDU sent at t arrives: the end of its subframe in the next frame
 * (the emulator's air_arrival: downlink first, then uplink). */
static uint64_t arrival(const struct analysis *a, uint64_t t, bool uplink)
{
    const uint64_t f = a->frame_us;
    return (t / f + 1) * f + (uplink ? f : f * a->dl_percent / 100);
}

static size_t ms_new(struct analysis *a)
{
    if (a->n_ms == MAX_MS)
        return SIZE_MAX;
    struct ms_state *s = &a->ms[a->n_ms];
    memset(s, 0, sizeof *s);
    s->ho = -1;
    s->stay_mode = -1;
    return a->n_ms++;
}

static size_t ms_by_mac(struct analysis *a, const uint8_t mac[6], bool create)
{
    for (size_t i = 0; i < a->n_ms; i++)
        if (a->ms[i].has_mac && memcmp(a->ms[i].mac, mac, 6) == 0)
            return i;
    if (!create)
        return SIZE_MAX;
    const size_t i = ms_new(a);
    if (i != SIZE_MAX) {
        a->ms[i].has_mac = true;
        memcpy(a->ms[i].mac, mac, 6);
    }
    return i;
}

static bool unicast(uint16_t cid)
{
    return cid != 0 && cid != 0xFEFFu && cid < 0xFFFAu;
}

/* The MS a management PDU is about: its MAC address, else its basic CID. */
static size_t ms_of_mgmt(struct analysis *a, const struct aev *e)
{
    size_t i = SIZE_MAX;
    if (e->has_mac) {
        i = ms_by_mac(a, e->mac, false);
        if (i == SIZE_MAX && e->has_cid && unicast(e->cid)) {
            for (size_t j = 0; j < a->n_ms && i == SIZE_MAX; j++)
                if (a->ms[j].has_basic && a->ms[j].basic_cid == e->cid && !a->ms[j].has_mac) {
                    i = j;
                    a->ms[j].has_mac = true;
                    memcpy(a->ms[j].mac, e->mac, 6);
                }
        }
        if (i == SIZE_MAX)
            i = ms_by_mac(a, e->mac, true);
    } else if (e->has_cid && unicast(e->cid)) {
        for (size_t j = 0; j < a->n_ms && i == SIZE_MAX; j++)
            if (a->ms[j].has_basic && a->ms[j].basic_cid == e->cid)
                i = j;
        if (i == SIZE_MAX && (i = ms_new(a)) != SIZE_MAX) {
            a->ms[i].has_basic = true;
            a->ms[i].basic_cid = e->cid;
        }
    }
    if (i != SIZE_MAX && e->has_cid && unicast(e->cid) && !a->ms[i].has_basic) {
        a->ms[i].has_basic = true;
        a->ms[i].basic_cid = e->cid;
    }
    return i;
}

/* The MS user data on a transport CID belongs to: the only MS, else the
 * one whose basic CID is the data CID less 640 (tekho's layout), else none. */
static size_t ms_of_data(const struct analysis *a, uint16_t cid)
{
    if (a->n_ms == 1)
        return 0;
    for (size_t i = 0; i < a->n_ms; i++)
        if (a->ms[i].has_basic && (uint32_t)a->ms[i].basic_cid + TEKHO_MGMT_CID_MAX == cid)
            return i;
    return SIZE_MAX;
}

static struct handover *current(struct analysis *a, size_t ms)
{
    const long h = a->ms[ms].ho;
    return h >= 0 && !a->ho[h].closed ? &a->ho[h] : NULL;
}

static void close_ho(struct analysis *a, size_t ms)
{
    struct handover *h = current(a, ms);
    if (h == NULL)
        return;
    h->closed = true;
}

/* N as the backbone last carried it for the MS (the target's AK context). */
static void note_n(struct handover *h, const struct ms_state *s)
{
    h->has_count_bb = s->has_n;
    h->count_bb = s->n;
}

static void tally_keys(struct analysis *a, size_t ms, const struct aev *e)
{
    struct handover *h = current(a, ms);
    if (h == NULL)
        return;
    h->keys_ok += e->cmac == V_OK || e->decrypt == V_OK;
    h->keys_bad += e->cmac == V_BAD || e->decrypt == V_BAD;
}

/* A new TEK for every EKS of the MS (a handover with new TEKs). */
static void new_epochs(struct ms_state *s, int dir_mask)
{
    for (int k = 0; k < 4; k++)
        for (int d = 0; d < 2; d++)
            if (dir_mask & (1 << d))
                s->epoch[k][d]++;
}

static size_t identity_of(struct analysis *a, size_t ms, const struct aev *e)
{
    const uint8_t dir = e->uplink ? 0 : 1;
    const bool by_tek = e->tek_known;
    const uint32_t epoch = by_tek ? 0 : a->ms[ms].epoch[e->eks & 3][dir];
    for (size_t i = 0; i < a->n_id; i++) {
        const struct identity *x = &a->id[i];
        if (x->ms == ms && x->dir == dir && x->by_tek == by_tek &&
            (by_tek ? memcmp(x->tek_fp, e->tek_fp, 8) == 0 : (x->eks == e->eks && x->epoch == epoch)))
            return i;
    }
    if (!grow((void **)&a->id, &a->cap_id, a->n_id + 1, sizeof *a->id)) {
        a->oom = true;
        return SIZE_MAX;
    }
    struct identity *x = &a->id[a->n_id];
    memset(x, 0, sizeof *x);
    x->ms = ms;
    x->dir = dir;
    x->eks = e->eks;
    x->by_tek = by_tek;
    memcpy(x->tek_fp, e->tek_fp, 8);
    x->epoch = epoch;
    return a->n_id++;
}

/* The slot of (identity, pn) in the open-addressing table. */
static struct pn_seen *pn_slot(struct analysis *a, uint64_t key)
{
    if (a->n_pns * 2 >= a->cap_pns) {
        const size_t cap = a->cap_pns ? a->cap_pns * 2 : 4096;
        struct pn_seen *t = calloc(cap, sizeof *t);
        if (t == NULL) {
            a->oom = true;
            return NULL;
        }
        for (size_t i = 0; i < a->cap_pns; i++) {
            if (a->pns[i].key == 0)
                continue;
            size_t j = (size_t)(a->pns[i].key * 0x9E3779B97F4A7C15ull) & (cap - 1);
            while (t[j].key != 0)
                j = (j + 1) & (cap - 1);
            t[j] = a->pns[i];
        }
        free(a->pns);
        a->pns = t;
        a->cap_pns = cap;
    }
    size_t j = (size_t)(key * 0x9E3779B97F4A7C15ull) & (a->cap_pns - 1);
    while (a->pns[j].key != 0 && a->pns[j].key != key)
        j = (j + 1) & (a->cap_pns - 1);
    return &a->pns[j];
}

static void check_pn(struct analysis *a, size_t ms, const struct aev *e)
{
    if (e->decrypt == V_BAD || !e->dir_known)
        return; /* a PDU the keys do not open is not the key holder's */
    const size_t idx = identity_of(a, ms, e);
    if (idx == SIZE_MAX)
        return;
    struct identity *x = &a->id[idx];
    const uint64_t key = (uint64_t)(idx + 1) << 32 | e->pn;
    struct pn_seen *s = pn_slot(a, key);
    if (s == NULL)
        return;
    if (s->key == key) {
        if (memcmp(s->digest, e->digest, 8) == 0) {
            a->duplicates++; /* the same PDU again: a repeat, not a second use of the nonce */
            return;
        }
        const uint64_t fr[2] = {s->frame, e->frame};
        char d[96];
        snprintf(d, sizeof d, "%s PN %lu, EKS %u, twice under one %s", e->uplink ? "UL" : "DL",
                 (unsigned long)e->pn, e->eks, x->by_tek ? "TEK (opened both)" : "key epoch");
        anomaly(a, "pn-reuse", ms, fr, 2, d);
        return;
    }
    s->key = key;
    memcpy(s->digest, e->digest, 8);
    s->frame = e->frame;
    a->n_pns++;
    if (x->has_last && e->pn < x->last_pn) {
        const uint64_t fr[2] = {x->last_frame, e->frame};
        char d[96];
        snprintf(d, sizeof d, "%s PN %lu after %lu, EKS %u", e->uplink ? "UL" : "DL", (unsigned long)e->pn,
                 (unsigned long)x->last_pn, e->eks);
        anomaly(a, "pn-backwards", ms, fr, 2, d);
    }
    if (!x->has_last || e->pn > x->last_pn) {
        x->has_last = true;
        x->last_pn = e->pn;
        x->last_frame = e->frame;
    }
}

/* Management messages sent by the MS (uplink) and by the BS. */
static bool mgmt_uplink(uint8_t type)
{
    switch (type) {
    case TEKHO_MGMT_RNG_REQ:
    case TEKHO_MGMT_PKM_REQ:
    case TEKHO_MGMT_SBC_REQ:
    case TEKHO_MGMT_MOB_MSHO_REQ:
    case TEKHO_MGMT_MOB_HO_IND: return true;
    default: return false;
    }
}

static void check_cmac_pn(struct analysis *a, size_t ms, const struct aev *e)
{
    if (!e->has_cmac_pn || e->cmac == V_BAD)
        return;
    const struct ms_state *s = &a->ms[ms];
    const uint8_t dir = mgmt_uplink(e->mgmt) ? 0 : 1;
    const bool by_key = e->cmac_key_known;
    const uint16_t count = by_key ? e->cmac_count
                           : e->mgmt == TEKHO_MGMT_RNG_REQ && e->has_count ? e->count
                                                                            : s->count;
    static const uint8_t none[6] = {0};
    const uint8_t *bsid = s->has_bsid ? s->bsid : none;
    for (size_t i = 0; i < a->n_mg; i++) {
        const struct mgmt_seen *m = &a->mg[i];
        if (m->ms != ms || m->dir != dir || m->by_key != by_key || m->count != count || m->cmac_pn != e->cmac_pn)
            continue;
        if (by_key ? memcmp(m->akid, e->cmac_akid, 8) == 0
                   : m->key_seq == e->key_seq && m->ak_epoch == s->ak_epoch && memcmp(m->bsid, bsid, 6) == 0) {
            const uint64_t fr[2] = {m->frame, e->frame};
            char d[96];
            snprintf(d, sizeof d, "%s with CMAC_PN %lu again (CMAC_KEY_COUNT %u)", e->type,
                     (unsigned long)e->cmac_pn, count);
            anomaly(a, "replayed-mgmt", ms, fr, 2, d);
            return;
        }
    }
    if (!grow((void **)&a->mg, &a->cap_mg, a->n_mg + 1, sizeof *a->mg)) {
        a->oom = true;
        return;
    }
    struct mgmt_seen *m = &a->mg[a->n_mg++];
    *m = (struct mgmt_seen){.ms = ms, .dir = dir, .key_seq = e->key_seq, .by_key = by_key, .ak_epoch = s->ak_epoch,
                            .count = count, .cmac_pn = e->cmac_pn, .frame = e->frame};
    memcpy(m->akid, e->cmac_akid, 8);
    memcpy(m->bsid, bsid, 6);
}

/* Without keys: a counter target takes the MS's count (self-synchronises
 * or resynchronises) when it first hears the MS, its first uplink PDU or
 * RNG-REQ arriving, so its downlink before and after that are kept apart
 * as two key epochs. */
static void heard(struct analysis *a, struct handover *h, uint64_t t)
{
    const uint64_t at = arrival(a, t, true);
    if (h->tek_mode != TEKHO_HO_TEK_COUNTER || h->resync_done || (h->resync && h->resync_at <= at))
        return;
    h->resync = true;
    h->resync_at = at;
}

static void on_mgmt(struct analysis *a, const struct aev *e)
{
    const size_t ms = ms_of_mgmt(a, e);
    if (ms == SIZE_MAX)
        return;
    struct ms_state *s = &a->ms[ms];
    tally_keys(a, ms, e);
    /* A PKM message naming an AK not seen before: a new AK context (after
     * a re-authentication), whose counts start again. */
    if (e->has_akid && (!s->has_akid || memcmp(s->akid, e->akid, 8) != 0)) {
        s->has_akid = true;
        memcpy(s->akid, e->akid, 8);
        s->ak_epoch++;
        s->has_max_count = false;
    }
    check_cmac_pn(a, ms, e);
    switch (e->mgmt) {
    case TEKHO_MGMT_MOB_BSHO_RSP:
        if (e->has_bsid && e->has_tek_mode) {
            s->has_offer = true;
            memcpy(s->offer_bsid, e->bsid, 6);
            s->offer_mode = e->tek_mode;
        }
        break;
    case TEKHO_MGMT_MOB_HO_IND: {
        if (!e->ho_release)
            break;
        close_ho(a, ms);
        if (!grow((void **)&a->ho, &a->cap_ho, a->n_ho + 1, sizeof *a->ho)) {
            a->oom = true;
            break;
        }
        struct handover *h = &a->ho[a->n_ho];
        memset(h, 0, sizeof *h);
        h->ms = ms;
        h->has_serving = s->has_bsid;
        memcpy(h->serving, s->bsid, 6);
        memcpy(h->target, e->bsid, 6);
        h->t0 = e->t;
        h->frame0 = e->frame;
        h->serving_stop = arrival(a, e->t, true);
        h->tek_mode = s->has_offer && memcmp(s->offer_bsid, e->bsid, 6) == 0 ? s->offer_mode : -1;
        h->keys_ok = e->cmac == V_OK;
        h->keys_bad = e->cmac == V_BAD;
        h->window = true;
        note_n(h, s);
        s->ho = (long)a->n_ho++;
        s->has_bsid = true;
        memcpy(s->bsid, e->bsid, 6);
        s->stay_mode = h->tek_mode;
        /* New TEKs at the target unless it reuses the serving BS's: its
         * uplink from now, its downlink once MOB_HO-IND reached the
         * serving BS (on_data moves the downlink then). */
        if (h->tek_mode != TEKHO_HO_TEK_REUSE)
            new_epochs(s, 1);
        break;
    }
    case TEKHO_MGMT_RNG_REQ: {
        struct handover *h = current(a, ms);
        if (e->ho_ranging && h != NULL)
            heard(a, h, e->t);
        if (e->ho_ranging && h != NULL && !h->has_serving && e->has_bsid) {
            h->has_serving = true;
            memcpy(h->serving, e->bsid, 6);
        }
        /* An initial ranging (no count, no handover): a network entry,
         * answered below. */
        if (!e->ho_ranging && !e->has_count && e->has_mac)
            s->entry_pending = true;
        if (e->has_count) {
            /* The same handover's RNG-REQ again (its RNG-RSP lost: a
             * fresh CMAC_PN, the same count) is no stale count. */
            const bool again = h != NULL && h->has_count_ms && e->count == h->count_ms;
            if (e->ho_ranging && s->has_max_count && e->count <= s->max_count && !again) {
                s->stale_pending = true;
                s->stale_frame = e->frame;
                s->stale_count = e->count;
            } else {
                s->stale_pending = false;
            }
            if (e->ho_ranging && h != NULL && !h->has_count_ms) {
                h->has_count_ms = true;
                h->count_ms = e->count;
                note_n(h, s);
            }
            if (!s->has_max_count || e->count > s->max_count) {
                s->has_max_count = true;
                s->max_count = e->count;
                s->count = e->count;
            }
        }
        break;
    }
    case TEKHO_MGMT_RNG_RSP: {
        struct handover *h = current(a, ms);
        if (e->has_tek_mode && h != NULL) {
            h->tek_mode = e->tek_mode;
            s->stay_mode = e->tek_mode;
        }
        if (h != NULL)
            h->rng_rsp_seen = true;
        if (s->stale_pending && e->ranging_success) {
            const uint64_t fr[2] = {s->stale_frame, e->frame};
            char d[96];
            snprintf(d, sizeof d, "RNG-REQ with CMAC_KEY_COUNT %u, not above %u, answered with success",
                     s->stale_count, s->max_count);
            anomaly(a, "stale-count-accepted", ms, fr, 2, d);
        }
        s->stale_pending = false;
        /* A network entry the BS accepted comes with a new PMK
         * (re-authentication, profile 4): a new AK epoch, its CMAC keys at
         * count 0, the counts of its handovers starting again. */
        if (s->entry_pending && e->ranging_success && !e->has_tek_mode) {
            s->ak_epoch++;
            s->has_max_count = false;
            s->count = 0;
        }
        s->entry_pending = false;
        break;
    }
    default:
        break;
    }
    struct handover *hw = current(a, ms);
    if (e->n_tek_params > 0 && hw != NULL && !mgmt_uplink(e->mgmt)) {
        hw->has_keys_at = true;
        hw->keys_at = arrival(a, e->last_t, false);
    }
    if (e->n_tek_params > 0) {
        /* Inside the handover only: a TEK refresh later in the stay is PKM's ordinary business. */
        if (hw != NULL && hw->window &&
            (hw->tek_mode == TEKHO_HO_TEK_COUNTER || hw->tek_mode == TEKHO_HO_TEK_REUSE)) {
            const uint64_t fr[1] = {e->frame};
            char d[96];
            snprintf(d, sizeof d, "%s carries %u TEK parameters in a %s handover", e->type, e->n_tek_params,
                     hw->tek_mode == TEKHO_HO_TEK_COUNTER ? "counter" : "reuse");
            anomaly(a, "tek-on-air", ms, fr, 1, d);
        }
        new_epochs(s, 3); /* delivered TEKs: new keys for both directions */
    }
    if (hw != NULL && hw->rng_rsp_seen && hw->resumed[0] && hw->resumed[1])
        hw->window = false;
}

static void on_data(struct analysis *a, const struct aev *e)
{
    const size_t ms = e->has_cid ? ms_of_data(a, e->cid) : SIZE_MAX;
    if (ms == SIZE_MAX) {
        a->unattributed++;
        return;
    }
    struct ms_state *s = &a->ms[ms];
    struct handover *h = current(a, ms);
    if (!e->encrypted)
        s->plain_data = true;
    if (h != NULL && e->dir_known) {
        const int d = e->uplink ? 0 : 1;
        /* Downlink until MOB_HO-IND reaches the serving BS is the serving
         * BS's, never delivered; from then on, the target's. */
        bool target = e->t >= h->t0 && (e->uplink || e->t >= h->serving_stop);
        if (target && e->tek_known && e->uplink && !h->has_ul_tek) {
            h->has_ul_tek = true;
            memcpy(h->ul_tek, e->tek_fp, 8);
            h->ul_eks = e->eks;
        }
        /* With keys: downlink under a TEK other than the one the MS sends
         * with (same EKS) is one it cannot open (the BS's count lagged the
         * MS's): not delivered. */
        const bool foreign_tek = target && !e->uplink && e->tek_known && h->has_ul_tek && e->eks == h->ul_eks &&
                                 memcmp(e->tek_fp, h->ul_tek, 8) != 0;
        if (foreign_tek && !h->resumed[d]) {
            h->saw_encrypted = true;
            target = false;
        }
        /* It arrived with its last HARQ retransmission: a later PDU sent
         * with none may have come first. */
        const uint64_t at = arrival(a, e->last_t, e->uplink);
        /* Downlink under TEKs a message brings the MS opens once it has
         * them: not before that message arrived, nor with it when
         * processing it takes time. */
        const bool opened = e->uplink || !h->has_keys_at ||
                            (a->mgmt_processing ? at > h->keys_at : at >= h->keys_at);
        /* A PDU that would arrive after the capture ended (the run
         * stopped first) resumed nothing that the capture can show. */
        if (target && opened && !h->resumed[d] && arrival(a, e->t, e->uplink) <= a->capture_end) {
            if (!e->uplink && h->tek_mode != TEKHO_HO_TEK_REUSE)
                new_epochs(s, 2);
            h->resumed[d] = true;
            h->resumed_at[d] = at;
            h->resumed_frame[d] = e->frame;
        } else if (target && opened && at < h->resumed_at[d]) {
            h->resumed_at[d] = at;
            h->resumed_frame[d] = e->frame;
        }
        if (target && e->uplink)
            heard(a, h, e->t);
        if (!e->uplink && h->resync && e->t >= h->resync_at) {
            h->resync = false;
            h->resync_done = true;
            new_epochs(s, 2);
        }
        if (target) {
            h->saw_plain |= !e->encrypted;
            h->saw_encrypted |= e->encrypted;
        }
        tally_keys(a, ms, e);
        if (h->rng_rsp_seen && h->resumed[0] && h->resumed[1])
            h->window = false;
    }
    if (e->encrypted)
        check_pn(a, ms, e);
}

/* HARQ: a PDU whose first transmission failed is sent again, the same
 * bytes, harq_retx_frames (2) later, up to harq_max_retx (4) times; a
 * capture taken on the air holds every copy. A PDU byte for byte the same
 * as one on the same CID 2, 4, 6 or 8 frames before is one of those: not
 * a second use of its PN or CMAC_PN (a PDU sealed again under the same
 * key and PN differs: pn-reuse still), nor a message of its own. Returns
 * the index (in v, time order) of the first transmission, or SIZE_MAX. */
#define HARQ_MAX_FRAMES 8
static size_t harq_original(const struct analysis *a, const struct aev *v, size_t i)
{
    const struct aev *e = &v[i];
    if (e->err || !e->has_cid || (e->what != DECODED_AIR_MGMT && e->what != DECODED_AIR_DATA))
        return SIZE_MAX;
    const uint64_t f = e->t / a->frame_us;
    for (size_t j = i; j-- > 0;) {
        const struct aev *x = &v[j];
        const uint64_t fx = x->t / a->frame_us;
        if (fx + HARQ_MAX_FRAMES < f)
            break;
        if (x->err || x->what != e->what || x->file != e->file || !x->has_cid || x->cid != e->cid ||
            memcmp(x->digest, e->digest, 8) != 0)
            continue;
        if (f - fx >= 2 && (f - fx) % 2 == 0)
            return x->retx_of != SIZE_MAX ? x->retx_of : j;
    }
    return SIZE_MAX;
}

static void on_backbone(struct analysis *a, const struct aev *e)
{
    if (!e->asncp || !e->has_count)
        return;
    const size_t ms = ms_by_mac(a, e->msid, false);
    if (ms == SIZE_MAX)
        return;
    a->ms[ms].has_n = true;
    a->ms[ms].n = e->count;
}

/* ---- output --------------------------------------------------------------- */

static const char *scheme_of(const struct handover *h)
{
    if (h->saw_plain && !h->saw_encrypted)
        return "none";
    switch (h->tek_mode) {
    case TEKHO_HO_TEK_COUNTER: return "counter";
    case TEKHO_HO_TEK_UPDATE: return "baseline-update";
    case TEKHO_HO_TEK_REAUTH: return "baseline-full";
    case TEKHO_HO_TEK_REUSE: return "reuse";
    default: return "unknown";
    }
}

static void ms_name(const struct analysis *a, size_t ms, char out[24])
{
    const struct ms_state *s = &a->ms[ms];
    if (s->has_mac)
        snprintf(out, 24, "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1], s->mac[2], s->mac[3], s->mac[4],
                 s->mac[5]);
    else
        snprintf(out, 24, "cid %u", s->has_basic ? s->basic_cid : 0);
}

static void hex6(const uint8_t b[6], char out[13])
{
    snprintf(out, 13, "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static double ms_of(uint64_t us)
{
    return (double)us / 1000.0;
}

static const char *keys_of(const struct analysis *a, const struct handover *h)
{
    if (h->keys_bad)
        return "bad";
    return a->keys && h->keys_ok ? "ok" : "unchecked";
}

static void print_json(const struct analysis *a)
{
    printf("{\"handovers\": [");
    for (size_t i = 0; i < a->n_ho; i++) {
        const struct handover *h = &a->ho[i];
        char ms[24], sv[13], tg[13];
        ms_name(a, h->ms, ms);
        hex6(h->serving, sv);
        hex6(h->target, tg);
        printf("%s{\"ms\": \"%s\", \"serving\": %s%s%s, \"target\": \"%s\", \"scheme\": \"%s\", \"left_frame\": %llu, "
               "\"left_s\": %.6f, \"interruption_ms\": {",
               i ? ", " : "", ms, h->has_serving ? "\"" : "", h->has_serving ? sv : "null", h->has_serving ? "\"" : "",
               tg, scheme_of(h), (unsigned long long)h->frame0, (double)h->t0 / 1e6);
        static const char *const dn[2] = {"ul", "dl"};
        for (int d = 0; d < 2; d++) {
            if (h->resumed[d])
                printf("\"%s\": %.3f, ", dn[d], ms_of(h->resumed_at[d] - h->t0));
            else
                printf("\"%s\": null, ", dn[d]);
        }
        if (h->resumed[0] && h->resumed[1]) {
            const uint64_t both = h->resumed_at[0] > h->resumed_at[1] ? h->resumed_at[0] : h->resumed_at[1];
            printf("\"union\": %.3f}", ms_of(both - h->t0));
        } else {
            printf("\"union\": null}");
        }
        printf(", \"resumed_frames\": {\"ul\": ");
        h->resumed[0] ? printf("%llu", (unsigned long long)h->resumed_frame[0]) : printf("null");
        printf(", \"dl\": ");
        h->resumed[1] ? printf("%llu", (unsigned long long)h->resumed_frame[1]) : printf("null");
        printf("}, \"count_ms\": ");
        h->has_count_ms ? printf("%u", h->count_ms) : printf("null");
        printf(", \"count_backbone\": ");
        h->has_count_bb ? printf("%u", h->count_bb) : printf("null");
        printf(", \"keys\": \"%s\"}", keys_of(a, h));
    }
    printf("], \"anomalies\": [");
    for (size_t i = 0; i < a->n_an; i++) {
        const struct anomaly *x = &a->an[i];
        char ms[24];
        ms_name(a, x->ms, ms);
        printf("%s{\"kind\": \"%s\", \"ms\": \"%s\", \"frames\": [", i ? ", " : "", x->kind, ms);
        for (size_t j = 0; j < x->n_frames; j++)
            printf("%s%llu", j ? ", " : "", (unsigned long long)x->frames[j]);
        printf("], \"detail\": \"%s\"}", x->detail);
    }
    printf("]}\n");
}

static void print_text(const struct analysis *a)
{
    for (size_t i = 0; i < a->n_ho; i++) {
        const struct handover *h = &a->ho[i];
        char ms[24], sv[13], tg[13];
        ms_name(a, h->ms, ms);
        hex6(h->serving, sv);
        hex6(h->target, tg);
        printf("handover %zu: ms %s, %s -> %s, %s, left at frame %llu (%.6f s)\n", i + 1, ms,
               h->has_serving ? sv : "?", tg, scheme_of(h), (unsigned long long)h->frame0, (double)h->t0 / 1e6);
        printf("  interruption");
        static const char *const dn[2] = {"ul", "dl"};
        for (int d = 0; d < 2; d++) {
            if (h->resumed[d])
                printf(" %s %.1f ms (frame %llu)", dn[d], ms_of(h->resumed_at[d] - h->t0),
                       (unsigned long long)h->resumed_frame[d]);
            else
                printf(" %s never resumed", dn[d]);
        }
        if (h->resumed[0] && h->resumed[1]) {
            const uint64_t both = h->resumed_at[0] > h->resumed_at[1] ? h->resumed_at[0] : h->resumed_at[1];
            printf(", union %.1f ms", ms_of(both - h->t0));
        }
        printf("\n  counts: ms ");
        h->has_count_ms ? printf("%u", h->count_ms) : printf("?");
        printf(", backbone ");
        h->has_count_bb ? printf("%u", h->count_bb) : printf("?");
        printf("; keys %s\n", keys_of(a, h));
    }
    for (size_t i = 0; i < a->n_an; i++) {
        const struct anomaly *x = &a->an[i];
        char ms[24];
        ms_name(a, x->ms, ms);
        printf("anomaly %s: ms %s, frames", x->kind, ms);
        for (size_t j = 0; j < x->n_frames; j++)
            printf("%s%llu", j ? "," : " ", (unsigned long long)x->frames[j]);
        printf(": %s\n", x->detail);
    }
    printf("summary: handovers=%zu anomalies=%zu ms=%zu repeated_pdus=%lu unattributed_pdus=%lu harq_copies=%lu\n",
           a->n_ho, a->n_an, a->n_ms, a->duplicates, a->unattributed, a->harq_copies);
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* DIR/timeline-N.dat per MS, DIR/cdf_{ul,dl,union}.dat and the plots. */
/* fopen for writing, or NULL after "tekho analyze: --report: cannot write 'PATH': reason". */
static FILE *report_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fprintf(stderr, "tekho analyze: --report: cannot write '%s': %s\n", path, strerror(errno));
    return f;
}

static bool write_report(const struct analysis *a, const struct aev *ev, size_t n_ev, const char *dir)
{
    if (cli_mkdirs(dir) != 0) {
        fprintf(stderr, "tekho analyze: --report: cannot create '%s': %s\n", dir, strerror(errno));
        return false;
    }
    char path[4200];
    for (size_t m = 0; m < a->n_ms; m++) {
        snprintf(path, sizeof path, "%s/timeline-%zu.dat", dir, m + 1);
        FILE *f = report_file(path);
        if (f == NULL)
            return false;
        char name[24];
        ms_name(a, m, name);
        fprintf(f, "# MS %s: time (s), frame, lane (1 UL data, 2 DL data, 3 management, 4 handover), what\n", name);
        for (size_t i = 0; i < a->n_ho; i++)
            if (a->ho[i].ms == m)
                fprintf(f, "%.6f %llu 4 MOB_HO-IND\n", (double)a->ho[i].t0 / 1e6,
                        (unsigned long long)a->ho[i].frame0);
        for (size_t i = 0; i < n_ev; i++) {
            const struct aev *e = &ev[i];
            if (e->what == DECODED_AIR_DATA && e->dir_known && e->has_cid && ms_of_data(a, e->cid) == m)
                fprintf(f, "%.6f %llu %d Data\n", (double)e->t / 1e6, (unsigned long long)e->frame,
                        e->uplink ? 1 : 2);
            else if (e->what == DECODED_AIR_MGMT && e->has_cid && unicast(e->cid) && a->ms[m].has_basic &&
                     e->cid == a->ms[m].basic_cid)
                fprintf(f, "%.6f %llu 3 %s\n", (double)e->t / 1e6, (unsigned long long)e->frame, e->type);
        }
        fclose(f);
    }
    static const char *const dn[3] = {"ul", "dl", "union"};
    for (int d = 0; d < 3; d++) {
        double *v = malloc((a->n_ho + 1) * sizeof *v);
        if (v == NULL)
            return false;
        size_t n = 0;
        for (size_t i = 0; i < a->n_ho; i++) {
            const struct handover *h = &a->ho[i];
            if (d < 2 && h->resumed[d])
                v[n++] = ms_of(h->resumed_at[d] - h->t0);
            else if (d == 2 && h->resumed[0] && h->resumed[1])
                v[n++] = ms_of((h->resumed_at[0] > h->resumed_at[1] ? h->resumed_at[0] : h->resumed_at[1]) - h->t0);
        }
        qsort(v, n, sizeof *v, cmp_double);
        snprintf(path, sizeof path, "%s/cdf_%s.dat", dir, dn[d]);
        FILE *f = report_file(path);
        if (f == NULL) {
            free(v);
            return false;
        }
        fprintf(f, "# interruption (ms), fraction of handovers at or below\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%.3f %.6f\n", v[i], (double)(i + 1) / (double)n);
        fclose(f);
        free(v);
    }
    char script[8192];
    int len = snprintf(script, sizeof script,
                       "set terminal pngcairo size 900,500\n"
                       "set output 'cdf.png'\n"
                       "set title 'Handover interruption (tekho analyze)'\n"
                       "set xlabel 'interruption (ms)'\nset ylabel 'fraction of handovers'\n"
                       "set key bottom right\nset yrange [0:1.05]\n"
                       "plot 'cdf_ul.dat' using 1:2 with steps title 'UL', 'cdf_dl.dat' using 1:2 with steps "
                       "title 'DL', 'cdf_union.dat' using 1:2 with steps title 'union'\n");
    for (size_t m = 0; m < a->n_ms && len > 0 && (size_t)len < sizeof script - 512; m++)
        len += snprintf(script + len, sizeof script - (size_t)len,
                        "set output 'timeline-%zu.png'\nset title 'MS %zu'\nset xlabel 'time (s)'\n"
                        "set ylabel ''\nset yrange [0.5:4.5]\nset ytics ('UL data' 1, 'DL data' 2, "
                        "'management' 3, 'MOB-HO-IND' 4)\nunset key\n"
                        "plot 'timeline-%zu.dat' using 1:3 with points pt 7 ps 0.4\nunset ytics\nset ytics\n",
                        m + 1, m + 1, m + 1);
    if (!report_gnuplot(dir, script))
        fprintf(stderr, "tekho analyze: warning: gnuplot %s: no plots (their data is in %s: timeline-*.dat, "
                        "cdf_*.dat)\n",
                report_have_tool("gnuplot") ? "failed" : "is not installed", dir);
    return true;
}

/* ---- the command ----------------------------------------------------------- */

/* Reads one file through the decoder into ev. Returns false after printing why. */
static bool read_file(struct decoder *d, struct events *ev, const char *path, uint16_t port, bool json)
{
    struct tekho_capture_reader *r = NULL;
    bool ok = tekho_capture_read_open(path, &r) == TEKHO_OK;
    tekho_capture_reader_set_asncp_port(r, port);
    while (ok) {
        struct tekho_capture_record rec;
        bool got = false;
        if (tekho_capture_next(r, &rec, &got) != TEKHO_OK) {
            ok = false;
            break;
        }
        if (!got)
            break;
        decoder_record(d, &rec);
    }
    if (!ok) {
        cli_fail(&ANALYZE_CMD, json, tekho_capture_reader_error(r));
    } else if (ev->oom) {
        cli_fail(&ANALYZE_CMD, json, "out of memory");
        ok = false;
    }
    tekho_capture_read_close(r);
    return ok;
}

int cmd_analyze(int argc, char **argv)
{
    struct cli_args args;
    int rc = cli_parse(&ANALYZE_CMD, argc, argv, &args);
    if (rc >= 0)
        return rc;
    const bool json = args.json;
    /* The files are the operands (argv's strings, valid after cli_args_free). */
    const char *const *paths = args.operands;
    const size_t n_paths = args.n_operands;
    if (args.v[OPT_REPORT].present &&
        (rc = cli_output_dir(&ANALYZE_CMD, "report", (const char *)args.v[OPT_REPORT].bytes)) >= 0) {
        cli_args_free(&args);
        return rc;
    }
    struct decoder *d = decoder_new(false);
    struct analysis *a = calloc(1, sizeof *a);
    struct events ev = {0};
    char report_dir[4096] = "";
    uint16_t port = TEKHO_CAPTURE_UDP_PORT;
    if (d == NULL || a == NULL) {
        rc = cli_fail(&ANALYZE_CMD, json, "out of memory");
    } else {
        rc = decoder_load_options(d, &ANALYZE_CMD, &args, OPT_MSK, OPT_ASNCP_PORT, &port);
        a->frame_us = args.v[OPT_FRAME_US].present ? args.v[OPT_FRAME_US].num : 5000;
        a->dl_percent = args.v[OPT_DL_PERCENT].present ? (unsigned)args.v[OPT_DL_PERCENT].num : 50;
        a->mgmt_processing = args.v[OPT_MGMT_PROCESSING].present;
        a->keys = args.v[OPT_MSK].present || args.v[OPT_MSK + 4].present || args.v[OPT_MSK + 5].present;
        if (args.v[OPT_REPORT].present)
            snprintf(report_dir, sizeof report_dir, "%s", (const char *)args.v[OPT_REPORT].bytes);
    }
    cli_args_free(&args);
    if (rc < 0) {
        d->sink = collect;
        d->sink_ctx = &ev;
        /* Files that are not USER0 first: their counts (ASN-CP's N) help
         * verify the air's CMACs. */
        for (int pass = 0; pass < 2 && rc < 0; pass++) {
            for (size_t i = 0; i < n_paths && rc < 0; i++) {
                struct tekho_capture_reader *r = NULL;
                const bool air = tekho_capture_read_open(paths[i], &r) == TEKHO_OK &&
                                 tekho_capture_reader_linktype(r) == TEKHO_LINKTYPE_USER0;
                tekho_capture_read_close(r);
                if (air != (pass == 1))
                    continue;
                ev.file = (unsigned)i;
                if (!read_file(d, &ev, paths[i], port, json))
                    rc = CLI_EXIT_FAILED;
            }
        }
    }
    if (rc < 0) {
        qsort(ev.v, ev.n, sizeof *ev.v, by_time);
        a->capture_end = ev.n ? ev.v[ev.n - 1].t : 0;
        /* HARQ retransmissions first: each PDU knows its last copy */
        for (size_t i = 0; i < ev.n; i++) {
            const size_t first = harq_original(a, ev.v, i);
            if (first != SIZE_MAX) {
                ev.v[i].retx_of = first;
                ev.v[first].last_t = ev.v[i].t;
                a->harq_copies++;
            }
        }
        for (size_t i = 0; i < ev.n; i++) {
            const struct aev *e = &ev.v[i];
            if (e->err || e->retx_of != SIZE_MAX)
                continue;
            if (e->what == DECODED_AIR_MGMT)
                on_mgmt(a, e);
            else if (e->what == DECODED_AIR_DATA)
                on_data(a, e);
            else if (e->what == DECODED_BACKBONE)
                on_backbone(a, e);
        }
        for (size_t m = 0; m < a->n_ms; m++)
            close_ho(a, m);
        if (a->oom) {
            rc = cli_fail(&ANALYZE_CMD, json, "out of memory");
        } else {
            if (json)
                print_json(a);
            else
                print_text(a);
            rc = CLI_EXIT_OK;
            if (report_dir[0] && !write_report(a, ev.v, ev.n, report_dir))
                rc = CLI_EXIT_FAILED;
        }
    }
    if (a != NULL) {
        free(a->ho);
        free(a->an);
        free(a->id);
        free(a->pns);
        free(a->mg);
        free(a);
    }
    free(ev.v);
    decoder_free(d);
    return rc;
}
