/* The closed-form model of each scheme's handover timeline
 * (tekho_sim_model, include/tekho/sim.h): what the emulator measures with
 * the variability off, added up from frames, timers and round trips. It
 * knows the emulator's frame rule (an air PDU handed over at t goes out in
 * the next frame and arrives at the end of its DL or UL subframe), its
 * traffic (a user PDU each way offered 1 us before every frame starts),
 * and the message sequence of every scheme; where two events fall on the
 * same instant, the one scheduled first happens first, as in the event
 * queue. test_emulator checks that the emulator measures exactly these
 * figures for every scheme, as measured and under M.2134's assumptions. */
#include <stdbool.h>
#include <stdint.h>

#include "tekho/sim.h"

struct timeline {
    uint64_t f, d, b; /* frame, DL subframe, one backbone hop (us) */
};

/* Air arrivals of a PDU handed to the air at t. */
static uint64_t air_ul(const struct timeline *x, uint64_t t)
{
    return (t / x->f + 1) * x->f + x->f;
}

static uint64_t air_dl(const struct timeline *x, uint64_t t)
{
    return (t / x->f + 1) * x->f + x->d;
}

/* The first user-PDU offer at or after t (offers: j f - 1 us, j >= 1). */
static uint64_t offer_from(const struct timeline *x, uint64_t t)
{
    return (t + x->f) / x->f * x->f - 1;
}

/* Whether an event at t_event, scheduled at t_sched, comes before an
 * offer at o (scheduled one frame earlier, by the offer before it). */
static bool before_offer(const struct timeline *x, uint64_t t_event, uint64_t t_sched, uint64_t o)
{
    return t_event < o || (t_event == o && t_sched < o - x->f);
}

