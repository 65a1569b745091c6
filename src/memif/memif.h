/*
 * memif.h - memif servers: DPDK and VPP applications attach to SFs.
 *
 * While the sfnic_core.zc driver is bound to an SF, the daemon serves memif
 * (protocol 2.0, see memif_proto.h) on <run-dir>/memif/<SF netdev>.sock.
 * One client at a time (interface id 0) connects, exports its memory and
 * rings, and becomes queue DP_FN_QUEUE_MEMIF of the SF function: what it
 * puts on its C2S rings enters the eswitch as frames the SF sent, and what
 * RX steering gives the memif queue is written into the buffers it posted
 * on its S2C rings (flows spread over the rings by a hash of addresses and
 * ports).  The client owns memif's memory, so each direction costs exactly
 * one copy: the crossing between the client's trust domain and the SF's.
 *
 * Everything the client writes into shared memory is untrusted: descriptors
 * are copied out once and checked against the client's own regions before
 * any byte moves, so the daemon never reads or writes outside them; bad
 * descriptors are counted and skipped, a ring whose head jumps is left
 * alone, and a client that stops consuming fills its own rings only.  A
 * client that shrinks a region under the daemon's mapping cannot crash it:
 * regions are sealed against shrinking, or refused when they cannot be.
 *
 * Threads: the hub and servers live in the control thread (their sockets
 * are one epoll fd the daemon's loop watches); the rings are read and
 * written by datapath workers through the interface's dp_backend.
 */
#ifndef SFNIC_MEMIF_H
#define SFNIC_MEMIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MEMIF_MAX_QUEUE_PAIRS 8  /* C2S and S2C rings a client may have, each */

struct dp;
struct memif_hub;
struct memif_srv;

/* Registers fd with the caller's event loop: cb(arg) runs when it is
 * readable.  Returns 0 or -errno. */
typedef int (*memif_watch_fn)(void *loop, int fd, void (*cb)(void *arg), void *arg);

/* Creates the hub of the daemon's memif servers: <run_dir>/memif is made
 * (sticky and writable by all, as memif clients need a writable directory;
 * each socket's own mode guards it) and one epoll fd is registered with the
 * caller's loop.  Returns NULL with a reason in err. */
struct memif_hub *memif_hub_create(struct dp *dp, const char *run_dir, memif_watch_fn watch,
				   void *loop, char *err, size_t errlen);

/* Disconnects every client and removes every socket (servers must have
 * been destroyed; those left are destroyed). */
void memif_hub_destroy(struct memif_hub *h);

/* Who may connect to a server, besides root and the daemon's own user. */
struct memif_access {
	bool owner_set;
	uid_t uid;
	gid_t gid;              /* (gid_t)-1: the owner's group is not given */
	char secret[24];        /* "": none; at most 23 characters */
};

/*
 * Starts serving memif for SF vport `vport` on <run-dir>/memif/<name>.sock
 * (replacing a stale socket file).  The socket is mode 0660, owned by the
 * daemon's user, or by acc->uid:gid when the daemon runs as root.
 * Returns NULL with a one-line reason in err.
 */
struct memif_srv *memif_srv_create(struct memif_hub *h, uint32_t vport, const char *name,
				   const struct memif_access *acc, char *err, size_t errlen);

/* Disconnects the client (DISCONNECT with reason), removes the socket and
 * frees the server.  NULL is a no-op. */
void memif_srv_destroy(struct memif_srv *s, const char *reason);

/* Health (issue 12).  on: the buffers the connected client posts on its
 * S2C rings from now on are treated as not arriving (an injected "stopped
 * draining"); off: read again.  Returns whether a client is connected. */
bool memif_srv_fault_no_return(struct memif_srv *s, bool on);

/* Disconnects the connected client with reason (a health reporter drops a
 * stuck consumer).  Returns 0 or -ENOTCONN. */
int memif_srv_drop_client(struct memif_srv *s, const char *reason);

/* Changes who may connect.  A connected client that no longer may is
 * disconnected (with "Permission denied" or "Incorrect secret"). */
void memif_srv_set_access(struct memif_srv *s, const struct memif_access *acc);

/* The socket's path. */
const char *memif_srv_path(const struct memif_srv *s);

/* Counters of one queue pair, cumulative over connections. */
struct memif_qstats {
	uint64_t rx_packets, rx_bytes;  /* taken from the client's C2S ring */
	uint64_t tx_packets, tx_bytes;  /* written into the client's S2C ring */
	uint64_t invalid_desc;          /* descriptors outside the client's regions,
					 * bad lengths, chains that do not end */
	uint64_t ring_full;             /* frames for an S2C ring without posted buffers */
	uint64_t bad_ring;              /* polls of a ring whose head jumped */
	uint64_t too_long;              /* frames longer than a pool buffer */
};

/* What `sfnic port show` says of a server. */
struct memif_srv_info {
	bool connected;
	char client_name[33], client_if[33];
	pid_t pid;
	uid_t uid;
	unsigned nc2s, ns2c, log2_ring;
	unsigned nregions;
	uint64_t connects, refused;
};

/* Fills info and, for up to max queue pairs, q.  Returns the number of
 * queue pairs of the current (or last) connection. */
unsigned memif_srv_info(const struct memif_srv *s, struct memif_srv_info *info,
			struct memif_qstats *q, unsigned max);

#endif
