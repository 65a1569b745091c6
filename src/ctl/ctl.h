/*
 * ctl.h - the ctl channel: sfnicctl's scoped RPC socket into the device
 * (seed 002: mlx5ctl, Linux fwctl).
 *
 * The daemon listens on <run-dir>/sfnicctl.sock (protocol: ctl_proto.h),
 * apart from the control API, mode 0660 and owned by the ctl group
 * (sfnicd --ctl-group, default the daemon's group): the file's permissions
 * decide who may connect, as /dev/fwctl/fwctlN's do.  The run directory
 * must be searchable by that group for its members to reach the socket.
 *
 * Each connection is a device user context: on accept the channel issues
 * CREATE_UCTX (as the PF driver, uid 0) with capabilities derived from the
 * peer's SO_PEERCRED, as mlx5ctl derives them from Linux capabilities:
 *
 *   root                 all four scopes (configuration, debug read-only,
 *                        debug write, debug write full);
 *   the daemon's own uid all but debug write full;
 *   anyone else          (a member of the socket's group) configuration
 *                        and debug read-only.
 *
 * masked by what the device supports.  Every RPC is stamped with the
 * context's uid; the channel refuses (EPERM) what the context's scope does
 * not allow before the device sees it, and the device checks again by uid.
 * When the connection closes - the client exits, is killed, or breaks the
 * protocol - the channel unregisters the context's umems (DESTROY_UMEM,
 * then unmaps) and issues DESTROY_UCTX, which stops every tracer and
 * sampler writing into its memory.  The first RPC at a debug write scope
 * the device accepts taints it: the channel logs who ("comm(pid) uid N:
 * has requested full access to the physical device"), and `sfnic dev info`
 * shows it until the daemon restarts.
 *
 * Limits against local denial of service: CTL_CONNS_PER_UID connections
 * per user but root, CTL_CONNS_MAX in all (the device's 1024 contexts),
 * CTL_UMEMS_PER_UCTX registrations per context, the message size and
 * deadline of ctl_proto.h; out of descriptors, the listening socket rests
 * until a connection closes.  A malformed request gets an error reply or,
 * when the stream cannot be resynchronised, a close - never more.
 *
 * Threading: everything runs on the daemon's event loop thread, the one
 * that issues every other device command (the device is single-threaded by
 * contract).
 */
#ifndef SFNIC_CTL_H
#define SFNIC_CTL_H

#include <stddef.h>
#include <sys/types.h>

#define CTL_CONNS_PER_UID 32
#define CTL_CONNS_MAX 1000
#define CTL_UMEMS_PER_UCTX 16

struct dev;
struct ctl_srv;

/* Same contract as api_watch(): calls cb(arg) from the event loop
 * whenever fd is readable; returns 0 or -errno. */
typedef int (*ctl_watch_fn)(void *loop, int fd, void (*cb)(void *arg), void *arg);

/*
 * Resolves a --ctl-group NAME to its gid.  NULL or "" gives the daemon's
 * effective gid.  Returns 0, or -ENOENT with "ctl group \"NAME\" does not
 * exist" (or another errno and reason) in err.
 */
int ctl_group_resolve(const char *name, gid_t *gid, char *err, size_t errlen);

/*
 * Listens on <run_dir>/sfnicctl.sock (a stale file is replaced), mode 0660,
 * group gid, and serves it from the event loop through watch(loop, ...),
 * with its own one-second timer for deadlines.  The channel issues
 * commands to d, which must outlive it.  Returns NULL with a one-line
 * reason in err (e.g. the group cannot be given to the socket).
 */
struct ctl_srv *ctl_srv_create(struct dev *d, const char *run_dir, gid_t gid,
			       ctl_watch_fn watch, void *loop, char *err, size_t errlen);

/* Closes every connection (destroying its context and umems, as a client
 * exit does) and removes the socket.  NULL is a no-op.  Call before the
 * device is destroyed. */
void ctl_srv_destroy(struct ctl_srv *s);

/* Number of open connections (= user contexts), for logs and tests. */
unsigned ctl_srv_conns(const struct ctl_srv *s);

#endif
