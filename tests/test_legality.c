/* The legality tables, pair by pair: each role (MS, BS per MS, the
 * Authenticator) is driven into every state it has, in the emulator, and
 * fed there a well-formed message of every type its state must refuse,
 * from every sender that could have sent it. Each must come back
 * TEKHO_ERR_UNEXPECTED_MESSAGE with no action and nothing the public API
 * shows changed; then the run goes on next to a twin that never saw those
 * messages, and the two must stay identical to the end (every event and
 * message of the trace), so no hidden state moved either.
 *
 * The tables below are this test's own statement of what each state
 * accepts, written from the protocol, not read from the library: a row
 * widened in src/roles lets a message through that this test feeds, and
 * the handler behind it shows (a refusal of another kind, an action, a
 * changed state or a diverging twin).
 *
 * The messages: each type built by the encoders, and the first of that
 * type the same scenario sent in a run of its own (real CMACs, real
 * transactions), so that a message let through is one a handler could act
 * on. Messages of the other direction, which no state of a role takes, are
 * fed in every state too. */
#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "tekho/sim.h"
#include "tekho/tekho.h"
#include "test_util.h"

#define MS_(x) ((uint64_t)(x) * 1000u)
#define N_BS 3u
#define END_US MS_(1500)
#define STEP_US 100u
#define OTHER_MS 5u /* an MS no role ever hears of */

/* ---- what each state accepts (the test's own tables) --------------------- */

enum ms_type { MT_DATA, MT_RNG_RSP, MT_SBC_RSP, MT_KEY_REPLY, MT_TEK_INVALID, MT_SA_TEK_CHALLENGE, MT_SA_TEK_RESPONSE,
               MT_BSHO_RSP, MT_EAP_TRANSFER, MS_TYPES };
static const char *const MS_TYPE_NAMES[MS_TYPES] = {"data", "RNG-RSP", "SBC-RSP", "Key-Reply", "TEK-Invalid",
                                                    "SA-TEK-Challenge", "SA-TEK-Response", "MOB_BSHO-RSP",
                                                    "EAP-Transfer"};
#define M(x) (1u << MT_##x)
#define MS_STATES (TEKHO_MS_RELEASED + 1)
static const uint32_t MS_SPEC[MS_STATES] = {
    [TEKHO_MS_IDLE] = 0,
    [TEKHO_MS_ENTRY_RANGING] = M(DATA) | M(RNG_RSP),
    [TEKHO_MS_SBC_WAIT] = M(DATA) | M(SBC_RSP),
    [TEKHO_MS_KEY_WAIT] = M(DATA) | M(KEY_REPLY),
    [TEKHO_MS_OPERATIONAL] = M(DATA) | M(TEK_INVALID),
    [TEKHO_MS_HO_REQUESTED] = M(DATA) | M(BSHO_RSP),
    [TEKHO_MS_HO_SYNC] = M(DATA),
    [TEKHO_MS_HO_RANGING] = M(DATA) | M(RNG_RSP),
    [TEKHO_MS_REAUTH] = M(DATA) | M(SA_TEK_CHALLENGE) | M(EAP_TRANSFER),
    [TEKHO_MS_SA_TEK] = M(DATA) | M(SA_TEK_CHALLENGE) | M(SA_TEK_RESPONSE),
    [TEKHO_MS_RELEASED] = 0,
};

/* BS inputs: air first, then the ASN-CP messages in enum tekho_asncp_msg order. */
enum bs_type { BT_DATA, BT_RNG_REQ, BT_SBC_REQ, BT_KEY_REQUEST, BT_SA_TEK_REQUEST, BT_MSHO_REQ, BT_HO_IND,
               BT_EAP_TRANSFER, BT_BACKBONE, BS_TYPES = BT_BACKBONE + TEKHO_ASNCP_MSG_COUNT };
static const char *const BS_AIR_NAMES[BT_BACKBONE] = {"data",           "RNG-REQ",      "SBC-REQ",    "Key-Request",
                                                      "SA-TEK-Request", "MOB_MSHO-REQ", "MOB_HO-IND", "EAP-Transfer"};
#define B(x) (1u << BT_##x)
#define BB(x) (1u << (BT_BACKBONE + TEKHO_ASNCP_##x))
enum { BS_ROWS = 10 };
static const char *const BS_ROW_NAMES[BS_ROWS] = {"NONE",         "ENTERING",      "SERVING",       "SOURCE",
                                                  "TARGET_PREPARING", "TARGET_READY", "TARGET_REAUTH",
                                                  "TARGET_SA_TEK", "CACHED",        "HANDED_OVER"};
