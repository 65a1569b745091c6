/*
 * esw_flow.c - flower rules in a tuple space with an exact-match cache.
 *
 * One hash table (liburcu's lock-free cds_lfht) per distinct mask, keyed by
 * the masked key, so a lookup costs one hash probe per mask whatever the
 * number of rules.  The masks are kept in a snapshot array sorted by the
 * lowest prio they hold: once a match is found, tables whose best prio
 * cannot beat it are skipped.  In front of that, every worker keeps a
 * direct-mapped cache of exact keys -> result (including "no rule"), tagged
 * with the rule set's generation, which every change bumps.
 *
 * The control thread must be registered with urcu-qsbr; the public calls put
 * it online only for their own duration, so it never holds up a grace period
 * while it sleeps.
 */
#define _LGPL_SOURCE
#include "esw.h"

#include <errno.h>
#include <search.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

struct mask_tbl {
	struct esw_key mask;
	struct cds_lfht *ht;
	uint32_t nrules;
	uint32_t min_prio;      /* lowest prio in the table */
	uint32_t min_count;     /* rules at min_prio */
	struct esw_rule *list;  /* control side: every rule in the table */
};

struct esw_rule {
	struct cds_lfht_node node;
	struct esw_rule_spec spec;
	struct mask_tbl *tbl;
	struct esw_rule *next, *prev;   /* in tbl->list */
	unsigned nworkers;
	struct esw_rule_ctr ctr[];
};

struct masks {
	uint32_t n;
	struct mask_tbl *t[];
};

struct esw_cls {
	struct masks *masks;    /* RCU-published snapshot */
	_Atomic uint32_t gen;
	unsigned nworkers;
	uint32_t nrules;
	uint32_t nmasks;
	struct mask_tbl **all;  /* control side, capacity ESW_MAX_MASKS */
	void *index;            /* tsearch by identity */
};

#define EMC_SIZE 4096

/* Two cache lines per entry (a 112-byte key, the result and its tag): a hit
 * touches those two and nothing else. */
struct emc_entry {
	struct esw_key key;
	const struct esw_rule *rule;
	uint32_t gen;
	uint32_t valid;
} __attribute__((aligned(64)));

struct esw_emc {
	uint64_t hits, misses;
	struct emc_entry e[EMC_SIZE];
};


static inline void key_and(struct esw_key *out, const struct esw_key *k, const struct esw_key *m)
{
	const uint64_t *a = (const uint64_t *)k, *b = (const uint64_t *)m;
	uint64_t *o = (uint64_t *)out;

	for (unsigned i = 0; i < ESW_KEY_WORDS; i++)
		o[i] = a[i] & b[i];
}

/* Word-wise and without early exit: the keys that reach here nearly always
 * are equal, so a branch per word would only cost. */
static inline bool key_eq(const struct esw_key *x, const struct esw_key *y)
{
	const uint64_t *a = (const uint64_t *)x, *b = (const uint64_t *)y;
	uint64_t d = 0;

	for (unsigned i = 0; i < ESW_KEY_WORDS; i++)
		d |= a[i] ^ b[i];
	return !d;
}

static int match_rule(struct cds_lfht_node *node, const void *key)
{
	const struct esw_rule *r = caa_container_of(node, struct esw_rule, node);

	return key_eq(&r->spec.key, key);
}

struct esw_cls *esw_cls_create(unsigned nworkers)
{
	struct esw_cls *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nworkers = nworkers ? nworkers : 1;
	c->all = calloc(ESW_MAX_MASKS, sizeof(*c->all));
	c->masks = calloc(1, sizeof(struct masks));
	if (!c->all || !c->masks) {
		free(c->all);
		free(c->masks);
		free(c);
		return NULL;
	}
	return c;
}

static void nofree(void *p) { (void)p; }

