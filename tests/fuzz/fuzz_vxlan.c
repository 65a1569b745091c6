/*
 * fuzz_vxlan.c - VXLAN decap and encap in the datapath.  A tunnel port's
 * decap reads frames any host on the wire can send, so this target feeds
 * them to a datapath set up as Open vSwitch sets up a switchdev NIC:
 * external tunnel ports on UDP 4789 and 8472 and a VNI port (id 42) on
 * 4790, our address 192.168.1.1, next hops for 192.168.1.2 (resolved),
 * .3 (no neighbour), .4 (no route), .5 (pending), decap rules on the
 * tunnel ports (enc_key_id/enc_src_ip/enc_dst_ip/enc_dst_port, tunnel_key
 * unset, redirect to the SF; one re-encapsulates, one sends back into its
 * own port, one pushes a VLAN tag) and encap rules on the SF's
 * representor (tunnel_key set + redirect to a tunnel port, for each next
 * hop state, and one without tunnel_key set).
 *
 * The input is a program.  Its first byte picks where frames enter (the
 * uplink, or the SF towards the encap rules) and whether they go one at a
 * time or in bursts.  Then each step adds a frame: raw bytes, a VXLAN
 * frame built from a few bytes (outer VLAN tag, IPv4 options, fragments,
 * bad header and UDP checksums, UDP checksum on or off, bad IP and UDP
 * lengths, trailing bytes, VXLAN flags and reserved bits, every port and
 * VNI, truncation), the same with bytes flipped, or an inner frame alone
 * (IPv4, IPv6, one or two VLAN tags, ARP, runts, cut short).
 *
 * Checked after every burst: every frame injected is delivered to a
 * consumer or counted as dropped, exactly once; every frame leaving
 * through the uplink is well-formed VXLAN (it can only come from encap);
 * and at the end of each input no buffer is in flight.  For a frame sent
 * alone whose fate is known, the fate itself: a clean VXLAN frame for a
 * rule reaches the SF byte for byte (the inner frame, no trailing bytes);
 * the same frame with one defect (header checksum, UDP checksum, flags or
 * reserved bits, a runt inside, a VNI the VNI port does not have) is
 * dropped as a bad tunnel; a fragment or a frame for another address or
 * port is not decapsulated; an inner frame from the SF leaves the uplink
 * encapsulated with the rule's VNI, addresses, port and checksum choice
 * and its inner bytes intact, or is dropped for the next hop's state.
 * The stateless helpers of src/tun also run on an exact-size copy of each
 * frame, so a read past its end is an ASan report.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dp/dp.h"
#include "../../src/tun/tun.h"
#include "fuzz_input.h"

#define SF 0x8000u
#define TP0 TUN_VPORT_BASE              /* external, 4789 */
#define TP1 (TUN_VPORT_BASE + 1)        /* external, 8472 */
#define TP2 (TUN_VPORT_BASE + 2)        /* VNI 42, 4790 */
#define MAXF 1600
#define MAXBATCH 48

static const uint32_t ports_with_stats[][2] = {
	{ DP_VPORT_UPLINK, 0 }, { DP_VPORT_UPLINK, 1 }, { DP_VPORT_PF, 0 }, { DP_VPORT_PF, 1 },
	{ SF, 0 }, { SF, 1 }, { TP0, 0 }, { TP0, 1 }, { TP1, 0 }, { TP1, 1 },
	{ TP2, 0 }, { TP2, 1 },
};
#define NPORTS (sizeof(ports_with_stats) / sizeof(ports_with_stats[0]))

static uint32_t ip4(uint8_t last)
{
	return htonl(0xc0a80100u | last);       /* 192.168.1.last */
}

static const uint8_t sf_mac[6] = { 2, 0, 0, 0, 0, 0x58 };

/* ---- consumers: what each port delivered ---- */

struct log {
	unsigned n;             /* frames delivered since the last reset */
	uint64_t total;
	uint16_t len[MAXBATCH];
	uint8_t data[MAXBATCH][PP_BUF_SIZE];
};
static struct log sf_log, up_log, rep_log;

