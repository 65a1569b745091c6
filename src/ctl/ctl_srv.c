/*
 * ctl_srv.c - the ctl channel's socket: connections, framing, limits and
 * the lifetime of each user context.
 *
 * A connection reads one message at a time: its header, then a buffer
 * sized from the header, in as many pieces as the stream delivers.  A
 * complete message goes to ctl_msg_handle(); its reply is written as the
 * client drains it, and no further request is read until it is gone, so
 * one client holds at most one request and one reply in the daemon.  Every
 * message must arrive, and its reply be read, within CTL_MSG_DEADLINE_MS;
 * the one-second timer closes connections that are late.
 */
#include "ctl_internal.h"
#include "../util/util.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct ctl_conn {
	struct ctl_srv *srv;
	int fd;
	struct ctl_uctx u;
	struct ctl_msg_hdr hdr;         /* the message being read */
	size_t hdr_got;
	uint8_t *msg;                   /* hdr.size bytes, once the header is in */
	size_t msg_got;
	uint64_t discard;               /* bytes of an oversized message left to drop */
	int msg_fd;                     /* a descriptor that came with it */
	bool msg_fd_extra;              /* more than one came */
	struct ctl_reply out;           /* being written */
	size_t out_off;
	uint64_t started_ms;            /* first byte of the message; 0 idle */
	struct ctl_conn *next;
};

struct ctl_srv {
	struct dev *dev;
	uid_t uid;                      /* the daemon's */
	int epfd, lfd, tfd;
	bool accept_paused;
	unsigned nconns;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_conn *conns;
};

/* epoll data for the listening socket and the timer; connections carry
 * their struct ctl_conn. */
static char tag_listen, tag_timer;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pause_accept(struct ctl_srv *s)
{
	if (!s->accept_paused && !epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL)) {
		s->accept_paused = true;
		util_log(UTIL_WARN, "ctl: out of file descriptors; not accepting for now");
	}
}

static void resume_accept(struct ctl_srv *s)
{
	if (s->accept_paused &&
	    !epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd,
		       &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &tag_listen }))
		s->accept_paused = false;
}

static void conn_close(struct ctl_conn *c)
{
	struct ctl_srv *s = c->srv;

	/* Contexts that held memory are worth a line: whoever wonders where
	 * a killed tool's umems went finds it here. */
	if (c->u.n_umems)
		util_log(UTIL_INFO, "ctl: pid %d uid %d gone: user context %u destroyed with %u umem%s",
			 (int)c->u.cred.pid, (int)c->u.cred.uid, c->u.uid, c->u.n_umems,
			 c->u.n_umems == 1 ? "" : "s");
	ctl_uctx_close(&c->u);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->msg_fd >= 0)
		close(c->msg_fd);
	free(c->msg);
	free(c->out.buf);
	for (struct ctl_conn **pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->nconns--;
	free(c);
	resume_accept(s);
}

static void want(struct ctl_conn *c, uint32_t events)
{
	epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd,
		  &(struct epoll_event){ .events = events, .data.ptr = c });
}

/* Writes what the socket takes of the pending reply.  Returns false if the
 * connection was closed. */
