/*
 * tun_bench.c - what VXLAN encap and decap cost one sfnic worker, next to
 * the 1-rule redirect of sw_bench, in one run.
 *
 * As in sw_bench, a generator fills a port's input ring and only the
 * worker's pass (dp_poll_once) is timed: input into the port's page pool,
 * classification, actions, the copy into the destination's memory, the
 * consumer.  Cases (1000 flows round robin each, one rule each):
 *   redirect    frames received on p0 match a dst_mac rule redirecting to
 *               an SF (sw_bench's "1 rule": the anchor);
 *   encap       frames the SF sends match a rule `tunnel_key set ... nocsum
 *               pipe` + `mirred egress redirect dev vxlan0` (what OVS
 *               writes) and leave through p0 with outer headers: the inner
 *               flow hash, the next-hop cache lookup, 50 bytes written in
 *               the headroom;
 *   encap+csum  the same with tunnel_key's default UDP checksum (a sum
 *               over the whole frame);
 *   decap       VXLAN frames received on p0 for the tunnel port's UDP port
 *               are stripped (checksums checked: none here, as OVS sends
 *               them) and matched on the tunnel port by enc_key_id,
 *               enc_src_ip, enc_dst_ip, enc_dst_port; `tunnel_key unset` +
 *               redirect to the SF.
 * Every frame crosses one trust domain (SF <-> host) in every case, so each
 * case makes the same one copy.
 *
 * Usage: tun_bench [PACKETS] [RUNS]; medians of RUNS, TSC cycles per packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "../src/dp/dp.h"
#include "../src/tun/tun.h"

#define FLOWS 1000
#define SF_VPORT 0x8000u
#define TP TUN_VPORT_BASE
#define SIZES 2
#define CASES 4

enum { C_REDIRECT, C_ENCAP, C_ENCAP_CSUM, C_DECAP };
static const char *const names[CASES] = { "redirect (1 rule)", "encap", "encap+csum", "decap" };
static const unsigned sizes[SIZES] = { 64, 1450 };
static uint8_t frames[FLOWS][1600];
static uint16_t flen[FLOWS];
static const uint8_t sf_mac[6] = { 2, 0, 0, 0, 0, 0x58 };
static const struct tun_nh nh = { .dmac = { 0x52, 0x54, 0, 0, 0, 2 },
				  .smac = { 0x52, 0x54, 0, 0, 0, 1 }, .ttl = 64,
				  .dst_ip = 0x0201a8c0 /* 192.168.1.2 */ };
static uint64_t received;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	return v[n / 2];
}

/* The inner frames (1000 UDP flows to the SF's MAC); for decap, each
 * wrapped in the outer headers a peer would send (VNI 100, no checksum). */
