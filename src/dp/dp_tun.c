/*
 * dp_tun.c - tunnel ports in the datapath: the decap table and the
 * next-hop cache the workers read, and the per-frame encap and decap
 * (src/tun has the model and the header code).
 *
 * Both tables are immutable once published and replaced whole under RCU by
 * the control thread; a worker reads each with one acquire load per frame
 * that needs it.  A destination missing from the next-hop cache costs the
 * frame (counted on the tunnel port as no_neigh) and leaves the address in
 * the worker's own miss slots, which the control thread empties on its
 * tick: no worker ever waits for, or calls, netlink.
 */
#define _LGPL_SOURCE
#include "dp_internal.h"
#include "../tun/tun.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

/* The decap table: which UDP ports are tunnel ports, and our addresses. */
struct dp_tun_map {
	unsigned n;
	struct {
		uint16_t dstport;
		bool external;
		uint32_t vni;
		struct dp_port *port;
	} p[TUN_MAX_PORTS];
	unsigned naddrs;                /* 0: every destination address is ours */
	uint32_t addrs[16];
};

/* The next-hop cache: open addressing on the destination, a power of two
 * at least twice the entries. */
struct dp_tun_nhtab {
	uint32_t mask;
	struct tun_nh e[];
};

#define DP_TUN_MISS_SLOTS 8

struct dp_tun {
	struct dp_tun_map *_Atomic map;
	struct dp_tun_nhtab *_Atomic nh;
	struct {
		_Atomic uint32_t dst[DP_TUN_MISS_SLOTS];
		uint16_t ip_id;
	} __attribute__((aligned(64))) w[DP_MAX_WORKERS];
	struct dp_tun_map cur;          /* control thread's copy */
	_Atomic bool active;            /* a tunnel port exists */
};

/* What a tunnel port sends by default (dp_port.tun). */
struct dp_tun_port {
	uint16_t dstport;
	uint16_t port_min, port_max;
	bool external;
	struct tun_info dflt;           /* id, local, remote, tos, ttl, csum of a
					 * non-external link */
};

/* Allocated with the datapath (dp_tun_init): workers read it without a
 * check. */
static struct dp_tun *state(struct dp *dp)
{
	return dp->tun;
}

int dp_tun_init(struct dp *dp)
{
	dp->tun = calloc(1, sizeof(*dp->tun));
	return dp->tun ? 0 : -ENOMEM;
}

bool dp_tun_active(struct dp *dp)
{
	return atomic_load_explicit(&dp->tun->active, memory_order_relaxed);
}

static inline uint32_t nh_slot(uint32_t dst, uint32_t mask)
{
	return (dst * 0x9e3779b1u) >> 7 & mask;
}

/* Publishes a copy of the control thread's decap table. */
static int publish_map(struct dp *dp)
{
	struct dp_tun_map *m = malloc(sizeof(*m)), *old;

	if (!m)
		return -ENOMEM;
	*m = dp->tun->cur;
	old = atomic_exchange_explicit(&dp->tun->map, m, memory_order_acq_rel);
	atomic_store_explicit(&dp->tun->active, m->n != 0, memory_order_relaxed);
	synchronize_rcu();
	free(old);
	return 0;
}

int dp_tun_port_add(struct dp *dp, uint32_t vport, uint16_t dstport, bool external,
		    const struct tun_info *dflt, uint16_t port_min, uint16_t port_max)
{
	struct dp_tun *t = state(dp);
	struct dp_tun_port *tp;
	struct dp_port *p;
	int ret;

	if (!t)
		return -ENOMEM;
	if (t->cur.n == TUN_MAX_PORTS)
		return -ENOSPC;
	for (unsigned i = 0; i < t->cur.n; i++)
		if (t->cur.p[i].dstport == dstport &&
		    (external || t->cur.p[i].external || (dflt && t->cur.p[i].vni == dflt->id)))
			return -EADDRINUSE;
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	tp->dstport = dstport;
	tp->external = external;
	tp->port_min = port_min;
	tp->port_max = port_max;
	if (dflt)
		tp->dflt = *dflt;
	ret = dp_port_add_host(dp, vport);
	if (ret) {
		free(tp);
		return ret;
	}
	p = dp_vport_lookup(dp, vport);
	atomic_store_explicit(&p->tun, tp, memory_order_release);
	t->cur.p[t->cur.n].dstport = dstport;
	t->cur.p[t->cur.n].external = external;
	t->cur.p[t->cur.n].vni = dflt ? dflt->id : 0;
	t->cur.p[t->cur.n].port = p;
	t->cur.n++;
	ret = publish_map(dp);
	if (ret)
		dp_tun_port_del(dp, vport);
	return ret;
}

