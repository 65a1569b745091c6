/*
 * memif_srv.c - memif servers: sockets, connections, and the interface a
 * connection becomes.
 *
 * Every listening socket and connection of the daemon is in the hub's epoll
 * fd, which the daemon's event loop watches once.  A connection is a
 * handshake (memif_ctl) until CONNECT; then its regions are mapped, its
 * rings checked, and the interface is attached to the SF function as its
 * memif queue.  Closing runs it backwards: detach (after which no worker
 * touches the client's memory), unmap, close the client's fds.
 */
#include "memif_internal.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* What an epoll event of the hub runs. */
struct memif_ev {
	void (*fn)(void *arg);
	void *arg;
};

struct memif_conn {
	struct memif_ev ev;
	struct memif_srv *srv;
	int fd;
	struct ucred cred;
	struct memif_ctl ctl;
	struct memif_if *ifc;           /* after CONNECT, attached to the datapath */
	struct memif_conn *next;
};

struct memif_srv {
	struct memif_hub *hub;
	struct memif_ev ev;
	int lfd;
	uint32_t vport;
	char name[16];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct memif_access acc;
	struct memif_conn *conns;
	struct memif_conn *owner;       /* the connection past INIT: the interface's */
	struct memif_qstats st[2 * MEMIF_MAX_QUEUES];   /* C2S rings, then S2C */
	struct memif_srv_info last;     /* of the current or last connection */
	struct memif_srv *next;
};

struct memif_hub {
	struct dp *dp;
	char dir[4096];
	int epfd;
	struct memif_srv *srvs;
};

static int hub_add(struct memif_hub *h, int fd, struct memif_ev *ev)
{
	return epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd,
			 &(struct epoll_event){ .events = EPOLLIN, .data.ptr = ev }) ? -errno : 0;
}

static void send_msg(int fd, const struct memif_msg *m)
{
	if (send(fd, m, sizeof(*m), MSG_NOSIGNAL | MSG_DONTWAIT) != sizeof(*m)) {
		/* the client is gone or not reading: closing follows */
	}
}

