/*
 * ct_bench.c - what connection tracking costs one sfnic worker on
 * established flows, next to the 1-rule redirect in the same run.
 *
 * Every case is one worker pass at a time (dp_poll_once) over bursts of 64
 * IPv4/UDP frames of 64 bytes injected into p0, delivered to an SF whose
 * consumer frees them; only the worker pass is timed (TSC).  Cases:
 *   redirect, F flows     one dst_mac rule redirecting to the SF (sw_bench's
 *                         "1 rule"), with F = 1 and F = 100,000 distinct
 *                         flows: the second shows what 100,000 keys cost the
 *                         exact-match cache and the caches without any ct;
 *   ct est, C conns       OVS's rules for mlx5: chain 0 `ct_state -trk
 *                         action ct zone 1 pipe action goto chain 1`, chain
 *                         1 `ct_state +trk+est action mirred redirect SF`
 *                         (and `+trk+new action ct commit zone 1, redirect`),
 *                         with C = 1 and C = 100,000 connections established
 *                         beforehand (committed and replied to), the frames
 *                         round robin over them;
 *   ct_exec alone         the table's own cost per packet (parse, hash,
 *                         look-up, counters, timeout) for 1 and 100,000
 *                         established connections, without the datapath.
 * Cases interleave within each run; medians of the runs.
 *
 * Usage: ct_bench [PACKETS] [RUNS]; CT_BENCH_PROFILE=1 runs only the
 * 100,000-connection datapath case (a target for perf record); CT_BENCH_SWEEP=1
 * measures ct_exec alone from 1 to 200,000 connections.
 */
#define _LGPL_SOURCE
#include <urcu-qsbr.h>

#include "../src/ct/ct.h"
#include "bench_common.h"

#define MAXFLOWS 100000
#define SWEEP_MAX 200000
#define SIZE 64
#define SF_VPORT 1u
#define ZONE 1

static uint8_t (*frames)[SIZE];
static const uint8_t sf_mac[6] = { 2, 0, 0, 0, 0, 0x58 };

/* Flow i: 10.0.0.1:1000 -> 10.x.y.z:53 (or the reply) */
static void build(uint8_t *f, unsigned i, bool reply)
{
	uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, (uint8_t)(1 + (i >> 16)), (uint8_t)(i >> 8),
						 (uint8_t)i };

	bench_udp4(f, SIZE, sf_mac, reply ? b : a, reply ? a : b, reply ? 53 : 1000,
		   reply ? 1000 : 53);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rule(struct dp *dp, uint32_t chain, uint32_t prio, uint8_t state, uint8_t mask,
		 const struct esw_action *acts, unsigned n)
{
	struct esw_rule_spec s = { .dev = DP_VPORT_UPLINK, .chain = chain, .prio = prio,
				   .handle = 1, .nact = (uint8_t)n };

	s.key.ct_state = state;
	s.mask.ct_state = mask;
	s.key.eth_type = 0x0800;
	s.mask.eth_type = 0xffff;
	memcpy(s.act, acts, n * sizeof(*acts));
	if (dp_rule_add(dp, &s)) {
		fprintf(stderr, "rule insertion failed\n");
		exit(1);
	}
}

/* Commits flow i's connection and sends its reply through the table. */
static void establish(struct ct_table *t, unsigned conns)
{
	struct ct_args commit = { .zone = ZONE, .flags = CT_COMMIT }, look = { .zone = ZONE };
	uint8_t f[SIZE];

	rcu_thread_online();
	for (unsigned i = 0; i < conns; i++) {
		struct ct_meta m = { 0 };

		build(f, i, false);
		ct_exec(t, 0, f, SIZE, &commit, now_ms(), &m);
		build(f, i, true);
		m = (struct ct_meta){ 0 };
		if (ct_exec(t, 0, f, SIZE, &look, now_ms(), &m) !=
		    (CT_STATE_TRK | CT_STATE_EST | CT_STATE_RPL)) {
			fprintf(stderr, "connection %u not established\n", i);
			exit(1);
		}
	}
	rcu_thread_offline();
}

