/*
 * zc.c - libsfnic: the application's side of the zero-copy queues
 * (include/sfnic/zc.h): the open handshake over <run-dir>/zc.sock, the
 * mappings, sleeping and kicking.  The ring protocol itself is the inline
 * helpers of zc.h; this file only lays the rings out.
 *
 * The daemon is trusted here (the application asked it for memory), but its
 * reply is still checked before anything is mapped or dereferenced: a ring
 * that does not fit its memfd would fault in the application far from the
 * cause, so a bad reply is refused at open with -EPROTO.
 */
#include "sfnic/zc.h"
#include "../util/util.h"
#include "../zc/zc_proto.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { FD_REGION, FD_RINGS, FD_WAKE, FD_KICK };

struct sfnic_zc {
	int sock;
	int wake_fd;                    /* the daemon signals it: sfnic_zc_fd() */
	int kick_fd;                    /* we signal it: sfnic_zc_kick() */
	void *rings_map;
	size_t rings_size;
	size_t region_size;
	struct sfnic_zc_ring rx, fill, tx, comp;
	struct sfnic_zc_info info;
	/* What TX and COMP point at on a tap, so that the inline helpers
	 * find a ring that is always empty and always full. */
	struct sfnic_zc_ring_hdr none_hdr;
	struct sfnic_zc_desc none_entry;
};

static int zc_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int zc_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static bool is_pow2(uint32_t n)
{
	return n && !(n & (n - 1));
}

/* Whether a ring head at off with n entries of esize bytes lies inside the
 * rings memfd (64-bit arithmetic: nothing here can wrap). */
static bool ring_fits(uint64_t off, uint32_t n, size_t esize, uint64_t rings_size)
{
	uint64_t len = sizeof(struct sfnic_zc_ring_hdr) + (uint64_t)n * esize;

	return off % _Alignof(struct sfnic_zc_ring_hdr) == 0 && off <= rings_size &&
	       len <= rings_size - off;
}

static bool rep_valid(const struct zc_open_rep *rep)
{
	if (rep->version != ZC_PROTO_VERSION || rep->mode > SFNIC_ZC_SHARED)
		return false;
	if (!rep->frame_size || !rep->frames || rep->headroom >= rep->frame_size)
		return false;
	if ((uint64_t)rep->frames * rep->frame_size > rep->region_size)
		return false;
	if (!is_pow2(rep->ring_size) || (rep->tx_ring_size && !is_pow2(rep->tx_ring_size)))
		return false;
	if (!ring_fits(rep->off_rx, rep->ring_size, sizeof(struct sfnic_zc_desc), rep->rings_size) ||
	    !ring_fits(rep->off_fill, rep->ring_size, sizeof(uint32_t), rep->rings_size))
		return false;
	if (rep->tx_ring_size &&
	    (!ring_fits(rep->off_tx, rep->tx_ring_size, sizeof(struct sfnic_zc_desc), rep->rings_size) ||
	     !ring_fits(rep->off_comp, rep->tx_ring_size, sizeof(uint32_t), rep->rings_size)))
		return false;
	return rep->region_size <= SIZE_MAX && rep->rings_size <= SIZE_MAX;
}

/* Whether a memfd really is as large as the daemon says: a mapping past
 * its end would raise SIGBUS on first touch. */
static bool fd_covers(int fd, uint64_t size)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_size >= 0 && (uint64_t)st.st_size >= size;
}

/* Points r at the ring whose head is at off.  Both cached indexes start
 * from the shared ones: the daemon may already have produced (tx_frames on
 * COMP), and reserve counts free slots as size - (prod - cons). */
static void ring_init(struct sfnic_zc_ring *r, struct sfnic_zc_ring_hdr *h, void *entries,
		      uint32_t size)
{
	r->producer = &h->producer;
	r->consumer = &h->consumer;
	r->flags = &h->flags;
	r->entries = entries;
	r->size = size;
	r->mask = size ? size - 1 : 0;
	r->cached_prod = atomic_load_explicit(r->producer, memory_order_acquire);
	r->cached_cons = atomic_load_explicit(r->consumer, memory_order_acquire);
}

