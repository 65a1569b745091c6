/*
 * test_ct.c - connection tracking without a datapath: TCP's states from
 * handshake to TIME_WAIT, RST, reopening; UDP replies and its stream
 * timeout; ICMP echo and related errors (v4 and v6); zones; marks; commit
 * of a packet tracked earlier in its walk; timeouts on an injected clock;
 * the maximum; fragments, VLANs and non-IP frames.
 */
#define _LGPL_SOURCE
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include "../../src/ct/ct.h"

#define TRK CT_STATE_TRK
#define NEW CT_STATE_NEW
#define EST CT_STATE_EST
#define REL CT_STATE_REL
#define RPL CT_STATE_RPL
#define INV CT_STATE_INV

enum { SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04 };

/* A frame under construction. */
struct frame {
	uint8_t b[256];
	uint32_t len;
};

/* Addresses: A is 10.0.0.1 / fd00::1, B is 10.0.0.2 / fd00::2, R (a router)
 * is 10.0.0.254 / fd00::fe. */
static void addr(int v6, char who, uint8_t *out)
{
	uint8_t last = who == 'A' ? 1 : who == 'B' ? 2 : 254;

	if (v6) {
		memset(out, 0, 16);
		out[0] = 0xfd;
		out[15] = last;
	} else {
		out[0] = 10, out[1] = 0, out[2] = 0, out[3] = last;
	}
}

/* Ethernet + IP header; returns the L4 offset. */
static uint32_t ip_hdr(struct frame *f, int v6, char src, char dst, uint8_t proto, uint32_t off)
{
	uint8_t *p = f->b + off;

	if (off == 0) {
		memset(f->b, 0, sizeof(f->b));
		memset(p, 0x02, 12);
		p[12] = v6 ? 0x86 : 0x08;
		p[13] = v6 ? 0xdd : 0x00;
		off = 14;
		p = f->b + off;
	}
	if (v6) {
		p[0] = 0x60;
		p[6] = proto;
		p[7] = 64;
		addr(1, src, p + 8);
		addr(1, dst, p + 24);
		return off + 40;
	}
	p[0] = 0x45;
	p[8] = 64;
	p[9] = proto;
	addr(0, src, p + 12);
	addr(0, dst, p + 16);
	return off + 20;
}

static struct frame tcp(int v6, char src, char dst, uint16_t sp, uint16_t dp, uint8_t flags)
{
	struct frame f;
	uint32_t l4 = ip_hdr(&f, v6, src, dst, 6, 0);

	f.b[l4] = (uint8_t)(sp >> 8), f.b[l4 + 1] = (uint8_t)sp;
	f.b[l4 + 2] = (uint8_t)(dp >> 8), f.b[l4 + 3] = (uint8_t)dp;
	f.b[l4 + 12] = 0x50;
	f.b[l4 + 13] = flags;
	f.len = l4 + 20;
	return f;
}

static struct frame udp(int v6, char src, char dst, uint16_t sp, uint16_t dp)
{
	struct frame f;
	uint32_t l4 = ip_hdr(&f, v6, src, dst, 17, 0);

	f.b[l4] = (uint8_t)(sp >> 8), f.b[l4 + 1] = (uint8_t)sp;
	f.b[l4 + 2] = (uint8_t)(dp >> 8), f.b[l4 + 3] = (uint8_t)dp;
	f.len = l4 + 8 + 10;
	return f;
}

static struct frame icmp(int v6, char src, char dst, uint8_t type, uint16_t id)
{
	struct frame f;
	uint32_t l4 = ip_hdr(&f, v6, src, dst, v6 ? 58 : 1, 0);

	f.b[l4] = type;
	f.b[l4 + 4] = (uint8_t)(id >> 8), f.b[l4 + 5] = (uint8_t)id;
	f.len = l4 + 8 + 16;
	return f;
}

/* An ICMP error from src to dst about the packet inner (its IP header on). */
static struct frame icmp_error(int v6, char src, char dst, uint8_t type, const struct frame *inner)
{
	struct frame f;
	uint32_t l4 = ip_hdr(&f, v6, src, dst, v6 ? 58 : 1, 0);
	uint32_t n = (v6 ? 40 : 20) + 8;

	f.b[l4] = type;
	memcpy(f.b + l4 + 8, inner->b + 14, n);
	f.len = l4 + 8 + n;
	return f;
}

static struct ct_table *T;
static uint64_t now;

