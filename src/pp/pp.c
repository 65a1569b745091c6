/*
 * pp.c - memory regions (memfd) and page pools.
 *
 * Ownership rules, written once:
 *   - a buffer index is in exactly one place: the region's free stack, a
 *     pool's cache, a pool's ring, or "in flight" (a queue, a consumer);
 *   - only the owner thread touches count/cache/hold/st; everything another
 *     thread may touch is atomic or under the ring's producer lock;
 *   - after a destroyed pool's last release-counter increment nobody touches
 *     the pool again, so pp_reap() may free it as soon as it sees zero.
 */
#include "pp.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PP_DEFER_WARN_MS 60000

struct pp_region {
	int fd;
	uint8_t *base;
	size_t size;
	uint32_t nbufs;
	uint32_t buf_size;
	uint32_t domain;
	bool huge;
	pthread_mutex_t lock;   /* the slow path: free stack and dirty marks */
	uint32_t nfree;
	uint32_t *free;         /* stack of buffer indices */
	uint8_t *dirty;         /* 1: zero before it enters a pool */
	uint32_t *park_next;    /* [buf]: the next parked buffer of its pool */
	struct pp_tapset taps;  /* read-only taps' holding flags (pp_region_tap_add) */
	uint64_t zeroed;
};

__thread uint32_t pp_tls_id;
static _Atomic uint32_t pp_next_id = 1;

