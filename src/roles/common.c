#include "common.h"
#include "../mutation.h"

#include "../crypto/kit.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

void tekho_actions_reset(struct tekho_actions *a)
{
    OPENSSL_cleanse(a->arena, a->used < sizeof a->arena ? a->used : sizeof a->arena);
    a->n = 0;
    a->used = 0;
    a->err = TEKHO_OK;
}

static struct tekho_action *push(struct tekho_actions *out)
{
    if (out->n == TEKHO_ACTIONS_MAX) {
        out->err = TEKHO_ERR_TOO_MANY;
        return NULL;
    }
    struct tekho_action *a = &out->list[out->n++];
    memset(a, 0, sizeof *a);
    return a;
}

static const uint8_t *keep(struct tekho_actions *out, const uint8_t *bytes, size_t len)
{
    if (len == 0)
        return NULL;
    if (len > TEKHO_ACTIONS_ARENA - out->used) {
        out->err = TEKHO_ERR_TOO_MANY;
        return NULL;
    }
    uint8_t *p = out->arena + out->used;
    memcpy(p, bytes, len);
    out->used += len;
    return p;
}

void tekho_act(struct tekho_actions *out, enum tekho_action_kind kind, uint32_t peer, uint32_t ms, const uint8_t *bytes,
               size_t len)
{
    const uint8_t *kept = keep(out, bytes, len);
    if (len && kept == NULL)
        return;
    struct tekho_action *a = push(out);
    if (a == NULL)
        return;
    a->kind = kind;
    a->peer = peer;
    a->ms = ms;
    a->bytes = kept;
    a->len = len;
}

void tekho_act_timer(struct tekho_actions *out, uint32_t timer, uint64_t at_us)
{
    struct tekho_action *a = push(out);
    if (a) {
        a->kind = TEKHO_ACT_TIMER;
        a->timer = timer;
        a->at_us = at_us;
    }
}

void tekho_act_cancel_timer(struct tekho_actions *out, uint32_t timer)
{
    struct tekho_action *a = push(out);
    if (a) {
        a->kind = TEKHO_ACT_CANCEL_TIMER;
        a->timer = timer;
    }
}

void tekho_act_event(struct tekho_actions *out, uint32_t ms, enum tekho_event code, int64_t value, const uint8_t *bytes,
                     size_t len)
{
    const uint8_t *kept = keep(out, bytes, len);
    struct tekho_action *a = push(out);
    if (a) {
        a->kind = TEKHO_ACT_EVENT;
        a->ms = ms;
        a->code = code;
        a->value = value;
        a->bytes = kept;
        a->len = kept ? len : 0;
    }
}

tekho_err tekho_cmac_link_set_count(struct tekho_crypto_kit *kit, struct cmac_link *l, uint16_t count)
{
    tekho_err err = tekho_derive_cmac_keys_with(kit, &l->ak, count, &l->keys);
    l->ready = err == TEKHO_OK;
    l->count = count;
    /* CMAC_PN_U and CMAC_PN_D restart with new CMAC keys (profile 7). */
    l->tx_pn = 0;
    memset(&l->rx, 0, sizeof l->rx);
    return err;
}

tekho_err tekho_cmac_link_from_msk(struct tekho_crypto_kit *kit, struct cmac_link *l, const uint8_t msk[64],
                                   const uint8_t ms_mac[6], const uint8_t bsid[6], uint8_t pmk_sn, uint16_t count)
{
    tekho_cmac_link_wipe(l);
    tekho_err err = tekho_derive_from_msk_with(kit, msk, ms_mac, bsid, pmk_sn, &l->ak);
    l->key_seq = pmk_sn & 0x0F;
    memcpy(l->bsid, bsid, 6);
    return err == TEKHO_OK ? tekho_cmac_link_set_count(kit, l, count) : err;
}

tekho_err tekho_cmac_link_from_ak(struct tekho_crypto_kit *kit, struct cmac_link *l, const uint8_t ak[20],
                                  const uint8_t ms_mac[6], const uint8_t bsid[6], uint8_t ak_sn, uint16_t count)
{
    tekho_cmac_link_wipe(l);
    tekho_err err = tekho_derive_from_ak_with(kit, ak, ms_mac, bsid, ak_sn, &l->ak);
    l->key_seq = ak_sn & 0x0F;
    memcpy(l->bsid, bsid, 6);
    return err == TEKHO_OK ? tekho_cmac_link_set_count(kit, l, count) : err;
}

void tekho_cmac_link_wipe(struct cmac_link *l)
{
    OPENSSL_cleanse(l, sizeof *l);
}

