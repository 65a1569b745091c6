/*
 * cni_sf.c - SFs from sfnicd, through libsfnic's control API.
 *
 * The plugin speaks the same JSON requests as the sfnic CLI (port.add,
 * port.function.set, dev.param.set, dev.reload, port.del) and reads the
 * same devlink-shaped replies.  Activation is asynchronous (state active
 * returns before opstate is attached, as on mlx5), so bring-up polls
 * port.show until the SF's instance and its netdev or memif socket exist.
 */
#include "cni.h"
#include "sfnic/sfnic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CNI_SF_WAIT_MS 10000

struct sfnic_client *cni_sf_connect(const struct cni_conf *conf, struct cni_err *err)
{
	char why[512];
	struct sfnic_client *c = sfnic_connect(conf->run_dir, why, sizeof(why));

	if (!c)
		cni_errf(err, CNI_ERR_AGAIN, "sfnicd is not reachable", "%s", why);
	return c;
}

int cni_sf_req(struct sfnic_client *c, json_t *req, json_t **result, struct cni_err *err)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *reply = NULL;
	int ret = sfnic_request(c, req, &reply);

	if (result)
		*result = NULL;
	if (ret) {
		cni_errf(err, CNI_ERR_AGAIN, "lost the connection to sfnicd", "%s: %s", cmd,
			 strerror(-ret));
	} else if (json_is_true(json_object_get(reply, "ok"))) {
		if (result)
			*result = json_incref(json_object_get(reply, "result"));
	} else {
		const char *msg = json_string_value(json_object_get(reply, "msg"));
		int e = (int)json_integer_value(json_object_get(reply, "errno"));
		const char *h = json_string_value(json_object_get(req, "handle"));

		ret = -(e ? e : EIO);
		cni_errf(err, CNI_ERR_DAEMON, "sfnicd refused the request", "%s %s: %s", cmd,
			 h ? h : "", msg && *msg ? msg : strerror(-ret));
	}
	json_decref(reply);
	json_decref(req);
	return ret;
}

static void copy(char *dst, size_t len, json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(dst, len, "%s", v ? v : "");
}

/* Fills sf from the port listing `ports` for (device, sfnum). */
static int from_listing(json_t *ports, const char *device, uint32_t sfnum, struct cni_sf *sf)
{
	size_t dlen = strlen(device);
	const char *h, *key;
	json_t *p, *fn, *nested, *v;
	char inst[80];

	memset(sf, 0, sizeof(*sf));
	json_object_foreach(ports, h, p) {
		const char *fl = json_string_value(json_object_get(p, "flavour"));

		if (strncmp(h, device, dlen) || h[dlen] != '/' || !fl || strcmp(fl, "pcisf") ||
		    json_integer_value(json_object_get(p, "controller")) != 0 ||
		    json_integer_value(json_object_get(p, "sfnum")) != (json_int_t)sfnum)
			continue;
		snprintf(sf->handle, sizeof(sf->handle), "%s", h);
		sf->index = (uint32_t)strtoul(h + dlen + 1, NULL, 10);
		sf->sfnum = sfnum;
		copy(sf->rep, sizeof(sf->rep), p, "netdev");
		fn = json_object_get(p, "function");
		copy(sf->hw_addr, sizeof(sf->hw_addr), fn, "hw_addr");
		copy(sf->state, sizeof(sf->state), fn, "state");
		copy(sf->opstate, sizeof(sf->opstate), fn, "opstate");
		nested = json_object_get(fn, "nested_devlink");
		json_object_foreach(nested, key, v)
			snprintf(sf->instance, sizeof(sf->instance), "%s", key);
		if (sf->instance[0]) {
			/* The instance's own port carries the SF netdev and memif. */
			snprintf(inst, sizeof(inst), "%s/1", sf->instance);
			p = json_object_get(ports, inst);
			copy(sf->netdev, sizeof(sf->netdev), p, "netdev");
			copy(sf->memif, sizeof(sf->memif), p, "memif");
		}
		return 0;
	}
	return -ENOENT;
}

static json_t *port_listing(struct sfnic_client *c, struct cni_err *err)
{
	json_t *res;

	if (cni_sf_req(c, json_pack("{s:s}", "cmd", "port.show"), &res, err))
		return NULL;
	return res;
}

int cni_sf_find(struct sfnic_client *c, const char *device, uint32_t sfnum, struct cni_sf *sf,
		struct cni_err *err)
{
	json_t *res = port_listing(c, err);
	int ret;

