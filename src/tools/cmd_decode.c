/* tekho decode: every message in an air (USER0) or backbone (Ethernet/UDP
 * 2231) capture, with its name and decoded fields, one line or one JSON
 * object each. Given keys, it also verifies CMAC tuples and CMAC-Digests
 * and opens encrypted PDUs, which Wireshark cannot do for 802.16. No key
 * is ever printed. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fields.h"
#include "tekho/asncp.h"
#include "tekho/capture.h"
#include "tekho/mgmt.h"
#include "tekho/tekho.h"

#define MAX_BSIDS 8
#define MAX_COUNTS 16
#define MAX_DELIVERED 16

static const struct cli_opt DECODE_OPTS[] = {
    {.name = "msk", .kind = CLI_HEX, .secret = true, .min_len = 64, .max_len = 64,
     .help = "the MSK: derive AK, KEK and CMAC keys for every BSID given or named in a CMAC tuple"},
    {.name = "ms-mac", .kind = CLI_HEX, .min_len = 6, .max_len = 6, .help = "the MS MAC address (with --msk)"},
    {.name = "bsid", .kind = CLI_HEX, .min_len = 6, .max_len = 6 * MAX_BSIDS,
     .help = "one BSID, or several written one after another (serving and target)"},
    {.name = "ckc", .kind = CLI_NUM, .min = 0, .max = 0xFFFF,
     .help = "a CMAC_KEY_COUNT to try (counts seen in RNG-REQ and ASN-CP are tried too; default 0)"},
    {.name = "kek", .kind = CLI_HEX, .secret = true, .min_len = 16, .max_len = 16,
     .help = "a KEK: unwraps delivered TEKs and derives counter-based TEKs"},
    {.name = "tek", .kind = CLI_HEX, .secret = true, .min_len = 16, .max_len = 16,
     .help = "a TEK to open encrypted PDUs with"},
    {.name = "said", .kind = CLI_NUM, .min = 0, .max = 0xFFFF,
     .help = "SAID for counter-based TEKs (default: the CID of the last management PDU, the basic CID)"},
};
enum { OPT_MSK, OPT_MS_MAC, OPT_BSID, OPT_CKC, OPT_KEK, OPT_TEK, OPT_SAID };
static const struct cli_cmd DECODE_CMD = {
    "decode", "FILE.pcap [--json] [--msk HEX --ms-mac HEX --bsid HEX [--ckc N]] [--kek HEX] [--tek HEX] [--said N]",
    "Prints every message of an air capture (LINKTYPE_USER0, raw MAC PDUs) or a backbone capture\n"
    "(Ethernet/IPv4/UDP port 2231, ASN-CP) with its name and decoded fields. With keys, verifies CMACs\n"
    "(cmac=ok|bad|absent) and opens encrypted PDUs (decrypt=ok|bad). A malformed message is reported\n"
    "with its named error and decoding goes on. JSON objects carry frame, type, fields, cmac, decrypt.",
    DECODE_OPTS, sizeof DECODE_OPTS / sizeof DECODE_OPTS[0]};

struct delivered_tek {
    uint8_t tek[16];
    uint8_t eks;
};

/* What the keys given and the capture so far let us verify and open. */
struct keyring {
    bool have_msk;
    uint8_t msk[64];
    uint8_t ms_mac[6];
    size_t n_bsids;
    uint8_t bsids[MAX_BSIDS + 1][6];
    size_t n_counts;
    uint16_t counts[MAX_COUNTS];
    bool have_kek;
    uint8_t kek[16];
    bool have_tek;
    uint8_t tek[16];
    bool have_said;
    uint16_t said;
    bool have_basic_cid;
    uint16_t basic_cid;
    size_t n_delivered;
    struct delivered_tek delivered[MAX_DELIVERED];
};

static void learn_count(struct keyring *k, uint16_t count)
{
    for (size_t i = 0; i < k->n_counts; i++)
        if (k->counts[i] == count)
            return;
    if (k->n_counts < MAX_COUNTS)
        k->counts[k->n_counts++] = count;
}

static bool keys_given(const struct keyring *k)
{
    return k->have_msk || k->have_kek || k->have_tek;
}

