/*
 * dl_port.c - port show/add/del/function set, SF restore, and the aux bus
 * commands.
 */
#include "dl_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define DL_SF_INST_PORT_INDEX 1

enum target_kind { T_DEV, T_PORT, T_SF_DEV, T_SF_PORT };
struct target {
	enum target_kind kind;
	struct dl_port *port;
};

static bool parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* DEV, DEV/INDEX, auxiliary/<sf>[/1] or a netdev name. */
static int resolve(struct dl *dl, const char *h, struct target *t)
{
	size_t n = strlen(dl->handle);
	const char *rest = NULL;
	struct dl_name *name;
	uint32_t idx;

	if (!strcmp(h, dl->handle)) {
		*t = (struct target){ T_DEV, NULL };
		return 0;
	}
	if (!strncmp(h, dl->handle, n) && h[n] == '/') {
		if (!parse_u32(h + n + 1, &idx) || !(t->port = dl_port_by_index(dl, idx)))
			return -ENODEV;
		t->kind = T_PORT;
		return 0;
	}
	if ((t->port = dl_sf_instance_port(dl, h, &rest))) {
		if (!rest) {
			t->kind = T_SF_DEV;
			return 0;
		}
		if (parse_u32(rest + 1, &idx) && idx == DL_SF_INST_PORT_INDEX) {
			t->kind = T_SF_PORT;
			return 0;
		}
		return -ENODEV;
	}
	name = dl_name_find(dl, h);
	if (!name || !dl_port_by_index(dl, name->port->index))
		return -ENODEV;
	t->port = name->port;
	if (!name->is_sf) {
		t->kind = T_PORT;
		return 0;
	}
	if (!t->port->aux || !t->port->aux->inst_up || !t->port->aux->eth_added)
		return -ENODEV;
	t->kind = T_SF_PORT;
	return 0;
}

/* ---- port show ---- */

static void add_port(const struct dl *dl, json_t *ports, const struct dl_port *p)
{
	char h[96];

	dl_port_handle(dl, p, h, sizeof(h));
	json_object_set_new(ports, h, dl_json_port(dl, p));
}

static void add_sf_inst_port(const struct dl *dl, json_t *ports, const struct dl_port *p)
{
	char h[96];

	dl_sf_inst_handle(p, h, sizeof(h) - 8);
	snprintf(h + strlen(h), 8, "/%d", DL_SF_INST_PORT_INDEX);
	json_object_set_new(ports, h, dl_json_sf_inst_port(dl, p));
}

struct show_ctx {
	struct dl *dl;
	json_t *ports;
	bool sf_insts;
};

static void show_cb(struct dl_port *p, void *arg)
{
	struct show_ctx *c = arg;

	add_port(c->dl, c->ports, p);
}

static void show_inst_cb(struct dl_port *p, void *arg)
{
	struct show_ctx *c = arg;

	if (dl_is_sf(p) && p->aux && p->aux->inst_up)
		add_sf_inst_port(c->dl, c->ports, p);
}

int dl_port_show(struct dl *dl, const char *handle, json_t **out, struct dl_err *err)
{
	struct show_ctx c = { .dl = dl, .ports = json_object() };
	struct target t;

	(void)err;
	if (!handle) {
		dl_port_foreach(dl, show_cb, &c);
		dl_port_foreach(dl, show_inst_cb, &c);
	} else if (resolve(dl, handle, &t)) {
		json_decref(c.ports);
		return -ENODEV;
	} else if (t.kind == T_DEV) {
		dl_port_foreach(dl, show_cb, &c);
	} else if (t.kind == T_PORT) {
		add_port(dl, c.ports, t.port);
	} else {
		add_sf_inst_port(dl, c.ports, t.port);
	}
	*out = json_pack("{s:o}", "port", c.ports);
	return 0;
}

/* ---- port add / restore ---- */

static void sf_names_release(struct dl *dl, struct dl_port *p)
{
	dl_name_release(dl, p->rep_name);
	dl_name_release(dl, p->sf_name);
}

