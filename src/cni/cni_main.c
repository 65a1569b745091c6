/*
 * cni_main.c - sfnic-cni: the commands ADD, DEL, CHECK and VERSION.
 *
 * Order in ADD: record the intent (device, sfnum) durably, then create the
 * SF, then ask IPAM, then configure the container, then record the result.
 * A failure undoes what was done, in reverse; a crash in between leaves a
 * record that the runtime's DEL (which always follows a failed ADD) finds.
 */
#include "cni.h"
#include "sfnic/sfnic.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SFNIC_CNI_VERSION "0.1.0"
#define CNI_ERR_EXISTS 103      /* ADD for an attachment that exists */

/* Where the container's view of an SF's memif socket lives. */
static void memif_link_path(const struct cni_conf *c, const struct cni_env *e, char *buf,
			    size_t len)
{
	snprintf(buf, len, "%s/%s-%s.sock", c->memif_dir, e->containerid, e->ifname);
}

/* Links the daemon's socket file at link: a hard link on the same file
 * system, else a bind mount over an empty file.  Either reaches the same
 * listening socket. */
static int memif_link(const char *sock, const char *at, struct cni_err *err)
{
	char dir[512];
	int fd;

	snprintf(dir, sizeof(dir), "%s", at);
	*strrchr(dir, '/') = 0;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return cni_errf(err, CNI_ERR_IO, "cannot create memifSocketDir", "%s: %s", dir,
				strerror(errno));
	unlink(at);
	if (link(sock, at) == 0)
		return 0;
	if (errno != EXDEV)
		return cni_errf(err, CNI_ERR_IO, "cannot link the memif socket", "%s to %s: %s",
				sock, at, strerror(errno));
	if ((fd = open(at, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    (close(fd), mount(sock, at, NULL, MS_BIND, NULL))) {
		int e = errno;

		unlink(at);
		return cni_errf(err, CNI_ERR_IO, "cannot bind-mount the memif socket",
				"%s on %s: %s", sock, at, strerror(e));
	}
	return 0;
}

static void memif_unlink(const char *link)
{
	if (!*link)
		return;
	(void)umount2(link, MNT_DETACH);        /* EINVAL when it is a hard link */
	unlink(link);
}

static json_t *result_new(const struct cni_conf *c)
{
	json_t *r = c->prev ? json_deep_copy(c->prev) : json_object();

	json_object_set_new(r, "cniVersion", json_string(c->version));
	if (!json_is_array(json_object_get(r, "interfaces")))
		json_object_set_new(r, "interfaces", json_array());
	if (!json_is_array(json_object_get(r, "ips")))
		json_object_set_new(r, "ips", json_array());
	if (!json_is_array(json_object_get(r, "routes")))
		json_object_set_new(r, "routes", json_array());
	return r;
}

/* Adds the representor (host side) and the container's interface; returns
 * the container interface's index. */
static int result_add_ifaces(json_t *r, const struct cni_env *e, const struct cni_sf *sf,
			     const char *mac, const char *sock)
{
	json_t *ifs = json_object_get(r, "interfaces"), *rep, *own;
	char rmac[18];

	if (sf->rep[0]) {
		rep = json_pack("{s:s}", "name", sf->rep);
		cni_nl_mac(sf->rep, rmac);
		if (rmac[0])
			json_object_set_new(rep, "mac", json_string(rmac));
		json_array_append_new(ifs, rep);
	}
	own = json_pack("{s:s,s:s,s:s}", "name", e->ifname, "mac", mac, "sandbox", e->netns);
	if (sock)
		json_object_set_new(own, "socketPath", json_string(sock));
	json_array_append_new(ifs, own);
	return (int)json_array_size(ifs) - 1;
}

/* Merges the IPAM result: its ips (pointed at our interface), routes, dns. */
static void result_add_ipam(json_t *r, const struct cni_conf *c, json_t *ipam, int ifidx)
{
	json_t *ips = json_object_get(r, "ips"), *routes = json_object_get(r, "routes"), *v;
	bool old = strcmp(c->version, "1.0.0") != 0;
	size_t i;

	json_array_foreach(json_object_get(ipam, "ips"), i, v) {
		json_t *ip = json_deep_copy(v);
		const char *a = json_string_value(json_object_get(ip, "address"));

		json_object_set_new(ip, "interface", json_integer(ifidx));
		/* 0.3.x and 0.4.0 results carry the family; 1.0.0 dropped it. */
		if (old)
			json_object_set_new(ip, "version", json_string(a && strchr(a, ':') ? "6" : "4"));
		else
			json_object_del(ip, "version");
		json_array_append_new(ips, ip);
	}
	json_array_foreach(json_object_get(ipam, "routes"), i, v)
		json_array_append(routes, v);
	if (json_is_object(v = json_object_get(ipam, "dns")) && json_object_size(v))
		json_object_set(r, "dns", v);
}

static void result_finish(json_t *r, const struct cni_conf *c)
{
	json_t *dns = json_object_get(c->root, "dns");

	if (!json_object_get(r, "dns"))
		json_object_set_new(r, "dns", json_is_object(dns) ? json_deep_copy(dns)
								  : json_object());
}

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_INDENT(4));
	fputc('\n', stdout);
	fflush(stdout);
}

