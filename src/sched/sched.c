/*
 * sched.c - the shaper's objects and its hot path (see sched.h).
 */
#include "sched.h"

#include <stdlib.h>
#include <string.h>

struct sched_tree {
	unsigned n;
	struct sched_obj **kids;        /* every object's children, in runs */
	struct sched_obj obj[];
};

static int64_t burst_of(uint64_t rate)
{
	unsigned __int128 b = (unsigned __int128)rate * SCHED_BURST_NS / 1000000000u;

	if (b < SCHED_BURST_MIN)
		return SCHED_BURST_MIN;
	return b > INT64_MAX / 4 ? INT64_MAX / 4 : (int64_t)b;
}

static void bucket_init(struct sched_bucket *b, uint64_t rate, uint64_t now)
{
	b->rate = rate;
	b->burst = rate ? burst_of(rate) : 0;
	atomic_init(&b->tokens, b->burst);
	atomic_init(&b->last_ns, now);
}

/* Depth of i's path (1 for a root), or 0 on a loop or a bad parent. */
static unsigned depth_of(const struct sched_conf *c, unsigned n, unsigned i)
{
	unsigned d = 1;

	for (int p = c[i].parent; p != SCHED_NO_PARENT; p = c[p].parent, d++)
		if (p < 0 || (unsigned)p >= n || d > SCHED_MAX_DEPTH)
			return 0;
	return d <= SCHED_MAX_DEPTH ? d : 0;
}

struct sched_tree *sched_tree_build(const struct sched_conf *conf, unsigned n, uint64_t now_ns)
{
	struct sched_tree *t;
	unsigned used = 0;

	for (unsigned i = 0; i < n; i++)
		if (!depth_of(conf, n, i))
			return NULL;
	t = aligned_alloc(64, (sizeof(*t) + sizeof(t->obj[0]) * n + 63) / 64 * 64);
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t) + sizeof(t->obj[0]) * n);
	t->n = n;
	t->kids = calloc(n ? n : 1, sizeof(*t->kids));
	if (!t->kids) {
		free(t);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		struct sched_obj *o = &t->obj[i];

		bucket_init(&o->max, conf[i].tx_max, now_ns);
		bucket_init(&o->share, conf[i].tx_share, now_ns);
		o->parent = conf[i].parent == SCHED_NO_PARENT ? NULL : &t->obj[conf[i].parent];
		o->prio = conf[i].tx_priority;
		o->weight = conf[i].tx_weight ? conf[i].tx_weight : 1;
		/* Until a read says otherwise, frames are GSO-sized: a
		 * first read of 64 of them would overdraw by megabytes. */
		atomic_init(&o->avg_len, 65536);
		atomic_init(&o->backlog, 1);    /* until a read finds nothing */
	}
	/* Siblings: each parent's children in one run of kids[]; roots have
	 * no siblings that compete (nothing above them is shared). */
	for (unsigned p = 0; p < n; p++) {
		unsigned start = used;

		for (unsigned i = 0; i < n; i++)
			if (conf[i].parent == (int)p)
				t->kids[used++] = &t->obj[i];
		for (unsigned k = start; k < used; k++) {
			t->kids[k]->sib = &t->kids[start];
			t->kids[k]->nsib = used - start;
		}
	}
	/* Shaped: a cap somewhere on the path.  Without one nothing is
	 * scarce, so shares, priorities and weights have nothing to divide. */
	for (unsigned i = 0; i < n; i++)
		for (struct sched_obj *o = &t->obj[i]; o; o = o->parent)
			t->obj[i].shaped |= o->max.rate != 0;
	return t;
}

struct sched_obj *sched_tree_obj(struct sched_tree *t, unsigned i)
{
	return t && i < t->n && t->obj[i].shaped ? &t->obj[i] : NULL;
}

void sched_tree_stats(const struct sched_tree *t, unsigned i, struct sched_stats *st)
{
	const struct sched_obj *o;

	if (!t || i >= t->n)
		return;
	o = &t->obj[i];
	st->sent_bytes += atomic_load_explicit(&o->sent_bytes, memory_order_relaxed);
	st->sent_packets += atomic_load_explicit(&o->sent_packets, memory_order_relaxed);
	st->throttled += atomic_load_explicit(&o->throttled, memory_order_relaxed);
	st->deferred += atomic_load_explicit(&o->deferred, memory_order_relaxed);
}

void sched_tree_free(struct sched_tree *t)
{
	if (!t)
		return;
	free(t->kids);
	free(t);
}

/* Adds the tokens earned since the last refill.  Whoever moves last_ns
 * forward earns them, so two workers never add the same interval. */