static int setup(void **state)
{
	(void)state;
	T = ct_create(0, 1);
	now = 1000000;
	return T ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ct_destroy(T);
	return 0;
}

/* One ct action on a fresh packet; the datapath's read-side section. */
static uint8_t run_meta(const struct frame *f, uint16_t zone, uint8_t flags, uint32_t mark,
			uint32_t mask, struct ct_meta *m)
{
	struct ct_args a = { .zone = zone, .flags = flags, .mark = mark, .mark_mask = mask };
	uint8_t s;

	rcu_thread_online();
	s = ct_exec(T, 0, f->b, f->len, &a, now, m);
	rcu_thread_offline();
	return s;
}

static uint8_t run(const struct frame *f, uint16_t zone, uint8_t flags)
{
	struct ct_meta m = { 0 };

	return run_meta(f, zone, flags, 0, 0, &m);
}

/* The one connection's info (the test's table holds one unless said). */
static void grab(const struct ct_info *c, void *arg)
{
	*(struct ct_info *)arg = *c;
}

static struct ct_info only(void)
{
	struct ct_info c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(ct_foreach(T, now, grab, &c), 1);
	return c;
}

static uint64_t entries(void)
{
	struct ct_stats s;

	ct_stats(T, &s);
	return s.entries;
}

static void test_tcp_handshake_and_teardown(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		struct frame f;

		f = tcp(v6, 'A', 'B', 40000, 80, SYN);
		assert_int_equal(run(&f, 0, 0), TRK | NEW);     /* not committed */
		assert_int_equal(entries(), 0);
		assert_int_equal(run(&f, 0, CT_COMMIT), TRK | NEW);
		assert_int_equal(only().tcp_state, CT_TCP_SYN_SENT);
		assert_int_equal(only().timeout_ms, 120000);
		assert_false(only().seen_reply);
		assert_int_equal(run(&f, 0, 0), TRK | NEW);     /* a retransmitted SYN */
		f = tcp(v6, 'B', 'A', 80, 40000, SYN | ACK);
		assert_int_equal(run(&f, 0, 0), TRK | EST | RPL);
		assert_int_equal(only().tcp_state, CT_TCP_SYN_RECV);
		assert_int_equal(only().timeout_ms, 60000);
		f = tcp(v6, 'A', 'B', 40000, 80, ACK);
		assert_int_equal(run(&f, 0, 0), TRK | EST);
		assert_int_equal(only().tcp_state, CT_TCP_ESTABLISHED);
		assert_int_equal(only().timeout_ms, 5ull * 24 * 3600 * 1000);
		assert_true(only().assured);
		/* Active close by A. */
		f = tcp(v6, 'A', 'B', 40000, 80, FIN | ACK);
		assert_int_equal(run(&f, 0, 0), TRK | EST);
		assert_int_equal(only().tcp_state, CT_TCP_FIN_WAIT);
		f = tcp(v6, 'B', 'A', 80, 40000, ACK);
		assert_int_equal(run(&f, 0, 0), TRK | EST | RPL);
		assert_int_equal(only().tcp_state, CT_TCP_CLOSE_WAIT);
		assert_int_equal(only().timeout_ms, 60000);
		f = tcp(v6, 'B', 'A', 80, 40000, FIN | ACK);
		assert_int_equal(run(&f, 0, 0), TRK | EST | RPL);
		assert_int_equal(only().tcp_state, CT_TCP_LAST_ACK);
		assert_int_equal(only().timeout_ms, 30000);
		f = tcp(v6, 'A', 'B', 40000, 80, ACK);
		assert_int_equal(run(&f, 0, 0), TRK | EST);
		assert_int_equal(only().tcp_state, CT_TCP_TIME_WAIT);
		assert_int_equal(only().timeout_ms, 120000);
		assert_int_equal(only().packets[0], 5);
		assert_int_equal(only().packets[1], 3);
		/* TIME_WAIT lasts 120 s. */
		assert_int_equal(ct_age(T, now + 119999), 0);
		assert_int_equal(ct_age(T, now + 120000), 1);
		assert_int_equal(entries(), 0);
	}
}

