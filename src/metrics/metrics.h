/*
 * metrics.h - sfnicd's Prometheus endpoint: `sfnicd --metrics [ADDR:]PORT`
 * serves GET /metrics in the text exposition format, version 0.0.4.
 *
 * The model.  A scrape is answered from a snapshot: when a request for
 * /metrics has arrived, the control thread gathers every figure at once
 * (metrics_collect, from the same devlink-layer results `sfnic -s port
 * show`, `filter show -s`, `health show` and `rate show` print, which read
 * the datapath's per-worker counters without locks) into one text buffer,
 * and the connection then writes that buffer out whenever the socket takes
 * more.  Nothing ever waits: sockets are non-blocking, all of them sit on
 * one epoll fd that the daemon's loop watches, a slow or silent client is
 * closed after METRICS_TIMEOUT_S, and at most METRICS_MAX_CONNS connect at
 * once.  Workers are never touched: their counters are read as the CLI
 * reads them.  Values are fresh per scrape (no exporter-side timers), as
 * Prometheus asks of exporters; what the scrape itself cost is
 * sfnic_scrape_duration_seconds.
 *
 * The writer (metrics_text.c) groups samples by family whatever order
 * they are added in: each family is its HELP and TYPE lines, then its
 * samples.  Label values are escaped (\\, \", \n), HELP text too (\\, \n).
 * Counters are named *_total, sizes are bytes, rates bytes per second.
 *
 * Threads: everything here runs on the daemon's control thread.
 */
#ifndef SFNIC_METRICS_H
#define SFNIC_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define METRICS_MAX_CONNS 32    /* connections at once; more are closed */
#define METRICS_TIMEOUT_S 10    /* a connection lives at most this long */
#define METRICS_MAX_HEAD 8192   /* request line and headers */

/* ---- the exposition writer (metrics_text.c) ---- */

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE };

struct metrics_label {
	const char *name;       /* [a-zA-Z_][a-zA-Z0-9_]* */
	const char *value;      /* any UTF-8; escaped on output */
};

struct metrics_set;
struct metrics_fam;

/* An empty set of families.  NULL when out of memory. */
struct metrics_set *metrics_set_new(void);

/* Frees the set and its families. */
void metrics_set_free(struct metrics_set *s);

/* The family called name (created with type and help the first time;
 * later calls return the same one).  Families come out in the order they
 * were first asked for.  NULL when out of memory. */
struct metrics_fam *metrics_fam(struct metrics_set *s, const char *name, enum metrics_type type,
				const char *help);

/* Adds the sample name{labels} value to f (an integer, printed exactly).
 * Labels with an empty value are left out (Prometheus treats them as
 * absent).  Out of memory marks the set failed (metrics_text). */
void metrics_add_u64(struct metrics_fam *f, const struct metrics_label *labels, unsigned n,
		     uint64_t value);

/* The same for a float (the shortest of 15 or 17 significant digits that
 * reads back exactly). */
void metrics_add_f64(struct metrics_fam *f, const struct metrics_label *labels, unsigned n,
		     double value);

/* The exposition: every family that has samples, HELP and TYPE first,
 * then its samples, each line ending in \n.  Returns a string the caller
 * frees, *len its length, or NULL when out of memory (at any point). */
char *metrics_text(struct metrics_set *s, size_t *len);

/* Appends value to buf (at most cap bytes, NUL-terminated, cut short if it
 * does not fit) escaped as a label value: \ as \\, " as \", newline as \n.
 * Returns the length it needed (as snprintf). */
size_t metrics_escape_label(char *buf, size_t cap, const char *value);

/* ---- what a scrape reports (metrics_collect.c) ---- */

/* The devlink layer's results a scrape reads, each in its devlink JSON
 * shape; any may be NULL (that part is left out):
 *   ports:  `port show` with stats: {"port": {HANDLE: {...,"stats",
 *           "rep_stats"}}}
 *   rules:  every flower rule, each with "dev" (dl_filter_list)
 *   health: `health show`: {"health": {HANDLE: [REPORTER...]}}
 *   rates:  `rate show` with stats: {"rate": {HANDLE: {...,"stats"}}} */
struct metrics_input {
	const json_t *ports, *rules, *health, *rates;
	const char *dev;        /* the devlink handle, "sfnic/sfnic0" */
};

/* Adds every sfnic_* family the input holds to s (out of memory shows in
 * metrics_text). */
void metrics_collect(struct metrics_set *s, const struct metrics_input *in);

/* ---- the HTTP endpoint (metrics_http.c) ---- */

struct dl;
struct metrics_srv;

/* Registers fd with the caller's event loop: cb(arg) runs when it is
 * readable.  Returns 0 or -errno (as memif_watch_fn). */
typedef int (*metrics_watch_fn)(void *loop, int fd, void (*cb)(void *arg), void *arg);

/*
 * Parses --metrics's argument: PORT, ADDR:PORT or [IPV6]:PORT, PORT 1-65535
 * and ADDR numeric (IPv4 or IPv6) or "localhost".  Without ADDR the
 * endpoint listens on every address (IPv6 and IPv4).  Returns 0 with the
 * address in *ss and *len, or -EINVAL with a one-line reason in err.
 */
int metrics_addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		       char *err, size_t errlen);

/* What a request head asks for: the status to answer (200 for GET or HEAD
 * of /metrics, possibly with a query string; 404 another path; 405 another
 * method; 400 a malformed request line), and *head whether the body is
 * left out.  head_len bytes of head, ending at the blank line. */
int metrics_http_route(const char *head, size_t head_len, bool *head_only);

/*
 * Listens on spec (as metrics_addr_parse takes it) and serves /metrics with
 * figures from dl, on one epoll fd registered with the caller's loop.
 * Returns NULL with a one-line reason in err (the address is in use, ...).
 */
struct metrics_srv *metrics_srv_create(const char *spec, struct dl *dl, metrics_watch_fn watch,
				       void *loop, char *err, size_t errlen);

/* Closes the listener and every connection.  The loop that watched its
 * epoll fd must not run any more.  NULL is a no-op. */
void metrics_srv_destroy(struct metrics_srv *m);

/* The whole exposition for dl now (what GET /metrics answers).  Returns a
 * string the caller frees, or NULL when out of memory. */
char *metrics_scrape(struct dl *dl, size_t *len);

#endif
