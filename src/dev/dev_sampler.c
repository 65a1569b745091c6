/*
 * dev_sampler.c - the counter sampler: a thread per sampling context that
 * writes timestamped snapshots of one source's counters into a ring in the
 * client's umem (layouts in dev_cmd.h), up to DEV_SAMPLER_MAX_HZ.
 *
 * The packet path pays nothing: the thread only reads counters the workers
 * already keep (as `sfnic -s port show` does, plain loads of counters each
 * owned by one worker) and takes no lock.  Ports are freed after an RCU
 * grace period, so the thread is an urcu-qsbr reader that is online only
 * while it reads and offline while it waits, and never delays a grace
 * period by more than one read.  Deadlines are absolute (CLOCK_MONOTONIC):
 * it sleeps with clock_nanosleep(TIMER_ABSTIME) until SPIN_NS before one
 * and spins the rest, because a VM's timer wakeups come tens of
 * microseconds late; at 100 kHz that means it spins, i.e. a sampler at a
 * high rate costs one core while it runs.  Deadlines stay on their grid:
 * after a stall (the thread preempted on a busy 2-core VM) the deadlines of
 * the last DEV_SAMPLER_CATCHUP_NS are sampled at once, each with its true
 * time, and counted in hdr.late, so the client gets the samples it asked
 * for and sees exactly where they bunched; deadlines further back are
 * skipped and counted (hdr.missed).
 * The control thread starts and stops (joins) it; the thread touches
 * nothing of the device but its own struct and ring.
 */
#include "dev_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <urcu-qsbr.h>

#include "../dp/dp.h"

#define SPIN_NS 200000u
#define DEV_SAMPLER_CATCHUP_NS 10000000u      /* 10 ms: a few scheduler slices */

struct dev_sampler {
	pthread_t th;
	atomic_bool stop;
	uint64_t start_ns;              /* when the start was asked (CLOCK_MONOTONIC) */
	_Atomic uint64_t stop_ns;       /* when the stop was asked */
	struct dev_ring ring;
	struct dp *dp;
	uint32_t source, vport;
	unsigned queue;
	bool rep;
	uint64_t period_ns;
};

static void qstats_sum(struct dp_qstats *sum, const struct dp_qstats *s)
{
	sum->rx_packets += s->rx_packets;
	sum->rx_bytes += s->rx_bytes;
	sum->tx_packets += s->tx_packets;
	sum->tx_bytes += s->tx_bytes;
	for (unsigned i = 0; i < DP_DROP_MAX; i++)
		sum->drops[i] += s->drops[i];
}

/* Reads the source into e->c; false when it is gone. */
static bool sample_read(struct dev_sampler *s, struct dev_sample *e)
{
	struct dp_qstats sum, st;
	struct pp_stats ps;
	bool has;

	memset(&sum, 0, sizeof(sum));
	switch (s->source) {
	case DEV_SAMPLE_PORT:
		for (unsigned q = 0; q < dp_nqueues(s->dp); q++) {
			if (dp_queue_stats(s->dp, s->vport, s->rep, q, &st, &ps, &has))
				return false;
			qstats_sum(&sum, &st);
		}
		break;
	case DEV_SAMPLE_QUEUE:
		if (dp_queue_stats(s->dp, s->vport, s->rep, s->queue, &sum, &ps, &has))
			return false;
		break;
	case DEV_SAMPLE_FN_QUEUE:
		if (dp_fn_queue_stats(s->dp, s->vport, s->queue, &sum))
			return false;
		break;
	default:
		if (dp_queue_stats(s->dp, s->vport, s->rep, s->queue, &st, &ps, &has) || !has)
			return false;
		e->c[0] = ps.alloc_fast;
		e->c[1] = ps.alloc_slow;
		e->c[2] = ps.alloc_empty;
		e->c[3] = ps.recycle_cached;
		e->c[4] = ps.recycle_ring;
		e->c[5] = ps.inflight;
		e->c[6] = ps.hold;
		e->c[7] = ps.cap_hit;
		return true;
	}
	e->c[0] = sum.rx_packets;
	e->c[1] = sum.rx_bytes;
	e->c[2] = sum.tx_packets;
	e->c[3] = sum.tx_bytes;
	for (unsigned i = 0; i < DP_DROP_MAX; i++)
		e->c[4] += sum.drops[i];
	return true;
}

