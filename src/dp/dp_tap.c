/*
 * dp_tap.c - read-only taps of a port's RX queues, control side.
 *
 * A queue's taps are one immutable list that its worker reads under RCU;
 * adding or removing a tap publishes a new list and frees the old one after
 * a grace period, after which no worker calls into a removed tap.
 */
#define _LGPL_SOURCE
#include "dp_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <urcu-qsbr.h>

static struct dp_taps *taps_alloc(unsigned n)
{
	return calloc(1, sizeof(struct dp_taps) + sizeof(((struct dp_taps *)0)->t[0]) * n);
}

/* Where the taps of RX queue q of p hang: the uplink's input queue q, a
 * function's delivery queue q.  NULL when p has no such queue. */
static struct dp_taps *_Atomic *taps_slot(struct dp *dp, struct dp_port *p, unsigned q)
{
	if (p->is_rep)
		return NULL;
	if (p == &dp->uplink.port)
		return q < dp->nw ? &p->q[q].taps : NULL;
	if (p == &dp->pf.port)
		return q == 0 ? &p->rx_taps[0] : NULL;
	return q < 2 ? &p->rx_taps[q] : NULL;
}

/* Publishes t in slot and frees the old list after a grace period. */
static void taps_publish(struct dp_taps *_Atomic *slot, struct dp_taps *t)
{
	struct dp_taps *old = atomic_load(slot);

	atomic_store_explicit(slot, t, memory_order_release);
	synchronize_rcu();
	free(old);
}

int dp_port_add_tap(struct dp *dp, uint32_t vport, bool rep, unsigned q,
		    const struct dp_tap_ops *ops, void *ctx, const _Atomic uint8_t *held)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);
	struct dp_taps *_Atomic *slot;
	struct dp_taps *old, *t;
	int ret;

	if (!p)
		return -ENODEV;
	if (!(slot = taps_slot(dp, p, q)) || !ops || !ops->deliver || !held)
		return -EINVAL;
	if ((ret = dp_port_ensure_pools(dp, p)))
		return ret;
	old = atomic_load(slot);
	t = taps_alloc((old ? old->n : 0) + 1);
	if (!t)
		return -ENOMEM;
	for (unsigned i = 0; old && i < old->n; i++)
		t->t[t->n++] = old->t[i];
	/* The pools learn of the flags before the tap can set one. */
	ret = pp_region_tap_add(p->region, held);
	if (ret < 0) {
		free(t);
		return ret;
	}
	t->t[t->n].ops = ops;
	t->t[t->n].ctx = ctx;
	t->t[t->n++].region_slot = ret;
	taps_publish(slot, t);
	return 0;
}

void dp_port_del_tap(struct dp *dp, uint32_t vport, bool rep, unsigned q, void *ctx)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);
	struct dp_taps *_Atomic *slot;
	struct dp_taps *old, *t = NULL;
	bool found = false;

	if (!p || !(slot = taps_slot(dp, p, q)) || !(old = atomic_load(slot))) {
		/* The port may be gone with its taps unregistered just now
		 * (dp_tap_port_free): a grace period before the caller frees
		 * the flags the pools read. */
		synchronize_rcu();
		return;
	}
	for (unsigned i = 0; i < old->n; i++)
		if (old->t[i].ctx == ctx) {
			found = true;
			/* The grace period of taps_publish covers the pools'
			 * readers of its flags too. */
			pp_region_tap_del(p->region, old->t[i].region_slot);
		}
	if (!found) {
		synchronize_rcu();
		return;
	}
	/* Without memory for the smaller list, the queue loses all its taps
	 * rather than keep calling a closed one. */
	if (old->n > 1 && (t = taps_alloc(old->n - 1)))
		for (unsigned i = 0; i < old->n; i++)
			if (old->t[i].ctx != ctx)
				t->t[t->n++] = old->t[i];
	taps_publish(slot, t);
}

/* Frees a list and unregisters its taps' flags from the port's region
 * (the region outlives the port, and may serve another SF next). */
static void taps_free(struct dp_port *p, struct dp_taps *_Atomic *slot)
{
	struct dp_taps *t = atomic_load(slot);

	for (unsigned i = 0; t && i < t->n; i++)
		pp_region_tap_del(p->region, t->t[i].region_slot);
	free(t);
	atomic_store(slot, NULL);
}

void dp_tap_port_free(struct dp_port *p, unsigned nw)
{
	for (unsigned i = 0; p->q && i < nw; i++)
		taps_free(p, &p->q[i].taps);
	for (unsigned i = 0; i < 2; i++)
		taps_free(p, &p->rx_taps[i]);
}