void esw_cls_destroy(struct esw_cls *c)
{
	if (!c)
		return;
	tdestroy(c->index, nofree);
	/* cds_lfht_destroy wants empty tables. */
	rcu_thread_online();
	for (uint32_t i = 0; i < c->nmasks; i++)
		for (struct esw_rule *r = c->all[i]->list; r; r = r->next)
			cds_lfht_del(c->all[i]->ht, &r->node);
	rcu_thread_offline();
	synchronize_rcu();
	for (uint32_t i = 0; i < c->nmasks; i++) {
		struct mask_tbl *t = c->all[i];

		while (t->list) {
			struct esw_rule *r = t->list;

			t->list = r->next;
			free(r);
		}
		cds_lfht_destroy(t->ht, NULL);
		free(t);
	}
	free(c->masks);
	free(c->all);
	free(c);
}

static int ident_cmp(const void *a, const void *b)
{
	const struct esw_rule_spec *x = &((const struct esw_rule *)a)->spec;
	const struct esw_rule_spec *y = &((const struct esw_rule *)b)->spec;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	if (x->handle != y->handle)
		return x->handle < y->handle ? -1 : 1;
	return 0;
}

static int tbl_cmp(const void *a, const void *b)
{
	const struct mask_tbl *x = *(struct mask_tbl *const *)a, *y = *(struct mask_tbl *const *)b;

	return x->min_prio < y->min_prio ? -1 : x->min_prio > y->min_prio;
}

/* Publishes a new sorted snapshot of the non-empty tables; returns the old
 * one, to be freed after a grace period. */
static struct masks *publish_masks(struct esw_cls *c)
{
	struct masks *m = malloc(sizeof(*m) + sizeof(m->t[0]) * (c->nmasks ? c->nmasks : 1));
	struct masks *old = c->masks;

	if (!m)
		abort();    /* a few KiB on the control path; nothing sane to do */
	m->n = 0;
	for (uint32_t i = 0; i < c->nmasks; i++)
		if (c->all[i]->nrules)
			m->t[m->n++] = c->all[i];
	qsort(m->t, m->n, sizeof(m->t[0]), tbl_cmp);
	rcu_assign_pointer(c->masks, m);
	return old;
}

static void recompute_min(struct mask_tbl *t)
{
	t->min_prio = UINT32_MAX;
	t->min_count = 0;
	for (struct esw_rule *r = t->list; r; r = r->next) {
		if (r->spec.prio < t->min_prio) {
			t->min_prio = r->spec.prio;
			t->min_count = 0;
		}
		if (r->spec.prio == t->min_prio)
			t->min_count++;
	}
}

