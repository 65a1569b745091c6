/*
 * test_zc_lib.c - the ring helpers of include/sfnic/zc.h: reserve, submit,
 * peek, release over free-running 32-bit indexes, as an application and
 * the daemon see one ring from both ends.  The rings live in a plain
 * malloc'd buffer laid out as the rings memfd is (header, then entries).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sfnic/zc.h"

struct test_ring {
	struct sfnic_zc_ring_hdr *hdr;  /* entries follow it */
	struct sfnic_zc_ring app;       /* the application's view */
	struct sfnic_zc_ring peer;      /* the daemon's view of the same ring */
};

static void view(struct sfnic_zc_ring *r, struct sfnic_zc_ring_hdr *h, uint32_t size)
{
	r->producer = &h->producer;
	r->consumer = &h->consumer;
	r->flags = &h->flags;
	r->entries = h + 1;
	r->size = size;
	r->mask = size - 1;
	r->cached_prod = atomic_load(r->producer);
	r->cached_cons = atomic_load(r->consumer);
}

/* A ring of size entries of esize bytes whose indexes both start at
 * start, as a ring does after start entries went through it. */
static struct test_ring *ring_new(uint32_t size, size_t esize, uint32_t start)
{
	struct test_ring *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->hdr = calloc(1, sizeof(*t->hdr) + size * esize);
	assert_non_null(t->hdr);
	atomic_store(&t->hdr->producer, start);
	atomic_store(&t->hdr->consumer, start);
	view(&t->app, t->hdr, size);
	view(&t->peer, t->hdr, size);
	return t;
}

static void ring_free(struct test_ring *t)
{
	free(t->hdr);
	free(t);
}

static void test_prod_full_and_empty(void **state)
{
	struct test_ring *t = ring_new(8, sizeof(uint32_t), 0);
	uint32_t idx = 77;

	(void)state;
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->app, 3, &idx), 3);
	assert_int_equal(idx, 0);
	assert_int_equal(atomic_load(&t->hdr->producer), 0);  /* not yet published */
	sfnic_zc_ring_prod__submit(&t->app, 3);
	assert_int_equal(atomic_load(&t->hdr->producer), 3);
	/* Asking for more than is free gives what is free, then nothing. */
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->app, 100, &idx), 5);
	assert_int_equal(idx, 3);
	sfnic_zc_ring_prod__submit(&t->app, 5);
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->app, 1, &idx), 0);
	assert_int_equal(idx, 8);
	assert_int_equal(t->app.cached_prod, 8);
	/* The peer consumes two: exactly two slots come free. */
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->peer, 2, &idx), 2);
	sfnic_zc_ring_cons__release(&t->peer, 2);
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->app, 4, &idx), 2);
	assert_int_equal(idx, 8);
	sfnic_zc_ring_prod__submit(&t->app, 2);
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->app, 1, &idx), 0);
	ring_free(t);
}

static void test_cons_empty_and_partial(void **state)
{
	struct test_ring *t = ring_new(16, sizeof(struct sfnic_zc_desc), 0);
	uint32_t idx;

	(void)state;
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->app, 64, &idx), 0);
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->peer, 10, &idx), 10);
	sfnic_zc_ring_prod__submit(&t->peer, 10);
	/* Batches smaller than what waits, then the rest, then nothing. */
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->app, 4, &idx), 4);
	assert_int_equal(idx, 0);
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->app, 64, &idx), 6);
	assert_int_equal(idx, 4);
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->app, 64, &idx), 0);
	/* Slots go back to the producer only on release. */
	assert_int_equal(atomic_load(&t->hdr->consumer), 0);
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->peer, 16, &idx), 6);
	sfnic_zc_ring_cons__release(&t->app, 10);
	assert_int_equal(atomic_load(&t->hdr->consumer), 10);
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->peer, 16, &idx), 10);
	ring_free(t);
}

/* Indexes run through 2^32 to 0: counts and slots stay right. */
static void test_wraparound(void **state)
{
	struct test_ring *t = ring_new(8, sizeof(struct sfnic_zc_desc), UINT32_MAX - 2);
	uint32_t idx, i, n;

	(void)state;
	for (int round = 0; round < 3; round++) {
		n = sfnic_zc_ring_prod__reserve(&t->app, 6, &idx);
		assert_int_equal(n, 6);
		for (i = 0; i < n; i++)
			*sfnic_zc_ring__desc(&t->app, idx + i) = (struct sfnic_zc_desc){
				.buf = idx + i, .off = 64, .len = (uint16_t)(60 + i) };
		sfnic_zc_ring_prod__submit(&t->app, n);
		/* 8 slots, 6 in flight: only 2 more fit across the wrap. */
		assert_int_equal(sfnic_zc_ring_prod__reserve(&t->app, 6, &idx), 2);
		t->app.cached_prod -= 2;        /* give the reservation back */

		n = sfnic_zc_ring_cons__peek(&t->peer, 64, &idx);
		assert_int_equal(n, 6);
		for (i = 0; i < n; i++) {
			struct sfnic_zc_desc *d = sfnic_zc_ring__desc(&t->peer, idx + i);

			assert_int_equal(d->buf, idx + i);
			assert_int_equal(d->len, 60 + i);
			assert_ptr_equal(d, (struct sfnic_zc_desc *)t->peer.entries + ((idx + i) & 7));
		}
		sfnic_zc_ring_cons__release(&t->peer, n);
	}
	assert_int_equal(atomic_load(&t->hdr->producer), (uint32_t)(UINT32_MAX - 2 + 18));
	assert_int_equal(atomic_load(&t->hdr->consumer), 15);
	ring_free(t);
}

