/*
 * metrics_collect.c - which sfnic_* families a scrape reports, read from
 * the devlink layer's results (see metrics.h, struct metrics_input).
 *
 * Reading the JSON the CLI prints, not the structures behind it, makes a
 * figure on /metrics the very number `sfnic -j -s port show` gives for the
 * same counter, by construction.  Each result is walked once; the writer
 * groups the samples by family.
 *
 * Labels.  A port is its devlink handle (port="sfnic/sfnic0/32768") and
 * the netdev `port show` names; side="vport" counts the port itself (the
 * wire for p0, the function for the PF and SFs), side="representor" its
 * representor in switchdev mode.  Every frame enters the eswitch through
 * exactly one side of one port, so sums over all labels mean something.
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

static uint64_t u64_at(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

static uint64_t u64_at2(const json_t *o, const char *k1, const char *k2)
{
	return u64_at(json_object_get(o, k1), k2);
}

/* ---- ports, queues, page pools ---- */

/* The counters a port side and each of its queues have under the same
 * keys (stats.DIR.FIELD, queues[].DIR.FIELD): one family for the sides and
 * one for the queues. */
static const struct {
	const char *dir, *field;
	const char *name, *help, *qname, *qhelp;
} port_counters[] = {
	{ "rx", "packets", "sfnic_port_rx_packets_total",
	  "Frames that entered the eswitch through the port: side=\"vport\" from its "
	  "host side (the wire for p0, the function for the PF and SFs), "
	  "side=\"representor\" from its representor.",
	  "sfnic_queue_rx_packets_total",
	  "Frames that entered the eswitch through the port, by worker queue." },
	{ "rx", "bytes", "sfnic_port_rx_bytes_total",
	  "Bytes of the frames that entered the eswitch through the port.",
	  "sfnic_queue_rx_bytes_total",
	  "Bytes that entered the eswitch through the port, by worker queue." },
	{ "tx", "packets", "sfnic_port_tx_packets_total",
	  "Frames the eswitch sent out through the port.",
	  "sfnic_queue_tx_packets_total", "Frames sent out through the port, by worker queue." },
	{ "tx", "bytes", "sfnic_port_tx_bytes_total",
	  "Bytes of the frames the eswitch sent out through the port.",
	  "sfnic_queue_tx_bytes_total", "Bytes sent out through the port, by worker queue." },
};

#define NCOUNTER (sizeof(port_counters) / sizeof(port_counters[0]))

struct port_fams {
	struct metrics_fam *side[NCOUNTER], *drop;
	struct metrics_fam *queue[NCOUNTER], *qdrop;
	struct metrics_fam *sfs;
};

/* The page pool stats with the kernel's names (struct page_pool_stats and
 * its netlink attributes), and sfnic's own. */
static const struct {
	const char *key, *name, *help;
	enum metrics_type type;
} pool_stats[] = {
	{ "alloc_fast", "sfnic_page_pool_alloc_fast_total",
	  "Buffers the pool gave from its cache.", METRICS_COUNTER },
	{ "alloc_slow", "sfnic_page_pool_alloc_slow_total",
	  "Buffers the pool took from its trust domain's region (the slow path).", METRICS_COUNTER },
	{ "alloc_empty", "sfnic_page_pool_alloc_empty_total",
	  "Allocations that found the cache and the recycle ring empty.", METRICS_COUNTER },
	{ "alloc_refill", "sfnic_page_pool_alloc_refill_total",
	  "Cache refills from the recycle ring.", METRICS_COUNTER },
	{ "alloc_waive", "sfnic_page_pool_alloc_waive_total",
	  "Buffers the pool passed over while refilling (a read-only tap still held them).",
	  METRICS_COUNTER },
	{ "recycle_cached", "sfnic_page_pool_recycle_cached_total",
	  "Buffers returned straight into the cache by the pool's own worker.", METRICS_COUNTER },
	{ "recycle_cache_full", "sfnic_page_pool_recycle_cache_full_total",
	  "Returns that found the cache full.", METRICS_COUNTER },
	{ "recycle_ring", "sfnic_page_pool_recycle_ring_total",
	  "Buffers returned through the recycle ring.", METRICS_COUNTER },
	{ "recycle_ring_full", "sfnic_page_pool_recycle_ring_full_total",
	  "Returns that found the recycle ring full (the buffer went back to the region).",
	  METRICS_COUNTER },
	{ "recycle_released_refcnt", "sfnic_page_pool_recycle_released_refcnt_total",
	  "Buffers released to the region instead of recycled.", METRICS_COUNTER },
	{ "cap_hit", "sfnic_page_pool_cap_hit_total",
	  "Allocations refused because the pool owned max_buffers already.", METRICS_COUNTER },
	{ "inflight", "sfnic_page_pool_inflight",
	  "Buffers out of the pool (in frames on their way), not in its cache or ring.",
	  METRICS_GAUGE },
	{ "hold", "sfnic_page_pool_hold", "Buffers the pool owns, wherever they are.",
	  METRICS_GAUGE },
	{ "max_buffers", "sfnic_page_pool_max_buffers",
	  "The most buffers the pool may own.", METRICS_GAUGE },
};

