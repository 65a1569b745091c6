/*
 * zc_excl.c - an exclusive zero-copy queue: an SF function queue whose
 * memory is the application's own trust domain.
 *
 * Frame ownership, written once: a frame of the queue's region is either
 * the application's (held[f] == 1: it took it from RX or COMP) or the
 * daemon's (in the pool).  held[] changes only under the queue's lock: 0 to
 * 1 when a frame goes on RX, 1 to 0 when it comes back on FILL, so a frame
 * returned twice, or never held, goes home at most once and is otherwise
 * counted as invalid.  Transmission never changes ownership: TX copies the
 * frame out and hands the same index back on COMP.
 *
 * The queue has one page pool, touched only under the queue's lock (or,
 * detached, by the control thread): the worker that holds the lock is its
 * owner for that while.  Frames never leave the region through the
 * datapath (transmit copies them out), so nobody else returns them, and
 * one pool means no frame waits in another worker's cache while this one
 * runs dry.
 */
#include "zc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The pool, owned by the caller (who holds the lock) from now on. */
static inline struct pp_pool *own_pool(struct zc_excl *q)
{
	if (__builtin_expect(!pp_tls_id || q->pool->owner != pp_tls_id, 0)) {
		pp_self();
		pp_pool_set_owner(q->pool);
	}
	return q->pool;
}

/* Whether the application held f; if so it is the daemon's now.  held[]
 * changes only under the queue's lock (here and on delivery), so a frame
 * comes home at most once however often it is returned. */
static inline bool take(struct zc_excl *q, uint32_t f)
{
	if (f >= q->frames || atomic_load_explicit(&q->held[f], memory_order_relaxed) != 1)
		return false;
	atomic_store_explicit(&q->held[f], 0, memory_order_relaxed);
	return true;
}

/* Frames the application gives back on FILL go home to the pool.  Caller
 * holds the lock (FILL has one consumer) and owns the pool. */
static void take_fill(struct zc_excl *q)
{
	struct zc_ring *f = &q->rings.fill;
	uint32_t n, given = 0;

	if (__builtin_expect(atomic_load_explicit(&q->no_return, memory_order_relaxed), 0))
		return;
	n = zc_ring_avail(f, &q->rx_bad);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = zc_ring_frame(f, f->local + i);

		if (!take(q, b)) {
			q->fill_invalid++;
			continue;
		}
		pp_put(q->pool, b);
		given++;
	}
	if (n) {
		f->local += n;
		zc_ring_publish_cons(f);
	}
	if (given)
		atomic_fetch_sub_explicit(&q->outstanding, given, memory_order_relaxed);
}

/* Frames RX steering gives the queue: each copied into a frame of the
 * application's region (the one copy a NIC's DMA makes) and put on RX.
 * What does not fit (RX full, the application at its cap, no frame left,
 * too long) is an overrun of this queue alone. */
static unsigned excl_tx_burst(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n,
			      enum dp_drop *why)
{
	struct zc_excl *q = ctx;
	struct zc_ring *rx = &q->rings.rx;
	struct pp_pool *pool;
	uint32_t room, out, sent = 0;
	uint64_t bytes = 0;

