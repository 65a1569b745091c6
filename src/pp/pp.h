/*
 * pp.h - memory regions and page pools.
 *
 * Packet buffers live in regions: one memfd per trust domain, sealed so that
 * no holder of the fd can shrink it under another holder's mapping, backed by
 * hugepages when the system has them.  A buffer is a fixed-size slice of a
 * region, named by its index; the daemon's metadata about a buffer (length,
 * offset, owner) never lives inside it, so a region can be mapped into an
 * untrusted peer without exposing daemon pointers.
 *
 * Each receive queue takes its buffers from its own page pool, built like the
 * kernel's (net/core/page_pool.c):
 *   - an alloc cache of PP_CACHE_SIZE indices, a plain LIFO touched only by
 *     the pool's owner thread (no atomics, no locks);
 *   - a recycle ring refilled into the cache PP_CACHE_REFILL at a time;
 *     any thread may produce into it (producers serialise on a spinlock, as
 *     ptr_ring's do; the owner consumes without one);
 *   - a slow path that takes PP_CACHE_REFILL buffers from the region.
 * Whether a returned buffer may go straight into the cache is decided by the
 * pool from the calling thread's identity, never by a caller's flag.
 *
 * Lifetime: hold/release counters (wrap-safe, compared as signed 32-bit
 * differences) give the buffers in flight; pp_pool_destroy() empties the
 * cache and the ring and frees the pool only when every buffer has come home
 * (pp_reap(), called periodically, finishes destroys and logs stalled ones).
 * A pool may own at most max_buffers buffers at once: a consumer that never
 * returns buffers exhausts its own pool and nobody else's.
 *
 * A buffer is zeroed when it enters a pool from outside its trust domain (a
 * region reassigned to a new domain marks every buffer for clearing), never
 * per packet.
 */
#ifndef SFNIC_PP_H
#define SFNIC_PP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_CACHE_SIZE 128
#define PP_CACHE_REFILL 64
#define PP_BUF_SIZE 2048        /* a default buffer; the size AF_XDP's smallest chunk has */
#define PP_BUF_SIZE_GSO 67584   /* a buffer that holds a 64 KiB GSO frame plus headroom */
#define PP_HEADROOM 128         /* room for a pushed VLAN tag and encapsulations */
#define PP_NO_BUF UINT32_MAX
#define PP_RING_DEFAULT 1024

struct pp_region;

/*
 * Creates a region of nbufs buffers of PP_BUF_SIZE bytes for trust domain
 * `domain`.  name labels the memfd (visible in /proc/PID/fd).  Tries
 * hugepages first when try_huge is set.  Returns NULL with a reason in err.
 */
struct pp_region *pp_region_create(const char *name, uint32_t domain, uint32_t nbufs,
				   bool try_huge, char *err, size_t errlen);

/* The same with buffers of buf_size bytes (a multiple of 64; PP_BUF_SIZE_GSO
 * for regions that take GSO frames from a TAP).  Memory is only committed
 * where buffers are written, so large buffers cost address space first. */
struct pp_region *pp_region_create_sized(const char *name, uint32_t domain, uint32_t nbufs,
					 uint32_t buf_size, bool try_huge, char *err,
					 size_t errlen);


/* Unmaps and closes the region.  Every pool on it must be gone. */
void pp_region_destroy(struct pp_region *r);

/* Hands the region to another trust domain: every buffer is marked to be
 * zeroed before a pool of the new domain receives it.  Fails (-EBUSY) while
 * any buffer is out of the region. */
int pp_region_assign(struct pp_region *r, uint32_t domain);

/* The region's memfd, size in bytes, trust domain, buffer count, number of
 * buffers currently in the region (not in any pool) and whether it is backed
 * by hugepages. */
int pp_region_fd(const struct pp_region *r);
size_t pp_region_size(const struct pp_region *r);
uint32_t pp_region_domain(const struct pp_region *r);
uint32_t pp_region_nbufs(const struct pp_region *r);
uint32_t pp_region_buf_size(const struct pp_region *r);
/* The mapping: buffer b is at base + b * buffer size (an AF_XDP UMEM can
 * be registered over a region of PP_BUF_SIZE buffers). */
void *pp_region_base(const struct pp_region *r);
uint32_t pp_region_free(struct pp_region *r);
bool pp_region_huge(const struct pp_region *r);
/* Buffers zeroed because they entered a new trust domain (for tests). */
uint64_t pp_region_zeroed(const struct pp_region *r);

/* The kernel's page_pool stat names. */
struct pp_stats {
	uint64_t alloc_fast, alloc_slow, alloc_empty, alloc_refill, alloc_waive;
	uint64_t recycle_cached, recycle_cache_full, recycle_ring, recycle_ring_full,
		 recycle_released_refcnt;
	uint32_t inflight;      /* buffers out of the pool (not in cache or ring) */
	uint32_t hold;          /* buffers the pool owns, wherever they are */
	uint32_t max_buffers;
	uint64_t cap_hit;       /* allocations refused by max_buffers (sfnic) */
};

struct pp_params {
	const char *name;       /* for logs: "pf0sf88/rx0" */
	uint32_t ring_size;     /* recycle ring, power of two; 0: PP_RING_DEFAULT */
	uint32_t max_buffers;   /* cap on buffers owned; 0: the whole region */
	bool unowned;           /* no owner until pp_pool_set_owner() (a worker
				 * claims it); else the creating thread */
};

struct pp_ring {
	_Atomic uint32_t head;  /* producers, under lock */
	char pad0[60];
	_Atomic uint32_t tail;  /* the owner */
	char pad1[60];
	atomic_flag lock;
	uint32_t mask;
	uint32_t *slot;
};

