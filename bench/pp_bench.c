/*
 * pp_bench.c - page pool alloc+recycle cost, side by side with DPDK's
 * rte_mempool (per-lcore cache, get/put) and malloc/free, in one binary.
 *
 * Each test times N alloc+free pairs with rdtsc and reports cycles per pair;
 * the run is repeated RUNS times and the median printed, with the ratio of
 * every figure to rte_mempool's.  The cross-thread tests allocate in one
 * thread (the pool's owner, an EAL lcore for DPDK) and free in another,
 * as a consumer on another core returns buffers; they time the whole
 * hand-over (wall clock in TSC cycles per buffer, both threads running).
 * Usage: pp_bench [N] [RUNS]
 */
#include <pthread.h>
#include <rte_eal.h>
#include <rte_mempool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "../src/pp/pp.h"
#include "bench_common.h"

#define TESTS 6
#define XQ 1024                 /* the hand-over queue between the two threads */

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

/* A single-producer single-consumer queue of buffer handles. */
static struct {
	_Atomic uint64_t head __attribute__((aligned(64)));
	_Atomic uint64_t tail __attribute__((aligned(64)));
	uintptr_t slot[XQ];
	long n;
	struct pp_pool *pool;
	struct rte_mempool *mp;
} xq;

static void *xq_consumer(void *arg)
{
	(void)arg;
	for (long done = 0; done < xq.n;) {
		uint64_t t = atomic_load_explicit(&xq.tail, memory_order_relaxed);

		if (t == atomic_load_explicit(&xq.head, memory_order_acquire))
			continue;
		if (xq.pool)
			pp_put(xq.pool, (uint32_t)xq.slot[t % XQ]);  /* not the owner: ring */
		else
			rte_mempool_put(xq.mp, (void *)xq.slot[t % XQ]);  /* no lcore cache */
		atomic_store_explicit(&xq.tail, t + 1, memory_order_release);
		done++;
	}
	return NULL;
}

static double bench_cross(struct pp_pool *pool, struct rte_mempool *mp, long n)
{
	pthread_t th;
	uint64_t t0;

	xq.n = n;
	xq.pool = pool;
	xq.mp = mp;
	atomic_store(&xq.head, 0);
	atomic_store(&xq.tail, 0);
	t0 = __rdtsc();
	pthread_create(&th, NULL, xq_consumer, NULL);
	{
		/* EAL pinned us to CPU 0 and the thread inherits it: the consumer
		 * belongs on the other core, as a real consumer would be. */
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(1, &one);
		pthread_setaffinity_np(th, sizeof(one), &one);
	}
	for (long i = 0; i < n; i++) {
		uint64_t h = atomic_load_explicit(&xq.head, memory_order_relaxed);
		uintptr_t v;

		while (h - atomic_load_explicit(&xq.tail, memory_order_acquire) >= XQ)
			;
		if (pool) {
			uint32_t b;

			while ((b = pp_alloc(pool)) == PP_NO_BUF)
				;       /* the consumer has not returned enough yet */
			v = b;
		} else {
			void *o;

			while (rte_mempool_get(mp, &o))
				;
			v = (uintptr_t)o;
		}
		xq.slot[h % XQ] = v;
		atomic_store_explicit(&xq.head, h + 1, memory_order_release);
	}
	pthread_join(th, NULL);
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
				     "glibc malloc + free (2048 B)",
				     "sfnic page_pool, freed by another thread (ring)",
				     "DPDK rte_mempool, put by a non-EAL thread" };
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
	bench_cross(pool, NULL, n / 10);
	bench_cross(NULL, mp, n / 10);
	for (int i = 0; i < runs; i++) {
		r[0][i] = bench_pp_fast(pool, n);
		r[1][i] = bench_pp_ring(pool, n);
		r[2][i] = bench_mempool(mp, n);
		r[3][i] = bench_malloc(n);
		r[4][i] = bench_cross(pool, NULL, n / 4);
		r[5][i] = bench_cross(NULL, mp, n / 4);
	}
	printf("%-52s %10s %14s\n", "test (cycles per alloc+free, median of runs)", "cycles",
	       "vs rte_mempool");
	for (int t = 0; t < TESTS; t++) {
		qsort(r[t], (size_t)runs, sizeof(double), bench_cmp);
		med[t] = r[t][runs / 2];
	}
	for (int t = 0; t < 4; t++)
		printf("%-52s %10.1f %13.2fx\n", names[t], med[t], med[t] / med[2]);
	printf("%-52s %10s %14s\n", "cross-thread (cycles per buffer handed over)", "cycles",
	       "vs rte_mempool");
	for (int t = 4; t < TESTS; t++)
		printf("%-52s %10.1f %13.2fx\n", names[t], med[t], med[t] / med[5]);
	printf("(%ld pairs per run, %d runs; TSC cycles)\n", n, runs);
	if (getenv("PP_BENCH_STATS")) {
		struct pp_stats st;

		pp_pool_stats(pool, &st);
		printf("pool: fast %lu slow %lu empty %lu refill %lu ring %lu ring_full %lu\n",
		       (unsigned long)st.alloc_fast, (unsigned long)st.alloc_slow,
		       (unsigned long)st.alloc_empty, (unsigned long)st.alloc_refill,
		       (unsigned long)st.recycle_ring, (unsigned long)st.recycle_ring_full);
	}
	pp_pool_destroy(pool);
	return 0;
}
