/*
 * test_metrics.c - the Prometheus exposition writer (escaping, grouping
 * by family, HELP/TYPE), what a scrape reports from the devlink layer's
 * JSON, --metrics's address grammar and the HTTP routing.  No root, no
 * sockets but a bind to a loopback port.
 */
#include "test_helpers.h"
#include "../../src/metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static char *text_of(struct metrics_set *s)
{
	size_t len = 0;
	char *t = metrics_text(s, &len);

	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	return t;
}

static void test_label_values_escaped(void **state)
{
	struct metrics_set *s = metrics_set_new();
	struct metrics_fam *f = metrics_fam(s, "sfnic_x_total", METRICS_COUNTER, "X.");
	struct metrics_label l[] = { { "a", "back\\slash" }, { "b", "say \"hi\"" },
				     { "c", "two\nlines" }, { "d", "ünïcode" } };
	char buf[64], *t;

	(void)state;
	metrics_add_u64(f, l, 4, 18446744073709551615ull);
	t = text_of(s);
	assert_string_equal(t, "# HELP sfnic_x_total X.\n"
			       "# TYPE sfnic_x_total counter\n"
			       "sfnic_x_total{a=\"back\\\\slash\",b=\"say \\\"hi\\\"\",c=\"two\\nlines\","
			       "d=\"ünïcode\"} 18446744073709551615\n");
	free(t);
	metrics_set_free(s);
	assert_int_equal(metrics_escape_label(buf, sizeof(buf), "a\\b\"c\nd"), 10);
	assert_string_equal(buf, "a\\\\b\\\"c\\nd");
	assert_int_equal(metrics_escape_label(buf, 4, "\"\"\""), 6);     /* cut short */
	assert_string_equal(buf, "\\\"\\");
}

static void test_help_escaped_quote_kept(void **state)
{
	struct metrics_set *s = metrics_set_new();
	struct metrics_fam *f = metrics_fam(s, "sfnic_g", METRICS_GAUGE,
					    "a \"quoted\" back\\slash\nand a newline");
	char *t;

	(void)state;
	metrics_add_f64(f, NULL, 0, 0.25);
	t = text_of(s);
	assert_string_equal(t, "# HELP sfnic_g a \"quoted\" back\\\\slash\\nand a newline\n"
			       "# TYPE sfnic_g gauge\nsfnic_g 0.25\n");
	free(t);
	metrics_set_free(s);
}

/* Samples added in any order come out grouped; a family without samples
 * says nothing; empty label values are absent labels. */
static void test_families_grouped(void **state)
{
	struct metrics_set *s = metrics_set_new();
	struct metrics_fam *a = metrics_fam(s, "sfnic_a_total", METRICS_COUNTER, "A.");
	struct metrics_fam *b = metrics_fam(s, "sfnic_b", METRICS_GAUGE, "B.");
	struct metrics_label l1[] = { { "port", "p1" }, { "netdev", "" } };
	struct metrics_label l2[] = { { "port", "p2" }, { "netdev", NULL } };
	char *t;

	(void)state;
	(void)metrics_fam(s, "sfnic_empty", METRICS_GAUGE, "Nothing.");
	metrics_add_u64(a, l1, 2, 1);
	metrics_add_u64(b, l1, 2, 2);
	metrics_add_u64(a, l2, 2, 3);
	assert_ptr_equal(metrics_fam(s, "sfnic_b", METRICS_GAUGE, "other help"), b);
	metrics_add_u64(b, NULL, 0, 4);
	t = text_of(s);
	assert_string_equal(t, "# HELP sfnic_a_total A.\n# TYPE sfnic_a_total counter\n"
			       "sfnic_a_total{port=\"p1\"} 1\nsfnic_a_total{port=\"p2\"} 3\n"
			       "# HELP sfnic_b B.\n# TYPE sfnic_b gauge\n"
			       "sfnic_b{port=\"p1\"} 2\nsfnic_b 4\n");
	free(t);
	metrics_set_free(s);
}

/* `port show -s`, `filter show -s`, `health show` and `rate show` as the
 * daemon answers them, turned into families. */