static void test_tcp_rst_and_reopen(void **state)
{
	struct frame syn = tcp(0, 'A', 'B', 40001, 22, SYN), f;

	(void)state;
	assert_int_equal(run(&syn, 3, CT_COMMIT), TRK | NEW);
	/* Connection refused: RST from B closes it for 10 s. */
	f = tcp(0, 'B', 'A', 22, 40001, RST | ACK);
	assert_int_equal(run(&f, 3, 0), TRK | EST | RPL);
	assert_int_equal(only().tcp_state, CT_TCP_CLOSE);
	assert_int_equal(only().timeout_ms, 10000);
	/* Data after the RST is out of state. */
	f = tcp(0, 'A', 'B', 40001, 22, FIN | ACK);
	assert_int_equal(run(&f, 3, 0), TRK | EST);     /* CLOSE stays CLOSE */
	f = tcp(0, 'A', 'B', 40001, 22, 0);
	assert_int_equal(run(&f, 3, 0), TRK | INV);     /* no flags at all */
	/* A new SYN on the closed connection reopens it: +new again. */
	assert_int_equal(run(&syn, 3, 0), TRK | NEW);
	assert_int_equal(entries(), 0);
	assert_int_equal(run(&syn, 3, CT_COMMIT), TRK | NEW);
	assert_int_equal(only().tcp_state, CT_TCP_SYN_SENT);
	/* RST from the original side in SYN_SENT, then age the CLOSE out. */
	f = tcp(0, 'A', 'B', 40001, 22, RST);
	run(&f, 3, 0);
	assert_int_equal(only().tcp_state, CT_TCP_CLOSE);
	assert_int_equal(ct_age(T, now + 9999), 0);
	assert_int_equal(ct_age(T, now + 10000), 1);
}

static void test_tcp_out_of_state(void **state)
{
	struct frame f;
	struct ct_stats s;

	(void)state;
	/* Segments that cannot start a connection are +inv, committed or not. */
	f = tcp(0, 'B', 'A', 80, 40000, SYN | ACK);
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | INV);
	f = tcp(0, 'B', 'A', 80, 40000, FIN);
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | INV);
	f = tcp(0, 'B', 'A', 80, 40000, RST);
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | INV);
	assert_int_equal(entries(), 0);
	/* A bare ACK is picked up mid-stream (nf_conntrack_tcp_loose=1):
	 * +new, and its commit is an ESTABLISHED connection. */
	f = tcp(0, 'A', 'B', 40000, 80, ACK);
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | NEW);
	assert_int_equal(only().tcp_state, CT_TCP_ESTABLISHED);
	f = tcp(0, 'B', 'A', 80, 40000, ACK);
	assert_int_equal(run(&f, 0, 0), TRK | EST | RPL);
	/* A SYN from the reply side of an established connection: invalid. */
	f = tcp(0, 'B', 'A', 80, 40000, SYN);
	assert_int_equal(run(&f, 0, 0), TRK | INV);
	/* A truncated TCP header. */
	f = tcp(0, 'A', 'B', 40000, 80, ACK);
	f.len -= 8;
	assert_int_equal(run(&f, 0, 0), TRK | INV);
	ct_stats(T, &s);
	assert_int_equal(s.invalid, 5);
	assert_int_equal(s.created, 1);
}

static void test_udp_reply_and_stream_timeout(void **state)
{
	struct frame a = udp(0, 'A', 'B', 5353, 53), b = udp(0, 'B', 'A', 53, 5353);

	(void)state;
	assert_int_equal(run(&a, 0, CT_COMMIT), TRK | NEW);
	assert_int_equal(only().timeout_ms, 30000);
	assert_int_equal(run(&a, 0, 0), TRK | NEW);     /* unreplied */
	assert_int_equal(run(&b, 0, 0), TRK | EST | RPL);
	assert_true(only().seen_reply);
	assert_int_equal(only().timeout_ms, 30000);     /* replied, but not 2 s old */
	assert_int_equal(run(&a, 0, 0), TRK | EST);
	now += 2000;
	assert_int_equal(run(&a, 0, 0), TRK | EST);
	assert_int_equal(only().timeout_ms, 120000);    /* a stream */
	assert_true(only().assured);
	/* Expired before aging ran: a packet does not revive it. */
	now += 120000;
	assert_int_equal(run(&b, 0, 0), TRK | NEW);
	assert_int_equal(ct_age(T, now), 1);
	/* Unreplied UDP lives 30 s. */
	assert_int_equal(run(&a, 0, CT_COMMIT), TRK | NEW);
	assert_int_equal(ct_age(T, now + 29999), 0);
	assert_int_equal(ct_age(T, now + 30000), 1);
}

