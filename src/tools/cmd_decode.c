/* tekho decode: every message in an air (USER0) or backbone (Ethernet/UDP
 * 2231) capture, with its name and decoded fields, one line or one JSON
 * object each, then a summary. Given keys, it also verifies CMAC tuples
 * and CMAC-Digests and opens encrypted PDUs, which Wireshark cannot do for
 * 802.16. No key is ever printed. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decode_args.h"
#include "decode_engine.h"
#include "fields.h"
#include "tekho/asncp.h"
#include "tekho/capture.h"
#include "tekho/mgmt.h"
#include "tekho/roles.h"
#include "tekho/tekho.h"

#define MAX_LEARNT_BSIDS 8 /* named in CMAC tuples beyond those given */
#define MAX_BSIDS (DECODE_MAX_BSIDS + MAX_LEARNT_BSIDS)
#define MAX_COUNTS 16
#define MAX_DELIVERED 16
#define MAX_KEKS (1 + DECODE_MAX_MSKS * MAX_BSIDS)

static const struct cli_opt DECODE_OPTS[] = {
    DECODE_KEY_OPTS_INIT,
    {.name = "strict", .kind = CLI_FLAG,
     .help = "exit 1 if any CMAC is bad, any PDU fails to open or any message is malformed"},
    DECODE_INPUT_OPTS_INIT,
};
enum { OPT_MSK, OPT_MS_MAC, OPT_BSID, OPT_CKC, OPT_KEK, OPT_TEK, OPT_SAID, OPT_STRICT, OPT_ASNCP_PORT };
static const struct cli_cmd DECODE_CMD = {
    .name = "decode",
    .synopsis = "FILE.pcap [--json] [--strict] [--msk HEX | --msk-file PATH] [--ms-mac MAC --bsid HEX [--ckc N]]\n"
    "                    [--kek HEX] [--tek HEX] [--said N] [--asncp-port N] [--basic-cid-max N]",
    .description = "Prints every message of a capture (pcap or pcapng) with its name and decoded fields: 802.16 MAC\n"
    "PDUs of every burst (LINKTYPE_USER0, or Ethernet with the WiMAX M2M ethertype 0x08f0, fragments\n"
    "reassembled) and ASN-CP on UDP port 2231 over IPv4 or IPv6 (Ethernet, 802.1Q, Linux SLL and SLL2,\n"
    "raw IP, loopback). Other traffic is skipped and counted. With keys, verifies CMACs\n"
    "(cmac=ok|bad|absent) and opens encrypted PDUs (decrypt=ok|bad). A malformed message is reported\n"
    "with its named error and decoding goes on. Then a summary line: messages, CMACs ok, bad, absent\n"
    "and unchecked (no keys), PDUs opened, failed and unchecked, malformed messages, read errors,\n"
    "records skipped (not 802.16 or ASN-CP).\n"
    "--json prints JSON Lines: one object per message (frame, type, fields, cmac, decrypt, error),\n"
    "then {\"summary\": {...}} with the summary line's names. `tekho sim --pcap DIR` writes\n"
    "DIR/decode-args, the key options for its captures: tekho decode DIR/air.pcap $(cat DIR/decode-args)",
    .opts = DECODE_OPTS, .n_opts = sizeof DECODE_OPTS / sizeof DECODE_OPTS[0], .operands = "FILE.pcap", .min_operands = 1,
    .max_operands = 1};

struct delivered_tek {
    uint8_t tek[16];
    uint8_t eks;
};

/* The AK keys of one (MSK, BSID), derived when first needed; the AKID
 * depends on the PMK sequence number too, so it is the last one asked. */
struct ak_slot {
    bool valid;
    uint8_t pmk_sn;
    struct tekho_ak_keys ak;
};

/* What the keys given and the capture so far let us verify and open.
 * Allocated (it is large) and wiped as a whole. */
