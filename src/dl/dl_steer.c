/*
 * dl_steer.c - RX steering of SF functions: ethtool -N, -n and -l.
 *
 * Rules belong to an SF port and live as long as it does, whatever its
 * state: an inactive SF keeps its rules and they apply when its vport comes
 * back (the datapath asks through dl_steer_sync()).  They live in the port
 * sorted by location, which is also their priority (ethtool's rule manager
 * puts new rules in the highest free slot, "lowest priority"), and in the
 * store as struct steer_rule blobs.  Every change is stored before the reply
 * and before the datapath sees it; a store failure leaves memory as it was.
 *
 * Messages are ethtool's own lines, joined with newlines where ethtool
 * prints two or three, so the CLI can print them as they are.
 */
#include "dl_internal.h"
#include "../dp/dp.h"
#include "../steer/steer.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(STEER_QUEUES == DP_FN_QUEUES, "one queue numbering for steer and dp");

enum op { OP_ADD, OP_DEL, OP_SHOW, OP_GET, OP_CHANNELS };

/* What ethtool prints when the driver has no ntuple (or channel) support. */
static const char *const unsupported[] = {
	[OP_ADD] = "rxclass: Cannot get RX class rule count: Operation not supported\n"
		   "Cannot insert classification rule",
	[OP_DEL] = "rmgr: Cannot delete RX class rule: Operation not supported\n"
		   "Cannot delete classification rule",
	[OP_SHOW] = "Cannot get RX rings: Operation not supported\n"
		    "rxclass: Cannot get RX class rule count: Operation not supported\n"
		    "RX classification rule retrieval failed",
	[OP_GET] = "rxclass: Cannot get RX class rule: Operation not supported\n"
		   "Cannot get RX classification rule",
	[OP_CHANNELS] = "netlink error: Operation not supported",
};

/* DEV is the SF's netdev name (reserved even while netdevs are off), its
 * representor, its port handle DEV/INDEX or its devlink instance
 * auxiliary/sfnic_core.sf.N.  Anything else that exists is not an SF. */
static int sf_port(struct dl *dl, const char *dev, enum op op, struct dl_port **pp,
		   struct dl_err *err)
{
	size_t n = strlen(dl->handle);
	struct dl_port *p = NULL;
	struct dl_name *name;

	if (!dev || !*dev)
		return dl_errf(err, ENODEV, "Cannot find device \"\"");
	if (!strncmp(dev, dl->handle, n) && dev[n] == '/') {
		char *end;
		unsigned long idx = strtoul(dev + n + 1, &end, 10);

		if (dev[n + 1] >= '0' && dev[n + 1] <= '9' && !*end && idx <= UINT32_MAX)
			p = dl_port_by_index(dl, (uint32_t)idx);
	} else if (!strncmp(dev, "auxiliary/", 10)) {
		const char *rest = NULL;

		p = dl_sf_instance_port(dl, dev, &rest);
		if (rest && strcmp(rest, "/1"))
			p = NULL;
	} else if ((name = dl_name_find(dl, dev))) {
		/* The PF's port leaves the tree in legacy mode; its name stays. */
		if (dl_port_by_index(dl, name->port->index) == name->port)
			p = name->port;
	}
	if (!p)
		return dl_errf(err, ENODEV, "Cannot find device \"%.64s\"", dev);
	if (!dl_is_sf(p))
		return dl_errf(err, EOPNOTSUPP, "%s", unsupported[op]);
	*pp = p;
	return 0;
}

void dl_steer_sync(struct dl *dl, struct dl_port *p)
{
	uint32_t dflt = DP_FN_DROP;
	int ret;

	if (!dl_is_sf(p) || !dl->dp || !dp_port_exists(dl->dp, p->index))
		return;
	if (p->aux && p->aux->eth_bound)
		dflt = DP_FN_QUEUE_NETDEV;
	else if (p->aux && p->aux->zc_bound)
		dflt = DP_FN_QUEUE_MEMIF;
	ret = dp_fn_set_steering(dl->dp, p->index, p->steer, p->nsteer, dflt);
	if (ret)
		util_log(UTIL_WARN, "steering of %s not installed: %s", p->sf_name, strerror(-ret));
}

static void sync_cb(struct dl_port *p, void *arg)
{
	dl_steer_sync(arg, p);
}

void dl_steer_sync_all(struct dl *dl)
{
	dl_port_foreach(dl, sync_cb, dl);
}

int dl_steer_flush(struct dl *dl, struct dl_port *p)
{
	free(p->steer);
	p->steer = NULL;
	p->nsteer = 0;
	return store_steer_del_fn(dl->st, p->index);
}

/* ---- restore ---- */

struct restore {
	struct dl *dl;
	uint32_t *orphans;         /* functions whose port is gone */
	size_t norphans;
};

