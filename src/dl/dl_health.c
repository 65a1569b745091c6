/*
 * dl_health.c - devlink health for sfnic: the reporters of the device and
 * its ports, the `health` requests, durable settings and notifications.
 *
 * Device reporters live as long as the devlink instance; port reporters
 * come and go with PF and SF ports (synced on every request and tick), and
 * their settings stay in the store under the port's index, so a restart,
 * or a port deleted and added again at the same index, finds them there.
 */
#include "dl_health.h"
#include "../memif/memif.h"
#include "../zc/zc.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

static bool has_reporters(const struct dl_port *p)
{
	return p->flavour == DL_FLAVOUR_PCI_PF || p->flavour == DL_FLAVOUR_PCI_SF;
}

static struct dlh_port *port_of(const struct dl_health *h, const struct health_reporter *r)
{
	if (r == &h->fw || r == &h->fw_fatal)
		return NULL;
	return r->priv;
}

void dlh_handle(struct dl_health *h, const struct health_reporter *r, char *buf, size_t len)
{
	struct dlh_port *hp = port_of(h, r);

	if (hp)
		snprintf(buf, len, "%s/%u", h->dl->handle, hp->index);
	else
		snprintf(buf, len, "%s", h->dl->handle);
}

/* Store keys: "health.<dev|INDEX>.<reporter>.<field>". */
static void key(struct dl_health *h, const struct health_reporter *r, const char *field,
		char *buf, size_t len)
{
	struct dlh_port *hp = port_of(h, r);

	if (hp)
		snprintf(buf, len, "health.%u.%s.%s", hp->index, r->ops->name, field);
	else
		snprintf(buf, len, "health.dev.%s.%s", r->ops->name, field);
}

static void load_cfg(struct dl_health *h, struct health_reporter *r)
{
	static const char *const fields[] = { "grace_period", "burst_period", "auto_recover",
					      "auto_dump" };
	int64_t v[4];
	char k[96];

	for (int i = 0; i < 4; i++) {
		key(h, r, fields[i], k, sizeof(k));
		if (store_kv_get(h->dl->st, k, &v[i]) != 1)
			v[i] = -1;
	}
	if (v[0] >= 0)
		r->cfg.grace_period_ms = (uint64_t)v[0];
	if (v[1] >= 0)
		r->cfg.burst_period_ms = (uint64_t)v[1];
	if (v[2] >= 0)
		r->cfg.auto_recover = v[2] != 0;
	if (v[3] >= 0)
		r->cfg.auto_dump = v[3] != 0;
}

static int save_cfg(struct dl_health *h, struct health_reporter *r, const struct health_cfg *c)
{
	struct store *st = h->dl->st;
	char k[4][96];

	key(h, r, "grace_period", k[0], sizeof(k[0]));
	key(h, r, "burst_period", k[1], sizeof(k[1]));
	key(h, r, "auto_recover", k[2], sizeof(k[2]));
	key(h, r, "auto_dump", k[3], sizeof(k[3]));
	if (store_begin(st))
		return -1;
	if (store_kv_set(st, k[0], (int64_t)c->grace_period_ms) ||
	    store_kv_set(st, k[1], (int64_t)c->burst_period_ms) ||
	    store_kv_set(st, k[2], c->auto_recover) || store_kv_set(st, k[3], c->auto_dump) ||
	    store_commit(st)) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

static int hport_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct dlh_port *)a)->index, y = ((const struct dlh_port *)b)->index;

	return x < y ? -1 : x > y;
}

/* By a tree, not the list: the tick looks up every port (65,536 SFs). */
static struct dlh_port *hport_find(struct dl_health *h, uint32_t index)
{
	struct dlh_port key = { .index = index };
	struct dlh_port **found = tfind(&key, &h->by_index, hport_cmp);

	return found ? *found : NULL;
}

static void free_port(struct dlh_port *hp)
{
	health_fini(&hp->tx);
	health_fini(&hp->rx);
	free(hp);
}

