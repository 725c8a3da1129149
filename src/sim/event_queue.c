#include "event_queue.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define NO_SLOT UINT32_MAX

/* Messages carry keys (a Context_Rpt has the AK, a Key-Reply TEKs): every
 * copy the queue held is wiped once the event is gone. */
static void wipe_inline(struct sim_event *ev)
{
    if (ev->bytes == NULL && ev->len > 0)
        OPENSSL_cleanse(ev->inline_bytes, ev->len < SIM_EVENT_INLINE ? ev->len : SIM_EVENT_INLINE);
}

void tekho_sim_event_wipe(struct sim_event *ev)
{
    if (ev->bytes != NULL)
        OPENSSL_clear_free(ev->bytes, ev->len);
    else
        wipe_inline(ev);
    ev->bytes = NULL;
    ev->len = 0;
}

static bool node_before(const struct sim_heap_node *x, const struct sim_heap_node *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void place(struct sim_queue *q, size_t pos, const struct sim_heap_node *node)
{
    q->heap[pos] = *node;
    q->where[node->slot].pos = (uint32_t)pos;
}

/* A 4-ary heap: half the depth of a binary one, and a node's children
 * share a cache line or two, which matters once it holds every MS's timers. */
#define ARITY 4

static void sift_up(struct sim_queue *q, size_t pos)
{
    const struct sim_heap_node node = q->heap[pos];
    while (pos > 0) {
        const size_t parent = (pos - 1) / ARITY;
        if (!node_before(&node, &q->heap[parent]))
            break;
        place(q, pos, &q->heap[parent]);
        pos = parent;
    }
    place(q, pos, &node);
}

static void sift_down(struct sim_queue *q, size_t pos)
{
    const struct sim_heap_node node = q->heap[pos];
    for (;;) {
        const size_t child = ARITY * pos + 1;
        if (child >= q->n)
            break;
        const size_t end = child + ARITY < q->n ? child + ARITY : q->n;
        size_t first = child;
        for (size_t c = child + 1; c < end; c++)
            if (node_before(&q->heap[c], &q->heap[first]))
                first = c;
        if (!node_before(&q->heap[first], &node))
            break;
        place(q, pos, &q->heap[first]);
        pos = first;
    }
    place(q, pos, &node);
}

/* Re-orders the node at pos after its key changed either way. */
static void reposition(struct sim_queue *q, size_t pos)
{
    if (pos > 0 && node_before(&q->heap[pos], &q->heap[(pos - 1) / ARITY]))
        sift_up(q, pos);
    else
        sift_down(q, pos);
}

/* Takes the node at pos out of the heap; its slab slot is left to the caller. */
static void heap_remove(struct sim_queue *q, size_t pos)
{
    q->n--;
    if (pos == q->n)
        return;
    place(q, pos, &q->heap[q->n]);
    reposition(q, pos);
}

/* Doubles *nodes until it holds need. */
static bool grow_nodes(struct sim_heap_node **nodes, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    const size_t bigger = *cap ? *cap * 2 : 256;
    struct sim_heap_node *grown = realloc(*nodes, bigger * sizeof *grown);
    if (grown == NULL)
        return false;
    *nodes = grown;
    *cap = bigger;
    return true;
}

/* Room for one more event, wherever it goes: the heap and the far list
 * can each hold every event, so moving between them never fails. */
static bool reserve(struct sim_queue *q)
{
    const size_t total = q->n + q->n_far + 1;
    if (q->limit != 0 && total > q->limit)
        return false;
    if (!grow_nodes(&q->heap, &q->heap_cap, total) || !grow_nodes(&q->far, &q->far_cap, total))
        return false;
    if (q->n_free == 0 && q->slab_used == q->slab_cap) {
        const uint32_t cap = q->slab_cap ? q->slab_cap * 2 : 256;
        /* Not realloc: the old slab holds pending messages, wiped before it goes. */
        struct sim_event *slab = malloc(cap * sizeof *slab);
        if (slab == NULL)
            return false;
        if (q->slab_cap) {
            memcpy(slab, q->slab, q->slab_cap * sizeof *slab);
            OPENSSL_cleanse(q->slab, q->slab_cap * sizeof *slab);
        }
        free(q->slab);
        q->slab = slab;
        struct sim_slot_place *where = realloc(q->where, cap * sizeof *where);
        if (where == NULL)
            return false;
        q->where = where;
        uint32_t *free_slots = realloc(q->free_slots, cap * sizeof *free_slots);
        if (free_slots == NULL)
            return false;
        q->free_slots = free_slots;
        q->slab_cap = cap;
    }
    return true;
}

/* Puts the event in slot where its time belongs: the heap or the far list. */
static void enqueue(struct sim_queue *q, uint32_t slot)
{
    const struct sim_event *ev = &q->slab[slot];
    if (ev->t >= q->horizon) {
        q->where[slot] = (struct sim_slot_place){.pos = (uint32_t)q->n_far, .in_far = true};
        q->far[q->n_far++] = (struct sim_heap_node){.t = ev->t, .slot = slot};
        return;
    }
    q->where[slot].in_far = false;
    const struct sim_heap_node node = {.t = ev->t, .seq = ev->seq, .slot = slot};
    q->heap[q->n++] = node;
    sift_up(q, q->n - 1);
}

/* Takes the event in slot out of the heap or the far list; the slot stays. */
static void dequeue(struct sim_queue *q, uint32_t slot)
{
    const struct sim_slot_place at = q->where[slot];
    if (!at.in_far) {
        heap_remove(q, at.pos);
        return;
    }
    const struct sim_heap_node moved = q->far[--q->n_far];
    q->far[at.pos] = moved;
    q->where[moved.slot].pos = at.pos;
}

/* With the heap empty, the horizon moves to a step past the earliest far
 * event, and the far events before it join the heap. */
static void advance_horizon(struct sim_queue *q)
{
    if (q->n > 0 || q->n_far == 0)
        return;
    uint64_t earliest = UINT64_MAX;
    for (size_t i = 0; i < q->n_far; i++)
        if (q->far[i].t < earliest)
            earliest = q->far[i].t;
    const uint64_t step = q->horizon_step ? q->horizon_step : 1000000u;
    q->horizon = earliest > UINT64_MAX - step ? UINT64_MAX : earliest + step;
    for (size_t i = 0; i < q->n_far;) {
        const uint32_t slot = q->far[i].slot;
        if (q->far[i].t < q->horizon) {
            dequeue(q, slot);
            enqueue(q, slot);
        } else {
            i++;
        }
    }
}

/* Queues ev into a slot; reserve() must have succeeded. */
static uint32_t insert(struct sim_queue *q, const struct sim_event *ev)
{
    const uint32_t slot = q->n_free ? q->free_slots[--q->n_free] : q->slab_used++;
    q->slab[slot] = *ev;
    q->slab[slot].is_timer = false;
    enqueue(q, slot);
    return slot;
}

bool tekho_sim_queue_push(struct sim_queue *q, const struct sim_event *ev)
{
    if (!reserve(q))
        return false;
    (void)insert(q, ev);
    return true;
}

bool tekho_sim_queue_push_message(struct sim_queue *q, const struct sim_event *head, const uint8_t *bytes, size_t len)
{
    uint8_t *heap = NULL;
    if (len > SIM_EVENT_INLINE && (heap = malloc(len)) == NULL)
        return false;
    if (!reserve(q)) {
        free(heap);
        return false;
    }
    const uint32_t slot = q->n_free ? q->free_slots[--q->n_free] : q->slab_used++;
    struct sim_event *ev = &q->slab[slot];
    /* The header without a 160-byte copy of an inline message, which goes straight in. */
    memcpy(ev, head, offsetof(struct sim_event, bytes));
    ev->bytes = heap;
    ev->len = len;
    if (len)
        memcpy(heap ? heap : ev->inline_bytes, bytes, len);
    ev->is_timer = false;
    ev->timer_key = 0;
    enqueue(q, slot);
    return true;
}

bool tekho_sim_queue_next_time(struct sim_queue *q, uint64_t *t)
{
    advance_horizon(q);
    if (q->n == 0)
        return false;
    *t = q->heap[0].t;
    return true;
}

size_t tekho_sim_queue_len(const struct sim_queue *q)
{
    return q->n + q->n_far;
}

/* ---- the timer map: linear probing, deletion by backward shift ------------------ */

static size_t home(const struct sim_queue *q, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15u) >> 32) & (q->timer_cap - 1);
}

