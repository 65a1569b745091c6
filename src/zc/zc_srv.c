/*
 * zc_srv.c - the zero-copy channel's socket: requests, credentials, and the
 * lifetime of each queue.
 *
 * Opening runs: check the request, resolve the port, check the peer's
 * right to it, build the queue's memory and rings, attach it to the
 * datapath, answer with the descriptors.  Closing runs it backwards:
 * detach (after which no worker touches the queue), take back every frame
 * the application held, free; an exclusive queue's region waits in a list
 * until its last buffer is home.
 */
#include "zc_internal.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ZC_DOMAIN_BASE 0x80000000u     /* above every vport's domain */
#define ZC_TAP_DEFAULT_CAP 256
#define ZC_OPEN_DEADLINE_MS 2000        /* a connection that has not asked by then goes */
#define ZC_CONNS_PER_UID 64             /* open or opening, per user but root */

struct zc_conn {
	struct zc_srv *srv;
	int fd;
	struct ucred cred;
	bool open;
	uint32_t vport, queue, domain;
	enum sfnic_zc_mode mode;
	struct zc_excl *excl;
	struct zc_tap *tap;
	uint64_t born_ms;
	struct zc_conn *next;
};

struct dead_region {
	struct pp_region *r;
	struct dead_region *next;
};

struct zc_srv {
	struct dp *dp;
	zc_resolve_fn resolve;
	void *resolve_arg;
	int epfd, lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t next_domain;
	bool accept_paused;             /* out of fds: the listening socket rests */
	struct zc_conn *conns;
	struct dead_region *dead;
};

static int fail(struct zc_open_rep *rep, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct zc_open_rep *rep, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->err, sizeof(rep->err), fmt, ap);
	va_end(ap);
	rep->status = -err;
	return -err;
}

static bool is_power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

static struct zc_conn *queue_user(struct zc_srv *s, uint32_t vport, uint32_t queue, bool taps)
{
	for (struct zc_conn *c = s->conns; c; c = c->next)
		if (c->open && c->vport == vport && c->queue == queue &&
		    (c->mode != SFNIC_ZC_EXCLUSIVE) == taps)
			return c;
	return NULL;
}

static int open_exclusive(struct zc_srv *s, struct zc_conn *c, const struct zc_open_req *req,
			  const struct zc_port *port, struct zc_open_rep *rep)
{
	uint32_t frames = req->frames ? req->frames : 4096;
	uint32_t ring = req->ring_size ? req->ring_size : 2048;
	uint32_t cap = req->max_outstanding, q = req->queue;
	char name[96], err[192];
	int ret;

	if (!port->is_sf)
		return fail(rep, EINVAL, "%s is not an SF: exclusive queues belong to SF functions",
			    port->name);
	if (req->domain_check)
		return fail(rep, EINVAL, "an exclusive queue gets a fresh trust domain: do not state one");
	if (!port->zc_bound)
		return fail(rep, ENODEV, "%s has no zero-copy function (is it active, with the zc driver bound?)",
			    port->name);
	if (c->cred.uid != 0 && c->cred.uid != geteuid() &&
	    !(port->owner_set && port->owner_uid == c->cred.uid))
		return fail(rep, EPERM, "Permission denied: %s's zero-copy queues belong to its zc_owner",
			    port->name);
	if (frames < 64 || frames > 65536)
		return fail(rep, EINVAL, "frames %u: out of range (64..65536)", frames);
	if (!is_power_of_two(ring) || ring < 64 || ring > 16384 || ring > frames)
		return fail(rep, EINVAL, "ring_size %u: a power of two in 64..16384, at most frames", ring);
	if (!cap)
		cap = frames > 512 ? frames - 256 : frames / 2;
	if (cap > frames)
		return fail(rep, EINVAL, "max_outstanding %u: more than the %u frames", cap, frames);
	if (req->tx_frames > ring || req->tx_frames > cap)
		return fail(rep, EINVAL, "tx_frames %u: more than the ring or max_outstanding",
			    req->tx_frames);
	if (q == SFNIC_ZC_QUEUE_NEW) {
		for (q = 2; q < DP_FN_QUEUES && queue_user(s, port->vport, q, false); q++)
			;
		if (q == DP_FN_QUEUES)
			return fail(rep, EBUSY, "%s has no free queue (2..%u are taken)", port->name,
				    DP_FN_QUEUES - 1);
	} else if (q < 2 || q >= DP_FN_QUEUES) {
		return fail(rep, EINVAL, "queue %u: application queues are 2..%u", q,
			    DP_FN_QUEUES - 1);
	} else if (queue_user(s, port->vport, q, false)) {
		return fail(rep, EBUSY, "queue %u of %s is taken", q, port->name);
	}
	c->domain = s->next_domain++;
	snprintf(name, sizeof(name), "zc:%s/q%u", port->name, q);
	c->excl = zc_excl_create(name, c->domain, frames, ring, cap, req->tx_frames, err,
				 sizeof(err));
	if (!c->excl)
		return fail(rep, ENOMEM, "%s", err);
	ret = dp_fn_set_queue(s->dp, port->vport, q, &c->excl->be, c->excl);
	if (ret) {
		pp_region_destroy(zc_excl_destroy(c->excl));
		c->excl = NULL;
		return fail(rep, -ret, "queue %u of %s: %s", q, port->name, strerror(-ret));
	}
	c->queue = q;
	rep->queue = q;
	rep->domain = c->domain;
	rep->frame_size = c->excl->frame_size;
	rep->frames = frames;
	rep->headroom = PP_HEADROOM;
	rep->max_outstanding = cap;
	rep->ring_size = rep->tx_ring_size = ring;
	rep->region_size = pp_region_size(c->excl->region);
	return 0;
}

