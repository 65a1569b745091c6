/*
 * tun.h - tunnel ports: VXLAN over IPv4, as Linux's vxlan device in
 * metadata ("external") mode and mlx5's encap/decap offload have it.
 *
 * Model.  A tunnel port (`sfnic link add vxlan0 type vxlan dstport 4789
 * external`) is a vport of its own, numbered TUN_VPORT_BASE + n, with a
 * representor-like host side, so tc rules name it like any other port:
 *   - encap: a rule on an SF's representor runs `tunnel_key set` (the
 *     packet's tunnel metadata, struct tun_info) and redirects to the
 *     tunnel port; the datapath puts outer Ethernet/IPv4/UDP/VXLAN headers
 *     in front of the frame and sends it out of the uplink;
 *   - decap: an IPv4/UDP frame that arrives at the uplink for a tunnel
 *     port's UDP port and one of the uplink's addresses loses its outer
 *     headers, which become the packet's tunnel metadata (the enc_* keys),
 *     and is classified as received on the tunnel port.  A frame that no
 *     rule on the tunnel port takes goes to its representor (dropped and
 *     counted when nobody consumes it), as tc hands it to the vxlan
 *     device's stack.
 *
 * The outer Ethernet header comes from a next-hop cache (struct tun_nh, one
 * entry per outer destination) that the control thread fills from the
 * kernel's routing and neighbour tables in the uplink interface's network
 * namespace (tun_nl.c: rtnetlink through libmnl), or from static `sfnic
 * neigh` entries for uplinks without an interface (pcap, null, memif), and
 * publishes to the workers.  Workers never make a netlink call: a
 * destination they miss is counted, dropped and asked for; the control
 * thread resolves it on its next tick.
 *
 * This header has three parts: packet functions without state (header
 * build and parse, the UDP source port, checksums; any thread), the
 * kernel lookups (control thread only, blocking netlink round trips), and
 * the `link`/`neigh` grammar (words -> objects, objects -> JSON).
 */
#ifndef SFNIC_TUN_H
#define SFNIC_TUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TUN_VXLAN_HLEN 50               /* outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 */
#define TUN_VXLAN_PORT_LINUX 8472       /* Linux's default when dstport is omitted */
#define TUN_VXLAN_PORT_IANA 4789
#define TUN_VPORT_BASE 0x3f000u         /* above every SF vport (< 0x38000) */
#define TUN_MAX_PORTS 256
#define TUN_NAMSIZ 16                   /* IFNAMSIZ */

/* A packet's tunnel metadata: what `tunnel_key set` gives it and decap
 * fills from the outer headers.  Addresses in network order, the rest in
 * host order. */
struct tun_info {
	uint32_t id;            /* VNI, 24 bits */
	uint32_t src_ip, dst_ip;
	uint16_t dst_port;      /* 0: the tunnel port's dstport */
	uint8_t tos, ttl;       /* ttl 0: the route's hop limit */
	uint8_t flags;          /* TUN_F_* */
};
#define TUN_F_PRESENT 1         /* the packet carries tunnel metadata */
#define TUN_F_CSUM 2            /* outer UDP checksum (tunnel_key's default) */
#define TUN_F_DF 4              /* outer DF (tunnel_key nofrag) */

/* The outer Ethernet header for one destination, and whether it is known. */
enum tun_nh_state {
	TUN_NH_VALID = 0,
	TUN_NH_PENDING,         /* asked for, not resolved yet */
	TUN_NH_NO_ROUTE,        /* no route, or not through the uplink */
	TUN_NH_NO_NEIGH,        /* route, but the neighbour is not (yet) reachable */
};
struct tun_nh {
	uint32_t dst_ip;        /* network order */
	uint8_t dmac[6], smac[6];
	uint8_t ttl;            /* the route's hop limit (64 when unknown) */
	uint8_t state;          /* enum tun_nh_state */
	uint16_t rsvd;
};

/* ---- packets (any thread, no state) ---- */

/* Linux's udp_flow_src_port(): the outer UDP source port for an inner-flow
 * hash, in [min, max) (Linux passes ip_local_port_range, 32768..60999 by
 * default, with max exclusive as it computes it). */
static inline uint16_t tun_src_port(uint32_t hash, uint16_t min, uint16_t max)
{
	hash ^= hash << 16;
	return (uint16_t)((((uint64_t)hash * (uint32_t)(max - min)) >> 32) + min);
}

/* A hash of the inner frame's flow: addresses, protocol and ports of IPv4
 * and IPv6 (through one VLAN tag), else the two MAC addresses, as Linux
 * falls back to.  The same flow always gets the same hash (and so the same
 * outer source port, which keeps ECMP and RSS on the far side in order). */
uint32_t tun_inner_hash(const uint8_t *frame, uint32_t len);

/* Writes the TUN_VXLAN_HLEN bytes of outer headers for an inner frame of
 * inner_len bytes that follows them in memory (hdr + TUN_VXLAN_HLEN ==
 * inner): Ethernet from nh, IPv4 from ti (tos with the inner frame's ECN
 * bits as Linux's ip_tunnel_ecn_encap, ttl or nh->ttl, DF with TUN_F_DF,
 * the given IP id, header checksum), UDP from sport and dst_port (the UDP
 * checksum over the whole datagram with TUN_F_CSUM, else 0), and VXLAN
 * flags 0x08 with ti->id. */