void dp_tun_port_del(struct dp *dp, uint32_t vport)
{
	struct dp_tun *t = dp->tun;

	if (!t)
		return;
	for (unsigned i = 0; i < t->cur.n; i++)
		if (t->cur.p[i].port->vport == vport) {
			t->cur.p[i] = t->cur.p[--t->cur.n];
			break;
		}
	/* No worker decapsulates into the port once this returns. */
	if (publish_map(dp))
		abort();
	dp_port_del(dp, vport);
}

int dp_tun_set_local(struct dp *dp, const uint32_t *addrs, unsigned n)
{
	struct dp_tun *t = state(dp);

	if (!t)
		return -ENOMEM;
	if (n > 16)
		n = 16;
	if (t->cur.naddrs == n && !memcmp(t->cur.addrs, addrs, n * sizeof(*addrs)))
		return 0;
	memcpy(t->cur.addrs, addrs, n * sizeof(*addrs));
	t->cur.naddrs = n;
	return publish_map(dp);
}

int dp_tun_set_nh(struct dp *dp, const struct tun_nh *nh, unsigned n)
{
	struct dp_tun *t = state(dp);
	struct dp_tun_nhtab *tab, *old;
	uint32_t size = 8;

	if (!t)
		return -ENOMEM;
	while (size < 2 * n)
		size *= 2;
	tab = calloc(1, sizeof(*tab) + size * sizeof(tab->e[0]));
	if (!tab)
		return -ENOMEM;
	tab->mask = size - 1;
	for (unsigned i = 0; i < n; i++) {
		uint32_t s = nh_slot(nh[i].dst_ip, tab->mask);

		if (!nh[i].dst_ip)
			continue;
		while (tab->e[s].dst_ip && tab->e[s].dst_ip != nh[i].dst_ip)
			s = (s + 1) & tab->mask;
		tab->e[s] = nh[i];
	}
	old = atomic_load_explicit(&t->nh, memory_order_relaxed);
	if (old && old->mask == tab->mask &&
	    !memcmp(old->e, tab->e, size * sizeof(tab->e[0]))) {
		free(tab);      /* nothing changed: no grace period to wait for */
		return 0;
	}
	atomic_store_explicit(&t->nh, tab, memory_order_release);
	synchronize_rcu();
	free(old);
	return 0;
}

unsigned dp_tun_misses(struct dp *dp, uint32_t *dst, unsigned max)
{
	unsigned n = 0;

	if (!dp->tun)
		return 0;
	for (unsigned w = 0; w < dp->nw; w++)
		for (unsigned i = 0; i < DP_TUN_MISS_SLOTS; i++) {
			uint32_t a = atomic_exchange_explicit(&dp->tun->w[w].dst[i], 0,
							      memory_order_relaxed);
			bool dup = false;

			for (unsigned j = 0; a && j < n; j++)
				dup |= dst[j] == a;
			if (a && !dup && n < max)
				dst[n++] = a;
		}
	return n;
}

int dp_tun_port_stats(struct dp *dp, uint32_t vport, bool rep, struct dp_qstats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned q = 0; q < dp->nw; q++) {
		struct dp_qstats st;
		struct pp_stats ps;
		bool has;
		int ret = dp_queue_stats(dp, vport, rep, q, &st, &ps, &has);

		if (ret)
			return ret;
		sum->rx_packets += st.rx_packets;
		sum->rx_bytes += st.rx_bytes;
		sum->tx_packets += st.tx_packets;
		sum->tx_bytes += st.tx_bytes;
		for (int i = 0; i < DP_DROP_MAX; i++)
			sum->drops[i] += st.drops[i];
	}
	return 0;
}

void dp_tun_fini(struct dp *dp)
{
	if (!dp->tun)
		return;
	free(atomic_load(&dp->tun->map));
	free(atomic_load(&dp->tun->nh));
	free(dp->tun);
	dp->tun = NULL;
}

void dp_tun_port_free(struct dp_port *p)
{
	free(atomic_load(&p->tun));
	atomic_store(&p->tun, NULL);
}

/* ---- the packet path ---- */