static int open_tap(struct zc_srv *s, struct zc_conn *c, const struct zc_open_req *req,
		    const struct zc_port *port, struct zc_open_rep *rep, struct pp_region **region)
{
	uint32_t ring = req->ring_size ? req->ring_size : 2048;
	uint32_t cap = req->max_outstanding;
	struct zc_conn *other;
	char name[96], err[192];
	uint32_t nbufs;
	int ret;

	if (c->cred.uid != 0 && c->cred.uid != geteuid())
		return fail(rep, EPERM, "Permission denied: a tap sees other flows' data; root or the daemon's user only");
	/* The uplink's RX queues are its workers'; a function's are what it
	 * receives: queue 0 its netdev, 1 its memif interface (SFs). */
	if (port->vport == DP_VPORT_UPLINK ? req->queue >= dp_nqueues(s->dp)
					   : req->queue > (port->is_sf ? 1u : 0u))
		return fail(rep, EINVAL, "queue %u: %s has RX queues 0..%u", req->queue, port->name,
			    port->vport == DP_VPORT_UPLINK ? dp_nqueues(s->dp) - 1 : port->is_sf);
	*region = dp_port_region(s->dp, port->vport, false);
	if (!*region)
		return fail(rep, ENODEV, "%s is not in the datapath", port->name);
	c->domain = pp_region_domain(*region);
	if (req->domain_check && req->domain != c->domain)
		return fail(rep, EXDEV, "trust domain mismatch: queue %u of %s is in domain %u, not %u",
			    req->queue, port->name, c->domain, req->domain);
	other = queue_user(s, port->vport, req->queue, true);
	if (other && (req->mode == SFNIC_ZC_SINGLE || other->mode == SFNIC_ZC_SINGLE))
		return fail(rep, EBUSY, "queue %u of %s has a %s tap", req->queue, port->name,
			    other->mode == SFNIC_ZC_SINGLE ? "single" : "shared");
	nbufs = pp_region_nbufs(*region);
	if (!cap)
		cap = nbufs / 4 < ZC_TAP_DEFAULT_CAP ? nbufs / 4 : ZC_TAP_DEFAULT_CAP;
	if (!is_power_of_two(ring) || ring < 64 || ring > 16384)
		return fail(rep, EINVAL, "ring_size %u: a power of two in 64..16384", ring);
	/* A tap may hold a quarter of the region at most: the port's pools
	 * keep refilling whatever the tap does. */
	if (cap > ring || cap > nbufs / 4)
		return fail(rep, EINVAL, "max_outstanding %u: at most the ring (%u) and a quarter of the region (%u)",
			    cap, ring, nbufs / 4);
	snprintf(name, sizeof(name), "zc:%s/tap%u", port->name, req->queue);
	c->tap = zc_tap_create(name, nbufs, ring, cap, err, sizeof(err));
	if (!c->tap)
		return fail(rep, ENOMEM, "%s", err);
	ret = dp_port_add_tap(s->dp, port->vport, false, req->queue, &c->tap->ops, c->tap,
			      c->tap->held);
	if (ret) {
		zc_tap_destroy(c->tap);
		c->tap = NULL;
		return fail(rep, -ret, "tap on %s: %s", port->name, strerror(-ret));
	}
	c->queue = req->queue;
	rep->queue = req->queue;
	rep->domain = c->domain;
	rep->readonly = 1;
	rep->frame_size = pp_region_buf_size(*region);
	rep->frames = nbufs;
	rep->headroom = PP_HEADROOM;
	rep->max_outstanding = cap;
	rep->ring_size = ring;
	rep->region_size = pp_region_size(*region);
	return 0;
}

