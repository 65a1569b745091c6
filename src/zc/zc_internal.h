/*
 * zc_internal.h - the zero-copy channel's queues, shared by its files.
 *
 * The rings live in a memfd the application maps read-write, so every
 * index and entry the daemon reads there is untrusted.  The daemon keeps
 * its own side of each ring (its producer or consumer index) in a struct
 * zc_ring in its own memory and only ever publishes it: it never reads its
 * own index back from shared memory.  Entries are copied out once, then
 * checked.
 */
#ifndef SFNIC_ZC_INTERNAL_H
#define SFNIC_ZC_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "zc.h"
#include "zc_proto.h"
#include "../dp/dp.h"

/* The daemon's view of one ring. */
struct zc_ring {
	struct sfnic_zc_ring_hdr *hdr;
	void *entries;
	uint32_t size, mask;    /* size 0: the ring is not used */
	uint32_t local;         /* the daemon's producer or consumer index */
};

/* The rings memfd: RX, FILL, TX, COMP at page-aligned offsets. */
struct zc_rings {
	int fd;
	void *map;
	size_t size;
	uint64_t off[4];
	struct zc_ring rx, fill, tx, comp;
};

/* Creates and seals the rings memfd (TX and COMP empty when tx_size is 0).
 * Returns 0 or -errno. */
int zc_rings_create(struct zc_rings *r, const char *name, uint32_t size, uint32_t tx_size);
void zc_rings_destroy(struct zc_rings *r);

/* Entries the application has produced on r (FILL, TX) past the daemon's
 * consumer index; 0 and *bad++ when its producer index jumped. */
static inline uint32_t zc_ring_avail(struct zc_ring *r, uint64_t *bad)
{
	uint32_t n = atomic_load_explicit(&r->hdr->producer, memory_order_acquire) - r->local;

	if (__builtin_expect(n > r->size, 0)) {
		(*bad)++;
		return 0;
	}
	return n;
}

/* Free slots on r (RX, COMP); 0 and *bad++ when the application's consumer
 * index is not one the daemon's producer index allows. */
static inline uint32_t zc_ring_room(struct zc_ring *r, uint64_t *bad)
{
	uint32_t used = r->local - atomic_load_explicit(&r->hdr->consumer, memory_order_acquire);

	if (__builtin_expect(used > r->size, 0)) {
		(*bad)++;
		return 0;
	}
	return r->size - used;
}

/* Publishes the daemon's index of a ring it produces (producer) or
 * consumes (consumer). */
static inline void zc_ring_publish_prod(struct zc_ring *r)
{
	atomic_store_explicit(&r->hdr->producer, r->local, memory_order_release);
}

static inline void zc_ring_publish_cons(struct zc_ring *r)
{
	atomic_store_explicit(&r->hdr->consumer, r->local, memory_order_release);
}

/* One read of a shared entry: the value checked is the value used. */
static inline uint32_t zc_ring_frame(const struct zc_ring *r, uint32_t idx)
{
	return atomic_load_explicit(&((_Atomic uint32_t *)r->entries)[idx & r->mask],
				    memory_order_relaxed);
}

static inline struct sfnic_zc_desc zc_ring_desc(const struct zc_ring *r, uint32_t idx)
{
	_Atomic uint64_t *e = &((_Atomic uint64_t *)r->entries)[idx & r->mask];
	uint64_t v = atomic_load_explicit(e, memory_order_relaxed);
	struct sfnic_zc_desc d;

	__builtin_memcpy(&d, &v, sizeof(d));
	return d;
}

/* A queue's ring lock: held per burst, not per frame, and uncontended
 * unless several workers feed one queue. */
static inline void zc_lock(atomic_flag *l)
{
	while (atomic_flag_test_and_set_explicit(l, memory_order_acquire))
		__builtin_ia32_pause();
}

static inline void zc_unlock(atomic_flag *l)
{
	atomic_flag_clear_explicit(l, memory_order_release);
}

