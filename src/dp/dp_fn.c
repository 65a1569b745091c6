/*
 * dp_fn.c - an SF function's receive queues and RX steering, control side.
 *
 * A function's configuration (its steering rules, its default queue and the
 * backends of queues 1..DP_FN_QUEUES-1) is one immutable struct dp_fn that
 * workers read under RCU; every change builds a new one, publishes it and
 * frees the old one after a grace period.  Counters of queues 1.. live in
 * the port (fnst), so they outlive the tables.  Queue 0 is the netdev: the
 * port's own backend or consumer and its own counters.
 */
#define _LGPL_SOURCE
#include "dp_internal.h"
#include "../steer/steer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <urcu-qsbr.h>

static struct dp_port *sf_port(struct dp *dp, uint32_t vport)
{
	struct dp_port *p = dp_vport_lookup(dp, vport);

	if (!p || p == &dp->uplink.port || p == &dp->pf.port)
		return NULL;
	return p;
}

static struct dp_fn *fn_copy(const struct dp_fn *old, unsigned nrules)
{
	struct dp_fn *fn = calloc(1, sizeof(*fn) + sizeof(struct steer_rule) * nrules);

	if (!fn)
		return NULL;
	if (old) {
		fn->dflt = old->dflt;
		memcpy(fn->q, old->q, sizeof(fn->q));
	} else {
		fn->dflt = DP_FN_QUEUE_NETDEV;
	}
	fn->nrules = nrules;
	return fn;
}

/* Whether fn changes anything: no rules and everything to the netdev is
 * what a port without a table does, on the unchanged fast path. */
static bool fn_needed(const struct dp_fn *fn)
{
	if (fn->nrules || fn->dflt != DP_FN_QUEUE_NETDEV)
		return true;
	for (unsigned q = 1; q < DP_FN_QUEUES; q++)
		if (fn->q[q].be)
			return true;
	return false;
}

/* Publishes fn (freed instead when it changes nothing) and retires the old
 * table.  The caller keeps a reference to nothing. */
static void fn_publish(struct dp *dp, struct dp_port *p, struct dp_fn *fn, bool polls_changed)
{
	struct dp_fn *old = atomic_load(&p->fn);

	if (!fn_needed(fn)) {
		free(fn);
		fn = NULL;
	}
	atomic_store_explicit(&p->fn, fn, memory_order_release);
	if (polls_changed)
		dp_rebuild_polls(dp);   /* includes a grace period */
	else
		synchronize_rcu();
	free(old);
	dp_worker_wake(&dp->w[p->owner]);
}

static int ensure_fnst(struct dp *dp, struct dp_port *p)
{
	if (!p->fnst) {
		p->fnst = aligned_alloc(64, sizeof(struct dp_qstats) * DP_FN_QUEUES * dp->nw);
		if (!p->fnst)
			return -ENOMEM;
		memset(p->fnst, 0, sizeof(struct dp_qstats) * DP_FN_QUEUES * dp->nw);
	}
	return 0;
}

int dp_fn_set_steering(struct dp *dp, uint32_t vport, const struct steer_rule *rules,
		       unsigned n, uint32_t dflt)
{
	struct dp_port *p = sf_port(dp, vport);
	struct dp_fn *fn;

	if (!p)
		return -ENODEV;
	if (dflt != DP_FN_DROP && dflt >= DP_FN_QUEUES)
		return -EINVAL;
	if (ensure_fnst(dp, p))
		return -ENOMEM;
	fn = fn_copy(atomic_load(&p->fn), n);
	if (!fn)
		return -ENOMEM;
	fn->dflt = dflt;
	if (n)
		memcpy(fn->rules, rules, sizeof(*rules) * n);
	fn_publish(dp, p, fn, false);
	return 0;
}

int dp_fn_set_queue(struct dp *dp, uint32_t vport, unsigned q, const struct dp_backend *be,
		    void *ctx)
{
	struct dp_port *p = sf_port(dp, vport);
	struct dp_worker *w;
	const struct dp_fn *cur;
	struct dp_fn *fn;
	int ret;

	if (!p)
		return -ENODEV;
	if (q == 0 || q >= DP_FN_QUEUES)
		return -EINVAL;
	w = &dp->w[p->owner];
	cur = atomic_load(&p->fn);
	if (be && cur && cur->q[q].be)
		return -EBUSY;
	if (!be && (!cur || !cur->q[q].be))
		return 0;
	if ((ret = ensure_fnst(dp, p)) || (be && (ret = dp_port_ensure_pools(dp, p))))
		return ret;
	fn = fn_copy(cur, cur ? cur->nrules : 0);
	if (!fn)
		return -ENOMEM;
	if (cur)
		memcpy(fn->rules, cur->rules, sizeof(struct steer_rule) * cur->nrules);
	if (!be) {
		const struct dp_backend *old = cur->q[q].be;

		if (old->fd >= 0)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, old->fd, NULL);
		fn->q[q] = (struct dp_fn_queue){ NULL, NULL };
		fn_publish(dp, p, fn, true);    /* no worker uses old afterwards */
		return 0;
	}
	if (be->fd >= 0) {
		/* The fd only wakes a sleeping worker: the owner calls rx_burst
		 * on every pass, so it is not counted in nfds (which makes
		 * every pass look at epoll and an idle worker sleep at once);
		 * a worker polling shared rings spins a while first. */
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, be->fd, &(struct epoll_event){ .events = EPOLLIN })) {
			ret = -errno;
			free(fn);
			return ret;
		}
	}
	fn->q[q] = (struct dp_fn_queue){ be, ctx };
	fn_publish(dp, p, fn, true);
	return 0;
}

int dp_fn_queue_stats(struct dp *dp, uint32_t vport, unsigned q, struct dp_qstats *st)
{
	struct dp_port *p = sf_port(dp, vport);

	if (!p || q >= DP_FN_QUEUES)
		return -ENODEV;
	memset(st, 0, sizeof(*st));
	for (unsigned w = 0; w < dp->nw; w++) {
		const struct dp_qstats *s = q ? (p->fnst ? &p->fnst[w * DP_FN_QUEUES + q] : NULL)
					      : &p->q[w].st;

		if (!s)
			continue;
		st->rx_packets += s->rx_packets;
		st->rx_bytes += s->rx_bytes;
		st->tx_packets += s->tx_packets;
		st->tx_bytes += s->tx_bytes;
		for (unsigned d = 0; d < DP_DROP_MAX; d++)
			st->drops[d] += s->drops[d];
	}
	return 0;
}

/* Port deletion: fds leave the owner's epoll; the table goes with the
 * port (after the grace period dp_port_del waits for). */
void dp_fn_port_release(struct dp *dp, struct dp_port *p)
{
	const struct dp_fn *fn = atomic_load(&p->fn);
	struct dp_worker *w = &dp->w[p->owner];

	for (unsigned q = 1; fn && q < DP_FN_QUEUES; q++) {
		const struct dp_backend *be = fn->q[q].be;

		if (be && be->fd >= 0)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, be->fd, NULL);
	}
}

void dp_fn_port_free(struct dp_port *p)
{
	free(atomic_load(&p->fn));
	atomic_store(&p->fn, NULL);
	free(p->fnst);
	p->fnst = NULL;
}
