/*
 * store.h - durable state in SQLite.
 *
 * Every change the daemon acknowledges is written here first.  The database
 * runs in WAL mode with synchronous=NORMAL: a committed transaction survives
 * the daemon being killed at any instant (kill -9); only a power loss or
 * kernel crash can drop the last transactions.  Set SFNIC_STORE_SYNC=full to
 * fsync every commit as well.
 */
#ifndef SFNIC_STORE_H
#define SFNIC_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* What the daemon remembers about one SF port. */
struct store_port {
	uint32_t index;         /* devlink port index = device function id */
	uint32_t controller;
	uint32_t sfnum;
	uint16_t pfnum;
	uint8_t hw_addr[6];
	uint8_t state;          /* devlink function state: 0 inactive, 1 active */
	uint8_t unbound;        /* the SF aux device was unbound by hand */
	uint8_t enable_eth, enable_zc;   /* driverinit param values */
	uint8_t applied_eth, applied_zc; /* values in effect since the last reload */
	uint32_t aux_id;        /* 0: none yet */
	char rep_name[16];
	char sf_name[16];
	char netns[64];         /* network namespace of the SF's netdev ("": the daemon's) */
	char zc_owner[24];      /* memif access params (runtime, durable) */
	char zc_secret[24];
};

/* Opens (creating if needed) DIR/sfnic.db.  On failure returns -1 and puts
 * a one-line reason in err. */
int store_open(const char *dir, struct store **out, char *err, size_t errlen);

/* Closes the database. */
void store_close(struct store *s);

/* Groups the following writes into one transaction.  Returns 0 or -1. */
int store_begin(struct store *s);
/* Commits the transaction opened by store_begin.  Returns 0 or -1. */
int store_commit(struct store *s);
/* Abandons the transaction opened by store_begin. */
void store_rollback(struct store *s);

/* Inserts or replaces a port.  Returns 0 or -1. */
int store_port_put(struct store *s, const struct store_port *p);
/* Deletes one port (absent is not an error).  Returns 0 or -1. */
int store_port_del(struct store *s, uint32_t index);
/* Deletes every port.  Returns 0 or -1. */
int store_port_del_all(struct store *s);
/* Calls cb for every stored port in index order; stops at and returns the
 * first non-zero cb result.  Returns -1 on a database error. */
int store_port_foreach(struct store *s,
		       int (*cb)(const struct store_port *p, void *arg), void *arg);

/* Sets an integer setting.  Returns 0 or -1. */
int store_kv_set(struct store *s, const char *key, int64_t value);
/* Reads an integer setting: 1 if found (in *value), 0 if not, -1 on error. */
int store_kv_get(struct store *s, const char *key, int64_t *value);

/* Eswitch rules, identified by id = {dev, chain, prio, handle} and stored
 * as the device's fixed rule layout (which never changes once released). */
int store_rule_put(struct store *s, const uint32_t id[4], const void *spec, size_t len);
int store_rule_del(struct store *s, const uint32_t id[4]);
/* Deletes every rule on one port's representor. */
int store_rule_del_dev(struct store *s, uint32_t dev);
/* Calls cb for every rule in id order; stops at the first non-zero result,
 * which it returns; -1 on a database error. */
int store_rule_foreach(struct store *s, int (*cb)(const void *spec, size_t len, void *arg),
		       void *arg);

/* RX steering rules of SF functions, identified by {fn, loc} and stored as
 * the steer module's fixed rule layout (struct steer_rule).  put inserts or
 * replaces; del of an absent rule is not an error; del_fn removes every rule
 * of one function (its SF is deleted).  Return 0 or -1. */
int store_steer_put(struct store *s, uint32_t fn, uint32_t loc, const void *spec, size_t len);
int store_steer_del(struct store *s, uint32_t fn, uint32_t loc);
int store_steer_del_fn(struct store *s, uint32_t fn);
/* Calls cb for every rule in {fn, loc} order; stops at the first non-zero
 * result, which it returns; -1 on a database error. */
int store_steer_foreach(struct store *s,
			int (*cb)(uint32_t fn, uint32_t loc, const void *spec, size_t len,
				  void *arg),
			void *arg);

/* devlink rate objects: nodes by name, leafs by their port index (in
 * decimal, which no node name can be).  put inserts or replaces; del of an
 * absent object is not an error.  Return 0 or -1. */
struct store_rate {
	char name[64];
	uint8_t node;           /* 1: a node, 0: a leaf */
	uint64_t tx_share, tx_max;      /* bytes/s */
	uint32_t tx_priority, tx_weight;
	char parent[64];        /* "": none */
};
int store_rate_put(struct store *s, const struct store_rate *r);
int store_rate_del(struct store *s, const char *name);
/* Calls cb for every object in name order; stops at the first non-zero
 * result, which it returns; -1 on a database error. */
int store_rate_foreach(struct store *s, int (*cb)(const struct store_rate *r, void *arg),
		       void *arg);

/* Tunnel links (kind STORE_TUN_LINK, key: the name) and static neighbours
 * (STORE_TUN_NEIGH, key: the address), stored as src/tun's fixed layouts.
 * put inserts or replaces; del of an absent one is not an error.  Return 0
 * or -1; foreach stops at the first non-zero cb result and returns it. */
#define STORE_TUN_LINK 0
#define STORE_TUN_NEIGH 1
int store_tun_put(struct store *s, int kind, const char *key, const void *spec, size_t len);
int store_tun_del(struct store *s, int kind, const char *key);
int store_tun_foreach(struct store *s, int kind,
		      int (*cb)(const char *key, const void *spec, size_t len, void *arg), void *arg);

/* Health (issue 12).  Makes the next n writes fail (a port or setting
 * written alone, or a transaction's commit, which then rolls back), as
 * the device's SET_FAULT FAIL_STORE asks.  n 0 cancels. */
void store_fail_next(struct store *s, unsigned n);
/* Writes that failed since the store was opened (injected or not). */
uint64_t store_failures(const struct store *s);

/* Why the most recent failed write failed (kept until the next one fails:
 * store_errmsg describes only the last operation), or "none". */
const char *store_last_failure(const struct store *s);

/* The last SQLite error message, for logs. */
const char *store_errmsg(struct store *s);

#endif
