/*
 * bench_common.h - what sfnic's C benchmarks share: the median of a case's
 * runs, the TSC's rate, the IPv4/UDP frame they send, the consumer at the
 * far end, and the timed worker pass over one injected burst.
 *
 * Every bench is a single file linked on its own (see the Makefile), so
 * these are static inline and a bench pays only for what it calls.  The
 * datapath parts need the datapath's sources linked in; pp_bench and
 * cls_bench use only the statistics.
 */
#ifndef SFNIC_BENCH_COMMON_H
#define SFNIC_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "../src/dp/dp.h"

/* qsort's comparison of doubles, ascending. */
static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of n runs (the upper one of an even count); sorts v. */
static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), bench_cmp);
	return v[n / 2];
}

/* TSC ticks per second, measured against CLOCK_MONOTONIC over 200 ms. */
static inline double bench_tsc_hz(void)
{
	struct timespec a, b;
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(t1 - t0) / ((double)(b.tv_sec - a.tv_sec) +
				    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

/* A size-byte IPv4/UDP frame to dst_mac from 02:00:00:00:00:01, src ->
 * dst (4 bytes each, as on the wire), ports in host order, TTL 64, IP and
 * UDP lengths set, checksums zero (nothing on the path checks them), the
 * payload zero. */
static inline void bench_udp4(uint8_t *f, unsigned size, const uint8_t dst_mac[6],
			      const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
			      uint16_t dport)
{
	memset(f, 0, size);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, (uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, 6);
	f[12] = 0x08;                           /* IPv4 */
	f[14] = 0x45;
	f[16] = (uint8_t)((size - 14) >> 8);
	f[17] = (uint8_t)(size - 14);
	f[22] = 64;
	f[23] = 17;                             /* UDP */
	memcpy(f + 26, src, 4);
	memcpy(f + 30, dst, 4);
	f[34] = (uint8_t)(sport >> 8), f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8), f[37] = (uint8_t)dport;
	f[38] = (uint8_t)((size - 34) >> 8), f[39] = (uint8_t)(size - 34);
}

/* Frames the consumers below took. */
static uint64_t bench_received;

/* A port's consumer: reads each frame's first byte, as a receiver would,
 * frees it and counts it in bench_received. */
static inline void bench_consume(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n)
{
	(void)ctx;
	(void)worker;
	for (unsigned i = 0; i < n; i++) {
		__asm__ volatile("" : : "r"(dp_pkt_data(&pkts[i])[0]));
		dp_pkt_free(&pkts[i]);
	}
	bench_received += n;
}

/* A datapath with one worker in switchdev mode and the port of SF vport
 * sf, whose consumer (bench_consume) is on consumer's port or, with rep,
 * its representor.  Ends the program when that fails. */
static inline struct dp *bench_dp(uint32_t sf, uint32_t consumer, bool rep)
{
	char err[256] = "";
	struct dp *dp = dp_create(&(struct dp_config){ .workers = 1 }, err, sizeof(err));

	if (!dp || dp_port_add(dp, sf) ||
	    dp_port_set_xmit(dp, consumer, rep, bench_consume, NULL)) {
		fprintf(stderr, "sfnic setup failed: %s\n", err);
		exit(1);
	}
	dp_set_switchdev(dp, true);
	return dp;
}

/* The frames a case sends, one flow each, round robin: flow i is the
 * len[i] (or, without len, size) bytes at frames + i * stride. */
struct bench_traffic {
	const uint8_t *frames;
	size_t stride;
	unsigned flows;
	const uint16_t *len;
	uint16_t size;
};

/* Sends at least packets frames into a port, a burst of DP_BURST at a
 * time: each burst is injected (the generator, not timed), then one worker
 * pass takes it (timed).  Returns the pass's TSC cycles in all and the
 * frames sent in *sent.  A refused burst ends the program: the figures
 * would be wrong. */
static inline uint64_t bench_send(struct dp *dp, uint32_t vport, bool rep,
				  const struct bench_traffic *t, long packets, long *sent)
{
	const uint8_t *ptrs[DP_BURST];
	uint16_t lens[DP_BURST];
	uint64_t cycles = 0, t0;
	unsigned flow = 0;

	for (*sent = 0; *sent < packets; *sent += DP_BURST) {
		for (unsigned i = 0; i < DP_BURST; i++) {
			ptrs[i] = t->frames + flow * t->stride;
			lens[i] = t->len ? t->len[flow] : t->size;
			flow = flow + 1 == t->flows ? 0 : flow + 1;
		}
		if (dp_inject(dp, vport, rep, ptrs, lens, DP_BURST) != DP_BURST) {
			fprintf(stderr, "input ring refused a burst\n");
			exit(1);
		}
		t0 = __rdtsc();
		dp_poll_once(dp, 0);
		cycles += __rdtsc() - t0;
	}
	return cycles;
}

#endif
