/*
 * cni.h - sfnic-cni: a CNI 1.0.0 plugin that gives containers SFs.
 *
 * The model.  A container runtime (podman, a kubelet through Multus) execs
 * the plugin once per (container, interface) with CNI_COMMAND set and the
 * network's config on stdin.  ADD obtains an SF of `device` from sfnicd
 * through libsfnic (a new one, or a free one of the admin's `pool`), gives
 * its function a hw_addr and activates it, then either moves the SF's
 * netdev into CNI_NETNS (the daemon does it, `dev reload ... netns`, so a
 * recreated netdev goes there again), renames it CNI_IFNAME and sets MTU,
 * addresses and routes from the IPAM delegate, or (interface "memif")
 * disables the eth driver and links the SF's memif socket into
 * `memifSocketDir`.  DEL undoes it and CHECK verifies it.
 *
 * What belongs to whom is a state file per attachment under `dataDir`
 * (default /var/lib/cni/sfnic): <network>-<containerid>-<ifname>.json,
 * written before the SF is created (with the sfnum it will have) and
 * completed after, each time by write + fsync + rename.  So a plugin killed
 * half-way, a daemon restarted or killed, or a second DEL all find what to
 * undo; no SF the plugin made is ever anonymous.  One flock on
 * <dataDir>/lock serialises invocations that choose SFs.
 *
 * Errors are values: every step fills a struct cni_err with a CNI error
 * code (the spec's 1..11, or 100+ for sfnic's own) and a one-line message;
 * main prints it as the spec's error JSON on stdout and exits 1.
 */
#ifndef SFNIC_CNI_H
#define SFNIC_CNI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The spec's error codes (CNI 1.0.0, "Error"). */
#define CNI_ERR_VERSION 1       /* incompatible CNI version */
#define CNI_ERR_FIELD 2         /* unsupported field in network config */
#define CNI_ERR_UNKNOWN 3       /* container unknown or does not exist */
#define CNI_ERR_ENV 4           /* invalid necessary environment variables */
#define CNI_ERR_IO 5            /* I/O failure */
#define CNI_ERR_DECODE 6        /* failed to decode content */
#define CNI_ERR_CONFIG 7        /* invalid network config */
#define CNI_ERR_AGAIN 11        /* try again later */
/* sfnic's own (100+). */
#define CNI_ERR_DAEMON 100      /* sfnicd refused a request */
#define CNI_ERR_NETLINK 101     /* configuring the interface failed */
#define CNI_ERR_CHECK 102       /* CHECK found something missing or wrong */

struct cni_err {
	int code;
	char msg[160];          /* short, fixed-ish: what failed */
	char details[768];      /* the reason, with names and values */
};

