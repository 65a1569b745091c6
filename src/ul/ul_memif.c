/*
 * ul_memif.c - the uplink as a memif client (memif 2.0 as DPDK 22.11, VPP
 * and libmemif speak it) of a server on a filesystem socket.
 *
 * Memory is laid out as a zero-copy DPDK client lays it out: region 0 is a
 * memfd of ours holding the rings (C2S first, then S2C), region 1 is p0's
 * page-pool region itself.  The server copies what it sends straight into
 * pool buffers we posted and reads what p0 sends from the buffers the
 * frames are in: sfnic copies nothing on either side (frames from another
 * trust domain are copied into p0's pool by the datapath first, as any
 * domain crossing is).  p0 has a region of its own for this (dp_config's
 * uplink_own_region): the peer maps p0's buffers and nobody else's.
 *
 * One queue pair of 2^10 slots.  S2C (server to us): the port's owner
 * worker keeps the ring stocked with empty pool buffers and takes what the
 * server filled.  C2S (us to server): any worker, under tx_lock, points
 * descriptors at the frames' buffers, which go home when the server's tail
 * passes them.  s2c_buf[] and c2s_buf[] name the buffer behind each slot
 * we filled, so a descriptor in shared memory is never followed back to a
 * buffer: what we read from the peer's side is its tail and, on S2C, each
 * descriptor's length and flags, once, checked before use.  A tail that
 * moves past what we posted is a broken server: the worker stops taking
 * from it and the control thread disconnects within a second.
 *
 * Interrupts: while frames come the worker polls S2C with MASK_INT set (the
 * server writes no eventfd).  When two passes in a row bring nothing (the
 * worker is about to sleep in epoll) it clears MASK_INT and looks once
 * more, so the server's next burst writes the S2C eventfd, which is the
 * backend's fd and wakes the worker.  A server checks the flag after
 * publishing its tail without a full barrier (DPDK 22.11 eth_memif_tx), so
 * a burst can, rarely, arrive unannounced: the control thread's one-second
 * timer sees frames waiting in interrupt mode and writes the eventfd
 * itself.  On C2S we write the eventfd after publishing only when the
 * server cleared MASK_INT (DPDK polls and sets it).
 *
 * Connection (control thread): connect, then the lock-step handshake, one
 * message per answer; the backend is attached to p0 only once CONNECTED
 * arrived.  While not connected p0 has no backend, so what the eswitch
 * sends through it is dropped and counted (no_consumer), and a timer tries
 * again every second.  Ending a connection detaches the backend (no worker
 * touches the rings afterwards), returns every buffer posted or sent to its
 * pool, and unmaps.
 */
#include "ul_internal.h"

#include "../memif/memif_proto.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MIF_LOG2 10                     /* ring size we ask for */
#define MIF_SLOTS (1u << MIF_LOG2)
#define MIF_REFILL 32                   /* S2C slots posted at once (fewer head stores) */
#define MIF_ROOM (PP_BUF_SIZE - PP_HEADROOM)    /* what a posted buffer takes */
#define MIF_HANDSHAKE_MS 5000
#define MIF_IDLE_PASSES 2               /* empty passes before asking for interrupts */
#define MIF_DROP_LOG_MS 10000           /* drops are logged at most this often */

enum mif_state {
	MIF_DOWN,               /* no connection: the timer tries again */
	MIF_HELLO,              /* connected, waiting for the server's HELLO */
	MIF_ACK_INIT,           /* each waits for the ACK of what was sent */
	MIF_ACK_REGION0,
	MIF_ACK_REGION1,
	MIF_ACK_RING_C2S,
	MIF_ACK_RING_S2C,
	MIF_CONNECTING,         /* CONNECT sent, waiting for CONNECTED */
	MIF_UP,                 /* the backend is p0's */
};

enum { EV_TIMER = 1, EV_SOCK = 2 };

