/* test_names.c - phys_port_name and netdev name rules. */
#include "test_helpers.h"
#include "../../src/dl/dl_internal.h"

static void test_phys_port_name(void **state)
{
	struct dl_port p = { .flavour = DL_FLAVOUR_PHYSICAL };
	char b[32];

	(void)state;
	assert_int_equal(dl_phys_port_name(&p, b, sizeof(b)), 0);
	assert_string_equal(b, "p0");
	p = (struct dl_port){ .flavour = DL_FLAVOUR_PCI_PF };
	assert_int_equal(dl_phys_port_name(&p, b, sizeof(b)), 0);
	assert_string_equal(b, "pf0");
	p = (struct dl_port){ .flavour = DL_FLAVOUR_PCI_SF, .sfnum = 88 };
	assert_int_equal(dl_phys_port_name(&p, b, sizeof(b)), 0);
	assert_string_equal(b, "pf0sf88");
	p.controller = 1;
	p.sfnum = 77;
	assert_int_equal(dl_phys_port_name(&p, b, sizeof(b)), 0);
	assert_string_equal(b, "c1pf0sf77");
	assert_int_equal(dl_phys_port_name(&p, b, 4), -EINVAL);
	p.flavour = DL_FLAVOUR_VIRTUAL;
	assert_int_equal(dl_phys_port_name(&p, b, sizeof(b)), -EOPNOTSUPP);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(dl_name_valid("eth0"));
	assert_true(dl_name_valid("123456789012345"));
	assert_false(dl_name_valid("1234567890123456"));
	assert_false(dl_name_valid(""));
	assert_false(dl_name_valid("."));
	assert_false(dl_name_valid(".."));
	assert_false(dl_name_valid("a/b"));
	assert_false(dl_name_valid("a:b"));
	assert_false(dl_name_valid("a b"));
}

static void test_alias_stable_unique(void **state)
{
	struct fixture *f = *state;
	struct dl *dl = f->dl;
	char a[DL_IFNAMSIZ], b[DL_IFNAMSIZ], c[DL_IFNAMSIZ];
	struct dl_port p = { 0 };

	dl_name_derive(dl, "sfnic0", 'n', "pf0sf88", "k1", a);
	assert_string_equal(a, "sfnic0npf0sf88");
	dl_name_derive(dl, "sfnic0", 'n', "pf0sf123456", "k2", a);
	assert_int_equal(strlen(a), 15);
	assert_memory_equal(a, "sfnic0n", 7);
	dl_name_derive(dl, "sfnic0", 'n', "pf0sf123456", "k2", b);
	assert_string_equal(a, b);                     /* stable */
	assert_int_equal(dl_name_reserve(dl, a, &p, false), 0);
	dl_name_derive(dl, "sfnic0", 'n', "pf0sf123456", "k2", c);
	assert_string_not_equal(a, c);                 /* a collision re-hashes */
	assert_int_equal(strlen(c), 15);
	assert_int_equal(dl_name_reserve(dl, a, &p, false), -EEXIST);
	dl_name_release(dl, a);
	assert_null(dl_name_find(dl, a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phys_port_name),
		cmocka_unit_test(test_valid),
		cmocka_unit_test_setup_teardown(test_alias_stable_unique, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
