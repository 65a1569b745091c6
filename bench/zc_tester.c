/*
 * zc_tester.c - both endpoints of bench/zc_bench.sh in one process, one
 * polling loop, one core.
 *
 * The generator is a DPDK memif server (net_memif0) whose client is
 * sfnicd's uplink p0 (--uplink memif:PATH): it does what testpmd's txonly
 * does (allocate a burst of 32 mbufs, write a UDP header template, send),
 * and DPDK's server copies each frame into a p0 buffer the daemon posted,
 * as a NIC's DMA would.  The receiving end is, by mode:
 *
 *   excl   a libsfnic exclusive queue of SF B (zc_rxdrop's loop: take from
 *          RX, give back on FILL, data untouched);
 *   memif  a memif client of SF B's socket (net_memif1) doing what
 *          testpmd's rxonly does: rx_burst and free;
 *   fwd    zc_fwd's loop on an exclusive queue of SF B (swap the MACs in
 *          place, TX the same frame, COMP back on FILL), and the generator
 *          turned into testpmd's io forwarding on net_memif0, primed with
 *          INFLIGHT frames: a closed loop p0 -> B -> app -> B -> p0 -> ...
 *
 * -T PORT -Q QUEUE adds a read-only tap (single) on RX queue QUEUE of PORT,
 * drained in the same loop (p0 0: what p0 takes from the wire; an SF's
 * queue 1: what its memif interface receives).
 *
 * Why one process: this VM has two cores.  The daemon's worker has core 1
 * to itself; a generator and a sink as two busy pollers on core 0 would be
 * scheduled in turns of milliseconds and measure the scheduler (a testpmd
 * rxonly next to a testpmd txonly receives ~0.1 Mpps).  So one loop does
 * both, as memif_bench.sh's tester does.  Unsent mbufs are kept for the
 * next try (testpmd drops them), so the generator is held back by p0's
 * ring and nothing is lost before the daemon.
 *
 * The loop measures itself over SECS after WARM seconds:
 *   rx        frames the receiving end got (fwd: frames back on memif0)
 *   tx        frames the generator got onto the ring (fwd: frames the app
 *             transmitted)
 *   tx_short  generator bursts the ring did not take whole (the daemon was
 *             behind)
 *   rx_empty  polls of the receiving end that found nothing
 *   cpu_ns    this process's CPU time (getrusage)
 *   dcpu_ns   CPU time of the daemon's busiest thread (its worker), from
 *             /proc/PID/task/TID/schedstat, and dtid that thread
 *   app_cyc   TSC cycles in receiving-end calls that returned frames
 *   wait_ns   time this process waited for its core (schedstat), and
 *             dwait_ns the worker's: someone else ran there
 * plus the queues' counters (sfnic_zc_stats) and the TSC rate.  On stdout:
 * `measuring` when the window opens, then one line of key=value.  With -H
 * it then holds its queues open until SIGTERM, so that `sfnic -s port
 * show` can be read with the counters at rest.
 *
 * Usage: zc_tester EAL_ARGS -- -m excl|memif|fwd [-T PORT -Q QUEUE]
 *            [-s SIZE] [-t SECS] [-w WARM] [-B PORT] [-q QUEUE]
 *            [-i INFLIGHT] [-p DAEMON_PID] [-r RUN_DIR] [-H]
 * EAL_ARGS must create net_memif0 (role=server, p0's peer) and, for memif,
 * net_memif1 (role=client of SF B's socket).
 */
#include <sfnic/zc.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define BURST 32                /* testpmd's default burst */
#define ZC_BATCH 64             /* zc_rxdrop's and zc_fwd's */
#define MAX_THREADS 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("zc_tester: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- options and state ---- */

enum mode { M_EXCL, M_MEMIF, M_FWD };

