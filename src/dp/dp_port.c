/*
 * dp_port.c - the datapath's control side: ports, pools, workers, rules,
 * stats.  Everything here runs on the control thread; what the workers read
 * is published with rcu_assign_pointer/atomic stores and retired after
 * synchronize_rcu().
 */
#define _LGPL_SOURCE
#include "dp_internal.h"
#include "../util/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

const char *const dp_drop_names[DP_DROP_MAX] = {
	[DP_DROP_NO_CONSUMER] = "no_consumer", [DP_DROP_RULE] = "rule_drop",
	[DP_DROP_NO_TUNNEL] = "no_tunnel_key", [DP_DROP_NO_ROUTE] = "no_route",
	[DP_DROP_NO_NEIGH] = "no_neigh", [DP_DROP_BAD_TUNNEL] = "bad_tunnel",
	[DP_DROP_NO_PORT] = "no_port", [DP_DROP_NO_BUFFER] = "no_buffer",
	[DP_DROP_RING_FULL] = "ring_full", [DP_DROP_RUNT] = "runt",
	[DP_DROP_LOOP] = "loop", [DP_DROP_VLAN] = "vlan", [DP_DROP_MTU] = "mtu",
};

/* Regions of SFs that are gone: reused (and zeroed on entry) by new SFs. */
struct region_node {
	struct pp_region *r;
	struct region_node *next;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct dp_port *dp_vport_lookup(struct dp *dp, uint32_t vport)
{
	uint32_t c = vport >> DP_VPORT_CHUNK_SHIFT;
	struct dp_port *_Atomic *chunk;

	if (c >= DP_VPORT_CHUNKS)
		return NULL;
	chunk = atomic_load_explicit(&dp->chunks[c], memory_order_acquire);
	if (!chunk)
		return NULL;
	return atomic_load_explicit(&chunk[vport & ((1u << DP_VPORT_CHUNK_SHIFT) - 1)],
				    memory_order_acquire);
}

struct dp_port *dp_port_get(struct dp *dp, uint32_t vport, bool rep)
{
	struct dp_port *p = dp_vport_lookup(dp, vport);

