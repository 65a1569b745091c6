/*
 * test_dl.c - the devlink layer and PF driver over a real device and store:
 * SF lifecycle, every rejection, names, resources, params, restore.
 */
#include "test_helpers.h"

#define DEV "sfnic/sfnic0"

static void switchdev(struct fixture *f)
{
	struct dl_eswitch_req r = { .mode = "switchdev" };

	assert_int_equal(dl_eswitch_set(f->dl, DEV, &r, &f->err), 0);
}

static uint32_t add_sf(struct fixture *f, int64_t ctrl, int64_t sfnum)
{
	struct dl_port_add_req r = { .flavour = "pcisf", .pfnum = 0, .sfnum = sfnum,
				     .controller = ctrl };
	json_t *out = NULL;
	const char *h;
	json_t *v;
	uint32_t idx = 0;

	assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), 0);
	json_object_foreach(json_object_get(out, "port"), h, v)
		idx = (uint32_t)strtoul(strrchr(h, '/') + 1, NULL, 10);
	json_decref(out);
	return idx;
}

static json_t *port_fn(struct fixture *f, const char *handle)
{
	json_t *out, *p;
	const char *h;

	assert_int_equal(dl_port_show(f->dl, handle, &out, &f->err), 0);
	json_object_foreach(json_object_get(out, "port"), h, p) {
		json_t *fn = json_incref(json_object_get(p, "function"));

		json_decref(out);
		return fn;
	}
	fail();
	return NULL;
}

static const char *fn_str(json_t *fn, const char *k)
{
	return json_string_value(json_object_get(fn, k));
}

static int fn_set(struct fixture *f, const char *h, const char *mac, const char *state)
{
	struct dl_fn_set_req r = { mac, state };

	f->err.msg[0] = 0;
	return dl_port_fn_set(f->dl, h, &r, &f->err);
}

/* Switchdev, one SF added, activated and attached: sfnic/sfnic0/32768. */
static void add_attached_sf(struct fixture *f, int64_t sfnum)
{
	switchdev(f);
	add_sf(f, -1, sfnum);
	assert_int_equal(fn_set(f, DEV "/32768", NULL, "active"), 0);
	dl_process_events(f->dl);
}

static void test_lifecycle(void **state)
{
	struct fixture *f = *state;
	json_t *fn, *out;
	uint32_t idx;
	char h[64];

	switchdev(f);
	idx = add_sf(f, -1, 88);
	assert_int_equal(idx, 32768);
	snprintf(h, sizeof(h), DEV "/%u", idx);
	fn = port_fn(f, h);
	assert_string_equal(fn_str(fn, "hw_addr"), "00:00:00:00:00:00");
	assert_string_equal(fn_str(fn, "state"), "inactive");
	assert_string_equal(fn_str(fn, "opstate"), "detached");
	json_decref(fn);

	assert_int_equal(fn_set(f, h, "00:00:00:00:88:88", "active"), 0);
	/* Before the PF driver handles the device's events: still detached. */
	fn = port_fn(f, h);
	assert_string_equal(fn_str(fn, "state"), "active");
	assert_string_equal(fn_str(fn, "opstate"), "detached");
	json_decref(fn);
	assert_true(dl_process_events(f->dl) >= 2);
	fn = port_fn(f, h);
	assert_string_equal(fn_str(fn, "hw_addr"), "00:00:00:00:88:88");
	assert_string_equal(fn_str(fn, "opstate"), "attached");
	assert_non_null(json_object_get(json_object_get(fn, "nested_devlink"),
					"auxiliary/sfnic_core.sf.1"));
	json_decref(fn);
	assert_int_equal(dl_dev_show(f->dl, "auxiliary/sfnic_core.sf.1", &out, &f->err), 0);
	json_decref(out);
	assert_int_equal(dl_aux_show(f->dl, "sfnic_core.eth.1", &out, &f->err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(out, "aux"), "sfnic_core.eth.1"), "driver")), "sfnic_core.eth");
	json_decref(out);
	/* The SF netdev name resolves to the SF instance's own port. */
	assert_int_equal(dl_port_show(f->dl, "sfnic0S88", &out, &f->err), 0);
	assert_non_null(json_object_get(json_object_get(out, "port"),
					"auxiliary/sfnic_core.sf.1/1"));
	json_decref(out);

	/* Inactivation: attached until the driver detaches. */
	assert_int_equal(fn_set(f, "sfnic0npf0sf88", NULL, "inactive"), 0);
	fn = port_fn(f, h);
	assert_string_equal(fn_str(fn, "opstate"), "attached");
	json_decref(fn);
	/* Re-activation while still attached is EBUSY with mlx5's message. */
	assert_int_equal(fn_set(f, h, NULL, "active"), -EBUSY);
	assert_string_equal(f->err.msg, "SF is inactivated but it is still attached");
	dl_process_events(f->dl);
	fn = port_fn(f, h);
	assert_string_equal(fn_str(fn, "opstate"), "detached");
	assert_null(json_object_get(fn, "nested_devlink"));
	json_decref(fn);
	assert_int_equal(dl_dev_show(f->dl, "auxiliary/sfnic_core.sf.1", &out, &f->err), -ENODEV);
	assert_int_equal(dl_port_del(f->dl, h, &f->err), 0);
	assert_int_equal(dl_port_show(f->dl, h, &out, &f->err), -ENODEV);
}