static struct {
	enum mode mode;
	bool hold;
	unsigned size, inflight;
	double secs, warm;
	const char *port_b, *tap_port, *run_dir;
	uint32_t queue, tap_queue;
	int dpid;
} opt = { .size = 64, .secs = 5, .warm = 2, .inflight = 512, .port_b = "sfnic0S89", .queue = 2 };

/* Counters of the loop; a snapshot of them opens and closes the window. */
struct counts {
	uint64_t rx, rx_bytes, tx, tx_short, rx_empty, loops, tap_rx, tap_bytes;
	uint64_t app_cyc, tap_cyc;      /* TSC in receiving-end (tap) calls that had frames */
};

static struct counts cnt;
static struct rte_mempool *mbufs;
static uint16_t port_up, port_b;
static uint8_t header[42];              /* Ethernet + IPv4 + UDP, for -s SIZE */
static struct rte_mbuf *gen_pend[BURST];
static unsigned gen_n, gen_pos;

/* ---- the generator (testpmd txonly, unsent frames kept) ---- */

static void header_init(unsigned size)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)header;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	eth->dst_addr = (struct rte_ether_addr){ { 2, 0, 0, 0, 0, 0x89 } };
	eth->src_addr = (struct rte_ether_addr){ { 2, 0, 0, 0, 0, 0x0a } };
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	*ip = (struct rte_ipv4_hdr){ .version_ihl = 0x45, .time_to_live = 64,
				     .next_proto_id = IPPROTO_UDP,
				     .total_length = rte_cpu_to_be_16(size - 14),
				     .src_addr = rte_cpu_to_be_32(0xc6120001),   /* 198.18.0.1 */
				     .dst_addr = rte_cpu_to_be_32(0xc6120002) };
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*udp = (struct rte_udp_hdr){ .src_port = rte_cpu_to_be_16(9),
				     .dst_port = rte_cpu_to_be_16(4000),
				     .dgram_len = rte_cpu_to_be_16(size - 34) };
}

/* Allocates n frames of the template; false when the pool is dry. */
static bool frames_alloc(struct rte_mbuf **m, unsigned n)
{
	if (rte_pktmbuf_alloc_bulk(mbufs, m, n))
		return false;
	for (unsigned i = 0; i < n; i++) {
		memcpy(rte_pktmbuf_mtod(m[i], void *), header, sizeof(header));
		m[i]->data_len = (uint16_t)opt.size;
		m[i]->pkt_len = opt.size;
	}
	return true;
}

static void generate(void)
{
	unsigned sent;

	if (gen_pos == gen_n) {
		if (!frames_alloc(gen_pend, BURST))
			return;
		gen_n = BURST;
		gen_pos = 0;
	}
	sent = rte_eth_tx_burst(port_up, 0, gen_pend + gen_pos, (uint16_t)(gen_n - gen_pos));
	cnt.tx += sent;
	cnt.tx_short += sent < gen_n - gen_pos;
	gen_pos += sent;
}

/* ---- the receiving ends ---- */

/* Frames waiting for room on a FILL ring (kept rather than waited for:
 * the loop must go on generating). */
struct fillq {
	uint32_t n, b[65536];
};

static void fill_flush(struct sfnic_zc *zc, struct fillq *q, bool kick)
{
	struct sfnic_zc_ring *fill = sfnic_zc_fill(zc);
	uint32_t idx, k;

	if (!q->n)
		return;
	k = sfnic_zc_ring_prod__reserve(fill, q->n, &idx);
	for (uint32_t i = 0; i < k; i++)
		*sfnic_zc_ring__frame(fill, idx + i) = q->b[i];
	sfnic_zc_ring_prod__submit(fill, k);
	memmove(q->b, q->b + k, (q->n - k) * sizeof(q->b[0]));
	q->n -= k;
	/* The worker sleeps with NEED_WAKEUP set on FILL: new buffers alone
	 * do not wake it. */
	if (kick && (k == 0 || sfnic_zc_ring_needs_wakeup(fill)))
		sfnic_zc_kick(zc);
}

