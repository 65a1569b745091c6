/*
 * ul.c - uplink ports: null and pcap; spec parsing and attaching for the
 * interface (afxdp, afpacket) and memif drivers.
 */
#include "ul.h"
#include "ul_internal.h"

#include "../dp/dp.h"
#include "../util/util.h"

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* How often a pcap uplink retries while p0's input ring is full.  The
 * ring holds 128 frames, so this bounds the replay at ~500 kpps; the timer
 * runs only while a replay is in progress. */
#define UL_RETRY_NS 250000

enum ul_kind { UL_NULL, UL_PCAP, UL_AFXDP, UL_AFPACKET, UL_MEMIF };

struct ul_spec {
	enum ul_kind kind;
	char rx[1024], tx[1024];
	char ifname[32];
	unsigned queue;
	char path[108], secret[24];     /* memif */
	uint32_t id;
};

struct ul {
	struct dp *dp;
	struct ul_spec spec;
	/* pcap receive side: frames read from the file but not yet taken. */
	pcap_t *in;
	int timer_fd;
	unsigned staged, next;
	uint16_t len[DP_BURST];
	uint8_t (*frames)[PP_BUF_SIZE];
	/* pcap transmit side. */
	struct dp_ring *sink;
	pcap_t *dead;
	pcap_dumper_t *out;
	uint64_t rx_frames, tx_frames;  /* for the log lines */
	bool rx_done;                   /* IN is exhausted (or there is none) */
	/* An interface driver's backend, attached to p0, and how to close it. */
	struct dp_backend *iface;
	void (*iface_close)(struct dp_backend *be);
	const char *iface_kind;         /* for the log */
	bool attached;
	struct ul_memif *memif;         /* attaches and detaches itself */
};

/* What the uplink transmits when nothing takes it: counted (tx) by the
 * datapath, then dropped. */
static void null_xmit(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n)
{
	(void)ctx;
	(void)worker;
	for (unsigned i = 0; i < n; i++)
		dp_pkt_free(&pkts[i]);
}

/* PATH[,id=N][,secret=S]: a socket file (no commas in it), memif's
 * interface id and secret. */
static int memif_parse(const char *p, struct ul_spec *s, char *err, size_t errlen)
{
	size_t len = strcspn(p, ",");
	bool have_id = false;

	s->kind = UL_MEMIF;
	if (!len || len >= sizeof(s->path)) {
		snprintf(err, errlen, "uplink memif: \"%.*s\" is not a socket path (1 to %zu bytes)",
			 (int)len, p, sizeof(s->path) - 1);
		return -EINVAL;
	}
	memcpy(s->path, p, len);
	for (p += len; *p == ',';) {
		const char *kv = p + 1, *eq;

		len = strcspn(kv, ",");
		eq = memchr(kv, '=', len);
		if (!eq) {
			snprintf(err, errlen, "uplink memif: \"%.*s\" is not KEY=VALUE", (int)len, kv);
			return -EINVAL;
		}
		size_t klen = (size_t)(eq - kv), vlen = len - klen - 1;

		if (klen == 2 && !strncmp(kv, "id", 2)) {
			char num[16], *end;
			unsigned long long v;

			snprintf(num, sizeof(num), "%.*s", (int)vlen, eq + 1);
			v = strtoull(num, &end, 10);
			if (have_id || !vlen || vlen >= sizeof(num) || *end || num[0] == '-' ||
			    v > UINT32_MAX) {
				snprintf(err, errlen, "uplink memif: %s \"%.*s\"",
					 have_id ? "id given twice:" : "bad id (0 to 4294967295):",
					 (int)vlen, eq + 1);
				return -EINVAL;
			}
			s->id = (uint32_t)v;
			have_id = true;
		} else if (klen == 6 && !strncmp(kv, "secret", 6)) {
			if (s->secret[0] || !vlen || vlen >= sizeof(s->secret)) {
				snprintf(err, errlen, "uplink memif: %s", s->secret[0] ?
					 "secret given twice" : "a secret is 1 to 23 characters");
				return -EINVAL;
			}
			memcpy(s->secret, eq + 1, vlen);
		} else {
			snprintf(err, errlen, "uplink memif: unknown key \"%.*s\" (id or secret)",
				 (int)klen, kv);
			return -EINVAL;
		}
		p = kv + len;
	}
	return 0;
}

