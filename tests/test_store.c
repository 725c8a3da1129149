/* The durable stores against real databases: `test_store sqlite` on SQLite
 * files in a temporary directory, `test_store pg` on a PostgreSQL server
 * the test starts itself (tests/pg_server.h). Both: the record semantics
 * (N only up and only under its PMK, a new PMK replaces, batches), the
 * keys at rest (the key file's rules, AES-256-GCM bound to the MS and its
 * PMK), the Authenticator on top, and every named error: corrupt or
 * foreign databases, a newer schema, migrations, another key, a full disk
 * (SQLite, on a small tmpfs when the test may mount one) and a lost
 * connection (PostgreSQL). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "pg_server.h"
#include "tekho/store.h"
#include "tekho/tekho.h"
#include "test_util.h"

static char tmp[256];

static void write_file(const char *path, const void *b, size_t n, mode_t mode)
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, b, n) == (ssize_t)n);
    CHECK(fchmod(fd, mode) == 0);
    close(fd);
}

static struct tekho_auth_record new_pmk(uint32_t ms, uint16_t n, uint8_t pmk_sn)
{
    struct tekho_auth_record r = {.kind = TEKHO_RECORD_NEW_PMK, .n = n, .pmk_sn = pmk_sn, .pmk_lifetime_s = 3600};
    tekho_ms_mac_of_index(ms, r.ms_mac);
    for (int i = 0; i < 64; i++)
        r.msk[i] = (uint8_t)(ms * 7 + pmk_sn * 13 + i);
    CHECK_ERR(tekho_pmk_id(r.msk, r.pmk_id), TEKHO_OK);
    return r;
}

static struct tekho_auth_record advance(const struct tekho_auth_record *pmk, uint16_t n)
{
    struct tekho_auth_record r = *pmk;
    r.kind = TEKHO_RECORD_ADVANCE;
    r.n = n;
    memset(r.msk, 0, sizeof r.msk);
    return r;
}

static tekho_err persist1(struct tekho_store *s, const struct tekho_auth_record *r)
{
    tekho_err res = TEKHO_ERR_IO;
    const tekho_err err = tekho_store_persist(s, r, 1, &res);
    return err != TEKHO_OK ? err : res;
}

static uint16_t load_n(struct tekho_store *s, uint32_t ms)
{
    uint8_t mac[6];
    tekho_ms_mac_of_index(ms, mac);
    struct tekho_auth_record r;
    bool found = false;
    const tekho_err err = tekho_store_load(s, mac, &r, &found);
    const uint16_t n = err == TEKHO_OK && found ? r.n : 0;
    tekho_auth_record_wipe(&r);
    return n;
}

/* ---- what every store does ---- */

