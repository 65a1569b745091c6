/*
 * dl.h - the devlink layer and the PF driver of sfnic.
 *
 * This module gives the device devlink's objects and grammar: the device
 * instance "sfnic/<dev>", its ports (uplink p0, PF pf0, one pcisf port per
 * SF), the eswitch mode, resources, and, for every attached SF, a nested
 * devlink instance "auxiliary/sfnic_core.sf.<id>" with its params.  It drives
 * the device only through dev_cmd_exec() and reacts to the device's events as
 * the PF driver (dl_process_events()).  Every acknowledged change is written
 * to the store before the call returns.
 *
 * Calls that take a request return 0 or a negative errno; on error, err->msg
 * holds the one-line message devlink or mlx5 would give (may be empty, in
 * which case only the errno is meaningful).  Results are jansson objects in
 * devlink's JSON shapes ({"port": {HANDLE: {...}}} and so on); the caller owns
 * them.
 */
#ifndef SFNIC_DL_H
#define SFNIC_DL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct dev;
struct aux_bus;
struct store;
struct dl;

struct dl_err {
	char msg[256];
};

/* Fills err and returns -errnum. */
int dl_errf(struct dl_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Called for every change, with devlink monitor's object and command names
 * ("port", "new") and the object in its show shape. */
typedef void (*dl_notify_fn)(void *arg, const char *obj, const char *cmd,
			     json_t *msg);

/*
 * Creates the devlink layer for device d named devname ("sfnic0"), registers
 * the sfnic_core.{sf,eth,zc} aux drivers on bus and restores the state in st
 * (replaying it into the device).  Returns NULL with a reason in err.
 */
struct dl *dl_create(struct dev *d, struct aux_bus *bus, struct store *st,
		     const char *devname, struct dl_err *err);

/* Tears everything down (SFs detached, aux devices deleted); the store is
 * left as it is, so the next dl_create restores the same state. */
void dl_destroy(struct dl *dl);

/* Installs the change-notification callback. */
void dl_set_notify(struct dl *dl, dl_notify_fn fn, void *arg);

/* Drains the device's event queue, acting as the PF driver.  Returns the
 * number of events handled. */
int dl_process_events(struct dl *dl);

/* Number of SF ports; for the daemon's log. */
uint32_t dl_sf_count(const struct dl *dl);

/* dev show [DEV] */
int dl_dev_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err);
/* dev info [DEV] */
int dl_dev_info(struct dl *dl, const char *handle, json_t **out, struct dl_err *err);
/* dev eswitch show DEV */
int dl_eswitch_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err);

/* dev eswitch set DEV [mode M] [inline-mode I] [encap-mode E]; NULL = keep. */
struct dl_eswitch_req {
	const char *mode, *inline_mode, *encap_mode;
};
int dl_eswitch_set(struct dl *dl, const char *handle, const struct dl_eswitch_req *r,
		   struct dl_err *err);

/* dev param show [DEV [name P]] */
int dl_param_show(struct dl *dl, const char *handle, const char *name, json_t **out,
		  struct dl_err *err);
/* dev param set DEV name P value V cmode C */
int dl_param_set(struct dl *dl, const char *handle, const char *name,
		 const char *value, const char *cmode, struct dl_err *err);
/* dev reload DEV [netns NS] */
int dl_reload(struct dl *dl, const char *handle, const char *netns, struct dl_err *err);

/* port show [HANDLE]; HANDLE is DEV, DEV/INDEX or a netdev name. */
int dl_port_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err);

/* port add DEV flavour F pfnum P [sfnum S] [controller C] [netdev N] [rep_netdev R] */
struct dl_port_add_req {
	const char *flavour;     /* NULL: not given */
	int64_t pfnum, sfnum, controller; /* -1: not given */
	const char *netdev, *rep_netdev;  /* sfnic extension; NULL: derived */
};
int dl_port_add(struct dl *dl, const char *handle, const struct dl_port_add_req *r,
		json_t **out, struct dl_err *err);
/* port del HANDLE */
int dl_port_del(struct dl *dl, const char *handle, struct dl_err *err);

/* port function set HANDLE [hw_addr A] [state S] */
struct dl_fn_set_req {
	const char *hw_addr;     /* NULL: keep */
	const char *state;       /* NULL: keep */
};
int dl_port_fn_set(struct dl *dl, const char *handle, const struct dl_fn_set_req *r,
		   struct dl_err *err);

/* resource show [DEV] */
int dl_resource_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err);
/* resource set DEV path P size N */
int dl_resource_set(struct dl *dl, const char *handle, const char *path, int64_t size,
		    struct dl_err *err);

/* aux show [NAME]; aux bind NAME [driver D]; aux unbind NAME */
int dl_aux_show(struct dl *dl, const char *name, json_t **out, struct dl_err *err);
int dl_aux_bind(struct dl *dl, const char *name, const char *driver, struct dl_err *err);
int dl_aux_unbind(struct dl *dl, const char *name, struct dl_err *err);

/* ---- datapath: rules, stats, names ---- */

struct dp;
/* Gives the devlink layer the datapath and restores the stored rules into
 * the device (after dl_create restored the ports). */