static void test_collect_from_devlink_json(void **state)
{
	json_error_t je;
	json_t *ports = json_loads(
		"{\"port\":{"
		" \"sfnic/sfnic0/65535\":{\"netdev\":\"sfnic0np0\",\"flavour\":\"physical\","
		"  \"stats\":{\"rx\":{\"packets\":2,\"bytes\":128},\"tx\":{\"packets\":0,\"bytes\":0},"
		"   \"drops\":{\"no_consumer\":0,\"mtu\":5},"
		"   \"queues\":[{\"queue\":0,\"rx\":{\"packets\":2,\"bytes\":128},"
		"    \"tx\":{\"packets\":0,\"bytes\":0},\"drops\":{\"no_consumer\":0,\"mtu\":5},"
		"    \"page_pool\":{\"alloc_fast\":7,\"recycle_ring\":3,\"inflight\":1}}]},"
		"  \"rep_stats\":{\"rx\":{\"packets\":0,\"bytes\":0},\"tx\":{\"packets\":0,\"bytes\":0},"
		"   \"drops\":{\"no_consumer\":1},\"queues\":[]}},"
		" \"sfnic/sfnic0/32768\":{\"netdev\":\"sfnic0npf0sf88\",\"flavour\":\"pcisf\","
		"  \"function\":{\"state\":\"active\",\"opstate\":\"attached\"}},"
		" \"sfnic/sfnic0/32769\":{\"flavour\":\"pcisf\","
		"  \"function\":{\"state\":\"inactive\",\"opstate\":\"detached\"}}}}", 0, &je);
	json_t *rules = json_loads(
		"[{\"dev\":\"sfnic0np0\",\"pref\":10,\"chain\":0,\"options\":{\"handle\":1,"
		"\"actions\":[{\"kind\":\"mirred\",\"stats\":{\"bytes\":64,\"packets\":1}}]}}]", 0, &je);
	json_t *health = json_loads(
		"{\"health\":{\"sfnic/sfnic0\":[{\"reporter\":\"fw\",\"state\":\"healthy\","
		"\"error\":0,\"recover\":0}],\"sfnic/sfnic0/0\":[{\"reporter\":\"rx\",\"state\":"
		"\"error\",\"error\":2,\"recover\":1}]}}", 0, &je);
	json_t *rates = json_loads(
		"{\"rate\":{\"sfnic/sfnic0/32768\":{\"type\":\"leaf\",\"tx_max\":25000000,"
		"\"parent\":\"g\",\"stats\":{\"sent_bytes\":9,\"sent_packets\":1,\"throttled\":0,"
		"\"deferred\":4}},\"sfnic/sfnic0/g\":{\"type\":\"node\",\"tx_share\":100}}}", 0, &je);
	struct metrics_input in = { ports, rules, health, rates, "sfnic/sfnic0" };
	struct metrics_set *s = metrics_set_new();
	static const char *const want[] = {
		"# TYPE sfnic_port_rx_packets_total counter\n",
		"sfnic_port_rx_packets_total{port=\"sfnic/sfnic0/65535\",netdev=\"sfnic0np0\","
		"side=\"vport\"} 2\n",
		"sfnic_port_rx_bytes_total{port=\"sfnic/sfnic0/65535\",netdev=\"sfnic0np0\","
		"side=\"vport\"} 128\n",
		"sfnic_port_dropped_packets_total{port=\"sfnic/sfnic0/65535\",netdev=\"sfnic0np0\","
		"side=\"representor\",reason=\"no_consumer\"} 1\n",
		"sfnic_queue_dropped_packets_total{port=\"sfnic/sfnic0/65535\",netdev=\"sfnic0np0\","
		"side=\"vport\",queue=\"0\",reason=\"mtu\"} 5\n",
		"sfnic_page_pool_alloc_fast_total{port=\"sfnic/sfnic0/65535\",netdev=\"sfnic0np0\","
		"side=\"vport\",queue=\"0\"} 7\n",
		"sfnic_page_pool_alloc_slow_total{port=\"sfnic/sfnic0/65535\",netdev=\"sfnic0np0\","
		"side=\"vport\",queue=\"0\"} 0\n",
		"# TYPE sfnic_page_pool_inflight gauge\n",
		"sfnic_sfs{state=\"active\",opstate=\"attached\"} 1\n",
		"sfnic_sfs{state=\"inactive\",opstate=\"detached\"} 1\n",
		"sfnic_sfs{state=\"inactive\",opstate=\"attached\"} 0\n",
		"sfnic_rule_packets_total{dev=\"sfnic0np0\",chain=\"0\",pref=\"10\",handle=\"0x1\"} 1\n",
		"sfnic_rule_bytes_total{dev=\"sfnic0np0\",chain=\"0\",pref=\"10\",handle=\"0x1\"} 64\n",
		"sfnic_health_reporter_state{dev=\"sfnic/sfnic0\",reporter=\"fw\",state=\"healthy\"} 1\n",
		"sfnic_health_reporter_state{dev=\"sfnic/sfnic0\",port=\"sfnic/sfnic0/0\","
		"reporter=\"rx\",state=\"error\"} 1\n",
		"sfnic_health_reporter_errors_total{dev=\"sfnic/sfnic0\",port=\"sfnic/sfnic0/0\","
		"reporter=\"rx\"} 2\n",
		"sfnic_rate_tx_max_bytes_per_second{object=\"sfnic/sfnic0/32768\",kind=\"leaf\","
		"parent=\"g\"} 25000000\n",
		"sfnic_rate_tx_share_bytes_per_second{object=\"sfnic/sfnic0/g\",kind=\"node\"} 100\n",
		"sfnic_rate_deferred_total{object=\"sfnic/sfnic0/32768\",kind=\"leaf\",parent=\"g\"} 4\n",
	};
	char *t;

	(void)state;
	assert_non_null(ports);
	assert_non_null(rules);
	assert_non_null(health);
	assert_non_null(rates);
	metrics_collect(s, &in);
	t = text_of(s);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(t, want[i]))
			fail_msg("missing: %s\nin:\n%s", want[i], t);
	/* The node has no stats: no sent_bytes sample of it. */
	assert_null(strstr(t, "sfnic_rate_sent_bytes_total{object=\"sfnic/sfnic0/g\""));
	/* The SF without stats has no port samples. */
	assert_null(strstr(t, "sfnic_port_rx_packets_total{port=\"sfnic/sfnic0/32769\""));
	free(t);
	metrics_set_free(s);
	json_decref(ports);
	json_decref(rules);
	json_decref(health);
	json_decref(rates);
}

