/* The daemons' config parser (src/daemon/config.h): any input is refused
 * with a terminated FILE:LINE:COLUMN message, or accepted; an accepted
 * config written by tekho_config_write reads back to the same config, and
 * writing that again gives the same bytes. */
#include <stdio.h>

#include "config.h"
#include "fuzz_common.h"

/* Written to a heap buffer; NULL if the writer refused it. */
static char *written(const struct tekho_config *cfg, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    FUZZ_ASSERT(f != NULL);
    const tekho_err err = tekho_config_write(f, cfg);
    fclose(f);
    FUZZ_ASSERT(err == TEKHO_OK); /* whatever the parser accepts, the writer writes */
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = (char *)fuzz_exact_copy(data, size);
    if (in == NULL)
        return 0;
    struct tekho_config *cfg = NULL;
    char err[256];
    const tekho_err rc = tekho_config_parse(in, size, "fuzz.yaml", "/etc/tekho", &cfg, err, sizeof err);
    free(in);
    if (rc != TEKHO_OK) {
        FUZZ_ASSERT(cfg == NULL);
        FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL);
        FUZZ_ASSERT(rc == TEKHO_ERR_NO_MEMORY || strncmp(err, "fuzz.yaml:", 10) == 0);
        return 0;
    }
    size_t len1 = 0, len2 = 0;
    char *once = written(cfg, &len1);
    struct tekho_config *back = NULL;
    FUZZ_ASSERT(tekho_config_parse(once, len1, "back.yaml", "/elsewhere", &back, err, sizeof err) == TEKHO_OK);
    char *twice = written(back, &len2);
    FUZZ_ASSERT(len1 == len2 && memcmp(once, twice, len1) == 0);
    FUZZ_ASSERT(back->n_network == cfg->n_network && back->n_authd == cfg->n_authd && back->n_bs == cfg->n_bs &&
                back->mode == cfg->mode && back->msd.present == cfg->msd.present);
    for (size_t i = 0; i < cfg->n_network; i++)
        FUZZ_ASSERT(strcmp(back->network[i].key, cfg->network[i].key) == 0 &&
                    strcmp(back->network[i].value, cfg->network[i].value) == 0);
    for (size_t i = 0; i < cfg->n_bs; i++)
        FUZZ_ASSERT(back->bs[i].node == cfg->bs[i].node && back->bs[i].position[0] == cfg->bs[i].position[0] &&
                    back->bs[i].position[1] == cfg->bs[i].position[1] && back->bs[i].psk.len == cfg->bs[i].psk.len &&
                    memcmp(back->bs[i].psk.bytes, cfg->bs[i].psk.bytes, cfg->bs[i].psk.len) == 0);
    free(once);
    free(twice);
    tekho_config_free(back);
    tekho_config_free(cfg);
    return 0;
}