static void build_frames(unsigned size, bool vxlan)
{
	struct tun_info ti = { .id = 100, .src_ip = 0x0201a8c0, .dst_ip = 0x0101a8c0,
			       .flags = TUN_F_PRESENT };
	struct tun_nh back = { .dmac = { 0x52, 0x54, 0, 0, 0, 1 }, .smac = { 0x52, 0x54, 0, 0, 0, 2 },
			       .ttl = 64 };

	for (unsigned i = 0; i < FLOWS; i++) {
		uint8_t *f = frames[i] + (vxlan ? TUN_VXLAN_HLEN : 0);

		memset(f, 0, size);
		memcpy(f, sf_mac, 6);
		memcpy(f + 6, (uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, 6);
		f[12] = 0x08;
		f[14] = 0x45;
		f[16] = (uint8_t)((size - 14) >> 8);
		f[17] = (uint8_t)(size - 14);
		f[22] = 64;
		f[23] = 17;
		memcpy(f + 26, (uint8_t[4]){ 10, 0, 0, 1 }, 4);
		memcpy(f + 30, (uint8_t[4]){ 10, 1, (uint8_t)(i >> 8), (uint8_t)i }, 4);
		f[34] = 0x03; f[35] = 0xe8;
		f[36] = 0x00; f[37] = 0x35;
		flen[i] = (uint16_t)size;
		if (vxlan) {
			tun_vxlan_build(frames[i], &back, &ti, (uint16_t)(40000 + i), 4789, 0, size);
			flen[i] += TUN_VXLAN_HLEN;
		}
	}
}

static void consumer(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n)
{
	(void)ctx;
	(void)worker;
	for (unsigned i = 0; i < n; i++) {
		__asm__ volatile("" : : "r"(dp_pkt_data(&pkts[i])[0]));
		dp_pkt_free(&pkts[i]);
	}
	received += n;
}

static void add_rule(struct dp *dp, int c)
{
	struct esw_rule_spec s = { .prio = 1, .handle = 1, .nact = 1 };
	struct esw_action redirect_sf = { .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN,
					  .arg = SF_VPORT };

	if (c == C_REDIRECT) {
		s.dev = DP_VPORT_UPLINK;
		memcpy(s.key.dst_mac, sf_mac, 6);
		memset(s.mask.dst_mac, 0xff, 6);
		s.act[0] = redirect_sf;
	} else if (c == C_DECAP) {
		s.dev = TP;
		s.key.enc_key_id = 100;
		s.mask.enc_key_id = UINT32_MAX;
		s.key.enc_src_ip = 0x0201a8c0;
		s.mask.enc_src_ip = UINT32_MAX;
		s.key.enc_dst_ip = 0x0101a8c0;
		s.mask.enc_dst_ip = UINT32_MAX;
		s.key.enc_dst_port = 4789;
		s.mask.enc_dst_port = 0xffff;
		s.nact = 2;
		s.act[0] = (struct esw_action){ .type = ESW_ACT_TUNNEL_UNSET, .ctl = ESW_CTL_PIPE };
		s.act[1] = redirect_sf;
	} else {
		s.dev = SF_VPORT;
		s.nact = 2;
		s.act[0] = (struct esw_action){
			.type = ESW_ACT_TUNNEL_SET, .ctl = ESW_CTL_PIPE,
			.tun = { .id = 100, .src_ip = 0x0101a8c0, .dst_ip = 0x0201a8c0, .dst_port = 4789,
				 .ttl = 64,
				 .flags = (uint8_t)(ESW_TUN_NOFRAG | (c == C_ENCAP ? ESW_TUN_NOCSUM : 0)) } };
		s.act[1] = (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN, .arg = TP };
	}
	if (dp_rule_add(dp, &s)) {
		fprintf(stderr, "rule insertion failed\n");
		exit(1);
	}
}

/* Cycles per packet of the worker for one case; -1 when frames were lost. */
static double run(int c, long packets)
{
	char err[256] = "";
	struct dp *dp = dp_create(&(struct dp_config){ .workers = 1 }, err, sizeof(err));
	uint32_t in = c == C_ENCAP || c == C_ENCAP_CSUM ? SF_VPORT : DP_VPORT_UPLINK;
	uint32_t out = in == SF_VPORT ? DP_VPORT_UPLINK : SF_VPORT;
	uint16_t lens[DP_BURST];
	const uint8_t *ptrs[DP_BURST];
	uint64_t cycles = 0;
	long sent = 0;
	unsigned flow = 0;

	if (!dp || dp_port_add(dp, SF_VPORT) ||
	    dp_tun_port_add(dp, TP, 4789, true, NULL, 32768, 60999) || dp_tun_set_nh(dp, &nh, 1)) {
		fprintf(stderr, "setup failed: %s\n", err);
		exit(1);
	}
	dp_set_switchdev(dp, true);
	dp_port_set_xmit(dp, out, false, consumer, NULL);
	add_rule(dp, c);
	received = 0;
	while (sent < packets) {
		for (unsigned i = 0; i < DP_BURST; i++) {
			ptrs[i] = frames[flow];
			lens[i] = flen[flow];
			flow = flow + 1 == FLOWS ? 0 : flow + 1;
		}
		if (dp_inject(dp, in, false, ptrs, lens, DP_BURST) != DP_BURST) {
			fprintf(stderr, "input ring refused a burst\n");
			exit(1);
		}
		uint64_t t0 = __rdtsc();

		dp_poll_once(dp, 0);
		cycles += __rdtsc() - t0;
		sent += DP_BURST;
	}
	if (received != (uint64_t)sent || dp_inflight(dp)) {
		fprintf(stderr, "%s lost frames: %lu sent, %lu received, %u in flight\n", names[c],
			(unsigned long)sent, (unsigned long)received, dp_inflight(dp));
		return -1;
	}
	dp_destroy(dp);
	return (double)cycles / (double)sent;
}

int main(int argc, char **argv)
{
	long packets = argc > 1 ? atol(argv[1]) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 7;
	double v[SIZES][CASES][64];

	if (runs < 1 || runs > 64)
		runs = 7;
	/* Interleaved: each run measures every case once, so a noisy
	 * neighbour hits all cases alike. */
	for (int r = 0; r < runs; r++)
		for (unsigned s = 0; s < SIZES; s++)
			for (int c = 0; c < CASES; c++) {
				build_frames(sizes[s], c == C_DECAP);
				v[s][c][r] = run(c, packets);
				if (v[s][c][r] < 0)
					return 1;
			}
	printf("tun_bench: %ld packets per run, median of %d runs, TSC cycles/packet "
	       "(one worker, pass timed only)\n", packets, runs);
	printf("%-20s %12s %10s %12s %10s\n", "case", "64 B", "vs redir", "1450 B", "vs redir");
	for (int c = 0; c < CASES; c++) {
		double m[SIZES];

		for (unsigned s = 0; s < SIZES; s++)
			m[s] = median(v[s][c], runs);
		printf("%-20s %12.1f %10.2f %12.1f %10.2f\n", names[c], m[0],
		       m[0] / median(v[0][C_REDIRECT], runs), m[1],
		       m[1] / median(v[1][C_REDIRECT], runs));
	}
	return 0;
}
