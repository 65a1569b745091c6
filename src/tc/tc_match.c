/*
 * tc_match.c - flower's match keys: which word is which (tc's prefix
 * rules), their grammar, bases, prerequisites and messages, and their
 * printed form (tc -j filter show), following iproute2's tc/f_flower.c and
 * the kernel's cls_flower.c checks.
 *
 * A rule's spec is the whole truth: the printer reads the key and mask
 * back (a key whose mask is zero is not printed, as the kernel dumps only
 * masked keys).  ARP's sender/target IPs ride in src_ip/dst_ip (esw.h),
 * told apart by the rule's L3 ethertype.
 */
#include "tc.h"
#include "tc_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ETH_P_ALL 0x0003
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_RARP 0x8035
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8

/* Every word tc's flower takes, in the order of its if-chain: a word is the
 * first of these it is a prefix of (iproute2's matches()), or, for those
 * marked exact, equal to.  Words sfnic does not match on are listed so
 * that prefixes resolve as tc resolves them. */
enum kw {
	KW_CLASSID, KW_FLOWID, KW_HW_TC, KW_IP_FLAGS, KW_L2_MISS, KW_VERBOSE, KW_SKIP_HW,
	KW_SKIP_SW, KW_CT_STATE, KW_CT_ZONE, KW_CT_MARK, KW_CT_LABEL, KW_INDEV,
	KW_NUM_OF_VLANS, KW_VLAN_ID, KW_VLAN_PRIO, KW_VLAN_ETHTYPE, KW_CVLAN_ID,
	KW_CVLAN_PRIO, KW_CVLAN_ETHTYPE, KW_MPLS, KW_MPLS_LABEL, KW_MPLS_TC, KW_MPLS_BOS,
	KW_MPLS_TTL, KW_DST_MAC, KW_SRC_MAC, KW_IP_PROTO, KW_IP_TOS, KW_IP_TTL, KW_DST_IP,
	KW_SRC_IP, KW_DST_PORT, KW_SRC_PORT, KW_TCP_FLAGS, KW_TYPE, KW_CODE, KW_L2TPV3_SID,
	KW_SPI, KW_ARP_TIP, KW_ARP_SIP, KW_ARP_OP, KW_ARP_THA, KW_ARP_SHA, KW_PPPOE_SID,
	KW_PPP_PROTO, KW_ENC_DST_IP, KW_ENC_SRC_IP, KW_ENC_KEY_ID, KW_ENC_DST_PORT,
	KW_ENC_TOS, KW_ENC_TTL, KW_GENEVE_OPTS, KW_VXLAN_OPTS, KW_ERSPAN_OPTS, KW_GTP_OPTS,
	KW_PFCP_OPTS, KW_ENC_FLAGS, KW_ACTION, KW_CFM, KW_ETH_TYPE, KW_NONE,
};

static const struct { const char *w; bool exact; } kws[] = {
	[KW_CLASSID] = { "classid", false }, [KW_FLOWID] = { "flowid", false },
	[KW_HW_TC] = { "hw_tc", false }, [KW_IP_FLAGS] = { "ip_flags", false },
	[KW_L2_MISS] = { "l2_miss", true }, [KW_VERBOSE] = { "verbose", false },
	[KW_SKIP_HW] = { "skip_hw", false }, [KW_SKIP_SW] = { "skip_sw", false },
	[KW_CT_STATE] = { "ct_state", false }, [KW_CT_ZONE] = { "ct_zone", false },
	[KW_CT_MARK] = { "ct_mark", false }, [KW_CT_LABEL] = { "ct_label", false },
	[KW_INDEV] = { "indev", false }, [KW_NUM_OF_VLANS] = { "num_of_vlans", true },
	[KW_VLAN_ID] = { "vlan_id", false }, [KW_VLAN_PRIO] = { "vlan_prio", false },
	[KW_VLAN_ETHTYPE] = { "vlan_ethtype", false }, [KW_CVLAN_ID] = { "cvlan_id", false },
	[KW_CVLAN_PRIO] = { "cvlan_prio", false },
	[KW_CVLAN_ETHTYPE] = { "cvlan_ethtype", false }, [KW_MPLS] = { "mpls", false },
	[KW_MPLS_LABEL] = { "mpls_label", false }, [KW_MPLS_TC] = { "mpls_tc", false },
	[KW_MPLS_BOS] = { "mpls_bos", false }, [KW_MPLS_TTL] = { "mpls_ttl", false },
	[KW_DST_MAC] = { "dst_mac", false }, [KW_SRC_MAC] = { "src_mac", false },
	[KW_IP_PROTO] = { "ip_proto", false }, [KW_IP_TOS] = { "ip_tos", false },
	[KW_IP_TTL] = { "ip_ttl", false }, [KW_DST_IP] = { "dst_ip", false },
	[KW_SRC_IP] = { "src_ip", false }, [KW_DST_PORT] = { "dst_port", false },
	[KW_SRC_PORT] = { "src_port", false }, [KW_TCP_FLAGS] = { "tcp_flags", false },
	[KW_TYPE] = { "type", false }, [KW_CODE] = { "code", false },
	[KW_L2TPV3_SID] = { "l2tpv3_sid", true }, [KW_SPI] = { "spi", true },
	[KW_ARP_TIP] = { "arp_tip", false }, [KW_ARP_SIP] = { "arp_sip", false },
	[KW_ARP_OP] = { "arp_op", false }, [KW_ARP_THA] = { "arp_tha", false },
	[KW_ARP_SHA] = { "arp_sha", false }, [KW_PPPOE_SID] = { "pppoe_sid", true },
	[KW_PPP_PROTO] = { "ppp_proto", true }, [KW_ENC_DST_IP] = { "enc_dst_ip", false },
	[KW_ENC_SRC_IP] = { "enc_src_ip", false }, [KW_ENC_KEY_ID] = { "enc_key_id", false },
	[KW_ENC_DST_PORT] = { "enc_dst_port", false }, [KW_ENC_TOS] = { "enc_tos", false },
	[KW_ENC_TTL] = { "enc_ttl", false }, [KW_GENEVE_OPTS] = { "geneve_opts", false },
	[KW_VXLAN_OPTS] = { "vxlan_opts", false }, [KW_ERSPAN_OPTS] = { "erspan_opts", false },
	[KW_GTP_OPTS] = { "gtp_opts", true }, [KW_PFCP_OPTS] = { "pfcp_opts", true },
	[KW_ENC_FLAGS] = { "enc_flags", true }, [KW_ACTION] = { "action", false },
	[KW_CFM] = { "cfm", true },
	/* Not tc's: sfnic has always taken it, exact only. */
	[KW_ETH_TYPE] = { "eth_type", true },
};