static int sf_names_reserve(struct dl *dl, struct dl_port *p)
{
	int err = dl_name_reserve(dl, p->rep_name, p, false);

	if (!err && (err = dl_name_reserve(dl, p->sf_name, p, true)))
		dl_name_release(dl, p->rep_name);
	return err;
}

static void derive_names(struct dl *dl, struct dl_port *p)
{
	char ppn[32], key[96], suffix[32];

	if (!p->rep_name[0]) {
		(void)dl_phys_port_name(p, ppn, sizeof(ppn));
		snprintf(key, sizeof(key), "%s/rep/%s", dl->handle, ppn);
		dl_name_derive(dl, dl->devname, 'n', ppn, key, p->rep_name);
	}
	if (!p->sf_name[0]) {
		snprintf(suffix, sizeof(suffix), "%u", p->sfnum);
		snprintf(key, sizeof(key), "%s/sf/%u/%u/%u", dl->handle, p->controller,
			 p->pfnum, p->sfnum);
		char pre[DL_IFNAMSIZ];

		/* External SFs: "<dev>c<N>" keeps them apart from local sfnums. */
		snprintf(pre, sizeof(pre), p->controller ? "%sc%u" : "%s", dl->devname,
			 p->controller);
		dl_name_derive(dl, pre, 'S', suffix, key, p->sf_name);
	}
}

static int alloc_errno(const struct dev_alloc_sf_out *out, struct dl_err *err,
		       const struct dl *dl, uint32_t controller)
{
	switch (out->hdr.syndrome) {
	case DEV_SYND_SF_NOT_SWITCHDEV:
		return dl_errf(err, EOPNOTSUPP, "SF ports are only supported in eswitch switchdev mode.");
	case DEV_SYND_SF_BAD_CONTROLLER:
		return dl_errf(err, EINVAL, "Invalid controller number");
	case DEV_SYND_SF_BAD_PFNUM:
		return dl_errf(err, EINVAL, "Invalid pfnum supplied");
	case DEV_SYND_SF_SFNUM_IN_USE:
		return dl_errf(err, EEXIST, "SF already exist. Choose different sfnum");
	case DEV_SYND_SF_TABLE_FULL:
		return dl_errf(err, ENOSPC, "%s limit of %u SFs reached",
			       controller ? "max_external_SFs" : "max_local_SFs",
			       dl->size[controller ? 1 : 0]);
	default:
		return dl_errf(err, EIO, "device error %s, syndrome 0x%08x",
			       dev_status_str(out->hdr.status), out->hdr.syndrome);
	}
}

static uint8_t dealloc(struct dl *dl, uint32_t fn_id)
{
	return dl_fn_cmd(dl, DEV_CMD_DEALLOC_SF, fn_id);
}

static uint8_t set_hw_addr(struct dl *dl, uint32_t fn_id, const uint8_t mac[6])
{
	struct dev_modify_vport_ctx_in in = {
		.hdr.opcode = DEV_CMD_MODIFY_VPORT_CTX, .fn_id = fn_id,
		.field_select = DEV_VPORT_FIELD_HW_ADDR };
	struct dev_modify_vport_ctx_out out;

	memcpy(in.ctx.hw_addr, mac, 6);
	return dl_cmd(dl, &in, sizeof(in), &out, sizeof(out));
}

/* Allocates the SF in the device (at a fixed slot when at_index != 0) and
 * links a new port for it.  Does not persist. */
static int sf_create(struct dl *dl, const struct dl_port *tmpl, uint32_t at_index,
		     struct dl_port **pp, struct dl_err *err)
{
	struct dev_alloc_sf_in in = {
		.hdr.opcode = DEV_CMD_ALLOC_SF,
		.hdr.op_mod = at_index ? DEV_ALLOC_SF_AT : DEV_ALLOC_SF_AUTO,
		.controller = tmpl->controller, .pfnum = tmpl->pfnum,
		.sfnum = tmpl->sfnum, .fn_id = at_index };
	struct dev_alloc_sf_out out;
	struct dl_port *p;
	int ret;

