/*
 * test_health.c - devlink health reporters (src/health) against the kernel
 * selftest's expectations of netdevsim's reporters
 * (tools/testing/selftests/drivers/net/netdevsim/devlink.sh,
 * dummy_reporter_test and empty_reporter_test), with a clock we move by hand.
 */
#include "test_helpers.h"

#include "../../src/health/health.h"

static uint64_t fake_ms = 1000000;
static uint64_t fake_now(void) { return fake_ms; }
static uint64_t fake_real(void) { return 1710667769ull * 1000000000ull; }

/* netdevsim's dummy reporter: break_health, fail_recover. */
struct dummy {
	bool fail_recover;
	char break_msg[64];
	unsigned recovers;      /* op calls */
};

static int dummy_recover(struct health_reporter *r, void *ctx, struct health_err *err)
{
	struct dummy *d = r->priv;

	(void)ctx;
	d->recovers++;
	if (d->fail_recover) {
		snprintf(err->msg, sizeof(err->msg), "recover failed");
		return -EINVAL;
	}
	return 0;
}

static int dummy_dump(struct health_reporter *r, json_t *fmsg, void *ctx, struct health_err *err)
{
	struct dummy *d = r->priv;

	(void)err;
	if (ctx)
		json_object_set_new(fmsg, "break_message", json_string(ctx));
	json_object_set_new(fmsg, "test_bool", json_true());
	json_object_set_new(fmsg, "test_u8", json_integer(1));
	json_object_set_new(fmsg, "test_nest", json_pack("{s:b,s:i}", "nested_test_bool", 0,
							 "nested_test_u8", 2));
	(void)d;
	return 0;
}

static int dummy_diagnose(struct health_reporter *r, json_t *fmsg, struct health_err *err)
{
	struct dummy *d = r->priv;

	(void)err;
	if (d->break_msg[0])
		json_object_set_new(fmsg, "recovered_break_message", json_string(d->break_msg));
	return 0;
}

static const struct health_ops dummy_ops = {
	.name = "dummy", .recover = dummy_recover, .dump = dummy_dump,
	.diagnose = dummy_diagnose,
};
static const struct health_ops empty_ops = { .name = "empty" };

/* netdevsim's break_health write: the report, with the message as ctx. */
static int do_break(struct health_reporter *r, const char *msg)
{
	struct dummy *d = r->priv;
	struct health_err err = { { 0 } };

	snprintf(d->break_msg, sizeof(d->break_msg), "%s", msg);
	return health_report(r, msg, (void *)msg, &err);
}

static void check(const struct health_reporter *r, const char *state, uint64_t error,
		  uint64_t recover, uint64_t grace, bool auto_recover)
{
	assert_string_equal(health_state_str(r->state), state);
	assert_int_equal(r->error_count, error);
	assert_int_equal(r->recovery_count, recover);
	assert_int_equal(r->cfg.grace_period_ms, grace);
	assert_int_equal(r->cfg.auto_recover, auto_recover);
}

static void test_dummy_reporter(void **state)
{
	struct dummy d = { 0 };
	struct health_reporter r;
	struct health_err err = { { 0 } };
	bool f = false, t = true;
	uint64_t ten = 10;
	json_t *j;

	(void)state;
	health_now_ms = fake_now;
	health_real_ns = fake_real;
	health_init(&r, &dummy_ops, &d);
	/* 1. initial */
	check(&r, "healthy", 0, 0, 0, true);
	/* 2. auto_recover false */
	assert_int_equal(health_set(&r, NULL, NULL, &f, NULL, &err), 0);
	check(&r, "healthy", 0, 0, 0, false);
	/* 3. break "foo bar": error, auto-dumped; dump clear; recover */
	assert_int_equal(do_break(&r, "foo bar"), 0);
	check(&r, "error", 1, 0, 0, false);
	assert_int_equal(health_dump_get(&r, &j, &err), 0);
	assert_string_equal(json_string_value(json_object_get(j, "break_message")), "foo bar");
	json_decref(j);
	assert_int_equal(health_dump_clear(&r, &err), 0);
	assert_null(r.dump);
	fake_ms += 100;
	assert_int_equal(health_recover(&r, &err), 0);
	check(&r, "healthy", 1, 1, 0, false);
	/* 4. auto_recover true, break: recovered at once */
	assert_int_equal(health_set(&r, NULL, NULL, &t, NULL, &err), 0);
	fake_ms += 100;
	assert_int_equal(do_break(&r, "foo bar"), 0);
	check(&r, "healthy", 2, 2, 0, true);
	assert_int_equal(health_diagnose(&r, &j, &err), 0);
	assert_string_equal(json_string_value(json_object_get(j, "recovered_break_message")),
			    "foo bar");
	json_decref(j);
	/* 5. grace_period 10 */
	assert_int_equal(health_set(&r, &ten, NULL, NULL, NULL, &err), 0);
	check(&r, "healthy", 2, 2, 10, true);
	/* 6. fail_recover: the report fails, recover fails, then succeeds */
	fake_ms += 100;
	d.fail_recover = true;
	assert_int_not_equal(do_break(&r, "foo bar"), 0);
	check(&r, "error", 3, 2, 10, true);
	assert_int_not_equal(health_recover(&r, &err), 0);
	d.fail_recover = false;
	assert_int_equal(health_recover(&r, &err), 0);
	check(&r, "healthy", 3, 3, 10, true);
	/* 7. a dump is there to show after all that */
	assert_int_equal(health_dump_get(&r, &j, &err), 0);
	json_decref(j);
	health_fini(&r);
}