struct add {
	const struct cni_conf *c;
	const struct cni_env *e;
	const char *text;
	size_t len;
	struct sfnic_client *cl;
	struct cni_state st;
	char path[1024];
	bool sf_made, ipam_done;
	json_t *ipam, *result;
};

static void pool_return(struct sfnic_client *cl, const struct cni_state *st,
			const struct cni_env *e);

/* Undoes a failed ADD as far as it went.  The record stays when the SF
 * could not be released (sfnicd went away): the runtime's DEL finishes. */
static void add_undo(struct add *a)
{
	struct cni_err ignore;

	memif_unlink(a->st.link);
	if (a->ipam_done)
		(void)cni_ipam_exec(a->c, a->e, "DEL", a->text, a->len, NULL, &ignore);
	if (a->sf_made) {
		if (a->st.pool)
			pool_return(a->cl, &a->st, a->e);
		if (cni_sf_release(a->cl, &a->st, &ignore))
			return;
	}
	cni_state_remove(a->path);
}

/* sfnicd records up to 63 characters of a namespace path (dl_port.netns). */
#define CNI_DAEMON_NETNS_MAX 63

static int add_netdev(struct add *a, struct cni_sf *sf, int ifidx, struct cni_err *err)
{
	int ret;

	/* The daemon moves the netdev and remembers where, so a netdev it
	 * recreates goes there again; a path too long to record we move
	 * ourselves (then only a crash, not a graceful restart, keeps it). */
	if (strlen(a->e->netns) > CNI_DAEMON_NETNS_MAX) {
		if (cni_nl_move(sf->netdev, a->e->netns, err))
			return -1;
	} else if (cni_sf_req(a->cl, json_pack("{s:s,s:s,s:s}", "cmd", "dev.reload", "handle",
					       sf->instance, "netns", a->e->netns), NULL, err)) {
		return -1;
	}
	if (cni_nl_enter(a->e->netns, err))
		return -1;
	ret = cni_nl_setup_link(sf->netdev, a->e->ifname, a->c->mtu, 5000, err);
	if (!ret && a->ipam)
		ret = cni_nl_apply(a->e->ifname, a->result, ifidx, err);
	cni_nl_leave();
	return ret;
}

