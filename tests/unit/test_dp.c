/* test_dp.c - the datapath without threads: legacy learning and flooding,
 * switchdev misses, rules and their actions, trust-domain copies, captures,
 * and no buffer left behind. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/dp/dp.h"
#include "../../src/nd/nd.h"

#define SF1 0x8000u
#define SF2 0x8001u

struct sink {
	unsigned n;
	uint16_t len[64];
	uint8_t first[64][32];
	struct pp_pool *pool[64];
};

static void collect(void *ctx, unsigned w, struct dp_pkt *pkts, unsigned n)
{
	struct sink *s = ctx;

	(void)w;
	for (unsigned i = 0; i < n; i++) {
		if (s->n < 64) {
			s->len[s->n] = pkts[i].len;
			memcpy(s->first[s->n], dp_pkt_data(&pkts[i]), 32);
			s->pool[s->n] = pkts[i].pool;
			s->n++;
		}
		dp_pkt_free(&pkts[i]);
	}
}

static uint8_t frame[64];

static void mkframe(const char *dst, const char *src, uint16_t type)
{
	memset(frame, 0, sizeof(frame));
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = (uint8_t)(type >> 8);
	frame[13] = (uint8_t)type;
}

static void send1(struct dp *dp, uint32_t vport, bool rep)
{
	const uint8_t *f[1] = { frame };
	uint16_t l[1] = { sizeof(frame) };

	assert_int_equal(dp_inject(dp, vport, rep, f, l, 1), 1);
	assert_int_equal(dp_poll_once(dp, 0), 1);
}

static uint64_t drops(struct dp *dp, uint32_t vport, bool rep, enum dp_drop why)
{
	struct dp_qstats st;
	struct pp_stats ps;
	bool has;

	assert_int_equal(dp_queue_stats(dp, vport, rep, 0, &st, &ps, &has), 0);
	return st.drops[why];
}

static struct dp *mk(void)
{
	char err[128] = "";
	struct dp *dp = dp_create(&(struct dp_config){ .workers = 1, .sf_buffers = 256,
						       .host_buffers = 1024 }, err, sizeof(err));
	assert_non_null(dp);
	return dp;
}

static void test_legacy_learning(void **state)
{
	struct dp *dp = mk();
	struct sink up = { 0 }, pf = { 0 };

	(void)state;
	assert_int_equal(dp_port_set_xmit(dp, DP_VPORT_UPLINK, false, collect, &up), 0);
	assert_int_equal(dp_port_set_xmit(dp, DP_VPORT_PF, false, collect, &pf), 0);
	/* Unknown destination: flooded to the PF. */
	mkframe("\x02\0\0\0\0\x02", "\x02\0\0\0\0\x01", 0x0800);
	send1(dp, DP_VPORT_UPLINK, false);
	assert_int_equal(pf.n, 1);
	/* The reply is now unicast to the learned uplink MAC. */
	mkframe("\x02\0\0\0\0\x01", "\x02\0\0\0\0\x02", 0x0800);
	send1(dp, DP_VPORT_PF, false);
	assert_int_equal(up.n, 1);
	assert_int_equal(esw_fdb_lookup(dp_fdb(dp), (const uint8_t *)"\x02\0\0\0\0\x02"), DP_VPORT_PF);
	/* A frame for a MAC on its own port is not sent back. */
	mkframe("\x02\0\0\0\0\x01", "\x02\0\0\0\0\x03", 0x0800);
	send1(dp, DP_VPORT_UPLINK, false);
	assert_int_equal(drops(dp, DP_VPORT_UPLINK, false, DP_DROP_LOOP), 1);
	assert_int_equal(dp_inflight(dp), 0);
	dp_destroy(dp);
}

static struct esw_rule_spec redirect(uint32_t dev, uint32_t to, uint32_t prio)
{
	struct esw_rule_spec s = { .dev = dev, .prio = prio, .handle = 1, .nact = 1 };

	s.act[0] = (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN, .arg = to };
	return s;
}

