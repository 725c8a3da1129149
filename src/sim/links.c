/* The emulator's links: the air (TDD frames, loss, HARQ, processing) and the
 * backbone (latency, jitter, loss, the faults scenarios inject), the
 * signalling they carry, and the attacker on the air, who hears and
 * records everything and forges PDUs (sim_core.h). */

#include <math.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/asncp.h"
#include "tekho/mgmt.h"
#include "sim_core.h"


/* Air PDUs go out in the next TDD frame: downlink by the end of its DL
 * subframe, uplink by the end of its UL subframe. */
uint64_t tekho_sim_air_arrival(const struct tekho_sim *sim, uint64_t t, bool uplink)
{
    const uint64_t f = sim->p.frame_us;
    const double dl = sim->p.radio.enabled ? sim->p.radio.dl_ratio : 0.5;
    return (t / f + 1) * f + (uplink ? f : (uint64_t)((double)f * dl));
}

static const char *pdu_name(const uint8_t *pdu, size_t len)
{
    struct tekho_gmh gmh;
    if (tekho_gmh_decode(pdu, len, &gmh) != TEKHO_OK)
        return "?";
    if (gmh.cid > TEKHO_MGMT_CID_MAX)
        return "Data";
    /* PKM messages by their code: the trace and the report's charts tell
     * an SA-TEK-Response from a Key-Reply. */
    if (len > TEKHO_GMH_LEN + 1 &&
        (pdu[TEKHO_GMH_LEN] == TEKHO_MGMT_PKM_REQ || pdu[TEKHO_GMH_LEN] == TEKHO_MGMT_PKM_RSP)) {
        switch (pdu[TEKHO_GMH_LEN + 1]) {
        case TEKHO_PKM_EAP_TRANSFER: return "PKMv2-EAP-Transfer";
        case TEKHO_PKM_SA_TEK_CHALLENGE: return "PKMv2-SA-TEK-Challenge";
        case TEKHO_PKM_SA_TEK_REQUEST: return "PKMv2-SA-TEK-Request";
        case TEKHO_PKM_SA_TEK_RESPONSE: return "PKMv2-SA-TEK-Response";
        case TEKHO_PKM_KEY_REQUEST: return "PKMv2-Key-Request";
        case TEKHO_PKM_KEY_REPLY: return "PKMv2-Key-Reply";
        case TEKHO_PKM_TEK_INVALID: return "PKMv2-TEK-Invalid";
        default: break;
        }
    }
    const char *n = len > TEKHO_GMH_LEN ? tekho_mgmt_name(pdu[TEKHO_GMH_LEN]) : NULL;
    return n ? n : "MGMT";
}

static bool is_mgmt(const uint8_t *pdu, size_t len)
{
    struct tekho_gmh gmh;
    return tekho_gmh_decode(pdu, len, &gmh) == TEKHO_OK && gmh.cid <= TEKHO_MGMT_CID_MAX;
}

static void record(struct recorded **where, const uint8_t *pdu, size_t len, uint32_t node, bool uplink)
{
    if (*where == NULL && (*where = calloc(1, sizeof **where)) == NULL)
        return;
    struct recorded *r = *where;
    if (r->n == RECORD_MAX) {
        free(r->pdu[0]);
        memmove(r->pdu, r->pdu + 1, (RECORD_MAX - 1) * sizeof r->pdu[0]);
        memmove(r->len, r->len + 1, (RECORD_MAX - 1) * sizeof r->len[0]);
        memmove(r->node, r->node + 1, (RECORD_MAX - 1) * sizeof r->node[0]);
        memmove(r->uplink, r->uplink + 1, (RECORD_MAX - 1) * sizeof r->uplink[0]);
        r->n--;
    }
    uint8_t *copy = malloc(len);
    if (copy == NULL)
        return;
    memcpy(copy, pdu, len);
    r->pdu[r->n] = copy;
    r->len[r->n] = len;
    r->node[r->n] = node;
    r->uplink[r->n] = uplink;
    r->n++;
}

void tekho_sim_free_recorded(struct recorded *r)
{
    for (size_t i = 0; r != NULL && i < r->n; i++)
        free(r->pdu[i]);
    free(r);
}