/* zc_rxdrop: RX -> FILL, frames untouched.  Returns the frames taken. */
static uint32_t zc_drain(struct sfnic_zc *zc, struct fillq *q, bool kick, uint64_t *bytes)
{
	struct sfnic_zc_ring *rx = sfnic_zc_rx(zc);
	uint32_t idx, n;

	fill_flush(zc, q, kick);
	n = sfnic_zc_ring_cons__peek(rx, ZC_BATCH, &idx);
	for (uint32_t i = 0; i < n; i++) {
		const struct sfnic_zc_desc *d = sfnic_zc_ring__desc(rx, idx + i);

		q->b[q->n++] = d->buf;
		*bytes += d->len;
	}
	sfnic_zc_ring_cons__release(rx, n);
	fill_flush(zc, q, kick);
	return n;
}

static uint32_t memif_drain(void)
{
	struct rte_mbuf *m[BURST];
	uint16_t n = rte_eth_rx_burst(port_b, 0, m, BURST);

	if (!n)
		return 0;
	for (uint16_t i = 0; i < n; i++)
		cnt.rx_bytes += m[i]->pkt_len;
	rte_pktmbuf_free_bulk(m, n);
	return n;
}

/* ---- fwd: zc_fwd's loop, and testpmd io on memif0 ---- */

static void swap_macs(uint8_t *eth)
{
	uint8_t tmp[6];

	memcpy(tmp, eth, 6);
	memcpy(eth, eth + 6, 6);
	memcpy(eth + 6, tmp, 6);
}

/* Returns the frames it handled (completions and received). */
static uint32_t zc_bounce(struct sfnic_zc *zc, struct fillq *q)
{
	const struct sfnic_zc_info *info = sfnic_zc_info(zc);
	struct sfnic_zc_ring *rx = sfnic_zc_rx(zc), *tx = sfnic_zc_tx(zc), *comp = sfnic_zc_comp(zc);
	uint32_t ci, ri, ti = 0, n, nt, done;

	/* Completions straight back on FILL. */
	n = sfnic_zc_ring_cons__peek(comp, ZC_BATCH, &ci);
	for (uint32_t i = 0; i < n; i++)
		q->b[q->n++] = *sfnic_zc_ring__frame(comp, ci + i);
	sfnic_zc_ring_cons__release(comp, n);
	fill_flush(zc, q, false);
	done = n;

	/* TX reserved for the frames that can go (not a runt); what does
	 * not fit goes back on FILL, dropped. */
	n = sfnic_zc_ring_cons__peek(rx, ZC_BATCH, &ri);
	nt = 0;
	for (uint32_t i = 0; i < n; i++)
		nt += sfnic_zc_ring__desc(rx, ri + i)->len >= 14;
	nt = sfnic_zc_ring_prod__reserve(tx, nt, &ti);
	for (uint32_t i = 0, w = 0; i < n; i++) {
		struct sfnic_zc_desc d = *sfnic_zc_ring__desc(rx, ri + i);

		if (d.len < 14 || w == nt) {
			q->b[q->n++] = d.buf;
			continue;
		}
		swap_macs(sfnic_zc_frame_data(info, d.buf, d.off));
		*sfnic_zc_ring__desc(tx, ti + w++) = d;
	}
	sfnic_zc_ring_cons__release(rx, n);
	sfnic_zc_ring_prod__submit(tx, nt);
	cnt.tx += nt;
	if (sfnic_zc_ring_needs_wakeup(tx) || sfnic_zc_ring_needs_wakeup(sfnic_zc_fill(zc)))
		sfnic_zc_kick(zc);
	return done + n;
}

/* testpmd io on one port: what comes back goes out again.  Unsent frames
 * wait (testpmd would drop them and the loop would run dry). */
