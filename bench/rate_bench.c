/*
 * rate_bench.c - what devlink rate costs the packet path: one worker pass
 * (dp_poll_once) taking a burst that an SF function transmits (its
 * backend, as a TAP's rx_burst) and switching it to the SF's representor
 * (switchdev, no rules: the slow path, one domain-crossing copy), with
 *   none   no rate object: the worker tests one NULL pointer per read;
 *   leaf   a leaf with tx_max 10 Tbit/s that never binds: admit and charge
 *          run on every read (clock read, refill, atomics);
 *   node   the same leaf under a node with its own never-binding cap and a
 *          sibling (two levels of buckets, the sibling scan).
 * Cases run interleaved, RUNS times; medians of cycles per packet (TSC).
 *
 * Usage: rate_bench [PACKETS] [RUNS]
 */
#include "../src/sched/sched.h"
#include "bench_common.h"

#define SF_VPORT 1u
#define FRAME_LEN 64

static uint8_t frame[FRAME_LEN];

static unsigned gen_rx(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max)
{
	unsigned n;

	(void)ctx;
	for (n = 0; n < max; n++) {
		uint32_t buf = pp_alloc(pool);

		if (buf == PP_NO_BUF)
			break;
		pkts[n] = (struct dp_pkt){ .pool = pool, .buf = buf, .off = PP_HEADROOM,
					   .len = FRAME_LEN };
		memcpy(dp_pkt_data(&pkts[n]), frame, FRAME_LEN);
	}
	return n;
}

static unsigned gen_tx(void *ctx, unsigned w, struct dp_pkt *pkts, unsigned n, enum dp_drop *why)
{
	(void)ctx, (void)w, (void)why;
	for (unsigned i = 0; i < n; i++)
		dp_pkt_free(&pkts[i]);
	return n;
}

static const struct dp_backend gen = { .rx_burst = gen_rx, .tx_burst = gen_tx, .fd = -1,
				       .poll_always = true };

static double run(int mode, long packets)
{
	struct dp *dp = bench_dp(SF_VPORT, SF_VPORT, true);
	struct sched_conf conf[3] = {
		{ .tx_max = 1250000000000ull, .parent = mode == 2 ? 1 : SCHED_NO_PARENT },
		{ .tx_max = 1250000000000ull, .parent = SCHED_NO_PARENT },
		{ .tx_share = 1000, .parent = 1 },
	};
	struct sched_tree *t = NULL;
	uint64_t cycles = 0;
	long n = 0;

	if (dp_port_set_backend(dp, SF_VPORT, false, &gen, NULL)) {
		fprintf(stderr, "backend refused\n");
		exit(1);
	}
	if (mode) {
		t = sched_tree_build(conf, mode == 2 ? 3 : 1, 0);
		dp_fn_set_rate(dp, SF_VPORT, sched_tree_obj(t, 0));
		dp_sched_sync(dp);
	}
	bench_received = 0;
	while (n < packets) {
		uint64_t t0 = __rdtsc();
		unsigned got = dp_poll_once(dp, 0);

		cycles += __rdtsc() - t0;
		n += got;
	}
	if (bench_received != (uint64_t)n)
		fprintf(stderr, "lost frames: %ld read, %lu received\n", n,
			(unsigned long)bench_received);
	dp_port_set_backend(dp, SF_VPORT, false, NULL, NULL);
	dp_fn_set_rate(dp, SF_VPORT, NULL);
	dp_destroy(dp);
	sched_tree_free(t);
	return (double)cycles / (double)n;
}

int main(int argc, char **argv)
{
	long packets = argc > 1 ? atol(argv[1]) : 2000000;
	int runs = argc > 2 ? atoi(argv[2]) : 9;
	static const char *const names[] = { "none", "leaf", "node" };
	double r[3][64], ratio[2][64];

	if (runs < 1 || runs > 64)
		runs = 9;
	memset(frame, 0xff, 6);
	memcpy(frame + 6, (uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6);
	frame[12] = 0x08;
	for (int i = 0; i < runs; i++) {
		/* Every other run backwards: drift favours no case. */
		for (int k = 0; k < 3; k++) {
			int m = i % 2 ? 2 - k : k;

			r[m][i] = run(m, packets);
		}
		ratio[0][i] = r[1][i] / r[0][i];
		ratio[1][i] = r[2][i] / r[0][i];
	}
	printf("rate_bench: %ld packets of %d bytes per run, %d runs, cycles/packet (median [min..max])\n",
	       packets, FRAME_LEN, runs);
	for (int m = 0; m < 3; m++) {
		qsort(r[m], (size_t)runs, sizeof(double), bench_cmp);
		printf("  %-5s %6.1f [%.1f..%.1f]\n", names[m], r[m][runs / 2], r[m][0], r[m][runs - 1]);
	}
	for (int k = 0; k < 2; k++) {
		qsort(ratio[k], (size_t)runs, sizeof(double), bench_cmp);
		printf("  %s/none ratio: median %.3f [%.3f..%.3f]\n", names[k + 1], ratio[k][runs / 2],
		       ratio[k][0], ratio[k][runs - 1]);
	}
	return 0;
}