static void check_semantics(const char *url, const char *key)
{
    struct tekho_store *s = NULL;
    char msg[256];
    CHECK_ERR(tekho_store_open_verbose(url, key, &s, msg, sizeof msg), TEKHO_OK);
    if (s == NULL) {
        fprintf(stderr, "  %s\n", msg);
        return;
    }
    /* A batch of new PMKs, then N moves: up under the right PMK only. */
    struct tekho_auth_record batch[4] = {new_pmk(0, 1, 0), new_pmk(1, 1, 0), new_pmk(2, 100, 3), new_pmk(3, 1, 0)};
    tekho_err res[4];
    CHECK_ERR(tekho_store_persist(s, batch, 4, res), TEKHO_OK);
    CHECK(res[0] == TEKHO_OK && res[1] == TEKHO_OK && res[2] == TEKHO_OK && res[3] == TEKHO_OK);
    struct tekho_auth_record got;
    bool found = false;
    CHECK_ERR(tekho_store_load(s, batch[2].ms_mac, &got, &found), TEKHO_OK);
    CHECK(found && got.kind == TEKHO_RECORD_NEW_PMK && got.n == 100 && got.pmk_sn == 3 &&
          got.pmk_lifetime_s == 3600 && memcmp(got.msk, batch[2].msk, 64) == 0 &&
          memcmp(got.pmk_id, batch[2].pmk_id, TEKHO_PMK_ID_LEN) == 0);
    uint8_t nobody[6] = {0x02, 0x74, 0x6b, 0x7f, 0x7f, 0x7f};
    found = true;
    CHECK_ERR(tekho_store_load(s, nobody, &got, &found), TEKHO_OK);
    CHECK(!found);

    struct tekho_auth_record adv[4] = {advance(&batch[0], 2), advance(&batch[1], 1), advance(&batch[2], 99),
                                       advance(&batch[3], 5)};
    adv[3].pmk_id[0] ^= 0x55; /* under another PMK */
    CHECK_ERR(tekho_store_persist(s, adv, 4, res), TEKHO_OK);
    CHECK_ERR(res[0], TEKHO_OK);
    CHECK_ERR(res[1], TEKHO_ERR_STALE_COUNT); /* not above */
    CHECK_ERR(res[2], TEKHO_ERR_STALE_COUNT); /* below */
    CHECK_ERR(res[3], TEKHO_ERR_STALE_COUNT); /* another PMK */
    CHECK(load_n(s, 0) == 2 && load_n(s, 1) == 1 && load_n(s, 2) == 100 && load_n(s, 3) == 1);
    /* One MS twice in a batch, in order: a new PMK, then N moves under it. */
    struct tekho_auth_record again[3] = {new_pmk(1, 1, 1), {0}, advance(&batch[0], 3)};
    again[1] = advance(&again[0], 7);
    CHECK_ERR(tekho_store_persist(s, again, 3, res), TEKHO_OK);
    CHECK(res[0] == TEKHO_OK && res[1] == TEKHO_OK && res[2] == TEKHO_OK);
    CHECK(load_n(s, 1) == 7 && load_n(s, 0) == 3);
    /* A PMK the store holds is never written again: re-adding an MS with
     * it (an Authenticator restarted without its state) would take N back
     * to its start under the same PMK. Another PMK replaces it. */
    struct tekho_auth_record same[2] = {new_pmk(1, 1, 1), new_pmk(0, 1, 5)};
    CHECK_ERR(tekho_store_persist(s, same, 2, res), TEKHO_OK);
    CHECK_ERR(res[0], TEKHO_ERR_STALE_COUNT);
    CHECK_ERR(res[1], TEKHO_OK);
    CHECK(load_n(s, 1) == 7 && load_n(s, 0) == 1);
    struct tekho_auth_record back0 = advance(&same[1], 3);
    CHECK_ERR(tekho_store_persist(s, &back0, 1, res), TEKHO_OK);
    CHECK(res[0] == TEKHO_OK && load_n(s, 0) == 3);
    tekho_auth_record_wipe(&same[0]);
    tekho_auth_record_wipe(&same[1]);
    /* A big batch (group commit): many MSs in one transaction. */
    enum { MANY = 600 };
    struct tekho_auth_record *many = calloc(MANY, sizeof *many);
    tekho_err *many_res = calloc(MANY, sizeof *many_res);
    CHECK(many != NULL && many_res != NULL);
    if (many != NULL && many_res != NULL) {
        for (uint32_t i = 0; i < MANY; i++)
            many[i] = new_pmk(100 + i, 1, 0);
        CHECK_ERR(tekho_store_persist(s, many, MANY, many_res), TEKHO_OK);
        for (uint32_t i = 0; i < MANY; i++)
            many[i] = advance(&many[i], (uint16_t)(2 + i));
        CHECK_ERR(tekho_store_persist(s, many, MANY, many_res), TEKHO_OK);
        unsigned ok = 0;
        for (uint32_t i = 0; i < MANY; i++)
            ok += many_res[i] == TEKHO_OK;
        CHECK(ok == MANY && load_n(s, 100 + MANY - 1) == MANY + 1);
    }
    free(many);
    free(many_res);
    /* A record that does not validate is refused before the database sees it. */
    struct tekho_auth_record bad = advance(&batch[0], 0);
    CHECK_ERR(tekho_store_persist(s, &bad, 1, res), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_store_close(s);

    /* It survives a close: a new connection reads what was committed. */
    CHECK_ERR(tekho_store_open(url, key, &s), TEKHO_OK);
    if (s != NULL) {
        CHECK(load_n(s, 0) == 3 && load_n(s, 1) == 7 && load_n(s, 2) == 100);
        CHECK_ERR(tekho_store_load(s, batch[1].ms_mac, &got, &found), TEKHO_OK);
        CHECK(found && memcmp(got.msk, again[0].msk, 64) == 0 && got.pmk_sn == 1);
        tekho_auth_record_wipe(&got);
        tekho_store_close(s);
    }
    for (int i = 0; i < 4; i++)
        tekho_auth_record_wipe(&batch[i]);
}

/* The driver: acts' persists in one transaction, each result reported;
 * acts then holds what the reports sent. Returns the persists, or -1. */
static int persist_acts(struct tekho_store *s, struct tekho_auth *auth, struct tekho_actions *acts, tekho_err *first)
{
    struct tekho_auth_record recs[4];
    uint64_t tokens[4];
    size_t n = 0;
    for (size_t i = 0; i < acts->n && n < 4; i++)
        if (acts->list[i].kind == TEKHO_ACT_PERSIST &&
            tekho_auth_record_decode(acts->list[i].bytes, acts->list[i].len, &recs[n]) == TEKHO_OK)
            tokens[n++] = (uint64_t)acts->list[i].value;
    tekho_err res[4] = {TEKHO_OK, TEKHO_OK, TEKHO_OK, TEKHO_OK};
    const tekho_err err = n > 0 ? tekho_store_persist(s, recs, n, res) : TEKHO_OK;
    tekho_actions_reset(acts);
    int rc = err == TEKHO_OK ? (int)n : -1;
    for (size_t i = 0; i < n; i++) {
        if (rc >= 0 && tekho_auth_persisted(auth, 0, recs[i].ms_mac, tokens[i], res[i], acts) != TEKHO_OK)
            rc = -1;
        tekho_auth_record_wipe(&recs[i]);
    }
    if (first != NULL)
        *first = res[0];
    return rc;
}

/* The backbone messages of acts, in order, equal to those of other's. */
static bool same_backbone(const struct tekho_actions *a, const struct tekho_actions *b)
{
    size_t i = 0, j = 0, n = 0;
    for (;; i++, j++, n++) {
        while (i < a->n && a->list[i].kind != TEKHO_ACT_BACKBONE)
            i++;
        while (j < b->n && b->list[j].kind != TEKHO_ACT_BACKBONE)
            j++;
        if (i == a->n || j == b->n)
            return i == a->n && j == b->n && n > 0;
        if (a->list[i].len != b->list[j].len || memcmp(a->list[i].bytes, b->list[j].bytes, a->list[i].len) != 0)
            return false;
    }
}

/* The Authenticator on a durable store: an EAP result and a handover's N
 * are persisted through it, and after a restart N comes back from it. */
static void check_authenticator(const char *url, const char *key)
{
    struct tekho_store *s = NULL;
    CHECK_ERR(tekho_store_open(url, key, &s), TEKHO_OK);
    struct tekho_actions *acts = calloc(1, sizeof *acts);
    struct tekho_auth *auth = NULL;
    const struct tekho_auth_config cfg = {.pmk_lifetime_s = 3600, .max_ms = 4, .max_bs = 2,
                                          .store = tekho_store_ops(s)};
    if (s == NULL || acts == NULL || tekho_auth_new(&cfg, &auth) != TEKHO_OK) {
        CHECK(false);
        free(acts);
        tekho_store_close(s);
        return;
    }
    uint8_t mac[6], msk[64], bsid[6] = {0x42, 0, 0, 0, 0, 1};
    tekho_ms_mac_of_index(3, mac);
    memset(msk, 0x5a, sizeof msk);
    CHECK_ERR(tekho_auth_add_bs(auth, 1, bsid), TEKHO_OK);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_add_ms(auth, 3, mac, msk, 2, acts), TEKHO_OK);
    /* The driver: a loop iteration's persists in one transaction. */
    tekho_err res = TEKHO_ERR_BAD_VALUE;
    CHECK(persist_acts(s, auth, acts, &res) == 1 && res == TEKHO_OK);
    CHECK(tekho_auth_count(auth, mac) == 1);
    /* A HO_Complete for count 1 */
    CHECK_ERR(test_bs_to_auth(auth, 1, TEKHO_ASNCP_HO_COMPLETE, mac, 0, 1, 0, acts), TEKHO_OK);
    res = TEKHO_ERR_BAD_VALUE;
    CHECK(persist_acts(s, auth, acts, &res) == 1 && res == TEKHO_OK);
    CHECK(tekho_auth_count(auth, mac) == 2);
    CHECK_ERR(tekho_auth_restart(auth), TEKHO_OK);
    CHECK(tekho_auth_count(auth, mac) == 0);
    CHECK(load_n(s, 3) == 2);
    tekho_actions_reset(acts);
    tekho_auth_free(auth);
    free(acts);
    tekho_store_close(s);
}

