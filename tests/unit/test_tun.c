/*
 * test_tun.c - tunnel ports without root: VXLAN header build and parse
 * byte for byte, the outer UDP source port as Linux computes it, the
 * checksums, ECN, the link and neigh grammar with ip's words, and encap
 * and decap through a real datapath driven by dp_poll_once.
 */
#include "test_helpers.h"
#include "../../src/tun/tun.h"
#include "../../src/dp/dp.h"

#include <arpa/inet.h>

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* An inner frame: Ethernet + IPv4 + UDP with the given ports and tos. */
static uint32_t inner_udp(uint8_t *f, uint16_t sport, uint16_t dport, uint8_t tos)
{
	static const uint8_t eth[14] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00 };
	uint8_t *iph = f + 14, *udp = f + 34;

	memcpy(f, eth, 14);
	memset(iph, 0, 20);
	iph[0] = 0x45;
	iph[1] = tos;
	iph[3] = 20 + 8 + 4;
	iph[8] = 64;
	iph[9] = 17;
	memcpy(iph + 12, &(uint32_t){ ip("10.0.0.1") }, 4);
	memcpy(iph + 16, &(uint32_t){ ip("10.0.0.2") }, 4);
	udp[0] = (uint8_t)(sport >> 8), udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
	udp[4] = 0, udp[5] = 12, udp[6] = udp[7] = 0;
	memcpy(udp + 8, "ping", 4);
	return 14 + 20 + 8 + 4;
}

static const struct tun_nh NH = { .dmac = { 0x52, 0x54, 0, 0, 0, 2 },
				   .smac = { 0x52, 0x54, 0, 0, 0, 1 }, .ttl = 64 };

/* ---- source port ---- */

static void test_src_port_is_linux_formula(void **state)
{
	(void)state;
	/* ((hash ^ hash << 16) * (max - min)) >> 32 + min, 32-bit hash. */
	assert_int_equal(tun_src_port(0, 32768, 60999), 32768);
	assert_int_equal(tun_src_port(0xffffffffu, 32768, 60999),
			 32768 + (uint16_t)(((uint64_t)(0xffffffffu ^ 0xffff0000u) * 28231) >> 32));
	assert_int_equal(tun_src_port(0x12345678u, 32768, 60999),
			 32768 + (uint16_t)(((uint64_t)(0x12345678u ^ 0x56780000u) * 28231) >> 32));
	for (uint32_t h = 1; h < 2000000; h += 7919) {
		uint16_t p = tun_src_port(h * 2654435761u, 32768, 60999);

		assert_true(p >= 32768 && p < 60999);
	}
}

static void test_inner_hash_follows_the_flow(void **state)
{
	uint8_t a[64], b[64];
	uint32_t la = inner_udp(a, 1000, 2000, 0), lb = inner_udp(b, 1000, 2000, 0x10);

	(void)state;
	/* The same flow (tos is not part of it) hashes the same... */
	assert_int_equal(tun_inner_hash(a, la), tun_inner_hash(b, lb));
	/* ...another source port does not, nor does another MAC-only frame. */
	inner_udp(b, 1001, 2000, 0);
	assert_int_not_equal(tun_inner_hash(a, la), tun_inner_hash(b, lb));
	b[12] = 0x88, b[13] = 0xb5;     /* not IP: the MAC addresses decide */
	assert_int_equal(tun_inner_hash(b, 14), tun_inner_hash(b, lb));
}

/* ---- build and parse ---- */

static void test_build_is_byte_exact(void **state)
{
	uint8_t buf[TUN_VXLAN_HLEN + 64], *in = buf + TUN_VXLAN_HLEN;
	uint32_t n = inner_udp(in, 1000, 2000, 0);
	struct tun_info ti = { .id = 42, .src_ip = ip("192.168.1.1"), .dst_ip = ip("192.168.1.2"),
			       .flags = TUN_F_PRESENT };
	static const uint8_t want[TUN_VXLAN_HLEN] = {
		0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00,
		/* IPv4: tos 0, total 20+8+8+46, id 7, no DF, ttl 64 (the route's), UDP */
		0x45, 0x00, 0x00, 0x52, 0x00, 0x07, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
		192, 168, 1, 1, 192, 168, 1, 2,
		/* UDP: sport 50000, dport 4789, length 8+8+46, no checksum */
		0xc3, 0x50, 0x12, 0xb5, 0x00, 0x3e, 0x00, 0x00,
		/* VXLAN: I flag, VNI 42 (the reference's 0800 0000 0000 2a00) */
		0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00 };
	uint8_t got[TUN_VXLAN_HLEN];

	(void)state;
	tun_vxlan_build(buf, &NH, &ti, 50000, 4789, 7, n);
	memcpy(got, buf, sizeof(got));
	got[24] = got[25] = 0;                          /* IP checksum: checked below */
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(tun_csum_fold(tun_csum_add(buf + 14, 20, 0)), 0);
}

