/*
 * test_nd_gro.c - receive coalescing into a TAP (src/nd/nd_gro.c): trains
 * of TCP segments merge into one frame whose headers, lengths and checksum
 * fields are what a TSO sender writes, and every rule of Linux's GRO that
 * a segment breaks keeps it out of the train.
 */
#include "test_helpers.h"
#include "../../src/nd/nd_gro.h"

#include <arpa/inet.h>

#define MAXF 64
#define FLEN 1600

/* A train of segments being built, and what nd_gro_merge saw. */
struct train {
	uint8_t buf[MAXF][FLEN];
	struct nd_gro_in in[MAXF];
	unsigned n;
	bool v6;
	bool ts;                /* a 12-byte timestamp option */
};

static void put16(uint8_t *d, uint16_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *d)
{
	return (uint16_t)(d[0] << 8 | d[1]);
}

/* Reference checksum, big-endian and bytewise: independent of nd_gro_sum. */
static uint32_t ref_sum(const uint8_t *d, size_t n, uint32_t s)
{
	for (; n > 1; n -= 2, d += 2)
		s += (uint32_t)d[0] << 8 | d[1];
	if (n)
		s += (uint32_t)d[0] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static unsigned l4_of(const struct train *t)
{
	return t->v6 ? 54 : 34;
}

static unsigned hl_of(const struct train *t)
{
	return l4_of(t) + (t->ts ? 32 : 20);
}

static uint32_t ref_pseudo(const uint8_t *f, bool v6, uint32_t tcp_len)
{
	return v6 ? ref_sum(f + 22, 32, 6 + tcp_len) : ref_sum(f + 26, 8, 6 + tcp_len);
}

/* Recomputes segment i's IPv4 header checksum and TCP checksum. */
static void fix_csums(struct train *t, unsigned i)
{
	uint8_t *f = t->buf[i];
	unsigned l4 = l4_of(t), len = t->in[i].len;

	if (!t->v6) {
		unsigned ihl = (f[14] & 15) * 4u;

		put16(f + 24, 0);
		put16(f + 24, (uint16_t)~ref_fold(ref_sum(f + 14, ihl, 0)));
		l4 = 14 + ihl;
	}
	put16(f + l4 + 16, 0);
	put16(f + l4 + 16, (uint16_t)~ref_fold(ref_sum(f + l4, len - l4,
						       ref_pseudo(f, t->v6, len - l4))));
}

/* Segment i of a flow 10.0.0.1:40000 -> 10.0.0.2:5201 (or 2001:db8::1 ->
 * ::2): seq 1000 + i * mss, ACK, IP ID 100 + i with DF, pay bytes. */
static void seg(struct train *t, unsigned i, uint16_t pay, uint32_t seq)
{
	static const uint8_t eth4[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
	static const uint8_t eth6[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd };
	uint8_t *f = t->buf[i], *ip = f + 14, *th;
	unsigned hl = hl_of(t), len = hl + pay;

	memset(f, 0, FLEN);
	memcpy(f, t->v6 ? eth6 : eth4, 14);
	if (t->v6) {
		ip[0] = 0x60;
		ip[2] = 0x12;           /* a flow label */
		put16(ip + 4, (uint16_t)(len - 54));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
		ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(len - 14));
		put16(ip + 4, (uint16_t)(100 + i));
		ip[6] = 0x40;
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
	}
	th = f + l4_of(t);
	put16(th, 40000);
	put16(th + 2, 5201);
	th[4] = (uint8_t)(seq >> 24), th[5] = (uint8_t)(seq >> 16);
	th[6] = (uint8_t)(seq >> 8), th[7] = (uint8_t)seq;
	th[8] = 0x11, th[9] = 0x22, th[10] = 0x33, th[11] = 0x44;
	th[12] = (uint8_t)((hl - l4_of(t)) / 4 << 4);
	th[13] = 0x10;          /* ACK */
	put16(th + 14, 512);
	if (t->ts) {
		th[20] = 1, th[21] = 1, th[22] = 8, th[23] = 10;
		memcpy(th + 24, "\x00\x00\x10\x00\x00\x00\x20\x00", 8);
	}
	for (unsigned b = 0; b < pay; b++)
		f[hl + b] = (uint8_t)(b * 7 + i);
	t->in[i] = (struct nd_gro_in){ f, (uint16_t)len, { 0 } };
	fix_csums(t, i);
}

/* n segments of mss bytes, the last of last bytes. */
static void train(struct train *t, bool v6, bool ts, unsigned n, uint16_t mss, uint16_t last)
{
	uint32_t seq = 1000;

	t->v6 = v6;
	t->ts = ts;
	t->n = n;
	for (unsigned i = 0; i < n; i++) {
		uint16_t pay = i + 1 == n ? last : mss;

		seg(t, i, pay, seq);
		seq += pay;
	}
}

static uint8_t *tcp(struct train *t, unsigned i)
{
	return t->buf[i] + l4_of(t);
}

/* Checks a merged frame of the first k segments: headers, lengths, the
 * vnet header, and that completing the checksum as offload would gives a
 * valid TCP checksum over the whole frame. */
static void check_merged(struct train *t, unsigned k, const struct nd_gro_out *o)
{
	static uint8_t whole[70000];
	unsigned hl = hl_of(t), l4 = l4_of(t), len = hl;
	uint32_t payload = 0;
	uint16_t c;

	for (unsigned i = 0; i < k; i++)
		payload += t->in[i].len - hl;
	assert_int_equal(o->hdr_len, hl);
	assert_int_equal(o->vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(o->vh.gso_type, t->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(o->vh.gso_size, t->in[0].len - hl);
	assert_int_equal(o->vh.hdr_len, hl);
	assert_int_equal(o->vh.csum_start, l4);
	assert_int_equal(o->vh.csum_offset, 16);
	/* Everything but lengths, checksums and PSH is the first segment's. */
	assert_memory_equal(o->hdr, t->buf[0], 14);
	assert_memory_equal(o->hdr + l4, t->buf[0] + l4, 13);
	assert_memory_equal(o->hdr + l4 + 14, t->buf[0] + l4 + 14, 2);
	assert_memory_equal(o->hdr + l4 + 20, t->buf[0] + l4 + 20, hl - l4 - 20);
	if (t->v6) {
		assert_int_equal(get16(o->hdr + 18), hl - 54 + payload);
	} else {
		assert_int_equal(get16(o->hdr + 16), hl - 14 + payload);
		assert_int_equal(get16(o->hdr + 18), get16(t->buf[0] + 18));   /* first ID */
		assert_int_equal(ref_fold(ref_sum(o->hdr + 14, 20, 0)), 0xffff);
	}
	assert_int_equal(o->hdr[l4 + 13], tcp(t, k - 1)[13]);      /* the last's PSH */
	/* The field holds the pseudo-header sum, not complemented. */
	assert_int_equal(get16(o->hdr + l4 + 16),
			 ref_fold(ref_pseudo(o->hdr, t->v6, hl - l4 + payload)));
	memcpy(whole, o->hdr, hl);
	for (unsigned i = 0; i < k; i++) {
		memcpy(whole + len, t->in[i].data + hl, t->in[i].len - hl);
		len += t->in[i].len - hl;
	}
	c = (uint16_t)~ref_fold(ref_sum(whole + l4, len - l4, 0));
	put16(whole + l4 + 16, c);
	assert_int_equal(ref_fold(ref_sum(whole + l4, len - l4,
					  ref_pseudo(whole, t->v6, len - l4))), 0xffff);
}

static struct train T;

static void test_v4_train_merges(void **state)
{
	struct nd_gro_out o;

	(void)state;
	train(&T, false, true, 5, 1388, 700);
	tcp(&T, 4)[13] |= 0x08;         /* PSH on the last */
	fix_csums(&T, 4);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 5);
	check_merged(&T, 5, &o);
	assert_int_equal(o.hdr[34 + 13], 0x18);
}

static void test_v6_train_merges(void **state)
{
	struct nd_gro_out o;

	(void)state;
	train(&T, true, false, 4, 1420, 1420);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 4);
	check_merged(&T, 4, &o);
}

static void test_short_segment_ends_train(void **state)
{
	struct nd_gro_out o;

	(void)state;
	train(&T, false, false, 4, 1000, 1000);
	seg(&T, 1, 600, 2000);          /* shorter: last of its train */
	seg(&T, 2, 1000, 2600);
	seg(&T, 3, 1000, 3600);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 2);
	check_merged(&T, 2, &o);
	/* The rest starts a train of its own. */
	assert_int_equal(nd_gro_merge(T.in + 2, 2, &o), 2);
}

