/*
 * fuzz_nd_gro.c - receive coalescing (src/nd/nd_gro.c) on frames a remote
 * peer controls: the segments a TAP is written come off the wire or out of
 * a tunnel.  Random bytes rarely make a train, so an input describes one:
 *
 *   [mode][nseg][mss u16][mutation: seg u8, off u16, xor u8]...
 *
 * mode bit 0: IPv6; bit 1: TCP timestamps; bit 2: checksums recomputed
 * after the mutations (so only the rules can refuse); bit 3: every frame
 * is handed over as "checksum left to offload".  A mutation with off
 * 0xffff shortens the segment by xor bytes instead.  Each frame lives in a
 * buffer of exactly its length (ASan sees any read past it).  Whatever
 * merges must be a train by the rules: lengths, headers, every complete
 * segment's checksums valid (a bad segment must never be merged into a
 * frame the kernel will not check), the pseudo-header sum in place.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/nd/nd_gro.h"

#define MAXSEG 64

static uint32_t sum(const uint8_t *d, size_t n, uint32_t s)
{
	for (; n > 1; n -= 2, d += 2)
		s += (uint32_t)d[0] << 8 | d[1];
	if (n)
		s += (uint32_t)d[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void put16(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *d)
{
	return (unsigned)d[0] << 8 | d[1];
}

static uint32_t pseudo(const uint8_t *f, bool v6, uint32_t tcp_len)
{
	return v6 ? sum(f + 22, 32, 6 + tcp_len) : sum(f + 26, 8, 6 + tcp_len);
}

static void csums(uint8_t *f, unsigned len, bool v6)
{
	unsigned l4 = v6 ? 54 : 34;

	if (len < l4 + 20)
		return;
	if (!v6) {
		put16(f + 24, 0);
		put16(f + 24, (uint16_t)~fold(sum(f + 14, 20, 0)));
	}
	put16(f + l4 + 16, 0);
	put16(f + l4 + 16, (uint16_t)~fold(sum(f + l4, len - l4, pseudo(f, v6, len - l4))));
}

static unsigned build(uint8_t *f, unsigned i, bool v6, bool ts, unsigned pay, uint32_t seq)
{
	unsigned l4 = v6 ? 54 : 34, hl = l4 + (ts ? 32 : 20), len = hl + pay;
	uint8_t *ip = f + 14, *th = f + l4;

	memset(f, 0, len);
	f[0] = 2, f[5] = 2, f[6] = 2, f[11] = 1;
	if (v6) {
		f[12] = 0x86, f[13] = 0xdd;
		ip[0] = 0x60;
		put16(ip + 4, len - 54);
		ip[6] = 6, ip[7] = 64, ip[8] = 0x20, ip[23] = 1, ip[24] = 0x20, ip[39] = 2;
	} else {
		f[12] = 0x08;
		ip[0] = 0x45;
		put16(ip + 2, len - 14);
		put16(ip + 4, 100 + i);
		ip[6] = 0x40, ip[8] = 64, ip[9] = 6, ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
	}
	put16(th, 40000);
	put16(th + 2, 5201);
	put16(th + 4, seq >> 16);
	put16(th + 6, seq);
	th[11] = 1;
	th[12] = (uint8_t)((hl - l4) / 4 << 4);
	th[13] = 0x10;
	put16(th + 14, 512);
	if (ts)
		th[20] = 1, th[21] = 1, th[22] = 8, th[23] = 10, th[27] = 5;
	for (unsigned b = 0; b < pay; b++)
		f[hl + b] = (uint8_t)(b + i);
	return len;
}

/* What a merged frame must be. */
static void check(const struct nd_gro_in *in, unsigned k, const struct nd_gro_out *o,
		  bool partial)
{
	static uint8_t whole[70000];
	bool v6 = o->vh.gso_type == VIRTIO_NET_HDR_GSO_TCPV6;
	unsigned hl = o->hdr_len, l4 = o->vh.csum_start, len = hl;

	if (hl > ND_GRO_HDR_MAX || l4 != (v6 ? 54u : 34u) || o->vh.gso_size == 0)
		abort();
	memcpy(whole, o->hdr, hl);
	for (unsigned j = 0; j < k; j++) {
		unsigned pay;

		if (in[j].len <= hl)
			abort();
		pay = in[j].len - hl;
		/* A complete segment merges only with its checksums right. */
		if (!partial && (fold(sum(in[j].data + l4, in[j].len - l4,
					  pseudo(in[j].data, v6, in[j].len - l4))) != 0xffff ||
				 (!v6 && fold(sum(in[j].data + 14, 20, 0)) != 0xffff)))
			abort();
		if (j + 1 < k ? pay != o->vh.gso_size : pay > o->vh.gso_size)
			abort();
		memcpy(whole + len, in[j].data + hl, pay);
		len += pay;
	}
	if (len - 14 > 65535 || get16(whole + (v6 ? 18 : 16)) != len - (v6 ? 54 : 14))
		abort();
	if (!v6 && fold(sum(whole + 14, 20, 0)) != 0xffff)
		abort();
	if (fold(pseudo(whole, v6, len - l4)) != get16(whole + l4 + 16))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t tmp[MAXSEG][1600];
	unsigned lens[MAXSEG];
	struct nd_gro_in in[MAXSEG];
	struct nd_gro_out o;
	uint32_t seq = 1000;

	if (size < 4)
		return 0;
	bool v6 = data[0] & 1, ts = data[0] & 2, fix = data[0] & 4, partial = data[0] & 8;
	unsigned n = data[1] % MAXSEG + 1, mss = get16(data + 2) % 1460 + 1;

	data += 4;
	size -= 4;
	for (unsigned i = 0; i < n; i++) {
		lens[i] = build(tmp[i], i, v6, ts, mss, seq);
		seq += mss;
	}
	for (; size >= 4; data += 4, size -= 4) {
		unsigned s = data[0] % n, off = get16(data + 1);

		if (off == 0xffff)
			lens[s] = lens[s] > data[3] ? lens[s] - data[3] : 1;
		else if (off < lens[s])
			tmp[s][off] ^= data[3];
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t *f = malloc(lens[i]);

		if (fix)
			csums(tmp[i], lens[i], v6);
		memcpy(f, tmp[i], lens[i]);
		in[i] = (struct nd_gro_in){ f, (uint16_t)lens[i], { 0 } };
		if (partial)
			in[i].ol = (struct dp_offload){ .flags = DP_OL_NEEDS_CSUM,
							.csum_start = v6 ? 54 : 34, .csum_offset = 16 };
	}
	for (unsigned i = 0, k; i < n; i += k) {
		k = nd_gro_merge(in + i, n - i, &o);
		if (k < 1 || k > n - i)
			abort();
		if (k >= 2)
			check(in + i, k, &o, partial);
	}
	for (unsigned i = 0; i < n; i++)
		free((void *)in[i].data);
	return 0;
}