/* Fills err (code, msg, details from fmt) and returns -1. */
int cni_errf(struct cni_err *err, int code, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- environment and config (cni_conf.c) ---- */

enum cni_cmd { CNI_ADD, CNI_DEL, CNI_CHECK, CNI_VERSION };
enum cni_iface { CNI_IF_NETDEV, CNI_IF_MEMIF };

struct cni_env {
	enum cni_cmd cmd;
	const char *containerid, *netns, *ifname, *args, *path;
};

#define CNI_POOL_MAX 64

struct cni_conf {
	json_t *root;           /* the whole stdin config (owned) */
	char version[16];       /* cniVersion, echoed in results */
	const char *name;       /* network name */
	const char *run_dir;    /* sfnicd's run directory (NULL: default) */
	const char *device;     /* devlink handle, "sfnic/sfnic0" */
	const char *data_dir;   /* state files */
	const char *memif_dir;  /* memifSocketDir */
	const char *memif_owner;        /* zc_owner for the memif socket */
	enum cni_iface iface;
	unsigned mtu;           /* 0: leave the netdev's */
	uint32_t sfnum_start;   /* new SFs: the lowest free sfnum from here */
	unsigned npool;         /* 0: create SFs; else take from these ranges */
	uint32_t pool[CNI_POOL_MAX][2];
	bool has_ipam;
	const char *ipam_type;
	json_t *prev;           /* prevResult or NULL (borrowed from root) */
	uint8_t mac[6];         /* requested hw_addr (CNI_ARGS MAC, runtimeConfig.mac) */
	bool has_mac;
};

/* Reads the CNI_* variables into env.  Returns 0, 1 when CNI_COMMAND is
 * unset (print the about text), or -1 with err (code 4). */
int cni_env_read(struct cni_env *env, struct cni_err *err);

/* Parses the stdin config text for cmd.  conf->root owns the parsed
 * object; free it with cni_conf_free.  Returns 0 or -1 with err (codes 1,
 * 2, 6, 7). */
int cni_conf_parse(struct cni_conf *conf, const char *text, size_t len,
		   const struct cni_env *env, struct cni_err *err);
void cni_conf_free(struct cni_conf *conf);

/* The CNI versions the plugin answers VERSION with (NULL-terminated). */
extern const char *const cni_versions[];

/* Whether sfnum lies in the config's pool. */
bool cni_conf_in_pool(const struct cni_conf *conf, uint32_t sfnum);

/* A locally administered unicast hw_addr derived from the network name,
 * container id and ifname: the same attachment always gets the same one. */
void cni_mac_derive(const struct cni_conf *conf, const struct cni_env *env, uint8_t mac[6]);

/* Prints the error JSON of err (cniVersion version, may be "") to f. */
void cni_err_print(const struct cni_err *err, const char *version, FILE *f);

/* ---- state files (cni_state.c) ---- */

/* One attachment: what DEL and CHECK need after any crash. */
struct cni_state {
	char device[64];
	uint32_t sfnum;
	uint32_t index;         /* devlink port index, 0 until known */
	bool pool;              /* taken from the pool: deactivate, not delete */
	bool memif;
	char netdev[16];        /* the SF netdev's name in the daemon's namespace */
	char mac[18];
	char netns[256];
	char link[512];         /* memif socket link, "" if none */
	json_t *result;         /* ADD's result, or NULL (owned) */
};

/* Takes the plugin's lock (<data_dir>/lock, created with the dir).
 * Returns the fd (close it to unlock) or -1 with err. */
int cni_state_lock(const char *data_dir, struct cni_err *err);

/* The state file's path for (network, containerid, ifname). */
void cni_state_path(const struct cni_conf *conf, const struct cni_env *env, char *buf,
		    size_t len);

/* Writes st durably (tmp file, fsync, rename, fsync of the dir).  0 or -1
 * with err. */
int cni_state_save(const char *path, const struct cni_state *st, struct cni_err *err);

/* Loads st.  Returns 0, -ENOENT when there is none, or -1 with err. */
int cni_state_load(const char *path, struct cni_state *st, struct cni_err *err);

/* Removes the file (durably).  Missing is fine. */
void cni_state_remove(const char *path);
void cni_state_free(struct cni_state *st);

/* Whether some state file under data_dir claims (device, sfnum). */
bool cni_state_claimed(const char *data_dir, const char *device, uint32_t sfnum);

/* ---- IPAM delegation (cni_ipam.c) ---- */

/* Everything fd gives until EOF, NUL-terminated (at most 32 MiB); NULL
 * when out of memory.  *len is its length. */
char *cni_read_all(int fd, size_t *len);

/* Execs the IPAM plugin conf->ipam_type, found in CNI_PATH, with this
 * process's environment (CNI_COMMAND replaced by cmd) and the original
 * stdin config.  On success *result is its parsed stdout (NULL for DEL
 * and CHECK).  Its error JSON becomes err (code and message kept).
 * Returns 0 or -1. */
int cni_ipam_exec(const struct cni_conf *conf, const struct cni_env *env, const char *cmd,
		  const char *stdin_text, size_t stdin_len, json_t **result, struct cni_err *err);

/* ---- sfnicd (cni_sf.c) ---- */

struct sfnic_client;

/* Connects to sfnicd; code 11 (try again later) when it is not there. */
struct sfnic_client *cni_sf_connect(const struct cni_conf *conf, struct cni_err *err);

/* Sends req (consumed: {"cmd": ..., ...}) to sfnicd.  Returns 0 with
 * *result (owned, may be NULL; result may be NULL to drop it), the
 * daemon's -errno with err filled (code 100 and its message), or another
 * -errno with err code 11 when the connection broke. */
int cni_sf_req(struct sfnic_client *c, json_t *req, json_t **result, struct cni_err *err);

/* What ADD learns about its SF. */
struct cni_sf {
	uint32_t index, sfnum;
	char handle[96];        /* "sfnic/sfnic0/32768" */
	char netdev[16];        /* SF netdev, in the daemon's namespace */
	char rep[16];           /* representor */
	char instance[64];      /* "auxiliary/sfnic_core.sf.N" once attached */
	char memif[512];        /* memif socket, if zc is bound */
	char state[16], opstate[16];
	char hw_addr[18];
};

/* Finds the SF port (device, sfnum).  Returns 0 with sf filled, -ENOENT, or
 * -1 with err. */
int cni_sf_find(struct sfnic_client *c, const char *device, uint32_t sfnum, struct cni_sf *sf,
		struct cni_err *err);

/* Picks an sfnum: the lowest one from conf->sfnum_start that no port of
 * the device has, or with a pool, the lowest existing pool SF that no
 * state file claims.  Call with the state lock held.  Returns 0 or -1 with
 * err (11 when the pool is exhausted). */
int cni_sf_choose(struct sfnic_client *c, const struct cni_conf *conf, uint32_t *sfnum,
		  struct cni_err *err);

/* Adds SF sfnum (unless pooled), sets hw_addr mac and activates it, waits
 * until it is attached with the drivers the mode wants (eth, or zc only
 * with its memif socket), and fills sf.  Returns 0 or -1 with err. */
int cni_sf_bring_up(struct sfnic_client *c, const struct cni_conf *conf, uint32_t sfnum,
		    bool pooled, const char *mac, struct cni_sf *sf, struct cni_err *err);

/* Releases an SF: a pool SF is deactivated, any other deleted.  An SF
 * that is gone already is fine.  Returns 0 or -1 with err. */
int cni_sf_release(struct sfnic_client *c, const struct cni_state *st, struct cni_err *err);

/* ---- the container's network namespace (cni_nl.c) ---- */

/* Runs the rest of the plugin's netlink calls in namespace path (0 or -1
 * with err); cni_nl_leave returns to the original one. */
int cni_nl_enter(const char *path, struct cni_err *err);
void cni_nl_leave(void);

/* In the current namespace: waits (up to timeout_ms) for netdev from,
 * then renames it to, sets MTU (mtu 0: unchanged) and brings it up.
 * Fails with code 7 if to exists already.  Returns 0 or -1 with err. */
int cni_nl_setup_link(const char *from, const char *to, unsigned mtu, unsigned timeout_ms,
		      struct cni_err *err);

/* Adds the addresses of result's ips[] that belong to interface index
 * ifidx, and its routes[], to ifname (a route's gw defaults to the gateway
 * of the same family).  0 or -1 with err. */
int cni_nl_apply(const char *ifname, json_t *result, int ifidx, struct cni_err *err);

/* CHECK: ifname exists, is up, has hw_addr mac and (mtu non-zero) that
 * MTU, and every address and route of prev that belongs to interface
 * index ifidx.  0 or -1 with err (code 102). */
int cni_nl_check(const char *ifname, const char *mac, unsigned mtu, json_t *prev, int ifidx,
		 struct cni_err *err);

/* Moves netdev name from the current namespace into nspath itself (when
 * the daemon cannot record the path).  0 or -1 with err. */
int cni_nl_move(const char *name, const char *nspath, struct cni_err *err);

/* Renames ifname back to name (for a pool SF leaving); best effort. */
int cni_nl_rename(const char *ifname, const char *name);

/* The hw_addr of netdev name in the current namespace ("" if none). */
void cni_nl_mac(const char *name, char out[18]);

#endif
