/*
 * dl_filter.c - tc flower rules on representors, datapath stats, and the
 * mapping from user-facing names to datapath ports.
 *
 * Rules reach the device as SET/DELETE_FLOW_TABLE_ENTRY commands and are
 * stored (not their counters) before the reply, like every other change.
 * They live as long as their representor: deleting an SF or leaving
 * switchdev mode removes the rules on it, as unregistering a netdev removes
 * its filters.
 */
#include "dl_internal.h"
#include "../dp/dp.h"
#include "../nd/nd.h"
#include "../tc/tc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TC_PRIO_FIRST 49152     /* tc's first automatic prio */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool switchdev(const struct dl *dl)
{
	return dl->esw.mode != DEV_ESW_LEGACY;
}

int dl_dp_port(struct dl *dl, const char *h, uint32_t *vport, bool *rep)
{
	size_t n = strlen(dl->handle);
	struct dl_name *name;
	char *end;

	if (!strncmp(h, dl->handle, n) && h[n] == '/') {
		unsigned long idx = strtoul(h + n + 1, &end, 10);

		if (*end || !dl_port_by_index(dl, (uint32_t)idx))
			return -ENODEV;
		*vport = (uint32_t)idx;
		*rep = false;
		return dl->dp && dp_port_exists(dl->dp, *vport) ? 0 : -ENODEV;
	}
	name = dl_name_find(dl, h);
	if (!name && strlen(h) < DL_IFNAMSIZ) {
		/* A phys_port_name ("p0", "pf0sf88") stands for the vport itself. */
		char rn[2 * DL_IFNAMSIZ];

		snprintf(rn, sizeof(rn), "%sn%s", dl->devname, h);
		name = dl_name_find(dl, rn);
		if (!name || name->is_sf || !dl_port_by_index(dl, name->port->index))
			return -ENODEV;
		*vport = name->port->index;
		*rep = false;
		return dl->dp && dp_port_exists(dl->dp, *vport) ? 0 : -ENODEV;
	}
	if (!name || !dl_port_by_index(dl, name->port->index))
		return -ENODEV;
	*vport = name->port->index;
	*rep = false;
	if (!strcmp(h, dl->devname))
		*vport = DEV_FN_PF;     /* the PF's own netdev */
	else if (!name->is_sf) {
		if (!switchdev(dl))
			return -ENODEV; /* representors exist in switchdev mode only */
		*rep = true;
	}
	return dl->dp && dp_port_exists(dl->dp, *vport) ? 0 : -ENODEV;
}

/* Filters hang on representors: resolve a name to the vport it stands for. */
static int resolve_rep(void *arg, const char *name, uint32_t *vport)
{
	struct dl *dl = arg;
	bool rep;
	int ret;

	if (!dl_tun_vport(dl, name, vport))
		return 0;       /* a tunnel port: rules and redirects name it */
	ret = dl_dp_port(dl, name, vport, &rep);
	if (ret)
		return ret;
	return rep || strchr(name, '/') ? 0 : -ENODEV;
}

static const char *rep_name(void *arg, uint32_t vport)
{
	struct dl_port *p = dl_port_by_index(arg, vport);

	if (!p)
		return dl_tun_name(arg, vport);
	return p->rep_name[0] ? p->rep_name : NULL;
}

/* SET_FLOW_TABLE_ENTRY; *synd gets the syndrome when given. */
static uint8_t fte_set(struct dl *dl, const struct esw_rule_spec *s, uint16_t op_mod,
		       uint32_t *synd)
{
	struct dev_set_fte_in *in = malloc(sizeof(*in));        /* 1.4 KiB: not on a stack */
	struct dev_set_fte_out out = { 0 };
	uint8_t st;

	if (!in)
		return DEV_STAT_NO_RESOURCES;
	*in = (struct dev_set_fte_in){ .hdr.opcode = DEV_CMD_SET_FLOW_TABLE_ENTRY,
				       .hdr.op_mod = op_mod, .spec = *s };
	st = dl_cmd(dl, in, sizeof(*in), &out, sizeof(out));
	free(in);
	if (synd)
		*synd = out.hdr.syndrome;
	return st;
}

static int fte_del(struct dl *dl, const struct esw_rule_spec *s)
{
	struct dev_del_fte_in in = { .hdr.opcode = DEV_CMD_DELETE_FLOW_TABLE_ENTRY, .dev = s->dev,
				     .chain = s->chain, .prio = s->prio, .handle = s->handle };
	struct dev_del_fte_out out;

	return dl_cmd(dl, &in, sizeof(in), &out, sizeof(out));
}