	if (!res)
		return -1;
	ret = from_listing(json_object_get(res, "port"), device, sfnum, sf);
	json_decref(res);
	return ret;
}

int cni_sf_choose(struct sfnic_client *c, const struct cni_conf *conf, uint32_t *sfnum,
		  struct cni_err *err)
{
	json_t *res = port_listing(c, err), *ports;
	struct cni_sf sf;
	int ret = -1;

	if (!res)
		return -1;
	ports = json_object_get(res, "port");
	if (!conf->npool) {
		/* sfnums in use are few; a linear probe is plenty. */
		for (uint64_t n = conf->sfnum_start; n <= UINT32_MAX; n++)
			if (from_listing(ports, conf->device, (uint32_t)n, &sf) == -ENOENT &&
			    /* a record of a plugin that died before port add */
			    !cni_state_claimed(conf->data_dir, conf->device, (uint32_t)n)) {
				*sfnum = (uint32_t)n;
				ret = 0;
				break;
			}
		if (ret)
			cni_errf(err, CNI_ERR_AGAIN, "no free sfnum", "every sfnum from %u is in use",
				 conf->sfnum_start);
		json_decref(res);
		return ret;
	}
	/* The lowest pool SF that exists and nobody holds. */
	uint64_t best = UINT64_MAX;
	const char *h;
	json_t *p;
	size_t dlen = strlen(conf->device);

	json_object_foreach(ports, h, p) {
		json_t *n = json_object_get(p, "sfnum");
		uint32_t s = (uint32_t)json_integer_value(n);

		if (!json_is_integer(n) || strncmp(h, conf->device, dlen) || h[dlen] != '/' ||
		    json_integer_value(json_object_get(p, "controller")) != 0 ||
		    !cni_conf_in_pool(conf, s) || s >= best)
			continue;
		if (!cni_state_claimed(conf->data_dir, conf->device, s))
			best = s;
	}
	json_decref(res);
	if (best == UINT64_MAX)
		return cni_errf(err, CNI_ERR_AGAIN, "the SF pool is exhausted",
				"every SF of the pool of %s is in use, or none was created", conf->device);
	*sfnum = (uint32_t)best;
	return 0;
}

static void nap(void) { nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL); }

/* Polls until ready(sf) or the deadline. */
static int wait_for(struct sfnic_client *c, const char *device, uint32_t sfnum,
		    bool (*ready)(const struct cni_sf *sf, const void *arg), const void *arg,
		    struct cni_sf *sf, const char *what, struct cni_err *err)
{
	for (int i = 0; i < CNI_SF_WAIT_MS / 10; i++) {
		int r = cni_sf_find(c, device, sfnum, sf, err);

		if (r == -1)
			return -1;
		if (r == -ENOENT)
			return cni_errf(err, CNI_ERR_DAEMON, "the SF disappeared",
					"%s sfnum %u was deleted while it was being set up", device, sfnum);
		if (ready(sf, arg))
			return 0;
		nap();
	}
	return cni_errf(err, CNI_ERR_AGAIN, "the SF did not come up",
			"%s sfnum %u: no %s after %d s (state %s opstate %s)", device, sfnum, what,
			CNI_SF_WAIT_MS / 1000, sf->state, sf->opstate);
}

static bool is_detached(const struct cni_sf *sf, const void *arg)
{
	(void)arg;
	return strcmp(sf->opstate, "attached") != 0;
}

static bool is_attached(const struct cni_sf *sf, const void *arg)
{
	(void)arg;
	return !strcmp(sf->opstate, "attached") && sf->instance[0];
}

/* The mode's drivers are bound: eth's netdev, or zc's socket without eth. */
static bool mode_ready(const struct cni_sf *sf, const void *arg)
{
	bool memif = *(const bool *)arg;

	if (!is_attached(sf, NULL))
		return false;
	return memif ? sf->memif[0] && !sf->netdev[0] : sf->netdev[0] != 0;
}

static int fn_set(struct sfnic_client *c, const char *handle, const char *key, const char *val,
		  const char *key2, const char *val2, struct cni_err *err)
{
	json_t *req = json_pack("{s:s,s:s,s:s}", "cmd", "port.function.set", "handle", handle,
				key, val);

	if (key2)
		json_object_set_new(req, key2, json_string(val2));
	return cni_sf_req(c, req, NULL, err);
}

