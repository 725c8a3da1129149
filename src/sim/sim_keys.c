/* The keys a simulated run used, for checking its captures (sim.h):
 * every MSK an MS held, in order. Kept apart from the driver (sim.c), on
 * the public queries of the simulation and its roles. */
#include <openssl/crypto.h>
#include <string.h>

#include "tekho/sim.h"
#include "../roles/common.h"

tekho_err tekho_sim_ms_msks(struct tekho_sim *sim, uint32_t index, uint8_t msks[][64], size_t max, size_t *n)
{
    if (sim == NULL || n == NULL || (msks == NULL && max != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    const struct tekho_ms *ms = tekho_sim_ms(sim, index);
    const struct tekho_auth *auth = tekho_sim_auth(sim);
    if (ms == NULL || auth == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* Either side may be a re-authentication ahead of the other: the
     * Authenticator's new MSK signs a challenge the MS never received. */
    uint8_t mac[6];
    tekho_ms_mac_of_index(index, mac);
    const uint32_t at_ms = tekho_ms_pmk_generation(ms), at_auth = tekho_auth_pmk_generation(auth, mac);
    const size_t total = 1 + (size_t)(at_ms > at_auth ? at_ms : at_auth);
    uint8_t msk[64];
    tekho_err err = tekho_sim_ms_msk(sim, index, msk);
    for (size_t i = 0; err == TEKHO_OK && i < total && i < max; i++) {
        memcpy(msks[i], msk, 64);
        if (i + 1 < total && i + 1 < max)
            err = tekho_reauth_next_msk(msk, msk);
    }
    OPENSSL_cleanse(msk, sizeof msk);
    if (err != TEKHO_OK) {
        OPENSSL_cleanse(msks, (total < max ? total : max) * sizeof msks[0]);
        return err;
    }
    *n = total;
    return TEKHO_OK;
}