static void test_switchdev_miss_rules_domains(void **state)
{
	struct dp *dp = mk();
	struct sink sf1 = { 0 }, rep = { 0 }, cap = { 0 };
	struct esw_rule_spec s;
	uint64_t pk, by, lu;

	(void)state;
	dp_set_switchdev(dp, true);
	assert_int_equal(dp_port_add(dp, SF1), 0);
	assert_int_equal(dp_port_add(dp, SF2), 0);
	assert_int_equal(dp_port_set_xmit(dp, SF1, false, collect, &sf1), 0);
	mkframe("\x02\0\0\0\0\x02", "\x02\0\0\0\0\x01", 0x0800);
	/* No rule, nothing on the representor: dropped and counted there. */
	send1(dp, DP_VPORT_UPLINK, false);
	assert_int_equal(drops(dp, DP_VPORT_UPLINK, true, DP_DROP_NO_CONSUMER), 1);
	assert_int_equal(sf1.n, 0);
	/* With a consumer on the representor: the slow path. */
	assert_int_equal(dp_port_set_xmit(dp, DP_VPORT_UPLINK, true, collect, &rep), 0);
	send1(dp, DP_VPORT_UPLINK, false);
	assert_int_equal(rep.n, 1);
	/* A redirect rule: into SF1, copied into SF1's own memory. */
	s = redirect(DP_VPORT_UPLINK, SF1, 10);
	assert_int_equal(dp_rule_add(dp, &s), 0);
	send1(dp, DP_VPORT_UPLINK, false);
	assert_int_equal(sf1.n, 1);
	assert_memory_equal(sf1.first[0], frame, 14);
	/* The packet left the host domain: a different pool than the rep got. */
	assert_ptr_not_equal(sf1.pool[0], rep.pool[0]);
	esw_rule_counters(dp_rule_find(dp, DP_VPORT_UPLINK, 0, 10, 1), &pk, &by, &lu);
	assert_int_equal(pk, 1);
	assert_int_equal(by, 64);
	/* SF1 to SF2: nothing flows between SFs without a rule (SF2 has no
	 * consumer, and SF1's representor has none either). */
	send1(dp, SF1, false);
	assert_int_equal(drops(dp, SF1, true, DP_DROP_NO_CONSUMER), 1);
	/* Sent into SF1's representor: leaves through SF1. */
	send1(dp, SF1, true);
	assert_int_equal(sf1.n, 2);
	/* vlan push + mirror to the uplink rep's consumer, then drop. */
	struct dp_ring *r = dp_ring_create(1, 64);
	assert_int_equal(dp_port_set_capture(dp, SF1, false, r), 0);
	s = (struct esw_rule_spec){ .dev = DP_VPORT_UPLINK, .prio = 5, .handle = 7, .nact = 3 };
	s.mask.eth_type = 0xffff;
	s.key.eth_type = 0x0806;
	s.act[0] = (struct esw_action){ .type = ESW_ACT_VLAN_PUSH, .vlan_id = 100 };
	s.act[1] = (struct esw_action){ .type = ESW_ACT_MIRROR, .arg = SF1 };
	s.act[2] = (struct esw_action){ .type = ESW_ACT_DROP, .ctl = ESW_CTL_DROP };
	assert_int_equal(dp_rule_add(dp, &s), 0);
	assert_int_equal(dp_rule_add(dp, &s), -EEXIST);
	mkframe("\xff\xff\xff\xff\xff\xff", "\x02\0\0\0\0\x01", 0x0806);
	send1(dp, DP_VPORT_UPLINK, false);
	assert_int_equal(sf1.n, 3);
	assert_int_equal(sf1.len[2], 68);
	assert_int_equal(sf1.first[2][12], 0x81);
	assert_int_equal(sf1.first[2][15], 100);
	assert_int_equal(drops(dp, DP_VPORT_UPLINK, false, DP_DROP_RULE), 1);
	(void)cap;
	assert_int_equal(dp_port_set_capture(dp, SF1, false, NULL), 0);
	assert_true(dp_ring_dropped(r) == 0);
	dp_ring_destroy(r);
	/* Deleting the redirect rule: back to the slow path. */
	assert_int_equal(dp_rule_del(dp, DP_VPORT_UPLINK, 0, 10, 1), 0);
	mkframe("\x02\0\0\0\0\x02", "\x02\0\0\0\0\x01", 0x0800);
	send1(dp, DP_VPORT_UPLINK, false);
	assert_int_equal(sf1.n, 3);
	assert_int_equal(rep.n, 2);
	assert_int_equal(dp_inflight(dp), 0);
	dp_port_del(dp, SF1);
	assert_int_equal(dp_inflight(dp), 0);
	dp_destroy(dp);
}