/* Sends the reply with, on success, the queue's four descriptors. */
static void reply(struct zc_conn *c, struct zc_open_rep *rep, const int *fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * ZC_NFDS)] = { 0 };
	struct iovec iov = { rep, sizeof(*rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	rep->magic = ZC_PROTO_MAGIC;
	rep->version = ZC_PROTO_VERSION;
	if (fds)
		util_msg_attach_fds(&mh, cbuf, sizeof(cbuf), fds, ZC_NFDS);
	if (sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		util_log(UTIL_WARN, "zc: reply to pid %d: %s", (int)c->cred.pid, strerror(errno));
}

static const char *mode_name(enum sfnic_zc_mode m)
{
	return m == SFNIC_ZC_EXCLUSIVE ? "exclusive" : m == SFNIC_ZC_SINGLE ? "single" : "shared";
}

static void conn_close(struct zc_conn *c);

static void handle_open(struct zc_conn *c, const struct zc_open_req *req)
{
	struct zc_srv *s = c->srv;
	struct zc_open_rep rep = { 0 };
	struct pp_region *region = NULL;
	struct zc_port port;
	struct zc_rings *rings;
	int fds[ZC_NFDS] = { -1, -1, -1, -1 }, ret;
	char port_name[sizeof(req->port) + 1];

	memcpy(port_name, req->port, sizeof(req->port));
	port_name[sizeof(req->port)] = 0;
	if (req->version != ZC_PROTO_VERSION)
		ret = fail(&rep, EPROTO, "zc protocol version %u; this daemon speaks %u", req->version,
			   ZC_PROTO_VERSION);
	else if (req->mode > SFNIC_ZC_SHARED)
		ret = fail(&rep, EINVAL, "mode %u: exclusive, single or shared", req->mode);
	else if ((ret = s->resolve(s->resolve_arg, port_name, &port, rep.err, sizeof(rep.err))))
		rep.status = ret;
	else if (req->mode == SFNIC_ZC_EXCLUSIVE)
		ret = open_exclusive(s, c, req, &port, &rep);
	else
		ret = open_tap(s, c, req, &port, &rep, &region);
	if (ret) {
		util_log(UTIL_INFO, "zc: pid %d uid %d refused: %s", (int)c->cred.pid,
			 (int)c->cred.uid, rep.err);
		reply(c, &rep, NULL);
		conn_close(c);
		return;
	}
	c->open = true;
	c->vport = port.vport;
	c->mode = req->mode;
	snprintf(rep.port, sizeof(rep.port), "%s", port.name);
	rep.mode = req->mode;
	rings = c->excl ? &c->excl->rings : &c->tap->rings;
	rep.rings_size = rings->size;
	memcpy(&rep.off_rx, rings->off, sizeof(rings->off));
	if (c->excl) {
		fds[0] = pp_region_fd(c->excl->region);
		fds[2] = c->excl->efd_app;
		fds[3] = c->excl->efd_kick;
	} else {
		char path[64];

		/* Opened anew read-only: the application's descriptor cannot
		 * give it a writable shared mapping, whatever it tries. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", pp_region_fd(region));
		fds[0] = open(path, O_RDONLY | O_CLOEXEC);
		fds[2] = c->tap->efd_app;
		fds[3] = c->tap->efd_kick;      /* nothing to kick: taps return on every pass */
	}
	fds[1] = rings->fd;
	if (fds[0] < 0) {
		fail(&rep, errno, "reopening the region read-only: %s", strerror(errno));
		reply(c, &rep, NULL);
		conn_close(c);
		return;
	}
	reply(c, &rep, fds);
	if (!c->excl)
		close(fds[0]);
	util_log(UTIL_INFO, "zc: pid %d uid %d opened %s queue %u of %s (domain %u)",
		 (int)c->cred.pid, (int)c->cred.uid, mode_name(c->mode), c->queue, port.name,
		 c->domain);
}

static void handle_stats(struct zc_conn *c)
{
	struct sfnic_zc_stats st;

	if (c->excl)
		zc_excl_stats(c->excl, &st);
	else
		zc_tap_stats(c->tap, &st);
	if (send(c->fd, &st, sizeof(st), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		util_log(UTIL_WARN, "zc: stats to pid %d: %s", (int)c->cred.pid, strerror(errno));
}

static void conn_readable(struct zc_conn *c)
{
	union {
		struct zc_open_req req;
		struct zc_msg msg;
		char raw[512];
	} m;
	ssize_t n = recv(c->fd, &m, sizeof(m), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Closed, or a message that is not the one this state expects: the
	 * application's own queue goes, nothing else. */
	if (n <= 0 || n < (ssize_t)sizeof(m.msg) || m.msg.magic != ZC_PROTO_MAGIC) {
		conn_close(c);
		return;
	}
	if (!c->open && n == sizeof(m.req) && m.req.type == ZC_MSG_OPEN)
		handle_open(c, &m.req);
	else if (c->open && n == sizeof(m.msg) && m.msg.type == ZC_MSG_STATS)
		handle_stats(c);
	else
		conn_close(c);
}

static void queue_release(struct zc_srv *s, struct zc_conn *c)
{
	if (c->excl) {
		struct dead_region *d = malloc(sizeof(*d));

		dp_fn_set_queue(s->dp, c->vport, c->queue, NULL, NULL);
		zc_excl_reclaim(c->excl);
		if (d) {
			d->r = zc_excl_destroy(c->excl);
			d->next = s->dead;
			s->dead = d;
		} else {
			zc_excl_destroy(c->excl);       /* leaks the region, not a buffer */
		}
		c->excl = NULL;
	}
	if (c->tap) {
		dp_port_del_tap(s->dp, c->vport, false, c->queue, c->tap);
		zc_tap_reclaim(c->tap);
		zc_tap_destroy(c->tap);
		c->tap = NULL;
	}
	if (c->open)
		util_log(UTIL_INFO, "zc: %s queue %u of vport %u closed (pid %d)", mode_name(c->mode),
			 c->queue, c->vport, (int)c->cred.pid);
	c->open = false;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Out of descriptors, the listening socket would stay readable and spin
 * the loop: it rests until a connection closes (or the next tick). */
static void pause_accept(struct zc_srv *s)
{
	if (!s->accept_paused && !epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL)) {
		s->accept_paused = true;
		util_log(UTIL_WARN, "zc: out of file descriptors; not accepting for now");
	}
}

static void resume_accept(struct zc_srv *s)
{
	if (s->accept_paused &&
	    !epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &(struct epoll_event){ .events = EPOLLIN }))
		s->accept_paused = false;
}

static void conn_close(struct zc_conn *c)
{
	struct zc_srv *s = c->srv;

	queue_release(s, c);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	resume_accept(s);
	for (struct zc_conn **pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

static void accept_one(struct zc_srv *s)
{
	socklen_t len = sizeof(struct ucred);
	struct zc_conn *c;
	unsigned same = 0;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			pause_accept(s);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len)) {
		free(c);
		close(fd);
		return;
	}
	/* One user cannot take the daemon's descriptors from the others. */
	for (struct zc_conn *o = s->conns; c->cred.uid && o; o = o->next)
		same += o->cred.uid == c->cred.uid;
	if (same >= ZC_CONNS_PER_UID) {
		util_log(UTIL_WARN, "zc: uid %d has %u connections; refusing pid %d",
			 (int)c->cred.uid, same, (int)c->cred.pid);
		free(c);
		close(fd);
		return;
	}
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &(struct epoll_event){ .events = EPOLLIN,
									 .data.ptr = c })) {
		free(c);
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->born_ms = now_ms();
	c->next = s->conns;
	s->conns = c;
}

static void srv_events(void *arg)
{
	struct zc_srv *s = arg;
	struct epoll_event ev[16];
	int n = epoll_wait(s->epfd, ev, 16, 0);

	for (int i = 0; i < n; i++) {
		if (!ev[i].data.ptr) {
			accept_one(s);
			continue;
		}
		/* A connection closed by an earlier event of this batch is
		 * gone from the list: look it up before use. */
		for (struct zc_conn *c = s->conns; c; c = c->next)
			if (c == ev[i].data.ptr) {
				conn_readable(c);
				break;
			}
	}
}

struct zc_srv *zc_srv_create(struct dp *dp, const char *run_dir, zc_resolve_fn resolve,
			     void *resolve_arg, zc_watch_fn watch, void *loop, char *err,
			     size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct zc_srv *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "zc: out of memory");
		return NULL;
	}
	s->dp = dp;
	s->resolve = resolve;
	s->resolve_arg = resolve_arg;
	s->next_domain = ZC_DOMAIN_BASE;
	s->epfd = s->lfd = -1;
	if (snprintf(s->path, sizeof(s->path), "%s/%s", run_dir, ZC_SOCK_NAME) >= (int)sizeof(s->path)) {
		snprintf(err, errlen, "zc socket path in %s is too long", run_dir);
		goto fail;
	}
	memcpy(sa.sun_path, s->path, sizeof(s->path));
	unlink(s->path);
	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->lfd < 0 || s->epfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(s->path, 0666) || listen(s->lfd, 64) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &(struct epoll_event){ .events = EPOLLIN }) ||
	    watch(loop, s->epfd, srv_events, s)) {
		snprintf(err, errlen, "zc socket %s: %s", s->path, strerror(errno));
		goto fail;
	}
	return s;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s);
	return NULL;
}