static void memif_io(void)
{
	static struct rte_mbuf *pend[BURST];
	static unsigned np, pos;

	if (pos == np) {
		np = rte_eth_rx_burst(port_up, 0, pend, BURST);
		pos = 0;
		if (!np) {
			cnt.rx_empty++;
			return;
		}
		cnt.rx += np;
		for (unsigned i = 0; i < np; i++)
			cnt.rx_bytes += pend[i]->pkt_len;
	}
	pos += rte_eth_tx_burst(port_up, 0, pend + pos, (uint16_t)(np - pos));
}

/* ---- measurement ---- */

struct snap {
	struct counts c;
	uint64_t tsc, cpu_ns, wait_ns;
	unsigned nthreads;
	int tid[MAX_THREADS];
	uint64_t tns[MAX_THREADS], twait[MAX_THREADS];
};

/* schedstat of a thread: ns on a CPU, ns waiting on a run queue. */
static bool schedstat(const char *path, uint64_t *run, uint64_t *wait)
{
	unsigned long long r, w;
	FILE *f = fopen(path, "r");
	bool ok = f && fscanf(f, "%llu %llu", &r, &w) == 2;

	if (f)
		fclose(f);
	if (ok) {
		*run = r;
		*wait = w;
	}
	return ok;
}

static uint64_t self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

/* The on-CPU time of every thread of the daemon (schedstat's first field,
 * in ns). */
static void daemon_threads(struct snap *s)
{
	char path[320];
	struct dirent *e;
	DIR *d;

	s->nthreads = 0;
	if (opt.dpid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", opt.dpid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) && s->nthreads < MAX_THREADS) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", opt.dpid, e->d_name);
		if (schedstat(path, &s->tns[s->nthreads], &s->twait[s->nthreads]))
			s->tid[s->nthreads++] = atoi(e->d_name);
	}
	closedir(d);
}

static void snap_take(struct snap *s)
{
	uint64_t run;

	daemon_threads(s);
	s->c = cnt;
	s->cpu_ns = self_cpu_ns();
	s->wait_ns = 0;
	schedstat("/proc/self/schedstat", &run, &s->wait_ns);
	s->tsc = rte_rdtsc();
}

/* ---- set-up ---- */

static uint16_t memif_port(const char *name)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_link link;
	uint16_t id;

	if (rte_eth_dev_get_port_by_name(name, &id))
		die("no port %s (EAL arguments: --vdev=%s,role=client,socket=...)", name, name);
	if (rte_eth_dev_configure(id, 1, 1, &conf) ||
	    rte_eth_rx_queue_setup(id, 0, 1024, rte_socket_id(), NULL, mbufs) ||
	    rte_eth_tx_queue_setup(id, 0, 1024, rte_socket_id(), NULL) || rte_eth_dev_start(id))
		die("%s: cannot start", name);
	for (int i = 0; i < 1000; i++) {
		if (rte_eth_link_get_nowait(id, &link) == 0 && link.link_status)
			return id;
		rte_delay_ms(10);
	}
	die("%s: link down after 10 s", name);
}

static struct sfnic_zc *zc_open(const char *port, uint32_t queue, enum sfnic_zc_mode mode)
{
	struct sfnic_zc *zc;
	char err[256];

	if (sfnic_zc_open(opt.run_dir, port, queue, mode, NULL, &zc, err, sizeof(err)))
		die("%s", err);
	return zc;
}

