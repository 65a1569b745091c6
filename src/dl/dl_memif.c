/*
 * dl_memif.c - the zc driver's memif server per SF, its access params and
 * its counters.
 *
 * A server exists while the sfnic_core.zc driver is bound to the SF and the
 * SF's vport is in the datapath, named after the SF's netdev (reserved even
 * when netdevs are off).  The SF devlink instance's runtime params zc_owner
 * (UID[:GID]) and zc_secret decide who may connect; both are durable.
 */
#include "dl_internal.h"
#include "../dp/dp.h"
#include "../memif/memif.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dl_attach_memif(struct dl *dl, struct memif_hub *hub)
{
	dl->memif = hub;
	dl_memif_sync_all(dl);
}

/* "UID[:GID]" into acc; false when it is not that. */
static bool parse_owner(const char *s, struct memif_access *acc)
{
	char *end;
	unsigned long uid, gid;

	acc->owner_set = false;
	acc->gid = (gid_t)-1;
	if (!s[0])
		return true;
	uid = strtoul(s, &end, 10);
	if (end == s || uid > 0x7fffffff)
		return false;
	if (*end == ':') {
		const char *g = end + 1;

		gid = strtoul(g, &end, 10);
		if (end == g || gid > 0x7fffffff)
			return false;
		acc->gid = (gid_t)gid;
	}
	if (*end)
		return false;
	acc->owner_set = true;
	acc->uid = (uid_t)uid;
	return true;
}

bool dl_memif_owner_uid(const struct dl_port *p, uid_t *uid)
{
	struct memif_access acc;

	if (!parse_owner(p->zc_owner, &acc) || !acc.owner_set)
		return false;
	*uid = acc.uid;
	return true;
}

bool dl_memif_owner_valid(const char *s)
{
	struct memif_access acc;

	return parse_owner(s, &acc);
}

static void access_of(const struct dl_port *p, struct memif_access *acc)
{
	memset(acc, 0, sizeof(*acc));
	if (!parse_owner(p->zc_owner, acc))
		acc->owner_set = false;
	snprintf(acc->secret, sizeof(acc->secret), "%s", p->zc_secret);
}

void dl_memif_sync(struct dl *dl, struct dl_port *p)
{
	struct dl_sf_aux *a = p->aux;
	bool want = dl->memif && a && a->zc_bound && dl->dp && dp_port_exists(dl->dp, p->index);

	if (!a)
		return;
	if (want && !a->memif) {
		struct memif_access acc;
		char err[256];

		access_of(p, &acc);
		a->memif = memif_srv_create(dl->memif, p->index, p->sf_name, &acc, err, sizeof(err));
		if (!a->memif)
			util_log(UTIL_WARN, "%s", err);
	} else if (!want && a->memif) {
		char why[64];

		if (dl->closing)
			snprintf(why, sizeof(why), "Device closed");
		else if (!p->state)
			snprintf(why, sizeof(why), "Function inactive");
		else
			snprintf(why, sizeof(why), "%s unbound", a->zc.name);
		memif_srv_destroy(a->memif, why);
		a->memif = NULL;
	}
}

static void sync_cb(struct dl_port *p, void *arg)
{
	if (dl_is_sf(p))
		dl_memif_sync(arg, p);
}

void dl_memif_sync_all(struct dl *dl)
{
	dl_port_foreach(dl, sync_cb, dl);
}

void dl_memif_access_changed(struct dl *dl, struct dl_port *p)
{
	struct memif_access acc;

	(void)dl;
	if (!p->aux || !p->aux->memif)
		return;
	access_of(p, &acc);
	memif_srv_set_access(p->aux->memif, &acc);
}

const char *dl_memif_path(const struct dl_port *p)
{
	return p->aux && p->aux->memif ? memif_srv_path(p->aux->memif) : NULL;
}

static json_t *dir_json(uint64_t packets, uint64_t bytes)
{
	return json_pack("{s:I,s:I}", "packets", (json_int_t)packets, "bytes", (json_int_t)bytes);
}

/* The memif interface's counters: the function queue's (rx: what the
 * client sent into the eswitch, tx: what steering gave it, drops by
 * reason) and, per queue pair, memif's own. */
json_t *dl_memif_stats_json(struct dl *dl, const struct dl_port *p)
{
	struct memif_qstats q[MEMIF_MAX_QUEUE_PAIRS];
	struct memif_srv_info info;
	struct dp_qstats st;
	json_t *o, *drops, *queues;
	unsigned n;

	if (!p->aux || !p->aux->memif || !dl->dp ||
	    dp_fn_queue_stats(dl->dp, p->index, DP_FN_QUEUE_MEMIF, &st))
		return NULL;
	n = memif_srv_info(p->aux->memif, &info, q, MEMIF_MAX_QUEUE_PAIRS);
	drops = json_object();
	for (unsigned d = 0; d < DP_DROP_MAX; d++)
		json_object_set_new(drops, dp_drop_names[d], json_integer((json_int_t)st.drops[d]));
	queues = json_array();
	for (unsigned k = 0; k < n && k < MEMIF_MAX_QUEUE_PAIRS; k++)
		json_array_append_new(queues, json_pack(
			"{s:o,s:o,s:I,s:I,s:I,s:I}",
			"rx", dir_json(q[k].rx_packets, q[k].rx_bytes),
			"tx", dir_json(q[k].tx_packets, q[k].tx_bytes),
			"invalid_desc", (json_int_t)q[k].invalid_desc,
			"ring_full", (json_int_t)q[k].ring_full,
			"bad_ring", (json_int_t)q[k].bad_ring,
			"too_long", (json_int_t)q[k].too_long));
	o = json_pack("{s:b,s:o,s:o,s:o,s:o,s:I,s:I}", "connected", info.connected,
		      "rx", dir_json(st.rx_packets, st.rx_bytes),
		      "tx", dir_json(st.tx_packets, st.tx_bytes), "drops", drops, "queues", queues,
		      "connects", (json_int_t)info.connects, "refused", (json_int_t)info.refused);
	if (info.connected)
		json_object_set_new(o, "client", json_pack("{s:s,s:s,s:i,s:i,s:i,s:i,s:i}",
			"name", info.client_name, "if_name", info.client_if, "pid", (int)info.pid,
			"uid", (int)info.uid, "c2s_rings", (int)info.nc2s, "s2c_rings",
			(int)info.ns2c, "ring_size", 1 << info.log2_ring));
	return o;
}
