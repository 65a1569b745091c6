/*
 * test_sched.c - devlink rate: the unit grammar (iproute2's get_rate64 and
 * print_rate, byte for byte) and the shaper's arithmetic on a simulated
 * clock: caps, shares under contention, strict priority, weights, a node's
 * cap over its children, debt after a burst, the wake-up time, unlimited
 * objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../src/sched/sched.h"

/* ---- units ---- */

static uint64_t parse_ok(const char *s)
{
	uint64_t v = 0;

	if (sched_rate_parse(s, &v))
		fail_msg("\"%s\" refused", s);
	return v;
}

static void test_parse_units(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("100"), 12);          /* bit/s, truncated */
	assert_int_equal(parse_ok("8bit"), 1);
	assert_int_equal(parse_ok("12mbit"), 1500000);
	assert_int_equal(parse_ok("12MBIT"), 1500000);
	assert_int_equal(parse_ok("1.5Gbit"), 187500000);
	assert_int_equal(parse_ok("1kibit"), 128);
	assert_int_equal(parse_ok("1Mibit"), 131072);
	assert_int_equal(parse_ok("1gibit"), 134217728);
	assert_int_equal(parse_ok("1tbit"), 125000000000ull);
	assert_int_equal(parse_ok("1tibit"), 137438953472ull);
	assert_int_equal(parse_ok("5bps"), 5);
	assert_int_equal(parse_ok("2KBps"), 2000);
	assert_int_equal(parse_ok("1kibps"), 1024);
	assert_int_equal(parse_ok("1MBps"), 1000000);
	assert_int_equal(parse_ok("1mibps"), 1048576);
	assert_int_equal(parse_ok("1GBps"), 1000000000);
	assert_int_equal(parse_ok("1TBps"), 1000000000000ull);
	assert_int_equal(parse_ok("0"), 0);
	assert_int_equal(parse_ok("1e3kbit"), 125000);
	for (const char *bad[] = { "", "mbit", "-1", "+1mbit", "10furlongs", "1 mbit", "1mbitx",
				  "nan", "inf", "1e30tbit", NULL }, **b = bad; *b; b++) {
		uint64_t v;

		if (!sched_rate_parse(*b, &v))
			fail_msg("\"%s\" accepted", *b);
	}
}

static void expect_fmt(uint64_t bytes, bool iec, const char *want)
{
	char buf[64];

	assert_string_equal(sched_rate_format(bytes, iec, buf, sizeof(buf)), want);
}

static void test_format_as_devlink(void **state)
{
	(void)state;
	expect_fmt(1500000, false, "12Mbit");           /* the man page's sample */
	expect_fmt(1500000, true, "11718Kibit");        /* and its -i one */
	expect_fmt(125000000, false, "1Gbit");
	expect_fmt(25000000, false, "200Mbit");
	expect_fmt(12, false, "96bit");                 /* 96 < 1000: bits */
	expect_fmt(125, false, "1Kbit");
	expect_fmt(126, false, "1008bit");              /* not exact, < 10^6 */
	expect_fmt(187500, false, "1500Kbit");          /* 1.5 Mbit: not exact */
	expect_fmt(125000001, false, "1Gbit");  /* >= 10^6: divides, the remainder dropped */
	expect_fmt(128, true, "1Kibit");
	expect_fmt(125000000000ull, false, "1Tbit");
	expect_fmt(125000000000000ull, false, "1000Tbit");      /* no unit above T */
	expect_fmt(0, false, "0bit");
}

/* ---- the shaper on a simulated clock ---- */

#define STEP_NS 20000ull                /* a worker looks every 20 us */
#define FRAME 65226u                    /* a GSO frame of 45 segments */

struct flow {
	int obj;                        /* index in the tree */
	bool on;                        /* sends flat out */
	uint64_t bytes;
};

/* Runs secs of simulated time with one worker visiting every flow each
 * step, as poll_backend does: admit, read up to the frames the budget
 * allows (each FRAME bytes), charge.  Returns nothing; flows count bytes. */