/* A full ring whose indexes straddle the wrap is still full, not empty. */
static void test_full_across_wrap(void **state)
{
	struct test_ring *t = ring_new(4, sizeof(uint32_t), UINT32_MAX - 1);
	uint32_t idx;

	(void)state;
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->app, 4, &idx), 4);
	for (uint32_t i = 0; i < 4; i++)
		*sfnic_zc_ring__frame(&t->app, idx + i) = 100 + i;
	sfnic_zc_ring_prod__submit(&t->app, 4);
	assert_int_equal(atomic_load(&t->hdr->producer), 2);
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->app, 1, &idx), 0);
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->peer, 8, &idx), 4);
	assert_int_equal(idx, UINT32_MAX - 1);
	assert_int_equal(*sfnic_zc_ring__frame(&t->peer, idx), 100);
	assert_int_equal(*sfnic_zc_ring__frame(&t->peer, idx + 3), 103);
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->peer, 8, &idx), 0);
	ring_free(t);
}

/* A producer's cached consumer is refreshed only when it looks full, and
 * a consumer's cached producer only when it looks empty (one shared
 * cache-line read per batch, not per entry). */
static void test_cached_indexes(void **state)
{
	struct test_ring *t = ring_new(8, sizeof(uint32_t), 0);
	uint32_t idx;

	(void)state;
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->peer, 2, &idx), 2);
	sfnic_zc_ring_prod__submit(&t->peer, 2);
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->app, 1, &idx), 1);
	assert_int_equal(sfnic_zc_ring_prod__reserve(&t->peer, 3, &idx), 3);
	sfnic_zc_ring_prod__submit(&t->peer, 3);
	/* One entry is still cached: it is returned without a new read. */
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->app, 8, &idx), 1);
	assert_int_equal(idx, 1);
	assert_int_equal(sfnic_zc_ring_cons__peek(&t->app, 8, &idx), 3);
	assert_int_equal(idx, 2);
	ring_free(t);
}

static void test_needs_wakeup(void **state)
{
	struct test_ring *t = ring_new(8, sizeof(uint32_t), 0);

	(void)state;
	assert_false(sfnic_zc_ring_needs_wakeup(&t->app));
	atomic_store(&t->hdr->flags, SFNIC_ZC_RING_NEED_WAKEUP);
	assert_true(sfnic_zc_ring_needs_wakeup(&t->app));
	atomic_store(&t->hdr->flags, 2u);       /* some other flag */
	assert_false(sfnic_zc_ring_needs_wakeup(&t->app));
	atomic_store(&t->hdr->flags, 2u | SFNIC_ZC_RING_NEED_WAKEUP);
	assert_true(sfnic_zc_ring_needs_wakeup(&t->app));
	ring_free(t);
}

/* A tap's TX and COMP: size 0, pointing at a dummy head (as zc.c lays
 * them out); the helpers reserve and find nothing. */
static void test_empty_ring_of_a_tap(void **state)
{
	struct sfnic_zc_ring_hdr none = { 0 };
	struct sfnic_zc_desc entry;
	struct sfnic_zc_ring r = { .producer = &none.producer, .consumer = &none.consumer,
				   .flags = &none.flags, .entries = &entry };
	uint32_t idx;

	(void)state;
	assert_int_equal(sfnic_zc_ring_prod__reserve(&r, 64, &idx), 0);
	sfnic_zc_ring_prod__submit(&r, 0);
	assert_int_equal(sfnic_zc_ring_cons__peek(&r, 64, &idx), 0);
	sfnic_zc_ring_cons__release(&r, 0);
	assert_false(sfnic_zc_ring_needs_wakeup(&r));
	assert_int_equal(atomic_load(&none.producer), 0);
}

static void test_frame_data(void **state)
{
	static uint8_t area[4 * 2048];
	struct sfnic_zc_info info = { .area = area, .frame_size = 2048, .frames = 4 };

	(void)state;
	assert_ptr_equal(sfnic_zc_frame_data(&info, 0, 0), area);
	assert_ptr_equal(sfnic_zc_frame_data(&info, 3, 256), area + 3 * 2048 + 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prod_full_and_empty),
		cmocka_unit_test(test_cons_empty_and_partial),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_full_across_wrap),
		cmocka_unit_test(test_cached_indexes),
		cmocka_unit_test(test_needs_wakeup),
		cmocka_unit_test(test_empty_ring_of_a_tap),
		cmocka_unit_test(test_frame_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