/* A stored rule's spec.  A rule of another layout is refused (false, with
 * a log line), never read as this one: its keys and actions would land in
 * the wrong fields. */
static bool rule_from_blob(const void *blob, size_t len, struct esw_rule_spec *s)
{
	struct esw_rule_blob b;

	if (len != sizeof(b)) {
		util_log(UTIL_WARN, "stored rule of %zu bytes not restored: not the rule layout %u "
			 "of this daemon (%zu bytes); add it again", len, ESW_RULE_LAYOUT, sizeof(b));
		return false;
	}
	memcpy(&b, blob, sizeof(b));
	if (b.magic != ESW_RULE_MAGIC || b.layout != ESW_RULE_LAYOUT || b.size != sizeof(b.spec)) {
		util_log(UTIL_WARN, "stored rule of layout %u (%u bytes) not restored: this daemon "
			 "reads layout %u (%zu bytes); add it again",
			 b.magic == ESW_RULE_MAGIC ? b.layout : 1, b.size, ESW_RULE_LAYOUT,
			 sizeof(b.spec));
		return false;
	}
	*s = b.spec;
	return true;
}

/* Gives the device a stored rule; one it refuses (its port is gone) is
 * logged and left out. */
static void restore_spec(struct dl *dl, const struct esw_rule_spec *s)
{
	uint8_t st = fte_set(dl, s, 0, NULL);

	if (st != DEV_STAT_OK)
		util_log(UTIL_WARN, "stored rule on vport 0x%x prio %u handle %u not restored: %s",
			 s->dev, s->prio, s->handle, dev_status_str(st));
}

static int restore_rule(const void *blob, size_t len, void *arg)
{
	struct esw_rule_spec s;

	if (rule_from_blob(blob, len, &s))
		restore_spec(arg, &s);
	return 0;
}

/* Stores a rule the device took, in the versioned blob. */
static int store_rule(struct dl *dl, const struct esw_rule_spec *s)
{
	struct esw_rule_blob b = { .magic = ESW_RULE_MAGIC, .layout = ESW_RULE_LAYOUT,
				   .size = sizeof(b.spec), .spec = *s };
	uint32_t id[4] = { s->dev, s->chain, s->prio, s->handle };

	return store_rule_put(dl->st, id, &b, sizeof(b));
}

struct dp *dl_datapath(struct dl *dl)
{
	return dl->dp;
}

void dl_attach_dp(struct dl *dl, struct dp *dp)
{
	dl->dp = dp;
	dl_tun_restore(dl);     /* tunnel ports before the rules on them */
	if (dp && store_rule_foreach(dl->st, restore_rule, dl) < 0)
		util_log(UTIL_ERR, "cannot read stored rules: %s", store_errmsg(dl->st));
	dl_steer_sync_all(dl);  /* SF vports that exist get their steering */
	dl_rate_apply(dl);      /* and functions their shaping */
}

/* ---- filter add / replace / del / show ---- */

/* Handles flower picks itself: the lowest free one, searched this far. */
#define ESW_AUTO_HANDLES 65536

struct scan {
	uint32_t dev, chain, prio;
	uint32_t min_prio;
	bool any;
	const struct esw_rule_spec *spec;       /* the rule being added */
	bool dup_key, other_proto;
	uint8_t used[(ESW_AUTO_HANDLES + 7) / 8];       /* handles taken in (chain, prio) */
	struct esw_rule_spec *list;
	size_t n, cap;
	const struct tc_sel *sel;
};