static int cmd_add(const struct cni_conf *c, const struct cni_env *e, const char *text,
		   size_t len, struct cni_err *err)
{
	struct add a = { .c = c, .e = e, .text = text, .len = len };
	bool memif = c->iface == CNI_IF_MEMIF;
	char sock_link[512] = "";
	struct cni_sf sf;
	uint8_t m[6];
	int lock, ifidx, ret = -1;

	if ((lock = cni_state_lock(c->data_dir, err)) < 0)
		return -1;
	cni_state_path(c, e, a.path, sizeof(a.path));
	if (access(a.path, F_OK) == 0) {
		close(lock);
		return cni_errf(err, CNI_ERR_EXISTS, "the attachment exists already",
				"container %s has %s on network %s; DEL it first", e->containerid,
				e->ifname, c->name);
	}
	if (!(a.cl = cni_sf_connect(c, err)))
		goto out;
	if (c->has_mac)
		memcpy(m, c->mac, 6);
	else
		cni_mac_derive(c, e, m);
	snprintf(a.st.mac, sizeof(a.st.mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
	snprintf(a.st.device, sizeof(a.st.device), "%s", c->device);
	snprintf(a.st.netns, sizeof(a.st.netns), "%s", e->netns);
	a.st.pool = c->npool > 0;
	a.st.memif = memif;
	if (cni_sf_choose(a.cl, c, &a.st.sfnum, err))
		goto out;
	/* The intent first: whatever happens next, DEL knows this sfnum. */
	if (cni_state_save(a.path, &a.st, err))
		goto out;
	a.sf_made = true;
	if (cni_sf_bring_up(a.cl, c, a.st.sfnum, a.st.pool, a.st.mac, &sf, err))
		goto out;
	a.st.index = sf.index;
	snprintf(a.st.netdev, sizeof(a.st.netdev), "%s", sf.netdev);
	if (memif)
		memif_link_path(c, e, sock_link, sizeof(sock_link));
	snprintf(a.st.link, sizeof(a.st.link), "%s", sock_link);
	if (cni_state_save(a.path, &a.st, err))
		goto out;
	if (c->has_ipam) {
		if (cni_ipam_exec(c, e, "ADD", text, len, &a.ipam, err))
			goto out;
		a.ipam_done = true;
	}
	a.result = result_new(c);
	ifidx = result_add_ifaces(a.result, e, &sf, a.st.mac, memif ? sock_link : NULL);
	if (a.ipam)
		result_add_ipam(a.result, c, a.ipam, ifidx);
	result_finish(a.result, c);
	if (memif ? memif_link(sf.memif, sock_link, err) : add_netdev(&a, &sf, ifidx, err))
		goto out;
	a.st.result = a.result;
	if (cni_state_save(a.path, &a.st, err))
		goto out;
	print_json(a.result);
	ret = 0;
out:
	if (ret)
		add_undo(&a);
	json_decref(a.ipam);
	json_decref(a.result);
	sfnic_close(a.cl);
	close(lock);
	return ret;
}

/* A pool SF goes back to the daemon's namespace under its own name, so
 * that its next container does not see it pass through this one's. */
static void pool_return(struct sfnic_client *cl, const struct cni_state *st,
			const struct cni_env *e)
{
	struct cni_err ignore;
	struct cni_sf sf;

	if (st->memif || cni_sf_find(cl, st->device, st->sfnum, &sf, &ignore) || !sf.instance[0])
		return;
	if (e->netns && cni_nl_enter(e->netns, &ignore) == 0) {
		(void)cni_nl_rename(e->ifname, st->netdev);
		cni_nl_leave();
	}
	(void)cni_sf_req(cl, json_pack("{s:s,s:s,s:s}", "cmd", "dev.reload", "handle", sf.instance,
				       "netns", "/proc/self/ns/net"), NULL, &ignore);
}

static int cmd_del(const struct cni_conf *c, const struct cni_env *e, const char *text,
		   size_t len, struct cni_err *err)
{
	struct sfnic_client *cl = NULL;
	struct cni_state st;
	char path[1024];
	int lock, r, ret = -1;

	if ((lock = cni_state_lock(c->data_dir, err)) < 0)
		return -1;
	cni_state_path(c, e, path, sizeof(path));
	r = cni_state_load(path, &st, err);
	if (r == -1)
		goto out;
	if (r == 0) {
		/* Keep the record until the SF is gone: a DEL that fails here
		 * (daemon down) is retried by the runtime and finds it again. */
		if (!(cl = cni_sf_connect(c, err)))
			goto out;
		memif_unlink(st.link);
		if (st.pool)
			pool_return(cl, &st, e);
		if (cni_sf_release(cl, &st, err))
			goto out;
	}
	/* IPAM releases whatever it holds for this container, even with
	 * nothing recorded here (an ADD that failed early). */
	if (c->has_ipam && cni_ipam_exec(c, e, "DEL", text, len, NULL, err))
		goto out;
	if (r == 0)
		cni_state_remove(path);
	ret = 0;
out:
	if (r == 0)
		cni_state_free(&st);
	sfnic_close(cl);
	close(lock);
	return ret;
}

/* The index of our interface in prevResult, or -1. */
static int prev_ifidx(json_t *prev, const struct cni_env *e)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(prev, "interfaces"), i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));
		const char *s = json_string_value(json_object_get(v, "sandbox"));

		if (n && s && !strcmp(n, e->ifname) && !strcmp(s, e->netns))
			return (int)i;
	}
	return -1;
}

static int check_memif(const struct cni_state *st, const struct cni_sf *sf, struct cni_err *err)
{
	struct stat a, b;

	if (!sf->memif[0] || sf->netdev[0])
		return cni_errf(err, CNI_ERR_CHECK, "the SF is not as ADD left it",
				"sfnum %u: memif %s, eth %s", st->sfnum, sf->memif[0] ? "on" : "off",
				sf->netdev[0] ? "on" : "off");
	if (stat(st->link, &a) || stat(sf->memif, &b) || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)
		return cni_errf(err, CNI_ERR_CHECK, "the memif socket link is stale",
				"%s no longer reaches %s (was sfnicd restarted? DEL and ADD again)",
				st->link, sf->memif);
	return 0;
}

