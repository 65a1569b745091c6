/*
 * dl_ct.c - the connection table for users: `sfnic ct show|flush|stats`,
 * connections in conntrack(8)'s terms (tuples, state, timeout, mark, zone,
 * packets and bytes per direction) as JSON.
 */
#include "dl_internal.h"
#include "../ct/ct.h"
#include "../dp/dp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <time.h>

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	case 132: return "sctp";
	case 136: return "udplite";
	case 33: return "dccp";
	case 47: return "gre";
	default: return "unknown";
	}
}

static json_t *tuple_json(const struct ct_tuple *t, uint64_t packets, uint64_t bytes)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = t->family == 4 ? AF_INET : AF_INET6;
	json_t *o;

	inet_ntop(af, t->src, src, sizeof(src));
	inet_ntop(af, t->dst, dst, sizeof(dst));
	o = json_pack("{s:s,s:s}", "src", src, "dst", dst);
	if (t->proto == 1 || t->proto == 58) {
		json_object_set_new(o, "type", json_integer(t->dport >> 8));
		json_object_set_new(o, "code", json_integer(t->dport & 0xff));
		json_object_set_new(o, "id", json_integer(t->sport));
	} else if (t->sport || t->dport) {
		json_object_set_new(o, "sport", json_integer(t->sport));
		json_object_set_new(o, "dport", json_integer(t->dport));
	}
	json_object_set_new(o, "packets", json_integer((json_int_t)packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
	return o;
}

struct show {
	json_t *arr;
	int zone;
};

static void add_conn(const struct ct_info *c, void *arg)
{
	struct show *s = arg;
	json_t *o;

	if (s->zone >= 0 && c->orig.zone != s->zone)
		return;
	o = json_pack("{s:s,s:s,s:i,s:I}", "family", c->orig.family == 4 ? "ipv4" : "ipv6",
		      "proto", proto_name(c->orig.proto), "protonum", c->orig.proto,
		      "timeout", (json_int_t)((c->timeout_ms + 999) / 1000));
	if (c->orig.proto == 6)
		json_object_set_new(o, "state", json_string(ct_tcp_state_name(c->tcp_state)));
	json_object_set_new(o, "orig", tuple_json(&c->orig, c->packets[0], c->bytes[0]));
	json_object_set_new(o, "reply", tuple_json(&c->reply, c->packets[1], c->bytes[1]));
	json_object_set_new(o, "unreplied", json_boolean(!c->seen_reply));
	json_object_set_new(o, "assured", json_boolean(c->assured));
	json_object_set_new(o, "mark", json_integer(c->mark));
	json_object_set_new(o, "zone", json_integer(c->orig.zone));
	json_array_append_new(s->arr, o);
}

static struct ct_table *table(struct dl *dl, struct dl_err *err)
{
	struct dp *dp = dl_datapath(dl);

	if (!dp) {
		dl_errf(err, EOPNOTSUPP, "This device has no datapath");
		return NULL;
	}
	return dp_ct(dp);
}

int dl_ct_show(struct dl *dl, int zone, json_t **out, struct dl_err *err)
{
	struct ct_table *t = table(dl, err);
	struct show s = { .zone = zone };

	if (!t)
		return -EOPNOTSUPP;
	s.arr = json_array();
	ct_foreach(t, mono_ms(), add_conn, &s);
	*out = json_pack("{s:o}", "ct", s.arr);
	return 0;
}

int dl_ct_flush(struct dl *dl, int zone, json_t **out, struct dl_err *err)
{
	struct ct_table *t = table(dl, err);

	if (!t)
		return -EOPNOTSUPP;
	*out = json_pack("{s:i}", "flushed", ct_flush(t, zone));
	return 0;
}

int dl_ct_stats(struct dl *dl, json_t **out, struct dl_err *err)
{
	struct ct_table *t = table(dl, err);
	struct ct_stats s;

	if (!t)
		return -EOPNOTSUPP;
	ct_stats(t, &s);
	*out = json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "ct_stats",
			 "entries", (json_int_t)s.entries, "max", (json_int_t)s.max,
			 "created", (json_int_t)s.created, "expired", (json_int_t)s.expired,
			 "deleted", (json_int_t)s.deleted, "invalid", (json_int_t)s.invalid,
			 "table_full", (json_int_t)s.table_full, "related", (json_int_t)s.related,
			 "searched", (json_int_t)s.searched, "found", (json_int_t)s.found);
	return 0;
}