/* The outcome of a CMAC check, for the "cmac" member. */
static const char *verify_cmac(struct keyring *k, const uint8_t *msg, size_t len, bool has_cmac, size_t cmac_offset,
                               uint32_t cmac_pn, uint16_t cid, bool uplink, const uint8_t *tuple_bsid)
{
    if (!has_cmac)
        return "absent";
    if (!k->have_msk)
        return NULL; /* nothing to say without keys */
    size_t n = k->n_bsids;
    const uint8_t(*bsids)[6] = (const uint8_t(*)[6])k->bsids;
    if (tuple_bsid != NULL) {
        bsids = (const uint8_t(*)[6])tuple_bsid;
        n = 1;
    }
    for (size_t b = 0; b < n; b++) {
        struct tekho_ak_keys ak;
        if (tekho_derive_from_msk(k->msk, k->ms_mac, bsids[b], 0, &ak) != TEKHO_OK)
            continue;
        for (size_t c = 0; c < k->n_counts; c++) {
            struct tekho_cmac_keys ck;
            if (tekho_derive_cmac_keys(&ak, k->counts[c], &ck) != TEKHO_OK)
                continue;
            tekho_err err = tekho_mgmt_cmac_verify(msg, len, cmac_offset, uplink ? ck.key_u : ck.key_d, ak.akid,
                                                   cmac_pn, cid);
            tekho_cmac_keys_wipe(&ck);
            if (err == TEKHO_OK) {
                tekho_ak_keys_wipe(&ak);
                return "ok";
            }
        }
        tekho_ak_keys_wipe(&ak);
    }
    return "bad";
}

/* Each KEK the keys give: the one given, and one per BSID from the MSK. */
static size_t keks(const struct keyring *k, uint8_t out[][16], size_t max)
{
    size_t n = 0;
    if (k->have_kek && n < max)
        memcpy(out[n++], k->kek, 16);
    for (size_t b = 0; k->have_msk && b < k->n_bsids && n < max; b++) {
        struct tekho_ak_keys ak;
        if (tekho_derive_from_msk(k->msk, k->ms_mac, k->bsids[b], 0, &ak) == TEKHO_OK)
            memcpy(out[n++], ak.kek, 16);
        tekho_ak_keys_wipe(&ak);
    }
    return n;
}

static void learn_delivered(struct keyring *k, const struct tekho_tek_params *p)
{
    uint8_t kek[MAX_BSIDS + 1][16];
    const size_t n = keks(k, kek, MAX_BSIDS + 1);
    const uint32_t suite = p->wrapped_tek_len == 24 ? TEKHO_SUITE_CCM_KEYWRAP : TEKHO_SUITE_CCM_ECB;
    for (size_t i = 0; i < n && k->n_delivered < MAX_DELIVERED; i++) {
        struct delivered_tek *d = &k->delivered[k->n_delivered];
        /* ECB has no integrity check, so only key wrap says which KEK was right. */
        if (tekho_tek_unwrap(suite, kek[i], p->wrapped_tek, p->wrapped_tek_len, d->tek) == TEKHO_OK) {
            d->eks = p->key_seq;
            k->n_delivered++;
            if (suite == TEKHO_SUITE_CCM_KEYWRAP)
                break;
        }
    }
    OPENSSL_cleanse(kek, sizeof kek);
}

static bool try_tek(const uint8_t tek[16], const uint8_t *pdu, const struct tekho_pdu_view *view)
{
    struct tekho_pdu_key *key = NULL;
    uint8_t out[TEKHO_PDU_MAX_LEN];
    size_t out_len = 0;
    bool ok = tekho_pdu_key_new(tek, &key) == TEKHO_OK &&
              tekho_pdu_decrypt(key, pdu, view, out, sizeof out, &out_len) == TEKHO_OK;
    tekho_pdu_key_free(key);
    OPENSSL_cleanse(out, sizeof out);
    return ok;
}

