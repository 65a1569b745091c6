/*
 * zc.h - libsfnic's zero-copy queues: packet memory of an sfnic port mapped
 * into an application (seed 004's memory model, in its three modes).
 *
 * The model.  Every packet buffer lives in a region: a memfd divided into
 * frames of frame_size bytes, named by index, belonging to one trust domain
 * (the uplink and PF share the host's, each SF has its own, each exclusive
 * queue gets a fresh one).  An application opens a queue with
 * sfnic_zc_open() over <run-dir>/zc.sock; the daemon passes it the queue's
 * region and a memfd holding four rings, and the library maps both.
 *
 *   exclusive  A new receive queue of an SF function (queue 2..15 of its
 *              RX steering, `sfnic ethtool -N DEV ... action Q`).  Its region
 *              is a fresh trust domain that is this application's alone,
 *              zero when it is created, mapped read-write.  Frames steered
 *              to the queue are written into its frames: the one copy a
 *              NIC's DMA makes, and the only one.  The application may
 *              transmit from its frames; they are copied once into the
 *              SF's memory and enter the eswitch as frames the SF sent.
 *              Allowed to root, the daemon's user and the SF's zc_owner.
 *   single     A read-only tap on an RX queue of any port, p0 included: the
 *   shared     frames the queue receives (p0's queue N: what worker N takes
 *              from the wire; an SF's queue 0: what its netdev receives, 1:
 *              what its memif interface receives; pf0's queue 0), seen in
 *              place in the port's own region, while they go on to their
 *              destinations.  The region is
 *              mapped from a descriptor opened read-only: no mmap or
 *              mprotect in the application can make it writable, so a
 *              write faults in the application and nowhere else.  single
 *              refuses a second tap on the queue; shared allows many.  Root
 *              and the daemon's user only: a tapped region carries other
 *              flows' data.
 *
 * The rings, as AF_XDP's: single producer, single consumer, a power of two
 * of entries, the producer and consumer indexes free-running 32-bit
 * counters on cache lines of their own, published with release and read
 * with acquire.
 *
 *   RX    daemon -> app   struct sfnic_zc_desc: a frame the app now holds
 *   FILL  app -> daemon   uint32_t frame index: a frame the app gives back
 *   TX    app -> daemon   struct sfnic_zc_desc: a frame to transmit (exclusive)
 *   COMP  daemon -> app   uint32_t frame index: a frame the app now holds,
 *                         one for each frame it transmitted (exclusive)
 *
 * Every frame is held either by the application or by the daemon.  The
 * application holds what it took from RX or COMP until it puts it on FILL
 * or TX; the daemon accepts from FILL and TX only frames the application
 * holds at that moment, so a frame returned twice, or never held, is
 * ignored and counted (invalid_desc), never recycled twice.  A frame on
 * TX is copied out of the application's memory (as a NIC's DMA reads it)
 * before the eswitch classifies it, so rewriting it later changes nothing;
 * it comes back on COMP at once, the same index.  opts.tx_frames asks for
 * frames on COMP at open, for applications that originate traffic.
 *
 * Limits.  An application holds at most max_outstanding frames; past that,
 * and when RX is full, the queue loses frames (overruns) and nothing else
 * does: not the port, not other queues, not other taps.  An application
 * that exits or dies gives every frame back (its socket closes).  The
 * daemon's own metadata never lives in a mapped page.
 *
 * Sleeping.  sfnic_zc_fd() is an eventfd the daemon signals when RX (or
 * COMP) has entries while the RX ring's SFNIC_ZC_RING_NEED_WAKEUP flag is
 * set; sfnic_zc_wait() sets the flag, checks the rings once more, and
 * sleeps.  The daemon sets the flag on the TX and FILL rings while its
 * worker sleeps: after submitting, call sfnic_zc_kick() when
 * sfnic_zc_ring_needs_wakeup() says so (libxdp's sendto() wakeup).
 *
 * Threads: a struct sfnic_zc is not thread-safe.  Use one per thread, or
 * one thread per ring.  The header is C11 (<stdatomic.h>); it is not meant
 * for C++ compilers before C++23's <stdatomic.h>.
 */
#ifndef SFNIC_ZC_H
#define SFNIC_ZC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sfnic_zc_mode {
	SFNIC_ZC_EXCLUSIVE = 0,
	SFNIC_ZC_SINGLE = 1,
	SFNIC_ZC_SHARED = 2,
};

#define SFNIC_ZC_QUEUE_NEW UINT32_MAX   /* exclusive: the daemon picks a free queue */
#define SFNIC_ZC_RING_NEED_WAKEUP 1u    /* in a ring's flags */