	(void)worker;
	zc_lock(&q->lock);
	pool = own_pool(q);
	take_fill(q);
	room = zc_ring_room(rx, &q->rx_bad);
	out = atomic_load_explicit(&q->outstanding, memory_order_relaxed);
	for (unsigned i = 0; i < n; i++) {
		struct sfnic_zc_desc *d;
		struct dp_pkt t;
		uint32_t b;

		if (sent >= room || out + sent >= q->max_outstanding ||
		    pkts[i].len > q->frame_size - PP_HEADROOM ||
		    (b = pp_alloc(pool)) == PP_NO_BUF) {
			q->overruns++;
			continue;
		}
		memcpy((uint8_t *)pp_buf_addr(pool, b) + PP_HEADROOM, dp_pkt_data(&pkts[i]),
		       pkts[i].len);
		atomic_store_explicit(&q->held[b], 1, memory_order_release);
		d = &((struct sfnic_zc_desc *)rx->entries)[rx->local++ & rx->mask];
		*d = (struct sfnic_zc_desc){ b, PP_HEADROOM, pkts[i].len };
		bytes += pkts[i].len;
		/* Frames taken first, as the datapath reads their lengths. */
		t = pkts[sent];
		pkts[sent++] = pkts[i];
		pkts[i] = t;
	}
	if (sent) {
		atomic_fetch_add_explicit(&q->outstanding, sent, memory_order_relaxed);
		zc_ring_publish_prod(rx);
		q->rx_frames += sent;
		q->rx_bytes += bytes;
	}
	zc_unlock(&q->lock);
	if (sent)
		zc_ring_signal(rx, q->efd_app);
	for (unsigned i = 0; i < n; i++)
		dp_pkt_free(&pkts[i]);
	*why = DP_DROP_RING_FULL;
	return sent;
}

/* Frames the application transmits are copied out of its memory into the
 * SF's own (the one copy a NIC's DMA makes reading them) before the eswitch
 * looks at them: a frame the application could still rewrite after the
 * rules chose its destination would let it send what no rule allowed.  The
 * frame itself goes back to the application on COMP at once; it stays the
 * application's throughout (held[] is only read here, without the lock).
 * An application that returns a frame on FILL while transmitting it may
 * send the frame's next contents and sees its index on COMP again: its own
 * memory either way, and the pool still gets the frame back only once. */
static unsigned excl_rx_burst(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max)
{
	struct zc_excl *q = ctx;
	struct zc_ring *tx = &q->rings.tx, *c = &q->rings.comp;
	uint32_t n, room, k = 0, done = 0;
	uint64_t bytes = 0;

	if (!atomic_flag_test_and_set_explicit(&q->lock, memory_order_acquire)) {
		own_pool(q);
		take_fill(q);   /* returns reach the pool while nothing arrives */
		zc_unlock(&q->lock);
	}
	n = zc_ring_avail(tx, &q->tx_bad);
	room = zc_ring_room(c, &q->tx_bad);
	/* Every frame taken is completed: no more than COMP can hold. */
	if (n > room)
		n = room;
	if (n > max)
		n = max;
	for (; done < n; done++) {
		struct sfnic_zc_desc d = zc_ring_desc(tx, tx->local + done);
		uint32_t b;

		if (d.len < 14 || (uint32_t)d.off + d.len > q->frame_size ||
		    d.len > pool->buf_size - PP_HEADROOM || d.buf >= q->frames ||
		    atomic_load_explicit(&q->held[d.buf], memory_order_acquire) != 1) {
			q->tx_invalid++;
			continue;
		}
		b = pp_alloc(pool);
		if (b == PP_NO_BUF)
			break;          /* the rest waits on TX for buffers */
		pkts[k] = (struct dp_pkt){ .pool = pool, .buf = b, .off = PP_HEADROOM, .len = d.len };
		memcpy(dp_pkt_data(&pkts[k]),
		       (uint8_t *)pp_region_base(q->region) + (size_t)d.buf * q->frame_size + d.off,
		       d.len);
		((uint32_t *)c->entries)[c->local++ & c->mask] = d.buf;
		bytes += d.len;
		k++;
	}
	if (done) {
		tx->local += done;
		zc_ring_publish_cons(tx);
	}
	if (k) {
		zc_ring_publish_prod(c);
		q->tx_frames += k;
		q->tx_bytes += bytes;
		zc_ring_signal(&q->rings.rx, q->efd_app);
	}
	return k;
}

