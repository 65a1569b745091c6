/*
 * sched.h - devlink rate's hierarchical shaper on what functions transmit.
 *
 * The model.  Every rate object (a leaf per PF/SF port, nodes the user
 * creates) may have a cap (tx_max), a guarantee (tx_share), a strict
 * priority among its siblings (tx_priority, higher first) and a weight
 * within its priority (tx_weight).  The datapath does not queue frames of
 * its own: it *shapes* by reading a function's transmit queue (its TAP, a
 * memif or zero-copy TX ring) only as fast as the function's budget allows,
 * so the frames wait in the function's own queue and its TCP backs off.
 * Nothing is dropped by the shaper.
 *
 * Budgets are token buckets in bytes, refilled lazily from the clock by
 * whoever looks at them: a cap's bucket at tx_max, a guarantee's at
 * tx_share, each holding a burst of SCHED_BURST_NS of its rate but at
 * least two GSO frames.  Before a worker reads a function it asks
 * sched_admit(): going up from the leaf, every cap on the way must have
 * tokens.  At each level an object either sends under its guarantee (its
 * share bucket has tokens; its parent's cap may then go into a debt of one
 * burst, never more) or borrows from its parent, which it may do only if
 * no sibling of a higher priority is waiting (strict priority) and its own
 * borrowed bytes/weight are not a quantum ahead of a sibling's of the same
 * priority refused lately (deficit-round-robin by weight, the "virtual
 * time" way).  A sibling waits from the moment its parent's competition
 * refuses it (the parent's cap was spent, or a sibling came first) until
 * a read of its function's queue comes up short (it is drained) or its own
 * cap refuses it (it wants no more than it gets): a state, not a recent
 * event, so a worker that was off its CPU for a while does not hand the
 * bandwidth to a lower priority when it comes back.  Only a waiting state
 * older than SCHED_STRICT_NS is ignored: that function is no longer being
 * read at all (its SF went away, its queue is stalled).  After reading, the worker charges what it took
 * with sched_charge(): every cap on the path, the guarantees it sent under,
 * the virtual time where it borrowed.  A burst may overdraw by what one
 * rx_burst returns: the debt is paid before the next read.
 *
 * Threads.  Objects are built and freed by the control thread
 * (sched_tree_build/sched_tree_free) and published to workers by pointer
 * (RCU, see dp_fn_set_rate()); their configuration never changes once
 * published (a change builds a new tree).  Several workers may serve
 * functions under one node (and a multiqueue TAP puts one function on
 * every worker): all run-time state (tokens, refill stamps, virtual times,
 * demand stamps) is atomics on the objects, no locks, no per-worker shares.
 * The hot-path calls take no lock, allocate nothing and make no syscall.
 *
 * Units: rates are bytes per second here, as devlink's netlink carries
 * them; sched_rate_parse/sched_rate_format are the CLI's bit/s grammar.
 */
#ifndef SFNIC_SCHED_H
#define SFNIC_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_MAX_DEPTH 8               /* leaf + 7 levels of nodes */
/* A bucket holds 20 ms of its rate: a worker that waits for its CPU
 * longer than a bucket lasts loses the tokens that do not fit (4 ms lost
 * ~15% of 200mbit at load 8 on a shared 2-core VM). */
#define SCHED_BURST_NS 20000000ull      /* a bucket holds 20 ms of its rate ... */
#define SCHED_BURST_MIN (2 * 65536)     /* ... but at least two GSO frames */
#define SCHED_REFILL_NS 20000ull        /* refills at most every 20 us (truncation < 0.5%) */
#define SCHED_DEMAND_NS 2000000ull      /* a sibling refused within 2 ms is backlogged */
#define SCHED_STRICT_NS 100000000ull    /* a waiting state not renewed for 100 ms is stale */
#define SCHED_WSCALE 256u               /* virtual time = borrowed bytes * 256 / weight */
#define SCHED_QUANTUM (65536ull * SCHED_WSCALE) /* a weight-1 sibling's 64 KiB */
#define SCHED_NO_PARENT -1

/* One rate object's configuration, as devlink sets it. */
struct sched_conf {
	uint64_t tx_share, tx_max;      /* bytes/s; 0: none */
	uint32_t tx_priority, tx_weight;/* weight 0 counts as 1 */
	int parent;                     /* index in the array, or SCHED_NO_PARENT */
};

/* A token bucket; rate 0 means there is none. */
struct sched_bucket {
	_Atomic int64_t tokens;         /* bytes; negative: a debt */
	_Atomic uint64_t last_ns;       /* CLOCK_MONOTONIC of the last refill */
	uint64_t rate;                  /* bytes/s */
	int64_t burst;                  /* tokens never exceed it */
};

