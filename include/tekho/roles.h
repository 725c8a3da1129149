/* The protocol roles of a secure 802.16 handover, sans I/O: the terminal
 * (MS), the base stations (serving and target: one struct, both roles) and
 * the Authenticator. Each takes an event (an encoded message, a timer,
 * user data to send) with the current time and appends actions (encoded
 * messages to send, timers to set, data delivered, keys installed,
 * connection released, trace events). Nothing here reads a clock, opens a
 * socket or allocates per message: the emulator and the daemons are two
 * drivers of the same code.
 *
 * Node ids name the backbone endpoints: the Authenticator is node
 * TEKHO_NODE_AUTHENTICATOR, base stations are numbered from 1.
 *
 * Driving a role (examples/roles_by_hand.c is a complete driver). Every
 * call that takes an input (tekho_ms_enter and the other tekho_ms_ calls
 * with a struct tekho_actions *out, tekho_bs_air / _backbone / _timer /
 * _send, tekho_auth_backbone / _timer) appends its actions to *out, which
 * the caller resets (tekho_actions_reset) before the call; the caller then
 * carries them out in order, whatever the call returned. The return value:
 *   TEKHO_OK      the input was handled. A user PDU that does not open is
 *                 handled too: a TEKHO_EV_PDU_DISCARDED event says why.
 *   a refusal     the input was not acted on: a message that does not
 *                 decode (the codecs' errors), whose CMAC does not verify
 *                 (bad CMAC, a CMAC_PN already seen, another AK's key
 *                 sequence or BSID), from an unknown sender
 *                 (TEKHO_ERR_UNKNOWN_PEER) or with a stale count
 *                 (TEKHO_ERR_STALE_COUNT), or one the role does not take
 *                 in its state
 *                 (TEKHO_ERR_UNEXPECTED_MESSAGE: judged on the header
 *                 before any body is decoded; nothing changes and nothing
 *                 is appended). A replayed or forged message ends here: the
 *                 protocol doing its job, and the driver goes on.
 *   a failure     TEKHO_ERR_INVALID_ARGUMENT (a NULL role, bytes or out),
 *                 TEKHO_ERR_NO_MEMORY, TEKHO_ERR_CRYPTO, or an error the
 *                 random source (cfg->random.fill) or the Authenticator's
 *                 count store returned. A failed random draw changes
 *                 nothing; a retransmission timer tries again.
 * out->err is TEKHO_ERR_TOO_MANY when the actions did not fit (list or
 * arena): some are missing, a driver error. tekho_xp_error_is_internal
 * (tekho/explore.h) tells refusals from failures as the explorer does.
 * Timer ids are the role's own (TEKHO_ACT_TIMER): a timer that fires with
 * nothing left to do is TEKHO_OK; an id the role never set is a bad value.
 * A role object is used by one thread at a time; its config is copied
 * (except what a config field says it points to), and _free wipes the
 * keys it held. */
#ifndef TEKHO_ROLES_H
#define TEKHO_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_NODE_AUTHENTICATOR 0u
/* CIDs up to this carry management messages (basic and primary CIDs, as
 * Wireshark's default wmx.basic_cid_max reads them); above, transport. */
#define TEKHO_MGMT_CID_MAX 640u

/* [MODEL] Which MS owns an uplink allocation is the scheduler's knowledge
 * (CIDs, HO_ID in the fast-ranging allocation); the roles model it with a
 * fixed map between an MS's index and its MAC address, 02:74:6b:ii:ii:ii. */
TEKHO_API void tekho_ms_mac_of_index(uint32_t index, uint8_t mac[6]);
/* The index such a MAC names: false (and *index untouched) for a MAC not
 * of that form. */
TEKHO_API bool tekho_ms_index_of_mac(const uint8_t mac[6], uint32_t *index);
/* The basic CID of an MS (management, 1..TEKHO_MGMT_CID_MAX) and its
 * transport CID for user data (above TEKHO_MGMT_CID_MAX); both wrap, so
 * MSs far apart in index share them. */
TEKHO_API uint16_t tekho_ms_basic_cid(uint32_t index);
TEKHO_API uint16_t tekho_ms_data_cid(uint32_t index);

/* [PROFILE] Context Purpose Indicator (ASN-CP TLV 36) values tekho uses. */
#define TEKHO_CONTEXT_FOR_ENTRY 0x1u
#define TEKHO_CONTEXT_FOR_HANDOVER 0x2u
#define TEKHO_CONTEXT_FOR_REAUTH 0x4u

/* How TEKs reach the target at handover, each scheme with the 802.16
 * procedure it follows: 802.16-2009 6.3.21.2 the handover and network
 * re-entry at the target, RNG-RSP TLV 21 HO Process Optimization (bits 1-2
 * as Wireshark's 802.16e dissector reads them: 00 re-authentication and
 * SA-TEK 3-way, 01 SA-TEK-Update in RNG-RSP, 11 the TEKs received from the
 * serving BS reused; 10 is tekho's counter), 802.16e-2005 7.2.2 PKMv2 and
 * 7.2.2.4 the SA-TEK 3-way handshake. The README ("Roles and scenarios")
 * gives the choices where the standard is silent. */
