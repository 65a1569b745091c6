/*
 * fuzz_memif_ctl.c - a hostile memif client's side of the handshake.  Each
 * input is a sequence of steps [flags][length, if flags say][bytes]: a
 * message of any size and content, with or without an fd (a fresh eventfd,
 * a memfd sealable or not and as long as an ADD_REGION declares or
 * shorter, or a dup of one eventfd, as a client may pass one file twice),
 * under either policy (a secret, another client busy).  A CONNECT is
 * followed by what the server does next: the client writes its cookies,
 * the server maps the regions and builds the interface, then tears it down.
 *
 * After every step the state machine must have answered as its verdict
 * says, with no stray bytes in the reply, moved only forward, kept only
 * what it checked, and owned every fd it was handed: kept or closed, never
 * both, never twice.  At the end memif_ctl_release() must leave exactly the
 * fds the input started with.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/memif/memif_internal.h"

#define STEP_FD 0x03            /* 0: none, 1: eventfd, 2: memfd, 3: dup of one eventfd */
#define STEP_SECRET 0x04        /* the server wants SECRET */
#define STEP_BUSY 0x08          /* another client has the interface */
#define STEP_LEN 0x10           /* a length byte follows; else 128 */
#define STEP_NOSEAL 0x20        /* the memfd does not allow sealing (guarded) */
#define STEP_SHORT 0x40         /* the memfd is shorter than declared */
#define STEP_NOCOOKIE 0x80      /* at CONNECT the client wrote no cookies */

#define SECRET "fuzz-secret"
#define MAX_FD 4096

#define check(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); abort(); } } while (0)

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	check(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t k = 0; k < n; k++)
		if (b[k])
			return false;
	return true;
}

/* The fd a step hands over.  A memfd for ADD_REGION is as long as the
 * message declares (sparse: up to 4 GiB costs nothing until touched). */
static int step_fd(uint8_t flags, const uint8_t *msg, size_t len, int shared_efd)
{
	uint64_t size = 4096;
	struct memif_msg m;
	int fd;

	switch (flags & STEP_FD) {
	case 1:
		return eventfd(0, EFD_CLOEXEC);
	case 3:
		return fcntl(shared_efd, F_DUPFD_CLOEXEC, 0);
	case 0:
		return -1;
	}
	if (len == sizeof(m)) {
		memcpy(&m, msg, sizeof(m));
		if (m.type == MEMIF_MSG_ADD_REGION)
			size = m.add_region.size;
	}
	if (size > MEMIF_MAX_REGION_SIZE)
		size = MEMIF_MAX_REGION_SIZE;
	if (flags & STEP_SHORT)
		size /= 2;
	fd = memfd_create("fuzz-memif", MFD_CLOEXEC | (flags & STEP_NOSEAL ? 0 : MFD_ALLOW_SEALING));
	check(fd >= 0);
	check(ftruncate(fd, (off_t)size) == 0);
	return fd;
}

static bool ctl_holds(const struct memif_ctl *c, int fd)
{
	for (unsigned k = 0; k < c->nregions; k++)
		if (c->region[k].fd == fd)
			return true;
	for (unsigned t = 0; t < 2; t++)
		for (unsigned k = 0; k < c->nrings[t]; k++)
			if (c->ring[t][k].efd == fd)
				return true;
	return false;
}

static void check_name(const char *s)
{
	size_t n = strnlen(s, MEMIF_NAME_SZ + 1);

	check(n <= MEMIF_NAME_SZ);
	for (size_t k = 0; k < n; k++)
		check(s[k] >= 0x20 && s[k] <= 0x7e);
}

/* What the handshake holds: counts in range, every fd below the counts
 * kept (and open, and only once), none above, every ring inside its
 * region. */
static void check_ctl(const struct memif_ctl *c)
{
	bool seen[MAX_FD] = { false };

	check(c->state <= MEMIF_CTL_CLOSED);
	check(c->nregions <= MEMIF_MAX_REGIONS);
	for (unsigned k = 0; k < MEMIF_MAX_REGIONS; k++) {
		int fd = c->region[k].fd;

		if (k >= c->nregions) {
			check(fd == -1);
			continue;
		}
		check(fd >= 0 && fd < MAX_FD && !seen[fd] && fd_open(fd));
		seen[fd] = true;
		check(c->region[k].size > 0 && c->region[k].size <= MEMIF_MAX_REGION_SIZE);
	}
	for (unsigned t = 0; t < 2; t++) {
		check(c->nrings[t] <= MEMIF_MAX_QUEUES);
		for (unsigned k = 0; k < MEMIF_MAX_QUEUES; k++) {
			const struct memif_ctl_ring *r = &c->ring[t][k];

			if (k >= c->nrings[t]) {
				check(r->efd == -1);
				continue;
			}
			check(r->efd >= 0 && r->efd < MAX_FD && !seen[r->efd] && fd_open(r->efd));
			seen[r->efd] = true;
			check(r->region < c->nregions);
			check(r->log2 >= MEMIF_MIN_LOG2_RING && r->log2 <= MEMIF_MAX_LOG2_RING);
			check((uint64_t)r->offset + memif_ring_bytes(r->log2) <=
			      c->region[r->region].size);
		}
	}
	check_name(c->name);
	check_name(c->if_name);
}

