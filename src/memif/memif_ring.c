/*
 * memif_ring.c - a connected memif interface as a datapath backend.
 *
 * C2S rings are read by the SF port's owner worker (rx_burst); S2C rings
 * are written by whichever worker delivers to the memif queue (tx_burst),
 * one at a time per ring under a spinlock held for a burst.  The server
 * writes only tail, its own position is kept here (pos) and never read back
 * from shared memory, and every descriptor is copied out of the ring before
 * it is checked and used.
 *
 * A client may shrink a region's memfd under our mapping; touching the lost
 * pages would raise SIGBUS.  Regions are sealed against shrinking when the
 * client allowed sealing; the others (a zero-copy DPDK client's heap is an
 * unsealable memfd) are guarded: a SIGBUS inside a client region replaces
 * the region with zero pages, so the worker reads zeros and carries on.
 */
#include "memif_internal.h"
#include "../steer/steer.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the SIGBUS guard ---- */

#define GUARD_SLOTS 256

static struct {
	_Atomic uintptr_t start;
	_Atomic size_t len;
} guard[GUARD_SLOTS];
static atomic_flag guard_installed = ATOMIC_FLAG_INIT;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	for (unsigned i = 0; i < GUARD_SLOTS; i++) {
		uintptr_t s = atomic_load_explicit(&guard[i].start, memory_order_relaxed);
		size_t l = atomic_load_explicit(&guard[i].len, memory_order_relaxed);

		if (s && a >= s && a - s < l) {
			/* The client took the pages away: zeros from now on. */
			if (mmap((void *)s, l, PROT_READ | PROT_WRITE,
				 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED)
				return;
			break;
		}
	}
	signal(sig, SIG_DFL);   /* not ours: die as we would have */
}

static int guard_add(void *base, size_t len)
{
	if (!atomic_flag_test_and_set(&guard_installed)) {
		struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
	}
	for (unsigned i = 0; i < GUARD_SLOTS; i++) {
		uintptr_t zero = 0;

		if (atomic_compare_exchange_strong(&guard[i].start, &zero, (uintptr_t)base)) {
			atomic_store(&guard[i].len, len);
			return 0;
		}
	}
	return -ENOSPC;
}

static void guard_del(void *base)
{
	for (unsigned i = 0; i < GUARD_SLOTS; i++)
		if (atomic_load(&guard[i].start) == (uintptr_t)base) {
			atomic_store(&guard[i].len, 0);
			atomic_store(&guard[i].start, 0);
		}
}

/* ---- receive: the client's C2S rings ---- */

/* The descriptor d's bytes, or NULL when they are not inside the client's
 * regions. */
static inline const uint8_t *desc_data(const struct memif_if *i, const struct memif_desc *d,
				       uint32_t len)
{
	if (d->region >= i->nregions ||
	    (uint64_t)d->offset + len > i->region[d->region].size)
		return NULL;
	return i->region[d->region].base + d->offset;
}

/* Takes up to max frames from one C2S ring into buffers of pool. */
static unsigned c2s_poll(struct memif_if *i, struct memif_queue *q, struct pp_pool *pool,
			 struct dp_pkt *pkts, unsigned max)
{
	uint16_t head = atomic_load_explicit(&q->ring->head, memory_order_acquire);
	uint16_t pos = q->pos, avail = (uint16_t)(head - pos);
	uint32_t cap = pool->buf_size - PP_HEADROOM;
	unsigned n = 0;
	uint64_t bytes = 0;