enum tekho_scheme {
    TEKHO_SCHEME_NONE,            /* no encryption at all: the floor to measure against */
    TEKHO_SCHEME_COUNTER,         /* the seed: TEKs generated from CMAC_KEY_COUNT at both ends */
    TEKHO_SCHEME_BASELINE_UPDATE, /* random TEKs from the target in RNG-RSP SA-TEK-Update (01) */
    TEKHO_SCHEME_BASELINE_FULL,   /* the worst case (00): re-authentication (EAP over the air through the target,
                                     the AAA round trips), SA-TEK 3-way, Key-Request/Key-Reply */
    TEKHO_SCHEME_REUSE,           /* the serving BS's TEKs and PN state handed over the backbone (11) */
    TEKHO_SCHEME_NONE_LATE,       /* no encryption, user data at the target only after RNG-RSP: the floor without early data */
    /* New schemes go last: explore case files and seeds name schemes by these values. */
    TEKHO_SCHEME_BASELINE_EARLY,  /* (11) the target's fresh TEKs, wrapped under its KEK, reach the MS through the
                                     serving BS ([PROFILE] in HO_Rsp, then MOB_BSHO-RSP's SA-TEK-Update) before it
                                     leaves: data before ranging, the conventional way */
    TEKHO_SCHEME_BASELINE_CHALLENGE, /* (00, no re-authentication) SA Challenge Tuple in RNG-RSP (TLV 31),
                                        SA-TEK-Request, the target's TEKs in SA-TEK-Response */
    TEKHO_SCHEME_COUNT
};
/* "none", "counter", "baseline-update", "baseline-full", "reuse",
 * "none-late", "baseline-early", "baseline-challenge" (static storage), "?"
 * for a value outside the enum. */
TEKHO_API const char *tekho_scheme_name(enum tekho_scheme s);
/* Whether a scheme protects user data: all but none and none-late. */
TEKHO_API bool tekho_scheme_encrypts(enum tekho_scheme s);
/* Whether user data may flow at the target before ranging completes (the
 * seed's expedited handover): none, counter, reuse and baseline-early; the
 * others wait for RNG-RSP (and counter does where it falls back to the
 * baseline). */
TEKHO_API bool tekho_scheme_early_data(enum tekho_scheme s);
/* The scheme named as tekho_scheme_name names it. Errors: invalid argument
 * (NULL), bad value (an unknown name; *out untouched). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_scheme_parse(const char *name, enum tekho_scheme *out);

/* ---- actions ------------------------------------------------------------ */

enum tekho_action_kind {
    TEKHO_ACT_AIR_UL,        /* MS -> BS `peer` (node): a MAC PDU */
    TEKHO_ACT_AIR_DL,        /* BS -> MS `ms` (index): a MAC PDU */
    TEKHO_ACT_BACKBONE,      /* to node `peer`: an ASN-CP message */
    TEKHO_ACT_TIMER,         /* (re)arm timer `timer` for time `at`; one pending per id */
    TEKHO_ACT_CANCEL_TIMER,  /* disarm timer `timer` */
    TEKHO_ACT_DELIVER,       /* user payload delivered up the stack (from/to `ms`) */
    TEKHO_ACT_EVENT,         /* something the measurements count: `code`, `value` */
    TEKHO_ACT_PERSIST,       /* Authenticator: make the record in bytes durable (tekho_auth_record_decode),
                              * then report it with tekho_auth_persisted(..., `value` as the token);
                              * `ms` is the MS's index */
};

/* Trace and measurement events (TEKHO_ACT_EVENT codes). */
enum tekho_event {
    TEKHO_EV_KEYS_INSTALLED,    /* value: CMAC_KEY_COUNT_T (counter) or 0; bytes: the two TEK fingerprints */
    TEKHO_EV_HO_STARTED,        /* value: target node */
    TEKHO_EV_HO_COMPLETED,      /* value: target node */
    TEKHO_EV_HO_CANCELLED,
    TEKHO_EV_HO_FAILED,
    TEKHO_EV_SELF_SYNC,         /* value: the count adopted from UL data */
    TEKHO_EV_RESYNC_RNG_REQ,    /* value: the count adopted from RNG-REQ */
    TEKHO_EV_PDU_DISCARDED,     /* value: tekho_err (negated) */
    TEKHO_EV_RELEASED,          /* value: tekho_err (negated) or 0 */
    TEKHO_EV_TEK_BYTES_OVER_AIR,/* value: bytes of (wrapped) TEK material sent on the air */
    TEKHO_EV_CONTEXT_CACHED,    /* value: CMAC_KEY_COUNT_T of a cached TEK context */
    TEKHO_EV_CONTEXT_REUSED,    /* value: CMAC_KEY_COUNT_T of a cached context put back in use */
    TEKHO_EV_COUNT_UPDATED,     /* Authenticator: value = new N */
    TEKHO_EV_CAPABILITY,        /* value: 1 if counter-based TEK generation was negotiated */
    TEKHO_EV_RETRANSMIT,        /* value: which timer */
    TEKHO_EV_SEALED,            /* a user PDU sealed: value = PN; bytes: TEK fingerprint (for the PN-reuse check) */
    TEKHO_EV_NEW_PMK,           /* re-authentication gave a new PMK: M and N start again */
    TEKHO_EV_HO_LEFT,           /* MS: it left its serving BS (MOB_HO-IND sent; no user data with it from here): value = that node */
    TEKHO_EV_TEK_BYTES_OVER_BACKBONE, /* value: bytes of TEK material (raw or wrapped) sent on the backbone because of a handover */
};
/* The event's name without its prefix ("HO_COMPLETED"), in static
 * storage; "?" for a value outside the enum. */
