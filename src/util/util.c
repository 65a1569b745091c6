/*
 * util.c - logging and the run/state directory rules of the brief.
 */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog = "sfnic";

void util_log_init(const char *progname) { prog = progname; }

void util_log(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "%s: %s\n", prog, line);
}

static char *pick(const char *explicit_dir, const char *env, const char *root_dir,
		  const char *xdg, const char *home_sub, char *buf, size_t len)
{
	const char *v;

	if (explicit_dir)
		snprintf(buf, len, "%s", explicit_dir);
	else if ((v = getenv(env)) && *v)
		snprintf(buf, len, "%s", v);
	else if (geteuid() == 0)
		snprintf(buf, len, "%s", root_dir);
	else if ((v = getenv(xdg)) && *v)
		snprintf(buf, len, "%s/sfnic", v);
	else if (home_sub && (v = getenv("HOME")) && *v)
		snprintf(buf, len, "%s/%s", v, home_sub);
	else
		snprintf(buf, len, "/tmp/sfnic-%u", (unsigned)geteuid());
	return buf;
}

char *util_run_dir(const char *explicit_dir, char *buf, size_t len)
{
	return pick(explicit_dir, "SFNIC_RUN_DIR", "/run/sfnic", "XDG_RUNTIME_DIR", NULL,
		    buf, len);
}

char *util_state_dir(const char *explicit_dir, char *buf, size_t len)
{
	return pick(explicit_dir, "SFNIC_STATE_DIR", "/var/lib/sfnic", "XDG_STATE_HOME",
		    ".local/state/sfnic", buf, len);
}

int util_mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

char *util_sock_path(const char *run_dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/sfnicd.sock", run_dir);
	return buf;
}

void util_msg_attach_fds(struct msghdr *mh, void *cbuf, size_t cbuflen, const int *fds,
			 unsigned n)
{
	struct cmsghdr *cm;

	memset(cbuf, 0, cbuflen);
	mh->msg_control = cbuf;
	mh->msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
}
