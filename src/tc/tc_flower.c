/*
 * tc_flower.c - the flower classifier's words, tc's messages.
 */
#include "tc.h"
#include "tc_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int tc_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6], uint8_t mask[6])
{
	unsigned v[6];
	char *slash = strchr(s, '/');
	char c;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &c) != 6 &&
	    !(slash && sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &c) == 7 && c == '/'))
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	memset(mask, 0xff, 6);
	if (slash) {
		uint32_t len;

		if (strchr(slash + 1, ':'))
			return parse_mac(slash + 1, mask, (uint8_t[6]){ 0 }) ? -1 : 0;
		if (tc_parse_u32(slash + 1, 48, &len))
			return -1;
		for (int i = 0; i < 6; i++) {
			int bits = (int)len - i * 8;

			mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		}
	}
	return 0;
}

static int parse_ethtype(const char *s, uint16_t *out)
{
	static const struct { const char *n; uint16_t v; } names[] = {
		{ "ip", 0x0800 }, { "ipv4", 0x0800 }, { "ipv6", 0x86dd }, { "arp", 0x0806 },
		{ "802.1Q", 0x8100 }, { "802.1ad", 0x88a8 }, { "802_1Q", 0x8100 },
	};
	uint32_t v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].n)) {
			*out = names[i].v;
			return 0;
		}
	if (tc_parse_u32(s, 0xffff, &v))
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_ip(const char *s, uint32_t *addr, uint32_t *mask)
{
	char buf[64];
	char *slash;
	uint32_t len = 32;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		if (tc_parse_u32(slash + 1, 32, &len))
			return -1;
	}
	if (inet_pton(AF_INET, buf, addr) != 1)
		return strchr(buf, ':') ? -2 : -1;
	*mask = len ? htonl(~0u << (32 - len)) : 0;
	*addr &= *mask;
	return 0;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 132: return "sctp";
	case 58: return "icmpv6";
	}
	return NULL;
}

/* dev X ingress [protocol P] [prio P] [chain C] [handle H]: the words tc
 * puts before the classifier's kind.  Returns the index of the first word it
 * did not take. */
static int parse_head(int argc, const char *const *argv, uint32_t *dev, int64_t *chain,
		      int64_t *prio, int64_t *handle, int64_t *proto, tc_resolve_fn resolve,
		      void *arg, char *err, size_t errlen)
{
	bool have_dev = false, ingress = false;
	int i;

	for (i = 0; i < argc; i++) {
		const char *w = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint32_t n;

		if (!strcmp(w, "dev")) {
			int ret;

			if (!v)
				return ERR("Command line is not complete. Try option \"help\"");
			ret = resolve(arg, v, dev);
			if (ret) {
				snprintf(err, errlen, "Cannot find device \"%s\"", v);
				return ret;
			}
			have_dev = true;
			i++;
		} else if (!strcmp(w, "ingress")) {
			ingress = true;
		} else if (!strcmp(w, "egress") || !strcmp(w, "root") || !strcmp(w, "parent")) {
			return ERR("Only the ingress hook of a representor carries eswitch rules");
		} else if (!strcmp(w, "prio") || !strcmp(w, "pref") || !strcmp(w, "priority")) {
			if (!v || tc_parse_u32(v, 0xffff, &n) || !n)
				return ERR("Illegal \"priority\"");
			*prio = n;
			i++;
		} else if (!strcmp(w, "chain")) {
			if (!v || tc_parse_u32(v, UINT32_MAX, &n))
				return ERR("Illegal \"chain index\"");
			*chain = n;
			i++;
		} else if (!strcmp(w, "handle")) {
			if (!v || tc_parse_u32(v, UINT32_MAX, &n) || !n)
				return ERR("Illegal \"handle\"");
			*handle = n;
			i++;
		} else if (!strcmp(w, "protocol")) {
			uint16_t t;

			if (!v)
				return ERR("Illegal \"protocol\"");
			if (!strcmp(v, "all"))
				*proto = -1;
			else if (parse_ethtype(v, &t))
				return ERR("Illegal \"protocol\"");
			else
				*proto = t;
			i++;
		} else {
			break;
		}
	}
	if (!have_dev)
		return ERR("Command line is not complete. Try option \"help\"");
	if (!ingress)
		return ERR("Only the ingress hook of a representor carries eswitch rules");
	return i;
}

