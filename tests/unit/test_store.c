/* test_store.c - durable state: ports, settings, transactions. */
#include "test_helpers.h"

static int count_cb(const struct store_port *p, void *arg)
{
	(*(int *)arg)++;
	assert_true(p->index >= 32768);
	return 0;
}

static void test_store(void **state)
{
	char dir[] = "/tmp/sfnic-store-XXXXXX", err[256];
	struct store *s;
	struct store_port p = { .index = 32768, .sfnum = 88, .state = 1, .aux_id = 4,
				.hw_addr = { 0, 0, 0, 0, 0x88, 0x88 } };
	int64_t v;
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, &s, err, sizeof(err)), 0);
	strcpy(p.rep_name, "sfnic0npf0sf88");
	assert_int_equal(store_port_put(s, &p), 0);
	p.index = 32769;
	assert_int_equal(store_port_put(s, &p), 0);
	assert_int_equal(store_kv_get(s, "nothing", &v), 0);
	assert_int_equal(store_kv_set(s, "esw_mode", 1), 0);
	/* A rolled-back transaction leaves nothing behind. */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_port_del_all(s), 0);
	assert_int_equal(store_kv_set(s, "esw_mode", 0), 0);
	store_rollback(s);
	store_close(s);
	assert_int_equal(store_open(dir, &s, err, sizeof(err)), 0);
	assert_int_equal(store_kv_get(s, "esw_mode", &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(store_port_foreach(s, count_cb, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_port_del(s, 32768), 0);
	n = 0;
	assert_int_equal(store_port_foreach(s, count_cb, &n), 0);
	assert_int_equal(n, 1);
	store_close(s);
	/* A newer schema is refused with a clear reason. */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd),
			 "sqlite3 %s/sfnic.db \"UPDATE kv SET v=99 WHERE k='schema_version'\" 2>/dev/null",
			 dir);
		if (system(cmd) == 0) {
			assert_int_equal(store_open(dir, &s, err, sizeof(err)), -1);
			assert_non_null(strstr(err, "schema version 99"));
		}
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(store_open("/proc/nonexistent/dir", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_store) };
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