	if (cap > UINT16_MAX)
		cap = UINT16_MAX;       /* dp_pkt.len is 16 bits; a GSO-sized buffer holds more */
	if (avail > q->size) {
		q->st->bad_ring++;      /* a head we cannot believe: wait for a sane one */
		return 0;
	}
	while (avail && n < max) {
		uint32_t buf = pp_alloc(pool), total = 0;
		uint16_t segs = 0, last_flags = 0;
		bool bad = false, long_frame = false;
		uint8_t *dst;

		if (buf == PP_NO_BUF)
			break;          /* the rest waits in the client's ring */
		dst = (uint8_t *)pp_buf_addr(pool, buf) + PP_HEADROOM;
		for (;;) {
			struct memif_desc d;
			struct memif_desc *sd;
			const uint8_t *src;

			if (segs == avail)
				break;
			sd = &q->ring->desc[(uint16_t)(pos + segs) & q->mask];
			memcpy(&d, sd, sizeof(d));
			segs++;
			last_flags = d.flags;
			if (!bad && !long_frame) {
				src = desc_data(i, &d, d.length);
				if (!src)
					bad = true;
				else if (d.length > cap - total)  /* total + length wraps near 4 GiB */
					long_frame = true;
				else {
					memcpy(dst + total, src, d.length);
					total += d.length;
				}
			}
			if (!(d.flags & MEMIF_DESC_FLAG_NEXT))
				goto complete;
		}
		/* The chain runs past head.  With room left in the ring the
		 * client is still writing it; a chain as long as the ring
		 * never ends. */
		if (avail < q->size) {
			pp_put(pool, buf);
			break;
		}
		bad = true;
complete:
		/* A stale NEXT flag must not glue the next frame of a later
		 * lap to this one (DPDK 22.11's transmit path leaves it in a
		 * chain's first descriptor).  Cleared only once consumed: a
		 * chain still being written keeps its flags for the next poll. */
		for (uint16_t s = 0; s < segs; s++)
			if (s + 1 < segs || (last_flags & MEMIF_DESC_FLAG_NEXT))
				q->ring->desc[(uint16_t)(pos + s) & q->mask].flags = 0;
		pos += segs;
		avail -= segs;
		if (bad || long_frame || !total) {
			if (long_frame)
				q->st->too_long++;
			else
				q->st->invalid_desc++;
			pp_put(pool, buf);
			continue;
		}
		pkts[n++] = (struct dp_pkt){ .pool = pool, .buf = buf, .off = PP_HEADROOM,
					     .len = (uint16_t)total };
		bytes += total;
	}
	if (pos != q->pos) {
		q->pos = pos;
		atomic_store_explicit(&q->ring->tail, pos, memory_order_release);
	}
	q->st->rx_packets += n;
	q->st->rx_bytes += bytes;
	return n;
}

unsigned memif_if_rx_burst(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max)
{
	struct memif_if *i = ctx;
	unsigned n = 0, first = i->next_c2s++;

	for (unsigned k = 0; k < i->nc2s && n < max; k++)
		n += c2s_poll(i, &i->c2s[(first + k) % i->nc2s], pool, pkts + n, max - n);
	return n;
}

/* ---- transmit: the client's S2C rings ---- */

/* Writes one frame into the buffers the client posted at pos..; returns
 * the descriptors used, 0 when it does not fit (nothing is published). */
static uint16_t s2c_put(struct memif_if *i, struct memif_queue *q, uint16_t pos, uint16_t room,
			const uint8_t *data, uint32_t len, bool *bad)
{
	uint32_t done = 0;
	uint16_t segs = 0;

	do {
		struct memif_desc d;
		struct memif_desc *sd;
		uint8_t *dst;
		uint32_t chunk;

		if (segs == room)
			return 0;
		sd = &q->ring->desc[(uint16_t)(pos + segs) & q->mask];
		memcpy(&d, sd, sizeof(d));
		segs++;
		/* length is the capacity the client posted. */
		dst = (uint8_t *)desc_data(i, &d, d.length);
		if (!dst || !d.length) {
			*bad = true;
			return 0;
		}
		chunk = len - done < d.length ? len - done : d.length;
		memcpy(dst, data + done, chunk);
		done += chunk;
		/* flags, region and length in one store: the line is the
		 * client's, and every store to it is a coherence round trip. */
		struct { uint16_t flags, region; uint32_t length; } w = {
			done < len ? MEMIF_DESC_FLAG_NEXT : 0, d.region, chunk };
		memcpy(sd, &w, sizeof(w));
	} while (done < len);
	return segs;
}

static void s2c_kick(struct memif_queue *q)
{
	if (!(__atomic_load_n(&q->ring->flags, __ATOMIC_RELAXED) & MEMIF_RING_FLAG_MASK_INT)) {
		uint64_t one = 1;

		if (write(q->efd, &one, sizeof(one)) < 0) {
			/* saturated or gone: the client polls or left */
		}
	}
}

/* Sends the frames src[idx[0..n)] on ring q; sent ones are recorded in
 * out[*nsent..].  Called with q's lock held. */
static void s2c_send(struct memif_if *i, struct memif_queue *q, const struct dp_pkt *src,
		     const uint16_t *idx, unsigned n, struct dp_pkt *out, unsigned *nsent)
{
	uint16_t head = atomic_load_explicit(&q->ring->head, memory_order_acquire);
	uint16_t pos, room;

	if (__builtin_expect(atomic_load_explicit(&q->no_return, memory_order_acquire), 0))
		head = q->frozen_head;
	pos = q->pos;
	room = (uint16_t)(head - pos);
	uint64_t bytes = 0;
	unsigned sent = 0;
	bool bad = false;

	if (room > q->size) {
		q->st->bad_ring++;
		room = 0;
	}
	for (unsigned k = 0; k < n; k++) {
		struct dp_pkt p0 = src[idx[k]], *p = &p0;
		uint16_t used = bad ? 0 : s2c_put(i, q, pos, room, dp_pkt_data(p), p->len, &bad);

		if (used) {
			pos += used;
			room -= used;
			bytes += p->len;
			sent++;
			dp_pkt_free(p);
			out[(*nsent)++] = *p;   /* only len is read afterwards */
		} else {
			if (bad)
				q->st->invalid_desc++;
			else
				q->st->ring_full++;
			dp_pkt_free(p);
		}
	}
	if (pos != q->pos) {
		q->pos = pos;
		atomic_store_explicit(&q->ring->tail, pos, memory_order_release);
		s2c_kick(q);
	}
	q->st->tx_packets += sent;
	q->st->tx_bytes += bytes;
}