TEKHO_API const char *tekho_event_name(enum tekho_event e);

struct tekho_action {
    enum tekho_action_kind kind;
    uint32_t peer;            /* node, for AIR_UL and BACKBONE */
    uint32_t ms;              /* MS index, for AIR_DL, DELIVER and EVENT */
    uint32_t timer;
    uint64_t at_us;
    uint32_t code;            /* enum tekho_event */
    int64_t value;
    const uint8_t *bytes;     /* inside the actions arena */
    size_t len;
};

#define TEKHO_ACTIONS_MAX 64
#define TEKHO_ACTIONS_ARENA 16384

/* The caller owns it (zero-initialised before its first use) and resets it
 * before each event; handlers append. A handler that runs out of room sets
 * err (TEKHO_ERR_TOO_MANY). The arena holds messages, some of them with
 * keys (ASN-CP AK contexts, wrapped TEKs): reset wipes what the last event
 * used, so wipe it yourself (OPENSSL_cleanse) if you free it without a
 * reset after its last use. */
struct tekho_actions {
    size_t n;
    struct tekho_action list[TEKHO_ACTIONS_MAX];
    size_t used;
    uint8_t arena[TEKHO_ACTIONS_ARENA];
    tekho_err err;
};
/* Empties the list and wipes the arena bytes the last event used. */
TEKHO_API void tekho_actions_reset(struct tekho_actions *a);

/* ---- configuration ------------------------------------------------------ */

/* Where randomness comes from (TEKs, nonces, BS_Random): the driver's
 * choice, so that a run with a seeded source is reproducible. */
struct tekho_random {
    void *ctx;
    /* Fills out with n random bytes, or returns an error (an exhausted or
     * failing source: TEKHO_ERR_CRYPTO, say): the role then refuses what
     * needed the bytes with that error and changes nothing. */
    tekho_err (*fill)(void *ctx, uint8_t *out, size_t n);
};

/* Where the memory a role allocates while it runs comes from (optional:
 * all zero means the C library). calloc returns NULL when it cannot; the
 * role then refuses what needed the memory (TEKHO_ERR_NO_MEMORY or
 * TEKHO_ERR_CAPACITY) and stays consistent. `tekho explore` fails chosen
 * allocations through it. Both pointers or neither. */
struct tekho_allocator {
    void *ctx;
    void *(*calloc)(void *ctx, size_t n, size_t size);
    void (*free)(void *ctx, void *p);
};

/* A base station the BS can hand an MS over to. */
struct tekho_neighbour {
    uint32_t node;
    uint8_t bsid[6];
};

struct tekho_timing {
    uint64_t retransmit_us;       /* air management retransmission timer (SBC, PKM) */
    uint64_t rng_retransmit_us;   /* T3: the wait for RNG-RSP after an RNG-REQ (entry and handover) */
    uint64_t ho_response_us;      /* the MS's wait for MOB_BSHO-RSP: it spans backbone round trips */
    uint64_t backbone_retransmit_us; /* ASN-CP requests (HO_Req, Context_Req, HO_Complete) */
    unsigned max_retries;
    uint64_t sync_us;             /* DL synchronisation at the target after MOB_HO-IND */
    uint64_t ranging_wait_us;     /* from synchronisation to the target's fast-ranging opportunity */
    uint64_t tek_grace_us;        /* the MS asks for new TEKs this long before the older expires */
    uint64_t aaa_rtt_us;          /* one Authenticator <-> AAA round trip (baseline-full) */
    unsigned aaa_round_trips;     /* AAA round trips of a re-authentication (one per EAP response, the last ones) */
    uint64_t ho_cache_us;         /* how long a target keeps a context for an MS that never came */
    /* baseline-full: EAP request/response pairs of a re-authentication
     * carried on the air (PKMv2 EAP-Transfer) between the MS and the
     * Authenticator through the target (AR_EAP_Transfer); 0: none, the
     * AAA round trips alone stand for EAP. */
    unsigned eap_round_trips;
};
/* Sensible defaults for scripted runs: 50 ms air retransmission (SBC,
 * PKM) and 50 ms T3 (model values, shorter than 802.16's: the emulator
 * sets T3 to its standard 200 ms), 500 ms for MOB_BSHO-RSP, 250 ms on the backbone,
 * 3 retries, 10 ms sync, a ranging opportunity one frame later, 40 ms AAA
 * RTT x 4, 4 EAP round trips over the air, 2 s cached contexts, TEK refresh
 * 500 ms before expiry. */
TEKHO_API void tekho_timing_default(struct tekho_timing *t);