/* Cycles per packet of the worker; conns 0: the redirect rule. */
static double run_dp(unsigned flows, unsigned conns, long packets)
{
	struct dp *dp = bench_dp(SF_VPORT, SF_VPORT, false);
	struct bench_traffic t = { .frames = frames[0], .stride = SIZE, .flows = flows, .size = SIZE };
	uint64_t cycles;
	long sent;

	if (!conns) {
		struct esw_rule_spec s = { .dev = DP_VPORT_UPLINK, .prio = 1, .handle = 1, .nact = 1 };

		memcpy(s.key.dst_mac, sf_mac, 6);
		memset(s.mask.dst_mac, 0xff, 6);
		s.act[0] = (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN,
						.arg = SF_VPORT };
		if (dp_rule_add(dp, &s))
			exit(1);
	} else {
		struct esw_action ct = { .type = ESW_ACT_CT, .ctl = ESW_CTL_PIPE,
					 .ct = { .zone = ZONE } };
		struct esw_action commit = { .type = ESW_ACT_CT, .ctl = ESW_CTL_PIPE,
					     .ct = { .zone = ZONE, .flags = ESW_CT_COMMIT } };
		struct esw_action go = { .type = ESW_ACT_GOTO, .ctl = ESW_CTL_GOTO, .ctl_chain = 1 };
		struct esw_action redir = { .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN,
					    .arg = SF_VPORT };

		rule(dp, 0, 1, 0, ESW_CT_TRK, (struct esw_action[]){ ct, go }, 2);
		rule(dp, 1, 1, ESW_CT_TRK | ESW_CT_EST, ESW_CT_TRK | ESW_CT_EST,
		     (struct esw_action[]){ redir }, 1);
		rule(dp, 1, 2, ESW_CT_TRK | ESW_CT_NEW, ESW_CT_TRK | ESW_CT_NEW,
		     (struct esw_action[]){ commit, redir }, 2);
		establish(dp_ct(dp), conns);
	}
	bench_received = 0;
	cycles = bench_send(dp, DP_VPORT_UPLINK, false, &t, packets, &sent);
	if (bench_received != (uint64_t)sent) {
		fprintf(stderr, "lost frames: %ld sent, %lu at the SF\n", sent,
			(unsigned long)bench_received);
		exit(1);
	}
	if (conns) {
		struct ct_stats st;

		ct_stats(dp_ct(dp), &st);
		if (getenv("CT_BENCH_DEBUG"))
			fprintf(stderr, "entries %lu created %lu searched %lu found %lu invalid %lu\n",
				(unsigned long)st.entries, (unsigned long)st.created,
				(unsigned long)st.searched, (unsigned long)st.found,
				(unsigned long)st.invalid);
		if (st.entries != conns || st.created != conns) {
			fprintf(stderr, "the table changed: %lu entries\n", (unsigned long)st.entries);
			exit(1);
		}
	}
	dp_destroy(dp);
	return (double)cycles / (double)sent;
}

/* Cycles per ct_exec on established connections, no datapath. */
static double run_table(unsigned conns, long packets)
{
	struct ct_args a = { .zone = ZONE };
	uint64_t cycles, now = now_ms();
	unsigned flow = 0;
	struct ct_table *t;

	rcu_register_thread();  /* as dp_create does; dp_destroy unregisters */
	rcu_thread_offline();
	t = ct_create(0, 1);
	establish(t, conns);
	rcu_thread_online();
	cycles = __rdtsc();
	for (long i = 0; i < packets; i++) {
		struct ct_meta m = { 0 };

		if (ct_exec(t, 0, frames[flow], SIZE, &a, now, &m) != (CT_STATE_TRK | CT_STATE_EST))
			exit(1);
		flow = flow + 1 == conns ? 0 : flow + 1;
	}
	cycles = __rdtsc() - cycles;
	rcu_thread_offline();
	ct_destroy(t);
	rcu_unregister_thread();
	return (double)cycles / (double)packets;
}

/* The memory an established look-up must touch, without the table: per
 * packet a slot of an index of 2 x conns pointers, then the two lines of
 * the 192-byte record it names (the node and the state), the record's
 * address depending on the slot's content as in ct.  What this costs at
 * a size is what the caches charge for it; ct_exec over it is the work. */
static double run_memory(unsigned conns, long packets)
{
	uint64_t nslots = 1, cycles;
	uint32_t *slot;
	uint8_t (*rec)[192];
	volatile uint64_t sink = 0;
	uint64_t dep = 0;

	while (nslots < 2ull * conns)
		nslots <<= 1;
	slot = malloc(nslots * sizeof(*slot));
	rec = aligned_alloc(64, (size_t)conns * sizeof(*rec));
	if (!slot || !rec)
		exit(1);
	memset(rec, 1, (size_t)conns * sizeof(*rec));
	for (uint64_t i = 0; i < nslots; i++)
		slot[i] = (uint32_t)((i * 2654435761u) % conns);
	cycles = __rdtsc();
	for (long i = 0; i < packets; i++) {
		/* dep is always 0 but the next address waits for this record,
		 * as ct's packets wait for each other in one worker. */
		uint64_t h = ((uint64_t)(i % conns) + 1 + dep) * 0x9e3779b97f4a7c15ull;
		const uint8_t *r = rec[slot[(h >> 20) & (nslots - 1)]];

		dep = (uint64_t)(r[0] + r[128]) >> 8;
		sink += dep;
	}
	cycles = __rdtsc() - cycles;
	free(slot);
	free(rec);
	(void)sink;
	return (double)cycles / (double)packets;
}