static void test_udp_checksum_on_request(void **state)
{
	uint8_t buf[TUN_VXLAN_HLEN + 64], *in = buf + TUN_VXLAN_HLEN;
	uint32_t n = inner_udp(in, 1000, 2000, 0);
	struct tun_info ti = { .id = 100, .src_ip = ip("192.168.1.1"), .dst_ip = ip("192.168.1.2"),
			       .ttl = 9, .tos = 0x28, .flags = TUN_F_PRESENT | TUN_F_CSUM | TUN_F_DF };
	struct tun_rx rx;

	(void)state;
	tun_vxlan_build(buf, &NH, &ti, 40000, 4789, 1, n);
	assert_true(buf[40] || buf[41]);                /* a checksum is there */
	assert_int_equal(buf[14 + 1], 0x28);
	assert_int_equal(buf[14 + 8], 9);
	assert_int_equal(buf[14 + 6], 0x40);            /* DF */
	assert_int_equal(tun_udp4_dport(buf, TUN_VXLAN_HLEN + n), 4789);
	assert_int_equal(tun_vxlan_parse(buf, TUN_VXLAN_HLEN + n, &rx), 1);
	assert_int_equal(rx.hlen, TUN_VXLAN_HLEN);
	assert_int_equal(rx.ti.id, 100);
	assert_int_equal(rx.ti.src_ip, ti.src_ip);
	assert_int_equal(rx.ti.dst_ip, ti.dst_ip);
	assert_int_equal(rx.ti.dst_port, 4789);
	assert_int_equal(rx.ti.tos, 0x28);
	assert_int_equal(rx.ti.ttl, 9);
	assert_int_equal(rx.ti.flags, TUN_F_PRESENT | TUN_F_CSUM | TUN_F_DF);
	/* One flipped payload byte: the checksum catches it. */
	buf[TUN_VXLAN_HLEN + n - 1] ^= 1;
	assert_int_equal(tun_vxlan_parse(buf, TUN_VXLAN_HLEN + n, &rx), -1);
	/* Without csum the field is zero and nothing is checked. */
	ti.flags = TUN_F_PRESENT;
	tun_vxlan_build(buf, &NH, &ti, 40000, 4789, 1, n);
	assert_int_equal(buf[40] | buf[41], 0);
	assert_int_equal(tun_vxlan_parse(buf, TUN_VXLAN_HLEN + n, &rx), 1);
	assert_int_equal(rx.ti.flags, TUN_F_PRESENT);
}

static void test_ecn_copied_ce_as_ect0(void **state)
{
	uint8_t buf[TUN_VXLAN_HLEN + 64], *in = buf + TUN_VXLAN_HLEN;
	struct tun_info ti = { .id = 1, .src_ip = 1, .dst_ip = 2, .tos = 0x10,
			       .flags = TUN_F_PRESENT };
	uint32_t n = inner_udp(in, 1, 2, 0x01);         /* ECT(1) */

	(void)state;
	tun_vxlan_build(buf, &NH, &ti, 1, 4789, 0, n);
	assert_int_equal(buf[15], 0x11);
	n = inner_udp(in, 1, 2, 0x03);                  /* CE */
	tun_vxlan_build(buf, &NH, &ti, 1, 4789, 0, n);
	assert_int_equal(buf[15], 0x12);                /* ECT(0) */
}

