/*
 * tun_pkt.c - VXLAN's outer headers: build, parse, checksums, the inner
 * flow hash.  No state; callable from any thread.
 */
#include "tun.h"

#include <string.h>

static inline void put16(uint8_t *d, uint16_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *d)
{
	return (uint16_t)(d[0] << 8 | d[1]);
}

uint32_t tun_csum_add(const uint8_t *d, size_t n, uint32_t sum)
{
	uint64_t s = sum;

	/* Four bytes at a time into a 64-bit sum: carries wait for the fold. */
	for (; n >= 4; n -= 4, d += 4)
		s += (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	for (; n >= 2; n -= 2, d += 2)
		s += (uint32_t)d[0] << 8 | d[1];
	if (n)
		s += (uint32_t)d[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)((s & 0xffff) + (s >> 16));
}

uint16_t tun_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A 32-bit mix of two words (murmur3's finaliser over a combination). */
static uint32_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ b * 0xc2b2ae3d27d4eb4full;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h ^ (uint32_t)(h >> 32);
}

static uint64_t load64(const uint8_t *d)
{
	uint64_t v;

	memcpy(&v, d, 8);
	return v;
}

uint32_t tun_inner_hash(const uint8_t *f, uint32_t len)
{
	uint32_t l3 = 14, l4;
	uint16_t type;
	uint64_t a, b;
	uint8_t proto;

	if (len < 14)
		return 0;
	type = get16(f + 12);
	if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
		type = get16(f + 16);
		l3 = 18;
	}
	if (type == 0x0800 && len >= l3 + 20 && f[l3] >> 4 == 4) {
		uint32_t ihl = (f[l3] & 15) * 4u;
		bool frag = (get16(f + l3 + 6) & 0x3fff) != 0;

		proto = f[l3 + 9];
		l4 = l3 + ihl;
		memcpy(&a, f + l3 + 12, 8);     /* both addresses */
		b = proto;
		if (!frag && (proto == 6 || proto == 17 || proto == 132) && len >= l4 + 4)
			b |= (uint64_t)get16(f + l4) << 16 | (uint64_t)get16(f + l4 + 2) << 32;
		return mix(a, b);
	}
	if (type == 0x86dd && len >= l3 + 40) {
		proto = f[l3 + 6];
		l4 = l3 + 40;
		a = load64(f + l3 + 8) ^ load64(f + l3 + 16) * 3 ^ load64(f + l3 + 24) * 5 ^
		    load64(f + l3 + 32) * 7;
		b = proto;
		if ((proto == 6 || proto == 17 || proto == 132) && len >= l4 + 4)
			b |= (uint64_t)get16(f + l4) << 16 | (uint64_t)get16(f + l4 + 2) << 32;
		return mix(a, b);
	}
	/* Linux: jhash of the two MAC addresses when the flow has no hash. */
	a = 0;
	b = 0;
	memcpy(&a, f, 6);
	memcpy(&b, f + 6, 6);
	return mix(a, b ^ type);
}

/* The inner frame's IP TOS (DS field), 0 when it is not IP.  Both
 * families need bytes 14 and 15: a 15-byte frame has no TOS (reading byte
 * 15 would take a byte of whatever the buffer held before). */
static uint8_t inner_tos(const uint8_t *f, uint32_t len)
{
	if (len < 16)
		return 0;
	if (f[12] == 0x08 && f[13] == 0x00 && f[14] >> 4 == 4)
		return f[15];
	if (f[12] == 0x86 && f[13] == 0xdd && len >= 16)
		return (uint8_t)((f[14] & 15) << 4 | f[15] >> 4);
	return 0;
}

