/*
 * dl_core.c - devlink instance, port registry, restore, eswitch, resources,
 * params and reload.
 */
#include "dl_internal.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DL_DEFAULT_MAX_SFS 1024u
static const char *const res_names[DEV_NUM_CONTROLLERS] = {
	"max_local_SFs", "max_external_SFs"
};

int dl_errf(struct dl_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

uint8_t dl_cmd(struct dl *dl, const void *in, size_t inlen, void *out, size_t outlen)
{
	struct timespec t0, t1;
	uint8_t st;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = dev_cmd_exec(dl->dev, in, inlen, out, outlen);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec -
	     (uint64_t)t0.tv_nsec;
	/* The fw health reporter hears of failures and slow commands. */
	if (st != DEV_STAT_OK || ns > 100000000u)
		dl_health_cmd_done(dl, in, st, outlen >= sizeof(struct dev_cmd_out_hdr) ?
				   ((const struct dev_cmd_out_hdr *)out)->syndrome : 0, ns);
	return st;
}

uint8_t dl_fn_cmd(struct dl *dl, uint16_t opcode, uint32_t fn_id)
{
	struct dev_fn_in in = { .hdr.opcode = opcode, .fn_id = fn_id };
	struct dev_fn_out out;

	return dl_cmd(dl, &in, sizeof(in), &out, sizeof(out));
}

bool dl_is_sf(const struct dl_port *p) { return p->flavour == DL_FLAVOUR_PCI_SF; }

static int port_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct dl_port *)a)->index;
	uint32_t y = ((const struct dl_port *)b)->index;

	return x < y ? -1 : x > y;
}

struct dl_port *dl_port_by_index(struct dl *dl, uint32_t index)
{
	struct dl_port probe = { .index = index };
	void **slot = tfind(&probe, &dl->ports, port_cmp);

	return slot ? *slot : NULL;
}

struct walk {
	void (*fn)(struct dl_port *p, void *arg);
	void *arg;
};

static void walk_cb(const void *node, VISIT which, void *closure)
{
	struct walk *w = closure;

	if (which == postorder || which == leaf)
		w->fn(*(struct dl_port *const *)node, w->arg);
}

void dl_port_foreach(struct dl *dl, void (*fn)(struct dl_port *p, void *arg), void *arg)
{
	struct walk w = { fn, arg };

	twalk_r(dl->ports, walk_cb, &w);
}

void dl_port_handle(const struct dl *dl, const struct dl_port *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u", dl->handle, p->index);
}

int dl_persist_port(struct dl *dl, const struct dl_port *p)
{
	struct store_port sp = {
		.index = p->index, .controller = p->controller, .sfnum = p->sfnum,
		.pfnum = p->pfnum, .state = p->state, .unbound = p->unbound,
		.enable_eth = p->enable_eth, .enable_zc = p->enable_zc,
		.applied_eth = p->applied_eth, .applied_zc = p->applied_zc,
		.aux_id = p->state ? p->aux_id : 0,
	};

	memcpy(sp.hw_addr, p->hw_addr, sizeof(sp.hw_addr));
	memcpy(sp.rep_name, p->rep_name, sizeof(sp.rep_name));
	memcpy(sp.sf_name, p->sf_name, sizeof(sp.sf_name));
	memcpy(sp.netns, p->netns, sizeof(sp.netns));
	memcpy(sp.zc_owner, p->zc_owner, sizeof(sp.zc_owner));
	memcpy(sp.zc_secret, p->zc_secret, sizeof(sp.zc_secret));
	return store_port_put(dl->st, &sp);
}

void dl_emit_port(struct dl *dl, const char *cmd, const struct dl_port *p)
{
	char h[64];
	json_t *msg, *ports;

	if (!dl->notify || dl->restoring)
		return;
	dl_port_handle(dl, p, h, sizeof(h));
	ports = json_object();
	json_object_set_new(ports, h, !strcmp(cmd, "del") ? json_object()
							  : dl_json_port(dl, p));
	msg = json_pack("{s:o}", "port", ports);
	dl->notify(dl->notify_arg, "port", cmd, msg);
	json_decref(msg);
}

void dl_set_notify(struct dl *dl, dl_notify_fn fn, void *arg)
{
	dl->notify = fn;
	dl->notify_arg = arg;
}

