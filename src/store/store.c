/*
 * store.c - SQLite schema and prepared statements for durable state.
 */
#include "store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION 3       /* 2: port.netns; 3: port.zc_owner, port.zc_secret */

struct store {
	sqlite3 *db;
	sqlite3_stmt *port_put, *port_del, *port_del_all, *port_all;
	sqlite3_stmt *kv_set, *kv_get;
	sqlite3_stmt *rule_put, *rule_del, *rule_del_dev, *rule_all;
	sqlite3_stmt *steer_put, *steer_del, *steer_del_fn, *steer_all;
	sqlite3_stmt *rate_put, *rate_del, *rate_all;
	sqlite3_stmt *tun_put, *tun_del, *tun_all;
	sqlite3_stmt *begin, *commit, *rollback;
	/* Health (issue 12): writes that failed, and injected failures due. */
	uint64_t failures;
	unsigned fail_left;
	bool injected;          /* the last failure was injected */
	char last_failure[128]; /* why the most recent failed write failed */
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS port ("
	" idx INTEGER PRIMARY KEY, controller INTEGER NOT NULL,"
	" pfnum INTEGER NOT NULL, sfnum INTEGER NOT NULL, hw_addr BLOB NOT NULL,"
	" state INTEGER NOT NULL, unbound INTEGER NOT NULL,"
	" enable_eth INTEGER NOT NULL, enable_zc INTEGER NOT NULL,"
	" applied_eth INTEGER NOT NULL, applied_zc INTEGER NOT NULL,"
	" aux_id INTEGER NOT NULL, rep_name TEXT NOT NULL, sf_name TEXT NOT NULL,"
	" netns TEXT NOT NULL DEFAULT '', zc_owner TEXT NOT NULL DEFAULT '',"
	" zc_secret TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS rule (dev INTEGER NOT NULL, chain INTEGER NOT NULL,"
	" prio INTEGER NOT NULL, handle INTEGER NOT NULL, spec BLOB NOT NULL,"
	" PRIMARY KEY (dev, chain, prio, handle));"
	/* RX steering rules: CREATE ... IF NOT EXISTS gives the table to
	 * databases made before it existed. */
	"CREATE TABLE IF NOT EXISTS steer (fn INTEGER NOT NULL, loc INTEGER NOT NULL,"
	" spec BLOB NOT NULL, PRIMARY KEY (fn, loc));"
	/* devlink rate objects (likewise added to older databases). */
	"CREATE TABLE IF NOT EXISTS rate (name TEXT PRIMARY KEY, node INTEGER NOT NULL,"
	" tx_share INTEGER NOT NULL, tx_max INTEGER NOT NULL, tx_priority INTEGER NOT NULL,"
	" tx_weight INTEGER NOT NULL, parent TEXT NOT NULL);"
	/* Tunnel links and static neighbours (src/tun's fixed layouts). */
	"CREATE TABLE IF NOT EXISTS tun (kind INTEGER NOT NULL, key TEXT NOT NULL,"
	" spec BLOB NOT NULL, PRIMARY KEY (kind, key));";

static int prep(struct store *s, sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
				  NULL) == SQLITE_OK ? 0 : -1;
}

int store_open(const char *dir, struct store **out, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	const char *sync = getenv("SFNIC_STORE_SYNC");
	char path[4096], pragmas[128];
	int64_t ver;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/sfnic.db", dir);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;",
		 sync && !strcmp(sync, "full") ? "FULL" : "NORMAL");
	if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot initialise %s: %s", path,
			 sqlite3_errmsg(s->db));
		goto fail;
	}
	/* Version 1 had no port.netns: add it (SQLite appends the column,
	 * where version 2 declares it). */
	if (sqlite3_exec(s->db, "SELECT netns FROM port LIMIT 0", NULL, NULL, NULL) != SQLITE_OK &&
	    (sqlite3_exec(s->db, "ALTER TABLE port ADD COLUMN netns TEXT NOT NULL DEFAULT '';"
			  "UPDATE kv SET v = 2 WHERE k = 'schema_version'", NULL, NULL, NULL) !=
	     SQLITE_OK)) {
		snprintf(err, errlen, "cannot upgrade %s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	/* Version 2 had no memif access params. */
	if (sqlite3_exec(s->db, "SELECT zc_owner FROM port LIMIT 0", NULL, NULL, NULL) != SQLITE_OK &&
	    (sqlite3_exec(s->db, "ALTER TABLE port ADD COLUMN zc_owner TEXT NOT NULL DEFAULT '';"
			  "ALTER TABLE port ADD COLUMN zc_secret TEXT NOT NULL DEFAULT '';"
			  "UPDATE kv SET v = 3 WHERE k = 'schema_version'", NULL, NULL, NULL) !=
	     SQLITE_OK)) {
		snprintf(err, errlen, "cannot upgrade %s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	if (prep(s, &s->port_put,
		 "INSERT OR REPLACE INTO port VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)") ||
	    prep(s, &s->port_del, "DELETE FROM port WHERE idx = ?") ||
	    prep(s, &s->port_del_all, "DELETE FROM port") ||
	    prep(s, &s->port_all, "SELECT * FROM port ORDER BY idx") ||
	    prep(s, &s->kv_set, "INSERT OR REPLACE INTO kv VALUES (?, ?)") ||
	    prep(s, &s->rule_put, "INSERT OR REPLACE INTO rule VALUES (?,?,?,?,?)") ||
	    prep(s, &s->rule_del, "DELETE FROM rule WHERE dev=? AND chain=? AND prio=? AND handle=?") ||
	    prep(s, &s->rule_del_dev, "DELETE FROM rule WHERE dev=?") ||
	    prep(s, &s->rule_all, "SELECT spec FROM rule ORDER BY dev, chain, prio, handle") ||
	    prep(s, &s->steer_put, "INSERT OR REPLACE INTO steer VALUES (?,?,?)") ||
	    prep(s, &s->steer_del, "DELETE FROM steer WHERE fn=? AND loc=?") ||
	    prep(s, &s->steer_del_fn, "DELETE FROM steer WHERE fn=?") ||
	    prep(s, &s->steer_all, "SELECT fn, loc, spec FROM steer ORDER BY fn, loc") ||
	    prep(s, &s->rate_put, "INSERT OR REPLACE INTO rate VALUES (?,?,?,?,?,?,?)") ||
	    prep(s, &s->rate_del, "DELETE FROM rate WHERE name=?") ||
	    prep(s, &s->rate_all, "SELECT * FROM rate ORDER BY name") ||
	    prep(s, &s->kv_get, "SELECT v FROM kv WHERE k = ?") ||
	    prep(s, &s->tun_put, "INSERT OR REPLACE INTO tun VALUES (?,?,?)") ||
	    prep(s, &s->tun_del, "DELETE FROM tun WHERE kind=? AND key=?") ||
	    prep(s, &s->tun_all, "SELECT key, spec FROM tun WHERE kind=? ORDER BY key") ||
	    prep(s, &s->begin, "BEGIN IMMEDIATE") ||
	    prep(s, &s->commit, "COMMIT") ||
	    prep(s, &s->rollback, "ROLLBACK")) {
		snprintf(err, errlen, "cannot prepare statements on %s: %s", path,
			 sqlite3_errmsg(s->db));
		goto fail;
	}
	if (store_kv_get(s, "schema_version", &ver) == 0 &&
	    store_kv_set(s, "schema_version", SCHEMA_VERSION)) {
		snprintf(err, errlen, "cannot write %s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	} else if (store_kv_get(s, "schema_version", &ver) == 1 && ver != SCHEMA_VERSION) {
		snprintf(err, errlen, "%s has schema version %lld, this sfnicd reads %d",
			 path, (long long)ver, SCHEMA_VERSION);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->port_put);
	sqlite3_finalize(s->port_del);
	sqlite3_finalize(s->port_del_all);
	sqlite3_finalize(s->port_all);
	sqlite3_finalize(s->kv_set);
	sqlite3_finalize(s->kv_get);
	sqlite3_finalize(s->tun_put);
	sqlite3_finalize(s->tun_del);
	sqlite3_finalize(s->tun_all);
	sqlite3_finalize(s->rule_put);
	sqlite3_finalize(s->rule_del);
	sqlite3_finalize(s->rule_del_dev);
	sqlite3_finalize(s->rule_all);
	sqlite3_finalize(s->steer_put);
	sqlite3_finalize(s->steer_del);
	sqlite3_finalize(s->steer_del_fn);
	sqlite3_finalize(s->steer_all);
	sqlite3_finalize(s->rate_put);
	sqlite3_finalize(s->rate_del);
	sqlite3_finalize(s->rate_all);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_close(s->db);
	free(s);
}

/* Runs a statement that returns no rows and resets it. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A write's outcome: an injected failure if one is due, counted. */
static int wrote(struct store *s, int rc)
{
	s->injected = false;
	if (rc == 0 && s->fail_left) {
		s->fail_left--;
		s->injected = true;
		rc = -1;
	}
	if (rc) {
		s->failures++;
		snprintf(s->last_failure, sizeof(s->last_failure), "%s", store_errmsg(s));
	}
	return rc;
}

/* Runs one write.  Outside a transaction it is the write that counts (and
 * an injected failure, if one is due, replaces it); inside one the commit
 * decides. */
static int write_stmt(struct store *s, sqlite3_stmt *st)
{
	if (!sqlite3_get_autocommit(s->db))
		return run(st);
	if (s->fail_left) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return wrote(s, 0);
	}
	return wrote(s, run(st));
}

int store_begin(struct store *s) { return run(s->begin); }
int store_commit(struct store *s)
{
	/* An injected failure must not leave the transaction committed. */
	if (s->fail_left) {
		(void)run(s->rollback);
		return wrote(s, 0);
	}
	return wrote(s, run(s->commit));
}
void store_rollback(struct store *s) { (void)run(s->rollback); }

int store_port_put(struct store *s, const struct store_port *p)
{
	sqlite3_stmt *st = s->port_put;

	sqlite3_bind_int64(st, 1, p->index);
	sqlite3_bind_int64(st, 2, p->controller);
	sqlite3_bind_int64(st, 3, p->pfnum);
	sqlite3_bind_int64(st, 4, p->sfnum);
	sqlite3_bind_blob(st, 5, p->hw_addr, sizeof(p->hw_addr), SQLITE_STATIC);
	sqlite3_bind_int(st, 6, p->state);
	sqlite3_bind_int(st, 7, p->unbound);
	sqlite3_bind_int(st, 8, p->enable_eth);
	sqlite3_bind_int(st, 9, p->enable_zc);
	sqlite3_bind_int(st, 10, p->applied_eth);
	sqlite3_bind_int(st, 11, p->applied_zc);
	sqlite3_bind_int64(st, 12, p->aux_id);
	sqlite3_bind_text(st, 13, p->rep_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, p->sf_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, p->netns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, p->zc_owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 17, p->zc_secret, -1, SQLITE_STATIC);
	return write_stmt(s, st);
}

int store_port_del(struct store *s, uint32_t index)
{
	sqlite3_bind_int64(s->port_del, 1, index);
	return write_stmt(s, s->port_del);
}

int store_port_del_all(struct store *s) { return write_stmt(s, s->port_del_all); }

static void copy_text(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src ? (const char *)src : "");
}

