/*
 * test_steer.c - RX steering: ethtool's ntuple grammar, matching handmade
 * frames, `ethtool -n` text byte for byte, the flow hash, the store table,
 * and the devlink layer's ethtool calls over a real device and store.
 */
#include "test_helpers.h"
#include "../../src/steer/steer.h"

#include <arpa/inet.h>

#define DEV "sfnic/sfnic0"

/* ---- parsing ---- */

/* Parses a rule from one string of words; returns steer_parse's result. */
static int parse(const char *words, struct steer_rule *r, char *err)
{
	char buf[512], *argv[64], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 64; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	return steer_parse(argc, (const char *const *)argv, r, err, 256);
}

static struct steer_rule rule(const char *words)
{
	struct steer_rule r;
	char err[256] = "";

	if (parse(words, &r, err))
		fail_msg("\"%s\": %s", words, err);
	return r;
}

static void expect_err(const char *words, const char *msg)
{
	struct steer_rule r;
	char err[256] = "";

	assert_int_equal(parse(words, &r, err), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_parse_flow_types(void **state)
{
	static const struct { const char *words; uint8_t type; uint16_t et; uint8_t proto; } t[] = {
		{ "flow-type ether proto 0x88cc", STEER_FLOW_ETHER, 0x88cc, 0 },
		{ "flow-type ip4 l4proto 1", STEER_FLOW_IP4, 0x0800, 1 },
		{ "flow-type tcp4 dst-port 80", STEER_FLOW_TCP4, 0x0800, 6 },
		{ "flow-type udp4 src-port 53", STEER_FLOW_UDP4, 0x0800, 17 },
		{ "flow-type ip6 l4proto 58", STEER_FLOW_IP6, 0x86dd, 58 },
		{ "flow-type tcp6 dst-port 443", STEER_FLOW_TCP6, 0x86dd, 6 },
		{ "flow-type udp6 dst-ip 2001:db8::1", STEER_FLOW_UDP6, 0x86dd, 17 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct steer_rule r = rule(t[i].words);

		assert_int_equal(r.flow_type, t[i].type);
		assert_memory_equal(steer_flow_name(r.flow_type), t[i].words + 10,
				    strcspn(t[i].words + 10, " "));
		assert_int_equal(ntohs(r.key.k.ethertype), t[i].et);
		assert_int_equal(r.mask.k.ethertype, 0xffff);
		assert_int_equal(r.key.k.l4proto, t[i].proto);
		assert_int_equal(r.action, 0);          /* no action: queue 0 */
		assert_int_equal(r.flags & STEER_F_LOC, 0);
		assert_true(steer_rule_valid(&r));
	}
	/* Only the IP types require an IP header. */
	assert_int_equal(rule("flow-type ether").mask.k.meta, 0);
	assert_int_equal(rule("flow-type tcp4").mask.k.meta, STEER_META_IP);
	assert_int_equal(rule("flow-type tcp4 dst-port 1").mask.k.meta,
			 STEER_META_IP | STEER_META_L4);
}

static void test_parse_masks_and_numbers(void **state)
{
	struct steer_rule r;

	(void)state;
	/* m marks bits to ignore; the rule keeps the complement. */
	r = rule("flow-type tcp4 dst-ip 192.168.10.0 m 0.0.0.255 action 3 loc 7");
	assert_memory_equal(r.key.k.dst_ip, "\xc0\xa8\x0a\x00", 4);
	assert_memory_equal(r.mask.k.dst_ip, "\xff\xff\xff\x00", 4);
	assert_memory_equal(r.mask.k.src_ip, "\0\0\0\0", 4);   /* not given: not compared */
	assert_int_equal(r.action, 3);
	assert_int_equal(r.loc, 7);
	assert_int_equal(r.flags, STEER_F_LOC);
	/* Numbers are base 0, as ethtool's are: hex, octal, decimal. */
	r = rule("flow-type udp4 dst-port 0x50 src-port 010 tos 16");
	assert_memory_equal(r.key.k.l4, "\x00\x08\x00\x50", 4);
	assert_int_equal(r.key.k.tos, 16);
	/* FIELD-mask is the long form of m. */
	r = rule("flow-type ether proto 0x0800 proto-mask 0xff src 00:11:22:33:44:55 m ff:00:00:00:00:00");
	assert_memory_equal(&r.mask.k.ethertype, "\xff\x00", 2);
	assert_memory_equal(r.mask.k.src_mac, "\x00\xff\xff\xff\xff\xff", 6);
	r = rule("flow-type ip6 src-ip 2001:db8::1 m ::ffff dst-mac 02:00:00:00:00:01 vlan 100 action -1");
	assert_memory_equal(r.mask.k.src_ip + 12, "\xff\xff\x00\x00", 4);
	assert_int_equal(r.action, STEER_ACTION_DROP);
	assert_int_equal(r.flags, STEER_F_EXT | STEER_F_MAC_EXT);
	assert_int_equal(r.mask.k.meta, STEER_META_IP | STEER_META_VLAN);
	/* The ports of a raw IP rule are its first four L4 bytes. */
	r = rule("flow-type ip4 l4data 0x00350035");
	assert_memory_equal(r.key.k.l4, "\x00\x35\x00\x35", 4);
	r = rule("flow-type tcp6 queue 15 loc 1023");
	assert_int_equal(r.action, 15);
	assert_int_equal(r.loc, 1023);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_err("flow-type tcp4 dst-port 80 dst-port 81",
		   "Invalid dst-port value[81] (dst-port given already)");
	expect_err("flow-type ip4 src-port 1 l4data 2", "Invalid l4data value[2] (src-port given already)");
	expect_err("flow-type tcp4 action 1 action 2", "Invalid action value[2] (action given already)");
	expect_err("flow-type tcp4 foo 1", "Add rule, unrecognized option[foo]");
	expect_err("flow-type ether src-ip 1.2.3.4", "Add rule, unrecognized option[src-ip]");
	expect_err("flow-type tcp6 tos 1", "Add rule, unrecognized option[tos]");
	expect_err("flow-type ether dst-mac 00:00:00:00:00:01", "Add rule, unrecognized option[dst-mac]");
	expect_err("flow-type tcp4 l4proto 6", "Add rule, unrecognized option[l4proto]");
	expect_err("flow-type tcp9", "Add rule, invalid rule type[tcp9]");
	expect_err("flow-type sctp4 dst-port 1", "Add rule, unsupported rule type[sctp4]");
	expect_err("flow-type tcp4 user-def 1", "Add rule, unsupported option[user-def]");
	expect_err("flow-type tcp4 vf 1 queue 2", "Add rule, unsupported option[vf]");
	expect_err("tcp4 dst-port 1", "Add rule, invalid syntax");
	expect_err("flow-type", "Add rule, invalid syntax");
	expect_err("flow-type tcp4 dst-port", "Add rule, invalid syntax");
	expect_err("flow-type tcp4 dst-port 1 m", "Add rule, invalid syntax");
	expect_err("flow-type tcp4 dst-port 65536", "Invalid dst-port value[65536]");
	expect_err("flow-type tcp4 dst-port -1", "Invalid dst-port value[-1]");
	expect_err("flow-type tcp4 dst-port 8o", "Invalid dst-port value[8o]");
	expect_err("flow-type tcp4 dst-ip 1.2.3", "Invalid dst-ip value[1.2.3]");
	expect_err("flow-type tcp6 dst-ip 1.2.3.4", "Invalid dst-ip value[1.2.3.4]");
	expect_err("flow-type ether src 00:11:22:33:44", "Invalid src value[00:11:22:33:44]");
	expect_err("flow-type ether src 00:11:22:33:44:555", "Invalid src value[00:11:22:33:44:555]");
	expect_err("flow-type tcp4 dst-ip 1.2.3.4 m 255.0.0", "Invalid dst-ip mask[255.0.0]");
	expect_err("flow-type tcp4 action 1 m 2", "Invalid action mask[2]");
	expect_err("flow-type tcp4 action 16", "Invalid action value[16] (a queue 0-15, or -1 to drop)");
	expect_err("flow-type tcp4 action -2", "Invalid action value[-2] (a queue 0-15, or -1 to drop)");
	expect_err("flow-type tcp4 queue 16", "Invalid queue value[16] (a queue 0-15)");
	expect_err("flow-type tcp4 action 1 queue 2", "action and queue are not compatible");
	expect_err("flow-type tcp4 loc 1024", "Invalid loc value[1024] (locations 0-1023)");
}

/* ---- frames ---- */

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a }, mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

struct fr {
	uint8_t b[256];
	uint32_t len;
};

static uint32_t eth_hdr(struct fr *f, int vlan, uint16_t type)
{
	memcpy(f->b, mac_b, 6);
	memcpy(f->b + 6, mac_a, 6);
	if (vlan >= 0) {
		f->b[12] = 0x81, f->b[13] = 0x00;
		f->b[14] = (uint8_t)(vlan >> 8), f->b[15] = (uint8_t)vlan;
		f->b[16] = (uint8_t)(type >> 8), f->b[17] = (uint8_t)type;
		return 18;
	}
	f->b[12] = (uint8_t)(type >> 8), f->b[13] = (uint8_t)type;
	return 14;
}

static void ports(uint8_t *p, uint16_t sport, uint16_t dport)
{
	p[0] = (uint8_t)(sport >> 8), p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8), p[3] = (uint8_t)dport;
}

/* IPv4 (opt_words of options, frag_off in 8-byte units) and 20 L4 bytes. */
static struct fr v4(int vlan, uint8_t proto, const char *src, const char *dst, uint16_t sport,
		    uint16_t dport, unsigned opt_words, uint16_t frag_off)
{
	struct fr f = { { 0 }, 0 };
	uint32_t o = eth_hdr(&f, vlan, 0x0800), ihl = 20 + 4 * opt_words;
	uint8_t *ip = f.b + o;

	ip[0] = (uint8_t)(0x40 | (ihl / 4));
	ip[1] = 0x10;
	ip[2] = 0, ip[3] = (uint8_t)(ihl + 20);
	ip[6] = (uint8_t)(frag_off >> 8), ip[7] = (uint8_t)frag_off;
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	memset(ip + 20, 0x01, ihl - 20);        /* options: NOPs */
	ports(ip + ihl, sport, dport);
	f.len = o + ihl + 20;
	return f;
}

/* IPv6 with an optional hop-by-hop header, and 20 L4 bytes. */
static struct fr v6(uint8_t nh, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		    bool hbh)
{
	struct fr f = { { 0 }, 0 };
	uint32_t o = eth_hdr(&f, -1, 0x86dd), l4 = 40 + (hbh ? 8 : 0);
	uint8_t *ip = f.b + o;

	ip[0] = 0x60 | 0x0b, ip[1] = 0x80;      /* traffic class 0xb8 */
	ip[5] = (uint8_t)(l4 - 40 + 20);
	ip[6] = hbh ? 0 : nh;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	if (hbh)
		ip[40] = nh, ip[41] = 0, ip[42] = 1, ip[43] = 4;  /* PadN */
	ports(ip + l4, sport, dport);
	f.len = o + l4 + 20;
	return f;
}

static int32_t classify1(const char *words, const struct fr *f)
{
	struct steer_rule r = rule(words);

	return steer_classify(&r, 1, f->b, f->len);
}

static void test_classify_ipv4(void **state)
{
	struct fr tcp80 = v4(-1, 6, "10.0.0.77", "192.168.10.5", 40000, 80, 0, 0);
	struct fr tcp81 = v4(-1, 6, "10.0.0.77", "192.168.10.5", 40000, 81, 0, 0);
	struct fr udp80 = v4(-1, 17, "10.0.0.77", "192.168.10.5", 40000, 80, 0, 0);
	struct fr opts = v4(-1, 6, "10.0.0.77", "192.168.10.5", 40000, 80, 3, 0);
	struct fr later = v4(-1, 6, "10.0.0.77", "192.168.10.5", 40000, 80, 0, 0x00b9);
	struct fr first = v4(-1, 6, "10.0.0.77", "192.168.10.5", 40000, 80, 0, 0x2000);

	(void)state;
	assert_int_equal(classify1("flow-type tcp4 dst-port 80 action 3", &tcp80), 3);
	assert_int_equal(classify1("flow-type tcp4 dst-port 80 action 3", &tcp81), STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type tcp4 dst-port 80 action 3", &udp80), STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type udp4 dst-port 80 action 2", &udp80), 2);
	/* IHL decides where the ports are. */
	assert_int_equal(classify1("flow-type tcp4 dst-port 80 action 3", &opts), 3);
	assert_int_equal(classify1("flow-type tcp4 src-port 40000 dst-port 80 action 4", &opts), 4);
	/* A later fragment has no ports; the first one has. */
	assert_int_equal(classify1("flow-type tcp4 dst-port 80 action 3", &later), STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type tcp4 dst-ip 192.168.10.5 action 3", &later), 3);
	assert_int_equal(classify1("flow-type tcp4 dst-port 80 action 3", &first), 3);
	/* Masks: a /24, and bits of the port ignored. */
	assert_int_equal(classify1("flow-type ip4 src-ip 10.0.0.0 m 0.0.0.255 action 5", &tcp80), 5);
	assert_int_equal(classify1("flow-type ip4 src-ip 10.0.1.0 m 0.0.0.255 action 5", &tcp80),
			 STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type tcp4 dst-port 0x51 m 0x1 action 6", &tcp80), 6);
	assert_int_equal(classify1("flow-type ip4 tos 0x10 l4proto 6 action 7", &tcp80), 7);
	assert_int_equal(classify1("flow-type ip4 tos 0x20 action 7", &tcp80), STEER_NO_MATCH);
	/* Raw IPv4 ports are the first L4 bytes of any protocol. */
	assert_int_equal(classify1("flow-type ip4 dst-port 80 action 8", &udp80), 8);
	assert_int_equal(classify1("flow-type ip4 l4data 0x9c400050 action 8", &tcp80), 8);
	/* dst-mac on an IP flow type. */
	assert_int_equal(classify1("flow-type tcp4 dst-mac 02:00:00:00:00:0b action 9", &tcp80), 9);
	assert_int_equal(classify1("flow-type tcp4 dst-mac 02:00:00:00:00:0a action 9", &tcp80),
			 STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type tcp4 action -1", &tcp80), STEER_ACTION_DROP);
}

static void test_classify_vlan_ether_ipv6(void **state)
{
	struct fr tagged = v4(0x2064, 17, "10.0.0.1", "10.0.0.2", 1000, 53, 0, 0); /* prio 1, vid 100 */
	struct fr untagged = v4(-1, 17, "10.0.0.1", "10.0.0.2", 1000, 53, 0, 0);
	struct fr u6 = v6(17, "2001:db8::1", "2001:db8::2", 5353, 53, false);
	struct fr t6 = v6(6, "2001:db8::1", "2001:db8::2", 40000, 443, true);
	struct fr icmp6 = v6(58, "fe80::1", "ff02::1", 0x8500, 0, false);

	(void)state;
	/* One 802.1Q tag: the IP behind it is matched, and the tag itself. */
	assert_int_equal(classify1("flow-type udp4 dst-port 53 action 1", &tagged), 1);
	assert_int_equal(classify1("flow-type udp4 vlan 0x2064 action 2", &tagged), 2);
	assert_int_equal(classify1("flow-type udp4 vlan 100 m 0xf000 action 3", &tagged), 3);
	assert_int_equal(classify1("flow-type udp4 vlan 101 m 0xf000 action 3", &tagged), STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type udp4 vlan-etype 0x8100 action 4", &tagged), 4);
	/* An untagged frame never matches a VLAN field, not even vlan 0. */
	assert_int_equal(classify1("flow-type udp4 vlan 0 action 2", &untagged), STEER_NO_MATCH);
	/* ether: MACs and the ethertype after the tag. */
	assert_int_equal(classify1("flow-type ether src 02:00:00:00:00:0a proto 0x0800 action 5",
				   &tagged), 5);
	assert_int_equal(classify1("flow-type ether dst 02:00:00:00:00:0a action 5", &tagged),
			 STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type ether proto 0x86dd action 6", &u6), 6);
	/* IPv6: ports, traffic class, a hop-by-hop header before TCP. */
	assert_int_equal(classify1("flow-type udp6 dst-port 53 action 7", &u6), 7);
	assert_int_equal(classify1("flow-type tcp6 dst-port 53 action 7", &u6), STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type udp4 dst-port 53 action 7", &u6), STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type udp6 tclass 0xb8 src-ip 2001:db8::1 action 8", &u6), 8);
	assert_int_equal(classify1("flow-type udp6 dst-ip 2001:db8:: m ::ffff action 9", &u6), 9);
	assert_int_equal(classify1("flow-type tcp6 dst-port 443 action 10", &t6), 10);
	assert_int_equal(classify1("flow-type ip6 l4proto 58 action 11", &icmp6), 11);
	assert_int_equal(classify1("flow-type ip6 l4proto 58 action 11", &u6), STEER_NO_MATCH);
	/* An IPv4 rule never matches IPv6 and the other way round. */
	assert_int_equal(classify1("flow-type ip4 action 12", &u6), STEER_NO_MATCH);
	assert_int_equal(classify1("flow-type ip6 action 12", &untagged), STEER_NO_MATCH);
}

static void test_classify_order_and_short_frames(void **state)
{
	struct fr f = v4(-1, 6, "10.0.0.1", "10.0.0.2", 1234, 80, 0, 0);
	struct steer_rule r[3] = {
		rule("flow-type tcp4 dst-port 81 action 1"),
		rule("flow-type tcp4 dst-port 80 action -1"),
		rule("flow-type ip4 action 2"),
	};

	(void)state;
	assert_int_equal(steer_classify(r, 0, f.b, f.len), STEER_NO_MATCH);
	/* The first match in array order decides. */
	assert_int_equal(steer_classify(r, 3, f.b, f.len), STEER_ACTION_DROP);
	assert_int_equal(steer_classify(r + 2, 1, f.b, f.len), 2);
	/* Cut anywhere: no read past len (ASan watches), and no port match
	 * once the ports are cut off. */
	for (uint32_t len = 0; len <= f.len; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		int32_t a;

		memcpy(copy, f.b, len);
		a = steer_classify(r, 3, copy, len);
		assert_int_equal(a, len >= 14 + 20 + 4 ? STEER_ACTION_DROP
				    : len >= 14 + 20 ? 2 : STEER_NO_MATCH);
		(void)steer_flow_hash(copy, len);
		free(copy);
	}
}

/* ---- ethtool -n text ---- */

static void expect_text(const char *words, const char *text)
{
	struct steer_rule r = rule(words);
	char buf[1024];
	int n = steer_format(&r, buf, sizeof(buf));

	assert_string_equal(buf, text);
	assert_int_equal(n, (int)strlen(text));
	/* Asked for the length first, as callers size their buffer. */
	assert_int_equal(steer_format(&r, NULL, 0), n);
}

static void test_format(void **state)
{
	(void)state;
	/* The reference's example, byte for byte. */
	expect_text("flow-type tcp4 dst-ip 192.168.10.0 m 0.0.0.255 dst-port 80 action 3 loc 1023",
		    "Filter: 1023\n"
		    "\tRule Type: TCP over IPv4\n"
		    "\tSrc IP addr: 0.0.0.0 mask: 255.255.255.255\n"
		    "\tDest IP addr: 192.168.10.0 mask: 0.0.0.255\n"
		    "\tTOS: 0x0 mask: 0xff\n"
		    "\tSrc port: 0 mask: 0xffff\n"
		    "\tDest port: 80 mask: 0x0\n"
		    "\tAction: Direct to queue 3\n"
		    "\n");
	expect_text("flow-type udp6 src-ip 2001:db8::1 dst-port 53 tclass 0xb8 m 0x3 action -1 loc 2",
		    "Filter: 2\n"
		    "\tRule Type: UDP over IPv6\n"
		    "\tSrc IP addr: 2001:db8::1 mask: ::\n"
		    "\tDest IP addr: :: mask: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
		    "\tTraffic Class: 0xb8 mask: 0x3\n"
		    "\tSrc port: 0 mask: 0xffff\n"
		    "\tDest port: 53 mask: 0x0\n"
		    "\tAction: Drop\n"
		    "\n");
	expect_text("flow-type ip4 l4proto 17 src-port 53 vlan 100 m 0xf000 action 1 loc 9",
		    "Filter: 9\n"
		    "\tRule Type: Raw IPv4\n"
		    "\tSrc IP addr: 0.0.0.0 mask: 255.255.255.255\n"
		    "\tDest IP addr: 0.0.0.0 mask: 255.255.255.255\n"
		    "\tTOS: 0x0 mask: 0xff\n"
		    "\tProtocol: 17 mask: 0x0\n"
		    "\tL4 bytes: 0x350000 mask: 0xffff\n"
		    "\tVLAN EtherType: 0x0 mask: 0xffff\n"
		    "\tVLAN: 0x64 mask: 0xf000\n"
		    "\tUser-defined: 0x0 mask: 0xffffffffffffffff\n"
		    "\tAction: Direct to queue 1\n"
		    "\n");
	/* ethtool prints the dst-mac extension's mask as the kernel holds it. */
	expect_text("flow-type ip6 dst-mac 02:00:00:00:00:0b action 2 loc 0",
		    "Filter: 0\n"
		    "\tRule Type: Raw IPv6\n"
		    "\tSrc IP addr: :: mask: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
		    "\tDest IP addr: :: mask: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
		    "\tTraffic Class: 0x0 mask: 0xff\n"
		    "\tProtocol: 0 mask: 0xff\n"
		    "\tL4 bytes: 0x0 mask: 0xffffffff\n"
		    "\tDest MAC addr: 02:00:00:00:00:0B mask: FF:FF:FF:FF:FF:FF\n"
		    "\tAction: Direct to queue 2\n"
		    "\n");
	expect_text("flow-type ether src 00:11:22:aa:bb:cc dst 02:00:00:00:00:01 m 00:00:00:00:00:ff proto 0x88cc action 4 loc 1000",
		    "Filter: 1000\n"
		    "\tFlow Type: Raw Ethernet\n"
		    "\tSrc MAC addr: 00:11:22:AA:BB:CC mask: 00:00:00:00:00:00\n"
		    "\tDest MAC addr: 02:00:00:00:00:01 mask: 00:00:00:00:00:FF\n"
		    "\tEthertype: 0x88CC mask: 0x0\n"
		    "\tAction: Direct to queue 4\n"
		    "\n");
}

static void field_cb(const struct steer_field *f, void *arg)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s=%s/%s ", f->name, f->value, f->mask);
}

static void test_fields(void **state)
{
	struct steer_rule r = rule("flow-type tcp4 dst-ip 192.168.10.0 m 0.0.0.255 dst-port 80 vlan 5");
	char out[256] = "";

	(void)state;
	/* What the command line gave, in its polarity; not what tcp4 implies. */
	steer_fields(&r, field_cb, out);
	assert_string_equal(out, "dst-ip=192.168.10.0/0.0.0.255 dst-port=80/0x0 vlan=5/0x0 ");
}

/* ---- the flow hash ---- */

static void test_flow_hash(void **state)
{
	struct fr a = v4(-1, 6, "10.0.0.1", "10.0.0.2", 1000, 80, 0, 0);
	struct fr a_opts = v4(-1, 6, "10.0.0.1", "10.0.0.2", 1000, 80, 2, 0);
	struct fr a_vlan = v4(7, 6, "10.0.0.1", "10.0.0.2", 1000, 80, 0, 0);
	struct fr b = v4(-1, 6, "10.0.0.1", "10.0.0.2", 1001, 80, 0, 0);
	struct fr c = v4(-1, 6, "10.0.0.1", "10.0.0.2", 1000, 81, 0, 0);
	struct fr d = v4(-1, 6, "10.0.0.3", "10.0.0.2", 1000, 80, 0, 0);
	struct fr u = v4(-1, 17, "10.0.0.1", "10.0.0.2", 1000, 80, 0, 0);
	struct fr s1 = v6(17, "2001:db8::1", "2001:db8::2", 5000, 53, false);
	struct fr s2 = v6(17, "2001:db8::1", "2001:db8::2", 5001, 53, false);
	uint32_t h = steer_flow_hash(a.b, a.len);

	(void)state;
	/* One flow, one value: payload, options and the tag do not count. */
	a.b[a.len - 1] ^= 0xff;
	assert_int_equal(steer_flow_hash(a.b, a.len), h);
	assert_int_equal(steer_flow_hash(a_opts.b, a_opts.len), h);
	assert_int_equal(steer_flow_hash(a_vlan.b, a_vlan.len), h);
	/* Another port, address or protocol: another value. */
	assert_int_not_equal(steer_flow_hash(b.b, b.len), h);
	assert_int_not_equal(steer_flow_hash(c.b, c.len), h);
	assert_int_not_equal(steer_flow_hash(d.b, d.len), h);
	assert_int_not_equal(steer_flow_hash(u.b, u.len), h);
	assert_int_not_equal(steer_flow_hash(s1.b, s1.len), steer_flow_hash(s2.b, s2.len));
	assert_int_equal(steer_flow_hash(s1.b, s1.len), steer_flow_hash(s1.b, s1.len));
	/* Flows spread: 256 source ports over 4 rings leave none empty. */
	{
		unsigned ring[4] = { 0 };

		for (unsigned p = 0; p < 256; p++) {
			struct fr x = v4(-1, 17, "10.0.0.1", "10.0.0.2", (uint16_t)(20000 + p), 53, 0, 0);

			ring[steer_flow_hash(x.b, x.len) % 4]++;
		}
		for (int i = 0; i < 4; i++)
			assert_true(ring[i] > 32);
	}
}

/* ---- the store ---- */

static int collect_cb(uint32_t fn, uint32_t loc, const void *spec, size_t len, void *arg)
{
	char *out = arg;

	snprintf(out + strlen(out), 128 - strlen(out), "%u/%u:%zu:%c ", fn, loc, len,
		 *(const char *)spec);
	return 0;
}

static void test_store_steer(void **state)
{
	struct fixture *f = *state;
	char out[128] = "";

	assert_int_equal(store_steer_put(f->st, 32769, 5, "a", 1), 0);
	assert_int_equal(store_steer_put(f->st, 32768, 1023, "b", 1), 0);
	assert_int_equal(store_steer_put(f->st, 32768, 7, "c", 1), 0);
	assert_int_equal(store_steer_put(f->st, 32768, 7, "dd", 2), 0);  /* replaces */
	assert_int_equal(store_steer_foreach(f->st, collect_cb, out), 0);
	assert_string_equal(out, "32768/7:2:d 32768/1023:1:b 32769/5:1:a ");
	assert_int_equal(store_steer_del(f->st, 32768, 7), 0);
	assert_int_equal(store_steer_del(f->st, 32768, 7), 0);          /* absent: fine */
	assert_int_equal(store_steer_del_fn(f->st, 32769), 0);
	out[0] = 0;
	assert_int_equal(store_steer_foreach(f->st, collect_cb, out), 0);
	assert_string_equal(out, "32768/1023:1:b ");
	assert_int_equal(store_steer_del_fn(f->st, 32768), 0);
}

/* ---- the devlink layer: ethtool -N/-n/-l ---- */

static uint32_t add_sf(struct fixture *f, int64_t sfnum)
{
	struct dl_eswitch_req e = { .mode = "switchdev" };
	struct dl_port_add_req r = { .flavour = "pcisf", .pfnum = 0, .sfnum = sfnum,
				     .controller = -1 };
	json_t *out = NULL;

	(void)dl_eswitch_set(f->dl, DEV, &e, &f->err);
	assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), 0);
	json_decref(out);
	return 32768;
}

static int add(struct fixture *f, const char *dev, const char *words, uint32_t *loc)
{
	char buf[512], *argv[64], *save = NULL;
	int argc = 0;
	uint32_t l;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	f->err.msg[0] = 0;
	return dl_ethtool_ntuple_add(f->dl, dev, argc, (const char *const *)argv, loc ? loc : &l,
				     &f->err);
}

static json_t *show(struct fixture *f, const char *dev)
{
	json_t *out = NULL;

	assert_int_equal(dl_ethtool_ntuple_show(f->dl, dev, &out, &f->err), 0);
	return out;
}

static size_t nrules(struct fixture *f, const char *dev)
{
	json_t *o = show(f, dev);
	size_t n = json_array_size(json_object_get(o, "rules"));

	json_decref(o);
	return n;
}

static void test_dl_ethtool(void **state)
{
	struct fixture *f = *state;
	uint32_t loc;
	json_t *o, *r;

	add_sf(f, 88);
	/* Without loc: the highest free slot, then the next one down. */
	assert_int_equal(add(f, "sfnic0S88", "flow-type tcp4 dst-port 80 action 3", &loc), 0);
	assert_int_equal(loc, 1023);
	assert_int_equal(add(f, "sfnic0npf0sf88", "flow-type udp4 action 1", &loc), 0);
	assert_int_equal(loc, 1022);
	assert_int_equal(add(f, DEV "/32768", "flow-type ip6 action -1 loc 1021", &loc), 0);
	assert_int_equal(add(f, DEV "/32768", "flow-type ether proto 0x88cc loc 5", &loc), 0);
	assert_int_equal(loc, 5);
	assert_int_equal(add(f, "sfnic0S88", "flow-type udp4 dst-port 53 action 2", &loc), 0);
	assert_int_equal(loc, 1020);
	/* loc N on a taken slot replaces the rule there. */
	assert_int_equal(add(f, "sfnic0S88", "flow-type tcp4 dst-port 443 action 4 loc 1023", &loc), 0);
	o = show(f, "sfnic0S88");
	assert_string_equal(json_string_value(json_object_get(o, "ifname")), "sfnic0S88");
	assert_int_equal(json_integer_value(json_object_get(o, "rings")), 16);
	assert_int_equal(json_array_size(json_object_get(o, "rules")), 5);
	/* Sorted by location, which is the order rules are tried in. */
	r = json_array_get(json_object_get(o, "rules"), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "loc")), 5);
	assert_string_equal(json_string_value(json_object_get(r, "flow-type")), "ether");
	assert_int_equal(json_integer_value(json_object_get(r, "proto")), 0x88cc);
	r = json_array_get(json_object_get(o, "rules"), 4);
	assert_int_equal(json_integer_value(json_object_get(r, "dst-port")), 443);
	assert_int_equal(json_integer_value(json_object_get(r, "action")), 4);
	r = json_array_get(json_object_get(o, "rules"), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "loc")), 1021);
	assert_string_equal(json_string_value(json_object_get(r, "action")), "drop");
	assert_true(!strncmp(json_string_value(json_object_get(o, "text")),
			     "16 RX rings available\nTotal 5 rules\n\nFilter: 5\n", 45));
	json_decref(o);
	assert_int_equal(dl_ethtool_ntuple_get(f->dl, "sfnic0S88", 1022, &o, &f->err), 0);
	assert_true(!strncmp(json_string_value(json_object_get(o, "text")),
			     "Filter: 1022\n\tRule Type: UDP over IPv4\n", 38));
	json_decref(o);
	/* Delete: present, then absent. */
	assert_int_equal(dl_ethtool_ntuple_del(f->dl, "sfnic0S88", 1022, &f->err), 0);
	assert_int_equal(dl_ethtool_ntuple_del(f->dl, "sfnic0S88", 1022, &f->err), -ENOENT);
	assert_string_equal(f->err.msg, "rmgr: Cannot delete RX class rule: No such file or directory\n"
					"Cannot delete classification rule");
	assert_int_equal(dl_ethtool_ntuple_get(f->dl, "sfnic0S88", 1022, &o, &f->err), -ENOENT);
	/* The freed slot is the highest free one again. */
	assert_int_equal(add(f, "sfnic0S88", "flow-type udp4 action 1", &loc), 0);
	assert_int_equal(loc, 1022);
	/* Errors leave the table as it was. */
	assert_int_equal(add(f, "sfnic0S88", "flow-type tcp4 bogus 1", NULL), -EINVAL);
	assert_string_equal(f->err.msg, "Add rule, unrecognized option[bogus]");
	assert_int_equal(add(f, "sfnic0S88", "flow-type tcp4 action 16", NULL), -EINVAL);
	assert_int_equal(add(f, "nosuchdev", "flow-type tcp4", NULL), -ENODEV);
	assert_string_equal(f->err.msg, "Cannot find device \"nosuchdev\"");
	assert_int_equal(add(f, "sfnic0", "flow-type tcp4", NULL), -EOPNOTSUPP);
	assert_string_equal(f->err.msg, "rxclass: Cannot get RX class rule count: Operation not supported\n"
					"Cannot insert classification rule");
	assert_int_equal(add(f, DEV "/65535", "flow-type tcp4", NULL), -EOPNOTSUPP);
	assert_int_equal(add(f, "sfnic0npf0", "flow-type tcp4", NULL), -EOPNOTSUPP);
	assert_int_equal(dl_ethtool_ntuple_show(f->dl, "sfnic0np0", &o, &f->err), -EOPNOTSUPP);
	assert_string_equal(f->err.msg, "Cannot get RX rings: Operation not supported\n"
					"rxclass: Cannot get RX class rule count: Operation not supported\n"
					"RX classification rule retrieval failed");
	assert_int_equal(dl_ethtool_channels(f->dl, "sfnic0", &o, &f->err), -EOPNOTSUPP);
	assert_string_equal(f->err.msg, "netlink error: Operation not supported");
	assert_int_equal(nrules(f, "sfnic0S88"), 5);
	/* Channels of an inactive SF: nothing bound, no queue. */
	assert_int_equal(dl_ethtool_channels(f->dl, "sfnic0S88", &o, &f->err), 0);
	assert_string_equal(json_string_value(json_object_get(o, "text")),
			    "Channel parameters for sfnic0S88:\nPre-set maximums:\n"
			    "RX:\t\t16\nTX:\t\t16\nOther:\t\tn/a\nCombined:\tn/a\n"
			    "Current hardware settings:\n"
			    "RX:\t\t0\nTX:\t\t0\nOther:\t\tn/a\nCombined:\tn/a\n");
	json_decref(o);
}

