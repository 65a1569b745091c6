/*
 * tun_nl.c - the kernel's routing and neighbour tables, read the way mlx5
 * builds its encap headers (ip_route_output_key, then dst_neigh_lookup):
 * one rtnetlink round trip per question, on the control thread only.
 */
#include "tun.h"

#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int tun_kernel_read(const char *ifname, struct tun_kernel *k)
{
	struct ifaddrs *ifa, *i;
	struct ifreq ifr;
	unsigned lo = 32768, hi = 60999;
	FILE *f;
	int fd;

	memset(k, 0, sizeof(*k));
	/* The namespace's own range: Linux's vxlan picks source ports in it. */
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo >= hi || hi > 65535)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	k->port_min = (uint16_t)lo;
	k->port_max = (uint16_t)hi;     /* exclusive, as udp_flow_src_port computes */
	if (!ifname || !ifname[0])
		return 0;
	k->ifindex = (int)if_nametoindex(ifname);
	if (!k->ifindex)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(k->mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, ifname) &&
		    k->naddrs < sizeof(k->addrs) / sizeof(k->addrs[0]))
			k->addrs[k->naddrs++] = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(ifa);
	return 0;
}

/* One request, its answer through cb; -errno from an error reply. */
static int nl_ask(struct nlmsghdr *req, mnl_cb_t cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	unsigned seq = (unsigned)time(NULL);
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		ret = -errno;
		goto out;
	}
	/* The ack (or error) ends every answer, dump or not. */
	req->nlmsg_flags |= NLM_F_ACK;
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), cb, arg);
	} while (ret > 0);
	if (ret < 0)
		ret = -errno;
out:
	mnl_socket_close(nl);
	return ret;
}

struct route {
	uint32_t oif, gw, prefsrc;
	uint8_t type, hoplimit;
};

static int metrics_cb(const struct nlattr *a, void *arg)
{
	struct route *r = arg;

	if (mnl_attr_get_type(a) == RTAX_HOPLIMIT && !mnl_attr_validate(a, MNL_TYPE_U32))
		r->hoplimit = (uint8_t)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int route_attr(const struct nlattr *a, void *arg)
{
	struct route *r = arg;

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (!mnl_attr_validate(a, MNL_TYPE_U32))
			r->oif = mnl_attr_get_u32(a);
		break;
	case RTA_GATEWAY:
		if (!mnl_attr_validate(a, MNL_TYPE_U32))
			r->gw = mnl_attr_get_u32(a);
		break;
	case RTA_PREFSRC:
		if (!mnl_attr_validate(a, MNL_TYPE_U32))
			r->prefsrc = mnl_attr_get_u32(a);
		break;
	case RTA_METRICS:
		mnl_attr_parse_nested(a, metrics_cb, r);
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route *r = arg;

	r->type = rtm->rtm_type;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr, r);
	return MNL_CB_OK;
}

struct neigh {
	uint8_t mac[6];
	bool has_mac;
	uint16_t state;
};

static int neigh_attr(const struct nlattr *a, void *arg)
{
	struct neigh *n = arg;

	if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
		memcpy(n->mac, mnl_attr_get_payload(a), 6);
		n->has_mac = true;
	}
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct neigh *n = arg;

	n->state = ndm->ndm_state;
	mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr, n);
	return MNL_CB_OK;
}

static struct nlmsghdr *neigh_msg(char *buf, uint16_t type, uint16_t flags, int ifindex,
				  uint32_t addr)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, addr);
	return nlh;
}

static void ip_str(uint32_t a, char *s, size_t n)
{
	const uint8_t *b = (const uint8_t *)&a;

	snprintf(s, n, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

int tun_resolve(const struct tun_kernel *k, uint32_t dst, uint32_t src, uint8_t tos,
		struct tun_nh *nh, char *why, size_t whylen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], d[16], via[16];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct route r = { 0 };
	struct neigh n = { .state = 0 };
	struct rtmsg *rtm;
	uint32_t hop;
	int ret;

	(void)src;      /* the outer source is the rule's; routing is by destination */
	memset(nh, 0, sizeof(*nh));
	nh->dst_ip = dst;
	memcpy(nh->smac, k->mac, 6);
	nh->ttl = 64;
	ip_str(dst, d, sizeof(d));
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_tos = tos & 0xfc;
	mnl_attr_put_u32(nlh, RTA_DST, dst);
	ret = nl_ask(nlh, route_cb, &r);
	if (ret == -ENETUNREACH || ret == -EHOSTUNREACH || ret == -EINVAL ||
	    (!ret && r.type != RTN_UNICAST)) {
		nh->state = TUN_NH_NO_ROUTE;
		snprintf(why, whylen, "no route to %s", d);
		return 0;
	}
	if (ret)
		return ret;
	if ((int)r.oif != k->ifindex) {
		char ifn[IF_NAMESIZE] = "?";

		if_indextoname(r.oif, ifn);
		nh->state = TUN_NH_NO_ROUTE;
		snprintf(why, whylen, "route to %s leaves through %s, not the uplink", d, ifn);
		return 0;
	}
	if (r.hoplimit)
		nh->ttl = r.hoplimit;
	hop = r.gw ? r.gw : dst;
	ip_str(hop, via, sizeof(via));
	nlh = neigh_msg(buf, RTM_GETNEIGH, 0, k->ifindex, hop);
	ret = nl_ask(nlh, neigh_cb, &n);
	if (ret && ret != -ENOENT)
		return ret;
	if (!ret && n.has_mac &&
	    (n.state & (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE |
			NUD_DELAY))) {
		memcpy(nh->dmac, n.mac, 6);
		nh->state = TUN_NH_VALID;
		return 0;
	}
	/* As mlx5's neigh_event_send(): ask the kernel to resolve it; the
	 * next refresh picks the answer up. */
	nlh = neigh_msg(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_ACK, k->ifindex, hop);
	((struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_flags = NTF_USE;
	(void)nl_ask(nlh, NULL, NULL);
	nh->state = TUN_NH_NO_NEIGH;
	snprintf(why, whylen, "no neighbour for %s%s%s yet", via, r.gw ? " (gateway to " : "",
		 r.gw ? d : "");
	if (r.gw)
		snprintf(why + strlen(why), whylen - strlen(why), ")");
	return 0;
}
