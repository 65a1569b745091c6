/*
 * zc_tap.c - watch a port's receive queue through a read-only tap and count
 * what goes by, per protocol, each second.
 *
 *   zc_tap PORT QUEUE [-m single|shared] [-t SECONDS] [-r RUN_DIR]
 *
 * Prints `queue N` once attached, then a line a second:
 *   3s: 1200 frames  ipv4 1000 (udp 990 tcp 10 icmp 0)  ipv6 0 (udp 0 tcp 0 icmp 0)  arp 200  other 0
 * and `tapped N frames N bytes` when it stops (SECONDS, SIGINT, SIGTERM).
 *
 * A tap sees the port's frames in place, in the port's own buffers, while
 * they go on to their destinations: they are read here and never copied,
 * and cannot be written (the mapping is read-only; see zc_poke).  Each
 * frame goes back on FILL as soon as it is read: the tap holds frames of
 * the port's pool, and one it keeps is one the port cannot reuse (up to
 * max_outstanding; past that the tap, and only the tap, loses frames).
 */
#include <sfnic/zc.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

struct counts {
	unsigned long long frames, ipv4, ipv6, arp, other;
	unsigned long long l4[2][3];    /* [ipv4, ipv6][udp, tcp, icmp] */
};

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
	fprintf(stderr, "usage: zc_tap PORT QUEUE [-m single|shared] [-t SECONDS] [-r RUN_DIR]\n");
	exit(1);
}

/* Gives n frames back on FILL; when it is full, kicks the worker (which
 * drains it) and retries. */
static void fill_frames(struct sfnic_zc *zc, const uint32_t *bufs, uint32_t n)
{
	struct sfnic_zc_ring *fill = sfnic_zc_fill(zc);
	uint32_t done = 0, idx, k;

	while (done < n && !stop) {
		k = sfnic_zc_ring_prod__reserve(fill, n - done, &idx);
		for (uint32_t i = 0; i < k; i++)
			*sfnic_zc_ring__frame(fill, idx + i) = bufs[done + i];
		sfnic_zc_ring_prod__submit(fill, k);
		done += k;
		if (k == 0 || sfnic_zc_ring_needs_wakeup(fill))
			sfnic_zc_kick(zc);
		if (k == 0)
			usleep(100);
	}
}

static void count_l4(struct counts *c, int v6, uint8_t proto)
{
	if (proto == 17)
		c->l4[v6][0]++;
	else if (proto == 6)
		c->l4[v6][1]++;
	else if (proto == 1 || proto == 58)
		c->l4[v6][2]++;
}

/* Classifies one frame.  Every read is bounded by len: the frame is
 * whatever the port received, runts included. */
static void classify(struct counts *c, const uint8_t *p, uint32_t len)
{
	uint32_t l3 = 14;
	uint16_t type;

	c->frames++;
	if (len < 14) {
		c->other++;
		return;
	}
	type = (uint16_t)(p[12] << 8 | p[13]);
	if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
		type = (uint16_t)(p[16] << 8 | p[17]);
		l3 = 18;
	}
	if (type == 0x0800 && len >= l3 + 20) {
		c->ipv4++;
		count_l4(c, 0, p[l3 + 9]);
	} else if (type == 0x86dd && len >= l3 + 40) {
		c->ipv6++;
		count_l4(c, 1, p[l3 + 6]);      /* the first next header only */
	} else if (type == 0x0806) {
		c->arp++;
	} else {
		c->other++;
	}
}

static void print_second(unsigned sec, const struct counts *c)
{
	printf("%us: %llu frames  ipv4 %llu (udp %llu tcp %llu icmp %llu)  "
	       "ipv6 %llu (udp %llu tcp %llu icmp %llu)  arp %llu  other %llu\n",
	       sec, c->frames, c->ipv4, c->l4[0][0], c->l4[0][1], c->l4[0][2],
	       c->ipv6, c->l4[1][0], c->l4[1][1], c->l4[1][2], c->arp, c->other);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	enum sfnic_zc_mode mode = SFNIC_ZC_SINGLE;
	unsigned long long frames = 0, bytes = 0;
	const struct sfnic_zc_info *info;
	const char *run_dir = NULL;
	double seconds = 0, start, end;
	struct sigaction sa = { .sa_handler = on_signal };
	struct sfnic_zc_ring *rx;
	struct counts sec = { 0 };
	unsigned nsec = 1;
	struct sfnic_zc *zc;
	uint32_t queue, bufs[BATCH];
	char err[256], *e;
	int c;

	while ((c = getopt(argc, argv, "m:t:r:")) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "single"))
				mode = SFNIC_ZC_SINGLE;
			else if (!strcmp(optarg, "shared"))
				mode = SFNIC_ZC_SHARED;
			else
				usage();
			break;
		case 't': seconds = atof(optarg); break;
		case 'r': run_dir = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	queue = (uint32_t)strtoul(argv[optind + 1], &e, 0);
	if (*e || e == argv[optind + 1])
		usage();

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (sfnic_zc_open(run_dir, argv[optind], queue, mode, NULL, &zc, err, sizeof(err))) {
		fprintf(stderr, "zc_tap: %s\n", err);
		return 1;
	}
	info = sfnic_zc_info(zc);
	printf("queue %u\n", info->queue);
	fflush(stdout);

	rx = sfnic_zc_rx(zc);
	start = now();
	end = seconds > 0 ? start + seconds : 0;
	while (!stop && (!end || now() < end)) {
		uint32_t ri, n;

		if (now() >= start + nsec) {
			print_second(nsec++, &sec);
			memset(&sec, 0, sizeof(sec));
		}
		n = sfnic_zc_ring_cons__peek(rx, BATCH, &ri);
		if (n == 0) {
			if (sfnic_zc_wait(zc, 100) < 0)
				break;
			continue;
		}
		for (uint32_t i = 0; i < n; i++) {
			const struct sfnic_zc_desc *d = sfnic_zc_ring__desc(rx, ri + i);

			classify(&sec, sfnic_zc_frame_data(info, d->buf, d->off), d->len);
			bytes += d->len;
			bufs[i] = d->buf;
		}
		sfnic_zc_ring_cons__release(rx, n);
		frames += n;
		fill_frames(zc, bufs, n);
	}
	if (sec.frames)
		print_second(nsec, &sec);       /* the last, partial second */
	printf("tapped %llu frames %llu bytes\n", frames, bytes);
	sfnic_zc_close(zc);
	return 0;
}