int store_port_foreach(struct store *s,
		       int (*cb)(const struct store_port *p, void *arg), void *arg)
{
	sqlite3_stmt *st = s->port_all;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_port p = { 0 };
		const void *mac = sqlite3_column_blob(st, 4);

		p.index = (uint32_t)sqlite3_column_int64(st, 0);
		p.controller = (uint32_t)sqlite3_column_int64(st, 1);
		p.pfnum = (uint16_t)sqlite3_column_int64(st, 2);
		p.sfnum = (uint32_t)sqlite3_column_int64(st, 3);
		if (mac && sqlite3_column_bytes(st, 4) == sizeof(p.hw_addr))
			memcpy(p.hw_addr, mac, sizeof(p.hw_addr));
		p.state = (uint8_t)sqlite3_column_int(st, 5);
		p.unbound = (uint8_t)sqlite3_column_int(st, 6);
		p.enable_eth = (uint8_t)sqlite3_column_int(st, 7);
		p.enable_zc = (uint8_t)sqlite3_column_int(st, 8);
		p.applied_eth = (uint8_t)sqlite3_column_int(st, 9);
		p.applied_zc = (uint8_t)sqlite3_column_int(st, 10);
		p.aux_id = (uint32_t)sqlite3_column_int64(st, 11);
		copy_text(p.rep_name, sizeof(p.rep_name), sqlite3_column_text(st, 12));
		copy_text(p.sf_name, sizeof(p.sf_name), sqlite3_column_text(st, 13));
		copy_text(p.netns, sizeof(p.netns), sqlite3_column_text(st, 14));
		copy_text(p.zc_owner, sizeof(p.zc_owner), sqlite3_column_text(st, 15));
		copy_text(p.zc_secret, sizeof(p.zc_secret), sqlite3_column_text(st, 16));
		ret = cb(&p, arg);
		if (ret)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = -1;
	sqlite3_reset(st);
	return ret;
}

