/*
 * sfc_counters.c - `sfnicctl counters`: the device's counter sampler
 * (SET_SAMPLER) writing timestamped snapshots of a port's or queue's
 * counters into a ring in the tool's own registered memory, drained here.
 * At the end: samples, achieved rate, loss (overwritten before read, and
 * deadlines the sampler missed) and jitter (median and p99 of the
 * intervals between samples, against the requested period).
 */
#include "sfnicctl.h"
#include "sfc_ring.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* PORT: an index, p0 (the uplink), pf, or a devlink handle bus/dev/index. */
static int parse_port(const char *s, uint32_t *vport)
{
	const char *slash = strrchr(s, '/');

	if (!strcmp(s, "p0") || !strcmp(s, "uplink")) {
		*vport = DEV_VPORT_UPLINK;
		return 0;
	}
	if (!strcmp(s, "pf")) {
		*vport = DEV_FN_PF;
		return 0;
	}
	return sfc_parse_u32(slash ? slash + 1 : s, vport);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int set_sampler(struct sfc *c, const struct dev_set_sampler_in *start, bool on)
{
	struct dev_set_sampler_in in = { .hdr.opcode = DEV_CMD_SET_SAMPLER,
					 .hdr.op_mod = DEV_SAMPLER_STOP };
	struct dev_set_sampler_out out;

	return sfc_cmd(c, on ? start : &in, sizeof(in), &out, sizeof(out));
}

static int write_csv(const char *path, const struct dev_sample *s, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "ts_ns,rx_packets,rx_bytes,tx_packets,tx_bytes,drops,flags\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%llu,%llu,%llu,%llu,%llu,%llu,%u\n", (unsigned long long)s[i].ts_ns,
			(unsigned long long)s[i].c[0], (unsigned long long)s[i].c[1],
			(unsigned long long)s[i].c[2], (unsigned long long)s[i].c[3],
			(unsigned long long)s[i].c[4], s[i].flags);
	return fclose(f) ? -errno : 0;
}

static void report(struct sfc *c, const struct dev_sample *s, size_t n, uint32_t rate,
		   uint64_t lost, const struct dev_ring_hdr *h)
{
	uint64_t *iv = n > 1 ? malloc((n - 1) * sizeof(*iv)) : NULL, med = 0, p99 = 0;
	double span = n > 1 ? (double)(s[n - 1].ts_ns - s[0].ts_ns) / 1e9 : 0;
	double achieved = span > 0 ? (double)(n - 1) / span : 0;

	for (size_t i = 0; iv && i + 1 < n; i++)
		iv[i] = s[i + 1].ts_ns - s[i].ts_ns;
	if (iv) {
		qsort(iv, n - 1, sizeof(*iv), cmp_u64);
		med = iv[(n - 1) / 2];
		p99 = iv[(size_t)((double)(n - 2) * 0.99)];
	}
	free(iv);
	if (c->json) {
		json_t *last = json_null();

		if (n)
			last = json_pack("{s:I,s:I,s:I,s:I,s:I}", "rx_packets", (json_int_t)s[n - 1].c[0],
					 "rx_bytes", (json_int_t)s[n - 1].c[1],
					 "tx_packets", (json_int_t)s[n - 1].c[2],
					 "tx_bytes", (json_int_t)s[n - 1].c[3],
					 "drops", (json_int_t)s[n - 1].c[4]);
		sfc_print_json(c, json_pack("{s:I,s:i,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
					    "samples", (json_int_t)n, "rate_hz", rate,
					    "achieved_hz", achieved, "lost", (json_int_t)lost,
					    "missed", (json_int_t)h->missed,
					    "late", (json_int_t)h->late,
					    "interval_median_ns", (json_int_t)med,
					    "interval_p99_ns", (json_int_t)p99,
					    "max_late_ns", (json_int_t)h->max_late_ns, "last", last));
		return;
	}
	printf("samples %zu in %.3f s: achieved %.0f Hz of %u Hz requested\n", n, span, achieved, rate);
	printf("lost %llu (overwritten before read), missed %llu (sampler deadlines), "
	       "late %llu (taken a period or more after their deadline)\n",
	       (unsigned long long)lost, (unsigned long long)h->missed,
	       (unsigned long long)h->late);
	printf("interval median %.2f us p99 %.2f us (period %.2f us), worst lateness %.2f us\n",
	       med / 1e3, p99 / 1e3, 1e6 / rate, h->max_late_ns / 1e3);
	if (n)
		printf("last: rx_packets %llu rx_bytes %llu tx_packets %llu tx_bytes %llu drops %llu\n",
		       (unsigned long long)s[n - 1].c[0], (unsigned long long)s[n - 1].c[1],
		       (unsigned long long)s[n - 1].c[2], (unsigned long long)s[n - 1].c[3],
		       (unsigned long long)s[n - 1].c[4]);
}