/* Checks an encapsulated frame the uplink sends, from an exact-size copy:
 * it must parse as VXLAN with its checksums right and a whole inner frame. */
static void check_encapsulated(const uint8_t *f, uint16_t len)
{
	uint8_t *exact = malloc(len);
	struct tun_rx rx;

	memcpy(exact, f, len);
	if (tun_udp4_dport(exact, len) == 0 || tun_vxlan_parse(exact, len, &rx) != 1 ||
	    len < rx.hlen + 14 || rx.hlen != TUN_VXLAN_HLEN)
		abort();
	/* The outer source port is in the local port range. */
	if (((exact[34] << 8 | exact[35]) < 32768) || ((exact[34] << 8 | exact[35]) >= 60999))
		abort();
	free(exact);
}

static void take(struct log *l, struct dp_pkt *p)
{
	volatile uint8_t x = dp_pkt_data(p)[p->len - 1];

	(void)x;
	if (p->ol.gso_type || (p->ol.flags & DP_OL_NEEDS_CSUM))
		abort();
	if (l->n < MAXBATCH) {
		l->len[l->n] = p->len;
		memcpy(l->data[l->n], dp_pkt_data(p), p->len);
	}
	l->n++;
	l->total++;
	dp_pkt_free(p);
}

static void consume(void *ctx, unsigned w, struct dp_pkt *pkts, unsigned n)
{
	struct log *l = ctx;

	(void)w;
	for (unsigned i = 0; i < n; i++) {
		if (l == &up_log)
			check_encapsulated(dp_pkt_data(&pkts[i]), pkts[i].len);
		take(l, &pkts[i]);
	}
}

/* ---- the datapath ---- */

static void rule(struct dp *dp, struct esw_rule_spec *s)
{
	if (dp_rule_add(dp, s))
		abort();
}

static struct esw_action redirect(uint32_t vport)
{
	return (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN, .arg = vport };
}

static struct esw_action tunnel_set(uint32_t id, uint8_t dst, uint16_t port, uint8_t flags)
{
	return (struct esw_action){ .type = ESW_ACT_TUNNEL_SET, .ctl = ESW_CTL_PIPE,
				    .tun = { .id = id, .src_ip = ip4(1), .dst_ip = ip4(dst),
					     .dst_port = port, .ttl = 64, .flags = flags } };
}

/* A decap rule as OVS writes it: the four enc_* keys, then actions. */
static struct esw_rule_spec decap_rule(uint32_t dev, uint32_t prio, uint32_t handle,
				       uint32_t id, uint16_t port)
{
	struct esw_rule_spec s = { .dev = dev, .prio = prio, .handle = handle, .nact = 1 };

	s.key.enc_key_id = id;
	s.mask.enc_key_id = UINT32_MAX;
	s.key.enc_src_ip = ip4(2);
	s.mask.enc_src_ip = UINT32_MAX;
	s.key.enc_dst_ip = ip4(1);
	s.mask.enc_dst_ip = UINT32_MAX;
	s.key.enc_dst_port = port;
	s.mask.enc_dst_port = 0xffff;
	s.act[0] = (struct esw_action){ .type = ESW_ACT_TUNNEL_UNSET, .ctl = ESW_CTL_PIPE };
	return s;
}

static struct dp *setup(void)
{
	char err[128] = "";
	struct dp *dp = dp_create(&(struct dp_config){ .workers = 1, .host_buffers = 1024,
						       .sf_buffers = 256 }, err, sizeof(err));
	struct tun_info vni42 = { .id = 42, .src_ip = ip4(1), .dst_ip = ip4(2),
				  .flags = TUN_F_PRESENT | TUN_F_CSUM };
	struct tun_nh nh[4] = {
		{ .dst_ip = ip4(2), .dmac = { 0x52, 0x54, 0, 0, 0, 2 },
		  .smac = { 0x52, 0x54, 0, 0, 0, 1 }, .ttl = 64, .state = TUN_NH_VALID },
		{ .dst_ip = ip4(3), .state = TUN_NH_NO_NEIGH },
		{ .dst_ip = ip4(4), .state = TUN_NH_NO_ROUTE },
		{ .dst_ip = ip4(5), .state = TUN_NH_PENDING },
	};
	uint32_t local = ip4(1);
	struct esw_rule_spec s;