/* The map position holding key, or the empty one where it would go. */
static size_t timer_position(const struct sim_queue *q, uint64_t key)
{
    size_t j = home(q, key);
    while (q->timer_slots[j] != NO_SLOT && q->timer_keys[j] != key)
        j = (j + 1) & (q->timer_cap - 1);
    return j;
}

static bool timer_map_grow(struct sim_queue *q)
{
    const size_t cap = q->timer_cap ? q->timer_cap * 2 : 1024;
    uint64_t *keys = malloc(cap * sizeof *keys);
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (keys == NULL || slots == NULL) {
        free(keys);
        free(slots);
        return false;
    }
    for (size_t i = 0; i < cap; i++)
        slots[i] = NO_SLOT;
    struct sim_queue bigger = *q;
    bigger.timer_keys = keys;
    bigger.timer_slots = slots;
    bigger.timer_cap = cap;
    for (size_t i = 0; i < q->timer_cap; i++)
        if (q->timer_slots[i] != NO_SLOT) {
            const size_t j = timer_position(&bigger, q->timer_keys[i]);
            keys[j] = q->timer_keys[i];
            slots[j] = q->timer_slots[i];
        }
    free(q->timer_keys);
    free(q->timer_slots);
    q->timer_keys = keys;
    q->timer_slots = slots;
    q->timer_cap = cap;
    return true;
}