/* Timers a driver that models the physical layer and the core network
 * itself may time (the emulator does, tekho_sim_variability): the number a
 * TEKHO_ACT_TIMER carries for the MS's DL synchronisation at the target
 * (armed at MOB_HO-IND for timing.sync_us) and its wait for the target's
 * ranging opportunity (armed when synchronised, for
 * timing.ranging_wait_us); and the Authenticator's wait for the AAA, a
 * timer whose low four bits are TEKHO_AUTH_TIMER_AAA (armed for
 * timing.aaa_rtt_us x aaa_round_trips). A driver may fire them later than
 * armed; the roles only require that they fire. */
#define TEKHO_MS_TIMER_SYNC 2u
#define TEKHO_MS_TIMER_RANGING 3u
#define TEKHO_AUTH_TIMER_AAA 1u
#define TEKHO_AUTH_TIMER_KIND(timer) ((timer) & 0xFu)

/* The highest CMAC_KEY_COUNT any role uses under one PMK: a count that
 * would pass it needs a new PMK first, so the 16-bit count never wraps to
 * values already used (profile 4). [MODEL] */
#define TEKHO_CMAC_KEY_COUNT_LIMIT 0xFFF0u

struct tekho_crypto_kit;

struct tekho_ms_config {
    uint32_t index;               /* the MS's number in the driver */
    uint8_t mac[6];               /* tekho_ms_mac_of_index(index) */
    uint8_t msk[64];              /* the EAP result shared with the Authenticator */
    uint8_t pmk_sn;
    uint32_t pmk_lifetime_s;
    enum tekho_scheme scheme;
    bool tekgen_capable;          /* advertises counter-based TEK generation in SBC-REQ */
    uint16_t said;
    uint16_t pn_window;
    struct tekho_timing timing;
    struct tekho_random random;
    struct tekho_allocator alloc;
    /* M under a fresh PMK: 0 in 802.16 (and the Authenticator's N is one
     * more). A test starts both near TEKHO_CMAC_KEY_COUNT_LIMIT to reach
     * it; the MS and tekho_auth_config.first_count must agree. */
    uint16_t first_count;
    /* Internal, NULL from outside the library: the crypto contexts of a
     * driver that runs every role on one thread (the emulator), shared by
     * its roles and alive longer than they are; NULL: the MS makes its own. */
    struct tekho_crypto_kit *kit;
};

struct tekho_bs_config {
    uint32_t node;                /* 1.. */
    uint8_t bsid[6];
    enum tekho_scheme scheme;
    bool tekgen_capable;          /* advertises and accepts counter-based TEK generation */
    bool tekgen_required;         /* refuses MSs that cannot (SBC-RSP bit 1) */
    /* This BS may have run before and lost what it held (a restart with no
     * durable state): its earlier life may have used counter TEKs whose PN
     * state is gone, and deriving them again would reuse (TEK, PN) pairs.
     * For an AK it first learns at a handover, it then takes counts only
     * from N + TEKHO_COUNT_AHEAD_MAX + self_sync_window + 1 on (N as the
     * Authenticator first tells it): no count its earlier life could have
     * used, since no BS takes one further ahead of N. Until N gets there,
     * handovers to it fall back to the baseline (profile 5). A BS that
     * cannot prove it never ran before sets this. */
    bool restarted;
    unsigned self_sync_window;    /* W: counts tried past TB against UL data; 0 disables self-sync */
    unsigned self_sync_budget;    /* trial decryptions allowed per MS per second */
    size_t max_ms;                /* MS contexts held (serving, target and cached) */
    size_t max_cached_per_ms;     /* cached TEK contexts per MS */
    uint32_t pmk_lifetime_s;
    uint16_t pn_window;
    struct tekho_timing timing;
    struct tekho_random random;
    const struct tekho_neighbour *neighbours;  /* owned by the caller, alive as long as the BS */
    size_t n_neighbours;
    struct tekho_allocator alloc;
    /* Internal, NULL from outside the library: as tekho_ms_config.kit. */
    struct tekho_crypto_kit *kit;
};

/* ---- the store behind the Authenticator --------------------------------- */

/* What must survive an Authenticator restart, per MS (profile section 4):
 * N, and the PMK context N counts under. The Authenticator never writes
 * it itself: it appends a TEKHO_ACT_PERSIST action carrying one record
 * and holds back everything that depends on it (the Context_Rpt with the
 * new PMK's AK context, the CMAC_Key_Count_Update with the new N) until
 * the driver reports the record durable (tekho_auth_persisted). A driver
 * applies persists in the order the Authenticator emitted them, and may
 * batch those of one loop iteration into one transaction (group commit).
 * Reads stay synchronous: after a restart the Authenticator loads an MS's
 * record through tekho_auth_store.load when it first needs N. */
enum tekho_record_kind {
    /* N moves up to n under the PMK pmk_id names. The store refuses it
     * (TEKHO_ERR_STALE_COUNT) unless its record is under that PMK with N
     * below n: N never goes back, and never moves under another PMK. */
    TEKHO_RECORD_ADVANCE = 1,
    /* A new PMK context (msk, pmk_sn, pmk_id, lifetime) replaces the MS's
     * record, with N = n: counts start again under a new PMK. */
    TEKHO_RECORD_NEW_PMK = 2,
};