void tun_vxlan_build(uint8_t *hdr, const struct tun_nh *nh, const struct tun_info *ti,
		     uint16_t sport, uint16_t dst_port, uint16_t ip_id, uint32_t inner_len);

/* What decap needs from an outer header. */
struct tun_rx {
	struct tun_info ti;     /* id, src_ip, dst_ip, dst_port, tos, ttl; flags PRESENT
				 * (and CSUM when the UDP checksum was set, DF) */
	uint16_t hlen;          /* outer bytes before the inner frame */
	uint16_t len;           /* the inner frame's bytes (the UDP length's
				 * share: what follows it in the frame is not
				 * the inner frame's) */
};

/* The UDP destination port of an untagged, unfragmented IPv4/UDP frame,
 * else 0: the cheap test every uplink frame gets before decap. */
uint16_t tun_udp4_dport(const uint8_t *frame, uint32_t len);

/* Parses a frame tun_udp4_dport() gave a tunnel port's number: 1 with *rx
 * filled, 0 when it is no longer an unfragmented IPv4/UDP frame, -1 when
 * it is broken as VXLAN (lengths, a header other than the I flag and a
 * VNI with reserved bits clear, as Linux's vxlan requires, a bad IPv4
 * header checksum or a bad non-zero UDP checksum).  Bytes after the UDP
 * datagram are not the inner frame's (rx->len).  Checksums are checked
 * here: the outer headers are not seen again. */
int tun_vxlan_parse(const uint8_t *frame, uint32_t len, struct tun_rx *rx);

/* The Internet checksum of n bytes added to sum (not folded, not
 * inverted), and its final fold. */
uint32_t tun_csum_add(const uint8_t *d, size_t n, uint32_t sum);
uint16_t tun_csum_fold(uint32_t sum);

/* ---- the kernel's tables (control thread; blocking netlink) ---- */

/* The uplink's interface: its index in the daemon's namespace, 0 when the
 * uplink has none (pcap, null, memif). */
struct tun_kernel {
	int ifindex;
	uint8_t mac[6];
	uint32_t addrs[16];     /* its IPv4 addresses, network order */
	unsigned naddrs;
	uint16_t port_min, port_max;    /* ip_local_port_range, max exclusive */
};

/* Reads ifname's index, MAC and IPv4 addresses and the namespace's local
 * port range into k.  ifname NULL or "": no interface (ports only).
 * Returns 0 or -errno. */
int tun_kernel_read(const char *ifname, struct tun_kernel *k);

/* Resolves the outer Ethernet header for dst as mlx5 does: a route lookup
 * (RTM_GETROUTE for dst from src, tos), which must leave through
 * k->ifindex; the neighbour of its gateway or of dst (RTM_GETNEIGH), which
 * must be NUD_VALID.  Fills nh (dmac, smac = k->mac, ttl, state) and, when
 * the neighbour is not valid, asks the kernel to resolve it (RTM_NEWNEIGH
 * with NTF_USE, which starts ARP).  Returns 0 when nh->state says what was
 * found (VALID, NO_ROUTE, NO_NEIGH), -errno when netlink failed. */
int tun_resolve(const struct tun_kernel *k, uint32_t dst, uint32_t src, uint8_t tos,
		struct tun_nh *nh, char *why, size_t whylen);

/* ---- the link and neigh grammar ---- */

struct tun_link {
	char name[TUN_NAMSIZ];
	uint32_t vport;         /* TUN_VPORT_BASE + n */
	uint16_t dstport;
	uint8_t external;       /* collect metadata (OVS's vxlan_sys_4789) */
	uint8_t has_id;
	uint32_t id;            /* VNI when not external */
	uint32_t local, remote; /* fixed outer addresses when not external (0: none) */
	uint8_t ttl, tos;
	uint8_t csum;           /* udpcsum (Linux's default) or noudpcsum */
	uint8_t rsvd;
	char dev[TUN_NAMSIZ];   /* dev PHYS as given, "": none */
};

/* Parses the words after "link add": NAME type vxlan [id VNI] [dstport P]
 * [external] [local A] [remote A] [ttl N] [tos N] [udpcsum|noudpcsum]
 * [dev PHYS], in ip-link(8)'s grammar and with its messages.  l->vport is
 * left 0.  A missing dstport gives 8472 and a warning in warn (iproute2's
 * four lines).  Returns 0 or -EINVAL with the message in err. */
int tun_link_parse(int argc, const char *const *argv, struct tun_link *l, char *err,
		   size_t errlen, char *warn, size_t warnlen);

/* A link in the shape of `ip -d -j link show`'s entry (ifname, link_type,
 * linkinfo.info_kind/info_data). */
json_t *tun_link_json(const struct tun_link *l);

/* A static neighbour: `neigh add ADDR lladdr MAC [dev DEV]`. */
struct tun_neigh {
	uint32_t addr;          /* network order */
	uint8_t mac[6];
	uint8_t rsvd[2];
	char dev[TUN_NAMSIZ];
};

/* Parses the words after "neigh add|del": ADDR [lladdr MAC] [dev DEV] [nud
 * permanent] with ip-neighbour(8)'s messages; need_mac for add.  Returns 0
 * or -EINVAL with the message in err. */
int tun_neigh_parse(int argc, const char *const *argv, bool need_mac, struct tun_neigh *n,
		    char *err, size_t errlen);

/* A neighbour in `ip -j neigh show`'s shape (dst, dev, lladdr, state). */
json_t *tun_neigh_json(const struct tun_neigh *n, const char *dev);

#endif