static const uint32_t BS_SPEC[BS_ROWS] = {
    /* NONE */ B(DATA) | B(RNG_REQ) | BB(HO_REQ) | BB(CMAC_KEY_COUNT_UPDATE),
    /* ENTERING: the SA-TEK-Request that answers the entry's challenge proves the PMK (no Key-Request before) */
    /* ENTERING */ B(DATA) | B(RNG_REQ) | B(SBC_REQ) | B(SA_TEK_REQUEST) | BB(HO_REQ) | BB(CONTEXT_RPT) |
        BB(CMAC_KEY_COUNT_UPDATE),
    /* SERVING: an SA-TEK-Request is baseline-challenge's or the entry's, sent again when the SA-TEK-Response
     * was lost (or is held); a Context_Rpt the Authenticator's answer to the entry's Context_Ack */
    /* SERVING */ B(DATA) | B(RNG_REQ) | B(SBC_REQ) | B(KEY_REQUEST) | B(SA_TEK_REQUEST) | B(MSHO_REQ) | B(HO_IND) |
        BB(HO_REQ) | BB(HO_CNF) | BB(HO_COMPLETE) | BB(CONTEXT_RPT) | BB(CMAC_KEY_COUNT_UPDATE),
    /* SOURCE */ B(DATA) | B(MSHO_REQ) | B(HO_IND) | BB(HO_REQ) | BB(HO_RSP) | BB(HO_CNF) | BB(HO_COMPLETE) |
        BB(CMAC_KEY_COUNT_UPDATE),
    /* TARGET_PREPARING */ B(DATA) | BB(HO_REQ) | BB(HO_CNF) | BB(CONTEXT_RPT) | BB(CMAC_KEY_COUNT_UPDATE),
    /* TARGET_READY */ B(DATA) | B(RNG_REQ) | BB(HO_REQ) | BB(HO_CNF) | BB(CMAC_KEY_COUNT_UPDATE),
    /* TARGET_REAUTH */ B(DATA) | B(RNG_REQ) | B(EAP_TRANSFER) | BB(CONTEXT_RPT) | BB(AR_EAP_TRANSFER) |
        BB(CMAC_KEY_COUNT_UPDATE),
    /* TARGET_SA_TEK */ B(DATA) | B(RNG_REQ) | B(KEY_REQUEST) | B(SA_TEK_REQUEST) | BB(CMAC_KEY_COUNT_UPDATE),
    /* CACHED */ B(DATA) | B(RNG_REQ) | BB(HO_REQ) | BB(CMAC_KEY_COUNT_UPDATE),
    /* HANDED_OVER */ B(DATA) | BB(HO_REQ) | BB(HO_ACK) | BB(CMAC_KEY_COUNT_UPDATE),
};

enum { AUTH_UNKNOWN_MS, AUTH_KNOWN_MS, AUTH_ROWS };
static const char *const AUTH_ROW_NAMES[AUTH_ROWS] = {"unknown MS", "known MS"};
#define A(x) (1u << TEKHO_ASNCP_##x)
static const uint32_t AUTH_SPEC[AUTH_ROWS] = {
    [AUTH_UNKNOWN_MS] = 0,
    [AUTH_KNOWN_MS] = A(CONTEXT_REQ) | A(HO_COMPLETE) | A(CONTEXT_ACK) | A(CMAC_KEY_COUNT_UPDATE_ACK) |
                      A(AR_EAP_TRANSFER),
};

