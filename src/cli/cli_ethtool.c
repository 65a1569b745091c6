/*
 * cli_ethtool.c - ethtool's grammar for SF functions: RX steering rules
 * (-N/-U, -n/-u) and channels (-l).
 *
 *   sfnic ethtool -N DEV flow-type T [FIELD V [m M]]... [action Q] [loc L]
 *   sfnic ethtool -N DEV delete L
 *   sfnic ethtool -n DEV [rule L]
 *   sfnic ethtool -l DEV
 *
 * The rule's words go to the daemon as they are (it parses them, as the
 * kernel would check them); output and error lines are ethtool's, printed
 * as the daemon wrote them.  With -j the result is JSON without the text.
 */
#include "cli.h"
#include "sfnic/sfnic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAD_ARGS "ethtool: bad command line argument(s): "

static void help(void)
{
	printf("Usage: sfnic ethtool -N|-U DEV flow-type ether|ip4|tcp4|udp4|ip6|tcp6|udp6\n"
	       "                     [ FIELD VALUE [ m MASK ] ]... [ action QUEUE | action -1 ]\n"
	       "                     [ loc LOCATION ]\n"
	       "       sfnic ethtool -N|-U DEV delete LOCATION\n"
	       "       sfnic ethtool -n|-u DEV [ rule LOCATION ]\n"
	       "       sfnic ethtool -l DEV\n"
	       "DEV := SF netdev name | representor | sfnic/DEV/INDEX | auxiliary/sfnic_core.sf.N\n"
	       "FIELD := ether: src dst proto;  ip4, ip6: src-ip dst-ip tos|tclass l4proto\n"
	       "         l4data src-port dst-port;  tcp4, udp4, tcp6, udp6: src-ip dst-ip\n"
	       "         tos|tclass src-port dst-port;  all but ether: dst-mac;  all: vlan vlan-etype\n"
	       "QUEUE := 0 netdev | 1 memif | 2..15 applications;  m MASK: bits to ignore\n");
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, BAD_ARGS);
	fprintf(stderr, what, arg);
	fputc('\n', stderr);
	return -EINVAL;
}

/* Sends req (consumed).  On success prints the result's "text" (or the
 * result as JSON without it) and hands the result to *res if asked. */
static int request(struct ctx *c, json_t *req, json_t **res)
{
	json_t *reply = NULL, *result;
	int ret;

	if ((ret = cli_connect(c)) || (ret = sfnic_request(c->client, req, &reply))) {
		if (ret != -ECONNREFUSED)
			fprintf(stderr, "sfnicd connection failed: %s\n", strerror(-ret));
		json_decref(req);
		return ret;
	}
	json_decref(req);
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *msg = json_string_value(json_object_get(reply, "msg"));
		int e = (int)json_integer_value(json_object_get(reply, "errno"));

		if (msg && *msg)
			fprintf(stderr, "%s\n", msg);
		else
			fprintf(stderr, "sfnicd answers: %s\n", strerror(e ? e : EIO));
		json_decref(reply);
		return -(e ? e : EIO);
	}
	result = json_object_get(reply, "result");
	if (result && !res) {
		const char *text = json_string_value(json_object_get(result, "text"));

		if (c->o.json) {
			json_object_del(result, "text");
			cli_print_result(&c->o, "ethtool", result);
		} else if (text) {
			fputs(text, stdout);
		}
	}
	if (res)
		*res = json_incref(result);
	json_decref(reply);
	return 0;
}

static bool get_loc(const char *s, json_int_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x > 0x7fffffff)
		return false;
	*v = (json_int_t)x;
	return true;
}

static int config(struct ctx *c, const char *dev)
{
	const char *w = cli_next(c);
	json_t *req, *args, *res = NULL;
	bool loc_given = false;
	json_int_t loc;
	int ret;

	if (w && !strcmp(w, "delete")) {
		if (!get_loc(cli_next(c), &loc) || c->argc)
			return bad("%s", "delete takes one rule location");
		req = json_pack("{s:s,s:s,s:I}", "cmd", "ethtool.ntuple.del", "handle", dev, "loc",
				loc);
		ret = request(c, req, &res);
		json_decref(res);
		return ret;
	}
	if (!w || strcmp(w, "flow-type"))
		return bad("%s", "flow-type or delete expected");
	args = json_array();
	json_array_append_new(args, json_string(w));
	while (c->argc) {
		w = cli_next(c);
		loc_given |= !strcmp(w, "loc");
		json_array_append_new(args, json_string(w));
	}
	req = json_pack("{s:s,s:s,s:o}", "cmd", "ethtool.ntuple.add", "handle", dev, "args", args);
	if ((ret = request(c, req, &res)))
		return ret;
	/* ethtool reports the location only when its rule manager chose it. */
	if (c->o.json)
		cli_print_result(&c->o, "ethtool", res);
	else if (!loc_given)
		printf("Added rule with ID %lld\n",
		       (long long)json_integer_value(json_object_get(res, "loc")));
	json_decref(res);
	return 0;
}

static int show(struct ctx *c, const char *dev)
{
	json_t *req = json_pack("{s:s,s:s}", "cmd", "ethtool.ntuple.show", "handle", dev);
	const char *w = cli_next(c);
	json_int_t loc;

	if (w) {
		if (strcmp(w, "rule") || !get_loc(cli_next(c), &loc) || c->argc) {
			json_decref(req);
			return bad("%s", "only \"rule LOCATION\" may follow DEV");
		}
		json_object_set_new(req, "loc", json_integer(loc));
	}
	return request(c, req, NULL);
}

int cli_cmd_ethtool(struct ctx *c)
{
	const char *opt = cli_next(c), *dev;

	if (!opt)
		return bad("%s", "-N, -U, -n, -u or -l expected");
	if (cli_matches(opt, "help") || !strcmp(opt, "-h") || !strcmp(opt, "--help")) {
		help();
		return 0;
	}
	if (!(dev = cli_next(c)))
		return bad("%s", "DEV expected");
	if (!strcmp(opt, "-N") || !strcmp(opt, "-U") || !strcmp(opt, "--config-ntuple") ||
	    !strcmp(opt, "--config-nfc"))
		return config(c, dev);
	if (!strcmp(opt, "-n") || !strcmp(opt, "-u") || !strcmp(opt, "--show-ntuple") ||
	    !strcmp(opt, "--show-nfc"))
		return show(c, dev);
	if (!strcmp(opt, "-l") || !strcmp(opt, "--show-channels")) {
		if (c->argc)
			return bad("unexpected \"%s\"", cli_next(c));
		return request(c, json_pack("{s:s,s:s}", "cmd", "ethtool.channels", "handle", dev),
			       NULL);
	}
	return bad("option %s is not supported (-N, -U, -n, -u, -l)", opt);
}