/* A frame on RX or TX: frame index, offset of its first byte in the frame,
 * length.  off + len never exceeds the frame size. */
struct sfnic_zc_desc {
	uint32_t buf;
	uint16_t off;
	uint16_t len;
};

/* The head of each ring in the rings memfd; the entries follow it.  The
 * three words sit on separate cache lines (and the adjacent-line
 * prefetcher's pairs) so producer and consumer never share one. */
struct sfnic_zc_ring_hdr {
	_Atomic uint32_t producer;
	uint8_t pad0[124];
	_Atomic uint32_t consumer;
	uint8_t pad1[124];
	_Atomic uint32_t flags;
	uint8_t pad2[124];
};

/* A ring as the application sees it (xsk_ring_prod/xsk_ring_cons). */
struct sfnic_zc_ring {
	uint32_t cached_prod;
	uint32_t cached_cons;
	uint32_t mask;
	uint32_t size;
	_Atomic uint32_t *producer;
	_Atomic uint32_t *consumer;
	_Atomic uint32_t *flags;
	void *entries;
};

struct sfnic_zc_opts {
	uint32_t ring_size;       /* entries of each ring, a power of two in
				   * 64..16384; 0: 2048 */
	uint32_t frames;          /* exclusive: frames in the region (64..65536); 0: 4096 */
	uint32_t max_outstanding; /* frames the application may hold at once;
				   * 0: frames - 256 (exclusive; half of 512 or
				   * fewer), 256 or a quarter of the region (taps) */
	uint32_t domain;          /* the trust domain the application expects, */
	bool domain_check;        /* taps: when set, a queue of another domain is
				   * refused (exclusive queues get a fresh one) */
	uint32_t tx_frames;       /* exclusive: frames handed over on COMP at open */
};

/* What an open queue is. */
struct sfnic_zc_info {
	void *area;               /* the mapped region: frame i at area + i * frame_size */
	uint32_t frame_size;
	uint32_t frames;
	uint32_t headroom;        /* where the daemon writes a frame's first byte */
	uint32_t queue;           /* the queue opened (the one picked for QUEUE_NEW) */
	uint32_t domain;          /* the region's trust domain */
	uint32_t max_outstanding;
	enum sfnic_zc_mode mode;
	bool readonly;            /* the area is mapped read-only (taps) */
	char port[64];            /* the port as the daemon names it */
};

/* Counters of the queue, kept by the daemon. */
struct sfnic_zc_stats {
	uint64_t rx_frames, rx_bytes;   /* put on RX for the application */
	uint64_t rx_zerocopy;           /* of those, in place (taps) */
	uint64_t rx_copied;             /* of those, copied across a trust domain */
	uint64_t tx_frames, tx_bytes;   /* taken from TX into the eswitch */
	uint64_t invalid_desc;          /* FILL/TX entries refused: index out of
					 * range, frame not held, bad length */
	uint64_t overruns;              /* frames lost: RX full or the application
					 * at max_outstanding */
	uint64_t bad_ring;              /* passes that found an index jump */
	uint32_t outstanding;           /* frames the application holds now */
};

struct sfnic_zc;

/*
 * Opens queue `queue` of `port` in `mode`.  run_dir: the daemon's run
 * directory (NULL: $SFNIC_RUN_DIR, then the default).  port: an SF's netdev
 * name or devlink port handle (sfnic/sfnic0/N), "p0" or "pf0".  queue:
 * exclusive, a function queue 2..15 or SFNIC_ZC_QUEUE_NEW; taps, the port's
 * RX queue (one per datapath worker, from 0).  opts may be NULL.
 * Returns 0 with *zc set, or -errno with a one-line reason in err:
 * -ENODEV (no such port, or no zc function), -EPERM, -EBUSY (queue taken,
 * or a single tap exists), -EINVAL (options), -EXDEV (trust domain
 * mismatch), -ECONNREFUSED (no daemon).
 */
int sfnic_zc_open(const char *run_dir, const char *port, uint32_t queue, enum sfnic_zc_mode mode,
		  const struct sfnic_zc_opts *opts, struct sfnic_zc **zc, char *err, size_t errlen);

/* Closes the queue: the daemon takes back every frame the application
 * holds, and the mappings go.  NULL is a no-op. */
void sfnic_zc_close(struct sfnic_zc *zc);

/* The queue's description (valid until close). */
const struct sfnic_zc_info *sfnic_zc_info(const struct sfnic_zc *zc);

