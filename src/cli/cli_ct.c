/*
 * cli_ct.c - the ct action's connection table, as conntrack(8) shows it:
 *
 *   sfnic ct show [ zone Z ]        conntrack -L [--zone Z]
 *   sfnic ct flush [ zone Z ]       conntrack -F (or -D --zone Z)
 *   sfnic ct stats                  conntrack -S/-C: the table's counters
 *
 * A connection is one line: protocol name and number, seconds left, the TCP
 * state, the original tuple with its packets and bytes, [UNREPLIED], the
 * reply tuple, [ASSURED], mark and zone; the count goes to stderr as
 * conntrack prints it.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_cmd_ct(struct ctx *c)
{
	const char *sub = cli_next(c), *cmd, *kw;
	json_t *req;

	if (!sub || cli_matches(sub, "show") || cli_matches(sub, "list"))
		cmd = "ct.show";
	else if (cli_matches(sub, "flush"))
		cmd = "ct.flush";
	else if (cli_matches(sub, "stats"))
		cmd = "ct.stats";
	else if (cli_matches(sub, "help")) {
		printf("Usage: sfnic ct show [ zone ZONE ]\n"
		       "       sfnic ct flush [ zone ZONE ]\n"
		       "       sfnic ct stats\n");
		return 0;
	} else
		return cli_usage_err("Command \"%s\" is unknown, try \"sfnic ct help\".", sub);
	req = json_pack("{s:s}", "cmd", cmd);
	while ((kw = cli_next(c))) {
		const char *val;
		char *end;
		unsigned long z;

		if (strcmp(cmd, "ct.stats") && cli_matches(kw, "zone")) {
			if (!(val = cli_next(c))) {
				json_decref(req);
				return cli_usage_err("Option \"%s\" requires a value", kw);
			}
			z = strtoul(val, &end, 0);
			if (*end || !*val || val[0] == '-' || z > 65535) {
				json_decref(req);
				return cli_usage_err("\"%s\" is not a valid zone", val);
			}
			json_object_set_new(req, "zone", json_integer((json_int_t)z));
		} else {
			json_decref(req);
			return cli_usage_err("Option \"%s\" is unknown", kw);
		}
	}
	return cli_run(c, req);
}

static void print_tuple(json_t *t)
{
	json_t *v;

	printf("src=%s dst=%s ", json_string_value(json_object_get(t, "src")),
	       json_string_value(json_object_get(t, "dst")));
	if ((v = json_object_get(t, "type")))
		printf("type=%lld code=%lld id=%lld ", json_integer_value(v),
		       json_integer_value(json_object_get(t, "code")),
		       json_integer_value(json_object_get(t, "id")));
	else if ((v = json_object_get(t, "sport")))
		printf("sport=%lld dport=%lld ", json_integer_value(v),
		       json_integer_value(json_object_get(t, "dport")));
	printf("packets=%lld bytes=%lld ", json_integer_value(json_object_get(t, "packets")),
	       json_integer_value(json_object_get(t, "bytes")));
}

void cli_print_ct(json_t *arr)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		json_t *st = json_object_get(e, "state");

		printf("%-8s %lld %lld ", json_string_value(json_object_get(e, "proto")),
		       json_integer_value(json_object_get(e, "protonum")),
		       json_integer_value(json_object_get(e, "timeout")));
		if (st)
			printf("%s ", json_string_value(st));
		print_tuple(json_object_get(e, "orig"));
		if (json_is_true(json_object_get(e, "unreplied")))
			printf("[UNREPLIED] ");
		print_tuple(json_object_get(e, "reply"));
		if (json_is_true(json_object_get(e, "assured")))
			printf("[ASSURED] ");
		printf("mark=%lld ", json_integer_value(json_object_get(e, "mark")));
		if (json_integer_value(json_object_get(e, "zone")))
			printf("zone=%lld ", json_integer_value(json_object_get(e, "zone")));
		printf("use=1\n");
	}
	fflush(stdout);
	fprintf(stderr, "sfnic (conntrack): %zu flow entries have been shown.\n",
		json_array_size(arr));
}

void cli_print_ct_stats(json_t *obj)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach(obj, k, v) {
		printf("%s%s=%lld", first ? "" : " ", k, json_integer_value(v));
		first = false;
	}
	printf("\n");
}
