/* test_pp.c - regions and page pools: fast path, ring path, caps, domains,
 * deferred destroy, stats. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/pp/pp.h"

static struct pp_region *region(uint32_t nbufs)
{
	char err[128];
	struct pp_region *r = pp_region_create("test", 7, nbufs, false, err, sizeof(err));

	assert_non_null(r);
	return r;
}

static void test_region_sealed(void **state)
{
	struct pp_region *r = region(64);
	int seals = fcntl(pp_region_fd(r), F_GET_SEALS);

	(void)state;
	assert_true(seals & F_SEAL_SHRINK);
	assert_int_equal(ftruncate(pp_region_fd(r), 4096), -1);   /* cannot shrink */
	assert_int_equal(pp_region_size(r), 64 * PP_BUF_SIZE);
	assert_int_equal(pp_region_free(r), 64);
	pp_region_destroy(r);
}

static void test_fast_and_ring_path(void **state)
{
	struct pp_region *r = region(1024);
	struct pp_pool *p = pp_pool_create(r, &(struct pp_params){ .name = "t" });
	struct pp_stats s;
	uint32_t b[200];

	(void)state;
	for (int i = 0; i < 200; i++) {
		b[i] = pp_alloc(p);
		assert_int_not_equal(b[i], PP_NO_BUF);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(b[i], b[j]);   /* never handed out twice */
	}
	pp_pool_stats(p, &s);
	assert_int_equal(s.inflight, 200);
	assert_int_equal(s.alloc_slow, 4);      /* 64 at a time from the region */
	for (int i = 0; i < 200; i++)
		pp_put(p, b[i]);
	pp_pool_stats(p, &s);
	/* 56 of the last 64 were still cached: room for 72, the rest overflow. */
	assert_int_equal(s.recycle_cached, 72);
	assert_int_equal(s.recycle_cache_full, 128);
	assert_int_equal(s.recycle_ring, 128);
	assert_int_equal(s.inflight, 0);
	assert_int_equal(s.hold, 256);
	/* Ring path: returns that bypass the cache, then a refill. */
	for (int i = 0; i < 136; i++)
		b[i] = pp_alloc(p);
	pp_put_ring(p, b, 136);
	pp_pool_stats(p, &s);
	assert_int_equal(s.recycle_ring, 128 + 136);
	for (int i = 0; i < 136; i++)
		assert_int_not_equal((b[i] = pp_alloc(p)), PP_NO_BUF);
	pp_pool_stats(p, &s);
	assert_true(s.alloc_refill >= 2);
	assert_int_equal(s.alloc_slow, 4);      /* nothing new from the region */
	pp_pool_destroy(p);
	assert_int_equal(pp_reap(), 1);         /* 136 still out */
	pp_put_ring(p, b, 136);
	assert_int_equal(pp_reap(), 0);
	assert_int_equal(pp_region_free(r), 1024);
	pp_region_destroy(r);
}

static void test_cap_and_deferred_destroy(void **state)
{
	struct pp_region *r = region(512);
	struct pp_pool *p = pp_pool_create(r, &(struct pp_params){ .name = "capped", .max_buffers = 100 });
	struct pp_stats s;
	uint32_t b[128];
	int n = 0;

	(void)state;
	while (n < 128 && (b[n] = pp_alloc(p)) != PP_NO_BUF)
		n++;
	assert_int_equal(n, 100);       /* the consumer's cap, not the region's size */
	pp_pool_stats(p, &s);
	assert_int_equal(s.cap_hit, 1);
	assert_int_equal(pp_region_free(r), 412);
	pp_pool_destroy(p);
	assert_int_equal(pp_reap(), 1);
	for (int i = 0; i < n; i++)
		pp_put(p, b[i]);        /* late returns go straight home */
	assert_int_equal(pp_reap(), 0);
	assert_int_equal(pp_region_free(r), 512);
	pp_region_destroy(r);
}