static unsigned long bits(uint32_t x)
{
    unsigned long n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static const char *bs_type_name(unsigned t)
{
    return t < BT_BACKBONE ? BS_AIR_NAMES[t] : tekho_asncp_name((enum tekho_asncp_msg)(t - BT_BACKBONE));
}

/* ---- messages -------------------------------------------------------------- */

#define MSG_MAX 600
struct msg {
    const char *how; /* "built" or "recorded" */
    size_t len;
    uint8_t b[MSG_MAX];
};
#define PER_TYPE 4
struct msgs {
    size_t n;
    struct msg m[PER_TYPE];
};

static void add(struct msgs *l, const char *how, const uint8_t *b, size_t len)
{
    if (l->n == PER_TYPE || len > MSG_MAX) {
        fprintf(stderr, "FAIL test_legality: no room for a %zu-byte message\n", len);
        test_failures++;
        return;
    }
    struct msg *m = &l->m[l->n++];
    m->how = how;
    m->len = len;
    memcpy(m->b, b, len);
}

/* Frames a management message on MS ms's basic CID. */
static void add_mgmt(struct msgs *l, uint32_t ms, const uint8_t *msg, size_t n)
{
    uint8_t pdu[MSG_MAX];
    size_t len = 0;
    CHECK_ERR(tekho_mgmt_frame(tekho_ms_basic_cid(ms), true, msg, n, pdu, sizeof pdu, &len), TEKHO_OK);
    add(l, "built", pdu, len);
}

static void add_data(struct msgs *l, uint32_t ms)
{
    static const uint8_t payload[] = "user data";
    uint8_t pdu[MSG_MAX];
    size_t len = 0;
    CHECK_ERR(tekho_mgmt_frame(tekho_ms_data_cid(ms), true, payload, sizeof payload, pdu, sizeof pdu, &len), TEKHO_OK);
    add(l, "built", pdu, len);
}

static void bsid_of(uint32_t node, uint8_t bsid[6])
{
    memset(bsid, 0, 6);
    bsid[5] = (uint8_t)node;
}

static void tek_params(struct tekho_tek_params *p, uint8_t seq)
{
    memset(p, 0, sizeof *p);
    memset(p->wrapped_tek, 0x5a + seq, sizeof p->wrapped_tek);
    p->wrapped_tek_len = 24;
    p->lifetime_s = 3600;
    p->key_seq = seq;
}

/* SBC-REQ or SBC-RSP with PKMv2 and counter-based TEK generation. */
static void encode_sbc(uint8_t mgmt_type, uint8_t *msg, size_t *n)
{
    struct tekho_sbc m = {.mgmt_type = mgmt_type, .has_security_negotiation = true};
    m.sec.has_pkm_version = true;
    m.sec.pkm_version = 1;
    m.sec.has_tek_generation = true;
    m.sec.tek_generation = TEKHO_TEKGEN_SUPPORTED;
    CHECK_ERR(tekho_sbc_encode(&m, msg, MSG_MAX, n), TEKHO_OK);
}

/* Everything sent to MS ms, one type at a time, as the encoders make it. */
static void build_dl(enum ms_type t, uint32_t ms, struct msgs *l)
{
    uint8_t msg[MSG_MAX], mac[6];
    size_t n = 0;
    tekho_ms_mac_of_index(ms, mac);
    const uint16_t said = tekho_ms_basic_cid(ms);
    struct tekho_pkm pkm = {.mgmt_type = TEKHO_MGMT_PKM_RSP, .identifier = 1, .has_key_seq = true,
                            .has_cmac_digest = true};
    switch (t) {
    case MT_DATA: add_data(l, ms); return;
    case MT_RNG_RSP: {
        struct tekho_rng_rsp m;
        memset(&m, 0, sizeof m);
        m.has_ranging_status = true;
        m.ranging_status = TEKHO_RANGING_STATUS_SUCCESS;
        m.has_ms_mac = true;
        memcpy(m.ms_mac, mac, 6);
        m.has_ho_process_optimization = true;
        m.ho_process_optimization = TEKHO_HO_TEK_COUNTER << TEKHO_HO_OPT_TEK_SHIFT;
        m.has_ho_id = true;
        m.ho_id = 1;
        m.has_cmac = true;
        CHECK_ERR(tekho_rng_rsp_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
        break;
    }
    case MT_SBC_RSP: encode_sbc(TEKHO_MGMT_SBC_RSP, msg, &n); break;
    case MT_KEY_REPLY:
        pkm.code = TEKHO_PKM_KEY_REPLY;
        pkm.has_said = true;
        pkm.said = said;
        pkm.n_tek_params = 2;
        tek_params(&pkm.tek_params[0], 0);
        tek_params(&pkm.tek_params[1], 1);
        pkm.has_nonce = true;
        CHECK_ERR(tekho_pkm_encode(&pkm, msg, sizeof msg, &n), TEKHO_OK);
        break;
    case MT_TEK_INVALID:
        pkm.code = TEKHO_PKM_TEK_INVALID;
        pkm.has_said = true;
        pkm.said = said;
        pkm.has_error_code = true;
        pkm.error_code = 1;
        CHECK_ERR(tekho_pkm_encode(&pkm, msg, sizeof msg, &n), TEKHO_OK);
        break;
    case MT_SA_TEK_CHALLENGE:
        pkm.code = TEKHO_PKM_SA_TEK_CHALLENGE;
        pkm.has_akid = pkm.has_bs_random = pkm.has_key_lifetime = true;
        pkm.key_lifetime_s = 3600;
        CHECK_ERR(tekho_pkm_encode(&pkm, msg, sizeof msg, &n), TEKHO_OK);
        break;
    case MT_SA_TEK_RESPONSE:
        pkm.code = TEKHO_PKM_SA_TEK_RESPONSE;
        pkm.has_akid = pkm.has_bs_random = pkm.has_ms_random = true;
        CHECK_ERR(tekho_pkm_encode(&pkm, msg, sizeof msg, &n), TEKHO_OK);
        break;
    case MT_BSHO_RSP: {
        struct tekho_mob_bsho_rsp m;
        memset(&m, 0, sizeof m);
        m.mode = TEKHO_MOB_BSHO_MODE_HO;
        m.n_recommended = 1;
        bsid_of(2, m.recommended[0].bsid);
        m.recommended[0].ho_process_optimization = TEKHO_MOB_HO_OPT_WITH_TEK_MODE(0, TEKHO_HO_TEK_COUNTER);
        m.recommended[0].has_ho_id = true;
        m.recommended[0].ho_id = 1;
        m.has_cmac = true;
        CHECK_ERR(tekho_mob_bsho_rsp_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
        break;
    }
    case MT_EAP_TRANSFER: {
        static const uint8_t request[] = {1, 1, 0, 5, 1}; /* EAP-Request/Identity */
        pkm.code = TEKHO_PKM_EAP_TRANSFER;
        memcpy(pkm.eap_payload, request, sizeof request);
        pkm.eap_payload_len = sizeof request;
        CHECK_ERR(tekho_pkm_encode(&pkm, msg, sizeof msg, &n), TEKHO_OK);
        break;
    }
    case MS_TYPES: return;
    }
    add_mgmt(l, ms, msg, n);
}

/* Everything MS ms sends on the air, one type at a time. RNG-REQ and
 * MOB_HO-IND come in each of their kinds (initial and handover ranging;
 * release and cancel). */
static void build_ul(enum bs_type t, uint32_t ms, struct msgs *l)
{
    uint8_t msg[MSG_MAX], mac[6];
    size_t n = 0;
    tekho_ms_mac_of_index(ms, mac);
    struct tekho_pkm pkm = {.mgmt_type = TEKHO_MGMT_PKM_REQ, .identifier = 1, .has_key_seq = true,
                            .has_cmac_digest = true};
    switch (t) {
    case BT_DATA: add_data(l, ms); return;
    case BT_RNG_REQ: {
        struct tekho_rng_req m = {.has_ms_mac = true, .has_ranging_purpose = true};
        memcpy(m.ms_mac, mac, 6);
        CHECK_ERR(tekho_rng_req_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
        add_mgmt(l, ms, msg, n);
        m.ranging_purpose = TEKHO_RANGING_PURPOSE_HO;
        m.has_serving_bsid = m.has_ho_id = m.has_cmac_key_count = m.has_cmac = true;
        bsid_of(1, m.serving_bsid);
        m.ho_id = 1;
        m.cmac_key_count = 1;
        CHECK_ERR(tekho_rng_req_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
        break;
    }
    case BT_SBC_REQ: encode_sbc(TEKHO_MGMT_SBC_REQ, msg, &n); break;
    case BT_KEY_REQUEST:
        pkm.code = TEKHO_PKM_KEY_REQUEST;
        pkm.has_said = pkm.has_nonce = true;
        pkm.said = tekho_ms_basic_cid(ms);
        CHECK_ERR(tekho_pkm_encode(&pkm, msg, sizeof msg, &n), TEKHO_OK);
        break;
    case BT_SA_TEK_REQUEST:
        pkm.code = TEKHO_PKM_SA_TEK_REQUEST;
        pkm.has_ms_random = pkm.has_bs_random = pkm.has_akid = true;
        CHECK_ERR(tekho_pkm_encode(&pkm, msg, sizeof msg, &n), TEKHO_OK);
        break;
    case BT_EAP_TRANSFER: {
        static const uint8_t response[] = {2, 1, 0, 10, 1, 't', 'e', 'k', 'h', 'o'}; /* EAP-Response/Identity */
        pkm.code = TEKHO_PKM_EAP_TRANSFER;
        memcpy(pkm.eap_payload, response, sizeof response);
        pkm.eap_payload_len = sizeof response;
        CHECK_ERR(tekho_pkm_encode(&pkm, msg, sizeof msg, &n), TEKHO_OK);
        break;
    }
    case BT_MSHO_REQ: {
        struct tekho_mob_msho_req m;
        memset(&m, 0, sizeof m);
        m.report_metric = TEKHO_MOB_METRIC_CINR;
        m.n_new_bs_full = 1;
        bsid_of(2, m.new_bs_full[0].bsid);
        m.has_cmac = true;
        CHECK_ERR(tekho_mob_msho_req_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
        break;
    }
    case BT_HO_IND: {
        struct tekho_mob_ho_ind m;
        memset(&m, 0, sizeof m);
        m.ho_ind_type = TEKHO_MOB_HO_IND_RELEASE;
        bsid_of(2, m.target_bsid);
        m.has_cmac = true;
        CHECK_ERR(tekho_mob_ho_ind_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
        add_mgmt(l, ms, msg, n);
        m.ho_ind_type = TEKHO_MOB_HO_IND_CANCEL;
        CHECK_ERR(tekho_mob_ho_ind_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
        break;
    }
    default: return;
    }
    add_mgmt(l, ms, msg, n);
}

/* An ASN-CP message about MS ms (header MSID and MS ID TLV), with what its
 * type requires. */
static void build_backbone(enum tekho_asncp_msg type, uint32_t ms, struct msgs *l)
{
    struct tekho_asncp m;
    memset(&m, 0, sizeof m);
    m.msg = type;
    tekho_ms_mac_of_index(ms, m.msid);
    m.has_ms_id = true;
    memcpy(m.ms_id, m.msid, 6);
    m.transaction_id = 1;
    switch (type) {
    case TEKHO_ASNCP_HO_REQ:
    case TEKHO_ASNCP_HO_RSP:
    case TEKHO_ASNCP_HO_CNF:
        m.has_ho_type = true;
        m.has_source_id = m.has_destination_id = true;
        bsid_of(1, m.source_id);
        bsid_of(2, m.destination_id);
        m.has_ho_process_optimization = true;
        m.ho_process_optimization = TEKHO_HO_TEK_COUNTER << TEKHO_HO_OPT_TEK_SHIFT;
        m.has_ho_id = true;
        m.ho_id = 1;
        m.has_bs_ho_rsp_code = type == TEKHO_ASNCP_HO_RSP;
        break;
    case TEKHO_ASNCP_CONTEXT_REQ:
        m.has_context_purpose = true;
        m.context_purpose = TEKHO_CONTEXT_FOR_HANDOVER;
        break;
    case TEKHO_ASNCP_CONTEXT_RPT:
        m.has_ak_context = true;
        memset(m.ak_context.ak, 0x11, sizeof m.ak_context.ak);
        m.ak_context.ak_lifetime_s = 3600;
        m.ak_context.has_cmac_key_count = true;
        m.ak_context.cmac_key_count = 1;
        break;
    case TEKHO_ASNCP_HO_COMPLETE:
    case TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE:
    case TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE_ACK:
        m.has_cmac_key_count = true;
        m.cmac_key_count = 1;
        break;
    case TEKHO_ASNCP_AR_EAP_TRANSFER: {
        static const uint8_t identity[] = {2, 1, 0, 10, 1, 't', 'e', 'k', 'h', 'o'}; /* EAP-Response/Identity */
        memcpy(m.eap_payload, identity, sizeof identity);
        m.eap_payload_len = sizeof identity;
        break;
    }
    default: break;
    }
    uint8_t buf[TEKHO_ASNCP_MAX_LEN];
    size_t n = 0;
    CHECK_ERR(tekho_asncp_encode(&m, buf, sizeof buf, &n), TEKHO_OK);
    add(l, "built", buf, n);
}

/* ---- the scenario's own messages: a recording tap ---------------------------- */

struct tape {
    struct msgs dl[MS_TYPES];   /* to MS 0 */
    struct msgs ul[BS_TYPES];   /* from MS 0: air types only */
    struct msgs bb[BS_TYPES];   /* backbone, by BT_BACKBONE + type */
};

static int dl_type(const uint8_t *b, size_t len)
{
    struct tekho_gmh gmh;
    if (tekho_gmh_decode(b, len, &gmh) != TEKHO_OK)
        return -1;
    if (gmh.cid == tekho_ms_data_cid(0))
        return MT_DATA;
    if (len < TEKHO_GMH_LEN + 2)
        return -1;
    const uint8_t type = b[TEKHO_GMH_LEN], code = b[TEKHO_GMH_LEN + 1];
    switch (type) {
    case TEKHO_MGMT_RNG_RSP: return MT_RNG_RSP;
    case TEKHO_MGMT_SBC_RSP: return MT_SBC_RSP;
    case TEKHO_MGMT_MOB_BSHO_RSP: return MT_BSHO_RSP;
    case TEKHO_MGMT_PKM_RSP:
        return code == TEKHO_PKM_KEY_REPLY           ? MT_KEY_REPLY
               : code == TEKHO_PKM_TEK_INVALID       ? MT_TEK_INVALID
               : code == TEKHO_PKM_SA_TEK_CHALLENGE  ? MT_SA_TEK_CHALLENGE
               : code == TEKHO_PKM_SA_TEK_RESPONSE   ? MT_SA_TEK_RESPONSE
               : code == TEKHO_PKM_EAP_TRANSFER      ? MT_EAP_TRANSFER
                                                     : -1;
    default: return -1;
    }
}

static int ul_type(const uint8_t *b, size_t len)
{
    struct tekho_gmh gmh;
    if (tekho_gmh_decode(b, len, &gmh) != TEKHO_OK)
        return -1;
    if (gmh.cid == tekho_ms_data_cid(0))
        return BT_DATA;
    if (len < TEKHO_GMH_LEN + 2)
        return -1;
    const uint8_t type = b[TEKHO_GMH_LEN], code = b[TEKHO_GMH_LEN + 1];
    switch (type) {
    case TEKHO_MGMT_RNG_REQ: return BT_RNG_REQ;
    case TEKHO_MGMT_SBC_REQ: return BT_SBC_REQ;
    case TEKHO_MGMT_MOB_MSHO_REQ: return BT_MSHO_REQ;
    case TEKHO_MGMT_MOB_HO_IND: return BT_HO_IND;
    case TEKHO_MGMT_PKM_REQ:
        return code == TEKHO_PKM_KEY_REQUEST      ? BT_KEY_REQUEST
               : code == TEKHO_PKM_SA_TEK_REQUEST ? BT_SA_TEK_REQUEST
               : code == TEKHO_PKM_EAP_TRANSFER   ? BT_EAP_TRANSFER
                                                  : -1;
    default: return -1;
    }
}

static void tap(void *ctx, struct tekho_sim *sim, uint64_t t, enum tekho_sim_link link, uint32_t from, uint32_t to,
                const uint8_t *bytes, size_t len)
{
    (void)sim;
    (void)t;
    struct tape *tp = ctx;
    struct msgs *l = NULL;
    if (link == TEKHO_SIM_AIR_DL && to == 0) {
        const int k = dl_type(bytes, len);
        l = k < 0 ? NULL : &tp->dl[k];
    } else if (link == TEKHO_SIM_AIR_UL && from == 0) {
        const int k = ul_type(bytes, len);
        l = k < 0 ? NULL : &tp->ul[k];
    } else if (link == TEKHO_SIM_BACKBONE) {
        enum tekho_asncp_msg type;
        uint8_t msid[6];
        l = tekho_asncp_peek(bytes, len, &type, msid) == TEKHO_OK ? &tp->bb[BT_BACKBONE + type] : NULL;
    }
    if (l != NULL && l->n == 0)
        add(l, "recorded", bytes, len);
}

/* ---- the scenarios ------------------------------------------------------------ */

/* Entry at BS 1, two handovers (1 -> 2 -> 1) and one to BS 3 cancelled,
 * with traffic: counter (CACHED: the cancelled target keeps the MS's
 * counter context), baseline-full (the re-authentication states, EAP
 * on the air), and an
 * entry on a dead air (RELEASED). */
enum scen { SC_COUNTER, SC_FULL, SC_DEAD_AIR, SCENARIOS };
static const char *const SCEN_NAMES[SCENARIOS] = {"counter", "baseline-full", "dead air"};

static struct tekho_sim *scenario(enum scen sc, FILE *trace, struct tape *tp)
{
    struct tekho_sim_params p;
    tekho_sim_params_default(&p);
    p.scheme = sc == SC_FULL ? TEKHO_SCHEME_BASELINE_FULL : TEKHO_SCHEME_COUNTER;
    p.n_bs = N_BS;
    p.timing.ho_cache_us = MS_(200); /* the cancelled target gives up within the run */
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return NULL;
    if (trace)
        tekho_sim_trace(sim, trace);
    if (tp)
        tekho_sim_set_tap(sim, tap, tp);
    CHECK_ERR(tekho_sim_at(sim, MS_(10), TEKHO_OP_ENTER, 0, 1, 0), TEKHO_OK);
    if (sc == SC_DEAD_AIR) {
        CHECK_ERR(tekho_sim_at(sim, MS_(11), TEKHO_OP_AIR_LOSS, 1000, 0, 0), TEKHO_OK);
    } else {
        CHECK_ERR(tekho_sim_at(sim, MS_(200), TEKHO_OP_TRAFFIC_ON, 0, 0, 0), TEKHO_OK);
        CHECK_ERR(tekho_sim_at(sim, MS_(300), TEKHO_OP_HANDOVER, 0, 2, 0), TEKHO_OK);
        CHECK_ERR(tekho_sim_at(sim, MS_(800), TEKHO_OP_HANDOVER, 0, 1, 0), TEKHO_OK);
        CHECK_ERR(tekho_sim_at(sim, MS_(1000), TEKHO_OP_HANDOVER, 0, 3, 0), TEKHO_OK);
        CHECK_ERR(tekho_sim_at(sim, MS_(1001), TEKHO_OP_CANCEL, 0, 0, 0), TEKHO_OK);
    }
    return sim;
}

static struct tape TAPES[SCENARIOS];

static void record_scenarios(void)
{
    for (int sc = 0; sc < SCENARIOS; sc++) {
        struct tekho_sim *sim = scenario((enum scen)sc, NULL, &TAPES[sc]);
        if (sim == NULL)
            continue;
        CHECK_ERR(tekho_sim_run(sim, END_US), TEKHO_OK);
        tekho_sim_free(sim);
    }
}

/* ---- what the public API shows ------------------------------------------------ */

struct observed {
    enum tekho_ms_state ms_state;
    uint16_t m;
    uint32_t serving;
    bool ms_has[N_BS + 1];
    uint8_t ms_fp[N_BS + 1][2][8];
    const char *role[N_BS + 1];
    bool serves[N_BS + 1];
    bool bs_has[N_BS + 1];
    uint8_t bs_fp[N_BS + 1][2][8];
    size_t cached[N_BS + 1];
    uint16_t n[2];
};

static void observe(struct tekho_sim *sim, struct observed *o)
{
    memset(o, 0, sizeof *o);
    const struct tekho_ms *ms = tekho_sim_ms(sim, 0);
    o->ms_state = tekho_ms_state(ms);
    o->m = tekho_ms_count(ms);
    o->serving = tekho_ms_serving(ms);
    for (uint32_t k = 1; k <= N_BS; k++) {
        const struct tekho_bs *bs = tekho_sim_bs(sim, k);
        o->ms_has[k] = tekho_ms_tek_fingerprints(ms, k, o->ms_fp[k]);
        o->role[k] = tekho_bs_ms_role_name(bs, 0);
        o->serves[k] = tekho_bs_serves(bs, 0);
        o->bs_has[k] = tekho_bs_tek_fingerprints(bs, 0, o->bs_fp[k]);
        o->cached[k] = tekho_bs_cached_contexts(bs, 0);
    }
    uint8_t mac[6];
    tekho_ms_mac_of_index(0, mac);
    o->n[0] = tekho_auth_count(tekho_sim_auth(sim), mac);
    tekho_ms_mac_of_index(OTHER_MS, mac);
    o->n[1] = tekho_auth_count(tekho_sim_auth(sim), mac);
}

/* ---- feeding a role in a state ----------------------------------------------- */

enum who { WHO_MS, WHO_BS, WHO_AUTH };

struct probe {
    enum who who;
    int row;          /* MS state, BS row, Authenticator row */
    uint32_t node;    /* the BS, for WHO_BS */
    const char *where;
};

static unsigned long pairs_checked, messages_fed;

static tekho_err deliver(struct tekho_sim *sim, const struct probe *p, bool backbone, uint32_t from,
                         const struct msg *m, struct tekho_actions *out)
{
    const uint64_t now = tekho_sim_now(sim);
    tekho_actions_reset(out);
    switch (p->who) {
    case WHO_MS: return tekho_ms_air(tekho_sim_ms(sim, 0), now, from, m->b, m->len, out);
    case WHO_BS:
        return backbone ? tekho_bs_backbone(tekho_sim_bs(sim, p->node), now, from, m->b, m->len, out)
                        : tekho_bs_air(tekho_sim_bs(sim, p->node), now, 0, m->b, m->len, out);
    case WHO_AUTH: return tekho_auth_backbone(tekho_sim_auth(sim), now, from, m->b, m->len, out);
    }
    return TEKHO_ERR_INVALID_ARGUMENT;
}

/* Feeds every message of one type from every sender; each must be refused
 * as unexpected, with no action and nothing observable changed. */
static void feed(struct tekho_sim *sim, const struct probe *p, const char *type, bool backbone,
                 const struct msgs *l)
{
    static struct tekho_actions out;
    for (size_t i = 0; i < l->n; i++) {
        /* Air: from every BS (the MS) or in MS 0's allocation (a BS);
         * backbone: from the Authenticator and every BS but the receiver. */
        for (uint32_t from = 0; from <= N_BS; from++) {
            if ((p->who == WHO_MS && from == 0) || (p->who == WHO_AUTH && from == 0) ||
                (p->who == WHO_BS && (backbone ? from == p->node : from != 0)))
                continue;
            struct observed before, after;
            observe(sim, &before);
            const tekho_err err = deliver(sim, p, backbone, from, &l->m[i], &out);
            observe(sim, &after);
            messages_fed++;
            const bool changed = memcmp(&before, &after, sizeof before) != 0;
            if (err != TEKHO_ERR_UNEXPECTED_MESSAGE || out.n != 0 || out.err != TEKHO_OK || changed) {
                fprintf(stderr, "FAIL %s: %s (%s, from %u) returned '%s', %zu action(s)%s\n", p->where, type,
                        l->m[i].how, from, tekho_strerror(err), out.n, changed ? ", state changed" : "");
                test_failures++;
            }
        }
    }
}

static void feed_ms(struct tekho_sim *sim, const struct probe *p, enum scen sc)
{
    for (int t = 0; t < MS_TYPES; t++) {
        if (MS_SPEC[p->row] & (1u << t))
            continue;
        struct msgs l;
        memset(&l, 0, sizeof l);
        build_dl((enum ms_type)t, 0, &l);
        if (TAPES[sc].dl[t].n)
            l.m[l.n++] = TAPES[sc].dl[t].m[0];
        feed(sim, p, MS_TYPE_NAMES[t], false, &l);
        pairs_checked++;
    }
    /* What the MS sends is never for it. */
    for (int t = BT_RNG_REQ; t < BT_BACKBONE; t++) {
        struct msgs l;
        memset(&l, 0, sizeof l);
        build_ul((enum bs_type)t, 0, &l);
        feed(sim, p, bs_type_name((unsigned)t), false, &l);
    }
}

static void feed_bs(struct tekho_sim *sim, const struct probe *p, enum scen sc)
{
    for (int t = 0; t < BS_TYPES; t++) {
        if (BS_SPEC[p->row] & (1u << t))
            continue;
        struct msgs l;
        memset(&l, 0, sizeof l);
        const bool backbone = t >= BT_BACKBONE;
        if (backbone) {
            build_backbone((enum tekho_asncp_msg)(t - BT_BACKBONE), 0, &l);
            if (TAPES[sc].bb[t].n)
                l.m[l.n++] = TAPES[sc].bb[t].m[0];
        } else {
            build_ul((enum bs_type)t, 0, &l);
            if (TAPES[sc].ul[t].n)
                l.m[l.n++] = TAPES[sc].ul[t].m[0];
        }
        feed(sim, p, bs_type_name((unsigned)t), backbone, &l);
        pairs_checked++;
    }
    /* What a BS sends an MS is never for a BS. */
    for (int t = MT_RNG_RSP; t < MS_TYPES; t++) {
        struct msgs l;
        memset(&l, 0, sizeof l);
        build_dl((enum ms_type)t, 0, &l);
        feed(sim, p, MS_TYPE_NAMES[t], false, &l);
    }
}

static void feed_auth(struct tekho_sim *sim, const struct probe *p, enum scen sc)
{
    const uint32_t ms = p->row == AUTH_KNOWN_MS ? 0 : OTHER_MS;
    for (int t = 0; t < TEKHO_ASNCP_MSG_COUNT; t++) {
        if (AUTH_SPEC[p->row] & (1u << t))
            continue;
        struct msgs l;
        memset(&l, 0, sizeof l);
        build_backbone((enum tekho_asncp_msg)t, ms, &l);
        if (ms == 0 && TAPES[sc].bb[BT_BACKBONE + t].n)
            l.m[l.n++] = TAPES[sc].bb[BT_BACKBONE + t].m[0];
        feed(sim, p, tekho_asncp_name((enum tekho_asncp_msg)t), true, &l);
        pairs_checked++;
    }
}

/* ---- reaching a state ------------------------------------------------------- */

/* Whether the probe's role is in its state now; for a BS, at which node. */
static bool reached(struct tekho_sim *sim, struct probe *p)
{
    const struct tekho_ms *ms = tekho_sim_ms(sim, 0);
    switch (p->who) {
    case WHO_MS: return (int)tekho_ms_state(ms) == p->row;
    case WHO_BS:
        /* The row of an MS the BS holds nothing for: once MS 0 is served
         * somewhere, at a BS it never went to. */
        if (p->row == 0 && tekho_ms_state(ms) != TEKHO_MS_OPERATIONAL)
            return false;
        for (uint32_t k = 1; k <= N_BS; k++)
            if (strcmp(tekho_bs_ms_role_name(tekho_sim_bs(sim, k), 0), BS_ROW_NAMES[p->row]) == 0) {
                p->node = k;
                return true;
            }
        return false;
    case WHO_AUTH:
        /* Both rows once MS 0 has handed over (N has moved). */
        return tekho_ms_state(ms) == TEKHO_MS_OPERATIONAL && tekho_ms_count(ms) >= 1;
    }
    return false;
}

/* Steps the run until the probe's state is reached; the time, or 0 if never. */
static uint64_t step_to(struct tekho_sim *sim, struct probe *p)
{
    for (uint64_t t = 0; t <= END_US; t += STEP_US) {
        CHECK_ERR(tekho_sim_run(sim, t), TEKHO_OK);
        if (reached(sim, p))
            return t + 1; /* 0 means never */
    }
    return 0;
}

static char *slurp(FILE *f, size_t *len)
{
    fflush(f);
    const long n = ftell(f);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    rewind(f);
    *len = buf != NULL && n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    return buf;
}

/* Drives the probe's role into its state in the first scenario that has
 * it, feeds it there everything the state refuses, then runs on next to a
 * twin that was fed nothing. */
static void check_state(struct probe *p)
{
    char where[96];
    for (int sc = 0; sc < SCENARIOS; sc++) {
        FILE *ta = tmpfile(), *tb = tmpfile();
        struct tekho_sim *a = ta ? scenario((enum scen)sc, ta, NULL) : NULL;
        struct tekho_sim *b = tb ? scenario((enum scen)sc, tb, NULL) : NULL;
        CHECK(a != NULL && b != NULL);
        const uint64_t at = a && b ? step_to(a, p) : 0;
        if (at == 0) {
            tekho_sim_free(a);
            tekho_sim_free(b);
            if (ta)
                fclose(ta);
            if (tb)
                fclose(tb);
            continue;
        }
        struct probe twin = *p;
        CHECK(step_to(b, &twin) == at && twin.node == p->node);
        switch (p->who) {
        case WHO_MS:
            snprintf(where, sizeof where, "MS in %s (%s, %.1f ms)", tekho_ms_state_name((enum tekho_ms_state)p->row),
                     SCEN_NAMES[sc], (double)(at - 1) / 1000);
            break;
        case WHO_BS:
            snprintf(where, sizeof where, "BS %u, MS in %s (%s, %.1f ms)", p->node, BS_ROW_NAMES[p->row],
                     SCEN_NAMES[sc], (double)(at - 1) / 1000);
            break;
        case WHO_AUTH:
            snprintf(where, sizeof where, "Authenticator, %s (%s, %.1f ms)", AUTH_ROW_NAMES[p->row], SCEN_NAMES[sc],
                     (double)(at - 1) / 1000);
            break;
        }
        p->where = where;
        if (getenv("TEKHO_TEST_VERBOSE") != NULL)
            fprintf(stderr, "%s\n", where);
        switch (p->who) {
        case WHO_MS: feed_ms(a, p, (enum scen)sc); break;
        case WHO_BS: feed_bs(a, p, (enum scen)sc); break;
        case WHO_AUTH: feed_auth(a, p, (enum scen)sc); break;
        }
        /* The rest of the run, with and without what was refused. */
        CHECK_ERR(tekho_sim_run(a, END_US + MS_(500)), TEKHO_OK);
        CHECK_ERR(tekho_sim_run(b, END_US + MS_(500)), TEKHO_OK);
        struct observed oa, ob;
        observe(a, &oa);
        observe(b, &ob);
        size_t la = 0, lb = 0;
        char *xa = slurp(ta, &la), *xb = slurp(tb, &lb);
        if (xa == NULL || xb == NULL || la == 0 || la != lb || memcmp(xa, xb, la) != 0 ||
            memcmp(&oa, &ob, sizeof oa) != 0) {
            fprintf(stderr, "FAIL %s: the run went on differently from its twin's (trace %zu vs %zu bytes)\n", where,
                    la, lb);
            test_failures++;
        }
        free(xa);
        free(xb);
        tekho_sim_free(a);
        tekho_sim_free(b);
        fclose(ta);
        fclose(tb);
        return;
    }
    fprintf(stderr, "FAIL test_legality: no scenario reaches %s row %d\n",
            p->who == WHO_MS ? "MS" : p->who == WHO_BS ? "BS" : "Authenticator", p->row);
    test_failures++;
}

int main(void)
{
    record_scenarios();
    for (int s = 0; s < MS_STATES; s++)
        check_state(&(struct probe){.who = WHO_MS, .row = s});
    for (int r = 0; r < BS_ROWS; r++)
        check_state(&(struct probe){.who = WHO_BS, .row = r});
    for (int r = 0; r < AUTH_ROWS; r++)
        check_state(&(struct probe){.who = WHO_AUTH, .row = r});
    /* Every refused pair: the states times the types minus what each accepts. */
    unsigned long want = 0;
    for (int s = 0; s < MS_STATES; s++)
        want += MS_TYPES - bits(MS_SPEC[s]);
    for (int r = 0; r < BS_ROWS; r++)
        want += BS_TYPES - bits(BS_SPEC[r]);
    for (int r = 0; r < AUTH_ROWS; r++)
        want += TEKHO_ASNCP_MSG_COUNT - bits(AUTH_SPEC[r]);
    CHECK(pairs_checked == want);
    printf("test_legality: %lu refused (state, type) pairs of %d, %lu messages fed\n", pairs_checked,
           MS_STATES * MS_TYPES + BS_ROWS * BS_TYPES + AUTH_ROWS * TEKHO_ASNCP_MSG_COUNT, messages_fed);
    return test_summary("test_legality");
}
