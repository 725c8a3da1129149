/* The explorer's decision stream (stream.h). */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

void tekho_xs_init_generate(struct xp_stream *s, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->generate = true;
    tekho_sim_rng_seed(&s->rng, seed);
}

void tekho_xs_init_replay(struct xp_stream *s, const uint8_t *bytes, size_t len)
{
    memset(s, 0, sizeof *s);
    s->in = bytes;
    s->in_len = bytes ? len : 0;
}

void tekho_xs_free(struct xp_stream *s)
{
    free(s->rec);
    s->rec = NULL;
    s->pos = s->cap = 0;
}

uint8_t tekho_xs_byte(struct xp_stream *s, uint8_t generated)
{
    if (!s->generate) {
        /* Replaying: past the input's end every choice is the benign one.
         * What a replay read is a prefix of its input: nothing to record. */
        const uint8_t b = s->pos < s->in_len ? s->in[s->pos] : 0;
        s->pos++;
        return b;
    }
    if (s->pos == s->cap) {
        const size_t cap = s->cap ? s->cap * 2 : 4096;
        uint8_t *rec = realloc(s->rec, cap);
        if (rec == NULL) {
            s->oom = true;
            return generated;
        }
        s->rec = rec;
        s->cap = cap;
    }
    s->rec[s->pos++] = generated;
    return generated;
}