/* Worker 0's own slots: a connection found there is the table's, and one
 * removed from the table (flush, aging, a reopening SYN) is never found
 * there again, though its slot pointed at it. */
static void test_worker_cache_forgets_killed_connections(void **state)
{
	struct frame a = udp(0, 'A', 'B', 5353, 53), b = udp(0, 'B', 'A', 53, 5353);
	struct ct_stats st;

	(void)state;
	assert_int_equal(run(&a, 7, CT_COMMIT), TRK | NEW);
	assert_int_equal(run(&b, 7, 0), TRK | EST | RPL);       /* table, then slot */
	assert_int_equal(run(&b, 7, 0), TRK | EST | RPL);       /* the slot */
	assert_int_equal(run(&a, 7, 0), TRK | EST);
	assert_int_equal(ct_flush(T, 7), 1);
	assert_int_equal(run(&b, 7, 0), TRK | NEW);             /* gone from the slot too */
	assert_int_equal(run(&a, 7, 0), TRK | NEW);
	/* A new connection with the same tuple is found, not the old one's
	 * state. */
	assert_int_equal(run(&a, 7, CT_COMMIT), TRK | NEW);
	assert_int_equal(run(&a, 7, 0), TRK | NEW);             /* unreplied again */
	assert_int_equal(only().packets[0], 2);
	now += 31000;
	assert_int_equal(ct_age(T, now), 1);
	assert_int_equal(run(&a, 7, 0), TRK | NEW);
	ct_stats(T, &st);
	assert_int_equal(st.entries, 0);
}

static void test_icmp_echo(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		uint8_t req = v6 ? 128 : 8, rep = v6 ? 129 : 0;
		struct frame q = icmp(v6, 'A', 'B', req, 77), r = icmp(v6, 'B', 'A', rep, 77);
		struct frame other = icmp(v6, 'B', 'A', rep, 78);
		struct ct_info c;

		/* A reply without a request cannot start anything. */
		assert_int_equal(run(&r, 0, CT_COMMIT), TRK | INV);
		assert_int_equal(run(&q, 0, CT_COMMIT), TRK | NEW);
		assert_int_equal(run(&r, 0, 0), TRK | EST | RPL);
		assert_int_equal(run(&other, 0, 0), TRK | INV);  /* another id */
		c = only();
		assert_int_equal(c.orig.sport, 77);
		assert_int_equal(c.orig.dport, req << 8);
		assert_int_equal(c.reply.dport, rep << 8);
		assert_int_equal(c.timeout_ms, 30000);
		/* B's own request with the same id is another connection. */
		q = icmp(v6, 'B', 'A', req, 77);
		assert_int_equal(run(&q, 0, 0), TRK | NEW);
		assert_int_equal(ct_age(T, now + 30000), 1);
	}
}

static void test_icmp_errors_related(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		struct frame out = udp(v6, 'A', 'B', 1234, 9999), back = tcp(v6, 'B', 'A', 9, 9, SYN);
		struct frame err, unknown;
		struct ct_meta m = { 0 };
		uint8_t unreach = v6 ? 1 : 3, ttl = v6 ? 3 : 11;

		assert_int_equal(run(&out, 7, CT_COMMIT), TRK | NEW);
		/* B's port unreachable about A's datagram travels the reply way. */
		err = icmp_error(v6, 'B', 'A', unreach, &out);
		assert_int_equal(run_meta(&err, 7, 0, 0, 0, &m), TRK | REL | RPL);
		assert_non_null(m.entry);
		/* A router's time exceeded to A: related too. */
		err = icmp_error(v6, 'R', 'A', ttl, &out);
		assert_int_equal(run(&err, 7, 0), TRK | REL | RPL);
		/* An error about a packet of B's that A's side never saw: an error
		 * travelling the original way about the reply direction. */
		{
			struct frame rep = udp(v6, 'B', 'A', 9999, 1234);

			err = icmp_error(v6, 'A', 'B', unreach, &rep);
			assert_int_equal(run(&err, 7, 0), TRK | REL);
		}
		/* Not in this zone, or about nothing tracked: invalid. */
		err = icmp_error(v6, 'B', 'A', unreach, &out);
		assert_int_equal(run(&err, 8, 0), TRK | INV);
		unknown = icmp_error(v6, 'B', 'A', unreach, &back);
		assert_int_equal(run(&unknown, 7, 0), TRK | INV);
		/* Errors do not touch the connection's counters. */
		assert_int_equal(only().packets[0], 1);
		assert_int_equal(only().packets[1], 0);
		assert_int_equal(ct_flush(T, -1), 1);
	}
}