struct keyring {
    size_t n_msks;
    uint8_t msks[DECODE_MAX_MSKS][64];
    uint8_t ms_mac[6];
    size_t n_bsids;
    uint8_t bsids[MAX_BSIDS][6];
    struct ak_slot ak[DECODE_MAX_MSKS][MAX_BSIDS];
    size_t n_counts;
    uint16_t counts[MAX_COUNTS];
    bool have_kek;
    uint8_t kek[16];
    bool have_tek;
    uint8_t tek[16];
    bool have_said;
    uint16_t said;
    /* The MS's basic CID, the default SAID: from the strongest evidence so
     * far (basic_rank): 3, an RNG-RSP assigning it to the MS; 2, a
     * message on it carrying the MS's MAC address; 1, a message on it
     * whose CMAC the MS's keys verified. Never a broadcast or initial
     * ranging CID, never another MS's. */
    bool have_basic_cid;
    uint8_t basic_rank;
    uint16_t basic_cid;
    /* The CMAC key that verified the last message: its AK (by AKID) and count. */
    bool verified;
    uint8_t verified_akid[8];
    uint16_t verified_count;
    /* Management CIDs RNG-RSP assigned (basic and primary), any MS. */
    size_t n_mgmt_cids;
    uint16_t mgmt_cids[64];
    size_t n_delivered;
    struct delivered_tek delivered[MAX_DELIVERED];
    /* The TEK that last opened a PDU of each EKS, tried first. */
    bool have_opened[4];
    uint8_t opened[4][16];
};

/* The verdict when there are no keys to check with: counted in the
 * summary, not printed, as nothing was checked. */
static const char UNCHECKED[] = "unchecked";

static void learn_count(struct keyring *k, uint16_t count)
{
    for (size_t i = 0; i < k->n_counts; i++)
        if (k->counts[i] == count)
            return;
    if (k->n_counts < MAX_COUNTS)
        k->counts[k->n_counts++] = count;
}

/* A CID that can only be one MS's: not initial ranging (0), not
 * broadcast, multicast or padding (0xFEFF, 0xFFFA up). */
static bool unicast_cid(uint16_t cid)
{
    return cid != 0 && cid != 0xFEFFu && cid < 0xFFFAu;
}

static void learn_basic_cid(struct keyring *k, uint16_t cid, uint8_t rank)
{
    if (!unicast_cid(cid) || rank < k->basic_rank || (k->have_basic_cid && rank == k->basic_rank))
        return;
    k->have_basic_cid = true;
    k->basic_rank = rank;
    k->basic_cid = cid;
}

static void learn_mgmt_cid(struct keyring *k, uint16_t cid)
{
    for (size_t i = 0; i < k->n_mgmt_cids; i++)
        if (k->mgmt_cids[i] == cid)
            return;
    if (k->n_mgmt_cids < sizeof k->mgmt_cids / sizeof k->mgmt_cids[0])
        k->mgmt_cids[k->n_mgmt_cids++] = cid;
}

/* Whether mac is the MS the keys are for (any MS when no --ms-mac). */
static bool our_ms(const struct keyring *k, const uint8_t mac[6])
{
    return k->n_msks == 0 || memcmp(k->ms_mac, mac, 6) == 0;
}

static bool keys_given(const struct keyring *k)
{
    return k->n_msks || k->have_kek || k->have_tek;
}

/* The AK keys of MSK m and BSID b for PMK sequence number pmk_sn (NULL if
 * the derivation failed). */
static const struct tekho_ak_keys *ak_of(struct keyring *k, size_t m, size_t b, uint8_t pmk_sn)
{
    struct ak_slot *s = &k->ak[m][b];
    if (s->valid && s->pmk_sn == pmk_sn)
        return &s->ak;
    s->valid = tekho_derive_from_msk(k->msks[m], k->ms_mac, k->bsids[b], pmk_sn, &s->ak) == TEKHO_OK;
    s->pmk_sn = pmk_sn;
    if (!s->valid)
        tekho_ak_keys_wipe(&s->ak);
    return s->valid ? &s->ak : NULL;
}

/* The index of a BSID, added to those tried when new (SIZE_MAX: no room). */
static size_t bsid_index(struct keyring *k, const uint8_t bsid[6])
{
    for (size_t b = 0; b < k->n_bsids; b++)
        if (memcmp(k->bsids[b], bsid, 6) == 0)
            return b;
    if (k->n_bsids == MAX_BSIDS)
        return SIZE_MAX;
    memcpy(k->bsids[k->n_bsids], bsid, 6);
    return k->n_bsids++;
}

/* The outcome of a CMAC check, for the "cmac" member: every MSK, every
 * BSID (only the tuple's if it names one) and every known count, with the
 * AK sequence number the message carries (the tuple's key sequence, the
 * PKM Key-Sequence-Number). */
