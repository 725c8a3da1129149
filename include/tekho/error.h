/* tekho — error codes shared by every module, and the conventions every
 * header follows unless a function's comment says otherwise:
 *
 * - A function that can fail returns a tekho_err: TEKHO_OK (0) or a
 *   negative code below. A NULL pointer where an object or a buffer is
 *   needed is TEKHO_ERR_INVALID_ARGUMENT (wire.h's building blocks and
 *   functions that return no tekho_err need valid pointers).
 * - The caller owns every buffer and struct it passes; the library copies
 *   what it keeps and holds no pointer into the caller's memory after a
 *   call, except where a struct says it points into a buffer (views, TLV
 *   readers, capture records) or a config says it must stay alive.
 * - An array parameter with a size (kek[16], bsid[6]) is exactly that many
 *   bytes. Output goes to (out, cap): at most cap bytes, *out_len set to
 *   the length written on success, TEKHO_ERR_BUFFER_TOO_SMALL when it does
 *   not fit. Decoders write *out only on success.
 * - An object made by tekho_X_new is freed by tekho_X_free, which accepts
 *   NULL and wipes any key material first. Key material the caller receives
 *   (derived keys, TEKs) is the caller's to wipe (tekho_ak_keys_wipe, ...).
 * - Times are the caller's: now_ms in milliseconds, now_us / at_us in
 *   microseconds, on a clock that never goes back; _s fields are seconds.
 *   Nothing reads a clock.
 * - There is no global mutable state: different objects may be used from
 *   different threads; one object from one thread at a time.
 * - Every function is exported (TEKHO_API, tekho/export.h); all names
 *   start with tekho_ / TEKHO_. */
#ifndef TEKHO_ERROR_H
#define TEKHO_ERROR_H

#include "tekho/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TEKHO_NODISCARD __attribute__((warn_unused_result))
#else
#define TEKHO_NODISCARD
#endif

/* Every fallible function returns one of these; TEKHO_OK is 0 and every
 * failure is negative, so `if (err < 0)` and `if (err != TEKHO_OK)` agree. */
