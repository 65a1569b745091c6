/*
 * cli_health.c - devlink-health(8)'s grammar and output for sfnic:
 *
 *   sfnic health show [ { DEV | DEV/PORT_INDEX } reporter NAME ]
 *   sfnic health { recover | diagnose | test } { DEV | DEV/PORT_INDEX } reporter NAME
 *   sfnic health dump { show | clear } { DEV | DEV/PORT_INDEX } reporter NAME
 *   sfnic health set { DEV | DEV/PORT_INDEX } reporter NAME [ grace_period MSEC ]
 *                    [ burst_period MSEC ] [ auto_recover { true | false } ]
 *                    [ auto_dump { true | false } ]
 *
 * Text output follows iproute2's pr_out_health() (two lines per reporter
 * under its handle) and cmd_fmsg_object_cb() (diagnose and dump: "name:
 * value" pairs, nested objects and arrays on their own indented lines).
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *req_new(const char *cmd, const char *handle)
{
	json_t *r = json_pack("{s:s}", "cmd", cmd);

	if (handle)
		json_object_set_new(r, "handle", json_string(handle));
	return r;
}

/* "reporter NAME" and, for set, the settings. */
static int parse(struct ctx *c, json_t *req, bool settings, bool required)
{
	const char *kw, *val;

	while ((kw = cli_next(c))) {
		if (!(val = cli_next(c)))
			return cli_usage_err("Option \"%s\" requires a value", kw);
		if (cli_matches(kw, "reporter")) {
			json_object_set_new(req, "reporter", json_string(val));
		} else if (settings && (!strcmp(kw, "grace_period") || !strcmp(kw, "burst_period"))) {
			char *end;
			unsigned long long v = strtoull(val, &end, 10);

			if (*end || !*val || val[0] == '-')
				return cli_usage_err("\"%s\" is not a number", val);
			json_object_set_new(req, kw, json_integer((json_int_t)v));
		} else if (settings && (!strcmp(kw, "auto_recover") || !strcmp(kw, "auto_dump"))) {
			if (strcmp(val, "true") && strcmp(val, "false"))
				return cli_usage_err("\"%s\" is not true or false", val);
			json_object_set_new(req, kw, json_boolean(!strcmp(val, "true")));
		} else {
			return cli_usage_err("Unknown option \"%s\"", kw);
		}
	}
	if (required && !json_object_get(req, "reporter")) {
		fprintf(stderr, "Reporter name expected.\n");
		return -EINVAL;
	}
	return 0;
}

static int one(struct ctx *c, const char *cmd, bool settings)
{
	const char *h = cli_next(c);
	json_t *req;
	int ret;

	if (!h) {
		fprintf(stderr, "Devlink identification (\"bus_name/dev_name\") expected\n");
		return -EINVAL;
	}
	req = req_new(cmd, h);
	if ((ret = parse(c, req, settings, true))) {
		json_decref(req);
		return ret;
	}
	return cli_run(c, req);
}

int cli_cmd_health(struct ctx *c)
{
	const char *sub = cli_next(c);

	if (!sub || cli_matches(sub, "show") || cli_matches(sub, "list")) {
		const char *h = cli_next(c);
		json_t *req = req_new("health.show", h);
		int ret;

		if ((ret = parse(c, req, false, false))) {
			json_decref(req);
			return ret;
		}
		return cli_run(c, req);
	}
	if (cli_matches(sub, "recover"))
		return one(c, "health.recover", false);
	if (cli_matches(sub, "diagnose"))
		return one(c, "health.diagnose", false);
	if (cli_matches(sub, "test"))
		return one(c, "health.test", false);
	if (cli_matches(sub, "set"))
		return one(c, "health.set", true);
	if (cli_matches(sub, "dump")) {
		const char *op = cli_next(c);

		if (op && cli_matches(op, "show"))
			return one(c, "health.dump.show", false);
		if (op && cli_matches(op, "clear"))
			return one(c, "health.dump.clear", false);
		return cli_usage_err("Command \"%s\" not found", op ? op : "");
	}
	return cli_usage_err("Command \"%s\" not found", sub);
}

static void scalar(const char *key, json_t *v)
{
	if (json_is_string(v))
		printf(" %s %s", key, json_string_value(v));
	else if (json_is_integer(v))
		printf(" %s %lld", key, (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		printf(" %s %s", key, json_is_true(v) ? "true" : "false");
}

void cli_print_health(json_t *top)
{
	const char *h, *k;
	json_t *list, *r, *v;
	size_t i;

	json_object_foreach(top, h, list) {
		printf("%s:\n", h);
		json_array_foreach(list, i, r) {
			printf("  reporter %s\n   ", json_string_value(json_object_get(r, "reporter")));
			json_object_foreach(r, k, v)
				if (strcmp(k, "reporter"))
					scalar(k, v);
			printf("\n");
		}
	}
}

static void fmsg_value(json_t *v)
{
	if (json_is_string(v))
		printf("%s", json_string_value(v));
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		printf("%g", json_real_value(v));
	else if (json_is_boolean(v))
		printf("%s", json_is_true(v) ? "true" : "false");
}

static void fmsg_obj(json_t *obj, int indent);
static bool fmsg_started;       /* the first line needs no line break before it */

static void fmsg_line(int indent)
{
	if (fmsg_started)
		printf("\n");
	fmsg_started = true;
	printf("%*s", indent, "");
}

/* A nest: "name:" on a line of its own, its contents indented below. */
static void fmsg_nest(const char *name, json_t *v, int indent)
{
	json_t *e;
	size_t i;

	fmsg_line(indent);
	printf("%s:", name);
	if (json_is_object(v)) {
		fmsg_obj(v, indent + 2);
		return;
	}
	json_array_foreach(v, i, e) {
		if (json_is_object(e)) {
			fmsg_obj(e, indent + 2);
		} else {
			fmsg_line(indent + 2);
			fmsg_value(e);
		}
	}
}

/* Scalars of obj on one line ("name: value" each after a space), nests
 * after them. */
static void fmsg_obj(json_t *obj, int indent)
{
	const char *k;
	json_t *v;
	bool line = false;

	json_object_foreach(obj, k, v) {
		if (json_is_object(v) || json_is_array(v))
			continue;
		if (!line)
			fmsg_line(indent);
		printf("%s%s: ", line ? " " : "", k);
		fmsg_value(v);
		line = true;
	}
	json_object_foreach(obj, k, v)
		if (json_is_object(v) || json_is_array(v))
			fmsg_nest(k, v, indent);
}

void cli_print_fmsg(json_t *obj)
{
	fmsg_started = false;
	fmsg_obj(obj, 1);
	printf("\n");
}
