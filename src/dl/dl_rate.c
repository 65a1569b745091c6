/*
 * dl_rate.c - devlink rate: leafs of the PF and SF ports, nodes the user
 * creates, and the shaper they configure (src/sched).
 *
 * A leaf exists while its port does (PF and SF ports, as they appear in
 * `port show`) and is named DEV/PORT_INDEX; a node is DEV/NAME, NAME not a
 * decimal number, created by `rate add`.  Objects with settings live in a
 * list here and in the store's rate table (leafs by their port index in
 * decimal), written before the reply; a leaf's settings go with its port.
 * Every change rebuilds the whole run-time tree and hands each leaf's
 * object to the datapath (dp_fn_set_rate), then frees the old tree after a
 * grace period: changes are rare, and a tree that never changes once
 * published needs no locks in the workers.
 *
 * Errors are the kernel's (net/devlink/rate.c): an unknown object or parent
 * is a bare ENODEV, as the kernel gives no message; loops, self-parenting
 * and deleting a parent carry its extack text.
 */
#include "dl_internal.h"
#include "../dp/dp.h"
#include "../sched/sched.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE_NAME_MAX 63

struct rate_obj {
	struct store_rate s;    /* name: a node's, or the leaf's port index */
	uint32_t port;          /* leafs */
	struct sched_stats base;        /* counted by trees already freed */
};

struct dl_rates {
	struct rate_obj *v;
	unsigned n;
	struct sched_tree *tree;        /* what the datapath uses now */
	char (*tree_names)[64];         /* the tree's objects, by index */
	unsigned tree_n;
};

static struct dl_rates *rates(struct dl *dl)
{
	if (!dl->rate)
		dl->rate = calloc(1, sizeof(struct dl_rates));
	return dl->rate;
}

static bool is_decimal(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* A leaf's port: PF and SF ports that `port show` lists. */
static bool leaf_port(struct dl *dl, uint32_t idx)
{
	struct dl_port *p = dl_port_by_index(dl, idx);

	return p && (p->flavour == DL_FLAVOUR_PCI_PF || p->flavour == DL_FLAVOUR_PCI_SF);
}

static struct rate_obj *find(struct dl_rates *r, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].s.name, name))
			return &r->v[i];
	return NULL;
}

static struct rate_obj *find_node(struct dl_rates *r, const char *name)
{
	struct rate_obj *o = find(r, name);

	return o && o->s.node ? o : NULL;
}

static int split_handle(struct dl *dl, const char *h, const char **name);

/* ---- the run-time tree ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void dl_rate_apply(struct dl *dl)
{
	struct dl_rates *r = rates(dl);
	struct sched_conf *conf;
	struct sched_tree *t, *old;
	char (*names)[64];

	if (!r || !dl->dp)
		return;
	conf = calloc(r->n ? r->n : 1, sizeof(*conf));
	if (!conf) {
		util_log(UTIL_ERR, "rate: out of memory, shaping unchanged");
		return;
	}
	for (unsigned i = 0; i < r->n; i++) {
		const struct store_rate *s = &r->v[i].s;
		struct rate_obj *p = s->parent[0] ? find_node(r, s->parent) : NULL;

		conf[i] = (struct sched_conf){ .tx_share = s->tx_share, .tx_max = s->tx_max,
					       .tx_priority = s->tx_priority,
					       .tx_weight = s->tx_weight,
					       .parent = p ? (int)(p - r->v) : SCHED_NO_PARENT };
	}
	t = sched_tree_build(conf, r->n, now_ns());
	free(conf);
	names = calloc(r->n ? r->n : 1, sizeof(*names));
	if (!t || !names) {
		util_log(UTIL_ERR, "rate: cannot build the scheduler tree, shaping unchanged");
		sched_tree_free(t);
		free(names);
		return;
	}
	for (unsigned i = 0; i < r->n; i++) {
		memcpy(names[i], r->v[i].s.name, sizeof(names[i]));
		if (!r->v[i].s.node)
			(void)dp_fn_set_rate(dl->dp, r->v[i].port, sched_tree_obj(t, i));
	}
	old = r->tree;
	r->tree = t;
	dp_sched_sync(dl->dp);  /* no worker sees the old tree any more */
	/* Its counts are final now: they carry over to the objects that
	 * live on, so a change of settings never resets a counter. */
	for (unsigned i = 0; i < r->tree_n; i++) {
		struct rate_obj *o = find(r, r->tree_names[i]);

		if (o)
			sched_tree_stats(old, i, &o->base);
	}
	free(r->tree_names);
	r->tree_names = names;
	r->tree_n = r->n;
	sched_tree_free(old);
}

