/*
 * zc_poke.c - a test tool, not an example to copy: proves that a tap cannot
 * write the frames it sees.
 *
 *   zc_poke PORT QUEUE [-m single|shared] [-t SECONDS] [-r RUN_DIR]
 *
 * Opens a read-only tap (single unless -m shared), waits up to SECONDS
 * (default 10) for one frame, prints `got frame BUF len LEN`, then writes
 * one byte into that frame.  The region is mapped from a descriptor the
 * daemon opened read-only, so the write must kill this process with
 * SIGSEGV, and nothing else: the frame goes on to its destination intact.
 * If the write succeeds it prints `WRITE SUCCEEDED` and exits 3.
 * Exits 1 on errors and when no frame came.
 */
#include <sfnic/zc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: zc_poke PORT QUEUE [-m single|shared] [-t SECONDS] [-r RUN_DIR]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	enum sfnic_zc_mode mode = SFNIC_ZC_SINGLE;
	const char *run_dir = NULL;
	double seconds = 10;
	struct sfnic_zc *zc;
	struct sfnic_zc_ring *rx;
	struct sfnic_zc_desc d;
	volatile uint8_t *p;
	uint32_t queue, idx;
	time_t end;
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
	if (sfnic_zc_open(run_dir, argv[optind], queue, mode, NULL, &zc, err, sizeof(err))) {
		fprintf(stderr, "zc_poke: %s\n", err);
		return 1;
	}
	printf("queue %u\n", sfnic_zc_info(zc)->queue);
	fflush(stdout);

	rx = sfnic_zc_rx(zc);
	end = time(NULL) + (time_t)(seconds + 0.999);
	while (sfnic_zc_ring_cons__peek(rx, 1, &idx) == 0) {
		if (time(NULL) >= end || sfnic_zc_wait(zc, 100) < 0) {
			fprintf(stderr, "zc_poke: no frame within %g s\n", seconds);
			sfnic_zc_close(zc);
			return 1;
		}
	}
	d = *sfnic_zc_ring__desc(rx, idx);
	printf("got frame %u len %u\n", d.buf, d.len);
	fflush(stdout);

	/* volatile: the store must really be made, not optimised away. */
	p = sfnic_zc_frame_data(sfnic_zc_info(zc), d.buf, d.off);
	*p = (uint8_t)~*p;

	printf("WRITE SUCCEEDED\n");
	fflush(stdout);
	sfnic_zc_close(zc);
	return 3;
}