static const char *verify_cmac(struct keyring *k, const uint8_t *msg, size_t len, bool has_cmac, size_t cmac_offset,
                               uint32_t cmac_pn, uint16_t cid, bool uplink, const uint8_t *tuple_bsid,
                               uint8_t key_seq)
{
    if (!has_cmac)
        return "absent";
    if (k->n_msks == 0)
        return UNCHECKED; /* nothing to say without keys */
    size_t first = 0, end = k->n_bsids;
    if (tuple_bsid != NULL) {
        first = bsid_index(k, tuple_bsid);
        if (first == SIZE_MAX)
            return "bad"; /* more BSIDs than decode keeps: cannot be one of the keys' */
        end = first + 1;
    }
    for (size_t m = 0; m < k->n_msks; m++) {
        for (size_t b = first; b < end; b++) {
            const struct tekho_ak_keys *ak = ak_of(k, m, b, key_seq);
            for (size_t c = 0; ak != NULL && c < k->n_counts; c++) {
                struct tekho_cmac_keys ck;
                if (tekho_derive_cmac_keys(ak, k->counts[c], &ck) != TEKHO_OK)
                    continue;
                tekho_err err = tekho_mgmt_cmac_verify(msg, len, cmac_offset, uplink ? ck.key_u : ck.key_d, ak->akid,
                                                       cmac_pn, cid);
                tekho_cmac_keys_wipe(&ck);
                if (err == TEKHO_OK) {
                    k->verified = true;
                    memcpy(k->verified_akid, ak->akid, 8);
                    k->verified_count = k->counts[c];
                    return "ok";
                }
            }
        }
    }
    return "bad";
}

/* Whether some MSK and BSID give this AKID: an SA-TEK handshake under an
 * AK that none gives follows a re-authentication whose MSK is missing. */
static bool akid_known(struct keyring *k, const uint8_t akid[8], uint8_t key_seq)
{
    for (size_t m = 0; m < k->n_msks; m++)
        for (size_t b = 0; b < k->n_bsids; b++) {
            const struct tekho_ak_keys *ak = ak_of(k, m, b, key_seq);
            if (ak != NULL && CRYPTO_memcmp(ak->akid, akid, 8) == 0)
                return true;
        }
    return false;
}

/* Each KEK the keys give: the one given, and one per MSK and BSID. */
static size_t keks(struct keyring *k, uint8_t out[][16], size_t max)
{
    size_t n = 0;
    if (k->have_kek && n < max)
        memcpy(out[n++], k->kek, 16);
    for (size_t m = 0; m < k->n_msks; m++)
        for (size_t b = 0; b < k->n_bsids && n < max; b++) {
            /* The KEK does not depend on the PMK sequence number. */
            const struct ak_slot *s = &k->ak[m][b];
            const struct tekho_ak_keys *ak = s->valid ? &s->ak : ak_of(k, m, b, 0);
            if (ak != NULL)
                memcpy(out[n++], ak->kek, 16);
        }
    return n;
}