int dl_process_events(struct dl *dl)
{
	struct dev_eqe eqe;
	int n = 0;

	while (dev_eq_poll(dl->dev, &eqe)) {
		if (eqe.type == DEV_EVENT_FAULT) {
			dl_health_fault_event(dl, &eqe);
			n++;
			continue;
		}
		n += dl_sf_handle_event(dl, &eqe);
	}
	return n;
}

uint32_t dl_sf_count(const struct dl *dl) { return dl->nsf[0] + dl->nsf[1]; }

int dl_port_insert(struct dl *dl, struct dl_port *p)
{
	void **slot = tsearch(p, &dl->ports, port_cmp);

	if (!slot)
		return -ENOMEM;
	return *slot == p ? 0 : -EEXIST;
}

void dl_port_remove(struct dl *dl, struct dl_port *p)
{
	tdelete(p, &dl->ports, port_cmp);
}

static int set_caps(struct dl *dl, const uint32_t max[DEV_NUM_CONTROLLERS])
{
	struct dev_query_hca_cap_in qin = { .hdr.opcode = DEV_CMD_QUERY_HCA_CAP };
	struct dev_query_hca_cap_out qout;
	struct dev_set_hca_cap_in in = { .hdr.opcode = DEV_CMD_SET_HCA_CAP };
	struct dev_set_hca_cap_out out;

	if (dl_cmd(dl, &qin, sizeof(qin), &qout, sizeof(qout)) != DEV_STAT_OK)
		return -EIO;
	in.cap = qout.cap;
	for (unsigned c = 0; c < DEV_NUM_CONTROLLERS; c++)
		in.cap.max_sfs[c] = max[c];
	return -dev_status_to_errno(dl_cmd(dl, &in, sizeof(in), &out, sizeof(out)));
}

static int set_esw(struct dl *dl, const struct dev_esw_mode *esw)
{
	struct dev_set_esw_mode_in in = { .hdr.opcode = DEV_CMD_SET_ESW_MODE, .esw = *esw };
	struct dev_set_esw_mode_out out;

	return -dev_status_to_errno(dl_cmd(dl, &in, sizeof(in), &out, sizeof(out)));
}

/* The PF's port (and its representor) exists in switchdev mode only. */
static void pf_port_sync(struct dl *dl)
{
	bool want = dl->esw.mode != DEV_ESW_LEGACY;
	bool have = dl_port_by_index(dl, dl->pf.index) != NULL;

	if (want && !have && dl_port_insert(dl, &dl->pf) == 0)
		dl_emit_port(dl, "new", &dl->pf);
	else if (!want && have) {
		dl_emit_port(dl, "del", &dl->pf);
		dl_port_remove(dl, &dl->pf);
	}
}

static int64_t kv(struct dl *dl, const char *key, int64_t dflt)
{
	int64_t v;

	return store_kv_get(dl->st, key, &v) == 1 ? v : dflt;
}

static int restore_cb(const struct store_port *sp, void *arg)
{
	void **a = arg;

	return dl_sf_restore(a[0], sp, a[1]);
}

static int restore(struct dl *dl, struct dl_err *err)
{
	uint32_t size[DEV_NUM_CONTROLLERS];
	void *args[2] = { dl, err };
	int ret;

	for (unsigned c = 0; c < DEV_NUM_CONTROLLERS; c++) {
		char key[32];

		snprintf(key, sizeof(key), "size_%u", c);
		size[c] = (uint32_t)kv(dl, key, DL_DEFAULT_MAX_SFS);
		snprintf(key, sizeof(key), "size_new_%u", c);
		dl->size_new[c] = (uint32_t)kv(dl, key, size[c]);
	}
	if (set_caps(dl, size))
		return dl_errf(err, EIO, "stored SF table sizes %u/%u are invalid",
			       size[0], size[1]);
	memcpy(dl->size, size, sizeof(size));
	dl->esw = (struct dev_esw_mode){
		.mode = (uint8_t)kv(dl, "esw_mode", DEV_ESW_LEGACY),
		.inline_mode = (uint8_t)kv(dl, "esw_inline_mode", DEV_INLINE_NONE),
		.encap_mode = (uint8_t)kv(dl, "esw_encap_mode", DEV_ENCAP_NONE),
	};
	if (set_esw(dl, &dl->esw))
		return dl_errf(err, EIO, "stored eswitch mode is invalid");
	if (dl_pf_restore(dl))
		return dl_errf(err, EIO, "stored PF hw_addr is invalid");
	pf_port_sync(dl);
	dl->restoring = true;
	ret = store_port_foreach(dl->st, restore_cb, args);
	dl_process_events(dl);
	dl->restoring = false;
	if (ret == 0) {
		dl_steer_restore(dl);   /* SF ports exist now */
		dl_rate_restore(dl);    /* and so do the leafs' ports */
	}
	if (ret < 0 && !err->msg[0])
		dl_errf(err, EIO, "cannot read stored ports: %s", store_errmsg(dl->st));
	return ret < 0 ? ret : 0;
}