static void test_add_rejections(void **state)
{
	struct fixture *f = *state;
	struct dl_port_add_req r = { .flavour = "pcisf", .pfnum = 0, .sfnum = 1, .controller = -1 };
	json_t *out = NULL;

#define ADD_FAILS(handle, e, m)                                                     \
	do {                                                                      \
		f->err.msg[0] = 0;                                                \
		assert_int_equal(dl_port_add(f->dl, handle, &r, &out, &f->err), e); \
		assert_string_equal(f->err.msg, m);                               \
	} while (0)
	ADD_FAILS(DEV, -EOPNOTSUPP, "SF ports are only supported in eswitch switchdev mode.");
	switchdev(f);
	r.flavour = NULL;
	ADD_FAILS(DEV, -EINVAL, "Port flavour or PCI PF are not specified");
	r.flavour = "pcivf";
	ADD_FAILS(DEV, -EOPNOTSUPP, "Driver supports only SF port addition");
	r.flavour = "pcisf";
	ADD_FAILS(DEV "/65535", -EOPNOTSUPP,
		  "Driver does not support user defined port index assignment");
	r.sfnum = -1;
	ADD_FAILS(DEV, -EOPNOTSUPP,
		  "User must provide unique sfnum. Driver does not support auto assignment");
	r.sfnum = 1;
	r.controller = 2;
	ADD_FAILS(DEV, -EINVAL, "Invalid controller number");
	r.controller = -1;
	r.pfnum = 1;
	ADD_FAILS(DEV, -EINVAL, "Invalid pfnum supplied");
	r.pfnum = 0;
	r.netdev = "bad/name";
	ADD_FAILS(DEV, -EINVAL, "Invalid netdev name \"bad/name\"");
	r.netdev = "sfnic0np0";
	ADD_FAILS(DEV, -EEXIST, "Netdev name \"sfnic0np0\" is already in use");
	r.netdev = NULL;
	assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), 0);
	json_decref(out);
	ADD_FAILS(DEV, -EEXIST, "SF already exist. Choose different sfnum");
	assert_int_equal(dl_port_add(f->dl, "sfnic/nope", &r, &out, &f->err), -ENODEV);
}

static void test_fn_set_rejections(void **state)
{
	struct fixture *f = *state;

	switchdev(f);
	add_sf(f, -1, 5);
	assert_int_equal(fn_set(f, DEV "/65535", "00:00:00:00:00:01", NULL), -EOPNOTSUPP);
	assert_string_equal(f->err.msg, "Port doesn't support function attributes");
	assert_int_equal(fn_set(f, DEV "/0", NULL, "active"), -EOPNOTSUPP);
	assert_string_equal(f->err.msg, "Function does not support state setting");
	assert_int_equal(fn_set(f, DEV "/0", "02:00:00:00:00:01", NULL), 0);
	assert_int_equal(fn_set(f, DEV "/32768", "01:00:00:00:00:01", NULL), -EINVAL);
	assert_string_equal(f->err.msg, "Non-unicast hardware address unsupported");
	assert_int_equal(fn_set(f, DEV "/32768", "00:11:22:33:44", NULL), -EINVAL);
	assert_string_equal(f->err.msg, "Address must be 6 bytes for Ethernet device");
	assert_int_equal(fn_set(f, DEV "/32768", "00:11:22:33:44:55:66", NULL), -EINVAL);
	assert_string_equal(f->err.msg, "Address must be 6 bytes for Ethernet device");
	assert_int_equal(fn_set(f, DEV "/32768", "zz:11:22:33:44:55", NULL), -EINVAL);
	assert_int_equal(fn_set(f, DEV "/32768", NULL, "sleepy"), -EINVAL);
	assert_string_equal(f->err.msg, "Unknown function state \"sleepy\"");
	assert_int_equal(fn_set(f, DEV "/32768", NULL, NULL), -EINVAL);
	assert_int_equal(fn_set(f, DEV "/99999", NULL, "active"), -ENODEV);
	/* Same state again is a no-op. */
	assert_int_equal(fn_set(f, DEV "/32768", NULL, "inactive"), 0);
	assert_int_equal(dl_port_del(f->dl, DEV "/65535", &f->err), -EOPNOTSUPP);
}