/* The counters of o: what freed trees counted plus the live tree's. */
static struct sched_stats obj_stats(struct dl_rates *r, const struct rate_obj *o)
{
	struct sched_stats st = o->base;
	unsigned i = (unsigned)(o - r->v);

	if (i >= r->tree_n || strcmp(r->tree_names[i], o->s.name))
		for (i = 0; i < r->tree_n && strcmp(r->tree_names[i], o->s.name); i++)
			;
	sched_tree_stats(r->tree, i, &st);      /* i == tree_n: nothing */
	return st;
}

void dl_rate_stats_add(struct dl *dl, json_t *result)
{
	struct dl_rates *r = rates(dl);
	const char *h, *name;
	json_t *v;

	json_object_foreach(json_object_get(result, "rate"), h, v) {
		struct rate_obj *o = r && !split_handle(dl, h, &name) ? find(r, name) : NULL;
		struct sched_stats st = o ? obj_stats(r, o) : (struct sched_stats){ 0 };
		json_t *j = json_pack("{s:I,s:I,s:I}", "sent_bytes", (json_int_t)st.sent_bytes,
				      "sent_packets", (json_int_t)st.sent_packets,
				      "throttled", (json_int_t)st.throttled);

		if (!o || !o->s.node)
			json_object_set_new(j, "deferred", json_integer((json_int_t)st.deferred));
		json_object_set_new(v, "stats", j);
	}
}

/* ---- show ---- */

static json_t *obj_json(const struct store_rate *s)
{
	json_t *o = json_pack("{s:s}", "type", s->node ? "node" : "leaf");

	/* Zero is "unlimited" or "unset": devlink leaves it out. */
	if (s->tx_share)
		json_object_set_new(o, "tx_share", json_integer((json_int_t)s->tx_share));
	if (s->tx_max)
		json_object_set_new(o, "tx_max", json_integer((json_int_t)s->tx_max));
	if (s->tx_priority)
		json_object_set_new(o, "tx_priority", json_integer(s->tx_priority));
	if (s->tx_weight)
		json_object_set_new(o, "tx_weight", json_integer(s->tx_weight));
	if (s->parent[0])
		json_object_set_new(o, "parent", json_string(s->parent));
	return o;
}

struct leaf_walk {
	struct dl *dl;
	struct dl_rates *r;
	json_t *out;
};

static void leaf_json(struct dl_port *p, void *arg)
{
	struct leaf_walk *w = arg;
	struct store_rate dflt = { 0 };
	struct rate_obj *o;
	char h[96];

	if (p->flavour != DL_FLAVOUR_PCI_PF && p->flavour != DL_FLAVOUR_PCI_SF)
		return;
	snprintf(dflt.name, sizeof(dflt.name), "%u", p->index);
	o = find(w->r, dflt.name);
	dl_port_handle(w->dl, p, h, sizeof(h));
	json_object_set_new(w->out, h, obj_json(o ? &o->s : &dflt));
}

/* What DEV/X names: *name gets X (a node's name or a port index).  Returns
 * 0, or -ENODEV for another device or a missing "/X". */
static int split_handle(struct dl *dl, const char *h, const char **name)
{
	size_t n = strlen(dl->handle);

	if (!h || strncmp(h, dl->handle, n) || h[n] != '/' || !h[n + 1])
		return -ENODEV;
	*name = h + n + 1;
	return 0;
}

/* The object DEV/X names, as the kernel finds it: X decimal is a leaf (its
 * port must exist), else a node.  *leaf_idx gets the port of a leaf, whose
 * settings may not exist yet (*o NULL). */
static int lookup(struct dl *dl, const char *h, struct rate_obj **o, bool *is_leaf,
		  uint32_t *leaf_idx)
{
	struct dl_rates *r = rates(dl);
	const char *name;
	char *end;
	unsigned long idx;

	if (!r)
		return -ENOMEM;
	if (split_handle(dl, h, &name))
		return -ENODEV;
	if (is_decimal(name)) {
		idx = strtoul(name, &end, 10);
		if (idx > UINT32_MAX || !leaf_port(dl, (uint32_t)idx))
			return -ENODEV;
		*is_leaf = true;
		*leaf_idx = (uint32_t)idx;
		*o = find(r, name);
		return 0;
	}
	*is_leaf = false;
	*o = find_node(r, name);
	return *o ? 0 : -ENODEV;
}