static void test_longer_segment_breaks(void **state)
{
	struct nd_gro_out o;

	(void)state;
	train(&T, false, false, 3, 1000, 1000);
	seg(&T, 1, 1001, 2000);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
}

static void test_psh_first_and_after_last(void **state)
{
	struct nd_gro_out o;

	(void)state;
	train(&T, false, false, 3, 1000, 1000);
	tcp(&T, 0)[13] |= 0x08;
	fix_csums(&T, 0);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	train(&T, false, false, 3, 1000, 1000);
	tcp(&T, 1)[13] |= 0x08;
	fix_csums(&T, 1);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 2);
	check_merged(&T, 2, &o);
}

static void test_64k_limit(void **state)
{
	struct nd_gro_out o;
	unsigned k;

	(void)state;
	train(&T, false, false, 50, 1448, 1448);
	k = nd_gro_merge(T.in, T.n, &o);
	/* 20 + 20 + k * 1448 <= 65535 */
	assert_int_equal(k, 45);
	check_merged(&T, k, &o);
	assert_int_equal(get16(o.hdr + 16), 40 + 45 * 1448);
}

static void test_fixed_id_with_df(void **state)
{
	struct nd_gro_out o;

	(void)state;
	train(&T, false, false, 3, 1000, 1000);
	for (unsigned i = 0; i < 3; i++) {
		put16(T.buf[i] + 18, 7);
		fix_csums(&T, i);
	}
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 3);
	/* Without DF a fixed ID is a new datagram each time: no merge. */
	for (unsigned i = 0; i < 3; i++) {
		T.buf[i][20] = 0;
		fix_csums(&T, i);
	}
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	/* Without DF, counting IDs merge. */
	for (unsigned i = 0; i < 3; i++) {
		put16(T.buf[i] + 18, (uint16_t)(0xffff + i));  /* wraps */
		fix_csums(&T, i);
	}
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 3);
	/* Fixed then counting: the second decides, the third breaks. */
	train(&T, false, false, 3, 1000, 1000);
	put16(T.buf[1] + 18, 100);
	fix_csums(&T, 1);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 2);
}