uint32_t pp_self(void)
{
	if (!pp_tls_id)
		pp_tls_id = atomic_fetch_add(&pp_next_id, 1);
	return pp_tls_id;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct pp_region *pp_region_create(const char *name, uint32_t domain, uint32_t nbufs,
				   bool try_huge, char *err, size_t errlen)
{
	return pp_region_create_sized(name, domain, nbufs, PP_BUF_SIZE, try_huge, err, errlen);
}

struct pp_region *pp_region_create_sized(const char *name, uint32_t domain, uint32_t nbufs,
					 uint32_t buf_size, bool try_huge, char *err,
					 size_t errlen)
{
	struct pp_region *r;
	size_t size = (size_t)nbufs * buf_size;

	if (!nbufs || nbufs > (1u << 24) || buf_size < PP_BUF_SIZE || buf_size % 64 ||
	    buf_size > (1u << 20)) {
		snprintf(err, errlen, "region of %u buffers of %u bytes: out of range", nbufs,
			 buf_size);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->fd = -1;
	/* Hugepages need the size rounded to 2 MiB; fall back silently when the
	 * system has none reserved, which is the common case. */
	if (try_huge) {
		size_t hsize = (size + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);

		r->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
		if (r->fd >= 0 && ftruncate(r->fd, hsize) == 0) {
			r->base = mmap(NULL, hsize, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
			if (r->base != MAP_FAILED) {
				r->huge = true;
				size = hsize;
			}
		}
		if (!r->huge && r->fd >= 0) {
			close(r->fd);
			r->fd = -1;
		}
	}
	if (!r->huge) {
		r->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (r->fd < 0 || ftruncate(r->fd, size) < 0) {
			snprintf(err, errlen, "memfd for %s: %s", name, strerror(errno));
			goto fail;
		}
		r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (r->base == MAP_FAILED) {
			r->base = NULL;
			snprintf(err, errlen, "mmap of %s: %s", name, strerror(errno));
			goto fail;
		}
	}
	/* A peer that shrank the file would make our accesses fault (SIGBUS). */
	if (fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		snprintf(err, errlen, "sealing %s: %s", name, strerror(errno));
		goto fail;
	}
	r->size = size;
	r->nbufs = nbufs;
	r->buf_size = buf_size;
	r->domain = domain;
	r->free = malloc(sizeof(*r->free) * nbufs);
	r->dirty = calloc(nbufs, 1);    /* fresh memfd pages read as zero */
	r->park_next = malloc(sizeof(*r->park_next) * nbufs);
	if (!r->free || !r->dirty || !r->park_next)
		goto nomem;
	/* Lowest indices on top, so a lightly used region touches few pages. */
	for (uint32_t i = 0; i < nbufs; i++)
		r->free[i] = nbufs - 1 - i;
	r->nfree = nbufs;
	pthread_mutex_init(&r->lock, NULL);
	return r;
nomem:
	snprintf(err, errlen, "region %s: out of memory", name);
fail:
	if (r) {
		if (r->base)
			munmap(r->base, r->huge ? size : (size_t)nbufs * buf_size);
		if (r->fd >= 0)
			close(r->fd);
		free(r->free);
		free(r->dirty);
		free(r->park_next);
		free(r);
	}
	return NULL;
}

void pp_region_destroy(struct pp_region *r)
{
	if (!r)
		return;
	if (r->nfree != r->nbufs)
		util_log(UTIL_WARN, "region destroyed with %u buffers out", r->nbufs - r->nfree);
	munmap(r->base, r->size);
	close(r->fd);
	pthread_mutex_destroy(&r->lock);
	free(r->free);
	free(r->dirty);
	free(r->park_next);
	free(r);
}

int pp_region_assign(struct pp_region *r, uint32_t domain)
{
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (r->nfree != r->nbufs) {
		ret = -EBUSY;
	} else if (domain != r->domain) {
		r->domain = domain;
		memset(r->dirty, 1, r->nbufs);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int pp_region_fd(const struct pp_region *r) { return r->fd; }
size_t pp_region_size(const struct pp_region *r) { return r->size; }
uint32_t pp_region_domain(const struct pp_region *r) { return r->domain; }
void *pp_region_base(const struct pp_region *r)
{
	return r->base;
}

uint32_t pp_region_nbufs(const struct pp_region *r) { return r->nbufs; }
uint32_t pp_region_buf_size(const struct pp_region *r) { return r->buf_size; }
bool pp_region_huge(const struct pp_region *r) { return r->huge; }
uint64_t pp_region_zeroed(const struct pp_region *r) { return r->zeroed; }

uint32_t pp_region_free(struct pp_region *r)
{
	uint32_t n;

	pthread_mutex_lock(&r->lock);
	n = r->nfree;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static uint32_t region_take(struct pp_region *r, uint32_t *out, uint32_t n)
{
	pthread_mutex_lock(&r->lock);
	if (n > r->nfree)
		n = r->nfree;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = r->free[--r->nfree];

		if (r->dirty[b]) {
			memset(r->base + (size_t)b * r->buf_size, 0, r->buf_size);
			r->dirty[b] = 0;
			r->zeroed++;
		}
		out[i] = b;
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void region_give(struct pp_region *r, const uint32_t *bufs, uint32_t n)
{
	pthread_mutex_lock(&r->lock);
	for (uint32_t i = 0; i < n && r->nfree < r->nbufs; i++)
		r->free[r->nfree++] = bufs[i];
	pthread_mutex_unlock(&r->lock);
}

/* Gives buffers back to the region.  The release increment is the pool's
 * last access when it is being destroyed. */
static void pool_release(struct pp_pool *p, const uint32_t *bufs, uint32_t n)
{
	if (!n)
		return;
	region_give(p->region, bufs, n);
	atomic_fetch_add_explicit(&p->released, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->release, n, memory_order_release);
}

struct pp_pool *pp_pool_create(struct pp_region *r, const struct pp_params *prm)
{
	uint32_t ring = prm && prm->ring_size ? prm->ring_size : PP_RING_DEFAULT;
	struct pp_pool *p;

	if (ring & (ring - 1) || ring > 16384)
		return NULL;
	if (posix_memalign((void **)&p, 64, sizeof(*p)))
		return NULL;
	memset(p, 0, sizeof(*p));
	p->ring.slot = malloc(sizeof(uint32_t) * ring);
	if (!p->ring.slot) {
		free(p);
		return NULL;
	}
	p->ring.mask = ring - 1;
	atomic_flag_clear(&p->ring.lock);
	p->region = r;
	p->base = r->base;
	p->taps = &r->taps;
	p->parked = PP_NO_BUF;
	p->buf_size = r->buf_size;
	p->max_buffers = prm && prm->max_buffers ? prm->max_buffers : r->nbufs;
	snprintf(p->name, sizeof(p->name), "%s", prm && prm->name ? prm->name : "pool");
	p->owner = prm && prm->unowned ? PP_NO_OWNER : pp_self();
	return p;
}

void pp_pool_set_owner(struct pp_pool *p)
{
	p->owner = pp_self();
}

static uint32_t ring_consume(struct pp_ring *rg, uint32_t *out, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&rg->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&rg->head, memory_order_acquire);
	uint32_t avail = head - tail;

	if (n > avail)
		n = avail;
	for (uint32_t i = 0; i < n; i++)
		out[i] = rg->slot[(tail + i) & rg->mask];
	atomic_store_explicit(&rg->tail, tail + n, memory_order_release);
	return n;
}

enum refill_from { REFILL_NONE, REFILL_RING, REFILL_REGION };

/* Refills the empty cache from the ring or else the region (none left, or
 * the pool at its cap: REFILL_NONE). */
static enum refill_from refill(struct pp_pool *p)
{
	uint32_t n = ring_consume(&p->ring, p->cache, PP_CACHE_REFILL);

	if (n) {
		p->st.refill++;
		p->count = n;
		return REFILL_RING;
	}
	p->st.empty++;
	/* The cap counts every buffer the pool owns: a consumer that keeps its
	 * buffers stops the refill of its own queue only.  Not the parked ones:
	 * a read-only tap that keeps frames misses later ones and must never
	 * hold the port's pool dry (its own cap is at most a quarter of the
	 * region, which the pools' caps leave room for). */
	uint32_t owned = p->hold - atomic_load_explicit(&p->release, memory_order_acquire) -
			 p->nparked;
	uint32_t room = p->max_buffers > owned ? p->max_buffers - owned : 0;

	if (!room) {
		p->st.cap_hit++;
		return REFILL_NONE;
	}
	n = region_take(p->region, p->cache, room < PP_CACHE_REFILL ? room : PP_CACHE_REFILL);
	if (!n)
		return REFILL_NONE;
	p->hold += n;
	p->st.slow++;
	p->count = n;
	return REFILL_REGION;
}

/* Whether a read-only tap holds buf.  The acquire pairs with the release
 * that let go of it: what the application read is read before we reuse. */
static bool tapped(const struct pp_pool *p, uint32_t buf)
{
	uint32_t n = atomic_load_explicit(&p->taps->n, memory_order_acquire);

	for (uint32_t i = 0; i < n; i++) {
		const _Atomic uint8_t *h = atomic_load_explicit(&p->taps->held[i],
								memory_order_acquire);

		if (h && atomic_load_explicit(&h[buf], memory_order_acquire))
			return true;
	}
	return false;
}

/* Moves parked buffers no tap holds any more back into the cache, up to
 * its room.  Returns how many came back. */
static uint32_t unpark(struct pp_pool *p)
{
	uint32_t *next = p->region->park_next, back = 0;
	uint32_t *link = &p->parked;

	while (*link != PP_NO_BUF && p->count < PP_CACHE_SIZE) {
		uint32_t b = *link;

		if (tapped(p, b)) {
			link = &next[b];
			continue;
		}
		*link = next[b];
		p->nparked--;
		p->cache[p->count++] = b;
		back++;
	}
	return back;
}

uint32_t pp_alloc_slow(struct pp_pool *p)
{
	/* With taps on the region, a buffer a tap still holds is parked on
	 * the pool's list instead of handed out, and looked at again when the
	 * pool runs short: the tap's hold costs the packet path one load per
	 * allocation, and no holder count to keep per frame. */
	bool taps = atomic_load_explicit(&p->taps->n, memory_order_relaxed) != 0;

	for (;;) {
		enum refill_from from = REFILL_RING;
		uint32_t b;

		if (!p->count) {
			if (p->nparked)
				unpark(p);      /* before new buffers: a small working set */
			if (!p->count && !(from = refill(p)))
				return PP_NO_BUF;
		}
		b = p->cache[--p->count];
		if (!taps || !tapped(p, b)) {
			/* as before taps: a region refill counts as slow only */
			p->st.fast += from != REFILL_REGION;
			return b;
		}
		p->region->park_next[b] = p->parked;
		p->parked = b;
		p->nparked++;
	}
}

uint32_t pp_pool_parked(const struct pp_pool *p, uint32_t *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t b = p->parked; b != PP_NO_BUF && n < max; b = p->region->park_next[b])
		out[n++] = b;
	return n;
}

int pp_region_tap_add(struct pp_region *r, const _Atomic uint8_t *held)
{
	uint32_t n = atomic_load(&r->taps.n);

	for (uint32_t i = 0; i < PP_MAX_TAPS; i++) {
		if (i < n && atomic_load(&r->taps.held[i]))
			continue;
		atomic_store_explicit(&r->taps.held[i], held, memory_order_release);
		if (i >= n)
			atomic_store_explicit(&r->taps.n, i + 1, memory_order_release);
		return (int)i;
	}
	return -ENOSPC;
}

void pp_region_tap_del(struct pp_region *r, int slot)
{
	if (slot >= 0 && slot < PP_MAX_TAPS)
		atomic_store_explicit(&r->taps.held[slot], NULL, memory_order_release);
}

void pp_put_ring(struct pp_pool *p, const uint32_t *bufs, uint32_t n)
{
	struct pp_ring *rg = &p->ring;
	uint32_t done = 0;

	if (!atomic_load_explicit(&p->destroying, memory_order_acquire)) {
		while (atomic_flag_test_and_set_explicit(&rg->lock, memory_order_acquire))
			;
		uint32_t head = atomic_load_explicit(&rg->head, memory_order_relaxed);
		uint32_t tail = atomic_load_explicit(&rg->tail, memory_order_acquire);
		uint32_t room = rg->mask + 1 - (head - tail);

		done = n < room ? n : room;
		for (uint32_t i = 0; i < done; i++)
			rg->slot[(head + i) & rg->mask] = bufs[i];
		atomic_store_explicit(&rg->head, head + done, memory_order_release);
		/* Counted under the lock: plain stores, no second locked
		 * instruction per return. */
		atomic_store_explicit(&p->ring_ok, atomic_load_explicit(&p->ring_ok,
			memory_order_relaxed) + done, memory_order_relaxed);
		if (done < n)
			atomic_store_explicit(&p->ring_full, atomic_load_explicit(&p->ring_full,
				memory_order_relaxed) + (n - done), memory_order_relaxed);
		atomic_flag_clear_explicit(&rg->lock, memory_order_release);
	}
	pool_release(p, bufs + done, n - done);
}

static pthread_mutex_t dead_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pp_pool *dead_list;

void pp_pool_destroy(struct pp_pool *p)
{
	uint32_t tmp[PP_CACHE_REFILL], n;

	if (!p)
		return;
	p->owner = PP_NO_OWNER; /* no thread's direct returns land in the cache now */
	atomic_store_explicit(&p->destroying, true, memory_order_release);
	/* A producer that saw destroying == false may still be filling the
	 * ring: take its lock once so it has finished, then drain. */
	while (atomic_flag_test_and_set_explicit(&p->ring.lock, memory_order_acquire))
		;
	atomic_flag_clear_explicit(&p->ring.lock, memory_order_release);
	pool_release(p, p->cache, p->count);
	p->count = 0;
	/* Parked buffers go home too: the port's taps are gone before its
	 * pools are (and a tap that kept its mapping reads what it reads). */
	while (p->parked != PP_NO_BUF) {
		uint32_t b = p->parked;

		p->parked = p->region->park_next[b];
		pool_release(p, &b, 1);
	}
	p->nparked = 0;
	while ((n = ring_consume(&p->ring, tmp, PP_CACHE_REFILL)))
		pool_release(p, tmp, n);
	p->dead_since_ms = now_ms();
	pthread_mutex_lock(&dead_lock);
	p->next_dead = dead_list;
	dead_list = p;
	pthread_mutex_unlock(&dead_lock);
	pp_reap();
}

static int32_t pool_owned(struct pp_pool *p)
{
	return (int32_t)(p->hold - atomic_load_explicit(&p->release, memory_order_acquire));
}

int pp_reap(void)
{
	uint64_t now = now_ms();
	int pending = 0;

	pthread_mutex_lock(&dead_lock);
	for (struct pp_pool **pp = &dead_list; *pp;) {
		struct pp_pool *p = *pp;
		int32_t inflight = pool_owned(p);

		if (inflight <= 0) {
			*pp = p->next_dead;
			free(p->ring.slot);
			free(p);
			continue;
		}
		pending++;
		if (now - p->dead_since_ms >= PP_DEFER_WARN_MS &&
		    now - p->warned_ms >= PP_DEFER_WARN_MS) {
			util_log(UTIL_WARN, "stalled pool shutdown: %s inflight %d %llu sec", p->name, inflight,
				 (unsigned long long)(now - p->dead_since_ms) / 1000);
			p->warned_ms = now;
		}
		pp = &p->next_dead;
	}
	pthread_mutex_unlock(&dead_lock);
	return pending;
}

void pp_pool_stats(struct pp_pool *p, struct pp_stats *o)
{
	uint32_t head = atomic_load(&p->ring.head), tail = atomic_load(&p->ring.tail);
	int32_t owned = pool_owned(p);
	int32_t out = owned - (int32_t)p->count - (int32_t)(head - tail) - (int32_t)p->nparked;

	*o = (struct pp_stats){
		.alloc_fast = p->st.fast, .alloc_slow = p->st.slow, .alloc_empty = p->st.empty,
		.alloc_refill = p->st.refill, .alloc_waive = p->st.waive,
		.recycle_cached = p->st.cached, .recycle_cache_full = p->st.cache_full,
		.recycle_ring = atomic_load(&p->ring_ok),
		.recycle_ring_full = atomic_load(&p->ring_full),
		.recycle_released_refcnt = atomic_load(&p->released),
		.inflight = out > 0 ? (uint32_t)out : 0,
		.hold = owned > 0 ? (uint32_t)owned : 0,
		.max_buffers = p->max_buffers, .cap_hit = p->st.cap_hit,
	};
}