/* Two Authenticators on one store (a hot standby), each with its own
 * connection, both knowing BSs 1 .. n_bs. */
struct shared_pair {
    struct tekho_store *s[2];
    struct tekho_auth *auth[2];
    struct tekho_actions *acts[2];
};

static bool shared_open(const char *url, const char *key, uint32_t n_bs, struct shared_pair *p)
{
    memset(p, 0, sizeof *p);
    bool ok = true;
    for (int i = 0; i < 2 && ok; i++) {
        const uint8_t bsid[6] = {0x42, 0, 0, 0, 0, 1};
        ok = (p->acts[i] = calloc(1, sizeof *p->acts[i])) != NULL && tekho_store_open(url, key, &p->s[i]) == TEKHO_OK;
        const struct tekho_auth_config cfg = {.pmk_lifetime_s = 3600, .max_ms = 8, .max_bs = 2,
                                              .store = tekho_store_ops(p->s[i]), .shared_store = true};
        ok = ok && tekho_auth_new(&cfg, &p->auth[i]) == TEKHO_OK;
        for (uint32_t node = 1; node <= n_bs && ok; node++) {
            uint8_t id[6];
            memcpy(id, bsid, sizeof id);
            id[5] = (uint8_t)node;
            ok = tekho_auth_add_bs(p->auth[i], node, id) == TEKHO_OK;
        }
    }
    return ok;
}

static void shared_close(struct shared_pair *p)
{
    for (int i = 0; i < 2; i++) {
        if (p->acts[i] != NULL)
            tekho_actions_reset(p->acts[i]);
        tekho_auth_free(p->auth[i]);
        free(p->acts[i]);
        tekho_store_close(p->s[i]);
    }
}

