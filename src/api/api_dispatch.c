/*
 * api_dispatch.c - one JSON request to one devlink-layer call.
 */
#include "api.h"
#include "../dl/dl.h"
#include "../dp/dp.h"

#include <errno.h>
#include <string.h>

struct req {
	json_t *obj;
	const char *bad;   /* first field with the wrong type */
};

static const char *str(struct req *r, const char *key)
{
	json_t *v = json_object_get(r->obj, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		if (!r->bad)
			r->bad = key;
		return NULL;
	}
	return json_string_value(v);
}

static int64_t num(struct req *r, const char *key)
{
	json_t *v = json_object_get(r->obj, key);

	if (!v || json_is_null(v))
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		if (!r->bad)
			r->bad = key;
		return -1;
	}
	return json_integer_value(v);
}

/* Messages quote what the client sent and are cut to a fixed length, which
 * can split a UTF-8 sequence; JSON strings must be valid UTF-8, so such a
 * message is sent with its non-ASCII bytes replaced rather than not at all. */
static json_t *error_reply(int errnum, const char *msg)
{
	json_t *m = json_string(msg ? msg : "");

	if (!m) {
		char safe[512];
		size_t i;

		for (i = 0; msg[i] && i < sizeof(safe) - 1; i++)
			safe[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
		safe[i] = 0;
		m = json_string(safe);
	}
	return json_pack("{s:b,s:i,s:o}", "ok", 0, "errno", errnum, "msg", m);
}

/* The "args" array of a filter request, as argv. */
static int args(struct req *r, const char **argv, int max)
{
	json_t *a = json_object_get(r->obj, "args"), *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > (size_t)max) {
		r->bad = "args";
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			r->bad = "args";
			return -1;
		}
		argv[i] = json_string_value(v);
	}
	return (int)json_array_size(a);
}