/* What the air does with a PDU sent now: -1, lost; else the frames by
 * which HARQ delayed it (0: the first transmission got through). Keyed
 * draws of (MS, BS, direction, the frame it goes out in, data or
 * management, its rank among the MS's PDUs of that class and direction in
 * the frame), so every scheme that sends there and then meets the same
 * channel: first air_loss (a loss HARQ does not see: the scenarios' and
 * --air-loss), then each HARQ attempt (tekho_sim_variability). */
static int air_fate(struct tekho_sim *sim, bool uplink, uint32_t ms, uint32_t node, bool mgmt, uint64_t *key_a,
                    uint64_t *key_b, unsigned *transmissions)
{
    *transmissions = 1;
    struct ms_track *tr = &sim->track[ms];
    const uint64_t frame = sim->now / sim->p.frame_us + 1; /* as air_arrival */
    const int d = uplink, c = mgmt;
    if (tr->air_frame[d][c] != frame) {
        tr->air_frame[d][c] = frame;
        tr->air_k[d][c] = 0;
    }
    const uint64_t k = tr->air_k[d][c]++;
    const uint64_t a = (uint64_t)ms << 32 | node;
    const uint64_t b = frame << 16 | (uint64_t)d << 15 | (uint64_t)c << 14 | (k & 0x3FFFu);
    *key_a = a;
    *key_b = b;
    if (sim->p.air_loss > 0 && sim_unit_of(tekho_sim_hash(sim->p.seed, SIM_PURPOSE_AIR_LOSS, a, b)) < sim->p.air_loss)
        return -1;
    const struct tekho_sim_variability *v = &sim->p.var;
    if (!v->enabled || !(v->harq_bler > 0))
        return 0;
    const double sinr = tekho_sim_link_sinr_db(sim, ms, node);
    const double below = sinr < v->sinr_min_db ? sinr - v->sinr_min_db : 0;
    for (unsigned j = 0; j <= v->harq_max_retx; j++) {
        /* Chase combining: the j-th retransmission is decoded at the SINR of j + 1 copies. */
        const double gain = j ? 10.0 * sim_log10((double)(j + 1)) : 0;
        if (sim_unit_of(tekho_sim_hash(sim->p.seed, SIM_PURPOSE_HARQ, a, b | (uint64_t)j << 58)) >=
            tekho_sim_bler_at(v, below + gain))
            return (int)(j * v->harq_retx_frames);
        if (j < v->harq_max_retx) {
            sim->st.harq_retransmissions++;
            ++*transmissions;
        }
    }
    sim->st.harq_lost++;
    return -1;
}

/* A management message's processing at its receiver (variability):
 * an exponential draw keyed like the message's loss. */
static uint64_t processing_us(const struct tekho_sim *sim, uint64_t key_a, uint64_t key_b)
{
    const struct tekho_sim_variability *v = &sim->p.var;
    if (!v->enabled || !(v->processing_mean_us > 0))
        return 0;
    return (uint64_t)tekho_sim_exp_draw(v->processing_mean_us,
                                        tekho_sim_hash(sim->p.seed, SIM_PURPOSE_PROCESSING, key_a, key_b));
}

/* Signalling a handover causes, apart from network entry and TEK refresh
 * (which every scheme does alike): on the air, every management message
 * about an MS between its MOB_MSHO-REQ and its being operational again
 * (re-authentication and key exchange at the target included), and any
 * MOB_* message; on the backbone, every HO_* message, count update and EAP
 * relay, and the context transfers of an MS in a handover. */
static bool air_ho_signalling(const struct tekho_sim *sim, uint32_t ms, const uint8_t *pdu, size_t len)
{
    if (sim->track[ms].ho_signalling)
        return true;
    const uint8_t type = len > TEKHO_GMH_LEN ? pdu[TEKHO_GMH_LEN] : 0;
    return type == TEKHO_MGMT_MOB_MSHO_REQ || type == TEKHO_MGMT_MOB_BSHO_RSP || type == TEKHO_MGMT_MOB_HO_IND;
}