int sfc_cmd_counters(struct sfc *c, int argc, char **argv)
{
	struct dev_set_sampler_in in = { .hdr.opcode = DEV_CMD_SET_SAMPLER,
					 .hdr.op_mod = DEV_SAMPLER_START, .source = DEV_SAMPLE_PORT };
	uint32_t rate = 0, duration = 0, q;
	const char *csv = NULL;
	struct dev_sample *samples = NULL;
	size_t n = 0, cap, ring_len;
	uint64_t end;
	struct sfc_umem u;
	struct sfc_ring r;
	int ret = 1;

	if (argc < 1 || parse_port(argv[0], &in.vport))
		return sfc_fail(c, EINVAL, "Usage: sfnicctl counters PORT [ queue Q ] [ rep ] --rate HZ "
				"--duration SECONDS [ -o FILE.csv ]");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "rep")) {
			in.rep = 1;
			continue;
		}
		if (!v)
			return sfc_fail(c, EINVAL, "\"%s\" needs a value", a);
		i++;
		if (!strcmp(a, "queue") && !sfc_parse_u32(v, &q) && q <= 0xffff) {
			in.queue = (uint16_t)q;
			in.source = DEV_SAMPLE_QUEUE;
		} else if (!strcmp(a, "--rate") && !sfc_parse_u32(v, &rate) && rate) {
		} else if (!strcmp(a, "--duration") && !sfc_parse_u32(v, &duration) && duration &&
			   duration <= 3600) {
		} else if (!strcmp(a, "-o")) {
			csv = v;
		} else {
			return sfc_fail(c, EINVAL, "%s \"%s\": not understood", a, v);
		}
	}
	if (!rate || !duration)
		return sfc_fail(c, EINVAL, "--rate HZ and --duration SECONDS are required");
	in.rate_hz = rate;
	/* Room for a quarter second in the ring: the tool drains every ms. */
	ring_len = sizeof(struct dev_ring_hdr) + (size_t)(rate / 4 + 1024) * sizeof(struct dev_sample);
	if (ring_len > CTL_UMEM_MAX)
		ring_len = CTL_UMEM_MAX;
	cap = (size_t)rate * duration + (size_t)rate / 10 + 1024;
	samples = malloc(cap * sizeof(*samples));
	if (!samples)
		return sfc_fail(c, 1, "out of memory for %zu samples", cap);
	if (sfc_umem_reg(c, ring_len, &u)) {
		free(samples);
		return sfc_fail(c, 1, "%s", c->err);
	}
	in.umem_id = u.id;
	in.len = u.len;
	if (set_sampler(c, &in, true)) {
		sfc_fail(c, 1, "%s", c->err);
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sfc_ring_init(&r, u.addr);
	end = mono_ns() + (uint64_t)duration * 1000000000u;
	while (!stop && mono_ns() < end) {
		n += sfc_ring_read(&r, samples + n, (unsigned)(cap - n < 65536 ? cap - n : 65536));
		usleep(1000);
	}
	if (set_sampler(c, &in, false)) {
		sfc_fail(c, 1, "%s", c->err);
		goto out;
	}
	/* Stopped synchronously: what is in the ring now is all there is. */
	n += sfc_ring_read(&r, samples + n, (unsigned)(cap - n < 65536 ? cap - n : 65536));
	if (csv && (ret = write_csv(csv, samples, n))) {
		sfc_fail(c, 1, "%s: %s", csv, strerror(-ret));
		ret = 1;
		goto out;
	}
	report(c, samples, n, rate, r.lost, r.hdr);
	ret = 0;
out:
	sfc_umem_unreg(c, &u);
	free(samples);
	return ret;
}
