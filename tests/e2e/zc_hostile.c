/*
 * zc_hostile.c - an e2e test program: a zero-copy application that breaks
 * every rule of the ring protocol, one that holds every frame it gets, and
 * a bare open that reports what the daemon said.
 *
 *   zc_hostile PORT QUEUE|new [-m hostile|hold|open] [-M exclusive|single|shared]
 *              [-d DOMAIN] [-t SECONDS] [-s SEED] [-f FRAMES] [-q RING_SIZE]
 *              [-o MAX_OUTSTANDING] [-x TX_FRAMES] [-r RUN_DIR]
 *
 * Every mode opens QUEUE of PORT in the -M mode (default exclusive) with
 * the options given (-d DOMAIN sets opts.domain_check) and prints
 * `queue N domain D max_outstanding M`, or `zc_hostile: REASON` on stderr
 * and exits 1.
 *
 *   open     exits 0 at once.
 *   hold     takes frames from RX (releasing the slots) and never gives
 *            one back, for SECONDS (default: until killed); prints
 *            `held N` when it stops.
 *   hostile  for SECONDS (default 2), from a PRNG seeded with SEED (default
 *            1; the same seed makes the same choices): writes random entries
 *            on FILL and TX (indexes in and out of range, frames returned
 *            twice or never held, lengths and offsets past the frame, runts),
 *            jumps the producer indexes of FILL and TX, writes random
 *            consumer indexes on RX and COMP, random flags on all four rings
 *            and random bytes into the entries the daemon produces and the
 *            frames it holds; between these, well-formed returns and
 *            transmissions (valid Ethernet frames) so that the daemon's
 *            good paths run too; kicks at random.  Prints the queue's
 *            counters as the daemon reports them: `delivered N transmitted
 *            N invalid_desc N bad_ring N overruns N`.
 *
 * The daemon must survive all of it, count it, and lose nothing of any
 * other queue or port.
 */
#include <sfnic/zc.h>

#include <errno.h>
#include <inttypes.h>
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: zc_hostile PORT QUEUE|new [-m hostile|hold|open]"
			" [-M exclusive|single|shared] [-d DOMAIN] [-t SECONDS] [-s SEED]"
			" [-f FRAMES] [-q RING_SIZE] [-o MAX_OUTSTANDING] [-x TX_FRAMES]"
			" [-r RUN_DIR]\n");
	exit(2);
}

/* ---- hold ---- */

static uint64_t hold(struct sfnic_zc *zc, double end)
{
	struct sfnic_zc_ring *rx = sfnic_zc_rx(zc);
	uint64_t held = 0;

	while (!stop && (!end || now() < end)) {
		uint32_t idx, n = sfnic_zc_ring_cons__peek(rx, 64, &idx);

		if (n == 0) {
			if (sfnic_zc_wait(zc, 100) < 0)
				break;
			continue;
		}
		/* The slots go back; the frames never do. */
		sfnic_zc_ring_cons__release(rx, n);
		held += n;
	}
	return held;
}

/* ---- hostile ---- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the seed, good enough to be rude. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

struct hostile {
	struct sfnic_zc *zc;
	const struct sfnic_zc_info *info;
	struct sfnic_zc_ring *rx, *fill, *tx, *comp;
	uint32_t rx_cons, comp_cons;    /* the honest consumer indexes */
	uint32_t fill_prod, tx_prod;    /* where the next entries go */
	uint8_t *held;                  /* [frame]: we think we hold it */
	uint32_t *stack;                /* frames we think we hold */
	uint32_t nstack;
};

static void hold_frame(struct hostile *h, uint32_t b)
{
	if (b < h->info->frames && !h->held[b]) {
		h->held[b] = 1;
		h->stack[h->nstack++] = b;
	}
}

/* A frame we believe we hold, or a random index when we hold none. */
static uint32_t some_frame(struct hostile *h, bool keep)
{
	uint32_t i, b;

	if (!h->nstack)
		return rnd() % h->info->frames;
	i = rnd() % h->nstack;
	b = h->stack[i];
	if (!keep) {
		h->stack[i] = h->stack[--h->nstack];
		h->held[b] = 0;
	}
	return b;
}