#define NPOOL (sizeof(pool_stats) / sizeof(pool_stats[0]))

static void drops(struct metrics_fam *f, struct metrics_label *l, unsigned n, const json_t *d)
{
	const char *reason;
	json_t *v;

	json_object_foreach((json_t *)d, reason, v) {
		l[n] = (struct metrics_label){ "reason", reason };
		metrics_add_u64(f, l, n + 1, json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0);
	}
}

/* One side of one port: its sums, its queues and their pools. */
static void port_side(struct metrics_set *s, struct port_fams *pf, struct metrics_fam **pool,
		      const char *handle, const char *netdev, const char *side, const json_t *st)
{
	struct metrics_label l[5] = { { "port", handle }, { "netdev", netdev }, { "side", side } };
	json_t *q;
	size_t i;

	(void)s;
	for (unsigned k = 0; k < NCOUNTER; k++)
		metrics_add_u64(pf->side[k], l, 3,
				u64_at2(st, port_counters[k].dir, port_counters[k].field));
	drops(pf->drop, l, 3, json_object_get(st, "drops"));
	json_array_foreach(json_object_get(st, "queues"), i, q) {
		char qn[16];
		json_t *pp = json_object_get(q, "page_pool");

		snprintf(qn, sizeof(qn), "%llu", (unsigned long long)u64_at(q, "queue"));
		l[3] = (struct metrics_label){ "queue", qn };
		for (unsigned k = 0; k < NCOUNTER; k++)
			metrics_add_u64(pf->queue[k], l, 4,
					u64_at2(q, port_counters[k].dir, port_counters[k].field));
		drops(pf->qdrop, l, 4, json_object_get(q, "drops"));
		for (unsigned k = 0; pp && k < NPOOL; k++)
			metrics_add_u64(pool[k], l, 4, u64_at(pp, pool_stats[k].key));
	}
}

/* SF states as devlink shows them: admin state and operational state. */
static const char *const sf_states[4][2] = {
	{ "inactive", "detached" }, { "inactive", "attached" },
	{ "active", "detached" }, { "active", "attached" },
};