static void timer_map_delete(struct sim_queue *q, size_t j)
{
    q->timer_slots[j] = NO_SLOT;
    q->n_timers--;
    /* Pull back any later entry of the run that may no longer be reached. */
    for (size_t k = (j + 1) & (q->timer_cap - 1); q->timer_slots[k] != NO_SLOT; k = (k + 1) & (q->timer_cap - 1)) {
        const size_t h = home(q, q->timer_keys[k]);
        /* k's entry can move to the hole j unless its home lies cyclically in (j, k]. */
        const bool reachable = j <= k ? (h > j && h <= k) : (h > j || h <= k);
        if (reachable)
            continue;
        q->timer_keys[j] = q->timer_keys[k];
        q->timer_slots[j] = q->timer_slots[k];
        q->timer_slots[k] = NO_SLOT;
        j = k;
    }
}

bool tekho_sim_queue_arm(struct sim_queue *q, uint64_t key, const struct sim_event *ev)
{
    if (q->timer_cap && q->n_timers) {
        const size_t j = timer_position(q, key);
        const uint32_t slot = q->timer_slots[j];
        if (slot != NO_SLOT) {
            struct sim_event *pending = &q->slab[slot];
            if (!q->where[slot].in_far && ev->t < q->horizon) {
                /* stays in the heap: re-ordered where it is */
                const uint32_t pos = q->where[slot].pos;
                tekho_sim_event_wipe(pending);
                *pending = *ev;
                pending->is_timer = true;
                pending->timer_key = key;
                q->heap[pos].t = ev->t;
                q->heap[pos].seq = ev->seq;
                reposition(q, pos);
                return true;
            }
            dequeue(q, slot);
            tekho_sim_event_wipe(pending);
            *pending = *ev;
            pending->is_timer = true;
            pending->timer_key = key;
            enqueue(q, slot);
            return true;
        }
    }
    if ((q->n_timers + 1) * 2 > q->timer_cap && !timer_map_grow(q))
        return false;
    if (!reserve(q))
        return false;
    const uint32_t slot = insert(q, ev);
    q->slab[slot].is_timer = true;
    q->slab[slot].timer_key = key;
    const size_t j = timer_position(q, key);
    q->timer_keys[j] = key;
    q->timer_slots[j] = slot;
    q->n_timers++;
    return true;
}

static void release(struct sim_queue *q, uint32_t slot)
{
    q->free_slots[q->n_free++] = slot;
}

