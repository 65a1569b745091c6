/*
 * zc_fwd.c - bounce every frame back where it came from without copying it
 * (AF_XDP's "xdpsock -l"): an exclusive queue, MAC addresses swapped in
 * place, the same frame put on TX.
 *
 *   zc_fwd PORT QUEUE|new [-c COUNT] [-t SECONDS] [-r RUN_DIR]
 *
 * Prints `queue N` once attached and, when it stops, `forwarded N frames N
 * bytes` (and `dropped N` when TX was full).
 *
 * Frames go round: RX -> (swap) -> TX -> daemon -> COMP -> FILL -> RX.
 * A frame on TX is the daemon's until it comes back on COMP (maybe as
 * another index of the same pool); here every completion goes straight on
 * FILL, so the queue always has as many frames to receive into.
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
	fprintf(stderr, "usage: zc_fwd PORT QUEUE|new [-c COUNT] [-t SECONDS] [-r RUN_DIR]\n");
	exit(1);
}

/* Puts n frames on FILL; when it is full, kicks the worker and retries. */
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
		if (k == 0) {
			sfnic_zc_kick(zc);
			usleep(100);
		}
	}
}

/* Takes finished transmissions back from COMP onto FILL.  Returns how
 * many. */
static uint32_t reap_completions(struct sfnic_zc *zc)
{
	struct sfnic_zc_ring *comp = sfnic_zc_comp(zc);
	uint32_t bufs[BATCH], idx, n;

	n = sfnic_zc_ring_cons__peek(comp, BATCH, &idx);
	for (uint32_t i = 0; i < n; i++)
		bufs[i] = *sfnic_zc_ring__frame(comp, idx + i);
	sfnic_zc_ring_cons__release(comp, n);
	fill_frames(zc, bufs, n);
	return n;
}

static void swap_macs(uint8_t *eth)
{
	uint8_t tmp[6];

	memcpy(tmp, eth, 6);
	memcpy(eth, eth + 6, 6);
	memcpy(eth + 6, tmp, 6);
}

/* The worker sleeps with NEED_WAKEUP set on the rings it would read:
 * kick it only then (a syscall per batch otherwise). */
static void kick_if_asked(struct sfnic_zc *zc)
{
	if (sfnic_zc_ring_needs_wakeup(sfnic_zc_tx(zc)) ||
	    sfnic_zc_ring_needs_wakeup(sfnic_zc_fill(zc)))
		sfnic_zc_kick(zc);
}

int main(int argc, char **argv)
{
	unsigned long long count = 0, fwd = 0, bytes = 0, dropped = 0, in_flight = 0;
	const struct sfnic_zc_info *info;
	const char *run_dir = NULL;
	double seconds = 0, end;
	struct sigaction sa = { .sa_handler = on_signal };
	struct sfnic_zc_ring *rx, *tx;
	struct sfnic_zc *zc;
	uint32_t queue, back[BATCH];
	char err[256], *e;
	int c, ret;

	while ((c = getopt(argc, argv, "c:t:r:")) != -1) {
		switch (c) {
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

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = sfnic_zc_open(run_dir, argv[optind], queue, SFNIC_ZC_EXCLUSIVE, NULL, &zc, err,
			    sizeof(err));
	if (ret) {
		fprintf(stderr, "zc_fwd: %s\n", err);
		return 1;
	}
	info = sfnic_zc_info(zc);
	printf("queue %u\n", info->queue);
	fflush(stdout);

	rx = sfnic_zc_rx(zc);
	tx = sfnic_zc_tx(zc);
	end = seconds > 0 ? now() + seconds : 0;
	while (!stop && (!count || fwd + dropped < count) && (!end || now() < end)) {
		uint32_t want = BATCH, ri, ti, n, nt = 0, nback = 0;

		in_flight -= reap_completions(zc);
		if (count && count - fwd - dropped < want)
			want = (uint32_t)(count - fwd - dropped);
		n = sfnic_zc_ring_cons__peek(rx, want, &ri);
		if (n == 0) {
			kick_if_asked(zc);
			ret = sfnic_zc_wait(zc, 100);
			if (ret < 0) {
				fprintf(stderr, "zc_fwd: wait: %s\n", strerror(-ret));
				sfnic_zc_close(zc);
				return 1;
			}
			continue;
		}
		/* Reserve TX for the frames that can go (a runt cannot);
		 * what does not fit goes back on FILL, dropped. */
		for (uint32_t i = 0; i < n; i++)
			nt += sfnic_zc_ring__desc(rx, ri + i)->len >= 14;
		nt = sfnic_zc_ring_prod__reserve(tx, nt, &ti);
		for (uint32_t i = 0, w = 0; i < n; i++) {
			struct sfnic_zc_desc d = *sfnic_zc_ring__desc(rx, ri + i);

			if (d.len < 14 || w == nt) {
				back[nback++] = d.buf;
				continue;
			}
			swap_macs(sfnic_zc_frame_data(info, d.buf, d.off));
			*sfnic_zc_ring__desc(tx, ti + w++) = d;
			bytes += d.len;
		}
		sfnic_zc_ring_cons__release(rx, n);
		sfnic_zc_ring_prod__submit(tx, nt);
		fwd += nt;
		in_flight += nt;
		dropped += nback;
		fill_frames(zc, back, nback);
		kick_if_asked(zc);
	}
	/* Let what was put on TX leave before the queue closes. */
	for (end = now() + 1; in_flight && now() < end;) {
		kick_if_asked(zc);
		in_flight -= reap_completions(zc);
		if (in_flight)
			sfnic_zc_wait(zc, 10);
	}
	printf("forwarded %llu frames %llu bytes\n", fwd, bytes);
	if (dropped)
		printf("dropped %llu\n", dropped);
	sfnic_zc_close(zc);
	return 0;
}
