/*
 * dl_tun.c - tunnel ports and static neighbours as objects of the PF
 * driver: `link add|del|show` and `neigh add|del|show` (durable), the
 * names filter commands resolve, and the next-hop cache the datapath's
 * encap reads, kept fresh from the kernel on the control thread.
 *
 * When encap can fail, as mlx5 decides it: a rule whose tunnel destination
 * has no route through the uplink (or, on an uplink without an interface,
 * no `neigh` entry) is refused when it is added, with the reason; a rule
 * whose neighbour is not resolved yet is accepted, the kernel is asked to
 * resolve it (NTF_USE, as neigh_event_send), and until it is, frames are
 * dropped and counted (no_neigh) instead of going to a software slow path
 * that sfnic does not have; the cache is refreshed every second and within
 * a tenth of a second of a miss, so the rule starts working ("is
 * re-offloaded") when the neighbour appears, and stops (no_neigh, no_route)
 * when it goes away.  Each change of a destination's state is logged once.
 */
#include "dl_internal.h"
#include "../dp/dp.h"
#include "../tun/tun.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 100
#define REFRESH_TICKS 10        /* every second */
#define MAX_NH 4096

struct dl_tun {
	struct tun_link link[TUN_MAX_PORTS];    /* [vport - TUN_VPORT_BASE]; name[0] 0: free */
	struct tun_neigh *neigh;
	unsigned nneigh;
	char ifname[TUN_NAMSIZ];                /* the uplink's interface, "": none */
	struct tun_kernel k;
	struct tun_nh *nh;                      /* what the datapath has */
	unsigned nnh;
	uint64_t ticks;
	int tfd;
	int sock[TUN_MAX_PORTS];                /* the UDP port held in the kernel, -1: none */
};

static void release_port(struct dl_tun *t, unsigned slot);

static struct dl_tun *tun(struct dl *dl)
{
	if (!dl->tun) {
		dl->tun = calloc(1, sizeof(*dl->tun));
		if (dl->tun) {
			dl->tun->tfd = -1;
			for (unsigned i = 0; i < TUN_MAX_PORTS; i++)
				dl->tun->sock[i] = -1;
		}
	}
	return dl->tun;
}

static const char *ip_s(uint32_t a, char *buf)
{
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	return buf;
}

void dl_tun_set_uplink(struct dl *dl, const char *spec)
{
	struct dl_tun *t = tun(dl);
	const char *p = NULL;

	if (!t)
		return;
	if (!strncmp(spec, "afxdp:", 6))
		p = spec + 6;
	else if (!strncmp(spec, "afpacket:", 9))
		p = spec + 9;
	t->ifname[0] = 0;
	if (p) {
		size_t n = strcspn(p, "@,");

		if (n < sizeof(t->ifname)) {
			memcpy(t->ifname, p, n);
			t->ifname[n] = 0;
		}
	}
	if (tun_kernel_read(t->ifname, &t->k))
		util_log(UTIL_WARN, "tunnel ports: cannot read uplink interface %s", t->ifname);
}

static struct tun_link *link_by_name(struct dl_tun *t, const char *name)
{
	for (unsigned i = 0; t && i < TUN_MAX_PORTS; i++)
		if (t->link[i].name[0] && !strcmp(t->link[i].name, name))
			return &t->link[i];
	return NULL;
}

int dl_tun_vport(struct dl *dl, const char *name, uint32_t *vport)
{
	struct tun_link *l = link_by_name(dl->tun, name);

	if (!l)
		return -ENODEV;
	*vport = l->vport;
	return 0;
}

const char *dl_tun_name(struct dl *dl, uint32_t vport)
{
	struct dl_tun *t = dl->tun;

	if (!t || vport < TUN_VPORT_BASE || vport >= TUN_VPORT_BASE + TUN_MAX_PORTS)
		return NULL;
	return t->link[vport - TUN_VPORT_BASE].name[0] ? t->link[vport - TUN_VPORT_BASE].name : NULL;
}

static const struct tun_neigh *neigh_find(struct dl_tun *t, uint32_t addr)
{
	for (unsigned i = 0; i < t->nneigh; i++)
		if (t->neigh[i].addr == addr)
			return &t->neigh[i];
	return NULL;
}