static void test_partial_csum_segments(void **state)
{
	struct nd_gro_out o;

	(void)state;
	train(&T, false, false, 3, 1000, 1000);
	/* A local sender's frames: the field holds the pseudo sum. */
	for (unsigned i = 0; i < 3; i++) {
		put16(tcp(&T, i) + 16, ref_fold(ref_pseudo(T.buf[i], false, T.in[i].len - 34)));
		T.in[i].ol = (struct dp_offload){ .flags = DP_OL_NEEDS_CSUM, .csum_start = 34,
						  .csum_offset = 16 };
	}
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 3);
	check_merged(&T, 3, &o);
	T.in[1].ol.csum_offset = 6;     /* not the TCP field */
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	/* A super-frame is never a segment. */
	T.in[1].ol = (struct dp_offload){ .flags = DP_OL_NEEDS_CSUM, .gso_type = DP_GSO_TCPV4,
					  .gso_size = 1000, .csum_start = 34, .csum_offset = 16 };
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
}

/* One way of breaking segment 1 of a three-segment IPv4 train (with
 * timestamps): each must leave segment 0 alone. */
struct breaker {
	const char *what;
	void (*fn)(struct train *t);
	bool v6;
};

static void b_dport(struct train *t) { tcp(t, 1)[3] ^= 1; }
static void b_sport(struct train *t) { tcp(t, 1)[1] ^= 1; }
static void b_saddr(struct train *t) { t->buf[1][t->v6 ? 37 : 29] ^= 1; }
static void b_daddr(struct train *t) { t->buf[1][t->v6 ? 53 : 33] ^= 1; }
static void b_mac(struct train *t) { t->buf[1][5] ^= 1; }
static void b_seq_gap(struct train *t) { tcp(t, 1)[7] ^= 1; }
static void b_ack(struct train *t) { tcp(t, 1)[11] ^= 1; }
static void b_window(struct train *t) { tcp(t, 1)[15] ^= 1; }
static void b_tsval(struct train *t) { tcp(t, 1)[27] ^= 1; }
static void b_syn(struct train *t) { tcp(t, 1)[13] |= 0x02; }
static void b_fin(struct train *t) { tcp(t, 1)[13] |= 0x01; }
static void b_rst(struct train *t) { tcp(t, 1)[13] |= 0x04; }
static void b_urg(struct train *t) { tcp(t, 1)[13] |= 0x20; }
static void b_cwr(struct train *t) { tcp(t, 1)[13] |= 0x80; }
static void b_ece(struct train *t) { tcp(t, 1)[13] |= 0x40; }
static void b_tos(struct train *t) { t->buf[1][15] = 0x10; }
static void b_ttl(struct train *t) { t->buf[1][22] = 63; }
static void b_df(struct train *t) { t->buf[1][20] = 0; }
static void b_id(struct train *t) { t->buf[1][19] += 1; }
static void b_mf(struct train *t) { t->buf[1][20] |= 0x20; }
static void b_proto(struct train *t) { t->buf[1][23] = 17; }
static void b_tclass(struct train *t) { t->buf[1][15] |= 0x40; }
static void b_flow(struct train *t) { t->buf[1][17] ^= 1; }
static void b_hoplimit(struct train *t) { t->buf[1][21] = 1; }
static void b_nexthdr(struct train *t) { t->buf[1][20] = 0; }