static bool backbone_ho_signalling(const struct tekho_sim *sim, const uint8_t *msg, size_t len)
{
    enum tekho_asncp_msg type;
    uint8_t msid[6];
    uint32_t ms = 0;
    if (tekho_asncp_peek(msg, len, &type, msid) != TEKHO_OK)
        return false;
    switch (type) {
    case TEKHO_ASNCP_CONTEXT_REQ:
    case TEKHO_ASNCP_CONTEXT_RPT:
    case TEKHO_ASNCP_CONTEXT_ACK:
        return tekho_ms_index_of_mac(msid, &ms) && ms < sim->p.n_ms && sim->track[ms].ho_signalling;
    default: return true; /* HO_*, CMAC_Key_Count_Update(_ACK), AR_EAP_Transfer */
    }
}

void tekho_sim_send_air(struct tekho_sim *sim, bool uplink, uint32_t ms, uint32_t node, const uint8_t *pdu,
                        size_t len)
{
    /* Named only for those who look: the attacker and the trace. */
    const char *name = sim->p.attacker || sim->trace ? pdu_name(pdu, len) : "";
    const bool mgmt = is_mgmt(pdu, len);
    if (mgmt) {
        sim->st.air_messages++;
        sim->st.air_bytes += len;
        if (air_ho_signalling(sim, ms, pdu, len)) {
            sim->st.ho_air_messages++;
            sim->st.ho_air_bytes += len;
        }
    }
    /* The attacker on the air hears everything. */
    struct ms_track *tr = &sim->track[ms];
    if (sim->p.attacker && strcmp(name, "Data") == 0)
        record(&tr->data, pdu, len, node, uplink);
    else if (sim->p.attacker && strcmp(name, "RNG-REQ") == 0)
        record(&tr->rng, pdu, len, node, uplink);
    if (sim->cap_air && tekho_capture_write_air(sim->cap_air, sim->now, pdu, len) != TEKHO_OK)
        sim->st.io_errors++;
    if (sim->tap)
        sim->tap(sim->tap_ctx, sim, sim->now, uplink ? TEKHO_SIM_AIR_UL : TEKHO_SIM_AIR_DL, uplink ? ms : node,
                 uplink ? node : ms, pdu, len);
    uint64_t key_a = 0, key_b = 0;
    /* Real links: the terminals' process draws the air's fate both ways
     * (it knows the radio); a BS's DL meets it on arrival there. */
    const bool fate_here = sim->ext == NULL || sim->ext->ms_local;
    unsigned transmissions = 1;
    const int harq_frames = fate_here ? air_fate(sim, uplink, ms, node, mgmt, &key_a, &key_b, &transmissions) : 0;
    const bool lost = harq_frames < 0;
    if (uplink && sim->ext != NULL && sim->ext->air_sent != NULL)
        sim->ext->air_sent(sim->ext->ctx, true, ms, node, sim->now, transmissions,
                           (uint64_t)sim->p.var.harq_retx_frames * sim->p.frame_us, pdu, len);
    if (sim->trace)
        fprintf(sim->trace, "%10.3f air %s ms%u %s bs%u %s %zuB%s\n", sim->now / 1000.0, uplink ? "UL" : "DL", ms,
                uplink ? "->" : "<-", node, name, len, lost ? " LOST" : harq_frames > 0 ? " HARQ" : "");
    if (lost)
        return;
    uint64_t t = tekho_sim_air_arrival(sim, sim->now, uplink) + (uint64_t)harq_frames * sim->p.frame_us +
                 (fate_here && mgmt ? processing_us(sim, key_a, key_b) : 0);
    if (sim->ext != NULL) {
        /* A DL user payload offered for an earlier subframe than the one
         * it now makes still goes in it (it left the msd in time); one
         * whose subframe passed before it came (a late datagram) in the
         * first DL subframe that has not ended, never after a payload
         * offered later (sealed after it: a higher PN). */
        if (!uplink && sim->ext_dl_due != 0) {
            const uint64_t f = sim->p.frame_us;
            const uint64_t dl_end = tekho_sim_air_arrival(sim, sim->now, false) - f;
            t = sim->ext_dl_due >= sim->now ? sim->ext_dl_due : dl_end >= sim->now ? dl_end : dl_end + f;
        }
        (void)tekho_sim_push(sim, t, EV_SEND_OUT, uplink ? TEKHO_SIM_AIR_UL : TEKHO_SIM_AIR_DL, uplink ? ms : node,
                             uplink ? node : ms, pdu, len, false);
        return;
    }
    if (uplink)
        (void)tekho_sim_push(sim, t, EV_AIR_TO_BS, node, ms, 0, pdu, len, false);
    else
        (void)tekho_sim_push(sim, t, EV_AIR_TO_MS, ms, node, 0, pdu, len, false);
}

