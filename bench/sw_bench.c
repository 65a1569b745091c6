/*
 * sw_bench.c - switching cost of one sfnic worker, side by side with DPDK's
 * io forwarding between two net_null ports, in one binary.
 *
 * sfnic: a generator fills a port's input ring, then one pass of the worker
 * (dp_poll_once) takes the burst into the port's page pool, classifies it,
 * copies each frame once into the SF's trust domain and hands the burst to
 * the SF's consumer, which frees it.  Only the worker pass is timed: the
 * generator stands for the wire.  Cases:
 *   0 rules     frames sent into the SF's representor leave through the SF
 *               (the slow path: no lookup);
 *   1 rule      frames received on p0 match one dst_mac rule redirecting to
 *               the SF;
 *   1000 rules  frames received on p0 match one of 1000 dst_ip /32 rules
 *               (one mask) redirecting to the SF;
 *   pedit       the 1-rule case with OVS's header rewrite before the
 *               redirect: pedit ex munge eth dst set, ip ttl decrement
 *               (three 32-bit keys), csum iph (IPv4 header checksum);
 *   police      the 1-rule case with police (a byte bucket that never runs
 *               dry: the cost of the conform check) before the redirect.
 * Traffic is 1000 flows (dst_ip 10.1.x.y) round robin in every case, so the
 * exact-match cache sees the same working set.
 *
 * Anchor: DPDK rx_burst from net_null (copy=1) and tx_burst to net_null
 * (copy=1): two copies per packet, as sfnic's input and domain crossing
 * make, and no classification at all.  That is the floor of moving a packet
 * between two ports in a poll-mode framework.
 *
 * Usage: sw_bench [PACKETS] [RUNS]; medians of RUNS, TSC cycles.
 * SW_BENCH_PROFILE=CASE (0-4) runs only that case at 64 bytes, RUNS times,
 * without the anchor: a clean target for `perf record -e cpu-clock`.
 */
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "bench_common.h"

#define FLOWS 1000
#define SF_VPORT 1u
#define SIZES 2
#define CASES 5

enum { PLAIN, PEDIT, POLICE };
static const unsigned sizes[SIZES] = { 64, 1500 };
static const unsigned rule_counts[CASES] = { 0, 1, 1000, 1, 1 };
static const unsigned rule_kind[CASES] = { PLAIN, PLAIN, PLAIN, PEDIT, POLICE };
static uint8_t frames[FLOWS][1500];
static const uint8_t sf_mac[6] = { 2, 0, 0, 0, 0, 0x58 };

static void build_frames(unsigned size)
{
	for (unsigned i = 0; i < FLOWS; i++) {
		bench_udp4(frames[i], size, sf_mac, (uint8_t[4]){ 10, 0, 0, 1 },
			   (uint8_t[4]){ 10, 1, (uint8_t)(i >> 8), (uint8_t)i }, 1000, 53);
	}
}

static double last_emc_hit;     /* EMC hit rate of the last sfnic run */

/* Actions before the redirect of the pedit and police cases. */
static void add_actions(struct esw_rule_spec *s, unsigned kind)
{
	if (kind == PEDIT) {
		s->pkey[0] = (struct esw_pedit_key){ ESW_PEDIT_ETH, ESW_PEDIT_SET, 0, 0x02000000, 0 };
		s->pkey[1] = (struct esw_pedit_key){ ESW_PEDIT_ETH, ESW_PEDIT_SET, 4, 0x00990000,
						     0x0000ffff };
		s->pkey[2] = (struct esw_pedit_key){ ESW_PEDIT_IP4, ESW_PEDIT_ADD, 8, 0xff000000,
						     0x00ffffff };
		s->npkey = 3;
		s->act[0] = (struct esw_action){ .type = ESW_ACT_PEDIT, .ctl = ESW_CTL_PIPE,
						 .pedit = { .first = 0, .n = 3 } };
		s->act[1] = (struct esw_action){ .type = ESW_ACT_CSUM, .ctl = ESW_CTL_PIPE,
						 .csum = { ESW_CSUM_IPH } };
		s->nact = 2;
	} else if (kind == POLICE) {
		s->act[0] = (struct esw_action){ .type = ESW_ACT_POLICE, .ctl = ESW_CTL_PIPE,
						 .police = { .rate = 100000000000ull / 8,
							     .burst = 1u << 30, .mtu = 65535,
							     .exceed = ESW_CTL_DROP } };
		s->nact = 1;
	}
}