static void refill(struct sched_bucket *b, uint64_t now)
{
	uint64_t last = atomic_load_explicit(&b->last_ns, memory_order_relaxed);
	int64_t add, t, nt;

	if (now < last + SCHED_REFILL_NS ||
	    !atomic_compare_exchange_strong_explicit(&b->last_ns, &last, now, memory_order_relaxed,
						     memory_order_relaxed))
		return;
	/* A second is more than any burst: no overflow, nothing lost. */
	add = (int64_t)((unsigned __int128)(now - last > 1000000000u ? 1000000000u : now - last) *
			b->rate / 1000000000u);
	t = atomic_load_explicit(&b->tokens, memory_order_relaxed);
	do {
		nt = t + add > b->burst ? b->burst : t + add;
	} while (!atomic_compare_exchange_weak_explicit(&b->tokens, &t, nt, memory_order_relaxed,
							memory_order_relaxed));
}

/* When an empty bucket has a token again. */
static uint64_t refill_at(const struct sched_bucket *b, int64_t tokens, uint64_t now)
{
	uint64_t ns = (uint64_t)((unsigned __int128)(uint64_t)(1 - tokens) * 1000000000u / b->rate);

	if (ns < SCHED_REFILL_NS)
		ns = SCHED_REFILL_NS;
	return now + (ns > 10000000u ? 10000000u : ns);
}

/* Is s waiting for its parent's bandwidth (see sched.h)?  d: its
 * demand_ns. */
static bool waiting(const struct sched_obj *s, uint64_t d, uint64_t now)
{
	return atomic_load_explicit(&s->waiting, memory_order_relaxed) &&
	       (int64_t)(now - d) <= (int64_t)SCHED_STRICT_NS;
}

/* May o borrow from its parent now?  No sibling of a higher priority is
 * waiting, and none of its own priority that is a quantum behind it in
 * virtual time was refused lately (a refused sibling is one that wants
 * more). */
static bool may_borrow(const struct sched_obj *o, uint64_t now)
{
	uint64_t my = atomic_load_explicit(&o->vtime, memory_order_relaxed);

	for (unsigned i = 0; i < o->nsib; i++) {
		const struct sched_obj *s = o->sib[i];
		uint64_t d;

		if (s == o || s->prio < o->prio)
			continue;
		d = atomic_load_explicit(&s->demand_ns, memory_order_relaxed);
		if (s->prio > o->prio) {
			if (waiting(s, d, now))
				return false;
			continue;
		}
		if ((int64_t)(now - d) <= (int64_t)SCHED_DEMAND_NS &&
		    atomic_load_explicit(&s->vtime, memory_order_relaxed) + SCHED_QUANTUM < my)
			return false;
	}
	return true;
}

/* o's own cap refused it: it waits for nothing its parent could give. */
static void capped(struct sched_obj *o)
{
	if (atomic_load_explicit(&o->waiting, memory_order_relaxed))
		atomic_store_explicit(&o->waiting, 0, memory_order_relaxed);
}

/* The queue of leaf o came up short: o waits no more, nor does an
 * ancestor none of whose children waits any more.  Off the fast path: a
 * drained function reads less than it may. */
static void drained(struct sched_obj *o)
{
	capped(o);
	for (struct sched_obj *p = o->parent; p && p->parent; o = p, p = p->parent) {
		if (!atomic_load_explicit(&p->waiting, memory_order_relaxed))
			return;
		for (unsigned i = 0; i < o->nsib; i++)
			if (atomic_load_explicit(&o->sib[i]->waiting, memory_order_relaxed))
				return;
		atomic_store_explicit(&p->waiting, 0, memory_order_relaxed);
	}
}

/* o wanted to borrow and was refused: its siblings see it backlogged.  One
 * that comes back after an idle spell starts at the virtual time of the
 * busiest backlogged sibling's, not with credit for the time it was away. */
static void refused(struct sched_obj *o, uint64_t now, bool want)
{
	uint64_t prev = atomic_load_explicit(&o->demand_ns, memory_order_relaxed);

	if (!want)
		return;         /* polled with nothing to send: no demand */
	if ((int64_t)(now - prev) > (int64_t)SCHED_DEMAND_NS) {
		uint64_t v = atomic_load_explicit(&o->vtime, memory_order_relaxed), lo = UINT64_MAX;

		for (unsigned i = 0; i < o->nsib; i++) {
			const struct sched_obj *s = o->sib[i];

			if (s != o && s->prio == o->prio &&
			    (int64_t)(now - atomic_load_explicit(&s->demand_ns, memory_order_relaxed)) <=
				    (int64_t)SCHED_DEMAND_NS) {
				uint64_t sv = atomic_load_explicit(&s->vtime, memory_order_relaxed);

				lo = sv < lo ? sv : lo;
			}
		}
		if (lo != UINT64_MAX && v < lo)
			atomic_store_explicit(&o->vtime, lo, memory_order_relaxed);
	}
	atomic_store_explicit(&o->demand_ns, now, memory_order_relaxed);
	if (!atomic_load_explicit(&o->waiting, memory_order_relaxed))
		atomic_store_explicit(&o->waiting, 1, memory_order_relaxed);
}

