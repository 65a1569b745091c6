/*
 * zc_tap.c - a read-only tap: frames a port receives, seen in place.
 *
 * The tap holds each frame it puts on RX by its flag in held[], in daemon
 * memory: the region's pools hand out no buffer whose flag is set (pp.h),
 * so the packet path frees tapped frames as any other.  A FILL entry lets
 * go of a frame only if the tap holds it.  A tap at its
 * cap, or with RX full, misses frames: the port's frames go on and its
 * pool refills as usual.  A tap allowed a quarter of the region may hold a
 * whole worker queue's pool (its cap is a quarter too) and stop giving
 * frames back: the port's rx health reporter sees that pool unable to
 * refill and drops the tap.
 */
#include "zc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Takes the frames the application returned on FILL.  Caller locks. */
static void take_fill(struct zc_tap *t)
{
	struct zc_ring *f = &t->rings.fill;
	uint32_t n;

	if (__builtin_expect(atomic_load_explicit(&t->no_return, memory_order_relaxed), 0))
		return;
	n = zc_ring_avail(f, &t->bad);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = zc_ring_frame(f, f->local + i);

		if (b >= t->frames || !atomic_load_explicit(&t->held[b], memory_order_relaxed)) {
			t->fill_invalid++;
			continue;
		}
		/* Release: the application's reads (before its FILL, which
		 * we acquired) come before the pool's next use of b. */
		atomic_store_explicit(&t->held[b], 0, memory_order_release);
		t->outstanding--;
	}
	if (n) {
		f->local += n;
		zc_ring_publish_cons(f);
	}
}

void zc_tap_poll(void *ctx)
{
	struct zc_tap *t = ctx;

	zc_lock(&t->lock);
	take_fill(t);
	zc_unlock(&t->lock);
}

static void tap_deliver(void *ctx, const struct pp_region *region, struct dp_pkt *pkts,
			unsigned n)
{
	struct zc_tap *t = ctx;
	struct zc_ring *rx = &t->rings.rx;
	uint32_t room, sent = 0;

	zc_lock(&t->lock);
	take_fill(t);
	room = zc_ring_room(rx, &t->bad);
	for (unsigned i = 0; i < n; i++) {
		struct dp_pkt *p = &pkts[i];

		if (p->pool->region != region)
			continue;       /* not in the tapped region */
		/* A frame the tap still holds (a forwarded frame seen again)
		 * is not held twice. */
		if (sent >= room || t->outstanding >= t->max_outstanding || p->buf >= t->frames ||
		    atomic_load_explicit(&t->held[p->buf], memory_order_relaxed)) {
			t->overruns++;
			continue;
		}
		/* Set while the packet path still holds the frame: before
		 * its free, so before any allocation of it (pp.h). */
		atomic_store_explicit(&t->held[p->buf], 1, memory_order_relaxed);
		p->shared = 1;
		t->outstanding++;
		((struct sfnic_zc_desc *)rx->entries)[rx->local++ & rx->mask] =
			(struct sfnic_zc_desc){ p->buf, p->off, p->len };
		t->rx_bytes += p->len;
		sent++;
	}
	if (sent) {
		zc_ring_publish_prod(rx);
		t->rx_frames += sent;
	}
	zc_unlock(&t->lock);
	if (sent)
		zc_ring_signal(rx, t->efd_app);
}

struct zc_tap *zc_tap_create(const char *name, uint32_t frames, uint32_t ring_size,
			     uint32_t max_outstanding, char *err, size_t errlen)
{
	struct zc_tap *t = calloc(1, sizeof(*t));
	int ret;

	if (!t || !(t->held = calloc(frames, 1))) {
		free(t);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	t->frames = frames;
	t->max_outstanding = max_outstanding;
	atomic_flag_clear(&t->lock);
	t->ops = (struct dp_tap_ops){ .deliver = tap_deliver, .poll = zc_tap_poll };
	ret = zc_rings_create(&t->rings, name, ring_size, 0);
	t->efd_app = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t->efd_kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ret || t->efd_app < 0 || t->efd_kick < 0) {
		snprintf(err, errlen, "rings of %s: %s", name, strerror(ret ? -ret : errno));
		zc_tap_destroy(t);
		return NULL;
	}
	return t;
}

void zc_tap_reclaim(struct zc_tap *t)
{
	for (uint32_t b = 0; b < t->frames; b++)
		atomic_store_explicit(&t->held[b], 0, memory_order_release);
	t->outstanding = 0;
}

void zc_tap_destroy(struct zc_tap *t)
{
	if (!t)
		return;
	zc_rings_destroy(&t->rings);
	if (t->efd_app >= 0)
		close(t->efd_app);
	if (t->efd_kick >= 0)
		close(t->efd_kick);
	free(t->held);
	free(t);
}

void zc_tap_stats(const struct zc_tap *t, struct sfnic_zc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->rx_frames = t->rx_frames;
	st->rx_bytes = t->rx_bytes;
	st->rx_zerocopy = t->rx_frames;
	st->invalid_desc = t->fill_invalid;
	st->overruns = t->overruns;
	st->bad_ring = t->bad;
	st->outstanding = t->outstanding;
}