int tc_flower_parse(int argc, const char *const *argv, struct esw_rule_spec *s,
		    tc_resolve_fn resolve, void *arg, char *err, size_t errlen)
{
	int64_t chain = 0, prio = TC_PRIO_AUTO, handle = 0, proto = -1;
	bool vlan = false, eth_type_set = false;
	uint16_t l3 = 0;
	int i, ret;

	memset(s, 0, sizeof(*s));
	err[0] = 0;
	ret = parse_head(argc, argv, &s->dev, &chain, &prio, &handle, &proto, resolve, arg, err,
			 errlen);
	if (ret < 0)
		return ret;
	i = ret;
	s->chain = (uint32_t)chain;
	s->prio = (uint32_t)prio;
	s->handle = (uint32_t)handle;
	if (proto >= 0) {
		s->key.eth_type = (uint16_t)proto;
		s->mask.eth_type = 0xffff;
		eth_type_set = true;
	}
	if (i >= argc || strcmp(argv[i], "flower"))
		return i >= argc ? ERR("Command line is not complete. Try option \"help\"")
				 : ERR("Unknown filter \"%s\", only flower is supported", argv[i]);
	for (i++; i < argc; i++) {
		const char *w = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint32_t n;

		if (!strcmp(w, "action") || !strcmp(w, "actions")) {
			for (i++; i < argc; i++) {
				if (!strcmp(argv[i], "action") || !strcmp(argv[i], "pipe"))
					continue;
				ret = tc_action_parse(&i, argc, argv, s, resolve, arg, err, errlen);
				if (ret)
					return ret;
			}
			break;
		}
		if (!strcmp(w, "skip_sw") || !strcmp(w, "skip_hw") || !strcmp(w, "verbose"))
			continue;
		if (!v)
			return ERR("Illegal \"%s\"", w);
		i++;
		if (!strcmp(w, "src_mac") || !strcmp(w, "dst_mac")) {
			bool src = w[0] == 's';

			if (parse_mac(v, src ? s->key.src_mac : s->key.dst_mac,
				      src ? s->mask.src_mac : s->mask.dst_mac))
				return ERR("Illegal \"%s\"", w);
		} else if (!strcmp(w, "eth_type")) {
			uint16_t t;

			if (parse_ethtype(v, &t))
				return ERR("Illegal \"eth_type\"");
			s->key.eth_type = t;
			s->mask.eth_type = 0xffff;
			eth_type_set = true;
		} else if (!strcmp(w, "vlan_id") || !strcmp(w, "vlan_prio")) {
			bool id = !strcmp(w, "vlan_id");

			if (!eth_type_set || (s->key.eth_type != 0x8100 && s->key.eth_type != 0x88a8))
				return ERR("Can't set \"%s\" if ethertype isn't 802.1Q or 802.1AD", w);
			if (tc_parse_u32(v, id ? 4095 : 7, &n))
				return ERR("Illegal \"%s\"", w);
			if (id) {
				s->key.vlan_tci |= (uint16_t)n;
				s->mask.vlan_tci |= 0x0fff;
			} else {
				s->key.vlan_tci |= (uint16_t)(n << 13);
				s->mask.vlan_tci |= 0xe000;
			}
			vlan = true;
		} else if (!strcmp(w, "vlan_ethtype")) {
			uint16_t t;

			if (!eth_type_set || (s->key.eth_type != 0x8100 && s->key.eth_type != 0x88a8))
				return ERR("Can't set \"vlan_ethtype\" if ethertype isn't 802.1Q or 802.1AD");
			if (parse_ethtype(v, &t))
				return ERR("Illegal \"vlan_ethtype\"");
			s->key.vlan_ethtype = t;
			s->mask.vlan_ethtype = 0xffff;
			vlan = true;
			l3 = t;
		} else if (!strcmp(w, "ip_proto")) {
			uint16_t et = vlan ? s->key.vlan_ethtype : s->key.eth_type;

			if (et != 0x0800 && et != 0x86dd)
				return ERR("Illegal \"eth_type\" for ip proto");
			if (!strcmp(v, "tcp"))
				n = 6;
			else if (!strcmp(v, "udp"))
				n = 17;
			else if (!strcmp(v, "icmp"))
				n = 1;
			else if (!strcmp(v, "sctp"))
				n = 132;
			else if (tc_parse_u32(v, 255, &n))
				return ERR("Illegal \"ip_proto\"");
			s->key.ip_proto = (uint8_t)n;
			s->mask.ip_proto = 0xff;
		} else if (!strcmp(w, "src_ip") || !strcmp(w, "dst_ip")) {
			bool src = w[0] == 's';
			uint16_t et = vlan ? s->key.vlan_ethtype : s->key.eth_type;

			if (et != 0x0800 && et != 0x86dd)
				return ERR("Illegal \"eth_type\" for ip address");
			ret = parse_ip(v, src ? &s->key.src_ip : &s->key.dst_ip,
				       src ? &s->mask.src_ip : &s->mask.dst_ip);
			if (ret == -2)
				return ERR("IPv6 addresses are not supported yet (\"%s\")", v);
			if (ret)
				return ERR("Illegal \"%s\"", w);
		} else if (!strcmp(w, "src_port") || !strcmp(w, "dst_port")) {
			bool src = w[0] == 's';

			if (s->key.ip_proto != 6 && s->key.ip_proto != 17 && s->key.ip_proto != 132)
				return ERR("Illegal \"ip_proto\" for port");
			if (tc_parse_u32(v, 0xffff, &n))
				return ERR("Illegal \"%s\"", w);
			if (src) {
				s->key.src_port = (uint16_t)n;
				s->mask.src_port = 0xffff;
			} else {
				s->key.dst_port = (uint16_t)n;
				s->mask.dst_port = 0xffff;
			}
		} else {
			return ERR("What is \"%s\"?", w);
		}
	}
	(void)l3;
	if (!s->nact)
		return ERR("Missing action: add \"action drop|pass|mirred ...|vlan ...|goto chain N\"");
	return 0;
}