/* Two Authenticators on one store (tekho testbed --authd 2: a hot
 * standby), each on its own connection. Both add the MS at start with the
 * same EAP result and the store refuses the second: that one still offers
 * the MS's PMK at an entry, the same offers as the first (before, it moved
 * on from a PMK of nothing and no MS could enter through it: test_chaos_pg
 * under load). What one moves, N or the PMK, the other reads at its next
 * use (shared_store): the same AK context for a handover, never its own
 * stale N. */
static void check_shared(const char *url, const char *key)
{
    struct shared_pair pair;
    bool ok = shared_open(url, key, 1, &pair);
    struct tekho_store **s = pair.s;
    struct tekho_auth **auth = pair.auth;
    struct tekho_actions **acts = pair.acts;
    uint8_t mac[6], msk[64];
    tekho_ms_mac_of_index(6, mac);
    memset(msk, 0x6b, sizeof msk);
    CHECK(ok);
    tekho_err res = TEKHO_OK;
    for (int i = 0; i < 2 && ok; i++) {
        tekho_actions_reset(acts[i]);
        CHECK_ERR(tekho_auth_add_ms(auth[i], 6, mac, msk, 0, acts[i]), TEKHO_OK);
        CHECK(persist_acts(s[i], auth[i], acts[i], &res) == 1);
        CHECK_ERR(res, i == 0 ? TEKHO_OK : TEKHO_ERR_STALE_COUNT); /* the store holds this PMK already */
    }
    CHECK(ok && tekho_auth_count(auth[0], mac) == 1 && tekho_auth_count(auth[1], mac) == 0);
    /* An entry at either: the offers of the MS's PMK and its successors. */
    for (int i = 0; i < 2 && ok; i++)
        CHECK_ERR(test_bs_to_auth(auth[i], 1, TEKHO_ASNCP_CONTEXT_REQ, mac, TEKHO_CONTEXT_FOR_ENTRY, 0, 7, acts[i]),
                  TEKHO_OK);
    CHECK(ok && acts[1]->n == 3 && same_backbone(acts[0], acts[1]));
    /* N moved by the first: the second's handover context has it. */
    CHECK_ERR(test_bs_to_auth(auth[0], 1, TEKHO_ASNCP_HO_COMPLETE, mac, 0, 1, 8, acts[0]), TEKHO_OK);
    CHECK(ok && persist_acts(s[0], auth[0], acts[0], NULL) == 1 && tekho_auth_count(auth[0], mac) == 2);
    for (int i = 0; i < 2 && ok; i++)
        CHECK_ERR(test_bs_to_auth(auth[i], 1, TEKHO_ASNCP_CONTEXT_REQ, mac, TEKHO_CONTEXT_FOR_HANDOVER, 0, 9, acts[i]),
                  TEKHO_OK);
    CHECK(ok && tekho_auth_count(auth[1], mac) == 2 && same_backbone(acts[0], acts[1]));
    /* A new PMK taken by the first (the MS authenticated again through it):
     * the second takes it from the store, with its N. */
    uint8_t msk2[64];
    memset(msk2, 0x3c, sizeof msk2);
    tekho_actions_reset(acts[0]);
    CHECK_ERR(tekho_auth_add_ms(auth[0], 6, mac, msk2, 0, acts[0]), TEKHO_OK);
    CHECK(ok && persist_acts(s[0], auth[0], acts[0], &res) == 1 && res == TEKHO_OK);
    for (int i = 0; i < 2 && ok; i++)
        CHECK_ERR(test_bs_to_auth(auth[i], 1, TEKHO_ASNCP_CONTEXT_REQ, mac, TEKHO_CONTEXT_FOR_HANDOVER, 0, 10, acts[i]),
                  TEKHO_OK);
    CHECK(ok && tekho_auth_count(auth[1], mac) == 1 && same_backbone(acts[0], acts[1]));
    shared_close(&pair);
}

/* The count updates (CMAC_Key_Count_Update) acts sends to BS node. */
static int updates_to(const struct tekho_actions *acts, uint32_t node)
{
    int n = 0;
    for (size_t i = 0; i < acts->n; i++) {
        struct tekho_asncp msg;
        if (acts->list[i].kind == TEKHO_ACT_BACKBONE && acts->list[i].peer == node &&
            tekho_asncp_decode(acts->list[i].bytes, acts->list[i].len, &msg) == TEKHO_OK) {
            n += msg.msg == TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE;
            tekho_asncp_wipe(&msg);
        }
    }
    return n;
}

/* Two Authenticators on one store, two BSs: one that takes the other's
 * new PMK no longer knows which BSs hold contexts, even where the new
 * PMK's N happens to equal the old one's: its next count update goes to
 * every BS, not to the holders it knew under the old PMK. */
