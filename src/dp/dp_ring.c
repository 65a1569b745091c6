/*
 * dp_ring.c - rings of frame copies between the workers and the control
 * thread: a port's host-side input (inject), captures and pcap sinks.
 *
 * Each ring has one producer and one consumer, so head and tail are plain
 * release/acquire counters on separate cache lines.  A host ring has one
 * such ring per worker, so workers never share a producer index.
 */
#include "dp_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int dp_spsc_init(struct dp_spsc *s, uint32_t slots)
{
	memset(s, 0, sizeof(*s));
	if (!slots || slots & (slots - 1))
		return -EINVAL;
	s->slot = malloc(sizeof(*s->slot) * slots);
	if (!s->slot)
		return -ENOMEM;
	s->mask = slots - 1;
	return 0;
}

void dp_spsc_fini(struct dp_spsc *s)
{
	free(s->slot);
	s->slot = NULL;
}

bool dp_spsc_push(struct dp_spsc *s, const uint8_t *data, uint32_t len, uint8_t dir,
		  uint64_t ts_ns)
{
	uint32_t head = atomic_load_explicit(&s->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&s->tail, memory_order_acquire);
	struct dp_frame *f;

	if (head - tail > s->mask) {
		s->dropped++;
		return false;
	}
	f = &s->slot[head & s->mask];
	f->orig_len = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
	if (len > sizeof(f->data))
		len = sizeof(f->data);
	f->len = (uint16_t)len;
	f->dir = dir;
	f->ts_ns = ts_ns;
	memcpy(f->data, data, len);
	atomic_store_explicit(&s->head, head + 1, memory_order_release);
	return true;
}

struct dp_ring *dp_ring_create(unsigned workers, uint32_t slots)
{
	struct dp_ring *r = calloc(1, sizeof(*r) + sizeof(r->r[0]) * workers);

	if (!r)
		return NULL;
	r->nrings = workers;
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0)
		goto fail;
	for (unsigned i = 0; i < workers; i++)
		if (dp_spsc_init(&r->r[i], slots))
			goto fail;
	atomic_init(&r->armed, 1);
	return r;
fail:
	dp_ring_destroy(r);
	return NULL;
}

void dp_ring_destroy(struct dp_ring *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->nrings; i++)
		dp_spsc_fini(&r->r[i]);
	if (r->efd >= 0)
		close(r->efd);
	free(r);
}

void dp_ring_push(struct dp_ring *r, unsigned worker, const uint8_t *data, uint32_t len,
		  uint8_t dir, uint64_t ts_ns)
{
	dp_spsc_push(&r->r[worker], data, len, dir, ts_ns);
}

/* Once per burst: wakes the consumer if it asked to be woken. */
void dp_ring_kick(struct dp_ring *r)
{
	if (atomic_exchange_explicit(&r->armed, 0, memory_order_acq_rel)) {
		uint64_t one = 1;

		if (write(r->efd, &one, sizeof(one)) < 0) {
			/* the counter is saturated: the consumer is awake anyway */
		}
	}
}

unsigned dp_ring_drain(struct dp_ring *r, unsigned max,
		       void (*fn)(const struct dp_frame *f, void *arg), void *arg)
{
	unsigned done = 0;
	bool more = true;

	/* Round robin over the workers' rings, oldest first within each. */
	while (done < max && more) {
		more = false;
		for (unsigned i = 0; i < r->nrings && done < max; i++) {
			struct dp_spsc *s = &r->r[i];
			uint32_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);

			if (atomic_load_explicit(&s->head, memory_order_acquire) == tail)
				continue;
			fn(&s->slot[tail & s->mask], arg);
			atomic_store_explicit(&s->tail, tail + 1, memory_order_release);
			done++;
			more = true;
		}
	}
	return done;
}

uint64_t dp_ring_dropped(const struct dp_ring *r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->nrings; i++)
		n += r->r[i].dropped;
	return n;
}

int dp_ring_fd(const struct dp_ring *r)
{
	return r->efd;
}

void dp_ring_ack(struct dp_ring *r)
{
	uint64_t v;

	if (read(r->efd, &v, sizeof(v)) < 0) {
		/* nothing pending */
	}
	atomic_store_explicit(&r->armed, 1, memory_order_release);
}
