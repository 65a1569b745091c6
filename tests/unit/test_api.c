/* test_api.c - the request path: malformed input gets an error reply. */
#include "test_helpers.h"
#include "../../src/api/api.h"

static json_t *call(struct fixture *f, const char *line)
{
	bool mon;

	return api_dispatch(f->dl, line, strlen(line), &mon);
}

static void expect_err(struct fixture *f, const char *line, int e)
{
	json_t *r = call(f, line);

	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "errno")), e);
	json_decref(r);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	expect_err(f, "", EINVAL);
	expect_err(f, "{", EINVAL);
	expect_err(f, "[1,2]", EINVAL);
	expect_err(f, "{\"cmd\": 5}", EINVAL);
	expect_err(f, "{\"nocmd\": 1}", EINVAL);
	expect_err(f, "{\"cmd\":\"port.show\",\"handle\":7}", EINVAL);
	expect_err(f, "{\"cmd\":\"port.show\",\"cmd\":\"x\"}", EINVAL);
	expect_err(f, "{\"cmd\":\"frobnicate\"}", EOPNOTSUPP);
	expect_err(f, "{\"cmd\":\"port.add\",\"handle\":\"sfnic/sfnic0\",\"flavour\":\"pcisf\","
		      "\"pfnum\":\"zero\",\"sfnum\":1}", EINVAL);
	expect_err(f, "{\"cmd\":\"port.add\",\"handle\":\"sfnic/sfnic0\",\"flavour\":\"pcisf\","
		      "\"pfnum\":-4,\"sfnum\":1}", EINVAL);
	expect_err(f, "{\"cmd\":\"resource.set\",\"handle\":\"sfnic/sfnic0\",\"path\":\"max_local_SFs\"}",
		   EINVAL);
	expect_err(f, "{\"cmd\":\"port.del\"}", ENODEV);
	/* A quoted name cut in the middle of a UTF-8 sequence (found by fuzz_api). */
	{
		char line[512] = "{\"cmd\":\"x";

		for (int i = 0; i < 60; i++)
			strcat(line, "\xc3\xa9");
		strcat(line, "\"}");
		expect_err(f, line, EOPNOTSUPP);
	}
	/* And the daemon's state is intact afterwards. */
	r = call(f, "{\"cmd\":\"dev.show\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

static void test_monitor_flag(void **state)
{
	struct fixture *f = *state;
	bool mon = false;
	json_t *r = api_dispatch(f->dl, "{\"cmd\":\"monitor\"}", 17, &mon);

	assert_true(mon);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_malformed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_monitor_flag, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
