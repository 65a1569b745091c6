/*
 * dp_act.c - the actions that rewrite a frame's headers (pedit) and repair
 * its checksums (csum), as the kernel's act_pedit and act_csum do them.
 *
 * Both find the headers the same way: the network header after up to two
 * VLAN tags, the transport header after IPv4's options or IPv6's extension
 * headers.  Nothing here allocates or locks; the caller made the frame
 * writable.  Checksums are summed in the machine's byte order over whole
 * words and swapped once at the end (RFC 1071: the one's-complement sum
 * does not care where the bytes of a word sit).
 */
#include "dp_internal.h"

#include <string.h>

/* Offsets of the headers a frame carries; l4 0 when there is none (not IP,
 * a later fragment, a truncated header). */
struct hdrs {
	uint32_t l3, l4;
	uint32_t l4_len;        /* transport bytes as the IP header says */
	uint16_t eth_type;
	uint8_t proto;          /* IPv4 protocol / IPv6 last next header */
	bool frag;              /* any fragment (then no L4 checksum) */
};

static inline uint16_t be16(const uint8_t *d)
{
	return (uint16_t)(d[0] << 8 | d[1]);
}

static void find_hdrs(const uint8_t *d, uint32_t len, struct hdrs *h)
{
	uint32_t off = 14;

	memset(h, 0, sizeof(*h));
	if (len < 14)
		return;
	h->eth_type = be16(d + 12);
	for (int tags = 0; tags < 2 && (h->eth_type == 0x8100 || h->eth_type == 0x88a8) &&
			   off + 4 <= len; tags++) {
		h->eth_type = be16(d + off + 2);
		off += 4;
	}
	h->l3 = off;
	if (h->eth_type == 0x0800 && off + 20 <= len && d[off] >> 4 == 4) {
		uint32_t ihl = (d[off] & 15) * 4u, tot = be16(d + off + 2);

		if (ihl < 20 || tot < ihl || off + tot > len)
			return;
		h->proto = d[off + 9];
		h->frag = (be16(d + off + 6) & 0x3fff) != 0;
		if (be16(d + off + 6) & 0x1fff)
			return;         /* a later fragment has no transport header */
		h->l4 = off + ihl;
		h->l4_len = tot - ihl;
	} else if (h->eth_type == 0x86dd && off + 40 <= len && d[off] >> 4 == 6) {
		uint32_t end = off + 40 + be16(d + off + 4), p = off + 40;
		uint8_t nh = d[off + 6];

		if (end > len)
			return;
		/* Extension headers, as ipv6_skip_exthdr walks them. */
		for (int n = 0; n < 8; n++) {
			if (nh == 0 || nh == 43 || nh == 60) {
				if (p + 8 > end)
					return;
				nh = d[p];
				p += (d[p + 1] + 1u) * 8;
			} else if (nh == 44) {
				if (p + 8 > end)
					return;
				h->frag = true;
				if (be16(d + p + 2) & 0xfff8)
					return;
				nh = d[p];
				p += 8;
			} else if (nh == 51) {
				if (p + 8 > end)
					return;
				nh = d[p];
				p += (d[p + 1] + 2u) * 4;
			} else {
				break;
			}
		}
		if (p > end)
			return;
		h->proto = nh;
		h->l4 = p;
		h->l4_len = end - p;
	}
}

bool dp_act_pedit(struct dp_pkt *pkt, const struct esw_rule_spec *s, const struct esw_act_pedit *p)
{
	uint8_t *d = dp_pkt_data(pkt);
	struct hdrs h;

	find_hdrs(d, pkt->len, &h);
	for (unsigned k = p->first; k < (unsigned)p->first + p->n; k++) {
		const struct esw_pedit_key *pk = &s->pkey[k];
		uint32_t base, w, v;

		switch (pk->htype) {
		case ESW_PEDIT_ETH:
			base = 0;
			break;
		case ESW_PEDIT_TCP:
		case ESW_PEDIT_UDP:
			if (!h.l4)
				return false;
			base = h.l4;
			break;
		default:        /* network, ipv4, ipv6: the kernel does not check which */
			base = h.l3;
			break;
		}
		/* An offset past the frame ends the action, the kernel's "bad":
		 * counted as an overlimit, the rest of the keys not applied. */
		if (base + pk->off + 4u > pkt->len)
			return false;
		memcpy(&w, d + base + pk->off, 4);
		w = __builtin_bswap32(w);
		v = pk->cmd == ESW_PEDIT_ADD ? (w + pk->val) & ~pk->mask : pk->val;
		w = __builtin_bswap32((w & pk->mask) ^ v);
		memcpy(d + base + pk->off, &w, 4);
	}
	return true;
}

