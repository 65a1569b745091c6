/* test_cni.c - sfnic-cni without a daemon: environment, config, state files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/cni/cni.h"

static void set_env(const char *cmd, const char *id, const char *ns, const char *ifname)
{
	const char *names[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME" };
	const char *vals[] = { cmd, id, ns, ifname };

	for (int i = 0; i < 4; i++) {
		if (vals[i])
			setenv(names[i], vals[i], 1);
		else
			unsetenv(names[i]);
	}
	unsetenv("CNI_ARGS");
}

static void env_rules(void **state)
{
	struct cni_env e;
	struct cni_err err;

	(void)state;
	set_env(NULL, NULL, NULL, NULL);
	assert_int_equal(cni_env_read(&e, &err), 1);        /* about text */
	set_env("ADD", "c1", "/run/netns/x", "eth0");
	assert_int_equal(cni_env_read(&e, &err), 0);
	assert_int_equal(e.cmd, CNI_ADD);
	set_env("ADD", "c1", NULL, NULL);
	assert_int_equal(cni_env_read(&e, &err), -1);
	assert_int_equal(err.code, CNI_ERR_ENV);
	assert_string_equal(err.details, "CNI_NETNS CNI_IFNAME is not set");
	set_env("DEL", "c1", NULL, "eth0");                 /* DEL: netns optional */
	assert_int_equal(cni_env_read(&e, &err), 0);
	set_env("ADD", "-bad", "/run/netns/x", "eth0");
	assert_int_equal(cni_env_read(&e, &err), -1);
	assert_string_equal(err.msg, "invalid CNI_CONTAINERID");
	set_env("ADD", "c1", "/run/netns/x", "a/b");
	assert_int_equal(cni_env_read(&e, &err), -1);
	assert_string_equal(err.msg, "invalid CNI_IFNAME");
	set_env("ADD", "c1", "/run/netns/x", "sixteen-chars-xx");
	assert_int_equal(cni_env_read(&e, &err), -1);
	set_env("ADD", "c1", "netns", "eth0");
	assert_int_equal(cni_env_read(&e, &err), -1);
	assert_string_equal(err.msg, "invalid CNI_NETNS");
	set_env("GC", "c1", "/run/netns/x", "eth0");
	assert_int_equal(cni_env_read(&e, &err), -1);
	assert_int_equal(err.code, CNI_ERR_ENV);
}

static int parse(const char *text, struct cni_conf *c, struct cni_err *err)
{
	struct cni_env e = { .cmd = CNI_ADD, .containerid = "c1", .netns = "/run/netns/x",
			     .ifname = "eth0" };

	return cni_conf_parse(c, text, strlen(text), &e, err);
}

static void conf_defaults_and_keys(void **state)
{
	struct cni_conf c;
	struct cni_err err;

	(void)state;
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"type\":\"sfnic-cni\","
			       "\"other\":{\"kept\":1}}", &c, &err), 0);
	assert_string_equal(c.device, "sfnic/sfnic0");
	assert_string_equal(c.data_dir, "/var/lib/cni/sfnic");
	assert_int_equal(c.iface, CNI_IF_NETDEV);
	assert_int_equal(c.mtu, 0);
	assert_int_equal(c.npool, 0);
	assert_false(c.has_ipam);
	cni_conf_free(&c);
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"device\":\"sfnic/x\","
			       "\"runDir\":\"/r\",\"mtu\":9000,\"pool\":\"100-131, 140\","
			       "\"interface\":\"memif\",\"memifSocketDir\":\"/m\","
			       "\"ipam\":{\"type\":\"host-local\"}}", &c, &err), 0);
	assert_string_equal(c.device, "sfnic/x");
	assert_string_equal(c.run_dir, "/r");
	assert_int_equal(c.mtu, 9000);
	assert_int_equal(c.npool, 2);
	assert_true(cni_conf_in_pool(&c, 100));
	assert_true(cni_conf_in_pool(&c, 131));
	assert_false(cni_conf_in_pool(&c, 132));
	assert_true(cni_conf_in_pool(&c, 140));
	assert_int_equal(c.iface, CNI_IF_MEMIF);
	assert_string_equal(c.ipam_type, "host-local");
	cni_conf_free(&c);
}

