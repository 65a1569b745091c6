/*
 * zc_canary.c - an e2e test program: an exclusive zero-copy queue that
 * looks, after traffic, at every byte the daemon ever shared with it.
 *
 *   zc_canary PORT QUEUE|new -p DAEMON_PID [-t SECONDS] [-M MARKER] [-P] [-r RUN_DIR]
 *
 * Opens an exclusive queue, checks that its region is all zero, prints
 * `queue N domain D` and receives for SECONDS (default 3) or until
 * SIGTERM/SIGINT, giving every frame back at once.  Then, before closing, it scans each memfd mapping
 * of the process (the queue's region and its rings: libsfnic maps nothing
 * else from a memfd, and neither does this program) for
 *
 *   - MARKER (default "SFNICB!!") at any byte offset: another trust
 *     domain's payload that must never land here;
 *   - any aligned 8-byte word, other than 0, whose value is an address
 *     inside one of the daemon's private writable mappings (heap, stacks,
 *     anonymous memory, data segments; /proc/DAEMON_PID/maps): daemon
 *     metadata or a pointer to it.  Anonymous mappings of 256 MiB or more
 *     are not the daemon's data but a sanitizer's shadow memory, whose
 *     address range would make any pair of small integers look like a
 *     pointer: they are skipped.
 *
 * and prints `received N frames`, `nonzero at open N` and
 * `marker N pointers N scanned N bytes`.  Exits 0 only when the region was
 * zero at open, nothing was found and the region was among what was
 * scanned.  -P plants one marker and one daemon address into a frame of
 * the region before the scan: the scan must then report exactly 1 and 1
 * (the test's proof that the scanner sees what it should).
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

#define BATCH 64
#define MAX_RANGES 4096
#define SHADOW_MIN (256ull << 20)

struct range {
	uint64_t lo, hi;
};

static struct range daemon_rw[MAX_RANGES];
static unsigned ndaemon_rw;
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
	fprintf(stderr, "usage: zc_canary PORT QUEUE|new -p DAEMON_PID [-t SECONDS] [-M MARKER] [-P]"
			" [-r RUN_DIR]\n");
	exit(2);
}

/* One line of a maps file: range, permissions, path ("" when anonymous;
 * else with its newline). */
static int parse_maps_line(const char *line, uint64_t *lo, uint64_t *hi, char perms[5],
			   const char **path)
{
	int off = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %*s %*s %*s %n", lo, hi, perms, &off) < 3)
		return -1;
	*path = off ? line + off : "";
	return 0;
}

/* The daemon's private writable mappings, sorted as the kernel lists them. */
static int load_daemon_maps(const char *pid)
{
	char fname[64], line[4608], perms[5];
	const char *path;
	uint64_t lo, hi;
	FILE *f;

	snprintf(fname, sizeof(fname), "/proc/%s/maps", pid);
	f = fopen(fname, "r");
	if (!f) {
		fprintf(stderr, "zc_canary: %s: %s\n", fname, strerror(errno));
		return -1;
	}
	ndaemon_rw = 0;
	while (fgets(line, sizeof(line), f)) {
		if (parse_maps_line(line, &lo, &hi, perms, &path) || perms[1] != 'w' || perms[3] != 'p')
			continue;
		if (!*path && hi - lo >= SHADOW_MIN)
			continue;       /* sanitizer shadow */
		if (ndaemon_rw == MAX_RANGES)
			break;
		daemon_rw[ndaemon_rw++] = (struct range){ lo, hi };
	}
	fclose(f);
	if (!ndaemon_rw) {
		fprintf(stderr, "zc_canary: no writable mapping in %s\n", fname);
		return -1;
	}
	return 0;
}

