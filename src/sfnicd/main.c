/*
 * sfnicd - the sfnic daemon: device, devlink layer, auxiliary bus, control API.
 */
#include "../api/api.h"
#include "../aux/aux.h"
#include "../ctl/ctl.h"
#include "../dev/dev.h"
#include "../dl/dl.h"
#include "../memif/memif.h"
#include "../metrics/metrics.h"
#include "../zc/zc.h"
#include "../store/store.h"
#include "../svc/svc.h"
#include "../ul/ul.h"
#include "../nd/nd.h"
#include "../nd/nd_keep.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/timerfd.h>
#include "../dp/dp.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct tick_ctx {
	int fd;
	struct dp *dp;
	struct zc_srv *zc;
	struct dl *dl;
};

static void tick(void *arg)
{
	struct tick_ctx *t = arg;
	uint64_t n;

	if (read(t->fd, &n, sizeof(n)) == sizeof(n)) {
		dp_tick(t->dp);
		zc_srv_tick(t->zc);
		dl_health_tick(t->dl); /* health reporters' detection */
	}
}

static int watch(void *loop, int fd, void (*cb)(void *arg), void *arg)
{
	return api_watch(loop, fd, cb, arg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sfnicd [OPTIONS]\n"
		"  --run-dir DIR     sockets (default: $SFNIC_RUN_DIR, /run/sfnic as root,\n"
		"                    $XDG_RUNTIME_DIR/sfnic otherwise)\n"
		"  --state-dir DIR   durable state (default: $SFNIC_STATE_DIR, /var/lib/sfnic\n"
		"                    as root, $XDG_STATE_HOME/sfnic or ~/.local/state/sfnic)\n"
		"  --uplink SPEC     the uplink p0 (default null):\n"
		"                      null: transmitted frames are counted and dropped\n"
		"                      pcap:rx=IN.pcap,tx=OUT.pcap: p0 receives IN's frames\n"
		"                      once and writes what it transmits to OUT\n"
		"                      afxdp:IFNAME[@QUEUE]: AF_XDP on a Linux interface\n"
		"                      (falls back to AF_PACKET)\n"
		"                      afpacket:IFNAME: AF_PACKET on a Linux interface\n"
		"                      memif:PATH[,id=N][,secret=S]: a memif client of the\n"
		"                      server on socket file PATH (DPDK, VPP); reconnects\n"
		"  --workers N       datapath worker threads (default 1, at most 16)\n"
		"  --fdb-aging SEC   legacy mode MAC aging time (default 300)\n"
		"  --ct-max N        connections the ct action tracks at most (default\n"
		"                    262144); new ones past it are +trk+inv\n"
		"  --netdevs auto|off  TAP netdevs for the PF, representors and SFs\n"
		"                    (auto: when CAP_NET_ADMIN allows; default auto)\n"
		"  --name NAME       device name (default sfnic0): handle sfnic/NAME\n"
		"  --ctl-group NAME  the group that may use sfnicctl.sock (default: the\n"
		"                    daemon's group)\n"
		"  --metrics [ADDR:]PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
		"                    (no ADDR: every address)\n"
		"  -h, --help        this text\n"
		"  -V, --version     the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "uplink", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "workers", required_argument, NULL, 'w' },
		{ "fdb-aging", required_argument, NULL, 'a' },
		{ "ct-max", required_argument, NULL, 'C' },
		{ "netdevs", required_argument, NULL, 'N' },
		{ "ctl-group", required_argument, NULL, 'g' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *run_opt = NULL, *state_opt = NULL, *uplink = "null", *name = "sfnic0";
	const char *ctl_group = NULL, *metrics_at = NULL;
	struct metrics_srv *metrics = NULL;
	struct ctl_srv *ctl = NULL;
	gid_t ctl_gid;
	bool netdevs = true, nd_ok;
	char nd_why[256] = "";
	char run_dir[4096], state_dir[4096], sock[4096], lock[4200], err[512];
	struct dl_err dlerr = { { 0 } };
	struct store *st = NULL;
	struct aux_bus *bus = NULL;
	struct dev *dev = NULL;
	struct dl *dl = NULL;
	struct api *api = NULL;
	struct dp_config dpcfg = { .workers = 1 };
	struct dp *dp = NULL;
	struct ul *ul = NULL;
	struct memif_hub *memif = NULL;
	struct zc_srv *zc = NULL;
	struct tick_ctx tctx;
	struct svc_wd *wd = NULL;
	uint64_t wd_usec;
	int c, lockfd = -1, ret = 1, tfd = -1;

	util_log_init("sfnicd");
	if (argc == 3 && !strcmp(argv[1], "--fd-keeper")) {
		util_log_init("sfnicd-fd-keeper");
		return nd_keep_main(argv[2]);
	}
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': run_opt = optarg; break;
		case 's': state_opt = optarg; break;
		case 'u': uplink = optarg; break;
		case 'n': name = optarg; break;
		case 'g': ctl_group = optarg; break;
		case 'M': {
			struct sockaddr_storage ss;
			socklen_t sl;

			if (metrics_addr_parse(optarg, &ss, &sl, err, sizeof(err))) {
				util_log(UTIL_ERR, "--metrics: %s", err);
				return 2;
			}
			metrics_at = optarg;
			break;
		}
		case 'N':
			if (strcmp(optarg, "auto") && strcmp(optarg, "off")) {
				util_log(UTIL_ERR, "--netdevs: \"%s\" is not auto or off", optarg);
				return 2;
			}
			netdevs = !strcmp(optarg, "auto");
			break;
		case 'w':
		case 'a': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !*optarg || v == 0 || (c == 'w' && v > DP_MAX_WORKERS) ||
			    v > 1000000) {
				util_log(UTIL_ERR, "--%s: \"%s\" is not a number in range",
					 c == 'w' ? "workers" : "fdb-aging", optarg);
				return 2;
			}
			if (c == 'w')
				dpcfg.workers = (unsigned)v;
			else
				dpcfg.fdb_aging_ms = (uint32_t)v * 1000;
			break;
		}
		case 'C': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !*optarg || v == 0 || v > 16777216) {
				util_log(UTIL_ERR, "--ct-max: \"%s\" is not a number in range", optarg);
				return 2;
			}
			dpcfg.ct_max = (uint32_t)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("sfnicd, sfnic %s\n", SFNIC_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		util_log(UTIL_ERR, "unexpected argument \"%s\"", argv[optind]);
		return 2;
	}
	if (ul_parse_check(uplink, err, sizeof(err))) {
		util_log(UTIL_ERR, "%s", err);
		return 2;
	}
	if (ctl_group_resolve(ctl_group, &ctl_gid, err, sizeof(err))) {
		util_log(UTIL_ERR, "--ctl-group: %s", err);
		return 2;
	}
	util_run_dir(run_opt, run_dir, sizeof(run_dir));
	util_state_dir(state_opt, state_dir, sizeof(state_dir));
	if ((c = util_mkdir_p(run_dir))) {
		util_log(UTIL_ERR, "cannot create %s: %s", run_dir, strerror(-c));
		return 1;
	}
	if ((c = util_mkdir_p(state_dir))) {
		util_log(UTIL_ERR, "cannot create %s: %s", state_dir, strerror(-c));
		return 1;
	}
	/* One daemon per state directory: the database is its alone. */
	snprintf(lock, sizeof(lock), "%s/sfnicd.lock", state_dir);
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB)) {
		util_log(UTIL_ERR, "state directory %s is in use by another sfnicd", state_dir);
		goto out;
	}
	if (store_open(state_dir, &st, err, sizeof(err))) {
		util_log(UTIL_ERR, "%s", err);
		goto out;
	}
	bus = aux_bus_create();
	dev = dev_create(1024, 1024);
	if (!bus || !dev) {
		util_log(UTIL_ERR, "out of memory");
		goto out;
	}
	/* TAP netdevs hand over 64 KiB TCP frames: the pools get room for them. */
	nd_ok = netdevs && nd_probe(nd_why, sizeof(nd_why)) == 0;
	dpcfg.gso = nd_ok;
	/* A memif peer maps p0's region: p0 gets one of its own. */
	dpcfg.uplink_own_region = !strncmp(uplink, "memif:", 6);
	err[0] = 0;
	dp = dp_create(&dpcfg, err, sizeof(err));
	if (!dp) {
		util_log(UTIL_ERR, "%s", err);
		goto out;
	}
	dev_attach_dp(dev, dp);
	dl = dl_create(dev, bus, st, name, &dlerr);
	if (!dl) {
		util_log(UTIL_ERR, "cannot restore state from %s: %s", state_dir, dlerr.msg);
		goto out;
	}
	dl_tun_set_uplink(dl, uplink);  /* tunnel ports' routes and addresses */
	dl_attach_dp(dl, dp);
	if ((c = dp_start(dp))) {
		util_log(UTIL_ERR, "cannot start workers: %s", strerror(-c));
		goto out;
	}
	api = api_create(util_sock_path(run_dir, sock, sizeof(sock)), dl, err, sizeof(err));
	if (!api) {
		util_log(UTIL_ERR, "%s", err);
		goto out;
	}
	/* SFs whose zc driver is bound serve memif from here on. */
	memif = memif_hub_create(dp, run_dir, watch, api, err, sizeof(err));
	if (!memif) {
		util_log(UTIL_ERR, "%s", err);
		goto out;
	}
	dl_attach_memif(dl, memif);
	/* Applications open zero-copy queues on <run-dir>/zc.sock. */
	zc = dl_zc_create(dl, dp, run_dir, watch, api, err, sizeof(err));
	if (!zc) {
		util_log(UTIL_ERR, "%s", err);
		goto out;
	}
	/* sfnicctl's scoped RPC channel into the device. */
	ctl = ctl_srv_create(dev, run_dir, ctl_gid, watch, api, err, sizeof(err));
	if (!ctl) {
		util_log(UTIL_ERR, "%s", err);
		goto out;
	}
	if (metrics_at &&
	    !(metrics = metrics_srv_create(metrics_at, dl, watch, api, err, sizeof(err)))) {
		util_log(UTIL_ERR, "--metrics: %s", err);
		goto out;
	}
	if ((c = dl_tun_start(dl, watch, api))) {
		util_log(UTIL_ERR, "cannot start the tunnel next-hop timer: %s", strerror(-c));
		goto out;
	}
	ul = ul_open(uplink, dp, watch, api, err, sizeof(err));
	if (!ul) {
		util_log(UTIL_ERR, "%s", err);
		goto out;
	}
	/* Once a second: FDB aging and finishing deferred pool destroys. */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0 || timerfd_settime(tfd, 0, &(struct itimerspec){ { 1, 0 }, { 1, 0 } }, NULL) ||
	    (tctx = (struct tick_ctx){ tfd, dp, zc, dl }, api_watch(api, tfd, tick, &tctx))) {
		util_log(UTIL_ERR, "cannot set up the housekeeping timer: %s", strerror(errno));
		goto out;
	}
	if (nd_ok) {
		char keeper[4200], exe[4096];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		exe[n > 0 ? n : 0] = 0;
		snprintf(keeper, sizeof(keeper), "%s/fdkeeper.sock", run_dir);
		if (nd_keep_open(keeper, exe, err, sizeof(err)))
			util_log(UTIL_WARN, "%s: netdevs will not survive a crash", err);
		if (dl_netdev_enable(dl, err, sizeof(err)))
			util_log(UTIL_WARN, "netdevs: %s", err);
		nd_keep_drop_untaken();
	} else if (netdevs) {
		util_log(UTIL_INFO, "%s: TAP netdevs, AF_XDP and netns moves are unavailable "
			 "(they need CAP_NET_ADMIN); the devlink model works in full",
			 geteuid() ? "not root" : nd_why);
	}
	util_log(UTIL_INFO, "sfnic/%s ready: %u SFs restored, uplink %s, %u worker%s, socket %s, "
		 "state %s", name, dl_sf_count(dl), uplink, dpcfg.workers,
		 dpcfg.workers == 1 ? "" : "s", sock, state_dir);
	/* systemd: ready once the device, its drivers and every socket are up;
	 * the watchdog is fed only while the datapath makes progress. */
	if ((wd_usec = svc_watchdog_usec()) &&
	    !(wd = svc_wd_create(dp, wd_usec, watch, api, err, sizeof(err)))) {
		util_log(UTIL_ERR, "%s", err);
		goto out;
	}
	if ((c = svc_notify("READY=1\nSTATUS=sfnic/%s ready: %u SFs, uplink %s, %u worker%s",
			    name, dl_sf_count(dl), uplink, dpcfg.workers, dpcfg.workers == 1 ? "" : "s")))
		util_log(UTIL_WARN, "cannot notify systemd: %s", strerror(-c));
	ret = api_run(api) ? 1 : 0;
	(void)svc_notify("STOPPING=1\nSTATUS=shutting down");
out:
	ctl_srv_destroy(ctl);
	api_destroy(api);
	svc_wd_destroy(wd);
	metrics_srv_destroy(metrics);
	ul_close(ul);
	dl_zc_destroy(dl);
	dl_destroy(dl);
	memif_hub_destroy(memif);
	nd_keep_close(true);    /* a graceful stop: the netdevs go */
	dev_attach_dp(dev, NULL);
	dp_destroy(dp);
	if (tfd >= 0)
		close(tfd);
	dev_destroy(dev);
	aux_bus_destroy(bus);
	store_close(st);
	if (lockfd >= 0)
		close(lockfd);
	return ret;
}
