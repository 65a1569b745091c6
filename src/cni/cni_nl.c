/*
 * cni_nl.c - the container's side: link, addresses and routes.
 *
 * The plugin is single-threaded, so it simply setns()es into the
 * container's network namespace and back.  Sockets stay in the namespace
 * they were created in, so each call opens its own after the switch.
 * Link changes are ioctls (name, MTU, flags); addresses and routes are
 * rtnetlink through libmnl, as nd.c moves netdevs.
 */
#include "cni.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int home_ns = -1;

static int nl_do(struct nlmsghdr *nlh);

int cni_nl_enter(const char *path, struct cni_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (home_ns < 0)
		home_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || home_ns < 0 || setns(fd, CLONE_NEWNET)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return cni_errf(err, e == ENOENT ? CNI_ERR_UNKNOWN : CNI_ERR_IO,
				"cannot enter the container's network namespace", "%s: %s", path,
				strerror(e));
	}
	close(fd);
	return 0;
}

void cni_nl_leave(void)
{
	if (home_ns >= 0 && setns(home_ns, CLONE_NEWNET)) {
		/* cannot happen: we came from there */
	}
}

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (s < 0)
		return -errno;
	ret = ioctl(s, req, ifr) ? -errno : 0;
	close(s);
	return ret;
}

static void ifr_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

static int set_flags(const char *name, bool up)
{
	struct ifreq ifr;
	int ret;

	ifr_init(&ifr, name);
	if ((ret = ifreq_ioctl(SIOCGIFFLAGS, &ifr)))
		return ret;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

static int rename_link(const char *from, const char *to)
{
	struct ifreq ifr;

	ifr_init(&ifr, from);
	snprintf(ifr.ifr_newname, sizeof(ifr.ifr_newname), "%s", to);
	return ifreq_ioctl(SIOCSIFNAME, &ifr);
}

int cni_nl_setup_link(const char *from, const char *to, unsigned mtu, unsigned timeout_ms,
		      struct cni_err *err)
{
	struct ifreq ifr;
	int ret;

	/* The daemon moves the netdev when it exists; it may still be on its way. */
	for (unsigned t = 0; !if_nametoindex(from); t += 10) {
		if (t >= timeout_ms)
			return cni_errf(err, CNI_ERR_NETLINK, "the SF netdev did not arrive",
					"%s is not in the container's namespace after %u ms", from,
					timeout_ms);
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	if (strcmp(from, to)) {
		if (if_nametoindex(to))
			return cni_errf(err, CNI_ERR_CONFIG, "interface already exists",
					"the container already has an interface named %s", to);
		if ((ret = set_flags(from, false)) || (ret = rename_link(from, to)))
			return cni_errf(err, CNI_ERR_NETLINK, "cannot rename the SF netdev",
					"%s to %s: %s", from, to, strerror(-ret));
	}
	if (mtu) {
		ifr_init(&ifr, to);
		ifr.ifr_mtu = (int)mtu;
		if ((ret = ifreq_ioctl(SIOCSIFMTU, &ifr)))
			return cni_errf(err, CNI_ERR_NETLINK, "cannot set the MTU", "%s mtu %u: %s",
					to, mtu, strerror(-ret));
	}
	if ((ret = set_flags(to, true)))
		return cni_errf(err, CNI_ERR_NETLINK, "cannot bring the interface up", "%s: %s",
				to, strerror(-ret));
	return 0;
}

int cni_nl_move(const char *name, const char *nspath, struct cni_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned ifindex = if_nametoindex(name);
	struct ifinfomsg *ifi;
	int fd = open(nspath, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return cni_errf(err, CNI_ERR_UNKNOWN, "cannot open the container's network namespace",
				"%s: %s", nspath, strerror(errno));
	if (!ifindex) {
		close(fd);
		return cni_errf(err, CNI_ERR_NETLINK, "the SF netdev is not here",
				"%s: not in the plugin's network namespace", name);
	}
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)fd);
	ret = nl_do(nlh);
	close(fd);
	if (ret)
		return cni_errf(err, CNI_ERR_NETLINK, "cannot move the SF netdev",
				"%s to %s: %s", name, nspath, strerror(-ret));
	return 0;
}

int cni_nl_rename(const char *ifname, const char *name)
{
	if (!if_nametoindex(ifname))
		return -ENODEV;
	set_flags(ifname, false);
	return rename_link(ifname, name);
}

void cni_nl_mac(const char *name, char out[18])
{
	struct ifreq ifr;
	const uint8_t *m = (const uint8_t *)ifr.ifr_hwaddr.sa_data;

	out[0] = 0;
	ifr_init(&ifr, name);
	if (ifreq_ioctl(SIOCGIFHWADDR, &ifr) == 0)
		snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
			 m[5]);
}

/* ---- addresses and routes ---- */