/* Every TEK the keys allow for this PDU's EKS; "ok" if one opens it. */
static const char *open_data(struct keyring *k, const uint8_t *pdu, const struct tekho_pdu_view *view)
{
    if (!keys_given(k))
        return NULL;
    bool opened = k->have_tek && try_tek(k->tek, pdu, view);
    for (size_t i = 0; !opened && i < k->n_delivered; i++)
        opened = k->delivered[i].eks == view->gmh.eks && try_tek(k->delivered[i].tek, pdu, view);
    const bool have_said = k->have_said || k->have_basic_cid;
    const uint16_t said = k->have_said ? k->said : k->basic_cid;
    if (!opened && have_said && view->gmh.eks <= 1) {
        uint8_t kek[MAX_BSIDS + 1][16];
        const size_t n = keks(k, kek, MAX_BSIDS + 1);
        /* Each known count c, and c + 1: before ranging completes the MS
         * sends under CMAC_KEY_COUNT_TM = M + 1 (seed, step 1). */
        for (size_t i = 0; !opened && i < n; i++) {
            for (size_t c = 0; !opened && c < 2 * k->n_counts; c++) {
                uint8_t tek[2][16];
                const uint16_t count = (uint16_t)(k->counts[c / 2] + c % 2);
                if (tekho_tek_generate(kek[i], count, said, tek[0], tek[1]) == TEKHO_OK)
                    opened = try_tek(tek[view->gmh.eks], pdu, view);
                OPENSSL_cleanse(tek, sizeof tek);
            }
        }
        OPENSSL_cleanse(kek, sizeof kek);
    }
    return opened ? "ok" : "bad";
}

/* ---- fields of each message ------------------------------------------- */

static const char *tek_mode_name(unsigned mode)
{
    static const char *const names[] = {"reauth", "sa-tek-update", "counter", "reuse"};
    return names[mode & 3];
}

static void put_cmac_tuple(struct fields *f, const struct tekho_cmac_tuple *t)
{
    fields_begin_object(f, "cmac_tuple");
    fields_u(f, "key_seq", t->key_seq);
    if (t->has_bsid)
        fields_hex(f, "bsid", t->bsid, 6);
    fields_u(f, "cmac_pn", t->cmac_pn);
    fields_end_object(f);
}

static void put_tek_params(struct fields *f, const char *name, const struct tekho_tek_params *p)
{
    fields_begin_object(f, name);
    fields_hex(f, "wrapped_tek", p->wrapped_tek, p->wrapped_tek_len); /* encrypted under the KEK */
    fields_u(f, "lifetime_s", p->lifetime_s);
    fields_u(f, "key_seq", p->key_seq);
    fields_end_object(f);
}

struct verdict {
    const char *cmac;
    const char *decrypt;
};