#define TEKHO_PMK_ID_LEN 8
struct tekho_auth_record {
    enum tekho_record_kind kind;
    uint8_t ms_mac[6];
    uint16_t n;                   /* 1 .. 65535 (the Authenticator keeps it to TEKHO_CMAC_KEY_COUNT_LIMIT) */
    uint8_t pmk_sn;
    uint8_t pmk_id[TEKHO_PMK_ID_LEN]; /* tekho_pmk_id of the MSK */
    uint32_t pmk_lifetime_s;
    uint8_t msk[64];              /* NEW_PMK (and every loaded record); zero in ADVANCE */
};
/* The record's encoding in a TEKHO_ACT_PERSIST action. */
#define TEKHO_AUTH_RECORD_LEN 88u
/* Encodes and decodes it. decode validates every field; errors:
 * invalid argument (NULL), TEKHO_ERR_TRUNCATED / TEKHO_ERR_LENGTH_MISMATCH
 * (not TEKHO_AUTH_RECORD_LEN bytes), TEKHO_ERR_BAD_VALUE. The record
 * holds the MSK: the caller wipes it (tekho_auth_record_wipe).
 * (n: 1 .. 65535; kind ADVANCE with zero key bytes, NEW_PMK with an MSK.) */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_record_encode(const struct tekho_auth_record *r,
                                                             uint8_t out[TEKHO_AUTH_RECORD_LEN]);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_record_decode(const uint8_t *bytes, size_t len,
                                                             struct tekho_auth_record *out);
TEKHO_API void tekho_auth_record_wipe(struct tekho_auth_record *r);
/* Names a PMK without revealing it: the first 8 bytes of
 * SHA-256("tekho PMK id" | PMK), PMK from the MSK (as the AKID names an
 * AK). Errors: invalid argument, crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pmk_id(const uint8_t msk[64], uint8_t id[TEKHO_PMK_ID_LEN]);

struct tekho_auth_store {
    void *ctx;
    /* The MS's record, as kind TEKHO_RECORD_NEW_PMK (its PMK context and
     * N); *found false (and *rec untouched) when there is none. Errors:
     * TEKHO_ERR_RECORD_CORRUPT for a record that does not decrypt or
     * validate (the Authenticator treats the MS as one without a record:
     * no count until a new PMK), and the store's own (unavailable, ...):
     * then it hands out nothing for the MS and loads again when next asked. */
    tekho_err (*load)(void *ctx, const uint8_t ms_mac[6], struct tekho_auth_record *rec, bool *found);
    /* Makes n records durable in one transaction (group commit), in
     * order: results[i] is TEKHO_OK (durable) or TEKHO_ERR_STALE_COUNT (an
     * ADVANCE the store refused). An error return means the transaction's
     * fate is not known (results untouched): report every record failed. */
    tekho_err (*persist)(void *ctx, const struct tekho_auth_record *recs, size_t n, tekho_err *results);
};

/* An in-memory store for tests, the emulator and the explorer: it does
 * not survive the process, so it is no store for a real Authenticator
 * (tekho/store.h has SQLite and PostgreSQL). new makes one for up to
 * `capacity` MSs (invalid argument for NULL out or capacity 0, no
 * memory); a NEW_PMK past the capacity fails the batch with
 * TEKHO_ERR_CAPACITY. free wipes the keys and frees it (NULL accepted); it
 * must outlive the Authenticator using it. */
struct tekho_memory_store;
TEKHO_API TEKHO_NODISCARD tekho_err tekho_memory_store_new(size_t capacity, struct tekho_memory_store **out);
TEKHO_API void tekho_memory_store_free(struct tekho_memory_store *s);
/* Forgets an MS's record (as a store that lost it would). */
TEKHO_API void tekho_memory_store_erase(struct tekho_memory_store *s, const uint8_t ms_mac[6]);
/* The store's load and persist for tekho_auth_config.store (ctx is s). */
TEKHO_API struct tekho_auth_store tekho_memory_store_ops(struct tekho_memory_store *s);

struct tekho_auth_config {
    uint32_t pmk_lifetime_s;
    size_t max_ms;
    size_t max_bs;
    struct tekho_auth_store store;   /* load is used; persist is the driver's */
    struct tekho_timing timing;
    /* M under a fresh PMK, as tekho_ms_config.first_count: N starts one
     * above it. Below TEKHO_CMAC_KEY_COUNT_LIMIT. */
    uint16_t first_count;
    /* Another Authenticator may write the store (a hot standby on the same
     * PostgreSQL database): the PMK and N are read from it at each use
     * (none in flight), a record under another PMK than the one held here
     * is taken (the MS counts as entered under it), and while N moved
     * elsewhere count updates go to every BS. */
    bool shared_store;
};

/* ---- MS ------------------------------------------------------------------ */

