/*
 * util.h - logging and directory helpers shared by the daemon and the tools.
 */
#ifndef SFNIC_UTIL_H
#define SFNIC_UTIL_H

#include <stddef.h>

/* The release every binary's --version prints. */
#define SFNIC_VERSION "0.1.0"

/* Logs one line to stderr, systemd style: "<N>sfnicd: message" when
 * stderr is the journal (JOURNAL_STREAM set), "sfnicd: message" otherwise. */
void util_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define UTIL_ERR 3
#define UTIL_WARN 4
#define UTIL_INFO 6

/* Sets the program name used by util_log. */
void util_log_init(const char *progname);

/*
 * The run directory: explicit (if non-NULL), else $SFNIC_RUN_DIR, else
 * /run/sfnic as root, else $XDG_RUNTIME_DIR/sfnic, else /tmp/sfnic-<uid>.
 * Returns buf.
 */
char *util_run_dir(const char *explicit_dir, char *buf, size_t len);

/*
 * The state directory: explicit, else $SFNIC_STATE_DIR, else /var/lib/sfnic
 * as root, else $XDG_STATE_HOME/sfnic, else ~/.local/state/sfnic.
 */
char *util_state_dir(const char *explicit_dir, char *buf, size_t len);

/* mkdir -p with mode 0700 for created components.  Returns 0 or -errno. */
int util_mkdir_p(const char *path);

/* The control socket's path inside a run directory. */
char *util_sock_path(const char *run_dir, char *buf, size_t len);

struct msghdr;
/* Attaches fds[0..n) to mh as one SCM_RIGHTS message in cbuf (at least
 * CMSG_SPACE(sizeof(int) * n) bytes, zeroed here).  For sendmsg(). */
void util_msg_attach_fds(struct msghdr *mh, void *cbuf, size_t cbuflen, const int *fds,
			 unsigned n);

#endif
