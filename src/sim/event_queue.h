/* Internal: the emulator's event queue. Events wait in a slab, ordered by
 * a binary heap of (time, sequence) nodes; a timer, named by a 64-bit key,
 * has at most one pending event, which re-arming moves and cancelling
 * removes. (With lazy cancellation every re-armed timer left its old event
 * behind: in an hour of a city, millions, most of the heap and of the
 * emulator's memory.) Events beyond a horizon wait unordered in a far
 * list and join the heap when the horizon moves on: nearly all pending
 * events are timers hours away (each MS's TEK refresh, re-armed at every
 * handover), and the heap then holds only the few hundred near ones.
 * The order is the one a plain heap of every push would give: time, then
 * sequence number, which the caller assigns. */
#ifndef TEKHO_SRC_EVENT_QUEUE_H
#define TEKHO_SRC_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Messages this long or shorter travel inside the event: no allocation
 * for a user PDU (48 bytes of payload sealed with CRC: 70 bytes) and for
 * most management messages; longer ones (most backbone messages) are
 * allocated. The slab holds every pending event: at metro size, all MSs
 * entering at once, over 2.6 events an MS, so each byte here is a quarter
 * of a megabyte. */
#define SIM_EVENT_INLINE 72

struct sim_event {
    uint64_t t;
    uint64_t seq;
    int kind;
    uint32_t a, b, c, d;
    bool injected;  /* from the attacker */
    bool is_timer;  /* the queue's own (set on every push) */
    /* (sim_queue_push_message copies the fields above from its head) */
    /* The message: len bytes in bytes if it is not NULL (owned by the
     * queue while pending, by the caller once popped), else in inline.
     * Messages carry keys: the queue wipes every copy it held when the
     * event goes (popped, cancelled, re-armed, freed); the caller wipes
     * its own with sim_event_wipe. */
    uint8_t *bytes;
    size_t len;
    uint64_t timer_key; /* the queue's own */
    uint8_t inline_bytes[SIM_EVENT_INLINE];
};

struct sim_heap_node {
    uint64_t t, seq;
    uint32_t slot;
};

/* Where a slab slot's event waits. Kept apart from the (large) events:
 * every heap move updates one, and they stay in cache. */
struct sim_slot_place {
    uint32_t pos; /* in the heap, or in the far list */
    bool in_far;
};

struct sim_queue {
    struct sim_event *slab;
    struct sim_slot_place *where; /* per slab slot */
    uint32_t slab_cap;
    uint32_t *free_slots;
    uint32_t n_free;
    uint32_t slab_used; /* slots ever handed out */
    struct sim_heap_node *heap; /* events before the horizon */
    size_t n, heap_cap;
    struct sim_heap_node *far;  /* the events at or after it, unordered (seq unused) */
    size_t n_far, far_cap;
    uint64_t horizon;
    uint64_t horizon_step;      /* how far the horizon moves past the next far event; 0: 1 s */
    /* pending timers: key -> slab slot, open addressing, UINT32_MAX empty */
    uint64_t *timer_keys;
    uint32_t *timer_slots;
    size_t n_timers, timer_cap;
    size_t limit;               /* most events pending at once; 0: as many as memory holds */
    /* The slab keeps its high-water mark (every MS entering at once, at
     * metro size 2.6 events an MS), though a fraction of it is pending
     * after: once slots handed out are compact_from (0: 65536) or more and
     * four times the events pending, the pending events move down into a
     * slab of twice their number, and the rest goes back to the system. */
    uint32_t compact_from;
    unsigned long compactions;
};

static inline const uint8_t *sim_event_bytes(const struct sim_event *ev)
{
    return ev->bytes ? ev->bytes : ev->inline_bytes;
}

/* Wipes ev's message and frees its bytes (a popped event done with, or
 * one the caller made and could not queue). */
void tekho_sim_event_wipe(struct sim_event *ev);
/* Queues ev (its bytes become the queue's; the caller wipes its inline
 * copy). False: out of memory, nothing queued. */
bool tekho_sim_queue_push(struct sim_queue *q, const struct sim_event *ev);
/* Queues an event like head (its bytes and len ignored) with a copy of the
 * len bytes at bytes as its message: the only copy made. False: out of
 * memory, nothing queued. */
bool tekho_sim_queue_push_message(struct sim_queue *q, const struct sim_event *head, const uint8_t *bytes, size_t len);
/* Sets timer `key` to fire as ev (time, sequence and fields), replacing
 * any pending event of that timer. False: out of memory, nothing changed. */
bool tekho_sim_queue_arm(struct sim_queue *q, uint64_t key, const struct sim_event *ev);
/* Removes timer `key`'s pending event, if any. */
void tekho_sim_queue_cancel(struct sim_queue *q, uint64_t key);
/* The earliest event's time; false if the queue is empty. */
bool tekho_sim_queue_next_time(struct sim_queue *q, uint64_t *t);
/* Events pending, near and far. */
size_t tekho_sim_queue_len(const struct sim_queue *q);
/* Takes the earliest event; a timer's key is no longer pending once popped.
 * False if the queue is empty. */
bool tekho_sim_queue_pop(struct sim_queue *q, struct sim_event *out);
/* Frees everything, the pending events' bytes too (wiped). */
void tekho_sim_queue_free(struct sim_queue *q);

#endif