int store_kv_set(struct store *s, const char *key, int64_t value)
{
	sqlite3_bind_text(s->kv_set, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->kv_set, 2, value);
	return write_stmt(s, s->kv_set);
}

int store_kv_get(struct store *s, const char *key, int64_t *value)
{
	int rc;

	sqlite3_bind_text(s->kv_get, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->kv_get);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int64(s->kv_get, 0);
	sqlite3_reset(s->kv_get);
	sqlite3_clear_bindings(s->kv_get);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

const char *store_errmsg(struct store *s)
{
	return s->injected ? "injected write failure (SET_FAULT FAIL_STORE)" : sqlite3_errmsg(s->db);
}

void store_fail_next(struct store *s, unsigned n) { s->fail_left = n; }

const char *store_last_failure(const struct store *s)
{
	return s->last_failure[0] ? s->last_failure : "none";
}

uint64_t store_failures(const struct store *s) { return s->failures; }

int store_rule_put(struct store *s, const uint32_t id[4], const void *spec, size_t len)
{
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int64(s->rule_put, i + 1, id[i]);
	sqlite3_bind_blob(s->rule_put, 5, spec, (int)len, SQLITE_STATIC);
	return write_stmt(s, s->rule_put);
}

int store_rule_del(struct store *s, const uint32_t id[4])
{
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int64(s->rule_del, i + 1, id[i]);
	return write_stmt(s, s->rule_del);
}

int store_rule_del_dev(struct store *s, uint32_t dev)
{
	sqlite3_bind_int64(s->rule_del_dev, 1, dev);
	return write_stmt(s, s->rule_del_dev);
}

int store_rule_foreach(struct store *s, int (*cb)(const void *spec, size_t len, void *arg),
		       void *arg)
{
	sqlite3_stmt *st = s->rule_all;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = cb(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -1;
	sqlite3_reset(st);
	return ret;
}

int store_steer_put(struct store *s, uint32_t fn, uint32_t loc, const void *spec, size_t len)
{
	sqlite3_bind_int64(s->steer_put, 1, fn);
	sqlite3_bind_int64(s->steer_put, 2, loc);
	sqlite3_bind_blob(s->steer_put, 3, spec, (int)len, SQLITE_STATIC);
	return write_stmt(s, s->steer_put);
}

int store_steer_del(struct store *s, uint32_t fn, uint32_t loc)
{
	sqlite3_bind_int64(s->steer_del, 1, fn);
	sqlite3_bind_int64(s->steer_del, 2, loc);
	return write_stmt(s, s->steer_del);
}

int store_steer_del_fn(struct store *s, uint32_t fn)
{
	sqlite3_bind_int64(s->steer_del_fn, 1, fn);
	return write_stmt(s, s->steer_del_fn);
}

int store_steer_foreach(struct store *s,
			int (*cb)(uint32_t fn, uint32_t loc, const void *spec, size_t len,
				  void *arg),
			void *arg)
{
	sqlite3_stmt *st = s->steer_all;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = cb((uint32_t)sqlite3_column_int64(st, 0), (uint32_t)sqlite3_column_int64(st, 1),
			 sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -1;
	sqlite3_reset(st);
	return ret;
}

int store_rate_put(struct store *s, const struct store_rate *r)
{
	sqlite3_stmt *st = s->rate_put;

	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->node);
	/* Rates above INT64_MAX wrap into the sign bit and come back intact. */
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->tx_share);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)r->tx_max);
	sqlite3_bind_int64(st, 5, r->tx_priority);
	sqlite3_bind_int64(st, 6, r->tx_weight);
	sqlite3_bind_text(st, 7, r->parent, -1, SQLITE_STATIC);
	return write_stmt(s, st);
}

