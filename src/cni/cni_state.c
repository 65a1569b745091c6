/*
 * cni_state.c - which SF belongs to which container, on disk.
 *
 * One small JSON file per attachment.  A file is replaced whole (tmp +
 * fsync + rename + fsync of the directory), so a crash leaves the old
 * version or the new one, never half of each.
 */
#include "cni.h"
#include "../util/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int cni_state_lock(const char *dir, struct cni_err *err)
{
	char path[512];
	int fd, ret;

	if ((ret = util_mkdir_p(dir)))
		return cni_errf(err, CNI_ERR_IO, "cannot create the state directory",
				"%s: %s", dir, strerror(-ret));
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		cni_errf(err, CNI_ERR_IO, "cannot lock the state directory", "%s: %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

void cni_state_path(const struct cni_conf *c, const struct cni_env *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s-%s-%s.json", c->data_dir, c->name, e->containerid, e->ifname);
}

static void sync_dir(const char *path)
{
	char dir[1024];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!(slash = strrchr(dir, '/')))
		return;
	*slash = 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

int cni_state_save(const char *path, const struct cni_state *st, struct cni_err *err)
{
	json_t *o = json_pack("{s:s,s:I,s:I,s:b,s:b,s:s,s:s,s:s,s:s}", "device", st->device,
			      "sfnum", (json_int_t)st->sfnum, "index", (json_int_t)st->index,
			      "pool", st->pool, "memif", st->memif, "netdev", st->netdev,
			      "mac", st->mac, "netns", st->netns, "link", st->link);
	char tmp[1100];
	char *s;
	int fd, ret = 0;

	if (st->result)
		json_object_set(o, "result", st->result);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (!s || fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) || fsync(fd) ||
	    rename(tmp, path))
		ret = cni_errf(err, CNI_ERR_IO, "cannot record the attachment", "%s: %s", path,
			       s ? strerror(errno) : "out of memory");
	if (fd >= 0)
		close(fd);
	free(s);
	if (ret)
		unlink(tmp);
	else
		sync_dir(path);
	return ret;
}

static void copy_str(char *dst, size_t len, json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(dst, len, "%s", v ? v : "");
}

int cni_state_load(const char *path, struct cni_state *st, struct cni_err *err)
{
	json_error_t jerr;
	json_t *o;

	memset(st, 0, sizeof(*st));
	if (access(path, F_OK) && errno == ENOENT)
		return -ENOENT;
	o = json_load_file(path, 0, &jerr);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return cni_errf(err, CNI_ERR_IO, "cannot read the attachment's record", "%s: %s",
				path, jerr.text);
	}
	copy_str(st->device, sizeof(st->device), o, "device");
	st->sfnum = (uint32_t)json_integer_value(json_object_get(o, "sfnum"));
	st->index = (uint32_t)json_integer_value(json_object_get(o, "index"));
	st->pool = json_is_true(json_object_get(o, "pool"));
	st->memif = json_is_true(json_object_get(o, "memif"));
	copy_str(st->netdev, sizeof(st->netdev), o, "netdev");
	copy_str(st->mac, sizeof(st->mac), o, "mac");
	copy_str(st->netns, sizeof(st->netns), o, "netns");
	copy_str(st->link, sizeof(st->link), o, "link");
	st->result = json_incref(json_object_get(o, "result"));
	json_decref(o);
	return 0;
}

void cni_state_remove(const char *path)
{
	if (unlink(path) == 0)
		sync_dir(path);
}

void cni_state_free(struct cni_state *st)
{
	json_decref(st->result);
	st->result = NULL;
}

bool cni_state_claimed(const char *data_dir, const char *device, uint32_t sfnum)
{
	DIR *d = opendir(data_dir);
	struct dirent *de;
	bool claimed = false;

	while (d && !claimed && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct cni_state st;
		struct cni_err err;
		char path[1024];

		if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", data_dir, de->d_name);
		if (cni_state_load(path, &st, &err))
			continue;
		claimed = st.sfnum == sfnum && !strcmp(st.device, device);
		cni_state_free(&st);
	}
	if (d)
		closedir(d);
	return claimed;
}