static void test_zones_separate(void **state)
{
	struct frame a = udp(0, 'A', 'B', 1000, 2000), b = udp(0, 'B', 'A', 2000, 1000);

	(void)state;
	assert_int_equal(run(&a, 1, CT_COMMIT), TRK | NEW);
	assert_int_equal(run(&b, 2, 0), TRK | NEW);     /* zone 2 knows nothing */
	assert_int_equal(run(&b, 1, 0), TRK | EST | RPL);
	assert_int_equal(run(&a, 2, CT_COMMIT), TRK | NEW);
	assert_int_equal(entries(), 2);
	assert_int_equal(ct_flush(T, 2), 1);
	assert_int_equal(only().orig.zone, 1);
	assert_int_equal(run(&b, 2, 0), TRK | NEW);
}

static void test_mark_and_cached_commit(void **state)
{
	struct frame a = tcp(0, 'A', 'B', 1111, 443, SYN), b = tcp(0, 'B', 'A', 443, 1111, SYN | ACK);
	struct ct_meta m = { 0 };
	struct ct_stats s;

	(void)state;
	/* OVS's chain 0 (`ct zone 5`) then chain 1 (`ct commit zone 5 mark`):
	 * one packet, tracked once, counted once. */
	assert_int_equal(run_meta(&a, 5, 0, 0, 0, &m), TRK | NEW);
	assert_null(m.entry);
	assert_int_equal(run_meta(&a, 5, CT_COMMIT, 0x1234, 0xff, &m), TRK | NEW);
	assert_non_null(m.entry);
	assert_int_equal(m.mark, 0x34);
	assert_int_equal(only().packets[0], 1);
	assert_int_equal(only().tcp_state, CT_TCP_SYN_SENT);
	/* The reply carries the mark; a masked commit changes only its bits. */
	memset(&m, 0, sizeof(m));
	assert_int_equal(run_meta(&b, 5, 0, 0, 0, &m), TRK | EST | RPL);
	assert_int_equal(m.mark, 0x34);
	assert_int_equal(run_meta(&b, 5, CT_COMMIT, 0x500, 0xf00, &m), TRK | EST | RPL);
	assert_int_equal(m.mark, 0x534);
	assert_int_equal(only().mark, 0x534);
	/* A mark without commit is not applied (act_ct). */
	memset(&m, 0, sizeof(m));
	assert_int_equal(run_meta(&b, 5, 0, 0, 0xffffffff, &m), TRK | EST | RPL);
	assert_int_equal(only().mark, 0x534);
	/* Another zone on the same packet is a fresh look-up. */
	assert_int_equal(run_meta(&b, 6, 0, 0, 0, &m), TRK | INV);
	/* ct clear: untracked again. */
	assert_int_equal(run_meta(&b, 6, CT_CLEAR, 0, 0, &m), 0);
	assert_int_equal(m.state, 0);
	assert_int_equal(m.zone, 0);
	ct_stats(T, &s);
	assert_int_equal(s.created, 1);
	/* The datapath keeps state, zone and mark but not the entry: a
	 * cached commit finds (or creates) the connection by looking again. */
	{
		struct frame u = udp(0, 'A', 'B', 7, 8), ur = udp(0, 'B', 'A', 8, 7);

		memset(&m, 0, sizeof(m));
		assert_int_equal(run_meta(&u, 5, 0, 0, 0, &m), TRK | NEW);
		m.entry = NULL;
		assert_int_equal(run_meta(&u, 5, CT_COMMIT, 9, 0xff, &m), TRK | NEW);
		memset(&m, 0, sizeof(m));
		assert_int_equal(run_meta(&ur, 5, 0, 0, 0, &m), TRK | EST | RPL);
		assert_int_equal(m.mark, 9);
		m.entry = NULL;
		assert_int_equal(run_meta(&ur, 5, CT_COMMIT, 0x100, 0x100, &m), TRK | EST | RPL);
		assert_int_equal(m.mark, 0x109);
		ct_stats(T, &s);
		assert_int_equal(s.created, 2);
		assert_int_equal(s.entries, 2);
	}
}

