/*
 * test_esw.c - the eswitch's key extraction (IPv6 extension headers,
 * fragments, QinQ, ARP, ICMP, TCP flags, truncated frames) and port range
 * expansion, with the classifier's order inside a prio.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "../../src/esw/esw.h"

static size_t put(uint8_t *f, size_t o, const void *p, size_t n)
{
	memcpy(f + o, p, n);
	return o + n;
}

static size_t eth(uint8_t *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 0xa, 2, 0, 0, 0, 0, 0xb };

	put(f, 0, macs, 12);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

/* IPv4 header at o: tos, ttl, proto, frag_off word (flags | offset). */
static size_t ipv4(uint8_t *f, size_t o, uint8_t tos, uint8_t ttl, uint8_t proto, uint16_t fo)
{
	uint8_t h[20] = { 0x45, tos, 0, 40, 0, 1, (uint8_t)(fo >> 8), (uint8_t)fo, ttl, proto, 0, 0,
			  10, 0, 0, 1, 10, 0, 0, 2 };

	return put(f, o, h, 20);
}

static size_t ipv6(uint8_t *f, size_t o, uint8_t tc, uint8_t hl, uint8_t nh)
{
	uint8_t h[40] = { (uint8_t)(0x60 | tc >> 4), (uint8_t)(tc << 4), 0, 0, 0, 0, nh, hl };

	h[8] = 0x20, h[9] = 0x01, h[10] = 0x0d, h[11] = 0xb8, h[23] = 1;
	h[24] = 0x20, h[25] = 0x01, h[26] = 0x0d, h[27] = 0xb8, h[39] = 2;
	return put(f, o, h, 40);
}

static size_t udp(uint8_t *f, size_t o, uint16_t sport, uint16_t dport)
{
	uint8_t h[8] = { (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
			 (uint8_t)dport, 0, 8, 0, 0 };

	return put(f, o, h, 8);
}

static void test_ipv4_tos_ttl_tcp_flags(void **state)
{
	uint8_t f[128] = { 0 };
	uint8_t tcp[20] = { 0x03, 0xe8, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x51, 0x12 };
	struct esw_key k;
	size_t o;

	(void)state;
	o = ipv4(f, eth(f, 0x0800), 0xb8, 17, 6, 0x4000 /* DF: not a fragment */);
	o = put(f, o, tcp, 20);
	assert_int_equal(esw_key_extract(f, (uint32_t)o, &k), 0);
	assert_int_equal(k.ip_tos, 0xb8);
	assert_int_equal(k.ip_ttl, 17);
	assert_int_equal(k.ip_flags, 0);
	assert_int_equal(k.dst_port, 80);
	assert_int_equal(k.tcp_flags, 0x112);   /* NS + SYN-ACK */
	/* Cut inside the TCP header: ports yes, flags no. */
	assert_int_equal(esw_key_extract(f, 14 + 20 + 6, &k), 0);
	assert_int_equal(k.dst_port, 80);
	assert_int_equal(k.tcp_flags, 0);
}

static void test_ipv4_fragments(void **state)
{
	uint8_t f[128] = { 0 };
	struct esw_key k;
	size_t o;

	(void)state;
	o = udp(f, ipv4(f, eth(f, 0x0800), 0, 64, 17, 0x2000 /* MF, offset 0 */), 1000, 53);
	esw_key_extract(f, (uint32_t)o, &k);
	assert_int_equal(k.ip_flags, ESW_IPF_FRAG | ESW_IPF_FIRSTFRAG);
	assert_int_equal(k.dst_port, 53);       /* a first fragment has its L4 header */
	o = udp(f, ipv4(f, eth(f, 0x0800), 0, 64, 17, 0x0003 /* last, offset 24 */), 1000, 53);
	esw_key_extract(f, (uint32_t)o, &k);
	assert_int_equal(k.ip_flags, ESW_IPF_FRAG);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.src_port, 0);        /* later ones carry none */
	assert_int_equal(k.dst_port, 0);
}