void tekho_sim_send_backbone(struct tekho_sim *sim, uint32_t from, uint32_t to, const uint8_t *msg, size_t len)
{
    sim->st.backbone_messages++;
    sim->st.backbone_bytes += len;
    if (backbone_ho_signalling(sim, msg, len)) {
        sim->st.ho_backbone_messages++;
        sim->st.ho_backbone_bytes += len;
    }
    /* Decoded only when something here needs the message: a trace, or a fault to inject. */
    struct tekho_asncp m;
    const bool decoded = (sim->trace || sim->drop_ho_complete || sim->reset_pn_in_ho_cnf) &&
                         tekho_asncp_decode(msg, len, &m) == TEKHO_OK;
    const char *name = decoded ? tekho_asncp_name(m.msg) : "ASN-CP?";
    /* Delay and loss are keyed draws of (link, MS, message type, send
     * time): the same message at the same time meets the same backbone in
     * every scheme's run. */
    uint64_t key_a = (uint64_t)from << 48 | (uint64_t)to << 32 | 0xFFFFFFFFu, key_b = sim->now << 8;
    if (sim->p.backbone_loss > 0 || sim->p.backbone_jitter_us || sim->p.var.enabled) {
        enum tekho_asncp_msg type;
        uint8_t msid[6];
        uint32_t about = 0;
        if (tekho_asncp_peek(msg, len, &type, msid) == TEKHO_OK) {
            key_b |= (uint64_t)type & 0xFFu;
            if (tekho_ms_index_of_mac(msid, &about))
                key_a = (uint64_t)from << 48 | (uint64_t)to << 32 | about;
        }
    }
    bool lost = sim->p.backbone_loss > 0 &&
                sim_unit_of(tekho_sim_hash(sim->p.seed, SIM_PURPOSE_BACKBONE, key_a, key_b)) < sim->p.backbone_loss;
    if (!lost && sim->drop_ho_complete && to == TEKHO_NODE_AUTHENTICATOR && decoded &&
        m.msg == TEKHO_ASNCP_HO_COMPLETE) {
        sim->drop_ho_complete--;
        lost = true;
    }
    uint8_t faulty[TEKHO_ASNCP_MAX_LEN];
    size_t faulty_len = 0;
    if (sim->reset_pn_in_ho_cnf && decoded && m.msg == TEKHO_ASNCP_HO_CNF && m.n_sa > 0) {
        m.sa[0].older.pn_counter = m.sa[0].newer.pn_counter = 0;
        m.sa[0].older.rxpn_counter = m.sa[0].newer.rxpn_counter = 0;
        if (tekho_asncp_encode(&m, faulty, sizeof faulty, &faulty_len) == TEKHO_OK) {
            sim->reset_pn_in_ho_cnf--;
            msg = faulty;
            len = faulty_len;
        }
    }
    if (decoded)
        tekho_asncp_wipe(&m);
    if (sim->tap)
        sim->tap(sim->tap_ctx, sim, sim->now, TEKHO_SIM_BACKBONE, from, to, msg, len);
    if (sim->cap_backbone &&
        tekho_capture_write_backbone(sim->cap_backbone, sim->now, from + 1, to + 1, msg, len) != TEKHO_OK)
        sim->st.io_errors++;
    if (sim->trace)
        fprintf(sim->trace, "%10.3f backbone %s%u -> %s%u %s %zuB%s\n", sim->now / 1000.0, from ? "bs" : "auth",
                from, to ? "bs" : "auth", to, name, len, lost ? " LOST" : "");
    if (!lost) {
        const uint64_t jitter = sim->p.backbone_jitter_us ? tekho_sim_hash(sim->p.seed, SIM_PURPOSE_BACKBONE, key_a,
                                                                           key_b | (uint64_t)1 << 63) %
                                                                (sim->p.backbone_jitter_us + 1)
                                                          : 0;
        const uint64_t processing = processing_us(sim, key_a, key_b | (uint64_t)1 << 62);
        if (sim->ext != NULL) {
            (void)tekho_sim_push(sim, sim->now + sim->p.backbone_latency_us + jitter + processing, EV_SEND_OUT,
                                 TEKHO_SIM_BACKBONE, from, to, msg, len, false);
            OPENSSL_cleanse(faulty, faulty_len);
            return;
        }
        (void)tekho_sim_push(sim, sim->now + sim->p.backbone_latency_us + jitter + processing, EV_BACKBONE, to, from,
                             0, msg, len, false);
    }
    OPENSSL_cleanse(faulty, faulty_len); /* it carries TEKs */
}