static void check_shared_holders(const char *url, const char *key)
{
    struct shared_pair pair;
    bool ok = shared_open(url, key, 2, &pair);
    struct tekho_store **s = pair.s;
    struct tekho_auth **auth = pair.auth;
    struct tekho_actions **acts = pair.acts;
    uint8_t mac[6], msk[64], msk2[64];
    tekho_ms_mac_of_index(7, mac);
    memset(msk, 0x5a, sizeof msk);
    memset(msk2, 0xa5, sizeof msk2);
    CHECK(ok);
    for (int i = 0; i < 2 && ok; i++) {
        tekho_actions_reset(acts[i]);
        CHECK_ERR(tekho_auth_add_ms(auth[i], 7, mac, msk, 0, acts[i]), TEKHO_OK);
        CHECK(persist_acts(s[i], auth[i], acts[i], NULL) == 1);
    }
    /* N 2 under the first PMK; the second hands BS 1 a context at it. */
    CHECK_ERR(test_bs_to_auth(auth[0], 1, TEKHO_ASNCP_CONTEXT_REQ, mac, TEKHO_CONTEXT_FOR_ENTRY, 0, 1, acts[0]),
              TEKHO_OK);
    CHECK_ERR(test_bs_to_auth(auth[0], 1, TEKHO_ASNCP_HO_COMPLETE, mac, 0, 1, 2, acts[0]), TEKHO_OK);
    CHECK(ok && persist_acts(s[0], auth[0], acts[0], NULL) == 1 && tekho_auth_count(auth[0], mac) == 2);
    CHECK_ERR(test_bs_to_auth(auth[1], 1, TEKHO_ASNCP_CONTEXT_REQ, mac, TEKHO_CONTEXT_FOR_HANDOVER, 0, 3, acts[1]),
              TEKHO_OK);
    CHECK(ok && tekho_auth_count(auth[1], mac) == 2);
    /* The MS authenticates again through the first, and a handover there
     * takes the new PMK's N to 2 as well. */
    tekho_actions_reset(acts[0]);
    CHECK_ERR(tekho_auth_add_ms(auth[0], 7, mac, msk2, 0, acts[0]), TEKHO_OK);
    CHECK(ok && persist_acts(s[0], auth[0], acts[0], NULL) == 1);
    CHECK_ERR(test_bs_to_auth(auth[0], 2, TEKHO_ASNCP_CONTEXT_REQ, mac, TEKHO_CONTEXT_FOR_HANDOVER, 0, 4, acts[0]),
              TEKHO_OK);
    CHECK_ERR(test_bs_to_auth(auth[0], 2, TEKHO_ASNCP_HO_COMPLETE, mac, 0, 1, 5, acts[0]), TEKHO_OK);
    CHECK(ok && persist_acts(s[0], auth[0], acts[0], NULL) == 1 && tekho_auth_count(auth[0], mac) == 2);
    /* The second takes the new PMK at N 2 with the next handover, and
     * tells every BS of the count it moves to. */
    CHECK_ERR(test_bs_to_auth(auth[1], 2, TEKHO_ASNCP_HO_COMPLETE, mac, 0, 2, 6, acts[1]), TEKHO_OK);
    CHECK(ok && persist_acts(s[1], auth[1], acts[1], NULL) == 1 && tekho_auth_count(auth[1], mac) == 3);
    CHECK(ok && updates_to(acts[1], 1) == 1 && updates_to(acts[1], 2) == 1);
    shared_close(&pair);
}

static void make_key(const char *path, uint8_t fill)
{
    uint8_t key[32];
    memset(key, fill, sizeof key);
    write_file(path, key, sizeof key, 0600);
}

static void check_key_files(const char *url)
{
    char path[300];
    struct tekho_store *s = NULL;
    uint8_t key[32];
    memset(key, 0x11, sizeof key);
    snprintf(path, sizeof path, "%s/key-open", tmp);
    write_file(path, key, sizeof key, 0644);
    CHECK_ERR(tekho_store_open(url, path, &s), TEKHO_ERR_STORE_KEY); /* readable by others */
    CHECK(s == NULL);
    CHECK(chmod(path, 0640) == 0);
    CHECK_ERR(tekho_store_open(url, path, &s), TEKHO_ERR_STORE_KEY);
    snprintf(path, sizeof path, "%s/key-short", tmp);
    write_file(path, key, 31, 0600);
    CHECK_ERR(tekho_store_open(url, path, &s), TEKHO_ERR_STORE_KEY);
    snprintf(path, sizeof path, "%s/key-missing", tmp);
    CHECK_ERR(tekho_store_open(url, path, &s), TEKHO_ERR_STORE_KEY);
    CHECK_ERR(tekho_store_open(url, tmp, &s), TEKHO_ERR_STORE_KEY); /* a directory */
    /* The same key as 64 hex digits and a newline opens the store; another key does not. */
    snprintf(path, sizeof path, "%s/key-hex", tmp);
    const char *hex = "1111111111111111111111111111111111111111111111111111111111111111\n";
    write_file(path, hex, strlen(hex), 0400);
    CHECK_ERR(tekho_store_open(url, path, &s), TEKHO_OK);
    tekho_store_close(s);
    snprintf(path, sizeof path, "%s/key-other", tmp);
    make_key(path, 0x22);
    char msg[256];
    CHECK_ERR(tekho_store_open_verbose(url, path, &s, msg, sizeof msg), TEKHO_ERR_STORE_KEY);
    CHECK(strstr(msg, "another key") != NULL);
}

