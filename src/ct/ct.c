/*
 * ct.c - the connection table: look-up, the TCP state machine, commit,
 * marks, related ICMP errors, aging.
 *
 * An entry is in the cds_lfht twice, by its original and by its reply tuple;
 * each node records its direction.  An entry becomes "confirmed" once both
 * nodes are in: only a confirmed entry is ever removed by someone other than
 * its creator, so a removal never races with the insertion of the second
 * node (the creator undoes its own half-inserted entry).  Whoever deletes
 * the original node first owns the removal (cds_lfht_del fails for the
 * others): it deletes the reply node, drops the count and frees the entry
 * after a grace period.
 */
#define _LGPL_SOURCE
#include "ct_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

#define S_CONFIRMED 0x01
#define S_SEEN_REPLY 0x02
#define S_ASSURED 0x04

#define CT_CACHE_MAX_SLOTS (1ul << 19)
#define CT_CACHE_WAYS 4

/* One direction: the hash node and the tuple it is found by share a cache
 * line, so a look-up that hits touches its bucket, this line and the
 * entry's state line. */
struct ct_node {
	struct cds_lfht_node node;
	uint8_t dir;
	struct ct_tuple t;
} __attribute__((aligned(64)));

struct ct_entry {
	struct ct_node n[2];            /* original, reply */
	_Atomic uint64_t expires_ms;
	_Atomic uint64_t packets[2], bytes[2];
	_Atomic uint32_t mark;
	_Atomic uint8_t tcp;            /* enum ct_tcp_state */
	_Atomic uint8_t status;         /* S_* */
	uint64_t created_ms;
	struct rcu_head rcu;
};

/* Per-thread counters: a worker writes only its own line. */
struct ct_wstats {
	uint64_t created, invalid, table_full, related, searched, found, deleted, expired;
} __attribute__((aligned(64)));

/* A worker's own index of the nodes it found, by tuple hash (4 ways):
 * an established connection is then one slot and one node line away, with
 * nothing shared written and one dependent miss fewer than cds_lfht's
 * bucket walk.  (Prefetching the slots a burst ahead, as the EMC's are,
 * measured no gain at 100,000 connections and was left out.)  A slot only
 * ever points at a confirmed, live node: entry_kill clears every worker's
 * slots of an entry before its grace period starts (see cache_put for the
 * race with a worker's store). */
typedef _Atomic uintptr_t ct_slot;

/* A slot holds a node's address (user space: 48 bits) with the top 16 bits
 * of its tuple's hash above it, so a way holding another connection is
 * passed over without touching that connection's node. */
#define SLOT_PTR ((UINT64_C(1) << 48) - 1)

static inline uintptr_t slot_value(const struct ct_node *n, uint64_t h)
{
	return (uintptr_t)n | (uintptr_t)(h & ~SLOT_PTR);
}

struct ct_table {
	struct cds_lfht *ht;
	_Atomic uint32_t count;
	_Atomic uint32_t max;
	unsigned nw;
	uint64_t cache_mask;            /* slots per worker - 1 */
	ct_slot **cache;                /* nw arrays of cache_mask + 1 slots */
	struct ct_wstats st[];          /* nw workers + the control thread */
};

/* nf_conntrack_proto_tcp's tcp_conntracks[dir][index][state]: the state a
 * segment moves a connection to.  IV: invalid, IG: ignored (no change). */
enum { sNO = CT_TCP_NONE, sSS = CT_TCP_SYN_SENT, sSR = CT_TCP_SYN_RECV,
       sES = CT_TCP_ESTABLISHED, sFW = CT_TCP_FIN_WAIT, sCW = CT_TCP_CLOSE_WAIT,
       sLA = CT_TCP_LAST_ACK, sTW = CT_TCP_TIME_WAIT, sCL = CT_TCP_CLOSE,
       sS2 = CT_TCP_SYN_SENT2, sIV = CT_TCP_MAX, sIG };

