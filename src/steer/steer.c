/*
 * steer.c - the control half of RX steering: ethtool's ntuple grammar in,
 * `ethtool -n` text out.
 *
 * The grammar follows ethtool's rxclass.c: a table of fields per flow type,
 * each at most once (l4data and spi overlay both ports, as in ethtool),
 * numbers base 0, `m MASK` or `FIELD-mask MASK` after a value marks bits to
 * ignore.  Where ethtool silently accepts a field without a value, we refuse
 * ("Add rule, invalid syntax"); what we cannot do (vf, user-def, context, the
 * SCTP/AH/ESP flow types) is refused at parse time rather than half applied.
 */
#include "steer.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KO(f) offsetof(struct steer_key, f)

enum kind { K_MAC, K_IP4, K_IP6, K_U8, K_BE16, K_BE32, K_ACTION, K_QUEUE, K_LOC, K_UNSUP };

/* Which flow types take a field. */
#define T(f) (1u << STEER_FLOW_##f)
#define T_V4 (T(IP4) | T(TCP4) | T(UDP4))
#define T_V6 (T(IP6) | T(TCP6) | T(UDP6))
#define T_RAW (T(IP4) | T(IP6))
#define T_IP (T_V4 | T_V6)
#define T_ALL (T(ETHER) | T_IP)

/* "Each field at most once": a bit per thing a field sets. */
enum {
	B_SADDR = 1 << 0, B_DADDR = 1 << 1, B_PROTO = 1 << 2, B_TOS = 1 << 3,
	B_SPORT = 1 << 4, B_DPORT = 1 << 5, B_VLAN = 1 << 6, B_VETH = 1 << 7,
	B_MAC = 1 << 8, B_ACTION = 1 << 9, B_QUEUE = 1 << 10, B_LOC = 1 << 11,
	B_NBITS = 12,
};

struct field {
	const char *name;
	uint8_t kind;
	uint8_t off;               /* in struct steer_key */
	uint16_t bits;
	uint16_t types;
};

static const struct field fields[] = {
	{ "src", K_MAC, KO(src_mac), B_SADDR, T(ETHER) },
	{ "dst", K_MAC, KO(dst_mac), B_DADDR, T(ETHER) },
	{ "proto", K_BE16, KO(ethertype), B_PROTO, T(ETHER) },
	{ "src-ip", K_IP4, KO(src_ip), B_SADDR, T_V4 },
	{ "src-ip", K_IP6, KO(src_ip), B_SADDR, T_V6 },
	{ "dst-ip", K_IP4, KO(dst_ip), B_DADDR, T_V4 },
	{ "dst-ip", K_IP6, KO(dst_ip), B_DADDR, T_V6 },
	{ "tos", K_U8, KO(tos), B_TOS, T_V4 },
	{ "tclass", K_U8, KO(tos), B_TOS, T_V6 },
	{ "l4proto", K_U8, KO(l4proto), B_PROTO, T_RAW },
	{ "l4data", K_BE32, KO(l4), B_SPORT | B_DPORT, T_RAW },
	{ "spi", K_BE32, KO(l4), B_SPORT | B_DPORT, T_RAW },
	{ "src-port", K_BE16, KO(l4), B_SPORT, T_IP },
	{ "dst-port", K_BE16, KO(l4) + 2, B_DPORT, T_IP },
	{ "dst-mac", K_MAC, KO(dst_mac), B_MAC, T_IP },
	{ "vlan-etype", K_BE16, KO(vlan_etype), B_VETH, T_ALL },
	{ "vlan", K_BE16, KO(vlan_tci), B_VLAN, T_ALL },
	{ "action", K_ACTION, 0, B_ACTION, T_ALL },
	{ "queue", K_QUEUE, 0, B_QUEUE, T_ALL },
	{ "loc", K_LOC, 0, B_LOC, T_ALL },
	{ "user-def", K_UNSUP, 0, 0, T_ALL },
	{ "vf", K_UNSUP, 0, 0, T_ALL },
	{ "context", K_UNSUP, 0, 0, T_ALL },
};

static const char *const flow_names[STEER_FLOW_MAX] = {
	[STEER_FLOW_ETHER] = "ether", [STEER_FLOW_IP4] = "ip4", [STEER_FLOW_TCP4] = "tcp4",
	[STEER_FLOW_UDP4] = "udp4", [STEER_FLOW_IP6] = "ip6", [STEER_FLOW_TCP6] = "tcp6",
	[STEER_FLOW_UDP6] = "udp6",
};