static void s2c_lock(struct memif_queue *q)
{
	while (atomic_flag_test_and_set_explicit(&q->lock, memory_order_acquire))
		__builtin_ia32_pause();
}

static void s2c_unlock(struct memif_queue *q)
{
	atomic_flag_clear_explicit(&q->lock, memory_order_release);
}

unsigned memif_if_tx_burst(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n,
			   enum dp_drop *why)
{
	struct memif_if *i = ctx;
	uint16_t idx[MEMIF_MAX_QUEUES][DP_BURST];
	unsigned cnt[MEMIF_MAX_QUEUES] = { 0 }, nsent = 0;
	struct dp_pkt copy[DP_BURST];
	const struct dp_pkt *src = pkts;

	(void)worker;
	*why = DP_DROP_RING_FULL;
	if (n > DP_BURST) {
		/* The datapath hands over at most a burst; more would have no
		 * room in idx[], and each frame must still go home. */
		for (unsigned k = DP_BURST; k < n; k++)
			dp_pkt_free(&pkts[k]);
		n = DP_BURST;
	}
	if (i->ns2c > 1) {
		/* Sent frames are compacted to the front of pkts, in ring
		 * order: read them from a copy. */
		memcpy(copy, pkts, sizeof(*pkts) * n);
		src = copy;
	}
	/* One flow, one ring: frames of a flow stay in order. */
	for (unsigned k = 0; k < n; k++) {
		unsigned r = i->ns2c == 1 ? 0 : steer_flow_hash(dp_pkt_data(&pkts[k]), pkts[k].len) %
						 i->ns2c;

		idx[r][cnt[r]++] = (uint16_t)k;
	}
	for (unsigned r = 0; r < i->ns2c; r++) {
		if (!cnt[r])
			continue;
		s2c_lock(&i->s2c[r]);
		s2c_send(i, &i->s2c[r], src, idx[r], cnt[r], pkts, &nsent);
		s2c_unlock(&i->s2c[r]);
	}
	return nsent;
}

/* Before the worker sleeps: the client must signal what it sends (and the
 * signals that woke us are cleared); when it wakes: we poll again. */
static void memif_if_arm(void *ctx, bool armed)
{
	struct memif_if *i = ctx;

	for (unsigned k = 0; k < i->nc2s; k++) {
		struct memif_queue *q = &i->c2s[k];

		if (armed) {
			uint64_t v;

			if (read(q->efd, &v, sizeof(v)) < 0) {
				/* EAGAIN: nothing pending */
			}
			__atomic_and_fetch(&q->ring->flags, (uint16_t)~MEMIF_RING_FLAG_MASK_INT,
					   __ATOMIC_SEQ_CST);
		} else {
			__atomic_or_fetch(&q->ring->flags, MEMIF_RING_FLAG_MASK_INT,
					  __ATOMIC_RELAXED);
		}
	}
}

/* ---- building the interface ---- */

static bool is_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[eventfd]");
}

static int setup_rings(struct memif_if *i, const struct memif_ctl *c, struct memif_qstats *st,
		       char *reason, size_t rlen)
{
	i->nc2s = c->nrings[MEMIF_RING_C2S];
	i->ns2c = c->nrings[MEMIF_RING_S2C];
	for (unsigned t = 0; t < 2; t++)
		for (unsigned k = 0; k < c->nrings[t]; k++) {
			const struct memif_ctl_ring *cr = &c->ring[t][k];
			struct memif_queue *q = t == MEMIF_RING_C2S ? &i->c2s[k] : &i->s2c[k];

			/* memif_ctl checked the ring lies inside its region. */
			q->ring = (struct memif_ring *)(i->region[cr->region].base + cr->offset);
			if ((uintptr_t)q->ring % 8 ||
			    __atomic_load_n(&q->ring->cookie, __ATOMIC_RELAXED) != MEMIF_COOKIE) {
				snprintf(reason, rlen, "Wrong ring");
				return -EINVAL;
			}
			q->size = 1u << cr->log2;
			q->mask = q->size - 1;
			q->pos = 0;
			q->efd = cr->efd;
			/* Each ring its own counters: a C2S ring's are its
			 * poller's, an S2C ring's are written under its lock. */
			q->st = &st[t * MEMIF_MAX_QUEUES + k];
			atomic_flag_clear(&q->lock);
			atomic_store(&q->ring->head, 0);
			atomic_store(&q->ring->tail, 0);
			if (t == MEMIF_RING_C2S)
				q->ring->flags = MEMIF_RING_FLAG_MASK_INT;      /* we poll */
		}
	return 0;
}

