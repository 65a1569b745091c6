/*
 * zc.h - the zero-copy channel: applications map sfnic's packet memory.
 *
 * The daemon side of libsfnic's zero-copy queues (include/sfnic/zc.h has
 * the model and the rings).  One server listens on <run-dir>/zc.sock; each
 * connection is one queue and lives exactly as long as it, so a client
 * that exits or dies gives back everything it held when the kernel closes
 * its socket.  Who may open what is decided per request from the peer's
 * credentials (SO_PEERCRED): an exclusive queue of an SF by root, the
 * daemon's user or the SF's zc_owner; a read-only tap by root or the
 * daemon's user only, since a tapped region carries other flows' data.
 *
 * Threads: the server lives in the control thread (one epoll fd that the
 * daemon's loop watches); queues are driven by datapath workers through
 * dp_backend (exclusive) and dp_tap_ops (taps).
 */
#ifndef SFNIC_SRC_ZC_H
#define SFNIC_SRC_ZC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sfnic/zc.h"

struct dp;
struct zc_srv;

/* A port as the devlink layer resolves an application's name for it. */
struct zc_port {
	uint32_t vport;         /* DP_VPORT_UPLINK, DP_VPORT_PF or an SF's */
	bool is_sf;
	bool zc_bound;          /* an SF whose zc driver is bound, vport live */
	bool owner_set;         /* the SF's zc_owner param */
	uid_t owner_uid;
	char name[64];          /* as the daemon names it: "p0", "pf0sf88" */
};

/* Resolves `port` (an SF netdev name, a devlink port handle, "p0",
 * "pf0").  Returns 0, or -ENODEV with a one-line reason in err. */
typedef int (*zc_resolve_fn)(void *arg, const char *port, struct zc_port *out, char *err,
			     size_t errlen);

/* Registers fd with the caller's event loop (as memif_watch_fn). */
typedef int (*zc_watch_fn)(void *loop, int fd, void (*cb)(void *arg), void *arg);

/* Creates the server on <run_dir>/zc.sock (mode 0666: every request is
 * checked against its peer's credentials).  Returns NULL with a reason. */
struct zc_srv *zc_srv_create(struct dp *dp, const char *run_dir, zc_resolve_fn resolve,
			     void *resolve_arg, zc_watch_fn watch, void *loop, char *err,
			     size_t errlen);

/* Closes every queue and the socket. */
void zc_srv_destroy(struct zc_srv *s);

/* Closes every queue of vport (its function went away or lost its zc
 * driver); the applications see their socket closed. */
void zc_srv_port_gone(struct zc_srv *s, uint32_t vport);

/* Housekeeping, once a second: regions of closed exclusive queues are
 * freed once all their buffers are home. */
void zc_srv_tick(struct zc_srv *s);

/* One open queue, for `sfnic -s port show`. */
struct zc_queue_info {
	uint32_t queue;
	enum sfnic_zc_mode mode;
	pid_t pid;
	uid_t uid;
	uint32_t domain;
	struct sfnic_zc_stats st;
};

/* Health (issue 12).  Makes every exclusive queue and tap of vport ignore (on) or
 * read again the frames its application gives back; returns how many
 * queues it set. */
unsigned zc_srv_fault_no_return(struct zc_srv *s, uint32_t vport, bool on);

/* Closes queue `queue` of vport (a health reporter drops a stuck consumer):
 * the application sees its socket closed and everything it held comes
 * home.  Returns 0 or -ENOENT. */
int zc_srv_close_queue(struct zc_srv *s, uint32_t vport, uint32_t queue);

/* Fills up to max open queues of vport.  Returns how many there are. */
unsigned zc_srv_queues(struct zc_srv *s, uint32_t vport, struct zc_queue_info *out,
		       unsigned max);

#endif
