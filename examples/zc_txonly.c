/*
 * zc_txonly.c - transmit flat out from an exclusive queue (testpmd's
 * txonly, AF_XDP's "xdpsock -t"): every frame the daemon gives back on
 * COMP goes straight back on TX with a UDP frame written into it.
 *
 *   zc_txonly PORT QUEUE|new [-d DST_MAC] [-l LEN] [-c COUNT] [-t SECONDS]
 *             [-r RUN_DIR]
 *
 * Frames are LEN bytes (default 1000, 60..1514) of IPv4/UDP from
 * 02:00:00:00:00:01 to DST_MAC (default ff:ff:ff:ff:ff:ff).  Prints `queue
 * N` once attached and, when it stops (after COUNT frames, SECONDS seconds
 * or SIGINT/SIGTERM), `sent N frames N bytes` and `held_back N`: how many
 * times every frame it owns was on TX, waiting for the daemon to take it.
 *
 * Transmitting is two steps: take frames from COMP (they are the
 * application's again), put them on TX.  The queue opens with
 * opts.tx_frames frames on COMP, as many as TX holds, so the application
 * never needs more: when the daemon reads TX slower than the application
 * writes it (a devlink rate on the SF, a busy eswitch), the frames wait on
 * TX and COMP stays empty.  That is the back-pressure: nothing is lost.
 */
#include <sfnic/zc.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define RING 2048               /* TX and COMP; as many frames in flight */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: zc_txonly PORT QUEUE|new [-d DST_MAC] [-l LEN] [-c COUNT] "
			"[-t SECONDS] [-r RUN_DIR]\n");
	exit(1);
}

/* One's complement sum of the IPv4 header, as the wire wants it. */
static uint16_t ip_csum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet, IPv4 10.0.0.1 -> 10.0.0.2, UDP 9 -> 9 (discard), zero payload
 * and no UDP checksum (allowed over IPv4). */
static void make_template(uint8_t *f, const uint8_t dst[6], uint16_t len)
{
	static const uint8_t src[6] = { 2, 0, 0, 0, 0, 1 };
	uint16_t ip_len = (uint16_t)(len - 14), udp_len = (uint16_t)(len - 34), c;
	uint8_t *ip = f + 14, *udp = f + 34;

	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = ip_len >> 8;
	ip[3] = ip_len & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	c = ip_csum(ip);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	udp[1] = 9;
	udp[3] = 9;
	udp[4] = udp_len >> 8;
	udp[5] = udp_len & 0xff;
}

int main(int argc, char **argv)
{
	unsigned long long count = 0, sent = 0, bytes = 0, held_back = 0;
	struct sfnic_zc_opts opts = { .ring_size = RING, .tx_frames = RING };
	uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, tmpl[1514];
	const struct sfnic_zc_info *info;
	const char *run_dir = NULL;
	double seconds = 0, end;
	struct sigaction sa = { .sa_handler = on_signal };
	struct sfnic_zc_ring *comp, *tx;
	struct sfnic_zc *zc;
	unsigned long long taken = 0, initial;  /* frames taken from COMP; given at open */
	uint32_t queue;
	unsigned long len = 1000;
	char err[256], *e;
	int c, ret;

	while ((c = getopt(argc, argv, "d:l:c:t:r:")) != -1) {
		switch (c) {
		case 'd':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2],
				   &dst[3], &dst[4], &dst[5]) != 6)
				usage();
			break;
		case 'l':
			len = strtoul(optarg, &e, 0);
			if (*e || len < 60 || len > 1514)
				usage();
			break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		case 't': seconds = atof(optarg); break;
		case 'r': run_dir = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	queue = (uint32_t)strtoul(argv[optind + 1], &e, 0);
	if (!strcmp(argv[optind + 1], "new"))
		queue = SFNIC_ZC_QUEUE_NEW;
	else if (*e || e == argv[optind + 1])
		usage();
	make_template(tmpl, dst, (uint16_t)len);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = sfnic_zc_open(run_dir, argv[optind], queue, SFNIC_ZC_EXCLUSIVE, &opts, &zc, err,
			    sizeof(err));
	if (ret) {
		fprintf(stderr, "zc_txonly: %s\n", err);
		return 1;
	}
	info = sfnic_zc_info(zc);
	if (info->headroom + len > info->frame_size) {
		fprintf(stderr, "zc_txonly: %lu bytes do not fit a %u-byte frame\n", len,
			info->frame_size);
		sfnic_zc_close(zc);
		return 1;
	}
	printf("queue %u\n", info->queue);
	fflush(stdout);

	comp = sfnic_zc_comp(zc);
	tx = sfnic_zc_tx(zc);
	/* What the daemon put on COMP at open (opts.tx_frames, or fewer). */
	initial = atomic_load_explicit(comp->producer, memory_order_acquire) -
		  atomic_load_explicit(comp->consumer, memory_order_relaxed);
	end = seconds > 0 ? now() + seconds : 0;
	while (!stop && (!count || sent < count) && (!end || now() < end)) {
		uint32_t want = BATCH, ci, ti, n;

		if (count && count - sent < want)
			want = (uint32_t)(count - sent);
		n = sfnic_zc_ring_cons__peek(comp, want, &ci);
		if (n == 0) {
			/* Every frame is on TX: the daemon takes them at its pace. */
			held_back++;
			if (sfnic_zc_ring_needs_wakeup(tx))
				sfnic_zc_kick(zc);
			ret = sfnic_zc_wait(zc, 10);
			if (ret < 0) {
				fprintf(stderr, "zc_txonly: wait: %s\n", strerror(-ret));
				sfnic_zc_close(zc);
				return 1;
			}
			continue;
		}
		taken += n;
		/* TX holds every frame in flight: what COMP gave fits. */
		n = sfnic_zc_ring_prod__reserve(tx, n, &ti);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t buf = *sfnic_zc_ring__frame(comp, ci + i);

			memcpy(sfnic_zc_frame_data(info, buf, info->headroom), tmpl, len);
			*sfnic_zc_ring__desc(tx, ti + i) = (struct sfnic_zc_desc){
				.buf = buf, .off = (uint16_t)info->headroom, .len = (uint16_t)len };
		}
		sfnic_zc_ring_cons__release(comp, n);
		sfnic_zc_ring_prod__submit(tx, n);
		sent += n;
		bytes += n * len;
		if (sfnic_zc_ring_needs_wakeup(tx))
			sfnic_zc_kick(zc);
	}
	/* Let what is on TX leave before the queue closes (at most 5 s):
	 * every frame sent comes back on COMP. */
	for (end = now() + 5; sent + initial > taken && now() < end;) {
		uint32_t ci, n = sfnic_zc_ring_cons__peek(comp, RING, &ci);

		sfnic_zc_ring_cons__release(comp, n);
		taken += n;
		if (sent + initial > taken) {
			if (sfnic_zc_ring_needs_wakeup(tx))
				sfnic_zc_kick(zc);
			sfnic_zc_wait(zc, 10);
		}
	}
	printf("sent %llu frames %llu bytes\nheld_back %llu\n", sent, bytes, held_back);
	if (sent + initial > taken)
		printf("not taken %llu\n", sent + initial - taken);
	sfnic_zc_close(zc);
	return sent + initial > taken ? 2 : 0;
}