static void free_dead(struct zc_srv *s, bool all)
{
	for (struct dead_region **pp = &s->dead; *pp;) {
		struct dead_region *d = *pp;

		if (all || pp_region_free(d->r) == pp_region_nbufs(d->r)) {
			pp_reap();
			pp_region_destroy(d->r);
			*pp = d->next;
			free(d);
		} else {
			pp = &d->next;
		}
	}
}

void zc_srv_tick(struct zc_srv *s)
{
	if (!s)
		return;
	uint64_t now = now_ms();

	/* Returns of an idle function's taps reach the pool without traffic;
	 * a connection that never asked for a queue goes. */
	for (struct zc_conn *c = s->conns, *n; c; c = n) {
		n = c->next;
		if (c->tap)
			zc_tap_poll(c->tap);
		else if (!c->open && now - c->born_ms > ZC_OPEN_DEADLINE_MS)
			conn_close(c);
	}
	resume_accept(s);
	free_dead(s, false);
}

void zc_srv_destroy(struct zc_srv *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	free_dead(s, false);
	close(s->lfd);
	close(s->epfd);
	unlink(s->path);
	/* Regions whose buffers are still out (frames in flight at exit) are
	 * left to the process's end rather than unmapped under them. */
	for (struct dead_region *d = s->dead, *n; d; d = n) {
		n = d->next;
		free(d);
	}
	free(s);
}

