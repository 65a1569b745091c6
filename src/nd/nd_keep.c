/*
 * nd_keep.c - the fd keeper and its client.
 *
 * Protocol: SOCK_SEQPACKET, one struct keep_msg per message, an fd attached
 * with SCM_RIGHTS to PUT (client -> keeper) and to each ITEM (keeper ->
 * client, in answer to GET, followed by END).
 */
#include "nd_keep.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEEP_NAME 32
#define KEEP_MAX 4096

enum { KEEP_PUT = 1, KEEP_DEL, KEEP_GET, KEEP_ITEM, KEEP_END, KEEP_BYE };

struct keep_msg {
	uint8_t op;
	char name[KEEP_NAME];
};

struct kept {
	char name[KEEP_NAME];
	int fd;
	bool taken;
};

/* Client state: one keeper per daemon. */
static int keep_sock = -1;
static struct kept *fetched;
static unsigned nfetched;

static int send_msg(int s, uint8_t op, const char *name, int fd)
{
	struct keep_msg m = { .op = op };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (name)
		snprintf(m.name, sizeof(m.name), "%s", name);
	if (fd >= 0)
		util_msg_attach_fds(&mh, cbuf, sizeof(cbuf), &fd, 1);
	return sendmsg(s, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : -1;
}

/* Receives one message; *fd is the attached fd or -1.  0 on EOF. */
static ssize_t recv_msg(int s, struct keep_msg *m, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);

	*fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	m->name[KEEP_NAME - 1] = 0;
	return n;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(s);
		return e;
	}
	return s;
}

static int spawn(const char *exe, const char *path)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* A grandchild in a session of its own: not our child to reap,
		 * not in our process group, not killed with us. */
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		execl(exe, exe, "--fd-keeper", path, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	return 0;
}

int nd_keep_open(const char *sock_path, const char *exe, char *err, size_t len)
{
	struct keep_msg m;
	int s, fd, ret;

	s = connect_to(sock_path);
	if (s < 0) {
		if ((ret = spawn(exe, sock_path))) {
			snprintf(err, len, "cannot start the fd keeper: %s", strerror(-ret));
			return ret;
		}
		for (int i = 0; i < 200 && s < 0; i++) {
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
			s = connect_to(sock_path);
		}
		if (s < 0) {
			snprintf(err, len, "the fd keeper at %s does not answer: %s", sock_path,
				 strerror(-s));
			return s;
		}
	}
	if (send_msg(s, KEEP_GET, NULL, -1)) {
		snprintf(err, len, "fd keeper: %s", strerror(errno));
		close(s);
		return -EIO;
	}
	while (recv_msg(s, &m, &fd) > 0 && m.op == KEEP_ITEM) {
		struct kept *k = realloc(fetched, (nfetched + 1) * sizeof(*fetched));

		if (!k) {
			close(fd);
			continue;
		}
		fetched = k;
		fetched[nfetched++] = (struct kept){ .fd = fd };
		memcpy(fetched[nfetched - 1].name, m.name, KEEP_NAME);
	}
	keep_sock = s;
	if (nfetched)
		util_log(UTIL_INFO, "fd keeper: %u netdevs held over from the previous run", nfetched);
	return 0;
}

int nd_keep_take(const char *name)
{
	for (unsigned i = 0; i < nfetched; i++)
		if (!fetched[i].taken && fetched[i].fd >= 0 && !strcmp(fetched[i].name, name)) {
			fetched[i].taken = true;
			return fetched[i].fd;
		}
	return -1;
}

void nd_keep_put(const char *name, int fd)
{
	if (keep_sock >= 0 && send_msg(keep_sock, KEEP_PUT, name, fd))
		util_log(UTIL_WARN, "fd keeper: cannot keep %s: %s", name, strerror(errno));
}

void nd_keep_del(const char *name)
{
	struct pollfd p = { .fd = keep_sock, .events = POLLIN };
	struct keep_msg m;
	int fd;

	/* Synchronous: once this returns the keeper's copy is closed, so the
	 * netdev goes when the caller closes its own. */
	if (keep_sock < 0 || send_msg(keep_sock, KEEP_DEL, name, -1))
		return;
	while (poll(&p, 1, 2000) > 0 && recv_msg(keep_sock, &m, &fd) > 0) {
		if (fd >= 0)
			close(fd);
		if (m.op == KEEP_END)
			break;
	}
}