/* Signals efd when the application sleeps on ring r's NEED_WAKEUP flag
 * (after the entries it waits for were published). */
void zc_ring_signal(struct zc_ring *r, int efd);

/*
 * An exclusive queue: a fresh trust domain's region with one page pool,
 * the four rings, and per-frame ownership.  Its dp_backend
 * is function queue Q of the SF: tx_burst (any worker, serialised by a
 * spinlock) copies frames steered to Q into frames of the pool and puts
 * them on RX; rx_burst (the port's owner worker) copies TX frames into the
 * SF's pool, into the eswitch, and gives them back on COMP.
 */
struct zc_excl {
	struct dp_backend be;
	struct zc_rings rings;
	atomic_flag lock;               /* RX producer, FILL consumer */
	struct pp_region *region;
	struct pp_pool *pool;           /* under lock: its owner is the lock holder */
	uint32_t frames, frame_size, max_outstanding;
	_Atomic uint8_t *held;          /* [frame]: 1 while the application holds it */
	_Atomic uint32_t outstanding;
	int efd_app, efd_kick;
	/* under lock */
	uint64_t rx_frames, rx_bytes, overruns, fill_invalid, rx_bad;
	/* owner worker */
	uint64_t tx_frames, tx_bytes, tx_invalid, tx_bad;
	/* Injected fault (SET_FAULT ZC_NO_RETURN): FILL is not read, as if
	 * the application had stopped giving frames back. */
	_Atomic bool no_return;
};

/* Creates an exclusive queue's memory and rings: `frames` frames of
 * PP_BUF_SIZE in trust domain `domain`.  tx_frames are put on COMP at once.
 * Returns NULL with a reason in err. */
struct zc_excl *zc_excl_create(const char *name, uint32_t domain, uint32_t frames,
			       uint32_t ring_size, uint32_t max_outstanding, uint32_t tx_frames,
			       char *err, size_t errlen);

/* Takes back every frame the application holds.  The queue must be
 * detached from the datapath (no worker calls it). */
void zc_excl_reclaim(struct zc_excl *q);

/* Destroys the pool (deferred while frames are in flight) and frees the
 * queue; the region is returned for the caller to destroy once every
 * buffer is home (pp_region_free() == frames). */
struct pp_region *zc_excl_destroy(struct zc_excl *q);

void zc_excl_stats(const struct zc_excl *q, struct sfnic_zc_stats *st);

/*
 * A read-only tap: RX and FILL rings over a port's region.  deliver() puts
 * the region's frames on RX, holding each (its held[] flag, which the
 * region's pools respect) until the application returns it on FILL; poll()
 * takes the returns.  Both lock: a function's
 * taps are fed by every worker that delivers to it, and polled by the
 * control thread (zc_tap_poll) when no worker polls them.
 */
struct zc_tap {
	struct dp_tap_ops ops;
	atomic_flag lock;               /* RX producer, FILL consumer */
	struct zc_rings rings;
	uint32_t frames;                /* the region's */
	_Atomic uint8_t *held;          /* [frame]: 1 while the application holds it;
					 * registered with the region (dp_port_add_tap) */
	uint32_t outstanding, max_outstanding;
	int efd_app;
	int efd_kick;                   /* never read: a tap has nothing to kick */
	uint64_t rx_frames, rx_bytes, overruns, fill_invalid, bad;
	/* Injected fault (SET_FAULT ZC_NO_RETURN): FILL is not read, as if
	 * the application had stopped giving frames back. */
	_Atomic bool no_return;
};

struct zc_tap *zc_tap_create(const char *name, uint32_t frames, uint32_t ring_size,
			     uint32_t max_outstanding, char *err, size_t errlen);

/* Takes the frames the application gave back (any thread). */
void zc_tap_poll(void *ctx);

/* Lets go of everything the tap holds (it must be detached). */
void zc_tap_reclaim(struct zc_tap *t);
void zc_tap_destroy(struct zc_tap *t);
void zc_tap_stats(const struct zc_tap *t, struct sfnic_zc_stats *st);

#endif
