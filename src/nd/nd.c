/*
 * nd.c - TAP netdevices.
 */
#include "nd.h"
#include "nd_gro.h"
#include "nd_keep.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/uio.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CAP_NET_ADMIN_BIT 12

/* One queue of a TAP: an fd and the datapath backend that reads and
 * writes it. */
struct nd_tapq {
	int fd;
	bool vnet;              /* IFF_VNET_HDR: offloads travel with frames */
	struct dp_backend be;
	struct nd_gro_stats gro;        /* written by the queue's worker */
};

struct nd_tap {
	char name[16];
	unsigned nq;
	struct nd_tapq q[];
};

/* One read per frame; with vnet headers a frame is a TCP super-frame of up
 * to 64 KiB, which is how the kernel amortises the syscall. */
static unsigned tap_rx(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max)
{
	struct nd_tapq *t = ctx;
	unsigned n = 0;

	while (n < max) {
		struct virtio_net_hdr vh;
		uint32_t buf = pp_alloc(pool);
		struct iovec iov[2];
		ssize_t len;

		if (buf == PP_NO_BUF)
			break;  /* the frames wait in the TAP's queue */
		pkts[n] = (struct dp_pkt){ .pool = pool, .buf = buf, .off = PP_HEADROOM };
		iov[0] = (struct iovec){ &vh, sizeof(vh) };
		iov[1] = (struct iovec){ dp_pkt_data(&pkts[n]), pool->buf_size - PP_HEADROOM };
		len = t->vnet ? readv(t->fd, iov, 2) : read(t->fd, iov[1].iov_base, iov[1].iov_len);
		if (len < 0) {
			pp_put(pool, buf);
			break;          /* EAGAIN: empty */
		}
		if (t->vnet)
			len -= (ssize_t)sizeof(vh);
		if (len <= 0 || len > UINT16_MAX) {
			pp_put(pool, buf);      /* nothing behind the header: skip */
			continue;
		}
		pkts[n].len = (uint16_t)len;
		if (t->vnet && (vh.flags || vh.gso_type))
			pkts[n].ol = (struct dp_offload){
				.flags = vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM,
				.gso_type = vh.gso_type, .hdr_len = vh.hdr_len,
				.gso_size = vh.gso_size, .csum_start = vh.csum_start,
				.csum_offset = vh.csum_offset };
		n++;
	}
	return n;
}

/* Writes one frame as the datapath left it. */
static bool write_one(struct nd_tapq *t, const struct dp_pkt *p)
{
	struct virtio_net_hdr vh = {
		.flags = p->ol.flags, .gso_type = p->ol.gso_type, .hdr_len = p->ol.hdr_len,
		.gso_size = p->ol.gso_size, .csum_start = p->ol.csum_start,
		.csum_offset = p->ol.csum_offset };
	struct iovec iov[2] = { { &vh, sizeof(vh) }, { dp_pkt_data(p), p->len } };

	return (t->vnet ? writev(t->fd, iov, 2) : write(t->fd, iov[1].iov_base, iov[1].iov_len)) > 0;
}

/* Writes the next frame of in[0..n) (pkts alongside): a train of segments
 * coalesced into one super-frame (nd_gro.h) with one writev that points
 * at their payloads, or one frame as it is.  Returns how many of the
 * burst's frames it took, 0 when the write failed. */
static unsigned write_next(struct nd_tapq *t, const struct nd_gro_in *in, struct dp_pkt *pkts,
			   unsigned n)
{
	struct iovec iov[2 + ND_GRO_MAX_SEGS];
	struct nd_gro_out out;
	unsigned k = nd_gro_merge(in, n, &out);

	if (k < 2)
		return write_one(t, &pkts[0]) ? 1 : 0;
	iov[0] = (struct iovec){ &out.vh, sizeof(out.vh) };
	iov[1] = (struct iovec){ out.hdr, out.hdr_len };
	for (unsigned j = 0; j < k; j++)
		iov[2 + j] = (struct iovec){ (uint8_t *)in[j].data + out.hdr_len,
					     in[j].len - out.hdr_len };
	if (writev(t->fd, iov, (int)(2 + k)) <= 0)
		return 0;
	t->gro.frames++;
	t->gro.segments += k;
	return k;
}