	return p && rep ? p->peer : p;
}

static int publish_vport(struct dp *dp, uint32_t vport, struct dp_port *p)
{
	uint32_t c = vport >> DP_VPORT_CHUNK_SHIFT;
	struct dp_port *_Atomic *chunk;

	if (c >= DP_VPORT_CHUNKS)
		return -ERANGE;
	chunk = atomic_load(&dp->chunks[c]);
	if (!chunk) {
		chunk = calloc(1u << DP_VPORT_CHUNK_SHIFT, sizeof(*chunk));
		if (!chunk)
			return -ENOMEM;
		atomic_store_explicit(&dp->chunks[c], chunk, memory_order_release);
	}
	atomic_store_explicit(&chunk[vport & ((1u << DP_VPORT_CHUNK_SHIFT) - 1)], p,
			      memory_order_release);
	return 0;
}

void dp_port_init(struct dp *dp, struct dp_port *p, uint32_t vport, bool rep, uint32_t domain,
		  struct pp_region *region)
{
	p->vport = vport;
	p->is_rep = rep;
	p->domain = domain;
	p->region = region;
	p->owner = (vport + (rep ? 1 : 0)) % dp->nw;
}

static int alloc_queues(struct dp *dp, struct dp_vport *v)
{
	v->port.q = calloc(dp->nw, sizeof(struct dp_queue));
	v->rep.q = calloc(dp->nw, sizeof(struct dp_queue));
	if (!v->port.q || !v->rep.q)
		return -ENOMEM;
	v->port.peer = &v->rep;
	v->rep.peer = &v->port;
	return 0;
}

void dp_port_fini(struct dp_port *p, unsigned nw)
{
	struct dp_spsc *in = atomic_load(&p->in);

	dp_fn_port_free(p);
	dp_tap_port_free(p, nw);
	dp_fault_port_free(p);
	dp_tun_port_free(p);
	for (unsigned i = 0; p->q && i < nw; i++)
		pp_pool_destroy(p->q[i].pool);
	free(p->q);
	p->q = NULL;
	if (in) {
		dp_spsc_fini(in);
		free(in);
	}
}

int dp_port_ensure_pools(struct dp *dp, struct dp_port *p)
{
	char name[48], err[160];

	if (!p->region) {
		struct region_node *n = dp->sf_regions;

		/* A retired region is reusable once all its buffers are home. */
		if (n && pp_region_assign(n->r, p->domain) == 0) {
			dp->sf_regions = n->next;
			p->region = n->r;
			free(n);
		} else {
			snprintf(name, sizeof(name), "sfnic-vport-%x", p->vport);
			p->region = pp_region_create_sized(name, p->domain, dp->cfg.sf_buffers,
							   dp->cfg.gso ? PP_BUF_SIZE_GSO : PP_BUF_SIZE,
							   true, err, sizeof(err));
			if (!p->region) {
				util_log(UTIL_ERR, "%s", err);
				return -ENOMEM;
			}
		}
	}
	for (unsigned i = 0; i < dp->nw; i++) {
		if (p->q[i].pool)
			continue;
		snprintf(name, sizeof(name), "%s%x/q%u", p->is_rep ? "rep" : "vport", p->vport, i);
		/* A quarter of the domain per queue: one consumer that holds on to
		 * its buffers cannot starve the others. */
		struct pp_params prm = { .name = name, .unowned = true,
					 .max_buffers = pp_region_nbufs(p->region) / 4 };
		struct pp_pool *pool = pp_pool_create(p->region, &prm);

		if (!pool)
			return -ENOMEM;
		atomic_store_explicit((struct pp_pool *_Atomic *)&p->q[i].pool, pool,
				      memory_order_release);
	}
	return 0;
}

/* Worker w polls p's inject ring and function queues if it owns p, and
 * p's backend queue w. */
static void add_poll(struct dp_poll_list *pl, struct dp_port *p, unsigned w)
{
	if ((p->owner == w && (atomic_load(&p->in) || atomic_load(&p->fn))) ||
	    atomic_load(&p->q[w].be))
		pl->p[pl->n++] = p;
}

/* Rebuilds every worker's list of ports with input and retires the old
 * lists after a grace period. */
void dp_rebuild_polls(struct dp *dp)
{
	struct dp_poll_list *old[DP_MAX_WORKERS];
	unsigned cap = 4;

	for (uint32_t c = 0; c < DP_VPORT_CHUNKS; c++)
		if (atomic_load(&dp->chunks[c]))
			cap += 2u << DP_VPORT_CHUNK_SHIFT;
	for (unsigned w = 0; w < dp->nw; w++) {
		struct dp_poll_list *pl = malloc(sizeof(*pl) + sizeof(pl->p[0]) * cap);

		if (!pl)
			abort();
		pl->n = 0;
		for (uint32_t c = 0; c < DP_VPORT_CHUNKS; c++) {
			struct dp_port *_Atomic *chunk = atomic_load(&dp->chunks[c]);

			for (uint32_t i = 0; chunk && i < (1u << DP_VPORT_CHUNK_SHIFT); i++) {
				struct dp_port *p = atomic_load(&chunk[i]);

				if (p) {
					add_poll(pl, p, w);
					add_poll(pl, p->peer, w);
				}
			}
		}
		old[w] = atomic_load(&dp->w[w].polls);
		atomic_store_explicit(&dp->w[w].polls, pl, memory_order_release);
	}
	synchronize_rcu();
	for (unsigned w = 0; w < dp->nw; w++)
		free(old[w]);
}

struct dp *dp_create(const struct dp_config *cfg, char *err, size_t errlen)
{
	struct dp *dp = calloc(1, sizeof(*dp));