static void test_delete_active_and_legacy_removes_all(void **state)
{
	struct fixture *f = *state;
	struct dl_eswitch_req legacy = { .mode = "legacy" };
	json_t *out;

	switchdev(f);
	for (int i = 0; i < 5; i++) {
		char h[64];

		snprintf(h, sizeof(h), DEV "/%u", add_sf(f, -1, 100 + i));
		assert_int_equal(fn_set(f, h, NULL, "active"), 0);
	}
	dl_process_events(f->dl);
	/* Deleting an active, attached port works. */
	assert_int_equal(dl_port_del(f->dl, DEV "/32768", &f->err), 0);
	assert_int_equal(dl_aux_show(f->dl, "sfnic_core.sf.1", &out, &f->err), -ENODEV);
	assert_int_equal(dl_sf_count(f->dl), 4);
	assert_int_equal(dl_eswitch_set(f->dl, DEV, &legacy, &f->err), 0);
	assert_int_equal(dl_sf_count(f->dl), 0);
	assert_int_equal(dl_aux_show(f->dl, NULL, &out, &f->err), 0);
	assert_int_equal(json_object_size(json_object_get(out, "aux")), 0);
	json_decref(out);
	/* In legacy mode the PF port is gone and the uplink carries the PF netdev. */
	assert_int_equal(dl_port_show(f->dl, DEV "/0", &out, &f->err), -ENODEV);
	assert_int_equal(dl_port_show(f->dl, DEV "/65535", &out, &f->err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(out, "port"), DEV "/65535"), "netdev")), "sfnic0");
	json_decref(out);
}

static void test_names(void **state)
{
	struct fixture *f = *state;
	struct dl_port_add_req r = { .flavour = "pcisf", .pfnum = 0, .sfnum = 77,
				     .controller = 1 };
	json_t *out, *p;

	switchdev(f);
	/* c1pf0sf77: external, phys_port_name with controller, alias for >15. */
	assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), 0);
	p = json_object_get(json_object_get(out, "port"), DEV "/163840");
	assert_non_null(p);
	assert_true(json_is_true(json_object_get(p, "external")));
	assert_int_equal(json_integer_value(json_object_get(p, "controller")), 1);
	/* "sfnic0nc1pf0sf77" is 16 characters: an alias of 15 replaces it. */
	assert_int_equal(strlen(json_string_value(json_object_get(p, "netdev"))), 15);
	assert_memory_equal(json_string_value(json_object_get(p, "netdev")), "sfnic0n", 7);
	json_decref(out);
	/* A large sfnum also gets an alias; a user-given name is kept. */
	r = (struct dl_port_add_req){ .flavour = "pcisf", .pfnum = 0, .sfnum = 123456,
				      .controller = -1, .netdev = "web0", .rep_netdev = "web0_rep" };
	assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), 0);
	json_decref(out);
	assert_int_equal(dl_port_show(f->dl, "web0_rep", &out, &f->err), 0);
	json_decref(out);
	r.sfnum = 123457;
	r.rep_netdev = NULL;
	assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), -EEXIST);
}

static void test_resources(void **state)
{
	struct fixture *f = *state;
	struct dl_port_add_req r = { .flavour = "pcisf", .pfnum = 0, .controller = -1 };
	json_t *out = NULL, *res;

	switchdev(f);
	assert_int_equal(dl_resource_set(f->dl, DEV, "/max_local_SFs", 2, &f->err), 0);
	assert_int_equal(dl_resource_show(f->dl, DEV, &out, &f->err), 0);
	res = json_array_get(json_object_get(json_object_get(out, "resources"), DEV), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "size")), 1024);
	assert_int_equal(json_integer_value(json_object_get(res, "size_new")), 2);
	json_decref(out);
	assert_int_equal(dl_reload(f->dl, DEV, NULL, &f->err), 0);
	for (int i = 0; i < 2; i++) {
		r.sfnum = i;
		assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), 0);
		json_decref(out);
	}
	r.sfnum = 9;
	assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), -ENOSPC);
	assert_string_equal(f->err.msg, "max_local_SFs limit of 2 SFs reached");
	assert_int_equal(dl_resource_set(f->dl, DEV, "max_local_SFs", 1, &f->err), -EINVAL);
	assert_int_equal(dl_resource_set(f->dl, DEV, "max_local_SFs", 70000, &f->err), -EINVAL);
	assert_string_equal(f->err.msg, "Size larger than maximum");
	assert_int_equal(dl_resource_set(f->dl, DEV, "/nope", 1, &f->err), -EINVAL);
	assert_string_equal(f->err.msg, "Resource not found");
	assert_int_equal(dl_resource_set(f->dl, DEV, "max_local_SFs", 65536, &f->err), 0);
	assert_int_equal(dl_reload(f->dl, DEV, NULL, &f->err), 0);
	assert_int_equal(dl_port_add(f->dl, DEV, &r, &out, &f->err), 0);
	json_decref(out);
}