/* The kernel copies each frame on write, so buffers go home at once.
 * With vnet headers, trains of TCP segments go as one frame each. */
static unsigned tap_tx(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n,
		       enum dp_drop *why)
{
	struct nd_tapq *t = ctx;
	struct nd_gro_in in[ND_GRO_MAX_SEGS];
	unsigned sent = 0;

	(void)worker;
	for (unsigned base = 0; base < n; base += ND_GRO_MAX_SEGS) {
		unsigned m = n - base < ND_GRO_MAX_SEGS ? n - base : ND_GRO_MAX_SEGS;

		for (unsigned j = 0; t->vnet && j < m; j++)
			in[j] = (struct nd_gro_in){ dp_pkt_data(&pkts[base + j]), pkts[base + j].len,
						    pkts[base + j].ol };
		for (unsigned i = 0, k; i < m; i += k) {
			k = t->vnet ? write_next(t, in + i, pkts + base + i, m - i)
				    : write_one(t, &pkts[base + i]);
			/* A netdev that is down refuses frames (EIO): nobody
			 * consumes them.  A full queue says EAGAIN.  Either
			 * way the rest of the burst is dropped. */
			if (!k) {
				if (errno == EIO)
					*why = DP_DROP_NO_CONSUMER;
				goto out;
			}
			sent += k;
		}
	}
out:
	for (unsigned j = 0; j < n; j++)
		dp_pkt_free(&pkts[j]);
	return sent;
}

static struct nd_tap *tap_alloc(const char *name, unsigned nq)
{
	struct nd_tap *t = calloc(1, sizeof(*t) + nq * sizeof(t->q[0]));

	if (!t)
		return NULL;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->nq = nq;
	for (unsigned i = 0; i < nq; i++)
		t->q[i].fd = -1;
	return t;
}

static void tapq_init(struct nd_tapq *q, int fd, bool vnet)
{
	q->fd = fd;
	q->vnet = vnet;
	q->be = (struct dp_backend){ .rx_burst = tap_rx, .tx_burst = tap_tx, .fd = fd,
				     .tx_copies = true, .offloads = vnet };
}

struct nd_tap *nd_tap_wrap(int fd, const char *name, bool vnet)
{
	struct nd_tap *t = tap_alloc(name, 1);

	if (!t) {
		close(fd);
		return NULL;
	}
	tapq_init(&t->q[0], fd, vnet);
	return t;
}

unsigned nd_tap_queues(const struct nd_tap *t) { return t->nq; }

void nd_tap_gro_stats(const struct nd_tap *t, struct nd_gro_stats *sum)
{
	*sum = (struct nd_gro_stats){ 0 };
	for (unsigned q = 0; q < t->nq; q++) {
		sum->frames += t->q[q].gro.frames;
		sum->segments += t->q[q].gro.segments;
	}
}
const struct dp_backend *nd_tap_backend(const struct nd_tap *t, unsigned q) { return &t->q[q].be; }
void *nd_tap_ctx(struct nd_tap *t, unsigned q) { return &t->q[q]; }

/* The keeper knows queue q of name as "name" (q 0) or "name#q". */
static void keep_name(char *out, size_t len, const char *name, unsigned q)
{
	if (q)
		snprintf(out, len, "%s#%u", name, q);
	else
		snprintf(out, len, "%s", name);
}

int nd_probe(char *why, size_t len)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long eff = 0;
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	if (!(eff & (1ull << CAP_NET_ADMIN_BIT))) {
		snprintf(why, len, "no CAP_NET_ADMIN");
		return -EPERM;
	}
	if (access("/dev/net/tun", R_OK | W_OK)) {
		snprintf(why, len, "/dev/net/tun: %s", strerror(errno));
		return -ENODEV;
	}
	return 0;
}

