/*
 * cli_dp.c - the datapath's commands: tc-style filters, replay (tcpreplay
 * for a port) and capture (tcpdump -w for a port), without privileges.
 *
 * Pcap files are read and written here, in the user's process with the
 * user's rights; the daemon only ever sees frames.
 */
#include "cli.h"
#include "sfnic/sfnic.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPLAY_BATCH 64
#define FRAME_MAX 2048

int cli_cmd_filter(struct ctx *c)
{
	const char *sub = cli_next(c);
	json_t *req, *args;
	const char *cmd;

	if (!sub || cli_matches(sub, "show") || cli_matches(sub, "list"))
		cmd = "filter.show";
	else if (cli_matches(sub, "add"))
		cmd = "filter.add";
	else if (cli_matches(sub, "replace"))
		cmd = "filter.replace";
	else if (cli_matches(sub, "delete"))
		cmd = "filter.del";
	else if (cli_matches(sub, "help")) {
		printf("Usage: sfnic filter add dev REP ingress [protocol P] [prio P] [chain C]\n"
		       "                         [handle H] flower [MATCH...] action ACTION...\n"
		       "       sfnic filter del dev REP ingress [prio P [handle H]] [chain C]\n"
		       "       sfnic [-s] filter show dev REP ingress\n"
		       "MATCH := src_mac M | dst_mac M | eth_type T | vlan_id V | vlan_prio P |\n"
		       "         vlan_ethtype T | ip_proto tcp|udp|icmp|N | src_ip A[/L] |\n"
		       "         dst_ip A[/L] | src_port N | dst_port N\n"
		       "ACTION := mirred egress redirect|mirror dev REP | drop | pass |\n"
		       "          vlan push id V [priority P] | vlan pop | goto chain C\n");
		return 0;
	} else
		return cli_usage_err("Command \"%s\" is unknown, try \"sfnic filter help\".", sub);
	req = json_pack("{s:s}", "cmd", cmd);
	args = json_array();
	while (c->argc)
		json_array_append_new(args, json_string(cli_next(c)));
	json_object_set_new(req, "args", args);
	if (c->o.stats)
		json_object_set_new(req, "stats", json_true());
	return cli_run(c, req);
}