static const struct breaker breakers[] = {
	{ "dst port", b_dport, false }, { "src port", b_sport, false },
	{ "src addr", b_saddr, false }, { "dst addr", b_daddr, false },
	{ "src addr v6", b_saddr, true }, { "dst addr v6", b_daddr, true },
	{ "mac", b_mac, false }, { "seq gap", b_seq_gap, false }, { "ack", b_ack, false },
	{ "window", b_window, false }, { "tsval", b_tsval, false }, { "syn", b_syn, false },
	{ "fin", b_fin, false }, { "rst", b_rst, false }, { "urg", b_urg, false },
	{ "cwr", b_cwr, false }, { "ece", b_ece, false }, { "tos", b_tos, false },
	{ "ttl", b_ttl, false }, { "df", b_df, false }, { "ip id", b_id, false },
	{ "mf", b_mf, false }, { "udp", b_proto, false }, { "tclass", b_tclass, true },
	{ "flow label", b_flow, true }, { "hop limit", b_hoplimit, true },
	{ "ext header", b_nexthdr, true },
};

static void test_every_rule_breaks(void **state)
{
	struct nd_gro_out o;

	(void)state;
	for (size_t b = 0; b < sizeof(breakers) / sizeof(breakers[0]); b++) {
		train(&T, breakers[b].v6, true, 3, 1000, 1000);
		assert_int_equal(nd_gro_merge(T.in, T.n, &o), 3);
		breakers[b].fn(&T);
		fix_csums(&T, 1);       /* only the rule breaks, never a checksum */
		if (nd_gro_merge(T.in, T.n, &o) != 1)
			fail_msg("%s: merged", breakers[b].what);
	}
}

static void test_bad_checksums_break(void **state)
{
	struct nd_gro_out o;

	(void)state;
	train(&T, false, false, 3, 1000, 1000);
	T.buf[1][100] ^= 0x40;          /* payload corrupt */
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	train(&T, false, false, 3, 1000, 1000);
	T.buf[0][100] ^= 0x40;          /* the first too */
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	train(&T, false, false, 3, 1000, 1000);
	T.buf[2][24] ^= 1;              /* IP header checksum */
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 2);
	train(&T, true, false, 3, 1000, 1000);
	T.buf[2][T.in[2].len - 1] ^= 1; /* v6: the last byte */
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 2);
}

static void test_odd_frames_stay_alone(void **state)
{
	struct nd_gro_out o;

	(void)state;
	/* Ethernet padding: the IP length is shorter than the frame. */
	train(&T, false, false, 3, 1000, 1000);
	T.in[0].len++;
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	/* IP options. */
	train(&T, false, false, 3, 1000, 1000);
	T.buf[0][14] = 0x46;
	fix_csums(&T, 0);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	/* A VLAN tag. */
	train(&T, false, false, 3, 1000, 1000);
	T.buf[0][12] = 0x81;
	T.buf[0][13] = 0x00;
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	/* A pure ACK, then data. */
	train(&T, false, false, 3, 1000, 1000);
	seg(&T, 0, 0, 1000);
	assert_int_equal(nd_gro_merge(T.in, T.n, &o), 1);
	/* Nothing, and one frame. */
	assert_int_equal(nd_gro_merge(T.in, 0, &o), 0);
	assert_int_equal(nd_gro_merge(T.in, 1, &o), 1);
	/* Runts never read past their end. */
	T.in[0].len = 20;
	assert_int_equal(nd_gro_merge(T.in, 2, &o), 1);
}

static void test_dp_csum_add_matches_reference(void **state)
{
	uint8_t d[1600];

	(void)state;
	for (unsigned i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 131 + 17);
	/* Machine order: equal to the reference after the fold and a swap
	 * to network order. */
	for (unsigned n = 0; n < 200; n++) {
		uint64_t s = dp_csum_add(d, n, 0);

		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		assert_int_equal(ntohs((uint16_t)s), ref_fold(ref_sum(d, n, 0)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_train_merges),
		cmocka_unit_test(test_v6_train_merges),
		cmocka_unit_test(test_short_segment_ends_train),
		cmocka_unit_test(test_longer_segment_breaks),
		cmocka_unit_test(test_psh_first_and_after_last),
		cmocka_unit_test(test_64k_limit),
		cmocka_unit_test(test_fixed_id_with_df),
		cmocka_unit_test(test_partial_csum_segments),
		cmocka_unit_test(test_every_rule_breaks),
		cmocka_unit_test(test_bad_checksums_break),
		cmocka_unit_test(test_odd_frames_stay_alone),
		cmocka_unit_test(test_dp_csum_add_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