static void scan_auto(const struct esw_rule *r, void *arg)
{
	const struct esw_rule_spec *s = esw_rule_spec(r);
	struct scan *sc = arg;

	if (s->dev != sc->dev || s->chain != sc->chain)
		return;
	if (!sc->any || s->prio < sc->min_prio)
		sc->min_prio = s->prio;
	sc->any = true;
	if (s->prio != sc->prio)
		return;
	if (s->handle && s->handle <= ESW_AUTO_HANDLES)
		sc->used[(s->handle - 1) / 8] |= (uint8_t)(1u << ((s->handle - 1) % 8));
	if (sc->spec && s->handle != sc->spec->handle) {
		struct esw_key k = sc->spec->key, m = sc->spec->mask;

		/* The classifier stores in_port and chain exact; compare alike. */
		k.in_port = s->key.in_port, k.chain = s->key.chain;
		m.in_port = s->mask.in_port, m.chain = s->mask.chain;
		for (size_t w = 0; w < sizeof(k) / sizeof(uint64_t); w++)
			((uint64_t *)&k)[w] &= ((uint64_t *)&m)[w];
		if (!memcmp(&m, &s->mask, sizeof(m)) && !memcmp(&k, &s->key, sizeof(k)))
			sc->dup_key = true;
	}
	if (sc->spec && (s->mask.eth_type != sc->spec->mask.eth_type ||
			 (s->key.eth_type & s->mask.eth_type) !=
			 (sc->spec->key.eth_type & sc->spec->mask.eth_type)))
		sc->other_proto = true;
}

/*
 * filter add and replace.  tc's defaults: without a pref, a new pref just
 * below the chain's lowest (49152 in an empty chain); without a handle,
 * flower's lowest free handle from 1 in that pref.  add refuses an existing
 * handle; replace swaps the rule of an existing handle (counters reset, as
 * tc's new actions start at zero) and otherwise adds.
 */
static int filter_set(struct dl *dl, int argc, const char *const *argv, bool replace,
		      struct dl_err *err)
{
	struct esw_rule_spec s;
	struct scan *sc;
	bool exists;
	uint32_t synd = 0;
	uint8_t st;
	int ret;

	if (!dl->dp)
		return dl_errf(err, EOPNOTSUPP, "no datapath");
	ret = tc_flower_parse(argc, argv, &s, resolve_rep, dl, err->msg, sizeof(err->msg));
	if (ret)
		return ret;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return dl_errf(err, ENOMEM, "out of memory");
	sc->dev = s.dev;
	sc->chain = s.chain;
	sc->prio = s.prio;
	dp_rule_foreach(dl->dp, scan_auto, sc);
	if (s.prio == TC_PRIO_AUTO) {
		s.prio = sc->any ? (sc->min_prio > 1 ? sc->min_prio - 1 : 1) : TC_PRIO_FIRST;
		memset(sc->used, 0, sizeof(sc->used));
	}
	sc->prio = s.prio;
	sc->spec = &s;
	sc->dup_key = sc->other_proto = false;
	dp_rule_foreach(dl->dp, scan_auto, sc);
	exists = s.handle && dp_rule_find(dl->dp, s.dev, s.chain, s.prio, s.handle);
	if (!s.handle) {
		for (uint32_t h = 1; h <= ESW_AUTO_HANDLES && !s.handle; h++)
			if (!(sc->used[(h - 1) / 8] & (1u << ((h - 1) % 8))))
				s.handle = h;
	}
	ret = 0;
	if (sc->other_proto)
		ret = dl_errf(err, EINVAL, "Filter with specified priority/protocol not found");
	else if (exists && !replace)
		ret = dl_errf(err, EEXIST, "Filter already exists");
	else if (sc->dup_key)
		ret = dl_errf(err, EEXIST, "%s", "");   /* flower: EEXIST without a message */
	else if (!s.handle)
		ret = dl_errf(err, ENOSPC, "No free handle in pref %u", s.prio);
	free(sc);
	if (ret)
		return ret;
	ret = dl_tun_check_rule(dl, &s, err);
	if (ret)
		return ret;
	st = fte_set(dl, &s, exists ? DEV_FTE_OP_MOD_REPLACE : 0, &synd);
	if (st == DEV_STAT_BAD_PARAM && exists && synd == DEV_SYND_FTE_REPLACE_MASK)
		return dl_errf(err, EINVAL, "%s", "");  /* fl_check_assign_mask: no message */
	if (st == DEV_STAT_BAD_PARAM && !exists &&
	    dp_rule_find(dl->dp, s.dev, s.chain, s.prio, s.handle))
		return dl_errf(err, EEXIST, "Filter already exists");
	if (st == DEV_STAT_EXCEED_LIM)
		return dl_errf(err, ENOSPC, "Too many distinct masks (at most %d)", ESW_MAX_MASKS);
	if (st != DEV_STAT_OK)
		return dl_errf(err, dev_status_to_errno(st), "device refused the rule (status %s)",
			       dev_status_str(st));
	if (store_rule(dl, &s)) {
		if (!exists)
			(void)fte_del(dl, &s);
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	}
	dl_tun_rule_added(dl);
	return 0;
}