static void init_fixed_port(struct dl *dl, struct dl_port *p, uint8_t flavour,
			    uint32_t index, const char *ppn_suffix)
{
	memset(p, 0, sizeof(*p));
	p->flavour = flavour;
	p->index = index;
	snprintf(p->rep_name, sizeof(p->rep_name), "%.*sn%s",
		 (int)(DL_IFNAMSIZ - 2 - strlen(ppn_suffix)), dl->devname, ppn_suffix);
	(void)dl_name_reserve(dl, p->rep_name, p, false);
}

struct dl *dl_create(struct dev *d, struct aux_bus *bus, struct store *st,
		     const char *devname, struct dl_err *err)
{
	struct dl *dl;

	if (!dl_name_valid(devname) || strlen(devname) > 8) {
		dl_errf(err, EINVAL, "invalid device name \"%s\" (1-8 characters)", devname);
		return NULL;
	}
	dl = calloc(1, sizeof(*dl));
	if (!dl) {
		dl_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	dl->dev = d;
	dl->bus = bus;
	dl->st = st;
	snprintf(dl->devname, sizeof(dl->devname), "%s", devname);
	snprintf(dl->handle, sizeof(dl->handle), "sfnic/%s", devname);
	init_fixed_port(dl, &dl->uplink, DL_FLAVOUR_PHYSICAL, DEV_VPORT_UPLINK, "p0");
	init_fixed_port(dl, &dl->pf, DL_FLAVOUR_PCI_PF, DEV_FN_PF, "pf0");
	/* The PF's own netdev carries the device's name. */
	(void)dl_name_reserve(dl, dl->devname, &dl->uplink, false);
	if (dl_port_insert(dl, &dl->uplink) || dl_sf_register_drivers(dl)) {
		dl_errf(err, ENOMEM, "cannot register the SF drivers");
		goto fail;
	}
	if (restore(dl, err))
		goto fail;
	dl->health = dl_health_create(dl);
	if (!dl->health) {
		dl_errf(err, ENOMEM, "out of memory");
		goto fail;
	}
	return dl;
fail:
	dl_destroy(dl);
	return NULL;
}

static void detach_sf(struct dl_port *p, void *arg)
{
	struct dl *dl = arg;

	if (!dl_is_sf(p))
		return;
	dl_sf_aux_teardown(dl, p);
}

/* The tree holds the fixed ports too, which live inside struct dl. */
static void free_port(void *node)
{
	struct dl_port *p = node;

	if (dl_is_sf(p)) {
		free(p->steer);
		free(p);
	}
}

void dl_destroy(struct dl *dl)
{
	if (!dl)
		return;
	dl_rate_destroy(dl);     /* out of the datapath while it runs */
	dl_tun_destroy(dl);
	dl_health_destroy(dl->health);
	dl->health = NULL;
	dl_netdev_disable(dl);
	dl->closing = true;     /* memif clients hear "Device closed" */
	dl_port_foreach(dl, detach_sf, dl);
	tdestroy(dl->ports, free_port);
	dl_names_destroy(dl);
	free(dl);
}

/* ---- dev show / info / eswitch ---- */

static json_t *wrap(const char *key, const char *handle, json_t *val)
{
	json_t *inner = json_object(), *o = json_object();

	json_object_set_new(inner, handle, val);
	json_object_set_new(o, key, inner);
	return o;
}

static void add_sf_dev(struct dl_port *p, void *arg)
{
	json_t *devs = arg;

	if (dl_is_sf(p) && p->aux && p->aux->inst_up) {
		char h[64];

		dl_sf_inst_handle(p, h, sizeof(h));
		json_object_set_new(devs, h, json_object());
	}
}

/* Resolves a device handle: NULL for sfnic/<dev>, the port for an SF's
 * nested instance.  Returns 0 or -ENODEV. */
static int resolve_dev(struct dl *dl, const char *handle, struct dl_port **sf)
{
	const char *rest = NULL;

	*sf = NULL;
	if (!strcmp(handle, dl->handle))
		return 0;
	*sf = dl_sf_instance_port(dl, handle, &rest);
	return *sf && !rest ? 0 : -ENODEV;
}

int dl_dev_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err)
{
	json_t *devs = json_object();
	struct dl_port *sf;

	(void)err;
	if (handle) {
		if (resolve_dev(dl, handle, &sf)) {
			json_decref(devs);
			return -ENODEV;
		}
		json_object_set_new(devs, handle, json_object());
	} else {
		json_object_set_new(devs, dl->handle, json_object());
		dl_port_foreach(dl, add_sf_dev, devs);
	}
	*out = json_pack("{s:o}", "dev", devs);
	return 0;
}