int dl_rate_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err)
{
	struct dl_rates *r = rates(dl);
	struct leaf_walk w = { dl, r, json_object() };
	char h[128];

	(void)err;
	if (!r) {
		json_decref(w.out);
		return -ENOMEM;
	}
	if (handle) {
		struct rate_obj *o;
		struct store_rate dflt = { 0 };
		uint32_t idx;
		bool leaf;
		int ret = lookup(dl, handle, &o, &leaf, &idx);

		if (ret) {
			json_decref(w.out);
			return ret;
		}
		json_object_set_new(w.out, handle, obj_json(o ? &o->s : &dflt));
	} else {
		dl_port_foreach(dl, leaf_json, &w);
		for (unsigned i = 0; i < r->n; i++)
			if (r->v[i].s.node) {
				snprintf(h, sizeof(h), "%s/%s", dl->handle, r->v[i].s.name);
				json_object_set_new(w.out, h, obj_json(&r->v[i].s));
			}
	}
	*out = json_pack("{s:o}", "rate", w.out);
	return 0;
}

/* ---- set / add / del ---- */

static void emit(struct dl *dl, const char *cmd, const char *handle, const struct store_rate *s)
{
	json_t *msg;

	if (!dl->notify || dl->restoring)
		return;
	msg = json_pack("{s:{s:o}}", "rate", handle, obj_json(s));
	dl->notify(dl->notify_arg, "rate", cmd, msg);
	json_decref(msg);
}

/* Levels from o down to its deepest descendant (1: no children). */
static unsigned height(struct dl_rates *r, const struct store_rate *o, unsigned guard)
{
	unsigned h = 1;

	if (!o->node || guard > SCHED_MAX_DEPTH + 1)
		return h;
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].s.parent, o->name)) {
			unsigned c = 1 + height(r, &r->v[i].s, guard + 1);

			h = c > h ? c : h;
		}
	return h;
}

/* Applies req to s (a copy), with the kernel's parent checks. */
static int update(struct dl *dl, struct store_rate *s, const struct dl_rate_req *req,
		  struct dl_err *err)
{
	struct dl_rates *r = rates(dl);

	if (req->tx_share >= 0)
		s->tx_share = (uint64_t)req->tx_share;
	if (req->tx_max >= 0)
		s->tx_max = (uint64_t)req->tx_max;
	if (req->tx_priority >= 0)
		s->tx_priority = (uint32_t)req->tx_priority;
	if (req->tx_weight >= 0)
		s->tx_weight = (uint32_t)req->tx_weight;
	if (s->tx_max && s->tx_share > s->tx_max)
		return dl_errf(err, EINVAL, "Invalid. Expected tx_share <= tx_max or tx_share == 0.");
	if (req->parent && !req->parent[0]) {
		s->parent[0] = 0;
	} else if (req->parent) {
		struct rate_obj *p = find_node(r, req->parent);
		unsigned depth = 1;

		if (!p)
			return -ENODEV;
		if (s->node && !strcmp(p->s.name, s->name))
			return dl_errf(err, EINVAL, "Parent to self is not allowed");
		for (struct rate_obj *a = p; a; a = a->s.parent[0] ? find_node(r, a->s.parent) : NULL) {
			if (s->node && !strcmp(a->s.name, s->name))
				return dl_errf(err, EEXIST, "Node is already a parent of parent node.");
			if (++depth > SCHED_MAX_DEPTH + 1)
				break;
		}
		if (depth - 1 + height(r, s, 0) > SCHED_MAX_DEPTH)
			return dl_errf(err, EOPNOTSUPP, "Rate hierarchy deeper than %d levels is not supported",
				       SCHED_MAX_DEPTH);
		snprintf(s->parent, sizeof(s->parent), "%s", p->s.name);
	}
	return 0;
}

/* Stores s and puts it in the list (replacing the object of that name). */
static int commit(struct dl *dl, const struct store_rate *s, uint32_t port, struct dl_err *err)
{
	struct dl_rates *r = rates(dl);
	struct rate_obj *o = find(r, s->name), *v;

	if (!o) {
		v = realloc(r->v, (r->n + 1) * sizeof(*v));
		if (!v)
			return dl_errf(err, ENOMEM, "out of memory");
		r->v = v;
	}
	if (store_rate_put(dl->st, s))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	if (!o)
		*(o = &r->v[r->n++]) = (struct rate_obj){ 0 };
	o->s = *s;
	o->port = port;
	dl_rate_apply(dl);
	return 0;
}

int dl_rate_set(struct dl *dl, const char *handle, const struct dl_rate_req *req,
		struct dl_err *err)
{
	struct store_rate s = { 0 };
	struct rate_obj *o;
	uint32_t idx = 0;
	bool leaf;
	int ret;

	if ((ret = lookup(dl, handle, &o, &leaf, &idx)))
		return ret;
	if (o)
		s = o->s;
	else
		snprintf(s.name, sizeof(s.name), "%u", idx);
	if ((ret = update(dl, &s, req, err)) || (ret = commit(dl, &s, idx, err)))
		return ret;
	emit(dl, "new", handle, &s);
	return 0;
}