static void note_miss(struct dp_tun *t, unsigned w, uint32_t dst)
{
	_Atomic uint32_t *slot = t->w[w].dst;
	int free_at = -1;

	for (int i = 0; i < DP_TUN_MISS_SLOTS; i++) {
		uint32_t a = atomic_load_explicit(&slot[i], memory_order_relaxed);

		if (a == dst)
			return;
		if (!a && free_at < 0)
			free_at = i;
	}
	if (free_at >= 0)
		atomic_store_explicit(&slot[free_at], dst, memory_order_relaxed);
}

enum dp_drop dp_tun_encap(struct dp *dp, unsigned w, struct dp_port *tp, struct dp_pkt *pkt,
			  const struct tun_info *meta)
{
	const struct dp_tun_port *cfg = atomic_load_explicit(&tp->tun, memory_order_acquire);
	struct dp_tun *t = dp->tun;
	const struct dp_tun_nhtab *tab = atomic_load_explicit(&t->nh, memory_order_acquire);
	const struct tun_nh *nh = NULL;
	struct tun_info ti;
	uint8_t *d;
	uint32_t s;

	/* External (metadata) ports send what tunnel_key set gave the frame;
	 * the others their own fixed header, as Linux's vxlan does. */
	if (meta && (meta->flags & TUN_F_PRESENT) && meta->dst_ip)
		ti = *meta;
	else if (!cfg->external && cfg->dflt.dst_ip)
		ti = cfg->dflt;
	else
		return DP_DROP_NO_TUNNEL;
	for (s = tab ? nh_slot(ti.dst_ip, tab->mask) : 0; tab && tab->e[s].dst_ip;
	     s = (s + 1) & tab->mask)
		if (tab->e[s].dst_ip == ti.dst_ip) {
			nh = &tab->e[s];
			break;
		}
	if (!nh || nh->state != TUN_NH_VALID) {
		if (!nh || nh->state == TUN_NH_PENDING)
			note_miss(t, w, ti.dst_ip);
		return nh && nh->state == TUN_NH_NO_ROUTE ? DP_DROP_NO_ROUTE : DP_DROP_NO_NEIGH;
	}
	if (pkt->off < TUN_VXLAN_HLEN || pkt->len + TUN_VXLAN_HLEN > 0xffff)
		return DP_DROP_MTU;
	d = dp_pkt_data(pkt);
	pkt->off -= TUN_VXLAN_HLEN;
	tun_vxlan_build(d - TUN_VXLAN_HLEN, nh, &ti,
			tun_src_port(tun_inner_hash(d, pkt->len), cfg->port_min, cfg->port_max),
			ti.dst_port ? ti.dst_port : cfg->dstport, t->w[w].ip_id++, pkt->len);
	pkt->len += TUN_VXLAN_HLEN;
	return DP_DROP_MAX;
}

int dp_tun_decap(struct dp *dp, struct dp_pkt *pkt, struct dp_port **tp, struct tun_info *out)
{
	const struct dp_tun_map *m;
	const uint8_t *d = dp_pkt_data(pkt);
	uint16_t port = tun_udp4_dport(d, pkt->len);
	struct tun_rx rx;
	unsigned i;
	int r;

	if (!port || !dp->tun)
		return 0;
	m = atomic_load_explicit(&dp->tun->map, memory_order_acquire);
	for (i = 0; m && i < m->n; i++)
		if (m->p[i].dstport == port)
			break;
	if (!m || i == m->n)
		return 0;
	if (m->naddrs) {
		uint32_t dst;
		unsigned a;

		memcpy(&dst, d + 14 + 16, 4);
		for (a = 0; a < m->naddrs && m->addrs[a] != dst; a++)
			;
		if (a == m->naddrs)
			return 0;       /* not ours: the frame goes on as it is */
	}
	r = tun_vxlan_parse(d, pkt->len, &rx);
	if (r <= 0)
		return r;
	if (!m->p[i].external) {
		/* A VNI port: its own VNI, else the other ports on this UDP port. */
		for (; i < m->n; i++)
			if (m->p[i].dstport == port && m->p[i].vni == rx.ti.id)
				break;
		if (i == m->n)
			return -1;      /* Linux drops a VNI no device has */
	}
	if (rx.len < 14)
		return -1;
	*out = rx.ti;
	*tp = m->p[i].port;
	pkt->off += rx.hlen;
	pkt->len = rx.len;      /* a pad after the datagram stays behind */
	return 1;
}