static void conf_rejections(void **state)
{
	static const struct { const char *text; int code; const char *details; } cases[] = {
		{ "{", CNI_ERR_DECODE, NULL },
		{ "[]", CNI_ERR_DECODE, "it is not a JSON object" },
		{ "{\"name\":\"n\"}", CNI_ERR_DECODE, "\"cniVersion\" is missing or not a string" },
		{ "{\"cniVersion\":\"9.9.9\",\"name\":\"n\"}", CNI_ERR_VERSION, NULL },
		{ "{\"cniVersion\":\"1.0.0\"}", CNI_ERR_CONFIG, NULL },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"interface\":\"vf\"}", CNI_ERR_CONFIG,
		  "\"interface\": expected \"netdev\" or \"memif\"" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":20}", CNI_ERR_CONFIG,
		  "\"mtu\": expected a number from 68 to 65521" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"pool\":\"5-3\"}", CNI_ERR_CONFIG, NULL },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"pool\":\"x\"}", CNI_ERR_CONFIG, NULL },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"interface\":\"memif\"}", CNI_ERR_CONFIG,
		  NULL },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"../x\"}}",
		  CNI_ERR_CONFIG, NULL },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"device\":\"sfnic0\"}", CNI_ERR_CONFIG,
		  NULL },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{\"mac\":\"01:00:00:00:00:01\"}}",
		  CNI_ERR_CONFIG, NULL },
	};
	struct cni_conf c;
	struct cni_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &c, &err), -1);
		assert_int_equal(err.code, cases[i].code);
		if (cases[i].details)
			assert_string_equal(err.details, cases[i].details);
		cni_conf_free(&c);
	}
}

static void mac_derived_and_requested(void **state)
{
	struct cni_env e = { .cmd = CNI_ADD, .containerid = "c1", .netns = "/n", .ifname = "eth0",
			     .args = "IgnoreUnknown=1;MAC=02:11:22:33:44:55" };
	const char *text = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}";
	struct cni_conf c;
	struct cni_err err;
	uint8_t a[6], b[6];

	(void)state;
	assert_int_equal(cni_conf_parse(&c, text, strlen(text), &e, &err), 0);
	assert_true(c.has_mac);
	assert_int_equal(c.mac[5], 0x55);
	cni_mac_derive(&c, &e, a);
	cni_mac_derive(&c, &e, b);
	assert_memory_equal(a, b, 6);
	assert_int_equal(a[0] & 3, 2);          /* local, unicast */
	e.ifname = "eth1";
	cni_mac_derive(&c, &e, b);
	assert_memory_not_equal(a, b, 6);
	cni_conf_free(&c);
	e.args = "MAC=zz";
	assert_int_equal(cni_conf_parse(&c, text, strlen(text), &e, &err), -1);
	assert_int_equal(err.code, CNI_ERR_ENV);
	cni_conf_free(&c);
}

static void state_round_trip_and_claims(void **state)
{
	char dir[] = "/tmp/test_cni.XXXXXX", path[256];
	struct cni_state st = { .sfnum = 101, .index = 32769, .pool = true }, back;
	struct cni_err err;
	int lock;

	(void)state;
	assert_non_null(mkdtemp(dir));
	lock = cni_state_lock(dir, &err);
	assert_true(lock >= 0);
	snprintf(st.device, sizeof(st.device), "sfnic/sfnic0");
	snprintf(st.netdev, sizeof(st.netdev), "sfnic0S101");
	snprintf(st.mac, sizeof(st.mac), "02:00:00:00:00:01");
	st.result = json_pack("{s:s}", "cniVersion", "1.0.0");
	snprintf(path, sizeof(path), "%s/n-c1-eth0.json", dir);
	assert_int_equal(cni_state_load(path, &back, &err), -ENOENT);
	assert_int_equal(cni_state_save(path, &st, &err), 0);
	assert_int_equal(cni_state_load(path, &back, &err), 0);
	assert_int_equal(back.sfnum, 101);
	assert_int_equal(back.index, 32769);
	assert_true(back.pool);
	assert_false(back.memif);
	assert_string_equal(back.netdev, "sfnic0S101");
	assert_string_equal(json_string_value(json_object_get(back.result, "cniVersion")), "1.0.0");
	assert_true(cni_state_claimed(dir, "sfnic/sfnic0", 101));
	assert_false(cni_state_claimed(dir, "sfnic/sfnic0", 102));
	assert_false(cni_state_claimed(dir, "sfnic/other", 101));
	cni_state_free(&back);
	cni_state_free(&st);
	cni_state_remove(path);
	cni_state_remove(path);                  /* twice: fine */
	assert_false(cni_state_claimed(dir, "sfnic/sfnic0", 101));
	close(lock);
	snprintf(path, sizeof(path), "%s/lock", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(env_rules),
		cmocka_unit_test(conf_defaults_and_keys),
		cmocka_unit_test(conf_rejections),
		cmocka_unit_test(mac_derived_and_requested),
		cmocka_unit_test(state_round_trip_and_claims),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
