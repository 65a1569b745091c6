/*
 * nd_gro.h - receive coalescing (software GRO) for frames written into a
 * TAP with virtio-net headers.
 *
 * A frame the datapath writes into a TAP is a frame the netdev receives.
 * Segments that arrived one by one (from an uplink, out of a VXLAN tunnel)
 * would each become an skb the receiving TCP stack handles on its own.  A
 * NIC's GRO hands the stack one super-frame per train instead; nd does the
 * same within each burst it writes: consecutive TCP segments of one flow
 * become one frame written with a virtio_net_hdr that says TCPV4/TCPV6 GSO
 * with the segments' MSS and a checksum left to offload (NEEDS_CSUM, the
 * TCP field holding the pseudo-header sum), as a TSO sender's frame looks.
 * The kernel then treats it as it treats a GRO skb: delivered whole, or
 * segmented again if it is forwarded.
 *
 * What merges is exactly what Linux's tcp_gro_receive/inet_gro_receive and
 * ipv6_gro_receive merge, a little stricter (no FIN, no CWR, no IPv6
 * extension headers, no VLAN tag): same Ethernet header, addresses and
 * ports; IPv4 without options or fragmentation, equal TOS, TTL and DF, IP
 * IDs counting up by one from the first (or, with DF, all equal); IPv6
 * with equal traffic class, flow label and hop limit; TCP with equal ACK
 * number, window, header length, options bytes and flags, none of
 * SYN/FIN/RST/URG/CWR, PSH only on the last segment; contiguous sequence
 * numbers; every segment but the last exactly as long as the first, the
 * last no longer; at most 64 KiB of IP datagram.
 *
 * Checksums: the kernel will not check a NEEDS_CSUM frame's payload, so a
 * segment merges only when its bytes are known good: either its TCP
 * checksum is verified here (a complete frame), or it is itself a frame
 * whose checksum was left to offload by a local sender (DP_OL_NEEDS_CSUM on
 * the TCP field), which the kernel would take unverified anyway.  A
 * segment with a bad checksum, or anything else that does not fit, is
 * written as it came and ends the train.
 *
 * Pure functions on caller memory: no allocation, any thread.
 */
#ifndef SFNIC_ND_GRO_H
#define SFNIC_ND_GRO_H

#include <linux/virtio_net.h>
#include <stdint.h>

#include "../dp/dp.h"

/* Ethernet + IPv6 + TCP with 40 bytes of options. */
#define ND_GRO_HDR_MAX 128u
/* Segments in one merged frame: a burst's worth. */
#define ND_GRO_MAX_SEGS DP_BURST

/* One frame of a burst as the coalescer sees it. */
struct nd_gro_in {
	const uint8_t *data;
	uint16_t len;
	struct dp_offload ol;   /* what the frame still asks of offload */
};

/* A merged frame: its virtio-net header and its headers; the payload is
 * each segment's bytes from hdr_len on, in order. */
struct nd_gro_out {
	struct virtio_net_hdr vh;
	uint16_t hdr_len;
	uint8_t hdr[ND_GRO_HDR_MAX];
};

/* Coalescing counters of one TAP queue (written by its worker). */
struct nd_gro_stats {
	uint64_t frames;        /* merged frames written */
	uint64_t segments;      /* segments they carried */
};

/* Looks at in[0..n) and returns how many leading frames make the next
 * frame to write: 1 (write in[0] as it is; out is untouched) or k >= 2
 * (out holds the merged frame's virtio-net header and headers, and its
 * payload is in[j].data + out->hdr_len for j < k).  n == 0 returns 0. */
unsigned nd_gro_merge(const struct nd_gro_in *in, unsigned n, struct nd_gro_out *out);

#endif
