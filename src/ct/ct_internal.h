/* ct_internal.h - what ct.c and ct_parse.c share: a parsed packet and the
 * tuple hash. */
#ifndef SFNIC_CT_INTERNAL_H
#define SFNIC_CT_INTERNAL_H

#include "ct.h"

#include <string.h>

/* What ct_parse found in a frame. */
enum ct_pkt_kind {
	CT_PKT_UNTRACKED,       /* not IP, or IPv6 ND/MLD (the kernel leaves them untracked) */
	CT_PKT_INVALID,         /* truncated, or a fragment after the first */
	CT_PKT_TRACK,           /* k is the packet's tuple */
	CT_PKT_ICMP_ERROR,      /* k is the embedded packet's tuple, as it travelled */
};

/* TCP segment classes, the kernel's get_conntrack_index order. */
enum ct_tcp_idx { CT_TCP_SYN, CT_TCP_SYNACK, CT_TCP_FIN, CT_TCP_ACK, CT_TCP_RST, CT_TCP_NOFLAGS };

struct ct_pkt {
	struct ct_tuple k;      /* zone is left 0: the action's zone is the caller's */
	uint8_t kind;           /* enum ct_pkt_kind */
	uint8_t tcp_idx;        /* enum ct_tcp_idx, for TCP */
	uint8_t icmp_query;     /* 1: an ICMP request type (may create), 2: a reply type */
};

_Static_assert(sizeof(struct ct_tuple) == 40, "a tuple is five words");

/* Parses an Ethernet frame (up to two VLAN tags) into p.  Never reads past
 * len. */
void ct_parse(const uint8_t *frame, uint32_t len, struct ct_pkt *p);

/* The tuple of the other direction. */
void ct_tuple_invert(const struct ct_tuple *in, struct ct_tuple *out);

/* Five independent multiplies and one avalanche, as esw_key_hash. */
static inline uint64_t ct_tuple_hash(const struct ct_tuple *t)
{
	uint64_t w[5], h;

	memcpy(w, t, sizeof(w));
	h = (w[0] * 0x9e3779b97f4a7c15ull) ^ (w[1] * 0xc2b2ae3d27d4eb4full) ^
	    (w[2] * 0x165667b19e3779f9ull) ^ (w[3] * 0xd6e8feb86659fd93ull) ^
	    (w[4] * 0xff51afd7ed558ccdull);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

#endif