	if (!dp) {
		snprintf(err, errlen, "datapath: out of memory");
		return NULL;
	}
	rcu_register_thread();
	rcu_thread_offline();
	dp->cfg = *cfg;
	if (!dp->cfg.workers)
		dp->cfg.workers = 1;
	if (dp->cfg.workers > DP_MAX_WORKERS) {
		snprintf(err, errlen, "--workers: at most %d", DP_MAX_WORKERS);
		free(dp);
		return NULL;
	}
	if (!dp->cfg.fdb_aging_ms)
		dp->cfg.fdb_aging_ms = 300000;
	if (!dp->cfg.host_buffers)
		dp->cfg.host_buffers = dp->cfg.gso ? 4096 : 16384;
	if (!dp->cfg.sf_buffers)
		dp->cfg.sf_buffers = dp->cfg.gso ? 512 : 2048;
	dp->nw = dp->cfg.workers;
	if (dp->cfg.gso || dp->cfg.uplink_own_region) {
		dp->uplink_region = pp_region_create("sfnic-uplink", DP_HOST_DOMAIN, 16384, true,
						     err, errlen);
		if (!dp->uplink_region)
			goto fail;
	}
	dp->host = pp_region_create_sized("sfnic-host", DP_HOST_DOMAIN, dp->cfg.host_buffers,
				    dp->cfg.gso ? PP_BUF_SIZE_GSO : PP_BUF_SIZE, true, err,
				    errlen);
	dp->cls = esw_cls_create(dp->nw);
	dp->fdb = esw_fdb_create(dp->cfg.fdb_aging_ms);
	dp->ct = ct_create(dp->cfg.ct_max, dp->nw);
	if (!dp->host || !dp->cls || !dp->fdb || !dp->ct ||
	    dp_tun_init(dp))
		goto fail;
	for (unsigned i = 0; i < dp->nw; i++) {
		struct dp_worker *w = &dp->w[i];

		w->dp = dp;
		w->id = i;
		w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->emc = esw_emc_create();
		if (w->efd < 0 || w->epfd < 0 || !w->emc ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->efd,
			      &(struct epoll_event){ .events = EPOLLIN }))
			goto fail;
	}
	if (alloc_queues(dp, &dp->uplink) || alloc_queues(dp, &dp->pf))
		goto fail;
	dp_port_init(dp, &dp->uplink.port, DP_VPORT_UPLINK, false, DP_HOST_DOMAIN,
		     dp->uplink_region ? dp->uplink_region : dp->host);
	dp_port_init(dp, &dp->uplink.rep, DP_VPORT_UPLINK, true, DP_HOST_DOMAIN, dp->host);
	dp_port_init(dp, &dp->pf.port, DP_VPORT_PF, false, DP_HOST_DOMAIN, dp->host);
	dp_port_init(dp, &dp->pf.rep, DP_VPORT_PF, true, DP_HOST_DOMAIN, dp->host);
	if (publish_vport(dp, DP_VPORT_UPLINK, &dp->uplink.port) ||
	    publish_vport(dp, DP_VPORT_PF, &dp->pf.port))
		goto fail;
	dp_rebuild_polls(dp);
	return dp;
fail:
	if (!err[0])
		snprintf(err, errlen, "datapath: out of memory");
	dp_destroy(dp);
	return NULL;
}

int dp_start(struct dp *dp)
{
	for (unsigned i = 0; i < dp->nw; i++) {
		int ret = pthread_create(&dp->w[i].thread, NULL, dp_worker_main, &dp->w[i]);

		if (ret)
			return -ret;
		dp->started = true;
	}
	return 0;
}

unsigned dp_poll_once(struct dp *dp, unsigned w)
{
	unsigned n;

	if (w >= dp->nw)
		return 0;
	dp->w[w].ppid = pp_self();
	rcu_thread_online();
	n = dp_worker_pass(&dp->w[w]);
	rcu_thread_offline();
	return n;
}

static void free_vport(struct dp *dp, struct dp_vport *v, bool embedded)
{
	dp_port_fini(&v->port, dp->nw);
	dp_port_fini(&v->rep, dp->nw);
	if (!embedded) {
		if (v->port.region && v->port.domain != DP_HOST_DOMAIN) {
			struct region_node *n = malloc(sizeof(*n));

			if (n) {
				n->r = v->port.region;
				n->next = dp->sf_regions;
				dp->sf_regions = n;
			}
		}
		free(v);
	}
}