static void learn_delivered(struct keyring *k, const struct tekho_tek_params *p)
{
    uint8_t(*kek)[16] = malloc(MAX_KEKS * sizeof *kek);
    if (kek == NULL)
        return;
    const size_t n = keks(k, kek, MAX_KEKS);
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
    OPENSSL_cleanse(kek, MAX_KEKS * sizeof *kek);
    free(kek);
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

/* Opens with tek; on success, remembers it as the one to try first. */
static bool opens(struct keyring *k, const uint8_t tek[16], const uint8_t *pdu, const struct tekho_pdu_view *view)
{
    if (!try_tek(tek, pdu, view))
        return false;
    memcpy(k->opened[view->gmh.eks], tek, 16);
    k->have_opened[view->gmh.eks] = true;
    return true;
}

/* Every TEK the keys allow for this PDU's EKS; "ok" if one opens it. */
static const char *open_data(struct keyring *k, const uint8_t *pdu, const struct tekho_pdu_view *view)
{
    if (!keys_given(k))
        return UNCHECKED;
    const uint8_t eks = view->gmh.eks;
    if (k->have_opened[eks] && try_tek(k->opened[eks], pdu, view))
        return "ok";
    bool opened = k->have_tek && opens(k, k->tek, pdu, view);
    for (size_t i = 0; !opened && i < k->n_delivered; i++)
        opened = k->delivered[i].eks == eks && opens(k, k->delivered[i].tek, pdu, view);
    const bool have_said = k->have_said || k->have_basic_cid;
    const uint16_t said = k->have_said ? k->said : k->basic_cid;
    if (!opened && have_said && eks <= 1) {
        uint8_t(*kek)[16] = malloc(MAX_KEKS * sizeof *kek);
        const size_t n = kek != NULL ? keks(k, kek, MAX_KEKS) : 0;
        /* Each known count c, and c + 1: before ranging completes the MS
         * sends under CMAC_KEY_COUNT_TM = M + 1 (seed, step 1). */
        for (size_t i = 0; !opened && i < n; i++) {
            for (size_t c = 0; !opened && c < 2 * k->n_counts; c++) {
                uint8_t tek[2][16];
                const uint16_t count = (uint16_t)(k->counts[c / 2] + c % 2);
                if (tekho_tek_generate(kek[i], count, said, tek[0], tek[1]) == TEKHO_OK)
                    opened = opens(k, tek[eks], pdu, view);
                OPENSSL_cleanse(tek, sizeof tek);
            }
        }
        if (kek != NULL)
            OPENSSL_cleanse(kek, MAX_KEKS * sizeof *kek);
        free(kek);
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

/* An SA-TEK-Update's fields (RNG-RSP; baseline-early's MOB_BSHO-RSP),
 * and the TEKs it delivers learnt. */
static void put_sa_tek_update(struct fields *f, struct keyring *k, const struct tekho_sa_tek_update *u)
{
    fields_u(f, "type", u->type);
    fields_u(f, "new_said", u->new_said);
    fields_u(f, "old_said", u->old_said);
    if (u->has_old_params)
        put_tek_params(f, "old_tek", &u->old_params);
    put_tek_params(f, "new_tek", &u->new_params);
    /* Both: the target's older TEK is the one in use first. */
    if (u->has_old_params)
        learn_delivered(k, &u->old_params);
    learn_delivered(k, &u->new_params);
}


struct verdict {
    const char *cmac;
    const char *decrypt;
    bool unknown_akid; /* names an AK no key given derives */
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
        if (our_ms(k, m.ms_mac))
            learn_basic_cid(k, cid, 2);
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
                              m.cmac.has_bsid ? m.cmac.bsid : NULL, m.cmac.key_seq);
        break;
    }
    case TEKHO_MGMT_RNG_RSP: {
        struct tekho_rng_rsp m;
        if ((err = tekho_rng_rsp_decode(msg, len, &m)) != TEKHO_OK)
            break;
        fields_u(f, "ranging_status", m.ranging_status);
        if (m.has_ms_mac)
            fields_mac(f, "ms_mac", m.ms_mac);
        if (m.has_basic_cid) {
            fields_u(f, "basic_cid", m.basic_cid);
            learn_mgmt_cid(k, m.basic_cid);
            if (m.has_ms_mac && our_ms(k, m.ms_mac))
                learn_basic_cid(k, m.basic_cid, 3);
        } else if (m.has_ms_mac && our_ms(k, m.ms_mac)) {
            learn_basic_cid(k, cid, 2);
        }
        if (m.has_primary_cid) {
            fields_u(f, "primary_cid", m.primary_cid);
            learn_mgmt_cid(k, m.primary_cid);
        }
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
                fields_begin_object(f, NULL);
                put_sa_tek_update(f, k, &m.sa_tek_updates[i]);
                fields_end_object(f);
            }
            fields_end_array(f);
        }
        if (m.has_cmac)
            put_cmac_tuple(f, &m.cmac);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac, m.cmac_offset, m.cmac.cmac_pn, cid, false,
                              m.cmac.has_bsid ? m.cmac.bsid : NULL, m.cmac.key_seq);
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
        const uint8_t key_seq = m.has_key_seq ? m.key_seq : 0;
        v->cmac = verify_cmac(k, msg, len, m.has_cmac_digest, m.cmac_offset, m.cmac_digest.cmac_pn, cid,
                              msg[0] == TEKHO_MGMT_PKM_REQ, NULL, key_seq);
        v->unknown_akid = k->n_msks != 0 && m.has_akid && !akid_known(k, m.akid, key_seq);
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
                              msg[0] == TEKHO_MGMT_SBC_REQ, m.cmac.has_bsid ? m.cmac.bsid : NULL, m.cmac.key_seq);
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
                              m.cmac.has_bsid ? m.cmac.bsid : NULL, m.cmac.key_seq);
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
        if (m.has_sa_tek_update) {
            /* baseline-early: the target's TEKs, wrapped under its KEK. */
            fields_begin_object(f, "sa_tek_update");
            put_sa_tek_update(f, k, &m.sa_tek_update);
            fields_end_object(f);
        }
        if (m.has_cmac)
            put_cmac_tuple(f, &m.cmac);
        v->cmac = verify_cmac(k, msg, len, m.has_cmac, m.cmac_offset, m.cmac.cmac_pn, cid, false,
                              m.cmac.has_bsid ? m.cmac.bsid : NULL, m.cmac.key_seq);
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
                              m.cmac.has_bsid ? m.cmac.bsid : NULL, m.cmac.key_seq);
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