struct cidr {
	int family;
	uint8_t addr[16];
	unsigned plen;
};

static int parse_ip(const char *s, struct cidr *c)
{
	c->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(c->family, s, c->addr) == 1 ? 0 : -1;
}

static int parse_cidr(const char *s, struct cidr *c)
{
	char buf[64], *slash, *end;
	unsigned long plen;

	if (!s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (!(slash = strchr(buf, '/')))
		return -1;
	*slash = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (parse_ip(buf, c) || *end || end == slash + 1 ||
	    plen > (c->family == AF_INET ? 32u : 128u))
		return -1;
	c->plen = (unsigned)plen;
	return 0;
}

static size_t alen(int family) { return family == AF_INET ? 4 : 16; }

/* One request with an ACK; returns 0 or -errno. */
static int nl_do(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int ret;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		ret = -errno;
		goto out;
	}
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
	} else {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		ret = n < 0 ? -errno : mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(nl),
						  NULL, NULL) < 0 ? -errno : 0;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* A dump, each message to cb. */
static int nl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int ret = -EIO;
	unsigned pid;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		ret = -errno;
		goto out;
	}
	pid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)n, 1, pid, cb, arg);
		if (ret <= MNL_CB_STOP) {
			ret = ret < 0 ? -errno : 0;
			break;
		}
	}
out:
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

static int addr_add(unsigned ifindex, const struct cidr *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)c->family;
	ifa->ifa_prefixlen = (uint8_t)c->plen;
	/* No duplicate address detection: the address is the IPAM's lease and
	 * the container may use it as soon as ADD returns. */
	ifa->ifa_flags = c->family == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen(c->family), c->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen(c->family), c->addr);
	return nl_do(nlh);
}

static int route_add(unsigned ifindex, const struct cidr *dst, const struct cidr *gw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)dst->family;
	rtm->rtm_dst_len = (uint8_t)dst->plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen(dst->family), dst->addr);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen(gw->family), gw->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return nl_do(nlh);
}

/* ips[] entries of interface ifidx (all, when ifidx < 0). */
static bool ip_is_ours(json_t *ip, int ifidx)
{
	json_t *i = json_object_get(ip, "interface");

	return ifidx < 0 || (json_is_integer(i) && json_integer_value(i) == ifidx);
}

/* The gateway a route without "gw" takes: the first of its family in ips. */
static bool family_gw(json_t *ips, int family, int ifidx, struct cidr *gw)
{
	size_t i;
	json_t *ip;

	json_array_foreach(ips, i, ip) {
		const char *g = json_string_value(json_object_get(ip, "gateway"));

		if (ip_is_ours(ip, ifidx) && g && parse_ip(g, gw) == 0 && gw->family == family)
			return true;
	}
	return false;
}

static int route_of(json_t *ips, json_t *r, int ifidx, struct cidr *dst, struct cidr *gw,
		    bool *has_gw)
{
	const char *d = json_string_value(json_object_get(r, "dst"));
	const char *g = json_string_value(json_object_get(r, "gw"));

	if (parse_cidr(d, dst))
		return -1;
	if (g)
		*has_gw = parse_ip(g, gw) == 0 && gw->family == dst->family;
	else
		*has_gw = family_gw(ips, dst->family, ifidx, gw);
	return 0;
}

int cni_nl_apply(const char *ifname, json_t *result, int ifidx, struct cni_err *err)
{
	unsigned ifindex = if_nametoindex(ifname);
	json_t *ips = json_object_get(result, "ips"), *ip, *r;
	size_t i;
	int ret;

	if (!ifindex)
		return cni_errf(err, CNI_ERR_NETLINK, "the interface vanished", "%s", ifname);
	json_array_foreach(ips, i, ip) {
		const char *a = json_string_value(json_object_get(ip, "address"));
		struct cidr c;

		if (!ip_is_ours(ip, ifidx))
			continue;
		if (parse_cidr(a, &c))
			return cni_errf(err, CNI_ERR_DECODE, "cannot decode the IPAM result",
					"bad address \"%s\"", a ? a : "");
		if ((ret = addr_add(ifindex, &c)))
			return cni_errf(err, CNI_ERR_NETLINK, "cannot add the address",
					"%s on %s: %s", a, ifname, strerror(-ret));
	}
	json_array_foreach(json_object_get(result, "routes"), i, r) {
		struct cidr dst, gw;
		bool has_gw;

		if (route_of(ips, r, ifidx, &dst, &gw, &has_gw))
			return cni_errf(err, CNI_ERR_DECODE, "cannot decode the IPAM result",
					"bad route %s", json_string_value(json_object_get(r, "dst")) ?: "");
		ret = route_add(ifindex, &dst, has_gw ? &gw : NULL);
		/* A route the kernel made with the address is already right. */
		if (ret && ret != -EEXIST)
			return cni_errf(err, CNI_ERR_NETLINK, "cannot add the route",
					"%s on %s: %s", json_string_value(json_object_get(r, "dst")),
					ifname, strerror(-ret));
	}
	return 0;
}