static bool conn_flush(struct ctl_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, (uint8_t *)c->out.buf + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			want(c, EPOLLOUT);
			return true;
		}
		if (n <= 0) {
			conn_close(c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	free(c->out.buf);
	c->out.buf = NULL;
	c->out.len = c->out_off = 0;
	c->started_ms = 0;
	want(c, EPOLLIN);
	return true;
}

/* Queues a reply and starts writing it.  Returns false if the connection
 * was closed. */
static bool conn_reply(struct ctl_conn *c, struct ctl_reply *rep)
{
	c->out = *rep;
	c->out_off = 0;
	return conn_flush(c);
}

static void msg_reset(struct ctl_conn *c)
{
	free(c->msg);
	c->msg = NULL;
	c->hdr_got = c->msg_got = 0;
	if (c->msg_fd >= 0)
		close(c->msg_fd);
	c->msg_fd = -1;
	c->msg_fd_extra = false;
}

/* The message is complete: handle it and reply. */
static bool msg_done(struct ctl_conn *c)
{
	struct ctl_reply rep;
	int fd = c->msg_fd, ret;

	if (c->msg_fd_extra) {
		close(fd);
		fd = -1;
		ret = ctl_reply_err(&c->hdr, EINVAL, "more than one descriptor came with a request",
				    &rep);
	} else {
		c->msg_fd = -1;
		ret = ctl_msg_handle(&c->u, c->msg, c->hdr.size, fd, &rep);
	}
	c->msg_fd = -1;
	msg_reset(c);
	if (ret) {
		conn_close(c);
		return false;
	}
	return conn_reply(c, &rep);
}

/* The header is in: size the message, or refuse it. */
static bool hdr_done(struct ctl_conn *c)
{
	struct ctl_reply rep;

	if (c->hdr.size < sizeof(c->hdr) || c->hdr.size > CTL_MSG_DISCARD_MAX) {
		/* No way to find the next message boundary (or not worth the
		 * reading): say why, then go. */
		if (!ctl_reply_err(&c->hdr, EMSGSIZE, "message size out of range", &rep)) {
			send(c->fd, rep.buf, rep.len, MSG_NOSIGNAL | MSG_DONTWAIT);
			free(rep.buf);
		}
		conn_close(c);
		return false;
	}
	if (c->hdr.size > CTL_MSG_MAX) {
		c->discard = c->hdr.size - sizeof(c->hdr);
		return true;
	}
	c->msg = malloc(c->hdr.size);
	if (!c->msg) {
		conn_close(c);
		return false;
	}
	memcpy(c->msg, &c->hdr, sizeof(c->hdr));
	c->msg_got = sizeof(c->hdr);
	return c->msg_got < c->hdr.size || msg_done(c);
}

/* Keeps the descriptors that came with a read: the first for the current
 * message, any other closed (and the message refused). */
static void take_fds(struct ctl_conn *c, struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;
		int *fds;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)CMSG_DATA(cm);
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, &fds[i], sizeof(fd));
			if (c->msg_fd < 0 && !c->discard) {
				c->msg_fd = fd;
			} else {
				close(fd);
				c->msg_fd_extra = true;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		c->msg_fd_extra = true;
}

static void conn_readable(struct ctl_conn *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	uint8_t drop[4096];

	for (int rounds = 0; rounds < 64; rounds++) {
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n;

		if (c->discard) {
			iov = (struct iovec){ drop, c->discard < sizeof(drop) ? c->discard : sizeof(drop) };
		} else if (c->hdr_got < sizeof(c->hdr)) {
			iov = (struct iovec){ (uint8_t *)&c->hdr + c->hdr_got,
					      sizeof(c->hdr) - c->hdr_got };
		} else {
			iov = (struct iovec){ c->msg + c->msg_got, c->hdr.size - c->msg_got };
		}
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		take_fds(c, &mh);
		if (!c->started_ms)
			c->started_ms = now_ms();
		if (c->discard) {
			c->discard -= (uint64_t)n;
			if (!c->discard) {
				struct ctl_reply rep;

				msg_reset(c);
				if (ctl_reply_err(&c->hdr, EMSGSIZE, "message above the 2 MiB RPC limit",
						  &rep) ||
				    !conn_reply(c, &rep))
					return;
				if (c->out.buf)
					return;
			}
		} else if (c->hdr_got < sizeof(c->hdr)) {
			c->hdr_got += (size_t)n;
			if (c->hdr_got == sizeof(c->hdr) && !hdr_done(c))
				return;
		} else {
			c->msg_got += (size_t)n;
			if (c->msg_got == c->hdr.size && !msg_done(c))
				return;
		}
		/* A reply still going out: read nothing more until it is gone. */
		if (c->out.buf)
			return;
	}
}

static void accept_one(struct ctl_srv *s)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred cred;
	struct ctl_conn *c;
	unsigned same = 0;
	char err[256];
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), ret;

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			pause_accept(s);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return;
	}
	/* One user cannot take the device's contexts from the others. */
	for (struct ctl_conn *o = s->conns; cred.uid && o; o = o->next)
		same += o->u.cred.uid == cred.uid;
	if (same >= CTL_CONNS_PER_UID || s->nconns >= CTL_CONNS_MAX) {
		util_log(UTIL_WARN, "ctl: refusing pid %d uid %d: %u connections of this user, %u in all",
			 (int)cred.pid, (int)cred.uid, same, s->nconns);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->msg_fd = -1;
	if ((ret = ctl_uctx_open(&c->u, s->dev, &cred, s->uid, err, sizeof(err)))) {
		util_log(UTIL_WARN, "ctl: no user context for pid %d uid %d: %s", (int)cred.pid,
			 (int)cred.uid, err);
		free(c);
		close(fd);
		return;
	}
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = c })) {
		ctl_uctx_close(&c->u);
		free(c);
		close(fd);
		return;
	}
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
}

