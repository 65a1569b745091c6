/*
 * tc_action.c - tc's actions on eswitch rules: their words and their JSON.
 *
 * The grammar is iproute2's (m_action.c and the m_*.c of each kind):
 * keywords that tc matches by prefix are matched by prefix here, each
 * action takes an optional control word after its arguments with tc's
 * default per kind, and a bare control word is a gact action.  The JSON is
 * `tc -j filter show`'s; the CLI prints text from it.
 */
#include "tc.h"
#include "tc_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* iproute2's matches(): arg is a non-empty prefix of word. */
static bool prefix(const char *arg, const char *word)
{
	size_t n = strlen(arg);

	return n && !strncmp(arg, word, n);
}

/* tc's action_a2n: a control word (by prefix, in tc's order).  Returns the
 * verb or -1; "jump" and "trap" are words tc knows that sfnic refuses. */
static int ctl_word(const char *w)
{
	static const struct { const char *w; int ctl; } words[] = {
		{ "continue", ESW_CTL_CONTINUE }, { "drop", ESW_CTL_DROP },
		{ "shot", ESW_CTL_DROP }, { "pass", ESW_CTL_PASS }, { "ok", ESW_CTL_PASS },
		{ "reclassify", ESW_CTL_RECLASSIFY }, { "pipe", ESW_CTL_PIPE },
		{ "goto", ESW_CTL_GOTO }, { "jump", -2 }, { "trap", -2 },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (prefix(w, words[i].w))
			return words[i].ctl;
	return -1;
}

/* Parses the control word at argv[*i] (and "chain N" after goto) into
 * *ctl / *chain, leaving *i on its last word.  Returns 0, 1 when argv[*i]
 * is no control word, or -EINVAL with tc's message. */
static int ctl_parse(int *i, int argc, const char *const *argv, uint8_t *ctl, uint32_t *chain,
		     char *err, size_t errlen)
{
	int c = ctl_word(argv[*i]);

	if (c == -1)
		return 1;
	if (c == -2)
		return ERR("Bad action type %s (not supported by sfnic)", argv[*i]);
	if (c == ESW_CTL_GOTO) {
		uint32_t n;

		if (*i + 1 >= argc || !prefix(argv[*i + 1], "chain"))
			return ERR("\"chain index\" expected");
		if (*i + 2 >= argc || !argv[*i + 2][0] || strspn(argv[*i + 2], "0123456789") !=
		    strlen(argv[*i + 2]) || tc_parse_u32(argv[*i + 2], 0x0fffffff, &n))
			return ERR("Illegal \"chain index\"");
		*chain = n;
		*i += 2;
	}
	*ctl = (uint8_t)c;
	return 0;
}

/* An optional control word after an action's arguments (tc's
 * parse_action_control_dflt): taken when the next word is one. */
static int ctl_opt(int *i, int argc, const char *const *argv, struct esw_action *a,
		   char *err, size_t errlen)
{
	int j = *i + 1, ret;

	if (j >= argc)
		return 0;
	ret = ctl_parse(&j, argc, argv, &a->ctl, &a->ctl_chain, err, errlen);
	if (ret < 0)
		return ret;
	if (!ret)
		*i = j;
	return 0;
}

/* ---- gact, mirred, vlan ---- */

static const uint8_t gact_type[ESW_CTL_MAX] = {
	[ESW_CTL_PIPE] = ESW_ACT_PIPE, [ESW_CTL_PASS] = ESW_ACT_PASS,
	[ESW_CTL_DROP] = ESW_ACT_DROP, [ESW_CTL_CONTINUE] = ESW_ACT_CONTINUE,
	[ESW_CTL_RECLASSIFY] = ESW_ACT_RECLASSIFY, [ESW_CTL_GOTO] = ESW_ACT_GOTO,
};

static int parse_gact(int *i, int argc, const char *const *argv, struct esw_action *a,
		      char *err, size_t errlen)
{
	int ret;

	if (prefix(argv[*i], "gact") && ctl_word(argv[*i]) == -1) {
		if (++*i >= argc)
			return ERR("gact: missing action control");
	}
	ret = ctl_parse(i, argc, argv, &a->ctl, &a->ctl_chain, err, errlen);
	if (ret > 0)
		return ERR("Bad action type %s", argv[*i]);
	if (ret)
		return ret;
	a->type = gact_type[a->ctl];
	return 0;
}

static int parse_mirred(int *i, int argc, const char *const *argv, struct esw_action *a,
			tc_resolve_fn resolve, void *arg, char *err, size_t errlen)
{
	bool ingress, redirect;
	uint32_t vport;
	int ret;

	if (*i + 1 >= argc)
		return ERR("mirred: expected \"egress|ingress redirect|mirror dev DEVICE\"");
	if (prefix(argv[*i + 1], "egress"))
		ingress = false;
	else if (prefix(argv[*i + 1], "ingress"))
		ingress = true;
	else
		return ERR("was expecting egress or ingress (%s)", argv[*i + 1]);
	if (*i + 2 >= argc || (!prefix(argv[*i + 2], "redirect") && !prefix(argv[*i + 2], "mirror")))
		return ERR("mirred: expected \"redirect\" or \"mirror\"");
	redirect = prefix(argv[*i + 2], "redirect");
	if (*i + 4 >= argc || !prefix(argv[*i + 3], "dev"))
		return ERR("mirred: missing \"dev DEVICE\"");
	ret = resolve(arg, argv[*i + 4], &vport);
	if (ret) {
		snprintf(err, errlen, "Cannot find device \"%s\"", argv[*i + 4]);
		return ret;
	}
	*i += 4;
	a->arg = vport;
	a->type = ingress ? ESW_ACT_MIRRED_INGRESS : redirect ? ESW_ACT_REDIRECT : ESW_ACT_MIRROR;
	/* A redirect steals the frame and takes no control word. */
	if (redirect) {
		a->ctl = ESW_CTL_STOLEN;
		return 0;
	}
	a->ctl = ESW_CTL_PIPE;
	return ctl_opt(i, argc, argv, a, err, errlen);
}

static int parse_vlan(int *i, int argc, const char *const *argv, struct esw_action *a,
		      char *err, size_t errlen)
{
	uint32_t v;

	if (++*i >= argc)
		return ERR("vlan: missing action (push|pop)");
	if (!strcmp(argv[*i], "pop")) {
		a->type = ESW_ACT_VLAN_POP;
	} else if (!strcmp(argv[*i], "push")) {
		a->type = ESW_ACT_VLAN_PUSH;
		if (*i + 2 >= argc || strcmp(argv[*i + 1], "id"))
			return ERR("vlan: push needs \"id VLANID\"");
		if (tc_parse_u32(argv[*i + 2], 4095, &v))
			return ERR("Illegal \"id\"");
		a->vlan_id = (uint16_t)v;
		*i += 2;
		if (*i + 2 < argc && !strcmp(argv[*i + 1], "priority")) {
			if (tc_parse_u32(argv[*i + 2], 7, &v))
				return ERR("Illegal \"priority\"");
			a->vlan_prio = (uint8_t)v;
			*i += 2;
		}
	} else {
		return ERR("vlan: unknown action \"%s\"", argv[*i]);
	}
	a->ctl = ESW_CTL_PIPE;
	return ctl_opt(i, argc, argv, a, err, errlen);
}

/* ---- pedit ---- */

enum { T_U32, T_IP4, T_IP6, T_MAC };

struct pedit_field {
	uint8_t htype;
	const char *hdr, *name;
	uint16_t off;
	uint8_t len;            /* bytes */
	uint8_t type;
	uint32_t retain;
	bool dec;               /* decrement allowed */
};

/* iproute2's p_eth.c, p_ip.c, p_ip6.c, p_tcp.c, p_udp.c: offsets, widths
 * and retain masks (ip6 traffic_class is tc's byte at offset 1). */
static const struct pedit_field pedit_fields[] = {
	{ ESW_PEDIT_ETH, "eth", "type", 12, 2, T_U32, 0xffff, false },
	{ ESW_PEDIT_ETH, "eth", "dst", 0, 6, T_MAC, 0xffffffff, false },
	{ ESW_PEDIT_ETH, "eth", "src", 6, 6, T_MAC, 0xffffffff, false },
	{ ESW_PEDIT_IP4, "ip", "src", 12, 4, T_IP4, 0xffffffff, false },
	{ ESW_PEDIT_IP4, "ip", "dst", 16, 4, T_IP4, 0xffffffff, false },
	{ ESW_PEDIT_IP4, "ip", "tos", 1, 1, T_U32, 0xff, false },
	{ ESW_PEDIT_IP4, "ip", "dsfield", 1, 1, T_U32, 0xff, false },
	{ ESW_PEDIT_IP4, "ip", "ihl", 0, 1, T_U32, 0x0f, false },
	{ ESW_PEDIT_IP4, "ip", "ttl", 8, 1, T_U32, 0xff, true },
	{ ESW_PEDIT_IP4, "ip", "protocol", 9, 1, T_U32, 0xff, false },
	{ ESW_PEDIT_IP4, "ip", "precedence", 1, 1, T_U32, 0xff, false },
	{ ESW_PEDIT_IP4, "ip", "nofrag", 6, 1, T_U32, 0x3f, false },
	{ ESW_PEDIT_IP4, "ip", "firstfrag", 6, 1, T_U32, 0x1f, false },
	{ ESW_PEDIT_IP4, "ip", "ce", 6, 1, T_U32, 0x80, false },
	{ ESW_PEDIT_IP4, "ip", "df", 6, 1, T_U32, 0x40, false },
	{ ESW_PEDIT_IP4, "ip", "mf", 6, 1, T_U32, 0x20, false },
	{ ESW_PEDIT_IP6, "ip6", "src", 8, 16, T_IP6, 0xffffffff, false },
	{ ESW_PEDIT_IP6, "ip6", "dst", 24, 16, T_IP6, 0xffffffff, false },
	{ ESW_PEDIT_IP6, "ip6", "flow_lbl", 0, 4, T_U32, 0x0007ffff, false },
	{ ESW_PEDIT_IP6, "ip6", "payload_len", 4, 2, T_U32, 0xffff, false },
	{ ESW_PEDIT_IP6, "ip6", "nexthdr", 6, 1, T_U32, 0xff, false },
	{ ESW_PEDIT_IP6, "ip6", "hoplimit", 7, 1, T_U32, 0xff, true },
	{ ESW_PEDIT_IP6, "ip6", "traffic_class", 1, 1, T_U32, 0xff, false },
	{ ESW_PEDIT_TCP, "tcp", "sport", 0, 2, T_U32, 0xffff, false },
	{ ESW_PEDIT_TCP, "tcp", "dport", 2, 2, T_U32, 0xffff, false },
	{ ESW_PEDIT_TCP, "tcp", "flags", 13, 1, T_U32, 0xff, false },
	{ ESW_PEDIT_UDP, "udp", "sport", 0, 2, T_U32, 0xffff, false },
	{ ESW_PEDIT_UDP, "udp", "dport", 2, 2, T_U32, 0xffff, false },
};

static int pkey_add(struct esw_rule_spec *s, uint8_t htype, uint8_t cmd, uint16_t off,
		    uint32_t val, uint32_t mask, char *err, size_t errlen)
{
	if (s->npkey == ESW_MAX_PEDIT_KEYS)
		return ERR("Too many pedit keys (at most %d per rule)", ESW_MAX_PEDIT_KEYS);
	s->pkey[s->npkey++] = (struct esw_pedit_key){ .htype = htype, .cmd = cmd, .off = off,
						      .val = val, .mask = mask };
	return 0;
}

/* tc's pack_key8/16/32: a field of len bytes at off into the 32-bit word
 * holding it, bits outside retain kept. */
static int pack_small(struct esw_rule_spec *s, const struct pedit_field *f, uint8_t htype,
		      uint8_t cmd, uint32_t v, uint32_t m, uint32_t retain, char *err, size_t errlen)
{
	static const uint32_t keep8[4] = { 0x00ffffff, 0xff00ffff, 0xffff00ff, 0xffffff00 };
	static const uint32_t keep16[3] = { 0x0000ffff, 0xff0000ff, 0xffff0000 };
	unsigned ind = f->off & 3, stride;
	uint32_t val, mask;

	if (f->len == 4) {
		val = v & retain;
		mask = m | ~retain;
	} else if (f->len == 2) {
		if (v > 0xffff)
			return ERR("pack_key16 bad value");
		stride = 8 * (2 - ind);
		val = (v & retain) << stride;
		mask = (uint32_t)((uint64_t)(m | ~retain) << stride) | keep16[ind];
	} else {
		if (v > 0xff)
			return ERR("pack_key8 bad value (val %x mask %x", v, m);
		stride = 8 * (3 - ind);
		val = (v & retain) << stride;
		mask = (uint32_t)((uint64_t)(m | ~retain) << stride) | keep8[ind];
	}
	return pkey_add(s, htype, cmd, f->off & ~3, val, mask, err, errlen);
}

static int pack_bytes(struct esw_rule_spec *s, uint8_t htype, uint8_t cmd, uint16_t off,
		      const uint8_t *b, unsigned len, char *err, size_t errlen)
{
	int ret = 0;

	if (len == 6 && (off & 3)) {    /* eth src: a half word, then a word */
		ret = pkey_add(s, htype, cmd, off & ~3, (uint32_t)b[0] << 8 | b[1], 0xffff0000,
			       err, errlen);
		return ret ? ret : pkey_add(s, htype, cmd, (off & ~3) + 4,
					    (uint32_t)b[2] << 24 | b[3] << 16 | b[4] << 8 | b[5], 0,
					    err, errlen);
	}
	for (unsigned o = 0; o < len && !ret; o += 4) {
		uint32_t w = (uint32_t)b[o] << 24 | (uint32_t)b[o + 1] << 16;
		uint32_t keep = 0;

		if (o + 2 < len)
			w |= (uint32_t)b[o + 2] << 8 | b[o + 3];
		else
			keep = 0x0000ffff;      /* eth dst's last half word */
		ret = pkey_add(s, htype, cmd, off + o, w, keep, err, errlen);
	}
	return ret;
}

/* One "munge HDR FIELD CMD [VAL] [retain R]" from argv[*i] (the header
 * word), leaving *i on its last word. */
static int parse_munge(int *i, int argc, const char *const *argv, struct esw_rule_spec *s,
		       bool ex, char *err, size_t errlen)
{
	const struct pedit_field *f = NULL;
	const char *hdr = argv[*i], *cmdw;
	uint8_t cmd = ESW_PEDIT_SET, htype;
	uint32_t v = 0, m = 0, retain;
	uint8_t bytes[16];

	if (!strcmp(hdr, "offset"))
		return ERR("pedit: \"munge offset\" is not supported by sfnic; use a header field");
	if (*i + 2 >= argc)
		return ERR("Bad pedit construct (%s)", hdr);
	for (size_t k = 0; k < sizeof(pedit_fields) / sizeof(pedit_fields[0]); k++)
		if (!strcmp(pedit_fields[k].hdr, hdr) && !strcmp(pedit_fields[k].name, argv[*i + 1])) {
			f = &pedit_fields[k];
			break;
		}
	if (!f)
		return ERR("Bad pedit construct (%s)", hdr);
	/* Without ex only ip's fields exist, relative to the network header. */
	if (!ex && f->htype != ESW_PEDIT_IP4)
		return ERR("Bad pedit construct (%s)", hdr);
	htype = ex ? f->htype : ESW_PEDIT_NET;
	retain = f->retain;
	*i += 2;
	cmdw = argv[*i];
	if (prefix(cmdw, "invert")) {
		v = m = f->len == 1 ? 0xff : f->len == 2 ? 0xffff : 0xffffffff;
	} else if (prefix(cmdw, "set") || prefix(cmdw, "add")) {
		const char *val;

		if (prefix(cmdw, "add"))
			cmd = ESW_PEDIT_ADD;
		if (!ex && cmd)
			return ERR("Non extended mode. only 'set' command is supported");
		if (++*i >= argc)
			return ERR("Bad pedit construct (%s)", hdr);
		val = argv[*i];
		if (f->type == T_MAC) {
			unsigned x[6];
			char c;

			if (sscanf(val, "%2x:%2x:%2x:%2x:%2x:%2x%c", &x[0], &x[1], &x[2], &x[3], &x[4],
				   &x[5], &c) != 6)
				return ERR("Bad pedit construct (%s)", hdr);
			for (int k = 0; k < 6; k++)
				bytes[k] = (uint8_t)x[k];
		} else if (f->type == T_IP4) {
			struct in_addr a;

			if (inet_pton(AF_INET, val, &a) != 1)
				return ERR("Bad pedit construct (%s)", hdr);
			v = ntohl(a.s_addr);
		} else if (f->type == T_IP6) {
			if (inet_pton(AF_INET6, val, bytes) != 1)
				return ERR("Bad pedit construct (%s)", hdr);
		} else if (tc_parse_u32(val, UINT32_MAX, &v)) {
			return ERR("Bad pedit construct (%s)", hdr);
		}
	} else if (prefix(cmdw, "decrement")) {
		if (!f->dec)
			return ERR("decrement command is not supported for this field");
		if (!ex)
			return ERR("Non extended mode. only 'set' command is supported");
		cmd = ESW_PEDIT_ADD;
		v = retain;     /* decrement by overflow */
	} else if (prefix(cmdw, "preserve")) {
		retain = 0;
	} else if (!prefix(cmdw, "clear")) {
		return ERR("Bad pedit construct (%s)", hdr);
	}
	if (*i + 1 < argc && prefix(argv[*i + 1], "retain")) {
		if (*i + 2 >= argc || tc_parse_u32(argv[*i + 2], UINT32_MAX, &retain))
			return ERR("Bad pedit construct (%s)", hdr);
		*i += 2;
	}
	if (f->len > 4 && retain != 0xffffffff)
		return ERR("retain is not supported for fields longer the 32 bits");
	if (f->type == T_MAC || f->type == T_IP6) {
		if (!prefix(cmdw, "set") && !prefix(cmdw, "add"))
			memset(bytes, prefix(cmdw, "invert") ? 0xff : 0, sizeof(bytes));
		if (prefix(cmdw, "invert") || prefix(cmdw, "preserve"))
			return ERR("Bad pedit construct (%s)", hdr);
		return pack_bytes(s, htype, cmd, f->off, bytes, f->len, err, errlen);
	}
	return pack_small(s, f, htype, cmd, v, m, retain, err, errlen);
}

static int parse_pedit(int *i, int argc, const char *const *argv, struct esw_rule_spec *s,
		       struct esw_action *a, char *err, size_t errlen)
{
	bool ex = false;
	unsigned first = s->npkey;
	int ret;

	if (*i + 1 < argc && prefix(argv[*i + 1], "ex")) {
		ex = true;
		++*i;
	}
	while (*i + 1 < argc && prefix(argv[*i + 1], "munge")) {
		*i += 2;
		if (*i >= argc)
			return ERR("Bad pedit construct (munge)");
		ret = parse_munge(i, argc, argv, s, ex, err, errlen);
		if (ret)
			return ret;
	}
	if (*i + 1 < argc && !strcmp(argv[*i + 1], "ex"))
		return ERR("'ex' must be before first 'munge'");
	if (s->npkey == first)
		return ERR("pedit: no \"munge\" given");
	a->type = ESW_ACT_PEDIT;
	a->pedit.first = (uint8_t)first;
	a->pedit.n = (uint8_t)(s->npkey - first);
	a->ctl = ESW_CTL_PASS;
	return ctl_opt(i, argc, argv, a, err, errlen);
}

/* ---- csum ---- */

static int parse_csum(int *i, int argc, const char *const *argv, struct esw_action *a,
		      char *err, size_t errlen)
{
	static const struct { const char *w; uint32_t f; } names[] = {
		{ "iph", ESW_CSUM_IPH }, { "ip4h", ESW_CSUM_IPH }, { "ipv4h", ESW_CSUM_IPH },
		{ "icmp", ESW_CSUM_ICMP }, { "igmp", ESW_CSUM_IGMP }, { "tcp", ESW_CSUM_TCP },
		{ "udp", ESW_CSUM_UDP }, { "udplite", ESW_CSUM_UDPLITE }, { "sctp", ESW_CSUM_SCTP },
	};
	uint32_t flags = 0;

	while (*i + 1 < argc) {
		const char *w = argv[*i + 1];
		bool found = false;

		if (flags && (!strcmp(w, "and") || !strcmp(w, "or") || !strcmp(w, "+"))) {
			++*i;
			continue;
		}
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (!strcmp(w, names[k].w)) {
				flags |= names[k].f;
				found = true;
			}
		if (!found)
			break;
		++*i;
	}
	if (!flags)
		return ERR("Illegal csum construct (%s)", *i + 1 < argc ? argv[*i + 1] : "");
	if (flags & (ESW_CSUM_IGMP | ESW_CSUM_UDPLITE | ESW_CSUM_SCTP))
		return ERR("csum: igmp, udplite and sctp are not supported by sfnic");
	a->type = ESW_ACT_CSUM;
	a->csum.flags = flags;
	a->ctl = ESW_CTL_PASS;
	return ctl_opt(i, argc, argv, a, err, errlen);
}

/* ---- police ---- */

/* iproute2's get_rate64: bits per second with a unit, as bytes/s. */
static int parse_rate(const char *s, uint64_t *out)
{
	static const struct { const char *n; double scale; } units[] = {
		{ "bit", 1. }, { "Kibit", 1024. }, { "kbit", 1000. }, { "mibit", 1048576. },
		{ "mbit", 1e6 }, { "gibit", 1073741824. }, { "gbit", 1e9 },
		{ "tibit", 1099511627776. }, { "tbit", 1e12 }, { "Bps", 8. }, { "KiBps", 8192. },
		{ "KBps", 8000. }, { "MiBps", 8388608. }, { "MBps", 8e6 },
		{ "GiBps", 8589934592. }, { "GBps", 8e9 }, { "TiBps", 8796093022208. },
		{ "TBps", 8e12 },
	};
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0 || !isfinite(v))
		return -1;
	if (*end) {
		size_t k;

		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (!strcasecmp(units[k].n, end))
				break;
		if (k == sizeof(units) / sizeof(units[0]))
			return -1;
		v *= units[k].scale;
	}
	v /= 8;
	if (v >= 18446744073709551615.0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* iproute2's get_size64: bytes with an optional unit (kb, mb, gb, kbit...). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0 || !isfinite(v))
		return -1;
	if (*end) {
		if (!strcasecmp(end, "kb") || !strcasecmp(end, "k"))
			v *= 1024;
		else if (!strcasecmp(end, "gb") || !strcasecmp(end, "g"))
			v *= 1024. * 1024 * 1024;
		else if (!strcasecmp(end, "gbit"))
			v *= 1024. * 1024 * 1024 / 8;
		else if (!strcasecmp(end, "mb") || !strcasecmp(end, "m"))
			v *= 1024 * 1024;
		else if (!strcasecmp(end, "mbit"))
			v *= 1024 * 1024 / 8;
		else if (!strcasecmp(end, "kbit"))
			v *= 1024 / 8;
		else if (strcasecmp(end, "b"))
			return -1;
	}
	if (v != floor(v) || v > 4294967295.0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* One control word of police, by iproute2's rules (no stolen). */
static int police_ctl(const char *w, uint8_t *ctl)
{
	int c = ctl_word(w);

	if (c < 0)
		return -1;
	*ctl = (uint8_t)c;
	return 0;
}

static int parse_police(int *i, int argc, const char *const *argv, struct esw_action *a,
			char *err, size_t errlen)
{
	struct esw_act_police *p = &a->police;
	uint64_t v, burst = 0, mtu = 0, pburst = 0;
	bool ok = false;

	a->type = ESW_ACT_POLICE;
	p->exceed = ESW_CTL_RECLASSIFY;
	a->ctl = ESW_CTL_PASS;
	while (*i + 1 < argc) {
		const char *w = argv[*i + 1], *val = *i + 2 < argc ? argv[*i + 2] : NULL;

		if (!strcmp(w, "rate") || prefix(w, "burst") || !strcmp(w, "buffer") ||
		    !strcmp(w, "maxburst") || !strcmp(w, "mtu") || !strcmp(w, "minburst") ||
		    prefix(w, "pkts_rate") || prefix(w, "pkts_burst") || prefix(w, "index") ||
		    prefix(w, "overhead")) {
			if (!val)
				return ERR("Command line is not complete. Try option \"help\"");
			if (!strcmp(w, "rate")) {
				if (p->rate)
					return ERR("duplicate \"rate\": \"%s\" is the second value.", val);
				if (parse_rate(val, &v) || !v)
					return ERR("argument \"%s\" is wrong: rate", val);
				p->rate = v;
			} else if (prefix(w, "burst") || !strcmp(w, "buffer") || !strcmp(w, "maxburst")) {
				if (burst)
					return ERR("duplicate \"buffer/burst\": \"%s\" is the second value.", val);
				if (parse_size(val, &burst) || !burst)
					return ERR("argument \"%s\" is wrong: buffer", val);
			} else if (!strcmp(w, "mtu") || !strcmp(w, "minburst")) {
				if (mtu)
					return ERR("duplicate \"mtu/minburst\": \"%s\" is the second value.", val);
				if (parse_size(val, &mtu) || !mtu)
					return ERR("argument \"%s\" is wrong: mtu", val);
			} else if (prefix(w, "pkts_rate")) {
				uint32_t n;

				if (p->pkts_rate)
					return ERR("duplicate \"pkts_rate\": \"%s\" is the second value.", val);
				if (tc_parse_u32(val, UINT32_MAX, &n) || !n)
					return ERR("argument \"%s\" is wrong: pkts_rate", val);
				p->pkts_rate = n;
			} else if (prefix(w, "pkts_burst")) {
				uint32_t n;

				if (pburst)
					return ERR("duplicate \"pkts_burst\": \"%s\" is the second value.", val);
				if (tc_parse_u32(val, UINT32_MAX, &n) || !n)
					return ERR("argument \"%s\" is wrong: pkts_burst", val);
				pburst = n;
			} else if (prefix(w, "index")) {
				uint32_t n;

				if (tc_parse_u32(val, UINT32_MAX, &n))
					return ERR("argument \"%s\" is wrong: index", val);
				/* tc shares one policer among the rules naming its
				 * index (OVS's meters); each sfnic rule has its own
				 * bucket, so a shared index would silently police
				 * each rule apart. */
				return ERR("police: \"index\" is not supported by sfnic (a policer is not shared between rules)");
			} else {
				uint32_t n;

				if (tc_parse_u32(val, 0xffff, &n))
					return ERR("argument \"%s\" is wrong: overhead", val);
				if (n)
					return ERR("police: overhead is not supported by sfnic");
			}
			*i += 2;
		} else if (!strcmp(w, "conform-exceed")) {
			const char *slash;
			char ex[32];

			if (!val)
				return ERR("Command line is not complete. Try option \"help\"");
			slash = strchr(val, '/');
			snprintf(ex, sizeof(ex), "%.*s", slash ? (int)(slash - val) : (int)strlen(val), val);
			if (police_ctl(ex, &p->exceed) || p->exceed == ESW_CTL_GOTO)
				return ERR("Bad action type %s", ex);
			if (slash && (police_ctl(slash + 1, &a->ctl) || a->ctl == ESW_CTL_GOTO))
				return ERR("Bad action type %s", slash + 1);
			*i += 2;
		} else if (ctl_word(w) >= 0 && ctl_word(w) != ESW_CTL_GOTO) {
			p->exceed = (uint8_t)ctl_word(w);     /* tc: a bare word is the exceed action */
			*i += 1;
		} else if (!strcmp(w, "peakrate") || !strcmp(w, "avrate") || !strcmp(w, "mpu") ||
			   prefix(w, "linklayer")) {
			return ERR("police: \"%s\" is not supported by sfnic", w);
		} else {
			break;
		}
		ok = true;
	}
	if (!ok)
		return ERR("bad action parsing");
	if (!p->rate && !p->pkts_rate)
		return ERR("'rate' or 'avrate' or 'mtu' or 'pkts_rate' MUST be specified.");
	if (p->rate && !burst)
		return ERR("'burst' requires 'rate'.");
	if (p->pkts_rate && !pburst)
		return ERR("'pkts_burst' requires 'pkts_rate'.");
	if (p->pkts_rate && p->rate)
		return ERR("'rate' and 'pkts_rate' are not allowed in same action.");
	p->burst = (uint32_t)burst;
	p->pkts_burst = (uint32_t)pburst;
	p->mtu = (uint32_t)mtu;
	return 0;
}

/* ---- ct (tunnel_key's words are tc_tunnel.c's) ---- */

static int parse_ct(int *i, int argc, const char *const *argv, struct esw_action *a,
		    char *err, size_t errlen)
{
	struct esw_act_ct *ct = &a->ct;
	bool zone = false, mark = false;

	a->type = ESW_ACT_CT;
	a->ctl = ESW_CTL_PIPE;
	while (*i + 1 < argc) {
		const char *w = argv[*i + 1], *val = *i + 2 < argc ? argv[*i + 2] : NULL;
		uint32_t n;

		if (!strcmp(w, "clear")) {
			ct->flags |= ESW_CT_CLEAR;
			++*i;
		} else if (!strcmp(w, "commit")) {
			ct->flags |= ESW_CT_COMMIT;
			++*i;
			if (*i + 1 < argc && !strcmp(argv[*i + 1], "force"))
				return ERR("ct: \"commit force\" is not supported by sfnic");
		} else if (!strcmp(w, "zone")) {
			if (zone)
				return ERR("duplicate \"zone\": \"%s\" is the second value.", val ? val : "");
			if (!val || tc_parse_u32(val, 0xffff, &n))
				return ERR("ct: Illegal \"zone\"");
			ct->zone = (uint16_t)n;
			zone = true;
			*i += 2;
		} else if (!strcmp(w, "mark")) {
			char *slash;
			char buf[64];
			uint32_t m = UINT32_MAX;

			if (mark)
				return ERR("duplicate \"mark\": \"%s\" is the second value.", val ? val : "");
			if (!val || strlen(val) >= sizeof(buf))
				return ERR("ct: Illegal \"mark\"");
			strcpy(buf, val);
			slash = strchr(buf, '/');
			if (slash)
				*slash = 0;
			if (tc_parse_u32(buf, UINT32_MAX, &n) ||
			    (slash && tc_parse_u32(slash + 1, UINT32_MAX, &m)))
				return ERR("ct: Illegal \"mark\"");
			ct->mark = n;   /* as given: tc prints 66/0xf0 back */
			ct->mark_mask = m;
			mark = true;
			*i += 2;
		} else if (!strcmp(w, "nat") || !strcmp(w, "label") || !strcmp(w, "helper")) {
			return ERR("ct: \"%s\" is not supported by sfnic", w);
		} else {
			break;
		}
	}
	if ((ct->flags & ESW_CT_CLEAR) && (ct->flags != ESW_CT_CLEAR || zone || mark))
		return ERR("ct: clear can only be used alone");
	return ctl_opt(i, argc, argv, a, err, errlen);
}

/* Words m_action.c takes after any action: accepted, not kept (sfnic has
 * no shared actions, cookies or hardware stats modes). */
static int parse_common_tail(int *i, int argc, const char *const *argv, char *err,
			     size_t errlen)
{
	while (*i + 1 < argc) {
		const char *w = argv[*i + 1];

		if (prefix(w, "index") || !strcmp(w, "cookie") || prefix(w, "hw_stats")) {
			if (*i + 2 >= argc)
				return ERR("Command line is not complete. Try option \"help\"");
			*i += 2;
		} else if (!strcmp(w, "no_percpu") || !strcmp(w, "skip_sw") || !strcmp(w, "skip_hw")) {
			++*i;
		} else {
			break;
		}
	}
	return 0;
}

int tc_action_parse(int *i, int argc, const char *const *argv, struct esw_rule_spec *s,
		    tc_resolve_fn resolve, void *arg, char *err, size_t errlen)
{
	const char *w = argv[*i];
	struct esw_action *act;
	int ret;

	if (s->nact == ESW_MAX_ACTIONS)
		return ERR("Too many actions (at most %d)", ESW_MAX_ACTIONS);
	act = &s->act[s->nact];
	memset(act, 0, sizeof(*act));
	if (ctl_word(w) != -1 || !strcmp(w, "gact"))
		ret = parse_gact(i, argc, argv, act, err, errlen);
	else if (!strcmp(w, "mirred"))
		ret = parse_mirred(i, argc, argv, act, resolve, arg, err, errlen);
	else if (!strcmp(w, "vlan"))
		ret = parse_vlan(i, argc, argv, act, err, errlen);
	else if (!strcmp(w, "pedit"))
		ret = parse_pedit(i, argc, argv, s, act, err, errlen);
	else if (!strcmp(w, "csum"))
		ret = parse_csum(i, argc, argv, act, err, errlen);
	else if (!strcmp(w, "police"))
		ret = parse_police(i, argc, argv, act, err, errlen);
	else if (!strcmp(w, "ct"))
		ret = parse_ct(i, argc, argv, act, err, errlen);
	else if (!strcmp(w, "tunnel_key"))
		ret = tc_tunnel_key_parse(i, argc, argv, act, err, errlen);     /* tc_tunnel.c */
	else
		return ERR("bad action type %s", w);
	if (ret)
		return ret;
	ret = parse_common_tail(i, argc, argv, err, errlen);
	if (ret)
		return ret;
	s->nact++;
	return 0;
}

int tc_actions_parse(int *i, int argc, const char *const *argv, struct esw_rule_spec *s,
		     tc_resolve_fn resolve, void *arg, char *err, size_t errlen)
{
	bool expect = false;

	for (; *i < argc; ++*i) {
		int ret;

		if (!strcmp(argv[*i], "action") || !strcmp(argv[*i], "actions")) {
			expect = true;
			continue;
		}
		ret = tc_action_parse(i, argc, argv, s, resolve, arg, err, errlen);
		if (ret)
			return ret;
		expect = false;
	}
	if (expect)
		return ERR("bad action empty 1");
	return 0;
}

/* ---- JSON ---- */

const char *tc_ctl_name(uint8_t ctl)
{
	static const char *const names[ESW_CTL_MAX] = {
		[ESW_CTL_PIPE] = "pipe", [ESW_CTL_PASS] = "pass", [ESW_CTL_DROP] = "drop",
		[ESW_CTL_CONTINUE] = "continue", [ESW_CTL_RECLASSIFY] = "reclassify",
		[ESW_CTL_GOTO] = "goto", [ESW_CTL_STOLEN] = "stolen",
	};

	return ctl < ESW_CTL_MAX ? names[ctl] : "?";
}

static json_t *ctl_json(uint8_t ctl, uint32_t chain)
{
	json_t *j = json_pack("{s:s}", "type", tc_ctl_name(ctl));

	if (ctl == ESW_CTL_GOTO)
		json_object_set_new(j, "chain", json_integer(chain));
	return j;
}

static const char *const htype_names[] = { "network", "eth", "ipv4", "ipv6", "tcp", "udp" };

static json_t *pedit_keys_json(const struct esw_rule_spec *s, const struct esw_act_pedit *p)
{
	json_t *keys = json_array();
	char v[16], m[16];

	for (unsigned k = p->first; k < p->first + p->n && k < ESW_MAX_PEDIT_KEYS; k++) {
		const struct esw_pedit_key *pk = &s->pkey[k];

		snprintf(v, sizeof(v), "%08x", pk->val);
		snprintf(m, sizeof(m), "%08x", pk->mask);
		json_array_append_new(keys, json_pack("{s:s,s:i,s:s,s:s,s:s}", "htype",
			pk->htype <= ESW_PEDIT_UDP ? htype_names[pk->htype] : "?", "offset", pk->off,
			"cmd", pk->cmd ? "add" : "set", "val", v, "mask", m));
	}
	return keys;
}

static const char *vport_name(tc_name_fn name, void *arg, uint32_t vport, char *buf, size_t len)
{
	const char *n = name(arg, vport);

	if (n)
		return n;
	snprintf(buf, len, "vport 0x%x (gone)", vport);
	return buf;
}

json_t *tc_action_json(const struct esw_rule_spec *s, unsigned idx, tc_name_fn name, void *arg,
		       const struct esw_act_stats *st, uint64_t now_ms)
{
	const struct esw_action *a = &s->act[idx];
	json_t *j = json_pack("{s:i}", "order", idx + 1);
	char buf[64];

	switch (a->type) {
	case ESW_ACT_REDIRECT:
	case ESW_ACT_MIRROR:
	case ESW_ACT_MIRRED_INGRESS:
		json_object_set_new(j, "kind", json_string("mirred"));
		json_object_set_new(j, "mirred_action", json_string(
			a->type == ESW_ACT_REDIRECT || a->ctl == ESW_CTL_STOLEN ? "redirect" : "mirror"));
		json_object_set_new(j, "direction", json_string(
			a->type == ESW_ACT_MIRRED_INGRESS ? "ingress" : "egress"));
		json_object_set_new(j, "to_dev", json_string(vport_name(name, arg, a->arg, buf,
									sizeof(buf))));
		break;
	case ESW_ACT_VLAN_PUSH:
		json_object_set_new(j, "kind", json_string("vlan"));
		json_object_set_new(j, "vlan_action", json_string("push"));
		json_object_set_new(j, "id", json_integer(a->vlan_id));
		json_object_set_new(j, "protocol", json_string("802.1Q"));
		json_object_set_new(j, "priority", json_integer(a->vlan_prio));
		break;
	case ESW_ACT_VLAN_POP:
		json_object_set_new(j, "kind", json_string("vlan"));
		json_object_set_new(j, "vlan_action", json_string("pop"));
		break;
	case ESW_ACT_PEDIT:
		json_object_set_new(j, "kind", json_string("pedit"));
		json_object_set_new(j, "nkeys", json_integer(a->pedit.n));
		json_object_set_new(j, "keys", pedit_keys_json(s, &a->pedit));
		break;
	case ESW_ACT_CSUM: {
		static const char *const f[] = { "iph", "icmp", "igmp", "tcp", "udp", "udplite",
						 "sctp" };
		size_t n = 0;

		buf[0] = 0;
		for (unsigned b = 0; b < 7; b++)
			if (a->csum.flags & (1u << b))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "", f[b]);
		json_object_set_new(j, "kind", json_string("csum"));
		json_object_set_new(j, "csum", json_string(buf));
		break;
	}
	case ESW_ACT_POLICE: {
		const struct esw_act_police *p = &a->police;

		json_object_set_new(j, "kind", json_string("police"));
		json_object_set_new(j, "index", json_integer(p->index ? p->index : idx + 1));
		if (p->rate) {
			json_object_set_new(j, "rate", json_integer((json_int_t)p->rate));
			json_object_set_new(j, "burst", json_integer(p->burst));
		}
		json_object_set_new(j, "mtu", json_integer(p->mtu ? p->mtu : ESW_POLICE_MTU_DEFAULT));
		if (p->pkts_rate) {
			json_object_set_new(j, "pkts_rate", json_integer((json_int_t)p->pkts_rate));
			json_object_set_new(j, "pkts_burst", json_integer(p->pkts_burst));
		}
		/* tc prints two control_action objects (exceed, then conform);
		 * JSON objects hold one per key: conform is "conform_action". */
		json_object_set_new(j, "control_action", ctl_json(p->exceed, p->exceed_chain));
		json_object_set_new(j, "conform_action", ctl_json(a->ctl, a->ctl_chain));
		json_object_set_new(j, "overhead", json_integer(0));
		break;
	}
	case ESW_ACT_CT: {
		const struct esw_act_ct *ct = &a->ct;

		json_object_set_new(j, "kind", json_string("ct"));
		if (ct->flags & ESW_CT_COMMIT)
			json_object_set_new(j, "action", json_string("commit"));
		else if (ct->flags & ESW_CT_CLEAR)
			json_object_set_new(j, "action", json_string("clear"));
		if (ct->mark_mask) {
			json_object_set_new(j, "mark", json_integer(ct->mark));
			if (ct->mark_mask != UINT32_MAX) {
				snprintf(buf, sizeof(buf), "%x", ct->mark_mask);
				json_object_set_new(j, "mark_mask", json_string(buf));
			}
		}
		if (!(ct->flags & ESW_CT_CLEAR))
			json_object_set_new(j, "zone", json_integer(ct->zone));
		break;
	}
	case ESW_ACT_TUNNEL_SET:
	case ESW_ACT_TUNNEL_UNSET:
		tc_tunnel_key_json(a, j);
		break;
	default:        /* the gact verbs */
		json_object_set_new(j, "kind", json_string("gact"));
		break;
	}
	if (a->type != ESW_ACT_POLICE)
		json_object_set_new(j, "control_action", ctl_json(a->ctl, a->ctl_chain));
	if (st) {
		json_int_t used = st->lastuse_ms ? (json_int_t)((now_ms - st->lastuse_ms) / 1000) : -1;

		json_object_set_new(j, "stats", json_pack("{s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:I}",
			"bytes", (json_int_t)st->bytes, "packets", (json_int_t)st->packets,
			"drops", (json_int_t)st->drops, "overlimits", (json_int_t)st->overlimits,
			"requeues", 0, "backlog", 0, "qlen", 0, "lastused", used));
	}
	return j;
}
