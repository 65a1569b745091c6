/*
 * nd_gro.c - receive coalescing of TCP segments written into a TAP (see
 * nd_gro.h for the rules and why they are Linux's).
 */
#include "nd_gro.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_URG 0x20
#define TH_CWR 0x80

#define ETH_LEN 14u
#define IP4_LEN 20u
#define IP6_LEN 40u

/* What the coalescer needs of one segment, read once. */
struct seg {
	uint16_t l4;            /* offset of the TCP header */
	uint16_t hl;            /* bytes of headers, TCP options included */
	uint16_t pay;           /* TCP payload bytes */
	uint16_t id;            /* IPv4 ID */
	uint32_t seq;
	uint8_t flags;          /* TCP flags byte */
	bool v6;
};

static uint16_t get16(const uint8_t *d)
{
	return (uint16_t)(d[0] << 8 | d[1]);
}

static uint32_t get32(const uint8_t *d)
{
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

/* The pseudo-header's sum for tcp_len (< 64 KiB) bytes of TCP, machine
 * order. */
static uint64_t pseudo(const uint8_t *ip, bool v6, uint32_t tcp_len)
{
	uint64_t s = (uint64_t)htons(6) + htons((uint16_t)tcp_len);

	return v6 ? dp_csum_add(ip + 8, 32, s) : dp_csum_add(ip + 12, 8, s);
}

/* Reads what merging needs and refuses what never merges: anything but
 * untagged TCP over IPv4 without options or fragmentation, or IPv6
 * without extension headers, with its length exactly the frame's (no
 * padding), a payload, and none of SYN/FIN/RST/URG/CWR; a frame already
 * a super-frame, or one whose checksum offload is not the TCP field. */
static bool parse(const struct nd_gro_in *f, struct seg *s)
{
	const uint8_t *d = f->data, *ip = d + ETH_LEN, *th;
	uint16_t et;
	unsigned thl;

	if (f->ol.gso_type != DP_GSO_NONE || f->len < ETH_LEN + IP4_LEN + 20)
		return false;
	et = get16(d + 12);
	if (et == 0x0800) {
		if (ip[0] != 0x45 || ip[9] != 6 || get16(ip + 2) != f->len - ETH_LEN ||
		    (get16(ip + 6) & 0xbfff) ||
		    dp_csum_fold(dp_csum_add(ip, IP4_LEN, 0)) != 0xffff)
			return false;
		s->v6 = false;
		s->l4 = ETH_LEN + IP4_LEN;
		s->id = get16(ip + 4);
	} else if (et == 0x86dd) {
		if (f->len < ETH_LEN + IP6_LEN + 20 || ip[0] >> 4 != 6 || ip[6] != 6 ||
		    get16(ip + 4) != f->len - ETH_LEN - IP6_LEN)
			return false;
		s->v6 = true;
		s->l4 = ETH_LEN + IP6_LEN;
		s->id = 0;
	} else {
		return false;
	}
	th = d + s->l4;
	thl = (th[12] >> 4) * 4u;
	if (thl < 20 || s->l4 + thl >= f->len)
		return false;   /* no payload: an ACK goes up alone */
	s->hl = (uint16_t)(s->l4 + thl);
	s->pay = (uint16_t)(f->len - s->hl);
	s->flags = th[13];
	s->seq = get32(th + 4);
	if (s->flags & (TH_FIN | TH_SYN | TH_RST | TH_URG | TH_CWR))
		return false;
	if ((f->ol.flags & DP_OL_NEEDS_CSUM) &&
	    (f->ol.csum_start != s->l4 || f->ol.csum_offset != 16))
		return false;
	return true;
}

/* Whether the segment's bytes are known good: a checksum left to offload
 * by a local sender is taken as the kernel would take it; a complete
 * segment's TCP checksum is verified. */
static bool csum_ok(const struct nd_gro_in *f, const struct seg *s)
{
	uint32_t tcp_len = f->len - s->l4;

	if (f->ol.flags & DP_OL_NEEDS_CSUM)
		return true;
	return dp_csum_fold(dp_csum_add(f->data + s->l4, tcp_len,
			       pseudo(f->data + ETH_LEN, s->v6, tcp_len))) == 0xffff;
}

/* Whether c (the k-th segment) continues h's train in every header byte
 * that Linux's GRO compares.  fixed: the train's IPv4 IDs stay equal
 * (decided by the second segment; -1 while undecided). */
static bool same_train(const struct nd_gro_in *hf, const struct seg *h, const struct nd_gro_in *cf,
		       const struct seg *c, unsigned k, int *fixed)
{
	const uint8_t *a = hf->data, *b = cf->data;
	const uint8_t *ia = a + ETH_LEN, *ib = b + ETH_LEN, *ta = a + h->l4, *tb = b + c->l4;

	if (c->v6 != h->v6 || c->hl != h->hl || memcmp(a, b, ETH_LEN))
		return false;
	if (h->v6) {
		/* version, traffic class, flow label; hop limit; addresses */
		if (memcmp(ia, ib, 4) || ia[7] != ib[7] || memcmp(ia + 8, ib + 8, 32))
			return false;
	} else {
		/* TOS, DF, TTL, addresses */
		if (ia[1] != ib[1] || ((ia[6] ^ ib[6]) & 0x40) || ia[8] != ib[8] ||
		    memcmp(ia + 12, ib + 12, 8))
			return false;
		if (*fixed < 0)
			*fixed = c->id == h->id && (ia[6] & 0x40);
		if (c->id != (uint16_t)(h->id + (*fixed ? 0 : k)))
			return false;
	}
	/* Ports, ACK number, header length, flags but PSH, window, options. */
	return !memcmp(ta, tb, 4) && !memcmp(ta + 8, tb + 8, 5) &&
	       ((ta[13] ^ tb[13]) & ~TH_PSH) == 0 && !memcmp(ta + 14, tb + 14, 2) &&
	       !memcmp(ta + 20, tb + 20, h->hl - h->l4 - 20u);
}

/* The merged frame's headers: the first segment's, with the lengths of the
 * whole, PSH if the last had it, the IPv4 header checksum, and the TCP
 * checksum field holding the pseudo-header sum as a TSO sender leaves it. */
static void build(const struct nd_gro_in *hf, const struct seg *h, uint32_t payload, bool psh,
		  struct nd_gro_out *out)
{
	uint8_t *ip = out->hdr + ETH_LEN, *th = out->hdr + h->l4;
	uint32_t tcp_len = h->hl - h->l4 + payload;
	uint16_t v;

	memcpy(out->hdr, hf->data, h->hl);
	out->hdr_len = h->hl;
	if (h->v6) {
		ip[4] = (uint8_t)(tcp_len >> 8);
		ip[5] = (uint8_t)tcp_len;
	} else {
		ip[2] = (uint8_t)((IP4_LEN + tcp_len) >> 8);
		ip[3] = (uint8_t)(IP4_LEN + tcp_len);
		ip[10] = ip[11] = 0;
		v = (uint16_t)~dp_csum_fold(dp_csum_add(ip, IP4_LEN, 0));
		memcpy(ip + 10, &v, 2);
	}
	if (psh)
		th[13] |= TH_PSH;
	v = dp_csum_fold(pseudo(ip, h->v6, tcp_len));
	memcpy(th + 16, &v, 2);
	out->vh = (struct virtio_net_hdr){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = h->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = h->hl, .gso_size = h->pay, .csum_start = h->l4, .csum_offset = 16 };
}

unsigned nd_gro_merge(const struct nd_gro_in *in, unsigned n, struct nd_gro_out *out)
{
	struct seg h, prev, c;
	uint32_t payload;
	int fixed = -1;
	unsigned k;

	if (n < 2)
		return n;
	/* A PSH on the first segment ends its train at once, as in Linux. */
	if (!parse(&in[0], &h) || (h.flags & TH_PSH))
		return 1;
	prev = h;
	payload = h.pay;
	for (k = 1; k < n && k < ND_GRO_MAX_SEGS; k++) {
		/* A segment shorter than the MSS (or with PSH) was the last. */
		if (prev.pay != h.pay || (prev.flags & TH_PSH))
			break;
		if (!parse(&in[k], &c) || c.pay > h.pay || c.seq != prev.seq + prev.pay ||
		    !same_train(&in[0], &h, &in[k], &c, k, &fixed))
			break;
		/* The IP datagram stays within 64 KiB. */
		if (h.hl - ETH_LEN + payload + c.pay > UINT16_MAX)
			break;
		/* Checksums last: they cost a pass over the bytes. */
		if (k == 1 && !csum_ok(&in[0], &h))
			return 1;
		if (!csum_ok(&in[k], &c))
			break;
		payload += c.pay;
		prev = c;
	}
	if (k == 1)
		return 1;
	build(&in[0], &h, payload, prev.flags & TH_PSH, out);
	return k;
}