static tekho_err mgmt_fields(struct keyring *k, uint16_t cid, const uint8_t *msg, size_t len, struct fields *f,
                             struct verdict *v)
{
    tekho_err err = TEKHO_OK;
    switch (msg[0]) {
    case TEKHO_MGMT_RNG_REQ: {
        struct tekho_rng_req m;
        if ((err = tekho_rng_req_decode(msg, len, &m)) != TEKHO_OK)
            break;
        fields_mac(f, "ms_mac", m.ms_mac);
        if (m.has_serving_bsid)
            fields_hex(f, "serving_bsid", m.serving_bsid, 6);
        if (m.has_ranging_purpose)
            fields_u(f, "ranging_purpose", m.ranging_purpose);
        if (m.has_ho_id)
            fields_u(f, "ho_id", m.ho_id);
        if (m.has_cmac_key_count) {
            fields_u(f, "cmac_key_count", m.cmac_key_count);
            learn_count(k, m.cmac_key_count); /* the MS derived its CMAC keys from it */
        }
        if (m.has_cmac)
            put_cmac_tuple(f, &m.cmac);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac, m.cmac_offset, m.cmac.cmac_pn, cid, true,
                              m.cmac.has_bsid ? m.cmac.bsid : NULL);
        break;
    }
    case TEKHO_MGMT_RNG_RSP: {
        struct tekho_rng_rsp m;
        if ((err = tekho_rng_rsp_decode(msg, len, &m)) != TEKHO_OK)
            break;
        fields_u(f, "ranging_status", m.ranging_status);
        if (m.has_ms_mac)
            fields_mac(f, "ms_mac", m.ms_mac);
        if (m.has_ho_process_optimization) {
            fields_u(f, "ho_process_optimization", m.ho_process_optimization);
            fields_str(f, "tek_mode",
                       tek_mode_name((m.ho_process_optimization & TEKHO_HO_OPT_TEK_MASK) >> TEKHO_HO_OPT_TEK_SHIFT));
        }
        if (m.has_ho_id)
            fields_u(f, "ho_id", m.ho_id);
        if (m.has_sa_challenge) {
            fields_begin_object(f, "sa_challenge");
            fields_hex(f, "bs_random", m.bs_random, 8);
            fields_hex(f, "akid", m.akid, 8);
            fields_end_object(f);
        }
        if (m.n_sa_tek_updates) {
            fields_begin_array(f, "sa_tek_update");
            for (size_t i = 0; i < m.n_sa_tek_updates; i++) {
                const struct tekho_sa_tek_update *u = &m.sa_tek_updates[i];
                fields_begin_object(f, NULL);
                fields_u(f, "type", u->type);
                fields_u(f, "new_said", u->new_said);
                fields_u(f, "old_said", u->old_said);
                if (u->has_old_params)
                    put_tek_params(f, "old_tek", &u->old_params);
                put_tek_params(f, "new_tek", &u->new_params);
                fields_end_object(f);
                learn_delivered(k, &u->new_params);
            }
            fields_end_array(f);
        }
        if (m.has_cmac)
            put_cmac_tuple(f, &m.cmac);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac, m.cmac_offset, m.cmac.cmac_pn, cid, false,
                              m.cmac.has_bsid ? m.cmac.bsid : NULL);
        break;
    }
    case TEKHO_MGMT_PKM_REQ:
    case TEKHO_MGMT_PKM_RSP: {
        struct tekho_pkm m;
        if ((err = tekho_pkm_decode(msg, len, &m)) != TEKHO_OK)
            break;
        fields_u(f, "code", m.code);
        fields_str(f, "code_name", tekho_pkm_code_name(m.code) ? tekho_pkm_code_name(m.code) : "?");
        fields_u(f, "identifier", m.identifier);
        if (m.has_key_seq)
            fields_u(f, "key_seq", m.key_seq);
        if (m.has_said)
            fields_u(f, "said", m.said);
        if (m.has_ms_random)
            fields_hex(f, "ms_random", m.ms_random, sizeof m.ms_random);
        if (m.has_bs_random)
            fields_hex(f, "bs_random", m.bs_random, sizeof m.bs_random);
        if (m.has_akid)
            fields_hex(f, "akid", m.akid, sizeof m.akid);
        if (m.has_key_lifetime)
            fields_u(f, "key_lifetime_s", m.key_lifetime_s);
        if (m.n_tek_params) {
            fields_begin_array(f, "tek_parameters");
            for (size_t i = 0; i < m.n_tek_params; i++) {
                put_tek_params(f, NULL, &m.tek_params[i]);
                learn_delivered(k, &m.tek_params[i]);
            }
            fields_end_array(f);
        }
        if (m.has_nonce)
            fields_hex(f, "nonce", m.nonce, sizeof m.nonce);
        if (m.has_error_code)
            fields_u(f, "error_code", m.error_code);
        if (m.has_cmac_digest)
            fields_u(f, "cmac_pn", m.cmac_digest.cmac_pn);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac_digest, m.cmac_offset, m.cmac_digest.cmac_pn, cid,
                              msg[0] == TEKHO_MGMT_PKM_REQ, NULL);
        break;
    }
    case TEKHO_MGMT_SBC_REQ:
    case TEKHO_MGMT_SBC_RSP: {
        struct tekho_sbc m;
        if ((err = tekho_sbc_decode(msg, len, &m)) != TEKHO_OK)
            break;
        if (m.has_bw_alloc_support)
            fields_u(f, "bw_alloc_support", m.bw_alloc_support);
        if (m.has_security_negotiation) {
            const struct tekho_security_negotiation *s = &m.sec;
            fields_begin_object(f, "security_negotiation");
            if (s->has_pkm_version)
                fields_u(f, "pkm_version", s->pkm_version);
            if (s->has_auth_policy)
                fields_u(f, "auth_policy", s->auth_policy);
            if (s->has_mac_mode)
                fields_u(f, "mac_mode", s->mac_mode);
            if (s->has_pn_window_size)
                fields_u(f, "pn_window_size", s->pn_window_size);
            if (s->has_max_sas)
                fields_u(f, "max_sas", s->max_sas);
            if (s->has_tek_generation) {
                fields_u(f, "tek_generation", s->tek_generation);
                fields_bool(f, "counter_tek_supported", s->tek_generation & TEKHO_TEKGEN_SUPPORTED);
            }
            fields_end_object(f);
        }
        if (m.has_cmac)
            put_cmac_tuple(f, &m.cmac);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac, m.cmac_offset, m.cmac.cmac_pn, cid,
                              msg[0] == TEKHO_MGMT_SBC_REQ, m.cmac.has_bsid ? m.cmac.bsid : NULL);
        break;
    }
    case TEKHO_MGMT_MOB_MSHO_REQ: {
        struct tekho_mob_msho_req m;
        if ((err = tekho_mob_msho_req_decode(msg, len, &m)) != TEKHO_OK)
            break;
        fields_u(f, "report_metric", m.report_metric);
        fields_begin_array(f, "candidates");
        for (size_t i = 0; i < m.n_new_bs_full; i++) {
            fields_begin_object(f, NULL);
            fields_hex(f, "bsid", m.new_bs_full[i].bsid, 6);
            fields_u(f, "preamble_index", m.new_bs_full[i].report.preamble_index);
            if (m.report_metric & TEKHO_MOB_METRIC_CINR)
                fields_u(f, "cinr", m.new_bs_full[i].report.cinr);
            fields_end_object(f);
        }
        for (size_t i = 0; i < m.n_new_bs_index; i++) {
            fields_begin_object(f, NULL);
            fields_u(f, "neighbour_index", m.new_bs_index[i].nbr_index);
            fields_u(f, "preamble_index", m.new_bs_index[i].report.preamble_index);
            fields_end_object(f);
        }
        fields_end_array(f);
        fields_u(f, "current_bs", m.n_current_bs);
        if (m.has_cmac)
            put_cmac_tuple(f, &m.cmac);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac, m.cmac_offset, m.cmac.cmac_pn, cid, true,
                              m.cmac.has_bsid ? m.cmac.bsid : NULL);
        break;
    }
    case TEKHO_MGMT_MOB_BSHO_RSP: {
        struct tekho_mob_bsho_rsp m;
        if ((err = tekho_mob_bsho_rsp_decode(msg, len, &m)) != TEKHO_OK)
            break;
        fields_u(f, "mode", m.mode);
        fields_begin_array(f, "recommended");
        for (size_t i = 0; i < m.n_recommended; i++) {
            const struct tekho_mob_bsho_rsp_bs *bs = &m.recommended[i];
            fields_begin_object(f, NULL);
            fields_hex(f, "bsid", bs->bsid, 6);
            fields_u(f, "ho_process_optimization", bs->ho_process_optimization);
            fields_str(f, "tek_mode", tek_mode_name(TEKHO_MOB_HO_OPT_TEK_MODE(bs->ho_process_optimization)));
            if (bs->has_ho_id)
                fields_u(f, "ho_id", bs->ho_id);
            fields_end_object(f);
        }
        fields_end_array(f);
        fields_u(f, "action_time", m.action_time);
        if (m.has_cmac)
            put_cmac_tuple(f, &m.cmac);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac, m.cmac_offset, m.cmac.cmac_pn, cid, false,
                              m.cmac.has_bsid ? m.cmac.bsid : NULL);
        break;
    }
    case TEKHO_MGMT_MOB_HO_IND: {
        struct tekho_mob_ho_ind m;
        if ((err = tekho_mob_ho_ind_decode(msg, len, &m)) != TEKHO_OK)
            break;
        static const char *const types[] = {"release", "cancel", "reject", "?"};
        fields_str(f, "ho_ind_type", types[m.ho_ind_type & 3]);
        if (m.ho_ind_type != TEKHO_MOB_HO_IND_CANCEL)
            fields_hex(f, "target_bsid", m.target_bsid, 6);
        fields_u(f, "preamble_index", m.preamble_index);
        if (m.has_cmac)
            put_cmac_tuple(f, &m.cmac);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac, m.cmac_offset, m.cmac.cmac_pn, cid, true,
                              m.cmac.has_bsid ? m.cmac.bsid : NULL);
        break;
    }
    default:
        fields_u(f, "length", len); /* a type tekho does not decode: name only, as Wireshark */
        break;
    }
    return err;
}