int store_rate_del(struct store *s, const char *name)
{
	sqlite3_bind_text(s->rate_del, 1, name, -1, SQLITE_STATIC);
	return write_stmt(s, s->rate_del);
}

int store_rate_foreach(struct store *s, int (*cb)(const struct store_rate *r, void *arg),
		       void *arg)
{
	sqlite3_stmt *st = s->rate_all;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_rate r = { .node = (uint8_t)sqlite3_column_int(st, 1) };

		copy_text(r.name, sizeof(r.name), sqlite3_column_text(st, 0));
		r.tx_share = (uint64_t)sqlite3_column_int64(st, 2);
		r.tx_max = (uint64_t)sqlite3_column_int64(st, 3);
		r.tx_priority = (uint32_t)sqlite3_column_int64(st, 4);
		r.tx_weight = (uint32_t)sqlite3_column_int64(st, 5);
		copy_text(r.parent, sizeof(r.parent), sqlite3_column_text(st, 6));
		ret = cb(&r, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -1;
	sqlite3_reset(st);
	return ret;
}

int store_tun_put(struct store *s, int kind, const char *key, const void *spec, size_t len)
{
	sqlite3_bind_int(s->tun_put, 1, kind);
	sqlite3_bind_text(s->tun_put, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s->tun_put, 3, spec, (int)len, SQLITE_STATIC);
	return run(s->tun_put);
}

int store_tun_del(struct store *s, int kind, const char *key)
{
	sqlite3_bind_int(s->tun_del, 1, kind);
	sqlite3_bind_text(s->tun_del, 2, key, -1, SQLITE_STATIC);
	return run(s->tun_del);
}

int store_tun_foreach(struct store *s, int kind,
		      int (*cb)(const char *key, const void *spec, size_t len, void *arg), void *arg)
{
	sqlite3_stmt *st = s->tun_all;
	int rc, ret = 0;

	sqlite3_bind_int(st, 1, kind);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_blob(st, 1),
			 (size_t)sqlite3_column_bytes(st, 1), arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -1;
	sqlite3_reset(st);
	return ret;
}
