/* M6: the digest that makes the next MSK at a re-authentication can fail
 * (OpenSSL out of memory, a provider that refuses): reauth_next_msk says
 * so and leaves the caller's next MSK untouched, so no side takes a
 * half-made PMK and the MS and the Authenticator keep the same one. Before,
 * it returned nothing and the caller used whatever the buffer held.
 *
 * OpenSSL's allocations go through this test's functions
 * (CRYPTO_set_mem_functions, before OpenSSL allocates anything), which fail
 * while `failing` is set: its own binary, so no other test sees them. */
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tekho/tekho.h"
#include "test_util.h"

static bool failing;

static void *test_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return failing ? NULL : malloc(n);
}

static void *test_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return failing ? NULL : realloc(p, n);
}

static void test_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

int main(void)
{
    if (!CRYPTO_set_mem_functions(test_malloc, test_realloc, test_free)) {
        fprintf(stderr, "test_digest_fails: OpenSSL allocated before main; cannot run\n");
        return 1;
    }
    uint8_t msk[64], next[64], again[64];
    for (int i = 0; i < 64; i++)
        msk[i] = (uint8_t)(i * 7 + 1);
    /* The digest works, and is the SHA-512 of the MSK both sides compute. */
    CHECK_ERR(tekho_reauth_next_msk(msk, next), TEKHO_OK);
    CHECK_ERR(tekho_reauth_next_msk(msk, again), TEKHO_OK);
    CHECK_BYTES(next, again, 64);
    CHECK(memcmp(next, msk, 64) != 0);
    /* It fails: an error, and the caller's buffer as it was. */
    memset(again, 0xAA, sizeof again);
    failing = true;
    const tekho_err err = tekho_reauth_next_msk(msk, again);
    failing = false;
    CHECK_ERR(err, TEKHO_ERR_CRYPTO);
    uint8_t untouched[64];
    memset(untouched, 0xAA, sizeof untouched);
    CHECK_BYTES(again, untouched, 64);
    /* In place, as the MS calls it at re-entry: the MSK stays. */
    uint8_t in_place[64];
    memcpy(in_place, msk, 64);
    failing = true;
    const tekho_err err2 = tekho_reauth_next_msk(in_place, in_place);
    failing = false;
    CHECK_ERR(err2, TEKHO_ERR_CRYPTO);
    CHECK_BYTES(in_place, msk, 64);
    /* And it works again once OpenSSL does. */
    CHECK_ERR(tekho_reauth_next_msk(msk, again), TEKHO_OK);
    CHECK_BYTES(again, next, 64);
    return test_summary("test_digest_fails");
}
