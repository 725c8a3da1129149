/* Traffic encryption keys: counter-based generation (the seed; profile
 * section 3), the PN replay window (profile section 6) and the per-SA TEK
 * context that holds TEK0/TEK1 with their lifetimes and PN counters. */
#ifndef TEKHO_TEK_H
#define TEKHO_TEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"
#include "tekho/pdu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_TEK_LEN 16u

/* TEKi = Dot16KDF(KEK, u16(CMAC_KEY_COUNT_T) | u16(SAID) | "TEKi Generation", 128),
 * for i = 0 and 1, into tek0 and tek1 (the caller's to wipe). Errors:
 * invalid argument (NULL), no memory, crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_generate(const uint8_t kek[TEKHO_TEK_LEN], uint16_t cmac_key_count_t,
                                                       uint16_t said, uint8_t tek0[TEKHO_TEK_LEN],
                                                       uint8_t tek1[TEKHO_TEK_LEN]);

/* The same with a reusable CMAC context, for callers that generate many
 * pairs (a base station at handover, the benchmark): new makes one (invalid
 * argument for NULL out, no memory, crypto), run is tekho_tek_generate on
 * it (its errors), free wipes and frees it (NULL accepted). */
struct tekho_tek_generator;
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_generator_new(struct tekho_tek_generator **out);
TEKHO_API void tekho_tek_generator_free(struct tekho_tek_generator *gen);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_generator_run(struct tekho_tek_generator *gen,
                                                            const uint8_t kek[TEKHO_TEK_LEN],
                                                            uint16_t cmac_key_count_t, uint16_t said,
                                                            uint8_t tek0[TEKHO_TEK_LEN], uint8_t tek1[TEKHO_TEK_LEN]);

/* ---- PN replay window --------------------------------------------------
 * Receiver state for one TEK and one direction. PNs here are counters
 * (direction bit removed), 1 .. TEKHO_PN_COUNTER_MAX; 0 means "none yet".
 * A PN is accepted if it is above every PN seen, or within `size` of the
 * highest and not seen before. check() never changes the window; commit()
 * is called only once the PDU's ICV has verified. */
#define TEKHO_PN_WINDOW_MAX 2048u
/* [PROFILE] Used when SBC did not negotiate a PN Window Size. */
#define TEKHO_PN_WINDOW_DEFAULT 128u

/* Ring words a window keeps inside its struct: windows of up to 192 PNs
 * (the default 128 among them). Larger ones have their ring on the heap. */
#define TEKHO_PN_WINDOW_INLINE_WORDS 4u

struct tekho_pn_window {
    uint32_t highest;
    uint16_t size;
    /* Ring of seen-bits, one per PN modulo its capacity: a power of two
     * words, no fewer than the window can span, so that whole words are
     * cleared as the window slides into them. Sized for the window: the
     * default window's is inside the struct (40 bytes in all, not the 272
     * of a ring for the largest window; a metro-sized emulation holds
     * 400,000 windows). */
    uint16_t words;
    union {
        uint64_t in[TEKHO_PN_WINDOW_INLINE_WORDS]; /* words <= TEKHO_PN_WINDOW_INLINE_WORDS */
        uint64_t *heap;                            /* larger: owned by the window */
    } ring;
};

/* An empty window of `size` PNs (0: TEKHO_PN_WINDOW_DEFAULT). What *w held
 * is not looked at: call tekho_pn_window_cleanup first on a window in use.
 * Errors: invalid argument for NULL or size above TEKHO_PN_WINDOW_MAX, no
 * memory (a window above 192 PNs has its ring on the heap); *w is zeroed
 * then. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pn_window_init(struct tekho_pn_window *w, uint16_t size);
/* Frees the ring of a large window and zeroes *w. Safe on a zeroed window. */
TEKHO_API void tekho_pn_window_cleanup(struct tekho_pn_window *w);
/* Makes *dst a copy of *src (size, highest and seen PNs), with a ring of
 * its own; *dst must be zeroed or a window, and what it held is cleaned up.
 * Errors: invalid argument for NULL, no memory; *dst is unchanged then. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pn_window_copy(struct tekho_pn_window *dst,
                                                         const struct tekho_pn_window *src);
/* Whether pn would be accepted: TEKHO_OK, TEKHO_ERR_PN_INVALID (0 or above
 * TEKHO_PN_COUNTER_MAX), TEKHO_ERR_PN_BELOW_WINDOW (size or more below the
 * highest), TEKHO_ERR_PN_REPLAYED (seen); invalid argument for NULL. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pn_window_check(const struct tekho_pn_window *w, uint32_t pn);
/* Marks pn seen (and slides the window up to it); a pn that check refuses
 * changes nothing. Call it only once the PDU's ICV has verified. */
TEKHO_API void tekho_pn_window_commit(struct tekho_pn_window *w, uint32_t pn);
/* Marks every PN up to `top` as seen (a window handed over with only its
 * highest PN, as in ASN-CP HO_Cnf). TEKHO_ERR_PN_INVALID for top above
 * TEKHO_PN_COUNTER_MAX; the window is unchanged then. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pn_window_seen_through(struct tekho_pn_window *w, uint32_t top);

/* ---- TEK context -------------------------------------------------------
 * One SA at one end of the link: TEK0 (EKS 0) and TEK1 (EKS 1), each with
 * its expiry, its transmit PN counter and its receive window. */
struct tekho_tek_slot {
    uint8_t key[TEKHO_TEK_LEN];
    uint8_t eks;
    bool installed;
    uint64_t expires_at_ms;
    uint32_t tx_pn;                 /* last PN sealed; 0 = none */
    struct tekho_pn_window rx;
    struct tekho_pdu_key *ccm;      /* keyed on first use: many contexts never seal */
    uint8_t key_id[8];              /* first 8 bytes of SHA-256(key): safe to log and compare */
};

