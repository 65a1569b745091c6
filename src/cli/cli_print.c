/*
 * cli_print.c - devlink's text layouts, produced from the daemon's JSON.
 *
 * The daemon answers in devlink's JSON shapes; -j prints them as they are and
 * text mode lays them out the way iproute2's devlink does: a handle, then
 * "key value" pairs, nested objects on indented lines.
 */
#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_scalar(const char *sep, const char *key, json_t *v)
{
	if (json_is_string(v))
		printf("%s%s %s", sep, key, json_string_value(v));
	else if (json_is_integer(v))
		printf("%s%s %lld", sep, key, (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		printf("%s%s %s", sep, key, json_is_true(v) ? "true" : "false");
}

/* "key value" pairs of obj on the current line (each after a space, or the
 * first one bare when lead is false); objects below it, indented. */
static void print_obj(json_t *obj, int indent, bool lead)
{
	const char *key, *k2;
	json_t *v, *v2;

	json_object_foreach(obj, key, v) {
		if (json_is_object(v) || json_is_array(v))
			continue;
		print_scalar(lead ? " " : "", key, v);
		lead = true;
	}
	json_object_foreach(obj, key, v) {
		if (!json_is_object(v))
			continue;
		printf("\n%*s%s:", indent, "", key);
		if (strcmp(key, "nested_devlink")) {
			printf("\n%*s", indent + 2, "");
			print_obj(v, indent + 2, false);
			continue;
		}
		json_object_foreach(v, k2, v2) {
			printf("\n%*s%s", indent + 2, "", k2);
			if (json_object_size(v2)) {
				printf(":");
				print_obj(v2, indent + 4, true);
			}
		}
	}
}

static void print_handles(json_t *top, const char *sep_after_handle)
{
	const char *h;
	json_t *v;

	json_object_foreach(top, h, v) {
		printf("%s%s", h, sep_after_handle);
		print_obj(v, 2, true);
		printf("\n");
	}
}

static void print_dir(const char *ind, const char *name, json_t *st)
{
	json_t *d = json_object_get(st, name);

	printf("%s%s: packets %lld bytes %lld\n", ind, name,
	       (long long)json_integer_value(json_object_get(d, "packets")),
	       (long long)json_integer_value(json_object_get(d, "bytes")));
}

/* ip -s style counters under a port: totals, non-zero drops, pools. */
static void print_stats(const char *label, json_t *st)
{
	const char *k;
	json_t *v, *q;
	size_t i;
	bool any = false;

	printf("  %s:\n", label);
	print_dir("    ", "rx", st);
	print_dir("    ", "tx", st);
	printf("    drops:");
	json_object_foreach(json_object_get(st, "drops"), k, v)
		if (json_integer_value(v)) {
			printf(" %s %lld", k, (long long)json_integer_value(v));
			any = true;
		}
	printf("%s\n", any ? "" : " 0");
	if ((v = json_object_get(st, "gro")))
		printf("    gro: frames %lld segments %lld\n",
		       (long long)json_integer_value(json_object_get(v, "frames")),
		       (long long)json_integer_value(json_object_get(v, "segments")));
	json_array_foreach(json_object_get(st, "queues"), i, q) {
		json_t *pp = json_object_get(q, "page_pool");

		if (!pp)
			continue;
		printf("    queue %zu page_pool:", i);
		json_object_foreach(pp, k, v)
			printf(" %s %lld", k, (long long)json_integer_value(v));
		printf("\n");
	}
}

/* The memif interface of an SF's own port: totals, drops, per-queue-pair
 * memif counters (only those that are not zero, but packets). */
static void print_memif_stats(json_t *ms)
{
	json_t *c = json_object_get(ms, "client"), *q, *v;
	const char *k;
	size_t i;

	print_stats("memif stats", ms);
	if (c)
		printf("    client %s (%s) pid %lld uid %lld rings %lld/%lld of %lld\n",
		       json_string_value(json_object_get(c, "if_name")),
		       json_string_value(json_object_get(c, "name")),
		       (long long)json_integer_value(json_object_get(c, "pid")),
		       (long long)json_integer_value(json_object_get(c, "uid")),
		       (long long)json_integer_value(json_object_get(c, "c2s_rings")),
		       (long long)json_integer_value(json_object_get(c, "s2c_rings")),
		       (long long)json_integer_value(json_object_get(c, "ring_size")));
	json_array_foreach(json_object_get(ms, "queues"), i, q) {
		printf("    queue %zu: c2s packets %lld bytes %lld s2c packets %lld bytes %lld", i,
		       (long long)json_integer_value(json_object_get(json_object_get(q, "rx"), "packets")),
		       (long long)json_integer_value(json_object_get(json_object_get(q, "rx"), "bytes")),
		       (long long)json_integer_value(json_object_get(json_object_get(q, "tx"), "packets")),
		       (long long)json_integer_value(json_object_get(json_object_get(q, "tx"), "bytes")));
		json_object_foreach(q, k, v)
			if (json_is_integer(v) && json_integer_value(v))
				printf(" %s %lld", k, (long long)json_integer_value(v));
		printf("\n");
	}
}

/* Zero-copy queues open on a port: who, how, and what they got. */
static void print_zc_stats(json_t *zs)
{
	json_t *q;
	size_t i;

	json_array_foreach(zs, i, q) {
		json_t *d = json_object_get(q, "delivered"), *t = json_object_get(q, "transmitted");

		printf("  zc queue %lld %s pid %lld uid %lld domain %lld:\n",
		       (long long)json_integer_value(json_object_get(q, "queue")),
		       json_string_value(json_object_get(q, "mode")),
		       (long long)json_integer_value(json_object_get(q, "pid")),
		       (long long)json_integer_value(json_object_get(q, "uid")),
		       (long long)json_integer_value(json_object_get(q, "domain")));
		printf("    delivered: packets %lld bytes %lld zerocopy %lld copied %lld\n",
		       (long long)json_integer_value(json_object_get(d, "packets")),
		       (long long)json_integer_value(json_object_get(d, "bytes")),
		       (long long)json_integer_value(json_object_get(q, "zerocopy")),
		       (long long)json_integer_value(json_object_get(q, "copied")));
		printf("    transmitted: packets %lld bytes %lld\n",
		       (long long)json_integer_value(json_object_get(t, "packets")),
		       (long long)json_integer_value(json_object_get(t, "bytes")));
		printf("    invalid_desc %lld overruns %lld bad_ring %lld outstanding %lld\n",
		       (long long)json_integer_value(json_object_get(q, "invalid_desc")),
		       (long long)json_integer_value(json_object_get(q, "overruns")),
		       (long long)json_integer_value(json_object_get(q, "bad_ring")),
		       (long long)json_integer_value(json_object_get(q, "outstanding")));
	}
}

static void print_ports(json_t *top)
{
	const char *h;
	json_t *v;

	json_object_foreach(top, h, v) {
		json_t *st = json_incref(json_object_get(v, "stats"));
		json_t *rs = json_incref(json_object_get(v, "rep_stats"));
		json_t *ms = json_incref(json_object_get(v, "memif_stats"));
		json_t *zs = json_incref(json_object_get(v, "zc_stats"));

		json_object_del(v, "zc_stats");
		json_object_del(v, "stats");
		json_object_del(v, "rep_stats");
		json_object_del(v, "memif_stats");
		printf("%s:", h);
		print_obj(v, 2, true);
		printf("\n");
		if (st)
			print_stats("stats", st);
		if (rs)
			print_stats("representor stats", rs);
		if (ms)
			print_memif_stats(ms);
		if (zs)
			print_zc_stats(zs);
		json_decref(zs);
		json_decref(st);
		json_decref(rs);
		json_decref(ms);
	}
}

static void print_info(json_t *top)
{
	const char *h, *k, *k2, *k3;
	json_t *v, *x, *y, *z;

	json_object_foreach(top, h, v) {
		printf("%s:\n", h);
		json_object_foreach(v, k, x) {
			if (!json_is_object(x)) {
				printf("  %s %s\n", k, json_string_value(x) ? json_string_value(x) : "");
				continue;
			}
			printf("  %s:\n", k);
			json_object_foreach(x, k2, y) {
				if (!json_object_size(y))
					continue;
				printf("      %s:\n", k2);
				json_object_foreach(y, k3, z) {
					print_scalar("        ", k3, z);
					printf("\n");
				}
			}
		}
	}
}

static void print_params(json_t *top)
{
	const char *h;
	json_t *list, *p, *val;
	size_t i, j;

	json_object_foreach(top, h, list) {
		printf("%s:\n", h);
		json_array_foreach(list, i, p) {
			printf("  name %s type %s\n",
			       json_string_value(json_object_get(p, "name")),
			       json_string_value(json_object_get(p, "type")));
			printf("    values:\n");
			json_array_foreach(json_object_get(p, "values"), j, val) {
				printf("      cmode %s", json_string_value(json_object_get(val, "cmode")));
				print_scalar(" ", "value", json_object_get(val, "value"));
				printf("\n");
			}
		}
	}
}

static void print_resources(json_t *top)
{
	const char *h;
	json_t *list, *r;
	size_t i;

	json_object_foreach(top, h, list) {
		printf("%s:\n", h);
		json_array_foreach(list, i, r) {
			const char *k;
			json_t *v;
			bool first = true;

			printf("  ");
			json_object_foreach(r, k, v) {
				if (first) {
					printf("%s %s", k, json_string_value(v));
					first = false;
				} else {
					print_scalar(" ", k, v);
				}
			}
			printf("\n");
		}
	}
}

static void print_json(const struct cli_opts *o, json_t *j)
{
	char *s = json_dumps(j, o->pretty ? JSON_INDENT(4) : JSON_COMPACT);

	if (s) {
		puts(s);
		free(s);
	}
}

void cli_print_result(const struct cli_opts *o, const char *cmd, json_t *result)
{
	json_t *top;

	if (!result)
		return;
	if (o->json) {
		print_json(o, result);
		return;
	}
	if (!strcmp(cmd, "health.diagnose") || !strcmp(cmd, "health.dump.show"))
		cli_print_fmsg(result);
	else if ((top = json_object_get(result, "health")))
		cli_print_health(top);
	else if (!strcmp(cmd, "link.show"))
		cli_print_links(result);
	else if (!strcmp(cmd, "neigh.show"))
		cli_print_neighs(result);
	else if (!strcmp(cmd, "link.add") && (top = json_object_get(result, "warning")))
		fprintf(stderr, "%s\n", json_string_value(top));
	else if (json_is_array(result))
		cli_print_filters(o, result);
	else if ((top = json_object_get(result, "port")))
		print_ports(top);
	else if ((top = json_object_get(result, "info")))
		print_info(top);
	else if ((top = json_object_get(result, "param")))
		print_params(top);
	else if ((top = json_object_get(result, "resources")))
		print_resources(top);
	else if ((top = json_object_get(result, "ct")))
		cli_print_ct(top);
	else if ((top = json_object_get(result, "ct_stats")))
		cli_print_ct_stats(top);
	else if ((top = json_object_get(result, "flushed")))
		fprintf(stderr, "sfnic (conntrack): %lld flow entries have been deleted.\n",
			json_integer_value(top));
	else if ((top = json_object_get(result, "rate")))
		cli_print_rate(o, top);
	else if ((top = json_object_get(result, "aux")))
		print_handles(top, ":");
	else if ((top = json_object_get(result, "dev")))
		print_handles(top, strcmp(cmd, "dev.eswitch.show") ? "" : ":");
}

void cli_print_event(const struct cli_opts *o, json_t *ev)
{
	const char *obj = json_string_value(json_object_get(ev, "obj"));
	const char *cmd = json_string_value(json_object_get(ev, "cmd"));
	json_t *msg = json_object_get(ev, "msg");

	if (!obj || !cmd || !msg)
		return;
	if (o->json) {
		json_t *j = json_pack("{s:s,s:O}", "command", cmd, obj,
				      json_object_get(msg, obj));

		print_json(o, j);
		json_decref(j);
	} else {
		printf("[%s,%s] ", obj, cmd);
		cli_print_result(o, "event", msg);
	}
	fflush(stdout);
}