/* One rate object at run time. */
struct sched_obj {
	struct sched_bucket max, share;
	struct sched_obj *parent;
	struct sched_obj **sib;         /* the parent's children, self included */
	unsigned nsib;
	uint32_t prio, weight;
	_Atomic uint64_t demand_ns;     /* last refused while borrowing */
	_Atomic uint8_t waiting;        /* refused by its parent's competition since
					 * its function's queue was last drained */
	_Atomic uint64_t vtime;         /* bytes borrowed * SCHED_WSCALE / weight */
	_Atomic uint32_t avg_len;       /* bytes per frame: up at once, down by 1/8 */
	_Atomic uint8_t backlog;        /* the last read found frames */
	bool shaped;                    /* a cap on its path: workers must ask */
	/* What the shaper did, for metrics (struct sched_stats). */
	_Atomic uint64_t sent_bytes, sent_packets, throttled, deferred;
} __attribute__((aligned(64)));

/* Counters of one object since its tree was built. */
struct sched_stats {
	uint64_t sent_bytes;    /* charged through it (wire bytes) */
	uint64_t sent_packets;  /* frames charged through it */
	uint64_t throttled;     /* admits it refused: its cap was spent or it
				 * could not borrow (priority, weight) */
	uint64_t deferred;      /* admits of its own function refused, at any
				 * level (leafs) */
};

/* Which levels of the path sent under their guarantee (bit = level,
 * leaf = 0); filled by sched_admit, read by sched_charge. */
struct sched_grant {
	uint32_t green;
	unsigned asked;         /* frames the caller reads for (sched_frames);
				 * a read that returns fewer drained the queue.
				 * 0: unknown, only a read of none did */
};

struct sched_tree;

/*
 * Builds run-time objects for n configurations (conf[i].parent must name
 * an earlier or later index, with no loop and depth <= SCHED_MAX_DEPTH),
 * buckets full as of now_ns.  Returns NULL when out of memory or the
 * parents are invalid.  The caller owns the tree (sched_tree_free).
 */
struct sched_tree *sched_tree_build(const struct sched_conf *conf, unsigned n, uint64_t now_ns);

/* Object i of the tree, or NULL when nothing on its path caps anything
 * (then the function is unlimited and workers pay nothing). */
struct sched_obj *sched_tree_obj(struct sched_tree *t, unsigned i);

/* Adds object i's counters to *st (any thread; relaxed reads, so a
 * snapshot of counters that move on).  Unshaped objects count nothing. */
void sched_tree_stats(const struct sched_tree *t, unsigned i, struct sched_stats *st);

/* Frees the tree; no worker may still use its objects (after a grace
 * period).  NULL is fine. */
void sched_tree_free(struct sched_tree *t);

/*
 * Hot path, any worker: may the function of leaf o transmit now, and how
 * much?  Returns the byte budget (> 0) with the grant to pass to
 * sched_charge, or 0 when it must wait; then *wake_ns is when it is worth
 * asking again (CLOCK_MONOTONIC ns).  Never blocks.
 */
int64_t sched_admit(struct sched_obj *o, uint64_t now_ns, struct sched_grant *g,
		    uint64_t *wake_ns);

/* How many frames to read for a budget: budget over the average frame,
 * plus one (the debt a burst may leave), at most max. */
unsigned sched_frames(const struct sched_obj *o, int64_t budget, unsigned max);

/*
 * Hot path: the function of leaf o took frames frames of bytes bytes
 * (wire bytes: GSO frames count their segments' headers) under grant g.
 * frames 0 records that it had nothing to send (no backlog); fewer than
 * g->asked, that its queue is drained (it waits no more).
 */
void sched_charge(struct sched_obj *o, const struct sched_grant *g, uint64_t bytes,
		  unsigned frames);

/* ---- devlink's rate grammar (iproute2 get_rate64 and print_rate) ---- */

/*
 * Parses a rate as devlink does: a non-negative float with an optional
 * case-insensitive unit, bit (the default), kbit, mbit, gbit, tbit, kibit,
 * mibit, gibit, tibit, bps, kbps, mbps, gbps, tbps, kibps, mibps, gibps,
 * tibps (bps = bytes/s).  *bytes_per_s gets the rate in bytes/s,
 * truncated.  Returns 0, or -1 for anything else.
 */
int sched_rate_parse(const char *s, uint64_t *bytes_per_s);

/* Formats bytes/s as devlink prints a rate: bits/s scaled by 1000 (1024
 * with iec) while the value stays exact or is at least 1000 units,
 * "bit"/"Kbit"/"Mbit"/"Gbit"/"Tbit" ("Kibit"... with iec).  Returns buf. */
char *sched_rate_format(uint64_t bytes_per_s, bool iec, char *buf, size_t len);

#endif