static json_t *info_of(const struct dl *dl, const struct dl_port *sf)
{
	uint32_t uid, pid;
	json_t *j;

	if (sf)
		return json_pack("{s:s,s:s%,s:{s:{},s:{s:s},s:{}}}",
				 "driver", DL_AUX_MOD ".sf",
				 "serial_number", sf->aux->sf.name, strlen(sf->aux->sf.name),
				 "versions", "fixed", "running", "fw.version", "1.0.0",
				 "stored");
	j = json_pack("{s:s,s:s,s:{s:{s:s},s:{s:s,s:i},s:{}}}",
		      "driver", "sfnic", "serial_number", dl->devname,
		      "versions", "fixed", "board.id", "SFNIC-SW",
		      "running", "fw.version", "1.0.0", "fw.cmd_if", DEV_CMD_IF_VERSION,
		      "stored");
	/* As the kernel's TAINT_FWCTL: a debug write through sfnicctl, and who. */
	if (dev_tainted(dl->dev, &uid, &pid))
		json_object_set_new(j, "tainted", json_sprintf("fwctl pid %u uid %u", pid, uid));
	return j;
}

static void add_sf_info(struct dl_port *p, void *arg)
{
	void **a = arg;

	if (dl_is_sf(p) && p->aux && p->aux->inst_up) {
		char h[64];

		dl_sf_inst_handle(p, h, sizeof(h));
		json_object_set_new(a[1], h, info_of(a[0], p));
	}
}

int dl_dev_info(struct dl *dl, const char *handle, json_t **out, struct dl_err *err)
{
	json_t *infos = json_object();
	struct dl_port *sf;

	(void)err;
	if (handle) {
		if (resolve_dev(dl, handle, &sf)) {
			json_decref(infos);
			return -ENODEV;
		}
		json_object_set_new(infos, handle, info_of(dl, sf));
	} else {
		void *a[2] = { dl, infos };

		json_object_set_new(infos, dl->handle, info_of(dl, NULL));
		dl_port_foreach(dl, add_sf_info, a);
	}
	*out = json_pack("{s:o}", "info", infos);
	return 0;
}

int dl_eswitch_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err)
{
	struct dl_port *sf;

	if (!handle || resolve_dev(dl, handle, &sf))
		return -ENODEV;
	if (sf)
		return dl_errf(err, EOPNOTSUPP, "SF devlink instances have no eswitch");
	*out = wrap("dev", handle,
		    json_pack("{s:s,s:s,s:s}", "mode", dl_esw_mode_str(dl->esw.mode),
			      "inline-mode", dl_inline_mode_str(dl->esw.inline_mode),
			      "encap-mode", dl_encap_mode_str(dl->esw.encap_mode)));
	return 0;
}

static int lookup_str(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	return -1;
}

static void collect_sf(struct dl_port *p, void *arg)
{
	struct dl_port ***cur = arg;

	if (dl_is_sf(p))
		*(*cur)++ = p;
}

int dl_eswitch_set(struct dl *dl, const char *handle, const struct dl_eswitch_req *r,
		   struct dl_err *err)
{
	static const char *const modes[] = { "legacy", "switchdev", "switchdev_inactive" };
	static const char *const inl[] = { "none", "link", "network", "transport" };
	static const char *const enc[] = { "none", "basic" };
	struct dev_esw_mode esw = dl->esw, old = dl->esw;
	struct dl_port *sf, **list = NULL, **cur;
	int v, ret = 0;

