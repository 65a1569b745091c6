/*
 * api.h - sfnicd's control API: newline-delimited JSON over a Unix socket.
 *
 * A request is one JSON object on one line, {"cmd": "port.show", ...}; the
 * reply is one line, {"ok": true, "result": {...}} or {"ok": false,
 * "errno": N, "msg": "..."}.  After {"cmd": "monitor"} the connection also
 * receives {"event": {"obj": "port", "cmd": "new", "msg": {...}}} lines for
 * every change, as devlink's monitor does.  Requests longer than
 * API_MAX_REQUEST bytes are answered with an error and skipped.
 */
#ifndef SFNIC_API_H
#define SFNIC_API_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define API_MAX_REQUEST (64 * 1024)

struct dl;
struct api;

/*
 * Executes one request against the devlink layer and returns the reply
 * object (never NULL).  *monitor is set when the request subscribes the
 * connection to notifications.  Exposed so that tests and fuzzers can drive
 * the whole request path without a socket.
 */
json_t *api_dispatch(struct dl *dl, const char *line, size_t len, bool *monitor);

/* What a request asks of the connection beyond its reply. */
struct api_sub {
	bool monitor;           /* devlink-style notifications */
	bool capture;           /* frames of one datapath port */
	uint32_t vport;
	bool rep;
	uint64_t count;         /* 0: until the client goes away */
};

/* api_dispatch, also reporting a capture request: after {"cmd":
 * "capture", "handle": H, "count": N} the connection receives
 * {"frame": {"ts": NS, "dir": "in"|"out", "len": N, "data": HEX}} lines and,
 * after N frames, {"capture_end": {"packets": N, "dropped": N}}. */
json_t *api_dispatch_sub(struct dl *dl, const char *line, size_t len, struct api_sub *sub);

/* Calls cb(arg) from the event loop whenever fd is readable (timers,
 * rings).  Returns 0 or -errno. */
int api_watch(struct api *a, int fd, void (*cb)(void *arg), void *arg);

/* Listens on sock_path (replacing a stale socket; refusing if a daemon
 * answers there).  Returns NULL with a reason in err. */
struct api *api_create(const char *sock_path, struct dl *dl, char *err, size_t errlen);

/* Serves clients until *stop becomes non-zero or a SIGTERM/SIGINT arrives.
 * Returns 0, or -1 on a fatal epoll error. */
int api_run(struct api *a);

/* Closes every connection and removes the socket. */
void api_destroy(struct api *a);

#endif