static long long num_of(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* tc's text from tc's JSON: a NAME_mask key joins its value as "/0xM", a
 * range object prints "MIN-MAX", a flags object "frag/nofirstfrag". */
static void print_keys(json_t *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(keys, k, v) {
		size_t n = strlen(k);
		char mask[64];
		json_t *m;

		if (n > 5 && !strcmp(k + n - 5, "_mask"))
			continue;
		snprintf(mask, sizeof(mask), "%s_mask", k);
		m = json_object_get(keys, mask);
		if (json_is_integer(v)) {
			printf("  %s %lld", k, (long long)json_integer_value(v));
			if (m)
				printf("/0x%s", json_string_value(m));
			printf("\n");
		} else if (json_is_object(v) && json_object_get(v, "start")) {
			printf("  %s %lld-%lld\n", k,
			       (long long)json_integer_value(json_object_get(v, "start")),
			       (long long)json_integer_value(json_object_get(v, "end")));
		} else if (json_is_object(v)) {
			const char *f, *sep = "";
			json_t *b;

			printf("  %s ", k);
			json_object_foreach(v, f, b) {
				printf("%s%s%s", sep, json_is_true(b) ? "" : "no", f);
				sep = "/";
			}
			printf("\n");
		} else {
			printf("  %s %s\n", k, json_string_value(v));
		}
	}
}

void cli_print_filters(const struct cli_opts *o, json_t *arr)
{
	json_t *f;
	size_t i;
	long long pref = -1, chain = -1;

	json_array_foreach(arr, i, f) {
		json_t *opt = json_object_get(f, "options"), *a;
		const char *proto = json_string_value(json_object_get(f, "protocol"));
		size_t j;

		/* tc prints a line for each pref (tcf_proto), then its filters. */
		if (num_of(f, "pref") != pref || num_of(f, "chain") != chain) {
			pref = num_of(f, "pref");
			chain = num_of(f, "chain");
			printf("filter protocol %s pref %lld flower chain %lld \n", proto, pref, chain);
		}
		printf("filter protocol %s pref %lld flower chain %lld handle 0x%llx \n", proto, pref,
		       chain, num_of(opt, "handle"));
		if (!o->brief)
			print_keys(json_object_get(opt, "keys"));
		printf("  in_hw in_hw_count 1\n");
		json_array_foreach(json_object_get(opt, "actions"), j, a)
			cli_print_action(a, o->stats, o->brief);
	}
}

static void hex(const uint8_t *d, unsigned n, char *out)
{
	static const char h[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = h[d[i] >> 4];
		out[2 * i + 1] = h[d[i] & 15];
	}
	out[2 * n] = 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends frames [from, n) until the port took them all. */
static int send_batch(struct ctx *c, const char *port, json_t *frames, unsigned *sent)
{
	size_t total = json_array_size(frames);
	size_t done = 0;

	while (done < total) {
		json_t *req = json_pack("{s:s,s:s}", "cmd", "replay", "handle", port), *reply = NULL;
		json_t *part = json_array();
		int ret;

		for (size_t i = done; i < total; i++)
			json_array_append(part, json_array_get(frames, i));
		json_object_set_new(req, "frames", part);
		ret = sfnic_request(c->client, req, &reply);
		json_decref(req);
		if (ret) {
			fprintf(stderr, "sfnicd connection failed: %s\n", strerror(-ret));
			return ret;
		}
		if (!json_is_true(json_object_get(reply, "ok"))) {
			fprintf(stderr, "Error: %s.\n", json_string_value(json_object_get(reply, "msg")));
			json_decref(reply);
			return -EINVAL;
		}
		done += (size_t)json_integer_value(json_object_get(json_object_get(reply, "result"),
								   "accepted"));
		json_decref(reply);
		if (done < total) {
			struct timespec ts = { 0, 200000 };    /* the port's input is full */

			nanosleep(&ts, NULL);
		}
	}
	*sent += (unsigned)total;
	return 0;
}

int cli_cmd_replay(struct ctx *c)
{
	const char *port = cli_next(c), *file = NULL, *w;
	double rate = 0, start;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned sent = 0, trunc = 0;
	json_t *frames;
	pcap_t *p;
	int ret = 0, rc;

	if (!port)
		return cli_usage_err("%s", "Usage: sfnic replay PORT -r FILE.pcap [--rate max|PPS]");
	while ((w = cli_next(c))) {
		if (!strcmp(w, "-r") && c->argc) {
			file = cli_next(c);
		} else if ((!strcmp(w, "--rate") || !strcmp(w, "rate")) && c->argc) {
			const char *v = cli_next(c);
			char *end;

			if (strcmp(v, "max")) {
				rate = strtod(v, &end);
				if (*end || rate <= 0)
					return cli_usage_err("Illegal rate \"%s\" (max or packets per second)", v);
			}
		} else {
			return cli_usage_err("What is \"%s\"?", w);
		}
	}
	if (!file)
		return cli_usage_err("%s", "Usage: sfnic replay PORT -r FILE.pcap [--rate max|PPS]");
	p = pcap_open_offline(file, errbuf);
	if (!p) {
		fprintf(stderr, "Error: %s.\n", errbuf);
		return -EINVAL;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "Error: %s is not an Ethernet capture (link type %s).\n", file,
			pcap_datalink_val_to_name(pcap_datalink(p)));
		pcap_close(p);
		return -EINVAL;
	}
	if ((ret = cli_connect(c))) {
		pcap_close(p);
		return ret;
	}
	frames = json_array();
	start = now_s();
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		char buf[FRAME_MAX * 2 + 1];
		unsigned len = hdr->caplen < FRAME_MAX ? hdr->caplen : FRAME_MAX;

		trunc += hdr->caplen > FRAME_MAX;
		hex(data, len, buf);
		json_array_append_new(frames, json_string(buf));
		if (rate > 0 || json_array_size(frames) == REPLAY_BATCH) {
			if ((ret = send_batch(c, port, frames, &sent)))
				break;
			json_array_clear(frames);
			if (rate > 0) {
				double due = start + sent / rate, now = now_s();

				if (due > now) {
					struct timespec ts = { (time_t)(due - now),
							       (long)((due - now - (time_t)(due - now)) * 1e9) };
					nanosleep(&ts, NULL);
				}
			}
		}
	}
	if (!ret && rc == PCAP_ERROR) {
		fprintf(stderr, "Error: %s: %s.\n", file, pcap_geterr(p));
		ret = -EINVAL;
	}
	if (!ret && json_array_size(frames))
		ret = send_batch(c, port, frames, &sent);
	json_decref(frames);
	pcap_close(p);
	if (!ret && !c->o.json)
		printf("Actual: %u packets sent to %s%s\n", sent, port,
		       trunc ? " (longer frames cut to 2048 bytes)" : "");
	else if (!ret)
		printf("{\"sent\":%u}\n", sent);
	return ret;
}

