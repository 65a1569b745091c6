/*
 * ctl_internal.h - between the ctl channel's socket (ctl_srv.c) and its
 * request handling (ctl_rpc.c).
 *
 * ctl_rpc.c knows nothing of sockets: a user context is a struct ctl_uctx,
 * a request is a complete message in memory, a reply is a malloc'd
 * message.  That is the seam the fuzzer (tests/fuzz/fuzz_ctl.c) drives.
 */
#ifndef SFNIC_CTL_INTERNAL_H
#define SFNIC_CTL_INTERNAL_H

#include "ctl.h"
#include "ctl_proto.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* One registered memory: the daemon's shared mapping of the client's
 * memfd, known to the device as umem id. */
struct ctl_umem {
	uint32_t id;
	void *addr;
	size_t len;
};

/* One connection's device user context and what it owns. */
struct ctl_uctx {
	struct dev *dev;
	struct ucred cred;      /* the peer, from SO_PEERCRED */
	uint16_t uid;           /* the device's uctx uid (never 0) */
	uint32_t cap;           /* granted: CTL_CAP_SCOPE bits */
	uint32_t ucap;          /* what cred would allow */
	uint32_t dev_cap;       /* what the device supports */
	unsigned n_umems;
	struct ctl_umem umems[CTL_UMEMS_PER_UCTX];
};

/* A reply ready to send: buf (malloc'd, owned by whoever holds it) of len
 * bytes, starting with struct ctl_msg_hdr. */
struct ctl_reply {
	void *buf;
	size_t len;
};

/* The capabilities credentials allow: root all, daemon_uid all but debug
 * write full, anyone else configuration and debug read-only. */
uint32_t ctl_user_cap(uid_t peer, uid_t daemon_uid);

/*
 * Creates the device user context for a peer (CREATE_UCTX as uid 0) with
 * ctl_user_cap(cred->uid, daemon_uid) masked by the device's support.
 * Returns 0, or -errno with a reason in err (the device is out of
 * contexts: -EUSERS).  u is filled; ctl_uctx_close() undoes it.
 */
int ctl_uctx_open(struct ctl_uctx *u, struct dev *d, const struct ucred *cred,
		  uid_t daemon_uid, char *err, size_t errlen);

/* Unregisters every umem (DESTROY_UMEM, then unmap) and destroys the
 * context (DESTROY_UCTX).  After it returns no device engine writes into
 * the context's memory. */
void ctl_uctx_close(struct ctl_uctx *u);

/*
 * Handles one complete message (msg, len bytes; len is the header's size,
 * which the caller has checked is at least the header and at most
 * CTL_MSG_MAX).  fd is a descriptor that came with it, or -1; it is always
 * consumed (kept by a registration, closed otherwise).  Fills *rep with the
 * reply.  Returns 0, or -ENOMEM when not even an error reply could be
 * allocated (the caller closes the connection).
 */
int ctl_msg_handle(struct ctl_uctx *u, const void *msg, size_t len, int fd,
		   struct ctl_reply *rep);

/* Builds an error reply (err a positive errno, reason may be NULL) to a
 * request with header h into *rep.  Returns 0 or -ENOMEM. */
int ctl_reply_err(const struct ctl_msg_hdr *h, uint32_t err, const char *reason,
		  struct ctl_reply *rep);

#endif