tekho_err tekho_sign_mgmt(struct tekho_crypto_kit *kit, struct cmac_link *l, bool uplink, uint16_t cid, uint8_t *msg,
                          size_t len, size_t trailer_len)
{
    if (!l->ready || len < trailer_len)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* The encoder wrote the PN the caller chose: l->tx_pn, then advance. */
    tekho_err err = tekho_mgmt_cmac_sign_with(kit->cmac, msg, len, len - trailer_len,
                                              uplink ? l->keys.key_u : l->keys.key_d, l->ak.akid, l->tx_pn, cid);
    if (err == TEKHO_OK)
        l->tx_pn++;
    return err;
}

struct tekho_cmac_tuple tekho_cmac_tuple_next(const struct cmac_link *l)
{
    struct tekho_cmac_tuple t = {.key_seq = l->key_seq, .cmac_pn = l->tx_pn};
    return t;
}

tekho_err tekho_verify_mgmt(struct tekho_crypto_kit *kit, struct cmac_link *l, bool uplink, uint16_t cid,
                            const uint8_t *msg, size_t len, size_t cmac_offset, const struct tekho_cmac_tuple *tuple)
{
    if (!l->ready)
        return TEKHO_ERR_BAD_CMAC;
    /* The tuple names the AK it was made with (profile 7): another AK
     * sequence or BS is refused before any crypto. */
    if (tuple->key_seq != l->key_seq)
        return TEKHO_ERR_BAD_KEY_SEQ;
    if (tuple->has_bsid && memcmp(tuple->bsid, l->bsid, 6) != 0)
        return TEKHO_ERR_WRONG_BSID;
    return tekho_verify_pkm(kit, l, uplink, cid, msg, len, cmac_offset, tuple->cmac_pn);
}

tekho_err tekho_verify_pkm(struct tekho_crypto_kit *kit, struct cmac_link *l, bool uplink, uint16_t cid,
                           const uint8_t *msg, size_t len, size_t cmac_offset, uint32_t cmac_pn)
{
    if (!l->ready)
        return TEKHO_ERR_BAD_CMAC;
#ifdef TEKHO_MUTATION_NO_CMAC_PN_CHECK
    tekho_err err = TEKHO_OK;
#else
    tekho_err err = tekho_cmac_pn_check(&l->rx, cmac_pn);
#endif
    if (err == TEKHO_OK)
        err = tekho_mgmt_cmac_verify_with(kit->cmac, msg, len, cmac_offset, uplink ? l->keys.key_u : l->keys.key_d,
                                          l->ak.akid, cmac_pn, cid);
    if (err == TEKHO_OK)
        tekho_cmac_pn_accept(&l->rx, cmac_pn);
    return err;
}

void tekho_asncp_about(struct tekho_asncp *msg, enum tekho_asncp_msg type, const uint8_t ms_mac[6],
                       uint16_t transaction)
{
    memset(msg, 0, sizeof *msg);
    msg->msg = type;
    memcpy(msg->msid, ms_mac, 6);
    msg->transaction_id = transaction;
    msg->has_ms_id = true;
    memcpy(msg->ms_id, ms_mac, 6);
}

void tekho_send_backbone(struct tekho_actions *out, uint32_t to, const struct tekho_asncp *msg)
{
    uint8_t buf[TEKHO_ASNCP_MAX_LEN];
    size_t len = 0;
    tekho_err err = tekho_asncp_encode(msg, buf, sizeof buf, &len);
    if (err != TEKHO_OK) {
        out->err = err;
        return;
    }
    tekho_act(out, TEKHO_ACT_BACKBONE, to, 0, buf, len);
    OPENSSL_cleanse(buf, len); /* AK contexts and reuse TEKs pass through here */
}

void tekho_send_mgmt(struct tekho_actions *out, enum tekho_action_kind kind, uint32_t peer, uint32_t ms, uint16_t cid,
                     const uint8_t *msg, size_t len)
{
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t pdu_len = 0;
    tekho_err err = tekho_mgmt_frame(cid, true, msg, len, pdu, sizeof pdu, &pdu_len);
    if (err != TEKHO_OK) {
        out->err = err;
        return;
    }
    tekho_act(out, kind, peer, ms, pdu, pdu_len);
}

void tekho_tek_fingerprints(const struct tekho_tek_context *ctx, uint8_t fp[2][8])
{
    for (int i = 0; i < 2; i++) {
        if (ctx->tek[i].installed)
            memcpy(fp[i], ctx->tek[i].key_id, 8);
        else
            memset(fp[i], 0, 8);
    }
}

tekho_err tekho_seal_plain(uint16_t cid, const uint8_t *payload, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    return tekho_mgmt_frame(cid, true, payload, len, out, cap, out_len);
}

/* Here, not with the driver: a program that only runs the roles links no
 * simulator (and, statically, no libpcap). */
