/* SBC-REQ / SBC-RSP: IEEE 802.16-2009 6.3.2.3.23-24 (message bodies: the
 * type byte, then TLVs) and 11.8 (SBC TLVs), with the Security Negotiation
 * Parameters compound (TLV 25, sub-attributes as in 11.9) and the CMAC
 * Tuple (11.1.2.2); profile section 5; mgmt.h.
 *
 * Sub-TLV 7 (TEK generation) is tekho's private extension. Wireshark 4.0
 * knows sub-TLVs 1-6 of TLV 25 and shows 7 as "Unknown Security
 * Negotiation Parameter type" without any warning; a peer that does not
 * know it skips it like any unknown sub-TLV. */
#include "tekho/mgmt.h"

#include <string.h>

/* Bits of the TEK generation sub-TLV other than supported / required are
 * reserved: sent as 0, ignored on receipt. */
#define TEKGEN_DEFINED (TEKHO_TEKGEN_SUPPORTED | TEKHO_TEKGEN_REQUIRED)

/* [PROFILE] "required by BS policy" is the BS's answer; an MS cannot
 * require anything of the BS in SBC-REQ. */
static bool tekgen_valid_in(uint8_t mgmt_type, uint8_t tek_generation)
{
    return mgmt_type == TEKHO_MGMT_SBC_RSP || !(tek_generation & TEKHO_TEKGEN_REQUIRED);
}

static tekho_err put_security_negotiation(struct tekho_wbuf *w, uint8_t mgmt_type,
                                          const struct tekho_security_negotiation *s)
{
    if (s->has_tek_generation &&
        ((s->tek_generation & ~TEKGEN_DEFINED) != 0 || !tekgen_valid_in(mgmt_type, s->tek_generation)))
        return TEKHO_ERR_BAD_VALUE;
    const size_t mark = tekho_wbuf_tlv_begin(w, TEKHO_SBC_TLV_SECURITY_NEGOTIATION);
    if (s->has_pkm_version)
        tekho_wbuf_tlv_u8(w, TEKHO_SECNEG_TLV_PKM_VERSION, s->pkm_version);
    if (s->has_auth_policy)
        tekho_wbuf_tlv_u8(w, TEKHO_SECNEG_TLV_AUTH_POLICY, s->auth_policy);
    if (s->has_mac_mode)
        tekho_wbuf_tlv_u8(w, TEKHO_SECNEG_TLV_MAC_MODE, s->mac_mode);
    if (s->has_pn_window_size)
        tekho_wbuf_tlv_u16(w, TEKHO_SECNEG_TLV_PN_WINDOW_SIZE, s->pn_window_size);
    if (s->has_max_sas)
        tekho_wbuf_tlv_u8(w, TEKHO_SECNEG_TLV_MAX_SAS, s->max_sas);
    if (s->has_tek_generation)
        tekho_wbuf_tlv_u8(w, TEKHO_SECNEG_TLV_TEK_GENERATION, s->tek_generation);
    /* With no sub-TLV set this refuses the empty compound
     * (TEKHO_ERR_TLV_ZERO_LENGTH): 11.1 has no zero-length TLVs. */
    tekho_wbuf_tlv_end(w, mark);
    return TEKHO_OK;
}

