/*
 * cli_rate.c - `sfnic port function rate`: devlink-rate(8)'s grammar.
 *
 * As iproute2 does, the tool turns rates with units into bytes per second
 * (sched_rate_parse) and checks tx_share against tx_max given together;
 * the daemon checks everything else.  Text output prints rates the way
 * devlink does (sched_rate_format; -i for IEC units).
 */
#include "cli.h"
#include "../sched/sched.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int need_rate_handle(const char *h, bool node)
{
	if (h)
		return 0;
	fprintf(stderr, node ? "Node identification (\"bus_name/dev_name/node_name\") expected.\n"
			     : "Port or node identification (\"bus_name/dev_name/port_index\" or "
			       "\"bus_name/dev_name/node_name\") expected.\n");
	return -EINVAL;
}

/* [tx_share V] [tx_max V] [tx_priority N] [tx_weight N] [parent P | noparent] */
static int parse_attrs(struct ctx *c, json_t *req)
{
	static const char *const kws[] = { "tx_share", "tx_max", "tx_priority", "tx_weight",
					   "parent", "noparent", NULL };
	uint64_t share = 0, max = 0;
	bool has_share = false, has_max = false, has_parent = false;
	const char *kw;

	while ((kw = cli_next(c))) {
		const char *k = NULL, *val;

		for (const char *const *s = kws; *s; s++)
			if (!strcmp(kw, *s)) {
				k = *s;
				break;
			}
		if (!k)
			return cli_usage_err("Unknown option \"%s\"", kw);
		if (!strcmp(k, "noparent")) {
			if (has_parent)
				return cli_usage_err("Option \"%s\" cannot be combined with parent", k);
			json_object_set_new(req, "parent", json_string(""));
			has_parent = true;
			continue;
		}
		if (!(val = cli_next(c)))
			return cli_usage_err("Option \"%s\" requires a value", k);
		if (!strcmp(k, "parent")) {
			if (has_parent)
				return cli_usage_err("Option \"%s\" cannot be combined with noparent", k);
			json_object_set_new(req, "parent", json_string(val));
			has_parent = true;
		} else if (!strncmp(k, "tx_share", 8) || !strcmp(k, "tx_max")) {
			uint64_t v;

			if (sched_rate_parse(val, &v) || v > INT64_MAX) {
				fprintf(stderr, "Invalid rate value: \"%s\"\n", val);
				return -EINVAL;
			}
			json_object_set_new(req, k, json_integer((json_int_t)v));
			if (!strcmp(k, "tx_max")) {
				max = v;
				has_max = true;
			} else {
				share = v;
				has_share = true;
			}
		} else {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(val, &end, 0);
			if (errno || *end || !*val || val[0] == '-' || v > UINT32_MAX)
				return cli_usage_err("\"%s\" is not a number", val);
			json_object_set_new(req, k, json_integer((json_int_t)v));
		}
	}
	/* iproute2 checks the pair it is given; the daemon checks the pair in
	 * force afterwards. */
	if (has_share && has_max && max && share > max) {
		fprintf(stderr, "Invalid. Expected tx_share <= tx_max or tx_share == 0.\n");
		return -EINVAL;
	}
	return 0;
}

int cli_cmd_rate(struct ctx *c)
{
	const char *op = cli_next(c), *h;
	json_t *req;
	int ret;

	if (!op || cli_matches(op, "show") || cli_matches(op, "list")) {
		req = json_pack("{s:s}", "cmd", "port.function.rate.show");
		if ((h = cli_next(c)))
			json_object_set_new(req, "handle", json_string(h));
		if (c->o.stats)
			json_object_set_new(req, "stats", json_true());
		if (c->argc) {
			json_decref(req);
			return cli_usage_err("Unknown option \"%s\"", c->argv[0]);
		}
		return cli_run(c, req);
	}
	if (cli_matches(op, "set") || cli_matches(op, "add") || cli_matches(op, "del")) {
		bool del = cli_matches(op, "del"), add = cli_matches(op, "add");
		char cmd[32];

		h = cli_next(c);
		if ((ret = need_rate_handle(h, add || del)))
			return ret;
		snprintf(cmd, sizeof(cmd), "port.function.rate.%s", del ? "del" : add ? "add" : "set");
		req = json_pack("{s:s,s:s}", "cmd", cmd, "handle", h);
		if (del && c->argc)
			ret = cli_usage_err("Unknown option \"%s\"", c->argv[0]);
		else if (!del)
			ret = parse_attrs(c, req);
		if (ret) {
			json_decref(req);
			return ret;
		}
		return cli_run(c, req);
	}
	if (cli_matches(op, "help")) {
		printf("Usage: sfnic port function rate help\n"
		       "       sfnic [ -s ] port function rate show [ DEV/{ PORT_INDEX | NODE_NAME } ]\n"
		       "       sfnic port function rate add DEV/NODE_NAME [ tx_share VAL ][ tx_max VAL ]"
		       "[ tx_priority N ][ tx_weight N ][ { parent NODE_NAME | noparent } ]\n"
		       "       sfnic port function rate del DEV/NODE_NAME\n"
		       "       sfnic port function rate set DEV/{ PORT_INDEX | NODE_NAME } "
		       "[ tx_share VAL ][ tx_max VAL ][ tx_priority N ][ tx_weight N ]"
		       "[ { parent NODE_NAME | noparent } ]\n"
		       "       VAL := { bit | kbit | mbit | gbit | tbit | kibit | ... | bps | kbps | ... }\n");
		return 0;
	}
	return cli_usage_err("Command \"%s\" not found", op);
}

/* -s: the shaper's counters under the object, named as in JSON (a node
 * has no deferred: it is counted on the leafs of the functions). */
static void print_rate_stats(json_t *st)
{
	static const char *const keys[] = { "sent_bytes", "sent_packets", "throttled", "deferred",
					    NULL };
	json_t *x;

	if (!st)
		return;
	printf("  stats:");
	for (const char *const *k = keys; *k; k++)
		if ((x = json_object_get(st, *k)))
			printf(" %s %lld", *k, (long long)json_integer_value(x));
	printf("\n");
}

void cli_print_rate(const struct cli_opts *o, json_t *top)
{
	const char *h;
	json_t *v;

	json_object_foreach(top, h, v) {
		char buf[64];
		json_t *x;

		printf("%s type %s", h, json_string_value(json_object_get(v, "type")));
		if ((x = json_object_get(v, "tx_share")))
			printf(" tx_share %s", sched_rate_format((uint64_t)json_integer_value(x),
								 o->iec, buf, sizeof(buf)));
		if ((x = json_object_get(v, "tx_max")))
			printf(" tx_max %s", sched_rate_format((uint64_t)json_integer_value(x),
							       o->iec, buf, sizeof(buf)));
		if ((x = json_object_get(v, "tx_priority")))
			printf(" tx_priority %lld", (long long)json_integer_value(x));
		if ((x = json_object_get(v, "tx_weight")))
			printf(" tx_weight %lld", (long long)json_integer_value(x));
		if ((x = json_object_get(v, "parent")))
			printf(" parent %s", json_string_value(x));
		printf("\n");
		print_rate_stats(json_object_get(v, "stats"));
	}
}