/* iproute2's matches(): w is a non-empty prefix of word. */
static bool prefix_of(const char *w, const char *word)
{
	return *w && !strncmp(w, word, strlen(w));
}

static enum kw kw_of(const char *w)
{
	for (unsigned i = 0; i < KW_NONE; i++)
		if (kws[i].exact ? !strcmp(w, kws[i].w) : prefix_of(w, kws[i].w))
			return (enum kw)i;
	return KW_NONE;
}

enum tc_word tc_match_word(const char *w)
{
	switch (kw_of(w)) {
	case KW_NONE:
		return !strcmp(w, "actions") ? TC_WORD_ACTION : TC_WORD_UNKNOWN;
	case KW_ACTION:
		return TC_WORD_ACTION;
	case KW_VERBOSE:
	case KW_SKIP_HW:
	case KW_SKIP_SW:
		return TC_WORD_FLAG;
	default:
		return TC_WORD_KEY;
	}
}

void tc_match_init(struct tc_match *m, int64_t proto)
{
	m->proto = proto < 0 ? ETH_P_ALL : (uint16_t)proto;
	m->eth_type = m->proto;
	m->vlan_ethtype = 0;
	m->ip_proto = 0xff;
}

/* ---- numbers and addresses, with iproute2's bases ---- */

/* get_u8/u16/u32 of iproute2: base given, whole word, in range. */
static int get_uint(const char *s, int base, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "V[/M]": copies V into buf and returns M (or NULL). */
static const char *split_slash(const char *s, char *buf, size_t len)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	return slash ? slash + 1 : NULL;
}

static int parse_mac(const char *s, uint8_t mac[6], uint8_t mask[6])
{
	char buf[64];
	const char *m = split_slash(s, buf, sizeof(buf));
	unsigned v[6];
	uint32_t bits;
	char c;

	if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &c) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	memset(mask, 0xff, 6);
	if (!m)
		return 0;
	if (!get_uint(m, 10, 48, &bits)) {
		for (int i = 0; i < 6; i++) {
			int b = (int)bits - i * 8;

			mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
		}
		return 0;
	}
	return parse_mac(m, mask, (uint8_t[6]){ 0 });
}

/* iproute2's ll_proto table, the part a NIC sees. */
static const struct { uint16_t id; const char *name; } ll_protos[] = {
	{ 0x0060, "loop" }, { 0x0800, "ip" }, { 0x0806, "arp" }, { 0x8035, "rarp" },
	{ 0x86dd, "ipv6" }, { 0x8863, "ppp_disc" }, { 0x8864, "ppp_ses" }, { 0x0003, "all" },
	{ 0x8100, "802.1Q" }, { 0x88a8, "802.1ad" }, { 0x8847, "mpls_uc" },
	{ 0x8848, "mpls_mc" }, { 0x6558, "teb" }, { 0x8902, "cfm" }, { 0x88cc, "LLDP" },
	{ 0x0800, "ipv4" },
};

