/*
 * esw_key.c - a frame's flow key, as the kernel's flow dissector fills
 * flower's: up to two VLAN tags, IPv4, IPv6 through its extension headers,
 * ARP, and the L4 fields of TCP, UDP, SCTP, ICMP and ICMPv6.
 *
 * Every read is bounded by the frame's length: a header that does not fit
 * leaves its fields (and those after it) zero, as a short frame carries
 * nothing to match.  Fragments: ip_flags says fragment / first fragment;
 * only a first fragment has L4 fields (later ones carry no L4 header).
 */
#include "esw.h"

#include <string.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_ARP 0x0806
#define ETH_P_RARP 0x8035
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8

/* IPv6 extension headers walked to find the L4 header, as the kernel's
 * dissector walks them (AH and ESP end the walk: they are the protocol). */
#define NH_HOP 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_DEST 60
#define MAX_EXT_HDRS 8          /* a longer chain is an attack, not a packet */

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline bool is_vlan(uint16_t type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD;
}

/* L4 fields from the header at off (the frame holds len bytes). */
static void l4(const uint8_t *p, uint32_t len, uint32_t off, struct esw_key *k)
{
	switch (k->ip_proto) {
	case 6:         /* TCP */
		if (len >= off + 14)
			k->tcp_flags = (uint16_t)(be16(p + off + 12) & 0x0fff);
		/* fall through */
	case 17:        /* UDP */
	case 132:       /* SCTP */
		if (len >= off + 4) {
			k->src_port = be16(p + off);
			k->dst_port = be16(p + off + 2);
		}
		break;
	case 1:         /* ICMP */
	case 58:        /* ICMPv6 */
		if (len >= off + 2) {
			k->icmp_type = p[off];
			k->icmp_code = p[off + 1];
		}
		break;
	}
}

static void ipv4(const uint8_t *p, uint32_t len, uint32_t off, struct esw_key *k)
{
	uint32_t ihl;
	uint16_t frag;

	if (len < off + 20 || p[off] >> 4 != 4)
		return;
	ihl = (p[off] & 0xfu) * 4u;
	if (ihl < 20 || len < off + ihl)
		return;
	k->ip_tos = p[off + 1];
	k->ip_ttl = p[off + 8];
	k->ip_proto = p[off + 9];
	memcpy(&k->src_ip, p + off + 12, 4);
	memcpy(&k->dst_ip, p + off + 16, 4);
	frag = be16(p + off + 6);
	if (frag & 0x3fff) {            /* MF or an offset */
		k->ip_flags = ESW_IPF_FRAG;
		if (frag & 0x1fff)
			return;         /* not the first: no L4 header */
		k->ip_flags |= ESW_IPF_FIRSTFRAG;
	}
	l4(p, len, off + ihl, k);
}

static void ipv6(const uint8_t *p, uint32_t len, uint32_t off, struct esw_key *k)
{
	uint8_t nh;

	if (len < off + 40 || p[off] >> 4 != 6)
		return;
	k->ip_tos = (uint8_t)(be16(p + off) >> 4);
	k->ip_ttl = p[off + 7];
	memcpy(k->src_ip6, p + off + 8, 16);
	memcpy(k->dst_ip6, p + off + 24, 16);
	nh = p[off + 6];
	off += 40;
	for (unsigned n = 0; n < MAX_EXT_HDRS; n++) {
		if (nh == NH_FRAGMENT) {
			if (len < off + 8)
				break;
			k->ip_flags = ESW_IPF_FRAG;
			nh = p[off];
			if (be16(p + off + 2) & 0xfff8) {
				k->ip_proto = nh;
				return; /* not the first: no L4 header */
			}
			k->ip_flags |= ESW_IPF_FIRSTFRAG;
			off += 8;
		} else if (nh == NH_HOP || nh == NH_ROUTING || nh == NH_DEST) {
			uint32_t hlen;

			if (len < off + 2)
				break;
			hlen = (p[off + 1] + 1u) * 8u;
			if (len < off + hlen)
				break;  /* the header is not all there */
			nh = p[off];
			off += hlen;
		} else {
			break;
		}
	}
	/* A chain cut short (truncated, or too long) leaves the header it
	 * stopped at as the protocol and no L4 fields. */
	k->ip_proto = nh;
	if (nh != NH_HOP && nh != NH_ROUTING && nh != NH_DEST && nh != NH_FRAGMENT)
		l4(p, len, off, k);
}

/* ARP and RARP for IPv4 over Ethernet only, as flower matches them. */
static void arp(const uint8_t *p, uint32_t len, uint32_t off, struct esw_key *k)
{
	if (len < off + 28 || be16(p + off) != 1 || be16(p + off + 2) != ETH_P_IP ||
	    p[off + 4] != 6 || p[off + 5] != 4)
		return;
	k->arp_op = p[off + 7];         /* flower keeps the opcode's low byte */
	memcpy(k->arp_sha, p + off + 8, 6);
	memcpy(&k->src_ip, p + off + 14, 4);
	memcpy(k->arp_tha, p + off + 18, 6);
	memcpy(&k->dst_ip, p + off + 24, 4);
}

int esw_key_extract(const uint8_t *p, uint32_t len, struct esw_key *k)
{
	uint32_t off = 14;
	uint16_t type;

	memset(k, 0, sizeof(*k));
	if (len < 14)
		return -1;
	memcpy(k->dst_mac, p, 6);
	memcpy(k->src_mac, p + 6, 6);
	type = be16(p + 12);
	k->eth_type = type;
	if (is_vlan(type)) {
		if (len < off + 4)
			return 0;
		k->vlan_tci = be16(p + off);
		type = be16(p + off + 2);
		k->vlan_ethtype = type;
		off += 4;
		if (is_vlan(type)) {
			if (len < off + 4)
				return 0;
			k->cvlan_tci = be16(p + off);
			type = be16(p + off + 2);
			k->cvlan_ethtype = type;
			off += 4;
		}
	}
	switch (type) {
	case ETH_P_IP:
		ipv4(p, len, off, k);
		break;
	case ETH_P_IPV6:
		ipv6(p, len, off, k);
		break;
	case ETH_P_ARP:
	case ETH_P_RARP:
		arp(p, len, off, k);
		break;
	}
	return 0;
}