struct tekho_crypto_kit;

struct tekho_tek_context {
    uint16_t said;
    uint16_t cmac_key_count_t;       /* meaningful for counter-generated TEKs */
    enum tekho_dir tx_dir;           /* UL at the MS, DL at the BS */
    struct tekho_tek_slot tek[2];
    /* Receive only: a TEK replaced before it expired (a refresh puts the
     * next key sequence in the older TEK's place while PDUs sealed under
     * it may still be in flight), until it expires. Made when a TEK is
     * first retired, NULL before (most contexts never retire one); owned
     * by the context, so a context is moved, never copied. */
    struct tekho_tek_slot *retired;
    /* Internal, NULL from outside the library: the owning role's
     * algorithms fetched once (CCM, SHA-256), which must outlive it. */
    struct tekho_crypto_kit *kit;
};

/* Seed, "Initially, TEK0 and TEK1 Lifetimes are set to 1/8 and 1/2 of the
 * PMK lifetime respectively." */
#define TEKHO_TEK0_LIFETIME_DIVISOR 8u
#define TEKHO_TEK1_LIFETIME_DIVISOR 2u

struct tekho_tek_context_params {
    uint16_t said;
    enum tekho_dir tx_dir;
    uint32_t pmk_lifetime_s;
    uint64_t now_ms;
    uint16_t pn_window_size;        /* 0 = TEKHO_PN_WINDOW_DEFAULT */
};

/* Generates TEK0/TEK1 from the KEK and CMAC_KEY_COUNT_T, with fresh PN
 * counters and windows and lifetimes PMK/8 and PMK/2 from params->now_ms.
 * What *ctx held is cleaned up on success; on failure *ctx is unchanged.
 * *ctx must be zeroed or a context before its first use. Errors: invalid
 * argument (NULL, pn_window_size above TEKHO_PN_WINDOW_MAX), no memory,
 * crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_context_init_counter(struct tekho_tek_context *ctx,
                                                                   const struct tekho_tek_context_params *params,
                                                                   const uint8_t kek[TEKHO_TEK_LEN],
                                                                   uint16_t cmac_key_count_t);

/* Installs one delivered TEK (baseline Key-Reply / SA-TEK-Update) in a
 * slot (callers use the EKS parity), with a fresh PN counter and window.
 * The same key with the same EKS already in that slot is left as it is,
 * PN counter and window included (the KRACK rule): installing a key twice
 * never lets a (TEK, PN) pair or a received PN come back. Another key
 * replacing an unexpired one sends that one to `retired`, where it still
 * opens what is in flight until it expires. Errors: invalid argument (NULL,
 * slot above 1, eks above 3, pn_window_size above TEKHO_PN_WINDOW_MAX),
 * crypto, no memory (for `retired`); the context is unchanged then. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_context_install(struct tekho_tek_context *ctx, unsigned slot,
                                                              const uint8_t key[TEKHO_TEK_LEN], uint8_t eks,
                                                              uint32_t lifetime_s, uint64_t now_ms,
                                                              uint16_t pn_window_size);

/* Wipes keys and frees the CCM contexts. Safe on a zeroed context. */
TEKHO_API void tekho_tek_context_cleanup(struct tekho_tek_context *ctx);
/* After *ctx was copied by value to its new owner: wipes this copy's keys
 * and zeroes it, leaving its CCM contexts to the new copy. */
TEKHO_API void tekho_tek_context_forget_moved(struct tekho_tek_context *ctx);
/* Gives *src to *dst: what dst held is cleaned up first, src is left
 * zeroed. A context owns its CCM contexts, so it is moved, never copied. */
TEKHO_API void tekho_tek_context_move(struct tekho_tek_context *dst, struct tekho_tek_context *src);
/* True while no TEK of the context has sealed or accepted a PDU: its
 * state is then exactly what deriving it again would give, so it may be
 * forgotten without any (TEK, PN) pair or received PN coming back. */
TEKHO_API bool tekho_tek_context_pristine(const struct tekho_tek_context *ctx);

/* Seals with the given slot's TEK (0 or 1) and its next PN, in the
 * context's tx_dir (tekho_pdu_seal; crc appends a CRC-32). Errors: TEK
 * expired (now_ms at or past its expiry), PN exhausted (the counter reached
 * TEKHO_PN_COUNTER_MAX: a new TEK is needed), invalid argument (NULL, a
 * slot not installed), and those of tekho_pdu_seal; the PN counter moves
 * only on success. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_seal(struct tekho_tek_context *ctx, unsigned slot, uint64_t now_ms,
                                                   uint16_t cid, bool crc, const uint8_t *payload, size_t payload_len,
                                                   uint8_t *out, size_t out_cap, size_t *out_len);

/* Opens a PDU from the peer: picks the TEK by the header's EKS, checks the
 * replay window, verifies the ICV, and only then moves the window. On any
 * failure the context is unchanged. *slot_used (may be NULL) is 0 or 1, or
 * 2 for the retired TEK. Errors: those of tekho_pdu_parse (the PDU must be
 * the other direction than tx_dir), unknown EKS (no TEK with the header's
 * EKS), TEK expired, those of tekho_pn_window_check, bad ICV, buffer too
 * small. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_open(struct tekho_tek_context *ctx, uint64_t now_ms, const uint8_t *pdu,
                                                   size_t pdu_len, uint8_t *out, size_t out_cap, size_t *out_len,
                                                   unsigned *slot_used);

#ifdef __cplusplus
}
#endif
#endif
