/*
 * cli_action.c - tc's text for the actions of `filter show`, from the
 * daemon's JSON: what iproute2's m_gact.c, m_mirred.c, m_vlan.c, m_pedit.c,
 * m_csum.c, m_police.c, m_ct.c and m_tunnel_key.c print, tabs and spaces
 * included.  sfnic has no shared actions: an action's index is its order
 * in the rule unless the rule gave one (police index N).
 */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* print_action_control: "goto chain N" or the verb. */
static const char *ctl(json_t *c, char *buf, size_t len)
{
	const char *t = str(c, "type");

	if (!strcmp(t, "goto")) {
		snprintf(buf, len, "goto chain %lld", num(c, "chain"));
		return buf;
	}
	return t;
}

/* iproute2's sprint_size. */
static const char *size_str(unsigned long long sz, char *buf, size_t len)
{
	const double kilo = 1024, mega = kilo * kilo, giga = mega * kilo;
	double tmp = (double)sz;

	if (tmp >= giga && fabs(giga * rint(tmp / giga) - tmp) < 1024)
		snprintf(buf, len, "%gGb", rint(tmp / giga));
	else if (tmp >= mega && fabs(mega * rint(tmp / mega) - tmp) < 1024)
		snprintf(buf, len, "%gMb", rint(tmp / mega));
	else if (tmp >= kilo && fabs(kilo * rint(tmp / kilo) - tmp) < 16)
		snprintf(buf, len, "%gKb", rint(tmp / kilo));
	else
		snprintf(buf, len, "%llub", sz);
	return buf;
}

/* iproute2's print_rate (SI units): bytes per second in, bits out. */
static const char *rate_str(unsigned long long bps, char *buf, size_t len)
{
	static const char *const units[] = { "", "K", "M", "G", "T" };
	unsigned long long rate = bps << 3;
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (rate < 1000)
			break;
		if (rate % 1000 && rate < 1000 * 1000)
			break;
		rate /= 1000;
	}
	snprintf(buf, len, "%.0f%sbit", (double)rate, units[i]);
	return buf;
}

/* The " used N sec" print_tm adds to an action's index line under -s. */
static void used(json_t *a, bool stats)
{
	json_t *st = json_object_get(a, "stats");

	if (stats && st && num(st, "lastused") >= 0)
		printf(" used %lld sec", num(st, "lastused"));
}

static long long index_of(json_t *a)
{
	json_t *i = json_object_get(a, "index");

	return i ? (long long)json_integer_value(i) : num(a, "order");
}

static void print_pedit(json_t *a, const char *c, bool stats)
{
	json_t *keys = json_object_get(a, "keys"), *k;
	size_t i;

	printf(" pedit action %s keys %lld\n", c, num(a, "nkeys"));
	printf(" \t index %lld ref 1 bind 1", index_of(a));
	used(a, stats);
	json_array_foreach(keys, i, k) {
		const char *h = str(k, "htype");

		printf("\n\t key #%zu  at ", i);
		if (!strcmp(h, "network"))
			printf("%lld", num(k, "offset"));
		else
			printf("%s%+lld", h, num(k, "offset"));
		printf(": %s %s mask %s", strcmp(str(k, "cmd"), "add") ? "val" : "add", str(k, "val"),
		       str(k, "mask"));
	}
	printf("\n");
}

static void print_police(json_t *a, bool stats)
{
	char b1[64], b2[64];
	json_t *conf = json_object_get(a, "conform_action");

	printf(" police 0x%llx ", index_of(a));
	printf("rate %s ", rate_str((unsigned long long)num(a, "rate"), b1, sizeof(b1)));
	printf("burst %s ", size_str((unsigned long long)num(a, "burst"), b1, sizeof(b1)));
	printf("mtu %s ", size_str((unsigned long long)num(a, "mtu"), b1, sizeof(b1)));
	if (json_object_get(a, "pkts_rate"))
		printf("pkts_rate %lld pkts_burst %lld ", num(a, "pkts_rate"), num(a, "pkts_burst"));
	printf("action %s", ctl(json_object_get(a, "control_action"), b1, sizeof(b1)));
	/* The kernel dumps the conform verb only when it is not pass. */
	if (strcmp(str(conf, "type"), "pass"))
		printf("/%s ", ctl(conf, b2, sizeof(b2)));
	else
		printf(" ");
	printf("overhead 0b \n\tref 1 bind 1 ");
	used(a, stats);
	printf("\n");
}