/* A whole scrape of a devlink layer without a datapath: what it has. */
static void test_scrape_of_a_device(void **state)
{
	struct fixture *f = *state;
	struct dl_port_add_req a = { .flavour = "pcisf", .pfnum = 0, .sfnum = 7, .controller = -1 };
	struct dl_eswitch_req sw = { .mode = "switchdev" };
	json_t *out = NULL;
	size_t len;
	char *t;

	assert_int_equal(dl_eswitch_set(f->dl, "sfnic/sfnic0", &sw, &f->err), 0);
	assert_int_equal(dl_port_add(f->dl, "sfnic/sfnic0", &a, &out, &f->err), 0);
	json_decref(out);
	t = metrics_scrape(f->dl, &len);
	assert_non_null(t);
	assert_non_null(strstr(t, "sfnic_sfs{state=\"inactive\",opstate=\"detached\"} 1\n"));
	assert_non_null(strstr(t, "sfnic_health_reporter_state{dev=\"sfnic/sfnic0\",reporter=\"fw\","
				  "state=\"healthy\"} 1\n"));
	assert_non_null(strstr(t, "# TYPE sfnic_scrape_duration_seconds gauge\n"));
	assert_int_equal(t[len - 1], '\n');
	free(t);
}

static void test_addr_grammar(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[128], ip[64];
	static const char *const bad[] = { "", "0", "65536", "abc", "9100x", "1.2.3.4:",
					   ":80", "999.1.1.1:80", "example.org:80", "[::1:80",
					   "1.2.3.4:+80", "-1", "a\nb:80", "\n" };

	(void)state;
	assert_int_equal(metrics_addr_parse("9100", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9100);
	assert_int_equal(metrics_addr_parse("127.0.0.1:9101", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
	assert_string_equal(ip, "127.0.0.1");
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9101);
	assert_int_equal(metrics_addr_parse("[::1]:65535", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(metrics_addr_parse("localhost:1", &ss, &len, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (metrics_addr_parse(bad[i], &ss, &len, err, sizeof(err)) != -EINVAL)
			fail_msg("\"%s\" was taken", bad[i]);
		assert_true(err[0] && !strchr(err, '\n'));
	}
	assert_int_equal(metrics_addr_parse("abc", &ss, &len, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "\"abc\" is not [ADDR:]PORT (PORT 1-65535)");
}

static int route(const char *head, bool *head_only)
{
	return metrics_http_route(head, strlen(head), head_only);
}

static void test_http_routes(void **state)
{
	bool h;

	(void)state;
	assert_int_equal(route("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &h), 200);
	assert_false(h);
	assert_int_equal(route("GET /metrics?x=1 HTTP/1.0\n\n", &h), 200);
	assert_int_equal(route("HEAD /metrics HTTP/1.1\r\n\r\n", &h), 200);
	assert_true(h);
	assert_int_equal(route("GET / HTTP/1.1\r\n\r\n", &h), 404);
	assert_int_equal(route("GET /metricsx HTTP/1.1\r\n\r\n", &h), 404);
	assert_int_equal(route("GET /metrics/ HTTP/1.1\r\n\r\n", &h), 404);
	assert_int_equal(route("POST /metrics HTTP/1.1\r\n\r\n", &h), 405);
	assert_int_equal(route("GET /metrics\r\n\r\n", &h), 400);
	assert_int_equal(route("GET  /metrics HTTP/1.1\r\n\r\n", &h), 400);
	assert_int_equal(route("GET /metrics HTTP/2.0\r\n\r\n", &h), 400);
	assert_int_equal(route("GET /metrics HTTP/1.1 x\r\n\r\n", &h), 400);
	assert_int_equal(route("garbage", &h), 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_values_escaped),
		cmocka_unit_test(test_help_escaped_quote_kept),
		cmocka_unit_test(test_families_grouped),
		cmocka_unit_test(test_collect_from_devlink_json),
		cmocka_unit_test_setup_teardown(test_scrape_of_a_device, fx_setup, fx_teardown),
		cmocka_unit_test(test_addr_grammar),
		cmocka_unit_test(test_http_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