/* The one's-complement sum of n bytes in the machine's order, folded to 16
 * bits, not complemented. */
static uint32_t sum(const uint8_t *d, uint32_t n, uint64_t s)
{
	for (; n >= 8; n -= 8, d += 8) {
		uint64_t w;

		memcpy(&w, d, 8);
		s += (w & 0xffffffffu) + (w >> 32);
	}
	if (n >= 4) {
		uint32_t w;

		memcpy(&w, d, 4);
		s += w;
		d += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t w;

		memcpy(&w, d, 2);
		s += w;
		d += 2;
		n -= 2;
	}
	if (n) {
		uint8_t last[2] = { d[0], 0 };
		uint16_t w;

		memcpy(&w, last, 2);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/* A 16-bit value given in host order, as it adds to a memory-order sum. */
static inline uint32_t word(uint32_t v)
{
	return __builtin_bswap16((uint16_t)v);
}

static inline void put_raw16(uint8_t *d, uint32_t v)
{
	uint16_t w = (uint16_t)v;

	memcpy(d, &w, 2);
}

/* The pseudo-header's sum (memory order, not complemented). */
static uint32_t pseudo(const uint8_t *d, const struct hdrs *h)
{
	bool v6 = h->eth_type == 0x86dd;

	return sum(d + h->l3 + (v6 ? 8 : 12), v6 ? 32 : 8, word(h->proto) + word(h->l4_len));
}

void dp_act_csum(struct dp_pkt *pkt, uint32_t flags)
{
	uint8_t *d = dp_pkt_data(pkt);
	uint32_t at, s;
	bool udp = false, has_pseudo = true;
	struct hdrs h;

	find_hdrs(d, pkt->len, &h);
	if (h.eth_type == 0x0800 && (flags & ESW_CSUM_IPH) && h.l3 + 20 <= pkt->len &&
	    d[h.l3] >> 4 == 4 && h.l3 + (d[h.l3] & 15) * 4u <= pkt->len) {
		put_raw16(d + h.l3 + 10, 0);
		put_raw16(d + h.l3 + 10, ~sum(d + h.l3, (d[h.l3] & 15) * 4u, 0));
	}
	if (!h.l4 || h.frag)
		return;
	if (h.proto == 6 && (flags & ESW_CSUM_TCP)) {
		at = 16;
	} else if (h.proto == 17 && (flags & ESW_CSUM_UDP)) {
		at = 6;
		udp = true;
		/* IPv4 UDP without a checksum keeps none, as act_csum does. */
		if (h.eth_type == 0x0800 && h.l4 + 8 <= pkt->len && !d[h.l4 + 6] && !d[h.l4 + 7])
			return;
	} else if ((h.proto == 1 && h.eth_type == 0x0800 && (flags & ESW_CSUM_ICMP)) ||
		   (h.proto == 58 && h.eth_type == 0x86dd && (flags & ESW_CSUM_ICMP))) {
		at = 2;
		has_pseudo = h.proto == 58;
	} else {
		return;
	}
	if (h.l4 + at + 2 > pkt->len || h.l4_len < at + 2)
		return;
	/* Left to offload (a TAP's CHECKSUM_PARTIAL, a TSO super-frame): the
	 * field keeps the pseudo-header sum whoever finishes the checksum
	 * needs, recomputed for the headers as they are now. */
	if ((pkt->ol.flags & DP_OL_NEEDS_CSUM) && pkt->ol.csum_start == h.l4) {
		put_raw16(d + h.l4 + at, has_pseudo ? pseudo(d, &h) : 0);
		return;
	}
	put_raw16(d + h.l4 + at, 0);
	s = sum(d + h.l4, h.l4_len, has_pseudo ? pseudo(d, &h) : 0);
	s = (uint16_t)~s;
	if (udp && !s)
		s = 0xffff;     /* UDP's zero means "no checksum" */
	put_raw16(d + h.l4 + at, s);
}