static void test_dl_ethtool_restore_and_delete(void **state)
{
	struct fixture *f = *state;
	struct dl_fn_set_req act = { NULL, "active" };
	json_t *o;

	add_sf(f, 88);
	assert_int_equal(add(f, "sfnic0S88", "flow-type tcp4 dst-port 80 action 3", NULL), 0);
	assert_int_equal(add(f, "sfnic0S88", "flow-type udp6 action 1 loc 3", NULL), 0);
	/* Active: reachable through the SF's devlink instance too, and the
	 * bound drivers are its channels. */
	assert_int_equal(dl_port_fn_set(f->dl, DEV "/32768", &act, &f->err), 0);
	dl_process_events(f->dl);
	assert_int_equal(nrules(f, "auxiliary/sfnic_core.sf.1"), 2);
	assert_int_equal(dl_ethtool_channels(f->dl, "auxiliary/sfnic_core.sf.1", &o, &f->err), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "current"), "rx")), 2);
	json_decref(o);
	/* A restart restores them, in order. */
	fx_stop(f);
	fx_start(f);
	o = show(f, "sfnic0S88");
	assert_int_equal(json_array_size(json_object_get(o, "rules")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(o, "rules"), 0),
							     "loc")), 3);
	json_decref(o);
	/* Deleting the SF deletes its rules, in the store as well. */
	assert_int_equal(dl_port_del(f->dl, DEV "/32768", &f->err), 0);
	fx_stop(f);
	fx_start(f);
	add_sf(f, 88);
	assert_int_equal(nrules(f, "sfnic0S88"), 0);
}

