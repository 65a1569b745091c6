/*
 * esw_flow.c - flower rules in a tuple space with an exact-match cache.
 *
 * One hash table (liburcu's lock-free cds_lfht) per distinct mask, keyed by
 * the masked key, so a lookup costs one hash probe per mask whatever the
 * number of rules.  The masks are kept in a snapshot array sorted by the
 * best rank they hold: once a match is found, tables whose best rank cannot
 * beat it are skipped.  In front of that, every worker keeps a
 * direct-mapped cache of exact keys -> result (including "no rule"), tagged
 * with the rule set's generation, which every change bumps.
 *
 * Rank: tc's order is prio first and, inside one prio (a flower instance),
 * the first *mask* that hits in the order the masks were created
 * (fl_classify walks head->masks, appended as they appear and dropped with
 * their last filter).  A rule's rank is (prio << 32 | seq), where seq is
 * handed out when the first rule of its (port, chain, prio, mask) group
 * arrives and shared by the group's later rules; lower wins.  Rules of one
 * group that both match (only overlapping port ranges can) fall back to the
 * order they were added in, as the kernel's linear range search does.
 *
 * Port ranges (dst_port 4000-4010) are expanded into the minimal set of
 * prefixes (value/mask pairs: 4000/0xfff8, 4008/0xfffe, 4010/0xffff), each an
 * entry in the tuple space of its mask, all pointing to the one rule and
 * its counters.  Chosen over the kernel's linear search of a range mask
 * because lookup stays one probe per mask and the EMC in front works as
 * for any rule: a 16-bit range is at most 30 prefixes, so at most 16
 * distinct port masks per direction exist whatever the number of ranged
 * rules, and a rule with both ranges costs at most 30 x 30 entries (memory
 * at insert time, never lookups).
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

#define TBL_MIN_BUCKETS 64

struct mask_tbl {
	struct esw_key mask;
	struct cds_lfht *ht;
	unsigned long buckets;  /* what tables_grow last asked for */
	uint32_t nent;
	uint64_t min_rank;      /* lowest rank in the table */
	uint32_t min_count;     /* entries at min_rank */
	struct esw_entry *list; /* control side: every entry in the table */
};

/* One (key, mask) of a rule in the tuple space: a rule without ranges has
 * one, a ranged rule one per prefix combination. */
struct esw_entry {
	struct cds_lfht_node node;
	struct esw_key key;     /* masked by tbl->mask */
	struct mask_tbl *tbl;
	const struct esw_rule *rule;
	struct esw_entry *next, *prev;  /* in tbl->list */
};

/* Rules of one flower mask in one (port, chain, prio): they share a seq. */
struct group {
	uint32_t dev, chain, prio, ranges;
	struct esw_key mask;
	uint32_t seq;
	uint32_t refs;
};

struct esw_rule {
	struct esw_rule_spec spec;
	uint64_t rank;
	uint64_t order;         /* insertion order, for ties within a group */
	struct group *grp;
	uint32_t nent;
	struct esw_entry *ent;
	struct esw_act_ctr *actr;       /* per worker, nact each, line-aligned blocks */
	struct esw_police *pol;         /* nact, shared by workers (police buckets) */
	unsigned actr_stride;           /* actions' counters per worker block */
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
	uint32_t next_seq;
	uint64_t next_order;
	struct mask_tbl **all;  /* control side, capacity ESW_MAX_MASKS */
	void *index;            /* tsearch by identity */
	void *groups;           /* tsearch of struct group */
};

#define EMC_SIZE 4096
#define MAX_PREFIXES 30         /* of a 16-bit range */

/* Two cache lines per entry (a 112-byte key, the result and its tag): a hit
 * touches those two and nothing else. */
/* Two cache lines: the tag, generation and rule come first so a way that
 * holds another flow is refused on its first line, without comparing the
 * 14-word key. */
struct emc_entry {
	uint32_t tag;           /* the hash's bits above the two indexes */
	uint32_t gen;           /* the classifier's generation + 1; 0: empty */
	const struct esw_rule *rule;
	struct esw_key key;
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct emc_entry) == 128, "an EMC entry is two cache lines");

struct esw_emc {
	uint64_t hits, misses;
	struct emc_entry e[EMC_SIZE];
};


static inline void key_and(struct esw_key *out, const struct esw_key *k, const struct esw_key *m)
{
	const uint64_t *a = (const uint64_t *)k, *b = (const uint64_t *)m;
	uint64_t *o = (uint64_t *)out;

#pragma GCC unroll 16
	for (unsigned i = 0; i < ESW_KEY_WORDS; i++)
		o[i] = a[i] & b[i];
}

