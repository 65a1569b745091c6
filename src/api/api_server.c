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
	bool want_out;          /* EPOLLOUT is armed */
	char *in;
	size_t in_len, in_cap;
	bool skipping;          /* discarding an oversized line */
	char *out;
	size_t out_len, out_off, out_cap;
	struct client *next;
};

struct api {
	int lfd, epfd, sigfd;
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

static void handle_line(struct api *a, struct client *c, const char *line, size_t len)
{
	bool monitor;
	json_t *reply = api_dispatch(a->dl, line, len, &monitor);

	client_send(a, c, reply);
	json_decref(reply);
	if (monitor)
		c->monitor = true;
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
			struct client *c = p;

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