/* The outer source MAC for an uplink without an interface: locally
 * administered, stable (from the device name). */
static void own_mac(struct dl *dl, uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (const char *c = dl->devname; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0x5f;
	memcpy(mac + 2, &h, 4);
}

/* The outer Ethernet header for dst: a static neighbour first, then the
 * kernel (route + neighbour) when the uplink has an interface. */
static void resolve(struct dl *dl, uint32_t dst, struct tun_nh *nh, char *why, size_t n)
{
	struct dl_tun *t = dl->tun;
	const struct tun_neigh *s = neigh_find(t, dst);
	char a[INET_ADDRSTRLEN];
	int ret;

	if (s || !t->k.ifindex) {
		memset(nh, 0, sizeof(*nh));
		nh->dst_ip = dst;
		nh->ttl = 64;
		if (t->k.ifindex)
			memcpy(nh->smac, t->k.mac, 6);
		else
			own_mac(dl, nh->smac);
		if (s) {
			memcpy(nh->dmac, s->mac, 6);
			nh->state = TUN_NH_VALID;
		} else {
			nh->state = TUN_NH_NO_ROUTE;
			snprintf(why, n, "no neighbour for %s: the uplink has no interface, add one "
				 "with \"sfnic neigh add %s lladdr MAC\"", ip_s(dst, a), ip_s(dst, a));
		}
		return;
	}
	ret = tun_resolve(&t->k, dst, 0, 0, nh, why, n);
	if (ret) {
		nh->state = TUN_NH_PENDING;
		snprintf(why, n, "cannot ask the kernel about %s: %s", ip_s(dst, a), strerror(-ret));
	}
}

/* ---- the next-hop cache ---- */

struct want {
	uint32_t *dst;
	unsigned n, cap;
};

static void want_add(struct want *w, uint32_t dst)
{
	if (!dst)
		return;
	for (unsigned i = 0; i < w->n; i++)
		if (w->dst[i] == dst)
			return;
	if (w->n == w->cap) {
		unsigned cap = w->cap ? w->cap * 2 : 16;
		uint32_t *d = cap <= MAX_NH ? realloc(w->dst, cap * sizeof(*d)) : NULL;

		if (!d)
			return;
		w->dst = d;
		w->cap = cap;
	}
	w->dst[w->n++] = dst;
}

/* The tunnel destination of a rule's encap, if it has one. */
static uint32_t rule_dst(struct dl *dl, const struct esw_rule_spec *s)
{
	uint32_t dst = 0;

	for (unsigned i = 0; i < s->nact; i++) {
		const struct esw_action *a = &s->act[i];

		if (a->type == ESW_ACT_TUNNEL_SET)
			dst = a->tun.dst_ip;
		else if (a->type == ESW_ACT_TUNNEL_UNSET)
			dst = 0;
		else if ((a->type == ESW_ACT_REDIRECT || a->type == ESW_ACT_MIRROR) &&
			 dl_tun_name(dl, a->arg)) {
			const struct tun_link *l = &dl->tun->link[a->arg - TUN_VPORT_BASE];

			return dst ? dst : l->external ? 0 : l->remote;
		}
	}
	return 0;
}

static void want_rule(const struct esw_rule *r, void *arg)
{
	void **a = arg;

	want_add(a[1], rule_dst(a[0], esw_rule_spec(r)));
}

static const char *state_s(uint8_t st)
{
	static const char *const s[] = { "resolved", "pending", "no route", "no neighbour" };

	return st < 4 ? s[st] : "?";
}

/* Re-resolves the destinations rules use and workers missed (all of them
 * when full, else only the new and unresolved ones) and republishes.  A
 * tick with nothing missed and nothing unresolved does nothing. */
enum { REFRESH_TICK, REFRESH_NEW, REFRESH_FULL };
static void refresh(struct dl *dl, int mode)
{
	bool full = mode == REFRESH_FULL;
	struct dl_tun *t = dl->tun;
	struct want w = { 0 };
	uint32_t miss[64];
	unsigned nmiss = dp_tun_misses(dl->dp, miss, 64);
	struct tun_nh *nh;
	void *arg[2] = { dl, &w };
	bool changed = false;

	if (mode == REFRESH_TICK && !nmiss) {
		bool pending = false;

		for (unsigned i = 0; i < t->nnh; i++)
			pending |= t->nh[i].state != TUN_NH_VALID;
		if (!pending)
			return;
	}
	if (full && t->ifname[0]) {
		struct tun_kernel k;

		if (!tun_kernel_read(t->ifname, &k)) {
			t->k = k;
			(void)dp_tun_set_local(dl->dp, k.addrs, k.naddrs);
		}
	}
	dp_rule_foreach(dl->dp, want_rule, arg);
	for (unsigned i = 0; i < nmiss; i++)
		want_add(&w, miss[i]);
	nh = calloc(w.n ? w.n : 1, sizeof(*nh));
	if (!nh) {
		free(w.dst);
		return;
	}
	for (unsigned i = 0; i < w.n; i++) {
		const struct tun_nh *old = NULL;
		char why[200] = "", a[INET_ADDRSTRLEN];

		for (unsigned j = 0; j < t->nnh; j++)
			if (t->nh[j].dst_ip == w.dst[i])
				old = &t->nh[j];
		if (old && old->state == TUN_NH_VALID && !full) {
			nh[i] = *old;
			continue;
		}
		resolve(dl, w.dst[i], &nh[i], why, sizeof(why));
		if (!old || old->state != nh[i].state || memcmp(old->dmac, nh[i].dmac, 6)) {
			changed = true;
			if (nh[i].state == TUN_NH_VALID)
				util_log(UTIL_INFO, "tunnel %s: %s via %02x:%02x:%02x:%02x:%02x:%02x",
					 ip_s(w.dst[i], a), state_s(nh[i].state), nh[i].dmac[0],
					 nh[i].dmac[1], nh[i].dmac[2], nh[i].dmac[3], nh[i].dmac[4],
					 nh[i].dmac[5]);
			else
				util_log(UTIL_WARN, "tunnel %s: %s (frames dropped, counted as %s): %s",
					 ip_s(w.dst[i], a), state_s(nh[i].state),
					 nh[i].state == TUN_NH_NO_ROUTE ? "no_route" : "no_neigh", why);
		}
	}
	changed |= w.n != t->nnh;
	free(w.dst);
	if (changed || full) {
		if (dp_tun_set_nh(dl->dp, nh, w.n)) {
			free(nh);
			return;
		}
	}
	free(t->nh);
	t->nh = nh;
	t->nnh = w.n;
}

static void on_tick(void *arg)
{
	struct dl *dl = arg;
	struct dl_tun *t = dl->tun;
	uint64_t v;

	if (read(t->tfd, &v, sizeof(v)) < 0)
		return;
	t->ticks++;
	if (!dl->dp)
		return;
	for (unsigned i = 0; i < TUN_MAX_PORTS; i++)
		if (t->link[i].name[0]) {
			refresh(dl, t->ticks % REFRESH_TICKS == 0 ? REFRESH_FULL : REFRESH_TICK);
			return;
		}
}

int dl_tun_start(struct dl *dl, dl_watch_fn watch, void *loop)
{
	struct dl_tun *t = tun(dl);
	struct itimerspec its = { { 0, TICK_MS * 1000000L }, { 0, TICK_MS * 1000000L } };

	if (!t)
		return -ENOMEM;
	t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->tfd < 0 || timerfd_settime(t->tfd, 0, &its, NULL))
		return -errno;
	return watch(loop, t->tfd, on_tick, dl);
}

