/* test_aux.c - the auxiliary bus: naming, matching, bind/unbind, ids. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/aux/aux.h"

static int probes, removes, fail_probe;

static int probe(struct aux_device *a, const char *match)
{
	(void)a;
	assert_string_equal(match, "mod.foo");
	probes++;
	return fail_probe ? -EIO : 0;
}

static void remove_cb(struct aux_device *a) { (void)a; removes++; }

static const char *const ids[] = { "mod.foo", NULL };
static const struct aux_driver drv = { .name = "mod.foo_drv", .id_table = ids,
				       .probe = probe, .remove = remove_cb };
static const char *const other_ids[] = { "mod.bar", NULL };
static const struct aux_driver other = { .name = "mod.bar_drv", .id_table = other_ids,
					 .probe = probe, .remove = remove_cb };

static void test_naming(void **state)
{
	struct aux_device a = { 0 };
	char m[AUX_NAME_SIZE];

	(void)state;
	assert_int_equal(aux_device_init(&a, "sfnic_core", "sf", 12), 0);
	assert_string_equal(a.name, "sfnic_core.sf.12");
	aux_match_name(&a, m, sizeof(m));
	assert_string_equal(m, "sfnic_core.sf");
	assert_int_equal(aux_device_init(&a, "a.b", "sf", 1), -EINVAL);
	assert_int_equal(aux_device_init(&a, "", "sf", 1), -EINVAL);
	assert_int_equal(aux_device_init(&a, "averyveryverylongmodulename", "averylongdevname", 1),
			 -ENAMETOOLONG);
}

static void test_probe_bind_unbind(void **state)
{
	struct aux_bus *bus = aux_bus_create();
	struct aux_device a = { 0 }, dup = { 0 }, b = { 0 };

	(void)state;
	probes = removes = fail_probe = 0;
	assert_int_equal(aux_device_init(&a, "mod", "foo", 1), 0);
	assert_int_equal(aux_device_add(bus, &a), 0);
	assert_null(a.driver);                   /* no driver yet */
	assert_int_equal(aux_driver_register(bus, &drv), 0);
	assert_int_equal(aux_driver_register(bus, &drv), -EEXIST);
	assert_int_equal(aux_driver_register(bus, &other), 0);
	assert_ptr_equal(a.driver, &drv);        /* probed on registration */
	assert_int_equal(probes, 1);
	assert_int_equal(aux_device_init(&dup, "mod", "foo", 1), 0);
	assert_int_equal(aux_device_add(bus, &dup), -EEXIST);
	assert_int_equal(aux_bind(bus, "mod.foo.1", NULL), -EBUSY);
	assert_int_equal(aux_unbind(bus, "mod.foo.1"), 0);
	assert_int_equal(removes, 1);
	assert_int_equal(aux_unbind(bus, "mod.foo.1"), -ENODEV);
	assert_int_equal(aux_bind(bus, "mod.foo.1", "mod.bar_drv"), -EINVAL);
	assert_int_equal(aux_bind(bus, "mod.foo.1", "mod.nothing"), -ENODEV);
	assert_int_equal(aux_bind(bus, "nothing.here.1", NULL), -ENODEV);
	fail_probe = 1;
	assert_int_equal(aux_bind(bus, "mod.foo.1", "mod.foo_drv"), -EIO);
	assert_null(a.driver);
	fail_probe = 0;
	assert_int_equal(aux_bind(bus, "mod.foo.1", NULL), 0);
	/* Creation order is kept for listing. */
	assert_int_equal(aux_device_init(&b, "mod", "foo", 2), 0);
	assert_int_equal(aux_device_add(bus, &b), 0);
	assert_ptr_equal(aux_bus_first(bus), &a);
	assert_ptr_equal(a.next, &b);
	aux_device_delete(bus, &a);
	assert_ptr_equal(aux_bus_first(bus), &b);
	assert_null(aux_device_find(bus, "mod.foo.1"));
	aux_device_delete(bus, &b);
	assert_null(aux_bus_first(bus));
	aux_bus_destroy(bus);
}

static void test_ids(void **state)
{
	struct aux_bus *bus = aux_bus_create();

	(void)state;
	assert_int_equal(aux_id_alloc(bus), 1);
	assert_int_equal(aux_id_alloc(bus), 2);
	assert_int_equal(aux_id_claim(bus, 5), 0);
	assert_int_equal(aux_id_claim(bus, 5), -EEXIST);
	assert_int_equal(aux_id_claim(bus, 0), -EINVAL);
	assert_int_equal(aux_id_alloc(bus), 3);
	assert_int_equal(aux_id_alloc(bus), 4);
	assert_int_equal(aux_id_alloc(bus), 6);
	aux_id_free(bus, 2);
	assert_int_equal(aux_id_alloc(bus), 2);
	assert_int_equal(aux_id_claim(bus, 100000), 0);
	for (int i = 0; i < 70000; i++)
		assert_true(aux_id_alloc(bus) > 0);
	aux_bus_destroy(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_naming),
		cmocka_unit_test(test_probe_bind_unbind),
		cmocka_unit_test(test_ids),
	};
	return cmocka_run_group_tests_name("aux", tests, NULL, NULL);
}