void tekho_sim_queue_cancel(struct sim_queue *q, uint64_t key)
{
    if (q->n_timers == 0)
        return;
    const size_t j = timer_position(q, key);
    const uint32_t slot = q->timer_slots[j];
    if (slot == NO_SLOT)
        return;
    timer_map_delete(q, j);
    dequeue(q, slot);
    tekho_sim_event_wipe(&q->slab[slot]);
    release(q, slot);
}

/* Moves the pending events into a slab of cap slots, numbered in heap
 * then far-list order; nothing changes if memory for it is short. */
static void compact(struct sim_queue *q, uint32_t cap)
{
    const size_t live = q->n + q->n_far;
    struct sim_event *slab = malloc(cap * sizeof *slab);
    struct sim_slot_place *where = malloc(cap * sizeof *where);
    uint32_t *free_slots = malloc(cap * sizeof *free_slots);
    uint32_t *renumber = malloc(q->slab_used * sizeof *renumber);
    struct sim_heap_node *heap = malloc(cap * sizeof *heap), *far = malloc(cap * sizeof *far);
    if (slab == NULL || where == NULL || free_slots == NULL || renumber == NULL || heap == NULL || far == NULL ||
        live > cap) {
        free(slab);
        free(where);
        free(free_slots);
        free(renumber);
        free(heap);
        free(far);
        return;
    }
    uint32_t k = 0;
    for (size_t i = 0; i < q->n; i++, k++) {
        renumber[q->heap[i].slot] = k;
        slab[k] = q->slab[q->heap[i].slot]; /* its bytes, if allocated, move with it */
        heap[i] = q->heap[i];
        heap[i].slot = k;
        where[k] = (struct sim_slot_place){.pos = (uint32_t)i, .in_far = false};
    }
    for (size_t i = 0; i < q->n_far; i++, k++) {
        renumber[q->far[i].slot] = k;
        slab[k] = q->slab[q->far[i].slot];
        far[i] = q->far[i];
        far[i].slot = k;
        where[k] = (struct sim_slot_place){.pos = (uint32_t)i, .in_far = true};
    }
    for (size_t j = 0; j < q->timer_cap; j++)
        if (q->timer_slots[j] != NO_SLOT)
            q->timer_slots[j] = renumber[q->timer_slots[j]];
    /* The old slab held the pending messages inline: wiped before it goes. */
    OPENSSL_cleanse(q->slab, q->slab_used * sizeof *q->slab);
    free(q->slab);
    free(q->where);
    free(q->free_slots);
    free(q->heap);
    free(q->far);
    free(renumber);
    q->slab = slab;
    q->where = where;
    q->free_slots = free_slots;
    q->heap = heap;
    q->far = far;
    q->slab_cap = cap;
    q->heap_cap = q->far_cap = cap;
    q->slab_used = k;
    q->n_free = 0;
    q->compactions++;
}

bool tekho_sim_queue_pop(struct sim_queue *q, struct sim_event *out)
{
    advance_horizon(q);
    if (q->n == 0)
        return false;
    const uint32_t slot = q->heap[0].slot;
    *out = q->slab[slot];
    /* The message is the caller's now (sim_event_wipe); the slot keeps no copy. */
    wipe_inline(&q->slab[slot]);
    q->slab[slot].bytes = NULL;
    q->slab[slot].len = 0;
    if (out->is_timer)
        timer_map_delete(q, timer_position(q, out->timer_key));
    heap_remove(q, 0);
    release(q, slot);
    const size_t live = q->n + q->n_far;
    if (q->slab_used >= (q->compact_from ? q->compact_from : 65536u) && live * 4 < q->slab_used) {
        uint32_t cap = 256;
        while (cap < 2 * live)
            cap *= 2;
        compact(q, cap);
    }
    return true;
}

void tekho_sim_queue_free(struct sim_queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        tekho_sim_event_wipe(&q->slab[q->heap[i].slot]);
    for (size_t i = 0; i < q->n_far; i++)
        tekho_sim_event_wipe(&q->slab[q->far[i].slot]);
    free(q->slab);
    free(q->where);
    free(q->far);
    free(q->free_slots);
    free(q->heap);
    free(q->timer_keys);
    free(q->timer_slots);
    memset(q, 0, sizeof *q);
}
