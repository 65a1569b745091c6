/*
 * dl_internal.h - state shared by the devlink layer's files.
 */
#ifndef SFNIC_DL_INTERNAL_H
#define SFNIC_DL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "dl.h"
#include "../aux/aux.h"
#include "../dev/dev.h"
#include "../store/store.h"
#include "../util/util.h"

#define DL_IFNAMSIZ 16
#define DL_AUX_MOD "sfnic_core"

enum dl_flavour {
	DL_FLAVOUR_PHYSICAL = 0,
	DL_FLAVOUR_PCI_PF = 3,
	DL_FLAVOUR_VIRTUAL = 5,
	DL_FLAVOUR_PCI_SF = 7,
};

struct dl_port;
struct steer_rule;
struct memif_srv;
struct memif_hub;
struct zc_srv;
struct dl_rates;

/* The aux devices of one active SF and its nested devlink instance. */
struct dl_sf_aux {
	struct aux_device sf, eth, zc;
	struct dl_port *port;
	struct dl *dl;
	bool inst_up;           /* auxiliary/sfnic_core.sf.<id> exists */
	bool eth_added, zc_added;
	bool eth_bound;         /* the eth driver owns it: the SF netdev exists */
	bool zc_bound;          /* the zc driver owns it: the memif server exists */
	struct memif_srv *memif;        /* while zc is bound and the vport exists */
};

struct dl_port {
	uint32_t index;
	uint8_t flavour;
	uint8_t state;          /* admin: 0 inactive, 1 active */
	uint8_t opstate;        /* 0 detached, 1 attached */
	uint8_t unbound;
	uint8_t enable_eth, enable_zc, applied_eth, applied_zc;
	uint16_t pfnum;
	uint32_t controller;
	uint32_t sfnum;
	uint32_t aux_id;
	uint8_t hw_addr[6];
	char rep_name[DL_IFNAMSIZ];
	char sf_name[DL_IFNAMSIZ];
	struct dl_sf_aux *aux;  /* while the SF's aux devices exist */
	/* Netdevs: [DL_ND_OWN] the SF's (or PF's) own, [DL_ND_REP] its
	 * representor; NULL when absent.  Bits of nd_attached by that index. */
	struct nd_tap *nd[2];
	uint8_t nd_attached;
	char netns[64];         /* dev reload ... netns NAME ("": none) */
	/* RX steering (ethtool -N), SF ports only: nsteer rules sorted by
	 * loc, owned here (the datapath holds its own copy); kept whatever
	 * the SF's state and applied while its vport exists. */
	struct steer_rule *steer;
	unsigned nsteer;
	char zc_owner[24];      /* runtime param: "UID[:GID]" or "" */
	char zc_secret[24];     /* runtime param: memif secret or "" */
};

enum { DL_ND_OWN, DL_ND_REP };

struct dl {
	struct dev *dev;
	struct aux_bus *bus;
	struct store *st;
	char devname[DL_IFNAMSIZ];
	char handle[64];         /* "sfnic/<devname>" */
	void *ports;             /* tsearch tree of struct dl_port*, by index */
	void *names;             /* tsearch tree of struct dl_name*, by name */
	uint32_t nsf[DEV_NUM_CONTROLLERS];
	uint32_t size[DEV_NUM_CONTROLLERS];     /* resource sizes in effect */
	uint32_t size_new[DEV_NUM_CONTROLLERS]; /* pending until reload */
	struct dev_esw_mode esw;
	struct dl_port uplink, pf;
	dl_notify_fn notify;
	void *notify_arg;
	bool restoring;          /* replaying the store: no notifications */
	struct dp *dp;           /* NULL until dl_attach_dp */
	bool nd_on;              /* TAP netdevs are wanted and possible */
	struct memif_hub *memif; /* NULL until dl_attach_memif */
	struct zc_srv *zc;       /* NULL until dl_zc_create */
	bool closing;            /* dl_destroy is tearing SFs down */
	struct dl_rates *rate;   /* dl_rate.c: rate objects, NULL until used */
	struct dl_health *health; /* health reporters (dl_health.c) */
	struct dl_tun *tun;      /* tunnel ports (dl_tun.c), NULL until used */
};

/* A reserved netdev name. */
struct dl_name {
	const char *name;        /* points into the port */
	struct dl_port *port;
	bool is_sf;              /* the SF's own netdev, not the representor */
};

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* dl_netdev.c: makes a port's netdevs match what its state asks for
 * (create, attach to the datapath, remove).  No-ops unless netdevs are on. */