int esw_cls_insert(struct esw_cls *c, const struct esw_rule_spec *s)
{
	struct esw_rule *r = calloc(1, sizeof(*r) + sizeof(r->ctr[0]) * c->nworkers);
	struct mask_tbl *t = NULL;
	struct masks *old = NULL;
	void **slot;
	int ret = 0;

	if (!r)
		return -ENOMEM;
	r->spec = *s;
	r->nworkers = c->nworkers;
	key_and(&r->spec.key, &s->key, &s->mask);
	/* in_port and chain are always exact: a filter belongs to one port and
	 * one chain. */
	r->spec.key.in_port = s->dev;
	r->spec.key.chain = s->chain;
	r->spec.mask.in_port = UINT32_MAX;
	r->spec.mask.chain = UINT32_MAX;
	rcu_thread_online();
	slot = tsearch(r, &c->index, ident_cmp);
	if (!slot) {
		ret = -ENOMEM;
		goto out;
	}
	if (*slot != r) {
		ret = -EEXIST;
		goto out;
	}
	for (uint32_t i = 0; i < c->nmasks; i++)
		if (!memcmp(&c->all[i]->mask, &r->spec.mask, sizeof(r->spec.mask))) {
			t = c->all[i];
			break;
		}
	if (!t) {
		if (c->nmasks == ESW_MAX_MASKS) {
			tdelete(r, &c->index, ident_cmp);
			ret = -ENOSPC;
			goto out;
		}
		t = calloc(1, sizeof(*t));
		if (t)
			t->ht = cds_lfht_new(64, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
		if (!t || !t->ht) {
			free(t);
			tdelete(r, &c->index, ident_cmp);
			ret = -ENOMEM;
			goto out;
		}
		t->mask = r->spec.mask;
		t->min_prio = UINT32_MAX;
		c->all[c->nmasks++] = t;
	}
	r->tbl = t;
	r->next = t->list;
	if (t->list)
		t->list->prev = r;
	t->list = r;
	cds_lfht_add(t->ht, esw_key_hash(&r->spec.key), &r->node);
	t->nrules++;
	c->nrules++;
	if (r->spec.prio < t->min_prio) {
		t->min_prio = r->spec.prio;
		t->min_count = 1;
		old = publish_masks(c);
	} else if (r->spec.prio == t->min_prio) {
		t->min_count++;
	}
	atomic_fetch_add_explicit(&c->gen, 1, memory_order_release);
out:
	rcu_thread_offline();
	if (old) {
		synchronize_rcu();
		free(old);
	}
	if (ret)
		free(r);
	return ret;
}

static struct esw_rule *find(struct esw_cls *c, uint32_t dev, uint32_t chain, uint32_t prio,
			     uint32_t handle)
{
	struct esw_rule probe = { .spec = { .dev = dev, .chain = chain, .prio = prio,
					    .handle = handle } };
	void **slot = tfind(&probe, &c->index, ident_cmp);

	return slot ? *slot : NULL;
}

const struct esw_rule *esw_cls_find(struct esw_cls *c, uint32_t dev, uint32_t chain,
				    uint32_t prio, uint32_t handle)
{
	return find(c, dev, chain, prio, handle);
}

int esw_cls_remove(struct esw_cls *c, uint32_t dev, uint32_t chain, uint32_t prio,
		   uint32_t handle)
{
	struct esw_rule *r = find(c, dev, chain, prio, handle);
	struct mask_tbl *t;
	struct masks *old = NULL;
	bool drop_tbl = false;

	if (!r)
		return -ENOENT;
	t = r->tbl;
	rcu_thread_online();
	tdelete(r, &c->index, ident_cmp);
	cds_lfht_del(t->ht, &r->node);
	if (r->prev)
		r->prev->next = r->next;
	else
		t->list = r->next;
	if (r->next)
		r->next->prev = r->prev;
	t->nrules--;
	c->nrules--;
	if (!t->nrules) {
		drop_tbl = true;
		for (uint32_t i = 0; i < c->nmasks; i++)
			if (c->all[i] == t) {
				c->all[i] = c->all[--c->nmasks];
				break;
			}
		old = publish_masks(c);
	} else if (r->spec.prio == t->min_prio && !--t->min_count) {
		recompute_min(t);
		old = publish_masks(c);
	}
	atomic_fetch_add_explicit(&c->gen, 1, memory_order_release);
	rcu_thread_offline();
	/* Readers may still hold r, t or the old snapshot until every worker
	 * has passed a quiescent state. */
	synchronize_rcu();
	free(r);
	free(old);
	if (drop_tbl) {
		cds_lfht_destroy(t->ht, NULL);
		free(t);
	}
	return 0;
}

static void (*walk_fn)(const struct esw_rule *r, void *arg);
static void *walk_arg;

static void walk(const void *node, VISIT v, int depth)
{
	(void)depth;
	if (v == postorder || v == leaf)
		walk_fn(*(struct esw_rule *const *)node, walk_arg);
}

void esw_cls_foreach(struct esw_cls *c, void (*fn)(const struct esw_rule *r, void *arg),
		     void *arg)
{
	/* twalk has no context argument; the control thread is single. */
	walk_fn = fn;
	walk_arg = arg;
	twalk(c->index, walk);
}

uint32_t esw_cls_count(const struct esw_cls *c) { return c->nrules; }
uint32_t esw_cls_masks(const struct esw_cls *c) { return c->nmasks; }
const struct esw_rule_spec *esw_rule_spec(const struct esw_rule *r) { return &r->spec; }

void esw_rule_counters(const struct esw_rule *r, uint64_t *packets, uint64_t *bytes,
		       uint64_t *lastuse_ms)
{
	*packets = *bytes = *lastuse_ms = 0;
	for (unsigned i = 0; i < r->nworkers; i++) {
		*packets += r->ctr[i].packets;
		*bytes += r->ctr[i].bytes;
		if (r->ctr[i].lastuse_ms > *lastuse_ms)
			*lastuse_ms = r->ctr[i].lastuse_ms;
	}
}

struct esw_rule_ctr *esw_rule_ctr(const struct esw_rule *r, unsigned worker)
{
	return (struct esw_rule_ctr *)&r->ctr[worker < r->nworkers ? worker : 0];
}

static const struct esw_rule *tuple_lookup(struct esw_cls *c, const struct esw_key *k)
{
	struct masks *m = rcu_dereference(c->masks);
	const struct esw_rule *best = NULL;

	for (uint32_t i = 0; i < m->n; i++) {
		struct mask_tbl *t = m->t[i];
		struct cds_lfht_iter it;
		struct cds_lfht_node *n;
		struct esw_key mk;

		if (best && best->spec.prio <= t->min_prio)
			break;
		key_and(&mk, k, &t->mask);
		cds_lfht_lookup(t->ht, esw_key_hash(&mk), match_rule, &mk, &it);
		while ((n = cds_lfht_iter_get_node(&it))) {
			const struct esw_rule *r = caa_container_of(n, struct esw_rule, node);

			if (!best || r->spec.prio < best->spec.prio)
				best = r;
			cds_lfht_next_duplicate(t->ht, match_rule, &mk, &it);
		}
	}
	return best;
}

static inline bool emc_holds(const struct emc_entry *e, const struct esw_key *k, uint32_t gen)
{
	return e->valid && e->gen == gen && key_eq(&e->key, k);
}

void esw_emc_prefetch(const struct esw_emc *emc, uint64_t h)
{
	__builtin_prefetch(&emc->e[h & (EMC_SIZE - 1)]);
	__builtin_prefetch(&emc->e[(h >> 32) & (EMC_SIZE - 1)]);
}

const struct esw_rule *esw_cls_lookup(struct esw_cls *c, const struct esw_key *k,
				      struct esw_emc *emc)
{
	return emc ? esw_cls_lookup_hashed(c, k, esw_key_hash(k), emc) : tuple_lookup(c, k);
}

const struct esw_rule *esw_cls_lookup_hashed(struct esw_cls *c, const struct esw_key *k,
					     uint64_t h, struct esw_emc *emc)
{
	uint32_t gen = atomic_load_explicit(&c->gen, memory_order_acquire);
	struct emc_entry *a, *b, *e;
	const struct esw_rule *r;

	/* Two ways, as OVS's EMC has: a direct-mapped cache of 4096 loses a
	 * fifth of 1000 flows to collisions, two candidate slots almost none. */
	a = &emc->e[h & (EMC_SIZE - 1)];
	b = &emc->e[(h >> 32) & (EMC_SIZE - 1)];
	if (emc_holds(a, k, gen) || emc_holds(b, k, gen)) {
		emc->hits++;
		return emc_holds(a, k, gen) ? a->rule : b->rule;
	}
	emc->misses++;
	r = tuple_lookup(c, k);
	/* Fill a free or stale way; else evict one chosen by a hash bit. */
	if (!a->valid || a->gen != gen)
		e = a;
	else if (!b->valid || b->gen != gen)
		e = b;
	else
		e = h >> 63 ? b : a;
	e->key = *k;
	e->rule = r;
	e->gen = gen;
	e->valid = 1;
	return r;
}

struct esw_emc *esw_emc_create(void)
{
	struct esw_emc *e = aligned_alloc(64, sizeof(struct esw_emc));

	if (e)
		memset(e, 0, sizeof(*e));
	return e;
}

void esw_emc_destroy(struct esw_emc *e)
{
	free(e);
}

void esw_emc_stats(const struct esw_emc *e, uint64_t *hits, uint64_t *misses)
{
	*hits = e->hits;
	*misses = e->misses;
}