static volatile sig_atomic_t stop_capture;

static void on_sigint(int sig)
{
	(void)sig;
	stop_capture = 1;
}

static int unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = strlen(h) / 2;

	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

int cli_cmd_capture(struct ctx *c)
{
	const char *port = cli_next(c), *file = NULL, *w;
	long long count = 0;
	struct sigaction sa = { .sa_handler = on_sigint };
	pcap_dumper_t *dump;
	unsigned long got = 0;
	json_t *req, *reply = NULL, *msg;
	pcap_t *dead;
	int ret;

	if (!port)
		return cli_usage_err("%s", "Usage: sfnic capture PORT [-c COUNT] -w FILE.pcap");
	while ((w = cli_next(c))) {
		if (!strcmp(w, "-w") && c->argc) {
			file = cli_next(c);
		} else if (!strcmp(w, "-c") && c->argc) {
			char *end;
			const char *v = cli_next(c);

			count = strtoll(v, &end, 10);
			if (*end || count <= 0)
				return cli_usage_err("invalid packet count %s", v);
		} else {
			return cli_usage_err("What is \"%s\"?", w);
		}
	}
	if (!file)
		return cli_usage_err("%s", "Usage: sfnic capture PORT [-c COUNT] -w FILE.pcap");
	if ((ret = cli_connect(c)))
		return ret;
	req = json_pack("{s:s,s:s,s:I}", "cmd", "capture", "handle", port, "count",
			(json_int_t)count);
	ret = sfnic_request(c->client, req, &reply);
	json_decref(req);
	if (ret || !json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "Error: %s.\n", reply ? json_string_value(json_object_get(reply, "msg"))
						      : strerror(-ret));
		json_decref(reply);
		return ret ? ret : -ENODEV;
	}
	json_decref(reply);
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	dump = dead ? pcap_dump_open(dead, file) : NULL;
	if (!dump) {
		fprintf(stderr, "Error: %s: %s.\n", file, dead ? pcap_geterr(dead) : "out of memory");
		if (dead)
			pcap_close(dead);
		return -EIO;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "capturing on %s, writing %s\n", port, file);
	while (!stop_capture && (ret = sfnic_recv(c->client, &msg)) == 0) {
		json_t *f = json_object_get(msg, "frame"), *end = json_object_get(msg, "capture_end");

		if (f) {
			uint8_t data[FRAME_MAX];
			json_int_t ts = json_integer_value(json_object_get(f, "ts"));
			int n = unhex(json_string_value(json_object_get(f, "data")) ?: "", data,
				      sizeof(data));
			struct pcap_pkthdr h = {
				.ts = { (time_t)(ts / 1000000000), (suseconds_t)(ts % 1000000000 / 1000) },
				.caplen = n > 0 ? (bpf_u_int32)n : 0,
				.len = (bpf_u_int32)json_integer_value(json_object_get(f, "len")),
			};

			if (n > 0) {
				pcap_dump((u_char *)dump, &h, data);
				got++;
			}
		}
		if (end) {
			const char *e = json_string_value(json_object_get(end, "error"));

			if (e) {
				fprintf(stderr, "Error: %s.\n", e);
				ret = -EBUSY;
			}
			json_decref(msg);
			break;
		}
		json_decref(msg);
	}
	pcap_dump_close(dump);
	pcap_close(dead);
	fprintf(stderr, "%lu packets captured\n", got);
	if (ret == -EINTR || ret == -EPIPE)
		ret = 0;
	return ret;
}
