#include "tekho/error.h"

const char *tekho_strerror(tekho_err err)
{
    switch (err) {
    case TEKHO_OK: return "ok";
    case TEKHO_ERR_INVALID_ARGUMENT: return "invalid argument";
    case TEKHO_ERR_CRYPTO: return "libcrypto failure";
    case TEKHO_ERR_NO_MEMORY: return "out of memory";
    case TEKHO_ERR_BUFFER_TOO_SMALL: return "output buffer too small";
    case TEKHO_ERR_IO: return "I/O error";
    case TEKHO_ERR_TRUNCATED: return "truncated";
    case TEKHO_ERR_LENGTH_MISMATCH: return "length mismatch";
    case TEKHO_ERR_BAD_HCS: return "bad HCS";
    case TEKHO_ERR_BAD_CRC: return "bad CRC";
    case TEKHO_ERR_BAD_ICV: return "bad ICV";
    case TEKHO_ERR_WRONG_DIRECTION: return "wrong direction bit";
    case TEKHO_ERR_NOT_ENCRYPTED: return "not encrypted";
    case TEKHO_ERR_NOT_GENERIC_HEADER: return "not a generic MAC header";
    case TEKHO_ERR_PDU_TOO_LONG: return "PDU too long";
    case TEKHO_ERR_UNKNOWN_EKS: return "unknown EKS";
    case TEKHO_ERR_PN_REPLAYED: return "PN replayed";
    case TEKHO_ERR_PN_BELOW_WINDOW: return "PN below window";
    case TEKHO_ERR_PN_INVALID: return "PN invalid";
    case TEKHO_ERR_PN_EXHAUSTED: return "PN exhausted";
    case TEKHO_ERR_TEK_EXPIRED: return "TEK expired";
    case TEKHO_ERR_BAD_CMAC: return "bad CMAC";
    case TEKHO_ERR_CMAC_PN_REPLAYED: return "CMAC PN replayed";
    case TEKHO_ERR_BAD_KEY_SEQ: return "key sequence not the AK's";
    case TEKHO_ERR_WRONG_BSID: return "BSID not the AK's BS";
    case TEKHO_ERR_UNWRAP_FAILED: return "unwrap failed";
    case TEKHO_ERR_UNSUPPORTED_SUITE: return "unsupported crypto suite";
    case TEKHO_ERR_TLV_ZERO_LENGTH: return "zero-length TLV";
    case TEKHO_ERR_TLV_OVERRUN: return "TLV overruns message";
    case TEKHO_ERR_TLV_BAD_LENGTH: return "bad TLV length field";
    case TEKHO_ERR_WRONG_WIDTH: return "wrong width for a fixed-size field";
    case TEKHO_ERR_DUPLICATE_TLV: return "duplicate single-instance TLV";
    case TEKHO_ERR_MISSING_TLV: return "missing mandatory TLV";
    case TEKHO_ERR_CMAC_NOT_LAST: return "CMAC tuple not last";
    case TEKHO_ERR_BAD_ASNCP_HEADER: return "bad ASN-CP header";
    case TEKHO_ERR_BAD_ASNCP_LENGTH: return "bad ASN-CP length";
    case TEKHO_ERR_UNKNOWN_MESSAGE: return "unknown message";
    case TEKHO_ERR_BAD_VALUE: return "value out of range";
    case TEKHO_ERR_TOO_MANY: return "too many repeated items";
    case TEKHO_ERR_WRONG_MESSAGE: return "wrong message type";
    case TEKHO_ERR_UNEXPECTED_MESSAGE: return "unexpected message";
    case TEKHO_ERR_UNKNOWN_PEER: return "unknown peer";
    case TEKHO_ERR_NO_KEYS: return "no keys";
    case TEKHO_ERR_STALE_COUNT: return "stale CMAC_KEY_COUNT";
    case TEKHO_ERR_CAPACITY: return "table full";
    case TEKHO_ERR_RATE_LIMITED: return "rate limited";
    case TEKHO_ERR_BUSY: return "busy: a persist is in flight";
    case TEKHO_ERR_STORE_CORRUPT: return "store corrupt or not a tekho store";
    case TEKHO_ERR_STORE_VERSION: return "store schema from a newer version";
    case TEKHO_ERR_STORE_FULL: return "store full (disk full)";
    case TEKHO_ERR_STORE_UNAVAILABLE: return "store unavailable";
    case TEKHO_ERR_STORE_KEY: return "store key file refused";
    case TEKHO_ERR_RECORD_CORRUPT: return "store record corrupt";
    case TEKHO_ERR_NOT_CONNECTED: return "peer not connected";
    case TEKHO_ERR_HANDSHAKE_PENDING: return "handshake pending, queue full";
    case TEKHO_ERR_MESSAGE_TOO_LONG: return "message longer than a record in the MTU";
    case TEKHO_ERR_CREDENTIALS: return "credentials unusable";
    case TEKHO_ERR_SOCKET: return "socket error";
    case TEKHO_ERR_PEER_EXISTS: return "another association with that address";
    case TEKHO_ERR_CONFIG: return "bad config file";
    }
    return "unknown error";
}