static void ports(struct metrics_set *s, const json_t *ports)
{
	struct port_fams pf;
	struct metrics_fam *pool[NPOOL];
	uint64_t nsf[4] = { 0 };
	const char *h;
	json_t *p;

	/* Families come out in the order they are first asked for. */
	for (unsigned k = 0; k < NCOUNTER; k++)
		pf.side[k] = metrics_fam(s, port_counters[k].name, METRICS_COUNTER,
					 port_counters[k].help);
	pf.drop = metrics_fam(s, "sfnic_port_dropped_packets_total", METRICS_COUNTER,
			      "Frames dropped at the port, by reason "
			      "(as `sfnic -s port show` names them).");
	for (unsigned k = 0; k < NCOUNTER; k++)
		pf.queue[k] = metrics_fam(s, port_counters[k].qname, METRICS_COUNTER,
					  port_counters[k].qhelp);
	pf.qdrop = metrics_fam(s, "sfnic_queue_dropped_packets_total", METRICS_COUNTER,
			       "Frames dropped at the port, by worker queue and reason.");
	pf.sfs = metrics_fam(s, "sfnic_sfs", METRICS_GAUGE,
			     "Subfunctions by function state (admin) and opstate "
			     "(their driver attached).");
	for (unsigned k = 0; k < NPOOL; k++)
		pool[k] = metrics_fam(s, pool_stats[k].name, pool_stats[k].type, pool_stats[k].help);
	json_object_foreach(json_object_get(ports, "port"), h, p) {
		const char *nd = json_string_value(json_object_get(p, "netdev"));
		const char *fl = json_string_value(json_object_get(p, "flavour"));
		json_t *fn = json_object_get(p, "function"), *st;

		if (fl && !strcmp(fl, "pcisf")) {
			const char *a = json_string_value(json_object_get(fn, "state"));
			const char *o = json_string_value(json_object_get(fn, "opstate"));

			nsf[(a && !strcmp(a, "active")) * 2 + (o && !strcmp(o, "attached"))]++;
		}
		if ((st = json_object_get(p, "stats")))
			port_side(s, &pf, pool, h, nd, "vport", st);
		if ((st = json_object_get(p, "rep_stats")))
			port_side(s, &pf, pool, h, nd, "representor", st);
	}
	for (int i = 0; i < 4; i++) {
		struct metrics_label l[2] = { { "state", sf_states[i][0] },
					      { "opstate", sf_states[i][1] } };

		metrics_add_u64(pf.sfs, l, 2, nsf[i]);
	}
}

/* ---- flower rules ---- */

static void rules(struct metrics_set *s, const json_t *rules)
{
	struct metrics_fam *pk = metrics_fam(s, "sfnic_rule_packets_total", METRICS_COUNTER,
					     "Frames that matched the flower rule.");
	struct metrics_fam *by = metrics_fam(s, "sfnic_rule_bytes_total", METRICS_COUNTER,
					     "Bytes of the frames that matched the flower rule.");
	json_t *r;
	size_t i;

	json_array_foreach(rules, i, r) {
		json_t *opt = json_object_get(r, "options"), *a, *st = NULL;
		char chain[16], pref[16], handle[16];
		struct metrics_label l[4] = { { "dev", json_string_value(json_object_get(r, "dev")) },
					      { "chain", chain }, { "pref", pref },
					      { "handle", handle } };
		size_t k;

		/* Every action of a rule counts the same frames: the first
		 * that carries stats is the rule's. */
		json_array_foreach(json_object_get(opt, "actions"), k, a)
			if (!st)
				st = json_object_get(a, "stats");
		snprintf(chain, sizeof(chain), "%llu", (unsigned long long)u64_at(r, "chain"));
		snprintf(pref, sizeof(pref), "%llu", (unsigned long long)u64_at(r, "pref"));
		snprintf(handle, sizeof(handle), "0x%llx", (unsigned long long)u64_at(opt, "handle"));
		metrics_add_u64(pk, l, 4, u64_at(st, "packets"));
		metrics_add_u64(by, l, 4, u64_at(st, "bytes"));
	}
}

/* ---- health reporters ---- */

static void health(struct metrics_set *s, const json_t *health, const char *dev)
{
	struct metrics_fam *state = metrics_fam(s, "sfnic_health_reporter_state", METRICS_GAUGE,
		"Whether the devlink health reporter is in the state (1) or not (0).");
	struct metrics_fam *errs = metrics_fam(s, "sfnic_health_reporter_errors_total", METRICS_COUNTER,
		"Errors the devlink health reporter detected.");
	struct metrics_fam *recs = metrics_fam(s, "sfnic_health_reporter_recoveries_total",
		METRICS_COUNTER, "Successful recoveries of the devlink health reporter.");
	const char *h;
	json_t *reps;

	json_object_foreach(json_object_get(health, "health"), h, reps) {
		json_t *r;
		size_t i;

		json_array_foreach(reps, i, r) {
			const char *st = json_string_value(json_object_get(r, "state"));
			struct metrics_label l[4] = {
				{ "dev", dev }, { "port", strcmp(h, dev) ? h : NULL },
				{ "reporter", json_string_value(json_object_get(r, "reporter")) } };
			static const char *const states[] = { "healthy", "error" };

			for (int k = 0; k < 2; k++) {
				l[3] = (struct metrics_label){ "state", states[k] };
				metrics_add_u64(state, l, 4, st && !strcmp(st, states[k]));
			}
			metrics_add_u64(errs, l, 3, u64_at(r, "error"));
			metrics_add_u64(recs, l, 3, u64_at(r, "recover"));
		}
	}
}