static int add_rules(struct dp *dp, unsigned count, unsigned kind)
{
	for (unsigned i = 0; i < count; i++) {
		struct esw_rule_spec s = { .dev = DP_VPORT_UPLINK, .prio = 1, .handle = i + 1,
					   .nact = 1 };

		if (count == 1) {
			memcpy(s.key.dst_mac, sf_mac, 6);
			memset(s.mask.dst_mac, 0xff, 6);
		} else {
			s.key.eth_type = 0x0800;
			s.mask.eth_type = 0xffff;
			memcpy(&s.key.dst_ip, (uint8_t[4]){ 10, 1, (uint8_t)(i >> 8), (uint8_t)i }, 4);
			s.mask.dst_ip = UINT32_MAX;
		}
		s.nact = 0;
		add_actions(&s, kind);
		s.act[s.nact++] = (struct esw_action){ .type = ESW_ACT_REDIRECT,
						       .ctl = ESW_CTL_STOLEN, .arg = SF_VPORT };
		if (dp_rule_add(dp, &s))
			return -1;
	}
	return 0;
}

/* Cycles per packet of the worker for one case; -1 when frames were lost. */
static double run_sfnic(unsigned rules, unsigned kind, unsigned size, long packets)
{
	struct dp *dp = bench_dp(SF_VPORT, SF_VPORT, false);
	uint32_t in_vport = rules ? DP_VPORT_UPLINK : SF_VPORT;
	bool in_rep = rules == 0;
	struct bench_traffic t = { .frames = frames[0], .stride = sizeof(frames[0]), .flows = FLOWS,
				   .size = (uint16_t)size };
	uint64_t cycles;
	long sent;

	if (add_rules(dp, rules, kind)) {
		fprintf(stderr, "rule insertion failed\n");
		exit(1);
	}
	bench_received = 0;
	cycles = bench_send(dp, in_vport, in_rep, &t, packets, &sent);
	uint64_t hits, misses;

	dp_emc_stats(dp, &hits, &misses);
	last_emc_hit = hits + misses ? (double)hits / (double)(hits + misses) : 0;
	if (bench_received != (uint64_t)sent || dp_inflight(dp)) {
		fprintf(stderr, "sfnic lost frames: %lu sent, %lu received, %u in flight\n",
			(unsigned long)sent, (unsigned long)bench_received, dp_inflight(dp));
		return -1;
	}
	dp_destroy(dp);
	return (double)cycles / (double)sent;
}

static double run_dpdk(uint16_t in, uint16_t out, long packets)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t t0 = __rdtsc();
	long moved = 0;

	while (moved < packets) {
		uint16_t n = rte_eth_rx_burst(in, 0, pkts, DP_BURST);
		uint16_t s = rte_eth_tx_burst(out, 0, pkts, n);

		for (uint16_t i = s; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
		moved += n;
	}
	return (double)(__rdtsc() - t0) / (double)moved;
}