int main(int argc, char **argv)
{
	long packets = argc > 1 ? atol(argv[1]) : 2000000;
	int runs = argc > 2 ? atoi(argv[2]) : 7;
	enum { C_RED1, C_RED100K, C_CT1, C_CT100K, C_TAB1, C_TAB100K, NCASES };
	static const char *const names[NCASES] = {
		"redirect, 1 rule, 1 flow", "redirect, 1 rule, 100000 flows",
		"ct est + goto + redirect, 1 conn", "ct est + goto + redirect, 100000 conns",
		"ct_exec alone, 1 conn", "ct_exec alone, 100000 conns",
	};
	double v[NCASES][64], m[NCASES];

	if (runs < 1 || runs > 64)
		runs = 7;
	frames = calloc(SWEEP_MAX, SIZE);
	if (!frames)
		return 1;
	for (unsigned i = 0; i < SWEEP_MAX; i++)
		build(frames[i], i, false);
	if (getenv("CT_BENCH_SWEEP")) {
		/* The table's cost against its size: a hash look-up stays flat
		 * while the connections fit a cache level and steps up as they
		 * outgrow it (about 200 bytes of node and state each). */
		static const unsigned sizes[] = { 1, 100, 1000, 10000, 50000, 100000, 200000 };

		printf("%-12s %12s %14s %16s %8s\n", "connections", "cycles/pkt", "working set",
		       "memory cycles", "ratio");
		for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double c[64], mem[64], mc;

			for (int r = 0; r < runs; r++) {
				c[r] = run_table(sizes[s], packets);
				mem[r] = run_memory(sizes[s], packets);
			}
			mc = bench_median(mem, runs);
			printf("%-12u %12.1f %11.1f MiB %16.1f %7.2fx\n", sizes[s], bench_median(c, runs),
			       sizes[s] * 192.0 / (1 << 20), mc, bench_median(c, runs) / mc);
		}
		return 0;
	}
	if (getenv("CT_BENCH_PROFILE")) {      /* for perf: the 100000-connection case alone */
		for (int r = 0; r < runs; r++)
			printf("ct est, %u conns: %.1f cycles/pkt\n", MAXFLOWS,
			       run_dp(MAXFLOWS, MAXFLOWS, packets));
		return 0;
	}
	run_dp(1, 0, packets / 10);     /* warm */
	run_dp(MAXFLOWS, MAXFLOWS, packets / 10);
	for (int r = 0; r < runs; r++) {
		v[C_RED1][r] = run_dp(1, 0, packets);
		v[C_CT1][r] = run_dp(1, 1, packets);
		v[C_RED100K][r] = run_dp(MAXFLOWS, 0, packets);
		v[C_CT100K][r] = run_dp(MAXFLOWS, MAXFLOWS, packets);
		v[C_TAB1][r] = run_table(1, packets);
		v[C_TAB100K][r] = run_table(MAXFLOWS, packets);
	}
	for (int c = 0; c < NCASES; c++)
		m[c] = bench_median(v[c], runs);
	printf("%-42s %12s %14s\n", "case (one worker, 64 B, median)", "cycles/pkt",
	       "vs redirect");
	for (int c = 0; c < NCASES; c++) {
		double base = c == C_RED100K || c == C_CT100K ? m[C_RED100K] : m[C_RED1];

		printf("%-42s %12.1f", names[c], m[c]);
		if (c < C_TAB1)
			printf(" %13.2fx", m[c] / base);
		printf("\n");
	}
	printf("ct cost per packet over the redirect: %.1f cycles (1 conn), %.1f (100000 conns)\n",
	       m[C_CT1] - m[C_RED1], m[C_CT100K] - m[C_RED100K]);
	printf("(%ld packets per case and run, %d runs; 100000-flow cases compare with the "
	       "100000-flow redirect)\n", packets, runs);
	return 0;
}
