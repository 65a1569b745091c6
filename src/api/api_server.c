/*
 * api_server.c - the daemon's event loop: Unix socket clients, request
 * framing, replies and notifications.
 *
 * One thread serves every client.  A client's complete lines are executed in
 * order; device events are handled after each read, so a client that pipelines
 * requests sees the device's asynchronous behaviour (an SF whose driver has
 * not yet detached), while one that waits for each reply sees every event of
 * its last request already applied.  Output is buffered per client and written
 * as the socket allows, so a slow reader never blocks the daemon; a monitor
 * that falls API_MAX_BACKLOG behind is disconnected.
 */
#include "api.h"
#include "../dl/dl.h"
#include "../dp/dp.h"
#include "../util/util.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define API_MAX_BACKLOG (64u << 20)
#define API_MAX_CLIENTS 1024

struct client {
	int fd;
	bool monitor, closing;
	struct dp_ring *cap;    /* a capture this connection receives */
	uint32_t cap_vport;
	bool cap_rep;
	uint64_t cap_left, cap_sent;    /* cap_left 0: unlimited */
	bool want_out;          /* EPOLLOUT is armed */
	char *in;
	size_t in_len, in_cap;
	bool skipping;          /* discarding an oversized line */
	char *out;
	size_t out_len, out_off, out_cap;
	struct client *next;
};

struct watch {
	int fd;
	void (*cb)(void *arg);
	void *arg;
	struct watch *next;
};

struct api {
	int lfd, epfd, sigfd;
	struct watch *watches;
	char path[108];
	struct dl *dl;
	struct client *clients;
	unsigned nclients;
};

/* Arms EPOLLOUT only while output is pending, and touches epoll only when
 * that changes: most replies go out whole from client_send. */
static void client_want_out(struct api *a, struct client *c)
{
	bool want = c->out_len > c->out_off;
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c };

	if (want == c->want_out)
		return;
	c->want_out = want;
	epoll_ctl(a->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void client_flush(struct api *a, struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			c->closing = true;
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	client_want_out(a, c);
}

static void client_send(struct api *a, struct client *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	size_t n;

	if (!s) {
		c->closing = true;
		return;
	}
	n = strlen(s);
	if (c->out_len - c->out_off + n + 1 > API_MAX_BACKLOG) {
		util_log(UTIL_WARN, "client %d fell %u MiB behind, disconnecting", c->fd,
			 API_MAX_BACKLOG >> 20);
		c->closing = true;
		free(s);
		return;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *o;

		/* Reclaim the already-sent prefix before growing. */
		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + n + 1)
			cap *= 2;
		o = realloc(c->out, cap);
		if (!o) {
			c->closing = true;
			free(s);
			return;
		}
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	free(s);
	/* Small replies go out at once; the rest waits for EPOLLOUT. */
	client_flush(a, c);
}

static void notify(void *arg, const char *obj, const char *cmd, json_t *msg)
{
	struct api *a = arg;
	json_t *ev = NULL;

	for (struct client *c = a->clients; c; c = c->next) {
		if (!c->monitor || c->closing)
			continue;
		if (!ev)
			ev = json_pack("{s:{s:s,s:s,s:O}}", "event", "obj", obj, "cmd", cmd,
				       "msg", msg);
		client_send(a, c, ev);
	}
	json_decref(ev);
}

static void capture_stop(struct api *a, struct client *c)
{
	if (!c->cap)
		return;
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, dp_ring_fd(c->cap), NULL);
	/* Waits for the workers to let go of the ring. */
	dp_port_set_capture(dl_datapath(a->dl), c->cap_vport, c->cap_rep, NULL);
	dp_ring_destroy(c->cap);
	c->cap = NULL;
}

