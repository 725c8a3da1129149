/* Deterministic simulation testing of the real roles (tekho explore), in the
 * style of FoundationDB's simulator and TigerBeetle's VOPR.
 *
 * A run builds a small network (2 to 5 base stations, 1 to 4 MSs, an
 * Authenticator), then plays a random schedule against it: network entry,
 * handovers, cancels, retries, ping-pong, re-entry, user data both ways,
 * loss, duplication, delay and reordering on the air and the backbone, an
 * attacker that records everything and replays, mutates and forges it, and
 * Authenticator and BS restarts. A quiet phase ends every run. After every
 * event the invariants below are checked.
 *
 * Every choice a run makes is read from a DECISION STREAM of bytes. With a
 * seed the bytes are generated (and recorded); given bytes (a saved case,
 * a fuzzer's input, a shrinking attempt) are read back, and past their end
 * every byte reads as 0. Zero is always the benign choice: no fault, the
 * shortest delay, "stop the schedule". So a run is exactly its bytes, and
 * shrinking is done on the bytes (Hypothesis style).
 *
 * Nothing here reads a clock or touches global state; time bounds on
 * shrinking come from the caller (keep_going). */
#ifndef TEKHO_EXPLORE_H
#define TEKHO_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"
#include "tekho/roles.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The invariants. 0 is "no violation". */
enum tekho_xp_invariant {
    TEKHO_XP_NONE = 0,
    TEKHO_XP_PN_REUSE,        /* (1) a (TEK, direction, PN) sealed twice */
    TEKHO_XP_REPLAY,          /* (2) a user payload delivered twice */
    TEKHO_XP_FORGED,          /* (2) a payload never sent, or for another MS or direction, delivered */
    TEKHO_XP_N_DECREASED,     /* (3) N went down at the Authenticator within one PMK, or past the count limit */
    TEKHO_XP_M_DECREASED,     /* (3) M went down at the MS within one PMK, or past the count limit */
    TEKHO_XP_STALE_KEYS,      /* (4) a BS installed counter TEKs for a count below N */
    TEKHO_XP_ROLE_ERROR,      /* (5) actions.err set, or an error that means the role is broken */
    TEKHO_XP_STEP_BOUND,      /* (5) too many actions from one call, or events per simulated second */
    TEKHO_XP_LIVENESS,        /* (6) after the faults stop: not operational, keys differ, or no data */
    TEKHO_XP_MGMT_REPLAY,     /* (2) a copy of a CMAC-protected management message made a role act again */
    TEKHO_XP_EARLY_DATA,      /* (7) user data at the target before ranging, under a scheme that waits for RNG-RSP */
    TEKHO_XP_UNDURABLE,       /* (7) the Authenticator sent an N or AK context its store did not hold */
    TEKHO_XP_COUNT
};
/* "none", "pn-reuse", "replay-delivered", "forged-delivered",
 * "n-decreased", "m-decreased", "stale-keys", "role-error", "step-bound",
 * "liveness", "mgmt-replay", "undurable-sent" (static storage); "?"
 * outside the enum. */
TEKHO_API const char *tekho_xp_invariant_name(enum tekho_xp_invariant inv);
/* The invariant tekho_xp_invariant_name names so. Errors: invalid argument
 * (NULL), bad value (an unknown name). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_xp_invariant_parse(const char *name, enum tekho_xp_invariant *out);

/* Faults that can be switched off (tekho_explore_params.faults_off). The
 * bytes are drawn either way; a case file records the mask it ran under. */
#define TEKHO_XP_FAULT_LINK 0x01u        /* loss, duplication, delay, reordering */
#define TEKHO_XP_FAULT_ATTACKER 0x02u    /* replay, mutation, forgery of air PDUs */
#define TEKHO_XP_FAULT_AUTH_RESTART 0x04u
#define TEKHO_XP_FAULT_BS_RESTART 0x08u
#define TEKHO_XP_FAULT_ALLOC 0x10u       /* allocation failures in the roles (tekho_allocator; schedule 2) */
#define TEKHO_XP_FAULT_BACKBONE_ATTACKER 0x20u /* replay, mutation, forgery on the backbone (spoofed origins) */
#define TEKHO_XP_FAULT_STORE 0x40u       /* persists delayed, failed, or cut by a restart (schedule 4) */