void dl_tun_destroy(struct dl *dl)
{
	struct dl_tun *t = dl->tun;

	if (!t)
		return;
	if (t->tfd >= 0)
		close(t->tfd);
	for (unsigned i = 0; i < TUN_MAX_PORTS; i++)
		release_port(t, i);
	free(t->neigh);
	free(t->nh);
	free(t);
	dl->tun = NULL;
}

/* ---- links ---- */

/* Holds the tunnel's UDP port in the uplink's namespace, as Linux's vxlan
 * device holds its socket: the kernel, which sees the uplink's frames too
 * (AF_PACKET), then neither answers them with ICMP port unreachable nor
 * lets another socket take the port.  Its queue is never read: one small
 * buffer, the rest dropped by the kernel. */
static void hold_port(struct dl_tun *t, unsigned slot, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, small = 1;
	int fd;

	if (!t->ifname[0] || t->sock[slot] >= 0)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		util_log(UTIL_WARN, "tunnel port %u: the kernel's UDP port is taken (%s); it may "
			 "answer tunnel frames with ICMP", port, strerror(errno));
		close(fd);
		return;
	}
	t->sock[slot] = fd;
}

static void release_port(struct dl_tun *t, unsigned slot)
{
	if (t->sock[slot] >= 0)
		close(t->sock[slot]);
	t->sock[slot] = -1;
}

