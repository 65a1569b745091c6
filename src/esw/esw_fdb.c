/*
 * esw_fdb.c - legacy mode's MAC learning table.
 *
 * The FDB is a lock-free hash (cds_lfht) written by the datapath when it
 * learns a new source MAC or sees one move, and aged by the control thread.
 * A known MAC on the same port costs one lookup and, at most once a second,
 * one store of its last-seen time, so steady traffic does not bounce the
 * entry's cache line between workers.
 */
#define _LGPL_SOURCE
#include "esw.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

struct fdb_entry {
	struct cds_lfht_node node;
	uint8_t mac[6];
	uint32_t vport;
	_Atomic uint64_t seen_ms;
	struct rcu_head rcu;
};

struct esw_fdb {
	struct cds_lfht *ht;
	uint32_t aging_ms;
};

static uint64_t mac_hash(const uint8_t mac[6])
{
	uint64_t v = 0;

	memcpy(&v, mac, 6);
	v *= 0x9e3779b97f4a7c15ull;
	return v ^ (v >> 29);
}

static int match_mac(struct cds_lfht_node *n, const void *key)
{
	return !memcmp(caa_container_of(n, struct fdb_entry, node)->mac, key, 6);
}

struct esw_fdb *esw_fdb_create(uint32_t aging_ms)
{
	struct esw_fdb *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->aging_ms = aging_ms;
	f->ht = cds_lfht_new(256, 256, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (!f->ht) {
		free(f);
		return NULL;
	}
	return f;
}

void esw_fdb_destroy(struct esw_fdb *f)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	if (!f)
		return;
	rcu_thread_online();
	cds_lfht_first(f->ht, &it);
	while ((n = cds_lfht_iter_get_node(&it))) {
		cds_lfht_next(f->ht, &it);
		cds_lfht_del(f->ht, n);
		free(caa_container_of(n, struct fdb_entry, node));
	}
	rcu_thread_offline();
	cds_lfht_destroy(f->ht, NULL);
	free(f);
}

static struct fdb_entry *lookup(struct esw_fdb *f, const uint8_t mac[6])
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(f->ht, mac_hash(mac), match_mac, mac, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct fdb_entry, node) : NULL;
}

static void free_entry(struct rcu_head *h)
{
	free(caa_container_of(h, struct fdb_entry, rcu));
}

void esw_fdb_learn(struct esw_fdb *f, const uint8_t mac[6], uint32_t vport, uint64_t now_ms)
{
	struct fdb_entry *e = lookup(f, mac), *n;
	struct cds_lfht_node *old;

	if (mac[0] & 1)
		return;         /* never learn a group address */
	if (e && e->vport == vport) {
		if (now_ms - atomic_load_explicit(&e->seen_ms, memory_order_relaxed) >= 1000)
			atomic_store_explicit(&e->seen_ms, now_ms, memory_order_relaxed);
		return;
	}
	n = malloc(sizeof(*n));
	if (!n)
		return;         /* not learned: the frame is flooded, nothing lost */
	memcpy(n->mac, mac, 6);
	n->vport = vport;
	atomic_init(&n->seen_ms, now_ms);
	old = cds_lfht_add_replace(f->ht, mac_hash(mac), match_mac, mac, &n->node);
	if (old)
		call_rcu(&caa_container_of(old, struct fdb_entry, node)->rcu, free_entry);
}

uint32_t esw_fdb_lookup(struct esw_fdb *f, const uint8_t mac[6])
{
	struct fdb_entry *e = lookup(f, mac);

	return e ? e->vport : UINT32_MAX;
}

unsigned esw_fdb_age(struct esw_fdb *f, uint64_t now_ms, uint32_t flush_vport)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	unsigned removed = 0;

	rcu_thread_online();
	cds_lfht_for_each(f->ht, &it, n) {
		struct fdb_entry *e = caa_container_of(n, struct fdb_entry, node);
		uint64_t seen = atomic_load_explicit(&e->seen_ms, memory_order_relaxed);

		if ((now_ms > seen && now_ms - seen > f->aging_ms) || e->vport == flush_vport) {
			if (!cds_lfht_del(f->ht, n)) {
				call_rcu(&e->rcu, free_entry);
				removed++;
			}
		}
	}
	rcu_thread_offline();
	return removed;
}

void esw_fdb_foreach(struct esw_fdb *f,
		     void (*fn)(const uint8_t mac[6], uint32_t vport, uint64_t age_ms, void *arg),
		     void *arg, uint64_t now_ms)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	rcu_thread_online();
	cds_lfht_for_each(f->ht, &it, n) {
		struct fdb_entry *e = caa_container_of(n, struct fdb_entry, node);
		uint64_t seen = atomic_load_explicit(&e->seen_ms, memory_order_relaxed);

		fn(e->mac, e->vport, now_ms > seen ? now_ms - seen : 0, arg);
	}
	rcu_thread_offline();
}