	if (!handle || resolve_dev(dl, handle, &sf))
		return -ENODEV;
	if (sf)
		return dl_errf(err, EOPNOTSUPP, "SF devlink instances have no eswitch");
	if (!r->mode && !r->inline_mode && !r->encap_mode)
		return dl_errf(err, EINVAL, "Need to set at least one option");
	if (r->mode) {
		if ((v = lookup_str(r->mode, modes, 3)) < 0)
			return dl_errf(err, EINVAL, "Unknown eswitch mode \"%s\"", r->mode);
		esw.mode = (uint8_t)v;
	}
	if (r->inline_mode) {
		if ((v = lookup_str(r->inline_mode, inl, 4)) < 0)
			return dl_errf(err, EINVAL, "Unknown inline mode \"%s\"", r->inline_mode);
		esw.inline_mode = (uint8_t)v;
	}
	if (r->encap_mode) {
		if ((v = lookup_str(r->encap_mode, enc, 2)) < 0)
			return dl_errf(err, EINVAL, "Unknown encap mode \"%s\"", r->encap_mode);
		esw.encap_mode = (uint8_t)v;
	}
	if (!memcmp(&esw, &old, sizeof(esw)))
		return 0;
	/* As the kernel's devlink_rate_nodes_check(). */
	if (esw.mode != old.mode && dl_rate_nodes_exist(dl))
		return dl_errf(err, EBUSY, "Rate node(s) exists.");
	if (store_begin(dl->st))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	/* Leaving switchdev removes every SF, as mlx5 does. */
	if (esw.mode == DEV_ESW_LEGACY && dl_sf_count(dl)) {
		list = malloc(dl_sf_count(dl) * sizeof(*list));
		if (!list) {
			store_rollback(dl->st);
			return dl_errf(err, ENOMEM, "out of memory");
		}
		cur = list;
		dl_port_foreach(dl, collect_sf, &cur);
		for (struct dl_port **i = list; i < cur && !ret; i++)
			ret = dl_sf_delete(dl, *i, err);
		free(list);
	}
	if (!ret && esw.mode == DEV_ESW_LEGACY) {
		dl_filter_flush_dev(dl, DEV_VPORT_UPLINK);
		dl_filter_flush_dev(dl, DEV_FN_PF);
	}
	if (!ret)
		ret = set_esw(dl, &esw);
	if (!ret && (store_kv_set(dl->st, "esw_mode", esw.mode) ||
		     store_kv_set(dl->st, "esw_inline_mode", esw.inline_mode) ||
		     store_kv_set(dl->st, "esw_encap_mode", esw.encap_mode) ||
		     store_commit(dl->st))) {
		ret = dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
		(void)set_esw(dl, &old);
		store_rollback(dl->st);
		return ret;
	}
	if (ret) {
		/* SFs already deleted stay deleted in the device; keep the store
		 * in step with that rather than with the old mode. */
		if (store_commit(dl->st))
			store_rollback(dl->st);
		return ret;
	}
	dl->esw = esw;
	pf_port_sync(dl);
	dl_netdev_sync_all(dl);         /* representors come or go */
	if (esw.mode != old.mode)
		dl_emit_port(dl, "new", &dl->uplink);
	return 0;
}

/* ---- resources ---- */

static json_t *resource_json(const struct dl *dl, unsigned c)
{
	json_t *o = json_pack("{s:s,s:I}", "name", res_names[c], "size", (json_int_t)dl->size[c]);

	if (dl->size_new[c] != dl->size[c])
		json_object_set_new(o, "size_new", json_integer(dl->size_new[c]));
	json_object_set_new(o, "occ", json_integer(dl->nsf[c]));
	json_object_set_new(o, "unit", json_string("entry"));
	json_object_set_new(o, "size_min", json_integer(0));
	json_object_set_new(o, "size_max", json_integer(DEV_SF_HARD_MAX));
	json_object_set_new(o, "size_gran", json_integer(1));
	json_object_set_new(o, "dpipe_tables", json_string("none"));
	return o;
}