static int link_start(struct dl *dl, struct tun_link *l)
{
	struct dl_tun *t = dl->tun;
	struct tun_info d = { .id = l->id, .src_ip = l->local, .dst_ip = l->remote,
			      .tos = l->tos, .ttl = l->ttl,
			      .flags = (uint8_t)(TUN_F_PRESENT | (l->csum ? TUN_F_CSUM : 0)) };

	int ret = dp_tun_port_add(dl->dp, l->vport, l->dstport, l->external,
				  l->external ? NULL : &d, t->k.port_min, t->k.port_max);

	if (!ret)
		hold_port(t, l->vport - TUN_VPORT_BASE, l->dstport);
	return ret;
}

static int restore_link(const char *key, const void *blob, size_t len, void *arg)
{
	struct dl *dl = arg;
	struct tun_link l;
	int ret;

	if (len != sizeof(l))
		return 0;
	memcpy(&l, blob, len);
	if (l.vport < TUN_VPORT_BASE || l.vport >= TUN_VPORT_BASE + TUN_MAX_PORTS)
		return 0;
	ret = link_start(dl, &l);
	if (ret) {
		util_log(UTIL_WARN, "stored link %s not restored: %s", key, strerror(-ret));
		return 0;
	}
	dl->tun->link[l.vport - TUN_VPORT_BASE] = l;
	return 0;
}

static int restore_neigh(const char *key, const void *blob, size_t len, void *arg)
{
	struct dl_tun *t = arg;
	struct tun_neigh *n;

	(void)key;
	if (len != sizeof(*n))
		return 0;
	n = realloc(t->neigh, (t->nneigh + 1) * sizeof(*n));
	if (!n)
		return -1;
	t->neigh = n;
	memcpy(&t->neigh[t->nneigh++], blob, len);
	return 0;
}

void dl_tun_restore(struct dl *dl)
{
	struct dl_tun *t = tun(dl);

	if (!t || !dl->dp)
		return;
	if (store_tun_foreach(dl->st, STORE_TUN_NEIGH, restore_neigh, t) < 0 ||
	    store_tun_foreach(dl->st, STORE_TUN_LINK, restore_link, dl) < 0)
		util_log(UTIL_ERR, "cannot read stored links: %s", store_errmsg(dl->st));
	if (t->ifname[0])
		(void)dp_tun_set_local(dl->dp, t->k.addrs, t->k.naddrs);
}

/* Whether name is taken by a port's netdev or representor, or is the
 * uplink's interface. */
static bool name_taken(struct dl *dl, const char *name)
{
	struct dl_tun *t = dl->tun;

	return dl_name_find(dl, name) || !strcmp(name, dl->devname) ||
	       (t->ifname[0] && !strcmp(name, t->ifname));
}

/* dev PHYS must be the uplink: its interface, its devlink port name or
 * netdev name ("p0", "sfnic0np0"). */
static bool is_uplink(struct dl *dl, const char *dev)
{
	char rep[2 * DL_IFNAMSIZ];

	snprintf(rep, sizeof(rep), "%snp0", dl->devname);
	return !strcmp(dev, "p0") || !strcmp(dev, rep) ||
	       (dl->tun->ifname[0] && !strcmp(dev, dl->tun->ifname));
}