/* A manual recover of a healthy reporter does not call the op. */
static void test_recover_healthy_is_noop(void **state)
{
	struct dummy d = { 0 };
	struct health_reporter r;

	(void)state;
	health_init(&r, &dummy_ops, &d);
	assert_int_equal(health_recover(&r, NULL), 0);
	assert_int_equal(d.recovers, 0);
	assert_int_equal(r.recovery_count, 0);
	health_fini(&r);
}

/* Grace and burst: a second error within grace + burst of the last
 * recovery stays in error (-ECANCELED); after it, recovery runs again. */
static void test_grace_and_burst(void **state)
{
	struct dummy d = { 0 };
	struct health_reporter r;
	struct health_err err = { { 0 } };
	uint64_t grace = 500, burst = 300, zero = 0;

	(void)state;
	health_now_ms = fake_now;
	health_init(&r, &dummy_ops, &d);
	assert_int_equal(health_set(&r, &grace, &burst, NULL, NULL, &err), 0);
	assert_int_equal(do_break(&r, "a"), 0);         /* first: recovered */
	check(&r, "healthy", 1, 1, 500, true);
	fake_ms += 799;                                 /* inside grace + burst */
	assert_int_equal(do_break(&r, "b"), -ECANCELED);
	check(&r, "error", 2, 1, 500, true);
	/* still in error: another report is aborted whatever the time */
	fake_ms += 10000;
	assert_int_equal(do_break(&r, "c"), -ECANCELED);
	check(&r, "error", 3, 1, 500, true);
	assert_int_equal(health_recover(&r, &err), 0);
	fake_ms += 800;                                 /* grace + burst over */
	assert_int_equal(do_break(&r, "d"), 0);
	check(&r, "healthy", 4, 3, 500, true);
	/* grace 0 switches burst off */
	assert_int_equal(health_set(&r, &zero, NULL, NULL, NULL, &err), 0);
	assert_int_equal(r.cfg.burst_period_ms, 0);
	assert_int_equal(do_break(&r, "e"), 0);
	check(&r, "healthy", 5, 4, 0, true);
	health_fini(&r);
}

static void test_set_errors(void **state)
{
	struct dummy d = { 0 };
	struct health_reporter r, e;
	struct health_err err = { { 0 } };
	uint64_t one = 1, zero = 0;
	bool t = true;
	json_t *j;

	(void)state;
	health_init(&r, &dummy_ops, &d);
	assert_int_equal(health_set(&r, NULL, &one, NULL, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "Cannot set burst period without a grace period.");
	assert_int_equal(health_set(&r, &zero, &one, NULL, NULL, &err), -EINVAL);
	assert_int_equal(health_set(&r, &one, &one, NULL, NULL, &err), 0);
	health_init(&e, &empty_ops, NULL);
	assert_int_equal(health_set(&e, &one, NULL, NULL, NULL, &err), -EOPNOTSUPP);
	assert_int_equal(health_set(&e, NULL, NULL, &t, NULL, &err), -EOPNOTSUPP);
	assert_int_equal(health_set(&e, NULL, NULL, NULL, &t, &err), -EOPNOTSUPP);
	assert_int_equal(health_dump_get(&e, &j, &err), -EOPNOTSUPP);
	assert_int_equal(health_diagnose(&e, &j, &err), -EOPNOTSUPP);
	assert_int_equal(health_test(&e, &err), -EOPNOTSUPP);
	/* empty_reporter_test: recover of a healthy reporter is fine */
	assert_int_equal(health_recover(&e, &err), 0);
	health_fini(&r);
	health_fini(&e);
}

/* Show: fields by the kernel's conditions, dump date and time present
 * only while a dump is stored; auto-dump keeps the first dump. */
static void test_show_json(void **state)
{
	struct dummy d = { 0 };
	struct health_reporter r, e;
	json_t *j;
	bool f = false;
	char *s;

	(void)state;
	health_real_ns = fake_real;
	health_init(&e, &empty_ops, NULL);
	s = json_dumps(j = health_show_json(&e), JSON_COMPACT);
	assert_string_equal(s, "{\"reporter\":\"empty\",\"state\":\"healthy\",\"error\":0,\"recover\":0}");
	free(s);
	json_decref(j);
	health_init(&r, &dummy_ops, &d);
	assert_int_equal(health_set(&r, NULL, NULL, &f, NULL, NULL), 0);
	s = json_dumps(j = health_show_json(&r), JSON_COMPACT);
	assert_string_equal(s, "{\"reporter\":\"dummy\",\"state\":\"healthy\",\"error\":0,\"recover\":0,"
			    "\"grace_period\":0,\"burst_period\":0,\"auto_recover\":false,\"auto_dump\":true}");
	free(s);
	json_decref(j);
	assert_int_equal(do_break(&r, "first"), 0);
	assert_int_equal(do_break(&r, "second"), 0);
	assert_string_equal(json_string_value(json_object_get(r.dump, "break_message")), "first");
	j = health_show_json(&r);
	assert_non_null(json_object_get(j, "last_dump_date"));
	assert_int_equal(strlen(json_string_value(json_object_get(j, "last_dump_time"))), 8);
	json_decref(j);
	health_fini(&r);
	health_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dummy_reporter),
		cmocka_unit_test(test_recover_healthy_is_noop),
		cmocka_unit_test(test_grace_and_burst),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_show_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
