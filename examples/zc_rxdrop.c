/*
 * zc_rxdrop.c - receive on a zero-copy queue and drop: the smallest complete
 * libsfnic application (AF_XDP's "xdpsock -r").
 *
 *   zc_rxdrop PORT QUEUE [-m exclusive|single|shared] [-c COUNT] [-o MAX_OUTSTANDING]
 *             [-t SECONDS] [-r RUN_DIR]
 *
 * QUEUE is a number, or `new` for an exclusive queue the daemon picks.
 * Prints `queue N` once attached, and `received N frames N bytes` when it
 * stops: after COUNT frames, SECONDS seconds, or SIGINT/SIGTERM.
 *
 * The whole receive protocol is three steps: take frames from RX, give
 * each frame back on FILL (here at once, untouched), release the RX slots.
 * A frame held and never given back is a frame the queue can no longer
 * receive into.
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
	fprintf(stderr, "usage: zc_rxdrop PORT QUEUE|new [-m exclusive|single|shared] [-c COUNT]"
			" [-o MAX_OUTSTANDING] [-t SECONDS] [-r RUN_DIR]\n");
	exit(1);
}

/* Gives n frames back on FILL.  FILL has a slot for every frame of the
 * queue only if the daemon keeps draining it; when it is full, kick the
 * daemon's worker and try again. */
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
		/* The worker sleeps with NEED_WAKEUP set on FILL: new buffers
		 * alone do not wake it. */
		if (k == 0 || sfnic_zc_ring_needs_wakeup(fill))
			sfnic_zc_kick(zc);
		if (k == 0)
			usleep(100);
	}
}

int main(int argc, char **argv)
{
	enum sfnic_zc_mode mode = SFNIC_ZC_EXCLUSIVE;
	unsigned long long count = 0, frames = 0, bytes = 0;
	const char *run_dir = NULL;
	double seconds = 0, end;
	struct sigaction sa = { .sa_handler = on_signal };
	struct sfnic_zc_opts opts = { 0 };
	struct sfnic_zc *zc;
	struct sfnic_zc_ring *rx;
	uint32_t queue, bufs[BATCH];
	char err[256], *e;
	int c, ret;

	while ((c = getopt(argc, argv, "m:c:o:t:r:")) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "exclusive"))
				mode = SFNIC_ZC_EXCLUSIVE;
			else if (!strcmp(optarg, "single"))
				mode = SFNIC_ZC_SINGLE;
			else if (!strcmp(optarg, "shared"))
				mode = SFNIC_ZC_SHARED;
			else
				usage();
			break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		case 'o': opts.max_outstanding = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': seconds = atof(optarg); break;
		case 'r': run_dir = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (!strcmp(argv[optind + 1], "new")) {
		if (mode != SFNIC_ZC_EXCLUSIVE) {
			fprintf(stderr, "zc_rxdrop: QUEUE new is for exclusive queues only\n");
			return 1;
		}
		queue = SFNIC_ZC_QUEUE_NEW;
	} else {
		queue = (uint32_t)strtoul(argv[optind + 1], &e, 0);
		if (*e || e == argv[optind + 1])
			usage();
	}

	/* No SA_RESTART: a signal ends sfnic_zc_wait() at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = sfnic_zc_open(run_dir, argv[optind], queue, mode, &opts, &zc, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zc_rxdrop: %s\n", err);
		return 1;
	}
	printf("queue %u\n", sfnic_zc_info(zc)->queue);
	fflush(stdout);

	rx = sfnic_zc_rx(zc);
	end = seconds > 0 ? now() + seconds : 0;
	while (!stop && (!count || frames < count) && (!end || now() < end)) {
		uint32_t want = BATCH, idx, n;

		if (count && count - frames < want)
			want = (uint32_t)(count - frames);
		n = sfnic_zc_ring_cons__peek(rx, want, &idx);
		if (n == 0) {
			/* Nothing there: sleep until the daemon signals (at
			 * most 100 ms, to notice the time limit). */
			ret = sfnic_zc_wait(zc, 100);
			if (ret < 0) {
				fprintf(stderr, "zc_rxdrop: wait: %s\n", strerror(-ret));
				sfnic_zc_close(zc);
				return 1;
			}
			continue;
		}
		for (uint32_t i = 0; i < n; i++) {
			const struct sfnic_zc_desc *d = sfnic_zc_ring__desc(rx, idx + i);

			bufs[i] = d->buf;
			bytes += d->len;
		}
		/* Copy the descriptors out before releasing their slots: once
		 * released, the daemon may overwrite them. */
		sfnic_zc_ring_cons__release(rx, n);
		frames += n;
		fill_frames(zc, bufs, n);
	}
	printf("received %llu frames %llu bytes\n", frames, bytes);
	sfnic_zc_close(zc);
	return 0;
}
