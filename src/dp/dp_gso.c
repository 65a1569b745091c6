/*
 * dp_gso.c - finishing what a TAP left to "the hardware": checksums and
 * TCP segmentation, for destinations that take only complete frames (an
 * uplink, a host ring, an in-process consumer).
 *
 * A TAP with vnet headers hands over TCP super-frames of up to 64 KiB with
 * the checksum field holding the pseudo-header sum (CHECKSUM_PARTIAL), as a
 * NIC with TSO would receive them.  Between two such TAPs they stay whole;
 * anywhere else they are cut here, as a NIC cuts them on the wire.
 */
#include "dp_internal.h"

#include <arpa/inet.h>
#include <string.h>

uint64_t dp_csum_add(const void *data, size_t n, uint64_t sum)
{
	const uint8_t *d = data;
	uint64_t a = sum, b = 0, c = 0, e = 0;

	/* 32-bit words into 64-bit sums in the machine's order: a carry out
	 * of one 16-bit half lands in the next, which the fold adds back,
	 * so the byte order only has to be the same everywhere (RFC 1071).
	 * Four independent sums keep the adds from waiting on each other. */
	for (; n >= 16; n -= 16, d += 16) {
		uint32_t w[4];

		memcpy(w, d, 16);
		a += w[0];
		b += w[1];
		c += w[2];
		e += w[3];
	}
	a += b + c + e;
	for (; n >= 4; n -= 4, d += 4) {
		uint32_t w;

		memcpy(&w, d, 4);
		a += w;
	}
	if (n >= 2) {
		uint16_t w;

		memcpy(&w, d, 2);
		a += w;
		d += 2;
		n -= 2;
	}
	if (n) {
		const uint8_t last[2] = { d[0], 0 };
		uint16_t w;

		memcpy(&w, last, 2);
		a += w;
	}
	return a;
}

uint16_t dp_csum_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Stores a checksum computed in the machine's order where it belongs. */
static void put_csum(uint8_t *d, uint64_t sum)
{
	uint16_t v = (uint16_t)~dp_csum_fold(sum);

	memcpy(d, &v, 2);
}

static void put16(uint8_t *d, uint16_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *d)
{
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

void dp_csum_fill(struct dp_pkt *p)
{
	uint8_t *d = dp_pkt_data(p);
	uint32_t start = p->ol.csum_start, at = start + p->ol.csum_offset;

	/* The field holds the pseudo-header sum; summing over it folds that
	 * in. */
	if ((p->ol.flags & DP_OL_NEEDS_CSUM) && at + 2 <= p->len && start < p->len)
		put_csum(d + at, dp_csum_add(d + start, p->len - start, 0));
	p->ol.flags &= (uint8_t)~DP_OL_NEEDS_CSUM;
}

/* Sum of the pseudo-header for a TCP segment of tcp_len (< 64 KiB) bytes,
 * machine order. */
static uint64_t pseudo(const uint8_t *l3, bool v6, uint32_t tcp_len)
{
	uint64_t s = (uint64_t)htons(6) + htons((uint16_t)tcp_len);

	if (v6)
		return dp_csum_add(l3 + 8, 32, s);
	return dp_csum_add(l3 + 12, 8, s);
}

unsigned dp_gso_segment(const struct dp_pkt *p, struct dp_pkt *segs, unsigned max)
{
	const uint8_t *d = dp_pkt_data(p);
	bool v6 = (p->ol.gso_type & ~DP_GSO_ECN) == DP_GSO_TCPV6;
	uint32_t l2 = 14, l4 = p->ol.csum_start, thl, hdrs, mss = p->ol.gso_size, payload;
	uint32_t seq, space = p->pool->buf_size - PP_HEADROOM;
	unsigned n = 0;

	if (p->len >= 18 && (d[12] == 0x81 || d[12] == 0x88) && (d[13] == 0x00 || d[13] == 0xa8))
		l2 = 18;
	/* The L4 start comes from the sender; everything is checked against
	 * the frame before it is trusted. */
	if (!mss || l4 < l2 + (v6 ? 40u : 20u) || l4 + 20 > p->len ||
	    (!v6 && (d[l2] >> 4 != 4 || d[l2 + 9] != 6 || l2 + (d[l2] & 15) * 4u != l4)) ||
	    (v6 && (d[l2] >> 4 != 6 || d[l2 + 6] != 6 || l4 != l2 + 40)))
		return 0;
	thl = (d[l4 + 12] >> 4) * 4u;
	hdrs = l4 + thl;
	if (thl < 20 || hdrs > p->len || hdrs + mss > space)
		return 0;
	payload = p->len - hdrs;
	seq = get32(d + l4 + 4);
	for (uint32_t off = 0; off < payload && n < max; off += mss, n++) {
		uint32_t chunk = payload - off < mss ? payload - off : mss, len = hdrs + chunk;
		uint32_t buf = pp_alloc(p->pool);
		uint8_t *s, *ip, *tcp;

		if (buf == PP_NO_BUF)
			break;
		/* Each segment carries the frame's metadata (a tunnel to
		 * encapsulate it into, its connection). */
		segs[n] = (struct dp_pkt){ .pool = p->pool, .buf = buf, .off = PP_HEADROOM,
					   .len = (uint16_t)len, .meta = p->meta };
		s = dp_pkt_data(&segs[n]);
		memcpy(s, d, hdrs);
		memcpy(s + hdrs, d + hdrs + off, chunk);
		ip = s + l2;
		tcp = s + l4;
		if (v6) {
			put16(ip + 4, (uint16_t)(len - l2 - 40));
		} else {
			put16(ip + 2, (uint16_t)(len - l2));
			put16(ip + 4, (uint16_t)(((uint32_t)d[l2 + 4] << 8 | d[l2 + 5]) + n));
			put16(ip + 10, 0);
			put_csum(ip + 10, dp_csum_add(ip, l4 - l2, 0));
		}
		put16(tcp + 4, (uint16_t)((seq + off) >> 16));
		put16(tcp + 6, (uint16_t)(seq + off));
		if (off + chunk < payload)
			tcp[13] &= (uint8_t)~0x09;      /* FIN and PSH: last segment only */
		if (off)
			tcp[13] &= (uint8_t)~0x80;      /* CWR: first segment only */
		put16(tcp + 16, 0);
		put_csum(tcp + 16, dp_csum_add(tcp, thl + chunk, pseudo(ip, v6, thl + chunk)));
	}
	if (n && n * (uint64_t)mss < payload) {
		/* Out of buffers (or room) half-way: a partial segment train
		 * would only confuse TCP; drop it all. */
		for (unsigned i = 0; i < n; i++)
			dp_pkt_free(&segs[i]);
		return 0;
	}
	return n;
}