static int param_bool(json_t *params, const char *name)
{
	size_t i, j;
	json_t *p, *v;

	json_array_foreach(params, i, p) {
		if (strcmp(json_string_value(json_object_get(p, "name")) ?: "", name))
			continue;
		json_array_foreach(json_object_get(p, "values"), j, v)
			if (!strcmp(json_string_value(json_object_get(v, "cmode")) ?: "", "driverinit"))
				return json_is_true(json_object_get(v, "value"));
	}
	return -1;
}

static int param_set(struct sfnic_client *c, const char *inst, const char *name,
		     const char *value, const char *cmode, struct cni_err *err)
{
	return cni_sf_req(c, json_pack("{s:s,s:s,s:s,s:s,s:s}", "cmd", "dev.param.set", "handle",
				       inst, "name", name, "value", value, "cmode", cmode),
			  NULL, err);
}

/* enable_eth follows the mode and enable_zc is on for memif; a pool SF may
 * come back from a container of the other mode.  Reloads when one changed. */
static int set_drivers(struct sfnic_client *c, const struct cni_conf *conf,
		       const struct cni_sf *sf, struct cni_err *err)
{
	bool memif = conf->iface == CNI_IF_MEMIF, reload = false;
	json_t *res, *params;
	int eth, zc;

	if (cni_sf_req(c, json_pack("{s:s,s:s}", "cmd", "dev.param.show", "handle", sf->instance),
		       &res, err))
		return -1;
	params = json_object_get(json_object_get(res, "param"), sf->instance);
	eth = param_bool(params, "enable_eth");
	zc = param_bool(params, "enable_zc");
	json_decref(res);
	if (eth != !memif) {
		if (param_set(c, sf->instance, "enable_eth", memif ? "false" : "true", "driverinit",
			      err))
			return -1;
		reload = true;
	}
	if (memif && zc != 1) {
		if (param_set(c, sf->instance, "enable_zc", "true", "driverinit", err))
			return -1;
		reload = true;
	}
	if (reload && cni_sf_req(c, json_pack("{s:s,s:s}", "cmd", "dev.reload", "handle",
					      sf->instance), NULL, err))
		return -1;
	if (memif && conf->memif_owner &&
	    param_set(c, sf->instance, "zc_owner", conf->memif_owner, "runtime", err))
		return -1;
	return 0;
}

int cni_sf_bring_up(struct sfnic_client *c, const struct cni_conf *conf, uint32_t sfnum,
		    bool pooled, const char *mac, struct cni_sf *sf, struct cni_err *err)
{
	bool memif = conf->iface == CNI_IF_MEMIF;
	int ret;

	if (!pooled) {
		json_t *req = json_pack("{s:s,s:s,s:s,s:i,s:I}", "cmd", "port.add", "handle",
					conf->device, "flavour", "pcisf", "pfnum", 0, "sfnum",
					(json_int_t)sfnum);

		if ((ret = cni_sf_req(c, req, NULL, err)))
			return -1;
	}
	if ((ret = cni_sf_find(c, conf->device, sfnum, sf, err)) == -ENOENT)
		return cni_errf(err, CNI_ERR_DAEMON, "the SF disappeared", "%s sfnum %u",
				conf->device, sfnum);
	if (ret)
		return -1;
	/* A pool SF may have been left active: start from a clean function. */
	if (!strcmp(sf->state, "active") &&
	    (fn_set(c, sf->handle, "state", "inactive", NULL, NULL, err) ||
	     wait_for(c, conf->device, sfnum, is_detached, NULL, sf, "detach", err)))
		return -1;
	if (fn_set(c, sf->handle, "hw_addr", mac, "state", "active", err) ||
	    wait_for(c, conf->device, sfnum, is_attached, NULL, sf, "attached driver", err) ||
	    set_drivers(c, conf, sf, err) ||
	    wait_for(c, conf->device, sfnum, mode_ready, &memif, sf,
		     memif ? "memif socket" : "netdev", err))
		return -1;
	return 0;
}

int cni_sf_release(struct sfnic_client *c, const struct cni_state *st, struct cni_err *err)
{
	struct cni_sf sf;
	int ret = cni_sf_find(c, st->device, st->sfnum, &sf, err);

	if (ret == -ENOENT)
		return 0;       /* gone already: DEL is idempotent */
	if (ret)
		return -1;
	if (st->pool)
		return strcmp(sf.state, "active") ? 0
						  : fn_set(c, sf.handle, "state", "inactive", NULL,
							   NULL, err);
	ret = cni_sf_req(c, json_pack("{s:s,s:s}", "cmd", "port.del", "handle", sf.handle), NULL,
			 err);
	return ret == -ENODEV ? 0 : ret ? -1 : 0;
}
