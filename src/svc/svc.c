/*
 * svc.c - the systemd notify protocol and the datapath-fed watchdog (svc.h).
 */
#include "svc.h"
#include "../dp/dp.h"
#include "../util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#define SVC_MSG_MAX 4096

int svc_notify(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[SVC_MSG_MAX];
	size_t plen, mlen;
	socklen_t salen;
	ssize_t n;
	va_list ap;
	int fd, ret;

	if (!path || !*path)
		return 0;
	plen = strlen(path);
	/* "vsock:" addresses exist too; a host NIC daemon is not in a VM's guest. */
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path))
		return -EAFNOSUPPORT;
	memcpy(sa.sun_path, path, plen);
	/* An abstract name starts with a NUL and is exactly plen bytes long: a
	 * length that counted trailing NULs would name another socket. */
	if (path[0] == '@')
		sa.sun_path[0] = 0;
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/'));
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
	mlen = (size_t)n;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Never block the control loop on a manager that does not read. */
	n = sendto(fd, msg, mlen, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sa, salen);
	ret = n < 0 ? -errno : (size_t)n == mlen ? 0 : -EMSGSIZE;
	close(fd);
	return ret;
}

uint64_t svc_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!usec || !*usec)
		return 0;
	/* A child that inherited the environment is not the one being watched. */
	if (pid && *pid) {
		errno = 0;
		v = strtoull(pid, &end, 10);
		if (errno || *end || v != (unsigned long long)getpid())
			return 0;
	}
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end || usec[0] == '-' || v == 0)
		return 0;
	return v;
}

struct svc_wd {
	struct dp *dp;
	int fd;
	unsigned nw;
	uint64_t beat[DP_MAX_WORKERS];  /* each worker's heartbeat at the last look */
	int stalled;                    /* the worker that stopped the pings, or -1 */
	uint64_t usec;
};

/* Every worker looked at on every tick (each heartbeat must be remembered),
 * the first one that made no progress returned, or -1. */
static int wd_stuck_worker(struct svc_wd *wd)
{
	int stuck = -1;

	for (unsigned w = 0; w < wd->nw; w++) {
		struct dp_worker_health wh;

		if (dp_worker_health(wd->dp, w, &wh))
			continue;
		if (!dp_worker_progressed(&wh, wd->beat[w]) && stuck < 0)
			stuck = (int)w;
		wd->beat[w] = wh.heartbeat;
	}
	return stuck;
}

static void wd_tick(void *arg)
{
	struct svc_wd *wd = arg;
	uint64_t expirations;
	int stuck, ret;

	if (read(wd->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	stuck = wd_stuck_worker(wd);
	if (stuck >= 0) {
		/* No ping: if this lasts, systemd kills and restarts the daemon. */
		if (wd->stalled < 0) {
			util_log(UTIL_WARN, "watchdog: datapath worker %d made no progress in %llu ms; "
				 "not feeding systemd's watchdog", stuck,
				 (unsigned long long)(wd->usec / 2000));
			(void)svc_notify("STATUS=datapath worker %d stopped making progress; "
					 "watchdog not fed", stuck);
		}
		wd->stalled = stuck;
		return;
	}
	if (wd->stalled >= 0) {
		util_log(UTIL_INFO, "watchdog: every datapath worker makes progress again");
		ret = svc_notify("WATCHDOG=1\nSTATUS=running: every datapath worker makes progress");
	} else {
		ret = svc_notify("WATCHDOG=1");
	}
	wd->stalled = -1;
	if (ret)
		util_log(UTIL_WARN, "watchdog: cannot notify systemd: %s", strerror(-ret));
}

struct svc_wd *svc_wd_create(struct dp *dp, uint64_t usec, svc_watch_fn watch, void *loop,
			     char *err, size_t errlen)
{
	struct svc_wd *wd = calloc(1, sizeof(*wd));
	uint64_t half = usec / 2 ? usec / 2 : 1;
	struct itimerspec its = {
		.it_interval = { (time_t)(half / 1000000), (long)(half % 1000000) * 1000 },
	};

	if (!wd) {
		snprintf(err, errlen, "watchdog: out of memory");
		return NULL;
	}
	its.it_value = its.it_interval;
	wd->dp = dp;
	wd->usec = usec;
	wd->stalled = -1;
	wd->nw = dp_nqueues(dp);        /* one RX queue of the uplink per worker */
	if (wd->nw > DP_MAX_WORKERS)
		wd->nw = DP_MAX_WORKERS;
	(void)wd_stuck_worker(wd);      /* the first look sets every heartbeat */
	wd->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (wd->fd < 0 || timerfd_settime(wd->fd, 0, &its, NULL) ||
	    watch(loop, wd->fd, wd_tick, wd)) {
		snprintf(err, errlen, "watchdog: cannot set up its timer: %s", strerror(errno));
		svc_wd_destroy(wd);
		return NULL;
	}
	return wd;
}

void svc_wd_destroy(struct svc_wd *wd)
{
	if (!wd)
		return;
	if (wd->fd >= 0)
		close(wd->fd);
	free(wd);
}
