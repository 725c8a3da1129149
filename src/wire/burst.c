/* Splitting a burst into its MAC PDUs: generic MAC headers, the two kinds
 * of signalling header, HARQ MAP messages and padding (IEEE 802.16-2009
 * 6.3.2.1.1-2, 6.3.2.3.43.2), as Wireshark's wimax_pdu_burst_handler does;
 * mgmt.h. */
#include <string.h>

#include "tekho/mgmt.h"
#include "tekho/pdu.h"

#include "../crypto/bytes.h"

#define PADDING 0xFFu
#define HARQ_MAP_MASK 0xE0u /* first three bits 111: a HARQ MAP message */
#define HARQ_MAP_MIN_LEN 3u

tekho_err tekho_burst_next(const uint8_t *burst, size_t len, size_t *at, struct tekho_mac_pdu *out, bool *got)
{
    if (got != NULL)
        *got = false;
    if ((burst == NULL && len != 0) || at == NULL || out == NULL || got == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (*at >= len || burst[*at] == PADDING)
        return TEKHO_OK;
    const uint8_t *p = burst + *at;
    const size_t left = len - *at;
    struct tekho_mac_pdu m;
    memset(&m, 0, sizeof m);
    m.offset = *at;
    if ((p[0] & HARQ_MAP_MASK) == HARQ_MAP_MASK) {
        /* HARQ MAP: its length is bits 2..10 of the first two bytes. */
        if (left < 2)
            return TEKHO_ERR_TRUNCATED;
        size_t n = (tekho_get_u16be(p) & 0x07FCu) >> 2;
        if (n < HARQ_MAP_MIN_LEN)
            n = HARQ_MAP_MIN_LEN;
        if (n > left)
            return TEKHO_ERR_TRUNCATED;
        m.kind = TEKHO_MAC_PDU_HARQ_MAP;
        m.len = n;
    } else {
        if (left < TEKHO_GMH_LEN)
            return TEKHO_ERR_TRUNCATED;
        if (tekho_hcs(p, 5) != p[5])
            return TEKHO_ERR_BAD_HCS;
        if (p[0] & 0x80) {
            m.len = TEKHO_GMH_LEN;
            if (p[0] & 0x40) {
                m.kind = TEKHO_MAC_PDU_SIGNALLING_2;
                m.type = (uint8_t)((p[0] & 0x0Fu) | ((p[0] & 0x20u) ? 16u : 0u));
                m.has_cid = (p[0] & 0x10u) != 0; /* CII */
            } else {
                m.kind = TEKHO_MAC_PDU_SIGNALLING_1;
                m.type = (uint8_t)((p[0] >> 3) & 0x07u);
                m.has_cid = true;
            }
            if (m.has_cid)
                m.cid = tekho_get_u16be(p + 3);
        } else {
            tekho_err err = tekho_gmh_decode(p, left, &m.gmh);
            if (err != TEKHO_OK)
                return err;
            if (m.gmh.len < TEKHO_GMH_LEN)
                return TEKHO_ERR_LENGTH_MISMATCH;
            if (m.gmh.len > left)
                return TEKHO_ERR_TRUNCATED;
            m.kind = TEKHO_MAC_PDU_GENERIC;
            m.len = m.gmh.len;
            m.has_cid = true;
            m.cid = m.gmh.cid;
        }
    }
    *out = m;
    *at += m.len;
    *got = true;
    return TEKHO_OK;
}

const char *tekho_mac_pdu_name(const struct tekho_mac_pdu *pdu)
{
    static const char *const type1[8] = {"BR INCREMENTAL",
                                         "BR AGGREGATE",
                                         "PHY CHANNEL_REPORT",
                                         "BR WITH UL TX POWER_REPORT",
                                         "BR AND CINR REPORT",
                                         "BR WITH UL SLEEP CONTROL",
                                         "SN REPORT",
                                         "CQICH ALLOCATION REQUEST"};
    static const char *const type2[16] = {"CQI and MIMO Feedback",
                                          "DL average CINR",
                                          "MIMO Coefficients Feedback",
                                          "Preferred DL Channel DIUC Feedback",
                                          "UL Transmission Power",
                                          "PHY Channel Feedback",
                                          "AMC Band Indication Bitmap",
                                          "Life Span of Short-term Precoding Feedback",
                                          "Multiple Types of Feedback",
                                          "Long-term Precoding Feedback",
                                          "Combined DL Average CINR of Active BSs",
                                          "MIMO Channel Feedback",
                                          "CINR Feedback",
                                          "Close-loop MIMO Feedback",
                                          "Unknown type 2 fb type",
                                          "Unknown type 2 fb type"};
    if (pdu == NULL)
        return NULL;
    switch (pdu->kind) {
    case TEKHO_MAC_PDU_SIGNALLING_1: return type1[pdu->type & 7];
    case TEKHO_MAC_PDU_SIGNALLING_2: return pdu->type < 16 ? type2[pdu->type] : "Type II header, type 1";
    case TEKHO_MAC_PDU_HARQ_MAP: return "HARQ-MAP";
    default: return NULL;
    }
}