/* The reply says what the verdict does, and nothing else: the bytes go to
 * the client, so none of them may be left over from our stack. */
static void check_reply(enum memif_ctl_verdict v, const struct memif_msg *reply)
{
	switch (v) {
	case MEMIF_CTL_REPLY:
		check(reply->type == MEMIF_MSG_ACK);
		check(all_zero(reply->raw, sizeof(reply->raw)));
		break;
	case MEMIF_CTL_DO_CONNECT:
		check(reply->type == MEMIF_MSG_CONNECTED);
		check(all_zero(reply->raw, sizeof(reply->raw)));
		break;
	case MEMIF_CTL_DISCONNECT: {
		size_t n = strnlen((const char *)reply->disconnect.string, MEMIF_REASON_SZ);

		check(reply->type == MEMIF_MSG_DISCONNECT);
		check(reply->disconnect.code == 0);
		check(n > 0 && n < MEMIF_REASON_SZ);
		check(all_zero(reply->disconnect.string + n, MEMIF_REASON_SZ - n));
		break;
	}
	case MEMIF_CTL_PEER_LEFT:
		break;
	default:
		check(!"verdict out of range");
	}
}

/* The step's verdict against the message and the state before it. */
static void check_transition(const struct memif_ctl *before, const struct memif_ctl *c,
			     const struct memif_ctl_policy *pol, enum memif_ctl_verdict v,
			     const uint8_t *msg, size_t len, int fd)
{
	struct memif_msg m = { 0 };

	if (len == sizeof(m))
		memcpy(&m, msg, sizeof(m));
	if (v == MEMIF_CTL_DISCONNECT || v == MEMIF_CTL_PEER_LEFT)
		check(c->state == MEMIF_CTL_CLOSED);
	if (v == MEMIF_CTL_PEER_LEFT)
		check(len == sizeof(m) && m.type == MEMIF_MSG_DISCONNECT);
	if (before->state == MEMIF_CTL_CLOSED || before->state == MEMIF_CTL_CONNECTED)
		check(v == MEMIF_CTL_DISCONNECT || v == MEMIF_CTL_PEER_LEFT);
	if (v != MEMIF_CTL_REPLY) {
		/* Nothing new is kept on a refusal or at CONNECT. */
		check(c->nregions == before->nregions);
		check(c->nrings[0] == before->nrings[0] && c->nrings[1] == before->nrings[1]);
	}
	if (v == MEMIF_CTL_DO_CONNECT) {
		check(before->state == MEMIF_CTL_WAIT_CONFIG && c->state == MEMIF_CTL_CONNECTED);
		check(m.type == MEMIF_MSG_CONNECT);
		check(c->nrings[MEMIF_RING_C2S] && c->nrings[MEMIF_RING_S2C]);
	}
	if (v != MEMIF_CTL_REPLY)
		return;
	check(len == sizeof(m) && c->state == MEMIF_CTL_WAIT_CONFIG);
	if (before->state == MEMIF_CTL_WAIT_INIT) {
		char secret[MEMIF_SECRET_SZ + 1] = { 0 };

		check(m.type == MEMIF_MSG_INIT && !pol->busy);
		check(m.init.version == MEMIF_VERSION && m.init.id == 0 &&
		      m.init.mode == MEMIF_MODE_ETHERNET);
		memcpy(secret, m.init.secret, MEMIF_SECRET_SZ);
		if (pol->secret && pol->secret[0])
			check(!strcmp(secret, pol->secret));
		check(c->nregions == 0 && !c->nrings[0] && !c->nrings[1]);
		return;
	}
	check(before->state == MEMIF_CTL_WAIT_CONFIG);
	if (m.type == MEMIF_MSG_ADD_REGION) {
		check(c->nregions == before->nregions + 1);
		check(c->region[before->nregions].fd == fd && fd >= 0);
		check(c->region[before->nregions].size == m.add_region.size);
	} else {
		unsigned t = m.add_ring.flags & MEMIF_MSG_ADD_RING_FLAG_C2S ? MEMIF_RING_C2S
									  : MEMIF_RING_S2C;

		check(m.type == MEMIF_MSG_ADD_RING && c->nregions == before->nregions);
		check(c->nrings[t] == before->nrings[t] + 1 && c->nrings[!t] == before->nrings[!t]);
		check(c->ring[t][before->nrings[t]].efd == fd && fd >= 0);
	}
}