void dp_destroy(struct dp *dp)
{
	if (!dp)
		return;
	atomic_store(&dp->stop, true);
	for (unsigned i = 0; i < dp->nw; i++) {
		uint64_t one = 1;

		if (dp->w[i].efd > 0 && write(dp->w[i].efd, &one, sizeof(one)) < 0) {
			/* it will see stop on its next pass */
		}
	}
	for (unsigned i = 0; dp->started && i < dp->nw; i++)
		pthread_join(dp->w[i].thread, NULL);
	for (uint32_t c = 0; c < DP_VPORT_CHUNKS; c++) {
		struct dp_port *_Atomic *chunk = atomic_load(&dp->chunks[c]);

		for (uint32_t i = 0; chunk && i < (1u << DP_VPORT_CHUNK_SHIFT); i++) {
			struct dp_port *p = atomic_load(&chunk[i]);

			if (p && p != &dp->uplink.port && p != &dp->pf.port)
				free_vport(dp, container_of_vport(p), false);
		}
		free(chunk);
	}
	free_vport(dp, &dp->uplink, true);
	free_vport(dp, &dp->pf, true);
	dp_sched_fini(dp);
	dp_tun_fini(dp);
	for (unsigned i = 0; i < dp->nw; i++) {
		if (dp->w[i].efd > 0)
			close(dp->w[i].efd);
		if (dp->w[i].epfd > 0)
			close(dp->w[i].epfd);
		esw_emc_destroy(dp->w[i].emc);
		free(atomic_load(&dp->w[i].polls));
	}
	esw_cls_destroy(dp->cls);
	esw_fdb_destroy(dp->fdb);
	ct_destroy(dp->ct);
	if (pp_reap())
		util_log(UTIL_WARN, "datapath destroyed with buffers in flight");
	while (dp->sf_regions) {
		struct region_node *n = dp->sf_regions;

		dp->sf_regions = n->next;
		pp_region_destroy(n->r);
		free(n);
	}
	pp_region_destroy(dp->host);
	if (dp->uplink_region)
		pp_region_destroy(dp->uplink_region);
	rcu_barrier();
	rcu_unregister_thread();
	free(dp);
}

int dp_port_add(struct dp *dp, uint32_t vport)
{
	return dp_port_add_in(dp, vport, false);
}

int dp_port_add_host(struct dp *dp, uint32_t vport)
{
	return dp_port_add_in(dp, vport, true);
}

int dp_port_add_in(struct dp *dp, uint32_t vport, bool host)
{
	struct dp_vport *v;
	int ret;

	if (dp_vport_lookup(dp, vport))
		return -EEXIST;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = alloc_queues(dp, v);
	if (ret) {
		free(v->port.q);
		free(v->rep.q);
		free(v);
		return ret;
	}
	/* Every SF is its own trust domain, named by its vport; a tunnel
	 * port's frames are the host's. */
	if (host)
		dp_port_init(dp, &v->port, vport, false, DP_HOST_DOMAIN, dp->host);
	else
		dp_port_init(dp, &v->port, vport, false, vport, NULL);
	dp_port_init(dp, &v->rep, vport, true, DP_HOST_DOMAIN, dp->host);
	atomic_init(&v->port.sched, dp_sched_find(dp, vport));  /* its devlink rate leaf */
	ret = publish_vport(dp, vport, &v->port);
	if (ret)
		free_vport(dp, v, false);
	return ret;
}

void dp_port_del(struct dp *dp, uint32_t vport)
{
	struct dp_port *p = dp_vport_lookup(dp, vport);
	bool had_input;

	if (!p || p == &dp->uplink.port || p == &dp->pf.port)
		return;
	had_input = atomic_load(&p->in) || atomic_load(&p->peer->in) || atomic_load(&p->fn);
	dp_fn_port_release(dp, p);
	/* Backends stay the caller's; their fds only leave the workers' epoll. */
	for (struct dp_port *q = p; q; q = q == p ? p->peer : NULL)
		for (unsigned w = 0; w < dp->nw; w++) {
			const struct dp_backend *be = atomic_load(&q->q[w].be);

			had_input |= be != NULL;
			if (be && be->fd >= 0) {
				epoll_ctl(dp->w[w].epfd, EPOLL_CTL_DEL, be->fd, NULL);
				atomic_fetch_sub(&dp->w[w].nfds, 1);
			}
		}
	publish_vport(dp, vport, NULL);
	if (had_input)
		dp_rebuild_polls(dp);     /* includes a grace period */
	else
		synchronize_rcu();
	esw_fdb_age(dp->fdb, mono_ms(), vport);
	free_vport(dp, container_of_vport(p), false);
}

bool dp_port_exists(struct dp *dp, uint32_t vport)
{
	return dp_vport_lookup(dp, vport) != NULL;
}

void dp_set_switchdev(struct dp *dp, bool on)
{
	atomic_store(&dp->switchdev, on);
	esw_fdb_age(dp->fdb, UINT64_MAX, UINT32_MAX);
}