static void send_frame(const struct dp_frame *f, void *arg)
{
	struct client *c = ((void **)arg)[1];
	struct api *a = ((void **)arg)[0];
	static const char hexd[] = "0123456789abcdef";
	char hex[PP_BUF_SIZE * 2 + 1];
	json_t *m;

	if (c->cap_left && c->cap_sent >= c->cap_left)
		return;         /* past the count: dropped with the ring */
	for (unsigned i = 0; i < f->len; i++) {
		hex[2 * i] = hexd[f->data[i] >> 4];
		hex[2 * i + 1] = hexd[f->data[i] & 15];
	}
	hex[2 * f->len] = 0;
	m = json_pack("{s:{s:I,s:s,s:i,s:s}}", "frame", "ts", (json_int_t)f->ts_ns, "dir",
		      f->dir ? "out" : "in", "len", f->orig_len, "data", hex);
	client_send(a, c, m);
	json_decref(m);
	c->cap_sent++;
}

static void capture_drain(struct api *a, struct client *c)
{
	void *ctx[2] = { a, c };

	dp_ring_ack(c->cap);
	while (dp_ring_drain(c->cap, 256, send_frame, ctx) && !c->closing)
		if (c->cap_left && c->cap_sent >= c->cap_left)
			break;
	if (c->cap_left && c->cap_sent >= c->cap_left) {
		json_t *m = json_pack("{s:{s:I,s:I}}", "capture_end", "packets",
				      (json_int_t)c->cap_sent, "dropped",
				      (json_int_t)dp_ring_dropped(c->cap));

		client_send(a, c, m);
		json_decref(m);
		capture_stop(a, c);
	}
}

static void capture_start(struct api *a, struct client *c, const struct api_sub *sub)
{
	struct dp *dp = dl_datapath(a->dl);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->cap };
	json_t *m;

	capture_stop(a, c);
	c->cap = dp_ring_create(dp_nqueues(dp), 1024);
	if (!c->cap || epoll_ctl(a->epfd, EPOLL_CTL_ADD, dp_ring_fd(c->cap), &ev) ||
	    dp_port_set_capture(dp, sub->vport, sub->rep, c->cap)) {
		m = json_pack("{s:{s:I,s:I,s:s}}", "capture_end", "packets", (json_int_t)0,
			      "dropped", (json_int_t)0, "error", "another capture runs on this port");
		client_send(a, c, m);
		json_decref(m);
		if (c->cap)
			epoll_ctl(a->epfd, EPOLL_CTL_DEL, dp_ring_fd(c->cap), NULL);
		dp_ring_destroy(c->cap);
		c->cap = NULL;
		return;
	}
	c->cap_vport = sub->vport;
	c->cap_rep = sub->rep;
	c->cap_left = sub->count;
	c->cap_sent = 0;
}

static void handle_line(struct api *a, struct client *c, const char *line, size_t len)
{
	struct api_sub sub;
	json_t *reply = api_dispatch_sub(a->dl, line, len, &sub);

	client_send(a, c, reply);
	json_decref(reply);
	if (sub.monitor)
		c->monitor = true;
	if (sub.capture)
		capture_start(a, c, &sub);
}

int api_watch(struct api *a, int fd, void (*cb)(void *arg), void *arg)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!w)
		return -ENOMEM;
	*w = (struct watch){ fd, cb, arg, a->watches };
	ev.data.ptr = w;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		free(w);
		return -errno;
	}
	a->watches = w;
	return 0;
}

static void client_read(struct api *a, struct client *c)
{
	for (;;) {
		ssize_t n;
		size_t start = 0;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			char *in;

			if (cap > API_MAX_REQUEST * 2)
				cap = API_MAX_REQUEST * 2;
			in = cap > c->in_cap ? realloc(c->in, cap) : c->in;
			if (!in) {
				c->closing = true;
				return;
			}
			c->in = in;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n == 0) {
			c->closing = true;
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->closing = true;
			return;
		}
		c->in_len += (size_t)n;
		for (size_t i = 0; i < c->in_len; i++) {
			if (c->in[i] != '\n')
				continue;
			if (c->skipping)
				c->skipping = false;
			else if (i > start)
				handle_line(a, c, c->in + start, i - start);
			start = i + 1;
			if (c->closing)
				return;
		}
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		if (c->in_len > API_MAX_REQUEST) {
			json_t *r;

			if (!c->skipping) {
				r = json_pack("{s:b,s:i,s:s}", "ok", 0, "errno", EMSGSIZE, "msg",
					      "request too large (limit 65536 bytes)");
				client_send(a, c, r);
				json_decref(r);
			}
			c->skipping = true;
			c->in_len = 0;
		}
	}
}