void dl_netdev_port_sync(struct dl *dl, struct dl_port *p);
void dl_netdev_sync_all(struct dl *dl);
/* dev reload auxiliary/... netns NAME: the SF's netdev goes to NAME, now
 * and whenever it is created again. */
int dl_netdev_reload_netns(struct dl *dl, struct dl_port *p, const char *netns,
			   struct dl_err *err);
/* Removes a port's netdevs (port deletion, shutdown). */
void dl_netdev_port_close(struct dl *dl, struct dl_port *p);

/* dl_memif.c: the SF's memif server follows zc binding and the vport. */
void dl_memif_sync(struct dl *dl, struct dl_port *p);
void dl_memif_sync_all(struct dl *dl);
/* zc_owner or zc_secret changed: the server's access follows. */
void dl_memif_access_changed(struct dl *dl, struct dl_port *p);
/* The uid of p's zc_owner param; false when it has none. */
bool dl_memif_owner_uid(const struct dl_port *p, uid_t *uid);
/* Whether s is "", "UID" or "UID:GID". */
bool dl_memif_owner_valid(const char *s);
/* The socket path while a server exists, else NULL. */
const char *dl_memif_path(const struct dl_port *p);
/* The memif interface's counters for `port show -s`, or NULL. */
json_t *dl_memif_stats_json(struct dl *dl, const struct dl_port *p);

/* dl_zc.c: the zero-copy channel's queues close with p's function. */
void dl_zc_port_gone(struct dl *dl, struct dl_port *p);
/* The open zero-copy queues of vport for `port show -s`, or NULL. */
json_t *dl_zc_stats_json(struct dl *dl, uint32_t vport);

/* dl_steer.c: RX steering rules of SF functions (ethtool ntuple). */
/* Installs p's rules and its default queue (netdev when eth is bound, else
 * memif when zc is bound, else drop) in the datapath, if p's vport exists
 * there.  Call after rules, driver binding or the vport change. */
void dl_steer_sync(struct dl *dl, struct dl_port *p);
/* Loads every stored rule into its SF port (after the ports are restored);
 * rules of ports that no longer exist are dropped from the store. */
void dl_steer_restore(struct dl *dl);
/* dl_steer_sync for every SF port (the datapath was just attached). */
void dl_steer_sync_all(struct dl *dl);
/* Forgets p's rules, in memory and in the store (its SF is deleted). */
int dl_steer_flush(struct dl *dl, struct dl_port *p);

/* dl_rate.c: devlink rate objects and the shaper they configure. */
/* Loads the stored objects (after the ports are restored; leafs of ports
 * that are gone are dropped from the store) and puts them in force. */
void dl_rate_restore(struct dl *dl);
/* Hands every leaf's scheduler object to the datapath (after attaching it
 * or any change). */
void dl_rate_apply(struct dl *dl);
/* p is being deleted: its leaf's settings go, in memory and in the store. */
void dl_rate_port_gone(struct dl *dl, struct dl_port *p);
/* Whether any node exists (the eswitch mode may not change then). */
bool dl_rate_nodes_exist(struct dl *dl);
/* Takes the objects out of the datapath and frees them. */
void dl_rate_destroy(struct dl *dl);

/* dl_health.c: reporters of the device and its ports (issue 12). */
struct dl_health *dl_health_create(struct dl *dl);
void dl_health_destroy(struct dl_health *h);
/* Every device command the driver issues that failed or was slow. */
void dl_health_cmd_done(struct dl *dl, const void *in, uint8_t status, uint32_t syndrome,
			uint64_t ns);
/* DEV_EVENT_FAULT: the device asks the driver to apply a fault to what the
 * driver owns (store, zero-copy queues). */
void dl_health_fault_event(struct dl *dl, const struct dev_eqe *eqe);