int tc_parse_ethtype(const char *s, uint16_t *out)
{
	uint32_t v;

	for (size_t i = 0; i < sizeof(ll_protos) / sizeof(ll_protos[0]); i++)
		if (!strcasecmp(s, ll_protos[i].name)) {
			*out = ll_protos[i].id;
			return 0;
		}
	if (get_uint(s, 0, 0xffff, &v))
		return -1;
	*out = (uint16_t)v;
	return 0;
}

const char *tc_ethtype_name(uint16_t t, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(ll_protos) / sizeof(ll_protos[0]); i++)
		if (ll_protos[i].id == t)
			return ll_protos[i].name;
	snprintf(buf, len, "[%u]", t);
	return buf;
}

/* ADDR[/LEN] of family af (AF_UNSPEC: either); *is6 says which it was.
 * -1: not an address of that family. */
static int parse_prefix(const char *s, int af, uint8_t addr[16], uint8_t mask[16], bool *is6)
{
	char buf[64];
	const char *l = split_slash(s, buf, sizeof(buf));
	uint32_t len;
	int bytes;

	memset(addr, 0, 16);
	memset(mask, 0, 16);
	if ((af == AF_INET || af == AF_UNSPEC) && inet_pton(AF_INET, buf, addr) == 1)
		*is6 = false;
	else if ((af == AF_INET6 || af == AF_UNSPEC) && inet_pton(AF_INET6, buf, addr) == 1)
		*is6 = true;
	else
		return -1;
	bytes = *is6 ? 16 : 4;
	len = (uint32_t)bytes * 8;
	if (l && get_uint(l, 10, len, &len))
		return -1;
	for (int i = 0; i < bytes; i++) {
		int b = (int)len - i * 8;

		mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
		addr[i] &= mask[i];
	}
	return 0;
}

static const char *family_verbose(int af)
{
	return af == AF_INET ? "inet" : af == AF_INET6 ? "inet6" : "any valid";
}

/* tc's "V[/M]" for ip_tos, ip_ttl, enc_tos, enc_ttl: V decimal, else hex;
 * M hex. */
static int parse_tos_ttl(const char *s, uint8_t *v, uint8_t *m)
{
	char buf[32];
	const char *ms = split_slash(s, buf, sizeof(buf));
	uint32_t x, y = 0xff;

	if (get_uint(buf, 10, 0xff, &x) && get_uint(buf, 16, 0xff, &x))
		return -1;
	if (ms && get_uint(ms, 16, 0xff, &y))
		return -1;
	*v = (uint8_t)x;
	*m = (uint8_t)y;
	return 0;
}

/* flower_parse_u8: V decimal (or a name), M decimal. */
static int parse_u8_dec(const char *s, uint8_t *v, uint8_t *m, bool arp_op)
{
	char buf[32];
	const char *ms = split_slash(s, buf, sizeof(buf));
	uint32_t x, y = 0xff;

	if (arp_op && !strcmp(buf, "request"))
		x = 1;
	else if (arp_op && !strcmp(buf, "reply"))
		x = 2;
	else if (get_uint(buf, 10, 0xff, &x))
		return -1;
	if (arp_op && x > 2)
		return -1;
	if (ms && get_uint(ms, 10, 0xff, &y))
		return -1;
	*v = (uint8_t)x;
	*m = (uint8_t)y;
	return 0;
}

/* flower_parse_u16/u32: base 0 value and mask. */
static int parse_masked(const char *s, uint32_t max, uint32_t *v, uint32_t *m)
{
	char buf[32];
	const char *ms = split_slash(s, buf, sizeof(buf));

	*m = max;
	if (get_uint(buf, 0, max, v))
		return -1;
	return ms && get_uint(ms, 0, max, m) ? -1 : 0;
}

static int parse_flags(const char *s, uint8_t *v, uint8_t *m)
{
	char buf[64];
	char *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		bool no = !strncmp(tok, "no", 2);
		uint8_t bit;

		if (no)
			tok += 2;
		if (!strcmp(tok, "frag"))
			bit = ESW_IPF_FRAG;
		else if (!strcmp(tok, "firstfrag"))
			bit = ESW_IPF_FIRSTFRAG;
		else
			return -1;
		*v = no ? *v & (uint8_t)~bit : *v | bit;
		*m |= bit;
	}
	return 0;
}

static const struct { const char *s; uint8_t bit; } ct_flags[] = {
	{ "trk", ESW_CT_TRK }, { "new", ESW_CT_NEW }, { "est", ESW_CT_EST },
	{ "rel", ESW_CT_REL }, { "inv", ESW_CT_INV }, { "rpl", ESW_CT_RPL },
};

static int parse_ct_state(const char *s, uint8_t *v, uint8_t *m)
{
	*v = *m = 0;
	while (*s) {
		bool plus = *s == '+';
		size_t i;

		if (*s != '+' && *s != '-')
			return -1;
		for (i = 0; i < sizeof(ct_flags) / sizeof(ct_flags[0]); i++)
			if (!strncmp(s + 1, ct_flags[i].s, 3))
				break;
		if (i == sizeof(ct_flags) / sizeof(ct_flags[0]))
			return -1;
		if (plus)
			*v |= ct_flags[i].bit;
		*m |= ct_flags[i].bit;
		s += 4;
	}
	return 0;
}