/* ethtool's other flow types: known words we refuse with a reason. */
static const char *const flow_unsupported[] = { "sctp4", "ah4", "esp4", "sctp6", "ah6", "esp6" };

const char *steer_flow_name(unsigned flow_type)
{
	return flow_type && flow_type < STEER_FLOW_MAX ? flow_names[flow_type] : NULL;
}

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ethtool's rxclass_get_ulong(): base 0, the whole word, at most bits wide.
 * strtoull takes "-1" as all ones, which is how `action -1` gets through. */
static bool get_ulong(const char *s, unsigned bits, uint64_t *v)
{
	uint64_t max = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !*end && !errno && *v <= max;
}

static bool get_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		char *end;
		unsigned long b;

		if (!isxdigit((unsigned char)*s))
			return false;
		b = strtoul(s, &end, 16);
		if (end - s > 2 || *end != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)b;
		s = end + (i < 5);
	}
	return true;
}

/* Parses s as a value of field f into dst (bytes in key order).  For masks
 * the caller complements the result. */
static bool get_bytes(const struct field *f, const char *s, uint8_t *dst, unsigned *n)
{
	uint64_t v;

	switch (f->kind) {
	case K_MAC:
		*n = 6;
		return get_mac(s, dst);
	case K_IP4:
		*n = 4;
		return inet_pton(AF_INET, s, dst) == 1;
	case K_IP6:
		*n = 16;
		return inet_pton(AF_INET6, s, dst) == 1;
	case K_U8:
		*n = 1;
		if (!get_ulong(s, 8, &v))
			return false;
		dst[0] = (uint8_t)v;
		return true;
	case K_BE16:
		*n = 2;
		if (!get_ulong(s, 16, &v))
			return false;
		dst[0] = (uint8_t)(v >> 8), dst[1] = (uint8_t)v;
		return true;
	case K_BE32:
		*n = 4;
		if (!get_ulong(s, 32, &v))
			return false;
		for (int i = 0; i < 4; i++)
			dst[i] = (uint8_t)(v >> (24 - 8 * i));
		return true;
	}
	return false;
}

static const struct field *find_field(const char *name, unsigned flow)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].name, name) && (fields[i].types & (1u << flow)))
			return &fields[i];
	return NULL;
}

static int parse_flow(const char *w, uint8_t *flow, char *err, size_t errlen)
{
	for (unsigned t = 1; t < STEER_FLOW_MAX; t++)
		if (!strcmp(w, flow_names[t])) {
			*flow = (uint8_t)t;
			return 0;
		}
	for (size_t i = 0; i < sizeof(flow_unsupported) / sizeof(flow_unsupported[0]); i++)
		if (!strcmp(w, flow_unsupported[i]))
			return fail(err, errlen, "Add rule, unsupported rule type[%s]", w);
	return fail(err, errlen, "Add rule, invalid rule type[%s]", w);
}

/* action, queue and loc: values that are not matched. */
static int parse_control(struct steer_rule *r, const struct field *f, const char *v, char *err,
			 size_t errlen)
{
	uint64_t x;

	if (f->kind == K_ACTION) {
		if (get_ulong(v, 64, &x) && x == UINT64_MAX)
			r->action = STEER_ACTION_DROP;
		else if (get_ulong(v, 64, &x) && x < STEER_QUEUES)
			r->action = (int32_t)x;
		else
			return fail(err, errlen, "Invalid action value[%s] (a queue 0-%d, or -1 to drop)",
				    v, STEER_QUEUES - 1);
	} else if (f->kind == K_QUEUE) {
		if (!get_ulong(v, 32, &x) || x >= STEER_QUEUES)
			return fail(err, errlen, "Invalid queue value[%s] (a queue 0-%d)", v,
				    STEER_QUEUES - 1);
		r->action = (int32_t)x;
	} else {
		if (!get_ulong(v, 32, &x) || x >= STEER_TABLE_SIZE)
			return fail(err, errlen, "Invalid loc value[%s] (locations 0-%d)", v,
				    STEER_TABLE_SIZE - 1);
		r->loc = (uint32_t)x;
		r->flags |= STEER_F_LOC;
	}
	return 0;
}

static void set_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

/* What the flow type implies, folded into key and mask so that matching
 * needs no knowledge of flow types. */