static void emit(struct decoder *d, const struct decoded *m, const struct fields *f)
{
    struct decode_tally *t = &d->t;
    t->messages++;
    t->malformed += m->err != TEKHO_OK;
    const char *cmac = m->cmac, *decrypt = m->decrypt;
    if (cmac == UNCHECKED) {
        t->cmac_unchecked++;
        cmac = NULL;
    } else if (cmac != NULL) {
        unsigned long *n = strcmp(cmac, "ok") == 0 ? &t->cmac_ok : strcmp(cmac, "bad") == 0 ? &t->cmac_bad
                                                                                             : &t->cmac_absent;
        (*n)++;
    }
    if (decrypt == UNCHECKED) {
        t->decrypt_unchecked++;
        decrypt = NULL;
    } else if (decrypt != NULL) {
        (*(strcmp(decrypt, "ok") == 0 ? &t->decrypt_ok : &t->decrypt_bad))++;
    }
    if (d->sink != NULL) {
        d->sink(d->sink_ctx, m, f);
        return;
    }
    char line[16384];
    struct fields out;
    fields_init(&out, d->json, line, sizeof line);
    if (d->json) {
        fields_u(&out, "frame", m->frame);
        fields_str(&out, "type", m->type);
        printf("{%s, \"fields\": {%s}", fields_text(&out), fields_text(f));
        if (m->err != TEKHO_OK)
            printf(", \"error\": \"%s\"", tekho_strerror(m->err));
        if (cmac)
            printf(", \"cmac\": \"%s\"", cmac);
        if (decrypt)
            printf(", \"decrypt\": \"%s\"", decrypt);
        printf("}\n");
    } else {
        printf("%llu %s", (unsigned long long)m->frame, m->type);
        if (fields_text(f)[0])
            printf(" %s", fields_text(f));
        if (m->err != TEKHO_OK)
            printf(" error=\"%s\"", tekho_strerror(m->err));
        if (cmac)
            printf(" cmac=%s", cmac);
        if (decrypt)
            printf(" decrypt=%s", decrypt);
        printf("\n");
    }
}

/* Whether a plain PDU on this CID carries a management message, as
 * Wireshark decides (wireshark.md 2): the basic and primary management
 * CIDs (up to 2 * wmx.basic_cid_max, 640 by default, as the roles use),
 * 0xFEFF and the broadcast and multicast CIDs from 0xFFFA; and here also
 * every CID an RNG-RSP of the capture assigned. Any other CID is a
 * transport connection: user data. */
static bool management_cid(const struct decoder *d, uint16_t cid)
{
    if (cid <= 2u * d->basic_cid_max || cid == 0xFEFFu || cid >= 0xFFFAu)
        return true;
    for (size_t i = 0; i < d->k->n_mgmt_cids; i++)
        if (d->k->mgmt_cids[i] == cid)
            return true;
    return false;
}

/* An 8-byte fingerprint (SHA-256, truncated) of a key or a PDU: tells two
 * apart without showing either. */
static void fingerprint(const uint8_t *p, size_t len, uint8_t out[8])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    memset(out, 0, 8);
    if (EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) == 1 && n >= 8)
        memcpy(out, md, 8);
    OPENSSL_cleanse(md, sizeof md);
}

/* tekho sim's user payload (src/sim/checks.c tekho_sim_payload_for): "TKHO", the MS
 * index, the direction (0 UL, 1 DL), the sequence number. Only a plain
 * PDU shows it; it gives the direction an unencrypted PDU has no field for. */
static bool sim_payload_dir(const uint8_t *p, size_t len, bool *uplink)
{
    if (len != 48 || memcmp(p, "TKHO", 4) != 0 || p[8] > 1)
        return false;
    *uplink = p[8] == 0;
    return true;
}