static bool is_vlan(uint16_t t)
{
	return t == ETH_P_8021Q || t == ETH_P_8021AD;
}

static bool is_arp(uint16_t t)
{
	return t == ETH_P_ARP || t == ETH_P_RARP;
}

static int parse_port(const char *w, const char *v, struct tc_match *st, bool src,
		      struct esw_rule_spec *s, char *err, size_t errlen)
{
	const char *dash = strchr(v, '-');
	uint32_t a, b, m;
	char buf[32];

	if (dash) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(dash - v), v);
		if (get_uint(buf, 10, 0xffff, &a) || get_uint(dash + 1, 10, 0xffff, &b))
			return ERR("Illegal \"%s\"", w);
		if (b <= a)
			return ERR("max value should be greater than min value");
		if (st->ip_proto != 6 && st->ip_proto != 17 && st->ip_proto != 132)
			return ERR("Illegal \"%s\"", w);
		if (src) {
			s->src_port_min = (uint16_t)a;
			s->src_port_max = (uint16_t)b;
			s->key.src_port = s->mask.src_port = 0;
		} else {
			s->dst_port_min = (uint16_t)a;
			s->dst_port_max = (uint16_t)b;
			s->key.dst_port = s->mask.dst_port = 0;
		}
		return 0;
	}
	if (st->ip_proto != 6 && st->ip_proto != 17 && st->ip_proto != 132)
		return ERR("Illegal \"%s\"", w);
	m = 0xffff;
	if (get_uint(v, 10, 0xffff, &a) && (!strchr(v, '/') || parse_masked(v, 0xffff, &a, &m)))
		return ERR("Illegal \"%s\"", w);
	if (src) {
		s->key.src_port = (uint16_t)a;
		s->mask.src_port = (uint16_t)m;
		s->src_port_min = s->src_port_max = 0;
	} else {
		s->key.dst_port = (uint16_t)a;
		s->mask.dst_port = (uint16_t)m;
		s->dst_port_min = s->dst_port_max = 0;
	}
	return 0;
}

static int parse_ip(const char *w, const char *v, uint16_t eth_type, uint8_t *key,
		    uint8_t *mask, char *err, size_t errlen)
{
	int af = eth_type == ETH_P_IP ? AF_INET : eth_type == ETH_P_IPV6 ? AF_INET6 : -1;
	uint8_t a[16], m[16];
	bool is6;

	if (af < 0)
		return ERR("Illegal \"%s\"", w);
	if (parse_prefix(v, af, a, m, &is6))
		return ERR("%s prefix is expected rather than \"%s\"", family_verbose(af), v);
	memcpy(key, a, is6 ? 16 : 4);
	memcpy(mask, m, is6 ? 16 : 4);
	return 0;
}