int dl_resource_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err)
{
	json_t *devs = json_object(), *list = json_array();
	struct dl_port *sf = NULL;

	(void)err;
	if (handle && resolve_dev(dl, handle, &sf)) {
		json_decref(devs);
		json_decref(list);
		return -ENODEV;
	}
	if (!sf)
		for (unsigned c = 0; c < DEV_NUM_CONTROLLERS; c++)
			json_array_append_new(list, resource_json(dl, c));
	if (json_array_size(list))
		json_object_set_new(devs, dl->handle, list);
	else
		json_decref(list);
	*out = json_pack("{s:o}", "resources", devs);
	return 0;
}

int dl_resource_set(struct dl *dl, const char *handle, const char *path, int64_t size,
		    struct dl_err *err)
{
	struct dl_port *sf;
	char key[32];
	int c;

	if (!handle || resolve_dev(dl, handle, &sf))
		return -ENODEV;
	if (sf || !path)
		return dl_errf(err, EINVAL, "Resource not found");
	if (path[0] == '/')
		path++;
	if ((c = lookup_str(path, res_names, DEV_NUM_CONTROLLERS)) < 0)
		return dl_errf(err, EINVAL, "Resource not found");
	if (size > DEV_SF_HARD_MAX)
		return dl_errf(err, EINVAL, "Size larger than maximum");
	if (size < 0)
		return dl_errf(err, EINVAL, "Size smaller than minimum");
	if ((uint64_t)size < dl->nsf[c])
		return dl_errf(err, EINVAL, "Size smaller than occupancy: %u SFs exist",
			       dl->nsf[c]);
	snprintf(key, sizeof(key), "size_new_%d", c);
	if (store_kv_set(dl->st, key, size))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	dl->size_new[c] = (uint32_t)size;
	return 0;
}

/* ---- params and reload ---- */

/* Booleans are driverinit (they act on reload); strings are runtime. */
struct param_def {
	const char *name, *type;
	size_t off;
	size_t str_size;        /* 0: a uint8_t boolean */
};
static const struct param_def params[] = {
	{ "enable_eth", "generic", offsetof(struct dl_port, enable_eth), 0 },
	{ "enable_zc", "driver-specific", offsetof(struct dl_port, enable_zc), 0 },
	{ "zc_owner", "driver-specific", offsetof(struct dl_port, zc_owner),
	  sizeof(((struct dl_port *)0)->zc_owner) },
	{ "zc_secret", "driver-specific", offsetof(struct dl_port, zc_secret),
	  sizeof(((struct dl_port *)0)->zc_secret) },
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

static json_t *params_json(const struct dl_port *p, const char *only)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < NPARAMS; i++) {
		const char *slot = (const char *)p + params[i].off;

		if (only && strcmp(only, params[i].name))
			continue;
		if (params[i].str_size)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:[{s:s,s:s}]}",
				"name", params[i].name, "type", params[i].type,
				"values", "cmode", "runtime", "value", slot));
		else
			json_array_append_new(arr, json_pack("{s:s,s:s,s:[{s:s,s:b}]}",
				"name", params[i].name, "type", params[i].type,
				"values", "cmode", "driverinit", "value", *(const uint8_t *)slot));
	}
	return arr;
}

/* A runtime string param: zc_owner or zc_secret. */
static int param_set_str(struct dl *dl, struct dl_port *sf, const struct param_def *d,
			 const char *value, const char *cmode, struct dl_err *err)
{
	char *slot = (char *)sf + d->off, old[64];

	if (!cmode || strcmp(cmode, "runtime"))
		return dl_errf(err, EOPNOTSUPP, "Parameter \"%s\" supports only cmode runtime",
			       d->name);
	if (!value)
		return dl_errf(err, EINVAL, "Value is not specified");
	if (strlen(value) >= d->str_size)
		return dl_errf(err, EINVAL, "Value \"%s\" is longer than %zu characters", value,
			       d->str_size - 1);
	if (!strcmp(d->name, "zc_owner") && !dl_memif_owner_valid(value))
		return dl_errf(err, EINVAL, "Value \"%s\" is not UID[:GID]", value);
	snprintf(old, sizeof(old), "%s", slot);
	snprintf(slot, d->str_size, "%s", value);
	if (dl_persist_port(dl, sf)) {
		snprintf(slot, d->str_size, "%s", old);
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	}
	dl_memif_access_changed(dl, sf);
	return 0;
}