/* What a run is doing now, written as it goes: a watchdog (an alarm in the
 * CLI) can say which run and event a role call never returned from. */
struct tekho_explore_progress {
    volatile uint64_t run;
    volatile uint64_t run_seed;
    volatile uint64_t event;
    volatile uint64_t beats;  /* +1 per event, never reset: a watchdog sees it stop */
    volatile int phase;   /* 0 generating, 1 shrinking, 2 replaying */
};

/* What the decision stream means. A case records the schedule it was made
 * with (its `format`), so a committed case keeps replaying the run it
 * reproduces after the explorer learns new moves.
 * 1: the first schedule.
 * 2: adds the Authenticator losing HO_Completes for a while (N lags while
 *    handovers go on) and replays aimed at management messages.
 * 3: adds counts that start near TEKHO_CMAC_KEY_COUNT_LIMIT (1 to 12
 *    handovers below it) in one run in 8.
 * 4: adds the Authenticator's store: its persists (TEKHO_ACT_PERSIST)
 *    complete late (a few ms, or past the backbone's retransmissions),
 *    fail (not stored) or fail after landing (fate unknown), and an
 *    Authenticator restart cuts those in flight (a prefix of them lands);
 *    Authenticator restarts are more frequent.
 * Invariant (7), undurable-sent, is checked under every schedule: at the
 * moment the Authenticator sends a Context_Rpt or CMAC_Key_Count_Update,
 * the store must hold the PMK it derives from and an N at least the one
 * sent. */
#define TEKHO_XP_SCHEDULE 4u

struct tekho_explore_params {
    enum tekho_scheme scheme;
    unsigned schedule;        /* 0: TEKHO_XP_SCHEDULE; else 1..TEKHO_XP_SCHEDULE */
    uint64_t seed;            /* run i uses seed + i, so `--seed seed+i --runs 1` is that run alone */
    unsigned runs;
    uint64_t steps;           /* events of the fault phase per run (0: 1000) */
    unsigned fixed_bs;        /* 0: drawn from the stream (2..5); else this many BSs */
    unsigned fixed_ms;        /* 0: drawn (1..4); else this many MSs */
    uint32_t faults_off;      /* TEKHO_XP_FAULT_* */
    /* From schedule 3: every run starts its counts near the limit
     * (tekho_ms_config.first_count), not one in 8. */
    bool high_counts;
    /* Shrinking of each violation found by tekho_explore_run: at most this
     * many replays (0: no shrinking), and while keep_going (if set) says so. */
    unsigned shrink_attempts;
    bool (*keep_going)(void *ctx);
    void *keep_going_ctx;
    /* Stop after this many violations (0: 1). */
    unsigned max_violations;
    struct tekho_explore_progress *progress;  /* optional */
    /* Optional: one line per event, action and role event (for --trace). */
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
};
/* Fills *p: counter scheme, the latest schedule, seed 1, 100 runs of 1000
 * steps, sizes drawn, every fault on, up to 2000 shrinking
 * replays, stop at the first violation, no progress, trace or
 * keep_going. */
TEKHO_API void tekho_explore_params_default(struct tekho_explore_params *p);

/* One run's verdict. */
struct tekho_explore_outcome {
    enum tekho_xp_invariant invariant;
    uint64_t event;           /* the event after which the violation was seen */
    uint64_t events;          /* events the run dispatched */
    size_t consumed;          /* bytes of the decision stream it read */
    char detail[160];         /* one line: which MS, node, count... (never key material) */
};

struct tekho_explore_violation {
    unsigned run;
    uint64_t run_seed;
    struct tekho_explore_outcome outcome;   /* of the shrunk case */
    uint8_t *bytes;           /* the shrunk decision stream */
    size_t len;
    size_t original_len;      /* before shrinking */
    unsigned shrink_tries;
};

struct tekho_explore_result {
    uint64_t events;
    unsigned runs;            /* runs done */
    size_t n_violations;
    struct tekho_explore_violation *violations;
};