int tc_match_parse(struct tc_match *st, const char *w, const char *v, struct esw_rule_spec *s,
		   char *err, size_t errlen)
{
	struct esw_key *k = &s->key, *m = &s->mask;
	enum kw kw = kw_of(w);
	uint32_t n, nm;
	uint16_t t;
	bool is6;
	uint8_t a[16], am[16];

	if (kw == KW_NONE)
		return ERR("What is \"%s\"?", w);
	if (!v)
		return ERR("Command line is not complete. Try option \"help\"");
	switch (kw) {
	case KW_IP_FLAGS:
		if (parse_flags(v, &k->ip_flags, &m->ip_flags))
			return ERR("Illegal \"ip_flags\"");
		return 0;
	case KW_CT_STATE:
		if (parse_ct_state(v, &k->ct_state, &m->ct_state))
			return ERR("Illegal \"ct_state\"");
		return 0;
	case KW_CT_ZONE:
		if (parse_masked(v, 0xffff, &n, &nm))
			return ERR("Illegal \"ct_zone\"");
		k->ct_zone = (uint16_t)n;
		m->ct_zone = (uint16_t)nm;
		return 0;
	case KW_CT_MARK:
		if (parse_masked(v, UINT32_MAX, &n, &nm))
			return ERR("Illegal \"ct_mark\"");
		k->ct_mark = n;
		m->ct_mark = nm;
		return 0;
	case KW_VLAN_ID:
	case KW_VLAN_PRIO:
		if (!is_vlan(st->proto))
			return ERR("Can't set \"%s\" if ethertype isn't 802.1Q or 802.1AD and "
				   "num_of_vlans is 0", kws[kw].w);
		if (get_uint(v, 10, kw == KW_VLAN_ID ? 0xffff : 0xff, &n) ||
		    n > (kw == KW_VLAN_ID ? 4095u : 7u))
			return ERR("Illegal \"%s\"", kws[kw].w);
		if (kw == KW_VLAN_ID) {
			k->vlan_tci = (uint16_t)((k->vlan_tci & 0xe000) | n);
			m->vlan_tci |= 0x0fff;
		} else {
			k->vlan_tci = (uint16_t)((k->vlan_tci & 0x0fff) | n << 13);
			m->vlan_tci |= 0xe000;
		}
		return 0;
	case KW_VLAN_ETHTYPE:
		if (!is_vlan(st->eth_type))
			return ERR("Can't set \"vlan_ethtype\" if ethertype isn't 802.1Q or 802.1AD "
				   "and num_of_vlans is 0");
		if (tc_parse_ethtype(v, &t))
			return ERR("argument \"%s\" is wrong: invalid vlan_ethtype", v);
		k->vlan_ethtype = t;
		m->vlan_ethtype = 0xffff;
		st->vlan_ethtype = t;
		st->eth_type = t;
		return 0;
	case KW_CVLAN_ID:
	case KW_CVLAN_PRIO:
		if (!is_vlan(st->vlan_ethtype))
			return ERR("Can't set \"%s\" if inner vlan ethertype isn't 802.1Q or 802.1AD "
				   "and num_of_vlans is less than 2", kws[kw].w);
		if (get_uint(v, 10, kw == KW_CVLAN_ID ? 0xffff : 0xff, &n) ||
		    n > (kw == KW_CVLAN_ID ? 4095u : 7u))
			return ERR("Illegal \"%s\"", kws[kw].w);
		if (kw == KW_CVLAN_ID) {
			k->cvlan_tci = (uint16_t)((k->cvlan_tci & 0xe000) | n);
			m->cvlan_tci |= 0x0fff;
		} else {
			k->cvlan_tci = (uint16_t)((k->cvlan_tci & 0x0fff) | n << 13);
			m->cvlan_tci |= 0xe000;
		}
		return 0;
	case KW_CVLAN_ETHTYPE:
		if (!is_vlan(st->vlan_ethtype))
			return ERR("Can't set \"cvlan_ethtype\" if ethertype isn't 802.1Q or 802.1AD "
				   "and num_of_vlans less than 2");
		if (tc_parse_ethtype(v, &t))
			return ERR("argument \"%s\" is wrong: invalid vlan_ethtype", v);
		k->cvlan_ethtype = t;
		m->cvlan_ethtype = 0xffff;
		st->eth_type = t;
		return 0;
	case KW_DST_MAC:
	case KW_SRC_MAC:
		if (parse_mac(v, kw == KW_DST_MAC ? k->dst_mac : k->src_mac,
			      kw == KW_DST_MAC ? m->dst_mac : m->src_mac))
			return ERR("Illegal \"%s\"", kws[kw].w);
		return 0;
	case KW_IP_PROTO:
		if (st->eth_type != ETH_P_IP && st->eth_type != ETH_P_IPV6)
			return ERR("Illegal \"eth_type\" for ip proto");
		if (prefix_of(v, "tcp"))
			n = 6;
		else if (prefix_of(v, "udp"))
			n = 17;
		else if (prefix_of(v, "sctp"))
			n = 132;
		else if (prefix_of(v, "icmp") || prefix_of(v, "icmpv6")) {
			bool v6 = !prefix_of(v, "icmp");

			if (st->eth_type != (v6 ? ETH_P_IPV6 : ETH_P_IP))
				return ERR("Illegal \"eth_type\" for ip proto");
			n = v6 ? 58 : 1;
		} else if (!strcmp(v, "l2tp"))
			n = 115;
		else if (!strcmp(v, "esp"))
			n = 50;
		else if (!strcmp(v, "ah"))
			n = 51;
		else if (get_uint(v, 16, 0xff, &n))       /* IP-PROTO is hex */
			return ERR("Illegal \"ip_proto\"");
		k->ip_proto = (uint8_t)n;
		m->ip_proto = 0xff;
		st->ip_proto = (uint8_t)n;
		return 0;
	case KW_IP_TOS:
	case KW_IP_TTL:
		if (parse_tos_ttl(v, kw == KW_IP_TOS ? &k->ip_tos : &k->ip_ttl,
				  kw == KW_IP_TOS ? &m->ip_tos : &m->ip_ttl))
			return ERR("Illegal \"%s\"", kws[kw].w);
		return 0;
	case KW_DST_IP:
		return parse_ip(kws[kw].w, v, st->eth_type, k->dst_ip6, m->dst_ip6, err, errlen);
	case KW_SRC_IP:
		return parse_ip(kws[kw].w, v, st->eth_type, k->src_ip6, m->src_ip6, err, errlen);
	case KW_DST_PORT:
	case KW_SRC_PORT:
		return parse_port(kws[kw].w, v, st, kw == KW_SRC_PORT, s, err, errlen);
	case KW_TCP_FLAGS: {
		char buf[32];
		const char *ms = split_slash(v, buf, sizeof(buf));

		nm = 0xfff;
		if (get_uint(buf, 16, 0xfff, &n) || (ms && get_uint(ms, 16, 0xfff, &nm)))
			return ERR("Illegal \"tcp_flags\"");
		k->tcp_flags = (uint16_t)n;
		m->tcp_flags = (uint16_t)nm;
		return 0;
	}
	case KW_TYPE:
	case KW_CODE:
		if (!((st->eth_type == ETH_P_IP && st->ip_proto == 1) ||
		      (st->eth_type == ETH_P_IPV6 && st->ip_proto == 58)) ||
		    parse_u8_dec(v, kw == KW_TYPE ? &k->icmp_type : &k->icmp_code,
				 kw == KW_TYPE ? &m->icmp_type : &m->icmp_code, false))
			return ERR("Illegal \"icmp %s\"", kw == KW_TYPE ? "type" : "code");
		return 0;
	case KW_ARP_TIP:
	case KW_ARP_SIP:
		if (!is_arp(st->eth_type))
			return ERR("Illegal \"%s\"", kws[kw].w);
		if (parse_prefix(v, AF_INET, a, am, &is6))
			return ERR("inet prefix is expected rather than \"%s\"", v);
		memcpy(kw == KW_ARP_SIP ? &k->src_ip : &k->dst_ip, a, 4);
		memcpy(kw == KW_ARP_SIP ? &m->src_ip : &m->dst_ip, am, 4);
		return 0;
	case KW_ARP_OP:
		if (!is_arp(st->eth_type) || parse_u8_dec(v, &k->arp_op, &m->arp_op, true))
			return ERR("Illegal \"arp_op\"");
		return 0;
	case KW_ARP_THA:
	case KW_ARP_SHA:
		if (parse_mac(v, kw == KW_ARP_SHA ? k->arp_sha : k->arp_tha,
			      kw == KW_ARP_SHA ? m->arp_sha : m->arp_tha))
			return ERR("Illegal \"%s\"", kws[kw].w);
		return 0;
	case KW_ENC_DST_IP:
	case KW_ENC_SRC_IP:
		if (parse_prefix(v, AF_UNSPEC, a, am, &is6))
			return ERR("any valid prefix is expected rather than \"%s\"", v);
		if (is6)
			return ERR("IPv6 tunnel endpoints are not supported (\"%s\")", v);
		memcpy(kw == KW_ENC_DST_IP ? &k->enc_dst_ip : &k->enc_src_ip, a, 4);
		memcpy(kw == KW_ENC_DST_IP ? &m->enc_dst_ip : &m->enc_src_ip, am, 4);
		return 0;
	case KW_ENC_KEY_ID:
		if (get_uint(v, 10, UINT32_MAX, &n))
			return ERR("Illegal \"enc_key_id\"");
		k->enc_key_id = n;
		m->enc_key_id = UINT32_MAX;
		return 0;
	case KW_ENC_DST_PORT:
		if (get_uint(v, 10, 0xffff, &n))
			return ERR("Illegal \"enc_dst_port\"");
		k->enc_dst_port = (uint16_t)n;
		m->enc_dst_port = 0xffff;
		return 0;
	case KW_ENC_TOS:
	case KW_ENC_TTL:
		if (parse_tos_ttl(v, kw == KW_ENC_TOS ? &k->enc_tos : &k->enc_ttl,
				  kw == KW_ENC_TOS ? &m->enc_tos : &m->enc_ttl))
			return ERR("Illegal \"%s\"", kws[kw].w);
		return 0;
	case KW_ETH_TYPE:
		if (tc_parse_ethtype(v, &t))
			return ERR("Illegal \"eth_type\"");
		k->eth_type = t;
		m->eth_type = 0xffff;
		st->proto = st->eth_type = t;
		return 0;
	default:
		return ERR("Matching on \"%s\" is not supported by this eswitch", kws[kw].w);
	}
}