static int spec_parse(const char *spec, struct ul_spec *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (!strcmp(spec, "null")) {
		s->kind = UL_NULL;
		return 0;
	}
	if (!strncmp(spec, "afxdp:", 6) || !strncmp(spec, "afpacket:", 9)) {
		bool xdp = spec[2] == 'x';
		const char *name = spec + (xdp ? 6 : 9), *at = strchr(name, '@');
		size_t len = at ? (size_t)(at - name) : strlen(name);
		char *end;

		s->kind = xdp ? UL_AFXDP : UL_AFPACKET;
		if (!len || len >= 16) {
			snprintf(err, errlen, "uplink %s: \"%.*s\" is not an interface name",
				 xdp ? "afxdp" : "afpacket", (int)len, name);
			return -EINVAL;
		}
		memcpy(s->ifname, name, len);
		if (at) {
			unsigned long q = strtoul(at + 1, &end, 10);

			if (!xdp || !at[1] || *end || q > 255) {
				snprintf(err, errlen, "uplink %s: bad queue \"%s\"%s",
					 xdp ? "afxdp" : "afpacket", at + 1,
					 xdp ? "" : " (only afxdp takes @QUEUE)");
				return -EINVAL;
			}
			s->queue = (unsigned)q;
		}
		return 0;
	}
	if (!strncmp(spec, "memif:", 6))
		return memif_parse(spec + 6, s, err, errlen);
	if (strncmp(spec, "pcap:", 5)) {
		snprintf(err, errlen, "uplink \"%s\" is not supported (use null, afxdp:IFNAME[@QUEUE], "
			 "afpacket:IFNAME, memif:PATH[,id=N][,secret=S] or pcap:rx=IN.pcap,tx=OUT.pcap)",
			 spec);
		return -EINVAL;
	}
	s->kind = UL_PCAP;
	for (const char *p = spec + 5; *p;) {
		const char *end = strchr(p, ','), *eq = strchr(p, '=');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *dst;

		if (!eq || eq >= p + len) {
			snprintf(err, errlen, "uplink pcap: \"%.*s\" is not KEY=FILE", (int)len, p);
			return -EINVAL;
		}
		if (eq - p == 2 && !strncmp(p, "rx", 2))
			dst = s->rx;
		else if (eq - p == 2 && !strncmp(p, "tx", 2))
			dst = s->tx;
		else {
			snprintf(err, errlen, "uplink pcap: unknown key \"%.*s\" (rx or tx)",
				 (int)(eq - p), p);
			return -EINVAL;
		}
		len -= (size_t)(eq + 1 - p);
		if (dst[0] || !len || len >= sizeof(s->rx)) {
			snprintf(err, errlen, "uplink pcap: %.2s %s", p,
				 dst[0] ? "given twice" : "needs a file name");
			return -EINVAL;
		}
		memcpy(dst, eq + 1, len);
		p += (end ? (size_t)(end - p) + 1 : strlen(p));
	}
	if (!s->rx[0] && !s->tx[0]) {
		snprintf(err, errlen, "uplink pcap: give rx=IN.pcap, tx=OUT.pcap or both");
		return -EINVAL;
	}
	return 0;
}

int ul_parse_check(const char *spec, char *err, size_t errlen)
{
	struct ul_spec s;

	return spec_parse(spec, &s, err, errlen);
}

/* Reads up to a burst of frames from the file into the staging area. */
static void stage(struct ul *u)
{
	struct pcap_pkthdr *h;
	const u_char *data;

	u->staged = u->next = 0;
	while (u->in && u->staged < DP_BURST) {
		int r = pcap_next_ex(u->in, &h, &data);

		if (r != 1) {
			if (r == PCAP_ERROR)
				util_log(UTIL_WARN, "uplink pcap: %s: %s", u->spec.rx,
					 pcap_geterr(u->in));
			pcap_close(u->in);
			u->in = NULL;
			break;
		}
		uint16_t len = h->caplen < PP_BUF_SIZE ? (uint16_t)h->caplen : PP_BUF_SIZE;

		memcpy(u->frames[u->staged], data, len);
		u->len[u->staged++] = len;
	}
}

