#include "tekho/error.h"

const char *tekho_strerror(tekho_err err)
{
    switch (err) {
    case TEKHO_OK: return "ok";
    case TEKHO_ERR_INVALID_ARGUMENT: return "invalid argument";
    case TEKHO_ERR_CRYPTO: return "libcrypto failure";
    case TEKHO_ERR_NO_MEMORY: return "out of memory";
    case TEKHO_ERR_BUFFER_TOO_SMALL: return "output buffer too small";
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
    case TEKHO_ERR_UNWRAP_FAILED: return "unwrap failed";
    case TEKHO_ERR_UNSUPPORTED_SUITE: return "unsupported crypto suite";
    }
    return "unknown error";
}