static void conn_close(struct memif_conn *c, const char *reason)
{
	struct memif_srv *s = c->srv;

	if (reason) {
		struct memif_msg m;

		memif_ctl_disconnect_msg(&m, reason);
		send_msg(c->fd, &m);
	}
	if (c->ifc) {
		/* After this no worker reads or writes the client's memory. */
		dp_fn_set_queue(s->hub->dp, s->vport, DP_FN_QUEUE_MEMIF, NULL, NULL);
		memif_if_destroy(c->ifc);
		c->ifc = NULL;
		s->last.connected = false;
		util_log(UTIL_INFO, "memif %s: client pid %d disconnected%s%s", s->name,
			 (int)c->cred.pid, reason ? ": " : "", reason ? reason : "");
	}
	memif_ctl_release(&c->ctl);
	epoll_ctl(s->hub->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (s->owner == c)
		s->owner = NULL;
	for (struct memif_conn **pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

static bool may_connect(const struct memif_access *acc, const struct ucred *cr)
{
	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	return acc->owner_set && (cr->uid == acc->uid ||
				  (acc->gid != (gid_t)-1 && cr->gid == acc->gid));
}

static void on_connect(struct memif_conn *c, struct memif_msg *reply)
{
	struct memif_srv *s = c->srv;
	char reason[MEMIF_REASON_SZ];
	int ret;

	c->ifc = memif_if_create(&c->ctl, s->st, reason, sizeof(reason));
	if (!c->ifc) {
		util_log(UTIL_WARN, "memif %s: client pid %d refused: %s", s->name,
			 (int)c->cred.pid, reason);
		s->last.refused++;
		conn_close(c, reason);
		return;
	}
	ret = dp_fn_set_queue(s->hub->dp, s->vport, DP_FN_QUEUE_MEMIF, &c->ifc->be, c->ifc);
	if (ret) {
		memif_if_destroy(c->ifc);
		c->ifc = NULL;
		util_log(UTIL_WARN, "memif %s: cannot attach to the datapath: %s", s->name,
			 strerror(-ret));
		conn_close(c, "Device error");
		return;
	}
	snprintf((char *)reply->connect.if_name, sizeof(reply->connect.if_name), "%s", s->name);
	send_msg(c->fd, reply);
	s->last = (struct memif_srv_info){
		.connected = true, .pid = c->cred.pid, .uid = c->cred.uid,
		.nc2s = c->ctl.nrings[MEMIF_RING_C2S], .ns2c = c->ctl.nrings[MEMIF_RING_S2C],
		.log2_ring = c->ctl.ring[MEMIF_RING_C2S][0].log2, .nregions = c->ctl.nregions,
		.connects = s->last.connects + 1, .refused = s->last.refused,
	};
	memcpy(s->last.client_name, c->ctl.name, sizeof(s->last.client_name));
	memcpy(s->last.client_if, c->ctl.if_name, sizeof(s->last.client_if));
	util_log(UTIL_INFO, "memif %s: %s (%s, pid %d uid %d) connected: %u C2S and %u S2C "
		 "rings of %u, %u regions", s->name, c->ctl.if_name, c->ctl.name,
		 (int)c->cred.pid, (int)c->cred.uid, s->last.nc2s, s->last.ns2c,
		 1u << s->last.log2_ring, s->last.nregions);
}

/* One message of a connection: at most one fd is taken; extra fds close. */
static void conn_readable(void *arg)
{
	struct memif_conn *c = arg;
	struct memif_srv *s = c->srv;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct memif_msg in, reply;
	struct iovec iov = { &in, sizeof(in) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct memif_ctl_policy pol = { .secret = s->acc.secret,
					.busy = s->owner && s->owner != c };
	enum memif_ctl_verdict v;
	ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int fd = -1;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t k = 0; k < nfd; k++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = f;
			else
				close(f);
		}
	}
	if (n <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (fd >= 0)
			close(fd);
		/* A 22.11 client closes without DISCONNECT. */
		conn_close(c, n > 0 ? "Invalid message size" : NULL);
		return;
	}
	v = memif_ctl_handle(&c->ctl, &pol, &in, (size_t)n, fd, &reply);
	switch (v) {
	case MEMIF_CTL_REPLY:
		if (c->ctl.state == MEMIF_CTL_WAIT_CONFIG)
			s->owner = c;
		send_msg(c->fd, &reply);
		break;
	case MEMIF_CTL_DO_CONNECT:
		on_connect(c, &reply);
		break;
	case MEMIF_CTL_DISCONNECT:
		util_log(UTIL_WARN, "memif %s: client pid %d uid %d refused: %s", s->name,
			 (int)c->cred.pid, (int)c->cred.uid, (char *)reply.disconnect.string);
		s->last.refused++;
		send_msg(c->fd, &reply);
		conn_close(c, NULL);
		break;
	case MEMIF_CTL_PEER_LEFT: {
		char why[MEMIF_REASON_SZ + 1];

		memcpy(why, in.disconnect.string, MEMIF_REASON_SZ);
		why[MEMIF_REASON_SZ] = 0;
		for (char *p = why; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				*p = '?';
		util_log(UTIL_INFO, "memif %s: client pid %d says: %s", s->name,
			 (int)c->cred.pid, why);
		conn_close(c, NULL);
		break;
	}
	}
}

static void srv_accept(void *arg)
{
	struct memif_srv *s = arg;
	socklen_t cl = sizeof(struct ucred);
	struct memif_conn *c;
	struct memif_msg hello;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->srv = s;
	c->ev = (struct memif_ev){ conn_readable, c };
	memif_ctl_init(&c->ctl);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &cl))
		c->cred = (struct ucred){ .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	c->next = s->conns;
	s->conns = c;
	util_log(UTIL_INFO, "memif %s: connection from pid %d uid %d gid %d", s->name,
		 (int)c->cred.pid, (int)c->cred.uid, (int)c->cred.gid);
	if (!may_connect(&s->acc, &c->cred)) {
		util_log(UTIL_WARN, "memif %s: uid %d is not zc_owner: refused", s->name,
			 (int)c->cred.uid);
		s->last.refused++;
		conn_close(c, "Permission denied");
		return;
	}
	if (hub_add(s->hub, fd, &c->ev)) {
		conn_close(c, "Device error");
		return;
	}
	memif_ctl_hello(&hello);
	send_msg(fd, &hello);
}

/* Gives the socket to the owner when the daemon may (it runs as root). */
static void apply_owner(struct memif_srv *s)
{
	if (geteuid() != 0)
		return;
	if (chown(s->path, s->acc.owner_set ? s->acc.uid : 0,
		  s->acc.owner_set && s->acc.gid != (gid_t)-1 ? s->acc.gid : 0))
		util_log(UTIL_WARN, "memif %s: cannot chown %s: %s", s->name, s->path,
			 strerror(errno));
}

struct memif_srv *memif_srv_create(struct memif_hub *h, uint32_t vport, const char *name,
				   const struct memif_access *acc, char *err, size_t errlen)
{
	struct memif_srv *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->hub = h;
	s->vport = vport;
	s->acc = *acc;
	s->lfd = -1;
	s->ev = (struct memif_ev){ srv_accept, s };
	snprintf(s->name, sizeof(s->name), "%s", name);
	n = snprintf(s->path, sizeof(s->path), "%s/%s.sock", h->dir, name);
	if (n < 0 || (size_t)n >= sizeof(s->path)) {
		snprintf(err, errlen, "memif socket path %s/%s.sock is longer than 107 bytes",
			 h->dir, name);
		goto fail;
	}
	memcpy(sa.sun_path, s->path, (size_t)n + 1);
	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail_errno;
	unlink(s->path);        /* stale: ours from a killed daemon */
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(s->path, 0660) ||
	    listen(s->lfd, 8) || hub_add(h, s->lfd, &s->ev))
		goto fail_errno;
	apply_owner(s);
	s->next = h->srvs;
	h->srvs = s;
	util_log(UTIL_INFO, "memif %s: serving %s", s->name, s->path);
	return s;
fail_errno:
	snprintf(err, errlen, "memif %s: %s: %s", name, s->path, strerror(errno));
fail:
	if (s->lfd >= 0) {
		close(s->lfd);
		unlink(s->path);
	}
	free(s);
	return NULL;
}

void memif_srv_destroy(struct memif_srv *s, const char *reason)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns, reason);
	epoll_ctl(s->hub->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
	close(s->lfd);
	unlink(s->path);
	for (struct memif_srv **pp = &s->hub->srvs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	util_log(UTIL_INFO, "memif %s: stopped serving %s (%s)", s->name, s->path, reason);
	free(s);
}

void memif_srv_set_access(struct memif_srv *s, const struct memif_access *acc)
{
	bool secret_changed = strcmp(s->acc.secret, acc->secret) != 0;

	s->acc = *acc;
	apply_owner(s);
	for (struct memif_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (!may_connect(acc, &c->cred))
			conn_close(c, "Permission denied");
		else if (secret_changed && acc->secret[0])
			conn_close(c, "Incorrect secret");
	}
}

bool memif_srv_fault_no_return(struct memif_srv *s, bool on)
{
	struct memif_if *i = s && s->owner ? s->owner->ifc : NULL;

	for (unsigned k = 0; i && k < i->ns2c; k++) {
		struct memif_queue *q = &i->s2c[k];

		/* The frozen head first, then the flag (release): a worker that
		 * sees the flag sees the head it stands for. */
		q->frozen_head = atomic_load_explicit(&q->ring->head, memory_order_acquire);
		atomic_store_explicit(&q->no_return, on, memory_order_release);
	}
	return i != NULL;
}

int memif_srv_drop_client(struct memif_srv *s, const char *reason)
{
	if (!s || !s->owner || !s->owner->ifc)
		return -ENOTCONN;
	conn_close(s->owner, reason);
	return 0;
}

const char *memif_srv_path(const struct memif_srv *s)
{
	return s->path;
}

unsigned memif_srv_info(const struct memif_srv *s, struct memif_srv_info *info,
			struct memif_qstats *q, unsigned max)
{
	unsigned n = s->last.nc2s > s->last.ns2c ? s->last.nc2s : s->last.ns2c;

	*info = s->last;
	/* Workers' counters: a snapshot, which may lag.  A queue pair is its
	 * C2S ring's receive side and its S2C ring's transmit side. */
	for (unsigned k = 0; k < n && k < max; k++) {
		const struct memif_qstats *c = &s->st[k], *t = &s->st[MEMIF_MAX_QUEUES + k];

		q[k] = (struct memif_qstats){
			.rx_packets = c->rx_packets, .rx_bytes = c->rx_bytes,
			.tx_packets = t->tx_packets, .tx_bytes = t->tx_bytes,
			.invalid_desc = c->invalid_desc + t->invalid_desc,
			.ring_full = t->ring_full, .bad_ring = c->bad_ring + t->bad_ring,
			.too_long = c->too_long,
		};
	}
	return n;
}

static void hub_readable(void *arg)
{
	struct memif_hub *h = arg;
	struct epoll_event evs[32];
	int n = epoll_wait(h->epfd, evs, 32, 0);

	/* One event at a time: a callback may close what a later event
	 * names, so events are taken again after each. */
	if (n > 0) {
		struct memif_ev *ev = evs[0].data.ptr;

		ev->fn(ev->arg);
	}
}

struct memif_hub *memif_hub_create(struct dp *dp, const char *run_dir, memif_watch_fn watch,
				   void *loop, char *err, size_t errlen)
{
	struct memif_hub *h = calloc(1, sizeof(*h));
	int ret = 0;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->dp = dp;
	h->epfd = -1;
	snprintf(h->dir, sizeof(h->dir), "%s/memif", run_dir);
	/* Clients need a writable directory (DPDK checks), other users need
	 * to reach it: the run directory becomes traversable, this one
	 * sticky and open, the sockets themselves 0660. */
	if ((mkdir(h->dir, 01777) && errno != EEXIST) || chmod(h->dir, 01777)) {
		snprintf(err, errlen, "cannot create %s: %s", h->dir, strerror(errno));
		goto fail;
	}
	{
		struct stat sb;

		if (!stat(run_dir, &sb))
			(void)chmod(run_dir, (sb.st_mode & 07777) | 0111);
	}
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0 || (ret = watch(loop, h->epfd, hub_readable, h))) {
		snprintf(err, errlen, "memif: cannot watch sockets: %s",
			 strerror(h->epfd < 0 ? errno : -ret));
		goto fail;
	}
	return h;
fail:
	if (h->epfd >= 0)
		close(h->epfd);
	free(h);
	return NULL;
}

void memif_hub_destroy(struct memif_hub *h)
{
	if (!h)
		return;
	while (h->srvs)
		memif_srv_destroy(h->srvs, "Device closed");
	/* The epoll fd stays registered with the daemon's loop, which ends
	 * before this runs; closing it is enough. */
	close(h->epfd);
	free(h);
}