static void test_goto_loop_and_runt(void **state)
{
	struct dp *dp = mk();
	struct esw_rule_spec s = { .dev = DP_VPORT_UPLINK, .prio = 1, .handle = 1, .nact = 1 };

	(void)state;
	dp_set_switchdev(dp, true);
	s.act[0] = (struct esw_action){ .type = ESW_ACT_GOTO, .ctl = ESW_CTL_GOTO, .ctl_chain = 0 };  /* chain 0 -> 0 */
	assert_int_equal(dp_rule_add(dp, &s), 0);
	mkframe("\x02\0\0\0\0\x02", "\x02\0\0\0\0\x01", 0x0800);
	send1(dp, DP_VPORT_UPLINK, false);
	assert_int_equal(drops(dp, DP_VPORT_UPLINK, false, DP_DROP_LOOP), 1);
	const uint8_t *f[1] = { frame };
	uint16_t l[1] = { 10 };
	assert_int_equal(dp_inject(dp, DP_VPORT_UPLINK, false, f, l, 1), 1);
	dp_poll_once(dp, 0);
	assert_int_equal(drops(dp, DP_VPORT_UPLINK, false, DP_DROP_RUNT), 1);
	assert_int_equal(dp_inflight(dp), 0);
	dp_destroy(dp);
}

/* A TAP backend as an SF's host side (a datagram socketpair stands in for
 * the TAP: one frame per read and write): what the SF sends enters the
 * eswitch, what leaves through the SF is written to it. */
static void test_fd_port(void **state)
{
	struct dp *dp = mk();
	struct sink rep = { 0 };
	int sv[2];
	uint8_t got[256];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	struct nd_tap *tap = nd_tap_wrap(sv[0], "test0", false);

	assert_non_null(tap);
	dp_set_switchdev(dp, true);
	assert_int_equal(dp_port_add(dp, SF1), 0);
	assert_int_equal(dp_port_set_backend(dp, SF1, false, nd_tap_backend(tap, 0), nd_tap_ctx(tap, 0)), 0);
	assert_int_equal(dp_port_set_backend(dp, SF1, false, nd_tap_backend(tap, 0), nd_tap_ctx(tap, 0)), -EBUSY);
	assert_int_equal(dp_port_set_xmit(dp, SF1, true, collect, &rep), 0);
	/* The SF transmits: a miss, so its representor receives it. */
	mkframe("\x02\0\0\0\0\x09", "\x02\0\0\0\0\x01", 0x0800);
	assert_int_equal(write(sv[1], frame, sizeof(frame)), sizeof(frame));
	assert_int_equal(write(sv[1], frame, 10), 10);          /* a runt */
	assert_int_equal(dp_poll_once(dp, 0), 2);
	assert_int_equal(rep.n, 1);
	assert_memory_equal(rep.first[0], frame, 32);
	assert_int_equal(drops(dp, SF1, false, DP_DROP_RUNT), 1);
	/* Sent into the representor: leaves through the SF into the fd. */
	frame[0] = 0x42;
	send1(dp, SF1, true);
	assert_int_equal(read(sv[1], got, sizeof(got)), sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	/* Detached, the SF has no consumer again. */
	assert_int_equal(dp_port_set_backend(dp, SF1, false, NULL, NULL), 0);
	send1(dp, SF1, true);
	assert_int_equal(drops(dp, SF1, false, DP_DROP_NO_CONSUMER), 1);
	assert_int_equal(read(sv[1], got, sizeof(got)), -1);
	dp_port_set_xmit(dp, SF1, true, NULL, NULL);
	assert_int_equal(dp_inflight(dp), 0);
	dp_destroy(dp);
	nd_tap_destroy(tap);
	close(sv[1]);
}

/* Frames kept whole for checking. */
struct whole {
	unsigned n;
	uint16_t len[64];
	uint8_t data[64][2048];
};

static void keep_whole(void *ctx, unsigned w, struct dp_pkt *pkts, unsigned n)
{
	struct whole *s = ctx;

	(void)w;
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(pkts[i].ol.gso_type, 0);
		assert_int_equal(pkts[i].ol.flags, 0);
		if (s->n < 64 && pkts[i].len <= 2048) {
			s->len[s->n] = pkts[i].len;
			memcpy(s->data[s->n++], dp_pkt_data(&pkts[i]), pkts[i].len);
		}
		dp_pkt_free(&pkts[i]);
	}
}