/* dl_core.c */
int dl_errf(struct dl_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint8_t dl_cmd(struct dl *dl, const void *in, size_t inlen, void *out, size_t outlen);
/* A command that names one function and returns nothing (struct dev_fn_in). */
uint8_t dl_fn_cmd(struct dl *dl, uint16_t opcode, uint32_t fn_id);
int dl_port_insert(struct dl *dl, struct dl_port *p);
void dl_port_remove(struct dl *dl, struct dl_port *p);
struct dl_port *dl_port_by_index(struct dl *dl, uint32_t index);
void dl_port_foreach(struct dl *dl, void (*fn)(struct dl_port *p, void *arg), void *arg);
int dl_persist_port(struct dl *dl, const struct dl_port *p);
void dl_emit_port(struct dl *dl, const char *cmd, const struct dl_port *p);
void dl_port_handle(const struct dl *dl, const struct dl_port *p, char *buf, size_t len);
bool dl_is_sf(const struct dl_port *p);

/* dl_names.c */
int dl_phys_port_name(const struct dl_port *p, char *buf, size_t len);
bool dl_name_valid(const char *name);
void dl_name_derive(struct dl *dl, const char *prefix, char kind, const char *suffix,
		    const char *hash_key, char out[DL_IFNAMSIZ]);
int dl_name_reserve(struct dl *dl, const char *name, struct dl_port *p, bool is_sf);
void dl_name_release(struct dl *dl, const char *name);
struct dl_name *dl_name_find(struct dl *dl, const char *name);
void dl_names_destroy(struct dl *dl);

/* dl_port.c */
int dl_sf_restore(struct dl *dl, const struct store_port *sp, struct dl_err *err);
int dl_pf_restore(struct dl *dl);
int dl_sf_delete(struct dl *dl, struct dl_port *p, struct dl_err *err);
/* Makes the device's SF ports what the store holds: a stored SF the device
 * lacks is created again (and activated if it was), one the store does not
 * hold is deleted.  Counts both.  Returns 0, or -errno with err when a
 * port the device has differs from the store or the store cannot be read. */
int dl_port_reload(struct dl *dl, unsigned *created, unsigned *deleted, struct dl_err *err);
/* Makes the device's eswitch rules what the store holds (by identity):
 * stored rules the device lacks are added (those of ports that are gone
 * stay out, as at start), others deleted.  Counts both.  Returns 0, -EIO
 * (the store cannot be read) or -ENOMEM. */
int dl_filter_reload(struct dl *dl, unsigned *added, unsigned *removed);

/* dl_sf.c: the PF driver's reaction to events and the SF aux drivers */
int dl_sf_register_drivers(struct dl *dl);
int dl_sf_handle_event(struct dl *dl, const struct dev_eqe *eqe);
void dl_sf_aux_teardown(struct dl *dl, struct dl_port *p);
struct dl_port *dl_sf_instance_port(struct dl *dl, const char *handle, const char **rest);
/* The SF port behind aux device sfnic_core.sf.<id>, or NULL for any other device. */
struct dl_port *dl_sf_aux_port(const struct dl *dl, struct aux_device *adev);
int dl_sf_reload(struct dl *dl, struct dl_port *p, struct dl_err *err);

/* dl_filter.c */
/* Removes every rule on the representor of vport dev (device and store). */
void dl_filter_flush_dev(struct dl *dl, uint32_t dev);
struct pp_stats;
json_t *dl_pool_json(const struct pp_stats *p);
json_t *dl_dp_stats_json(struct dl *dl, uint32_t vport, bool rep);

/* dl_json.c */
json_t *dl_json_port(const struct dl *dl, const struct dl_port *p);
json_t *dl_json_sf_inst_port(const struct dl *dl, const struct dl_port *p);
void dl_sf_inst_handle(const struct dl_port *p, char *buf, size_t len);
const char *dl_esw_mode_str(uint8_t mode);
const char *dl_inline_mode_str(uint8_t mode);
const char *dl_encap_mode_str(uint8_t mode);

/* dl_tun.c: tunnel ports as the filter code sees them. */
struct esw_rule_spec;
/* Restores stored links and neighbours into the datapath (before rules). */
void dl_tun_restore(struct dl *dl);
void dl_tun_destroy(struct dl *dl);
/* A tunnel port's vport by name: 0, or -ENODEV. */
int dl_tun_vport(struct dl *dl, const char *name, uint32_t *vport);
/* A tunnel vport's name, NULL when vport is none. */
const char *dl_tun_name(struct dl *dl, uint32_t vport);
/* Checks a new rule's encap: -ENETUNREACH with the reason when its tunnel
 * destination has no route through the uplink (or no static neighbour on
 * an uplink without an interface); an unresolved neighbour is accepted
 * (logged, resolution started). */
int dl_tun_check_rule(struct dl *dl, const struct esw_rule_spec *s, struct dl_err *err);
/* After a rule was added: resolves destinations the cache lacks. */
void dl_tun_rule_added(struct dl *dl);

#endif