void tekho_timing_default(struct tekho_timing *t)
{
    t->retransmit_us = 50000;
    t->rng_retransmit_us = 50000; /* the emulator: 200 ms, tekho_sim_params_emulator */
    t->ho_response_us = 500000;
    t->backbone_retransmit_us = 250000;
    t->max_retries = 3;
    t->sync_us = 10000;
    t->ranging_wait_us = 5000;
    t->tek_grace_us = 500000;
    t->aaa_rtt_us = 40000;
    t->aaa_round_trips = 4;
    t->ho_cache_us = 2000000;
    t->eap_round_trips = 4;
}

void tekho_ms_mac_of_index(uint32_t index, uint8_t mac[6])
{
    mac[0] = 0x02; /* locally administered */
    mac[1] = 0x74;
    mac[2] = 0x6b;
    mac[3] = (uint8_t)(index >> 16);
    mac[4] = (uint8_t)(index >> 8);
    mac[5] = (uint8_t)index;
}

bool tekho_ms_index_of_mac(const uint8_t mac[6], uint32_t *index)
{
    if (mac[0] != 0x02 || mac[1] != 0x74 || mac[2] != 0x6b)
        return false;
    *index = (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
    return true;
}

uint16_t tekho_ms_basic_cid(uint32_t index)
{
    return (uint16_t)(1 + index % TEKHO_MGMT_CID_MAX);
}

uint16_t tekho_ms_data_cid(uint32_t index)
{
    /* Above the management range, one per MS. */
    return (uint16_t)(TEKHO_MGMT_CID_MAX + 1 + index % (0xFEFFu - TEKHO_MGMT_CID_MAX - 1));
}

int tekho_tek_usable_slot(const struct tekho_tek_context *ctx, uint64_t now_ms)
{
    /* The older of the usable TEKs (the first to expire): the newer one
     * may still be on its way to the peer in a Key-Reply, and the older
     * one is used up to its end, so nothing in flight is lost at a refresh. */
    int best = -1;
    for (int i = 0; i < 2; i++)
        if (ctx->tek[i].installed && now_ms < ctx->tek[i].expires_at_ms && ctx->tek[i].tx_pn < TEKHO_PN_COUNTER_MAX &&
            (best < 0 || ctx->tek[i].expires_at_ms < ctx->tek[best].expires_at_ms))
            best = i;
    return best;
}

const char *tekho_scheme_name(enum tekho_scheme s)
{
    static const char *const names[TEKHO_SCHEME_COUNT] = {"none",      "counter",        "baseline-update",
                                                          "baseline-full", "reuse", "none-late",
                                                          "baseline-early", "baseline-challenge"};
    return (unsigned)s < TEKHO_SCHEME_COUNT ? names[s] : "?";
}

bool tekho_scheme_encrypts(enum tekho_scheme s)
{
    return s != TEKHO_SCHEME_NONE && s != TEKHO_SCHEME_NONE_LATE;
}

bool tekho_scheme_early_data(enum tekho_scheme s)
{
#ifdef TEKHO_MUTATION_EARLY_DATA
    (void)s; /* every scheme sends before ranging where it holds keys: none-late does */
    return true;
#else
    return s == TEKHO_SCHEME_NONE || s == TEKHO_SCHEME_COUNTER || s == TEKHO_SCHEME_REUSE ||
           s == TEKHO_SCHEME_BASELINE_EARLY;
#endif
}

tekho_err tekho_scheme_parse(const char *name, enum tekho_scheme *out)
{
    if (name == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    for (int s = 0; s < TEKHO_SCHEME_COUNT; s++) {
        if (strcmp(name, tekho_scheme_name((enum tekho_scheme)s)) == 0) {
            *out = (enum tekho_scheme)s;
            return TEKHO_OK;
        }
    }
    return TEKHO_ERR_BAD_VALUE;
}

const char *tekho_event_name(enum tekho_event e)
{
    static const char *const names[] = {"KEYS_INSTALLED", "HO_STARTED",      "HO_COMPLETED",    "HO_CANCELLED",
                                        "HO_FAILED",      "SELF_SYNC",       "RESYNC_RNG_REQ",  "PDU_DISCARDED",
                                        "RELEASED",       "TEK_BYTES_OVER_AIR", "CONTEXT_CACHED", "CONTEXT_REUSED",
                                        "COUNT_UPDATED",  "CAPABILITY",      "RETRANSMIT",      "SEALED",
                                        "NEW_PMK",        "HO_LEFT",         "TEK_BYTES_OVER_BACKBONE"};
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

tekho_err tekho_reauth_next_msk(const uint8_t msk[64], uint8_t next[64])
{
    uint8_t d[64];
    unsigned n = 0;
    const tekho_err err = EVP_Digest(msk, 64, d, &n, EVP_sha512(), NULL) && n == 64 ? TEKHO_OK : TEKHO_ERR_CRYPTO;
    if (err == TEKHO_OK)
        memcpy(next, d, 64);
    OPENSSL_cleanse(d, sizeof d);
    return err;
}