int dl_tun_link_add(struct dl *dl, int argc, const char *const *argv, json_t **out,
		    struct dl_err *err)
{
	struct dl_tun *t = tun(dl);
	struct tun_link l;
	char warn[300];
	unsigned slot;
	int ret;

	if (!t || !dl->dp)
		return dl_errf(err, EOPNOTSUPP, "no datapath");
	ret = tun_link_parse(argc, argv, &l, err->msg, sizeof(err->msg), warn, sizeof(warn));
	if (ret)
		return ret;
	if (link_by_name(t, l.name) || name_taken(dl, l.name))
		return dl_errf(err, EEXIST, "RTNETLINK answers: File exists");
	if (l.dev[0] && !is_uplink(dl, l.dev))
		return dl_errf(err, ENODEV, "Cannot find device \"%s\" (a tunnel's dev is the uplink)",
			       l.dev);
	for (slot = 0; slot < TUN_MAX_PORTS && t->link[slot].name[0]; slot++)
		;
	if (slot == TUN_MAX_PORTS)
		return dl_errf(err, ENOSPC, "at most %d tunnel ports.", TUN_MAX_PORTS);
	l.vport = TUN_VPORT_BASE + slot;
	ret = link_start(dl, &l);
	if (ret == -EADDRINUSE)
		return dl_errf(err, EADDRINUSE, "A VXLAN device with the specified VNI already "
			       "exists (UDP port %u is taken%s).", l.dstport,
			       l.external ? "" : " by an external device or this VNI");
	if (ret)
		return dl_errf(err, -ret, "RTNETLINK answers: %s", strerror(-ret));
	if (store_tun_put(dl->st, STORE_TUN_LINK, l.name, &l, sizeof(l))) {
		release_port(t, slot);
		dp_tun_port_del(dl->dp, l.vport);
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	}
	t->link[slot] = l;
	util_log(UTIL_INFO, "link %s: vxlan %s dstport %u, vport 0x%x", l.name,
		 l.external ? "external" : "id", l.dstport, l.vport);
	if (warn[0])
		*out = json_pack("{s:s}", "warning", warn);
	return 0;
}

int dl_tun_link_del(struct dl *dl, const char *name, struct dl_err *err)
{
	struct tun_link *l = link_by_name(dl->tun, name ? name : "");

	if (!l)
		return dl_errf(err, ENODEV, "Cannot find device \"%s\"", name ? name : "");
	if (store_tun_del(dl->st, STORE_TUN_LINK, l->name))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	/* Its filters go with it, as a netdev's do when it is unregistered. */
	dl_filter_flush_dev(dl, l->vport);
	dp_tun_port_del(dl->dp, l->vport);
	release_port(dl->tun, l->vport - TUN_VPORT_BASE);
	memset(l, 0, sizeof(*l));
	return 0;
}

static json_t *stats_json(const struct dp_qstats *q)
{
	json_t *drops = json_object();

	for (int i = 0; i < DP_DROP_MAX; i++)
		if (q->drops[i])
			json_object_set_new(drops, dp_drop_names[i], json_integer((json_int_t)q->drops[i]));
	return json_pack("{s:{s:I,s:I},s:{s:I,s:I},s:o}", "rx", "packets",
			 (json_int_t)q->rx_packets, "bytes", (json_int_t)q->rx_bytes, "tx",
			 "packets", (json_int_t)q->tx_packets, "bytes", (json_int_t)q->tx_bytes,
			 "drops", drops);
}

int dl_tun_link_show(struct dl *dl, const char *name, bool stats, json_t **out,
		     struct dl_err *err)
{
	struct dl_tun *t = dl->tun;
	json_t *arr = json_array();

	if (name && !link_by_name(t, name)) {
		json_decref(arr);
		return dl_errf(err, ENODEV, "Device \"%s\" does not exist.", name);
	}
	for (unsigned i = 0; t && i < TUN_MAX_PORTS; i++) {
		const struct tun_link *l = &t->link[i];
		struct dp_qstats q, r;
		json_t *o;

		if (!l->name[0] || (name && strcmp(name, l->name)))
			continue;
		o = tun_link_json(l);
		if (stats && dl->dp && !dp_tun_port_stats(dl->dp, l->vport, false, &q) &&
		    !dp_tun_port_stats(dl->dp, l->vport, true, &r)) {
			json_object_set_new(o, "stats", stats_json(&q));
			json_object_set_new(o, "rep_stats", stats_json(&r));
		}
		json_array_append_new(arr, o);
	}
	*out = arr;
	return 0;
}