int dl_rate_add(struct dl *dl, const char *handle, const struct dl_rate_req *req,
		struct dl_err *err)
{
	struct dl_rates *r = rates(dl);
	struct store_rate s = { .node = 1 };
	const char *name;
	int ret;

	if (!r)
		return -ENOMEM;
	if (split_handle(dl, handle, &name))
		return -ENODEV;
	/* The kernel: "Name cannot be empty or decimal number". */
	if (is_decimal(name) || strchr(name, '/'))
		return -EINVAL;
	if (find(r, name))
		return -EEXIST;
	if (strlen(name) > RATE_NAME_MAX)
		return dl_errf(err, ENAMETOOLONG, "Rate node name longer than %d characters",
			       RATE_NAME_MAX);
	snprintf(s.name, sizeof(s.name), "%s", name);
	if ((ret = update(dl, &s, req, err)) || (ret = commit(dl, &s, 0, err)))
		return ret;
	emit(dl, "new", handle, &s);
	return 0;
}

static void forget(struct dl *dl, struct rate_obj *o)
{
	struct dl_rates *r = rates(dl);

	*o = r->v[--r->n];
	dl_rate_apply(dl);
}

int dl_rate_del(struct dl *dl, const char *handle, struct dl_err *err)
{
	struct dl_rates *r = rates(dl);
	struct rate_obj *o;
	const char *name;

	if (!r)
		return -ENOMEM;
	if (split_handle(dl, handle, &name))
		return -ENODEV;
	if (is_decimal(name))
		return -EINVAL;         /* leafs go with their ports */
	if (!(o = find_node(r, name)))
		return -ENODEV;
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].s.parent, name))
			return dl_errf(err, EBUSY, "Node has children. Cannot delete node.");
	if (store_rate_del(dl->st, name))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	emit(dl, "del", handle, &o->s);
	forget(dl, o);
	return 0;
}

bool dl_rate_nodes_exist(struct dl *dl)
{
	struct dl_rates *r = rates(dl);

	for (unsigned i = 0; r && i < r->n; i++)
		if (r->v[i].s.node)
			return true;
	return false;
}

/* ---- port lifetime, restore, teardown ---- */

void dl_rate_port_gone(struct dl *dl, struct dl_port *p)
{
	struct dl_rates *r = dl->rate;
	char name[16];
	struct rate_obj *o;

	snprintf(name, sizeof(name), "%u", p->index);
	if (!r || !(o = find(r, name)))
		return;
	if (store_rate_del(dl->st, name))
		util_log(UTIL_ERR, "rate: cannot forget leaf %s: %s", name, store_errmsg(dl->st));
	if (dl->dp)
		(void)dp_fn_set_rate(dl->dp, p->index, NULL);
	forget(dl, o);
}

static int restore_cb(const struct store_rate *s, void *arg)
{
	struct dl *dl = arg;
	struct dl_rates *r = rates(dl);
	struct rate_obj *v;
	uint32_t idx = 0;

	if (!s->node) {
		char *end;
		unsigned long i = strtoul(s->name, &end, 10);

		/* A leaf of a port that is gone (a kill -9 between deleting
		 * the port and its leaf): forget it. */
		if (!is_decimal(s->name) || i > UINT32_MAX || !leaf_port(dl, (uint32_t)i)) {
			(void)store_rate_del(dl->st, s->name);
			return 0;
		}
		idx = (uint32_t)i;
	}
	v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	r->v = v;
	r->v[r->n++] = (struct rate_obj){ .s = *s, .port = idx };
	return 0;
}

void dl_rate_restore(struct dl *dl)
{
	struct dl_rates *r = rates(dl);

	if (!r || store_rate_foreach(dl->st, restore_cb, dl) < 0)
		util_log(UTIL_ERR, "cannot read stored rate objects: %s", store_errmsg(dl->st));
	/* A parent that is not a node (the store was edited) is no parent. */
	for (unsigned i = 0; r && i < r->n; i++)
		if (r->v[i].s.parent[0] && !find_node(r, r->v[i].s.parent))
			r->v[i].s.parent[0] = 0;
	dl_rate_apply(dl);
}

void dl_rate_destroy(struct dl *dl)
{
	struct dl_rates *r = dl->rate;

	if (!r)
		return;
	if (dl->dp && r->tree) {
		for (unsigned i = 0; i < r->n; i++)
			if (!r->v[i].s.node)
				(void)dp_fn_set_rate(dl->dp, r->v[i].port, NULL);
		dp_sched_sync(dl->dp);
	}
	sched_tree_free(r->tree);
	free(r->tree_names);
	free(r->v);
	free(r);
	dl->rate = NULL;
}