int tc_sel_parse(int argc, const char *const *argv, struct tc_sel *sel,
		 tc_resolve_fn resolve, void *arg, char *err, size_t errlen)
{
	int64_t proto = -1;
	int i;

	sel->chain = sel->prio = sel->handle = -1;
	sel->stats = false;
	err[0] = 0;
	i = parse_head(argc, argv, &sel->dev, &sel->chain, &sel->prio, &sel->handle, &proto,
		       resolve, arg, err, errlen);
	if (i < 0)
		return i;
	if (i < argc && !strcmp(argv[i], "flower"))
		i++;
	if (i < argc)
		return ERR("What is \"%s\"?", argv[i]);
	if (sel->handle >= 0 && sel->prio < 0)
		return ERR("Specifying handle requires specifying prio too");
	return 0;
}

static void mac_str(const uint8_t *m, const uint8_t *mask, char *buf, size_t len)
{
	int bits = 0;

	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	for (int i = 0; i < 6; i++)
		bits += __builtin_popcount(mask[i]);
	if (bits != 48)
		snprintf(buf + strlen(buf), len - strlen(buf), "/%d", bits);
}

static const char *ethtype_name(uint16_t t, char *buf, size_t len)
{
	switch (t) {
	case 0x0800: return "ipv4";
	case 0x86dd: return "ipv6";
	case 0x0806: return "arp";
	case 0x8100: return "802.1Q";
	case 0x88a8: return "802.1ad";
	}
	snprintf(buf, len, "0x%04x", t);
	return buf;
}

static const char *proto_of(const struct esw_rule_spec *s, char *buf, size_t len)
{
	if (!s->mask.eth_type)
		return "all";
	if (s->key.eth_type == 0x0800)
		return "ip";
	return ethtype_name(s->key.eth_type, buf, len);
}

json_t *tc_rule_json(const struct esw_rule_spec *s, tc_name_fn name, void *arg,
		     const uint64_t *packets, const uint64_t *bytes, const uint64_t *lastuse_ms,
		     uint64_t now_ms)
{
	json_t *keys = json_object(), *acts = json_array(), *o;
	char buf[64];

	if (s->mask.vlan_tci & 0x0fff)
		json_object_set_new(keys, "vlan_id", json_integer(s->key.vlan_tci & 0x0fff));
	if (s->mask.vlan_tci & 0xe000)
		json_object_set_new(keys, "vlan_prio", json_integer(s->key.vlan_tci >> 13));
	if (s->mask.vlan_ethtype)
		json_object_set_new(keys, "vlan_ethtype",
				    json_string(ethtype_name(s->key.vlan_ethtype, buf, sizeof(buf))));
	if (memcmp(s->mask.dst_mac, "\0\0\0\0\0\0", 6)) {
		mac_str(s->key.dst_mac, s->mask.dst_mac, buf, sizeof(buf));
		json_object_set_new(keys, "dst_mac", json_string(buf));
	}
	if (memcmp(s->mask.src_mac, "\0\0\0\0\0\0", 6)) {
		mac_str(s->key.src_mac, s->mask.src_mac, buf, sizeof(buf));
		json_object_set_new(keys, "src_mac", json_string(buf));
	}
	if (s->mask.eth_type)
		json_object_set_new(keys, "eth_type",
				    json_string(ethtype_name(s->key.eth_type, buf, sizeof(buf))));
	if (s->mask.ip_proto) {
		const char *pn = proto_name(s->key.ip_proto);

		json_object_set_new(keys, "ip_proto",
				    pn ? json_string(pn) : json_integer(s->key.ip_proto));
	}
	for (int d = 0; d < 2; d++) {
		uint32_t a = d ? s->key.dst_ip : s->key.src_ip, m = d ? s->mask.dst_ip : s->mask.src_ip;

		if (!m)
			continue;
		inet_ntop(AF_INET, &a, buf, sizeof(buf));
		if (m != 0xffffffffu)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%d",
				 __builtin_popcount(m));
		json_object_set_new(keys, d ? "dst_ip" : "src_ip", json_string(buf));
	}
	if (s->mask.src_port)
		json_object_set_new(keys, "src_port", json_integer(s->key.src_port));
	if (s->mask.dst_port)
		json_object_set_new(keys, "dst_port", json_integer(s->key.dst_port));
	for (unsigned i = 0; i < s->nact; i++)
		json_array_append_new(acts, tc_action_json(&s->act[i], i + 1, name, arg, packets, bytes,
							     lastuse_ms, now_ms));
	o = json_pack("{s:s,s:i,s:s,s:I,s:{s:I,s:o,s:b,s:o}}", "protocol",
		      proto_of(s, buf, sizeof(buf)), "pref", (int)s->prio, "kind", "flower",
		      "chain", (json_int_t)s->chain, "options", "handle", (json_int_t)s->handle,
		      "keys", keys, "in_hw", 1, "actions", acts);
	return o;
}