static void print_tunnel_key(json_t *a, const char *c, bool stats)
{
	printf("tunnel_key  %s", str(a, "mode"));
	if (!strcmp(str(a, "mode"), "set")) {
		printf("\n\tsrc_ip %s\n\tdst_ip %s\n\tkey_id %lld", str(a, "src_ip"), str(a, "dst_ip"),
		       num(a, "key_id"));
		if (json_object_get(a, "dst_port"))
			printf("\n\tdst_port %lld", num(a, "dst_port"));
		printf("\n\t%s", str(a, "flag"));
		if (json_is_true(json_object_get(a, "nofrag")))
			printf("\tnofrag");
		if (json_is_string(json_object_get(a, "tos")))    /* "0x10", as tc's JSON */
			printf("\n\ttos %s", str(a, "tos"));
		if (json_object_get(a, "ttl"))
			printf("\n\tttl %lld", num(a, "ttl"));
	}
	printf(" %s\n\t index %lld ref 1 bind 1", c, index_of(a));
	used(a, stats);
	printf("\n");
}

static void print_ct(json_t *a, const char *c, bool stats)
{
	printf("ct");
	if (json_object_get(a, "action"))
		printf(" %s", str(a, "action"));
	if (json_object_get(a, "mark")) {
		printf(" mark %lld", num(a, "mark"));
		if (json_object_get(a, "mark_mask"))
			printf("/0x%s", str(a, "mark_mask"));
	}
	if (json_object_get(a, "zone"))
		printf(" zone %lld", num(a, "zone"));
	printf(" %s\n\t index %lld ref 1 bind 1", c, index_of(a));
	used(a, stats);
	printf("\n");
}

void cli_print_action(json_t *a, bool stats, bool brief)
{
	const char *kind = str(a, "kind");
	json_t *st = json_object_get(a, "stats");
	char buf[64];
	const char *c = ctl(json_object_get(a, "control_action"), buf, sizeof(buf));

	printf("\taction order %lld: ", num(a, "order"));
	if (brief) {
		/* A terse dump has each action's kind and counters only. */
		if (!strcmp(kind, "pedit"))
			printf(" pedit ");
		else if (!strcmp(kind, "ct"))
			printf("ct");
		else if (strcmp(kind, "police"))
			printf("%s ", kind);
		printf("\n");
	} else if (!strcmp(kind, "mirred")) {
		printf("mirred (%s %s to device %s) %s\n",
		       !strcmp(str(a, "direction"), "ingress") ? "Ingress" : "Egress",
		       !strcmp(str(a, "mirred_action"), "redirect") ? "Redirect" : "Mirror",
		       str(a, "to_dev"), c);
		printf("\tindex %lld ref 1 bind 1", index_of(a));
		used(a, stats);
		printf("\n");
	} else if (!strcmp(kind, "vlan")) {
		if (!strcmp(str(a, "vlan_action"), "push"))
			printf("vlan  push id %lld protocol 802.1Q priority %lld %s\n", num(a, "id"),
			       num(a, "priority"), c);
		else
			printf("vlan  pop %s\n", c);
		printf("\t index %lld ref 1 bind 1", index_of(a));
		used(a, stats);
		printf("\n");
	} else if (!strcmp(kind, "pedit")) {
		print_pedit(a, c, stats);
	} else if (!strcmp(kind, "csum")) {
		printf("csum (%s) action %s\n\tindex %lld ref 1 bind 1", str(a, "csum"), c,
		       index_of(a));
		used(a, stats);
		printf("\n");
	} else if (!strcmp(kind, "police")) {
		print_police(a, stats);
	} else if (!strcmp(kind, "ct")) {
		print_ct(a, c, stats);
	} else if (!strcmp(kind, "tunnel_key")) {
		print_tunnel_key(a, c, stats);
	} else {
		printf("gact action %s\n\t random type none pass val 0\n\t index %lld ref 1 bind 1",
		       c, index_of(a));
		used(a, stats);
		printf("\n");
	}
	if (stats && st)
		printf("\tAction statistics:\n\tSent %lld bytes %lld pkt (dropped %lld, overlimits %lld "
		       "requeues 0) \n\tbacklog 0b 0p requeues 0\n", num(st, "bytes"),
		       num(st, "packets"), num(st, "drops"), num(st, "overlimits"));
	printf("\n");
}