/* Word-wise and without early exit: the keys that reach here nearly always
 * are equal, so a branch per word would only cost. */
static inline bool key_eq(const struct esw_key *x, const struct esw_key *y)
{
	const uint64_t *a = (const uint64_t *)x, *b = (const uint64_t *)y;
	uint64_t d = 0;

#pragma GCC unroll 16
	for (unsigned i = 0; i < ESW_KEY_WORDS; i++)
		d |= a[i] ^ b[i];
	return !d;
}

static int match_entry(struct cds_lfht_node *node, const void *key)
{
	const struct esw_entry *e = caa_container_of(node, struct esw_entry, node);

	return key_eq(&e->key, key);
}

unsigned esw_range_prefixes(uint16_t min, uint16_t max, uint16_t *val, uint16_t *mask)
{
	uint32_t lo = min, hi = max;
	unsigned n = 0;

	while (lo <= hi) {
		uint32_t size = lo ? lo & -lo : 0x10000;  /* largest block aligned at lo */

		while (lo + size - 1 > hi)
			size >>= 1;
		val[n] = (uint16_t)lo;
		mask[n] = (uint16_t)~(size - 1);
		n++;
		lo += size;
	}
	return n;
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

static void free_rule(struct esw_rule *r)
{
	if (r) {
		free(r->ent);
		free(r->actr);
		free(r->pol);
	}
	free(r);
}

/* A rule with room for its counters and its actions' run-time state: each
 * worker's action counters in cache lines of their own, police buckets
 * shared (one atomic each, see esw_police_conform). */
static struct esw_rule *rule_new(const struct esw_cls *c, const struct esw_rule_spec *s)
{
	struct esw_rule *r = calloc(1, sizeof(*r) + sizeof(r->ctr[0]) * c->nworkers);
	unsigned nact = s->nact ? s->nact : 1;
	size_t actr_len;

	if (!r)
		return NULL;
	r->actr_stride = (nact * (unsigned)sizeof(struct esw_act_ctr) + 63) / 64 * 64 /
			 (unsigned)sizeof(struct esw_act_ctr);
	actr_len = (size_t)r->actr_stride * c->nworkers * sizeof(*r->actr);
	r->actr = aligned_alloc(64, actr_len);
	r->pol = aligned_alloc(64, (nact * sizeof(*r->pol) + 63) / 64 * 64);
	if (!r->actr || !r->pol) {
		free_rule(r);
		return NULL;
	}
	memset(r->actr, 0, actr_len);
	memset(r->pol, 0, nact * sizeof(*r->pol));
	for (unsigned i = 0; i < s->nact && i < ESW_MAX_ACTIONS; i++)
		if (s->act[i].type == ESW_ACT_POLICE)
			esw_police_init(&r->pol[i], &s->act[i].police);
	return r;
}

void esw_cls_destroy(struct esw_cls *c)
{
	if (!c)
		return;
	tdestroy(c->groups, free);
	/* cds_lfht_destroy wants empty tables. */
	rcu_thread_online();
	for (uint32_t i = 0; i < c->nmasks; i++)
		for (struct esw_entry *e = c->all[i]->list; e; e = e->next)
			cds_lfht_del(c->all[i]->ht, &e->node);
	rcu_thread_offline();
	synchronize_rcu();
	tdestroy(c->index, (void (*)(void *))free_rule);
	for (uint32_t i = 0; i < c->nmasks; i++) {
		cds_lfht_destroy(c->all[i]->ht, NULL);
		free(c->all[i]);
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

static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	if (x->ranges != y->ranges)
		return x->ranges < y->ranges ? -1 : 1;
	return memcmp(&x->mask, &y->mask, sizeof(x->mask));
}

static int tbl_cmp(const void *a, const void *b)
{
	const struct mask_tbl *x = *(struct mask_tbl *const *)a, *y = *(struct mask_tbl *const *)b;

	return x->min_rank < y->min_rank ? -1 : x->min_rank > y->min_rank;
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
		if (c->all[i]->nent)
			m->t[m->n++] = c->all[i];
	qsort(m->t, m->n, sizeof(m->t[0]), tbl_cmp);
	rcu_assign_pointer(c->masks, m);
	return old;
}

static void recompute_min(struct mask_tbl *t)
{
	t->min_rank = UINT64_MAX;
	t->min_count = 0;
	for (struct esw_entry *e = t->list; e; e = e->next) {
		if (e->rule->rank < t->min_rank) {
			t->min_rank = e->rule->rank;
			t->min_count = 0;
		}
		if (e->rule->rank == t->min_rank)
			t->min_count++;
	}
}

static struct mask_tbl *tbl_find(struct esw_cls *c, const struct esw_key *mask)
{
	for (uint32_t i = 0; i < c->nmasks; i++)
		if (key_eq(&c->all[i]->mask, mask))
			return c->all[i];
	return NULL;
}

/* Fills r's entries, and their masks into m (room for MAX_PREFIXES^2):
 * the rule's key and mask with each combination of the prefixes of its
 * port ranges.  Returns the count, or 0 when out of memory. */
static uint32_t make_entries(struct esw_rule *r, struct esw_key *m)
{
	const struct esw_rule_spec *s = &r->spec;
	uint16_t sv[MAX_PREFIXES], sm[MAX_PREFIXES], dv[MAX_PREFIXES], dm[MAX_PREFIXES];
	unsigned ns = 1, nd = 1;
	uint32_t n = 0;

	sv[0] = s->key.src_port;
	sm[0] = s->mask.src_port;
	dv[0] = s->key.dst_port;
	dm[0] = s->mask.dst_port;
	if (s->src_port_max)
		ns = esw_range_prefixes(s->src_port_min, s->src_port_max, sv, sm);
	if (s->dst_port_max)
		nd = esw_range_prefixes(s->dst_port_min, s->dst_port_max, dv, dm);
	r->ent = calloc(ns * nd, sizeof(*r->ent));
	if (!r->ent)
		return 0;
	for (unsigned i = 0; i < ns; i++)
		for (unsigned j = 0; j < nd; j++, n++) {
			struct esw_entry *e = &r->ent[n];

			m[n] = s->mask;
			m[n].src_port = sm[i];
			m[n].dst_port = dm[j];
			e->key = s->key;
			e->key.src_port = sv[i];
			e->key.dst_port = dv[j];
			e->rule = r;
		}
	return n;
}

/* The group of r (its spec final), created with the next seq when it is
 * the first of its mask in its prio.  NULL when out of memory. */
static struct group *group_get(struct esw_cls *c, const struct esw_rule *r)
{
	struct group *g = calloc(1, sizeof(*g));
	void **slot;

	if (!g)
		return NULL;
	g->dev = r->spec.dev;
	g->chain = r->spec.chain;
	g->prio = r->spec.prio;
	g->ranges = (r->spec.src_port_max ? 1 : 0) | (r->spec.dst_port_max ? 2 : 0);
	g->mask = r->spec.mask;
	slot = tsearch(g, &c->groups, group_cmp);
	if (!slot) {
		free(g);
		return NULL;
	}
	if (*slot != g) {
		free(g);
		g = *slot;
	} else {
		/* 2^32 mask creations before seqs wrap: ties then order by
		 * group, still deterministic. */
		g->seq = c->next_seq++;
	}
	g->refs++;
	return g;
}

static void group_put(struct esw_cls *c, struct group *g)
{
	if (--g->refs)
		return;
	tdelete(g, &c->groups, group_cmp);
	free(g);
}

static bool range_ok(uint16_t min, uint16_t max)
{
	return !max || min < max;
}

/* The rule's spec as the tuple space keeps it. */
static void spec_normalise(const struct esw_cls *c, struct esw_rule *r,
			   const struct esw_rule_spec *s)
{
	r->spec = *s;
	r->nworkers = c->nworkers;
	/* A ranged port is matched by the prefixes alone. */
	if (s->src_port_max)
		r->spec.key.src_port = r->spec.mask.src_port = 0;
	else
		r->spec.src_port_min = 0;
	if (s->dst_port_max)
		r->spec.key.dst_port = r->spec.mask.dst_port = 0;
	else
		r->spec.dst_port_min = 0;
	key_and(&r->spec.key, &r->spec.key, &r->spec.mask);
	/* in_port and chain are always exact: a filter belongs to one port and
	 * one chain. */
	r->spec.key.in_port = s->dev;
	r->spec.key.chain = s->chain;
	r->spec.mask.in_port = UINT32_MAX;
	r->spec.mask.chain = UINT32_MAX;
}

/* Links and hashes r's entries under their masks m[] (control thread,
 * online), making the tables that do not exist yet; the caller has checked
 * that they fit.  Returns whether the snapshot must be published again. */
static bool entries_in(struct esw_cls *c, struct esw_rule *r, const struct esw_key *m)
{
	bool republish = false;

	for (uint32_t i = 0; i < r->nent; i++) {
		struct esw_entry *e = &r->ent[i];
		struct mask_tbl *t = tbl_find(c, &m[i]);

		if (!t) {
			if (c->nmasks == ESW_MAX_MASKS)
				abort();        /* callers check that the tables fit */
			t = calloc(1, sizeof(*t));
			if (t)
				t->ht = cds_lfht_new(TBL_MIN_BUCKETS, TBL_MIN_BUCKETS, 0,
						     CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
			if (!t || !t->ht)
				abort();        /* a small allocation on the control path */
			t->mask = m[i];
			t->min_rank = UINT64_MAX;
			t->buckets = TBL_MIN_BUCKETS;
			c->all[c->nmasks++] = t;
		}
		e->tbl = t;
		e->next = t->list;
		if (t->list)
			t->list->prev = e;
		t->list = e;
		cds_lfht_add(t->ht, esw_key_hash(&e->key), &e->node);
		t->nent++;
		if (r->rank < t->min_rank) {
			t->min_rank = r->rank;
			t->min_count = 1;
			republish = true;
		} else if (r->rank == t->min_rank) {
			t->min_count++;
		}
	}
	return republish;
}

/* Grows r's tables to a bucket per entry, now (control thread, offline).
 * cds_lfht's own resize runs later from call_rcu's thread and only once
 * workers pass quiescent states; until then a table filled by a burst of
 * inserts has chains of hundreds, and a look-up walks them. */
static void tables_grow(struct esw_rule *r)
{
	for (uint32_t i = 0; i < r->nent; i++) {
		struct mask_tbl *t = r->ent[i].tbl;
		unsigned long n = t->buckets;

		if (t->nent <= n)
			continue;
		while (n < 2ul * t->nent)
			n <<= 1;
		cds_lfht_resize(t->ht, n);
		t->buckets = n;
	}
}

/* Unlinks and unhashes r's entries (control thread, online); tables left
 * empty go to dead[] for the caller to free after a grace period.  Returns
 * whether the snapshot must be published again. */
static bool entries_out(struct esw_cls *c, struct esw_rule *r, struct mask_tbl **dead,
			uint32_t *ndead)
{
	bool republish = false;

	for (uint32_t i = 0; i < r->nent; i++) {
		struct esw_entry *e = &r->ent[i];
		struct mask_tbl *t = e->tbl;

		cds_lfht_del(t->ht, &e->node);
		if (e->prev)
			e->prev->next = e->next;
		else
			t->list = e->next;
		if (e->next)
			e->next->prev = e->prev;
		if (!--t->nent) {
			dead[(*ndead)++] = t;
			for (uint32_t j = 0; j < c->nmasks; j++)
				if (c->all[j] == t) {
					c->all[j] = c->all[--c->nmasks];
					break;
				}
			republish = true;
		} else if (r->rank == t->min_rank && !--t->min_count) {
			recompute_min(t);
			republish = true;
		}
	}
	return republish;
}

/* A new rule for spec s, normalised, and the masks of its entries in *mp
 * (the caller frees them): 0, -EINVAL for a port range that is not one,
 * or -ENOMEM. */
static int rule_prepare(const struct esw_cls *c, const struct esw_rule_spec *s,
			struct esw_rule **rp, struct esw_key **mp)
{
	struct esw_rule *r;
	struct esw_key *m;

	if (!range_ok(s->src_port_min, s->src_port_max) ||
	    !range_ok(s->dst_port_min, s->dst_port_max))
		return -EINVAL;
	r = rule_new(c, s);
	if (!r)
		return -ENOMEM;
	spec_normalise(c, r, s);
	m = malloc(sizeof(*m) * MAX_PREFIXES * MAX_PREFIXES);
	if (!m || !(r->nent = make_entries(r, m))) {
		free(m);
		free_rule(r);
		return -ENOMEM;
	}
	*rp = r;
	*mp = m;
	return 0;
}

int esw_cls_insert(struct esw_cls *c, const struct esw_rule_spec *s)
{
	struct esw_rule *r;
	struct esw_key *m;
	struct masks *old = NULL;
	bool republish = false;
	uint32_t fresh = 0;
	void **slot;
	int ret = rule_prepare(c, s, &r, &m);

	if (ret)
		return ret;
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
	/* Every table the rule needs must fit before any entry is published:
	 * a rule is in the tuple space whole or not at all. */
	for (uint32_t i = 0; i < r->nent; i++) {
		bool seen = tbl_find(c, &m[i]) != NULL;

		for (uint32_t j = 0; j < i && !seen; j++)
			seen = key_eq(&m[j], &m[i]);
		fresh += !seen;
	}
	if (c->nmasks + fresh > ESW_MAX_MASKS) {
		tdelete(r, &c->index, ident_cmp);
		ret = -ENOSPC;
		goto out;
	}
	r->grp = group_get(c, r);
	if (!r->grp) {
		tdelete(r, &c->index, ident_cmp);
		ret = -ENOMEM;
		goto out;
	}
	r->rank = (uint64_t)r->spec.prio << 32 | r->grp->seq;
	r->order = c->next_order++;
	republish = entries_in(c, r, m);
	c->nrules++;
	if (republish)
		old = publish_masks(c);
	atomic_fetch_add_explicit(&c->gen, 1, memory_order_release);
out:
	rcu_thread_offline();
	free(m);
	if (!ret)
		tables_grow(r);
	if (old) {
		synchronize_rcu();
		free(old);
	}
	if (ret)
		free_rule(r);
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
	struct mask_tbl *dead[MAX_PREFIXES * MAX_PREFIXES];
	uint32_t ndead = 0;
	struct masks *old = NULL;
	bool republish = false;

	if (!r)
		return -ENOENT;
	rcu_thread_online();
	tdelete(r, &c->index, ident_cmp);
	republish = entries_out(c, r, dead, &ndead);
	group_put(c, r->grp);
	c->nrules--;
	if (republish)
		old = publish_masks(c);
	atomic_fetch_add_explicit(&c->gen, 1, memory_order_release);
	rcu_thread_offline();
	/* Readers may still hold r, its tables or the old snapshot until every
	 * worker has passed a quiescent state. */
	synchronize_rcu();
	free_rule(r);
	free(old);
	for (uint32_t i = 0; i < ndead; i++) {
		cds_lfht_destroy(dead[i]->ht, NULL);
		free(dead[i]);
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

/* Whether rule a comes before rule b in tc's order (see the top). */
static inline bool before(const struct esw_rule *a, const struct esw_rule *b)
{
	return a->rank < b->rank || (a->rank == b->rank && a->order < b->order);
}

/* The first matching rule in tc's order among those of a prio above after
 * (0: any). */
static const struct esw_rule *tuple_lookup(struct esw_cls *c, const struct esw_key *k,
					   uint32_t after)
{
	struct masks *m = rcu_dereference(c->masks);
	const struct esw_rule *best = NULL;

	for (uint32_t i = 0; i < m->n; i++) {
		struct mask_tbl *t = m->t[i];
		struct cds_lfht_iter it;
		struct cds_lfht_node *n;
		struct esw_key mk;

		/* Equal ranks go on: another prefix of the same ranged group
		 * may hold an earlier rule. */
		if (best && best->rank < t->min_rank)
			break;
		key_and(&mk, k, &t->mask);
		cds_lfht_lookup(t->ht, esw_key_hash(&mk), match_entry, &mk, &it);
		while ((n = cds_lfht_iter_get_node(&it))) {
			const struct esw_rule *r = caa_container_of(n, struct esw_entry, node)->rule;

			if (r->spec.prio > after && (!best || before(r, best)))
				best = r;
			cds_lfht_next_duplicate(t->ht, match_entry, &mk, &it);
		}
	}
	return best;
}

static inline uint32_t emc_tag(uint64_t h) { return (uint32_t)(h >> 24) | 1u; }

static inline bool emc_holds(const struct emc_entry *e, const struct esw_key *k, uint32_t tag,
			     uint32_t gen)
{
	return e->tag == tag && e->gen == gen && key_eq(&e->key, k);
}

void esw_emc_prefetch(const struct esw_emc *emc, uint64_t h)
{
	const char *a = (const char *)&emc->e[h & (EMC_SIZE - 1)];
	const char *b = (const char *)&emc->e[(h >> 32) & (EMC_SIZE - 1)];

	__builtin_prefetch(a);
	__builtin_prefetch(a + 64);
	__builtin_prefetch(b);
	__builtin_prefetch(b + 64);
}

const struct esw_rule *esw_cls_lookup(struct esw_cls *c, const struct esw_key *k,
				      struct esw_emc *emc)
{
	return emc ? esw_cls_lookup_hashed(c, k, esw_key_hash(k), emc) : tuple_lookup(c, k, 0);
}

const struct esw_rule *esw_cls_lookup_hashed(struct esw_cls *c, const struct esw_key *k,
					     uint64_t h, struct esw_emc *emc)
{
	/* gen + 1 so that a zeroed entry (gen 0) is never current. */
	uint32_t gen = atomic_load_explicit(&c->gen, memory_order_acquire) + 1;
	uint32_t tag = emc_tag(h);
	struct emc_entry *a, *b, *e;
	const struct esw_rule *r;

	/* Two ways, as OVS's EMC has: a direct-mapped cache of 4096 loses a
	 * fifth of 1000 flows to collisions, two candidate slots almost none. */
	a = &emc->e[h & (EMC_SIZE - 1)];
	b = &emc->e[(h >> 32) & (EMC_SIZE - 1)];
	if (emc_holds(a, k, tag, gen)) {
		emc->hits++;
		return a->rule;
	}
	if (emc_holds(b, k, tag, gen)) {
		emc->hits++;
		return b->rule;
	}
	emc->misses++;
	r = tuple_lookup(c, k, 0);
	/* Fill a stale way; else evict one chosen by a hash bit. */
	if (a->gen != gen)
		e = a;
	else if (b->gen != gen)
		e = b;
	else
		e = h >> 63 ? b : a;
	e->key = *k;
	e->rule = r;
	e->tag = tag;
	e->gen = gen;
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

/* ---- issue 13: continue, replace, actions' state ---- */

const struct esw_rule *esw_cls_lookup_after(struct esw_cls *c, const struct esw_key *k,
					    uint32_t prio)
{
	return tuple_lookup(c, k, prio);
}

int esw_cls_replace(struct esw_cls *c, const struct esw_rule_spec *s)
{
	struct esw_rule *old = find(c, s->dev, s->chain, s->prio, s->handle), *r;
	struct mask_tbl *dead[MAX_PREFIXES * MAX_PREFIXES];
	struct esw_key *m;
	struct masks *snap = NULL;
	uint32_t ndead = 0;
	bool republish = false;
	void **slot;
	int ret;

	if (!old)
		return -ENOENT;
	ret = rule_prepare(c, s, &r, &m);
	if (ret)
		return ret;
	/* Other matched fields are another flower mask: tc refuses to move a
	 * filter between masks (EINVAL) rather than replace it. */
	if (!key_eq(&r->spec.mask, &old->spec.mask) ||
	    !r->spec.src_port_max != !old->spec.src_port_max ||
	    !r->spec.dst_port_max != !old->spec.dst_port_max) {
		free(m);
		free_rule(r);
		return -EINVAL;
	}
	rcu_thread_online();
	slot = tfind(old, &c->index, ident_cmp);
	*slot = r;      /* the same identity: the tree's order holds */
	r->grp = old->grp;      /* the same group: the same rank, the same place */
	r->grp->refs++;
	r->rank = old->rank;
	r->order = old->order;
	/* The new entries go in before the old ones leave: a reader finds
	 * one rule or the other, never neither.  Ranged prefixes of another
	 * range may need tables the old rule did not. */
	republish = entries_in(c, r, m);
	republish |= entries_out(c, old, dead, &ndead);
	group_put(c, old->grp);
	if (republish)
		snap = publish_masks(c);
	atomic_fetch_add_explicit(&c->gen, 1, memory_order_release);
	rcu_thread_offline();
	free(m);
	tables_grow(r);
	synchronize_rcu();
	free_rule(old);
	free(snap);
	for (uint32_t i = 0; i < ndead; i++) {
		cds_lfht_destroy(dead[i]->ht, NULL);
		free(dead[i]);
	}
	return 0;
}

struct esw_act_ctr *esw_act_ctr(const struct esw_rule *r, unsigned worker)
{
	return &r->actr[(size_t)r->actr_stride * (worker < r->nworkers ? worker : 0)];
}

void esw_act_counters(const struct esw_rule *r, unsigned i, struct esw_act_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned w = 0; w < r->nworkers; w++) {
		const struct esw_act_ctr *a = &r->actr[(size_t)r->actr_stride * w + i];

		st->packets += a->packets;
		st->bytes += a->bytes;
		st->drops += a->drops;
		st->overlimits += a->overlimits;
		if (r->ctr[w].lastuse_ms > st->lastuse_ms)
			st->lastuse_ms = r->ctr[w].lastuse_ms;
	}
}

struct esw_police *esw_rule_police(const struct esw_rule *r, unsigned i)
{
	return &r->pol[i];
}