/* The four rings.  TX and COMP have no entries (size 0) on taps. */
struct sfnic_zc_ring *sfnic_zc_rx(struct sfnic_zc *zc);
struct sfnic_zc_ring *sfnic_zc_fill(struct sfnic_zc *zc);
struct sfnic_zc_ring *sfnic_zc_tx(struct sfnic_zc *zc);
struct sfnic_zc_ring *sfnic_zc_comp(struct sfnic_zc *zc);

/* An eventfd that is readable when the daemon signalled (see Sleeping). */
int sfnic_zc_fd(const struct sfnic_zc *zc);

/* Sleeps until RX or COMP has entries or timeout_ms passes (-1: forever).
 * Returns 1 when entries wait, 0 on timeout, -errno on error. */
int sfnic_zc_wait(struct sfnic_zc *zc, int timeout_ms);

/* Wakes the daemon's worker after TX or FILL entries were submitted.
 * Cheap when the worker is polling: call it when
 * sfnic_zc_ring_needs_wakeup() is true.  Returns 0 or -errno. */
int sfnic_zc_kick(struct sfnic_zc *zc);

/* Reads the queue's counters from the daemon (one round trip).  Returns 0
 * or -errno (-EPIPE: the daemon closed the queue). */
int sfnic_zc_stats(struct sfnic_zc *zc, struct sfnic_zc_stats *st);

/* ---- ring access, as libxdp's xsk.h inline helpers ---- */

/* Reserves up to nb entries on a ring the application produces (FILL, TX);
 * *idx is the first.  Returns how many were reserved (0 when full). */
static inline uint32_t sfnic_zc_ring_prod__reserve(struct sfnic_zc_ring *r, uint32_t nb,
						   uint32_t *idx)
{
	uint32_t free_entries = r->size - (r->cached_prod - r->cached_cons);

	if (free_entries < nb) {
		r->cached_cons = atomic_load_explicit(r->consumer, memory_order_acquire);
		free_entries = r->size - (r->cached_prod - r->cached_cons);
	}
	if (nb > free_entries)
		nb = free_entries;
	*idx = r->cached_prod;
	r->cached_prod += nb;
	return nb;
}

/* Publishes nb reserved entries: the daemon may read them afterwards. */
static inline void sfnic_zc_ring_prod__submit(struct sfnic_zc_ring *r, uint32_t nb)
{
	atomic_store_explicit(r->producer, atomic_load_explicit(r->producer, memory_order_relaxed) + nb,
			      memory_order_release);
}

/* Peeks at up to nb entries of a ring the application consumes (RX,
 * COMP); *idx is the first.  Returns how many are there. */
static inline uint32_t sfnic_zc_ring_cons__peek(struct sfnic_zc_ring *r, uint32_t nb,
						uint32_t *idx)
{
	uint32_t entries = r->cached_prod - r->cached_cons;

	if (entries == 0) {
		r->cached_prod = atomic_load_explicit(r->producer, memory_order_acquire);
		entries = r->cached_prod - r->cached_cons;
	}
	if (nb > entries)
		nb = entries;
	*idx = r->cached_cons;
	r->cached_cons += nb;
	return nb;
}

/* Gives nb peeked entries back to the daemon (their slots, not their
 * frames: a frame is given back on FILL or TX). */
static inline void sfnic_zc_ring_cons__release(struct sfnic_zc_ring *r, uint32_t nb)
{
	atomic_store_explicit(r->consumer, atomic_load_explicit(r->consumer, memory_order_relaxed) + nb,
			      memory_order_release);
}

/* Entry idx of RX or TX. */
static inline struct sfnic_zc_desc *sfnic_zc_ring__desc(struct sfnic_zc_ring *r, uint32_t idx)
{
	return &((struct sfnic_zc_desc *)r->entries)[idx & r->mask];
}

/* Entry idx of FILL or COMP. */
static inline uint32_t *sfnic_zc_ring__frame(struct sfnic_zc_ring *r, uint32_t idx)
{
	return &((uint32_t *)r->entries)[idx & r->mask];
}

/* Whether the daemon asked to be kicked (TX, FILL).  Call it after submit:
 * the fence orders the submit's store before the flag's load, as the
 * daemon orders setting the flag before its last look at the ring, so that
 * one of the two always sees the other. */
static inline bool sfnic_zc_ring_needs_wakeup(const struct sfnic_zc_ring *r)
{
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(r->flags, memory_order_relaxed) & SFNIC_ZC_RING_NEED_WAKEUP;
}

/* The first byte of frame buf at offset off. */
static inline void *sfnic_zc_frame_data(const struct sfnic_zc_info *info, uint32_t buf, uint32_t off)
{
	return (uint8_t *)info->area + (size_t)buf * info->frame_size + off;
}

#ifdef __cplusplus
}
#endif

#endif
