/*
 * ct_parse.c - a frame's connection tuple: IPv4 and IPv6 (extension headers
 * skipped), TCP/UDP/UDP-Lite/SCTP/DCCP ports, ICMP and ICMPv6 queries by
 * identifier and type, and the embedded packet of an ICMP error.
 */
#include "ct_internal.h"

#include <stdbool.h>

/* Protocols whose first four L4 bytes are the ports. */
static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 136 || proto == 132 || proto == 33;
}

/* ICMP query types and their replies (the kernel's invmap). */
static int icmp_inverse(uint8_t family, uint8_t type, bool *is_request)
{
	static const uint8_t v4[][2] = { { 8, 0 }, { 13, 14 }, { 15, 16 }, { 17, 18 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 139, 140 } };
	const uint8_t(*m)[2] = family == 4 ? v4 : v6;
	unsigned n = family == 4 ? 4 : 2;

	for (unsigned i = 0; i < n; i++) {
		if (m[i][0] == type) {
			*is_request = true;
			return m[i][1];
		}
		if (m[i][1] == type) {
			*is_request = false;
			return m[i][0];
		}
	}
	return -1;
}

static bool icmp_is_error(uint8_t family, uint8_t type)
{
	if (family == 4)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

/* IPv6 ND and MLD, which the kernel's conntrack leaves untracked. */
static bool icmp6_untracked(uint8_t type)
{
	return (type >= 130 && type <= 137) || type == 143;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The L3 header at off and what follows.  inner: the packet embedded in an
 * ICMP error, of which only 8 bytes of L4 are promised and which must not
 * itself be an error.  Returns the kind.
 */
static uint8_t parse_l3(const uint8_t *f, uint32_t len, uint32_t off, uint16_t type,
			bool inner, struct ct_pkt *p)
{
	struct ct_tuple *k = &p->k;
	uint32_t l4;
	uint8_t proto;

	if (type == 0x0800) {
		uint32_t ihl;

		if (len < off + 20 || f[off] >> 4 != 4)
			return CT_PKT_INVALID;
		ihl = (f[off] & 0xfu) * 4;
		if (ihl < 20 || len < off + ihl)
			return CT_PKT_INVALID;
		/* A later fragment has no L4 header; the kernel reassembles
		 * first, we do not. */
		if ((rd16(f + off + 6) & 0x1fff) != 0)
			return CT_PKT_INVALID;
		k->family = 4;
		proto = f[off + 9];
		memcpy(k->src, f + off + 12, 4);
		memcpy(k->dst, f + off + 16, 4);
		l4 = off + ihl;
	} else if (type == 0x86dd) {
		if (len < off + 40 || f[off] >> 4 != 6)
			return CT_PKT_INVALID;
		k->family = 6;
		proto = f[off + 6];
		memcpy(k->src, f + off + 8, 16);
		memcpy(k->dst, f + off + 24, 16);
		l4 = off + 40;
		for (unsigned n = 0; n < 8; n++) {
			if (proto == 0 || proto == 43 || proto == 60) {
				if (len < l4 + 8)
					return CT_PKT_INVALID;
				proto = f[l4];
				l4 += (f[l4 + 1] + 1u) * 8;
			} else if (proto == 51) {       /* AH: length in 4-byte units */
				if (len < l4 + 8)
					return CT_PKT_INVALID;
				proto = f[l4];
				l4 += (f[l4 + 1] + 2u) * 4;
			} else if (proto == 44) {
				if (len < l4 + 8)
					return CT_PKT_INVALID;
				if (rd16(f + l4 + 2) & 0xfff8)
					return CT_PKT_INVALID;
				proto = f[l4];
				l4 += 8;
			} else {
				break;
			}
		}
		if (l4 > len)
			return CT_PKT_INVALID;
	} else {
		return CT_PKT_UNTRACKED;
	}
	k->proto = proto;
	if (has_ports(proto)) {
		if (proto == 6 && !inner) {
			uint8_t fl;

			if (len < l4 + 20 || (f[l4 + 12] >> 4) < 5)
				return CT_PKT_INVALID;
			fl = f[l4 + 13];
			if (fl & 0x04)
				p->tcp_idx = CT_TCP_RST;
			else if (fl & 0x02)
				p->tcp_idx = fl & 0x10 ? CT_TCP_SYNACK : CT_TCP_SYN;
			else if (fl & 0x01)
				p->tcp_idx = CT_TCP_FIN;
			else if (fl & 0x10)
				p->tcp_idx = CT_TCP_ACK;
			else
				p->tcp_idx = CT_TCP_NOFLAGS;
		} else if (len < l4 + 8) {
			return CT_PKT_INVALID;
		}
		k->sport = rd16(f + l4);
		k->dport = rd16(f + l4 + 2);
		return CT_PKT_TRACK;
	}
	if ((proto == 1 && k->family == 4) || (proto == 58 && k->family == 6)) {
		bool req;

		if (len < l4 + 8)
			return CT_PKT_INVALID;
		if (!inner && proto == 58 && icmp6_untracked(f[l4]))
			return CT_PKT_UNTRACKED;
		if (icmp_is_error(k->family, f[l4])) {
			uint16_t itype = k->family == 4 ? 0x0800 : 0x86dd;

			if (inner)
				return CT_PKT_INVALID;  /* an error about an error */
			memset(k, 0, sizeof(*k));
			if (parse_l3(f, len, l4 + 8, itype, true, p) !=
			    CT_PKT_TRACK)
				return CT_PKT_INVALID;
			return CT_PKT_ICMP_ERROR;
		}
		if (icmp_inverse(k->family, f[l4], &req) < 0)
			return CT_PKT_INVALID;  /* no query the kernel tracks */
		p->icmp_query = req ? 1 : 2;
		k->sport = rd16(f + l4 + 4);    /* identifier */
		k->dport = (uint16_t)(f[l4] << 8 | f[l4 + 1]);
		return CT_PKT_TRACK;
	}
	return CT_PKT_TRACK;    /* by addresses alone */
}

void ct_parse(const uint8_t *f, uint32_t len, struct ct_pkt *p)
{
	uint32_t off = 14;
	uint16_t type;

	memset(p, 0, sizeof(*p));
	if (len < 14) {
		p->kind = CT_PKT_UNTRACKED;
		return;
	}
	type = rd16(f + 12);
	for (unsigned n = 0; n < 2 && (type == 0x8100 || type == 0x88a8); n++) {
		if (len < off + 4) {
			p->kind = CT_PKT_UNTRACKED;
			return;
		}
		type = rd16(f + off + 2);
		off += 4;
	}
	p->kind = parse_l3(f, len, off, type, false, p);
}

void ct_tuple_invert(const struct ct_tuple *in, struct ct_tuple *out)
{
	*out = *in;
	memcpy(out->src, in->dst, 16);
	memcpy(out->dst, in->src, 16);
	if (has_ports(in->proto)) {
		out->sport = in->dport;
		out->dport = in->sport;
	} else if ((in->proto == 1 && in->family == 4) || (in->proto == 58 && in->family == 6)) {
		bool req;
		int t = icmp_inverse(in->family, (uint8_t)(in->dport >> 8), &req);

		if (t >= 0)
			out->dport = (uint16_t)(t << 8 | (in->dport & 0xff));
	}
}