/* Runs fn(ifr, arg) in the network namespace the netdev that fd0 is a
 * queue of is in now, with its name as it is now in ifr (the user may have
 * moved or renamed it).  Only the calling thread changes namespace, and it
 * comes back.  Returns fn's result, or -1 when the namespace is out of
 * reach. */
static int in_dev_ns(int fd0, int (*fn)(const struct ifreq *ifr, void *arg), void *arg)
{
	struct ifreq ifr = { 0 };
	int devns = ioctl(fd0, TUNGETDEVNETNS), self = open("/proc/thread-self/ns/net",
							    O_RDONLY | O_CLOEXEC), ret = -1;

	if (devns >= 0 && self >= 0 && ioctl(fd0, TUNGETIFF, &ifr) == 0 &&
	    setns(devns, CLONE_NEWNET) == 0) {
		ret = fn(&ifr, arg);
		if (setns(self, CLONE_NEWNET)) {
			/* cannot happen: we came from there */
		}
	}
	if (devns >= 0)
		close(devns);
	if (self >= 0)
		close(self);
	return ret;
}

/* One more queue on the netdev ifr names (in_dev_ns callback). */
static int open_queue(const struct ifreq *ifr, void *arg)
{
	struct ifreq req = *ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	(void)arg;
	if (fd >= 0 && ioctl(fd, TUNSETIFF, &req)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Takes the queues a previous daemon left with the keeper.  A run with
 * another worker count left more queues (the extra ones are dropped with
 * the untaken fds) or fewer (new ones are attached where the netdev is). */
static struct nd_tap *adopt(const char *name, unsigned nq)
{
	struct ifreq ifr = { 0 };
	struct nd_tap *t;
	char kn[40];
	int fd;

	keep_name(kn, sizeof(kn), name, 0);
	if ((fd = nd_keep_take(kn)) < 0)
		return NULL;
	if (ioctl(fd, TUNGETIFF, &ifr) || !(t = tap_alloc(name, nq))) {
		close(fd);
		return NULL;
	}
	for (unsigned q = 0; q < nq; q++) {
		if (q) {
			keep_name(kn, sizeof(kn), name, q);
			fd = nd_keep_take(kn);
			if (fd < 0 && (ifr.ifr_flags & IFF_MULTI_QUEUE) &&
			    (fd = in_dev_ns(t->q[0].fd, open_queue, NULL)) >= 0)
				nd_keep_put(kn, fd);
		}
		if (fd < 0) {
			t->nq = q;      /* what it has: the datapath copes */
			break;
		}
		fcntl(fd, F_SETFL, O_NONBLOCK);
		/* Its flags are what they were set to when it was made. */
		tapq_init(&t->q[q], fd, ifr.ifr_flags & IFF_VNET_HDR);
	}
	return t;
}

struct nd_tap *nd_tap_create(const char *name, const uint8_t *mac, uint16_t mtu, bool vnet,
			     unsigned nq, char *err, size_t errlen)
{
	/* Always multiqueue, even with one queue: a daemon restarted with
	 * more workers can add queues to the netdev it takes back. */
	short flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0) | IFF_MULTI_QUEUE;
	struct ifreq ifr;
	struct nd_tap *t;
	int sock, ret;

	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "netdev name \"%s\" is too long", name);
		return NULL;
	}
	if (!nq || nq > DP_MAX_WORKERS) {
		snprintf(err, errlen, "netdev %s: %u queues is out of range", name, nq);
		return NULL;
	}
	/* Held over from a daemon that died: the netdev is where the user
	 * left it (another namespace, a bridge), addresses and all. */
	if ((t = adopt(name, nq))) {
		if (mac)
			nd_tap_set_mac(t, mac);
		return t;
	}
	if (!(t = tap_alloc(name, nq))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* The first open creates the netdev, the others attach queues to it. */
	for (unsigned q = 0; q < nq; q++) {
		int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

		ifr = (struct ifreq){ .ifr_flags = flags };
		memcpy(ifr.ifr_name, name, strlen(name) + 1);
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr)) {
			snprintf(err, errlen, "cannot create netdev %s: %s", name, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto fail;
		}
		tapq_init(&t->q[q], fd, vnet);
	}
	/* Checksum and TSO offloads: the kernel hands over 64 KiB TCP frames
	 * with the checksum left to us (or to the next TAP's kernel). */
	if (vnet && ioctl(t->q[0].fd, TUNSETOFFLOAD,
			  TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)) {
		snprintf(err, errlen, "netdev %s: cannot set offloads: %s", name, strerror(errno));
		goto fail;
	}
	if (mac && (ret = nd_tap_set_mac(t, mac))) {
		snprintf(err, errlen, "netdev %s: cannot set hw_addr: %s", name, strerror(-ret));
		goto fail;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ifr = (struct ifreq){ .ifr_mtu = mtu };
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (sock < 0 || ioctl(sock, SIOCSIFMTU, &ifr)) {
		snprintf(err, errlen, "netdev %s: cannot set mtu %u: %s", name, mtu, strerror(errno));
		if (sock >= 0)
			close(sock);
		goto fail;
	}
	close(sock);
	for (unsigned q = 0; q < nq; q++) {
		char kn[40];

		keep_name(kn, sizeof(kn), name, q);
		nd_keep_put(kn, t->q[q].fd);
	}
	return t;
fail:
	for (unsigned q = 0; q < nq; q++)
		if (t->q[q].fd >= 0)
			close(t->q[q].fd);
	free(t);
	return NULL;
}