/* Takes what the daemon produced on a ring it produces (RX, COMP), with
 * the honest consumer index. */
static void take_produced(struct hostile *h, struct sfnic_zc_ring *r, uint32_t *cons, bool desc)
{
	uint32_t prod = atomic_load_explicit(r->producer, memory_order_acquire);
	uint32_t n = prod - *cons;

	if (!r->size)
		return;
	if (n > r->size) {      /* we confused ourselves: start over where it is */
		*cons = prod;
		n = 0;
	}
	for (uint32_t i = 0; i < n; i++)
		hold_frame(h, desc ? sfnic_zc_ring__desc(r, *cons + i)->buf
				   : *sfnic_zc_ring__frame(r, *cons + i));
	*cons += n;
	atomic_store_explicit(r->consumer, *cons, memory_order_release);
}

/* Publishes k entries after *prod on a ring we produce. */
static void produce(struct sfnic_zc_ring *r, uint32_t *prod, uint32_t k)
{
	*prod += k;
	atomic_store_explicit(r->producer, *prod, memory_order_release);
}

/* Room on a ring we produce, from the daemon's consumer index. */
static uint32_t room(struct sfnic_zc_ring *r, uint32_t prod)
{
	uint32_t used = prod - atomic_load_explicit(r->consumer, memory_order_acquire);

	return used > r->size ? 0 : r->size - used;
}

/* A valid frame to transmit: a unicast Ethernet header and some bytes. */
static struct sfnic_zc_desc valid_tx(struct hostile *h, uint32_t b)
{
	uint16_t len = (uint16_t)(60 + rnd() % 200);
	uint8_t *p = sfnic_zc_frame_data(h->info, b, h->info->headroom);

	for (int i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
	p[0] = 0x02;            /* locally administered, unicast */
	p[6] = 0x02;
	p[12] = 0x08;           /* IPv4 ethertype, garbage after it */
	p[13] = 0x00;
	return (struct sfnic_zc_desc){ b, (uint16_t)h->info->headroom, len };
}

static struct sfnic_zc_desc garbage_desc(struct hostile *h)
{
	struct sfnic_zc_desc d = { rnd(), (uint16_t)rnd(), (uint16_t)rnd() };