/* Runs p->runs seeded runs (or until p->max_violations), shrinking every
 * violation found. A violation is a result in *out, not an error. *out is
 * always set (zeroed first) and the caller frees it with
 * tekho_explore_result_free, also after an error (the runs done so far).
 * Errors: those of tekho_explore_replay. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_explore_run(const struct tekho_explore_params *p,
                                                      struct tekho_explore_result *out);
/* Frees the violations' streams and array and zeroes *r; NULL accepted. */
TEKHO_API void tekho_explore_result_free(struct tekho_explore_result *r);

/* One run with the given decision stream (seed ignored): exactly what a
 * saved case, the fuzz target and shrinking do. bytes are not kept. If
 * consumed_out is not NULL it gets a copy of the bytes the run read
 * (free() it). The verdict is in *out; errors: invalid argument (NULL p
 * or out, NULL bytes with len above 0, an unknown scheme or schedule,
 * fixed_bs or fixed_ms out of range), no memory. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_explore_replay(const struct tekho_explore_params *p, const uint8_t *bytes,
                                                         size_t len, struct tekho_explore_outcome *out,
                                                         uint8_t **consumed_out);
/* One seeded run (the seed is p->seed itself); the bytes it read in
 * *bytes (malloc'd: free() it) and *len, unless either is NULL. Errors as
 * tekho_explore_replay's. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_explore_generate(const struct tekho_explore_params *p,
                                                           struct tekho_explore_outcome *out, uint8_t **bytes,
                                                           size_t *len);
/* Shrinks a stream that violates `target`: deletes chunks, zeroes chunks,
 * lowers bytes, keeping each change that still violates `target`, within
 * p->shrink_attempts replays and while p->keep_going says so. The result
 * (*out, malloc'd: free() it; *out_len) is never longer than the input;
 * *tries (may be NULL) is the replays made. Errors: invalid argument
 * (NULL p, out or out_len, NULL bytes with len above 0, target
 * TEKHO_XP_NONE), no memory, and those of the replays. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_explore_shrink(const struct tekho_explore_params *p, const uint8_t *bytes,
                                                         size_t len, enum tekho_xp_invariant target, uint8_t **out,
                                                         size_t *out_len, unsigned *tries);

/* ---- case files: a header of `key value` lines, then the bytes in hex ---- */

struct tekho_explore_case {
    enum tekho_scheme scheme;
    unsigned schedule;        /* the case file's `format`: 1..TEKHO_XP_SCHEDULE */
    uint64_t run_seed;        /* where it came from (informational) */
    uint64_t steps;
    unsigned fixed_bs, fixed_ms;
    uint32_t faults_off;
    enum tekho_xp_invariant expect;   /* TEKHO_XP_NONE: "outcome clean" */
    uint8_t *bytes;
    size_t len;
};
/* The params a case replays under: the defaults with the case's scheme,
 * schedule, seed, steps, sizes and faults, one run. */
TEKHO_API void tekho_explore_case_params(const struct tekho_explore_case *c, struct tekho_explore_params *p);
/* Writes c to path (created or truncated), comment (may be NULL) as `#`
 * lines at the top. Errors: invalid argument (NULL path or c, NULL bytes
 * with len above 0), TEKHO_ERR_IO (cannot create or write). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_explore_case_write(const char *path, const struct tekho_explore_case *c,
                                                             const char *comment);
/* Reads a case file into *c; c->bytes is malloc'd (tekho_explore_case_free).
 * Errors: invalid argument (NULL), TEKHO_ERR_IO (unreadable),
 * TEKHO_ERR_BAD_VALUE (not a case file), no memory; on error nothing is
 * left to free. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_explore_case_read(const char *path, struct tekho_explore_case *c);
/* Frees c->bytes and clears them; NULL accepted. */
TEKHO_API void tekho_explore_case_free(struct tekho_explore_case *c);

/* ---- the invariant checkers, on their own (tests feed them synthetic events) ---- */

/* A checker for MSs 0..n_ms - 1 (events for others are ignored, or forged
 * deliveries). Errors: invalid argument (NULL out, n_ms 0), no memory. Its
 * check functions take a valid checker; each returns the invariant the
 * event violates, or TEKHO_XP_NONE. free accepts NULL. */