static void test_ipv6_extension_headers(void **state)
{
	uint8_t f[256] = { 0 };
	uint8_t hbh[8] = { 43, 0 }, rt[16] = { 60, 1 }, dst[8] = { 17, 0 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct esw_key k;
	size_t o, full;

	(void)state;
	o = ipv6(f, eth(f, 0x86dd), 0xa0, 3, 0);
	o = put(f, o, hbh, 8);
	o = put(f, o, rt, 16);          /* a routing header of 16 bytes */
	o = put(f, o, dst, 8);
	full = udp(f, o, 1000, 4789);
	assert_int_equal(esw_key_extract(f, (uint32_t)full, &k), 0);
	assert_int_equal(k.ip_tos, 0xa0);
	assert_int_equal(k.ip_ttl, 3);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.dst_port, 4789);
	assert_memory_equal(k.src_ip6, a6, 16);
	/* Every cut of the chain: never past the frame, never an L4 field
	 * from bytes that are not there. */
	for (size_t len = 14; len < full; len++) {
		assert_int_equal(esw_key_extract(f, (uint32_t)len, &k), 0);
		assert_int_equal(k.dst_port, len >= o + 4 ? 4789 : 0);
		/* The protocol once the whole chain is there, not before. */
		if (len >= 54)
			assert_int_equal(k.ip_proto == 17, len >= o);
	}
}

static void test_ipv6_fragment_header(void **state)
{
	uint8_t f[256] = { 0 };
	uint8_t fh[8] = { 17, 0, 0, 1, 0, 0, 0, 7 };    /* offset 0, M */
	struct esw_key k;
	size_t o;

	(void)state;
	o = put(f, ipv6(f, eth(f, 0x86dd), 0, 64, 44), fh, 8);
	o = udp(f, o, 1000, 53);
	esw_key_extract(f, (uint32_t)o, &k);
	assert_int_equal(k.ip_flags, ESW_IPF_FRAG | ESW_IPF_FIRSTFRAG);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.dst_port, 53);
	f[14 + 40 + 3] = 0x18;          /* offset 3 (x 8 bytes), last */
	esw_key_extract(f, (uint32_t)o, &k);
	assert_int_equal(k.ip_flags, ESW_IPF_FRAG);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.dst_port, 0);
}

static void test_qinq_and_icmp(void **state)
{
	uint8_t f[128] = { 0 };
	uint8_t tags[8] = { 0x20, 10, 0x81, 0x00, 0x00, 20, 0x08, 0x00 };
	uint8_t icmp[8] = { 8, 0 };
	struct esw_key k;
	size_t o;

	(void)state;
	o = put(f, eth(f, 0x88a8), tags, 8);
	o = put(f, ipv4(f, o, 0, 64, 1, 0), icmp, 8);
	esw_key_extract(f, (uint32_t)o, &k);
	assert_int_equal(k.eth_type, 0x88a8);
	assert_int_equal(k.vlan_tci, 0x200a);   /* prio 1, vid 10 */
	assert_int_equal(k.vlan_ethtype, 0x8100);
	assert_int_equal(k.cvlan_tci, 20);
	assert_int_equal(k.cvlan_ethtype, 0x0800);
	assert_int_equal(k.ip_proto, 1);
	assert_int_equal(k.icmp_type, 8);
	assert_int_equal(k.icmp_code, 0);
	/* The inner tag cut short: the outer one only. */
	esw_key_extract(f, 14 + 6, &k);
	assert_int_equal(k.vlan_tci, 0x200a);
	assert_int_equal(k.cvlan_tci, 0);
	assert_int_equal(k.cvlan_ethtype, 0);
}

static void test_arp(void **state)
{
	uint8_t f[64] = { 0 };
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 0xb, 10, 0, 0, 1,
			    0, 0, 0x5e, 1, 2, 3, 10, 0, 0, 9 };
	static const uint8_t sha[6] = { 2, 0, 0, 0, 0, 0xb }, tha[6] = { 0, 0, 0x5e, 1, 2, 3 };
	struct esw_key k;
	size_t o = put(f, eth(f, 0x0806), arp, 28);

	(void)state;
	esw_key_extract(f, (uint32_t)o, &k);
	assert_int_equal(k.arp_op, 2);
	assert_memory_equal(k.arp_sha, sha, 6);
	assert_memory_equal(k.arp_tha, tha, 6);
	assert_int_equal(k.src_ip, htonl(0x0a000001));
	assert_int_equal(k.dst_ip, htonl(0x0a000009));
	esw_key_extract(f, (uint32_t)o - 1, &k);        /* truncated: no ARP fields */
	assert_int_equal(k.arp_op, 0);
	assert_int_equal(k.src_ip, 0);
	assert_int_equal(esw_key_extract(f, 13, &k), -1);
}