/* Puts be into queue qi's slot of p (NULL empties it). */
static int set_queue_backend(struct dp *dp, struct dp_port *p, unsigned qi,
			     const struct dp_backend *be, void *ctx)
{
	struct dp_queue *q = &p->q[qi];
	struct dp_worker *w = &dp->w[qi];
	const struct dp_backend *old = atomic_load(&q->be);
	int ret;

	if (be && old)
		return -EBUSY;
	if (!be) {
		if (!old)
			return 0;
		if (old->fd >= 0) {
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, old->fd, NULL);
			atomic_fetch_sub(&w->nfds, 1);
		}
		atomic_store_explicit(&q->be, NULL, memory_order_release);
		dp_rebuild_polls(dp);   /* waits a grace period: no worker uses old */
		q->be_ctx = NULL;
		return 0;
	}
	if ((ret = dp_port_ensure_pools(dp, p)))
		return ret;
	q->be_ctx = ctx;
	atomic_store_explicit(&q->be, be, memory_order_release);
	dp_rebuild_polls(dp);
	if (be->fd >= 0 &&
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, be->fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = q })) {
		ret = -errno;
		atomic_store_explicit(&q->be, NULL, memory_order_release);
		dp_rebuild_polls(dp);
		return ret;
	}
	if (be->fd >= 0)
		atomic_fetch_add(&w->nfds, 1);
	dp_worker_wake(w);
	return 0;
}

int dp_port_set_backend(struct dp *dp, uint32_t vport, bool rep, const struct dp_backend *be,
			void *ctx)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);
	int ret;

	if (!p)
		return -ENODEV;
	if (be && (p->be_single || atomic_load(&p->q[p->owner].be)))
		return -EBUSY;
	if (!be && !p->be_single)
		return 0;
	p->be_single = be != NULL;
	ret = set_queue_backend(dp, p, p->owner, be, ctx);
	if (ret)
		p->be_single = false;
	return ret;
}

int dp_port_set_queue_backend(struct dp *dp, uint32_t vport, bool rep, unsigned q,
			      const struct dp_backend *be, void *ctx)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);

	if (!p || q >= dp->nw)
		return -ENODEV;
	if (p->be_single)
		return -EBUSY;
	return set_queue_backend(dp, p, q, be, ctx);
}

bool dp_gso(const struct dp *dp)
{
	return dp->cfg.gso;
}

struct pp_region *dp_port_region(struct dp *dp, uint32_t vport, bool rep)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);

	if (!p || dp_port_ensure_pools(dp, p))
		return NULL;
	return p->region;
}

int dp_port_set_xmit(struct dp *dp, uint32_t vport, bool rep, dp_xmit_fn fn, void *ctx)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);
	int ret;

	if (!p)
		return -ENODEV;
	if (fn) {
		ret = dp_port_ensure_pools(dp, p);
		if (ret)
			return ret;
		p->xmit_ctx = ctx;
		atomic_thread_fence(memory_order_release);
		p->xmit = fn;
	} else {
		p->xmit = NULL;
		synchronize_rcu();
		p->xmit_ctx = NULL;
	}
	return 0;
}

int dp_port_set_mtu(struct dp *dp, uint32_t vport, uint16_t mtu)
{
	struct dp_port *p = dp_vport_lookup(dp, vport);

	if (!p)
		return -ENODEV;
	p->mtu = mtu;
	return 0;
}

int dp_port_set_sink(struct dp *dp, uint32_t vport, bool rep, struct dp_ring *r)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);

	if (!p)
		return -ENODEV;
	atomic_store_explicit(&p->sink, r, memory_order_release);
	if (!r)
		synchronize_rcu();
	return 0;
}

int dp_port_set_capture(struct dp *dp, uint32_t vport, bool rep, struct dp_ring *r)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);

	if (!p)
		return -ENODEV;
	if (r && atomic_load(&p->cap))
		return -EBUSY;
	atomic_store_explicit(&p->cap, r, memory_order_release);
	if (!r)
		synchronize_rcu();
	return 0;
}