enum tekho_ms_state {
    TEKHO_MS_IDLE,
    TEKHO_MS_ENTRY_RANGING,      /* initial RNG-REQ sent */
    TEKHO_MS_SBC_WAIT,           /* SBC-REQ sent */
    TEKHO_MS_KEY_WAIT,           /* PKMv2 Key-Request sent */
    TEKHO_MS_OPERATIONAL,
    TEKHO_MS_HO_REQUESTED,       /* MOB_MSHO-REQ sent, waiting for MOB_BSHO-RSP */
    TEKHO_MS_HO_SYNC,            /* MOB_HO-IND sent, synchronising to the target */
    TEKHO_MS_HO_RANGING,         /* RNG-REQ sent to the target */
    TEKHO_MS_REAUTH,             /* baseline-full: EAP (PKMv2 EAP-Transfer) with the AAA through the target */
    TEKHO_MS_SA_TEK,             /* SA-TEK 3-way handshake: at entry (every scheme), baseline-full and -challenge */
    TEKHO_MS_RELEASED,
};
/* The state's name without its prefix ("OPERATIONAL"), in static storage;
 * "?" for a value outside the enum. */
TEKHO_API const char *tekho_ms_state_name(enum tekho_ms_state s);

/* An MS in state IDLE. The config is copied, its MSK included: the caller
 * may wipe its own copy (OPENSSL_cleanse) once this returns. Errors:
 * invalid argument (NULL cfg or out, an unknown scheme, no random.fill,
 * only one of alloc's two functions), no memory, crypto. tekho_ms_free
 * wipes everything the MS held (MSK, keys, TEKs) and frees it; NULL is
 * accepted. */
struct tekho_ms;
TEKHO_API TEKHO_NODISCARD tekho_err tekho_ms_new(const struct tekho_ms_config *cfg, struct tekho_ms **out);
TEKHO_API void tekho_ms_free(struct tekho_ms *ms);
/* Network entry at a BS: ranging, capability exchange, then initial TEKs
 * (TEKHO_MS_OPERATIONAL once they are installed). From IDLE, or RELEASED:
 * a re-entry takes the next MSK (a re-authentication, as the
 * Authenticator does) and emits TEKHO_EV_NEW_PMK. M starts at 0.
 * Unexpected message from any other state. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_ms_enter(struct tekho_ms *ms, uint64_t now_us, uint32_t bs_node,
                                                   const uint8_t bsid[6], struct tekho_actions *out);
/* The MS decides to hand over to a neighbour (radio trigger): MOB_MSHO-REQ
 * to the serving BS, and with the counter scheme the target's TEKs for
 * count M + 1, derived now. Only from OPERATIONAL and to another node
 * (else unexpected message); TEKHO_ERR_STALE_COUNT once M has reached its
 * limit under this PMK (only a new network entry moves on). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_ms_start_handover(struct tekho_ms *ms, uint64_t now_us, uint32_t target_node,
                                                            const uint8_t target_bsid[6], struct tekho_actions *out);
/* The MS lost DL synchronisation with BS `node` (it went off the air, as
 * in a restart: everything it held for the MS is gone). The serving BS, or
 * the target once the MS has left the serving one: the connection is
 * released and the driver re-enters. A target still being asked: the
 * handover failed, the MS stays. Anything else changes nothing. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_ms_lost_bs(struct tekho_ms *ms, uint64_t now_us, uint32_t node,
                                                     struct tekho_actions *out);
/* The MS gives up a handover it asked for (MOB_HO-IND cancel) and stays
 * OPERATIONAL at the serving BS; M does not move. Only while
 * HO_REQUESTED (else unexpected message). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_ms_cancel_handover(struct tekho_ms *ms, uint64_t now_us,
                                                             struct tekho_actions *out);
/* A MAC PDU received on the air from BS `from_node` (pdu[0 .. len), not
 * kept): a management message on the MS's basic CID or user data on its
 * transport CID (TEKHO_ACT_DELIVER). Errors: the header's (tekho_gmh_decode),
 * unknown peer (a CID that is not this MS's), and the refusals of the file
 * comment. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_ms_air(struct tekho_ms *ms, uint64_t now_us, uint32_t from_node,
                                                 const uint8_t *pdu, size_t len, struct tekho_actions *out);
/* A timer this MS set has fired (retransmission, synchronisation, ranging,
 * TEK refresh); after the last retransmission the MS gives up: a
 * handover request fails (HO_FAILED, the MS stays), anything else releases
 * the connection (RELEASED). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_ms_timer(struct tekho_ms *ms, uint64_t now_us, uint32_t timer,
                                                   struct tekho_actions *out);
/* Uplink user data (payload[0 .. len), copied), sealed under the TEK
 * that expires first with its next PN (TEKHO_ACT_AIR_UL and a
 * TEKHO_EV_SEALED event). TEKHO_ERR_NO_KEYS when no BS can take data now
 * (during a handover before the target's TEKs are known, say, or with both
 * TEKs expired or out of PNs, when the MS asks for new ones); the errors
 * of tekho_tek_seal (a payload too long for a PDU); invalid argument for
 * NULL (payload may be NULL with len 0). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_ms_send(struct tekho_ms *ms, uint64_t now_us, const uint8_t *payload,
                                                  size_t len, struct tekho_actions *out);
/* The MS's state. These queries take a valid MS (no NULL check). */
TEKHO_API enum tekho_ms_state tekho_ms_state(const struct tekho_ms *ms);
/* M, the count of the last successful entry (network entry or handover),
 * and the node serving the MS (0: none, or released). */