/* ---- SQLite ---- */

static void sql(const char *db_path, const char *q)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "FAIL sql %s: %s\n", q, err ? err : "?");
        test_failures++;
    }
    sqlite3_free(err);
    sqlite3_close(db);
}

static void check_sqlite_files(const char *key)
{
    char path[300], url[320], msg[256];
    struct tekho_store *s = NULL;
    /* Not a database at all. */
    snprintf(path, sizeof path, "%s/garbage.db", tmp);
    char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 131 + 7);
    write_file(path, junk, sizeof junk, 0600);
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_ERR(tekho_store_open_verbose(url, key, &s, msg, sizeof msg), TEKHO_ERR_STORE_CORRUPT);
    CHECK(strstr(msg, "not an SQLite database") != NULL);
    /* Another application's database. */
    snprintf(path, sizeof path, "%s/foreign.db", tmp);
    sql(path, "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)");
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_ERR(tekho_store_open_verbose(url, key, &s, msg, sizeof msg), TEKHO_ERR_STORE_CORRUPT);
    CHECK(strstr(msg, "another application") != NULL);
    /* A schema from a newer tekho. */
    snprintf(path, sizeof path, "%s/newer.db", tmp);
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_ERR(tekho_store_open(url, key, &s), TEKHO_OK);
    tekho_store_close(s);
    sql(path, "UPDATE tekho_meta SET value = '99' WHERE key = 'schema_version'");
    CHECK_ERR(tekho_store_open_verbose(url, key, &s, msg, sizeof msg), TEKHO_ERR_STORE_VERSION);
    CHECK(strstr(msg, "99") != NULL);
    /* A store at schema version 1 (only tekho_meta) is migrated forward. */
    snprintf(path, sizeof path, "%s/v1.db", tmp);
    sql(path, "PRAGMA application_id = 1952803688;"
              "CREATE TABLE tekho_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
              "INSERT INTO tekho_meta VALUES ('application', 'tekho-authenticator-store'), ('schema_version', '1')");
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_ERR(tekho_store_open(url, key, &s), TEKHO_OK);
    if (s != NULL) {
        struct tekho_auth_record r = new_pmk(9, 4, 0);
        CHECK_ERR(persist1(s, &r), TEKHO_OK);
        CHECK(load_n(s, 9) == 4);
        tekho_store_close(s);
    }
    /* A damaged record: a flipped bit in the sealed MSK, a sealed MSK moved
     * to another MS, an N out of range: re-authentication, never a default. */
    snprintf(path, sizeof path, "%s/records.db", tmp);
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_ERR(tekho_store_open(url, key, &s), TEKHO_OK);
    if (s != NULL) {
        struct tekho_auth_record r[3] = {new_pmk(0, 5, 0), new_pmk(1, 5, 0), new_pmk(2, 5, 0)};
        tekho_err res[3];
        CHECK_ERR(tekho_store_persist(s, r, 3, res), TEKHO_OK);
        tekho_store_close(s);
        sql(path, "UPDATE tekho_ms SET key_sealed = (SELECT key_sealed FROM tekho_ms WHERE mac = x'02746b000000'),"
                  " key_nonce = (SELECT key_nonce FROM tekho_ms WHERE mac = x'02746b000000')"
                  " WHERE mac = x'02746b000001';"
                  "UPDATE tekho_ms SET key_sealed = zeroblob(80) WHERE mac = x'02746b000000';"
                  "PRAGMA ignore_check_constraints = 1;"
                  "UPDATE tekho_ms SET n = 0 WHERE mac = x'02746b000002'");
        CHECK_ERR(tekho_store_open(url, key, &s), TEKHO_OK);
        struct tekho_auth_record got;
        bool found = false;
        for (int i = 0; i < 3 && s != NULL; i++)
            CHECK_ERR(tekho_store_load(s, r[i].ms_mac, &got, &found), TEKHO_ERR_RECORD_CORRUPT);
        /* The Authenticator: an MS whose record stops opening gets no N
         * after a restart (a new PMK first), never a default one. */
        struct tekho_auth *auth = NULL;
        struct tekho_actions *acts = calloc(1, sizeof *acts);
        const struct tekho_auth_config cfg = {.pmk_lifetime_s = 3600, .max_ms = 8, .max_bs = 1,
                                              .store = tekho_store_ops(s)};
        if (s != NULL && acts != NULL && tekho_auth_new(&cfg, &auth) == TEKHO_OK) {
            uint8_t bsid[6] = {0x42, 0, 0, 0, 0, 1}, mac[6], msk[64];
            tekho_ms_mac_of_index(5, mac);
            memset(msk, 0x33, sizeof msk);
            CHECK_ERR(tekho_auth_add_bs(auth, 1, bsid), TEKHO_OK);
            tekho_actions_reset(acts);
            CHECK_ERR(tekho_auth_add_ms(auth, 5, mac, msk, 0, acts), TEKHO_OK);
            struct tekho_auth_record rec;
            CHECK(acts->n == 1 && tekho_auth_record_decode(acts->list[0].bytes, acts->list[0].len, &rec) == TEKHO_OK);
            const uint64_t token = (uint64_t)acts->list[0].value;
            CHECK_ERR(persist1(s, &rec), TEKHO_OK);
            tekho_auth_record_wipe(&rec);
            tekho_actions_reset(acts);
            CHECK_ERR(tekho_auth_persisted(auth, 0, mac, token, TEKHO_OK, acts), TEKHO_OK);
            CHECK(tekho_auth_count(auth, mac) == 1);
            sql(path, "UPDATE tekho_ms SET key_nonce = zeroblob(12) WHERE mac = x'02746b000005'");
            CHECK_ERR(tekho_auth_restart(auth), TEKHO_OK);
            struct tekho_asncp m;
            memset(&m, 0, sizeof m);
            m.msg = TEKHO_ASNCP_HO_COMPLETE;
            memcpy(m.msid, mac, 6);
            m.has_ms_id = true;
            memcpy(m.ms_id, mac, 6);
            m.has_cmac_key_count = true;
            m.cmac_key_count = 1;
            uint8_t b[TEKHO_ASNCP_MAX_LEN];
            size_t len = 0;
            CHECK_ERR(tekho_asncp_encode(&m, b, sizeof b, &len), TEKHO_OK);
            tekho_actions_reset(acts);
            CHECK_ERR(tekho_auth_backbone(auth, 0, 1, b, len, acts), TEKHO_ERR_STALE_COUNT);
            CHECK(acts->n == 0 && tekho_auth_count(auth, mac) == 0);
            tekho_auth_free(auth);
        }
        free(acts);
        for (int i = 0; i < 3; i++)
            tekho_auth_record_wipe(&r[i]);
        tekho_store_close(s);
    }
    /* The file is in WAL mode with synchronous=FULL. */
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* A full disk: a 192 KiB tmpfs (when this test may mount one). Records
 * until the store says full; those acknowledged are all there after. */