static void usage(void)
{
	fprintf(stderr, "usage: zc_tester EAL_ARGS -- -m excl|memif|fwd [-T PORT -Q QUEUE]"
			" [-s SIZE] [-t SECS] [-w WARM] [-B PORT] [-q QUEUE] [-i INFLIGHT]"
			" [-p DAEMON_PID] [-r RUN_DIR] [-H]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "m:T:Q:s:t:w:B:q:i:p:r:H")) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "excl"))
				opt.mode = M_EXCL;
			else if (!strcmp(optarg, "memif"))
				opt.mode = M_MEMIF;
			else if (!strcmp(optarg, "fwd"))
				opt.mode = M_FWD;
			else
				usage();
			break;
		case 'T': opt.tap_port = optarg; break;
		case 'Q': opt.tap_queue = (uint32_t)atoi(optarg); break;
		case 's': opt.size = (unsigned)atoi(optarg); break;
		case 't': opt.secs = atof(optarg); break;
		case 'w': opt.warm = atof(optarg); break;
		case 'B': opt.port_b = optarg; break;
		case 'q': opt.queue = (uint32_t)atoi(optarg); break;
		case 'i': opt.inflight = (unsigned)atoi(optarg); break;
		case 'p': opt.dpid = atoi(optarg); break;
		case 'r': opt.run_dir = optarg; break;
		case 'H': opt.hold = true; break;
		default: usage();
		}
	}
	if (opt.size < 60 || opt.size > 1514 || opt.secs <= 0 || opt.inflight > 1024)
		usage();
}

