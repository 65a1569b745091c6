/*
 * metrics_http.c - GET /metrics over HTTP/1.1 on the daemon's event loop.
 *
 * Why not libmicrohttpd: the endpoint answers one GET on one path with
 * one snapshot, and the daemon already has an event loop; a library would
 * bring its own threads (which would then need a lock on the devlink
 * layer) or an external-select mode as long as this file.  Each
 * connection reads one request head (at most METRICS_MAX_HEAD bytes),
 * gets one response with Content-Length and "Connection: close", then
 * half-closes and waits for the client's FIN, so the kernel never resets
 * a response the client has not read.  Prometheus opens a new connection
 * per scrape then, which costs it a handshake every scrape interval.
 */
#include "metrics.h"
#include "../dl/dl.h"
#include "../util/util.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum conn_state { READING, WRITING, DRAINING };

struct conn {
	int fd;
	enum conn_state st;
	uint64_t born_ms;
	char in[METRICS_MAX_HEAD];
	size_t in_len;
	char head[320];         /* the response's status line and headers */
	char *body;             /* the snapshot, sent as it is (no copy) */
	size_t head_len, body_len, off;         /* off: bytes of both sent */
	struct conn *next;
};

struct metrics_srv {
	struct dl *dl;
	int epfd, lfd, tfd;
	struct conn *conns;
	unsigned nconns;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the snapshot ---- */

char *metrics_scrape(struct dl *dl, size_t *len)
{
	struct metrics_set *s = metrics_set_new();
	struct metrics_input in = { 0 };
	struct dl_err err = { { 0 } };
	json_t *ports = NULL, *rules = NULL, *health = NULL, *rates = NULL, *dev = NULL;
	json_t *req = json_object();
	struct timespec t0, t1;
	char *text = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!s || !req)
		goto out;
	/* The same calls `sfnic -s port show`, `filter show -s`, `health
	 * show` and `rate show` make; a part that fails is left out. */
	if (!dl_dev_show(dl, NULL, &dev, &err)) {
		void *it = json_object_iter(json_object_get(dev, "dev"));

		in.dev = it ? json_object_iter_key(it) : NULL;
	}
	if (!dl_port_show(dl, NULL, &ports, &err)) {
		dl_port_stats_add(dl, ports);
		in.ports = ports;
	}
	if (!dl_filter_list(dl, &rules, &err))
		in.rules = rules;
	if (!dl_health_request(dl, "show", req, &health, &err))
		in.health = health;
	if (!dl_rate_show(dl, NULL, &rates, &err)) {
		dl_rate_stats_add(dl, rates);
		in.rates = rates;
	}
	metrics_collect(s, &in);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_add_f64(metrics_fam(s, "sfnic_scrape_duration_seconds", METRICS_GAUGE,
				    "How long sfnicd took to gather this page's figures."),
			NULL, 0, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	text = metrics_text(s, len);
out:
	json_decref(req);
	json_decref(dev);
	json_decref(ports);
	json_decref(rules);
	json_decref(health);
	json_decref(rates);
	metrics_set_free(s);
	return text;
}

/* ---- requests ---- */

int metrics_http_route(const char *head, size_t head_len, bool *head_only)
{
	const char *eol = memchr(head, '\n', head_len), *sp1, *sp2;
	size_t line, mlen, tlen;

	*head_only = false;
	if (!eol)
		return 400;
	line = (size_t)(eol - head);
	if (line && head[line - 1] == '\r')
		line--;
	sp1 = memchr(head, ' ', line);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', line - (size_t)(sp1 + 1 - head)) : NULL;
	if (!sp1 || !sp2 || sp1 == head || sp2 == sp1 + 1)
		return 400;
	/* The version: HTTP/1.x; the request line has exactly three words. */
	if (line - (size_t)(sp2 + 1 - head) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    sp2[8] < '0' || sp2[8] > '9')
		return 400;
	mlen = (size_t)(sp1 - head);
	tlen = (size_t)(sp2 - sp1 - 1);
	if (!((mlen == 3 && !memcmp(head, "GET", 3)) || (mlen == 4 && !memcmp(head, "HEAD", 4))))
		return 405;
	*head_only = mlen == 4;
	if (tlen >= 8 && !memcmp(sp1 + 1, "/metrics", 8) && (tlen == 8 || sp1[9] == '?'))
		return 200;
	return 404;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	default: return "Internal Server Error";
	}
}