static bool is_daemon_address(uint64_t v)
{
	unsigned lo = 0, hi = ndaemon_rw;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (v < daemon_rw[mid].lo)
			hi = mid;
		else if (v >= daemon_rw[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Scans [p, p + len) for the marker and daemon addresses. */
static void scan(const uint8_t *p, size_t len, const char *marker, uint64_t *markers,
		 uint64_t *pointers)
{
	size_t mlen = strlen(marker);
	const uint8_t *at = p, *end = p + len;

	while ((at = memmem(at, (size_t)(end - at), marker, mlen))) {
		(*markers)++;
		at++;
	}
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		if (v && is_daemon_address(v)) {
			if (*pointers < 5)
				fprintf(stderr, "zc_canary: word %#" PRIx64 " at +%zu points into the daemon\n",
					v, i);
			(*pointers)++;
		}
	}
}

/* Scans every memfd mapping of this process.  Returns the bytes scanned;
 * *covers says whether [area, area + area_len) was among them. */
static uint64_t scan_memfds(const void *area, size_t area_len, const char *marker,
			    uint64_t *markers, uint64_t *pointers, bool *covers)
{
	uintptr_t a = (uintptr_t)area;
	char line[4608], perms[5];
	const char *path;
	uint64_t lo, hi, total = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	*covers = false;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (parse_maps_line(line, &lo, &hi, perms, &path) || strncmp(path, "/memfd:", 7) ||
		    perms[0] != 'r')
			continue;
		scan((const uint8_t *)(uintptr_t)lo, hi - lo, marker, markers, pointers);
		total += hi - lo;
		if (a >= lo && a + area_len <= hi)
			*covers = true;
	}
	fclose(f);
	return total;
}

/* Gives n frames back on FILL, kicking the worker when it asks. */
static void fill_frames(struct sfnic_zc *zc, const uint32_t *bufs, uint32_t n)
{
	struct sfnic_zc_ring *fill = sfnic_zc_fill(zc);
	uint32_t done = 0, idx, k;

	while (done < n) {
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

int main(int argc, char **argv)
{
	const char *run_dir = NULL, *marker = "SFNICB!!", *pid = NULL;
	const struct sfnic_zc_info *info;
	uint64_t frames = 0, bad = 0, nonzero = 0, markers = 0, pointers = 0, scanned;
	double seconds = 3, end;
	struct sfnic_zc *zc;
	struct sfnic_zc_ring *rx;
	uint32_t queue, bufs[BATCH];
	size_t area_len;
	bool plant = false, covers;
	char err[256], *e;
	int c, ret;

	while ((c = getopt(argc, argv, "p:t:M:Pr:")) != -1) {
		switch (c) {
		case 'p': pid = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 'M': marker = optarg; break;
		case 'P': plant = true; break;
		case 'r': run_dir = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2 || !pid || strlen(marker) < 4)
		usage();
	queue = (uint32_t)strtoul(argv[optind + 1], &e, 0);
	if (!strcmp(argv[optind + 1], "new"))
		queue = SFNIC_ZC_QUEUE_NEW;
	else if (*e || e == argv[optind + 1])
		usage();
	if (load_daemon_maps(pid))
		return 2;
	/* No SA_RESTART: a signal ends sfnic_zc_wait() at once. */
	sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	ret = sfnic_zc_open(run_dir, argv[optind], queue, SFNIC_ZC_EXCLUSIVE, NULL, &zc, err,
			    sizeof(err));
	if (ret) {
		fprintf(stderr, "zc_canary: %s\n", err);
		return 2;
	}
	info = sfnic_zc_info(zc);
	area_len = (size_t)info->frames * info->frame_size;
	for (size_t i = 0; i < area_len; i++)
		nonzero += ((const uint8_t *)info->area)[i] != 0;
	printf("queue %u domain %u\n", info->queue, info->domain);
	fflush(stdout);

	rx = sfnic_zc_rx(zc);
	end = now() + seconds;
	while (!stop && now() < end) {
		uint32_t idx, n = sfnic_zc_ring_cons__peek(rx, BATCH, &idx);

		if (n == 0) {
			if (sfnic_zc_wait(zc, 100) < 0)
				break;
			continue;
		}
		for (uint32_t i = 0; i < n; i++) {
			struct sfnic_zc_desc d = *sfnic_zc_ring__desc(rx, idx + i);

			if (d.buf >= info->frames || (uint32_t)d.off + d.len > info->frame_size)
				bad++;
			bufs[i] = d.buf;
		}
		sfnic_zc_ring_cons__release(rx, n);
		frames += n;
		fill_frames(zc, bufs, n);
	}
	if (plant) {
		/* The last frame: one marker, and one daemon address on an
		 * aligned word of its own. */
		uint8_t *f = sfnic_zc_frame_data(info, info->frames - 1, 0);
		uint64_t v = daemon_rw[0].lo + 8;

		memcpy(f + 64, marker, strlen(marker));
		memcpy(f + 256, &v, 8);
	}
	/* The daemon's mappings as they are now (its heap may have grown). */
	if (load_daemon_maps(pid)) {
		sfnic_zc_close(zc);
		return 2;
	}
	scanned = scan_memfds(info->area, area_len, marker, &markers, &pointers, &covers);
	printf("received %" PRIu64 " frames\n", frames);
	if (bad)
		printf("bad descriptors %" PRIu64 "\n", bad);
	printf("nonzero at open %" PRIu64 "\n", nonzero);
	printf("marker %" PRIu64 " pointers %" PRIu64 " scanned %" PRIu64 " bytes\n", markers,
	       pointers, scanned);
	if (!covers)
		printf("the region was not among the memfd mappings scanned\n");
	sfnic_zc_close(zc);
	return bad || nonzero || markers || pointers || !covers ? 1 : 0;
}
