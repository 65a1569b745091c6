/*
 * memif_ctl.c - the server's side of the memif handshake, one message at a
 * time.  No I/O happens here: the caller receives (message, fd) and sends
 * what the verdict says, so the fuzzer drives exactly this code.
 *
 * The order is fixed by the protocol: INIT, then ADD_REGIONs with indexes
 * 0, 1, ... in order, then ADD_RINGs (any order of C2S and S2C, indexes in
 * order per direction), then CONNECT.  Anything else ends the connection
 * with DPDK's reason strings, which clients log.
 */
#include "memif_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void memif_ctl_init(struct memif_ctl *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < MEMIF_MAX_REGIONS; i++)
		c->region[i].fd = -1;
	for (unsigned t = 0; t < 2; t++)
		for (unsigned i = 0; i < MEMIF_MAX_QUEUES; i++)
			c->ring[t][i].efd = -1;
	c->state = MEMIF_CTL_WAIT_INIT;
}

void memif_ctl_release(struct memif_ctl *c)
{
	for (unsigned i = 0; i < MEMIF_MAX_REGIONS; i++)
		if (c->region[i].fd >= 0) {
			close(c->region[i].fd);
			c->region[i].fd = -1;
		}
	for (unsigned t = 0; t < 2; t++)
		for (unsigned i = 0; i < MEMIF_MAX_QUEUES; i++)
			if (c->ring[t][i].efd >= 0) {
				close(c->ring[t][i].efd);
				c->ring[t][i].efd = -1;
			}
	c->state = MEMIF_CTL_CLOSED;
}

void memif_ctl_hello(struct memif_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = MEMIF_MSG_HELLO;
	snprintf((char *)m->hello.name, sizeof(m->hello.name), "sfnic");
	m->hello.min_version = MEMIF_VERSION;
	m->hello.max_version = MEMIF_VERSION;
	/* The ring and region maxima are counts minus one. */
	m->hello.max_region = MEMIF_MAX_REGIONS - 1;
	m->hello.max_c2s_ring = MEMIF_MAX_QUEUES - 1;
	m->hello.max_s2c_ring = MEMIF_MAX_QUEUES - 1;
	m->hello.max_log2_ring_size = MEMIF_MAX_LOG2_RING;
}

void memif_ctl_disconnect_msg(struct memif_msg *m, const char *reason)
{
	memset(m, 0, sizeof(*m));
	m->type = MEMIF_MSG_DISCONNECT;
	snprintf((char *)m->disconnect.string, sizeof(m->disconnect.string), "%s", reason);
}

static enum memif_ctl_verdict refuse(struct memif_ctl *c, struct memif_msg *reply, int fd,
				     const char *reason)
{
	if (fd >= 0)
		close(fd);
	memif_ctl_disconnect_msg(reply, reason);
	c->state = MEMIF_CTL_CLOSED;
	return MEMIF_CTL_DISCONNECT;
}

static enum memif_ctl_verdict ack(struct memif_msg *reply)
{
	memset(reply, 0, sizeof(*reply));
	reply->type = MEMIF_MSG_ACK;
	return MEMIF_CTL_REPLY;
}

/* A name field of the wire, which need not be terminated. */
static void copy_name(char *dst, const uint8_t *src)
{
	memcpy(dst, src, MEMIF_NAME_SZ);
	dst[MEMIF_NAME_SZ] = 0;
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';       /* it goes into logs and JSON */
}

static enum memif_ctl_verdict on_init(struct memif_ctl *c, const struct memif_ctl_policy *pol,
				      const struct memif_msg_init *in, int fd,
				      struct memif_msg *reply)
{
	char secret[MEMIF_SECRET_SZ + 1];

	if (in->version != MEMIF_VERSION)
		return refuse(c, reply, fd, "Incompatible memif version");
	if (in->id != 0)
		return refuse(c, reply, fd, "ID not found");
	if (pol->busy)
		return refuse(c, reply, fd, "Already connected");
	if (in->mode != MEMIF_MODE_ETHERNET)
		return refuse(c, reply, fd, "Only ethernet mode supported");
	memcpy(secret, in->secret, MEMIF_SECRET_SZ);
	secret[MEMIF_SECRET_SZ] = 0;
	if (pol->secret && pol->secret[0]) {
		if (!secret[0])
			return refuse(c, reply, fd, "Secret required");
		if (strncmp(secret, pol->secret, MEMIF_SECRET_SZ))
			return refuse(c, reply, fd, "Incorrect secret");
	}
	if (fd >= 0)
		close(fd);
	c->id = in->id;
	copy_name(c->name, in->name);
	c->state = MEMIF_CTL_WAIT_CONFIG;
	return ack(reply);
}