static void add_sf_params(struct dl_port *p, void *arg)
{
	if (dl_is_sf(p) && p->aux && p->aux->inst_up) {
		char h[64];

		dl_sf_inst_handle(p, h, sizeof(h));
		json_object_set_new(arg, h, params_json(p, NULL));
	}
}

int dl_param_show(struct dl *dl, const char *handle, const char *name, json_t **out,
		  struct dl_err *err)
{
	json_t *devs = json_object();
	struct dl_port *sf;

	if (!handle) {
		dl_port_foreach(dl, add_sf_params, devs);
	} else if (resolve_dev(dl, handle, &sf)) {
		json_decref(devs);
		return -ENODEV;
	} else if (sf) {
		json_t *arr = params_json(sf, name);

		if (name && !json_array_size(arr)) {
			json_decref(arr);
			json_decref(devs);
			return dl_errf(err, EINVAL, "Parameter \"%s\" not found", name);
		}
		json_object_set_new(devs, handle, arr);
	} else if (name) {
		json_decref(devs);
		return dl_errf(err, EINVAL, "Parameter \"%s\" not found", name);
	}
	*out = json_pack("{s:o}", "param", devs);
	return 0;
}

int dl_param_set(struct dl *dl, const char *handle, const char *name,
		 const char *value, const char *cmode, struct dl_err *err)
{
	struct dl_port *sf;
	const struct param_def *def = NULL;
	uint8_t *slot, old, v;
	int ret;

	if (!handle || resolve_dev(dl, handle, &sf))
		return -ENODEV;
	for (size_t i = 0; sf && name && i < NPARAMS; i++)
		if (!strcmp(name, params[i].name))
			def = &params[i];
	if (!def)
		return dl_errf(err, EINVAL, "Parameter \"%s\" not found", name ? name : "");
	slot = (uint8_t *)sf + def->off;
	if (def->str_size) {
		char before[64];

		snprintf(before, sizeof(before), "%s", (const char *)slot);
		ret = param_set_str(dl, sf, def, value, cmode, err);
		if (!ret && dl->notify && strcmp(before, (const char *)slot)) {
			json_t *msg = json_pack("{s:{s:o}}", "param", handle, params_json(sf, name));

			dl->notify(dl->notify_arg, "param", "new", msg);
			json_decref(msg);
		}
		return ret;
	}
	if (!cmode || strcmp(cmode, "driverinit"))
		return dl_errf(err, EOPNOTSUPP,
			       "Parameter \"%s\" supports only cmode driverinit", name);
	if (!value)
		return dl_errf(err, EINVAL, "Value is not specified");
	if (!strcmp(value, "true") || !strcmp(value, "1"))
		v = 1;
	else if (!strcmp(value, "false") || !strcmp(value, "0"))
		v = 0;
	else
		return dl_errf(err, EINVAL, "Value \"%s\" is not a boolean (true or false)", value);
	old = *slot;
	*slot = v;
	if (dl_persist_port(dl, sf)) {
		*slot = old;
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	}
	if (dl->notify && old != v) {
		json_t *msg = json_pack("{s:{s:o}}", "param", handle, params_json(sf, name));

		dl->notify(dl->notify_arg, "param", "new", msg);
		json_decref(msg);
	}
	return 0;
}

int dl_reload(struct dl *dl, const char *handle, const char *netns, struct dl_err *err)
{
	struct dl_port *sf;
	uint32_t old[DEV_NUM_CONTROLLERS];
	int ret;

	if (!handle || resolve_dev(dl, handle, &sf))
		return -ENODEV;
	if (netns && !sf)
		return dl_errf(err, EOPNOTSUPP, "only SF instances move to another network "
			       "namespace in this version");
	if (netns)
		return dl_netdev_reload_netns(dl, sf, netns, err);
	if (sf)
		return dl_sf_reload(dl, sf, err);
	memcpy(old, dl->size, sizeof(old));
	if ((ret = set_caps(dl, dl->size_new)))
		return dl_errf(err, -ret, "the device refused the new SF table sizes");
	if (store_begin(dl->st) ||
	    store_kv_set(dl->st, "size_0", dl->size_new[0]) ||
	    store_kv_set(dl->st, "size_1", dl->size_new[1]) ||
	    store_commit(dl->st)) {
		store_rollback(dl->st);
		(void)set_caps(dl, old);
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	}
	memcpy(dl->size, dl->size_new, sizeof(dl->size));
	return 0;
}