int dl_filter_add(struct dl *dl, int argc, const char *const *argv, struct dl_err *err)
{
	return filter_set(dl, argc, argv, false, err);
}

int dl_filter_replace(struct dl *dl, int argc, const char *const *argv, struct dl_err *err)
{
	return filter_set(dl, argc, argv, true, err);
}

static bool selected(const struct tc_sel *sel, const struct esw_rule_spec *s)
{
	return s->dev == sel->dev && (sel->chain < 0 || s->chain == sel->chain) &&
	       (sel->prio < 0 || s->prio == sel->prio) &&
	       (sel->handle < 0 || s->handle == sel->handle);
}

static void collect(const struct esw_rule *r, void *arg)
{
	const struct esw_rule_spec *s = esw_rule_spec(r);
	struct scan *sc = arg;

	if (sc->sel && !selected(sc->sel, s))
		return;
	if (!sc->sel && s->dev != sc->dev)
		return;
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 16;
		struct esw_rule_spec *l = realloc(sc->list, cap * sizeof(*l));

		if (!l)
			return;
		sc->list = l;
		sc->cap = cap;
	}
	sc->list[sc->n++] = *s;
}

/* Parses a del/show selector into sc->sel and collects the rules it names. */
static int select_rules(struct dl *dl, int argc, const char *const *argv, struct scan *sc,
			struct dl_err *err)
{
	struct tc_sel *sel = (struct tc_sel *)sc->sel;
	int ret;

	if (!dl->dp)
		return dl_errf(err, EOPNOTSUPP, "no datapath");
	ret = tc_sel_parse(argc, argv, sel, resolve_rep, dl, err->msg, sizeof(err->msg));
	if (ret)
		return ret;
	dp_rule_foreach(dl->dp, collect, sc);
	return 0;
}

static int delete_list(struct dl *dl, struct scan *sc, struct dl_err *err)
{
	int ret = 0;

	for (size_t i = 0; i < sc->n; i++) {
		uint32_t id[4] = { sc->list[i].dev, sc->list[i].chain, sc->list[i].prio,
				   sc->list[i].handle };

		(void)fte_del(dl, &sc->list[i]);
		if (store_rule_del(dl->st, id) && !ret)
			ret = dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	}
	free(sc->list);
	return ret;
}

int dl_filter_del(struct dl *dl, int argc, const char *const *argv, struct dl_err *err)
{
	struct tc_sel sel;
	struct scan sc = { .sel = &sel };
	int ret = select_rules(dl, argc, argv, &sc, err);

	if (ret)
		return ret;
	if (!sc.n && (sel.prio >= 0 || sel.handle >= 0)) {
		free(sc.list);
		return dl_errf(err, ENOENT, "Filter with specified priority/protocol not found");
	}
	return delete_list(dl, &sc, err);
}

void dl_filter_flush_dev(struct dl *dl, uint32_t dev)
{
	struct scan sc = { .dev = dev };
	struct dl_err err;

	if (!dl->dp)
		return;
	dp_rule_foreach(dl->dp, collect, &sc);
	(void)delete_list(dl, &sc, &err);
	(void)store_rule_del_dev(dl->st, dev);
}

int dl_filter_show(struct dl *dl, int argc, const char *const *argv, bool stats, json_t **out,
		   struct dl_err *err)
{
	struct tc_sel sel;
	struct scan sc = { .sel = &sel };
	uint64_t now = mono_ms();
	json_t *arr;
	int ret = select_rules(dl, argc, argv, &sc, err);

	if (ret)
		return ret;
	arr = json_array();
	for (size_t i = 0; i < sc.n; i++) {
		const struct esw_rule_spec *s = &sc.list[i];
		const struct esw_rule *r = dp_rule_find(dl->dp, s->dev, s->chain, s->prio, s->handle);
		struct esw_act_stats st[ESW_MAX_ACTIONS] = { 0 };

		for (unsigned a = 0; r && a < s->nact; a++)
			esw_act_counters(r, a, &st[a]);
		json_array_append_new(arr, tc_rule_json(s, rep_name, dl, stats ? st : NULL, now));
	}
	free(sc.list);
	*out = arr;
	return 0;
}

struct list_walk {
	struct dl *dl;
	json_t *arr;
	uint64_t now;
};