static void test_parse_refuses_what_is_not_vxlan(void **state)
{
	uint8_t buf[TUN_VXLAN_HLEN + 64], *in = buf + TUN_VXLAN_HLEN;
	struct tun_info ti = { .id = 5, .src_ip = 1, .dst_ip = 2, .flags = TUN_F_PRESENT };
	uint32_t n = inner_udp(in, 1, 2, 0), len = TUN_VXLAN_HLEN + n;
	struct tun_rx rx;

	(void)state;
	tun_vxlan_build(buf, &NH, &ti, 1, 4789, 0, n);
	buf[42] = 0;                                    /* no I flag */
	assert_int_equal(tun_vxlan_parse(buf, len, &rx), -1);
	buf[42] = 0x08;
	buf[14 + 6] = 0x20;                             /* MF: a fragment goes on as it is */
	assert_int_equal(tun_udp4_dport(buf, len), 0);
	assert_int_equal(tun_vxlan_parse(buf, len, &rx), 0);
	buf[14 + 6] = 0;
	buf[24] ^= 0xff;                                /* IP header checksum */
	assert_int_equal(tun_vxlan_parse(buf, len, &rx), -1);
	buf[24] ^= 0xff;
	assert_int_equal(tun_vxlan_parse(buf, len - 1, &rx), 0);   /* truncated */
	assert_int_equal(tun_vxlan_parse(buf, len, &rx), 1);
	buf[14 + 9] = 6;                                /* TCP */
	assert_int_equal(tun_udp4_dport(buf, len), 0);
}

/* Found by fuzz_vxlan: reserved bits and flags other than I were
 * accepted (Linux's vxlan drops them), and bytes after the UDP datagram
 * were taken as part of the inner frame (Linux trims them). */
static void test_parse_as_linux_reserved_bits_and_trailing_bytes(void **state)
{
	uint8_t buf[TUN_VXLAN_HLEN + 96], *in = buf + TUN_VXLAN_HLEN;
	struct tun_info ti = { .id = 7, .src_ip = 1, .dst_ip = 2, .flags = TUN_F_PRESENT | TUN_F_CSUM };
	uint32_t n = inner_udp(in, 1, 2, 0), len = TUN_VXLAN_HLEN + n;
	const int reserved[] = { 43, 44, 45, 49 };
	struct tun_rx rx;

	(void)state;
	tun_vxlan_build(buf, &NH, &ti, 1, 4789, 0, n);
	assert_int_equal(tun_vxlan_parse(buf, len, &rx), 1);
	assert_int_equal(rx.len, n);
	/* Any reserved bit of the flags word or of the VNI word: broken
	 * (the checksum does not matter: the header is judged first). */
	buf[42] = 0x0c;
	assert_int_equal(tun_vxlan_parse(buf, len, &rx), -1);
	buf[42] = 0x08;
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		buf[reserved[i]] = 0x01;
		assert_int_equal(tun_vxlan_parse(buf, len, &rx), -1);
		buf[reserved[i]] = 0;
	}
	/* A pad after the datagram is not the inner frame's. */
	memset(buf + len, 0xee, 20);
	assert_int_equal(tun_vxlan_parse(buf, len + 20, &rx), 1);
	assert_int_equal(rx.hlen, TUN_VXLAN_HLEN);
	assert_int_equal(rx.len, n);
	/* A UDP length short of the IP datagram: trimmed to it (checksum
	 * off: it covers the UDP length's bytes only). */
	ti.flags = TUN_F_PRESENT;
	tun_vxlan_build(buf, &NH, &ti, 1, 4789, 0, n);
	buf[38] = (uint8_t)((16 + n - 4) >> 8), buf[39] = (uint8_t)(16 + n - 4);
	assert_int_equal(tun_vxlan_parse(buf, len, &rx), 1);
	assert_int_equal(rx.len, n - 4);
	/* One past it: broken. */
	buf[38] = (uint8_t)((16 + n + 1) >> 8), buf[39] = (uint8_t)(16 + n + 1);
	assert_int_equal(tun_vxlan_parse(buf, len, &rx), -1);
}

/* Found by fuzz_vxlan: the ECN bits of a 15-byte inner frame came from
 * the byte after it (a read past the frame). */