static int restore_cb(uint32_t fn, uint32_t loc, const void *spec, size_t len, void *arg)
{
	struct restore *rs = arg;
	struct dl_port *p = dl_port_by_index(rs->dl, fn);
	struct steer_rule r, *l;

	if (!p || !dl_is_sf(p)) {
		/* Rows come in fn order: one entry per function. */
		if (rs->norphans && rs->orphans[rs->norphans - 1] == fn)
			return 0;
		uint32_t *o = realloc(rs->orphans, (rs->norphans + 1) * sizeof(*o));

		if (o) {
			o[rs->norphans++] = fn;
			rs->orphans = o;
		}
		return 0;
	}
	if (len != sizeof(r)) {
		util_log(UTIL_WARN, "stored steering rule %u of %s has an unknown layout: skipped",
			 loc, p->sf_name);
		return 0;
	}
	memcpy(&r, spec, sizeof(r));
	if (!steer_rule_valid(&r) || r.loc != loc) {
		util_log(UTIL_WARN, "stored steering rule %u of %s is invalid: skipped", loc,
			 p->sf_name);
		return 0;
	}
	/* Rows come in loc order, so appending keeps the port's list sorted. */
	l = realloc(p->steer, (p->nsteer + 1) * sizeof(*l));
	if (!l) {
		util_log(UTIL_ERR, "out of memory restoring steering rule %u of %s", loc,
			 p->sf_name);
		return 0;
	}
	l[p->nsteer++] = r;
	p->steer = l;
	return 0;
}

void dl_steer_restore(struct dl *dl)
{
	struct restore rs = { .dl = dl };

	if (store_steer_foreach(dl->st, restore_cb, &rs) < 0)
		util_log(UTIL_ERR, "cannot read stored steering rules: %s", store_errmsg(dl->st));
	/* Left behind by a daemon killed between deleting an SF and its rules. */
	for (size_t i = 0; i < rs.norphans; i++)
		(void)store_steer_del_fn(dl->st, rs.orphans[i]);
	free(rs.orphans);
	dl_steer_sync_all(dl);
}

/* ---- ethtool -N ---- */

/* ethtool's rmgr: the highest free location. */
static int free_slot(const struct dl_port *p, uint32_t *loc)
{
	int64_t cand = STEER_TABLE_SIZE - 1;

	for (unsigned i = p->nsteer; i-- > 0 && cand >= 0;) {
		if (p->steer[i].loc != cand)
			break;          /* sorted: everything above cand is taken */
		cand--;
	}
	if (cand < 0)
		return -ENOSPC;
	*loc = (uint32_t)cand;
	return 0;
}

int dl_ethtool_ntuple_add(struct dl *dl, const char *dev, int argc, const char *const *argv,
			  uint32_t *loc_out, struct dl_err *err)
{
	struct steer_rule r, *l;
	struct dl_port *p;
	unsigned at, n;
	int ret;

	if ((ret = sf_port(dl, dev, OP_ADD, &p, err)))
		return ret;
	if ((ret = steer_parse(argc, argv, &r, err->msg, sizeof(err->msg))))
		return ret;
	if (!(r.flags & STEER_F_LOC) && free_slot(p, &r.loc))
		return dl_errf(err, ENOSPC, "rmgr: Cannot find appropriate slot to insert rule\n"
				       "Cannot insert classification rule");
	for (at = 0; at < p->nsteer && p->steer[at].loc < r.loc; at++)
		;
	n = p->nsteer + !(at < p->nsteer && p->steer[at].loc == r.loc);
	l = malloc(n * sizeof(*l));
	if (!l)
		return dl_errf(err, ENOMEM, "out of memory");
	/* `loc N` on a taken slot replaces that rule, as ethtool's does. */
	if (p->nsteer) {
		memcpy(l, p->steer, at * sizeof(*l));
		memcpy(l + at + 1, p->steer + at + (n == p->nsteer), (n - at - 1) * sizeof(*l));
	}
	l[at] = r;
	if (store_steer_put(dl->st, p->index, r.loc, &r, sizeof(r))) {
		free(l);
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	}
	free(p->steer);
	p->steer = l;
	p->nsteer = n;
	dl_steer_sync(dl, p);
	*loc_out = r.loc;
	return 0;
}

static int rule_index(const struct dl_port *p, uint32_t loc)
{
	for (unsigned i = 0; i < p->nsteer; i++)
		if (p->steer[i].loc == loc)
			return (int)i;
	return -1;
}

int dl_ethtool_ntuple_del(struct dl *dl, const char *dev, uint32_t loc, struct dl_err *err)
{
	struct dl_port *p;
	int ret, i;

	if ((ret = sf_port(dl, dev, OP_DEL, &p, err)))
		return ret;
	if ((i = rule_index(p, loc)) < 0)
		return dl_errf(err, ENOENT, "rmgr: Cannot delete RX class rule: No such file or directory\n"
				       "Cannot delete classification rule");
	if (store_steer_del(dl->st, p->index, loc))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	memmove(p->steer + i, p->steer + i + 1, (p->nsteer - (unsigned)i - 1) * sizeof(*p->steer));
	if (!--p->nsteer) {
		free(p->steer);
		p->steer = NULL;
	}
	dl_steer_sync(dl, p);
	return 0;
}

