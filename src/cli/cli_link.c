/*
 * cli_link.c - `sfnic link` and `sfnic neigh`: tunnel ports and static
 * neighbours in ip(8)'s words, printed as `ip -d link show` and `ip neigh
 * show` print them.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static json_t *args_req(struct ctx *c, const char *cmd)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd), *args = json_array();

	while (c->argc)
		json_array_append_new(args, json_string(cli_next(c)));
	json_object_set_new(req, "args", args);
	return req;
}

int cli_cmd_link(struct ctx *c)
{
	const char *sub = cli_next(c);
	json_t *req;

	if (!sub || cli_matches(sub, "show") || cli_matches(sub, "list")) {
		const char *name = cli_next(c);

		if (name && !strcmp(name, "dev"))
			name = cli_next(c);
		if (c->argc)
			return cli_usage_err("Garbage instead of arguments \"%s ...\". Try \"sfnic link help\".",
					     cli_next(c));
		req = json_pack("{s:s}", "cmd", "link.show");
		if (name)
			json_object_set_new(req, "name", json_string(name));
		if (c->o.stats)
			json_object_set_new(req, "stats", json_true());
		return cli_run(c, req);
	}
	if (cli_matches(sub, "add"))
		return cli_run(c, args_req(c, "link.add"));
	if (cli_matches(sub, "delete")) {
		const char *name = cli_next(c);

		if (name && !strcmp(name, "dev"))
			name = cli_next(c);
		if (!name)
			return cli_usage_err("Not enough information: \"dev\" argument is required.%s", "");
		return cli_run(c, json_pack("{s:s,s:s}", "cmd", "link.del", "name", name));
	}
	if (cli_matches(sub, "help")) {
		printf("Usage: sfnic link add NAME type vxlan { id VNI | external } [ dstport PORT ]\n"
		       "                 [ remote ADDR ] [ local ADDR ] [ ttl TTL ] [ tos TOS ]\n"
		       "                 [ [no]udpcsum ] [ dev p0 ]\n"
		       "       sfnic link del NAME\n"
		       "       sfnic [-s] [-j] link show [ NAME ]\n");
		return 0;
	}
	return cli_usage_err("Command \"%s\" is unknown, try \"sfnic link help\".", sub);
}

int cli_cmd_neigh(struct ctx *c)
{
	const char *sub = cli_next(c);

	if (!sub || cli_matches(sub, "show") || cli_matches(sub, "list"))
		return cli_run(c, json_pack("{s:s}", "cmd", "neigh.show"));
	if (cli_matches(sub, "add") || !strcmp(sub, "replace"))
		return cli_run(c, args_req(c, "neigh.add"));
	if (cli_matches(sub, "delete"))
		return cli_run(c, args_req(c, "neigh.del"));
	if (cli_matches(sub, "help")) {
		printf("Usage: sfnic neigh { add | replace } ADDR lladdr LLADDR [ dev p0 ]\n"
		       "       sfnic neigh del ADDR [ dev p0 ]\n"
		       "       sfnic neigh show\n");
		return 0;
	}
	return cli_usage_err("Command \"%s\" is unknown, try \"sfnic neigh help\".", sub);
}

static void print_stats(const char *what, json_t *st)
{
	json_t *drops = json_object_get(st, "drops"), *v;
	const char *k;

	if (!st)
		return;
	printf("    %s: RX %lld packets %lld bytes  TX %lld packets %lld bytes", what,
	       (long long)json_integer_value(json_object_get(json_object_get(st, "rx"), "packets")),
	       (long long)json_integer_value(json_object_get(json_object_get(st, "rx"), "bytes")),
	       (long long)json_integer_value(json_object_get(json_object_get(st, "tx"), "packets")),
	       (long long)json_integer_value(json_object_get(json_object_get(st, "tx"), "bytes")));
	json_object_foreach(drops, k, v)
		printf("  %s %lld", k, (long long)json_integer_value(v));
	printf("\n");
}

void cli_print_links(json_t *arr)
{
	json_t *l;
	size_t i;

	json_array_foreach(arr, i, l) {
		json_t *d = json_object_get(json_object_get(l, "linkinfo"), "info_data");
		json_t *tos = json_object_get(d, "tos");
		long long ttl = json_integer_value(json_object_get(d, "ttl"));

		printf("%lld: %s: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu %lld\n",
		       (long long)json_integer_value(json_object_get(l, "ifindex")),
		       json_string_value(json_object_get(l, "ifname")),
		       (long long)json_integer_value(json_object_get(l, "mtu")));
		printf("    vxlan ");
		if (json_is_true(json_object_get(d, "external")))
			printf("external ");
		else
			printf("id %lld ", (long long)json_integer_value(json_object_get(d, "id")));
		if (json_object_get(d, "remote"))
			printf("remote %s ", json_string_value(json_object_get(d, "remote")));
		if (json_object_get(d, "local"))
			printf("local %s ", json_string_value(json_object_get(d, "local")));
		if (json_object_get(d, "link"))
			printf("dev %s ", json_string_value(json_object_get(d, "link")));
		printf("dstport %lld ", (long long)json_integer_value(json_object_get(d, "port")));
		if (tos)
			printf("tos %s ", json_string_value(tos));
		if (ttl)
			printf("ttl %lld ", ttl);
		else
			printf("ttl auto ");
		printf("%sudpcsum\n", json_is_true(json_object_get(d, "udp_csum")) ? "" : "no");
		print_stats("stats", json_object_get(l, "stats"));
		print_stats("rep_stats", json_object_get(l, "rep_stats"));
	}
}

void cli_print_neighs(json_t *arr)
{
	json_t *n;
	size_t i;

	json_array_foreach(arr, i, n)
		printf("%s dev %s lladdr %s PERMANENT\n", json_string_value(json_object_get(n, "dst")),
		       json_string_value(json_object_get(n, "dev")),
		       json_string_value(json_object_get(n, "lladdr")));
}