static void run(struct sched_tree *t, struct flow *f, unsigned nf, double secs, uint64_t *clock)
{
	uint64_t end = *clock + (uint64_t)(secs * 1e9);

	for (; *clock < end; *clock += STEP_NS)
		for (unsigned i = 0; i < nf; i++) {
			struct sched_obj *o = sched_tree_obj(t, (unsigned)f[i].obj);
			struct sched_grant g;
			uint64_t wake = 0;
			int64_t budget;
			unsigned n;

			if (!f[i].on)
				continue;
			if (!o) {
				f[i].bytes += 64ull * FRAME;
				continue;
			}
			budget = sched_admit(o, *clock, &g, &wake);
			if (budget <= 0) {
				assert_true(wake > *clock);
				continue;
			}
			n = g.asked = sched_frames(o, budget, 64);
			sched_charge(o, &g, (uint64_t)n * FRAME, n);
			f[i].bytes += (uint64_t)n * FRAME;
		}
}

static double rate_of(const struct flow *f, double secs)
{
	return (double)f->bytes / secs;
}

static void near(double got, double want, double pct, const char *what)
{
	if (got < want * (1 - pct / 100) || got > want * (1 + pct / 100))
		fail_msg("%s: %.0f B/s, expected %.0f ±%.0f%%", what, got, want, pct);
}

#define MBIT(x) ((uint64_t)(x) * 125000u)

static void test_cap_holds(void **state)
{
	struct sched_conf c[] = { { .tx_max = MBIT(200), .parent = SCHED_NO_PARENT } };
	struct sched_tree *t = sched_tree_build(c, 1, 1000);
	struct flow f = { .obj = 0, .on = true };
	uint64_t clock = 1000;

	(void)state;
	run(t, &f, 1, 0.1, &clock);     /* the first burst */
	f.bytes = 0;
	run(t, &f, 1, 2, &clock);
	near(rate_of(&f, 2), MBIT(200), 1, "tx_max 200mbit");
	sched_tree_free(t);
}

static void test_unlimited_is_null(void **state)
{
	struct sched_conf c[] = {
		{ .tx_share = MBIT(10), .tx_priority = 3, .tx_weight = 2, .parent = SCHED_NO_PARENT },
		{ .parent = 0 },
		{ .tx_max = MBIT(1), .parent = SCHED_NO_PARENT },
		{ .parent = 2 },
	};
	struct sched_tree *t = sched_tree_build(c, 4, 0);

	(void)state;
	assert_non_null(t);
	/* Nothing caps the first two: workers must not even ask. */
	assert_null(sched_tree_obj(t, 0));
	assert_null(sched_tree_obj(t, 1));
	assert_non_null(sched_tree_obj(t, 2));
	assert_non_null(sched_tree_obj(t, 3));  /* capped by its parent */
	assert_null(sched_tree_obj(t, 4));
	sched_tree_free(t);
}

static void test_bad_trees_refused(void **state)
{
	struct sched_conf loop[] = { { .parent = 1 }, { .parent = 0 } };
	struct sched_conf self[] = { { .parent = 0 } };
	struct sched_conf out[] = { { .parent = 5 } };
	struct sched_conf deep[SCHED_MAX_DEPTH + 1];

	(void)state;
	assert_null(sched_tree_build(loop, 2, 0));
	assert_null(sched_tree_build(self, 1, 0));
	assert_null(sched_tree_build(out, 1, 0));
	for (int i = 0; i <= SCHED_MAX_DEPTH; i++)
		deep[i] = (struct sched_conf){ .parent = i ? i - 1 : SCHED_NO_PARENT };
	assert_null(sched_tree_build(deep, SCHED_MAX_DEPTH + 1, 0));
	sched_tree_free(sched_tree_build(deep, SCHED_MAX_DEPTH, 0));
}

/* Node 0 caps at 400 Mbit/s; leafs 1 and 2 are its children. */
static struct sched_tree *two_under_node(struct sched_conf a, struct sched_conf b)
{
	struct sched_conf c[3] = { { .tx_max = MBIT(400), .parent = SCHED_NO_PARENT }, a, b };

	c[1].parent = c[2].parent = 0;
	return sched_tree_build(c, 3, 1000);
}