static void wait_until(struct dev_sampler *s, uint64_t deadline)
{
	uint64_t now = dev_now_ns(CLOCK_MONOTONIC);

	if (deadline > now + SPIN_NS) {
		uint64_t wake = deadline - SPIN_NS;
		struct timespec ts = { .tv_sec = (time_t)(wake / 1000000000u),
				       .tv_nsec = (long)(wake % 1000000000u) };

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	while (dev_now_ns(CLOCK_MONOTONIC) < deadline &&
	       !atomic_load_explicit(&s->stop, memory_order_relaxed))
		__builtin_ia32_pause();
}

static void hdr_store(uint64_t *field, uint64_t v)
{
	atomic_store_explicit((_Atomic uint64_t *)field, v, memory_order_relaxed);
}

static void *sampler_main(void *arg)
{
	struct dev_sampler *s = arg;
	struct dev_ring_hdr *h = s->ring.hdr;
	uint64_t next, missed = 0, max_late = 0, nlate = 0, stop_ns;

	prctl(PR_SET_TIMERSLACK, 1UL);
	rcu_register_thread();
	rcu_thread_offline();
	/* Deadlines run from the command, not from when this thread first
	 * got a CPU. */
	next = s->start_ns + s->period_ns;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		struct dev_sample e;
		uint64_t now, late;

		wait_until(s, next);
		if (atomic_load_explicit(&s->stop, memory_order_relaxed))
			break;
		memset(&e, 0, sizeof(e));
		rcu_thread_online();
		e.ts_ns = dev_now_ns(CLOCK_MONOTONIC);
		if (!sample_read(s, &e)) {
			memset(e.c, 0, sizeof(e.c));
			e.flags = DEV_SAMPLE_F_GONE;
		}
		rcu_thread_offline();
		dev_ring_push(&s->ring, &e);
		now = e.ts_ns;
		late = now > next ? now - next : 0;
		if (late > max_late)
			hdr_store(&h->max_late_ns, max_late = late);
		if (late >= s->period_ns)
			hdr_store(&h->late, ++nlate);
		next += s->period_ns;
		if (now >= next + DEV_SAMPLER_CATCHUP_NS) {
			uint64_t skip = (now - next - DEV_SAMPLER_CATCHUP_NS) / s->period_ns + 1;

			next += skip * s->period_ns;
			hdr_store(&h->missed, missed += skip);
		}
	}
	/* Deadlines that passed before the stop without a sample (the thread
	 * was behind, or not running) are missed too: every deadline up to
	 * the stop is either in the ring or counted. */
	stop_ns = atomic_load_explicit(&s->stop_ns, memory_order_relaxed);
	if (stop_ns >= next)
		hdr_store(&h->missed, missed += (stop_ns - next) / s->period_ns + 1);
	atomic_store_explicit((_Atomic uint64_t *)&h->stopped, 1, memory_order_release);
	rcu_thread_online();
	rcu_unregister_thread();
	return NULL;
}

void dev_sampler_stop(struct dev *d, struct dev_uctx *u)
{
	struct dev_sampler *s = u->sampler;

	if (!s)
		return;
	atomic_store(&s->stop_ns, dev_now_ns(CLOCK_MONOTONIC));
	atomic_store(&s->stop, true);
	pthread_join(s->th, NULL);
	free(s);
	u->sampler = NULL;
	u->sampler_umem = 0;
	d->nsamplers--;
}

/* Whether the source can be read now (the thread copes with it going). */
static bool source_ok(struct dp *dp, const struct dev_set_sampler_in *in)
{
	struct dp_qstats st;
	struct pp_stats ps;
	bool has = false;

	switch (in->source) {
	case DEV_SAMPLE_PORT:
		return !dp_queue_stats(dp, in->vport, in->rep, 0, &st, &ps, &has);
	case DEV_SAMPLE_QUEUE:
		return in->queue < dp_nqueues(dp) &&
		       !dp_queue_stats(dp, in->vport, in->rep, in->queue, &st, &ps, &has);
	case DEV_SAMPLE_FN_QUEUE:
		return !in->rep && in->queue < DP_FN_QUEUES &&
		       !dp_fn_queue_stats(dp, in->vport, in->queue, &st);
	case DEV_SAMPLE_POOL:
		return in->queue < dp_nqueues(dp) &&
		       !dp_queue_stats(dp, in->vport, in->rep, in->queue, &st, &ps, &has) && has;
	default:
		return false;
	}
}

uint8_t dev_cmd_set_sampler(struct ctx *c, uint16_t op_mod)
{
	const struct dev_set_sampler_in *in = c->in;
	struct dev_set_sampler_out *o = c->out;
	struct dev_sampler *s;
	struct dev_ring r;
	uint64_t len;
	uint8_t *p, st;

	NEED_IO(c, *in, *o);
	if (in->rsvd || in->rsvd2 || in->rep > 1)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	if (!c->u)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_UID);
	if (op_mod == DEV_SAMPLER_STOP) {
		dev_sampler_stop(c->d, c->u);
		return DEV_STAT_OK;
	}
	if (op_mod != DEV_SAMPLER_START)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_BAD_OP_MOD);
	if (!in->rate_hz || in->rate_hz > DEV_SAMPLER_MAX_HZ)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_SAMPLER_BAD_RATE);
	if (!c->d->dp)
		return dev_fail(c, DEV_STAT_BAD_SYS_STATE, DEV_SYND_NO_DATAPATH);
	if (!source_ok(c->d->dp, in))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_SAMPLER_BAD_SOURCE);
	if (c->u->sampler)
		return dev_fail(c, DEV_STAT_RESOURCE_BUSY, DEV_SYND_SAMPLER_BUSY);
	if (c->d->nsamplers >= DEV_SAMPLER_MAX)
		return dev_fail(c, DEV_STAT_EXCEED_LIM, DEV_SYND_SAMPLER_TOO_MANY);
	len = in->len;
	st = dev_umem_range(c, in->umem_id, in->umem_offset, &len, &p);
	if (st != DEV_STAT_OK)
		return st;
	st = dev_ring_init(c, &r, in->umem_id, p, len, sizeof(struct dev_sample),
			   DEV_SAMPLE_MAGIC);
	if (st != DEV_STAT_OK)
		return st;
	s = calloc(1, sizeof(*s));
	if (!s)
		return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE);
	*s = (struct dev_sampler){ .ring = r, .dp = c->d->dp, .source = in->source,
				   .vport = in->vport, .queue = in->queue, .rep = in->rep,
				   .period_ns = 1000000000u / in->rate_hz };
	r.hdr->rate_hz = in->rate_hz;
	r.hdr->source = in->source;
	r.hdr->period_ns = s->period_ns;
	s->start_ns = dev_now_ns(CLOCK_MONOTONIC);
	if (pthread_create(&s->th, NULL, sampler_main, s)) {
		free(s);
		return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_SAMPLER_THREAD);
	}
	c->u->sampler = s;
	c->u->sampler_umem = in->umem_id;
	c->d->nsamplers++;
	o->entry_count = r.count;
	return DEV_STAT_OK;
}
