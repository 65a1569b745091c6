/*
 * dp_sched.c - devlink rate in the datapath: which leaf shapes which
 * vport (control side) and the workers' calls into the shaper.
 *
 * The leaf of a vport sits in its struct dp_port, read by the worker once
 * per read of the function's queues; unlimited functions find NULL there.
 * The map vport -> leaf (control thread only) keeps the setting for a
 * vport whose port comes and goes with its SF's state.
 */
#define _LGPL_SOURCE
#include "dp_internal.h"
#include "../sched/sched.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <urcu-qsbr.h>

struct dp_sched_map {
	unsigned n, cap;
	struct {
		uint32_t vport;
		struct sched_obj *o;
	} e[];
};

struct sched_obj *dp_sched_find(struct dp *dp, uint32_t vport)
{
	struct dp_sched_map *m = dp->sched_map;

	for (unsigned i = 0; m && i < m->n; i++)
		if (m->e[i].vport == vport)
			return m->e[i].o;
	return NULL;
}

static int map_set(struct dp *dp, uint32_t vport, struct sched_obj *o)
{
	struct dp_sched_map *m = dp->sched_map;
	unsigned i;

	for (i = 0; m && i < m->n; i++)
		if (m->e[i].vport == vport)
			break;
	if (m && i < m->n) {
		if (o)
			m->e[i].o = o;
		else
			m->e[i] = m->e[--m->n];
		return 0;
	}
	if (!o)
		return 0;
	if (!m || m->n == m->cap) {
		unsigned cap = m ? m->cap * 2 : 16;
		struct dp_sched_map *nm = realloc(m, sizeof(*m) + sizeof(m->e[0]) * cap);

		if (!nm)
			return -ENOMEM;
		if (!m)
			nm->n = 0;
		nm->cap = cap;
		dp->sched_map = m = nm;
	}
	m->e[m->n].vport = vport;
	m->e[m->n++].o = o;
	return 0;
}

int dp_fn_set_rate(struct dp *dp, uint32_t vport, struct sched_obj *o)
{
	struct dp_port *p;
	int ret = map_set(dp, vport, o);

	if (ret)
		return ret;
	p = dp_vport_lookup(dp, vport);
	if (p) {
		atomic_store_explicit(&p->sched, o, memory_order_release);
		/* A worker asleep on a function it throttled looks again. */
		for (unsigned w = 0; w < dp->nw; w++)
			dp_worker_wake(&dp->w[w]);
	}
	return 0;
}

void dp_sched_sync(struct dp *dp)
{
	(void)dp;
	synchronize_rcu();
}

void dp_sched_fini(struct dp *dp)
{
	free(dp->sched_map);
	dp->sched_map = NULL;
}

/* ---- workers ---- */

static uint64_t clock_ns(struct dp_worker *w)
{
	if (!w->sched_now_ns) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);    /* vDSO: no syscall */
		w->sched_now_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	return w->sched_now_ns;
}

__attribute__((noinline)) unsigned dp_sched_admit(struct dp_worker *w, struct sched_obj *o,
						  struct sched_grant *g, unsigned max)
{
	uint64_t wake = 0;
	int64_t budget = sched_admit(o, clock_ns(w), g, &wake);

	if (budget <= 0) {
		if (!w->sched_wake_ns || wake < w->sched_wake_ns)
			w->sched_wake_ns = wake;
		return 0;
	}
	/* A read that returns fewer drained the queue (sched_charge). */
	return g->asked = sched_frames(o, budget, max);
}

/* Bytes on the wire: a GSO frame becomes segments that each carry the
 * headers again. */
static uint64_t wire_bytes(const struct dp_pkt *p)
{
	uint64_t len = p->len;

	if (p->ol.gso_type != DP_GSO_NONE && p->ol.gso_size && len > p->ol.hdr_len) {
		uint64_t payload = len - p->ol.hdr_len;
		uint64_t segs = (payload + p->ol.gso_size - 1) / p->ol.gso_size;

		len += (segs - 1) * p->ol.hdr_len;
	}
	return len;
}

__attribute__((noinline)) void dp_sched_charge(struct sched_obj *o, const struct sched_grant *g,
					       const struct dp_pkt *pkts, unsigned n)
{
	uint64_t bytes = 0;

	for (unsigned i = 0; i < n; i++)
		bytes += wire_bytes(&pkts[i]);
	sched_charge(o, g, bytes, n);
}

void dp_sched_sleep(struct dp_worker *w)
{
	struct timespec now, until;
	uint64_t now_ns, wake = w->sched_wake_ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	if (wake <= now_ns)
		return;
	if (wake > now_ns + 10000000u)
		wake = now_ns + 10000000u;      /* a bounded nap: settings may change */
	until.tv_sec = (time_t)(wake / 1000000000u);
	until.tv_nsec = (long)(wake % 1000000000u);
	rcu_thread_offline();
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
	rcu_thread_online();
}