static enum memif_ctl_verdict on_region(struct memif_ctl *c, const struct memif_msg_add_region *r,
					int fd, struct memif_msg *reply)
{
	if (fd < 0)
		return refuse(c, reply, fd, "Missing region fd");
	if (r->index != c->nregions || r->index >= MEMIF_MAX_REGIONS)
		return refuse(c, reply, fd, "Invalid region index");
	if (r->size == 0 || r->size > MEMIF_MAX_REGION_SIZE)
		return refuse(c, reply, fd, "Invalid region size");
	c->region[c->nregions].fd = fd;
	c->region[c->nregions].size = r->size;
	c->nregions++;
	return ack(reply);
}

static enum memif_ctl_verdict on_ring(struct memif_ctl *c, const struct memif_msg_add_ring *r,
				      int fd, struct memif_msg *reply)
{
	unsigned t = r->flags & MEMIF_MSG_ADD_RING_FLAG_C2S ? MEMIF_RING_C2S : MEMIF_RING_S2C;
	struct memif_ctl_ring *ring;

	if (fd < 0)
		return refuse(c, reply, fd, "Missing interrupt fd");
	if (r->index != c->nrings[t] || r->index >= MEMIF_MAX_QUEUES)
		return refuse(c, reply, fd, "Invalid ring index");
	if (r->region >= c->nregions)
		return refuse(c, reply, fd, "Invalid region index");
	if (r->log2_ring_size < MEMIF_MIN_LOG2_RING || r->log2_ring_size > MEMIF_MAX_LOG2_RING)
		return refuse(c, reply, fd, "Invalid ring size");
	if (r->private_hdr_size)
		return refuse(c, reply, fd, "Private headers not supported");
	if ((uint64_t)r->offset + memif_ring_bytes(r->log2_ring_size) > c->region[r->region].size)
		return refuse(c, reply, fd, "Ring outside its region");
	ring = &c->ring[t][c->nrings[t]++];
	*ring = (struct memif_ctl_ring){ fd, r->region, r->offset, r->log2_ring_size };
	return ack(reply);
}

enum memif_ctl_verdict memif_ctl_handle(struct memif_ctl *c, const struct memif_ctl_policy *pol,
					const void *msg, size_t len, int fd,
					struct memif_msg *reply)
{
	struct memif_msg m;

	if (len != sizeof(m))
		return refuse(c, reply, fd, "Invalid message size");
	memcpy(&m, msg, sizeof(m));     /* one copy; fields are read from it only */
	if (m.type == MEMIF_MSG_DISCONNECT) {
		if (fd >= 0)
			close(fd);
		c->state = MEMIF_CTL_CLOSED;
		return MEMIF_CTL_PEER_LEFT;
	}
	switch (c->state) {
	case MEMIF_CTL_WAIT_INIT:
		if (m.type == MEMIF_MSG_INIT)
			return on_init(c, pol, &m.init, fd, reply);
		break;
	case MEMIF_CTL_WAIT_CONFIG:
		if (m.type == MEMIF_MSG_ADD_REGION)
			return on_region(c, &m.add_region, fd, reply);
		if (m.type == MEMIF_MSG_ADD_RING)
			return on_ring(c, &m.add_ring, fd, reply);
		if (m.type == MEMIF_MSG_CONNECT) {
			if (fd >= 0)
				close(fd);
			if (!c->nrings[MEMIF_RING_C2S] || !c->nrings[MEMIF_RING_S2C])
				return refuse(c, reply, -1, "No rings");
			copy_name(c->if_name, m.connect.if_name);
			c->state = MEMIF_CTL_CONNECTED;
			memset(reply, 0, sizeof(*reply));
			reply->type = MEMIF_MSG_CONNECTED;
			return MEMIF_CTL_DO_CONNECT;
		}
		break;
	default:
		break;
	}
	if (m.type > MEMIF_MSG_DISCONNECT)
		return refuse(c, reply, fd, "Unknown message type");
	return refuse(c, reply, fd, "Unexpected message");
}