static int cmd_check(const struct cni_conf *c, const struct cni_env *e, const char *text,
		     size_t len, struct cni_err *err)
{
	struct sfnic_client *cl = NULL;
	struct cni_state st;
	struct cni_sf sf;
	char path[1024];
	int ifidx, r, ret = -1;

	if (!c->prev)
		return cni_errf(err, CNI_ERR_CONFIG, "invalid network config",
				"CHECK needs the ADD result as \"prevResult\"");
	if ((ifidx = prev_ifidx(c->prev, e)) < 0)
		return cni_errf(err, CNI_ERR_CHECK, "prevResult does not list the interface",
				"no interface %s in sandbox %s", e->ifname, e->netns);
	cni_state_path(c, e, path, sizeof(path));
	if ((r = cni_state_load(path, &st, err)) == -ENOENT)
		return cni_errf(err, CNI_ERR_CHECK, "no SF recorded for the container",
				"%s has no record of container %s interface %s", c->data_dir,
				e->containerid, e->ifname);
	if (r)
		return -1;
	if (!(cl = cni_sf_connect(c, err)))
		goto out;
	if ((r = cni_sf_find(cl, st.device, st.sfnum, &sf, err)) == -ENOENT) {
		cni_errf(err, CNI_ERR_CHECK, "the SF is gone", "%s sfnum %u no longer exists",
			 st.device, st.sfnum);
		goto out;
	}
	if (r)
		goto out;
	if (strcmp(sf.state, "active") || strcmp(sf.opstate, "attached") ||
	    strcasecmp(sf.hw_addr, st.mac)) {
		cni_errf(err, CNI_ERR_CHECK, "the SF is not as ADD left it",
			 "%s: state %s opstate %s hw_addr %s (expected active attached %s)",
			 sf.handle, sf.state, sf.opstate, sf.hw_addr, st.mac);
		goto out;
	}
	if (c->has_ipam && cni_ipam_exec(c, e, "CHECK", text, len, NULL, err))
		goto out;
	if (st.memif) {
		ret = check_memif(&st, &sf, err);
		goto out;
	}
	if (cni_nl_enter(e->netns, err))
		goto out;
	ret = cni_nl_check(e->ifname, st.mac, c->mtu, c->prev, ifidx, err);
	cni_nl_leave();
out:
	cni_state_free(&st);
	sfnic_close(cl);
	return ret;
}

static void cmd_version(const struct cni_conf *c)
{
	json_t *v = json_array();

	for (const char *const *s = cni_versions; *s; s++)
		json_array_append_new(v, json_string(*s));
	json_t *r = json_pack("{s:s,s:o}", "cniVersion", c->version[0] ? c->version : "1.0.0",
			      "supportedVersions", v);

	print_json(r);
	json_decref(r);
}

int main(void)
{
	struct cni_err err = { 0 };
	struct cni_conf conf = { 0 };
	struct cni_env env;
	char *text = NULL;
	size_t len = 0;
	int r, ret = -1;

	signal(SIGPIPE, SIG_IGN);
	r = cni_env_read(&env, &err);
	if (r == 1) {
		fprintf(stderr, "sfnic-cni %s: CNI plugin giving containers sfnic SFs\n"
			"CNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0\n",
			SFNIC_CNI_VERSION);
		return 0;
	}
	if (r)
		goto fail;
	if (!(text = cni_read_all(0, &len))) {
		cni_errf(&err, CNI_ERR_IO, "cannot read the network config", "stdin: %s",
			 strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	if (env.cmd == CNI_VERSION) {
		/* VERSION answers whatever was asked: the list says what we speak. */
		(void)cni_conf_parse(&conf, text, len, &env, &err);
		cmd_version(&conf);
		cni_conf_free(&conf);
		free(text);
		return 0;
	}
	if (cni_conf_parse(&conf, text, len, &env, &err))
		goto fail;
	switch (env.cmd) {
	case CNI_ADD: ret = cmd_add(&conf, &env, text, len, &err); break;
	case CNI_DEL: ret = cmd_del(&conf, &env, text, len, &err); break;
	case CNI_CHECK: ret = cmd_check(&conf, &env, text, len, &err); break;
	default: break;
	}
	if (ret == 0) {
		cni_conf_free(&conf);
		free(text);
		return 0;
	}
fail:
	cni_err_print(&err, conf.version, stdout);
	fprintf(stderr, "sfnic-cni: %s: %s\n", err.msg, err.details);
	cni_conf_free(&conf);
	free(text);
	return 1;
}