int dp_inject(struct dp *dp, uint32_t vport, bool rep, const uint8_t *const *frames,
	      const uint16_t *lens, unsigned n)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);
	struct dp_spsc *in;
	struct timespec ts;
	unsigned done = 0;

	if (!p)
		return -ENODEV;
	in = atomic_load(&p->in);
	if (!in) {
		int ret = dp_port_ensure_pools(dp, p);

		if (ret)
			return ret;
		in = malloc(sizeof(*in));
		if (!in || dp_spsc_init(in, DP_INJECT_SLOTS)) {
			free(in);
			return -ENOMEM;
		}
		atomic_store_explicit(&p->in, in, memory_order_release);
		dp_rebuild_polls(dp);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Only as many as fit: the rest is refused, not dropped. */
	unsigned room = dp_inject_room(dp, vport, rep);

	n = n < room ? n : room;
	for (; done < n; done++)
		dp_spsc_push(in, frames[done], lens[done], 0,
			     (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec);
	if (done)
		dp_worker_wake(&dp->w[p->owner]);
	return (int)done;
}

unsigned dp_inject_room(struct dp *dp, uint32_t vport, bool rep)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);
	struct dp_spsc *in;

	if (!p)
		return 0;
	in = atomic_load(&p->in);
	if (!in)
		return DP_INJECT_SLOTS;
	return in->mask + 1 - (atomic_load(&in->head) - atomic_load(&in->tail));
}

int dp_rule_add(struct dp *dp, const struct esw_rule_spec *s)
{
	return esw_cls_insert(dp->cls, s);
}

int dp_rule_replace(struct dp *dp, const struct esw_rule_spec *s)
{
	return esw_cls_replace(dp->cls, s);
}

int dp_rule_del(struct dp *dp, uint32_t dev, uint32_t chain, uint32_t prio, uint32_t handle)
{
	return esw_cls_remove(dp->cls, dev, chain, prio, handle);
}

const struct esw_rule *dp_rule_find(struct dp *dp, uint32_t dev, uint32_t chain, uint32_t prio,
				    uint32_t handle)
{
	return esw_cls_find(dp->cls, dev, chain, prio, handle);
}

void dp_rule_foreach(struct dp *dp, void (*fn)(const struct esw_rule *r, void *arg), void *arg)
{
	esw_cls_foreach(dp->cls, fn, arg);
}

unsigned dp_nqueues(const struct dp *dp)
{
	return dp->nw;
}

int dp_queue_stats(struct dp *dp, uint32_t vport, bool rep, unsigned q, struct dp_qstats *st,
		   struct pp_stats *pool, bool *has_pool)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);

	if (!p || q >= dp->nw)
		return -ENODEV;
	*st = p->q[q].st;
	*has_pool = p->q[q].pool != NULL;
	if (*has_pool)
		pp_pool_stats(p->q[q].pool, pool);
	return 0;
}

static uint32_t port_inflight(struct dp_port *p, unsigned nw)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < nw; i++)
		if (p->q[i].pool) {
			struct pp_stats s;

			pp_pool_stats(p->q[i].pool, &s);
			n += s.inflight;
		}
	return n;
}

uint32_t dp_inflight(struct dp *dp)
{
	uint32_t n = (uint32_t)pp_reap();

	for (uint32_t c = 0; c < DP_VPORT_CHUNKS; c++) {
		struct dp_port *_Atomic *chunk = atomic_load(&dp->chunks[c]);

		for (uint32_t i = 0; chunk && i < (1u << DP_VPORT_CHUNK_SHIFT); i++) {
			struct dp_port *p = atomic_load(&chunk[i]);

			if (p)
				n += port_inflight(p, dp->nw) + port_inflight(p->peer, dp->nw);
		}
	}
	return n;
}

void dp_tick(struct dp *dp)
{
	esw_fdb_age(dp->fdb, mono_ms(), UINT32_MAX);
	ct_age(dp->ct, mono_ms());
	pp_reap();
}

struct esw_fdb *dp_fdb(struct dp *dp)
{
	return dp->fdb;
}

struct ct_table *dp_ct(struct dp *dp)
{
	return dp->ct;
}

void dp_emc_stats(struct dp *dp, uint64_t *hits, uint64_t *misses)
{
	*hits = *misses = 0;
	for (unsigned i = 0; i < dp->nw; i++) {
		uint64_t h, m;

		esw_emc_stats(dp->w[i].emc, &h, &m);
		*hits += h;
		*misses += m;
	}
}