	if (!dp)
		abort();
	dp_set_switchdev(dp, true);
	if (dp_port_add(dp, SF) || dp_tun_port_add(dp, TP0, 4789, true, NULL, 32768, 60999) ||
	    dp_tun_port_add(dp, TP1, 8472, true, NULL, 32768, 60999) ||
	    dp_tun_port_add(dp, TP2, 4790, false, &vni42, 32768, 60999) ||
	    dp_tun_set_local(dp, &local, 1) || dp_tun_set_nh(dp, nh, 4))
		abort();
	dp_port_set_xmit(dp, SF, false, consume, &sf_log);
	dp_port_set_xmit(dp, DP_VPORT_UPLINK, false, consume, &up_log);
	dp_port_set_xmit(dp, TP0, true, consume, &rep_log);     /* TP0's misses */

	/* Decap.  VNI 100 from .2 on either external port: to the SF. */
	s = decap_rule(TP0, 1, 1, 100, 4789);
	s.act[s.nact++] = redirect(SF);
	rule(dp, &s);
	s = decap_rule(TP1, 1, 1, 100, 8472);
	s.act[s.nact++] = redirect(SF);
	rule(dp, &s);
	/* VNI 101: re-encapsulated as VNI 200 through the 8472 port. */
	s = decap_rule(TP0, 1, 2, 101, 4789);
	s.act[s.nact++] = tunnel_set(200, 2, 0, 0);
	s.act[s.nact++] = redirect(TP1);
	rule(dp, &s);
	/* VNI 102: back into its own port with the received metadata (our
	 * own address as destination: no next hop). */
	s = decap_rule(TP0, 1, 3, 102, 4789);
	s.act[0] = redirect(TP0);
	rule(dp, &s);
	/* VNI 103, IPv6 inside: tagged on the way to the SF. */
	s = decap_rule(TP0, 2, 1, 103, 4789);
	s.key.eth_type = 0x86dd;
	s.mask.eth_type = 0xffff;
	s.act[s.nact++] = (struct esw_action){ .type = ESW_ACT_VLAN_PUSH, .vlan_id = 5 };
	s.act[s.nact++] = redirect(SF);
	rule(dp, &s);
	/* The VNI port: its VNI, any outer source. */
	s = decap_rule(TP2, 1, 1, 42, 4790);
	s.mask.enc_src_ip = 0;
	s.key.enc_src_ip = 0;
	s.act[s.nact++] = redirect(SF);
	rule(dp, &s);

	/* Encap, on the SF's representor.  dst_mac ..:03/..:04: next hops
	 * without a neighbour or a route. */
	for (uint8_t h = 3; h <= 4; h++) {
		s = (struct esw_rule_spec){ .dev = SF, .prio = 1, .handle = h, .nact = 2 };
		memcpy(s.key.dst_mac, (uint8_t[6]){ 2, 0, 0, 0, 0, h }, 6);
		memset(s.mask.dst_mac, 0xff, 6);
		s.act[0] = tunnel_set(100, h, 0, 0);
		s.act[1] = redirect(TP0);
		rule(dp, &s);
	}
	/* dst_mac ..:05: pending (asked for). */
	s = (struct esw_rule_spec){ .dev = SF, .prio = 1, .handle = 5, .nact = 2 };
	memcpy(s.key.dst_mac, (uint8_t[6]){ 2, 0, 0, 0, 0, 5 }, 6);
	memset(s.mask.dst_mac, 0xff, 6);
	s.act[0] = tunnel_set(100, 5, 0, 0);
	s.act[1] = redirect(TP0);
	rule(dp, &s);
	/* IPv4: VNI 100 to .2 on 4789 with the UDP checksum. */
	s = (struct esw_rule_spec){ .dev = SF, .prio = 2, .handle = 1, .nact = 2 };
	s.key.eth_type = 0x0800;
	s.mask.eth_type = 0xffff;
	s.act[0] = tunnel_set(100, 2, 4789, 0);
	s.act[1] = redirect(TP0);
	rule(dp, &s);
	/* IPv6: VNI 300 through the 8472 port, nocsum nofrag. */
	s.handle = 2;
	s.key.eth_type = 0x86dd;
	s.act[0] = tunnel_set(300, 2, 0, ESW_TUN_NOCSUM | ESW_TUN_NOFRAG);
	s.act[1] = redirect(TP1);
	rule(dp, &s);
	/* ARP: to an external port without tunnel_key set. */
	s = (struct esw_rule_spec){ .dev = SF, .prio = 3, .handle = 1, .nact = 1 };
	s.key.eth_type = 0x0806;
	s.mask.eth_type = 0xffff;
	s.act[0] = redirect(TP0);
	rule(dp, &s);
	/* Everything else: the VNI port's own header. */
	s = (struct esw_rule_spec){ .dev = SF, .prio = 4, .handle = 1, .nact = 1 };
	s.act[0] = redirect(TP2);
	rule(dp, &s);
	return dp;
}