	if (dl_cmd(dl, &in, sizeof(in), &out, sizeof(out)) != DEV_STAT_OK)
		return alloc_errno(&out, err, dl, tmpl->controller);
	p = malloc(sizeof(*p));
	if (!p) {
		(void)dealloc(dl, out.fn_id);
		return dl_errf(err, ENOMEM, "out of memory");
	}
	*p = *tmpl;
	p->index = out.fn_id;
	p->flavour = DL_FLAVOUR_PCI_SF;
	p->aux = NULL;
	derive_names(dl, p);
	if ((ret = sf_names_reserve(dl, p))) {
		(void)dealloc(dl, out.fn_id);
		free(p);
		return ret == -EEXIST ? dl_errf(err, EEXIST, "Netdev name is already in use")
				      : dl_errf(err, ENOMEM, "out of memory");
	}
	if ((ret = dl_port_insert(dl, p))) {
		sf_names_release(dl, p);
		(void)dealloc(dl, out.fn_id);
		free(p);
		return dl_errf(err, -ret, "port index %u is taken", out.fn_id);
	}
	dl->nsf[p->controller ? 1 : 0]++;
	*pp = p;
	return 0;
}

/* The PF's hw_addr lives in the kv table as a 48-bit integer. */
static uint64_t mac_to_u64(const uint8_t m[6])
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | m[i];
	return v;
}

int dl_pf_restore(struct dl *dl)
{
	int64_t v;
	uint8_t mac[6];

	if (store_kv_get(dl->st, "pf_hw_addr", &v) != 1)
		return 0;
	for (int i = 5; i >= 0; i--, v >>= 8)
		mac[i] = (uint8_t)v;
	if (set_hw_addr(dl, dl->pf.index, mac) != DEV_STAT_OK)
		return -EINVAL;
	memcpy(dl->pf.hw_addr, mac, 6);
	return 0;
}

static int persist_fn(struct dl *dl, const struct dl_port *p)
{
	if (dl_is_sf(p))
		return dl_persist_port(dl, p);
	return store_kv_set(dl->st, "pf_hw_addr", (int64_t)mac_to_u64(p->hw_addr));
}

int dl_sf_restore(struct dl *dl, const struct store_port *sp, struct dl_err *err)
{
	struct dl_port tmpl = {
		.controller = sp->controller, .pfnum = sp->pfnum, .sfnum = sp->sfnum,
		.state = sp->state, .unbound = sp->unbound,
		.enable_eth = sp->enable_eth, .enable_zc = sp->enable_zc,
		.applied_eth = sp->applied_eth, .applied_zc = sp->applied_zc,
	}, *p;
	int ret;

	memcpy(tmpl.hw_addr, sp->hw_addr, 6);
	memcpy(tmpl.rep_name, sp->rep_name, sizeof(tmpl.rep_name));
	memcpy(tmpl.sf_name, sp->sf_name, sizeof(tmpl.sf_name));
	memcpy(tmpl.netns, sp->netns, sizeof(tmpl.netns));
	memcpy(tmpl.zc_owner, sp->zc_owner, sizeof(tmpl.zc_owner));
	memcpy(tmpl.zc_secret, sp->zc_secret, sizeof(tmpl.zc_secret));
	tmpl.rep_name[DL_IFNAMSIZ - 1] = tmpl.sf_name[DL_IFNAMSIZ - 1] = 0;
	if ((ret = sf_create(dl, &tmpl, sp->index, &p, err))) {
		size_t n = strlen(err->msg);

		snprintf(err->msg + n, sizeof(err->msg) - n, " (restoring port %u)", sp->index);
		return ret;
	}
	if (set_hw_addr(dl, p->index, p->hw_addr) != DEV_STAT_OK)
		memset(p->hw_addr, 0, 6);
	if (!p->state)
		return 0;
	/* Reclaim the aux id it had, so handles stay the same across restarts. */
	if (!sp->aux_id || aux_id_claim(dl->bus, sp->aux_id)) {
		int64_t id = aux_id_alloc(dl->bus);

		p->aux_id = id > 0 ? (uint32_t)id : 0;
		(void)dl_persist_port(dl, p);
	} else {
		p->aux_id = sp->aux_id;
	}
	(void)dl_fn_cmd(dl, DEV_CMD_ENABLE_HCA, p->index);
	return 0;
}

