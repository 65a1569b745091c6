/*
 * nd.h - Linux netdevices for sfnic's ports: TAP devices.
 *
 * A TAP is the host side of a port: what the kernel transmits on the netdev
 * is a frame the datapath reads; a frame the datapath writes is the
 * netdev's receive.  nd gives each TAP a datapath backend (dp_backend) that
 * reads and writes one frame per call on the non-blocking fd; with vnet
 * headers, the writes coalesce trains of TCP segments (nd_gro.h).
 * Creating a TAP needs CAP_NET_ADMIN; nd_probe() says whether this process
 * may.
 */
#ifndef SFNIC_ND_H
#define SFNIC_ND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dp/dp.h"
#include "nd_gro.h"

struct nd_tap;

/* 0 when this process may create TAP netdevs; -EPERM (no CAP_NET_ADMIN)
 * or -ENODEV (no /dev/net/tun) otherwise, with the reason in why. */
int nd_probe(char *why, size_t len);

/* Creates TAP netdev name (at most 15 characters) in the calling thread's
 * network namespace, with hw_addr mac (NULL: the kernel's random one) and
 * MTU mtu.  With vnet, frames carry virtio-net headers and the netdev
 * offers checksum and TSO offloads: TCP moves 64 KiB per read and write
 * (the datapath needs GSO-sized buffers, dp_config.gso).  With nqueues > 1
 * it is a multiqueue TAP (IFF_MULTI_QUEUE): the kernel spreads flows over
 * the queues, one per datapath worker.  It stays
 * administratively down, as a new netdev does.  Returns NULL with a
 * one-line reason in err. */
struct nd_tap *nd_tap_create(const char *name, const uint8_t *mac, uint16_t mtu, bool vnet,
			     unsigned nqueues, char *err, size_t errlen);

/* Wraps an fd that is already a TAP (or any non-blocking fd that carries
 * one frame per read and write, such as a datagram socket); vnet: frames
 * are preceded by a struct virtio_net_hdr.  nd owns the fd afterwards.
 * NULL when out of memory (the fd is then closed). */
struct nd_tap *nd_tap_wrap(int fd, const char *name, bool vnet);

/* The number of queues, and queue q's datapath backend with its ctx. */
unsigned nd_tap_queues(const struct nd_tap *t);
const struct dp_backend *nd_tap_backend(const struct nd_tap *t, unsigned q);
void *nd_tap_ctx(struct nd_tap *t, unsigned q);

/* The receive coalescing counters of all its queues, summed (nd_gro.h):
 * frames written with a vnet header are coalesced whenever they can be. */
void nd_tap_gro_stats(const struct nd_tap *t, struct nd_gro_stats *sum);

/* Sets the carrier (TUNSETCARRIER): the netdev's operstate follows it. */
int nd_tap_set_carrier(struct nd_tap *t, bool on);

/* Sets the hw_addr through the fd, which works wherever the netdev lives. */
int nd_tap_set_mac(struct nd_tap *t, const uint8_t mac[6]);

/* Moves the netdev into network namespace ns: a name under /run/netns
 * (as `ip netns add` makes) or a path such as /proc/PID/ns/net.  Works
 * from whatever namespace the netdev is in.  Returns 0 or -errno with a
 * one-line reason in err. */
int nd_tap_move_netns(struct nd_tap *t, const char *ns, char *err, size_t errlen);

/* Opens network namespace ns (see nd_tap_move_netns).  Returns an fd or
 * -errno. */
int nd_netns_open(const char *ns);

/* Closes the fd (the netdev disappears, from whatever namespace it is in,
 * unless another process holds it) and frees t. */
void nd_tap_destroy(struct nd_tap *t);

#endif