static void imply(struct steer_rule *r)
{
	uint8_t *k = (uint8_t *)&r->key.k, *m = (uint8_t *)&r->mask.k;
	bool v4 = r->flow_type >= STEER_FLOW_IP4 && r->flow_type <= STEER_FLOW_UDP4;
	bool v6 = r->flow_type >= STEER_FLOW_IP6 && r->flow_type <= STEER_FLOW_UDP6;
	uint32_t l4m;

	if (v4 || v6) {
		set_u16(k + KO(ethertype), v4 ? 0x0800 : 0x86dd);
		set_u16(m + KO(ethertype), 0xffff);
		r->key.k.meta |= STEER_META_IP;
		r->mask.k.meta |= STEER_META_IP;
	}
	if (r->flow_type == STEER_FLOW_TCP4 || r->flow_type == STEER_FLOW_TCP6)
		r->key.k.l4proto = 6, r->mask.k.l4proto = 0xff;
	if (r->flow_type == STEER_FLOW_UDP4 || r->flow_type == STEER_FLOW_UDP6)
		r->key.k.l4proto = 17, r->mask.k.l4proto = 0xff;
	memcpy(&l4m, r->mask.k.l4, 4);
	if (l4m) {
		r->key.k.meta |= STEER_META_L4;
		r->mask.k.meta |= STEER_META_L4;
	}
	if (r->mask.k.vlan_tci || r->mask.k.vlan_etype) {
		r->key.k.meta |= STEER_META_VLAN;
		r->mask.k.meta |= STEER_META_VLAN;
	}
}

int steer_parse(int argc, const char *const *argv, struct steer_rule *r, char *err,
		size_t errlen)
{
	const char *who[B_NBITS] = { 0 };
	unsigned seen = 0;
	int i, ret;

	memset(r, 0, sizeof(*r));
	if (argc < 2 || strcmp(argv[0], "flow-type"))
		return fail(err, errlen, "Add rule, invalid syntax");
	if ((ret = parse_flow(argv[1], &r->flow_type, err, errlen)))
		return ret;
	for (i = 2; i < argc;) {
		const struct field *f = find_field(argv[i], r->flow_type);
		uint8_t buf[16];
		unsigned n;
		char mname[24];

		if (!f)
			return fail(err, errlen, "Add rule, unrecognized option[%s]", argv[i]);
		if (f->kind == K_UNSUP)
			return fail(err, errlen, "Add rule, unsupported option[%s]", f->name);
		if (i + 1 >= argc)
			return fail(err, errlen, "Add rule, invalid syntax");
		if (seen & f->bits) {
			const char *prev = "";

			for (int b = 0; b < B_NBITS; b++)
				if ((seen & f->bits & (1u << b)) && who[b])
					prev = who[b];
			return fail(err, errlen, "Invalid %s value[%s] (%s given already)", f->name,
				    argv[i + 1], prev);
		}
		seen |= f->bits;
		for (int b = 0; b < B_NBITS; b++)
			if (f->bits & (1u << b))
				who[b] = f->name;
		if (f->kind >= K_ACTION) {
			if ((ret = parse_control(r, f, argv[i + 1], err, errlen)))
				return ret;
		} else {
			if (!get_bytes(f, argv[i + 1], buf, &n))
				return fail(err, errlen, "Invalid %s value[%s]", f->name, argv[i + 1]);
			memcpy((uint8_t *)&r->key.k + f->off, buf, n);
			memset((uint8_t *)&r->mask.k + f->off, 0xff, n);
		}
		i += 2;
		snprintf(mname, sizeof(mname), "%s-mask", f->name);
		if (i >= argc || (strcmp(argv[i], "m") && strcmp(argv[i], mname)))
			continue;
		if (i + 1 >= argc)
			return fail(err, errlen, "Add rule, invalid syntax");
		if (f->kind >= K_ACTION || !get_bytes(f, argv[i + 1], buf, &n))
			return fail(err, errlen, "Invalid %s mask[%s]", f->name, argv[i + 1]);
		/* The command line names bits to ignore; the rule keeps bits to
		 * compare, as the kernel's m_u does. */
		for (unsigned b = 0; b < n; b++)
			((uint8_t *)&r->mask.k)[f->off + b] = (uint8_t)~buf[b];
		i += 2;
	}
	if ((seen & B_ACTION) && (seen & B_QUEUE))
		return fail(err, errlen, "action and queue are not compatible");
	if (seen & (B_VLAN | B_VETH))
		r->flags |= STEER_F_EXT;
	if (seen & B_MAC)
		r->flags |= STEER_F_MAC_EXT;
	imply(r);
	return 0;
}