/* While the worker sleeps the application must kick it after producing. */
static void excl_arm(void *ctx, bool armed)
{
	struct zc_excl *q = ctx;
	uint64_t v;

	if (armed) {
		atomic_fetch_or_explicit(&q->rings.tx.hdr->flags, SFNIC_ZC_RING_NEED_WAKEUP,
					 memory_order_relaxed);
		atomic_fetch_or_explicit(&q->rings.fill.hdr->flags, SFNIC_ZC_RING_NEED_WAKEUP,
					 memory_order_relaxed);
		return;
	}
	atomic_fetch_and_explicit(&q->rings.tx.hdr->flags, ~SFNIC_ZC_RING_NEED_WAKEUP,
				  memory_order_relaxed);
	atomic_fetch_and_explicit(&q->rings.fill.hdr->flags, ~SFNIC_ZC_RING_NEED_WAKEUP,
				  memory_order_relaxed);
	if (read(q->efd_kick, &v, sizeof(v)) < 0) {
		/* EAGAIN: not kicked */
	}
}

/* Puts n frames on COMP at open, for an application that originates
 * traffic.  The control thread owns the pool until a worker takes it. */
static void stock_comp(struct zc_excl *q, uint32_t n)
{
	struct zc_ring *c = &q->rings.comp;
	struct pp_pool *pool = own_pool(q);
	uint32_t posted = 0;

	while (posted < n) {
		uint32_t b = pp_alloc(pool);

		if (b == PP_NO_BUF)
			break;
		atomic_store_explicit(&q->held[b], 1, memory_order_release);
		((uint32_t *)c->entries)[c->local++ & c->mask] = b;
		posted++;
	}
	atomic_store(&q->outstanding, posted);
	zc_ring_publish_prod(c);
}

struct zc_excl *zc_excl_create(const char *name, uint32_t domain, uint32_t frames,
			       uint32_t ring_size, uint32_t max_outstanding, uint32_t tx_frames,
			       char *err, size_t errlen)
{
	struct zc_excl *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		goto nomem;
	q->efd_app = q->efd_kick = -1;
	q->rings.fd = -1;
	q->frames = frames;
	q->frame_size = PP_BUF_SIZE;
	q->max_outstanding = max_outstanding;
	atomic_flag_clear(&q->lock);
	q->region = pp_region_create(name, domain, frames, true, err, errlen);
	if (!q->region)
		goto fail;
	q->pool = pp_pool_create(q->region, &(struct pp_params){ .name = name, .unowned = true });
	q->held = calloc(frames, 1);
	if (!q->pool || !q->held)
		goto nomem;
	ret = zc_rings_create(&q->rings, name, ring_size, ring_size);
	q->efd_app = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->efd_kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ret || q->efd_app < 0 || q->efd_kick < 0) {
		snprintf(err, errlen, "rings of %s: %s", name, strerror(ret ? -ret : errno));
		goto fail;
	}
	q->be = (struct dp_backend){ .rx_burst = excl_rx_burst, .tx_burst = excl_tx_burst,
				     .fd = q->efd_kick, .tx_copies = true, .arm = excl_arm };
	stock_comp(q, tx_frames);
	return q;
nomem:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	if (q)
		pp_region_destroy(zc_excl_destroy(q));
	return NULL;
}

void zc_excl_reclaim(struct zc_excl *q)
{
	struct pp_pool *pool = own_pool(q);

	for (uint32_t f = 0; f < q->frames; f++)
		if (atomic_exchange(&q->held[f], 0))
			pp_put(pool, f);
	atomic_store(&q->outstanding, 0);
}

struct pp_region *zc_excl_destroy(struct zc_excl *q)
{
	struct pp_region *r = q->region;

	if (q->pool)
		pp_pool_destroy(q->pool);
	zc_rings_destroy(&q->rings);
	if (q->efd_app >= 0)
		close(q->efd_app);
	if (q->efd_kick >= 0)
		close(q->efd_kick);
	free(q->held);
	free(q);
	return r;
}

void zc_excl_stats(const struct zc_excl *q, struct sfnic_zc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->rx_frames = q->rx_frames;
	st->rx_bytes = q->rx_bytes;
	st->rx_copied = q->rx_frames;
	st->tx_frames = q->tx_frames;
	st->tx_bytes = q->tx_bytes;
	st->invalid_desc = q->fill_invalid + q->tx_invalid;
	st->overruns = q->overruns;
	st->bad_ring = q->rx_bad + q->tx_bad;
	st->outstanding = atomic_load(&q->outstanding);
}