void nd_keep_drop_untaken(void)
{
	for (unsigned i = 0; i < nfetched; i++)
		if (!fetched[i].taken && fetched[i].fd >= 0) {
			nd_keep_del(fetched[i].name);
			close(fetched[i].fd);
			fetched[i].fd = -1;
		}
}

void nd_keep_close(bool forget)
{
	if (keep_sock >= 0) {
		if (forget && send_msg(keep_sock, KEEP_BYE, NULL, -1) == 0) {
			struct pollfd p = { .fd = keep_sock, .events = POLLIN };
			struct keep_msg m;
			int fd;

			/* The keeper hangs up once it has closed everything. */
			while (poll(&p, 1, 2000) > 0 && recv_msg(keep_sock, &m, &fd) > 0)
				if (fd >= 0)
					close(fd);
		}
		close(keep_sock);
		keep_sock = -1;
	}
	for (unsigned i = 0; i < nfetched; i++)
		if (!fetched[i].taken && fetched[i].fd >= 0)
			close(fetched[i].fd);
	free(fetched);
	fetched = NULL;
	nfetched = 0;
}

/* ---- the keeper ---- */

static struct kept held[KEEP_MAX];
static unsigned nheld;

static void held_del(const char *name)
{
	for (unsigned i = 0; i < nheld; i++)
		if (!strcmp(held[i].name, name)) {
			close(held[i].fd);
			held[i] = held[--nheld];
			return;
		}
}

/* Serves one daemon until it disconnects.  Returns true on BYE. */
static bool serve(int c)
{
	struct keep_msg m;
	int fd;

	while (recv_msg(c, &m, &fd) > 0) {
		switch (m.op) {
		case KEEP_PUT:
			held_del(m.name);
			if (fd >= 0 && nheld < KEEP_MAX) {
				held[nheld] = (struct kept){ .fd = fd };
				memcpy(held[nheld++].name, m.name, KEEP_NAME);
			} else if (fd >= 0) {
				close(fd);
			}
			break;
		case KEEP_DEL:
			held_del(m.name);
			(void)send_msg(c, KEEP_END, NULL, -1);
			break;
		case KEEP_GET:
			for (unsigned i = 0; i < nheld; i++)
				(void)send_msg(c, KEEP_ITEM, held[i].name, held[i].fd);
			(void)send_msg(c, KEEP_END, NULL, -1);
			break;
		case KEEP_BYE:
			/* Let go before the daemon hears back: when its stop is
			 * done, the netdevs are gone. */
			while (nheld)
				held_del(held[0].name);
			return true;
		default:
			if (fd >= 0)
				close(fd);
		}
	}
	return false;
}

int nd_keep_main(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st, now;
	int l, dn = open("/dev/null", O_RDWR);

	sigset_t none;

	/* The daemon blocks its signals (it reads them from a signalfd); the
	 * mask survived exec.  The keeper dies of SIGTERM like anything else. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if (dn >= 0) {
		dup2(dn, 0);
		dup2(dn, 1);
		close(dn);
	}
	if (strlen(path) >= sizeof(sa.sun_path))
		return 2;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	unlink(path);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4) ||
	    stat(path, &st)) {
		util_log(UTIL_ERR, "fd keeper: cannot listen on %s: %s", path, strerror(errno));
		return 1;
	}
	chmod(path, 0600);
	for (;;) {
		struct pollfd p = { .fd = l, .events = POLLIN };
		int c;

		/* Our socket file gone or replaced: nobody can reach us. */
		if (stat(path, &now) || now.st_ino != st.st_ino)
			break;
		if (poll(&p, 1, 1000) <= 0)
			continue;
		c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (serve(c)) {
			close(c);
			unlink(path);
			break;
		}
		close(c);
	}
	while (nheld)
		held_del(held[0].name);
	return 0;
}
