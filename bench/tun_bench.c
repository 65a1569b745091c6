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
#include "../src/tun/tun.h"
#include "bench_common.h"

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

		bench_udp4(f, size, sf_mac, (uint8_t[4]){ 10, 0, 0, 1 },
			   (uint8_t[4]){ 10, 1, (uint8_t)(i >> 8), (uint8_t)i }, 1000, 53);
		flen[i] = (uint16_t)size;
		if (vxlan) {
			tun_vxlan_build(frames[i], &back, &ti, (uint16_t)(40000 + i), 4789, 0, size);
			flen[i] += TUN_VXLAN_HLEN;
		}
	}
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
	uint32_t in = c == C_ENCAP || c == C_ENCAP_CSUM ? SF_VPORT : DP_VPORT_UPLINK;
	uint32_t out = in == SF_VPORT ? DP_VPORT_UPLINK : SF_VPORT;
	struct dp *dp = bench_dp(SF_VPORT, out, false);
	struct bench_traffic t = { .frames = frames[0], .stride = sizeof(frames[0]), .flows = FLOWS,
				   .len = flen };
	uint64_t cycles;
	long sent;

	if (dp_tun_port_add(dp, TP, 4789, true, NULL, 32768, 60999) || dp_tun_set_nh(dp, &nh, 1)) {
		fprintf(stderr, "tunnel port setup failed\n");
		exit(1);
	}
	add_rule(dp, c);
	bench_received = 0;
	cycles = bench_send(dp, in, false, &t, packets, &sent);
	if (bench_received != (uint64_t)sent || dp_inflight(dp)) {
		fprintf(stderr, "%s lost frames: %lu sent, %lu received, %u in flight\n", names[c],
			(unsigned long)sent, (unsigned long)bench_received, dp_inflight(dp));
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
			m[s] = bench_median(v[s][c], runs);
		printf("%-20s %12.1f %10.2f %12.1f %10.2f\n", names[c], m[0],
		       m[0] / bench_median(v[0][C_REDIRECT], runs), m[1],
		       m[1] / bench_median(v[1][C_REDIRECT], runs));
	}
	return 0;
}
