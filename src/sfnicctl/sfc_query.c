/*
 * sfc_query.c - `sfnicctl query ...`: the device's query commands, decoded
 * into text (one object per line, devlink's "key value" style) or JSON.
 */
#include "sfnicctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_LEN (64 * 1024)

static const char *const drop_names[] = { "no_consumer", "rule_drop", "no_port", "no_buffer",
					  "ring_full", "runt", "loop", "vlan", "mtu" };

static const char *vhca_name(uint8_t s)
{
	static const char *const n[] = { "invalid", "allocated", "active", "in_use",
					 "teardown_request" };

	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

static const char *esw_mode_name(uint8_t m)
{
	return m == DEV_ESW_LEGACY ? "legacy" : m == DEV_ESW_SWITCHDEV ? "switchdev"
		: m == DEV_ESW_SWITCHDEV_INACTIVE ? "switchdev_inactive" : "unknown";
}

static const char *inline_name(uint8_t m)
{
	static const char *const n[] = { "none", "link", "network", "transport" };

	return m < 4 ? n[m] : "unknown";
}

static void mac_str(const uint8_t *m, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Runs a one-shot query.  Returns 0 or prints the error and returns 1. */
static int query(struct sfc *c, void *in, size_t inlen, void *out, size_t outlen)
{
	if (sfc_cmd(c, in, inlen, out, outlen))
		return sfc_fail(c, 1, "%s", c->err);
	return 0;
}

/*
 * Walks a paged list (struct dev_list_in/out): calls rec(c, p, arg) for
 * every record of size rsize; skip bytes after the list header precede the
 * records (QUERY_EQ's info), handed to head() on the first page.
 */
static int walk(struct sfc *c, uint16_t opcode, size_t rsize, size_t skip,
		void (*head)(struct sfc *c, const uint8_t *p, void *arg),
		void (*rec)(struct sfc *c, const uint8_t *p, void *arg), void *arg)
{
	struct dev_list_in in = { .hdr.opcode = opcode };
	uint8_t *out = malloc(PAGE_LEN);
	bool first = true;

	if (!out)
		return sfc_fail(c, 1, "out of memory");
	do {
		struct dev_list_out lo;

		if (query(c, &in, sizeof(in), out, PAGE_LEN)) {
			free(out);
			return 1;
		}
		memcpy(&lo, out, sizeof(lo));
		if (lo.count > (PAGE_LEN - sizeof(lo) - skip) / rsize) {
			free(out);
			return sfc_fail(c, 1, "%s: %u records do not fit the page",
					sfc_op_name(opcode), lo.count);
		}
		if (first && head)
			head(c, out + sizeof(lo), arg);
		first = false;
		for (uint32_t i = 0; i < lo.count; i++)
			rec(c, out + sizeof(lo) + skip + i * rsize, arg);
		in.cursor = lo.next;
	} while (in.cursor);
	free(out);
	return 0;
}

static json_t *caps_json(const struct dev_hca_cap *k)
{
	return json_pack("{s:i,s:i,s:i,s:i,s:[i,i],s:[i,i],s:[i,i],s:i}",
			 "if_version", k->if_version, "num_pfs", k->num_pfs,
			 "num_controllers", k->num_controllers, "sf_hard_max", k->sf_hard_max,
			 "max_sfs", k->max_sfs[0], k->max_sfs[1],
			 "used_sfs", k->used_sfs[0], k->used_sfs[1],
			 "sf_base", k->sf_base[0], k->sf_base[1], "max_mtu", k->max_mtu);
}

static void caps_print(const struct dev_hca_cap *k)
{
	printf("if_version %u num_pfs %u num_controllers %u sf_hard_max %u max_mtu %u\n",
	       k->if_version, k->num_pfs, k->num_controllers, k->sf_hard_max, k->max_mtu);
	for (int i = 0; i < 2; i++)
		printf("controller %d: max_sfs %u used_sfs %u sf_base %u\n", i, k->max_sfs[i],
		       k->used_sfs[i], k->sf_base[i]);
}

static int q_caps(struct sfc *c)
{
	struct dev_query_hca_cap_in in = { .hdr.opcode = DEV_CMD_QUERY_HCA_CAP };
	struct dev_query_hca_cap_out out;

	if (query(c, &in, sizeof(in), &out, sizeof(out)))
		return 1;
	if (c->json)
		sfc_print_json(c, json_pack("{s:o}", "caps", caps_json(&out.cap)));
	else
		caps_print(&out.cap);
	return 0;
}

static int q_vport(struct sfc *c, uint32_t fn)
{
	struct dev_fn_in in = { .hdr.opcode = DEV_CMD_QUERY_VPORT_CTX, .fn_id = fn };
	struct dev_query_vport_ctx_out out;
	char mac[18];

	if (query(c, &in, sizeof(in), &out, sizeof(out)))
		return 1;
	mac_str(out.ctx.hw_addr, mac);
	if (c->json)
		sfc_print_json(c, json_pack("{s:{s:i,s:s,s:i}}", "vport", "fn_id", fn, "hw_addr", mac,
					    "mtu", out.ctx.mtu));
	else
		printf("vport %u: hw_addr %s mtu %u\n", fn, mac, out.ctx.mtu);
	return 0;
}

static int q_vhca(struct sfc *c, uint32_t fn)
{
	struct dev_fn_in in = { .hdr.opcode = DEV_CMD_QUERY_VHCA_STATE, .fn_id = fn };
	struct dev_query_vhca_state_out out;

	if (query(c, &in, sizeof(in), &out, sizeof(out)))
		return 1;
	if (c->json)
		sfc_print_json(c, json_pack("{s:{s:i,s:s,s:i,s:i,s:i}}", "vhca", "fn_id", fn,
					    "state", vhca_name(out.state), "controller", out.controller,
					    "pfnum", out.pfnum, "sfnum", out.sfnum));
	else
		printf("function %u: state %s controller %u pfnum %u sfnum %u\n", fn,
		       vhca_name(out.state), out.controller, out.pfnum, out.sfnum);
	return 0;
}

static int q_esw(struct sfc *c)
{
	struct dev_cmd_in_hdr in = { .opcode = DEV_CMD_QUERY_ESW_MODE };
	struct dev_query_esw_mode_out out;

	if (query(c, &in, sizeof(in), &out, sizeof(out)))
		return 1;
	if (c->json)
		sfc_print_json(c, json_pack("{s:{s:s,s:s,s:s}}", "esw", "mode", esw_mode_name(out.esw.mode),
					    "inline_mode", inline_name(out.esw.inline_mode),
					    "encap_mode", out.esw.encap_mode ? "basic" : "none"));
	else
		printf("mode %s inline-mode %s encap-mode %s\n", esw_mode_name(out.esw.mode),
		       inline_name(out.esw.inline_mode), out.esw.encap_mode ? "basic" : "none");
	return 0;
}

static void rec_function(struct sfc *c, const uint8_t *p, void *arg)
{
	struct dev_esw_function f;
	char mac[18];

	memcpy(&f, p, sizeof(f));
	mac_str(f.ctx.hw_addr, mac);
	if (c->json) {
		json_array_append_new(arg, json_pack("{s:i,s:s,s:i,s:i,s:i,s:s,s:s,s:i}",
						     "fn_id", f.fn_id, "flavour", f.is_sf ? "pcisf" : "pcipf",
						     "controller", f.controller, "pfnum", f.pfnum,
						     "sfnum", f.sfnum, "state", vhca_name(f.state),
						     "hw_addr", mac, "mtu", f.ctx.mtu));
		return;
	}
	printf("function %u: %s controller %u pfnum %u", f.fn_id, f.is_sf ? "pcisf" : "pcipf",
	       f.controller, f.pfnum);
	if (f.is_sf)
		printf(" sfnum %u", f.sfnum);
	printf(" state %s hw_addr %s mtu %u\n", vhca_name(f.state), mac, f.ctx.mtu);
}

static void rec_flow(struct sfc *c, const uint8_t *p, void *arg)
{
	static const char *const act[] = { "?", "redirect", "mirror", "drop", "pass", "vlan_push",
					   "vlan_pop", "goto" };
	struct dev_flow_entry e;
	char acts[256] = "";
	size_t n = 0;

	memcpy(&e, p, sizeof(e));
	for (unsigned i = 0; i < e.spec.nact && i < ESW_MAX_ACTIONS && n < sizeof(acts) - 32; i++) {
		const struct esw_action *a = &e.spec.act[i];

		n += (size_t)snprintf(acts + n, sizeof(acts) - n, "%s%s", n ? "," : "",
				      a->type < 8 ? act[a->type] : "?");
		if (a->type == ESW_ACT_GOTO)
			n += (size_t)snprintf(acts + n, sizeof(acts) - n, ":%u", a->ctl_chain);
		else if (a->type == ESW_ACT_REDIRECT || a->type == ESW_ACT_MIRROR)
			n += (size_t)snprintf(acts + n, sizeof(acts) - n, ":%u", a->arg);
		else if (a->type == ESW_ACT_VLAN_PUSH)
			n += (size_t)snprintf(acts + n, sizeof(acts) - n, ":%u", a->vlan_id);
	}
	if (c->json) {
		json_array_append_new(arg, json_pack("{s:i,s:i,s:i,s:i,s:s,s:I,s:I,s:I}",
						     "dev", e.spec.dev, "chain", e.spec.chain,
						     "prio", e.spec.prio, "handle", e.spec.handle,
						     "actions", acts, "packets", (json_int_t)e.packets,
						     "bytes", (json_int_t)e.bytes,
						     "lastuse_ms", (json_int_t)e.lastuse_ms));
		return;
	}
	printf("dev %u chain %u prio %u handle %u actions %s packets %llu bytes %llu\n",
	       e.spec.dev, e.spec.chain, e.spec.prio, e.spec.handle, acts,
	       (unsigned long long)e.packets, (unsigned long long)e.bytes);
}

static void rec_pool(struct sfc *c, const uint8_t *p, void *arg)
{
	struct dev_pool_entry e;

	memcpy(&e, p, sizeof(e));
	if (c->json) {
		json_t *j = json_pack("{s:i,s:i,s:b,s:i,s:i,s:i}", "vport", e.vport, "queue", e.queue,
				      "rep", e.rep, "inflight", e.inflight, "hold", e.hold,
				      "max_buffers", e.max_buffers);
		const char *names[] = { "alloc_fast", "alloc_slow", "alloc_empty", "alloc_refill",
					"alloc_waive", "recycle_cached", "recycle_cache_full",
					"recycle_ring", "recycle_ring_full", "recycle_released_refcnt",
					"cap_hit" };
		const uint64_t v[] = { e.alloc_fast, e.alloc_slow, e.alloc_empty, e.alloc_refill,
				       e.alloc_waive, e.recycle_cached, e.recycle_cache_full,
				       e.recycle_ring, e.recycle_ring_full, e.recycle_released_refcnt,
				       e.cap_hit };

		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			json_object_set_new(j, names[i], json_integer((json_int_t)v[i]));
		json_array_append_new(arg, j);
		return;
	}
	printf("vport %u%s queue %u: inflight %u hold %u max_buffers %u alloc_fast %llu "
	       "alloc_slow %llu alloc_empty %llu recycle_cached %llu recycle_ring %llu cap_hit %llu\n",
	       e.vport, e.rep ? " rep" : "", e.queue, e.inflight, e.hold, e.max_buffers,
	       (unsigned long long)e.alloc_fast, (unsigned long long)e.alloc_slow,
	       (unsigned long long)e.alloc_empty, (unsigned long long)e.recycle_cached,
	       (unsigned long long)e.recycle_ring, (unsigned long long)e.cap_hit);
}

static void rec_queue(struct sfc *c, const uint8_t *p, void *arg)
{
	struct dev_queue_entry e;
	unsigned nd;

	memcpy(&e, p, sizeof(e));
	nd = e.ndrops < sizeof(drop_names) / sizeof(drop_names[0]) ? e.ndrops
		: (unsigned)(sizeof(drop_names) / sizeof(drop_names[0]));
	if (c->json) {
		json_t *d = json_object();

		for (unsigned i = 0; i < nd; i++)
			json_object_set_new(d, drop_names[i], json_integer((json_int_t)e.drops[i]));
		json_array_append_new(arg, json_pack("{s:i,s:i,s:b,s:s,s:I,s:I,s:I,s:I,s:o}",
						     "vport", e.vport, "queue", e.queue, "rep", e.rep,
						     "kind", e.kind == DEV_QUEUE_FUNCTION ? "function" : "worker",
						     "rx_packets", (json_int_t)e.rx_packets,
						     "rx_bytes", (json_int_t)e.rx_bytes,
						     "tx_packets", (json_int_t)e.tx_packets,
						     "tx_bytes", (json_int_t)e.tx_bytes, "drops", d));
		return;
	}
	printf("vport %u%s %s queue %u: rx %llu packets %llu bytes tx %llu packets %llu bytes",
	       e.vport, e.rep ? " rep" : "", e.kind == DEV_QUEUE_FUNCTION ? "function" : "worker",
	       e.queue, (unsigned long long)e.rx_packets, (unsigned long long)e.rx_bytes,
	       (unsigned long long)e.tx_packets, (unsigned long long)e.tx_bytes);
	for (unsigned i = 0; i < nd; i++)
		if (e.drops[i])
			printf(" %s %llu", drop_names[i], (unsigned long long)e.drops[i]);
	putchar('\n');
}

static void eq_head(struct sfc *c, const uint8_t *p, void *arg)
{
	struct dev_eq_info info;

	memcpy(&info, p, sizeof(info));
	if (c->json) {
		json_object_set_new(arg, "depth", json_integer(info.depth));
		json_object_set_new(arg, "produced", json_integer((json_int_t)info.produced));
	} else {
		printf("eq 0: depth %u produced %llu\n", info.depth, (unsigned long long)info.produced);
	}
}

static void rec_eqe(struct sfc *c, const uint8_t *p, void *arg)
{
	struct dev_eqe e;
	const char *type;

	memcpy(&e, p, sizeof(e));
	type = e.type == DEV_EVENT_VHCA_STATE ? "vhca_state" : e.type == DEV_EVENT_ESW_MODE
		? "esw_mode" : "unknown";
	if (c->json)
		json_array_append_new(json_object_get(arg, "events"),
				      json_pack("{s:s,s:i,s:i}", "type", type, "state", e.state,
						"fn_id", e.fn_id));
	else
		printf("  event %s fn_id %u state %u\n", type, e.fn_id, e.state);
}

/* A list query: JSON {"key": [...]} or the printers' lines. */
static int q_list(struct sfc *c, const char *key, uint16_t opcode, size_t rsize,
		  void (*rec)(struct sfc *c, const uint8_t *p, void *arg))
{
	json_t *arr = json_array();
	int ret = walk(c, opcode, rsize, 0, NULL, rec, arr);

	if (!ret && c->json)
		sfc_print_json(c, json_pack("{s:O}", key, arr));
	json_decref(arr);
	return ret;
}

static int q_eqs(struct sfc *c)
{
	json_t *eq = json_pack("{s:[]}", "events");
	int ret = walk(c, DEV_CMD_QUERY_EQ, sizeof(struct dev_eqe), sizeof(struct dev_eq_info),
		       eq_head, rec_eqe, eq);

	if (!ret && c->json)
		sfc_print_json(c, json_pack("{s:[O]}", "eqs", eq));
	json_decref(eq);
	return ret;
}

int sfc_cmd_query(struct sfc *c, int argc, char **argv)
{
	const char *what = argc ? argv[0] : NULL;
	uint32_t n;

	if (!what)
		return sfc_fail(c, EINVAL, "Usage: sfnicctl query caps | vport N | vhca N | sf-table | esw | "
				"flows | pools | queues | eqs");
	if (!strcmp(what, "vport") || !strcmp(what, "vhca")) {
		if (argc != 2 || sfc_parse_u32(argv[1], &n))
			return sfc_fail(c, EINVAL, "Usage: sfnicctl query %s FUNCTION_ID", what);
		return what[1] == 'p' ? q_vport(c, n) : q_vhca(c, n);
	}
	if (argc != 1)
		return sfc_fail(c, EINVAL, "query %s takes no arguments", what);
	if (!strcmp(what, "caps"))
		return q_caps(c);
	if (!strcmp(what, "esw"))
		return q_esw(c);
	if (!strcmp(what, "sf-table"))
		return q_list(c, "functions", DEV_CMD_QUERY_ESW_FUNCTIONS,
			      sizeof(struct dev_esw_function), rec_function);
	if (!strcmp(what, "flows"))
		return q_list(c, "flows", DEV_CMD_QUERY_FLOW_TABLE, sizeof(struct dev_flow_entry),
			      rec_flow);
	if (!strcmp(what, "pools"))
		return q_list(c, "pools", DEV_CMD_QUERY_POOLS, sizeof(struct dev_pool_entry), rec_pool);
	if (!strcmp(what, "queues"))
		return q_list(c, "queues", DEV_CMD_QUERY_QUEUES, sizeof(struct dev_queue_entry),
			      rec_queue);
	if (!strcmp(what, "eqs"))
		return q_eqs(c);
	return sfc_fail(c, EINVAL, "unknown query \"%s\"", what);
}

void sfc_print_dump_rec(struct sfc *c, uint16_t type, const void *rec, json_t *arr)
{
	switch (type) {
	case DEV_DUMP_SEG_CAPS:
		if (c->json)
			json_array_append_new(arr, caps_json(rec));
		else
			caps_print(rec);
		break;
	case DEV_DUMP_SEG_ESW: {
		const struct dev_dump_esw *e = rec;

		if (c->json)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b}", "mode",
							     esw_mode_name(e->esw.mode), "inline_mode",
							     inline_name(e->esw.inline_mode), "encap_mode",
							     e->esw.encap_mode ? "basic" : "none",
							     "tainted", e->tainted));
		else
			printf("mode %s inline-mode %s encap-mode %s%s\n", esw_mode_name(e->esw.mode),
			       inline_name(e->esw.inline_mode), e->esw.encap_mode ? "basic" : "none",
			       e->tainted ? " tainted" : "");
		break;
	}
	case DEV_DUMP_SEG_FUNCTIONS: rec_function(c, rec, arr); break;
	case DEV_DUMP_SEG_FLOWS: rec_flow(c, rec, arr); break;
	case DEV_DUMP_SEG_POOLS: rec_pool(c, rec, arr); break;
	case DEV_DUMP_SEG_QUEUES: rec_queue(c, rec, arr); break;
	case DEV_DUMP_SEG_EQ: {
		const struct dev_eqe *e = rec;
		const char *t = e->type == DEV_EVENT_VHCA_STATE ? "vhca_state"
			: e->type == DEV_EVENT_ESW_MODE ? "esw_mode" : "unknown";

		if (c->json)
			json_array_append_new(arr, json_pack("{s:s,s:i,s:i}", "type", t, "state", e->state,
							     "fn_id", e->fn_id));
		else
			printf("event %s fn_id %u state %u\n", t, e->fn_id, e->state);
		break;
	}
	}
}