static void list_one(const struct esw_rule *r, void *arg)
{
	struct list_walk *w = arg;
	const struct esw_rule_spec *s = esw_rule_spec(r);
	const char *dev = rep_name(w->dl, s->dev);
	struct esw_act_stats st[ESW_MAX_ACTIONS];
	json_t *j;

	for (unsigned a = 0; a < s->nact && a < ESW_MAX_ACTIONS; a++)
		esw_act_counters(r, a, &st[a]);
	j = tc_rule_json(s, rep_name, w->dl, st, w->now);
	json_object_set_new(j, "dev", dev ? json_string(dev) : json_sprintf("0x%x", s->dev));
	json_array_append_new(w->arr, j);
}

int dl_filter_list(struct dl *dl, json_t **out, struct dl_err *err)
{
	struct list_walk w = { dl, NULL, mono_ms() };

	if (!dl->dp)
		return dl_errf(err, EOPNOTSUPP, "no datapath");
	w.arr = json_array();
	dp_rule_foreach(dl->dp, list_one, &w);
	*out = w.arr;
	return 0;
}

/* ---- datapath stats of one port ---- */

static json_t *qstats_json(const struct dp_qstats *q)
{
	json_t *drops = json_object();

	for (int i = 0; i < DP_DROP_MAX; i++)
		json_object_set_new(drops, dp_drop_names[i], json_integer((json_int_t)q->drops[i]));
	return json_pack("{s:{s:I,s:I},s:{s:I,s:I},s:o}",
			 "rx", "packets", (json_int_t)q->rx_packets, "bytes", (json_int_t)q->rx_bytes,
			 "tx", "packets", (json_int_t)q->tx_packets, "bytes", (json_int_t)q->tx_bytes,
			 "drops", drops);
}

json_t *dl_pool_json(const struct pp_stats *p)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			 "alloc_fast", (json_int_t)p->alloc_fast, "alloc_slow", (json_int_t)p->alloc_slow,
			 "alloc_empty", (json_int_t)p->alloc_empty,
			 "alloc_refill", (json_int_t)p->alloc_refill,
			 "alloc_waive", (json_int_t)p->alloc_waive,
			 "recycle_cached", (json_int_t)p->recycle_cached,
			 "recycle_cache_full", (json_int_t)p->recycle_cache_full,
			 "recycle_ring", (json_int_t)p->recycle_ring,
			 "recycle_ring_full", (json_int_t)p->recycle_ring_full,
			 "recycle_released_refcnt", (json_int_t)p->recycle_released_refcnt,
			 "inflight", (json_int_t)p->inflight, "hold", (json_int_t)p->hold,
			 "max_buffers", (json_int_t)p->max_buffers, "cap_hit", (json_int_t)p->cap_hit);
}

/* {"stats": {...sums...}, "queues": [{"queue": 0, ...counters, "page_pool": {}}]} */
json_t *dl_dp_stats_json(struct dl *dl, uint32_t vport, bool rep)
{
	struct dp_qstats sum = { 0 };
	json_t *queues = json_array();

	for (unsigned q = 0; dl->dp && q < dp_nqueues(dl->dp); q++) {
		struct dp_qstats st;
		struct pp_stats ps;
		bool has;
		json_t *j;

		if (dp_queue_stats(dl->dp, vport, rep, q, &st, &ps, &has))
			break;
		sum.rx_packets += st.rx_packets;
		sum.rx_bytes += st.rx_bytes;
		sum.tx_packets += st.tx_packets;
		sum.tx_bytes += st.tx_bytes;
		for (int i = 0; i < DP_DROP_MAX; i++)
			sum.drops[i] += st.drops[i];
		j = qstats_json(&st);
		json_object_set_new(j, "queue", json_integer(q));
		if (has)
			json_object_set_new(j, "page_pool", dl_pool_json(&ps));
		json_array_append_new(queues, j);
	}
	json_t *o = qstats_json(&sum);

	json_object_set_new(o, "queues", queues);
	return o;
}

/* Receive coalescing into a netdev (nd_gro.h) goes with the stats of the
 * side it receives from: frames merged, and the segments they carried. */
static void gro_add(json_t *st, const struct nd_tap *t)
{
	struct nd_gro_stats g;

	if (!st || !t)
		return;
	nd_tap_gro_stats(t, &g);
	json_object_set_new(st, "gro", json_pack("{s:I,s:I}", "frames", (json_int_t)g.frames,
						 "segments", (json_int_t)g.segments));
}

