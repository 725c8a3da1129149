/* The MAC PDU decoders: generic header, encrypted-PDU parse and open with a
 * fixed TEK, management unframe, and the CMAC Tuple / CMAC-Digest values. */
#include "fuzz_common.h"
#include "tekho/tekho.h"
#include "tekho/mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t tek[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t *in = fuzz_exact_copy(data, size);
    if (in == NULL)
        return 0;
    struct tekho_gmh gmh;
    if (tekho_gmh_decode(in, size, &gmh) == TEKHO_OK) {
        /* Reserved bits are ignored on receipt and sent as 0, so compare
         * what the header says, not its bytes. */
        uint8_t again[6];
        struct tekho_gmh back;
        FUZZ_ASSERT(tekho_gmh_encode(&gmh, again) == TEKHO_OK);
        FUZZ_ASSERT(tekho_gmh_decode(again, sizeof again, &back) == TEKHO_OK);
        FUZZ_ASSERT(back.ec == gmh.ec && back.type == gmh.type && back.esf == gmh.esf && back.ci == gmh.ci &&
                    back.eks == gmh.eks && back.len == gmh.len && back.cid == gmh.cid);
    }
    struct tekho_pdu_key *key = NULL;
    if (tekho_pdu_key_new(tek, &key) == TEKHO_OK) {
        uint8_t out[TEKHO_PDU_MAX_LEN];
        size_t out_len = 0;
        for (int dir = 0; dir < 2; dir++) {
            struct tekho_pdu_view view;
            tekho_err err = tekho_pdu_open(key, (enum tekho_dir)dir, in, size, out, sizeof out, &out_len, &view);
            FUZZ_ASSERT(err != TEKHO_OK || out_len + TEKHO_PDU_OVERHEAD <= size);
        }
        tekho_pdu_key_free(key);
    }
    uint16_t cid;
    const uint8_t *msg;
    size_t msg_len;
    if (tekho_mgmt_unframe(in, size, &cid, &msg, &msg_len) == TEKHO_OK)
        FUZZ_ASSERT(msg >= in && msg + msg_len <= in + size);
    struct tekho_cmac_tuple tuple;
    struct tekho_cmac_digest digest;
    (void)tekho_cmac_tuple_decode(in, size, &tuple);
    (void)tekho_cmac_digest_decode(in, size, &digest);
    free(in);
    return 0;
}