static void ring_map(struct sfnic_zc *zc, struct sfnic_zc_ring *r, uint64_t off, uint32_t size)
{
	struct sfnic_zc_ring_hdr *h = (void *)((char *)zc->rings_map + off);

	if (!size)
		ring_init(r, &zc->none_hdr, &zc->none_entry, 0);
	else
		ring_init(r, h, h + 1, size);
}

/* Receives the reply and its descriptors; fds[] is -1 where none came.
 * Returns the reply's length or -errno. */
static ssize_t recv_rep(int sock, struct zc_open_rep *rep, int fds[ZC_NFDS], bool *ctrunc)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * ZC_NFDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { rep, sizeof(*rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;
	int k = 0;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < nfd; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (k < ZC_NFDS)
				fds[k++] = f;
			else
				close(f);
		}
	}
	*ctrunc = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
	return n;
}

/* Connects to <run-dir>/zc.sock.  Returns the socket or -errno. */
static int zc_connect(const char *run_dir, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[4096], path[4200];
	int s, ret;

	snprintf(path, sizeof(path), "%s/%s", util_run_dir(run_dir, dir, sizeof(dir)),
		 ZC_SOCK_NAME);
	if (strlen(path) >= sizeof(sa.sun_path))
		return zc_errf(err, errlen, -ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return zc_errf(err, errlen, -errno, "socket: %s", strerror(errno));
	if (!connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		return s;
	ret = (errno == ECONNREFUSED || errno == ENOENT) ? -ECONNREFUSED : -errno;
	zc_errf(err, errlen, ret, "cannot connect to sfnicd at %s: %s", path, strerror(errno));
	close(s);
	return ret;
}

/* Maps what a valid reply describes and lays the rings out. */
static int zc_map(struct sfnic_zc *zc, const struct zc_open_rep *rep, const int fds[ZC_NFDS],
		  char *err, size_t errlen)
{
	int prot = rep->readonly ? PROT_READ : PROT_READ | PROT_WRITE;

	if (!fd_covers(fds[FD_REGION], rep->region_size) ||
	    !fd_covers(fds[FD_RINGS], rep->rings_size))
		return zc_errf(err, errlen, -EPROTO, "sfnicd sent memory smaller than it described");
	zc->region_size = rep->region_size;
	zc->info.area = mmap(NULL, zc->region_size, prot, MAP_SHARED, fds[FD_REGION], 0);
	if (zc->info.area == MAP_FAILED) {
		zc->info.area = NULL;
		return zc_errf(err, errlen, -errno, "cannot map the queue's region: %s",
			       strerror(errno));
	}
	zc->rings_size = rep->rings_size;
	zc->rings_map = mmap(NULL, zc->rings_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			     fds[FD_RINGS], 0);
	if (zc->rings_map == MAP_FAILED) {
		zc->rings_map = NULL;
		return zc_errf(err, errlen, -errno, "cannot map the queue's rings: %s",
			       strerror(errno));
	}
	ring_map(zc, &zc->rx, rep->off_rx, rep->ring_size);
	ring_map(zc, &zc->fill, rep->off_fill, rep->ring_size);
	ring_map(zc, &zc->tx, rep->off_tx, rep->tx_ring_size);
	ring_map(zc, &zc->comp, rep->off_comp, rep->tx_ring_size);
	return 0;
}

static void zc_info_fill(struct sfnic_zc_info *in, const struct zc_open_rep *rep)
{
	in->frame_size = rep->frame_size;
	in->frames = rep->frames;
	in->headroom = rep->headroom;
	in->queue = rep->queue;
	in->domain = rep->domain;
	in->max_outstanding = rep->max_outstanding;
	in->mode = (enum sfnic_zc_mode)rep->mode;
	in->readonly = rep->readonly != 0;
	memcpy(in->port, rep->port, sizeof(in->port) - 1);
	in->port[sizeof(in->port) - 1] = '\0';
}

int sfnic_zc_open(const char *run_dir, const char *port, uint32_t queue, enum sfnic_zc_mode mode,
		  const struct sfnic_zc_opts *opts, struct sfnic_zc **out, char *err, size_t errlen)
{
	struct zc_open_req req = { .magic = ZC_PROTO_MAGIC, .version = ZC_PROTO_VERSION,
				   .type = ZC_MSG_OPEN, .mode = (uint32_t)mode, .queue = queue };
	struct zc_open_rep rep;
	int fds[ZC_NFDS] = { -1, -1, -1, -1 };
	struct sfnic_zc *zc = NULL;
	bool ctrunc = false;
	ssize_t n;
	int ret, k;

	*out = NULL;
	if (!port || strlen(port) >= sizeof(req.port))
		return zc_errf(err, errlen, -EINVAL, "port name \"%s\" is too long",
			       port ? port : "(null)");
	strcpy(req.port, port);
	if (opts) {
		req.ring_size = opts->ring_size;
		req.frames = opts->frames;
		req.max_outstanding = opts->max_outstanding;
		req.tx_frames = opts->tx_frames;
		req.domain = opts->domain;
		req.domain_check = opts->domain_check;
	}
	zc = calloc(1, sizeof(*zc));
	if (!zc)
		return zc_errf(err, errlen, -ENOMEM, "out of memory");
	zc->wake_fd = zc->kick_fd = -1;
	zc->sock = zc_connect(run_dir, err, errlen);
	if (zc->sock < 0) {
		ret = zc->sock;
		free(zc);
		return ret;
	}
	do
		n = send(zc->sock, &req, sizeof(req), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = zc_errf(err, errlen, -errno, "cannot send to sfnicd: %s", strerror(errno));
		goto fail;
	}
	memset(&rep, 0, sizeof(rep));
	n = recv_rep(zc->sock, &rep, fds, &ctrunc);
	if (n < 0) {
		ret = zc_errf(err, errlen, (int)n, "no reply from sfnicd: %s", strerror((int)-n));
		goto fail;
	}
	if (n == 0) {
		ret = zc_errf(err, errlen, -EPIPE, "sfnicd closed the connection without a reply");
		goto fail;
	}
	if ((size_t)n != sizeof(rep) || ctrunc || rep.magic != ZC_PROTO_MAGIC) {
		ret = zc_errf(err, errlen, -EPROTO, "sfnicd sent a malformed reply");
		goto fail;
	}
	if (rep.status) {
		rep.err[sizeof(rep.err) - 1] = '\0';
		ret = rep.status < 0 ? rep.status : -EPROTO;
		zc_errf(err, errlen, ret, "%s", rep.err[0] ? rep.err : strerror(-ret));
		goto fail;
	}
	if (fds[ZC_NFDS - 1] < 0 || !rep_valid(&rep)) {
		ret = zc_errf(err, errlen, -EPROTO, "sfnicd sent an invalid queue description");
		goto fail;
	}
	ret = zc_map(zc, &rep, fds, err, errlen);
	if (ret)
		goto fail;
	/* The mappings hold the memory; the memfds themselves are not needed. */
	close(fds[FD_REGION]);
	close(fds[FD_RINGS]);
	zc->wake_fd = fds[FD_WAKE];
	zc->kick_fd = fds[FD_KICK];
	zc_info_fill(&zc->info, &rep);
	*out = zc;
	return 0;
fail:
	for (k = 0; k < ZC_NFDS; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	sfnic_zc_close(zc);
	return ret;
}

void sfnic_zc_close(struct sfnic_zc *zc)
{
	if (!zc)
		return;
	if (zc->info.area)
		munmap(zc->info.area, zc->region_size);
	if (zc->rings_map)
		munmap(zc->rings_map, zc->rings_size);
	if (zc->wake_fd >= 0)
		close(zc->wake_fd);
	if (zc->kick_fd >= 0)
		close(zc->kick_fd);
	/* Last: the daemon takes the frames back when the connection ends,
	 * and by now nothing here can touch them. */
	if (zc->sock >= 0)
		close(zc->sock);
	free(zc);
}

const struct sfnic_zc_info *sfnic_zc_info(const struct sfnic_zc *zc)
{
	return &zc->info;
}

struct sfnic_zc_ring *sfnic_zc_rx(struct sfnic_zc *zc)
{
	return &zc->rx;
}

struct sfnic_zc_ring *sfnic_zc_fill(struct sfnic_zc *zc)
{
	return &zc->fill;
}

struct sfnic_zc_ring *sfnic_zc_tx(struct sfnic_zc *zc)
{
	return &zc->tx;
}

struct sfnic_zc_ring *sfnic_zc_comp(struct sfnic_zc *zc)
{
	return &zc->comp;
}

int sfnic_zc_fd(const struct sfnic_zc *zc)
{
	return zc->wake_fd;
}

/* Whether RX or COMP holds entries the application has not peeked yet. */
static bool zc_pending(struct sfnic_zc *zc)
{
	return atomic_load_explicit(zc->rx.producer, memory_order_acquire) != zc->rx.cached_cons ||
	       atomic_load_explicit(zc->comp.producer, memory_order_acquire) != zc->comp.cached_cons;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sfnic_zc_wait(struct sfnic_zc *zc, int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	struct pollfd p = { .fd = zc->wake_fd, .events = POLLIN };
	int ret = 0;

	atomic_fetch_or_explicit(zc->rx.flags, SFNIC_ZC_RING_NEED_WAKEUP, memory_order_relaxed);
	/* Pairs with the daemon's fence between publishing RX and reading
	 * the flag: either it sees the flag and signals, or we see its
	 * entries here.  Without it both could miss and we sleep on a full
	 * ring. */
	atomic_thread_fence(memory_order_seq_cst);
	for (;;) {
		uint64_t v;
		int left = -1, n;

		if (zc_pending(zc)) {
			ret = 1;
			break;
		}
		if (deadline >= 0) {
			int64_t d = deadline - now_ms();

			left = d > 0 ? (int)d : 0;
		}
		n = poll(&p, 1, left);
		if (n < 0) {
			ret = errno == EINTR ? 0 : -errno;
			break;
		}
		if (n == 0) {
			ret = zc_pending(zc);
			break;
		}
		/* Clear the signal; a leftover one from an earlier wakeup
		 * only brings us round the loop again. */
		if (read(zc->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	atomic_fetch_and_explicit(zc->rx.flags, ~SFNIC_ZC_RING_NEED_WAKEUP, memory_order_relaxed);
	return ret;
}

int sfnic_zc_kick(struct sfnic_zc *zc)
{
	uint64_t one = 1;

	for (;;) {
		if (write(zc->kick_fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
			return 0;
		if (errno == EINTR)
			continue;
		/* A saturated counter: the daemon has been kicked already. */
		return errno == EAGAIN ? 0 : -errno;
	}
}

int sfnic_zc_stats(struct sfnic_zc *zc, struct sfnic_zc_stats *st)
{
	struct zc_msg m = { .magic = ZC_PROTO_MAGIC, .type = ZC_MSG_STATS };
	/* One byte more than expected, so that a longer reply is seen. */
	union {
		struct sfnic_zc_stats st;
		char b[sizeof(struct sfnic_zc_stats) + 1];
	} rep;
	ssize_t n;

	do
		n = send(zc->sock, &m, sizeof(m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	do
		n = recv(zc->sock, &rep, sizeof(rep), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	if ((size_t)n != sizeof(rep.st))
		return -EPROTO;
	*st = rep.st;
	return 0;
}