static void test_params_reload(void **state)
{
	struct fixture *f = *state;
	json_t *out;

	add_attached_sf(f, 3);
	assert_int_equal(dl_param_set(f->dl, "auxiliary/sfnic_core.sf.1", "enable_eth", "false",
				      "driverinit", &f->err), 0);
	/* Not applied before reload. */
	assert_int_equal(dl_aux_show(f->dl, "sfnic_core.eth.1", &out, &f->err), 0);
	json_decref(out);
	assert_int_equal(dl_reload(f->dl, "auxiliary/sfnic_core.sf.1", NULL, &f->err), 0);
	assert_int_equal(dl_aux_show(f->dl, "sfnic_core.eth.1", &out, &f->err), -ENODEV);
	assert_int_equal(dl_aux_show(f->dl, "sfnic_core.zc.1", &out, &f->err), 0);
	json_decref(out);
	assert_int_equal(dl_param_set(f->dl, "auxiliary/sfnic_core.sf.1", "enable_eth", "maybe",
				      "driverinit", &f->err), -EINVAL);
	assert_int_equal(dl_param_set(f->dl, "auxiliary/sfnic_core.sf.1", "enable_eth", "true",
				      "runtime", &f->err), -EOPNOTSUPP);
	assert_int_equal(dl_param_set(f->dl, "auxiliary/sfnic_core.sf.1", "nope", "true",
				      "driverinit", &f->err), -EINVAL);
	assert_int_equal(dl_param_show(f->dl, "auxiliary/sfnic_core.sf.1", "enable_eth", &out,
				       &f->err), 0);
	json_decref(out);
}

static void test_aux_unbind_bind(void **state)
{
	struct fixture *f = *state;
	json_t *fn;

	add_attached_sf(f, 3);
	assert_int_equal(dl_aux_unbind(f->dl, "sfnic_core.sf.1", &f->err), 0);
	fn = port_fn(f, DEV "/32768");
	assert_string_equal(fn_str(fn, "state"), "active");
	assert_string_equal(fn_str(fn, "opstate"), "detached");
	json_decref(fn);
	assert_int_equal(dl_aux_unbind(f->dl, "sfnic_core.sf.1", &f->err), -ENODEV);
	assert_int_equal(dl_aux_bind(f->dl, "sfnic_core.sf.1", "sfnic_core.eth", &f->err), -EINVAL);
	assert_int_equal(dl_aux_bind(f->dl, "sfnic_core.sf.1", NULL, &f->err), 0);
	fn = port_fn(f, DEV "/32768");
	assert_string_equal(fn_str(fn, "opstate"), "attached");
	json_decref(fn);
	assert_int_equal(dl_aux_bind(f->dl, "sfnic_core.sf.1", NULL, &f->err), -EBUSY);
	assert_int_equal(dl_aux_bind(f->dl, "sfnic_core.sf.9", NULL, &f->err), -ENODEV);
}

static void test_restore_identical(void **state)
{
	struct fixture *f = *state;
	char *before, *after;
	json_t *out;

	switchdev(f);
	for (int i = 0; i < 20; i++) {
		char h[64], mac[32];

		snprintf(h, sizeof(h), DEV "/%u", add_sf(f, i % 3 == 0 ? 1 : -1, 200 + i));
		snprintf(mac, sizeof(mac), "02:00:00:00:00:%02x", i);
		assert_int_equal(fn_set(f, h, mac, i % 2 ? "active" : NULL), 0);
		dl_process_events(f->dl);
	}
	assert_int_equal(dl_port_del(f->dl, DEV "/32769", &f->err), 0);
	assert_int_equal(dl_aux_unbind(f->dl, "sfnic_core.sf.3", &f->err), 0);
	assert_int_equal(fn_set(f, DEV "/0", "02:aa:bb:cc:dd:ee", NULL), 0);
	assert_int_equal(dl_port_show(f->dl, NULL, &out, &f->err), 0);
	before = json_dumps(out, JSON_SORT_KEYS);
	json_decref(out);
	fx_stop(f);
	fx_start(f);
	assert_int_equal(dl_port_show(f->dl, NULL, &out, &f->err), 0);
	after = json_dumps(out, JSON_SORT_KEYS);
	json_decref(out);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_add_rejections, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fn_set_rejections, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_active_and_legacy_removes_all,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_names, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_resources, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_params_reload, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_aux_unbind_bind, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_identical, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("dl", tests, NULL, NULL);
}
