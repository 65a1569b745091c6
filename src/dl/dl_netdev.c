/*
 * dl_netdev.c - the netdevs of ports: TAP devices attached to the datapath.
 *
 * Which netdevs exist follows the devlink state, as on mlx5:
 *   - the PF's own netdev <dev>, in both eswitch modes;
 *   - in switchdev mode, a representor for p0, pf0 and every SF port, from
 *     port add to port del, named from its phys_port_name;
 *   - an SF's own netdev while the sfnic_core.eth driver is bound to the
 *     SF (state active, enable_eth), with the function's hw_addr.
 * A netdev is attached to its datapath port while that port exists (an
 * inactive SF's representor exists but carries nothing).
 */
#include "dl_internal.h"
#include "../dp/dp.h"
#include "../nd/nd.h"
#include "../util/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DL_ND_MTU 1500

static bool is_switchdev(const struct dl *dl)
{
	return dl->esw.mode != DEV_ESW_LEGACY;
}

static bool wanted(const struct dl *dl, const struct dl_port *p, int k)
{
	if (!dl->nd_on)
		return false;
	if (k == DL_ND_REP)
		return is_switchdev(dl) && (p == &dl->uplink || p == &dl->pf || dl_is_sf(p));
	if (p == &dl->pf)
		return true;
	return dl_is_sf(p) && p->aux && p->aux->eth_bound;
}

static const char *nd_name(const struct dl *dl, const struct dl_port *p, int k)
{
	if (k == DL_ND_REP)
		return p->rep_name;
	return p == &dl->pf ? dl->devname : p->sf_name;
}

static const uint8_t *nd_mac(const struct dl_port *p, int k)
{
	static const uint8_t zero[6];

	/* Representors, and functions without an address, get a random one. */
	if (k == DL_ND_REP || !memcmp(p->hw_addr, zero, 6))
		return NULL;
	return p->hw_addr;
}

/* Attaches (or with on false, detaches) a netdev's queues to its port: one
 * per worker when it has as many queues as there are workers, else (a
 * netdev adopted from a run with another worker count) its first queue as
 * a single-queue backend.  Returns 0 when attached. */
static int attach(struct dl *dl, struct dl_port *p, int k, bool on)
{
	struct nd_tap *t = p->nd[k];
	unsigned nq = nd_tap_queues(t);
	bool rep = k == DL_ND_REP;
	int ret = 0;

	if (nq != dp_nqueues(dl->dp)) {
		ret = dp_port_set_backend(dl->dp, p->index, rep, on ? nd_tap_backend(t, 0) : NULL,
					  on ? nd_tap_ctx(t, 0) : NULL);
		return ret == -EBUSY ? 0 : ret;
	}
	for (unsigned q = 0; q < nq; q++) {
		int r = dp_port_set_queue_backend(dl->dp, p->index, rep, q,
						  on ? nd_tap_backend(t, q) : NULL,
						  on ? nd_tap_ctx(t, q) : NULL);

		if (r && r != -EBUSY)
			ret = r;
	}
	return ret;
}

static void close_one(struct dl *dl, struct dl_port *p, int k)
{
	if (!p->nd[k])
		return;
	if ((p->nd_attached & (1u << k)) && dl->dp && dp_port_exists(dl->dp, p->index))
		attach(dl, p, k, false);
	nd_tap_destroy(p->nd[k]);
	p->nd[k] = NULL;
	p->nd_attached &= (uint8_t)~(1u << k);
}

static void sync_one(struct dl *dl, struct dl_port *p, int k)
{
	uint8_t bit = (uint8_t)(1u << k);
	char err[256];

	if (!wanted(dl, p, k)) {
		close_one(dl, p, k);
		return;
	}
	if (!p->nd[k]) {
		p->nd[k] = nd_tap_create(nd_name(dl, p, k), nd_mac(p, k), DL_ND_MTU,
					 dl->dp && dp_gso(dl->dp), dl->dp ? dp_nqueues(dl->dp) : 1,
					 err, sizeof(err));
		if (!p->nd[k]) {
			util_log(UTIL_WARN, "%s", err);
			return;
		}
		nd_tap_set_carrier(p->nd[k], true);
		if (k == DL_ND_OWN && p->netns[0] &&
		    nd_tap_move_netns(p->nd[k], p->netns, err, sizeof(err)))
			util_log(UTIL_WARN, "%s", err);
	}
	if (dl->dp && dp_port_exists(dl->dp, p->index)) {
		if (attach(dl, p, k, true) == 0)
			p->nd_attached |= bit;
	} else {
		p->nd_attached &= (uint8_t)~bit;   /* the port went with its fd */
	}
}

void dl_netdev_port_sync(struct dl *dl, struct dl_port *p)
{
	if (!dl->nd_on && !p->nd[0] && !p->nd[1])
		return;
	sync_one(dl, p, DL_ND_OWN);
	sync_one(dl, p, DL_ND_REP);
}

void dl_netdev_port_close(struct dl *dl, struct dl_port *p)
{
	close_one(dl, p, DL_ND_OWN);
	close_one(dl, p, DL_ND_REP);
}

static void sync_cb(struct dl_port *p, void *arg)
{
	if (dl_is_sf(p))
		dl_netdev_port_sync(arg, p);
}

/* The fixed ports are not always in the port tree (pf0 is listed in
 * switchdev mode only) but the PF netdev always exists: visit them first. */
void dl_netdev_sync_all(struct dl *dl)
{
	dl_netdev_port_sync(dl, &dl->uplink);
	dl_netdev_port_sync(dl, &dl->pf);
	dl_port_foreach(dl, sync_cb, dl);
}

int dl_netdev_enable(struct dl *dl, char *why, size_t len)
{
	int ret = nd_probe(why, len);

	if (ret)
		return ret;
	dl->nd_on = true;
	dl_netdev_sync_all(dl);
	return 0;
}

static void close_cb(struct dl_port *p, void *arg)
{
	if (dl_is_sf(p))
		dl_netdev_port_close(arg, p);
}

void dl_netdev_disable(struct dl *dl)
{
	dl->nd_on = false;
	dl_netdev_port_close(dl, &dl->uplink);
	dl_netdev_port_close(dl, &dl->pf);
	dl_port_foreach(dl, close_cb, dl);
}

int dl_netdev_reload_netns(struct dl *dl, struct dl_port *p, const char *netns,
			   struct dl_err *err)
{
	char old[sizeof(p->netns)], msg[256];
	int fd;

	if (!dl->nd_on)
		return dl_errf(err, EOPNOTSUPP, "netns reload moves the SF netdev, and netdevs "
			       "need CAP_NET_ADMIN");
	if (strlen(netns) >= sizeof(p->netns) || (fd = nd_netns_open(netns)) < 0)
		return dl_errf(err, ENOENT, "Cannot open network namespace \"%s\": %s", netns,
			       strerror(ENOENT));
	close(fd);
	memcpy(old, p->netns, sizeof(old));
	snprintf(p->netns, sizeof(p->netns), "%s", netns);
	if (p->nd[DL_ND_OWN] && nd_tap_move_netns(p->nd[DL_ND_OWN], netns, msg, sizeof(msg))) {
		memcpy(p->netns, old, sizeof(old));
		return dl_errf(err, EIO, "%s", msg);
	}
	if (dl_persist_port(dl, p))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	return 0;
}