static void check_sqlite_full(const char *key)
{
    char dir[300], url[320], msg[256];
    snprintf(dir, sizeof dir, "%s/small", tmp);
    CHECK(mkdir(dir, 0700) == 0);
    if (mount("tekho-test", dir, "tmpfs", 0, "size=192k,mode=0700") != 0) {
        printf("test_store: full-disk check skipped: cannot mount a small tmpfs (%s)\n", strerror(errno));
        rmdir(dir);
        return;
    }
    snprintf(url, sizeof url, "sqlite:%s/full.db", dir);
    struct tekho_store *s = NULL;
    CHECK_ERR(tekho_store_open(url, key, &s), TEKHO_OK);
    uint32_t acked = 0;
    tekho_err err = TEKHO_OK;
    enum { BATCH = 20 };
    while (s != NULL && err == TEKHO_OK && acked < 100000) {
        struct tekho_auth_record r[BATCH];
        tekho_err res[BATCH];
        for (uint32_t i = 0; i < BATCH; i++)
            r[i] = new_pmk(acked + i, 1, 0);
        err = tekho_store_persist(s, r, BATCH, res);
        if (err == TEKHO_OK)
            acked += BATCH;
        else
            snprintf(msg, sizeof msg, "%s", tekho_store_last_error(s));
    }
    CHECK_ERR(err, TEKHO_ERR_STORE_FULL);
    printf("test_store: a full disk after %u records: %s (%s)\n", acked, tekho_strerror(err), msg);
    /* Every acknowledged record is there; the failed batch is not half there. */
    unsigned present = 0;
    for (uint32_t i = 0; s != NULL && i < acked + BATCH; i++)
        present += load_n(s, i) == 1;
    CHECK(present == acked);
    tekho_store_close(s);
    CHECK(umount2(dir, MNT_DETACH) == 0);
    rmdir(dir);
}

/* ---- PostgreSQL ---- */

static void pg_sql(const char *conninfo, const char *q)
{
    PGconn *c = PQconnectdb(conninfo);
    PGresult *r = PQexec(c, q);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "FAIL pg %s: %s\n", q, PQerrorMessage(c));
        test_failures++;
    }
    PQclear(r);
    PQfinish(c);
}