struct ul_memif {
	struct dp_backend be;   /* first: the backend is the handle and the ctx */
	struct dp *dp;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char secret[MEMIF_SECRET_SZ];
	uint32_t id;
	struct pp_region *region;       /* p0's: memif region 1 */
	int epfd;               /* the timer and the socket; the daemon watches it */
	int timer_fd, sock;
	enum mif_state state;
	uint64_t since_ms;      /* when the handshake began */
	char said[200];         /* the last problem logged while down (said once) */
	char peer[MEMIF_NAME_SZ + 1], peer_if[MEMIF_NAME_SZ + 1];
	/* This connection's memory: region 0 and the rings' eventfds. */
	int mem_fd, c2s_efd, s2c_efd;
	void *mem;
	size_t mem_size;
	unsigned slots;
	uint16_t mask;
	struct memif_ring *c2s, *s2c;
	_Atomic bool fault;     /* a worker saw a tail move past our head */
	/* S2C: the owner worker's (the atomics are read by the watchdog). */
	_Atomic uint16_t s2c_head, s2c_last;
	_Atomic bool s2c_irq;   /* MASK_INT clear: the server writes s2c_efd */
	unsigned s2c_idle;
	uint32_t s2c_buf[MIF_SLOTS];
	struct pp_pool *s2c_pool[MIF_SLOTS];
	/* C2S: under tx_lock (workers, and the watchdog's reap). */
	pthread_spinlock_t tx_lock;
	uint16_t c2s_head, c2s_last;
	uint32_t c2s_buf[MIF_SLOTS];
	struct pp_pool *c2s_pool[MIF_SLOTS];
	/* Frames the server gave us that were dropped here: chained (larger
	 * than a posted buffer) and malformed (longer than posted).  Counted by
	 * the owner worker, logged by the control thread when they change. */
	_Atomic uint64_t rx_chained, rx_bad;
	uint64_t said_chained, said_bad, said_ms;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Owner-only counter: no locked add needed. */
static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* A peer's fixed-size name as a printable C string. */
static void peer_str(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[i] = 0;
}

/* ---- data path ---- */

/* Gives back what the server returned on C2S (tx_lock held). */
static void reap(struct ul_memif *m)
{
	uint16_t tail = atomic_load_explicit(&m->c2s->tail, memory_order_acquire);
	uint16_t done = (uint16_t)(tail - m->c2s_last), out = (uint16_t)(m->c2s_head - m->c2s_last);

	if (done > out) {
		atomic_store_explicit(&m->fault, true, memory_order_relaxed);
		return;
	}
	while (done--) {
		uint16_t slot = m->c2s_last++ & m->mask;

		pp_put(m->c2s_pool[slot], m->c2s_buf[slot]);
	}
}

/* Posts empty buffers into S2C's free slots, a batch at a time. */
static void refill(struct ul_memif *m, struct pp_pool *pool)
{
	uint16_t head = atomic_load_explicit(&m->s2c_head, memory_order_relaxed);
	uint16_t last = atomic_load_explicit(&m->s2c_last, memory_order_relaxed);
	unsigned room = m->slots - (uint16_t)(head - last), n = 0;

	if (room < MIF_REFILL && head != last)
		return;
	for (; n < room; n++) {
		uint32_t b = pp_alloc(pool);
		uint16_t slot = (uint16_t)(head + n) & m->mask;
		struct memif_desc *d = &m->s2c->desc[slot];

		if (b == PP_NO_BUF)
			break;
		m->s2c_buf[slot] = b;
		m->s2c_pool[slot] = pool;
		/* Every field, every time: a server may leave stale flags. */
		d->flags = 0;
		d->region = 1;
		d->length = MIF_ROOM;
		d->offset = b * PP_BUF_SIZE + PP_HEADROOM;
		d->metadata = 0;
	}
	if (n) {
		atomic_store_explicit(&m->s2c_head, (uint16_t)(head + n), memory_order_relaxed);
		atomic_store_explicit(&m->s2c->head, (uint16_t)(head + n), memory_order_release);
	}
}

static void put_slot(struct ul_memif *m, uint16_t slot)
{
	pp_put(m->s2c_pool[slot], m->s2c_buf[slot]);
}

/* Takes up to max frames the server published on S2C.  Each descriptor is
 * read once; a buffer is named by our own s2c_buf[], never by the peer's
 * offset. */
static unsigned take(struct ul_memif *m, struct dp_pkt *pkts, unsigned max)
{
	const volatile struct memif_desc *desc = m->s2c->desc;
	uint16_t last = atomic_load_explicit(&m->s2c_last, memory_order_relaxed);
	uint16_t head = atomic_load_explicit(&m->s2c_head, memory_order_relaxed);
	uint16_t tail = atomic_load_explicit(&m->s2c->tail, memory_order_acquire);
	uint16_t avail = (uint16_t)(tail - last), posted = (uint16_t)(head - last);
	unsigned n = 0, i = 0;

	if (avail > posted) {
		atomic_store_explicit(&m->fault, true, memory_order_relaxed);
		return 0;
	}
	while (i < avail && n < max) {
		uint16_t slot = (uint16_t)(last + i) & m->mask;
		uint16_t flags = desc[slot].flags;
		uint32_t len = desc[slot].length;

		if (flags & MEMIF_DESC_FLAG_NEXT) {
			/* A frame larger than one of our buffers: p0's buffers
			 * are 2 KiB and cannot hold it, so the chain goes. */
			unsigned j = i + 1;

			while (j < avail && (desc[(uint16_t)(last + j) & m->mask].flags &
					     MEMIF_DESC_FLAG_NEXT))
				j++;
			if (j == avail && avail < posted)
				break;  /* the rest is not published yet */
			if (j == avail)
				j--;    /* no posted slot is left to end it: all of it goes */
			for (unsigned k = i; k <= j; k++)
				put_slot(m, (uint16_t)(last + k) & m->mask);
			bump(&m->rx_chained, 1);
			i = j + 1;
			continue;
		}
		if (len > MIF_ROOM) {
			put_slot(m, slot);
			bump(&m->rx_bad, 1);
			i++;
			continue;
		}
		pkts[n++] = (struct dp_pkt){ .pool = m->s2c_pool[slot], .buf = m->s2c_buf[slot],
					     .off = PP_HEADROOM, .len = (uint16_t)len };
		i++;
	}
	atomic_store_explicit(&m->s2c_last, (uint16_t)(last + i), memory_order_relaxed);
	return n;
}

/* Asks the server to signal S2C, then looks again: a burst published
 * before the flag was seen clear is found here, any later one writes the
 * eventfd.  The eventfd is emptied first, or a write left from before
 * would keep the sleeping worker's epoll readable. */
static void irq_on(struct ul_memif *m)
{
	uint64_t v;

	if (read(m->s2c_efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was pending */
	}
	atomic_store_explicit(&m->s2c_irq, true, memory_order_relaxed);
	__atomic_store_n(&m->s2c->flags, 0, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_seq_cst);
}

static unsigned mif_rx(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max)
{
	struct ul_memif *m = ctx;
	unsigned n = 0;

	if (!atomic_load_explicit(&m->fault, memory_order_relaxed)) {
		n = take(m, pkts, max);
		if (!n && !atomic_load_explicit(&m->s2c_irq, memory_order_relaxed) &&
		    ++m->s2c_idle >= MIF_IDLE_PASSES) {
			irq_on(m);
			n = take(m, pkts, max);
		}
		if (n) {
			m->s2c_idle = 0;
			if (atomic_load_explicit(&m->s2c_irq, memory_order_relaxed)) {
				/* Frames come again: poll, the server need not signal. */
				__atomic_store_n(&m->s2c->flags, MEMIF_RING_FLAG_MASK_INT,
						 __ATOMIC_RELAXED);
				atomic_store_explicit(&m->s2c_irq, false, memory_order_relaxed);
			}
		}
		refill(m, pool);
	}
	/* Sent buffers too, or an idle link would keep them. */
	if (pthread_spin_trylock(&m->tx_lock) == 0) {
		reap(m);
		pthread_spin_unlock(&m->tx_lock);
	}
	return n;
}

static unsigned mif_tx(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n,
		       enum dp_drop *why)
{
	struct ul_memif *m = ctx;
	struct memif_ring *r = m->c2s;
	unsigned got = 0, room;
	bool kick = false;

	(void)worker;
	(void)why;
	pthread_spin_lock(&m->tx_lock);
	reap(m);
	room = m->slots - (uint16_t)(m->c2s_head - m->c2s_last);
	for (; got < n && got < room; got++) {
		const struct dp_pkt *p = &pkts[got];
		uint16_t slot = (uint16_t)(m->c2s_head + got) & m->mask;
		struct memif_desc *d = &r->desc[slot];

		/* Only p0's buffers reach here (tx_copies is false): the
		 * datapath copies frames of other regions into p0's pool. */
		if (p->pool->region != m->region)
			break;
		m->c2s_buf[slot] = p->buf;
		m->c2s_pool[slot] = p->pool;
		d->flags = 0;
		d->region = 1;
		d->length = p->len;
		d->offset = p->buf * PP_BUF_SIZE + p->off;
		d->metadata = 0;
	}
	if (got) {
		m->c2s_head += (uint16_t)got;
		atomic_store_explicit(&r->head, m->c2s_head, memory_order_release);
		/* The head store before the flag load, or a server going to
		 * sleep between them would miss this burst. */
		atomic_thread_fence(memory_order_seq_cst);
		kick = !(__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & MEMIF_RING_FLAG_MASK_INT);
	}
	pthread_spin_unlock(&m->tx_lock);
	if (kick && write(m->c2s_efd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0) {
		/* saturated: the server has a wakeup pending anyway */
	}
	for (unsigned i = got; i < n; i++)
		dp_pkt_free(&pkts[i]);
	return got;
}

/* ---- control channel ---- */

/* Logs a problem while p0 is down, once until something else happens. */
static void __attribute__((format(printf, 2, 3))) say_down(struct ul_memif *m, const char *fmt,
							   ...)
{
	char line[sizeof(m->said)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!strcmp(line, m->said))
		return;
	snprintf(m->said, sizeof(m->said), "%s", line);
	util_log(UTIL_WARN, "uplink memif: %s (p0 is down; trying again every second)", line);
}

static int send_msg(struct ul_memif *m, const struct memif_msg *msg, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)msg, sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0)
		util_msg_attach_fds(&mh, ctl.buf, sizeof(ctl.buf), &fd, 1);
	n = sendmsg(m->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == (ssize_t)sizeof(*msg))
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* One message.  Returns its size, 0 at EOF, -errno (-EAGAIN: none). */
static ssize_t recv_msg(struct ul_memif *m, struct memif_msg *msg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { msg, sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(m->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return -errno;
	/* A server sends no fds: close any it did. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i + sizeof(int) <= c->cmsg_len - CMSG_LEN(0); i += sizeof(int)) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i, sizeof(int));
			close(fd);
		}
	}
	if (n > 0 && (mh.msg_flags & MSG_TRUNC))
		return -EMSGSIZE;
	return n;
}

/* Every buffer posted on S2C or sent on C2S goes home.  The backend is
 * detached: no worker touches the rings. */
static void give_back(struct ul_memif *m)
{
	uint16_t last = atomic_load(&m->s2c_last), head = atomic_load(&m->s2c_head);

	for (; last != head; last++)
		put_slot(m, last & m->mask);
	for (; m->c2s_last != m->c2s_head; m->c2s_last++) {
		uint16_t slot = m->c2s_last & m->mask;

		pp_put(m->c2s_pool[slot], m->c2s_buf[slot]);
	}
	atomic_store(&m->s2c_last, 0);
	atomic_store(&m->s2c_head, 0);
	m->c2s_head = m->c2s_last = 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Ends the connection, whatever state it is in. */
static void session_end(struct ul_memif *m)
{
	if (m->state == MIF_UP) {
		dp_port_set_backend(m->dp, DP_VPORT_UPLINK, false, NULL, NULL);
		give_back(m);
		if (m->rx_chained || m->rx_bad)
			util_log(UTIL_INFO, "uplink memif: %llu chained and %llu malformed frames "
				 "from %s were dropped on this connection",
				 (unsigned long long)m->rx_chained, (unsigned long long)m->rx_bad,
				 m->path);
	}
	close_fd(&m->sock);     /* leaves epfd with it */
	if (m->mem)
		munmap(m->mem, m->mem_size);
	m->mem = NULL;
	m->c2s = m->s2c = NULL;
	close_fd(&m->mem_fd);
	close_fd(&m->c2s_efd);
	close_fd(&m->s2c_efd);
	m->state = MIF_DOWN;
}

/* We end it: the server is told why (reason, memif's words), the log says
 * more (line). */
static void __attribute__((format(printf, 3, 4))) refuse(struct ul_memif *m, const char *reason,
							 const char *fmt, ...)
{
	struct memif_msg msg = { .type = MEMIF_MSG_DISCONNECT };
	char line[sizeof(m->said)];
	bool was_up = m->state == MIF_UP;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf((char *)msg.disconnect.string, sizeof(msg.disconnect.string), "%s", reason);
	send_msg(m, &msg, -1);
	session_end(m);
	if (was_up)
		m->said[0] = 0;
	say_down(m, "%s", line);
}

/* The server ended it (reason NULL: it closed the socket). */
static void lost(struct ul_memif *m, const char *reason)
{
	bool was_up = m->state == MIF_UP;
	const char *who = m->peer[0] ? m->peer : "the server";

	session_end(m);
	if (was_up)
		m->said[0] = 0;
	if (reason)
		say_down(m, "%s on %s %s: \"%s\"", who, m->path,
			 was_up ? "disconnected" : "refused the connection", reason);
	else
		say_down(m, "%s on %s closed the connection%s", who, m->path,
			 was_up ? "" : " during the handshake");
}

/* Region 0 and the eventfds, for a ring size the server accepted. */
static int session_mem(struct ul_memif *m, unsigned log2)
{
	uint64_t rb = memif_ring_bytes(log2);

	m->slots = 1u << log2;
	m->mask = (uint16_t)(m->slots - 1);
	m->mem_size = 2 * rb;
	m->mem_fd = memfd_create("memif_region_0", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m->mem_fd < 0 || ftruncate(m->mem_fd, (off_t)m->mem_size) ||
	    fcntl(m->mem_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL))
		return -errno;
	m->mem = mmap(NULL, m->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->mem_fd, 0);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		return -errno;
	}
	m->c2s = m->mem;
	m->s2c = (struct memif_ring *)((char *)m->mem + rb);
	for (struct memif_ring *r = m->c2s; r; r = r == m->c2s ? m->s2c : NULL)
		r->cookie = MEMIF_COOKIE;
	m->c2s_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	m->s2c_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->c2s_efd < 0 || m->s2c_efd < 0)
		return -errno;
	return 0;
}

static void on_hello(struct ul_memif *m, const struct memif_msg_hello *h)
{
	struct memif_msg msg = { .type = MEMIF_MSG_INIT };
	unsigned log2 = h->max_log2_ring_size < MIF_LOG2 ? h->max_log2_ring_size : MIF_LOG2;
	int ret;

	peer_str(m->peer, h->name, sizeof(h->name));
	if (h->min_version > MEMIF_VERSION || h->max_version < MEMIF_VERSION) {
		refuse(m, "Incompatible memif version", "%s on %s speaks memif %u.%u to %u.%u, "
		       "not 2.0", m->peer, m->path, h->min_version >> 8, h->min_version & 0xff,
		       h->max_version >> 8, h->max_version & 0xff);
		return;
	}
	/* The maxima are counts minus one: one ring each way always fits. */
	if (h->max_region < 1 || log2 < MEMIF_MIN_LOG2_RING) {
		refuse(m, "Device error", "%s on %s takes %u region(s) and rings of 2^%u slots; "
		       "p0 needs 2 regions and rings of 2 slots or more", m->peer, m->path,
		       h->max_region + 1u, h->max_log2_ring_size);
		return;
	}
	if ((ret = session_mem(m, log2))) {
		refuse(m, "Device error", "ring memory: %s", strerror(-ret));
		return;
	}
	msg.init.version = MEMIF_VERSION;
	msg.init.id = m->id;
	msg.init.mode = MEMIF_MODE_ETHERNET;
	memcpy(msg.init.secret, m->secret, strlen(m->secret));
	memcpy(msg.init.name, "sfnic", 5);
	if ((ret = send_msg(m, &msg, -1))) {
		lost(m, NULL);
		return;
	}
	m->state = MIF_ACK_INIT;
}

/* The next handshake message after an ACK, with its fd. */
static void on_ack(struct ul_memif *m)
{
	struct memif_msg msg = { 0 };
	int fd = -1;

	switch (m->state) {
	case MIF_ACK_INIT:
	case MIF_ACK_REGION0:
		msg.type = MEMIF_MSG_ADD_REGION;
		msg.add_region.index = m->state == MIF_ACK_INIT ? 0 : 1;
		msg.add_region.size = m->state == MIF_ACK_INIT ? m->mem_size
							       : pp_region_size(m->region);
		fd = m->state == MIF_ACK_INIT ? m->mem_fd : pp_region_fd(m->region);
		break;
	case MIF_ACK_REGION1:
	case MIF_ACK_RING_C2S:
		msg.type = MEMIF_MSG_ADD_RING;
		msg.add_ring.flags = m->state == MIF_ACK_REGION1 ? MEMIF_MSG_ADD_RING_FLAG_C2S : 0;
		msg.add_ring.index = 0;
		msg.add_ring.region = 0;
		msg.add_ring.offset = m->state == MIF_ACK_REGION1 ? 0
					: (uint32_t)((char *)m->s2c - (char *)m->mem);
		msg.add_ring.log2_ring_size = (uint8_t)__builtin_ctz(m->slots);
		msg.add_ring.private_hdr_size = 0;
		fd = m->state == MIF_ACK_REGION1 ? m->c2s_efd : m->s2c_efd;
		break;
	case MIF_ACK_RING_S2C:
		msg.type = MEMIF_MSG_CONNECT;
		memcpy(msg.connect.if_name, "sfnic-p0", 8);
		break;
	default:
		return;
	}
	if (send_msg(m, &msg, fd)) {
		lost(m, NULL);
		return;
	}
	m->state++;
}

static void on_connected(struct ul_memif *m, const struct memif_msg_connect *c)
{
	int ret;

	peer_str(m->peer_if, c->if_name, sizeof(c->if_name));
	/* Both sides start the counters at 0; we consume S2C by polling. */
	for (struct memif_ring *r = m->c2s; r; r = r == m->c2s ? m->s2c : NULL) {
		atomic_store(&r->head, 0);
		atomic_store(&r->tail, 0);
	}
	__atomic_store_n(&m->s2c->flags, MEMIF_RING_FLAG_MASK_INT, __ATOMIC_RELAXED);
	atomic_store(&m->s2c_head, 0);
	atomic_store(&m->s2c_last, 0);
	atomic_store(&m->s2c_irq, false);
	atomic_store(&m->fault, false);
	m->s2c_idle = 0;
	m->c2s_head = m->c2s_last = 0;
	m->rx_chained = m->rx_bad = m->said_chained = m->said_bad = m->said_ms = 0;
	m->be = (struct dp_backend){ .rx_burst = mif_rx, .tx_burst = mif_tx, .fd = m->s2c_efd,
				     .poll_always = true, .tx_copies = false, .offloads = false };
	ret = dp_port_set_backend(m->dp, DP_VPORT_UPLINK, false, &m->be, m);
	if (ret) {
		refuse(m, "Device error", "cannot attach to p0: %s", strerror(-ret));
		return;
	}
	m->state = MIF_UP;
	m->said[0] = 0;
	util_log(UTIL_INFO, "uplink memif: connected to %s on %s (interface \"%s\", id %u): "
		 "1 queue pair of %u slots; p0 is up", m->peer, m->path, m->peer_if, m->id,
		 m->slots);
}

static void on_msg(struct ul_memif *m, const struct memif_msg *msg)
{
	if (msg->type == MEMIF_MSG_DISCONNECT) {
		char reason[MEMIF_REASON_SZ + 1];

		peer_str(reason, msg->disconnect.string, sizeof(msg->disconnect.string));
		lost(m, reason);
		return;
	}
	if (m->state == MIF_HELLO && msg->type == MEMIF_MSG_HELLO)
		on_hello(m, &msg->hello);
	else if (m->state >= MIF_ACK_INIT && m->state <= MIF_ACK_RING_S2C &&
		 msg->type == MEMIF_MSG_ACK)
		on_ack(m);
	else if (m->state == MIF_CONNECTING && msg->type == MEMIF_MSG_CONNECTED)
		on_connected(m, &msg->connect);
	else
		refuse(m, "Unexpected message", "%s on %s sent message type %u out of turn",
		       m->peer[0] ? m->peer : "the server", m->path, msg->type);
}

static void on_sock(struct ul_memif *m)
{
	while (m->sock >= 0) {
		struct memif_msg msg;
		ssize_t n = recv_msg(m, &msg);

		if (n == -EAGAIN)
			return;
		if (n == 0 || n == -ECONNRESET) {
			lost(m, NULL);
		} else if (n < 0 && n != -EMSGSIZE) {
			lost(m, strerror((int)-n));
		} else if (n != (ssize_t)sizeof(msg)) {
			refuse(m, "Invalid message size", "%s on %s sent a message of %s bytes",
			       m->peer[0] ? m->peer : "the server", m->path,
			       n < 0 ? "more than 128" : n < 128 ? "less than 128" : "?");
		} else {
			on_msg(m, &msg);
		}
	}
}

static void try_connect(struct ul_memif *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int err;

	memcpy(sa.sun_path, m->path, strlen(m->path));
	m->peer[0] = m->peer_if[0] = 0;
	m->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->sock < 0 || connect(m->sock, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		close_fd(&m->sock);
		say_down(m, "cannot connect to %s: %s", m->path, strerror(err));
		return;
	}
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->sock,
		      &(struct epoll_event){ .events = EPOLLIN, .data.u32 = EV_SOCK })) {
		err = errno;
		close_fd(&m->sock);
		say_down(m, "cannot watch the socket: %s", strerror(err));
		return;
	}
	m->state = MIF_HELLO;
	m->since_ms = mono_ms();
}

/* Once a second while up: the server's faults, sent buffers it returned
 * while the link was idle, a burst that arrived unannounced, a receive
 * ring left short of buffers, new drops. */
static void watchdog(struct ul_memif *m)
{
	uint64_t chained = atomic_load_explicit(&m->rx_chained, memory_order_relaxed);
	uint64_t bad = atomic_load_explicit(&m->rx_bad, memory_order_relaxed);

	if (atomic_load_explicit(&m->fault, memory_order_relaxed)) {
		refuse(m, "Invalid ring state", "%s on %s moved a ring's tail past its head",
		       m->peer, m->path);
		return;
	}
	if (pthread_spin_trylock(&m->tx_lock) == 0) {
		reap(m);
		pthread_spin_unlock(&m->tx_lock);
	}
	/* A sleeping worker with frames waiting, or with few buffers posted
	 * (its pool ran dry when it last refilled): wake it. */
	uint16_t last = atomic_load_explicit(&m->s2c_last, memory_order_relaxed);

	if (atomic_load_explicit(&m->s2c_irq, memory_order_relaxed) &&
	    (atomic_load_explicit(&m->s2c->tail, memory_order_relaxed) != last ||
	     (uint16_t)(atomic_load_explicit(&m->s2c_head, memory_order_relaxed) - last) <
	     m->slots / 2) &&
	    write(m->s2c_efd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0) {
		/* saturated: the worker has a wakeup pending */
	}
	if ((chained != m->said_chained || bad != m->said_bad) &&
	    mono_ms() - m->said_ms >= MIF_DROP_LOG_MS) {
		m->said_ms = mono_ms();
		util_log(UTIL_WARN, "uplink memif: dropped %llu chained frames (larger than "
			 "p0's %u-byte buffers) and %llu with a bad length from %s so far",
			 (unsigned long long)chained, MIF_ROOM, (unsigned long long)bad, m->path);
		m->said_chained = chained;
		m->said_bad = bad;
	}
}

static void on_timer(struct ul_memif *m)
{
	uint64_t ticks;

	if (read(m->timer_fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	if (m->state == MIF_DOWN)
		try_connect(m);
	else if (m->state == MIF_UP)
		watchdog(m);
	else if (mono_ms() - m->since_ms > MIF_HANDSHAKE_MS)
		refuse(m, "Handshake timed out", "%s on %s did not answer the handshake in %u s",
		       m->peer[0] ? m->peer : "the server", m->path, MIF_HANDSHAKE_MS / 1000);
}

static void on_event(void *arg)
{
	struct ul_memif *m = arg;
	struct epoll_event ev[2];
	int n = epoll_wait(m->epfd, ev, 2, 0);

	for (int i = 0; i < n; i++) {
		if (ev[i].data.u32 == EV_TIMER)
			on_timer(m);
		else if (ev[i].data.u32 == EV_SOCK)
			on_sock(m);
	}
}

struct ul_memif *ul_memif_open(struct dp *dp, const char *path, uint32_t id,
			       const char *secret, ul_watch_fn watch, void *loop, char *err,
			       size_t errlen)
{
	struct ul_memif *m = calloc(1, sizeof(*m));
	struct pp_region *rep;
	int ret;

	if (!m) {
		snprintf(err, errlen, "uplink memif: out of memory");
		return NULL;
	}
	/* The control thread returns buffers (close, the watchdog): with an
	 * id of its own it can never pass for a pool's owner. */
	pp_self();
	m->dp = dp;
	m->epfd = m->timer_fd = m->sock = m->mem_fd = m->c2s_efd = m->s2c_efd = -1;
	pthread_spin_init(&m->tx_lock, PTHREAD_PROCESS_PRIVATE);
	if (strlen(path) >= sizeof(m->path) || strlen(secret) >= sizeof(m->secret)) {
		snprintf(err, errlen, "uplink memif: socket path or secret too long");
		goto fail;
	}
	snprintf(m->path, sizeof(m->path), "%s", path);
	snprintf(m->secret, sizeof(m->secret), "%s", secret);
	m->id = id;
	m->region = dp_port_region(dp, DP_VPORT_UPLINK, false);
	rep = dp_port_region(dp, DP_VPORT_UPLINK, true);
	if (!m->region || !rep) {
		snprintf(err, errlen, "uplink memif: out of memory");
		goto fail;
	}
	/* The peer maps region 1 whole: it must be p0's alone, of 2 KiB
	 * buffers, and reachable with 32-bit offsets. */
	if (m->region == rep) {
		snprintf(err, errlen, "uplink memif: p0 shares its memory with other ports "
			 "(the datapath needs uplink_own_region)");
		goto fail;
	}
	if (pp_region_size(m->region) < (uint64_t)pp_region_nbufs(m->region) * PP_BUF_SIZE ||
	    (uint64_t)pp_region_nbufs(m->region) * PP_BUF_SIZE > UINT32_MAX) {
		snprintf(err, errlen, "uplink memif: p0's region does not fit memif offsets");
		goto fail;
	}
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->epfd < 0 || m->timer_fd < 0 ||
	    epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->timer_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.u32 = EV_TIMER }) ||
	    timerfd_settime(m->timer_fd, 0, &(struct itimerspec){ { 1, 0 }, { 1, 0 } }, NULL)) {
		snprintf(err, errlen, "uplink memif: %s", strerror(errno));
		goto fail;
	}
	if ((ret = watch(loop, m->epfd, on_event, m))) {
		snprintf(err, errlen, "uplink memif: cannot watch the connection: %s",
			 strerror(-ret));
		goto fail;
	}
	util_log(UTIL_INFO, "uplink memif: client of %s, id %u%s", m->path, m->id,
		 m->secret[0] ? ", with a secret" : "");
	try_connect(m);
	return m;
fail:
	ul_memif_close(m);
	return NULL;
}

void ul_memif_close(struct ul_memif *m)
{
	if (!m)
		return;
	if (m->state != MIF_DOWN && m->sock >= 0) {
		struct memif_msg msg = { .type = MEMIF_MSG_DISCONNECT };

		memcpy(msg.disconnect.string, "Device closed", 13);
		send_msg(m, &msg, -1);
	}
	session_end(m);
	close_fd(&m->timer_fd);
	close_fd(&m->epfd);
	pthread_spin_destroy(&m->tx_lock);
	free(m);
}