static void client_close(struct api *a, struct client *c)
{
	struct client **pp;

	for (pp = &a->clients; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	capture_stop(a, c);
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	a->nclients--;
}

static void accept_all(struct api *a)
{
	for (;;) {
		int fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *c;

		if (fd < 0)
			return;
		if (a->nclients >= API_MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		c->fd = fd;
		ev.data.ptr = c;
		if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = a->clients;
		a->clients = c;
		a->nclients++;
	}
}

struct api *api_create(const char *sock_path, struct dl *dl, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct api *a = calloc(1, sizeof(*a));
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t sigs;
	int probe;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->lfd = a->epfd = a->sigfd = -1;
	a->dl = dl;
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", sock_path);
		goto fail;
	}
	strcpy(sa.sun_path, sock_path);
	strcpy(a->path, sock_path);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		snprintf(err, errlen, "another sfnicd is serving %s", sock_path);
		a->path[0] = 0;
		goto fail;
	}
	if (probe >= 0)
		close(probe);
	unlink(sock_path);
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->lfd < 0 || bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(a->lfd, 128)) {
		snprintf(err, errlen, "cannot listen on %s: %s", sock_path, strerror(errno));
		goto fail;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	a->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->epfd < 0) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		goto fail;
	}
	ev.data.ptr = &a->lfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->lfd, &ev);
	ev.data.ptr = &a->sigfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev);
	dl_set_notify(dl, notify, a);
	return a;
fail:
	api_destroy(a);
	return NULL;
}

/* After a burst of work the heap holds memory freed by deleted SFs and large
 * replies; give it back to the system once the daemon has been idle a second,
 * so an idle daemon's RSS tracks what it holds, not what it once held. */
#define API_TRIM_IDLE_MS 1000

int api_run(struct api *a)
{
	struct epoll_event evs[64];
	bool dirty = false;

	for (;;) {
		int n = epoll_wait(a->epfd, evs, 64, dirty ? API_TRIM_IDLE_MS : -1);

		if (n == 0) {
			malloc_trim(0);
			dirty = false;
			continue;
		}
		dirty = true;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			util_log(UTIL_ERR, "epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &a->sigfd) {
				util_log(UTIL_INFO, "signal received, shutting down");
				return 0;
			}
			if (p == &a->lfd) {
				accept_all(a);
				continue;
			}
			struct watch *w;
			struct client *c;

			for (w = a->watches; w && w != p; w = w->next)
				;
			if (w) {
				w->cb(w->arg);
				continue;
			}
			for (c = a->clients; c && (void *)&c->cap != p; c = c->next)
				;
			if (c) {
				if (c->cap)
					capture_drain(a, c);
				continue;
			}
			c = p;
			if (evs[i].events & EPOLLOUT)
				client_flush(a, c);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				client_read(a, c);
		}
		/* The PF driver reacts to what those requests made the device do. */
		dl_process_events(a->dl);
		for (struct client *c = a->clients, *next; c; c = next) {
			next = c->next;
			if (c->closing)
				client_close(a, c);
		}
	}
}

void api_destroy(struct api *a)
{
	if (!a)
		return;
	while (a->clients)
		client_close(a, a->clients);
	if (a->dl)
		dl_set_notify(a->dl, NULL, NULL);
	while (a->watches) {
		struct watch *w = a->watches;

		a->watches = w->next;
		free(w);
	}
	if (a->lfd >= 0) {
		close(a->lfd);
		if (a->path[0])
			unlink(a->path);
	}
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	free(a);
}
