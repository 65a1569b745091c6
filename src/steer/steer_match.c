/*
 * steer_match.c - the packet-path half of RX steering: a frame's view,
 * matching it against rules, and its flow hash.
 *
 * Everything here runs per frame on a datapath worker: no allocation, no
 * syscalls, no locks, and no read past the frame's length.
 */
#include "steer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define V6_EXT_MAX 4               /* extension headers walked before giving up on L4 */

union steer_view {
	struct steer_key k;
	uint64_t w[8];
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void view_ip4(const uint8_t *p, uint32_t len, struct steer_key *k)
{
	uint32_t ihl;

	if (len < 20 || p[0] >> 4 != 4)
		return;
	ihl = (p[0] & 0xfu) * 4;
	if (ihl < 20 || len < ihl)
		return;
	k->meta |= STEER_META_IP;
	k->tos = p[1];
	k->l4proto = p[9];
	memcpy(k->src_ip, p + 12, 4);
	memcpy(k->dst_ip, p + 16, 4);
	/* A later fragment has no L4 header, whatever its bytes look like. */
	if ((rd16(p + 6) & 0x1fff) == 0 && len >= ihl + 4) {
		memcpy(k->l4, p + ihl, 4);
		k->meta |= STEER_META_L4;
	}
}

static bool v6_ext(uint8_t nh)
{
	/* hop-by-hop, routing, fragment, destination options (AH is an
	 * upper layer here, as ethtool's ah6 flow type has it) */
	return nh == 0 || nh == 43 || nh == 44 || nh == 60;
}

static void view_ip6(const uint8_t *p, uint32_t len, struct steer_key *k)
{
	uint32_t off = 40;
	uint8_t nh;
	bool later = false;

	if (len < 40 || p[0] >> 4 != 6)
		return;
	k->meta |= STEER_META_IP;
	k->tos = (uint8_t)(rd16(p) >> 4);
	memcpy(k->src_ip, p + 8, 16);
	memcpy(k->dst_ip, p + 24, 16);
	nh = p[6];
	for (int i = 0; i < V6_EXT_MAX && v6_ext(nh); i++) {
		uint8_t next;

		if (len < off + 8)
			break;
		next = p[off];
		if (nh == 44)
			later |= (rd16(p + off + 2) & 0xfff8) != 0;
		/* The fragment header is 8 bytes, the others count 8-byte
		 * words beyond the first. */
		off += nh == 44 ? 8u : (p[off + 1] + 1u) * 8;
		nh = next;
	}
	k->l4proto = nh;
	if (!v6_ext(nh) && !later && len >= off + 4) {
		memcpy(k->l4, p + off, 4);
		k->meta |= STEER_META_L4;
	}
}

void steer_key_extract(const uint8_t *f, uint32_t len, struct steer_key *k)
{
	uint32_t off = 14;
	uint16_t et;

	memset(k, 0, sizeof(*k));
	if (len < 14)
		return;
	memcpy(k->dst_mac, f, 12);
	et = rd16(f + 12);
	if ((et == ETH_P_8021Q || et == ETH_P_8021AD) && len >= 18) {
		k->meta |= STEER_META_VLAN;
		k->vlan_etype = htons(et);
		memcpy(&k->vlan_tci, f + 14, 2);
		et = rd16(f + 16);
		off = 18;
	}
	k->ethertype = htons(et);
	if (et == ETH_P_IP)
		view_ip4(f + off, len - off, k);
	else if (et == ETH_P_IPV6)
		view_ip6(f + off, len - off, k);
}

int32_t steer_classify(const struct steer_rule *rules, unsigned n, const uint8_t *frame,
		       uint32_t len)
{
	union steer_view v;

	if (!n)
		return STEER_NO_MATCH;
	steer_key_extract(frame, len, &v.k);
	for (unsigned i = 0; i < n; i++) {
		const struct steer_rule *r = &rules[i];
		uint64_t d = 0;

		/* All eight words, no early exit: straight-line code with
		 * no branch that depends on the frame's bytes. */
		for (int j = 0; j < 8; j++)
			d |= (v.w[j] ^ r->key.w[j]) & r->mask.w[j];
		if (!d)
			return r->action;
	}
	return STEER_NO_MATCH;
}

uint32_t steer_flow_hash(const uint8_t *frame, uint32_t len)
{
	union steer_view v;
	uint64_t h;

	steer_key_extract(frame, len, &v.k);
	if (v.k.meta & STEER_META_IP) {
		uint32_t ports = 0;

		if ((v.k.l4proto == IPPROTO_TCP || v.k.l4proto == IPPROTO_UDP) &&
		    (v.k.meta & STEER_META_L4))
			memcpy(&ports, v.k.l4, 4);
		/* Words 2..5 are the addresses.  Independent multiplies by odd
		 * constants, so they run in parallel rather than in a chain. */
		h = v.w[2] * 0x9e3779b97f4a7c15ull + v.w[3] * 0xc2b2ae3d27d4eb4full;
		h ^= v.w[4] * 0x165667b19e3779f9ull + v.w[5] * 0x85ebca77c2b2ae63ull;
		h ^= ((uint64_t)ports << 8 | v.k.l4proto) * 0x27d4eb2f165667c5ull;
	} else {
		/* words 0..1: MAC addresses, ethertype and the tag */
		h = v.w[0] * 0x9e3779b97f4a7c15ull ^ v.w[1] * 0xc2b2ae3d27d4eb4full;
	}
	/* A finaliser (splitmix64's) so every input bit reaches the low bits
	 * that a ring index keeps. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	return (uint32_t)(h ^ (h >> 32));
}
