/*
 * memif_internal.h - the memif server's pieces: the control-message state
 * machine (memif_ctl.c, no I/O: fuzzable), the interface a connection
 * becomes and its rings as a datapath backend (memif_ring.c), and sockets
 * and lifetimes (memif_srv.c).
 */
#ifndef SFNIC_MEMIF_INTERNAL_H
#define SFNIC_MEMIF_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memif.h"
#include "memif_proto.h"
#include "../dp/dp.h"

#define MEMIF_MAX_REGIONS 16
#define MEMIF_MAX_QUEUES MEMIF_MAX_QUEUE_PAIRS   /* rings per direction */
#define MEMIF_MAX_REGION_SIZE (4ull << 30)      /* descriptor offsets are 32-bit */

/* ---- memif_ctl.c: the handshake, message by message ---- */

enum memif_ctl_state {
	MEMIF_CTL_WAIT_INIT,            /* HELLO sent */
	MEMIF_CTL_WAIT_CONFIG,          /* INIT accepted: regions, rings, CONNECT */
	MEMIF_CTL_CONNECTED,
	MEMIF_CTL_CLOSED,
};

/* What the server decides about a connection's INIT. */
struct memif_ctl_policy {
	const char *secret;             /* "" or NULL: none required */
	bool busy;                      /* another client has the interface */
};

struct memif_ctl_ring {
	int efd;
	uint16_t region;
	uint32_t offset;
	uint8_t log2;
};

/* A connection's handshake state: what the client declared so far.  File
 * descriptors in it are owned by it (memif_ctl_release closes them). */
struct memif_ctl {
	enum memif_ctl_state state;
	uint32_t id;
	char name[MEMIF_NAME_SZ + 1];   /* the client's application name */
	char if_name[MEMIF_NAME_SZ + 1];        /* from CONNECT */
	unsigned nregions;
	struct { int fd; uint64_t size; } region[MEMIF_MAX_REGIONS];
	unsigned nrings[2];             /* [MEMIF_RING_C2S], [MEMIF_RING_S2C] */
	struct memif_ctl_ring ring[2][MEMIF_MAX_QUEUES];
};

enum memif_ctl_verdict {
	MEMIF_CTL_REPLY,                /* send *reply (an ACK) */
	MEMIF_CTL_DO_CONNECT,           /* map and check, then send CONNECTED */
	MEMIF_CTL_DISCONNECT,           /* send *reply (a DISCONNECT), then close */
	MEMIF_CTL_PEER_LEFT,            /* the client said DISCONNECT: close */
};

/* A fresh handshake. */
void memif_ctl_init(struct memif_ctl *c);

/* The server's HELLO: version 2.0, the limits above, our name. */
void memif_ctl_hello(struct memif_msg *m);

/* A DISCONNECT carrying reason. */
void memif_ctl_disconnect_msg(struct memif_msg *m, const char *reason);

/* Handles one received message of len bytes (anything but 128 is refused)
 * with fd (-1: none) attached.  The fd is owned by c afterwards, whether it
 * kept it or closed it.  Fills *reply as the verdict says. */
enum memif_ctl_verdict memif_ctl_handle(struct memif_ctl *c, const struct memif_ctl_policy *pol,
					const void *msg, size_t len, int fd,
					struct memif_msg *reply);

/* Closes every fd the handshake holds. */
void memif_ctl_release(struct memif_ctl *c);

/* ---- memif_ring.c: a connected interface ---- */

struct memif_queue {
	struct memif_ring *ring;        /* in the client's memory */
	uint32_t size, mask;
	uint16_t pos;                   /* C2S: next to consume; S2C: next to fill */
	int efd;
	atomic_flag lock;               /* S2C: workers transmit concurrently */
	struct memif_qstats *st;        /* the server's, cumulative */
	/* Injected fault (SET_FAULT MEMIF_NO_RETURN), S2C only: the buffers
	 * the client posts after frozen_head are treated as not arriving. */
	_Atomic bool no_return;
	uint16_t frozen_head;
};

struct memif_if {
	struct dp_backend be;           /* first: ctx of the callbacks is the if */
	unsigned nregions;
	struct { uint8_t *base; uint64_t size; } region[MEMIF_MAX_REGIONS];
	unsigned nc2s, ns2c;
	struct memif_queue c2s[MEMIF_MAX_QUEUES], s2c[MEMIF_MAX_QUEUES];
	unsigned next_c2s;              /* round robin over C2S rings */
	int epfd;                       /* the C2S eventfds: the backend's fd */
	bool mapped;                    /* the regions are our mappings */
};

/* Maps the regions the handshake declared, checks every ring (inside its
 * region, cookie), resets them and builds the interface, whose C2S ring k
 * counts in st[k] and S2C ring k in st[MEMIF_MAX_QUEUES + k].  Returns
 * NULL with memif's reason for the client in reason. */
struct memif_if *memif_if_create(struct memif_ctl *c, struct memif_qstats *st, char *reason,
				 size_t rlen);

/* Unmaps and frees; the interface must be detached from the datapath. */
void memif_if_destroy(struct memif_if *i);

/* The backend callbacks (exposed for the ring fuzzer). */
unsigned memif_if_rx_burst(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max);
unsigned memif_if_tx_burst(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n,
			   enum dp_drop *why);

/* Builds an interface over memory the caller already mapped (the fuzzer's
 * way in: no fds).  regions/sizes as the handshake would have them. */
struct memif_if *memif_if_wrap(uint8_t *const *bases, const uint64_t *sizes, unsigned nregions,
			       const struct memif_ctl *c, struct memif_qstats *st, char *reason,
			       size_t rlen);

#endif