/* ---- neighbours ---- */

int dl_tun_neigh_add(struct dl *dl, int argc, const char *const *argv, struct dl_err *err)
{
	struct dl_tun *t = tun(dl);
	struct tun_neigh n, *l;
	char key[INET_ADDRSTRLEN];
	int ret;

	if (!t)
		return dl_errf(err, ENOMEM, "out of memory");
	ret = tun_neigh_parse(argc, argv, true, &n, err->msg, sizeof(err->msg));
	if (ret)
		return ret;
	if (n.dev[0] && !is_uplink(dl, n.dev))
		return dl_errf(err, ENODEV, "Cannot find device \"%s\"", n.dev);
	ip_s(n.addr, key);
	if (store_tun_put(dl->st, STORE_TUN_NEIGH, key, &n, sizeof(n)))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	for (unsigned i = 0; i < t->nneigh; i++)
		if (t->neigh[i].addr == n.addr) {
			t->neigh[i] = n;        /* replace, as ip neigh replace */
			goto done;
		}
	l = realloc(t->neigh, (t->nneigh + 1) * sizeof(*l));
	if (!l)
		return dl_errf(err, ENOMEM, "out of memory");
	t->neigh = l;
	t->neigh[t->nneigh++] = n;
done:
	if (dl->dp)
		refresh(dl, REFRESH_FULL);      /* rules waiting for it work now */
	return 0;
}

int dl_tun_neigh_del(struct dl *dl, int argc, const char *const *argv, struct dl_err *err)
{
	struct dl_tun *t = dl->tun;
	struct tun_neigh n;
	char key[INET_ADDRSTRLEN];
	int ret = tun_neigh_parse(argc, argv, false, &n, err->msg, sizeof(err->msg));

	if (ret)
		return ret;
	for (unsigned i = 0; t && i < t->nneigh; i++)
		if (t->neigh[i].addr == n.addr) {
			if (store_tun_del(dl->st, STORE_TUN_NEIGH, ip_s(n.addr, key)))
				return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
			t->neigh[i] = t->neigh[--t->nneigh];
			if (dl->dp)
				refresh(dl, REFRESH_FULL);
			return 0;
		}
	return dl_errf(err, ENOENT, "RTNETLINK answers: No such file or directory");
}

int dl_tun_neigh_show(struct dl *dl, json_t **out, struct dl_err *err)
{
	struct dl_tun *t = dl->tun;
	json_t *arr = json_array();

	(void)err;
	for (unsigned i = 0; t && i < t->nneigh; i++)
		json_array_append_new(arr, tun_neigh_json(&t->neigh[i],
							  t->neigh[i].dev[0] ? t->neigh[i].dev : "p0"));
	*out = arr;
	return 0;
}

/* ---- rules ---- */

int dl_tun_check_rule(struct dl *dl, const struct esw_rule_spec *s, struct dl_err *err)
{
	struct dl_tun *t = dl->tun;
	uint32_t dst = t && dl->dp ? rule_dst(dl, s) : 0;
	char why[200] = "", a[INET_ADDRSTRLEN];
	struct tun_nh nh;

	if (!dst)
		return 0;
	resolve(dl, dst, &nh, why, sizeof(why));
	if (nh.state == TUN_NH_NO_ROUTE)
		return dl_errf(err, ENETUNREACH, "cannot encapsulate to %s: %s.",
			       ip_s(dst, a), why);
	if (nh.state != TUN_NH_VALID)
		util_log(UTIL_INFO, "tunnel %s: rule accepted, %s; frames are dropped (no_neigh) "
			 "until it resolves", ip_s(dst, a), why);
	return 0;
}

void dl_tun_rule_added(struct dl *dl)
{
	if (dl->tun && dl->dp)
		refresh(dl, REFRESH_NEW);
}