int tc_match_finish(const struct tc_match *st, struct esw_rule_spec *s, char *err,
		    size_t errlen)
{
	uint8_t state = s->key.ct_state & s->mask.ct_state;
	uint16_t l3 = st->eth_type;

	/* The kernel sets these keys only under their protocol (fl_set_key);
	 * elsewhere tc takes them and they match anything. */
	if (l3 != ETH_P_IP && l3 != ETH_P_IPV6)
		s->key.ip_tos = s->mask.ip_tos = s->key.ip_ttl = s->mask.ip_ttl = 0;
	if (!is_arp(l3)) {
		memset(s->key.arp_sha, 0, 6);
		memset(s->mask.arp_sha, 0, 6);
		memset(s->key.arp_tha, 0, 6);
		memset(s->mask.arp_tha, 0, 6);
	}
	/* cls_flower.c's fl_validate_ct_state, on value & mask. */
	if (state && !(state & ESW_CT_TRK))
		return ERR("no trk, so no other flag can be set");
	if ((state & ESW_CT_NEW) && (state & ESW_CT_EST))
		return ERR("new and est are mutually exclusive");
	if ((state & ESW_CT_INV) && (state & ~(ESW_CT_TRK | ESW_CT_INV)))
		return ERR("when inv is set, only trk may be set");
	if ((state & ESW_CT_NEW) && (state & ESW_CT_RPL))
		return ERR("new and rpl are mutually exclusive");
	return 0;
}