/* Every range of a sweep: the prefixes are disjoint, cover it exactly, and
 * are the fewest (the classic bound: at most 2 x 16 - 2). */
static void test_range_prefixes(void **state)
{
	static const uint16_t ranges[][2] = { { 4000, 4010 }, { 0, 65535 }, { 1, 65534 },
					      { 1024, 2047 }, { 80, 81 }, { 32767, 32768 } };
	uint16_t v[30], m[30];
	unsigned n;

	(void)state;
	n = esw_range_prefixes(4000, 4010, v, m);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 4000);
	assert_int_equal(m[0], 0xfff8);
	assert_int_equal(v[1], 4008);
	assert_int_equal(m[1], 0xfffe);
	assert_int_equal(v[2], 4010);
	assert_int_equal(m[2], 0xffff);
	assert_int_equal(esw_range_prefixes(0, 65535, v, m), 1);
	assert_int_equal(m[0], 0);
	assert_int_equal(esw_range_prefixes(1, 65534, v, m), 30);
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		n = esw_range_prefixes(ranges[r][0], ranges[r][1], v, m);
		assert_true(n <= 30);
		for (uint32_t p = 0; p <= 0xffff; p++) {
			unsigned hits = 0;

			for (unsigned i = 0; i < n; i++)
				hits += (p & m[i]) == v[i];
			assert_int_equal(hits, p >= ranges[r][0] && p <= ranges[r][1]);
		}
	}
}

static struct esw_rule_spec range_rule(uint32_t prio, uint32_t handle, uint16_t min, uint16_t max)
{
	struct esw_rule_spec s = { .dev = 1, .prio = prio, .handle = handle, .nact = 1,
				   .dst_port_min = min, .dst_port_max = max };

	s.key.ip_proto = 17;
	s.mask.ip_proto = 0xff;
	s.act[0].type = ESW_ACT_DROP;
	return s;
}

static void test_ranges_in_the_classifier(void **state)
{
	struct esw_cls *c = esw_cls_create(1);
	struct esw_rule_spec a = range_rule(1, 1, 4000, 4010), b = range_rule(1, 2, 4005, 5000);
	struct esw_rule_spec exact = range_rule(1, 3, 0, 0), bad = range_rule(1, 4, 9, 9);
	struct esw_key k = { .in_port = 1, .ip_proto = 17 };
	const struct esw_rule *r;

	(void)state;
	exact.key.dst_port = 4007;
	exact.mask.dst_port = 0xffff;
	assert_int_equal(esw_cls_insert(c, &bad), -EINVAL);
	assert_int_equal(esw_cls_insert(c, &a), 0);
	assert_int_equal(esw_cls_insert(c, &b), 0);
	assert_int_equal(esw_cls_insert(c, &exact), 0);
	rcu_thread_online();
	/* Overlap of a and b inside one prio and mask: the older rule. */
	k.dst_port = 4007;
	r = esw_cls_lookup(c, &k, NULL);
	assert_non_null(r);
	assert_int_equal(esw_rule_spec(r)->handle, 1);
	k.dst_port = 4011;
	assert_int_equal(esw_rule_spec(esw_cls_lookup(c, &k, NULL))->handle, 2);
	k.dst_port = 5001;
	assert_null(esw_cls_lookup(c, &k, NULL));
	rcu_thread_offline();
	/* The exact rule's mask came last in the prio: it loses 4007 to a; with
	 * a gone, b (older mask group) still wins over it. */
	assert_int_equal(esw_cls_remove(c, 1, 0, 1, 1), 0);
	rcu_thread_online();
	k.dst_port = 4007;
	assert_int_equal(esw_rule_spec(esw_cls_lookup(c, &k, NULL))->handle, 2);
	rcu_thread_offline();
	assert_int_equal(esw_cls_remove(c, 1, 0, 1, 2), 0);
	rcu_thread_online();
	assert_int_equal(esw_rule_spec(esw_cls_lookup(c, &k, NULL))->handle, 3);
	rcu_thread_offline();
	assert_int_equal(esw_cls_masks(c), 1);  /* the ranges' tables went with them */
	esw_cls_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tos_ttl_tcp_flags),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_ipv6_fragment_header),
		cmocka_unit_test(test_qinq_and_icmp),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_range_prefixes),
		cmocka_unit_test(test_ranges_in_the_classifier),
	};
	int ret;

	rcu_register_thread();
	rcu_thread_offline();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return ret;
}
