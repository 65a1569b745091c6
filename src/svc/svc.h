/*
 * svc.h - sfnicd as a systemd service: the notify protocol, and a watchdog
 * that is fed only while the datapath makes progress.
 *
 * systemd starts a Type=notify unit with $NOTIFY_SOCKET naming an AF_UNIX
 * datagram socket: "/path" for a socket file, "@name" for an abstract one.
 * A notification is one datagram of newline-separated KEY=VALUE lines:
 * READY=1 when start-up is complete, STATUS=<one line> for `systemctl
 * status`, STOPPING=1 when shutdown begins, WATCHDOG=1 as a keep-alive.
 * With WatchdogSec= systemd also exports $WATCHDOG_USEC (and $WATCHDOG_PID,
 * the process it means); a service that sends no WATCHDOG=1 for that long
 * is killed with SIGABRT, and Restart=on-failure starts it again.  The
 * protocol is one sendto(), so sfnicd speaks it itself instead of linking
 * libsystemd (one more library on every host, for thirty lines).
 *
 * The watchdog turns "the process runs" into "the device forwards": the
 * control loop pings at half the timeout, and only when every datapath
 * worker made progress since the previous look, by the same test health's
 * fw_fatal reporter applies (dp_worker_progressed: the heartbeat moved, or
 * the worker sleeps with nothing to do).  A hung worker, or a control loop
 * that stops turning, stops the pings.  fw_fatal sees a hung worker within
 * 2 s and recovers it by a reload; the watchdog is for what that recovery
 * cannot fix, and a restarted daemon takes its netdevs back from the fd
 * keeper (nd_keep.h).
 *
 * Everything here is for the control thread.  Outside systemd (no
 * $NOTIFY_SOCKET) notifications are no-ops that succeed.
 */
#ifndef SFNIC_SVC_H
#define SFNIC_SVC_H

#include <stddef.h>
#include <stdint.h>

struct dp;
struct svc_wd;

/* Sends one notification, printf-style ("READY=1\nSTATUS=%s"), to
 * $NOTIFY_SOCKET without blocking.  Returns 0 when it was sent or when
 * there is no socket to send to; -EAFNOSUPPORT for an address that is not
 * "/path" or "@name", -EMSGSIZE for a message over 4 KiB, or the errno of
 * socket()/sendto() (e.g. -ECONNREFUSED, -EAGAIN).  systemd's advice is
 * to log and carry on. */
int svc_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog timeout in microseconds that systemd expects this process
 * to honour: $WATCHDOG_USEC when it is a positive number and
 * $WATCHDOG_PID is unset or our pid; 0 otherwise (no watchdog). */
uint64_t svc_watchdog_usec(void);

typedef int (*svc_watch_fn)(void *loop, int fd, void (*cb)(void *arg), void *arg);

/* Starts feeding the watchdog: a timer every usec / 2 on the control loop
 * (watch(loop, fd, cb, arg), as api_watch) that sends WATCHDOG=1 when
 * every worker of dp made progress since the previous tick, and otherwise
 * logs which worker did not (once per stall) and says so in STATUS=.
 * Returns NULL with a reason in err.  dp must outlive the feeder. */
struct svc_wd *svc_wd_create(struct dp *dp, uint64_t usec, svc_watch_fn watch, void *loop,
			     char *err, size_t errlen);

/* Stops feeding and frees the feeder (NULL is a no-op).  The loop must no
 * longer watch its timer: destroy the loop first. */
void svc_wd_destroy(struct svc_wd *wd);

#endif