/* ---- CHECK ---- */

struct want {
	unsigned ifindex;
	struct cidr c, gw;
	bool has_gw;
	bool found;
};

static int addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct want *w = arg;
	struct nlattr *a;

	if (ifa->ifa_index != w->ifindex || ifa->ifa_family != w->c.family ||
	    ifa->ifa_prefixlen != w->c.plen)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa))
		if ((mnl_attr_get_type(a) == IFA_LOCAL || mnl_attr_get_type(a) == IFA_ADDRESS) &&
		    mnl_attr_get_payload_len(a) == alen(w->c.family) &&
		    !memcmp(mnl_attr_get_payload(a), w->c.addr, alen(w->c.family)))
			w->found = true;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	static const uint8_t zero[16];
	struct want *w = arg;
	const void *dst = zero, *gw = NULL;
	unsigned oif = 0, table = rtm->rtm_table;
	struct nlattr *a;

	if (rtm->rtm_family != w->c.family || rtm->rtm_dst_len != w->c.plen)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_DST: dst = mnl_attr_get_payload(a); break;
		case RTA_GATEWAY: gw = mnl_attr_get_payload(a); break;
		case RTA_OIF: oif = mnl_attr_get_u32(a); break;
		case RTA_TABLE: table = mnl_attr_get_u32(a); break;
		}
	}
	if (table == RT_TABLE_MAIN && oif == w->ifindex &&
	    !memcmp(dst, w->c.addr, alen(w->c.family)) &&
	    (!w->has_gw || (gw && !memcmp(gw, w->gw.addr, alen(w->c.family)))))
		w->found = true;
	return MNL_CB_OK;
}

static int dump_find(int type, struct want *w)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = (uint16_t)type;
	if (type == RTM_GETADDR) {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = (uint8_t)w->c.family;
		return nl_dump(nlh, addr_cb, w);
	}
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)w->c.family;
	return nl_dump(nlh, route_cb, w);
}

static int check_fail(struct cni_err *err, const char *fmt, const char *a, const char *b)
{
	return cni_errf(err, CNI_ERR_CHECK, "the interface is not as ADD left it", fmt, a, b);
}

int cni_nl_check(const char *ifname, const char *mac, unsigned mtu, json_t *prev, int ifidx,
		 struct cni_err *err)
{
	unsigned ifindex = if_nametoindex(ifname);
	json_t *ips = json_object_get(prev, "ips"), *ip, *r;
	struct ifreq ifr;
	char have[18], buf[32];
	size_t i;

	if (!ifindex)
		return check_fail(err, "%s%s is missing from the container's namespace", "", ifname);
	cni_nl_mac(ifname, have);
	if (strcasecmp(have, mac))
		return check_fail(err, "hw_addr is %s, expected %s", have, mac);
	ifr_init(&ifr, ifname);
	if (ifreq_ioctl(SIOCGIFFLAGS, &ifr) || !(ifr.ifr_flags & IFF_UP))
		return check_fail(err, "%s%s is down", "", ifname);
	ifr_init(&ifr, ifname);
	if (mtu && (ifreq_ioctl(SIOCGIFMTU, &ifr) || (unsigned)ifr.ifr_mtu != mtu)) {
		snprintf(buf, sizeof(buf), "%d", ifr.ifr_mtu);
		snprintf(have, sizeof(have), "%u", mtu);
		return check_fail(err, "mtu is %s, expected %s", buf, have);
	}
	json_array_foreach(ips, i, ip) {
		const char *a = json_string_value(json_object_get(ip, "address"));
		struct want w = { .ifindex = ifindex };

		if (!ip_is_ours(ip, ifidx))
			continue;
		if (parse_cidr(a, &w.c))
			return cni_errf(err, CNI_ERR_DECODE, "cannot decode prevResult",
					"bad address \"%s\"", a ? a : "");
		if (dump_find(RTM_GETADDR, &w) || !w.found)
			return check_fail(err, "address %s is missing from %s", a, ifname);
	}
	json_array_foreach(json_object_get(prev, "routes"), i, r) {
		struct want w = { .ifindex = ifindex };

		if (route_of(ips, r, ifidx, &w.c, &w.gw, &w.has_gw))
			return cni_errf(err, CNI_ERR_DECODE, "cannot decode prevResult", "bad route");
		/* A defaulted gateway is not required: the connected route has none. */
		if (!json_object_get(r, "gw"))
			w.has_gw = false;
		if (dump_find(RTM_GETROUTE, &w) || !w.found)
			return check_fail(err, "route %s via %s is missing",
					  json_string_value(json_object_get(r, "dst")), ifname);
	}
	return 0;
}