tekho_err tekho_sim_model(const struct tekho_sim_params *p, enum tekho_scheme scheme, double out_ms[3])
{
    if (p == NULL || out_ms == NULL || p->frame_us == 0 || scheme >= TEKHO_SCHEME_COUNT)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const double dl_ratio = p->radio.enabled ? p->radio.dl_ratio : 0.5;
    const struct timeline x = {.f = p->frame_us, .d = (uint64_t)((double)p->frame_us * dl_ratio),
                               .b = p->backbone_latency_us};
    const struct tekho_timing *tm = &p->timing;
    /* t0: MOB_BSHO-RSP arrived at the end of a DL subframe and MOB_HO-IND
     * leaves at once; the serving BS takes it at the end of the next UL
     * subframe, releases the MS and sends HO_Cnf to the target. */
    const uint64_t t0 = x.f + x.d;
    const uint64_t t_ind = air_ul(&x, t0), t_cnf = t_ind + x.b;
    const uint64_t t_sync = t0 + tm->sync_us;
    const uint64_t t_rng_sent = t_sync + tm->ranging_wait_us, t_rng = air_ul(&x, t_rng_sent);
    uint64_t ul = 0, dl = 0;
    /* reuse: an RNG-REQ that reaches the target before HO_Cnf (with the
     * TEKs) finds no keys: RNG-RSP and TEK-Invalid, then Key-Request/Reply
     * for fresh TEKs. Where HO_Cnf still comes before the Key-Request, the
     * handed-over TEKs carry the data as usual; after it, the fresh ones
     * do, once Key-Reply arrived. */
    const uint64_t t_keys_fresh = air_ul(&x, air_dl(&x, t_rng));
    const bool reuse_fallback = scheme == TEKHO_SCHEME_REUSE &&
                                (t_rng < t_cnf || (t_rng == t_cnf && t_rng_sent < t_ind)) && t_cnf > t_keys_fresh;
    if (reuse_fallback) {
        const uint64_t t_keys = t_keys_fresh, t_done = air_dl(&x, t_keys);
        uint64_t o = offer_from(&x, t_keys + 1);
        while (air_dl(&x, o) < t_done)
            o += x.f;
        dl = air_dl(&x, o);
        ul = air_ul(&x, offer_from(&x, t_done));
    } else if (tekho_scheme_early_data(scheme)) {
        /* User data each way from synchronisation on, before ranging. The
         * target opens UL at once (none, counter: it prepared the keys),
         * or once HO_Cnf brought them (reuse). */
        const bool keys_in_cnf = scheme == TEKHO_SCHEME_REUSE;
        uint64_t o = offer_from(&x, t_sync);
        if (o == t_sync && !(t0 < o - x.f)) /* the offer came first: the MS was not yet synchronised */
            o += x.f;
        for (;; o += x.f) {
            const uint64_t a = air_ul(&x, o);
            if (!keys_in_cnf || t_cnf < a || (t_cnf == a && t_ind < o)) {
                ul = a;
                break;
            }
        }
        /* The target sends DL once the MS has left the serving BS (HO_Cnf)
         * or an UL PDU confirmed the keys (reuse: once HO_Cnf brought
         * them); the MS takes it once synchronised. */
        for (o = offer_from(&x, t_ind + 1);; o += x.f) {
            const bool cnf = before_offer(&x, t_cnf, t_ind, o);
            const bool may = keys_in_cnf ? cnf : cnf || ul < o;
            if (may && air_dl(&x, o) >= t_sync) {
                dl = air_dl(&x, o);
                break;
            }
        }
    } else {
        /* Ranging first: the RNG-REQ in the ranging opportunity after
         * synchronisation, RNG-RSP at once. */
        uint64_t t_keys = t_rng, t_done = air_dl(&x, t_rng);
        if (scheme == TEKHO_SCHEME_BASELINE_CHALLENGE) {
            /* The SA Challenge Tuple in RNG-RSP, SA-TEK-Request back, and
             * SA-TEK-Response with the TEKs: the target's last answer. */
            t_keys = air_ul(&x, air_dl(&x, t_rng));
            t_done = air_dl(&x, t_keys);
        }
        if (scheme == TEKHO_SCHEME_BASELINE_FULL) {
            /* Re-authentication: Context_Req to the Authenticator; with
             * EAP on the air, each EAP-Request goes to the target and over
             * the air, its response back the same way, and the AAA round
             * trips follow the last responses (src/roles/auth.c,
             * eap_aaa_after); without, the AAA round trips alone. Then
             * Context_Rpt back, and on the air the SA-TEK 3-way
             * (Challenge, Request, Response) and Key-Request/Reply. */
            const unsigned e = tm->eap_round_trips, aaa = tm->aaa_round_trips;
            uint64_t t = t_rng + x.b;
            if (e == 0)
                t += tm->aaa_rtt_us * aaa;
            for (unsigned k = 1; k <= e; k++) {
                t = air_ul(&x, air_dl(&x, t + x.b)) + x.b;
                const unsigned n = aaa <= e ? (k + aaa > e ? 1u : 0u) : (k == e ? aaa - e + 1u : 1u);
                t += (uint64_t)n * tm->aaa_rtt_us;
            }
            const uint64_t t_ctx = t + x.b;
            const uint64_t t_request = air_dl(&x, t_ctx), t_response = air_ul(&x, t_request);
            const uint64_t t_key_request = air_dl(&x, t_response);
            t_keys = air_ul(&x, t_key_request);
            t_done = air_dl(&x, t_keys);
        }
        /* The target sends DL from the instant it answered last; the MS
         * takes it once that answer arrived; UL follows. */
        uint64_t o = offer_from(&x, t_keys + 1);
        while (air_dl(&x, o) < t_done)
            o += x.f;
        dl = air_dl(&x, o);
        ul = air_ul(&x, offer_from(&x, t_done));
    }
    out_ms[TEKHO_SIM_UL] = (double)(ul - t0) / 1000.0;
    out_ms[TEKHO_SIM_DL] = (double)(dl - t0) / 1000.0;
    out_ms[TEKHO_SIM_UNION] = (double)((ul > dl ? ul : dl) - t0) / 1000.0;
    return TEKHO_OK;
}
