/*
 * pp_bench.c - page pool alloc+recycle cost, side by side with DPDK's
 * rte_mempool (per-lcore cache, get/put) and malloc/free, in one binary.
 *
 * Each test times N alloc+free pairs with rdtsc and reports cycles per pair;
 * the run is repeated RUNS times and the median printed, with the ratio of
 * every figure to rte_mempool's.  Usage: pp_bench [N] [RUNS]
 */
#include <rte_eal.h>
#include <rte_mempool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "../src/pp/pp.h"

#define TESTS 4

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double bench_pp_fast(struct pp_pool *p, long n)
{
	uint64_t t0 = __rdtsc();

	for (long i = 0; i < n; i++) {
		uint32_t b = pp_alloc(p);

		__asm__ volatile("" : : "r"(b));
		pp_put(p, b);   /* owner thread: straight into the cache */
	}
	return (double)(__rdtsc() - t0) / n;
}

static double bench_pp_ring(struct pp_pool *p, long n)
{
	uint64_t t0 = __rdtsc();

	for (long i = 0; i < n; i++) {
		uint32_t b = pp_alloc(p);

		__asm__ volatile("" : : "r"(b));
		pp_put_ring(p, &b, 1);  /* a return that is not the owner's own */
	}
	return (double)(__rdtsc() - t0) / n;
}

static double bench_mempool(struct rte_mempool *mp, long n)
{
	uint64_t t0 = __rdtsc();

	for (long i = 0; i < n; i++) {
		void *o;

		if (rte_mempool_get(mp, &o))
			abort();
		__asm__ volatile("" : : "r"(o));
		rte_mempool_put(mp, o);
	}
	return (double)(__rdtsc() - t0) / n;
}

static double bench_malloc(long n)
{
	uint64_t t0 = __rdtsc();

	for (long i = 0; i < n; i++) {
		void *o = malloc(PP_BUF_SIZE);

		__asm__ volatile("" : : "r"(o));
		free(o);
	}
	return (double)(__rdtsc() - t0) / n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	char *eal[] = { "pp_bench", "--no-huge", "--no-pci", "--no-shconf", "-l", "0",
			"--log-level", "error", NULL };
	const char *names[TESTS] = { "sfnic page_pool fast path (alloc + direct recycle)",
				     "sfnic page_pool ring path (alloc + recycle via ring)",
				     "DPDK rte_mempool cached get + put",
				     "glibc malloc + free (2048 B)" };
	double r[TESTS][64], med[TESTS];
	char err[128];
	struct pp_region *reg;
	struct pp_pool *pool;
	struct rte_mempool *mp;

	if (runs < 1 || runs > 64)
		runs = 5;
	if (rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	mp = rte_mempool_create("bench", 8191, PP_BUF_SIZE, 256, 0, NULL, NULL, NULL, NULL,
				SOCKET_ID_ANY, 0);
	reg = pp_region_create("bench", 0, 8192, false, err, sizeof(err));
	pool = reg ? pp_pool_create(reg, NULL) : NULL;
	if (!mp || !pool) {
		fprintf(stderr, "setup failed: %s\n", mp ? err : "rte_mempool_create");
		return 1;
	}
	/* Warm everything once. */
	bench_pp_fast(pool, n / 10);
	bench_pp_ring(pool, n / 10);
	bench_mempool(mp, n / 10);
	bench_malloc(n / 10);
	for (int i = 0; i < runs; i++) {
		r[0][i] = bench_pp_fast(pool, n);
		r[1][i] = bench_pp_ring(pool, n);
		r[2][i] = bench_mempool(mp, n);
		r[3][i] = bench_malloc(n);
	}
	printf("%-52s %10s %14s\n", "test (cycles per alloc+free, median of runs)", "cycles",
	       "vs rte_mempool");
	for (int t = 0; t < TESTS; t++) {
		qsort(r[t], (size_t)runs, sizeof(double), cmp);
		med[t] = r[t][runs / 2];
	}
	for (int t = 0; t < TESTS; t++)
		printf("%-52s %10.1f %13.2fx\n", names[t], med[t], med[t] / med[2]);
	printf("(%ld pairs per run, %d runs; TSC cycles)\n", n, runs);
	pp_pool_destroy(pool);
	return 0;
}