static void test_shares_split_the_node(void **state)
{
	struct sched_tree *t = two_under_node((struct sched_conf){ .tx_share = MBIT(300) },
					      (struct sched_conf){ .tx_share = MBIT(100) });
	struct flow f[2] = { { 1, true, 0 }, { 2, true, 0 } };
	uint64_t clock = 1000;

	(void)state;
	run(t, f, 2, 0.1, &clock);
	f[0].bytes = f[1].bytes = 0;
	run(t, f, 2, 2, &clock);
	near(rate_of(&f[0], 2) + rate_of(&f[1], 2), MBIT(400), 2, "node total");
	near(rate_of(&f[0], 2) / rate_of(&f[1], 2), 3, 5, "share ratio");
	/* One stops: the other gets the whole node. */
	f[0].on = false;
	f[1].bytes = 0;
	run(t, f, 2, 0.1, &clock);
	f[1].bytes = 0;
	run(t, f, 2, 2, &clock);
	near(rate_of(&f[1], 2), MBIT(400), 2, "alone under the node");
	sched_tree_free(t);
}

static void test_strict_priority(void **state)
{
	struct sched_tree *t = two_under_node((struct sched_conf){ .tx_priority = 1 },
					      (struct sched_conf){ .tx_priority = 0 });
	struct flow f[2] = { { 1, true, 0 }, { 2, true, 0 } };
	uint64_t clock = 1000;

	(void)state;
	run(t, f, 2, 0.1, &clock);
	f[0].bytes = f[1].bytes = 0;
	run(t, f, 2, 2, &clock);
	near(rate_of(&f[0], 2), MBIT(400), 3, "high priority");
	assert_true(rate_of(&f[1], 2) < MBIT(400) * 0.03);
	sched_tree_free(t);
}

/* The worker is off its CPU for 5 ms of every 10 (a loaded machine), and
 * the lower priority is polled first when it comes back: the higher one
 * was last refused 5 ms ago, yet it is still waiting, so the node's
 * bucket is still its own.  Strict means strict across any gap. */
static void test_strict_priority_across_gaps(void **state)
{
	struct sched_tree *t = two_under_node((struct sched_conf){ .tx_priority = 1 },
					      (struct sched_conf){ .tx_priority = 0 });
	struct flow f[2] = { { 2, true, 0 }, { 1, true, 0 } };   /* the lower one first */
	uint64_t clock = 1000;

	(void)state;
	run(t, f, 2, 0.1, &clock);
	f[0].bytes = f[1].bytes = 0;
	for (int i = 0; i < 200; i++) {
		run(t, f, 2, 0.005, &clock);
		clock += 5000000;
	}
	assert_true(rate_of(&f[1], 2) > MBIT(400) * 0.45);   /* ~half the time running */
	if (rate_of(&f[0], 2) > rate_of(&f[1], 2) * 0.01)
		fail_msg("lower priority got %.0f B/s next to %.0f", rate_of(&f[0], 2),
			 rate_of(&f[1], 2));
	sched_tree_free(t);
}

/* Strict, but work-conserving: a higher priority capped below the node by
 * its own tx_max leaves the rest to the lower one, and one that stops
 * sending leaves it everything. */
static void test_strict_priority_leaves_what_it_cannot_use(void **state)
{
	struct sched_tree *t = two_under_node(
		(struct sched_conf){ .tx_priority = 1, .tx_max = MBIT(100) },
		(struct sched_conf){ .tx_priority = 0 });
	struct flow f[2] = { { 1, true, 0 }, { 2, true, 0 } };
	uint64_t clock = 1000;

	(void)state;
	run(t, f, 2, 0.1, &clock);
	f[0].bytes = f[1].bytes = 0;
	run(t, f, 2, 2, &clock);
	near(rate_of(&f[0], 2), MBIT(100), 3, "higher priority at its own cap");
	near(rate_of(&f[1], 2), MBIT(300), 3, "lower priority: the rest");
	f[0].on = false;
	run(t, f, 2, 0.1, &clock);
	f[1].bytes = 0;
	run(t, f, 2, 2, &clock);
	near(rate_of(&f[1], 2), MBIT(400), 2, "lower priority alone");
	sched_tree_free(t);
}