/* ---- ethtool -n ---- */

static void field_json(const struct steer_field *f, void *arg)
{
	json_t *o = arg;
	char mname[48];

	json_object_set_new(o, f->name, f->num ? json_integer((json_int_t)f->value_num)
					       : json_string(f->value));
	/* Only a partly compared field has a mask, in the `m` polarity. */
	if (f->num ? f->mask_num != 0 : strcmp(f->mask, "0.0.0.0") && strcmp(f->mask, "::") &&
							strcmp(f->mask, "00:00:00:00:00:00")) {
		snprintf(mname, sizeof(mname), "%s-mask", f->name);
		json_object_set_new(o, mname, f->num ? json_integer((json_int_t)f->mask_num)
						     : json_string(f->mask));
	}
}

/* {"loc": N, "flow-type": T, FIELD: V, [FIELD-mask: M,] ..., "action": Q | "drop"},
 * the words `ethtool -N` takes to make the same rule. */
static json_t *rule_json(const struct steer_rule *r)
{
	json_t *o = json_pack("{s:I,s:s}", "loc", (json_int_t)r->loc, "flow-type",
			      steer_flow_name(r->flow_type));

	steer_fields(r, field_json, o);
	json_object_set_new(o, "action", r->action == STEER_ACTION_DROP
					 ? json_string("drop") : json_integer(r->action));
	return o;
}

static void text_add(char **text, size_t *len, const struct steer_rule *r)
{
	int n = steer_format(r, NULL, 0);
	char *t;

	if (n < 0 || !(t = realloc(*text, *len + (size_t)n + 1)))
		return;
	steer_format(r, t + *len, (size_t)n + 1);
	*text = t;
	*len += (size_t)n;
}

int dl_ethtool_ntuple_show(struct dl *dl, const char *dev, json_t **out, struct dl_err *err)
{
	struct dl_port *p;
	json_t *rules;
	char *text;
	size_t len;
	int ret;

	if ((ret = sf_port(dl, dev, OP_SHOW, &p, err)))
		return ret;
	if (asprintf(&text, "%d RX rings available\nTotal %u rules\n\n", STEER_QUEUES,
		     p->nsteer) < 0)
		return dl_errf(err, ENOMEM, "out of memory");
	len = strlen(text);
	rules = json_array();
	for (unsigned i = 0; i < p->nsteer; i++) {
		json_array_append_new(rules, rule_json(&p->steer[i]));
		text_add(&text, &len, &p->steer[i]);
	}
	*out = json_pack("{s:s,s:i,s:o,s:s}", "ifname", p->sf_name, "rings", STEER_QUEUES,
			 "rules", rules, "text", text);
	free(text);
	return 0;
}

int dl_ethtool_ntuple_get(struct dl *dl, const char *dev, uint32_t loc, json_t **out,
			  struct dl_err *err)
{
	struct dl_port *p;
	char *text = NULL;
	size_t len = 0;
	int ret, i;

	if ((ret = sf_port(dl, dev, OP_GET, &p, err)))
		return ret;
	if ((i = rule_index(p, loc)) < 0)
		return dl_errf(err, ENOENT, "rxclass: Cannot get RX class rule: No such file or directory\n"
				       "Cannot get RX classification rule");
	text_add(&text, &len, &p->steer[i]);
	*out = json_pack("{s:s,s:o,s:s}", "ifname", p->sf_name, "rule", rule_json(&p->steer[i]),
			 "text", text ? text : "");
	free(text);
	return 0;
}

/* ---- ethtool -l ---- */

int dl_ethtool_channels(struct dl *dl, const char *dev, json_t **out, struct dl_err *err)
{
	struct dl_port *p;
	unsigned cur;
	char text[512];
	int ret;

	if ((ret = sf_port(dl, dev, OP_CHANNELS, &p, err)))
		return ret;
	/* A queue exists while its driver is bound: the netdev, the memif. */
	cur = (p->aux && p->aux->eth_bound) + (p->aux && p->aux->zc_bound);
	snprintf(text, sizeof(text),
		 "Channel parameters for %s:\n"
		 "Pre-set maximums:\n"
		 "RX:\t\t%d\nTX:\t\t%d\nOther:\t\tn/a\nCombined:\tn/a\n"
		 "Current hardware settings:\n"
		 "RX:\t\t%u\nTX:\t\t%u\nOther:\t\tn/a\nCombined:\tn/a\n",
		 p->sf_name, STEER_QUEUES, STEER_QUEUES, cur, cur);
	*out = json_pack("{s:s,s:{s:i,s:i},s:{s:i,s:i},s:s}", "ifname", p->sf_name,
			 "max", "rx", STEER_QUEUES, "tx", STEER_QUEUES,
			 "current", "rx", (int)cur, "tx", (int)cur, "text", text);
	return 0;
}