void dl_attach_dp(struct dl *dl, struct dp *dp);

/* Turns TAP netdevs on: the PF netdev, representors in switchdev mode and
 * SF netdevs appear and follow the state from now on.  Returns 0, or
 * -EPERM/-ENODEV with the reason in why (the rest of sfnic works on). */
int dl_netdev_enable(struct dl *dl, char *why, size_t len);

struct memif_hub;
/* Gives the devlink layer the memif hub: SFs with the zc driver bound
 * serve memif from now on (and whenever zc binds). */
void dl_attach_memif(struct dl *dl, struct memif_hub *hub);

struct zc_srv;
struct dp;
/* Starts the zero-copy channel on <run_dir>/zc.sock with the devlink
 * layer resolving the ports applications name; the daemon destroys it
 * (zc_srv_destroy) before the devlink layer.  NULL with a reason in err. */
struct zc_srv *dl_zc_create(struct dl *dl, struct dp *dp, const char *run_dir,
			    int (*watch)(void *loop, int fd, void (*cb)(void *arg), void *arg),
			    void *loop, char *err, size_t errlen);
/* Closes every zero-copy queue and the channel's socket. */
void dl_zc_destroy(struct dl *dl);

/* Removes every netdev (graceful shutdown); call before the datapath goes. */
void dl_netdev_disable(struct dl *dl);

/* The datapath given with dl_attach_dp (NULL before). */
struct dp *dl_datapath(struct dl *dl);

/* filter add|del|show: argv are the words after the verb, as tc takes them
 * ("dev", "sfnic0npf0sf88", "ingress", "prio", "1", "flower", ...). */
int dl_filter_add(struct dl *dl, int argc, const char *const *argv, struct dl_err *err);
/* filter replace: as add, but an existing handle's rule is swapped. */
int dl_filter_replace(struct dl *dl, int argc, const char *const *argv, struct dl_err *err);
int dl_filter_del(struct dl *dl, int argc, const char *const *argv, struct dl_err *err);
int dl_filter_show(struct dl *dl, int argc, const char *const *argv, bool stats, json_t **out,
		   struct dl_err *err);

/* ct show|flush|stats (dl_ct.c): the ct action's connections as
 * {"ct": [...]} (of zone, or all when zone < 0), removing them
 * ({"flushed": N}), the table's counters ({"ct_stats": {...}}). */
int dl_ct_show(struct dl *dl, int zone, json_t **out, struct dl_err *err);
int dl_ct_flush(struct dl *dl, int zone, json_t **out, struct dl_err *err);
int dl_ct_stats(struct dl *dl, json_t **out, struct dl_err *err);

/* ---- ethtool: RX steering (ntuple) and channels of SF functions ----
 *
 * DEV is an SF's netdev name, its representor, its port handle DEV/INDEX
 * or auxiliary/sfnic_core.sf.N.  Errors carry ethtool's own lines (two or
 * three, joined by newlines): `Cannot find device "X"` (-ENODEV) for a name
 * nobody has, ethtool's "Operation not supported" lines (-EOPNOTSUPP) for
 * a device that is not an SF. */

/* ethtool -N DEV flow-type ...: argv are the words after DEV.  Without
 * `loc` the rule takes the highest free of 1024 locations; `loc N` replaces
 * what is there.  Stored before it returns, then installed in the
 * datapath.  *loc_out is the rule's location. */
int dl_ethtool_ntuple_add(struct dl *dl, const char *dev, int argc, const char *const *argv,
			  uint32_t *loc_out, struct dl_err *err);
/* ethtool -N DEV delete LOC; -ENOENT if there is no rule there. */
int dl_ethtool_ntuple_del(struct dl *dl, const char *dev, uint32_t loc, struct dl_err *err);
/* ethtool -n DEV: {"ifname": NAME, "rings": 16, "rules": [RULE...], "text": T}
 * where RULE is {"loc", "flow-type", FIELD: V, [FIELD-mask: M,] "action"}
 * (masks in the command line's polarity: set bits are ignored) and T is
 * exactly what ethtool prints. */
int dl_ethtool_ntuple_show(struct dl *dl, const char *dev, json_t **out, struct dl_err *err);
/* ethtool -n DEV rule LOC: {"ifname", "rule": RULE, "text"}; -ENOENT. */
int dl_ethtool_ntuple_get(struct dl *dl, const char *dev, uint32_t loc, json_t **out,
			  struct dl_err *err);
/* ethtool -l DEV: {"ifname", "max": {"rx", "tx"}, "current": {"rx", "tx"},
 * "text"}; current counts the queues whose driver is bound (netdev, memif). */
int dl_ethtool_channels(struct dl *dl, const char *dev, json_t **out, struct dl_err *err);

/* ---- devlink rate (port function rate): leafs of the PF and SF ports,
 * nodes the user adds; the datapath shapes what functions transmit ---- */

/* Settings of set/add: rates in bytes/s; -1 keeps (set) or leaves unset
 * (add); parent NULL keeps, "" is noparent. */