static void test_dl_ethtool_table_full(void **state)
{
	struct fixture *f = *state;
	uint32_t loc;

	add_sf(f, 7);
	assert_int_equal(store_begin(f->st), 0);        /* 1024 writes in one commit */
	for (int i = 0; i < STEER_TABLE_SIZE; i++) {
		assert_int_equal(add(f, "sfnic0S7", "flow-type ip4 action 1", &loc), 0);
		assert_int_equal(loc, (uint32_t)(STEER_TABLE_SIZE - 1 - i));
	}
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(add(f, "sfnic0S7", "flow-type ip4 action 1", &loc), -ENOSPC);
	assert_string_equal(f->err.msg, "rmgr: Cannot find appropriate slot to insert rule\n"
					"Cannot insert classification rule");
	/* loc N still replaces. */
	assert_int_equal(add(f, "sfnic0S7", "flow-type ip4 action 2 loc 0", &loc), 0);
	assert_int_equal(dl_ethtool_ntuple_del(f->dl, "sfnic0S7", 512, &f->err), 0);
	assert_int_equal(add(f, "sfnic0S7", "flow-type ip4 action 1", &loc), 0);
	assert_int_equal(loc, 512);
	assert_int_equal(nrules(f, "sfnic0S7"), STEER_TABLE_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_flow_types),
		cmocka_unit_test(test_parse_masks_and_numbers),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_classify_ipv4),
		cmocka_unit_test(test_classify_vlan_ether_ipv6),
		cmocka_unit_test(test_classify_order_and_short_frames),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_flow_hash),
		cmocka_unit_test_setup_teardown(test_store_steer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dl_ethtool, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dl_ethtool_restore_and_delete, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_dl_ethtool_table_full, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