static void check_pg_errors(const struct pg_server *srv, const char *key)
{
    char conn[700], msg[256];
    struct tekho_store *a = NULL, *b = NULL;
    /* Two Authenticators on one store race N to the same value: one wins. */
    CHECK_ERR(tekho_store_open(srv->conninfo, key, &a), TEKHO_OK);
    CHECK_ERR(tekho_store_open(srv->conninfo, key, &b), TEKHO_OK);
    if (a != NULL && b != NULL) {
        struct tekho_auth_record r = new_pmk(20, 1, 0);
        CHECK_ERR(persist1(a, &r), TEKHO_OK);
        struct tekho_auth_record adv = advance(&r, 2);
        CHECK_ERR(persist1(a, &adv), TEKHO_OK);
        CHECK_ERR(persist1(b, &adv), TEKHO_ERR_STALE_COUNT);
        /* A lost connection: the server ends every other backend. */
        pg_sql(srv->conninfo, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
        adv.n = 3;
        CHECK_ERR(persist1(a, &adv), TEKHO_ERR_STORE_UNAVAILABLE);
        CHECK_ERR(persist1(a, &adv), TEKHO_OK); /* the next call reconnects */
        CHECK(load_n(b, 20) == 3);              /* (b reconnects too) */
        tekho_auth_record_wipe(&r);
    }
    tekho_store_close(a);
    tekho_store_close(b);
    /* A schema from a newer tekho. */
    pg_sql(srv->conninfo, "CREATE DATABASE newer");
    snprintf(conn, sizeof conn, "host=%s port=5432 user=tekho dbname=newer", srv->dir);
    CHECK_ERR(tekho_store_open(conn, key, &a), TEKHO_OK);
    tekho_store_close(a);
    pg_sql(conn, "UPDATE tekho_meta SET value = '99' WHERE key = 'schema_version'");
    CHECK_ERR(tekho_store_open_verbose(conn, key, &a, msg, sizeof msg), TEKHO_ERR_STORE_VERSION);
    /* Another application's tekho_meta. */
    pg_sql(srv->conninfo, "CREATE DATABASE foreign_app");
    snprintf(conn, sizeof conn, "host=%s port=5432 user=tekho dbname=foreign_app", srv->dir);
    pg_sql(conn, "CREATE TABLE tekho_meta (key text PRIMARY KEY, value text); "
                 "INSERT INTO tekho_meta VALUES ('application', 'something else')");
    CHECK_ERR(tekho_store_open_verbose(conn, key, &a, msg, sizeof msg), TEKHO_ERR_STORE_CORRUPT);
    /* A migration from version 1. */
    pg_sql(srv->conninfo, "CREATE DATABASE v1");
    snprintf(conn, sizeof conn, "host=%s port=5432 user=tekho dbname=v1", srv->dir);
    pg_sql(conn, "CREATE TABLE tekho_meta (key text PRIMARY KEY, value text NOT NULL); "
                 "INSERT INTO tekho_meta VALUES ('application', 'tekho-authenticator-store'), ('schema_version', '1')");
    CHECK_ERR(tekho_store_open(conn, key, &a), TEKHO_OK);
    if (a != NULL) {
        struct tekho_auth_record r = new_pmk(1, 9, 0);
        CHECK_ERR(persist1(a, &r), TEKHO_OK);
        CHECK(load_n(a, 1) == 9);
        tekho_store_close(a);
    }
    /* A damaged record. */
    CHECK_ERR(tekho_store_open(srv->conninfo, key, &a), TEKHO_OK);
    pg_sql(srv->conninfo, "UPDATE tekho_ms SET key_sealed = set_byte(key_sealed, 0, get_byte(key_sealed, 0) # 1) "
                          "WHERE mac = '\\x02746b000002'");
    uint8_t mac[6];
    tekho_ms_mac_of_index(2, mac);
    struct tekho_auth_record got;
    bool found = false;
    if (a != NULL)
        CHECK_ERR(tekho_store_load(a, mac, &got, &found), TEKHO_ERR_RECORD_CORRUPT);
    tekho_store_close(a);
    /* No server there. */
    snprintf(conn, sizeof conn, "host=%s port=5499 user=tekho dbname=postgres connect_timeout=2", srv->dir);
    CHECK_ERR(tekho_store_open_verbose(conn, key, &a, msg, sizeof msg), TEKHO_ERR_STORE_UNAVAILABLE);
}

int main(int argc, char **argv)
{
    const bool pg = argc > 1 && strcmp(argv[1], "pg") == 0;
    snprintf(tmp, sizeof tmp, "/tmp/tekho-store-XXXXXX");
    if (mkdtemp(tmp) == NULL)
        return 1;
    char key[300];
    snprintf(key, sizeof key, "%s/store.key", tmp);
    make_key(key, 0x11);
    int rc = 0;
    if (!pg) {
        char url[320];
        snprintf(url, sizeof url, "sqlite:%s/store.db", tmp);
        check_key_files(url);
        check_semantics(url, key);
        check_authenticator(url, key);
        check_shared(url, key);
        check_shared_holders(url, key);
        check_sqlite_files(key);
        check_sqlite_full(key);
        rc = test_summary("test_store sqlite");
    } else {
        struct pg_server srv;
        char why[300];
        if (!pg_server_start(&srv, why, sizeof why)) {
            printf("test_store pg: skipped: %s\n", why);
            rc = 77;
        } else {
            check_key_files(srv.conninfo);
            check_semantics(srv.conninfo, key);
            check_authenticator(srv.conninfo, key);
            check_shared(srv.conninfo, key);
            check_shared_holders(srv.conninfo, key);
            check_pg_errors(&srv, key);
            pg_server_stop(&srv);
            rc = test_summary("test_store pg");
        }
    }
    char *rm[] = {"rm", "-rf", "--", tmp, NULL};
    (void)pg_run(rm, NULL);
    return rc;
}