/* Moves staged frames into p0 while it has room; stops the retry timer once
 * the file is exhausted. */
static void rx_pump(void *arg)
{
	struct ul *u = arg;
	uint64_t ticks;

	if (read(u->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	for (;;) {
		if (u->next == u->staged)
			stage(u);
		if (u->next == u->staged)
			break;
		const uint8_t *ptrs[DP_BURST];
		unsigned want = u->staged - u->next;

		for (unsigned i = 0; i < want; i++)
			ptrs[i] = u->frames[u->next + i];
		int took = dp_inject(u->dp, DP_VPORT_UPLINK, false, ptrs, &u->len[u->next], want);

		if (took <= 0)
			return; /* full: the timer brings us back */
		u->next += (unsigned)took;
		u->rx_frames += (uint64_t)took;
	}
	if (!u->rx_done) {
		u->rx_done = 1;
		timerfd_settime(u->timer_fd, 0, &(struct itimerspec){ { 0, 0 }, { 0, 0 } }, NULL);
		util_log(UTIL_INFO, "uplink pcap: %llu frames received from %s",
			 (unsigned long long)u->rx_frames, u->spec.rx);
	}
}

static void dump_frame(const struct dp_frame *f, void *arg)
{
	struct ul *u = arg;
	struct pcap_pkthdr h = {
		.ts = { (time_t)(f->ts_ns / 1000000000u), (suseconds_t)(f->ts_ns % 1000000000u / 1000) },
		.caplen = f->len,
		.len = f->orig_len,
	};

	pcap_dump((u_char *)u->out, &h, f->data);
	u->tx_frames++;
}

static void tx_drain(void *arg)
{
	struct ul *u = arg;

	dp_ring_ack(u->sink);
	while (dp_ring_drain(u->sink, 256, dump_frame, u))
		;
	/* Flushed per wakeup so readers of OUT see what was sent. */
	pcap_dump_flush(u->out);
}

static int open_rx(struct ul *u, ul_watch_fn watch, void *loop, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	int ret;

	u->in = pcap_open_offline(u->spec.rx, perr);
	if (!u->in) {
		snprintf(err, errlen, "uplink pcap: %s", perr);
		return -ENOENT;
	}
	if (pcap_datalink(u->in) != DLT_EN10MB) {
		snprintf(err, errlen, "uplink pcap: %s is not an Ethernet capture (link type %s)",
			 u->spec.rx, pcap_datalink_val_to_name(pcap_datalink(u->in)) ?: "?");
		return -EINVAL;
	}
	u->frames = malloc(sizeof(*u->frames) * DP_BURST);
	u->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!u->frames || u->timer_fd < 0) {
		snprintf(err, errlen, "uplink pcap: %s", strerror(errno));
		return -ENOMEM;
	}
	if ((ret = watch(loop, u->timer_fd, rx_pump, u)) ||
	    timerfd_settime(u->timer_fd, 0,
			    &(struct itimerspec){ { 0, UL_RETRY_NS }, { 0, UL_RETRY_NS } }, NULL)) {
		snprintf(err, errlen, "uplink pcap: cannot watch the retry timer: %s",
			 strerror(ret ? -ret : errno));
		return -EIO;
	}
	return 0;
}

static int open_tx(struct ul *u, ul_watch_fn watch, void *loop, char *err, size_t errlen)
{
	int ret;

	u->dead = pcap_open_dead(DLT_EN10MB, 65535);
	u->out = u->dead ? pcap_dump_open(u->dead, u->spec.tx) : NULL;
	if (!u->out) {
		snprintf(err, errlen, "uplink pcap: %s", u->dead ? pcap_geterr(u->dead) :
			 "out of memory");
		return -EIO;
	}
	u->sink = dp_ring_create(dp_nqueues(u->dp), 4096);
	if (!u->sink) {
		snprintf(err, errlen, "uplink pcap: out of memory");
		return -ENOMEM;
	}
	if ((ret = watch(loop, dp_ring_fd(u->sink), tx_drain, u)) ||
	    (ret = dp_port_set_sink(u->dp, DP_VPORT_UPLINK, false, u->sink))) {
		snprintf(err, errlen, "uplink pcap: cannot attach to p0: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* AF_XDP first when asked for; AF_PACKET when AF_XDP cannot be had (no
 * XDP support, an old kernel), said once in the log. */
static int open_iface(struct ul *u, char *err, size_t errlen)
{
	int ret;

	if (u->spec.kind == UL_AFXDP) {
		u->iface = ul_afxdp_open(u->dp, u->spec.ifname, u->spec.queue, err, errlen);
		u->iface_close = ul_afxdp_close;
		u->iface_kind = "AF_XDP";
		if (!u->iface) {
			if (!if_nametoindex(u->spec.ifname))
				return -ENODEV;
			util_log(UTIL_WARN, "%s; falling back to afpacket:%s", err, u->spec.ifname);
		}
	}
	if (!u->iface) {
		u->iface = ul_afpacket_open(u->spec.ifname, err, errlen);
		u->iface_close = ul_afpacket_close;
		u->iface_kind = "AF_PACKET";
		if (!u->iface)
			return -ENODEV;
	}
	if ((ret = dp_port_set_backend(u->dp, DP_VPORT_UPLINK, false, u->iface, u->iface))) {
		snprintf(err, errlen, "uplink: cannot attach to p0: %s", strerror(-ret));
		return ret;
	}
	u->attached = true;
	util_log(UTIL_INFO, "uplink %s on %s", u->iface_kind, u->spec.ifname);
	return 0;
}

struct ul *ul_open(const char *spec, struct dp *dp, ul_watch_fn watch, void *loop,
		   char *err, size_t errlen)
{
	struct ul *u = calloc(1, sizeof(*u));

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->dp = dp;
	u->timer_fd = -1;
	u->rx_done = 1;
	if (spec_parse(spec, &u->spec, err, errlen))
		goto fail;
	if (u->spec.kind == UL_AFXDP || u->spec.kind == UL_AFPACKET) {
		if (open_iface(u, err, errlen))
			goto fail;
		return u;
	}
	if (u->spec.kind == UL_MEMIF) {
		u->memif = ul_memif_open(dp, u->spec.path, u->spec.id, u->spec.secret, watch, loop,
					 err, errlen);
		if (!u->memif)
			goto fail;
		return u;
	}
	if (u->spec.kind == UL_PCAP && u->spec.tx[0]) {
		if (open_tx(u, watch, loop, err, errlen))
			goto fail;
	} else {
		dp_port_set_xmit(dp, DP_VPORT_UPLINK, false, null_xmit, NULL);
	}
	if (u->spec.kind == UL_PCAP && u->spec.rx[0]) {
		u->rx_done = 0;
		if (open_rx(u, watch, loop, err, errlen))
			goto fail;
	}
	return u;
fail:
	ul_close(u);
	return NULL;
}

void ul_close(struct ul *u)
{
	if (!u)
		return;
	dp_port_set_xmit(u->dp, DP_VPORT_UPLINK, false, NULL, NULL);
	if (u->attached)
		dp_port_set_backend(u->dp, DP_VPORT_UPLINK, false, NULL, NULL);
	if (u->iface)
		u->iface_close(u->iface);
	ul_memif_close(u->memif);
	if (u->sink) {
		dp_port_set_sink(u->dp, DP_VPORT_UPLINK, false, NULL);
		if (u->out)
			tx_drain(u);
		if (dp_ring_dropped(u->sink))
			util_log(UTIL_WARN, "uplink pcap: %llu transmitted frames were lost "
				 "(the writer fell behind)",
				 (unsigned long long)dp_ring_dropped(u->sink));
		dp_ring_destroy(u->sink);
	}
	if (u->out) {
		util_log(UTIL_INFO, "uplink pcap: %llu frames written to %s",
			 (unsigned long long)u->tx_frames, u->spec.tx);
		pcap_dump_close(u->out);
	}
	if (u->dead)
		pcap_close(u->dead);
	if (u->in)
		pcap_close(u->in);
	if (u->timer_fd >= 0)
		close(u->timer_fd);
	free(u->frames);
	free(u);
}