	switch (rnd() % 5) {
	case 0: d.buf %= h->info->frames; break;                    /* held or not */
	case 1: d.buf = some_frame(h, true); d.off = (uint16_t)(h->info->frame_size - 8);
		d.len = 64; break;                                  /* past the frame */
	case 2: d.buf = some_frame(h, true); d.off = 0; d.len = (uint16_t)(rnd() % 14); break;
	case 3: d.buf = some_frame(h, true); d.off = 0; d.len = (uint16_t)h->info->frame_size;
		break;                                              /* exactly the frame */
	default: break;                                             /* all random */
	}
	return d;
}

static void hostile_step(struct hostile *h)
{
	struct sfnic_zc_ring *r;
	uint32_t k, v;

	take_produced(h, h->rx, &h->rx_cons, true);
	take_produced(h, h->comp, &h->comp_cons, false);
	switch (rnd() % 16) {
	case 0: case 1: case 2: case 3:         /* well-formed returns */
		k = rnd() % 64;
		if (k > h->nstack)
			k = h->nstack;
		if (k > room(h->fill, h->fill_prod))
			k = room(h->fill, h->fill_prod);
		for (uint32_t i = 0; i < k; i++)
			*sfnic_zc_ring__frame(h->fill, h->fill_prod + i) = some_frame(h, false);
		produce(h->fill, &h->fill_prod, k);
		break;
	case 4: case 5:                         /* well-formed transmissions */
		k = rnd() % 16;
		if (k > h->nstack)
			k = h->nstack;
		if (!h->tx->size || k > room(h->tx, h->tx_prod))
			k = h->tx->size ? room(h->tx, h->tx_prod) : 0;
		for (uint32_t i = 0; i < k; i++)
			*sfnic_zc_ring__desc(h->tx, h->tx_prod + i) = valid_tx(h, some_frame(h, false));
		produce(h->tx, &h->tx_prod, k);
		break;
	case 6:                                 /* random FILL entries */
		k = 1 + rnd() % 64;
		for (uint32_t i = 0; i < k; i++) {
			v = rnd();
			*sfnic_zc_ring__frame(h->fill, h->fill_prod + i) =
				v & 1 ? v % (2 * h->info->frames) : v;
		}
		produce(h->fill, &h->fill_prod, k);
		break;
	case 7:                                 /* random TX entries */
		if (!h->tx->size)
			break;
		k = 1 + rnd() % 32;
		for (uint32_t i = 0; i < k; i++)
			*sfnic_zc_ring__desc(h->tx, h->tx_prod + i) = garbage_desc(h);
		produce(h->tx, &h->tx_prod, k);
		break;
	case 8:                                 /* one frame on FILL twice, and on TX */
		v = some_frame(h, false);
		*sfnic_zc_ring__frame(h->fill, h->fill_prod) = v;
		*sfnic_zc_ring__frame(h->fill, h->fill_prod + 1) = v;
		produce(h->fill, &h->fill_prod, 2);
		if (h->tx->size) {
			*sfnic_zc_ring__desc(h->tx, h->tx_prod) = valid_tx(h, v);
			produce(h->tx, &h->tx_prod, 1);
		}
		break;
	case 9:                                 /* producer jumps */
		r = rnd() & 1 && h->tx->size ? h->tx : h->fill;
		v = rnd() & 1 ? rnd() : atomic_load(r->consumer) + r->size + 1 + rnd() % 1000;
		atomic_store_explicit(r->producer, v, memory_order_release);
		/* Later: the honest index again, or the daemon's, or the jump. */
		*(r == h->tx ? &h->tx_prod : &h->fill_prod) =
			rnd() % 3 == 0 ? v : atomic_load(r->consumer);
		break;
	case 10:                                /* random consumer indexes */
		atomic_store(h->rx->consumer, rnd() & 1 ? rnd() : h->rx_cons - h->rx->size - 1);
		if (h->comp->size)
			atomic_store(h->comp->consumer, rnd());
		break;
	case 11:                                /* random flags */
		atomic_store(h->rx->flags, rnd());
		atomic_store(h->fill->flags, rnd());
		if (h->tx->size) {
			atomic_store(h->tx->flags, rnd());
			atomic_store(h->comp->flags, rnd());
		}
		break;
	case 12:                                /* scribble on the daemon's entries */
		for (k = 0; k < 8; k++) {
			*sfnic_zc_ring__desc(h->rx, rnd()) = (struct sfnic_zc_desc){ rnd(), (uint16_t)rnd(),
										   (uint16_t)rnd() };
			if (h->comp->size)
				*sfnic_zc_ring__frame(h->comp, rnd()) = rnd();
		}
		break;
	case 13:                                /* scribble on a frame the daemon holds */
		if (!h->info->readonly) {
			v = rnd() % h->info->frames;
			if (!h->held[v])
				memset(sfnic_zc_frame_data(h->info, v, 0), (int)rnd(), h->info->frame_size);
		}
		break;
	case 14:                                /* the honest indexes again */
		atomic_store(h->rx->consumer, h->rx_cons);
		if (h->comp->size)
			atomic_store(h->comp->consumer, h->comp_cons);
		h->fill_prod = atomic_load(h->fill->consumer);
		atomic_store(h->fill->producer, h->fill_prod);
		if (h->tx->size) {
			h->tx_prod = atomic_load(h->tx->consumer);
			atomic_store(h->tx->producer, h->tx_prod);
		}
		break;
	default:
		break;
	}
	if (rnd() % 4 == 0)
		sfnic_zc_kick(h->zc);
}

static void print_stats(struct sfnic_zc *zc)
{
	struct sfnic_zc_stats st;
	int ret = sfnic_zc_stats(zc, &st);

	if (ret) {
		fprintf(stderr, "zc_hostile: stats: %s\n", strerror(-ret));
		return;
	}
	printf("delivered %" PRIu64 " transmitted %" PRIu64 " invalid_desc %" PRIu64
	       " bad_ring %" PRIu64 " overruns %" PRIu64 "\n", st.rx_frames, st.tx_frames,
	       st.invalid_desc, st.bad_ring, st.overruns);
}

static int hostile(struct sfnic_zc *zc, double end)
{
	struct hostile h = { .zc = zc, .info = sfnic_zc_info(zc), .rx = sfnic_zc_rx(zc),
			     .fill = sfnic_zc_fill(zc), .tx = sfnic_zc_tx(zc), .comp = sfnic_zc_comp(zc) };
	uint64_t steps = 0;

	h.held = calloc(h.info->frames, 1);
	h.stack = calloc(h.info->frames, sizeof(*h.stack));
	if (!h.held || !h.stack) {
		fprintf(stderr, "zc_hostile: out of memory\n");
		return 1;
	}
	h.rx_cons = atomic_load(h.rx->consumer);
	h.comp_cons = atomic_load(h.comp->consumer);
	h.fill_prod = atomic_load(h.fill->producer);
	h.tx_prod = atomic_load(h.tx->producer);
	while (!stop && now() < end) {
		hostile_step(&h);
		/* Leave the daemon's worker (and the CLI) a core. */
		if (++steps % 8 == 0)
			usleep(200);
	}
	printf("steps %" PRIu64 "\n", steps);
	print_stats(zc);
	free(h.held);
	free(h.stack);
	return 0;
}

int main(int argc, char **argv)
{
	enum sfnic_zc_mode mode = SFNIC_ZC_EXCLUSIVE;
	struct sfnic_zc_opts opts = { 0 };
	const char *run_dir = NULL, *what = "hostile";
	struct sigaction sa = { .sa_handler = on_signal };
	double seconds = -1;
	struct sfnic_zc *zc;
	uint32_t queue;
	uint64_t seed = 1;
	char err[256], *e;
	int c, ret = 0;

	while ((c = getopt(argc, argv, "m:M:d:t:s:f:q:o:x:r:")) != -1) {
		switch (c) {
		case 'm': what = optarg; break;
		case 'M':
			if (!strcmp(optarg, "exclusive"))
				mode = SFNIC_ZC_EXCLUSIVE;
			else if (!strcmp(optarg, "single"))
				mode = SFNIC_ZC_SINGLE;
			else if (!strcmp(optarg, "shared"))
				mode = SFNIC_ZC_SHARED;
			else
				usage();
			break;
		case 'd':
			opts.domain = (uint32_t)strtoul(optarg, NULL, 0);
			opts.domain_check = true;
			break;
		case 't': seconds = atof(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'f': opts.frames = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': opts.ring_size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'o': opts.max_outstanding = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'x': opts.tx_frames = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': run_dir = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2 ||
	    (strcmp(what, "hostile") && strcmp(what, "hold") && strcmp(what, "open")))
		usage();
	queue = (uint32_t)strtoul(argv[optind + 1], &e, 0);
	if (!strcmp(argv[optind + 1], "new"))
		queue = SFNIC_ZC_QUEUE_NEW;
	else if (*e || e == argv[optind + 1])
		usage();
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = sfnic_zc_open(run_dir, argv[optind], queue, mode, &opts, &zc, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zc_hostile: %s\n", err);
		return 1;
	}
	printf("queue %u domain %u max_outstanding %u\n", sfnic_zc_info(zc)->queue,
	       sfnic_zc_info(zc)->domain, sfnic_zc_info(zc)->max_outstanding);
	fflush(stdout);
	if (!strcmp(what, "hold"))
		printf("held %" PRIu64 "\n", hold(zc, seconds > 0 ? now() + seconds : 0));
	else if (!strcmp(what, "hostile"))
		ret = hostile(zc, now() + (seconds > 0 ? seconds : 2));
	sfnic_zc_close(zc);
	return ret;
}