/* ---- devlink rate ---- */

/* A rate object's figures: its attributes (every object), its shaper's
 * counters (objects with stats), and deferred (leaves only: the key is
 * there or not). */
enum rate_src { RATE_ATTR, RATE_STATS, RATE_STATS_IF_THERE };
static const struct {
	const char *key, *name, *help;
	enum metrics_type type;
	enum rate_src src;
} rate_figures[] = {
	{ "tx_max", "sfnic_rate_tx_max_bytes_per_second",
	  "The rate object's tx_max, the cap on what the functions under it send (0: none).",
	  METRICS_GAUGE, RATE_ATTR },
	{ "tx_share", "sfnic_rate_tx_share_bytes_per_second",
	  "The rate object's tx_share, its guaranteed rate (0: none).", METRICS_GAUGE, RATE_ATTR },
	{ "tx_priority", "sfnic_rate_tx_priority",
	  "The rate object's strict priority among its siblings (higher first).", METRICS_GAUGE,
	  RATE_ATTR },
	{ "tx_weight", "sfnic_rate_tx_weight",
	  "The rate object's weight within its priority (0 counts as 1).", METRICS_GAUGE,
	  RATE_ATTR },
	{ "sent_bytes", "sfnic_rate_sent_bytes_total",
	  "Bytes (on the wire) the shaper let the functions under the object send; functions "
	  "with no tx_max on their path are not shaped and not counted.", METRICS_COUNTER,
	  RATE_STATS },
	{ "sent_packets", "sfnic_rate_sent_packets_total",
	  "Frames the shaper let the functions under the object send.", METRICS_COUNTER,
	  RATE_STATS },
	{ "throttled", "sfnic_rate_throttled_total",
	  "Reads of a function's transmit queue this object refused: its tx_max budget was "
	  "spent, or it could not borrow from its parent (priority, weight).", METRICS_COUNTER,
	  RATE_STATS },
	{ "deferred", "sfnic_rate_deferred_total",
	  "Reads of this leaf's function deferred by the shaper, at whatever level.",
	  METRICS_COUNTER, RATE_STATS_IF_THERE },
};

#define NRATE (sizeof(rate_figures) / sizeof(rate_figures[0]))

static void rates(struct metrics_set *s, const json_t *rates)
{
	struct metrics_fam *fam[NRATE];
	const char *h;
	json_t *o;

	for (unsigned k = 0; k < NRATE; k++)
		fam[k] = metrics_fam(s, rate_figures[k].name, rate_figures[k].type,
				     rate_figures[k].help);
	json_object_foreach(json_object_get(rates, "rate"), h, o) {
		json_t *st = json_object_get(o, "stats");
		struct metrics_label l[3] = {
			{ "object", h }, { "kind", json_string_value(json_object_get(o, "type")) },
			{ "parent", json_string_value(json_object_get(o, "parent")) } };

		for (unsigned k = 0; k < NRATE; k++) {
			const json_t *from = rate_figures[k].src == RATE_ATTR ? o : st;

			if (!from || (rate_figures[k].src == RATE_STATS_IF_THERE &&
				      !json_object_get(from, rate_figures[k].key)))
				continue;
			metrics_add_u64(fam[k], l, 3, u64_at(from, rate_figures[k].key));
		}
	}
}

void metrics_collect(struct metrics_set *s, const struct metrics_input *in)
{
	if (in->ports)
		ports(s, in->ports);
	if (in->rules)
		rules(s, in->rules);
	if (in->health)
		health(s, in->health, in->dev ? in->dev : "");
	if (in->rates)
		rates(s, in->rates);
}