static uint16_t csum_ok(const uint8_t *d, size_t n, uint32_t s)
{
	for (; n > 1; n -= 2, d += 2)
		s += (uint32_t)d[0] << 8 | d[1];
	if (n)
		s += (uint32_t)d[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A 512-byte TCP/IPv4 super-frame from a TAP with vnet headers, redirected
 * to a port that takes only complete frames: six segments of at most 100
 * bytes, consecutive sequence numbers, valid IP and TCP checksums, PSH on
 * the last one only. */
static void test_gso_segmentation(void **state)
{
	char err[128] = "";
	struct dp *dp = dp_create(&(struct dp_config){ .workers = 1, .sf_buffers = 64,
						       .host_buffers = 64, .gso = true },
				  err, sizeof(err));
	struct whole *up = calloc(1, sizeof(*up));
	struct esw_rule_spec s = redirect(SF1, DP_VPORT_UPLINK, 1);
	uint8_t rec[10 + 14 + 40 + 512] = { 0 }, *f = rec + 10, *ip = f + 14, *tcp = ip + 20;
	int sv[2];

	(void)state;
	assert_non_null(dp);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	struct nd_tap *tap = nd_tap_wrap(sv[0], "gso0", true);

	dp_set_switchdev(dp, true);
	assert_int_equal(dp_port_add(dp, SF1), 0);
	assert_int_equal(dp_port_set_backend(dp, SF1, false, nd_tap_backend(tap, 0), nd_tap_ctx(tap, 0)), 0);
	assert_int_equal(dp_port_set_xmit(dp, DP_VPORT_UPLINK, false, keep_whole, up), 0);
	assert_int_equal(dp_rule_add(dp, &s), 0);
	/* virtio_net_hdr: NEEDS_CSUM, TCPV4, hdr_len 54, gso_size 100, csum at 34+16 */
	rec[0] = 1; rec[1] = 1; rec[2] = 54; rec[4] = 100; rec[6] = 34; rec[8] = 16;
	memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	ip[0] = 0x45; ip[2] = (40 + 512) >> 8; ip[3] = (40 + 512) & 0xff; ip[8] = 64; ip[9] = 6;
	memcpy(ip + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
	tcp[0] = 0x03; tcp[1] = 0xe8; tcp[3] = 80; tcp[7] = 1; tcp[12] = 0x50; tcp[13] = 0x18;
	for (int i = 0; i < 512; i++)
		tcp[20 + i] = (uint8_t)i;
	assert_int_equal(write(sv[1], rec, sizeof(rec)), (ssize_t)sizeof(rec));
	assert_int_equal(dp_poll_once(dp, 0), 1);
	assert_int_equal(up->n, 6);
	for (unsigned i = 0; i < up->n; i++) {
		const uint8_t *d = up->data[i], *sip = d + 14, *st = sip + 20;
		unsigned chunk = i < 5 ? 100 : 12, tl = 20 + chunk;
		uint32_t ph = 6 + tl;

		assert_int_equal(up->len[i], 14 + 40 + chunk);
		assert_int_equal(csum_ok(sip, 20, 0), 0xffff);
		assert_int_equal((st[4] << 24 | st[5] << 16 | st[6] << 8 | st[7]), 1 + 100 * i);
		assert_int_equal(!!(st[13] & 0x08), i == 5);    /* PSH */
		ph = csum_ok(sip + 12, 8, ph);
		assert_int_equal(csum_ok(st, tl, ph), 0xffff);
		assert_int_equal(st[20], (uint8_t)(100 * i));
	}
	/* A 3000-byte frame without GSO cannot enter p0's 2 KiB buffers:
	 * an mtu drop, not a lack of buffers. */
	uint8_t *big = calloc(1, 10 + 3000);

	memcpy(big + 10, f, 14);
	assert_int_equal(write(sv[1], big, 10 + 3000), 10 + 3000);
	assert_int_equal(dp_poll_once(dp, 0), 1);
	assert_int_equal(drops(dp, DP_VPORT_UPLINK, false, DP_DROP_MTU), 1);
	free(big);
	/* Nobody consumes p0 now: the super-frame is dropped once, whole,
	 * without being cut into segments first. */
	dp_port_set_xmit(dp, DP_VPORT_UPLINK, false, NULL, NULL);
	assert_int_equal(write(sv[1], rec, sizeof(rec)), (ssize_t)sizeof(rec));
	assert_int_equal(dp_poll_once(dp, 0), 1);
	assert_int_equal(drops(dp, DP_VPORT_UPLINK, false, DP_DROP_NO_CONSUMER), 1);
	assert_int_equal(up->n, 6);
	dp_rule_del(dp, SF1, 0, 1, 1);
	dp_port_set_backend(dp, SF1, false, NULL, NULL);
	assert_int_equal(dp_inflight(dp), 0);
	dp_destroy(dp);
	nd_tap_destroy(tap);
	close(sv[1]);
	free(up);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy_learning),
		cmocka_unit_test(test_switchdev_miss_rules_domains),
		cmocka_unit_test(test_goto_loop_and_runt),
		cmocka_unit_test(test_fd_port),
		cmocka_unit_test(test_gso_segmentation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