int main(int argc, char **argv)
{
	static struct fillq fq_b, fq_tap;
	struct sfnic_zc *zb = NULL, *tap = NULL;
	struct sfnic_zc_stats zst = { 0 }, tst = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct snap s0, s1;
	uint64_t hz, phase_end;
	uint64_t best_ns = 0, best_wait = 0;
	int best_tid = 0;
	double win;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		die("EAL init failed");
	parse(argc - n, argv + n);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	hz = rte_get_tsc_hz();
	header_init(opt.size);
	mbufs = rte_pktmbuf_pool_create("zc_tester", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					rte_socket_id());
	if (!mbufs)
		die("mbuf pool: %s", rte_strerror(rte_errno));

	/* Receivers first, so that nothing the generator sends is lost to a
	 * queue not yet open. */
	if (opt.mode == M_MEMIF)
		port_b = memif_port("net_memif1");
	else
		zb = zc_open(opt.port_b, opt.queue, SFNIC_ZC_EXCLUSIVE);
	if (opt.tap_port)
		tap = zc_open(opt.tap_port, opt.tap_queue, SFNIC_ZC_SINGLE);
	port_up = memif_port("net_memif0");
	if (opt.mode == M_FWD) {
		struct rte_mbuf *m[BURST];

		for (unsigned left = opt.inflight; left;) {
			unsigned k = left < BURST ? left : BURST, sent = 0;

			if (!frames_alloc(m, k))
				die("mbuf pool dry while priming");
			while (sent < k && !stop)
				sent += rte_eth_tx_burst(port_up, 0, m + sent, (uint16_t)(k - sent));
			left -= k;
		}
	}

	phase_end = rte_rdtsc() + (uint64_t)(opt.warm * hz);
	for (int phase = 0; phase < 2 && !stop; phase++) {
		if (phase == 1) {
			printf("measuring\n");         /* for a profiler to start */
			fflush(stdout);
			snap_take(&s0);
			phase_end = s0.tsc + (uint64_t)(opt.secs * hz);
		}
		for (;;) {
			if ((cnt.loops++ & 255) == 0 && (rte_rdtsc() >= phase_end || stop))
				break;
			uint64_t t0, t1;
			uint32_t k;

			if (opt.mode == M_FWD)
				memif_io();
			else
				generate();
			t0 = rte_rdtsc();
			if (opt.mode == M_EXCL)
				k = zc_drain(zb, &fq_b, true, &cnt.rx_bytes);
			else if (opt.mode == M_MEMIF)
				k = memif_drain();
			else
				k = zc_bounce(zb, &fq_b);
			t1 = rte_rdtsc();
			if (k)
				cnt.app_cyc += t1 - t0;
			if (opt.mode != M_FWD) {
				cnt.rx += k;
				cnt.rx_empty += !k;
			}
			if (tap) {
				k = zc_drain(tap, &fq_tap, false, &cnt.tap_bytes);
				if (k) {
					cnt.tap_rx += k;
					cnt.tap_cyc += rte_rdtsc() - t1;
				}
			}
		}
	}
	snap_take(&s1);
	if (stop) {
		/* No figure from a cut window; the ports are closed in order
		 * (exiting under a running memif port can crash in its PMD). */
		fprintf(stderr, "zc_tester: interrupted\n");
		goto out;
	}

	/* Let what is on its way arrive (counters at rest for port show). */
	for (uint64_t end = rte_rdtsc() + hz / 5; rte_rdtsc() < end;) {
		if (opt.mode == M_MEMIF)
			cnt.rx += memif_drain();
		else if (opt.mode == M_EXCL)
			zc_drain(zb, &fq_b, true, &cnt.rx_bytes);
		if (tap)
			zc_drain(tap, &fq_tap, false, &cnt.tap_bytes);
	}
	if (zb && sfnic_zc_stats(zb, &zst))
		die("zc stats");
	if (tap && sfnic_zc_stats(tap, &tst))
		die("tap stats");

	win = (double)(s1.tsc - s0.tsc) / (double)hz;
	/* The daemon's worker: its busiest thread in the window. */
	for (unsigned i = 0; i < s1.nthreads; i++)
		for (unsigned j = 0; j < s0.nthreads; j++)
			if (s1.tid[i] == s0.tid[j] && s1.tns[i] - s0.tns[j] >= best_ns) {
				best_ns = s1.tns[i] - s0.tns[j];
				best_wait = s1.twait[i] - s0.twait[j];
				best_tid = s1.tid[i];
			}
	printf("mode=%s size=%u tap=%d secs=%.3f rx=%lu rx_bytes=%lu pps=%.0f tx=%lu tx_short=%lu"
	       " rx_empty=%lu loops=%lu app_cyc=%lu tap_rx=%lu tap_bytes=%lu tap_cyc=%lu"
	       " cpu_ns=%lu wait_ns=%lu dtid=%d dcpu_ns=%lu dwait_ns=%lu tsc_hz=%lu"
	       " zc_rx=%lu zc_copied=%lu zc_zerocopy=%lu zc_tx=%lu zc_overruns=%lu zc_invalid=%lu"
	       " tap_delivered=%lu tap_zerocopy=%lu tap_copied=%lu tap_overruns=%lu tap_invalid=%lu\n",
	       opt.mode == M_EXCL ? "excl" : opt.mode == M_MEMIF ? "memif" : "fwd", opt.size,
	       tap != NULL, win, s1.c.rx - s0.c.rx, s1.c.rx_bytes - s0.c.rx_bytes,
	       (double)(s1.c.rx - s0.c.rx) / win, s1.c.tx - s0.c.tx, s1.c.tx_short - s0.c.tx_short,
	       s1.c.rx_empty - s0.c.rx_empty, s1.c.loops - s0.c.loops, s1.c.app_cyc - s0.c.app_cyc,
	       s1.c.tap_rx - s0.c.tap_rx, s1.c.tap_bytes - s0.c.tap_bytes,
	       s1.c.tap_cyc - s0.c.tap_cyc, s1.cpu_ns - s0.cpu_ns, s1.wait_ns - s0.wait_ns,
	       best_tid, best_ns, best_wait, hz, zst.rx_frames, zst.rx_copied, zst.rx_zerocopy,
	       zst.tx_frames, zst.overruns, zst.invalid_desc, tst.rx_frames, tst.rx_zerocopy,
	       tst.rx_copied, tst.overruns, tst.invalid_desc);
	fflush(stdout);

	while (opt.hold && !stop)
		usleep(10000);
	stop = 0;
out:
	sfnic_zc_close(tap);
	sfnic_zc_close(zb);
	rte_eth_dev_stop(port_up);
	if (opt.mode == M_MEMIF)
		rte_eth_dev_stop(port_b);
	rte_eal_cleanup();
	return stop ? 1 : 0;
}