static void asncp_fields(struct keyring *k, const struct tekho_asncp *m, struct fields *f)
{
    fields_mac(f, "msid", m->msid);
    fields_u(f, "transaction_id", m->transaction_id);
    if (m->has_source_id) {
        fields_hex(f, "source_id", m->source_id, 6);
        fields_hex(f, "destination_id", m->destination_id, 6);
    }
    if (m->has_ms_id)
        fields_mac(f, "ms_id", m->ms_id);
    if (m->has_bs_id)
        fields_hex(f, "bs_id", m->bs_id, 6);
    if (m->has_ho_type)
        fields_u(f, "ho_type", m->ho_type);
    if (m->has_ho_id)
        fields_u(f, "ho_id", m->ho_id);
    if (m->has_ho_process_optimization) {
        fields_u(f, "ho_process_optimization", m->ho_process_optimization);
        fields_str(f, "tek_mode",
                   tek_mode_name((m->ho_process_optimization & TEKHO_HO_OPT_TEK_MASK) >> TEKHO_HO_OPT_TEK_SHIFT));
    }
    if (m->has_bs_ho_rsp_code)
        fields_u(f, "bs_ho_rsp_code", m->bs_ho_rsp_code);
    if (m->has_context_purpose)
        fields_u(f, "context_purpose", m->context_purpose);
    if (m->has_cmac_key_count) {
        fields_u(f, "cmac_key_count", m->cmac_key_count);
        learn_count(k, m->cmac_key_count);
    }
    if (m->has_ak_context) {
        /* The AK itself is never printed. */
        fields_begin_object(f, "ak_context");
        fields_hex(f, "ak_id", m->ak_context.ak_id, 8);
        fields_u(f, "ak_lifetime_s", m->ak_context.ak_lifetime_s);
        fields_u(f, "ak_sn", m->ak_context.ak_sn);
        if (m->ak_context.has_cmac_key_count) {
            fields_u(f, "cmac_key_count", m->ak_context.cmac_key_count);
            learn_count(k, m->ak_context.cmac_key_count);
        }
        fields_end_object(f);
    }
    if (m->n_sa) {
        fields_begin_array(f, "sa");
        for (size_t i = 0; i < m->n_sa; i++) {
            fields_begin_object(f, NULL);
            fields_u(f, "said", m->sa[i].said);
            const struct tekho_asncp_tek *teks[2] = {m->sa[i].has_older ? &m->sa[i].older : NULL,
                                                     m->sa[i].has_newer ? &m->sa[i].newer : NULL};
            static const char *const names[2] = {"older_tek", "newer_tek"};
            for (int j = 0; j < 2; j++) {
                if (teks[j] == NULL)
                    continue;
                fields_begin_object(f, names[j]);
                fields_u(f, "tek_sn", teks[j]->tek_sn);
                fields_u(f, "lifetime_s", teks[j]->lifetime_s);
                fields_u(f, "pn_counter", teks[j]->pn_counter);
                fields_u(f, "rxpn_counter", teks[j]->rxpn_counter);
                fields_end_object(f);
            }
            fields_end_object(f);
        }
        fields_end_array(f);
    }
}