static int unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = strlen(h);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int v = 0;

		for (int j = 0; j < 2; j++) {
			char c = h[2 * i + j];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

#define REPLAY_MAX 64

/* {"cmd": "replay", "handle": PORT, "frames": [HEX, ...]}: injects as if
 * PORT had received them; answers how many the port's input took. */
static int replay(struct dl *dl, struct req *r, const char *h, json_t **result,
		  struct dl_err *err)
{
	static uint8_t buf[REPLAY_MAX][PP_BUF_SIZE];
	const uint8_t *frames[REPLAY_MAX];
	uint16_t lens[REPLAY_MAX];
	json_t *fr = json_object_get(r->obj, "frames"), *v;
	uint32_t vport;
	bool rep;
	size_t i;
	int n;

	if (!json_is_array(fr) || json_array_size(fr) > REPLAY_MAX) {
		r->bad = "frames";
		return -EINVAL;
	}
	if (!h || dl_dp_port(dl, h, &vport, &rep))
		return dl_errf(err, ENODEV, "Cannot find device \"%.64s\"", h ? h : "");
	json_array_foreach(fr, i, v) {
		int len = json_is_string(v) ? unhex(json_string_value(v), buf[i], PP_BUF_SIZE) : -1;

		if (len < 0)
			return dl_errf(err, EINVAL, "frame %zu: not a hex string of at most %d bytes",
				       i, PP_BUF_SIZE);
		frames[i] = buf[i];
		lens[i] = (uint16_t)len;
	}
	n = dp_inject(dl_datapath(dl), vport, rep, frames, lens, (unsigned)json_array_size(fr));
	if (n < 0)
		return dl_errf(err, -n, "port input: %s", strerror(-n));
	*result = json_pack("{s:i}", "accepted", n);
	return 0;
}

json_t *api_dispatch(struct dl *dl, const char *line, size_t len, bool *monitor)
{
	struct api_sub sub;
	json_t *r = api_dispatch_sub(dl, line, len, &sub);

	*monitor = sub.monitor;
	return r;
}

json_t *api_dispatch_sub(struct dl *dl, const char *line, size_t len, struct api_sub *sub)
{
	bool *monitor = &sub->monitor;
	struct dl_err err = { { 0 } };
	struct req r = { 0 };
	json_error_t jerr;
	json_t *result = NULL, *reply;
	const char *cmd, *h;
	int ret;

	memset(sub, 0, sizeof(*sub));
	*monitor = false;
	r.obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r.obj || !json_is_object(r.obj)) {
		char msg[200];

		snprintf(msg, sizeof(msg), "malformed request: %s",
			 r.obj ? "not a JSON object" : jerr.text);
		json_decref(r.obj);
		return error_reply(EINVAL, msg);
	}
	cmd = str(&r, "cmd");
	h = str(&r, "handle");
	if (!cmd || r.bad) {
		json_decref(r.obj);
		return error_reply(EINVAL, r.bad ? "malformed request: \"cmd\" and \"handle\" must be strings"
					       : "malformed request: no \"cmd\"");
	}
#define IS(c) (!strcmp(cmd, c))
	if (IS("dev.show")) {
		ret = dl_dev_show(dl, h, &result, &err);
	} else if (IS("dev.info")) {
		ret = dl_dev_info(dl, h, &result, &err);
	} else if (IS("dev.eswitch.show")) {
		ret = dl_eswitch_show(dl, h, &result, &err);
	} else if (IS("dev.eswitch.set")) {
		struct dl_eswitch_req e = { str(&r, "mode"), str(&r, "inline-mode"),
					    str(&r, "encap-mode") };
		ret = r.bad ? -EINVAL : dl_eswitch_set(dl, h, &e, &err);
	} else if (IS("dev.param.show")) {
		const char *name = str(&r, "name");
		ret = r.bad ? -EINVAL : dl_param_show(dl, h, name, &result, &err);
	} else if (IS("dev.param.set")) {
		const char *name = str(&r, "name"), *value = str(&r, "value"),
			   *cm = str(&r, "cmode");
		ret = r.bad ? -EINVAL : dl_param_set(dl, h, name, value, cm, &err);
	} else if (IS("dev.reload")) {
		const char *ns = str(&r, "netns");
		ret = r.bad ? -EINVAL : dl_reload(dl, h, ns, &err);
	} else if (IS("port.show")) {
		json_t *st = json_object_get(r.obj, "stats");

		ret = dl_port_show(dl, h, &result, &err);
		if (!ret && json_is_true(st))
			dl_port_stats_add(dl, result);
	} else if (IS("filter.add") || IS("filter.replace") || IS("filter.del") ||
		   IS("filter.show")) {
		const char *argv[256];
		int argc = args(&r, argv, 256);

		if (argc < 0)
			ret = -EINVAL;
		else if (IS("filter.add"))
			ret = dl_filter_add(dl, argc, argv, &err);
		else if (IS("filter.replace"))
			ret = dl_filter_replace(dl, argc, argv, &err);
		else if (IS("filter.del"))
			ret = dl_filter_del(dl, argc, argv, &err);
		else
			ret = dl_filter_show(dl, argc, argv,
					     json_is_true(json_object_get(r.obj, "stats")), &result, &err);
	} else if (IS("link.add") || IS("neigh.add") || IS("neigh.del")) {
		const char *argv[64];
		int argc = args(&r, argv, 64);

		if (argc < 0)
			ret = -EINVAL;
		else if (IS("link.add"))
			ret = dl_tun_link_add(dl, argc, argv, &result, &err);
		else if (IS("neigh.add"))
			ret = dl_tun_neigh_add(dl, argc, argv, &err);
		else
			ret = dl_tun_neigh_del(dl, argc, argv, &err);
	} else if (IS("link.del")) {
		const char *name = str(&r, "name");
		ret = r.bad ? -EINVAL : dl_tun_link_del(dl, name, &err);
	} else if (IS("link.show")) {
		const char *name = str(&r, "name");
		ret = r.bad ? -EINVAL : dl_tun_link_show(dl, name,
					json_is_true(json_object_get(r.obj, "stats")), &result, &err);
	} else if (IS("neigh.show")) {
		ret = dl_tun_neigh_show(dl, &result, &err);
	} else if (IS("ct.show") || IS("ct.flush") || IS("ct.stats")) {
		int64_t zone = num(&r, "zone");

		if (r.bad || zone > UINT16_MAX)
			ret = dl_errf(&err, EINVAL, "malformed request: \"zone\" must be a zone");
		else if (IS("ct.show"))
			ret = dl_ct_show(dl, (int)zone, &result, &err);
		else if (IS("ct.flush"))
			ret = dl_ct_flush(dl, (int)zone, &result, &err);
		else
			ret = dl_ct_stats(dl, &result, &err);
	} else if (IS("ethtool.ntuple.add")) {
		const char *argv[64];
		int argc = args(&r, argv, 64);
		uint32_t loc;

		ret = argc < 0 ? -EINVAL : dl_ethtool_ntuple_add(dl, h, argc, argv, &loc, &err);
		if (!ret)
			result = json_pack("{s:I}", "loc", (json_int_t)loc);
	} else if (IS("ethtool.ntuple.del") || IS("ethtool.ntuple.show")) {
		/* "loc": the rule to delete, or the one rule to show */
		int64_t loc = num(&r, "loc");

		if (r.bad || loc > UINT32_MAX)
			ret = dl_errf(&err, EINVAL, "malformed request: \"loc\" must be a location");
		else if (IS("ethtool.ntuple.del"))
			ret = loc < 0 ? dl_errf(&err, EINVAL, "malformed request: no \"loc\"")
				      : dl_ethtool_ntuple_del(dl, h, (uint32_t)loc, &err);
		else
			ret = loc < 0 ? dl_ethtool_ntuple_show(dl, h, &result, &err)
				      : dl_ethtool_ntuple_get(dl, h, (uint32_t)loc, &result, &err);
	} else if (IS("ethtool.channels")) {
		ret = dl_ethtool_channels(dl, h, &result, &err);
	} else if (IS("replay")) {
		ret = dl_datapath(dl) ? replay(dl, &r, h, &result, &err)
				      : dl_errf(&err, EOPNOTSUPP, "no datapath");
	} else if (IS("capture")) {
		int64_t count = num(&r, "count");

		if (r.bad)
			ret = -EINVAL;
		else if (!h || !dl_datapath(dl) || dl_dp_port(dl, h, &sub->vport, &sub->rep))
			ret = dl_errf(&err, ENODEV, "Cannot find device \"%.64s\"", h ? h : "");
		else {
			sub->capture = true;
			sub->count = count > 0 ? (uint64_t)count : 0;
			ret = 0;
		}
	} else if (IS("port.add")) {
		struct dl_port_add_req a = {
			.flavour = str(&r, "flavour"), .pfnum = num(&r, "pfnum"),
			.sfnum = num(&r, "sfnum"), .controller = num(&r, "controller"),
			.netdev = str(&r, "netdev"), .rep_netdev = str(&r, "rep_netdev") };
		ret = r.bad ? -EINVAL : dl_port_add(dl, h, &a, &result, &err);
	} else if (IS("port.del")) {
		ret = dl_port_del(dl, h, &err);
	} else if (IS("port.function.set")) {
		struct dl_fn_set_req f = { str(&r, "hw_addr"), str(&r, "state") };
		ret = r.bad ? -EINVAL : dl_port_fn_set(dl, h, &f, &err);
	} else if (IS("port.function.rate.show")) {
		ret = dl_rate_show(dl, h, &result, &err);
		if (!ret && json_is_true(json_object_get(r.obj, "stats")))
			dl_rate_stats_add(dl, result);
	} else if (IS("filter.list")) {
		ret = dl_filter_list(dl, &result, &err);
	} else if (IS("port.function.rate.set") || IS("port.function.rate.add")) {
		struct dl_rate_req q = { num(&r, "tx_share"), num(&r, "tx_max"),
					 num(&r, "tx_priority"), num(&r, "tx_weight"),
					 str(&r, "parent") };

		if (!r.bad && (q.tx_priority > UINT32_MAX || q.tx_weight > UINT32_MAX))
			r.bad = q.tx_priority > UINT32_MAX ? "tx_priority" : "tx_weight";
		ret = r.bad ? -EINVAL : IS("port.function.rate.set") ? dl_rate_set(dl, h, &q, &err)
								    : dl_rate_add(dl, h, &q, &err);
	} else if (IS("port.function.rate.del")) {
		ret = dl_rate_del(dl, h, &err);
	} else if (IS("resource.show")) {
		ret = dl_resource_show(dl, h, &result, &err);
	} else if (IS("resource.set")) {
		const char *path = str(&r, "path");
		int64_t size = num(&r, "size");

		if (!r.bad && size < 0)
			snprintf(err.msg, sizeof(err.msg), "Resource size is not specified");
		ret = r.bad || size < 0 ? -EINVAL : dl_resource_set(dl, h, path, size, &err);
	} else if (IS("aux.show")) {
		const char *name = str(&r, "name");
		ret = r.bad ? -EINVAL : dl_aux_show(dl, name, &result, &err);
	} else if (IS("aux.bind")) {
		const char *name = str(&r, "name"), *drv = str(&r, "driver");
		ret = r.bad ? -EINVAL : dl_aux_bind(dl, name, drv, &err);
	} else if (IS("aux.unbind")) {
		const char *name = str(&r, "name");
		ret = r.bad ? -EINVAL : dl_aux_unbind(dl, name, &err);
	} else if (!strncmp(cmd, "health.", 7)) {
		ret = dl_health_request(dl, cmd + 7, r.obj, &result, &err);
	} else if (IS("monitor")) {
		*monitor = true;
		ret = 0;
	} else {
		snprintf(err.msg, sizeof(err.msg), "unknown command \"%.100s\"", cmd);
		ret = -EOPNOTSUPP;
	}
#undef IS
	if (r.bad && !err.msg[0])
		snprintf(err.msg, sizeof(err.msg), "malformed request: field \"%s\" has the wrong type",
			 r.bad);
	json_decref(r.obj);
	if (ret) {
		json_decref(result);
		return error_reply(-ret, err.msg);
	}
	reply = json_pack("{s:b}", "ok", 1);
	if (result)
		json_object_set_new(reply, "result", result);
	return reply;
}