static void add_port(struct dl_port *p, void *arg)
{
	struct dl_health *h = arg;
	struct dlh_port *hp;

	if (!has_reporters(p) || hport_find(h, p->index) || !(hp = calloc(1, sizeof(*hp))))
		return;
	hp->index = p->index;
	hp->h = h;
	hp->stuck_queue = hp->stuck_pid = -1;
	hp->pool_queue = -1;
	health_init(&hp->tx, &dlh_tx_ops, hp);
	health_init(&hp->rx, &dlh_rx_ops, hp);
	load_cfg(h, &hp->tx);
	load_cfg(h, &hp->rx);
	if (!tsearch(hp, &h->by_index, hport_cmp)) {
		free_port(hp);
		return;
	}
	hp->next = h->ports;
	h->ports = hp;
}


/* Port reporters follow the ports: new ones get theirs, gone ones lose them. */
static void sync_ports(struct dl_health *h)
{
	struct dl *dl = h->dl;

	for (struct dlh_port **pp = &h->ports; *pp;) {
		struct dlh_port *hp = *pp;
		struct dl_port *p = dl_port_by_index(dl, hp->index);

		if (!p || !has_reporters(p)) {
			*pp = hp->next;
			tdelete(hp, &h->by_index, hport_cmp);
			free_port(hp);
		} else {
			pp = &hp->next;
		}
	}
	dl_port_foreach(dl, add_port, h);
}

struct dl_health *dl_health_create(struct dl *dl)
{
	struct dl_health *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->dl = dl;
	health_init(&h->fw, &dlh_fw_ops, h);
	health_init(&h->fw_fatal, &dlh_fw_fatal_ops, h);
	load_cfg(h, &h->fw);
	load_cfg(h, &h->fw_fatal);
	h->store_failures = store_failures(dl->st);
	sync_ports(h);
	return h;
}

void dl_health_destroy(struct dl_health *h)
{
	if (!h)
		return;
	while (h->ports) {
		struct dlh_port *hp = h->ports;

		h->ports = hp->next;
		tdelete(hp, &h->by_index, hport_cmp);
		free_port(hp);
	}
	health_fini(&h->fw);
	health_fini(&h->fw_fatal);
	free(h);
}

void dlh_notify(struct dl_health *h, struct health_reporter *r)
{
	struct dl *dl = h->dl;
	char hd[80];
	json_t *msg;

	if (!dl->notify || dl->restoring)
		return;
	dlh_handle(h, r, hd, sizeof(hd));
	msg = json_pack("{s:{s:[o]}}", "health", hd, health_show_json(r));
	dl->notify(dl->notify_arg, "health", "status", msg);
	json_decref(msg);
}

void dl_health_tick(struct dl *dl)
{
	if (!dl || !dl->health)
		return;
	sync_ports(dl->health);
	dlh_detect(dl->health);
}

/* ---- requests ---- */

/* Finds the reporter NAME of handle (DEV or DEV/INDEX). */
static int lookup(struct dl_health *h, const char *handle, const char *name,
		  struct health_reporter **out, struct dl_err *err)
{
	struct dl *dl = h->dl;
	size_t n = strlen(dl->handle);
	struct dlh_port *hp;
	char *end;
	unsigned long idx;

	if (!handle)
		return dl_errf(err, EINVAL, "Devlink identification (\"bus_name/dev_name\") expected");
	if (!name)
		return dl_errf(err, EINVAL, "Reporter name expected");
	if (!strcmp(handle, dl->handle)) {
		*out = !strcmp(name, "fw") ? &h->fw : !strcmp(name, "fw_fatal") ? &h->fw_fatal : NULL;
	} else {
		if (strncmp(handle, dl->handle, n) || handle[n] != '/' || !handle[n + 1])
			return dl_errf(err, ENODEV, "Cannot find device \"%.100s\"", handle);
		idx = strtoul(handle + n + 1, &end, 10);
		if (*end || !(hp = hport_find(h, (uint32_t)idx)))
			return dl_errf(err, ENODEV, "Cannot find port \"%.100s\"", handle);
		*out = !strcmp(name, "tx") ? &hp->tx : !strcmp(name, "rx") ? &hp->rx : NULL;
	}
	if (!*out)
		return dl_errf(err, EINVAL, "Reporter \"%.64s\" not found on %.100s", name, handle);
	return 0;
}

static json_t *show(struct dl_health *h, const char *handle, const char *name,
		    struct dl_err *err, int *ret)
{
	json_t *top = json_object(), *arr;
	struct health_reporter *r;