void dl_port_stats_add(struct dl *dl, json_t *result)
{
	json_t *ports = json_object_get(result, "port"), *v, *zs;
	const char *h;
	size_t n = strlen(dl->handle);

	json_object_foreach(ports, h, v) {
		char *end;
		unsigned long idx;

		if (strncmp(h, dl->handle, n) || h[n] != '/') {
			struct dl_port *sf = dl_sf_instance_port(dl, h, NULL);
			json_t *ms = sf ? dl_memif_stats_json(dl, sf) : NULL;

			if (ms)
				json_object_set_new(v, "memif_stats", ms);
			continue;
		}
		idx = strtoul(h + n + 1, &end, 10);
		if (*end || !dl->dp || !dp_port_exists(dl->dp, (uint32_t)idx))
			continue;
		struct dl_port *p = dl_port_by_index(dl, (uint32_t)idx);
		json_t *st = dl_dp_stats_json(dl, (uint32_t)idx, false);

		gro_add(st, p ? p->nd[DL_ND_OWN] : NULL);
		json_object_set_new(v, "stats", st);
		if ((zs = dl_zc_stats_json(dl, (uint32_t)idx)))
			json_object_set_new(v, "zc_stats", zs);
		if (switchdev(dl)) {
			st = dl_dp_stats_json(dl, (uint32_t)idx, true);
			gro_add(st, p ? p->nd[DL_ND_REP] : NULL);
			json_object_set_new(v, "rep_stats", st);
		}
	}
}

/* ---- reload from durable state (devlink health fw_fatal) ---- */

struct reload_rules {
	struct esw_rule_spec *stored, *extra;
	size_t n, cap, nextra, extra_cap;
	bool nomem;
};

static int id_cmp(const void *a, const void *b)
{
	const struct esw_rule_spec *x = a, *y = b;
	const uint32_t kx[4] = { x->dev, x->chain, x->prio, x->handle };
	const uint32_t ky[4] = { y->dev, y->chain, y->prio, y->handle };

	for (int i = 0; i < 4; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

static bool append(struct esw_rule_spec **v, size_t *n, size_t *cap,
		   const struct esw_rule_spec *s)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct esw_rule_spec *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return false;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *s;
	return true;
}

static int stored_rule(const void *blob, size_t len, void *arg)
{
	struct reload_rules *rr = arg;
	struct esw_rule_spec s;

	if (rule_from_blob(blob, len, &s) && !append(&rr->stored, &rr->n, &rr->cap, &s))
		rr->nomem = true;
	return 0;
}

static void unstored_rule(const struct esw_rule *r, void *arg)
{
	struct reload_rules *rr = arg;
	const struct esw_rule_spec *s = esw_rule_spec(r);

	if ((!rr->n || !bsearch(s, rr->stored, rr->n, sizeof(*s), id_cmp)) &&
	    !append(&rr->extra, &rr->nextra, &rr->extra_cap, s))
		rr->nomem = true;
}

int dl_filter_reload(struct dl *dl, unsigned *added, unsigned *removed)
{
	struct reload_rules rr = { 0 };
	int ret = 0;

	*added = *removed = 0;
	if (!dl->dp)
		return 0;
	if (store_rule_foreach(dl->st, stored_rule, &rr) < 0)
		ret = -EIO;
	if (!ret && rr.n)
		qsort(rr.stored, rr.n, sizeof(*rr.stored), id_cmp);
	if (!ret)
		dp_rule_foreach(dl->dp, unstored_rule, &rr);
	if (!ret && rr.nomem)
		ret = -ENOMEM;
	/* Rules are compared by identity: a rule's content changes only by
	 * add and del, each stored before or undone after the device saw it. */
	for (size_t i = 0; !ret && i < rr.nextra; i++)
		if (fte_del(dl, &rr.extra[i]) == DEV_STAT_OK)
			(*removed)++;
	for (size_t i = 0; !ret && i < rr.n; i++) {
		const struct esw_rule_spec *s = &rr.stored[i];

		if (dp_rule_find(dl->dp, s->dev, s->chain, s->prio, s->handle))
			continue;
		/* As at start, a rule of a port that is gone stays out. */
		restore_spec(dl, s);
		if (dp_rule_find(dl->dp, s->dev, s->chain, s->prio, s->handle))
			(*added)++;
	}
	free(rr.stored);
	free(rr.extra);
	return ret;
}