TEKHO_API uint16_t tekho_ms_count(const struct tekho_ms *ms);
TEKHO_API uint32_t tekho_ms_serving(const struct tekho_ms *ms);
/* How many times the MS's MSK has been replaced since tekho_ms_new: once
 * per re-entry after a release and per re-authentication (baseline-full),
 * each time by the next MSK of the modelled EAP exchange. */
TEKHO_API uint32_t tekho_ms_pmk_generation(const struct tekho_ms *ms);
/* The TEKs the MS uses towards `node` now: fingerprints (first 8 bytes of
 * SHA-256 of each TEK), false if it has none. */
TEKHO_API bool tekho_ms_tek_fingerprints(const struct tekho_ms *ms, uint32_t node, uint8_t fp[2][8]);

/* ---- BS ------------------------------------------------------------------ */

/* A base station. The config is copied; cfg->neighbours is not (it must
 * outlive the BS), and cfg->random is drawn from here already. Errors:
 * invalid argument (NULL cfg or out, node TEKHO_NODE_AUTHENTICATOR,
 * max_ms 0, no random.fill, an unknown scheme, max_cached_per_ms 0 or
 * above 4, only one of alloc's two functions), the random source's error,
 * no memory, crypto.
 * tekho_bs_free wipes every MS context (AKs, CMAC keys, TEKs) and frees
 * it; NULL is accepted. */
struct tekho_bs;
TEKHO_API TEKHO_NODISCARD tekho_err tekho_bs_new(const struct tekho_bs_config *cfg, struct tekho_bs **out);
TEKHO_API void tekho_bs_free(struct tekho_bs *bs);
/* A PDU in the uplink burst allocated to MS `ms_index` (the scheduler
 * knows whose allocation it is; its content is not trusted): management
 * on a CID up to TEKHO_MGMT_CID_MAX, user data above (TEKHO_ACT_DELIVER).
 * pdu[0 .. len) is not kept. Errors: the header's (tekho_gmh_decode) and
 * the refusals of the file comment; TEKHO_ERR_CAPACITY when a new MS
 * finds the table (max_ms) full. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_bs_air(struct tekho_bs *bs, uint64_t now_us, uint32_t ms_index,
                                                 const uint8_t *pdu, size_t len, struct tekho_actions *out);
/* An ASN-CP message from node `from_node` (msg[0 .. len), not kept).
 * Errors: tekho_asncp_peek's and tekho_asncp_decode's, a body naming
 * another MS than its header (bad value), TEKHO_ERR_CAPACITY (a handover
 * request for a new MS with the table full), and the refusals of the file
 * comment. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_bs_backbone(struct tekho_bs *bs, uint64_t now_us, uint32_t from_node,
                                                      const uint8_t *msg, size_t len, struct tekho_actions *out);
/* A timer this BS set has fired (retransmissions, cached contexts and
 * handover preparations that expire). One for an MS the BS no longer
 * holds is TEKHO_OK. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_bs_timer(struct tekho_bs *bs, uint64_t now_us, uint32_t timer,
                                                   struct tekho_actions *out);
/* Downlink user data to an MS this BS serves, or, as a handover target
 * with counter, reuse or baseline-early TEKs, to an MS that has left its
 * serving BS or confirmed the keys with uplink data (TEKHO_ACT_AIR_DL,
 * TEKHO_EV_SEALED).
 * TEKHO_ERR_NO_KEYS otherwise or with no usable TEK; the errors of
 * tekho_tek_seal; invalid argument for NULL (payload may be NULL with
 * len 0). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_bs_send(struct tekho_bs *bs, uint64_t now_us, uint32_t ms_index,
                                                  const uint8_t *payload, size_t len, struct tekho_actions *out);
/* For the invariants (valid pointers, no NULL check): the TEKs the BS
 * holds for an MS in its active context, as tekho_ms_tek_fingerprints
 * gives them (false: none); whether it serves the MS now; how many TEK
 * contexts it keeps for the MS besides the one in use. */
TEKHO_API bool tekho_bs_tek_fingerprints(const struct tekho_bs *bs, uint32_t ms_index, uint8_t fp[2][8]);
TEKHO_API bool tekho_bs_serves(const struct tekho_bs *bs, uint32_t ms_index);
TEKHO_API size_t tekho_bs_cached_contexts(const struct tekho_bs *bs, uint32_t ms_index);
/* The BSID the BS was configured with (valid pointers, no NULL check). */
TEKHO_API void tekho_bs_bsid(const struct tekho_bs *bs, uint8_t bsid[6]);

/* ---- Authenticator --------------------------------------------------------- */

/* The Authenticator, for up to cfg->max_ms MSs and cfg->max_bs (at most
 * 4096) base stations. The config is copied; cfg->store's ctx must
 * outlive it. Errors: invalid argument (NULL, max_ms or max_bs 0, max_bs
 * too large, a store without load), no memory, crypto.
 * tekho_auth_free wipes the MSKs it holds and frees it; NULL is accepted.
 *
 * Durability (see the store above): whatever makes N move or brings a new
 * PMK appends one TEKHO_ACT_PERSIST and nothing that depends on it; the
 * MS is then busy (its Context_Req and HO_Complete are refused with
 * TEKHO_ERR_BUSY, and the BS retransmits) until tekho_auth_persisted. */