/* ---- printing (tc's flower_print_opt order and JSON shapes) ---- */

/* iproute2's __mask_bits: the prefix length of a contiguous mask, else -1. */
static int mask_bits(const uint8_t *m, size_t len)
{
	int bits = 0;
	bool hole = false;

	for (size_t i = 0; i < len; i++)
		for (int j = 7; j >= 0; j--) {
			if (m[i] >> j & 1) {
				if (hole)
					return -1;
				bits++;
			} else if (bits) {
				hole = true;
			} else {
				return -1;
			}
		}
	return bits;
}

static bool nonzero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return true;
	return false;
}

static void put_mac(json_t *keys, const char *name, const uint8_t *a, const uint8_t *m)
{
	char buf[64];
	int bits;

	if (!nonzero(m, 6))
		return;
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4],
		 a[5]);
	bits = mask_bits(m, 6);
	if (bits < 0)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 "/%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	else if (bits < 48)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%d", bits);
	json_object_set_new(keys, name, json_string(buf));
}

static void put_ip(json_t *keys, const char *name, bool v6, const void *a, const void *m)
{
	char buf[INET6_ADDRSTRLEN * 2 + 2];
	size_t len = v6 ? 16 : 4;
	int bits;

	if (!nonzero(m, len))
		return;
	inet_ntop(v6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	bits = mask_bits(m, len);
	if (bits < 0) {
		strcat(buf, "/");
		inet_ntop(v6 ? AF_INET6 : AF_INET, m, buf + strlen(buf),
			  (socklen_t)(sizeof(buf) - strlen(buf)));
	} else if (bits < (int)len * 8) {
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%d", bits);
	}
	json_object_set_new(keys, name, json_string(buf));
}

/* print_masked_u8/u16/u32: the value a number, the mask "NAME_mask" in hex
 * when not all ones. */
static void put_masked(json_t *keys, const char *name, uint32_t v, uint32_t m, uint32_t all)
{
	char mname[32], hex[16];

	if (!m)
		return;
	json_object_set_new(keys, name, json_integer(v));
	if (m != all) {
		snprintf(mname, sizeof(mname), "%s_mask", name);
		snprintf(hex, sizeof(hex), "%x", m);
		json_object_set_new(keys, mname, json_string(hex));
	}
}

/* flower_print_masked_u8: a decimal string, "/M" decimal unless 255. */
static void put_u8_dec(json_t *keys, const char *name, uint8_t v, uint8_t m, const char *vname)
{
	char buf[16];

	if (!m)
		return;
	if (m == 0xff && vname)
		snprintf(buf, sizeof(buf), "%s", vname);
	else if (m == 0xff)
		snprintf(buf, sizeof(buf), "%u", v);
	else
		snprintf(buf, sizeof(buf), "%u/%u", v, m);
	json_object_set_new(keys, name, json_string(buf));
}

static void put_range(json_t *keys, const char *name, uint16_t min, uint16_t max)
{
	if (max)
		json_object_set_new(keys, name, json_pack("{s:i,s:i}", "start", min, "end", max));
}

/* The ethertype the rule's L3 keys were parsed against. */
static uint16_t l3_of(const struct esw_rule_spec *s)
{
	if (s->mask.cvlan_ethtype)
		return s->key.cvlan_ethtype;
	if (s->mask.vlan_ethtype)
		return s->key.vlan_ethtype;
	return s->mask.eth_type ? s->key.eth_type : 0;
}

static const char *ip_proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 6: return "tcp";
	case 17: return "udp";
	case 132: return "sctp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	case 115: return "l2tp";
	case 50: return "esp";
	case 51: return "ah";
	}
	snprintf(buf, len, "0x%02x", p);
	return buf;
}