static struct memif_if *if_alloc(void)
{
	struct memif_if *i = calloc(1, sizeof(*i));

	if (!i)
		return NULL;
	i->epfd = -1;
	i->be = (struct dp_backend){
		.rx_burst = memif_if_rx_burst, .tx_burst = memif_if_tx_burst,
		.fd = -1, .poll_always = true, .tx_copies = true, .arm = memif_if_arm,
	};
	return i;
}

struct memif_if *memif_if_wrap(uint8_t *const *bases, const uint64_t *sizes, unsigned nregions,
			       const struct memif_ctl *c, struct memif_qstats *st, char *reason,
			       size_t rlen)
{
	struct memif_if *i = if_alloc();

	if (!i) {
		snprintf(reason, rlen, "Device error");
		return NULL;
	}
	i->nregions = nregions;
	for (unsigned k = 0; k < nregions; k++) {
		i->region[k].base = bases[k];
		i->region[k].size = sizes[k];
	}
	if (setup_rings(i, c, st, reason, rlen)) {
		free(i);
		return NULL;
	}
	return i;
}

/* Whether fd cannot shrink under a mapping (a memfd sealed against it). */
static bool sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & F_SEAL_SHRINK);
}

/* Maps region k of the handshake; sealed against shrinking when the client
 * allows it, guarded otherwise. */
static int map_region(struct memif_if *i, const struct memif_ctl *c, unsigned k, char *reason,
		      size_t rlen)
{
	struct stat sb;
	void *base;

	if (fstat(c->region[k].fd, &sb) || (uint64_t)sb.st_size < c->region[k].size) {
		snprintf(reason, rlen, "Region %u smaller than declared", k);
		return -EINVAL;
	}
	if (!sealed(c->region[k].fd))
		(void)fcntl(c->region[k].fd, F_ADD_SEALS, F_SEAL_SHRINK);
	base = mmap(NULL, c->region[k].size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    c->region[k].fd, 0);
	if (base == MAP_FAILED) {
		snprintf(reason, rlen, "Failed to mmap region %u", k);
		return -errno;
	}
	i->region[k].base = base;
	i->region[k].size = c->region[k].size;
	i->nregions = k + 1;
	i->mapped = true;
	if (!sealed(c->region[k].fd) && guard_add(base, c->region[k].size)) {
		snprintf(reason, rlen, "Too many unsealed regions");
		return -ENOSPC;
	}
	return 0;
}

struct memif_if *memif_if_create(struct memif_ctl *c, struct memif_qstats *st, char *reason,
				 size_t rlen)
{
	struct memif_if *i = if_alloc();

	if (!i) {
		snprintf(reason, rlen, "Device error");
		return NULL;
	}
	for (unsigned k = 0; k < c->nregions; k++)
		if (map_region(i, c, k, reason, rlen))
			goto fail;
	i->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (i->epfd < 0) {
		snprintf(reason, rlen, "Device error");
		goto fail;
	}
	for (unsigned t = 0; t < 2; t++)
		for (unsigned k = 0; k < c->nrings[t]; k++) {
			int efd = c->ring[t][k].efd;

			if (!is_eventfd(efd)) {
				snprintf(reason, rlen, "Interrupt fd is not an eventfd");
				goto fail;
			}
			fcntl(efd, F_SETFL, fcntl(efd, F_GETFL) | O_NONBLOCK);
			if (t == MEMIF_RING_C2S &&
			    epoll_ctl(i->epfd, EPOLL_CTL_ADD, efd,
				      &(struct epoll_event){ .events = EPOLLIN })) {
				snprintf(reason, rlen, "Device error");
				goto fail;
			}
		}
	if (setup_rings(i, c, st, reason, rlen))
		goto fail;
	i->be.fd = i->epfd;
	return i;
fail:
	memif_if_destroy(i);
	return NULL;
}

void memif_if_destroy(struct memif_if *i)
{
	if (!i)
		return;
	for (unsigned k = 0; i->mapped && k < i->nregions; k++)
		if (i->region[k].base) {
			guard_del(i->region[k].base);
			munmap(i->region[k].base, i->region[k].size);
		}
	if (i->epfd >= 0)
		close(i->epfd);
	free(i);
}