static void test_domain_zeroing(void **state)
{
	struct pp_region *r = region(64);
	struct pp_pool *p = pp_pool_create(r, NULL);
	uint32_t b = pp_alloc(p);
	uint8_t *d = pp_buf_addr(p, b);

	(void)state;
	memset(d, 0xab, PP_BUF_SIZE);
	pp_put(p, b);
	/* Same domain: recycled as is, no clearing per packet. */
	assert_int_equal(pp_alloc(p), b);
	assert_int_equal(d[100], 0xab);
	assert_int_equal(pp_region_assign(r, 9), -EBUSY);   /* buffers still out */
	pp_put(p, b);
	pp_pool_destroy(p);
	assert_int_equal(pp_reap(), 0);
	assert_int_equal(pp_region_assign(r, 9), 0);
	p = pp_pool_create(r, NULL);
	for (int i = 0; i < 64; i++) {
		uint32_t x = pp_alloc(p);
		uint8_t *a = pp_buf_addr(p, x);

		for (int j = 0; j < PP_BUF_SIZE; j++)
			assert_int_equal(a[j], 0);
		pp_put_ring(p, &x, 1);
	}
	assert_int_equal(pp_region_zeroed(r), 64);
	pp_pool_destroy(p);
	assert_int_equal(pp_reap(), 0);
	pp_region_destroy(r);
}

struct cross { struct pp_pool *p; uint32_t *bufs; int n; };

static void *returner(void *arg)
{
	struct cross *c = arg;

	for (int i = 0; i < c->n; i++)
		pp_put(c->p, c->bufs[i]);       /* not the owner: must use the ring */
	return NULL;
}

static void test_other_thread_never_touches_cache(void **state)
{
	struct pp_region *r = region(4096);
	struct pp_pool *p = pp_pool_create(r, &(struct pp_params){ .ring_size = 4096 });
	uint32_t bufs[1000];
	struct cross c = { p, bufs, 1000 };
	struct pp_stats s;
	pthread_t t;

	(void)state;
	for (int i = 0; i < 1000; i++)
		bufs[i] = pp_alloc(p);
	assert_int_equal(pthread_create(&t, NULL, returner, &c), 0);
	pthread_join(t, NULL);
	pp_pool_stats(p, &s);
	assert_int_equal(s.recycle_cached, 0);
	assert_int_equal(s.recycle_ring, 1000);
	assert_int_equal(s.inflight, 0);
	pp_pool_destroy(p);
	assert_int_equal(pp_reap(), 0);
	pp_region_destroy(r);
}

/* A buffer a read-only tap holds is never handed out: the pool parks it
 * and hands it out again once the tap lets go; parked buffers are the
 * pool's (not in flight) and go home on destroy. */
static void test_tap_held_buffers_are_parked(void **state)
{
	struct pp_region *r = region(256);
	struct pp_pool *p = pp_pool_create(r, &(struct pp_params){ .name = "tapped" });
	_Atomic uint8_t held[256] = { 0 };
	uint32_t a, b, out[256], n = 0, parked[256];
	struct pp_stats st;
	int slot;

	(void)state;
	slot = pp_region_tap_add(r, held);
	assert_true(slot >= 0);
	a = pp_alloc(p);
	held[a] = 1;            /* the tap took it while the packet path held it */
	pp_put(p, a);           /* LIFO: a is on top of the cache */
	b = out[n++] = pp_alloc(p);
	assert_int_not_equal(b, a);
	assert_int_equal(pp_pool_parked(p, parked, 256), 1);
	assert_int_equal(parked[0], a);
	pp_pool_stats(p, &st);
	assert_int_equal(st.inflight, 1);       /* b; a is the pool's, parked */
	/* Drained cache: a is still held, so new buffers instead. */
	while (p->count)
		assert_int_not_equal(out[n++] = pp_alloc(p), a);
	assert_int_not_equal(out[n++] = pp_alloc(p), a);
	held[a] = 0;            /* the application returned it on FILL */
	while (p->count)
		out[n++] = pp_alloc(p);
	assert_int_equal(out[n++] = pp_alloc(p), a);    /* unparked before new ones */
	assert_int_equal(p->nparked, 0);
	/* Parked at destroy: the region gets it back all the same. */
	held[b] = 1;
	pp_put(p, b);
	for (uint32_t i = 0; i < n; i++)
		if (out[i] == b)
			out[i] = out[--n];
	assert_int_not_equal(out[n++] = pp_alloc(p), b);
	assert_int_equal(p->nparked, 1);
	pp_region_tap_del(r, slot);
	for (uint32_t i = 0; i < n; i++)
		pp_put(p, out[i]);
	pp_pool_destroy(p);
	assert_int_equal(pp_reap(), 0);
	assert_int_equal(pp_region_free(r), 256);
	pp_region_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_sealed),
		cmocka_unit_test(test_fast_and_ring_path),
		cmocka_unit_test(test_cap_and_deferred_destroy),
		cmocka_unit_test(test_domain_zeroing),
		cmocka_unit_test(test_other_thread_never_touches_cache),
		cmocka_unit_test(test_tap_held_buffers_are_parked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