tekho_err tekho_sbc_encode(const struct tekho_sbc *m, uint8_t *out, size_t cap, size_t *out_len)
{
    if (m == NULL || out == NULL || out_len == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (m->mgmt_type != TEKHO_MGMT_SBC_REQ && m->mgmt_type != TEKHO_MGMT_SBC_RSP)
        return TEKHO_ERR_BAD_VALUE;
    uint8_t tuple[TEKHO_CMAC_TUPLE_LEN_WITH_BSID];
    size_t tuple_len = 0;
    if (m->has_cmac) {
        /* The key sequence shares its byte with 4 reserved bits. */
        if (m->cmac.key_seq > 0x0F)
            return TEKHO_ERR_BAD_VALUE;
        tekho_err err = tekho_cmac_tuple_encode(&m->cmac, tuple, sizeof tuple, &tuple_len);
        if (err != TEKHO_OK)
            return err;
    }

    struct tekho_wbuf w;
    tekho_wbuf_init(&w, out, cap);
    tekho_wbuf_u8(&w, m->mgmt_type);
    if (m->has_bw_alloc_support)
        tekho_wbuf_tlv_u8(&w, TEKHO_SBC_TLV_BW_ALLOC_SUPPORT, m->bw_alloc_support);
    if (m->has_security_negotiation) {
        tekho_err err = put_security_negotiation(&w, m->mgmt_type, &m->sec);
        if (err != TEKHO_OK)
            return err;
    }
    /* The CMAC covers everything before the tuple (11.1.2.2). */
    if (m->has_cmac)
        tekho_wbuf_tlv(&w, TEKHO_TLV_CMAC_TUPLE, tuple, tuple_len);
    if (w.err != TEKHO_OK)
        return w.err;
    *out_len = w.len;
    return TEKHO_OK;
}

static tekho_err parse_security_negotiation(const uint8_t *in, size_t len, uint8_t mgmt_type,
                                            struct tekho_security_negotiation *out)
{
    struct tekho_security_negotiation s;
    memset(&s, 0, sizeof s);
    static const uint8_t single[] = {TEKHO_SECNEG_TLV_PKM_VERSION, TEKHO_SECNEG_TLV_AUTH_POLICY,
                                     TEKHO_SECNEG_TLV_MAC_MODE,    TEKHO_SECNEG_TLV_PN_WINDOW_SIZE,
                                     TEKHO_SECNEG_TLV_MAX_SAS,     TEKHO_SECNEG_TLV_TEK_GENERATION};
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, in, len, 0, 0, single, sizeof single);
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        tekho_err err = TEKHO_OK;
        switch (t.type) {
        case TEKHO_SECNEG_TLV_PKM_VERSION:
            err = tekho_tlv_u8(&t, &s.pkm_version);
            s.has_pkm_version = true;
            break;
        case TEKHO_SECNEG_TLV_AUTH_POLICY:
            err = tekho_tlv_u8(&t, &s.auth_policy);
            s.has_auth_policy = true;
            break;
        case TEKHO_SECNEG_TLV_MAC_MODE:
            err = tekho_tlv_u8(&t, &s.mac_mode);
            s.has_mac_mode = true;
            break;
        case TEKHO_SECNEG_TLV_PN_WINDOW_SIZE:
            err = tekho_tlv_u16(&t, &s.pn_window_size);
            s.has_pn_window_size = true;
            break;
        case TEKHO_SECNEG_TLV_MAX_SAS:
            err = tekho_tlv_u8(&t, &s.max_sas);
            s.has_max_sas = true;
            break;
        case TEKHO_SECNEG_TLV_TEK_GENERATION:
            err = tekho_tlv_u8(&t, &s.tek_generation);
            if (err == TEKHO_OK && !tekgen_valid_in(mgmt_type, s.tek_generation))
                err = TEKHO_ERR_BAD_VALUE;
            /* Reserved bits are ignored, so a later revision's bits do not
             * make an old receiver drop the message. */
            s.tek_generation &= TEKGEN_DEFINED;
            s.has_tek_generation = true;
            break;
        default:
            /* PKM flow control (5) and later additions: not ours, skip. */
            break;
        }
        if (err != TEKHO_OK)
            return err;
    }
    if (wk.err != TEKHO_OK)
        return wk.err;
    *out = s;
    return TEKHO_OK;
}

tekho_err tekho_sbc_decode(const uint8_t *in, size_t len, struct tekho_sbc *out)
{
    if ((in == NULL && len != 0) || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len == 0)
        return TEKHO_ERR_TRUNCATED;
    if (in[0] != TEKHO_MGMT_SBC_REQ && in[0] != TEKHO_MGMT_SBC_RSP)
        return TEKHO_ERR_WRONG_MESSAGE;

    struct tekho_sbc m;
    memset(&m, 0, sizeof m);
    m.mgmt_type = in[0];
    static const uint8_t single[] = {TEKHO_SBC_TLV_BW_ALLOC_SUPPORT, TEKHO_SBC_TLV_SECURITY_NEGOTIATION,
                                     TEKHO_TLV_CMAC_TUPLE};
    struct tekho_tlv_walk wk;
    tekho_tlv_walk_init(&wk, in, len, 1, TEKHO_TLV_CMAC_TUPLE, single, sizeof single);
    struct tekho_tlv t;
    while (tekho_tlv_walk_more(&wk, &t)) {
        tekho_err err = TEKHO_OK;
        switch (t.type) {
        case TEKHO_SBC_TLV_BW_ALLOC_SUPPORT:
            err = tekho_tlv_u8(&t, &m.bw_alloc_support);
            m.has_bw_alloc_support = true;
            break;
        case TEKHO_SBC_TLV_SECURITY_NEGOTIATION:
            err = parse_security_negotiation(t.value, t.len, m.mgmt_type, &m.sec);
            /* Present only with something of ours inside: a TLV 25 of only
             * unknown sub-TLVs reads as absent, so it re-encodes as absent
             * instead of as an (invalid) empty TLV. */
            m.has_security_negotiation = m.sec.has_pkm_version || m.sec.has_auth_policy || m.sec.has_mac_mode ||
                                         m.sec.has_pn_window_size || m.sec.has_max_sas || m.sec.has_tek_generation;
            break;
        case TEKHO_TLV_CMAC_TUPLE:
            err = tekho_mgmt_read_cmac_tuple(&t, &m.cmac);
            if (err != TEKHO_OK)
                return err;
            m.has_cmac = true;
            m.cmac_offset = t.offset;
            break;
        default:
            /* The many PHY and MAC capability TLVs of 11.8 are not ours. */
            break;
        }
        if (err != TEKHO_OK)
            return err;
    }
    if (wk.err != TEKHO_OK)
        return wk.err;
    *out = m;
    return TEKHO_OK;
}
