/*
 * sfc_trace.c - `sfnicctl trace`: attaches the device tracer to a ring in
 * the tool's own registered memory (SET_TRACER) and prints every command
 * the device executes (any caller's) and every event it raises, as mlx5's
 * firmware tracer.  No RPC per entry: the device writes, the tool reads its
 * own mapping.
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

#define TRACE_UMEM (1u << 20)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* An event's new state by the device's names (dev_cmd.h): vhca states as
 * mlx5 names them, eswitch modes as devlink does. */
static const char *event_state_name(uint16_t type, uint8_t state)
{
	static const char *const vhca[] = { "invalid", "allocated", "active", "in_use",
					    "teardown_request" };
	static const char *const esw[] = { "legacy", "switchdev", "switchdev_inactive" };

	if (type == DEV_EVENT_VHCA_STATE && state < sizeof(vhca) / sizeof(vhca[0]))
		return vhca[state];
	if (type == DEV_EVENT_ESW_MODE && state < sizeof(esw) / sizeof(esw[0]))
		return esw[state];
	return "unknown";
}

static void print_entry(struct sfc *c, FILE *f, const struct dev_trace_entry *e)
{
	char ts[64], synd[16];
	time_t sec = (time_t)(e->ts_ns / 1000000000u);
	struct tm tm;

	localtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%06u",
		 (unsigned)(e->ts_ns % 1000000000u / 1000));
	snprintf(synd, sizeof(synd), "0x%08x", e->syndrome);
	if (e->kind == DEV_TRACE_EVENT) {
		const char *t = e->opcode == DEV_EVENT_VHCA_STATE ? "vhca_state"
			: e->opcode == DEV_EVENT_ESW_MODE ? "esw_mode" : "unknown";

		if (c->json) {
			json_t *j = json_pack("{s:I,s:s,s:s,s:i,s:i}", "ts_ns", (json_int_t)e->ts_ns,
					      "kind", "event", "event", t, "fn_id", e->syndrome,
					      "state", e->status);
			char *s = json_dumps(j, JSON_COMPACT);

			fprintf(f, "%s\n", s);
			free(s);
			json_decref(j);
		} else {
			fprintf(f, "%s event %s fn_id %u state %s\n", ts, t, e->syndrome,
				event_state_name(e->opcode, e->status));
		}
		return;
	}
	if (c->json) {
		json_t *j = json_pack("{s:I,s:s,s:s,s:i,s:i,s:i,s:s,s:s,s:i}", "ts_ns",
				      (json_int_t)e->ts_ns, "kind", "cmd", "opcode", sfc_op_name(e->opcode),
				      "op_mod", e->op_mod, "uid", e->uid, "status_num", e->status,
				      "status", dev_status_str(e->status), "syndrome", synd,
				      "latency_ns", e->latency_ns);
		char *s = json_dumps(j, JSON_COMPACT);

		fprintf(f, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		fprintf(f, "%s %s op_mod %u uid %u status %s syndrome %s latency %.1f us\n", ts,
			sfc_op_name(e->opcode), e->op_mod, e->uid, dev_status_str(e->status), synd,
			e->latency_ns / 1000.0);
	}
}

static int set_tracer(struct sfc *c, const struct sfc_umem *u, bool attach)
{
	struct dev_set_tracer_in in = { .hdr.opcode = DEV_CMD_SET_TRACER,
					.hdr.op_mod = attach ? DEV_TRACER_ATTACH : DEV_TRACER_DETACH };
	struct dev_set_tracer_out out;

	if (attach) {
		in.umem_id = u->id;
		in.len = u->len;
	}
	return sfc_cmd(c, &in, sizeof(in), &out, sizeof(out));
}

int sfc_cmd_trace(struct sfc *c, int argc, char **argv)
{
	struct dev_trace_entry batch[256];
	const char *ofile = NULL;
	bool follow = false;
	struct sfc_umem u;
	struct sfc_ring r;
	struct timespec end;
	FILE *f = stdout;
	int ret = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--follow") || !strcmp(argv[i], "-f"))
			follow = true;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			ofile = argv[++i];
		else
			return sfc_fail(c, EINVAL, "Usage: sfnicctl trace [ --follow ] [ -o FILE ]");
	}
	if (ofile && !(f = fopen(ofile, "w")))
		return sfc_fail(c, 1, "%s: %s", ofile, strerror(errno));
	if (sfc_umem_reg(c, TRACE_UMEM, &u)) {
		ret = sfc_fail(c, 1, "%s", c->err);
		goto out;
	}
	if (set_tracer(c, &u, true)) {
		ret = sfc_fail(c, 1, "%s", c->err);
		sfc_umem_unreg(c, &u);
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sfc_ring_init(&r, u.addr);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 1;
	for (;;) {
		struct timespec now;
		unsigned n = sfc_ring_read(&r, batch, sizeof(batch) / sizeof(batch[0]));

		for (unsigned i = 0; i < n; i++)
			print_entry(c, f, &batch[i]);
		if (n) {
			fflush(f);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (stop || (!follow && (now.tv_sec > end.tv_sec ||
					 (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))))
			break;
		usleep(10000);
	}
	if (r.lost)
		fprintf(stderr, "sfnicctl: trace: %llu entries lost (overwritten before read)\n",
			(unsigned long long)r.lost);
	/* DESTROY_UCTX would stop it too; detaching says so in the trace. */
	set_tracer(c, &u, false);
	sfc_umem_unreg(c, &u);
out:
	if (ofile)
		fclose(f);
	return ret;
}