static void generic_pdu(struct decoder *d, struct decoded *m, const uint8_t *pdu, const struct tekho_gmh *gmh)
{
    struct keyring *k = d->k;
    char buf[12288];
    struct fields f;
    fields_init(&f, d->json, buf, sizeof buf);
    fields_u(&f, "cid", gmh->cid);
    m->has_cid = true;
    m->cid = gmh->cid;
    tekho_err err;
    if (gmh->ec) {
        m->what = DECODED_AIR_DATA;
        m->type = "Data";
        m->encrypted = true;
        fingerprint(pdu, gmh->len, m->digest);
        struct tekho_pdu_view view;
        err = tekho_pdu_parse(pdu, gmh->len, TEKHO_DIR_DL, &view);
        if (err == TEKHO_ERR_WRONG_DIRECTION)
            err = tekho_pdu_parse(pdu, gmh->len, TEKHO_DIR_UL, &view);
        if (err == TEKHO_OK) {
            const bool uplink = (pdu[TEKHO_GMH_LEN + (TEKHO_PN_BYTE_ORDER == TEKHO_PN_LITTLE_ENDIAN ? 3 : 0)] &
                                 0x80) != 0;
            m->dir_known = true;
            m->uplink = uplink;
            m->eks = gmh->eks;
            m->pn = view.pn;
            fields_str(&f, "dir", uplink ? "ul" : "dl");
            fields_u(&f, "eks", gmh->eks);
            fields_u(&f, "pn", view.pn);
            fields_u(&f, "payload_len", view.ciphertext_len);
            fields_bool(&f, "crc", gmh->ci);
            m->decrypt = open_data(k, pdu, &view);
            if (strcmp(m->decrypt, "ok") == 0) {
                m->tek_known = true;
                fingerprint(k->opened[gmh->eks], 16, m->tek_fp);
            }
        }
    } else if (!management_cid(d, gmh->cid)) {
        /* Plain user data on a transport CID: nothing to open. */
        m->what = DECODED_AIR_DATA;
        m->type = "Data";
        fingerprint(pdu, gmh->len, m->digest);
        uint16_t cid;
        const uint8_t *payload = NULL;
        size_t payload_len = 0;
        err = tekho_mgmt_unframe(pdu, gmh->len, &cid, &payload, &payload_len);
        if (err == TEKHO_OK) {
            fields_u(&f, "payload_len", payload_len);
            fields_bool(&f, "crc", gmh->ci);
            m->dir_known = sim_payload_dir(payload, payload_len, &m->uplink);
        }
    } else {
        m->what = DECODED_AIR_MGMT;
        fingerprint(pdu, gmh->len, m->digest);
        uint16_t cid;
        const uint8_t *msg = NULL;
        size_t msg_len = 0;
        err = tekho_mgmt_unframe(pdu, gmh->len, &cid, &msg, &msg_len);
        const char *name = err == TEKHO_OK ? tekho_mgmt_name(msg[0]) : NULL;
        char unknown[32];
        if (err == TEKHO_OK && name == NULL) {
            snprintf(unknown, sizeof unknown, "MGMT-%u", msg[0]);
            name = unknown;
        }
        m->type = name ? name : "MAC PDU";
        if (err == TEKHO_OK) {
            struct verdict v = {0};
            m->msg = msg;
            m->msg_len = msg_len;
            k->verified = false;
            err = mgmt_fields(k, cid, msg, msg_len, &f, &v);
            m->cmac = v.cmac;
            if (v.cmac != NULL && strcmp(v.cmac, "ok") == 0) {
                learn_basic_cid(k, cid, 1);
                m->cmac_key_known = k->verified;
                memcpy(m->cmac_akid, k->verified_akid, 8);
                m->cmac_count = k->verified_count;
            }
            if (v.unknown_akid && d->sink == NULL)
                fprintf(stderr,
                        "tekho decode: frame %llu: its AKID comes from none of the MSKs and BSIDs given (the MSK "
                        "of a re-authentication missing?)\n",
                        (unsigned long long)m->frame);
        }
    }
    m->err = err;
    emit(d, m, &f);
}