void zc_srv_port_gone(struct zc_srv *s, uint32_t vport)
{
	if (!s)
		return;
	for (struct zc_conn *c = s->conns, *n; c; c = n) {
		n = c->next;
		if (c->open && c->vport == vport)
			conn_close(c);
	}
}

unsigned zc_srv_fault_no_return(struct zc_srv *s, uint32_t vport, bool on)
{
	unsigned n = 0;

	for (struct zc_conn *c = s ? s->conns : NULL; c; c = c->next)
		if (c->open && (c->excl || c->tap) && (c->vport == vport || !on)) {
			atomic_store_explicit(c->excl ? &c->excl->no_return : &c->tap->no_return, on,
					      memory_order_relaxed);
			n++;
		}
	return n;
}

int zc_srv_close_queue(struct zc_srv *s, uint32_t vport, uint32_t queue)
{
	for (struct zc_conn *c = s ? s->conns : NULL; c; c = c->next)
		if (c->open && c->vport == vport && c->queue == queue) {
			util_log(UTIL_WARN, "zc: dropping the stuck consumer of %s queue %u of "
				 "vport %u (pid %d)", mode_name(c->mode), queue, vport,
				 (int)c->cred.pid);
			conn_close(c);
			return 0;
		}
	return -ENOENT;
}

unsigned zc_srv_queues(struct zc_srv *s, uint32_t vport, struct zc_queue_info *out,
		       unsigned max)
{
	unsigned n = 0;

	for (struct zc_conn *c = s ? s->conns : NULL; c; c = c->next) {
		if (!c->open || c->vport != vport)
			continue;
		if (n < max) {
			struct zc_queue_info *q = &out[n];

			q->queue = c->queue;
			q->mode = c->mode;
			q->pid = c->cred.pid;
			q->uid = c->cred.uid;
			q->domain = c->domain;
			if (c->excl)
				zc_excl_stats(c->excl, &q->st);
			else
				zc_tap_stats(c->tap, &q->st);
		}
		n++;
	}
	return n;
}