/* ---- output ------------------------------------------------------------ */

static void emit(bool json, uint64_t frame, const char *type, const struct fields *f, tekho_err err,
                 const struct verdict *v)
{
    char line[16384];
    struct fields out;
    fields_init(&out, json, line, sizeof line);
    if (json) {
        fields_u(&out, "frame", frame);
        fields_str(&out, "type", type);
        printf("{%s, \"fields\": {%s}", fields_text(&out), fields_text(f));
        if (err != TEKHO_OK)
            printf(", \"error\": \"%s\"", tekho_strerror(err));
        if (v->cmac)
            printf(", \"cmac\": \"%s\"", v->cmac);
        if (v->decrypt)
            printf(", \"decrypt\": \"%s\"", v->decrypt);
        printf("}\n");
    } else {
        printf("%llu %s", (unsigned long long)frame, type);
        if (fields_text(f)[0])
            printf(" %s", fields_text(f));
        if (err != TEKHO_OK)
            printf(" error=\"%s\"", tekho_strerror(err));
        if (v->cmac)
            printf(" cmac=%s", v->cmac);
        if (v->decrypt)
            printf(" decrypt=%s", v->decrypt);
        printf("\n");
    }
}

/* One record of an air capture: a burst of MAC PDUs (wireshark.md 2). */
static void decode_air(struct keyring *k, bool json, uint64_t frame, const uint8_t *data, size_t len)
{
    size_t at = 0;
    while (at < len) {
        const uint8_t *pdu = data + at;
        const size_t left = len - at;
        char buf[12288];
        struct fields f;
        fields_init(&f, json, buf, sizeof buf);
        struct verdict v = {0};
        if (pdu[0] == 0xFF)
            return; /* padding to the end of the burst */
        struct tekho_gmh gmh;
        tekho_err err = tekho_gmh_decode(pdu, left, &gmh);
        if (err == TEKHO_OK && (gmh.len < TEKHO_GMH_LEN || gmh.len > left))
            err = TEKHO_ERR_TRUNCATED;
        if (err != TEKHO_OK) {
            emit(json, frame, "MAC PDU", &f, err, &v);
            return; /* without a trustworthy LEN, the rest of the burst cannot be split */
        }
        fields_u(&f, "cid", gmh.cid);
        if (gmh.ec) {
            struct tekho_pdu_view view;
            err = tekho_pdu_parse(pdu, gmh.len, TEKHO_DIR_DL, &view);
            if (err == TEKHO_ERR_WRONG_DIRECTION)
                err = tekho_pdu_parse(pdu, gmh.len, TEKHO_DIR_UL, &view);
            if (err == TEKHO_OK) {
                const bool uplink = (pdu[TEKHO_GMH_LEN + (TEKHO_PN_BYTE_ORDER == TEKHO_PN_LITTLE_ENDIAN ? 3 : 0)] &
                                     0x80) != 0;
                fields_str(&f, "dir", uplink ? "ul" : "dl");
                fields_u(&f, "eks", gmh.eks);
                fields_u(&f, "pn", view.pn);
                fields_u(&f, "payload_len", view.ciphertext_len);
                fields_bool(&f, "crc", gmh.ci);
                v.decrypt = open_data(k, pdu, &view);
            }
            emit(json, frame, "Data", &f, err, &v);
        } else {
            uint16_t cid;
            const uint8_t *msg = NULL;
            size_t msg_len = 0;
            err = tekho_mgmt_unframe(pdu, gmh.len, &cid, &msg, &msg_len);
            const char *name = err == TEKHO_OK ? tekho_mgmt_name(msg[0]) : NULL;
            char unknown[32];
            if (err == TEKHO_OK && name == NULL) {
                snprintf(unknown, sizeof unknown, "MGMT-%u", msg[0]);
                name = unknown;
            }
            if (err == TEKHO_OK) {
                k->basic_cid = cid;
                k->have_basic_cid = true;
                err = mgmt_fields(k, cid, msg, msg_len, &f, &v);
            }
            emit(json, frame, name ? name : "MAC PDU", &f, err, &v);
        }
        at += gmh.len;
    }
}