struct tekho_auth;
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_new(const struct tekho_auth_config *cfg, struct tekho_auth **out);
TEKHO_API void tekho_auth_free(struct tekho_auth *auth);
/* The EAP result for an MS: its MSK (copied: the caller wipes its own).
 * A new PMK: M = 0, N = 1 (first_count + 1), persisted first: appends the
 * TEKHO_ACT_PERSIST of the new PMK context to out, and the MS gets no AK
 * context until it is durable. If that persist fails (the store refused
 * it: another Authenticator on a shared store added this PMK first, or
 * holds another), the store's record decides when next needed: N under
 * this PMK, or a new PMK from it when the record is missing or holds
 * another (shared_store: the other is taken). An MS already known by its MAC is
 * replaced (a persist still in flight for it is forgotten). Errors:
 * invalid argument (NULL), TEKHO_ERR_CAPACITY (max_ms MSs already),
 * crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_add_ms(struct tekho_auth *auth, uint32_t ms_index, const uint8_t mac[6],
                                                      const uint8_t msk[64], uint8_t pmk_sn,
                                                      struct tekho_actions *out);
/* A base station the Authenticator serves (messages from any other node
 * are refused as unknown peer); a node already added gets the new BSID.
 * Errors: invalid argument (NULL, node TEKHO_NODE_AUTHENTICATOR),
 * TEKHO_ERR_CAPACITY (max_bs BSs already). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_add_bs(struct tekho_auth *auth, uint32_t node, const uint8_t bsid[6]);
/* An ASN-CP message from BS `from_node` (msg[0 .. len), not kept):
 * Context_Req (answered with the MS's AK context; at a network entry a
 * new PMK, persisted first; for a re-authentication, baseline-full, after
 * the EAP exchange, a new PMK, persisted first), AR_EAP_Transfer (the MS's
 * EAP-Response the target relayed), HO_Complete (N moves on: persisted,
 * and the count update sent once durable), and their acknowledgements.
 * Errors: tekho_asncp_peek's and tekho_asncp_decode's, a body naming
 * another MS than its header (bad value), an unknown BS (unknown peer),
 * TEKHO_ERR_BUSY (a persist for the MS is in flight), the store's load
 * errors, and the refusals of the file comment. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_backbone(struct tekho_auth *auth, uint64_t now_us, uint32_t from_node,
                                                        const uint8_t *msg, size_t len, struct tekho_actions *out);
/* A timer the Authenticator set has fired (baseline-full's
 * re-authentication: an AAA round trip over, then the next EAP-Request or,
 * at the end, a new MSK with N = 1, persisted first; or an EAP-Request not
 * answered, sent again). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_timer(struct tekho_auth *auth, uint64_t now_us, uint32_t timer,
                                                     struct tekho_actions *out);
/* The driver's report on a TEKHO_ACT_PERSIST: token is the action's
 * value, ms_mac the record's MS, result TEKHO_OK once the record is
 * durable. Then what waited for it happens (N moves and the count
 * updates go out; a new PMK is taken and its Context_Rpt goes out).
 * Any other result (the store's error, or TEKHO_ERR_STALE_COUNT when it
 * refused the record) means nothing that depended on it ever leaves, and
 * the record's state is unknown: the MS's N is loaded again from the
 * store when next needed (no record, or one under another PMK: no count
 * until a new PMK). A token this Authenticator issued but no longer waits
 * for (a restart or a new EAP result came in between) is TEKHO_OK and
 * changes nothing. Errors: invalid argument (NULL), bad value (a token
 * never issued), and those of sending what waited. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_persisted(struct tekho_auth *auth, uint64_t now_us,
                                                         const uint8_t ms_mac[6], uint64_t token, tekho_err result,
                                                         struct tekho_actions *out);
/* N for an MS: the last value known durable (0 if unknown, or not loaded
 * from the store since a restart). */
TEKHO_API uint16_t tekho_auth_count(const struct tekho_auth *auth, const uint8_t mac[6]);
/* How many times the Authenticator has replaced an MS's MSK since
 * tekho_auth_add_ms (re-entry, re-authentication); 0 for an unknown MS. */
TEKHO_API uint32_t tekho_auth_pmk_generation(const struct tekho_auth *auth, const uint8_t mac[6]);
/* Simulates a crash and restart: forgets everything but what the store
 * keeps (N per MS with its PMK, loaded again when next needed; an MS the
 * store lost, or whose record is under another PMK, gets no count until a
 * new PMK) and the EAP results (the AAA server's). Persists in flight are
 * forgotten: their reports change nothing. Invalid argument for NULL. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_restart(struct tekho_auth *auth);
/* A new Authenticator process on a store that holds its network (a crash,
 * then a start on the same store): as tekho_auth_restart, and each MS's
 * PMK context (MSK, PMK_SN, N) is its record's when next needed, not the
 * EAP result tekho_auth_add_ms gave this process (the MS may have
 * re-authenticated since); the MS counts as entered under it once its N
 * has moved past the first value (a handover proves it). An MS with
 * no record, or one that does not validate, gets no count until a new
 * PMK. Invalid argument for NULL. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_auth_recover(struct tekho_auth *auth);

#ifdef __cplusplus
}
#endif
#endif