	*ret = 0;
	if (handle && name) {
		if ((*ret = lookup(h, handle, name, &r, err))) {
			json_decref(top);
			return NULL;
		}
		json_object_set_new(top, handle, json_pack("[o]", health_show_json(r)));
		return json_pack("{s:o}", "health", top);
	}
	if (handle && strcmp(handle, h->dl->handle)) {
		*ret = dl_errf(err, EINVAL, "Reporter name expected");
		json_decref(top);
		return NULL;
	}
	/* Device reporters first, then ports by index, as devlink lists them. */
	json_object_set_new(top, h->dl->handle, json_pack("[o,o]", health_show_json(&h->fw),
							  health_show_json(&h->fw_fatal)));
	for (uint32_t last = 0, first = 1;;) {
		struct dlh_port *best = NULL;
		char hd[80];

		for (struct dlh_port *hp = h->ports; hp; hp = hp->next)
			if ((first || hp->index > last) && (!best || hp->index < best->index))
				best = hp;
		if (!best)
			break;
		first = 0;
		last = best->index;
		snprintf(hd, sizeof(hd), "%s/%u", h->dl->handle, best->index);
		arr = json_pack("[o,o]", health_show_json(&best->tx), health_show_json(&best->rx));
		json_object_set_new(top, hd, arr);
	}
	return json_pack("{s:o}", "health", top);
}

/* A boolean field: true/false (JSON or the CLI's words). */
static int get_bool(json_t *req, const char *k, bool *v, bool *given, struct dl_err *err)
{
	json_t *j = json_object_get(req, k);

	*given = j != NULL;
	if (!j)
		return 0;
	if (json_is_boolean(j))
		*v = json_is_true(j);
	else if (json_is_string(j) && !strcmp(json_string_value(j), "true"))
		*v = true;
	else if (json_is_string(j) && !strcmp(json_string_value(j), "false"))
		*v = false;
	else
		return dl_errf(err, EINVAL, "%s: expected true or false", k);
	return 0;
}

static int get_ms(json_t *req, const char *k, uint64_t *v, bool *given, struct dl_err *err)
{
	json_t *j = json_object_get(req, k);

	*given = j != NULL;
	if (!j)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return dl_errf(err, EINVAL, "%s: expected milliseconds", k);
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int set(struct dl_health *h, struct health_reporter *r, json_t *req, struct dl_err *err)
{
	uint64_t grace, burst;
	bool ar, ad, g1, g2, g3, g4;
	struct health_cfg old = r->cfg;
	struct health_err herr = { { 0 } };
	int ret;

	if ((ret = get_ms(req, "grace_period", &grace, &g1, err)) ||
	    (ret = get_ms(req, "burst_period", &burst, &g2, err)) ||
	    (ret = get_bool(req, "auto_recover", &ar, &g3, err)) ||
	    (ret = get_bool(req, "auto_dump", &ad, &g4, err)))
		return ret;
	if (!g1 && !g2 && !g3 && !g4)
		return dl_errf(err, EINVAL, "At least one parameter should be set");
	ret = health_set(r, g1 ? &grace : NULL, g2 ? &burst : NULL, g3 ? &ar : NULL,
			 g4 ? &ad : NULL, &herr);
	if (ret)
		return dl_errf(err, -ret, "%s", herr.msg);
	if (save_cfg(h, r, &r->cfg)) {
		r->cfg = old;
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(h->dl->st));
	}
	if (memcmp(&old, &r->cfg, sizeof(old)))
		dlh_notify(h, r);
	return 0;
}

int dl_health_request(struct dl *dl, const char *cmd, json_t *req, json_t **out,
		      struct dl_err *err)
{
	struct dl_health *h = dl->health;
	const char *handle = json_string_value(json_object_get(req, "handle"));
	const char *name = json_string_value(json_object_get(req, "reporter"));
	struct health_err herr = { { 0 } };
	struct health_reporter *r;
	enum health_state before;
	uint64_t recovered;
	int ret;