static void decode_backbone(struct keyring *k, bool json, uint64_t frame, const uint8_t *data, size_t len)
{
    char buf[12288];
    struct fields f;
    fields_init(&f, json, buf, sizeof buf);
    struct verdict v = {0};
    struct tekho_asncp m;
    tekho_err err = tekho_asncp_decode(data, len, &m);
    const char *name = "ASN-CP";
    if (err == TEKHO_OK) {
        name = tekho_asncp_name(m.msg);
        asncp_fields(k, &m, &f);
        tekho_asncp_wipe(&m);
    }
    emit(json, frame, name, &f, err, &v);
}

static int load_keys(struct cli_args *a, struct keyring *k)
{
    memset(k, 0, sizeof *k);
    k->counts[k->n_counts++] = a->v[OPT_CKC].present ? (uint16_t)a->v[OPT_CKC].num : 0;
    if (a->v[OPT_MSK].present) {
        if (!a->v[OPT_MS_MAC].present || !a->v[OPT_BSID].present)
            return cli_usage_error(&DECODE_CMD, "--msk needs --ms-mac and --bsid");
        if (a->v[OPT_BSID].len % 6 != 0)
            return cli_usage_error(&DECODE_CMD, "--bsid: a multiple of 6 bytes, got %zu", a->v[OPT_BSID].len);
        k->have_msk = true;
        memcpy(k->msk, a->v[OPT_MSK].bytes, 64);
        memcpy(k->ms_mac, a->v[OPT_MS_MAC].bytes, 6);
        k->n_bsids = a->v[OPT_BSID].len / 6;
        memcpy(k->bsids, a->v[OPT_BSID].bytes, a->v[OPT_BSID].len);
    } else if (a->v[OPT_MS_MAC].present || a->v[OPT_BSID].present) {
        return cli_usage_error(&DECODE_CMD, "--ms-mac and --bsid go with --msk");
    }
    if ((k->have_kek = a->v[OPT_KEK].present))
        memcpy(k->kek, a->v[OPT_KEK].bytes, 16);
    if ((k->have_tek = a->v[OPT_TEK].present))
        memcpy(k->tek, a->v[OPT_TEK].bytes, 16);
    if ((k->have_said = a->v[OPT_SAID].present))
        k->said = (uint16_t)a->v[OPT_SAID].num;
    return -1;
}