int nd_tap_set_carrier(struct nd_tap *t, bool on)
{
	int v = on;

	return ioctl(t->q[0].fd, TUNSETCARRIER, &v) ? -errno : 0;
}

int nd_tap_set_mac(struct nd_tap *t, const uint8_t mac[6])
{
	struct ifreq ifr = { 0 };

	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	return ioctl(t->q[0].fd, SIOCSIFHWADDR, &ifr) ? -errno : 0;
}

void nd_tap_destroy(struct nd_tap *t)
{
	if (!t)
		return;
	for (unsigned q = 0; q < t->nq; q++) {
		char kn[40];

		if (t->q[q].fd < 0)
			continue;
		keep_name(kn, sizeof(kn), t->name, q);
		nd_keep_del(kn);
		close(t->q[q].fd);
	}
	free(t);
}

int nd_netns_open(const char *ns)
{
	char path[4096];
	int fd;

	if (!*ns || strchr(ns, '/') == ns)
		snprintf(path, sizeof(path), "%s", ns);
	else if (strchr(ns, '/'))
		return -EINVAL;
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A netlink socket in the netdev's namespace, and its ifindex there
 * (in_dev_ns callback).  Sockets stay in the namespace they were made in. */
struct nl_ctx {
	struct mnl_socket *nl;
	unsigned ifindex;
};

static int open_nl(const struct ifreq *ifr, void *arg)
{
	struct nl_ctx *c = arg;

	c->ifindex = if_nametoindex(ifr->ifr_name);
	c->nl = mnl_socket_open(NETLINK_ROUTE);
	return c->nl ? 0 : -1;
}

int nd_tap_move_netns(struct nd_tap *t, const char *ns, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nl_ctx c = { 0 };
	struct mnl_socket *nl;
	struct ifinfomsg *ifi;
	int nsfd = nd_netns_open(ns), ret = 0;

	if (nsfd < 0) {
		snprintf(err, errlen, "Cannot open network namespace \"%s\": %s", ns,
			 strerror(-nsfd));
		return nsfd;
	}
	in_dev_ns(t->q[0].fd, open_nl, &c);
	nl = c.nl;
	if (!nl || !c.ifindex || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		snprintf(err, errlen, "netdev %s: cannot reach it: %s", t->name, strerror(errno));
		ret = -EIO;
		goto out;
	}
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)c.ifindex;
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
	} else {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		ret = n < 0 ? -errno : mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(nl),
						  NULL, NULL) < 0 ? -errno : 0;
	}
	if (ret)
		snprintf(err, errlen, "netdev %s: cannot move it to %s: %s", t->name, ns,
			 strerror(-ret));
out:
	if (nl)
		mnl_socket_close(nl);
	close(nsfd);
	return ret;
}