typedef enum tekho_err {
    TEKHO_OK = 0,
    TEKHO_ERR_INVALID_ARGUMENT = -1,
    TEKHO_ERR_CRYPTO = -2,          /* libcrypto reported a failure */
    TEKHO_ERR_NO_MEMORY = -3,
    TEKHO_ERR_BUFFER_TOO_SMALL = -4,
    TEKHO_ERR_IO = -5,              /* a file could not be opened, read or written */

    /* MAC PDU decoding and opening (IEEE 802.16-2009 6.3.2.1, 7.5.1.2) */
    TEKHO_ERR_TRUNCATED = -10,
    TEKHO_ERR_LENGTH_MISMATCH = -11,
    TEKHO_ERR_BAD_HCS = -12,
    TEKHO_ERR_BAD_CRC = -13,
    TEKHO_ERR_BAD_ICV = -14,
    TEKHO_ERR_WRONG_DIRECTION = -15,
    TEKHO_ERR_NOT_ENCRYPTED = -16,
    TEKHO_ERR_NOT_GENERIC_HEADER = -17,
    TEKHO_ERR_PDU_TOO_LONG = -18,
    TEKHO_ERR_UNKNOWN_EKS = -19,

    /* Replay protection and key lifetime */
    TEKHO_ERR_PN_REPLAYED = -30,
    TEKHO_ERR_PN_BELOW_WINDOW = -31,
    TEKHO_ERR_PN_INVALID = -32,
    TEKHO_ERR_PN_EXHAUSTED = -33,
    TEKHO_ERR_TEK_EXPIRED = -34,

    /* Management message authentication (7.5.4.4) */
    TEKHO_ERR_BAD_CMAC = -40,
    TEKHO_ERR_CMAC_PN_REPLAYED = -41,
    TEKHO_ERR_BAD_KEY_SEQ = -42,       /* CMAC tuple or PKM key sequence not the AK's */
    TEKHO_ERR_WRONG_BSID = -43,        /* CMAC tuple BSID not the BS of the AK */

    /* TEK transport under the KEK (7.5.2) */
    TEKHO_ERR_UNWRAP_FAILED = -50,
    TEKHO_ERR_UNSUPPORTED_SUITE = -51,

    /* Wire formats: management messages, TLVs, the ASN-CP backbone */
    TEKHO_ERR_TLV_ZERO_LENGTH = -60,
    TEKHO_ERR_TLV_OVERRUN = -61,       /* a TLV runs past its message */
    TEKHO_ERR_TLV_BAD_LENGTH = -62,    /* a multi-byte length field of 0 or > 4 bytes */
    TEKHO_ERR_WRONG_WIDTH = -63,       /* a fixed-size field with another size */
    TEKHO_ERR_DUPLICATE_TLV = -64,     /* a single-instance TLV given twice */
    TEKHO_ERR_MISSING_TLV = -65,       /* a mandatory TLV absent */
    TEKHO_ERR_CMAC_NOT_LAST = -66,     /* CMAC Tuple / CMAC-Digest followed by more */
    TEKHO_ERR_BAD_ASNCP_HEADER = -67,  /* version, function or message type not ours */
    TEKHO_ERR_BAD_ASNCP_LENGTH = -68,  /* header length disagrees with the bytes */
    TEKHO_ERR_UNKNOWN_MESSAGE = -69,
    TEKHO_ERR_BAD_VALUE = -70,         /* a field value outside its range */
    TEKHO_ERR_TOO_MANY = -71,          /* more repeated items than the decoder holds */
    TEKHO_ERR_WRONG_MESSAGE = -72,     /* a decoder given another message type */

    /* Roles */
    TEKHO_ERR_UNEXPECTED_MESSAGE = -80, /* illegal in the current state: refused, state unchanged */
    TEKHO_ERR_UNKNOWN_PEER = -81,       /* an MS or BS this role has no context for */
    TEKHO_ERR_NO_KEYS = -82,            /* no TEK (yet) to protect or open user data with */
    TEKHO_ERR_STALE_COUNT = -83,        /* CMAC_KEY_COUNT below N: a replay or a stale MS */
    TEKHO_ERR_CAPACITY = -84,           /* a table (MSs, cached contexts) is full */
    TEKHO_ERR_RATE_LIMITED = -85,       /* self-synchronisation budget spent */
    TEKHO_ERR_BUSY = -86,               /* a persist for this MS is in flight: the sender retries */

    /* The Authenticator's store (tekho/store.h) */
    TEKHO_ERR_STORE_CORRUPT = -90,      /* not a tekho store: a corrupt or foreign database */
    TEKHO_ERR_STORE_VERSION = -91,      /* a schema from a newer tekho: refused, never downgraded */
    TEKHO_ERR_STORE_FULL = -92,         /* the disk or database is full: nothing was stored */
    TEKHO_ERR_STORE_UNAVAILABLE = -93,  /* the store cannot be reached (connection lost, locked) */
    TEKHO_ERR_STORE_KEY = -94,          /* the key file: unreadable, not 32 bytes, open to others, or not this store's */
    TEKHO_ERR_RECORD_CORRUPT = -95,     /* a record that does not decrypt or validate: the MS re-authenticates */

    /* The DTLS backbone transport (src/net/dtls.h) */
    TEKHO_ERR_NOT_CONNECTED = -100,     /* no such peer (closed, failed, or never there): connect again */
    TEKHO_ERR_HANDSHAKE_PENDING = -101, /* the peer's handshake is not complete and its queue is full: retry later */
    TEKHO_ERR_MESSAGE_TOO_LONG = -102,  /* a message longer than one record fits in the configured MTU */
    TEKHO_ERR_CREDENTIALS = -103,       /* a CA, certificate, key or PSK unusable: unreadable, mismatched, open to others */
    TEKHO_ERR_SOCKET = -104,            /* a socket call failed (socket, bind, recvmsg) */
    TEKHO_ERR_PEER_EXISTS = -105,       /* an association with that address exists under another name */

    /* The daemons (tekho authd, bsd, msd) */
    TEKHO_ERR_CONFIG = -120,            /* a config file that does not parse or check (the message says where) */
} tekho_err;

/* A short, stable, human-readable name for an error code ("bad ICV"), in
 * static storage; an unknown code gets a generic text, never NULL. */
TEKHO_API const char *tekho_strerror(tekho_err err);

#ifdef __cplusplus
}
#endif
#endif
