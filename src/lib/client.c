/*
 * client.c - libsfnic: framing of the control API on the client side.
 */
#include "sfnic/sfnic.h"
#include "../util/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct sfnic_client {
	int fd;
	char *buf;
	size_t len, cap;
};

struct sfnic_client *sfnic_connect(const char *run_dir, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[4096], path[4200];
	struct sfnic_client *c;

	util_sock_path(util_run_dir(run_dir, dir, sizeof(dir)), path, sizeof(path));
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "cannot reach sfnicd at %s: %s (is sfnicd running?)",
			 path, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	return c;
}

int sfnic_recv(struct sfnic_client *c, json_t **msg)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl) {
			size_t line = (size_t)(nl - c->buf);

			*msg = json_loadb(c->buf, line, 0, NULL);
			memmove(c->buf, nl + 1, c->len - line - 1);
			c->len -= line + 1;
			return *msg ? 0 : -EPROTO;
		}
		if (c->cap - c->len < 65536) {
			size_t cap = c->cap ? c->cap * 2 : 131072;
			char *b = realloc(c->buf, cap);

			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR)
				return -EINTR;
			return -errno;
		}
		c->len += (size_t)n;
	}
}

int sfnic_request(struct sfnic_client *c, json_t *req, json_t **reply)
{
	char *s = json_dumps(req, JSON_COMPACT);
	size_t n, off = 0;
	int err;

	if (!s)
		return -ENOMEM;
	n = strlen(s);
	s[n++] = '\n'; /* json_dumps leaves room: it writes the terminating NUL */
	while (off < n) {
		ssize_t w = send(c->fd, s + off, n - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			free(s);
			return err;
		}
		off += (size_t)w;
	}
	free(s);
	for (;;) {
		json_t *m;

		if ((err = sfnic_recv(c, &m)))
			return err;
		if (!json_object_get(m, "event")) {
			*reply = m;
			return 0;
		}
		json_decref(m);
	}
}

void sfnic_close(struct sfnic_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}