static int dpdk_port(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };

	if (rte_eth_dev_configure(port, 1, 1, &conf) ||
	    rte_eth_rx_queue_setup(port, 0, 512, SOCKET_ID_ANY, NULL, mp) ||
	    rte_eth_tx_queue_setup(port, 0, 512, SOCKET_ID_ANY, NULL) ||
	    rte_eth_dev_start(port))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	long packets = argc > 1 ? atol(argv[1]) : 2000000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	char *eal[] = { "sw_bench", "--no-huge", "--no-pci", "--no-shconf", "-l", "0", "-m", "256",
			"--log-level", "error",
			"--vdev", "net_null0,size=64,copy=1", "--vdev", "net_null1,size=64,copy=1",
			"--vdev", "net_null2,size=1500,copy=1", "--vdev", "net_null3,size=1500,copy=1",
			NULL };
	double sf[SIZES][CASES][64], dk[SIZES][64], emc[SIZES][CASES], hz;
	struct rte_mempool *mp;

	if (runs < 1 || runs > 64)
		runs = 5;
	if (rte_eal_init(sizeof(eal) / sizeof(eal[0]) - 1, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("sw_bench", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (!mp || rte_eth_dev_count_avail() < 4) {
		fprintf(stderr, "DPDK setup failed: %s, %u ports (net_null missing?)\n",
			mp ? "pool ok" : "no mbuf pool", rte_eth_dev_count_avail());
		return 1;
	}
	for (uint16_t p = 0; p < 4; p++)
		if (dpdk_port(p, mp)) {
			fprintf(stderr, "DPDK port %u did not start\n", p);
			return 1;
		}
	hz = bench_tsc_hz();
	if (getenv("SW_BENCH_PROFILE")) {
		unsigned c = (unsigned)atoi(getenv("SW_BENCH_PROFILE")) % CASES;

		build_frames(sizes[0]);
		for (int r = 0; r < runs; r++)
			printf("case %u run %d: %.1f cycles/pkt\n", c, r,
			       run_sfnic(rule_counts[c], rule_kind[c], sizes[0], packets));
		return 0;
	}
	for (unsigned s = 0; s < SIZES; s++) {
		build_frames(sizes[s]);
		for (unsigned c = 0; c < CASES; c++)
			run_sfnic(rule_counts[c], rule_kind[c], sizes[s], packets / 10);     /* warm */
		run_dpdk((uint16_t)(2 * s), (uint16_t)(2 * s + 1), packets / 10);
		for (int r = 0; r < runs; r++) {
			for (unsigned c = 0; c < CASES; c++) {
				if ((sf[s][c][r] = run_sfnic(rule_counts[c], rule_kind[c], sizes[s],
							     packets)) < 0)
					return 1;
				emc[s][c] = last_emc_hit;
			}
			dk[s][r] = run_dpdk((uint16_t)(2 * s), (uint16_t)(2 * s + 1), packets);
		}
	}
	printf("%-44s %6s %12s %8s %12s %8s\n", "case (one worker, median of runs)", "bytes",
	       "cycles/pkt", "Mpps", "vs DPDK io", "EMC hit");
	for (unsigned s = 0; s < SIZES; s++) {
		double d = bench_median(dk[s], runs);

		for (unsigned c = 0; c < CASES; c++) {
			double v = bench_median(sf[s][c], runs);
			char name[64];

			snprintf(name, sizeof(name), "sfnic %s -> SF, %u rule%s%s",
				 rule_counts[c] ? "p0" : "representor", rule_counts[c],
				 rule_counts[c] == 1 ? "" : "s",
				 rule_kind[c] == PEDIT ? " + pedit/csum" :
				 rule_kind[c] == POLICE ? " + police" : "");
			printf("%-44s %6u %12.1f %8.2f %11.2fx", name, sizes[s], v, hz / v / 1e6,
			       v / d);
			if (rule_counts[c])
				printf(" %7.1f%%", 100 * emc[s][c]);
			if (rule_kind[c] != PLAIN)
				printf("  %.2fx the 1-rule redirect", v / bench_median(sf[s][1], runs));
			printf("\n");
		}
		printf("%-44s %6u %12.1f %8.2f %11.2fx\n", "DPDK io fwd net_null -> net_null (copy=1)",
		       sizes[s], d, hz / d / 1e6, 1.0);
	}
	printf("(%ld packets per case and run, %d runs; TSC %.2f GHz; generator time excluded)\n",
	       packets, runs, hz / 1e9);
	return 0;
}