static void test_table_full(void **state)
{
	struct ct_stats s;
	struct frame f;

	(void)state;
	ct_set_max(T, 2);
	for (uint16_t p = 1; p <= 2; p++) {
		f = udp(0, 'A', 'B', p, 53);
		assert_int_equal(run(&f, 0, CT_COMMIT), TRK | NEW);
	}
	f = udp(0, 'A', 'B', 3, 53);
	assert_int_equal(run(&f, 0, 0), TRK | NEW);             /* looking is free */
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | INV);
	f = udp(0, 'B', 'A', 53, 1);
	assert_int_equal(run(&f, 0, 0), TRK | EST | RPL);      /* old ones still work */
	ct_stats(T, &s);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.table_full, 1);
	assert_int_equal(s.invalid, 1);
	assert_int_equal(ct_age(T, now + 30000), 2);
	f = udp(0, 'A', 'B', 3, 53);
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | NEW);
	ct_stats(T, &s);
	assert_int_equal(s.expired, 2);
	assert_int_equal(s.created, 3);
}

static void test_frames_outside_the_model(void **state)
{
	struct frame f = udp(0, 'A', 'B', 1, 2);
	struct frame v = udp(0, 'A', 'B', 1, 2);
	uint8_t arp[42] = { [12] = 0x08, [13] = 0x06 };

	(void)state;
	/* A later IPv4 fragment has no ports: invalid; a first one is fine. */
	f.b[14 + 6] = 0x20;     /* MF, offset 0 */
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | NEW);
	f.b[14 + 7] = 0x10;     /* offset 16 */
	assert_int_equal(run(&f, 0, 0), TRK | INV);
	/* A VLAN-tagged frame is the same connection. */
	memmove(v.b + 16, v.b + 12, v.len - 12);
	v.b[12] = 0x81, v.b[13] = 0x00, v.b[14] = 0x00, v.b[15] = 0x0a;
	v.len += 4;
	assert_int_equal(run(&v, 0, 0), TRK | NEW);
	assert_int_equal(only().packets[0], 2);
	/* ARP is not tracked: the metadata stays clear. */
	{
		struct frame a;

		memcpy(a.b, arp, sizeof(arp));
		a.len = sizeof(arp);
		assert_int_equal(run(&a, 0, CT_COMMIT), 0);
	}
	/* IPv6 neighbour solicitation: untracked, as in the kernel. */
	f = icmp(1, 'A', 'B', 135, 0);
	assert_int_equal(run(&f, 0, CT_COMMIT), 0);
	/* Other protocols by addresses (GRE). */
	f = udp(0, 'A', 'B', 1, 2);
	f.b[14 + 9] = 47;
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | NEW);
	f = udp(0, 'B', 'A', 7, 7);
	f.b[14 + 9] = 47;
	assert_int_equal(run(&f, 0, 0), TRK | EST | RPL);
	assert_int_equal(ct_timeout_ms(47, 0, true, 0), 600000);
	/* Runts. */
	assert_int_equal(run(&(struct frame){ .len = 10 }, 0, CT_COMMIT), 0);
	f = udp(0, 'A', 'B', 1, 2);
	f.len = 14 + 10;
	assert_int_equal(run(&f, 0, CT_COMMIT), TRK | INV);
}

static void test_many_connections_both_directions(void **state)
{
	struct ct_stats s;

	(void)state;
	for (uint32_t i = 0; i < 5000; i++) {
		struct frame f = tcp(i & 1, 'A', 'B', (uint16_t)(i + 1), (uint16_t)(i >> 16 | 80), SYN);

		assert_int_equal(run(&f, (uint16_t)(i % 3), CT_COMMIT), TRK | NEW);
	}
	for (uint32_t i = 0; i < 5000; i++) {
		struct frame f = tcp(i & 1, 'B', 'A', (uint16_t)(i >> 16 | 80), (uint16_t)(i + 1),
				     SYN | ACK);

		assert_int_equal(run(&f, (uint16_t)(i % 3), 0), TRK | EST | RPL);
	}
	ct_stats(T, &s);
	assert_int_equal(s.entries, 5000);
	assert_int_equal(s.found, 5000);
	assert_int_equal(ct_flush(T, -1), 5000);
	assert_int_equal(entries(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_handshake_and_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_rst_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_out_of_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_reply_and_stream_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_cache_forgets_killed_connections, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_errors_related, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zones_separate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_and_cached_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_outside_the_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_connections_both_directions, setup,
						teardown),
	};
	int rc;

	rcu_register_thread();
	rcu_thread_offline();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