static void test_encap_of_a_15_byte_frame_reads_no_further(void **state)
{
	uint8_t *buf = malloc(TUN_VXLAN_HLEN + 15);
	struct tun_info ti = { .id = 1, .src_ip = 1, .dst_ip = 2, .flags = TUN_F_PRESENT };

	(void)state;
	memset(buf, 0, TUN_VXLAN_HLEN + 15);
	buf[TUN_VXLAN_HLEN + 12] = 0x08;
	buf[TUN_VXLAN_HLEN + 14] = 0x45;            /* IPv4's first byte, nothing after */
	tun_vxlan_build(buf, &NH, &ti, 1, 4789, 0, 15);     /* ASan: no read at 15 */
	assert_int_equal(buf[15], 0);
	free(buf);
}

/* ---- grammar ---- */

static int lparse(const char *words, struct tun_link *l, char *err, char *warn)
{
	char buf[512], *argv[64], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 64; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	return tun_link_parse(argc, (const char *const *)argv, l, err, 256, warn, 512);
}

static void link_err(const char *words, const char *msg)
{
	struct tun_link l;
	char err[256] = "", warn[512];

	assert_int_equal(lparse(words, &l, err, warn), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_link_grammar(void **state)
{
	struct tun_link l;
	char err[256], warn[512];

	(void)state;
	assert_int_equal(lparse("vxlan0 type vxlan dstport 4789 external", &l, err, warn), 0);
	assert_string_equal(l.name, "vxlan0");
	assert_int_equal(l.dstport, 4789);
	assert_true(l.external && l.csum);
	assert_string_equal(warn, "");
	/* No dstport: Linux's 8472, with iproute2's warning. */
	assert_int_equal(lparse("vx1 type vxlan id 100 remote 10.1.1.2 local 10.1.1.1 noudpcsum",
				&l, err, warn), 0);
	assert_int_equal(l.dstport, 8472);
	assert_int_equal(l.id, 100);
	assert_int_equal(l.remote, ip("10.1.1.2"));
	assert_false(l.csum);
	assert_non_null(strstr(warn, "vxlan: destination port not specified\n"
				     "Will use Linux kernel default (non-standard value)"));
	assert_int_equal(lparse("vx2 type vxlan id 7 dstport 0", &l, err, warn), 0);
	assert_int_equal(l.dstport, 8472);
	assert_string_equal(warn, "");
	link_err("vx type vxlan external id 5", "vxlan: both 'external' and vni cannot be specified");
	link_err("vx type vxlan dstport 4789", "vxlan: missing virtual network identifier");
	link_err("vx type vxlan id 16777216", "argument \"16777216\" is wrong: invalid id");
	link_err("vx type vxlan id 1 id 2", "duplicate \"id\": \"2\" is the second value.");
	link_err("vx type vxlan id 1 bogus", "vxlan: unknown command \"bogus\"?");
	link_err("vx type vxlan id 1 remote 239.1.1.1",
		 "argument \"239.1.1.1\" is wrong: invalid remote address");
	link_err("vx type vxlan id 1 ttl 300", "argument \"300\" is wrong: TTL must be <= 255");
	link_err("vx type gre", "Unknown device type \"gre\" (sfnic has vxlan).");
}

static void test_neigh_grammar(void **state)
{
	const char *ok[] = { "10.0.0.2", "lladdr", "52:54:00:00:00:02", "dev", "p0" };
	const char *nomac[] = { "10.0.0.2" };
	const char *bad[] = { "10.0.0.2", "lladdr", "52:54:00:00:02" };
	struct tun_neigh n;
	char err[256];
	json_t *j;

	(void)state;
	assert_int_equal(tun_neigh_parse(5, ok, true, &n, err, sizeof(err)), 0);
	assert_int_equal(n.addr, ip("10.0.0.2"));
	assert_int_equal(n.mac[5], 2);
	assert_string_equal(n.dev, "p0");
	j = tun_neigh_json(&n, "p0");
	assert_string_equal(json_string_value(json_object_get(j, "lladdr")), "52:54:00:00:00:02");
	assert_string_equal(json_string_value(json_object_get(j, "dst")), "10.0.0.2");
	json_decref(j);
	assert_int_equal(tun_neigh_parse(1, nomac, false, &n, err, sizeof(err)), 0);
	assert_int_equal(tun_neigh_parse(1, nomac, true, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(tun_neigh_parse(3, bad, true, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "\"52:54:00:00:02\" is invalid lladdr.");
}

/* ---- through the datapath ---- */

#define SF1 0x8000u
#define TP TUN_VPORT_BASE

struct sink {
	unsigned n;
	uint16_t len[8];
	uint8_t data[8][256];
};

static void collect(void *ctx, unsigned w, struct dp_pkt *pkts, unsigned n)
{
	struct sink *s = ctx;

	(void)w;
	for (unsigned i = 0; i < n; i++) {
		if (s->n < 8) {
			s->len[s->n] = pkts[i].len;
			memcpy(s->data[s->n], dp_pkt_data(&pkts[i]), pkts[i].len < 256 ? pkts[i].len : 256);
			s->n++;
		}
		dp_pkt_free(&pkts[i]);
	}
}

static void inject(struct dp *dp, uint32_t vport, const uint8_t *f, uint16_t len)
{
	const uint8_t *fr[1] = { f };

	assert_int_equal(dp_inject(dp, vport, false, fr, &len, 1), 1);
	assert_int_equal(dp_poll_once(dp, 0), 1);
}

static struct dp_qstats port_stats(struct dp *dp, uint32_t vport, bool rep)
{
	struct dp_qstats st;

	assert_int_equal(dp_tun_port_stats(dp, vport, rep, &st), 0);
	return st;
}

static void test_datapath_encap_decap(void **state)
{
	char err[128] = "";
	struct dp *dp = dp_create(&(struct dp_config){ .workers = 1, .sf_buffers = 256,
						       .host_buffers = 1024 }, err, sizeof(err));
	struct sink up = { 0 }, sf = { 0 };
	uint8_t in[64];
	uint32_t n = inner_udp(in, 1000, 53, 0), miss[4];
	struct tun_nh nh = NH;
	struct esw_rule_spec enc = { .dev = SF1, .prio = 1, .handle = 1, .nact = 2 };
	struct esw_rule_spec dec = { .dev = TP, .prio = 1, .handle = 1, .nact = 2 };

	(void)state;
	assert_non_null(dp);
	dp_set_switchdev(dp, true);
	assert_int_equal(dp_port_add(dp, SF1), 0);
	assert_int_equal(dp_tun_port_add(dp, TP, 4789, true, NULL, 32768, 60999), 0);
	assert_int_equal(dp_tun_port_add(dp, TP + 1, 4789, true, NULL, 32768, 60999), -EADDRINUSE);
	assert_int_equal(dp_port_set_xmit(dp, DP_VPORT_UPLINK, false, collect, &up), 0);
	assert_int_equal(dp_port_set_xmit(dp, SF1, false, collect, &sf), 0);
	enc.act[0] = (struct esw_action){ .type = ESW_ACT_TUNNEL_SET, .ctl = ESW_CTL_PIPE,
					  .tun = { .id = 100, .src_ip = ip("192.168.1.1"),
						   .dst_ip = ip("192.168.1.2"), .ttl = 64,
						   .flags = ESW_TUN_NOCSUM | ESW_TUN_NOFRAG } };
	enc.act[1] = (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN, .arg = TP };
	assert_int_equal(dp_rule_add(dp, &enc), 0);
	/* No next hop yet: dropped, counted, and asked for. */
	inject(dp, SF1, in, (uint16_t)n);
	assert_int_equal(up.n, 0);
	assert_int_equal(port_stats(dp, TP, false).drops[DP_DROP_NO_NEIGH], 1);
	assert_int_equal(dp_tun_misses(dp, miss, 4), 1);
	assert_int_equal(miss[0], ip("192.168.1.2"));
	assert_int_equal(dp_tun_misses(dp, miss, 4), 0);
	/* Resolved: out of the uplink with the outer headers. */
	nh.dst_ip = ip("192.168.1.2");
	assert_int_equal(dp_tun_set_nh(dp, &nh, 1), 0);
	inject(dp, SF1, in, (uint16_t)n);
	assert_int_equal(up.n, 1);
	assert_int_equal(up.len[0], TUN_VXLAN_HLEN + n);
	assert_memory_equal(up.data[0], NH.dmac, 6);
	assert_int_equal(up.data[0][14 + 6], 0x40);     /* nofrag: DF */
	assert_int_equal(up.data[0][40] | up.data[0][41], 0);   /* nocsum */
	assert_int_equal(up.data[0][36] << 8 | up.data[0][37], 4789);   /* the port's dstport */
	assert_memory_equal(up.data[0] + TUN_VXLAN_HLEN, in, n);
	assert_int_equal(port_stats(dp, TP, false).tx_packets, 1);
	/* Decap: that frame back in through the uplink, to the tunnel port,
	 * where a rule on enc_key_id unsets the tunnel and hands it to the SF. */
	dec.key.enc_key_id = 100;
	dec.mask.enc_key_id = 0xffffffff;
	dec.key.in_port = TP;
	dec.mask.in_port = 0xffffffff;
	dec.act[0] = (struct esw_action){ .type = ESW_ACT_TUNNEL_UNSET, .ctl = ESW_CTL_PIPE };
	dec.act[1] = (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN, .arg = SF1 };
	assert_int_equal(dp_rule_add(dp, &dec), 0);
	inject(dp, DP_VPORT_UPLINK, up.data[0], up.len[0]);
	assert_int_equal(sf.n, 1);
	assert_int_equal(sf.len[0], n);
	assert_memory_equal(sf.data[0], in, n);
	assert_int_equal(port_stats(dp, TP, false).rx_packets, 1);
	/* With a pad after the datagram: the SF gets the inner frame only. */
	memset(up.data[0] + up.len[0], 0xee, 12);
	inject(dp, DP_VPORT_UPLINK, up.data[0], (uint16_t)(up.len[0] + 12));
	assert_int_equal(sf.n, 2);
	assert_int_equal(sf.len[1], n);
	sf.n = 1;
	assert_int_equal(port_stats(dp, TP, false).rx_packets, 2);
	/* Another VNI: no rule takes it, the representor gets it (nobody). */
	up.data[0][48] = 101;
	inject(dp, DP_VPORT_UPLINK, up.data[0], up.len[0]);
	assert_int_equal(sf.n, 1);
	assert_int_equal(port_stats(dp, TP, true).drops[DP_DROP_NO_CONSUMER], 1);
	/* A broken VXLAN frame (no I flag) for the port: dropped at the uplink. */
	up.data[0][42] = 0;
	inject(dp, DP_VPORT_UPLINK, up.data[0], up.len[0]);
	assert_int_equal(port_stats(dp, DP_VPORT_UPLINK, false).drops[DP_DROP_BAD_TUNNEL], 1);
	/* Not our address: decap leaves it alone (an uplink miss). */
	uint32_t local = ip("192.168.1.9");

	assert_int_equal(dp_tun_set_local(dp, &local, 1), 0);
	up.data[0][42] = 0x08;
	inject(dp, DP_VPORT_UPLINK, up.data[0], up.len[0]);
	assert_int_equal(port_stats(dp, TP, false).rx_packets, 3);     /* VNI 101 was the 3rd */
	assert_int_equal(port_stats(dp, DP_VPORT_UPLINK, true).drops[DP_DROP_NO_CONSUMER], 1);
	/* A frame sent to the tunnel port without tunnel_key set. */
	assert_int_equal(dp_rule_del(dp, SF1, 0, 1, 1), 0);
	enc.nact = 1;
	enc.act[0] = enc.act[1];
	assert_int_equal(dp_rule_add(dp, &enc), 0);
	inject(dp, SF1, in, (uint16_t)n);
	assert_int_equal(port_stats(dp, TP, false).drops[DP_DROP_NO_TUNNEL], 1);
	dp_tun_port_del(dp, TP);
	assert_int_equal(dp_inflight(dp), 0);
	dp_destroy(dp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_src_port_is_linux_formula),
		cmocka_unit_test(test_inner_hash_follows_the_flow),
		cmocka_unit_test(test_build_is_byte_exact),
		cmocka_unit_test(test_udp_checksum_on_request),
		cmocka_unit_test(test_ecn_copied_ce_as_ect0),
		cmocka_unit_test(test_parse_refuses_what_is_not_vxlan),
		cmocka_unit_test(test_parse_as_linux_reserved_bits_and_trailing_bytes),
		cmocka_unit_test(test_encap_of_a_15_byte_frame_reads_no_further),
		cmocka_unit_test(test_link_grammar),
		cmocka_unit_test(test_neigh_grammar),
		cmocka_unit_test(test_datapath_encap_decap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