void tun_vxlan_build(uint8_t *h, const struct tun_nh *nh, const struct tun_info *ti,
		     uint16_t sport, uint16_t dst_port, uint16_t ip_id, uint32_t inner_len)
{
	uint8_t *ip = h + 14, *udp = h + 34, *vx = h + 42;
	uint8_t itos = inner_tos(h + TUN_VXLAN_HLEN, inner_len);
	uint8_t tos = ti->tos & (uint8_t)~3;
	uint32_t udp_len = 8 + 8 + inner_len;

	/* ECN as ip_tunnel_ecn_encap(): the inner ECT bits, but a CE inner
	 * packet is sent as ECT(0) (the outer CE may be set on the way). */
	tos |= (itos & 3) == 3 ? 2 : itos & 3;
	memcpy(h, nh->dmac, 6);
	memcpy(h + 6, nh->smac, 6);
	put16(h + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = tos;
	put16(ip + 2, (uint16_t)(20 + udp_len));
	put16(ip + 4, ip_id);
	put16(ip + 6, ti->flags & TUN_F_DF ? 0x4000 : 0);
	ip[8] = ti->ttl ? ti->ttl : nh->ttl ? nh->ttl : 64;
	ip[9] = 17;
	put16(ip + 10, 0);
	memcpy(ip + 12, &ti->src_ip, 4);
	memcpy(ip + 16, &ti->dst_ip, 4);
	put16(ip + 10, tun_csum_fold(tun_csum_add(ip, 20, 0)));
	put16(udp, sport);
	put16(udp + 2, dst_port);
	put16(udp + 4, (uint16_t)udp_len);
	put16(udp + 6, 0);
	vx[0] = 0x08;
	vx[1] = vx[2] = vx[3] = 0;
	vx[4] = (uint8_t)(ti->id >> 16);
	vx[5] = (uint8_t)(ti->id >> 8);
	vx[6] = (uint8_t)ti->id;
	vx[7] = 0;
	if (ti->flags & TUN_F_CSUM) {
		/* Pseudo header: addresses, protocol, UDP length. */
		uint32_t s = tun_csum_add(ip + 12, 8, 17 + udp_len);
		uint16_t c = tun_csum_fold(tun_csum_add(udp, udp_len, s));

		put16(udp + 6, c ? c : 0xffff);
	}
}

uint16_t tun_udp4_dport(const uint8_t *f, uint32_t len)
{
	uint32_t ihl;

	if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00 || f[14] >> 4 != 4 ||
	    f[14 + 9] != 17 || (get16(f + 14 + 6) & 0x3fff))
		return 0;
	ihl = (f[14] & 15) * 4u;
	return ihl >= 20 && 14 + ihl + 8 <= len ? get16(f + 14 + ihl + 2) : 0;
}

int tun_vxlan_parse(const uint8_t *f, uint32_t len, struct tun_rx *rx)
{
	uint32_t ihl, tot, udp_len;
	const uint8_t *ip = f + 14, *udp;
	uint16_t csum;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[0] >> 4 != 4 || ip[9] != 17)
		return 0;
	ihl = (ip[0] & 15) * 4u;
	tot = get16(ip + 2);
	/* Fragments go on as they are: only a whole datagram is decapsulated. */
	if (ihl < 20 || (get16(ip + 6) & 0x3fff) || tot < ihl + 8 || 14 + tot > len)
		return 0;
	udp = ip + ihl;
	rx->ti.dst_port = get16(udp + 2);
	udp_len = get16(udp + 4);
	/* As Linux: bytes after the IP datagram (an Ethernet pad) and after
	 * the UDP length are trimmed, a UDP length past the datagram is
	 * broken.  The VXLAN header is exactly the I flag and a VNI: Linux's
	 * vxlan drops a frame with any reserved bit set (RFC 7348 would
	 * ignore them) unless an extension (GBP, GPE) claims it, and we have
	 * none. */
	if (udp_len < 8 + 8 || udp_len > tot - ihl || udp[8] != 0x08 || udp[9] || udp[10] ||
	    udp[11] || udp[15])
		return -1;
	if (tun_csum_fold(tun_csum_add(ip, ihl, 0)))
		return -1;
	csum = get16(udp + 6);
	if (csum && tun_csum_fold(tun_csum_add(udp, udp_len,
					       tun_csum_add(ip + 12, 8, 17 + udp_len))))
		return -1;
	rx->ti.id = (uint32_t)udp[12] << 16 | (uint32_t)udp[13] << 8 | udp[14];
	memcpy(&rx->ti.src_ip, ip + 12, 4);
	memcpy(&rx->ti.dst_ip, ip + 16, 4);
	rx->ti.tos = ip[1];
	rx->ti.ttl = ip[8];
	rx->ti.flags = TUN_F_PRESENT | (csum ? TUN_F_CSUM : 0) |
		       (get16(ip + 6) & 0x4000 ? TUN_F_DF : 0);
	rx->hlen = (uint16_t)(14 + ihl + 16);
	rx->len = (uint16_t)(udp_len - 16);
	return 1;
}