bool steer_rule_valid(const struct steer_rule *r)
{
	return r->flow_type && r->flow_type < STEER_FLOW_MAX && r->loc < STEER_TABLE_SIZE &&
	       (r->action == STEER_ACTION_DROP || (r->action >= 0 && r->action < STEER_QUEUES)) &&
	       !(r->flags & ~(STEER_F_LOC | STEER_F_EXT | STEER_F_MAC_EXT));
}

/* ---- printing ---- */

struct out {
	char *buf;
	size_t len, n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(o->n < o->len ? o->buf + o->n : NULL, o->n < o->len ? o->len - o->n : 0,
		      fmt, ap);
	va_end(ap);
	if (k > 0)
		o->n += (size_t)k;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A mask as ethtool prints it: complemented back into bits to ignore. */
static void inverted(const uint8_t *m, unsigned n, uint8_t *out)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (uint8_t)~m[i];
}

static void put_mac(struct out *o, const char *label, const uint8_t *v, const uint8_t *m)
{
	put(o, "\t%s: %02X:%02X:%02X:%02X:%02X:%02X mask: %02X:%02X:%02X:%02X:%02X:%02X\n", label,
	    v[0], v[1], v[2], v[3], v[4], v[5], m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void put_ip(struct out *o, bool v6, const char *label, const uint8_t *v,
		   const uint8_t *m)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	uint8_t im[16];

	inverted(m, v6 ? 16 : 4, im);
	inet_ntop(v6 ? AF_INET6 : AF_INET, v, a, sizeof(a));
	inet_ntop(v6 ? AF_INET6 : AF_INET, im, b, sizeof(b));
	put(o, "\t%s IP addr: %s mask: %s\n", label, a, b);
}

static const char *rule_type(unsigned t)
{
	static const char *const names[STEER_FLOW_MAX] = {
		[STEER_FLOW_IP4] = "Raw IPv4", [STEER_FLOW_TCP4] = "TCP over IPv4",
		[STEER_FLOW_UDP4] = "UDP over IPv4", [STEER_FLOW_IP6] = "Raw IPv6",
		[STEER_FLOW_TCP6] = "TCP over IPv6", [STEER_FLOW_UDP6] = "UDP over IPv6",
	};
	return names[t];
}

int steer_format(const struct steer_rule *r, char *buf, size_t len)
{
	const struct steer_key *k = &r->key.k, *m = &r->mask.k;
	struct out o = { buf, len, 0 };
	uint8_t im[6];

	if (len)
		buf[0] = 0;
	if (!r->flow_type || r->flow_type >= STEER_FLOW_MAX)
		return -EINVAL;
	put(&o, "Filter: %d\n", (int)r->loc);
	if (r->flow_type == STEER_FLOW_ETHER) {
		put(&o, "\tFlow Type: Raw Ethernet\n");
		inverted(m->src_mac, 6, im);
		put_mac(&o, "Src MAC addr", k->src_mac, im);
		inverted(m->dst_mac, 6, im);
		put_mac(&o, "Dest MAC addr", k->dst_mac, im);
		put(&o, "\tEthertype: 0x%X mask: 0x%X\n", get16((const uint8_t *)&k->ethertype),
		    (uint16_t)~get16((const uint8_t *)&m->ethertype));
	} else {
		bool v6 = r->flow_type >= STEER_FLOW_IP6;
		bool raw = r->flow_type == STEER_FLOW_IP4 || r->flow_type == STEER_FLOW_IP6;

		put(&o, "\tRule Type: %s\n", rule_type(r->flow_type));
		put_ip(&o, v6, "Src", k->src_ip, m->src_ip);
		put_ip(&o, v6, "Dest", k->dst_ip, m->dst_ip);
		put(&o, "\t%s: 0x%x mask: 0x%x\n", v6 ? "Traffic Class" : "TOS", k->tos,
		    (uint8_t)~m->tos);
		if (raw) {
			put(&o, "\tProtocol: %d mask: 0x%x\n", k->l4proto, (uint8_t)~m->l4proto);
			put(&o, "\tL4 bytes: 0x%x mask: 0x%x\n", get32(k->l4), ~get32(m->l4));
		} else {
			put(&o, "\tSrc port: %d mask: 0x%x\n", get16(k->l4),
			    (uint16_t)~get16(m->l4));
			put(&o, "\tDest port: %d mask: 0x%x\n", get16(k->l4 + 2),
			    (uint16_t)~get16(m->l4 + 2));
		}
	}
	if (r->flags & STEER_F_EXT) {
		put(&o, "\tVLAN EtherType: 0x%x mask: 0x%x\n",
		    get16((const uint8_t *)&k->vlan_etype),
		    (uint16_t)~get16((const uint8_t *)&m->vlan_etype));
		put(&o, "\tVLAN: 0x%x mask: 0x%x\n", get16((const uint8_t *)&k->vlan_tci),
		    (uint16_t)~get16((const uint8_t *)&m->vlan_tci));
		put(&o, "\tUser-defined: 0x%llx mask: 0x%llx\n", 0ull, ~0ull);
	}
	/* ethtool prints this one mask as the kernel holds it (its
	 * invert_flow_mask() covers m_u, not m_ext): FF means compared. */
	if (r->flags & STEER_F_MAC_EXT)
		put_mac(&o, "Dest MAC addr", k->dst_mac, m->dst_mac);
	if (r->action == STEER_ACTION_DROP)
		put(&o, "\tAction: Drop\n");
	else
		put(&o, "\tAction: Direct to queue %d\n", (int)r->action);
	put(&o, "\n");
	return (int)o.n;
}

/* ---- fields, for JSON ---- */

static void report(const struct steer_rule *r, const char *name, unsigned kind, unsigned off,
		   void (*fn)(const struct steer_field *f, void *arg), void *arg)
{
	const uint8_t *v = (const uint8_t *)&r->key.k + off, *m = (const uint8_t *)&r->mask.k + off;
	static const uint8_t width[] = { [K_MAC] = 6, [K_IP4] = 4, [K_IP6] = 16, [K_U8] = 1,
					 [K_BE16] = 2, [K_BE32] = 4 };
	struct steer_field f = { .name = name };
	uint8_t im[16];
	unsigned n = width[kind];
	bool any = false;

	for (unsigned i = 0; i < n; i++)
		any |= m[i] != 0;
	if (!any)
		return;
	inverted(m, n, im);
	if (kind == K_MAC) {
		snprintf(f.value, sizeof(f.value), "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2],
			 v[3], v[4], v[5]);
		snprintf(f.mask, sizeof(f.mask), "%02x:%02x:%02x:%02x:%02x:%02x", im[0], im[1],
			 im[2], im[3], im[4], im[5]);
	} else if (kind == K_IP4 || kind == K_IP6) {
		inet_ntop(kind == K_IP6 ? AF_INET6 : AF_INET, v, f.value, sizeof(f.value));
		inet_ntop(kind == K_IP6 ? AF_INET6 : AF_INET, im, f.mask, sizeof(f.mask));
	} else {
		f.num = true;
		for (unsigned i = 0; i < n; i++) {
			f.value_num = f.value_num << 8 | v[i];
			f.mask_num = f.mask_num << 8 | im[i];
		}
		snprintf(f.value, sizeof(f.value), "%llu", (unsigned long long)f.value_num);
		snprintf(f.mask, sizeof(f.mask), "0x%llx", (unsigned long long)f.mask_num);
	}
	fn(&f, arg);
}

void steer_fields(const struct steer_rule *r,
		  void (*fn)(const struct steer_field *f, void *arg), void *arg)
{
	bool v6 = r->flow_type >= STEER_FLOW_IP6;
	unsigned ip = v6 ? K_IP6 : K_IP4;

	if (!r->flow_type || r->flow_type >= STEER_FLOW_MAX)
		return;
	if (r->flow_type == STEER_FLOW_ETHER) {
		report(r, "src", K_MAC, KO(src_mac), fn, arg);
		report(r, "dst", K_MAC, KO(dst_mac), fn, arg);
		report(r, "proto", K_BE16, KO(ethertype), fn, arg);
	} else {
		report(r, "src-ip", ip, KO(src_ip), fn, arg);
		report(r, "dst-ip", ip, KO(dst_ip), fn, arg);
		report(r, v6 ? "tclass" : "tos", K_U8, KO(tos), fn, arg);
		if (r->flow_type == STEER_FLOW_IP4 || r->flow_type == STEER_FLOW_IP6) {
			report(r, "l4proto", K_U8, KO(l4proto), fn, arg);
			report(r, "l4data", K_BE32, KO(l4), fn, arg);
		} else {
			report(r, "src-port", K_BE16, KO(l4), fn, arg);
			report(r, "dst-port", K_BE16, KO(l4) + 2, fn, arg);
		}
	}
	report(r, "vlan-etype", K_BE16, KO(vlan_etype), fn, arg);
	report(r, "vlan", K_BE16, KO(vlan_tci), fn, arg);
	if (r->flow_type != STEER_FLOW_ETHER)
		report(r, "dst-mac", K_MAC, KO(dst_mac), fn, arg);
}