/* One burst of MAC PDUs: a USER0 record or an M2M PDU burst (wireshark.md 2). */
static void decode_air(struct decoder *d, const struct decoded *base, const uint8_t *data, size_t len)
{
    size_t at = 0;
    for (;;) {
        struct decoded m = *base;
        struct tekho_mac_pdu pdu;
        bool got = false;
        tekho_err err = tekho_burst_next(data, len, &at, &pdu, &got);
        if (err != TEKHO_OK) {
            char buf[16];
            struct fields f;
            fields_init(&f, d->json, buf, sizeof buf);
            m.what = DECODED_AIR_BAD;
            m.type = "MAC PDU";
            m.err = err;
            emit(d, &m, &f);
            return; /* without a trustworthy LEN, the rest of the burst cannot be split */
        }
        if (!got)
            return; /* the end, or padding to it */
        if (pdu.kind == TEKHO_MAC_PDU_GENERIC) {
            generic_pdu(d, &m, data + pdu.offset, &pdu.gmh);
            continue;
        }
        char buf[256];
        struct fields f;
        fields_init(&f, d->json, buf, sizeof buf);
        m.what = DECODED_AIR_SIGNALLING;
        m.type = tekho_mac_pdu_name(&pdu);
        if (pdu.has_cid) {
            fields_u(&f, "cid", pdu.cid);
            m.has_cid = true;
            m.cid = pdu.cid;
        }
        if (pdu.kind == TEKHO_MAC_PDU_HARQ_MAP)
            fields_u(&f, "length", pdu.len);
        else
            fields_str(&f, "header", pdu.kind == TEKHO_MAC_PDU_SIGNALLING_1 ? "type1" : "type2");
        emit(d, &m, &f);
    }
}

static void decode_backbone(struct decoder *d, const struct decoded *base, const uint8_t *data, size_t len)
{
    char buf[12288];
    struct fields f;
    fields_init(&f, d->json, buf, sizeof buf);
    struct decoded m = *base;
    m.what = DECODED_BACKBONE;
    m.msg = data;
    m.msg_len = len;
    struct tekho_asncp a;
    m.err = tekho_asncp_decode(data, len, &a);
    m.type = "ASN-CP";
    if (m.err == TEKHO_OK) {
        m.type = tekho_asncp_name(a.msg);
        asncp_fields(d->k, &a, &f);
        tekho_asncp_wipe(&a);
    }
    emit(d, &m, &f);
}

void decoder_record(struct decoder *d, const struct tekho_capture_record *rec)
{
    d->t.records++;
    struct decoded base;
    memset(&base, 0, sizeof base);
    base.frame = rec->frame;
    base.part = rec->part;
    base.time_us = rec->time_us;
    base.rec = rec;
    if (rec->err != TEKHO_OK) {
        char buf[16];
        struct fields f;
        fields_init(&f, d->json, buf, sizeof buf);
        base.what = rec->kind == TEKHO_CAPTURE_AIR ? DECODED_AIR_BAD : DECODED_BACKBONE;
        base.type = rec->kind == TEKHO_CAPTURE_AIR ? "MAC PDU" : "ASN-CP";
        base.err = rec->err;
        emit(d, &base, &f);
    } else if (rec->kind == TEKHO_CAPTURE_OTHER) {
        d->t.skipped++;
    } else if (rec->kind == TEKHO_CAPTURE_AIR) {
        decode_air(d, &base, rec->data, rec->len);
    } else {
        decode_backbone(d, &base, rec->data, rec->len);
    }
}

struct decoder *decoder_new(bool json)
{
    struct decoder *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->k = calloc(1, sizeof *d->k);
    if (d->k == NULL) {
        free(d);
        return NULL;
    }
    d->json = json;
    d->basic_cid_max = DECODE_BASIC_CID_MAX_DEFAULT;
    return d;
}

void decoder_free(struct decoder *d)
{
    if (d == NULL)
        return;
    OPENSSL_cleanse(d->k, sizeof *d->k);
    free(d->k);
    free(d);
}