struct tekho_xp_checker;
TEKHO_API TEKHO_NODISCARD tekho_err tekho_xp_checker_new(unsigned n_ms, struct tekho_xp_checker **out);
TEKHO_API void tekho_xp_checker_free(struct tekho_xp_checker *c);
/* (1) A TEKHO_EV_SEALED: PN `pn` under the TEK with this fingerprint, direction dir (TEKHO_DIR_*). */
TEKHO_API enum tekho_xp_invariant tekho_xp_check_sealed(struct tekho_xp_checker *c, const uint8_t fp[8], uint8_t dir,
                                                        uint64_t pn);
/* (2) The legitimate sender made payload `seq` for (ms, dir) (0 UL, 1 DL). */
TEKHO_API void tekho_xp_note_sent(struct tekho_xp_checker *c, uint32_t ms, int dir, uint32_t seq);
/* (2) A delivery at MS `ms` (dir 1) or from MS `ms` at a BS (dir 0). */
TEKHO_API enum tekho_xp_invariant tekho_xp_check_delivered(struct tekho_xp_checker *c, uint32_t ms, int dir,
                                                           const uint8_t *payload, size_t len);
/* The payload the legitimate sender makes for (ms, dir, seq): a tag, the
 * three numbers and bytes derived from them, so that an altered payload
 * is never one it made. */
#define TEKHO_XP_PAYLOAD_LEN 48u
TEKHO_API void tekho_xp_payload(uint32_t ms, int dir, uint32_t seq, uint8_t out[TEKHO_XP_PAYLOAD_LEN]);
/* (3) A count read at the Authenticator (N, at_auth) or the MS (M); a
 * TEKHO_EV_NEW_PMK from that side starts a new epoch first. Reading 0 at
 * the Authenticator means "not loaded" and is skipped. */
TEKHO_API void tekho_xp_new_pmk(struct tekho_xp_checker *c, uint32_t ms, bool at_auth);
TEKHO_API enum tekho_xp_invariant tekho_xp_check_count(struct tekho_xp_checker *c, uint32_t ms, bool at_auth,
                                                       uint16_t count);
/* (4) A BS installed counter TEKs for `count` while the Authenticator's N is n (0: unknown). */
TEKHO_API enum tekho_xp_invariant tekho_xp_check_keys_installed(uint16_t count, uint16_t n);
/* (7) A user PDU delivered at the target before ranging completed (at an
 * MS still synchronising or ranging with it, or at a target BS that has
 * not yet answered its RNG-REQ): a violation under the schemes that wait
 * for RNG-RSP (none-late, baseline-update, baseline-challenge,
 * baseline-full; not baseline-early, whose TEKs came before). The list is the
 * checker's own, not tekho_scheme_early_data: the oracle does not ask the
 * code it judges. */
TEKHO_API enum tekho_xp_invariant tekho_xp_check_early_data(enum tekho_scheme scheme, bool before_ranging);
/* (2) Whether an air PDU is a management message protected by a CMAC
 * (tuple or PKM CMAC-Digest), and whether one a role just acted on
 * (returned OK and emitted actions, none a discard) was acted on before by
 * the same receiver: TEKHO_XP_MGMT_REPLAY. */
TEKHO_API bool tekho_xp_mgmt_authenticated(const uint8_t *pdu, size_t len);
TEKHO_API enum tekho_xp_invariant tekho_xp_check_mgmt_acted(struct tekho_xp_checker *c, uint32_t receiver,
                                                            const uint8_t *pdu, size_t len);
/* (5) A role call's result: its return value, actions.err and the number
 * of actions; injected says the input came from the attacker. */
TEKHO_API enum tekho_xp_invariant tekho_xp_check_call(tekho_err ret, const struct tekho_actions *a, bool injected,
                                                      bool alloc_failure_injected);
/* Whether an error returned by a role means it is broken (not a refusal). */
TEKHO_API bool tekho_xp_error_is_internal(tekho_err err, bool injected);

/* The deliberate defect this library was built with, in static storage (cmake
 * -DTEKHO_MUTATION=NAME, for tests of the explorer), or NULL: the real code. */
TEKHO_API const char *tekho_build_mutation(void);

#ifdef __cplusplus
}
#endif
#endif