/* The server after CONNECTED: map, check, build; then the client goes. */
static void connect_interface(struct memif_ctl *c, uint8_t flags)
{
	struct memif_qstats st[2 * MEMIF_MAX_QUEUES] = { 0 };
	char reason[MEMIF_REASON_SZ] = "";
	struct memif_if *i;

	if (!(flags & STEP_NOCOOKIE))
		for (unsigned t = 0; t < 2; t++)
			for (unsigned k = 0; k < c->nrings[t]; k++) {
				const struct memif_ctl_ring *r = &c->ring[t][k];
				uint32_t cookie = MEMIF_COOKIE;

				/* Fails on a region that is not a memfd: the
				 * server refuses that one first. */
				if (pwrite(c->region[r->region].fd, &cookie, sizeof(cookie),
					   r->offset) < 0) {
				}
			}
	i = memif_if_create(c, st, reason, sizeof(reason));
	if (!i) {
		check(reason[0]);
		return;
	}
	check(i->nc2s == c->nrings[MEMIF_RING_C2S] && i->ns2c == c->nrings[MEMIF_RING_S2C]);
	check(i->nregions == c->nregions && i->be.fd >= 0);
	for (unsigned k = 0; k < i->nc2s; k++) {
		/* A polling server masks the client's interrupts. */
		check(i->c2s[k].ring->flags & MEMIF_RING_FLAG_MASK_INT);
		check(i->c2s[k].ring->head == 0 && i->c2s[k].ring->tail == 0);
	}
	memif_if_destroy(i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int shared_efd = -1;
	static bool handed[MAX_FD];
	int handed_list[MAX_FD], nhanded = 0;
	struct memif_ctl c;
	int fds_at_start;

	if (shared_efd < 0)
		shared_efd = eventfd(0, EFD_CLOEXEC);
	check(shared_efd >= 0);
	fds_at_start = open_fds();
	memif_ctl_init(&c);
	while (size) {
		uint8_t flags = data[0];
		size_t len = sizeof(struct memif_msg);
		struct memif_ctl_policy pol = { .secret = flags & STEP_SECRET ? SECRET : NULL,
						.busy = flags & STEP_BUSY };
		struct memif_msg reply;
		struct memif_ctl before = c;
		enum memif_ctl_verdict v;
		uint8_t *msg;
		int fd;

		data++;
		size--;
		if (flags & STEP_LEN && size) {
			len = data[0];
			data++;
			size--;
		}
		/* Exactly len bytes, so that ASan catches a read past them; a
		 * message cut short by the input's end is zero-filled. */
		msg = malloc(len);
		check(msg || !len);
		memset(msg, 0, len);
		memcpy(msg, data, len < size ? len : size);
		data += len < size ? len : size;
		size -= len < size ? len : size;

		fd = step_fd(flags, msg, len, shared_efd);
		if (fd >= 0) {
			check(fd < MAX_FD);
			if (!handed[fd]) {
				handed[fd] = true;
				handed_list[nhanded++] = fd;
			}
		}
		memset(&reply, 0xa5, sizeof(reply));
		v = memif_ctl_handle(&c, &pol, msg, len, fd, &reply);
		check_reply(v, &reply);
		check_ctl(&c);
		check_transition(&before, &c, &pol, v, msg, len, fd);
		free(msg);
		if (v == MEMIF_CTL_DO_CONNECT)
			connect_interface(&c, flags);
		/* Every fd the machine was ever given is open exactly when it
		 * still holds it. */
		for (int k = 0; k < nhanded; k++)
			check(fd_open(handed_list[k]) == ctl_holds(&c, handed_list[k]));
	}
	memif_ctl_release(&c);
	check(c.state == MEMIF_CTL_CLOSED);
	for (int k = 0; k < nhanded; k++) {
		check(!fd_open(handed_list[k]));
		handed[handed_list[k]] = false;
	}
	check(open_fds() == fds_at_start);
	return 0;
}