int decoder_load_options(struct decoder *d, const struct cli_cmd *cmd, const struct cli_args *a, size_t first,
                         size_t input, uint16_t *asncp_port)
{
    struct keyring *k = d->k;
    const struct cli_value *v = &a->v[first];
    enum { MSK, MS_MAC, BSID, CKC, KEK, TEK, SAID };
    k->counts[k->n_counts++] = v[CKC].present ? (uint16_t)v[CKC].num : 0;
    if (v[MSK].present) {
        if (!v[MS_MAC].present || !v[BSID].present)
            return cli_usage_error(cmd, "--msk needs --ms-mac and --bsid");
        if (v[MSK].len % 64 != 0)
            return cli_usage_error(cmd, "--msk: a multiple of 64 bytes, got %zu", v[MSK].len);
        if (v[BSID].len % 6 != 0)
            return cli_usage_error(cmd, "--bsid: a multiple of 6 bytes, got %zu", v[BSID].len);
        k->n_msks = v[MSK].len / 64;
        memcpy(k->msks, v[MSK].bytes, v[MSK].len);
        memcpy(k->ms_mac, v[MS_MAC].bytes, 6);
        k->n_bsids = v[BSID].len / 6;
        memcpy(k->bsids, v[BSID].bytes, v[BSID].len);
    } else if (v[MS_MAC].present || v[BSID].present) {
        return cli_usage_error(cmd, "--ms-mac and --bsid go with --msk");
    }
    if ((k->have_kek = v[KEK].present))
        memcpy(k->kek, v[KEK].bytes, 16);
    if ((k->have_tek = v[TEK].present))
        memcpy(k->tek, v[TEK].bytes, 16);
    if ((k->have_said = v[SAID].present))
        k->said = (uint16_t)v[SAID].num;
    const struct cli_value *in = &a->v[input];
    *asncp_port = in[0].present ? (uint16_t)in[0].num : TEKHO_CAPTURE_UDP_PORT;
    if (in[1].present)
        d->basic_cid_max = (uint16_t)in[1].num;
    return -1;
}

static void print_summary(const struct decoder *d)
{
    const struct decode_tally *t = &d->t;
    static const char *const names[] = {"messages",       "cmac_ok",    "cmac_bad",    "cmac_absent",
                                        "cmac_unchecked", "decrypt_ok", "decrypt_bad", "decrypt_unchecked",
                                        "malformed",      "errors",     "skipped"};
    const unsigned long values[] = {t->messages,       t->cmac_ok,    t->cmac_bad,    t->cmac_absent,
                                    t->cmac_unchecked, t->decrypt_ok, t->decrypt_bad, t->decrypt_unchecked,
                                    t->malformed,      t->errors,     t->skipped};
    printf(d->json ? "{\"summary\": {" : "summary:");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        printf(d->json ? "%s\"%s\": %lu" : "%s%s=%lu", d->json ? (i ? ", " : "") : " ", names[i], values[i]);
    printf(d->json ? "}}\n" : "\n");
    fflush(stdout);
}

int cmd_decode(int argc, char **argv)
{
    /* The capture file is the one operand. */
    struct cli_args a;
    int rc = cli_parse(&DECODE_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    const char *path = a.operands[0];
    struct decoder *d = decoder_new(a.json);
    if (d == NULL) {
        const bool json = a.json;
        cli_args_free(&a);
        return cli_fail(&DECODE_CMD, json, "out of memory");
    }
    uint16_t port = TEKHO_CAPTURE_UDP_PORT;
    rc = decoder_load_options(d, &DECODE_CMD, &a, OPT_MSK, OPT_ASNCP_PORT, &port);
    const bool strict = a.v[OPT_STRICT].present;
    cli_args_free(&a);
    struct tekho_capture_reader *r = NULL;
    /* The reader's messages name the file: "x.pcap: No such file or directory". */
    if (rc < 0 && tekho_capture_read_open(path, &r) != TEKHO_OK)
        rc = cli_fail(&DECODE_CMD, d->json, tekho_capture_reader_error(r));
    tekho_capture_reader_set_asncp_port(r, port);
    bool read_failed = false;
    while (rc < 0) {
        struct tekho_capture_record rec;
        bool got = false;
        if (tekho_capture_next(r, &rec, &got) != TEKHO_OK) {
            d->t.errors++;
            read_failed = true;
            break;
        }
        if (!got)
            break;
        decoder_record(d, &rec);
    }
    if (rc < 0) {
        print_summary(d);
        if (d->t.messages == 0 && !read_failed)
            fprintf(stderr, "tekho decode: %s: no messages (%s)\n", path,
                    d->t.skipped     ? "every record is other traffic"
                    : d->t.records ? "every record is padding"
                                   : "the capture has no records");
        if (read_failed)
            rc = cli_fail(&DECODE_CMD, false, tekho_capture_reader_error(r)); /* the summary is the JSON */
        else if (strict && (d->t.cmac_bad || d->t.decrypt_bad || d->t.malformed))
            rc = CLI_EXIT_FAILED;
        else
            rc = CLI_EXIT_OK;
    }
    tekho_capture_read_close(r);
    decoder_free(d);
    return rc;
}
