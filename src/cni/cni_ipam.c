/*
 * cni_ipam.c - delegation to the IPAM plugin the config names.
 *
 * As the spec (section 4) and libcni's invoke package do it: find
 * ipam.type in CNI_PATH, exec it with our environment (CNI_COMMAND as
 * asked) and our whole stdin config, pass its stderr through, read its
 * result or its error JSON from stdout.
 */
#include "cni.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* The first executable dir/type among CNI_PATH's dirs. */
static int find_plugin(const char *path, const char *type, char *out, size_t len)
{
	char dirs[4096], *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s", path);
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, type);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* The delegate's stdin: a memfd, so that neither side can block the other
 * on a full pipe. */
static int stdin_fd(const char *text, size_t len)
{
	int fd = memfd_create("cni-stdin", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return -1;
	}
	return fd;
}

char *cni_read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);

	while (buf) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			char *b = cap < (16u << 20) ? realloc(buf, cap * 2 + 1) : NULL;

			if (!b) {
				free(buf);
				return NULL;
			}
			buf = b;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/* The delegate failed: keep its code and message; a non-JSON stdout
 * becomes the details of a code 999 (libcni's ErrInternal). */
static int delegate_error(const char *type, const char *cmd, int status, const char *out,
			  struct cni_err *err)
{
	json_t *o = json_loads(out, 0, NULL);
	const char *msg = json_string_value(json_object_get(o, "msg"));
	const char *details = json_string_value(json_object_get(o, "details"));

	if (msg) {
		err->code = (int)json_integer_value(json_object_get(o, "code"));
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
		snprintf(err->details, sizeof(err->details), "IPAM plugin %s (%s)%s%s", type, cmd,
			 details ? ": " : "", details ? details : "");
	} else {
		char why[64];

		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
		cni_errf(err, 999, "IPAM plugin failed", "%s (%s): %s%s%.600s", type, cmd, why,
			 *out ? ": " : "", out);
	}
	json_decref(o);
	return -1;
}

int cni_ipam_exec(const struct cni_conf *conf, const struct cni_env *env, const char *cmd,
		  const char *text, size_t len, json_t **result, struct cni_err *err)
{
	char exe[4200];
	int in, out[2], status;
	char *stdout_text;
	size_t n;
	pid_t pid;

	if (result)
		*result = NULL;
	if (!env->path)
		return cni_errf(err, CNI_ERR_ENV, "required environment variables missing",
				"CNI_PATH is not set: it is needed to find IPAM plugin \"%s\"",
				conf->ipam_type);
	if (find_plugin(env->path, conf->ipam_type, exe, sizeof(exe)))
		return cni_errf(err, CNI_ERR_CONFIG, "invalid network config",
				"failed to find IPAM plugin \"%s\" in CNI_PATH %s", conf->ipam_type,
				env->path);
	if ((in = stdin_fd(text, len)) < 0 || pipe2(out, O_CLOEXEC)) {
		if (in >= 0)
			close(in);
		return cni_errf(err, CNI_ERR_IO, "cannot run the IPAM plugin", "%s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		/* stderr stays ours: the runtime logs it. */
		if (dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || setenv("CNI_COMMAND", cmd, 1))
			_exit(127);
		execl(exe, conf->ipam_type, (char *)NULL);
		_exit(127);
	}
	close(in);
	close(out[1]);
	if (pid < 0) {
		close(out[0]);
		return cni_errf(err, CNI_ERR_IO, "cannot run the IPAM plugin", "fork: %s",
				strerror(errno));
	}
	stdout_text = cni_read_all(out[0], &n);
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!stdout_text)
		return cni_errf(err, CNI_ERR_IO, "cannot run the IPAM plugin", "%s: output too "
				"large or out of memory", exe);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		delegate_error(conf->ipam_type, cmd, status, stdout_text, err);
		free(stdout_text);
		return -1;
	}
	if (result) {
		json_error_t jerr;

		*result = json_loadb(stdout_text, n, 0, &jerr);
		if (!*result || !json_is_object(*result)) {
			json_decref(*result);
			*result = NULL;
			cni_errf(err, CNI_ERR_DECODE, "cannot decode the IPAM result", "%s: %s",
				 conf->ipam_type, jerr.text);
			free(stdout_text);
			return -1;
		}
	}
	free(stdout_text);
	return 0;
}