	if (!h)
		return dl_errf(err, ENOMEM, "health reporters are unavailable");
	sync_ports(h);
	if (!strcmp(cmd, "show")) {
		*out = show(h, handle, name, err, &ret);
		return ret;
	}
	if ((ret = lookup(h, handle, name, &r, err)))
		return ret;
	before = r->state;
	recovered = r->recovery_count;
	if (!strcmp(cmd, "recover"))
		ret = health_recover(r, &herr);
	else if (!strcmp(cmd, "diagnose"))
		ret = health_diagnose(r, out, &herr);
	else if (!strcmp(cmd, "dump.show"))
		ret = health_dump_get(r, out, &herr);
	else if (!strcmp(cmd, "dump.clear"))
		ret = health_dump_clear(r, &herr);
	else if (!strcmp(cmd, "test"))
		ret = health_test(r, &herr);
	else if (!strcmp(cmd, "set"))
		return set(h, r, req, err);
	else
		return dl_errf(err, EOPNOTSUPP, "unknown command \"health.%.64s\"", cmd);
	if (r->state != before || r->recovery_count != recovered)
		dlh_notify(h, r);
	if (ret && ret != -ECANCELED)
		return dl_errf(err, -ret, "%s", herr.msg);
	return 0;
}

/* ---- hooks from the rest of the devlink layer ---- */

void dl_health_cmd_done(struct dl *dl, const void *in, uint8_t status, uint32_t syndrome,
			uint64_t ns)
{
	struct dl_health *h = dl->health;
	const struct dev_cmd_in_hdr *ih = in;
	const char *op;
	char msg[160];

	if (!h || h->busy)
		return;
	op = dev_opcode_str(ih->opcode);
	/* The device's fault, not the driver's: an internal error, or one
	 * injected by SET_FAULT; a BAD_PARAM for what a user asked is not. */
	if (status == DEV_STAT_INT_ERR || DEV_SYND_IS_INJECTED(syndrome)) {
		h->cmd_failures++;
		h->last_opcode = ih->opcode;
		h->last_status = status;
		h->last_syndrome = syndrome;
		snprintf(msg, sizeof(msg), "command %s (0x%04x) failed: status %s (0x%02x) "
			 "syndrome 0x%08x", op ? op : "?", ih->opcode, dev_status_str(status),
			 status, syndrome);
		snprintf(h->fw_error, sizeof(h->fw_error), "%s", msg);
		dlh_report(h, &h->fw, dl->handle, msg);
	} else if (ns > DLH_CMD_STUCK_NS) {
		h->last_opcode = ih->opcode;
		h->last_latency_ns = ns;
		snprintf(msg, sizeof(msg), "command %s (0x%04x) took %llu ms", op ? op : "?",
			 ih->opcode, (unsigned long long)(ns / 1000000));
		snprintf(h->fw_error, sizeof(h->fw_error), "%s", msg);
		dlh_report(h, &h->fw, dl->handle, msg);
	}
}

static void memif_clear(struct dl_port *p, void *arg)
{
	(void)arg;
	if (p->aux && p->aux->memif)
		(void)memif_srv_fault_no_return(p->aux->memif, false);
}

void dl_health_fault_event(struct dl *dl, const struct dev_eqe *eqe)
{
	struct dl_port *p;

	switch (eqe->state) {
	case DEV_FAULT_CLEAR:
		store_fail_next(dl->st, 0);
		zc_srv_fault_no_return(dl->zc, 0, false);
		dl_port_foreach(dl, memif_clear, NULL);
		break;
	case DEV_FAULT_FAIL_STORE:
		store_fail_next(dl->st, eqe->fn_id);
		break;
	case DEV_FAULT_ZC_NO_RETURN:
		zc_srv_fault_no_return(dl->zc, eqe->fn_id, true);
		break;
	case DEV_FAULT_MEMIF_NO_RETURN:
		p = dl_port_by_index(dl, eqe->fn_id);
		if (!p || !p->aux || !p->aux->memif || !memif_srv_fault_no_return(p->aux->memif, true))
			util_log(UTIL_WARN, "health: memif-no-return of vport %u: no memif client "
				 "is connected", eqe->fn_id);
		break;
	default:
		util_log(UTIL_WARN, "health: fault %u of vport %u is not the driver's",
			 eqe->state, eqe->fn_id);
		break;
	}
}