struct dl_rate_req {
	int64_t tx_share, tx_max, tx_priority, tx_weight;
	const char *parent;
};
/* rate show [DEV/{PORT_INDEX|NODE}]: {"rate": {HANDLE: {"type": "leaf"|"node",
 * ["tx_share": B/s,] ["tx_max": B/s,] ["tx_priority": N,] ["tx_weight": N,]
 * ["parent": NODE]}}}, zero values left out.  -ENODEV for no such object. */
int dl_rate_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err);
/* rate set DEV/{PORT_INDEX|NODE} ...: stored, then in force.  -ENODEV (no
 * such object or parent), -EINVAL ("Invalid. Expected tx_share <= tx_max
 * or tx_share == 0.", "Parent to self is not allowed"), -EEXIST ("Node is
 * already a parent of parent node."), -EIO (the store failed). */
int dl_rate_set(struct dl *dl, const char *handle, const struct dl_rate_req *r,
		struct dl_err *err);
/* rate add DEV/NODE ...: as set, for a new node; -EEXIST when NODE exists,
 * -EINVAL when it is empty or a decimal number. */
int dl_rate_add(struct dl *dl, const char *handle, const struct dl_rate_req *r,
		struct dl_err *err);
/* rate del DEV/NODE: -ENODEV, -EBUSY ("Node has children. Cannot delete
 * node."). */
int dl_rate_del(struct dl *dl, const char *handle, struct dl_err *err);

/* Adds "stats" to every object of a `rate show` result: {"sent_bytes",
 * "sent_packets", "throttled"[, "deferred" for leafs]} (struct
 * sched_stats), counted since the daemon started whatever the settings
 * did meanwhile; zeros for an object nothing shapes. */
void dl_rate_stats_add(struct dl *dl, json_t *result);

/* Every flower rule on every device, for metrics and `sfnic top`: an array
 * of `filter show -s` objects, each with "dev" (the netdev the rule is
 * on).  Returns 0, or -EOPNOTSUPP without a datapath. */
int dl_filter_list(struct dl *dl, json_t **out, struct dl_err *err);

/* Maps a port handle (DEV/INDEX), a representor name or a netdev name to a
 * datapath port: the vport, and whether it is the representor.  Returns 0
 * or -ENODEV. */
int dl_dp_port(struct dl *dl, const char *handle, uint32_t *vport, bool *rep);

/* Adds "stats" (and, in switchdev mode, "rep_stats") to every port of a
 * `port show` result. */
void dl_port_stats_add(struct dl *dl, json_t *result);

/* ---- health (dl_health.c, issue 12) ----
 * cmd is "show", "recover", "diagnose", "dump.show", "dump.clear", "test"
 * or "set"; req holds "handle" (DEV or DEV/INDEX), "reporter" and, for
 * set, "grace_period"/"burst_period" (ms) and "auto_recover"/"auto_dump"
 * (true/false).  show answers {"health": {HANDLE: [REPORTER...]}},
 * diagnose and dump show the reporter's fmsg object; the rest nothing. */
int dl_health_request(struct dl *dl, const char *cmd, json_t *req, json_t **out,
		      struct dl_err *err);
/* Detection, once a second from the daemon's housekeeping timer. */
void dl_health_tick(struct dl *dl);

/* ---- tunnel ports and static neighbours (dl_tun.c; src/tun has the
 * model) ---- */

/* Registers fd with the caller's event loop: cb(arg) runs when readable. */
typedef int (*dl_watch_fn)(void *loop, int fd, void (*cb)(void *arg), void *arg);
/* The uplink's spec (sfnicd --uplink): afxdp:IF / afpacket:IF give the
 * interface whose routes, neighbours and addresses encap and decap use.
 * Call before dl_attach_dp. */
void dl_tun_set_uplink(struct dl *dl, const char *spec);
/* Starts the next-hop cache's timer on the caller's loop.  0 or -errno. */
int dl_tun_start(struct dl *dl, dl_watch_fn watch, void *loop);
/* link add NAME type vxlan ... (ip-link's words): stored, then in force;
 * *out gets {"warning": ...} when ip would warn (no dstport). */
int dl_tun_link_add(struct dl *dl, int argc, const char *const *argv, json_t **out,
		    struct dl_err *err);
/* link del NAME: its filters go too.  -ENODEV when there is none. */
int dl_tun_link_del(struct dl *dl, const char *name, struct dl_err *err);
/* link show [NAME]: [{ip -j -d link's shape}...], with -s the tunnel
 * port's counters (stats: decapsulated in, encapsulated out, drops) and its
 * representor's (rep_stats: what no decap rule took). */
int dl_tun_link_show(struct dl *dl, const char *name, bool stats, json_t **out,
		     struct dl_err *err);
/* neigh add|del ADDR [lladdr MAC] [dev p0]: static outer neighbours
 * (durable); show lists them in ip -j neigh's shape. */
int dl_tun_neigh_add(struct dl *dl, int argc, const char *const *argv, struct dl_err *err);
int dl_tun_neigh_del(struct dl *dl, int argc, const char *const *argv, struct dl_err *err);
int dl_tun_neigh_show(struct dl *dl, json_t **out, struct dl_err *err);

#endif