void tekho_sim_forge(struct tekho_sim *sim, uint32_t ms, uint32_t node, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++) {
        uint8_t body[PAYLOAD_LEN + TEKHO_PN_LEN + TEKHO_ICV_LEN];
        sim_rng_bytes(&sim->attacker, body, sizeof body);
        /* A plausible uplink PDU: right CID, EKS 0, the uplink PN bit. */
        body[3] |= 0x80;
        uint8_t pdu[TEKHO_PDU_MAX_LEN];
        const size_t len = TEKHO_GMH_LEN + sizeof body + TEKHO_CRC_LEN;
        const struct tekho_gmh gmh = {.ec = tekho_scheme_encrypts(sim->p.scheme), .ci = true, .len = (uint16_t)len,
                                      .cid = tekho_ms_data_cid(ms)};
        if (tekho_gmh_encode(&gmh, pdu) != TEKHO_OK)
            return;
        memcpy(pdu + TEKHO_GMH_LEN, body, sizeof body);
        tekho_pdu_put_crc(pdu, len);
        (void)tekho_sim_push(sim, tekho_sim_air_arrival(sim, sim->now, true), EV_AIR_TO_BS, node, ms, 0, pdu, len,
                             true);
    }
}

/* The block error rate at offset x dB from the point where it is
 * harq_bler (tekho_sim_variability). */
double tekho_sim_bler_at(const struct tekho_sim_variability *v, double x)
{
    if (x == INFINITY)
        return 0;
    const double slope = 4.394449154672439 / v->bler_span_db; /* ln 81 */
    return 1.0 / (1.0 + (1.0 - v->harq_bler) / v->harq_bler * exp(slope * x));
}

/* An exponential draw of the given mean from a hash value. */
double tekho_sim_exp_draw(double mean, uint64_t h)
{
    return mean > 0 ? -mean * log(1.0 - sim_unit_of(h)) : 0;
}

bool tekho_sim_air_fate_in(struct tekho_sim *sim, uint32_t ms, uint32_t node, const uint8_t *pdu, size_t len,
                           uint64_t *delay_us)
{
    const bool mgmt = is_mgmt(pdu, len);
    uint64_t key_a = 0, key_b = 0;
    unsigned transmissions = 1;
    const int harq_frames = air_fate(sim, false, ms, node, mgmt, &key_a, &key_b, &transmissions);
    /* It arrived now, at the end of the DL subframe of the frame after
     * the one the BS sent it in (tekho_sim_air_arrival). */
    if (sim->ext != NULL && sim->ext->air_sent != NULL)
        sim->ext->air_sent(sim->ext->ctx, false, ms, node,
                           sim->now > sim->p.frame_us ? sim->now - sim->p.frame_us : 0, transmissions,
                           (uint64_t)sim->p.var.harq_retx_frames * sim->p.frame_us, pdu, len);
    if (sim->trace)
        fprintf(sim->trace, "%10.3f air DL in ms%u <- bs%u %zuB%s\n", sim->now / 1000.0, ms, node, len,
                harq_frames < 0 ? " LOST" : harq_frames > 0 ? " HARQ" : "");
    if (harq_frames < 0)
        return false;
    *delay_us = (uint64_t)harq_frames * sim->p.frame_us + (mgmt ? processing_us(sim, key_a, key_b) : 0);
    return true;
}
