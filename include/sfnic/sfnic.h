/*
 * sfnic.h - libsfnic: the client side of sfnicd's control API.
 *
 * Requests and replies are jansson objects; the wire format is one JSON
 * object per line over the Unix socket <run-dir>/sfnicd.sock (see
 * docs/architecture.md for the commands).  A client is not thread-safe; use
 * one per thread.
 */
#ifndef SFNIC_SFNIC_H
#define SFNIC_SFNIC_H

#include <jansson.h>
#include <stddef.h>

struct sfnic_client;

/*
 * Connects to the daemon serving run_dir (NULL: the default run directory,
 * $SFNIC_RUN_DIR or the per-user one).  Returns NULL with a one-line reason
 * in err.
 */
struct sfnic_client *sfnic_connect(const char *run_dir, char *err, size_t errlen);

/*
 * Sends req and waits for its reply.  Returns 0 with *reply set (the caller
 * owns it; check its "ok" member), or -errno if the connection failed.
 * Notifications that arrive first (after a monitor request) are skipped.
 */
int sfnic_request(struct sfnic_client *c, json_t *req, json_t **reply);

/* Receives the next message (reply or {"event": ...}).  Returns 0 with *msg
 * set, -EPIPE when the daemon closed the connection, or another -errno. */
int sfnic_recv(struct sfnic_client *c, json_t **msg);

/* Closes the connection. */
void sfnic_close(struct sfnic_client *c);

#endif