static void tick(struct ctl_srv *s)
{
	uint64_t n, now = now_ms();

	if (read(s->tfd, &n, sizeof(n)) != sizeof(n))
		return;
	for (struct ctl_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->started_ms && now - c->started_ms > CTL_MSG_DEADLINE_MS) {
			util_log(UTIL_INFO, "ctl: pid %d uid %d: a message or its reply took over %u ms; "
				 "closing", (int)c->u.cred.pid, (int)c->u.cred.uid, CTL_MSG_DEADLINE_MS);
			conn_close(c);
		}
	}
	resume_accept(s);
}

static void srv_events(void *arg)
{
	struct ctl_srv *s = arg;
	struct epoll_event ev[16];
	int n = epoll_wait(s->epfd, ev, 16, 0);

	for (int i = 0; i < n; i++) {
		void *p = ev[i].data.ptr;

		if (p == &tag_listen) {
			accept_one(s);
			continue;
		}
		if (p == &tag_timer) {
			tick(s);
			continue;
		}
		/* A connection closed by an earlier event of this batch is
		 * gone from the list: look it up before use. */
		for (struct ctl_conn *c = s->conns; c; c = c->next)
			if (c == p) {
				if (c->out.buf)
					conn_flush(c);
				else
					conn_readable(c);
				break;
			}
	}
}

int ctl_group_resolve(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[16384];
	int ret;

	if (!name || !*name) {
		*gid = getegid();
		return 0;
	}
	ret = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (!res) {
		if (ret)
			snprintf(err, errlen, "ctl group \"%s\": %s", name, strerror(ret));
		else
			snprintf(err, errlen, "ctl group \"%s\" does not exist", name);
		return ret ? -ret : -ENOENT;
	}
	*gid = gr.gr_gid;
	return 0;
}

struct ctl_srv *ctl_srv_create(struct dev *d, const char *run_dir, gid_t gid,
			       ctl_watch_fn watch, void *loop, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_srv *s = calloc(1, sizeof(*s));
	const char *step = "socket";
	mode_t mask;
	int ret;

	if (!s) {
		snprintf(err, errlen, "ctl: out of memory");
		return NULL;
	}
	s->dev = d;
	s->uid = geteuid();
	s->epfd = s->lfd = s->tfd = -1;
	if (snprintf(s->path, sizeof(s->path), "%s/%s", run_dir, CTL_SOCK_NAME) >=
	    (int)sizeof(s->path)) {
		snprintf(err, errlen, "ctl socket path in %s is too long", run_dir);
		goto fail;
	}
	memcpy(sa.sun_path, s->path, sizeof(s->path));
	unlink(s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->lfd < 0 || s->epfd < 0 || s->tfd < 0)
		goto fail_errno;
	/* Born owner-only: nobody connects before the group and mode are set. */
	mask = umask(0177);
	ret = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	step = "bind";
	if (ret)
		goto fail_errno;
	if (chown(s->path, (uid_t)-1, gid)) {
		snprintf(err, errlen, "cannot give %s to group %u: %s", s->path, (unsigned)gid,
			 strerror(errno));
		goto fail;
	}
	step = "listen";
	if (chmod(s->path, 0660) || listen(s->lfd, 64))
		goto fail_errno;
	step = "event loop";
	if (timerfd_settime(s->tfd, 0, &(struct itimerspec){ { 1, 0 }, { 1, 0 } }, NULL) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &tag_listen }) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &tag_timer }))
		goto fail_errno;
	if ((ret = watch(loop, s->epfd, srv_events, s))) {
		errno = -ret;
		goto fail_errno;
	}
	return s;
fail_errno:
	snprintf(err, errlen, "ctl socket %s: %s: %s", s->path, step, strerror(errno));
fail:
	if (s->lfd >= 0) {
		close(s->lfd);
		unlink(s->path);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->tfd >= 0)
		close(s->tfd);
	free(s);
	return NULL;
}

void ctl_srv_destroy(struct ctl_srv *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	close(s->lfd);
	close(s->epfd);
	close(s->tfd);
	unlink(s->path);
	free(s);
}

unsigned ctl_srv_conns(const struct ctl_srv *s)
{
	return s ? s->nconns : 0;
}
