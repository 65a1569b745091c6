/*
 * cls_bench.c - flower classification cost against rule count and mask
 * count, and rule insertion rate.
 *
 * For M masks (1, 4, 16) and R rules (M, 1,000, 100,000) it inserts R rules
 * spread over M masks, then looks up a stream of keys of which half match a
 * rule: ns per lookup through the tuple space alone, and with the
 * exact-match cache in front (1,024 distinct flows in every case: a flow
 * differs from the rule it hits in src_port, which no mask covers).  The
 * anchor is the same engine with one rule per mask, so the mask count is the
 * same on every line of a block: "vs M rules" is the growth the issue
 * bounds (< 2x).
 * Medians of RUNS runs.  Usage: cls_bench [RUNS [MAX_RULES]] (MAX_RULES
 * replaces 100,000 on the last line of each block, for a quick run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "../src/esw/esw.h"
#include "bench_common.h"

#define LOOKUPS 2000000
#define FLOWS 1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Mask m of 16: different field combinations, like real rule sets. */
static void mask_of(int m, struct esw_key *k)
{
	memset(k, 0, sizeof(*k));
	k->eth_type = 0xffff;
	if (m & 1)
		k->ip_proto = 0xff;
	if (m & 2)
		k->dst_ip = 0xffffffff;
	else
		k->dst_ip = 0x00ffffff;
	if (m & 4)
		k->dst_port = 0xffff;
	if (m & 8)
		memset(k->src_mac, 0xff, 6);
}

/* The key of rule i; flow f (different src_port) hits the same rule. */
static void key_for(uint32_t i, struct esw_key *k)
{
	memset(k, 0, sizeof(*k));
	k->in_port = 1;
	k->eth_type = 0x0800;
	k->ip_proto = 6;
	k->dst_ip = i * 2654435761u;
	k->dst_port = (uint16_t)(i * 40503u);
	k->src_mac[5] = (uint8_t)i;
	k->src_mac[4] = (uint8_t)(i >> 8);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	const int masks[3] = { 1, 4, 16 };
	int rules[3] = { 1, 1000, argc > 2 && atoi(argv[2]) > 1000 ? atoi(argv[2]) : 100000 };
	double base_tuple[3] = { 0 };
	struct esw_key *keys = malloc(sizeof(*keys) * LOOKUPS);

	if (runs < 1 || runs > 32)
		runs = 5;
	rcu_register_thread();
	rcu_thread_offline();
	printf("%-6s %-8s %14s %11s %14s %11s %16s\n", "masks", "rules", "tuple ns/pkt",
	       "vs M rules", "+EMC ns/pkt", "vs M rules", "insert rules/s");
	for (int mi = 0; mi < 3; mi++) {
		double base_emc = 0;

		rules[0] = masks[mi];
		for (int ri = 0; ri < 3; ri++) {
			double tup[32], emcs[32], ins[32];

			for (int run = 0; run < runs; run++) {
				struct esw_cls *c = esw_cls_create(1);
				struct esw_emc *emc = esw_emc_create();
				volatile uintptr_t sink = 0;
				double t0;

				t0 = now();
				for (int r = 0; r < rules[ri]; r++) {
					struct esw_rule_spec s = { .dev = 1, .prio = 1 + (uint32_t)r % 7,
								   .handle = (uint32_t)r + 1, .nact = 1 };

					mask_of(r % masks[mi], &s.mask);
					key_for((uint32_t)r, &s.key);
					s.act[0].type = ESW_ACT_DROP;
					s.act[0].ctl = ESW_CTL_DROP;
					if (esw_cls_insert(c, &s))
						abort();
				}
				ins[run] = rules[ri] / (now() - t0);
				/* Half the lookups hit a rule, half miss every table. */
				for (int i = 0; i < LOOKUPS; i++)
					key_for(i & 1 ? (uint32_t)(i / 2) % (uint32_t)rules[ri]
						      : 0x80000000u + (uint32_t)i, &keys[i]);
				rcu_thread_online();
				t0 = now();
				for (int i = 0; i < LOOKUPS; i++)
					sink += (uintptr_t)esw_cls_lookup(c, &keys[i], NULL);
				tup[run] = (now() - t0) * 1e9 / LOOKUPS;
				for (int i = 0; i < LOOKUPS; i++) {
					uint32_t f = (uint32_t)i % FLOWS;

					key_for(f & 1 ? f % (uint32_t)rules[ri] : 0x80000000u + f,
						&keys[i]);
					keys[i].src_port = (uint16_t)f;
				}
				t0 = now();
				for (int i = 0; i < LOOKUPS; i++)
					sink += (uintptr_t)esw_cls_lookup(c, &keys[i], emc);
				emcs[run] = (now() - t0) * 1e9 / LOOKUPS;
				rcu_thread_offline();
				esw_emc_destroy(emc);
				esw_cls_destroy(c);
				(void)sink;
			}
			qsort(tup, (size_t)runs, sizeof(double), bench_cmp);
			qsort(emcs, (size_t)runs, sizeof(double), bench_cmp);
			qsort(ins, (size_t)runs, sizeof(double), bench_cmp);
			if (ri == 0) {
				base_tuple[mi] = tup[runs / 2];
				base_emc = emcs[runs / 2];
			}
			printf("%-6d %-8d %14.1f %10.2fx %14.1f %10.2fx ", masks[mi],
			       rules[ri], tup[runs / 2], tup[runs / 2] / base_tuple[mi],
			       emcs[runs / 2], emcs[runs / 2] / base_emc);
			if (ri)
				printf("%16.0f\n", ins[runs / 2]);
			else
				printf("%16s\n", "-");
		}
	}
	free(keys);
	return 0;
}