/* Counts a refused admit: o refused the function of leaf.  Off the fast
 * path (the worker naps next), so two relaxed adds cost nothing there. */
static int64_t refusal(struct sched_obj *leaf, struct sched_obj *o)
{
	atomic_fetch_add_explicit(&o->throttled, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&leaf->deferred, 1, memory_order_relaxed);
	return 0;
}

int64_t sched_admit(struct sched_obj *o, uint64_t now_ns, struct sched_grant *g,
		    uint64_t *wake_ns)
{
	int64_t budget = INT64_MAX;
	bool relaxed = false;           /* the child below sends under its guarantee */
	struct sched_obj *borrower = NULL;      /* the child below borrows */
	bool want = atomic_load_explicit(&o->backlog, memory_order_relaxed);
	struct sched_obj *leaf = o;

	g->green = 0;
	g->asked = 0;
	for (unsigned lvl = 0; o; o = o->parent, lvl++) {
		if (o->max.rate) {
			int64_t t;

			refill(&o->max, now_ns);
			t = atomic_load_explicit(&o->max.tokens, memory_order_relaxed);
			/* Guaranteed traffic may overdraw a parent by one burst:
			 * the cap still holds over any longer window. */
			if (t <= (relaxed ? -o->max.burst : 0)) {
				if (borrower)
					refused(borrower, now_ns, want);
				capped(o);
				*wake_ns = refill_at(&o->max, relaxed ? t + o->max.burst : t, now_ns);
				return refusal(leaf, o);
			}
			if (relaxed)
				t += o->max.burst;      /* what is left of the allowed debt */
			if (t < budget)
				budget = t;
		}
		if (!o->parent)
			break;
		relaxed = false;
		borrower = NULL;
		if (o->share.rate) {
			refill(&o->share, now_ns);
			relaxed = atomic_load_explicit(&o->share.tokens, memory_order_relaxed) > 0;
		}
		if (relaxed) {
			g->green |= 1u << lvl;
		} else if (o->nsib > 1) {
			if (!may_borrow(o, now_ns)) {
				refused(o, now_ns, want);
				*wake_ns = now_ns + SCHED_REFILL_NS * 4;
				return refusal(leaf, o);
			}
			borrower = o;
		}
	}
	return budget == INT64_MAX ? INT64_MAX / 2 : budget;
}

unsigned sched_frames(const struct sched_obj *o, int64_t budget, unsigned max)
{
	uint32_t avg = atomic_load_explicit(&o->avg_len, memory_order_relaxed);
	int64_t n = budget / (avg ? avg : 1) + 1;

	return n < (int64_t)max ? (unsigned)n : max;
}

void sched_charge(struct sched_obj *o, const struct sched_grant *g, uint64_t bytes,
		  unsigned frames)
{
	atomic_store_explicit(&o->backlog, frames != 0, memory_order_relaxed);
	if (frames < g->asked || !frames) {
		drained(o);
		if (!frames)
			return;
	}
	/* The frame size rises at once and falls slowly: a read of small
	 * frames (ACKs) must not make the next read take 64 big ones. */
	uint32_t avg = atomic_load_explicit(&o->avg_len, memory_order_relaxed);
	uint32_t now = (uint32_t)(bytes / frames);

	atomic_store_explicit(&o->avg_len, now > avg ? now : avg - (avg - now) / 8,
			      memory_order_relaxed);
	for (unsigned lvl = 0; o; o = o->parent, lvl++) {
		if (o->max.rate)
			atomic_fetch_sub_explicit(&o->max.tokens, (int64_t)bytes, memory_order_relaxed);
		/* Once per burst and level, relaxed, as the tokens are charged. */
		atomic_fetch_add_explicit(&o->sent_bytes, bytes, memory_order_relaxed);
		atomic_fetch_add_explicit(&o->sent_packets, frames, memory_order_relaxed);
		if (!o->parent)
			break;
		if (g->green & (1u << lvl))
			atomic_fetch_sub_explicit(&o->share.tokens, (int64_t)bytes,
						  memory_order_relaxed);
		else if (o->nsib > 1)
			atomic_fetch_add_explicit(&o->vtime, bytes * SCHED_WSCALE / o->weight,
						  memory_order_relaxed);
	}
}
