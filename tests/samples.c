#include "samples.h"

#include <stdio.h>
#include <string.h>

#include "tekho/asncp.h"
#include "tekho/mgmt.h"
#include "tekho/tekho.h"
#include "test_util.h"

struct keys {
    struct tekho_ak_keys ak;
    struct tekho_cmac_keys cmac;
};

static int derive(const char *bsid_hex, uint16_t count, struct keys *k)
{
    uint8_t msk[64], mac[6], bsid[6];
    hex_to_bytes(SAMPLE_MSK_HEX, msk, sizeof msk);
    hex_to_bytes(SAMPLE_MS_MAC_HEX, mac, sizeof mac);
    hex_to_bytes(bsid_hex, bsid, sizeof bsid);
    return tekho_derive_from_msk(msk, mac, bsid, 0, &k->ak) == TEKHO_OK &&
           tekho_derive_cmac_keys(&k->ak, count, &k->cmac) == TEKHO_OK;
}

struct builder {
    struct sample *s;
    size_t n, max;
    int ok;
};

static struct sample *next(struct builder *b, enum sample_kind kind, const char *name, const char *target)
{
    if (b->n == b->max) {
        b->ok = 0;
        return NULL;
    }
    struct sample *s = &b->s[b->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->name = name;
    s->fuzz_target = target;
    return s;
}

/* Signs the trailing CMAC TLV of trailer_len bytes (when key is given) and
 * frames an air message. */
static void air(struct builder *b, struct sample *s, tekho_err encoded, size_t trailer_len, const uint8_t *key,
                const uint8_t *akid, uint32_t cmac_pn)
{
    if (s == NULL || encoded != TEKHO_OK || s->msg_len < trailer_len) {
        fprintf(stderr, "samples: %s: %s\n", s ? s->name : "?", tekho_strerror(encoded));
        b->ok = 0;
        return;
    }
    if (key && tekho_mgmt_cmac_sign(s->msg, s->msg_len, s->msg_len - trailer_len, key, akid, cmac_pn,
                                    SAMPLE_BASIC_CID) != TEKHO_OK)
        b->ok = 0;
    if (tekho_mgmt_frame(SAMPLE_BASIC_CID, true, s->msg, s->msg_len, s->pdu, sizeof s->pdu, &s->pdu_len) != TEKHO_OK)
        b->ok = 0;
}

static void backbone(struct builder *b, const char *name, const struct tekho_asncp *m, uint32_t src, uint32_t dst)
{
    struct sample *s = next(b, SAMPLE_BACKBONE, name, "asncp");
    if (s == NULL || tekho_asncp_encode(m, s->msg, sizeof s->msg, &s->msg_len) != TEKHO_OK) {
        b->ok = 0;
        return;
    }
    memcpy(s->pdu, s->msg, s->msg_len);
    s->pdu_len = s->msg_len;
    s->src_node = src;
    s->dst_node = dst;
}

/* The size of a CMAC Tuple TLV without BSID: type, length, 13 bytes. */
#define CMAC_TLV_LEN 15u

static void build_air(struct builder *b, const struct keys *serving, const struct keys *target)
{
    uint8_t ms_mac[6], serving_bsid[6], target_bsid[6];
    hex_to_bytes(SAMPLE_MS_MAC_HEX, ms_mac, 6);
    hex_to_bytes(SAMPLE_SERVING_BSID_HEX, serving_bsid, 6);
    hex_to_bytes(SAMPLE_TARGET_BSID_HEX, target_bsid, 6);
    struct sample *s;

    /* Network entry at the serving BS: capabilities, with counter-based TEK generation. */
    struct tekho_sbc sbc;
    memset(&sbc, 0, sizeof sbc);
    sbc.mgmt_type = TEKHO_MGMT_SBC_REQ;
    sbc.has_bw_alloc_support = true;
    sbc.bw_alloc_support = 0x20;
    sbc.has_security_negotiation = true;
    sbc.sec = (struct tekho_security_negotiation){.has_pkm_version = true, .pkm_version = 1,
                                                  .has_auth_policy = true, .auth_policy = 0x0c,
                                                  .has_mac_mode = true, .mac_mode = 0x02,
                                                  .has_pn_window_size = true, .pn_window_size = 128,
                                                  .has_max_sas = true, .max_sas = 2,
                                                  .has_tek_generation = true, .tek_generation = TEKHO_TEKGEN_SUPPORTED};
    s = next(b, SAMPLE_AIR, "SBC-REQ", "sbc");
    air(b, s, s ? tekho_sbc_encode(&sbc, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, 0, NULL, NULL, 0);
    sbc.mgmt_type = TEKHO_MGMT_SBC_RSP;
    sbc.sec.tek_generation = TEKHO_TEKGEN_SUPPORTED | TEKHO_TEKGEN_REQUIRED;
    s = next(b, SAMPLE_AIR, "SBC-RSP", "sbc");
    air(b, s, s ? tekho_sbc_encode(&sbc, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, 0, NULL, NULL, 0);

    /* Initial TEKs by PKMv2 Key-Request / Key-Reply (the baseline's delivery). */
    struct tekho_pkm pkm;
    memset(&pkm, 0, sizeof pkm);
    pkm.mgmt_type = TEKHO_MGMT_PKM_REQ;
    pkm.code = TEKHO_PKM_KEY_REQUEST;
    pkm.identifier = 1;
    pkm.has_key_seq = pkm.has_said = pkm.has_nonce = pkm.has_cmac_digest = true;
    pkm.said = SAMPLE_SAID;
    memcpy(pkm.nonce, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    pkm.cmac_digest.cmac_pn = 1;
    const size_t digest_tlv = 2 + TEKHO_CMAC_DIGEST_LEN;
    s = next(b, SAMPLE_AIR, "PKM-REQ", "pkm");
    air(b, s, s ? tekho_pkm_encode(&pkm, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, digest_tlv, serving->cmac.key_u, serving->ak.akid, 1);

    pkm.mgmt_type = TEKHO_MGMT_PKM_RSP;
    pkm.code = TEKHO_PKM_KEY_REPLY;
    pkm.n_tek_params = 2;
    for (unsigned i = 0; i < 2; i++) {
        uint8_t tek[16];
        memset(tek, 0xA0 + (int)i, sizeof tek);
        struct tekho_tek_params *p = &pkm.tek_params[i];
        if (tekho_tek_wrap(TEKHO_SUITE_CCM_KEYWRAP, serving->ak.kek, tek, p->wrapped_tek, sizeof p->wrapped_tek,
                           &p->wrapped_tek_len) != TEKHO_OK)
            b->ok = 0;
        p->lifetime_s = i == 0 ? 3600 : 14400; /* PMK lifetime 28800 s: 1/8 and 1/2 */
        p->key_seq = (uint8_t)i;
    }
    s = next(b, SAMPLE_AIR, "PKM-RSP", "pkm");
    air(b, s, s ? tekho_pkm_encode(&pkm, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, digest_tlv, serving->cmac.key_d, serving->ak.akid, 1);
    pkm.n_tek_params = 0;

    pkm.code = TEKHO_PKM_KEY_REJECT;
    pkm.has_error_code = true;
    pkm.error_code = 6; /* unauthorized SAID */
    pkm.cmac_digest.cmac_pn = 2;
    s = next(b, SAMPLE_AIR, "PKM-RSP", "pkm");
    air(b, s, s ? tekho_pkm_encode(&pkm, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, digest_tlv, serving->cmac.key_d, serving->ak.akid, 2);

    pkm.code = TEKHO_PKM_TEK_INVALID;
    pkm.has_nonce = false;
    pkm.error_code = 0;
    pkm.cmac_digest.cmac_pn = 3;
    s = next(b, SAMPLE_AIR, "PKM-RSP", "pkm");
    air(b, s, s ? tekho_pkm_encode(&pkm, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, digest_tlv, serving->cmac.key_d, serving->ak.akid, 3);

    /* The SA-TEK 3-way handshake after re-authentication (the baseline-full
     * scheme, 802.16e-2005 7.2.2.4): challenge, request, response. */
    memset(&pkm, 0, sizeof pkm);
    pkm.mgmt_type = TEKHO_MGMT_PKM_RSP;
    pkm.code = TEKHO_PKM_SA_TEK_CHALLENGE;
    pkm.identifier = 2;
    pkm.has_key_seq = pkm.has_bs_random = pkm.has_akid = pkm.has_key_lifetime = pkm.has_cmac_digest = true;
    pkm.key_seq = 0; /* the AK sequence number */
    memcpy(pkm.bs_random, "\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8", 8);
    memcpy(pkm.akid, serving->ak.akid, 8);
    pkm.key_lifetime_s = 28800; /* the AK lifetime */
    /* Downlink CMAC_PNs 5 and 6: unique under the serving keys (MOB-BSHO-RSP below uses 4). */
    pkm.cmac_digest.cmac_pn = 5;
    s = next(b, SAMPLE_AIR, "PKM-RSP", "pkm");
    air(b, s, s ? tekho_pkm_encode(&pkm, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, digest_tlv, serving->cmac.key_d, serving->ak.akid, 5);

    pkm.mgmt_type = TEKHO_MGMT_PKM_REQ;
    pkm.code = TEKHO_PKM_SA_TEK_REQUEST;
    pkm.has_key_lifetime = false;
    pkm.has_ms_random = true;
    memcpy(pkm.ms_random, "\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8", 8);
    pkm.cmac_digest.cmac_pn = 2;
    s = next(b, SAMPLE_AIR, "PKM-REQ", "pkm");
    air(b, s, s ? tekho_pkm_encode(&pkm, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, digest_tlv, serving->cmac.key_u, serving->ak.akid, 2);

    pkm.mgmt_type = TEKHO_MGMT_PKM_RSP;
    pkm.code = TEKHO_PKM_SA_TEK_RESPONSE;
    pkm.has_said = true;
    pkm.said = SAMPLE_SAID;
    pkm.cmac_digest.cmac_pn = 6;
    s = next(b, SAMPLE_AIR, "PKM-RSP", "pkm");
    air(b, s, s ? tekho_pkm_encode(&pkm, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, digest_tlv, serving->cmac.key_d, serving->ak.akid, 6);

    /* The handover: the MS asks, the serving BS recommends the target with
     * counter-based TEK generation, the MS leaves. */
    struct tekho_mob_msho_req msho;
    memset(&msho, 0, sizeof msho);
    msho.report_metric = TEKHO_MOB_METRIC_CINR;
    msho.n_new_bs_full = 1;
    memcpy(msho.new_bs_full[0].bsid, target_bsid, 6);
    msho.new_bs_full[0].report.preamble_index = 17;
    msho.new_bs_full[0].report.cinr = 40;
    msho.new_bs_full[0].report.service_level_prediction = 2;
    msho.n_current_bs = 1;
    msho.current_bs[0].cinr = 12;
    msho.has_cmac = true;
    msho.cmac.cmac_pn = 4;
    s = next(b, SAMPLE_AIR, "MOB-MSHO-REQ", "mob_msho_req");
    air(b, s, s ? tekho_mob_msho_req_encode(&msho, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, CMAC_TLV_LEN, serving->cmac.key_u, serving->ak.akid, 4);

    struct tekho_mob_bsho_rsp bsho;
    memset(&bsho, 0, sizeof bsho);
    bsho.mode = TEKHO_MOB_BSHO_MODE_HO;
    bsho.n_recommended = 1;
    memcpy(bsho.recommended[0].bsid, target_bsid, 6);
    bsho.recommended[0].preamble_index = 17;
    bsho.recommended[0].service_level_prediction = 2;
    bsho.recommended[0].ho_process_optimization = TEKHO_MOB_HO_OPT_WITH_TEK_MODE(0, TEKHO_HO_TEK_COUNTER);
    bsho.recommended[0].has_ho_id = true;
    bsho.recommended[0].ho_id = 42;
    bsho.action_time = 4;
    bsho.has_cmac = true;
    bsho.cmac.cmac_pn = 4;
    s = next(b, SAMPLE_AIR, "MOB-BSHO-RSP", "mob_bsho_rsp");
    air(b, s, s ? tekho_mob_bsho_rsp_encode(&bsho, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, CMAC_TLV_LEN, serving->cmac.key_d, serving->ak.akid, 4);

    struct tekho_mob_ho_ind ind;
    memset(&ind, 0, sizeof ind);
    ind.ho_ind_type = TEKHO_MOB_HO_IND_RELEASE;
    memcpy(ind.target_bsid, target_bsid, 6);
    ind.preamble_index = 17;
    ind.has_cmac = true;
    ind.cmac.cmac_pn = 5;
    s = next(b, SAMPLE_AIR, "MOB-HO-IND", "mob_ho_ind");
    air(b, s, s ? tekho_mob_ho_ind_encode(&ind, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, CMAC_TLV_LEN, serving->cmac.key_u, serving->ak.akid, 5);

    /* Expedited uplink data at the target under the counter TEKs, before ranging. */
    uint8_t tek0[16], tek1[16];
    struct tekho_pdu_key *key = NULL;
    s = next(b, SAMPLE_AIR, "Data", "mac_pdu");
    if (s == NULL || tekho_tek_generate(target->ak.kek, SAMPLE_HANDOVER_COUNT, SAMPLE_SAID, tek0, tek1) != TEKHO_OK ||
        tekho_pdu_key_new(tek0, &key) != TEKHO_OK) {
        b->ok = 0;
    } else {
        static const uint8_t voice[] = "20 ms of voice at the target before RNG-RSP";
        const struct tekho_pdu_seal_params p = {.dir = TEKHO_DIR_UL, .pn = 1, .cid = SAMPLE_DATA_CID, .eks = 0,
                                                .crc = true};
        if (tekho_pdu_seal(key, &p, voice, sizeof voice - 1, s->pdu, sizeof s->pdu, &s->pdu_len) != TEKHO_OK)
            b->ok = 0;
        memcpy(s->msg, s->pdu, s->pdu_len);
        s->msg_len = s->pdu_len;
    }
    tekho_pdu_key_free(key);

    /* Ranging at the target with CMAC_KEY_COUNT = TM, CMAC under the target's keys. */
    struct tekho_rng_req req = {.has_ms_mac = true, .has_serving_bsid = true, .has_ranging_purpose = true,
                                .ranging_purpose = TEKHO_RANGING_PURPOSE_HO, .has_ho_id = true, .ho_id = 42,
                                .has_cmac_key_count = true, .cmac_key_count = SAMPLE_HANDOVER_COUNT,
                                .has_cmac = true};
    memcpy(req.ms_mac, ms_mac, 6);
    memcpy(req.serving_bsid, serving_bsid, 6);
    req.cmac.cmac_pn = 1;
    s = next(b, SAMPLE_AIR, "RNG-REQ", "rng_req");
    air(b, s, s ? tekho_rng_req_encode(&req, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, CMAC_TLV_LEN, target->cmac.key_u, target->ak.akid, 1);

    struct tekho_rng_rsp rsp;
    memset(&rsp, 0, sizeof rsp);
    rsp.has_ranging_status = true;
    rsp.ranging_status = TEKHO_RANGING_STATUS_SUCCESS;
    rsp.has_ms_mac = true;
    memcpy(rsp.ms_mac, ms_mac, 6);
    rsp.has_ho_process_optimization = true;
    rsp.ho_process_optimization = TEKHO_HO_TEK_COUNTER << TEKHO_HO_OPT_TEK_SHIFT;
    rsp.has_ho_id = true;
    rsp.ho_id = 42;
    rsp.has_cmac = true;
    rsp.cmac.cmac_pn = 1;
    s = next(b, SAMPLE_AIR, "RNG-RSP", "rng_rsp");
    air(b, s, s ? tekho_rng_rsp_encode(&rsp, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, CMAC_TLV_LEN, target->cmac.key_d, target->ak.akid, 1);

    /* The baseline it replaces: random TEKs in SA-TEK-Update, with the SA challenge. */
    rsp.ho_process_optimization = TEKHO_HO_TEK_UPDATE << TEKHO_HO_OPT_TEK_SHIFT;
    rsp.has_sa_challenge = true;
    memcpy(rsp.bs_random, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    memcpy(rsp.akid, target->ak.akid, 8);
    rsp.n_sa_tek_updates = 1;
    rsp.sa_tek_updates[0] = (struct tekho_sa_tek_update){.type = 0x80, .new_said = SAMPLE_SAID,
                                                         .old_said = SAMPLE_SAID};
    rsp.sa_tek_updates[0].new_params.lifetime_s = 3600;
    rsp.sa_tek_updates[0].new_params.key_seq = 1;
    if (tekho_tek_wrap(TEKHO_SUITE_CCM_KEYWRAP, target->ak.kek, tek1, rsp.sa_tek_updates[0].new_params.wrapped_tek,
                       24, &rsp.sa_tek_updates[0].new_params.wrapped_tek_len) != TEKHO_OK)
        b->ok = 0;
    rsp.cmac.cmac_pn = 2;
    s = next(b, SAMPLE_AIR, "RNG-RSP", "rng_rsp");
    air(b, s, s ? tekho_rng_rsp_encode(&rsp, s->msg, sizeof s->msg, &s->msg_len) : TEKHO_ERR_TOO_MANY, CMAC_TLV_LEN, target->cmac.key_d, target->ak.akid, 2);
}

/* Node ids of the backbone endpoints in the captures. */
#define NODE_SERVING 5
#define NODE_TARGET 7
#define NODE_AUTHENTICATOR 1

static void build_backbone(struct builder *b, const struct keys *target)
{
    struct tekho_asncp m;
    memset(&m, 0, sizeof m);
    hex_to_bytes(SAMPLE_MS_MAC_HEX, m.msid, 6);
    memcpy(m.ms_id, m.msid, 6);
    m.has_ms_id = true;
    m.has_source_id = m.has_destination_id = true;
    hex_to_bytes(SAMPLE_SERVING_BSID_HEX, m.source_id, 6);
    hex_to_bytes(SAMPLE_TARGET_BSID_HEX, m.destination_id, 6);

    m.msg = TEKHO_ASNCP_HO_REQ;
    m.transaction_id = 1;
    m.has_ho_type = true;
    m.ho_type = TEKHO_ASNCP_HO_TYPE_HHO;
    m.has_ho_process_optimization = true;
    m.ho_process_optimization = TEKHO_HO_TEK_COUNTER << TEKHO_HO_OPT_TEK_SHIFT;
    backbone(b, "HO_Req", &m, NODE_SERVING, NODE_TARGET);

    m.msg = TEKHO_ASNCP_HO_RSP;
    m.has_ho_type = false;
    m.has_ho_id = true;
    m.ho_id = 42;
    m.has_bs_ho_rsp_code = true;
    m.bs_ho_rsp_code = 0;
    hex_to_bytes(SAMPLE_TARGET_BSID_HEX, m.source_id, 6);
    hex_to_bytes(SAMPLE_SERVING_BSID_HEX, m.destination_id, 6);
    backbone(b, "HO_Rsp", &m, NODE_TARGET, NODE_SERVING);
    m.has_bs_ho_rsp_code = m.has_ho_id = m.has_ho_process_optimization = false;

    m.msg = TEKHO_ASNCP_HO_ACK;
    hex_to_bytes(SAMPLE_SERVING_BSID_HEX, m.source_id, 6);
    hex_to_bytes(SAMPLE_TARGET_BSID_HEX, m.destination_id, 6);
    backbone(b, "HO_Ack", &m, NODE_SERVING, NODE_TARGET);

    /* The target fetches the AK context; the Authenticator answers with N. */
    m.msg = TEKHO_ASNCP_CONTEXT_REQ;
    m.transaction_id = 2;
    m.has_source_id = m.has_destination_id = false;
    m.has_context_purpose = true;
    m.context_purpose = 0x1; /* MS AK context */
    m.has_bs_id = true;
    hex_to_bytes(SAMPLE_TARGET_BSID_HEX, m.bs_id, 6);
    backbone(b, "Context_Req", &m, NODE_TARGET, NODE_AUTHENTICATOR);

    m.msg = TEKHO_ASNCP_CONTEXT_RPT;
    m.has_ak_context = true;
    memcpy(m.ak_context.ak, target->ak.ak, 20);
    memcpy(m.ak_context.ak_id, target->ak.akid, 8);
    m.ak_context.ak_lifetime_s = 28800;
    m.ak_context.ak_sn = 0;
    m.ak_context.has_cmac_key_count = true;
    m.ak_context.cmac_key_count = SAMPLE_HANDOVER_COUNT;
    backbone(b, "Context_Rpt", &m, NODE_AUTHENTICATOR, NODE_TARGET);
    m.has_ak_context = false;
    m.has_context_purpose = false;

    m.msg = TEKHO_ASNCP_CONTEXT_ACK;
    backbone(b, "Context_Ack", &m, NODE_TARGET, NODE_AUTHENTICATOR);

    m.msg = TEKHO_ASNCP_HO_CNF;
    m.transaction_id = 1;
    m.has_bs_id = false;
    m.has_source_id = m.has_destination_id = true;
    backbone(b, "HO_Cnf", &m, NODE_SERVING, NODE_TARGET);

    /* The target reports the count the MS used; the Authenticator moves N on. */
    m.msg = TEKHO_ASNCP_HO_COMPLETE;
    m.transaction_id = 3;
    m.has_source_id = m.has_destination_id = false;
    m.has_cmac_key_count = true;
    m.cmac_key_count = SAMPLE_HANDOVER_COUNT;
    m.has_bs_id = true;
    backbone(b, "HO_Complete", &m, NODE_TARGET, NODE_AUTHENTICATOR);

    m.msg = TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE;
    m.transaction_id = 4;
    m.cmac_key_count = SAMPLE_HANDOVER_COUNT + 1;
    hex_to_bytes(SAMPLE_SERVING_BSID_HEX, m.bs_id, 6);
    backbone(b, "CMAC_Key_Count_Update", &m, NODE_AUTHENTICATOR, NODE_SERVING);

    m.msg = TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE_ACK;
    backbone(b, "CMAC_Key_Count_Update_ACK", &m, NODE_SERVING, NODE_AUTHENTICATOR);

    /* The reuse scheme: the serving BS hands its TEKs and PN state to the target. */
    m.msg = TEKHO_ASNCP_HO_REQ;
    m.transaction_id = 5;
    m.has_cmac_key_count = m.has_bs_id = false;
    m.has_source_id = m.has_destination_id = true;
    m.has_ho_type = true;
    m.has_ho_process_optimization = true;
    m.ho_process_optimization = TEKHO_HO_TEK_REUSE << TEKHO_HO_OPT_TEK_SHIFT;
    m.n_sa = 1;
    m.sa[0].said = SAMPLE_SAID;
    m.sa[0].has_older = m.sa[0].has_newer = true;
    m.sa[0].older = (struct tekho_asncp_tek){.lifetime_s = 3600, .tek_sn = 0, .pn_counter = 1200, .rxpn_counter = 1180};
    memset(m.sa[0].older.tek, 0xA0, 16);
    m.sa[0].newer = (struct tekho_asncp_tek){.lifetime_s = 14400, .tek_sn = 1, .pn_counter = 0, .rxpn_counter = 0};
    memset(m.sa[0].newer.tek, 0xA1, 16);
    backbone(b, "HO_Req", &m, NODE_SERVING, NODE_TARGET);
    tekho_asncp_wipe(&m);
}

size_t samples_build(struct sample *out, size_t max)
{
    struct keys serving, target;
    if (!derive(SAMPLE_SERVING_BSID_HEX, 0, &serving) || !derive(SAMPLE_TARGET_BSID_HEX, SAMPLE_HANDOVER_COUNT, &target))
        return 0;
    struct builder b = {.s = out, .max = max, .ok = 1};
    build_air(&b, &serving, &target);
    build_backbone(&b, &target);
    return b.ok ? b.n : 0;
}