/* ---- reload from durable state (devlink health fw_fatal) ---- */

struct reload_ports {
	struct dl *dl;
	uint32_t *stored;       /* indices the store holds */
	size_t n, cap;
	struct dl_port **extra; /* SF ports the store does not hold */
	size_t nextra, extra_cap;
	unsigned created;
	struct dl_err *err;
	int ret;
};

/* v with room for one more of n elements (doubling), or NULL. */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	v = realloc(v, (*cap ? *cap * 2 : 16) * size);
	if (v)
		*cap = *cap ? *cap * 2 : 16;
	return v;
}

/* A stored SF the device lacks is created again as restore at start does;
 * one it has must be what the store says (every acknowledged change was
 * stored before the device saw it, or undone). */
static int reload_stored(const struct store_port *sp, void *arg)
{
	struct reload_ports *rp = arg;
	struct dl *dl = rp->dl;
	struct dl_port *p = dl_port_by_index(dl, sp->index);

	uint32_t *st = grow(rp->stored, &rp->cap, rp->n, sizeof(*st));

	if (!st) {
		rp->ret = dl_errf(rp->err, ENOMEM, "out of memory");
		return 1;
	}
	rp->stored = st;
	rp->stored[rp->n++] = sp->index;
	if (p) {
		if (p->state != sp->state || p->sfnum != sp->sfnum ||
		    memcmp(p->hw_addr, sp->hw_addr, sizeof(sp->hw_addr))) {
			rp->ret = dl_errf(rp->err, EIO, "port %u differs from its durable state",
					  sp->index);
			return 1;
		}
		return 0;
	}
	if ((rp->ret = dl_sf_restore(dl, sp, rp->err)))
		return 1;
	dl_process_events(dl);
	p = dl_port_by_index(dl, sp->index);
	if (p) {
		dl_netdev_port_sync(dl, p);
		dl_emit_port(dl, "new", p);
	}
	rp->created++;
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void find_extra(struct dl_port *p, void *arg)
{
	struct reload_ports *rp = arg;
	struct dl_port **ex;

	if (!dl_is_sf(p) ||
	    (rp->n && bsearch(&p->index, rp->stored, rp->n, sizeof(*rp->stored), u32_cmp)))
		return;
	ex = grow(rp->extra, &rp->extra_cap, rp->nextra, sizeof(*ex));
	if (ex) {
		rp->extra = ex;
		rp->extra[rp->nextra++] = p;
	}
}

int dl_port_reload(struct dl *dl, unsigned *created, unsigned *deleted, struct dl_err *err)
{
	struct reload_ports rp = { .dl = dl, .err = err };
	int ret;

	*created = *deleted = 0;
	ret = store_port_foreach(dl->st, reload_stored, &rp);
	if (ret < 0 && !rp.ret)
		rp.ret = dl_errf(err, EIO, "cannot read the state store: %s", store_errmsg(dl->st));
	if (!rp.ret) {
		if (rp.n)
			qsort(rp.stored, rp.n, sizeof(*rp.stored), u32_cmp);
		dl_port_foreach(dl, find_extra, &rp);
		/* Not acknowledged (the store never held them, or their
		 * deletion was): they go. */
		for (size_t i = 0; i < rp.nextra; i++)
			if (!dl_sf_delete(dl, rp.extra[i], err))
				(*deleted)++;
		if (rp.created) {
			dl_steer_sync_all(dl);
			dl_rate_apply(dl);
		}
	}
	*created = rp.created;
	free(rp.stored);
	free(rp.extra);
	return rp.ret;
}

int dl_port_add(struct dl *dl, const char *handle, const struct dl_port_add_req *r,
		json_t **out, struct dl_err *err)
{
	struct dl_port tmpl = { .enable_eth = 1, .enable_zc = 1, .applied_eth = 1,
				.applied_zc = 1 }, *p;
	struct target t;
	int ret;

	size_t n = strlen(dl->handle);
	bool user_index = handle && !strncmp(handle, dl->handle, n) && handle[n] == '/';

	/* DEV/PORT_INDEX names an index the user wants; the port need not exist. */
	if (!handle || (!user_index && resolve(dl, handle, &t)))
		return -ENODEV;
	if (!user_index && (t.kind == T_SF_DEV || t.kind == T_SF_PORT))
		return dl_errf(err, EOPNOTSUPP, "Port add is not supported on SF instances");
	if (!r->flavour || r->pfnum < 0)
		return dl_errf(err, EINVAL, "Port flavour or PCI PF are not specified");
	if (strcmp(r->flavour, "pcisf"))
		return dl_errf(err, EOPNOTSUPP, "Driver supports only SF port addition");
	if (user_index)
		return dl_errf(err, EOPNOTSUPP,
			       "Driver does not support user defined port index assignment");
	if (r->sfnum < 0)
		return dl_errf(err, EOPNOTSUPP,
			       "User must provide unique sfnum. Driver does not support auto assignment");
	if (r->sfnum > UINT32_MAX || r->controller > UINT32_MAX)
		return dl_errf(err, ERANGE, "Numerical result out of range");
	if (r->controller >= (int64_t)DEV_NUM_CONTROLLERS)
		return dl_errf(err, EINVAL, "Invalid controller number");
	if (r->pfnum >= (int64_t)DEV_NUM_PFS)
		return dl_errf(err, EINVAL, "Invalid pfnum supplied");
	tmpl.controller = r->controller > 0 ? (uint32_t)r->controller : 0;
	tmpl.pfnum = (uint16_t)r->pfnum;
	tmpl.sfnum = (uint32_t)r->sfnum;
	for (int i = 0; i < 2; i++) {
		const char *name = i ? r->rep_netdev : r->netdev;
		char *dst = i ? tmpl.rep_name : tmpl.sf_name;

		if (!name)
			continue;
		if (!dl_name_valid(name))
			return dl_errf(err, EINVAL, "Invalid netdev name \"%s\"", name);
		if (dl_name_find(dl, name) || (i && r->netdev && !strcmp(name, r->netdev)))
			return dl_errf(err, EEXIST, "Netdev name \"%s\" is already in use", name);
		snprintf(dst, DL_IFNAMSIZ, "%s", name);
	}
	if ((ret = sf_create(dl, &tmpl, 0, &p, err)))
		return ret;
	if (dl_persist_port(dl, p)) {
		ret = dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
		dl_port_remove(dl, p);
		sf_names_release(dl, p);
		(void)dealloc(dl, p->index);
		dl->nsf[p->controller ? 1 : 0]--;
		free(p);
		return ret;
	}
	dl_netdev_port_sync(dl, p);     /* its representor appears */
	dl_emit_port(dl, "new", p);
	*out = json_object();
	add_port(dl, *out, p);
	*out = json_pack("{s:o}", "port", *out);
	return 0;
}

/* ---- port del ---- */

/* Removes an SF: inactivate, wait for detach, free.  The caller persists. */
int dl_sf_delete(struct dl *dl, struct dl_port *p, struct dl_err *err)
{
	uint8_t st;

	dl_filter_flush_dev(dl, p->index);     /* its representor goes away */
	if (p->state) {
		p->state = 0;
		(void)dl_fn_cmd(dl, DEV_CMD_DISABLE_HCA, p->index);
		dl_process_events(dl);
	}
	if ((st = dealloc(dl, p->index)) != DEV_STAT_OK)
		return dl_errf(err, EBUSY, "SF is still attached (device status %s)",
			       dev_status_str(st));
	dl_process_events(dl);
	dl_netdev_port_close(dl, p);
	if (store_port_del(dl->st, p->index))
		dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	/* Its RX steering rules go with it, after the port: a kill -9 in
	 * between leaves rules of no port, which the next restore drops. */
	if (dl_steer_flush(dl, p))
		dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	dl_rate_port_gone(dl, p);       /* its leaf likewise */
	dl_emit_port(dl, "del", p);
	dl_port_remove(dl, p);
	sf_names_release(dl, p);
	if (p->aux_id)
		aux_id_free(dl->bus, p->aux_id);
	dl->nsf[p->controller ? 1 : 0]--;
	free(p);
	return 0;
}

int dl_port_del(struct dl *dl, const char *handle, struct dl_err *err)
{
	struct target t;

	if (!handle || resolve(dl, handle, &t))
		return -ENODEV;
	if (t.kind != T_PORT)
		return dl_errf(err, EINVAL, "Port index is required");
	if (!dl_is_sf(t.port))
		return dl_errf(err, EOPNOTSUPP, "Driver supports only SF port deletion");
	err->msg[0] = 0;
	dl_sf_delete(dl, t.port, err);
	/* The SF is gone from the device either way; report a store failure. */
	return err->msg[0] ? -EIO : 0;
}

/* ---- port function set ---- */

static int parse_mac(const char *s, uint8_t mac[6], struct dl_err *err)
{
	unsigned n = 0;

	while (*s) {
		char *end;
		unsigned long b = strtoul(s, &end, 16);

		if (end == s || end - s > 2 || b > 0xff || (*end && *end != ':'))
			return dl_errf(err, EINVAL, "Invalid hw_addr \"%s\"", s);
		if (n == 6)
			return dl_errf(err, EINVAL, "Address must be 6 bytes for Ethernet device");
		mac[n++] = (uint8_t)b;
		s = *end ? end + 1 : end;
	}
	if (n != 6)
		return dl_errf(err, EINVAL, "Address must be 6 bytes for Ethernet device");
	if (mac[0] & 1)
		return dl_errf(err, EINVAL, "Non-unicast hardware address unsupported");
	return 0;
}

int dl_port_fn_set(struct dl *dl, const char *handle, const struct dl_fn_set_req *r,
		   struct dl_err *err)
{
	uint8_t mac[6], old_mac[6], old_state, old_unbound, want = 0;
	uint32_t old_aux;
	struct dl_port *p;
	struct target t;
	int ret;

	if (!handle || resolve(dl, handle, &t))
		return -ENODEV;
	if (t.kind != T_PORT || t.port->flavour == DL_FLAVOUR_PHYSICAL)
		return dl_errf(err, EOPNOTSUPP, "Port doesn't support function attributes");
	p = t.port;
	if (!r->hw_addr && !r->state)
		return dl_errf(err, EINVAL, "At least one of hw_addr or state must be given");
	if (r->hw_addr && (ret = parse_mac(r->hw_addr, mac, err)))
		return ret;
	if (r->state) {
		if (!dl_is_sf(p))
			return dl_errf(err, EOPNOTSUPP, "Function does not support state setting");
		if (!strcmp(r->state, "active"))
			want = 1;
		else if (strcmp(r->state, "inactive"))
			return dl_errf(err, EINVAL, "Unknown function state \"%s\"", r->state);
		/* Disabled but its driver has not let go yet. */
		if (want && !p->state && p->opstate)
			return dl_errf(err, EBUSY, "SF is inactivated but it is still attached");
	}
	memcpy(old_mac, p->hw_addr, 6);
	old_state = p->state;
	old_unbound = p->unbound;
	old_aux = p->aux_id;
	/* Configuration first, state last, as devlink applies them. */
	if (r->hw_addr) {
		if (set_hw_addr(dl, p->index, mac) != DEV_STAT_OK)
			return dl_errf(err, EINVAL, "Non-unicast hardware address unsupported");
		memcpy(p->hw_addr, mac, 6);
	}
	if (r->state && want != p->state) {
		if (want && !p->aux_id) {
			int64_t id = aux_id_alloc(dl->bus);

			if (id < 0) {
				ret = dl_errf(err, ENOSPC, "no free auxiliary device id");
				goto undo;
			}
			p->aux_id = (uint32_t)id;
		}
		if (!want)
			p->unbound = 0;
		p->state = want;
	}
	if (persist_fn(dl, p) == 0) {
		if (p->state != old_state)
			(void)dl_fn_cmd(dl, p->state ? DEV_CMD_ENABLE_HCA : DEV_CMD_DISABLE_HCA,
				     p->index);
		dl_emit_port(dl, "new", p);
		return 0;
	}
	ret = dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
undo:
	if (memcmp(old_mac, p->hw_addr, 6)) {
		(void)set_hw_addr(dl, p->index, old_mac);
		memcpy(p->hw_addr, old_mac, 6);
	}
	if (p->aux_id != old_aux)
		aux_id_free(dl->bus, p->aux_id);
	p->aux_id = old_aux;
	p->state = old_state;
	p->unbound = old_unbound;
	return ret;
}

/* ---- auxiliary bus ---- */

int dl_aux_show(struct dl *dl, const char *name, json_t **out, struct dl_err *err)
{
	json_t *devs = json_object();

	(void)err;
	for (struct aux_device *a = aux_bus_first(dl->bus); a; a = a->next) {
		struct dl_port *sf = dl_sf_aux_port(dl, a);
		json_t *o;

		if (name && strcmp(name, a->name))
			continue;
		o = json_object();
		if (a->driver)
			json_object_set_new(o, "driver", json_string(a->driver->name));
		if (sf)
			json_object_set_new(o, "sfnum", json_integer(sf->sfnum));
		/* A class device hangs off its SF device: the zc one serves memif. */
		if (!sf && a->parent != dl->handle && a->parent_priv &&
		    a == &((struct dl_sf_aux *)a->parent_priv)->zc &&
		    dl_memif_path(((struct dl_sf_aux *)a->parent_priv)->port))
			json_object_set_new(o, "memif", json_string(
				dl_memif_path(((struct dl_sf_aux *)a->parent_priv)->port)));
		json_object_set_new(o, "parent", json_string(a->parent ? a->parent : ""));
		json_object_set_new(devs, a->name, o);
	}
	if (name && !json_object_size(devs)) {
		json_decref(devs);
		return -ENODEV;
	}
	*out = json_pack("{s:o}", "aux", devs);
	return 0;
}

static struct dl_port *sf_of(struct dl *dl, const char *name)
{
	struct aux_device *a = aux_device_find(dl->bus, name);

	return a ? dl_sf_aux_port(dl, a) : NULL;
}

static int set_unbound(struct dl *dl, const char *name, uint8_t v, struct dl_err *err)
{
	struct dl_port *p = sf_of(dl, name);

	if (!p || p->unbound == v)
		return 0;
	p->unbound = v;
	if (dl_persist_port(dl, p))
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	return 0;
}

int dl_aux_bind(struct dl *dl, const char *name, const char *driver, struct dl_err *err)
{
	int ret;

	if (!name)
		return dl_errf(err, EINVAL, "Device name is required");
	ret = aux_bind(dl->bus, name, driver);
	if (ret == -EBUSY)
		return dl_errf(err, EBUSY, "%s is already bound", name);
	if (ret == -EINVAL)
		return dl_errf(err, EINVAL, "Driver %s does not match %s", driver, name);
	if (ret)
		return ret;
	ret = set_unbound(dl, name, 0, err);
	dl_process_events(dl);
	return ret;
}

int dl_aux_unbind(struct dl *dl, const char *name, struct dl_err *err)
{
	int ret;

	if (!name)
		return dl_errf(err, EINVAL, "Device name is required");
	if (!aux_device_find(dl->bus, name))
		return -ENODEV;
	ret = set_unbound(dl, name, 1, err);
	if (ret)
		return ret;
	if (aux_unbind(dl->bus, name)) {
		(void)set_unbound(dl, name, 0, err);
		return dl_errf(err, ENODEV, "%s is not bound to a driver", name);
	}
	dl_process_events(dl);
	return 0;
}