/* ---- frames from the input ---- */

static void put16(uint8_t *d, uint16_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

/* What a frame sent alone must become; fate NONE: not predicted. */
enum fate {
	NONE,
	TO_SF,          /* the SF receives exactly want[0..want_len) */
	BAD_TUNNEL,     /* dropped at the uplink as a broken VXLAN frame */
	NOT_DECAP,      /* not a tunnel port's: no tunnel port sees it */
	ENCAP,          /* the uplink sends one VXLAN frame: id, dst, port, csum, DF */
	DROP_AT_TP,     /* dropped on tunnel port tp for why */
};

struct expect {
	enum fate fate;
	uint8_t want[MAXF];
	uint16_t want_len;
	uint32_t id, dst, tp;
	uint16_t port;
	bool csum, df;
	enum dp_drop why;
};

/* An inner Ethernet frame: IPv4/UDP, IPv6/TCP, VLAN+IPv4, ARP, a runt, or
 * QinQ+IPv6, to one of four MACs, with a payload, maybe cut short.
 * Returns its length. */
static uint16_t build_inner(struct fuzz_input *in, uint8_t *f, uint16_t cap, bool *cut)
{
	static const uint8_t macs[4][6] = { { 2, 0, 0, 0, 0, 0x58 }, { 2, 0, 0, 0, 0, 3 },
					    { 2, 0, 0, 0, 0, 4 }, { 2, 0, 0, 0, 0, 5 } };
	uint8_t kind = fuzz_u8(in), sel = (kind & 7) % 6, l3 = 14;   /* bits 3-5: the MAC */
	uint16_t len, pay = (uint16_t)(fuzz_u8(in) * 5u);

	memset(f, 0, cap);
	memcpy(f, (kind >> 3) & 1 ? (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }
				  : macs[(kind >> 4) & 3], 6);
	memcpy(f + 6, (uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, 6);
	if (sel == 4) {                         /* a runt or raw bytes */
		len = fuzz_u8(in) % 24;
		for (uint16_t i = 12; i < len; i++)
			f[i] = fuzz_u8(in);
		*cut = true;
		return len;
	}
	if (sel == 2 || sel == 5) {
		put16(f + 12, sel == 5 ? 0x88a8 : 0x8100);
		put16(f + 14, fuzz_u8(in) & 0xfff);
		l3 = 18;
		if (sel == 5) {
			put16(f + 16, 0x8100);
			put16(f + 18, 7);
			l3 = 22;
		}
	}
	if (sel == 3) {
		put16(f + 12, 0x0806);
		put16(f + 14, 1), put16(f + 16, 0x0800);
		f[18] = 6, f[19] = 4;
		put16(f + 20, 1);
		len = 14 + 28;
	} else if (sel == 1 || sel == 5) {      /* IPv6/TCP */
		uint8_t *ip = f + l3;

		put16(f + l3 - 2, 0x86dd);
		ip[0] = 0x60 | (fuzz_u8(in) & 0x0f);
		ip[1] = fuzz_u8(in);
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = ip[24] = 0xfd;
		ip[23] = 1, ip[39] = 2;
		if (pay + l3 + 60 > cap)
			pay = (uint16_t)(cap - l3 - 60);
		put16(ip + 4, (uint16_t)(20 + pay));
		put16(ip + 40, 1000), put16(ip + 42, 80);
		ip[52] = 0x50;
		ip[53] = fuzz_u8(in) & 0x3f;
		len = (uint16_t)(l3 + 60 + pay);
	} else {                                /* IPv4/UDP */
		uint8_t *ip = f + l3;

		put16(f + l3 - 2, 0x0800);
		ip[0] = 0x45;
		ip[1] = fuzz_u8(in);                       /* ECN bits go outside */
		if (pay + l3 + 28 > cap)
			pay = (uint16_t)(cap - l3 - 28);
		put16(ip + 2, (uint16_t)(28 + pay));
		ip[8] = 64;
		ip[9] = 17;
		ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = (uint8_t)fuzz_u8(in);
		put16(ip + 20, 1000), put16(ip + 22, 53), put16(ip + 24, (uint16_t)(8 + pay));
		len = (uint16_t)(l3 + 28 + pay);
	}
	for (uint16_t i = (uint16_t)(len - pay); i < len; i++)
		f[i] = (uint8_t)(i * 7 + pay);
	if (fuzz_u8(in) & 0x80) {
		len = fuzz_u16be(in) % (len + 1);
		*cut = true;
	}
	return len;
}

/* Outer headers around an inner frame, as a peer would send them or
 * broken in the ways the input asks.  Fills e with the fate when this
 * frame is sent alone and the fate is certain. */
static uint16_t build_vxlan(struct fuzz_input *in, uint8_t *f, uint16_t cap, struct expect *e)
{
	static const uint16_t ports[3] = { 4789, 8472, 4790 };
	static const uint32_t vnis[6] = { 100, 101, 102, 103, 42, 200 };
	uint8_t p1 = fuzz_u8(in), p2 = fuzz_u8(in), p3 = fuzz_u8(in), p4 = fuzz_u8(in);
	bool vlan = p1 & 1, frag = p1 & 8, bad_ip = p1 & 16, udp_csum = p1 & 32,
	     bad_udp = p1 & 64, trailing = p1 & 128;
	unsigned opt = p1 & 2 ? fuzz_u8(in) % 11 : 0;     /* option words */
	uint16_t port = (p2 & 3) == 3 ? fuzz_u16be(in) : ports[p2 & 3];
	uint32_t vni = ((p2 >> 2) & 7) >= 6 ? (uint32_t)fuzz_u16be(in) << 8 | fuzz_u8(in)
					    : vnis[(p2 >> 2) & 7];
	uint8_t asel = (p2 >> 5) & 3, src = asel == 1 ? 3 : 2, dst = asel == 2 ? 9 : 1;
	uint16_t l2 = vlan ? 18 : 14, ihl = (uint16_t)(20 + opt * 4);
	uint16_t hlen = (uint16_t)(l2 + ihl + 16);
	uint8_t *ip = f + l2, *udp = ip + ihl, *vx = udp + 8;
	bool cut = false, flags_ok = true, lens_ok = true;
	uint16_t inner, tot, ulen, len;
	uint32_t s;

	memset(f, 0, hlen);
	inner = build_inner(in, f + hlen, (uint16_t)(cap - hlen - 64), &cut);
	memcpy(f, (uint8_t[6]){ 0x52, 0x54, 0, 0, 0, 1 }, 6);
	memcpy(f + 6, (uint8_t[6]){ 0x52, 0x54, 0, 0, 0, 2 }, 6);
	if (vlan)
		put16(f + 12, 0x8100), put16(f + 14, 10), put16(f + 16, 0x0800);
	else
		put16(f + 12, 0x0800);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[1] = fuzz_u8(in);
	if (frag) {                                     /* MF and/or an offset */
		uint16_t fo = fuzz_u16be(in) & 0x3fff;

		put16(ip + 6, fo ? fo : 0x2000);
	}
	else if (p3 & 0x80)
		put16(ip + 6, 0x4000);                  /* DF alone: still whole */
	ip[8] = fuzz_u8(in);
	ip[9] = 17;
	if (asel == 3) {
		for (int i = 12; i < 20; i++)
			ip[i] = fuzz_u8(in);
	} else {
		memcpy(ip + 12, &(uint32_t){ ip4(src) }, 4);
		memcpy(ip + 16, &(uint32_t){ ip4(dst) }, 4);
	}
	for (unsigned i = 0; i < opt * 4; i++)          /* NOPs, or what the input says */
		ip[20 + i] = p3 & 0x40 ? fuzz_u8(in) : 1;
	tot = (uint16_t)(ihl + 16 + inner);
	ulen = (uint16_t)(16 + inner);
	if (p4 & 1)
		tot = (uint16_t)(tot + (int8_t)fuzz_u8(in)), lens_ok = false;
	if (p4 & 2)
		ulen = (uint16_t)(ulen + (int8_t)fuzz_u8(in)), lens_ok = false;
	put16(ip + 2, tot);
	put16(udp, (uint16_t)(49152 + fuzz_u8(in)));
	put16(udp + 2, port);
	put16(udp + 4, ulen);
	vx[0] = 0x08;
	if (p3 & 1)
		vx[0] = fuzz_u8(in), flags_ok &= vx[0] == 0x08;
	if (p3 & 2) {
		vx[1] = fuzz_u8(in), vx[2] = fuzz_u8(in), vx[3] = fuzz_u8(in), vx[7] = fuzz_u8(in);
		flags_ok &= !(vx[1] | vx[2] | vx[3] | vx[7]);
	}
	vx[4] = (uint8_t)(vni >> 16), vx[5] = (uint8_t)(vni >> 8), vx[6] = (uint8_t)vni;
	len = (uint16_t)(hlen + inner);
	if (trailing) {                 /* bytes after the IP datagram (a pad) */
		uint8_t n = fuzz_u8(in) % 64;

		for (uint8_t i = 0; i < n; i++)
			f[len + i] = 0xee;
		len = (uint16_t)(len + n);
	}
	put16(ip + 10, 0);
	put16(ip + 10, tun_csum_fold(tun_csum_add(ip, ihl, 0)));
	if (bad_ip)
		ip[11] ^= 1;
	if (udp_csum && ulen >= 8 && (size_t)(udp - f) + ulen <= len) {
		s = tun_csum_add(ip + 12, 8, 17u + ulen);
		uint16_t c = tun_csum_fold(tun_csum_add(udp, ulen, s));

		c = c ? c : 0xffff;
		if (bad_udp)
			c = c == 1 ? 2 : (uint16_t)(c ^ 1);     /* never 0: "no checksum" */
		put16(udp + 6, c);
	}
	if (p4 & 4) {
		len = fuzz_u16be(in) % (len + 1);
		lens_ok = false;
	}

	/* The fate, when certain.  Not a tunnel frame at all: */
	e->fate = NONE;
	if (vlan || !lens_ok || asel == 3 || (opt && (p3 & 0x40)))
		return len;     /* (random option bytes: Linux would judge them) */
	if (frag || dst != 1 || (port != 4789 && port != 8472 && port != 4790)) {
		e->fate = NOT_DECAP;
		return len;
	}
	if (bad_ip || (udp_csum && bad_udp) || !flags_ok || inner < 14 ||
	    (port == 4790 && vni != 42)) {
		e->fate = BAD_TUNNEL;
		return len;
	}
	/* A clean frame: the rules that take it are known. */
	if (cut || inner > 1500)
		return len;
	if ((vni == 100 && src == 2 && port != 4790) || (port == 4790 && vni == 42)) {
		e->fate = TO_SF;
		memcpy(e->want, f + hlen, inner);
		e->want_len = inner;
	}
	return len;
}

/* What an inner frame from the SF must become (the encap rules above). */
static void expect_encap(const uint8_t *f, uint16_t len, struct expect *e)
{
	uint16_t type = len >= 14 ? (uint16_t)(f[12] << 8 | f[13]) : 0;

	e->fate = NONE;
	if (len < 14 || len > 1500)
		return;
	memcpy(e->want, f, len);
	e->want_len = len;
	e->tp = TP0;
	if (f[0] == 2 && !f[1] && !f[2] && !f[3] && !f[4] && f[5] >= 3 && f[5] <= 5) {
		e->fate = DROP_AT_TP;
		e->why = f[5] == 4 ? DP_DROP_NO_ROUTE : DP_DROP_NO_NEIGH;
	} else if (type == 0x0800) {
		*e = (struct expect){ .fate = ENCAP, .id = 100, .port = 4789, .csum = true };
	} else if (type == 0x86dd) {
		*e = (struct expect){ .fate = ENCAP, .id = 300, .port = 8472, .df = true };
	} else if (type == 0x0806) {
		e->fate = DROP_AT_TP;
		e->why = DP_DROP_NO_TUNNEL;
	} else {
		*e = (struct expect){ .fate = ENCAP, .id = 42, .port = 4790, .csum = true };
	}
	if (e->fate == ENCAP) {
		memcpy(e->want, f, len);
		e->want_len = len;
		e->dst = ip4(2);
	}
}

/* ---- counters ---- */

struct totals {
	uint64_t drops[DP_DROP_MAX];
	uint64_t dropped;
	uint64_t tp_rx;         /* frames decapsulated into a tunnel port */
	uint64_t tp_drops[3][DP_DROP_MAX];
};

static void totals(struct dp *dp, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < NPORTS; i++) {
		uint32_t vport = ports_with_stats[i][0];
		bool rep = ports_with_stats[i][1];
		struct dp_qstats st;
		struct pp_stats ps;
		bool has;

		if (dp_queue_stats(dp, vport, rep, 0, &st, &ps, &has))
			abort();
		for (int d = 0; d < DP_DROP_MAX; d++) {
			if (vport == DP_VPORT_UPLINK && !rep)
				t->drops[d] += st.drops[d];
			if (vport >= TP0 && !rep)
				t->tp_drops[vport - TP0][d] += st.drops[d];
			t->dropped += st.drops[d];
		}
		if (vport >= TP0 && !rep)
			t->tp_rx += st.rx_packets;
	}
}

static uint64_t delivered(void)
{
	return sf_log.total + up_log.total + rep_log.total;
}

static void reset_logs(void)
{
	sf_log.n = up_log.n = rep_log.n = 0;
}

/* The stateless helpers on an exact-size copy of a frame. */
static void helpers_exact(const uint8_t *f, uint16_t len, bool from_sf)
{
	uint8_t *x = malloc(len + (size_t)TUN_VXLAN_HLEN + 1);
	struct tun_rx rx;

	memcpy(x, f, len);
	if (tun_udp4_dport(x, len))
		(void)tun_vxlan_parse(x, len, &rx);
	(void)tun_inner_hash(x, len);
	free(x);
	if (from_sf && len >= 14) {
		/* Encap over exactly the inner frame's bytes. */
		static const struct tun_nh nh = { .ttl = 64 };
		struct tun_info ti = { .id = 1, .src_ip = ip4(1), .dst_ip = ip4(2),
				       .flags = TUN_F_PRESENT | TUN_F_CSUM };

		x = malloc((size_t)TUN_VXLAN_HLEN + len);
		memcpy(x + TUN_VXLAN_HLEN, f, len);
		tun_vxlan_build(x, &nh, &ti, 40000, 4789, 1, len);
		if (tun_vxlan_parse(x, (uint32_t)TUN_VXLAN_HLEN + len, &rx) != 1 || rx.ti.id != 1)
			abort();
		free(x);
	}
}

static void run(struct dp *dp, uint32_t vport, const uint8_t *const *fr, const uint16_t *len,
		unsigned n)
{
	if (dp_inject(dp, vport, false, fr, len, n) != (int)n)
		abort();
	while (dp_poll_once(dp, 0))
		;
}

/* A frame sent alone met its fate. */
static void check_fate(const struct expect *e, const struct totals *a, const struct totals *b)
{
	struct tun_rx rx;

	switch (e->fate) {
	case NONE:
		break;
	case TO_SF:
		if (sf_log.n != 1 || sf_log.len[0] != e->want_len ||
		    memcmp(sf_log.data[0], e->want, e->want_len))
			abort();
		break;
	case BAD_TUNNEL:
		if (b->drops[DP_DROP_BAD_TUNNEL] != a->drops[DP_DROP_BAD_TUNNEL] + 1 ||
		    b->tp_rx != a->tp_rx)
			abort();
		break;
	case NOT_DECAP:
		if (b->drops[DP_DROP_BAD_TUNNEL] != a->drops[DP_DROP_BAD_TUNNEL] ||
		    b->tp_rx != a->tp_rx)
			abort();
		break;
	case ENCAP:
		if (up_log.n != 1 || up_log.len[0] != e->want_len + TUN_VXLAN_HLEN ||
		    tun_vxlan_parse(up_log.data[0], up_log.len[0], &rx) != 1 ||
		    rx.ti.id != e->id || rx.ti.dst_ip != e->dst || rx.ti.src_ip != ip4(1) ||
		    rx.ti.dst_port != e->port || !(rx.ti.flags & TUN_F_CSUM) != !e->csum ||
		    !(rx.ti.flags & TUN_F_DF) != !e->df ||
		    memcmp(up_log.data[0] + TUN_VXLAN_HLEN, e->want, e->want_len))
			abort();
		break;
	case DROP_AT_TP:
		if (b->tp_drops[e->tp - TP0][e->why] != a->tp_drops[e->tp - TP0][e->why] + 1 ||
		    up_log.n)
			abort();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp *dp;
	static uint8_t frames[MAXBATCH][MAXF + 128];
	static struct expect e;
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_u8(&in);
	bool from_sf = mode & 1, alone = !(mode & 2);
	uint32_t vport = from_sf ? SF : DP_VPORT_UPLINK;
	const uint8_t *fr[MAXBATCH];
	uint16_t len[MAXBATCH];
	unsigned n = 0;
	uint32_t miss[8];

	if (!dp)
		dp = setup();
	while (in.n) {
		uint8_t op = fuzz_u8(&in), *f = frames[n];
		bool cut = false;

		e.fate = NONE;
		switch (op % 4) {
		case 0:                         /* raw bytes */
			len[n] = fuzz_u16be(&in) % MAXF;
			for (uint16_t i = 0; i < len[n]; i++)
				f[i] = fuzz_u8(&in);
			break;
		case 1:                         /* a VXLAN frame */
			len[n] = build_vxlan(&in, f, MAXF, &e);
			break;
		case 2: {                       /* the same, bytes flipped */
			uint8_t k = fuzz_u8(&in) % 8;

			len[n] = build_vxlan(&in, f, MAXF, &e);
			e.fate = NONE;
			for (uint8_t i = 0; i < k && len[n]; i++) {
				uint16_t at = fuzz_u16be(&in) % len[n];

				f[at] ^= fuzz_u8(&in);
			}
			break;
		}
		default:                        /* an inner frame alone */
			len[n] = build_inner(&in, f, MAXF, &cut);
			if (from_sf)
				expect_encap(f, len[n], &e);
			break;
		}
		helpers_exact(f, len[n], from_sf);
		fr[n] = f;
		if (from_sf && op % 4 != 3)
			e.fate = NONE;
		if (!from_sf && op % 4 == 3)
			e.fate = NONE;
		n++;
		if (alone || n == MAXBATCH || !in.n) {
			uint64_t before = delivered();
			struct totals a, b;

			totals(dp, &a);
			reset_logs();
			run(dp, vport, fr, len, n);
			totals(dp, &b);
			/* Every frame delivered or counted as dropped, once. */
			if (delivered() - before + (b.dropped - a.dropped) != n)
				abort();
			if (alone)
				check_fate(&e, &a, &b);
			n = 0;
		}
	}
	(void)dp_tun_misses(dp, miss, 8);       /* the control thread's part */
	if (dp_inflight(dp))
		abort();        /* a buffer did not come home */
	return 0;
}