void tc_match_json(const struct esw_rule_spec *s, json_t *keys)
{
	const struct esw_key *k = &s->key, *m = &s->mask;
	uint16_t l3 = l3_of(s);
	char buf[64];

	if (m->vlan_tci & 0x0fff)
		json_object_set_new(keys, "vlan_id", json_integer(k->vlan_tci & 0x0fff));
	if (m->vlan_tci & 0xe000)
		json_object_set_new(keys, "vlan_prio", json_integer(k->vlan_tci >> 13));
	if (m->vlan_ethtype)
		json_object_set_new(keys, "vlan_ethtype",
				    json_string(tc_ethtype_name(k->vlan_ethtype, buf, sizeof(buf))));
	if (m->cvlan_tci & 0x0fff)
		json_object_set_new(keys, "cvlan_id", json_integer(k->cvlan_tci & 0x0fff));
	if (m->cvlan_tci & 0xe000)
		json_object_set_new(keys, "cvlan_prio", json_integer(k->cvlan_tci >> 13));
	if (m->cvlan_ethtype)
		json_object_set_new(keys, "cvlan_ethtype",
				    json_string(tc_ethtype_name(k->cvlan_ethtype, buf, sizeof(buf))));
	put_mac(keys, "dst_mac", k->dst_mac, m->dst_mac);
	put_mac(keys, "src_mac", k->src_mac, m->src_mac);
	/* The kernel keeps the innermost ethertype as the key's (a tag's
	 * type alone is no eth_type key). */
	if (l3 && !is_vlan(l3)) {
		if (l3 == ETH_P_IP)
			snprintf(buf, sizeof(buf), "ipv4");
		else if (l3 == ETH_P_IPV6)
			snprintf(buf, sizeof(buf), "ipv6");
		else if (l3 == ETH_P_ARP)
			snprintf(buf, sizeof(buf), "arp");
		else if (l3 == ETH_P_RARP)
			snprintf(buf, sizeof(buf), "rarp");
		else
			snprintf(buf, sizeof(buf), "%04x", l3);
		json_object_set_new(keys, "eth_type", json_string(buf));
	}
	if (m->ip_proto)
		json_object_set_new(keys, "ip_proto",
				    json_string(ip_proto_name(k->ip_proto, buf, sizeof(buf))));
	put_masked(keys, "ip_tos", k->ip_tos, m->ip_tos, 0xff);
	put_masked(keys, "ip_ttl", k->ip_ttl, m->ip_ttl, 0xff);
	if (l3 == ETH_P_IP || l3 == ETH_P_IPV6) {
		put_ip(keys, "dst_ip", l3 == ETH_P_IPV6, k->dst_ip6, m->dst_ip6);
		put_ip(keys, "src_ip", l3 == ETH_P_IPV6, k->src_ip6, m->src_ip6);
	}
	put_masked(keys, "dst_port", k->dst_port, m->dst_port, 0xffff);
	put_masked(keys, "src_port", k->src_port, m->src_port, 0xffff);
	put_range(keys, "dst_port", s->dst_port_min, s->dst_port_max);
	put_range(keys, "src_port", s->src_port_min, s->src_port_max);
	if (m->tcp_flags) {
		snprintf(buf, sizeof(buf), "0x%x/%x", k->tcp_flags, m->tcp_flags);
		json_object_set_new(keys, "tcp_flags", json_string(buf));
	}
	put_u8_dec(keys, "icmp_type", k->icmp_type, m->icmp_type, NULL);
	put_u8_dec(keys, "icmp_code", k->icmp_code, m->icmp_code, NULL);
	if (is_arp(l3)) {
		put_ip(keys, "arp_sip", false, &k->src_ip, &m->src_ip);
		put_ip(keys, "arp_tip", false, &k->dst_ip, &m->dst_ip);
	}
	put_u8_dec(keys, "arp_op", k->arp_op, m->arp_op,
		   k->arp_op == 1 ? "request" : k->arp_op == 2 ? "reply" : NULL);
	put_mac(keys, "arp_sha", k->arp_sha, m->arp_sha);
	put_mac(keys, "arp_tha", k->arp_tha, m->arp_tha);
	put_ip(keys, "enc_dst_ip", false, &k->enc_dst_ip, &m->enc_dst_ip);
	put_ip(keys, "enc_src_ip", false, &k->enc_src_ip, &m->enc_src_ip);
	if (m->enc_key_id)
		json_object_set_new(keys, "enc_key_id", json_integer(k->enc_key_id));
	put_masked(keys, "enc_dst_port", k->enc_dst_port, m->enc_dst_port, 0xffff);
	put_masked(keys, "enc_tos", k->enc_tos, m->enc_tos, 0xff);
	put_masked(keys, "enc_ttl", k->enc_ttl, m->enc_ttl, 0xff);
	if (m->ip_flags & (ESW_IPF_FRAG | ESW_IPF_FIRSTFRAG)) {
		json_t *f = json_object();

		if (m->ip_flags & ESW_IPF_FRAG)
			json_object_set_new(f, "frag", json_boolean(k->ip_flags & ESW_IPF_FRAG));
		if (m->ip_flags & ESW_IPF_FIRSTFRAG)
			json_object_set_new(f, "firstfrag",
					    json_boolean(k->ip_flags & ESW_IPF_FIRSTFRAG));
		json_object_set_new(keys, "ip_flags", f);
	}
	if (m->ct_state) {
		size_t n = 0;

		for (size_t i = 0; i < sizeof(ct_flags) / sizeof(ct_flags[0]); i++)
			if (m->ct_state & ct_flags[i].bit)
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%c%s",
						      k->ct_state & ct_flags[i].bit ? '+' : '-',
						      ct_flags[i].s);
		json_object_set_new(keys, "ct_state", json_string(buf));
	}
	put_masked(keys, "ct_zone", k->ct_zone, m->ct_zone, 0xffff);
	put_masked(keys, "ct_mark", k->ct_mark, m->ct_mark, UINT32_MAX);
}