/* The holding flags of a region's read-only taps (see pp_region_tap_add):
 * slots [0, n), a NULL slot is free. */
#define PP_MAX_TAPS 8
struct pp_tapset {
	_Atomic uint32_t n;
	const _Atomic uint8_t *_Atomic held[PP_MAX_TAPS];
};

struct pp_pool {
	/* owner-only, hot */
	uint32_t count;
	uint32_t owner;         /* pp_self() of the thread that may use the cache */
	uint32_t hold;          /* buffers taken from the region, ever (wraps) */
	uint32_t max_buffers;
	uint8_t *base;          /* region memory */
	const struct pp_tapset *taps;   /* the region's */
	uint32_t buf_size;      /* the region's */
	uint32_t parked, nparked;       /* buffers a tap held when they came up */
	struct pp_region *region;
	struct {
		uint64_t fast, slow, empty, refill, waive, cached, cache_full, cap_hit;
	} st;
	uint32_t cache[PP_CACHE_SIZE];
	/* any thread */
	_Atomic uint32_t release;       /* buffers given back to the region (wraps) */
	_Atomic uint64_t ring_ok, ring_full, released;
	_Atomic bool destroying;
	struct pp_ring ring;
	char name[48];
	struct pp_pool *next_dead;
	uint64_t dead_since_ms, warned_ms;
};

/* A small number (>= 1) naming the calling thread, unique for the process.
 * pp_tls_id is 0 until the thread first calls pp_self(); a pool nobody owns
 * (unowned until claimed, or being destroyed) has owner PP_NO_OWNER, which
 * no thread's id is, so comparing with pp_tls_id is safe without the call. */
#define PP_NO_OWNER UINT32_MAX
uint32_t pp_self(void);
extern __thread uint32_t pp_tls_id;

/* Creates a pool on region r owned by the calling thread.  NULL on failure. */
struct pp_pool *pp_pool_create(struct pp_region *r, const struct pp_params *p);

/* Makes the calling thread the pool's owner (a worker taking a queue).  The
 * previous owner must have stopped using the pool. */
void pp_pool_set_owner(struct pp_pool *p);

/* Starts a deferred destroy: the cache and the ring go back to the region,
 * later returns go straight to the region, and pp_reap() frees the pool when
 * nothing is in flight.  The caller must be the owner or the owner must be
 * stopped.  p may not be used for allocation afterwards. */
void pp_pool_destroy(struct pp_pool *p);

/* Frees destroyed pools whose buffers have all come back; logs pools that
 * have been stalled for 60 s and more every 60 s.  Returns the number of
 * destroys still waiting. */
int pp_reap(void);

/* Copies the pool's stats.  Exact from the owner; from another thread the
 * owner-side fields may lag by the batch in progress. */
void pp_pool_stats(struct pp_pool *p, struct pp_stats *out);

/* Address of buffer buf in the pool's region. */
static inline void *pp_buf_addr(const struct pp_pool *p, uint32_t buf)
{
	return p->base + (size_t)buf * p->buf_size;
}

/* Refills the cache from the ring or the region; PP_NO_BUF when both are
 * empty or the pool is at max_buffers.  Use pp_alloc(). */
uint32_t pp_alloc_slow(struct pp_pool *p);

/* Gives one buffer; PP_NO_BUF when none is left.  Owner thread only.
 * Never a buffer a read-only tap of the region holds. */
static inline uint32_t pp_alloc(struct pp_pool *p)
{
	if (__builtin_expect(p->count != 0, 1) &&
	    __builtin_expect(!atomic_load_explicit(&p->taps->n, memory_order_relaxed), 1)) {
		p->st.fast++;
		return p->cache[--p->count];
	}
	return pp_alloc_slow(p);
}

/* Returns buffers through the recycle ring (any thread); overflow goes back
 * to the region.  bufs must have come from p. */
void pp_put_ring(struct pp_pool *p, const uint32_t *bufs, uint32_t n);

/* Returns one buffer from any thread: into the cache when the caller is the
 * owner and it has room, otherwise through the ring. */
static inline void pp_put(struct pp_pool *p, uint32_t buf)
{
	if (__builtin_expect(p->owner == pp_tls_id, 1)) {
		if (__builtin_expect(p->count < PP_CACHE_SIZE, 1)) {
			p->st.cached++;
			p->cache[p->count++] = buf;
			return;
		}
		p->st.cache_full++;
	}
	pp_put_ring(p, &buf, 1);
}

/*
 * Read-only taps (zero-copy single and shared mode) hold buffers the packet
 * path has long since freed: a tap keeps one flag per buffer of the region
 * (1 while its application may read the buffer), in daemon memory, set and
 * cleared by the tap alone (release when cleared).  The region's pools
 * never hand out a buffer whose flag is set: pp_alloc() parks it on the
 * pool's list and looks again when the pool runs short.  So a tapped frame
 * costs the packet path no holder count, and freeing it is a plain
 * pp_put().  A tap sets a buffer's flag only while the packet path still
 * holds the buffer (before it is freed), which orders the flag before any
 * later allocation of the buffer.
 */

/* Makes the region's pools respect held[] (one byte per buffer of r).
 * Returns the slot (for pp_region_tap_del) or -ENOSPC beyond PP_MAX_TAPS.
 * Control thread; before the tap first sets a flag. */
int pp_region_tap_add(struct pp_region *r, const _Atomic uint8_t *held);

/* Copies up to max of the buffers parked in p (owner thread; tests). */
uint32_t pp_pool_parked(const struct pp_pool *p, uint32_t *out, uint32_t max);

/* Forgets the tap in slot.  Allocators may still read the old held[] until
 * the next RCU grace period: the caller frees it only after one. */
void pp_region_tap_del(struct pp_region *r, int slot);

#endif