/* Builds c's response (status, headers, body unless HEAD). */
static void respond(struct metrics_srv *m, struct conn *c, int status, bool head_only)
{
	static const char ctype_metrics[] = "text/plain; version=0.0.4; charset=utf-8";
	char *body = NULL;
	size_t blen = 0;
	int n;

	if (status == 200 && !(body = metrics_scrape(m->dl, &blen)))
		status = 500;
	if (status != 200) {
		char msg[64];

		blen = (size_t)snprintf(msg, sizeof(msg), "%d %s\n", status, reason(status));
		body = strdup(msg);
		if (!body)
			blen = 0;
	}
	n = snprintf(c->head, sizeof(c->head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		     "Connection: close\r\n\r\n",
		     status, reason(status), status == 200 ? ctype_metrics : "text/plain; charset=utf-8",
		     blen, status == 405 ? "Allow: GET, HEAD\r\n" : "");
	c->head_len = (size_t)n;
	c->body = body;
	c->body_len = head_only || !body ? 0 : blen;
	c->off = 0;
	c->st = WRITING;
}

/* ---- connections ---- */

static void conn_close(struct metrics_srv *m, struct conn *c)
{
	struct conn **pp;

	for (pp = &m->conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	m->nconns--;
	close(c->fd);           /* leaves the epoll set with it */
	free(c->body);
	free(c);
}

static void conn_events(struct metrics_srv *m, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	(void)epoll_ctl(m->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_write(struct metrics_srv *m, struct conn *c)
{
	while (c->off < c->head_len + c->body_len) {
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov };
		ssize_t n;

		if (c->off < c->head_len) {
			iov[mh.msg_iovlen++] = (struct iovec){ c->head + c->off, c->head_len - c->off };
			iov[mh.msg_iovlen++] = (struct iovec){ c->body, c->body_len };
		} else {
			iov[mh.msg_iovlen++] = (struct iovec){ c->body + (c->off - c->head_len),
							       c->head_len + c->body_len - c->off };
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			conn_events(m, c, EPOLLOUT);
			return;
		}
		if (n <= 0) {
			conn_close(m, c);
			return;
		}
		c->off += (size_t)n;
	}
	free(c->body);
	c->body = NULL;
	c->st = DRAINING;
	shutdown(c->fd, SHUT_WR);
	conn_events(m, c, EPOLLIN);
}

/* A head ends at the first empty line. */
static bool head_done(const struct conn *c)
{
	return memmem(c->in, c->in_len, "\r\n\r\n", 4) || memmem(c->in, c->in_len, "\n\n", 2);
}

static void conn_read(struct metrics_srv *m, struct conn *c)
{
	for (;;) {
		char drain[512];
		bool draining = c->st != READING;
		ssize_t n = draining ? recv(c->fd, drain, sizeof(drain), 0)
				     : recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(m, c);       /* the peer is done (or gone) */
			return;
		}
		if (draining)
			continue;
		c->in_len += (size_t)n;
		if (head_done(c)) {
			bool head_only;
			int status = metrics_http_route(c->in, c->in_len, &head_only);

			respond(m, c, status, head_only);
			conn_write(m, c);
			return;
		}
		if (c->in_len == sizeof(c->in)) {
			respond(m, c, 431, false);
			conn_write(m, c);
			return;
		}
	}
}

static void accept_all(struct metrics_srv *m)
{
	for (;;) {
		int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct conn *c;

		if (fd < 0)
			return;         /* EAGAIN, or an error the next accept reports */
		if (m->nconns >= METRICS_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->born_ms = mono_ms();
		ev.data.ptr = c;
		if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = m->conns;
		m->conns = c;
		m->nconns++;
	}
}

/* Once a second: connections past their time go, whatever they do. */
static void expire(struct metrics_srv *m)
{
	uint64_t now = mono_ms(), n;
	struct conn *c = m->conns, *next;

	if (read(m->tfd, &n, sizeof(n)) < 0)
		return;
	for (; c; c = next) {
		next = c->next;
		if (now - c->born_ms >= METRICS_TIMEOUT_S * 1000ull)
			conn_close(m, c);
	}
}

static void readable(void *arg)
{
	struct metrics_srv *m = arg;
	struct epoll_event ev[16];
	int n = epoll_wait(m->epfd, ev, 16, 0);

	/* Connections first: the ones that close make room for those the
	 * listener has waiting; expiry last, so no event of this batch names
	 * a connection it freed. */
	for (int i = 0; i < n; i++) {
		struct conn *c = ev[i].data.ptr;

		if (ev[i].data.ptr == &m->lfd || ev[i].data.ptr == &m->tfd)
			continue;
		if (c->st == WRITING)
			conn_write(m, c);
		else
			conn_read(m, c);
	}
	for (int i = 0; i < n; i++)
		if (ev[i].data.ptr == &m->lfd)
			accept_all(m);
	for (int i = 0; i < n; i++)
		if (ev[i].data.ptr == &m->tfd)
			expire(m);
}

/* ---- the listener ---- */

/* s for a one-line message: at most 64 bytes, control characters as '?'. */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len && i < 64; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = 0;
	return buf;
}

int metrics_addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		       char *err, size_t errlen)
{
	char pr[80];
	char host[256] = "", port[8];
	const char *colon = strrchr(spec, ':'), *p = colon ? colon + 1 : spec;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res = NULL;
	char *end;
	unsigned long v = strtoul(p, &end, 10);
	size_t hl = colon ? (size_t)(colon - spec) : 0;
	int rc;

	if (!*p || *end || strspn(p, "0123456789") != strlen(p) || v == 0 || v > 65535) {
		snprintf(err, errlen, "\"%s\" is not [ADDR:]PORT (PORT 1-65535)",
			 printable(spec, pr, sizeof(pr)));
		return -EINVAL;
	}
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host) || (colon && !hl)) {
		snprintf(err, errlen, "\"%s\" is not [ADDR:]PORT (ADDR is empty or too long)",
			 printable(spec, pr, sizeof(pr)));
		return -EINVAL;
	}
	memcpy(host, spec, hl);
	host[hl] = 0;
	snprintf(port, sizeof(port), "%lu", v);
	/* Numbers only, and "localhost": no name lookups that could wait. */
	if (hl && strcmp(host, "localhost"))
		hints.ai_flags |= AI_NUMERICHOST;
	else if (!hl)
		hints.ai_family = AF_INET6;     /* [::], which takes IPv4 too */
	rc = getaddrinfo(hl ? host : NULL, port, &hints, &res);
	if (rc || !res || res->ai_addrlen > sizeof(*ss)) {
		snprintf(err, errlen, "\"%s\": %s", printable(host, pr, sizeof(pr)),
			 rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int listen_on(const struct sockaddr_storage *ss, socklen_t len, bool any)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1,
	    zero = 0;

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (any)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 64)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

struct metrics_srv *metrics_srv_create(const char *spec, struct dl *dl, metrics_watch_fn watch,
				       void *loop, char *err, size_t errlen)
{
	struct metrics_srv *m = calloc(1, sizeof(*m));
	struct sockaddr_storage ss;
	socklen_t len;
	bool any = !strchr(spec, ':');
	int ret;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->dl = dl;
	m->epfd = m->lfd = m->tfd = -1;
	if (metrics_addr_parse(spec, &ss, &len, err, errlen))
		goto fail;
	m->lfd = listen_on(&ss, len, any);
	if (m->lfd == -EAFNOSUPPORT && any) {
		/* No IPv6 here: every IPv4 address instead. */
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;

		memset(&ss, 0, sizeof(ss));
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		m->lfd = listen_on(&ss, sizeof(*sin), false);
	}
	if (m->lfd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(-m->lfd));
		goto fail;
	}
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->epfd < 0 || m->tfd < 0 ||
	    timerfd_settime(m->tfd, 0, &(struct itimerspec){ { 1, 0 }, { 1, 0 } }, NULL) ||
	    epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->lfd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &m->lfd }) ||
	    epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->tfd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &m->tfd })) {
		snprintf(err, errlen, "metrics: %s", strerror(errno));
		goto fail;
	}
	if ((ret = watch(loop, m->epfd, readable, m))) {
		snprintf(err, errlen, "metrics: cannot watch sockets: %s", strerror(-ret));
		goto fail;
	}
	return m;
fail:
	metrics_srv_destroy(m);
	return NULL;
}

void metrics_srv_destroy(struct metrics_srv *m)
{
	if (!m)
		return;
	while (m->conns)
		conn_close(m, m->conns);
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->tfd >= 0)
		close(m->tfd);
	/* Registered with the daemon's loop, which has ended: closing is enough. */
	if (m->epfd >= 0)
		close(m->epfd);
	free(m);
}
