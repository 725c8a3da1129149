/* The emulator's traffic: a user PDU each way for every frame while a
 * handover is under way (real seal and open through the roles), VoIP/CBR
 * packets modelled (or, with crypto_all, sealed) outside (sim_core.h). */

#include <string.h>

#include "sim_core.h"


/* VoIP if it is set, else CBR; 0: no packet traffic. */
static uint64_t packet_interval_us(const struct tekho_radio_params *rp)
{
    return (uint64_t)((rp->voip_interval_ms > 0 ? rp->voip_interval_ms : rp->cbr_interval_ms) * 1000);
}

/* Outside handover windows, VoIP/CBR packets are modelled, not sealed: at
 * city scale they would be most of the events, so they are not events at
 * all. The packets due before `upto` (every interval from packet_next) are
 * counted when a window opens and when a run stops, and skipped when a
 * window closes (the frame ticks carried real PDUs meanwhile). */
void tekho_sim_account_packets(struct tekho_sim *sim, uint32_t ms, uint64_t upto, bool count)
{
    struct ms_track *r = &sim->track[ms];
    const struct tekho_radio_params *rp = &sim->p.radio;
    const uint64_t interval = packet_interval_us(rp);
    if (rp->crypto_all || interval == 0 || r->packet_next == 0 || upto <= r->packet_next)
        return;
    const uint64_t due = (upto - r->packet_next + interval - 1) / interval;
    if (count)
        sim->st.modelled_pdus += 2 * due;
    r->packet_next += due * interval;
}

void tekho_sim_window_enter(struct tekho_sim *sim, uint32_t ms)
{
    struct ms_track *r = &sim->track[ms];
    if (r->in_window)
        return;
    tekho_sim_account_packets(sim, ms, sim->now, true);
    r->in_window = true;
    r->window_end = 0;
    r->window_start = sim->now;
    sim->window[sim->n_window++] = ms;
}

/* The network routes downlink to the serving BS, and during a handover
 * (once it serves no more) to the target. */
static uint32_t dl_source(struct tekho_sim *sim, uint32_t ms)
{
    const struct ms_track *tr = &sim->track[ms];
    if (sim->ext != NULL) /* real links: the MS's view (sim_external.h) */
        return tr->ext_left ? tr->target : tr->serving;
    if (tr->serving && tekho_bs_serves(sim->bs[tr->serving], ms))
        return tr->serving;
    return tr->ho_active ? tr->target : 0;
}

/* One user PDU each way through the roles: real seal and open. */
static void send_user(struct tekho_sim *sim, uint32_t i, bool in_window)
{
    struct ms_track *tr = &sim->track[i];
    uint8_t p[PAYLOAD_LEN];
    tekho_sim_payload_for(i, 0, tr->seq[0], p);
    tekho_actions_reset(sim->actions);
    tekho_err err = tekho_ms_send(sim->ms[i], sim->now, p, sizeof p, sim->actions);
    sim->st.user_pdus_offered++;
    sim->st.ho_window_offered += in_window;
    if (err == TEKHO_OK)
        tr->seq[0]++;
    tekho_sim_after_role(sim, OWNER(OWNER_MS, i), err);
    const uint32_t node = dl_source(sim, i);
    sim->st.user_pdus_offered++;
    sim->st.ho_window_offered += in_window;
    if (node == 0)
        return;
    tekho_sim_payload_for(i, 1, tr->seq[1], p);
    if (sim->ext != NULL) {
        sim->ext->dl_offer(sim->ext->ctx, node, i, tekho_sim_air_arrival(sim, sim->now, false), p, sizeof p);
        tr->seq[1]++;
        return;
    }
    tekho_actions_reset(sim->actions);
    err = tekho_bs_send(sim->bs[node], sim->now, i, p, sizeof p, sim->actions);
    if (err == TEKHO_OK)
        tr->seq[1]++;
    tekho_sim_after_role(sim, OWNER(OWNER_BS, node), err);
}

/* The user PDUs for the next frame, offered 1 us before it starts: while a
 * handover is under way (scenario mode: while an MS's traffic is on) a PDU
 * each way is ready for every frame, the densest traffic the frame
 * structure carries (a PDU handed to the air goes out in the next frame:
 * tekho_sim_air_arrival). Offered at the last instant that still makes the frame,
 * the first PDU a link can carry after any event goes out in the first
 * frame it could, so no wait for a packet (no packet interval) is in the
 * interruption. */
void tekho_sim_offer_tick(struct tekho_sim *sim)
{
    if (!sim->p.radio.enabled) {
        for (uint32_t i = 0; i < sim->p.n_ms; i++)
            if (sim->track[i].traffic)
                send_user(sim, i, false);
    } else {
        for (size_t k = 0; k < sim->n_window;) {
            const uint32_t i = sim->window[k];
            struct ms_track *tr = &sim->track[i];
            struct ms_track *r = tr;
            send_user(sim, i, true);
            /* The window closes two frames after the interruption was
             * measured (or the handover ended otherwise), at most 3 s. */
            if (!tr->ho_active && r->window_end == 0)
                r->window_end = sim->now + 2 * sim->p.frame_us;
            if ((r->window_end && sim->now >= r->window_end) || sim->now - r->window_start > 3000000) {
                r->in_window = false;
                tekho_sim_account_packets(sim, i, sim->now, false);
                sim->window[k] = sim->window[--sim->n_window];
                continue;
            }
            k++;
        }
    }
    (void)tekho_sim_push(sim, sim->now + sim->p.frame_us, EV_OFFER, 0, 0, 0, NULL, 0, false);
}

/* With crypto_all, VoIP/CBR packets outside handovers are sealed and opened
 * for real (otherwise account_packets counts them). */
void tekho_sim_packet(struct tekho_sim *sim, uint32_t i)
{
    const struct tekho_radio_params *rp = &sim->p.radio;
    if (!sim->track[i].in_window)
        send_user(sim, i, false);
    (void)tekho_sim_push(sim, sim->now + packet_interval_us(rp), EV_PACKET, i, 0, 0, NULL, 0, false);
}

void tekho_sim_traffic_start(struct tekho_sim *sim, uint32_t i, uint64_t from)
{
    const struct tekho_radio_params *rp = &sim->p.radio;
    const uint64_t interval = packet_interval_us(rp);
    if (interval > 0) {
        const uint64_t first = from + sim_rng_next(&sim->traffic) % interval;
        if (rp->crypto_all)
            (void)tekho_sim_push(sim, first, EV_PACKET, i, 0, 0, NULL, 0, false);
        else
            sim->track[i].packet_next = first;
    }
}