static void test_weights_within_a_priority(void **state)
{
	struct sched_tree *t = two_under_node((struct sched_conf){ .tx_weight = 3 },
					      (struct sched_conf){ .tx_weight = 1 });
	struct flow f[2] = { { 1, true, 0 }, { 2, true, 0 } };
	uint64_t clock = 1000;

	(void)state;
	run(t, f, 2, 0.1, &clock);
	f[0].bytes = f[1].bytes = 0;
	run(t, f, 2, 2, &clock);
	near(rate_of(&f[0], 2) + rate_of(&f[1], 2), MBIT(400), 2, "node total");
	near(rate_of(&f[0], 2) / rate_of(&f[1], 2), 3, 10, "weight ratio");
	sched_tree_free(t);
}

static void test_debt_and_wake(void **state)
{
	struct sched_conf c[] = { { .tx_max = 1000000, .parent = SCHED_NO_PARENT } };
	struct sched_tree *t = sched_tree_build(c, 1, 0);
	struct sched_obj *o = sched_tree_obj(t, 0);
	struct sched_grant g;
	uint64_t wake = 0;
	int64_t b;

	(void)state;
	/* A full bucket: the burst (two GSO frames at this rate). */
	b = sched_admit(o, 0, &g, &wake);
	assert_int_equal(b, SCHED_BURST_MIN);
	/* Frames count as GSO-sized until a read shows their size. */
	assert_int_equal(sched_frames(o, b, 64), SCHED_BURST_MIN / 65536 + 1);
	/* A read may overdraw; the debt is paid before the next one. */
	sched_charge(o, &g, SCHED_BURST_MIN + 10000, 3);
	assert_int_equal(sched_admit(o, 5000000, &g, &wake), 0);
	/* 10000 bytes of debt less 5 ms of 1 MB/s: 5001 bytes, 5.001 ms. */
	assert_int_equal(wake, 5000000 + 5001000);
	assert_true(sched_admit(o, 5000000 + 5001000 + SCHED_REFILL_NS, &g, &wake) > 0);
	/* A long debt naps at most 10 ms at a time (settings may change). */
	sched_charge(o, &g, 1000000, 1);
	assert_int_equal(sched_admit(o, 5000000, &g, &wake), 0);
	assert_int_equal(wake, 5000000 + 10000000);
	/* Paid back after 1.005 s in all. */
	assert_true(sched_admit(o, 5000000 + 1005001000 + SCHED_REFILL_NS, &g, &wake) > 0);
	sched_tree_free(t);
}

/* The counters metrics read: every byte charged shows at the leaf and at
 * each node above it; a refusal counts at the object that refused and as
 * a deferral at the leaf that asked. */
static void test_stats_count_what_was_charged(void **state)
{
	struct sched_conf c[] = {
		{ .tx_max = MBIT(8), .parent = SCHED_NO_PARENT },        /* node */
		{ .parent = 0 },                                        /* leaf */
	};
	struct sched_tree *t = sched_tree_build(c, 2, 1000);
	struct flow f = { .obj = 1, .on = true };
	struct sched_stats leaf = { 0 }, node = { 0 };
	uint64_t clock = 1000;

	(void)state;
	run(t, &f, 1, 1, &clock);
	sched_tree_stats(t, 1, &leaf);
	sched_tree_stats(t, 0, &node);
	assert_int_equal(leaf.sent_bytes, f.bytes);
	assert_int_equal(node.sent_bytes, f.bytes);
	assert_int_equal(leaf.sent_packets, f.bytes / FRAME);
	assert_true(node.throttled > 0);                /* the node's cap refused */
	assert_int_equal(leaf.throttled, 0);            /* the leaf has no cap */
	assert_int_equal(leaf.deferred, node.throttled);
	sched_tree_stats(t, 2, &leaf);                  /* no such object: unchanged */
	assert_int_equal(leaf.sent_bytes, f.bytes);
	sched_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_units),
		cmocka_unit_test(test_format_as_devlink),
		cmocka_unit_test(test_cap_holds),
		cmocka_unit_test(test_unlimited_is_null),
		cmocka_unit_test(test_bad_trees_refused),
		cmocka_unit_test(test_shares_split_the_node),
		cmocka_unit_test(test_strict_priority),
		cmocka_unit_test(test_strict_priority_across_gaps),
		cmocka_unit_test(test_strict_priority_leaves_what_it_cannot_use),
		cmocka_unit_test(test_weights_within_a_priority),
		cmocka_unit_test(test_debt_and_wake),
		cmocka_unit_test(test_stats_count_what_was_charged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
