/*
 * dl_zc.c - the devlink layer's side of the zero-copy channel: which port
 * an application names, who owns it, when its queues must close, and their
 * counters in `port show -s`.
 */
#include "dl_internal.h"
#include "../dp/dp.h"
#include "../zc/zc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int resolve(void *arg, const char *name, struct zc_port *out, char *err, size_t errlen)
{
	struct dl *dl = arg;
	struct dl_port *p = NULL;
	size_t n = strlen(dl->handle);
	struct dl_name *dn;

	memset(out, 0, sizeof(*out));
	if (!strcmp(name, "p0")) {
		p = &dl->uplink;
	} else if (!strcmp(name, "pf0")) {
		p = &dl->pf;
	} else if (!strncmp(name, dl->handle, n) && name[n] == '/') {
		char *end;
		unsigned long idx = strtoul(name + n + 1, &end, 10);

		if (!*end && end != name + n + 1)
			p = dl_port_by_index(dl, (uint32_t)idx);
	} else if ((dn = dl_name_find(dl, name))) {
		p = dn->port;
		if (p != &dl->uplink && p != &dl->pf && !dn->is_sf) {
			snprintf(err, errlen, "%s is a representor: name the function's own port", name);
			return -ENODEV;
		}
	}
	if (!p) {
		snprintf(err, errlen, "Cannot find port \"%s\"", name);
		return -ENODEV;
	}
	out->is_sf = p != &dl->uplink && p != &dl->pf;
	out->vport = p == &dl->uplink ? DP_VPORT_UPLINK : p->index;
	snprintf(out->name, sizeof(out->name), "%s", out->is_sf ? p->sf_name : name);
	if (p == &dl->pf)
		snprintf(out->name, sizeof(out->name), "pf0");
	else if (p == &dl->uplink)
		snprintf(out->name, sizeof(out->name), "p0");
	/* An SF's vport exists from port add on: activity is the function's. */
	if (!dl->dp || !dp_port_exists(dl->dp, out->vport) || (out->is_sf && !p->state)) {
		snprintf(err, errlen, "%s is not active", out->name);
		return -ENODEV;
	}
	out->zc_bound = out->is_sf && p->aux && p->aux->zc_bound;
	out->owner_set = dl_memif_owner_uid(p, &out->owner_uid);
	return 0;
}

struct zc_srv *dl_zc_create(struct dl *dl, struct dp *dp, const char *run_dir, zc_watch_fn watch,
			    void *loop, char *err, size_t errlen)
{
	dl->zc = zc_srv_create(dp, run_dir, resolve, dl, watch, loop, err, errlen);
	return dl->zc;
}

void dl_zc_destroy(struct dl *dl)
{
	if (!dl)
		return;         /* the daemon failed before its devlink layer existed */
	zc_srv_destroy(dl->zc);
	dl->zc = NULL;
}

void dl_zc_port_gone(struct dl *dl, struct dl_port *p)
{
	zc_srv_port_gone(dl->zc, p->index);
}

static json_t *dir_json(uint64_t packets, uint64_t bytes)
{
	return json_pack("{s:I,s:I}", "packets", (json_int_t)packets, "bytes", (json_int_t)bytes);
}

json_t *dl_zc_stats_json(struct dl *dl, uint32_t vport)
{
	struct zc_queue_info q[64];
	static const char *const modes[] = { "exclusive", "single", "shared" };
	unsigned n = zc_srv_queues(dl->zc, vport, q, 64);
	json_t *a;

	if (!n)
		return NULL;
	a = json_array();
	for (unsigned i = 0; i < n && i < 64; i++)
		json_array_append_new(a, json_pack(
			"{s:i,s:s,s:i,s:i,s:I,s:o,s:I,s:I,s:o,s:I,s:I,s:I,s:i}",
			"queue", (int)q[i].queue, "mode", modes[q[i].mode], "pid", (int)q[i].pid,
			"uid", (int)q[i].uid, "domain", (json_int_t)q[i].domain,
			"delivered", dir_json(q[i].st.rx_frames, q[i].st.rx_bytes),
			"zerocopy", (json_int_t)q[i].st.rx_zerocopy,
			"copied", (json_int_t)q[i].st.rx_copied,
			"transmitted", dir_json(q[i].st.tx_frames, q[i].st.tx_bytes),
			"invalid_desc", (json_int_t)q[i].st.invalid_desc,
			"overruns", (json_int_t)q[i].st.overruns,
			"bad_ring", (json_int_t)q[i].st.bad_ring,
			"outstanding", (int)q[i].st.outstanding));
	return a;
}