static const uint8_t tcp_table[2][6][CT_TCP_MAX] = {
	{       /* original */
		/*            sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
		/* syn */   { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
		/* synack */{ sIV, sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
		/* fin */   { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		/* ack */   { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
		/* rst */   { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		/* none */  { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
	{       /* reply */
		/*            sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
		/* syn */   { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
		/* synack */{ sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
		/* fin */   { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		/* ack */   { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
		/* rst */   { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		/* none */  { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
};

#define SEC 1000ull
#define MINS (60 * SEC)

static const uint64_t tcp_timeouts[CT_TCP_MAX] = {
	[CT_TCP_NONE] = 0,
	[CT_TCP_SYN_SENT] = 2 * MINS,
	[CT_TCP_SYN_RECV] = 60 * SEC,
	[CT_TCP_ESTABLISHED] = 5 * 24 * 60 * MINS,
	[CT_TCP_FIN_WAIT] = 2 * MINS,
	[CT_TCP_CLOSE_WAIT] = 60 * SEC,
	[CT_TCP_LAST_ACK] = 30 * SEC,
	[CT_TCP_TIME_WAIT] = 2 * MINS,
	[CT_TCP_CLOSE] = 10 * SEC,
	[CT_TCP_SYN_SENT2] = 2 * MINS,
};

uint64_t ct_timeout_ms(uint8_t proto, uint8_t tcp_state, bool seen_reply, uint64_t age_ms)
{
	switch (proto) {
	case 6:
		return tcp_state < CT_TCP_MAX ? tcp_timeouts[tcp_state] : 10 * SEC;
	case 17:
	case 136:
	case 132:
	case 33:
		/* The kernel's udp_packet: a replied flow still alive after
		 * 2 s is a stream. */
		return seen_reply && age_ms >= 2 * SEC ? 120 * SEC : 30 * SEC;
	case 1:
	case 58:
		return 30 * SEC;
	default:
		return 600 * SEC;
	}
}

const char *ct_tcp_state_name(uint8_t s)
{
	static const char *const names[CT_TCP_MAX] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};

	return s < CT_TCP_MAX ? names[s] : "NONE";
}

static struct ct_entry *entry_of(struct cds_lfht_node *n)
{
	struct ct_node *cn = caa_container_of(n, struct ct_node, node);

	return caa_container_of(cn - cn->dir, struct ct_entry, n[0]);
}

static int match_tuple(struct cds_lfht_node *n, const void *key)
{
	struct ct_node *cn = caa_container_of(n, struct ct_node, node);

	return !memcmp(&cn->t, key, sizeof(struct ct_tuple));
}

/* Buckets for a table of max connections (two nodes each), allocated up
 * front up to 2^20 (16 MiB): growing a cds_lfht under load is lazy and
 * slow, and chains grow long meanwhile; past that it grows itself. */
static unsigned long ct_buckets(uint32_t max)
{
	unsigned long n = 1024;

	while (n < 2ul * max && n < (1ul << 20))
		n <<= 1;
	return n;
}

static void caches_free(struct ct_table *t)
{
	for (unsigned i = 0; t->cache && i < t->nw; i++)
		free(t->cache[i]);
	free(t->cache);
}

struct ct_table *ct_create(uint32_t max, unsigned nworkers)
{
	struct ct_table *t = calloc(1, sizeof(*t) + (nworkers + 1) * sizeof(struct ct_wstats));
	unsigned long slots;

	if (!t)
		return NULL;
	t->nw = nworkers;
	atomic_init(&t->max, max ? max : CT_DEFAULT_MAX);
	t->ht = cds_lfht_new(ct_buckets(max ? max : CT_DEFAULT_MAX), 1024, 0,
			     CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	/* A slot per node of the table at its maximum, capped at 2^19 slots
	 * (4 MiB) a worker. */
	slots = ct_buckets(max ? max : CT_DEFAULT_MAX);
	if (slots > CT_CACHE_MAX_SLOTS)
		slots = CT_CACHE_MAX_SLOTS;
	t->cache_mask = slots - 1;
	t->cache = calloc(nworkers ? nworkers : 1, sizeof(*t->cache));
	for (unsigned i = 0; t->cache && i < nworkers; i++)
		if (!(t->cache[i] = aligned_alloc(64, slots * sizeof(ct_slot))))
			goto fail;
		else
			memset(t->cache[i], 0, slots * sizeof(ct_slot));
	if (!t->ht || !t->cache)
		goto fail;
	return t;
fail:
	if (t->ht)
		cds_lfht_destroy(t->ht, NULL);
	caches_free(t);
	free(t);
	return NULL;
}

void ct_set_max(struct ct_table *t, uint32_t max)
{
	atomic_store(&t->max, max ? max : CT_DEFAULT_MAX);
}

static void free_entry(struct rcu_head *h)
{
	free(caa_container_of(h, struct ct_entry, rcu));
}

/* The set of CT_CACHE_WAYS slots (half a cache line) where hash h may be:
 * a direct-mapped index would make two connections that collide evict
 * each other on every packet. */
static ct_slot *cache_set(const struct ct_table *t, unsigned worker, uint64_t h)
{
	return &t->cache[worker][h & t->cache_mask & ~(uint64_t)(CT_CACHE_WAYS - 1)];
}

/* Remembers node n, found in the table, in the worker's slot for hash h.
 * The store races with entry_kill of n's entry: the worker stores, then
 * looks whether n was deleted; the killer deletes, then clears the slots.
 * With a full fence on both sides one of them sees the other, so no slot
 * keeps a node past its grace period. */
static void cache_put(struct ct_table *t, unsigned worker, uint64_t h, struct ct_node *n)
{
	ct_slot *set = cache_set(t, worker, h), *slot = NULL;
	uintptr_t v = slot_value(n, h);

	for (unsigned i = 0; i < CT_CACHE_WAYS && !slot; i++)
		if (!atomic_load_explicit(&set[i], memory_order_relaxed))
			slot = &set[i];
	if (!slot)
		slot = &set[(h >> 40) % CT_CACHE_WAYS];
	atomic_store_explicit(slot, v, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (cds_lfht_is_node_deleted(&n->node)) {
		uintptr_t expect = v;

		atomic_compare_exchange_strong(slot, &expect, 0);
	}
}

/* Clears every worker's slots that point at e's nodes. */
static void cache_drop(struct ct_table *t, struct ct_entry *e)
{
	atomic_thread_fence(memory_order_seq_cst);
	for (int d = 0; d < 2; d++) {
		uint64_t h = ct_tuple_hash(&e->n[d].t);

		for (unsigned w = 0; w < t->nw; w++) {
			ct_slot *set = cache_set(t, w, h);

			for (unsigned i = 0; i < CT_CACHE_WAYS; i++) {
				uintptr_t expect = slot_value(&e->n[d], h);

				atomic_compare_exchange_strong(&set[i], &expect, 0);
			}
		}
	}
}

/* Removes a confirmed entry; false when someone else already did. */
static bool entry_kill(struct ct_table *t, struct ct_entry *e)
{
	if (!(atomic_load_explicit(&e->status, memory_order_acquire) & S_CONFIRMED))
		return false;
	if (cds_lfht_del(t->ht, &e->n[0].node))
		return false;
	cds_lfht_del(t->ht, &e->n[1].node);
	cache_drop(t, e);
	atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
	call_rcu(&e->rcu, free_entry);
	return true;
}

void ct_destroy(struct ct_table *t)
{
	if (!t)
		return;
	ct_flush(t, -1);
	rcu_barrier();
	cds_lfht_destroy(t->ht, NULL);
	caches_free(t);
	free(t);
}

static struct ct_entry *lookup(struct ct_table *t, const struct ct_tuple *k, uint8_t *dir)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(t->ht, ct_tuple_hash(k), match_tuple, k, &it);
	n = cds_lfht_iter_get_node(&it);
	if (!n)
		return NULL;
	*dir = caa_container_of(n, struct ct_node, node)->dir;
	return entry_of(n);
}

/* lookup for a worker: its own slot first, then the table (whose find,
 * once confirmed, goes into the slot). */
static struct ct_entry *lookup_worker(struct ct_table *t, unsigned worker,
				      const struct ct_tuple *k, uint8_t *dir)
{
	uint64_t h = ct_tuple_hash(k);
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct ct_node *cn;
	struct ct_entry *e;
	ct_slot *set;

	if (worker >= t->nw)
		return lookup(t, k, dir);
	set = cache_set(t, worker, h);
	for (unsigned i = 0; i < CT_CACHE_WAYS; i++) {
		uintptr_t v = atomic_load_explicit(&set[i], memory_order_relaxed);

		if (!v || (v & ~SLOT_PTR) != (h & ~SLOT_PTR))
			continue;
		cn = (struct ct_node *)(v & SLOT_PTR);
		if (!memcmp(&cn->t, k, sizeof(*k)) && !cds_lfht_is_node_deleted(&cn->node)) {
			*dir = cn->dir;
			return entry_of(&cn->node);
		}
	}
	cds_lfht_lookup(t->ht, h, match_tuple, k, &it);
	n = cds_lfht_iter_get_node(&it);
	if (!n)
		return NULL;
	cn = caa_container_of(n, struct ct_node, node);
	*dir = cn->dir;
	e = entry_of(n);
	if (atomic_load_explicit(&e->status, memory_order_acquire) & S_CONFIRMED)
		cache_put(t, worker, h, cn);
	return e;
}

static bool expired(const struct ct_entry *e, uint64_t now_ms)
{
	return now_ms >= atomic_load_explicit(&e->expires_ms, memory_order_relaxed);
}

static void set_mark(struct ct_entry *e, const struct ct_args *a)
{
	uint32_t old = atomic_load_explicit(&e->mark, memory_order_relaxed), nw;

	if (!a->mark_mask)
		return;
	do
		nw = (old & ~a->mark_mask) | (a->mark & a->mark_mask);
	while (nw != old && !atomic_compare_exchange_weak(&e->mark, &old, nw));
}

static void refresh(struct ct_entry *e, uint64_t now_ms, uint8_t proto, uint8_t tcp)
{
	uint8_t st = atomic_load_explicit(&e->status, memory_order_relaxed);
	uint64_t age = now_ms - e->created_ms;
	uint64_t exp = now_ms + ct_timeout_ms(proto, tcp, st & S_SEEN_REPLY, age);

	if (atomic_load_explicit(&e->expires_ms, memory_order_relaxed) != exp)
		atomic_store_explicit(&e->expires_ms, exp, memory_order_relaxed);
	/* The kernel's UDP assured bit comes with the stream timeout. */
	if (proto != 6 && (st & S_SEEN_REPLY) && age >= 2 * SEC && !(st & S_ASSURED))
		atomic_fetch_or(&e->status, S_ASSURED);
}

/* Inserts e's node dir unless a live entry has that tuple; an expired one
 * is removed first.  Returns NULL when e went in, else the live entry. */
static struct ct_entry *insert_node(struct ct_table *t, struct ct_entry *e, uint8_t dir,
				    uint64_t now_ms)
{
	for (int tries = 0; tries < 4; tries++) {
		struct cds_lfht_node *n = cds_lfht_add_unique(t->ht, ct_tuple_hash(&e->n[dir].t),
							       match_tuple, &e->n[dir].t,
							       &e->n[dir].node);
		struct ct_entry *o;

		if (n == &e->n[dir].node)
			return NULL;
		o = entry_of(n);
		if (!expired(o, now_ms) || !entry_kill(t, o))
			return o;
	}
	return e;       /* keeps losing to others: give up */
}

/*
 * Creates the connection of a +new packet (commit).  Returns the entry
 * (possibly one another worker created for the same packet's tuple first),
 * or NULL with *full set when the table is at its maximum.
 */
static struct ct_entry *create(struct ct_table *t, struct ct_wstats *w, const struct ct_pkt *p,
			       uint16_t zone, uint32_t len, uint64_t now_ms, bool *full)
{
	struct ct_entry *e, *o;
	uint8_t tcp = CT_TCP_NONE;

	*full = false;
	if (p->k.proto == 6)
		tcp = tcp_table[0][p->tcp_idx][sNO];
	if (atomic_fetch_add_explicit(&t->count, 1, memory_order_relaxed) >=
	    atomic_load_explicit(&t->max, memory_order_relaxed)) {
		atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
		w->table_full++;
		*full = true;
		return NULL;
	}
	e = aligned_alloc(64, sizeof(*e));
	if (e)
		memset(e, 0, sizeof(*e));
	if (!e) {
		atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
		return NULL;
	}
	e->n[0].t = p->k;
	e->n[0].t.zone = zone;
	ct_tuple_invert(&e->n[0].t, &e->n[1].t);
	e->n[0].dir = 0;
	e->n[1].dir = 1;
	e->created_ms = now_ms;
	atomic_init(&e->tcp, tcp);
	atomic_init(&e->packets[0], 1);
	atomic_init(&e->bytes[0], len);
	atomic_init(&e->expires_ms, now_ms + ct_timeout_ms(p->k.proto, tcp, false, 0));
	cds_lfht_node_init(&e->n[0].node);
	cds_lfht_node_init(&e->n[1].node);
	o = insert_node(t, e, 0, now_ms);
	if (o) {                /* another worker's entry for this tuple */
		atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
		free(e);
		return o == e ? NULL : o;       /* compares addresses only */
	}
	o = insert_node(t, e, 1, now_ms);
	if (o) {                /* the reply tuple is another connection's */
		cds_lfht_del(t->ht, &e->n[0].node);
		atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
		call_rcu(&e->rcu, free_entry);
		return NULL;
	}
	atomic_fetch_or_explicit(&e->status, S_CONFIRMED, memory_order_release);
	w->created++;
	return e;
}

static uint8_t state_bits(const struct ct_entry *e, uint8_t dir)
{
	if (dir)
		return CT_STATE_TRK | CT_STATE_EST | CT_STATE_RPL;
	return CT_STATE_TRK | (atomic_load_explicit(&e->status, memory_order_relaxed) & S_SEEN_REPLY
			       ? CT_STATE_EST : CT_STATE_NEW);
}

enum verdict { V_OK, V_INVALID, V_REOPEN };

/* Moves a TCP connection by one segment. */
static enum verdict tcp_step(struct ct_entry *e, uint8_t dir, uint8_t idx, uint8_t *state)
{
	uint8_t old = atomic_load_explicit(&e->tcp, memory_order_relaxed), nw;

	for (;;) {
		nw = tcp_table[dir][idx][old < CT_TCP_MAX ? old : sCL];
		if (nw == sIV)
			return V_INVALID;
		if (nw == sIG) {
			*state = old;
			return V_OK;
		}
		/* A SYN on a closed connection starts a new one (the kernel
		 * kills the old and looks up again). */
		if (idx == CT_TCP_SYN && (old == sTW || old == sCL))
			return V_REOPEN;
		if (nw == old || atomic_compare_exchange_weak(&e->tcp, &old, nw))
			break;
	}
	if (nw == sES && old == sSR)
		atomic_fetch_or(&e->status, S_ASSURED);
	*state = nw;
	return V_OK;
}

/* A packet of a known connection: state machine, counters, timeout. */
static enum verdict track(struct ct_entry *e, uint8_t dir, const struct ct_pkt *p,
			  uint32_t len, uint64_t now_ms)
{
	uint8_t tcp = CT_TCP_NONE;

	if (p->k.proto == 6) {
		enum verdict v = tcp_step(e, dir, p->tcp_idx, &tcp);

		if (v != V_OK)
			return v;
	}
	if (dir && !(atomic_load_explicit(&e->status, memory_order_relaxed) & S_SEEN_REPLY))
		atomic_fetch_or(&e->status, S_SEEN_REPLY);
	atomic_fetch_add_explicit(&e->packets[dir], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&e->bytes[dir], len, memory_order_relaxed);
	refresh(e, now_ms, p->k.proto, tcp);
	return V_OK;
}

/* Whether a packet with no connection may start one. */
static bool may_create(const struct ct_pkt *p)
{
	if (p->k.proto == 6)
		return tcp_table[0][p->tcp_idx][sNO] < CT_TCP_MAX;
	if (p->icmp_query)
		return p->icmp_query == 1;
	return true;
}

static uint8_t invalid(struct ct_wstats *w, struct ct_meta *m, uint16_t zone)
{
	w->invalid++;
	*m = (struct ct_meta){ .state = CT_STATE_TRK | CT_STATE_INV, .zone = zone };
	return m->state;
}

/* A commit of a packet tracked earlier in its walk, in the same zone.  The
 * metadata may come without its entry (a datapath that keeps only the
 * state, zone and mark): the entry is then looked up again. */
static void commit_cached(struct ct_table *t, struct ct_wstats *w, const uint8_t *frame,
			  uint32_t len, const struct ct_args *a, uint64_t now_ms,
			  struct ct_meta *m)
{
	struct ct_entry *e = m->entry;

	if (!e && (m->state & (CT_STATE_NEW | CT_STATE_EST | CT_STATE_REL))) {
		struct ct_pkt p;
		uint8_t dir;
		bool full;

		ct_parse(frame, len, &p);
		if (p.kind != CT_PKT_TRACK && p.kind != CT_PKT_ICMP_ERROR)
			return;
		p.k.zone = a->zone;
		e = lookup(t, &p.k, &dir);
		if (e && expired(e, now_ms))
			e = NULL;
		if (!e && p.kind == CT_PKT_TRACK && (m->state & CT_STATE_NEW)) {
			if (!may_create(&p)) {
				invalid(w, m, a->zone);
				return;
			}
			e = create(t, w, &p, a->zone, len, now_ms, &full);
			if (!e) {
				invalid(w, m, a->zone);
				return;
			}
		}
		m->entry = e;
	}
	if (e) {
		set_mark(e, a);
		m->mark = atomic_load_explicit(&e->mark, memory_order_relaxed);
	}
}

uint8_t ct_exec(struct ct_table *t, unsigned worker, const uint8_t *frame, uint32_t len,
		const struct ct_args *a, uint64_t now_ms, struct ct_meta *m)
{
	struct ct_wstats *w = &t->st[worker < t->nw ? worker : t->nw];
	struct ct_entry *e;
	struct ct_pkt p;
	uint8_t dir = 0;
	bool full;

	if (a->flags & CT_CLEAR) {
		*m = (struct ct_meta){ 0 };
		return 0;
	}
	if ((m->state & CT_STATE_TRK) && m->zone == a->zone) {
		if (a->flags & CT_COMMIT)
			commit_cached(t, w, frame, len, a, now_ms, m);
		return m->state;
	}
	ct_parse(frame, len, &p);
	switch (p.kind) {
	case CT_PKT_UNTRACKED:
		*m = (struct ct_meta){ 0 };
		return 0;
	case CT_PKT_INVALID:
		return invalid(w, m, a->zone);
	case CT_PKT_ICMP_ERROR:
		p.k.zone = a->zone;
		w->searched++;
		e = lookup(t, &p.k, &dir);
		if (!e || expired(e, now_ms))
			return invalid(w, m, a->zone);
		w->found++;
		w->related++;
		/* The embedded packet went the entry's direction dir; the
		 * error travels the other way. */
		*m = (struct ct_meta){ .state = CT_STATE_TRK | CT_STATE_REL |
						(dir ? 0 : CT_STATE_RPL),
				       .dir = !dir, .zone = a->zone, .entry = e };
		if (a->flags & CT_COMMIT)
			set_mark(e, a);
		m->mark = atomic_load_explicit(&e->mark, memory_order_relaxed);
		return m->state;
	}
	p.k.zone = a->zone;
	w->searched++;
	e = lookup_worker(t, worker, &p.k, &dir);
	if (e && expired(e, now_ms))
		e = NULL;
	if (e) {
		enum verdict v = track(e, dir, &p, len, now_ms);

		if (v == V_INVALID)
			return invalid(w, m, a->zone);
		if (v == V_REOPEN) {
			if (entry_kill(t, e))
				w->deleted++;
			e = NULL;
			dir = 0;
		} else {
			w->found++;
		}
	}
	if (e) {
		*m = (struct ct_meta){ .state = state_bits(e, dir), .dir = dir, .zone = a->zone,
				       .entry = e };
		if (a->flags & CT_COMMIT)
			set_mark(e, a);
		m->mark = atomic_load_explicit(&e->mark, memory_order_relaxed);
		return m->state;
	}
	if (!may_create(&p))
		return invalid(w, m, a->zone);
	*m = (struct ct_meta){ .state = CT_STATE_TRK | CT_STATE_NEW, .zone = a->zone };
	if (a->flags & CT_COMMIT) {
		e = create(t, w, &p, a->zone, len, now_ms, &full);
		if (!e)
			return invalid(w, m, a->zone);
		m->entry = e;
		/* A racing worker's entry may already have seen a reply. */
		set_mark(e, a);
		m->mark = atomic_load_explicit(&e->mark, memory_order_relaxed);
	}
	return m->state;
}

unsigned ct_age(struct ct_table *t, uint64_t now_ms)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	unsigned removed = 0;

	/* The walk visits every bucket (2^20 of them at the default maximum,
	 * ~16% of a core each second on a loaded VM) even when the table is
	 * empty: a datapath without connections skips it. */
	if (!atomic_load_explicit(&t->count, memory_order_relaxed))
		return 0;
	rcu_thread_online();
	cds_lfht_for_each(t->ht, &it, n) {
		struct ct_entry *e = entry_of(n);

		if (caa_container_of(n, struct ct_node, node)->dir == 0 && expired(e, now_ms) &&
		    entry_kill(t, e))
			removed++;
	}
	rcu_thread_offline();
	t->st[t->nw].expired += removed;
	return removed;
}

unsigned ct_flush(struct ct_table *t, int zone)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	unsigned removed = 0;

	rcu_thread_online();
	cds_lfht_for_each(t->ht, &it, n) {
		struct ct_entry *e = entry_of(n);

		if (caa_container_of(n, struct ct_node, node)->dir == 0 &&
		    (zone < 0 || e->n[0].t.zone == zone) && entry_kill(t, e))
			removed++;
	}
	rcu_thread_offline();
	t->st[t->nw].deleted += removed;
	return removed;
}

unsigned ct_foreach(struct ct_table *t, uint64_t now_ms,
		    void (*fn)(const struct ct_info *c, void *arg), void *arg)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	unsigned calls = 0;

	rcu_thread_online();
	cds_lfht_for_each(t->ht, &it, n) {
		struct ct_entry *e = entry_of(n);
		uint64_t exp = atomic_load_explicit(&e->expires_ms, memory_order_relaxed);
		uint8_t st = atomic_load_explicit(&e->status, memory_order_relaxed);
		struct ct_info c;

		if (caa_container_of(n, struct ct_node, node)->dir != 0 || !(st & S_CONFIRMED))
			continue;
		c = (struct ct_info){
			.orig = e->n[0].t, .reply = e->n[1].t,
			.tcp_state = atomic_load_explicit(&e->tcp, memory_order_relaxed),
			.seen_reply = st & S_SEEN_REPLY, .assured = st & S_ASSURED,
			.mark = atomic_load_explicit(&e->mark, memory_order_relaxed),
			.timeout_ms = exp > now_ms ? exp - now_ms : 0,
		};
		for (int d = 0; d < 2; d++) {
			c.packets[d] = atomic_load_explicit(&e->packets[d], memory_order_relaxed);
			c.bytes[d] = atomic_load_explicit(&e->bytes[d], memory_order_relaxed);
		}
		fn(&c, arg);
		calls++;
	}
	rcu_thread_offline();
	return calls;
}

void ct_stats(const struct ct_table *t, struct ct_stats *s)
{
	*s = (struct ct_stats){
		.entries = atomic_load_explicit(&t->count, memory_order_relaxed),
		.max = atomic_load_explicit(&t->max, memory_order_relaxed),
	};
	for (unsigned i = 0; i <= t->nw; i++) {
		const volatile struct ct_wstats *w = &t->st[i];

		s->created += w->created;
		s->invalid += w->invalid;
		s->table_full += w->table_full;
		s->related += w->related;
		s->searched += w->searched;
		s->found += w->found;
		s->deleted += w->deleted;
		s->expired += w->expired;
	}
}