int cmd_decode(int argc, char **argv)
{
    /* The capture file is the one positional argument. */
    const char *path = NULL;
    char *rest[64];
    int n_rest = 0;
    for (int i = 0; i < argc; i++) {
        /* An argument is a value when it follows "--name" (not "--name=v" or a flag). */
        const char *prev = i ? argv[i - 1] : "";
        const bool is_value = strncmp(prev, "--", 2) == 0 && strchr(prev, '=') == NULL &&
                              strcmp(prev, "--json") != 0 && strcmp(prev, "--help") != 0;
        if (strncmp(argv[i], "--", 2) != 0 && path == NULL && !is_value)
            path = argv[i];
        else if (n_rest < 64)
            rest[n_rest++] = argv[i];
        else
            return cli_usage_error(&DECODE_CMD, "too many arguments");
    }
    struct cli_args a;
    int rc = cli_parse(&DECODE_CMD, n_rest, rest, &a);
    if (rc >= 0)
        return rc;
    if (path == NULL) {
        cli_args_free(&a);
        return cli_usage_error(&DECODE_CMD, "missing FILE.pcap");
    }
    struct keyring *k = calloc(1, sizeof *k);
    if (k == NULL) {
        cli_args_free(&a);
        return cli_fail(&DECODE_CMD, false, "out of memory");
    }
    rc = load_keys(&a, k);
    const bool json = a.json;
    cli_args_free(&a);
    struct tekho_capture_reader *r = NULL;
    if (rc < 0 && tekho_capture_read_open(path, &r) != TEKHO_OK) {
        char reason[600];
        snprintf(reason, sizeof reason, "%s", tekho_capture_reader_error(r));
        rc = cli_fail(&DECODE_CMD, json, reason);
    }
    while (rc < 0) {
        struct tekho_capture_record rec;
        bool got = false;
        if (tekho_capture_next(r, &rec, &got) != TEKHO_OK) {
            rc = cli_fail(&DECODE_CMD, json, tekho_capture_reader_error(r));
            break;
        }
        if (!got) {
            rc = CLI_EXIT_OK;
            break;
        }
        if (rec.err != TEKHO_OK) {
            char buf[16];
            struct fields f;
            fields_init(&f, json, buf, sizeof buf);
            const struct verdict v = {0};
            emit(json, rec.frame, rec.kind == TEKHO_CAPTURE_AIR ? "MAC PDU" : "ASN-CP", &f, rec.err, &v);
        } else if (rec.kind == TEKHO_CAPTURE_AIR) {
            decode_air(k, json, rec.frame, rec.data, rec.len);
        } else {
            decode_backbone(k, json, rec.frame, rec.data, rec.len);
        }
    }
    tekho_capture_read_close(r);
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
    return rc;
}
