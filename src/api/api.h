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

/* Listens on sock_path (replacing a stale socket; refusing if a daemon
 * answers there).  Returns NULL with a reason in err. */
struct api *api_create(const char *sock_path, struct dl *dl, char *err, size_t errlen);

/* Serves clients until *stop becomes non-zero or a SIGTERM/SIGINT arrives.
 * Returns 0, or -1 on a fatal epoll error. */
int api_run(struct api *a);

/* Closes every connection and removes the socket. */
void api_destroy(struct api *a);

#endif
