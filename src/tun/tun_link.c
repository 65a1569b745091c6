/*
 * tun_link.c - `link add NAME type vxlan ...` and `neigh add ADDR lladdr
 * MAC` in ip(8)'s grammar and words, and their JSON in ip -j's shapes.
 */
#include "tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* iproute2's matches(): the word is a prefix of the keyword. */
static bool matches(const char *word, const char *key)
{
	size_t n = strlen(word);

	return n && !strncmp(word, key, n);
}

static int errf(char *err, size_t n, const char *fmt, const char *a, const char *b)
{
	snprintf(err, n, fmt, a, b);
	return -EINVAL;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* An IPv4 unicast address (not multicast, not any). */
static bool parse_ucast(const char *s, uint32_t *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return false;
	*a = in.s_addr;
	return *a && (ntohl(*a) >> 28) != 14;
}

#define SEEN(bit) do { \
		if (seen & (1u << (bit))) \
			return errf(err, errlen, "duplicate \"%s\": \"%s\" is the second value.", \
				    kw, argv[i]); \
		seen |= 1u << (bit); \
	} while (0)
#define NEXT() do { \
		if (++i >= argc) \
			return errf(err, errlen, "Command line is not complete. Try option \"help\"%s%s", \
				    "", ""); \
	} while (0)

int tun_link_parse(int argc, const char *const *argv, struct tun_link *l, char *err,
		   size_t errlen, char *warn, size_t warnlen)
{
	unsigned seen = 0;
	bool port = false;
	int i = 0;

	memset(l, 0, sizeof(*l));
	l->csum = 1;
	if (warn && warnlen)
		warn[0] = 0;
	/* ip link add [name] NAME type vxlan ... */
	if (i < argc && !strcmp(argv[i], "name"))
		i++;
	if (i >= argc || !strcmp(argv[i], "type"))
		return errf(err, errlen, "Not enough information: \"dev\" argument is required.%s%s",
			    "", "");
	if (strlen(argv[i]) >= TUN_NAMSIZ)
		return errf(err, errlen, "argument \"%s\" is wrong: \"name\" not a valid ifname%s",
			    argv[i], "");
	if (strchr(argv[i], '/') || strchr(argv[i], ' ') || !strcmp(argv[i], ".") ||
	    !strcmp(argv[i], ".."))
		return errf(err, errlen, "argument \"%s\" is wrong: \"name\" not a valid ifname%s",
			    argv[i], "");
	snprintf(l->name, sizeof(l->name), "%s", argv[i++]);
	if (i >= argc || strcmp(argv[i], "type") || i + 1 >= argc)
		return errf(err, errlen, "a link type is required: type vxlan%s%s", "", "");
	if (strcmp(argv[i + 1], "vxlan"))
		return errf(err, errlen, "Unknown device type \"%s\" (sfnic has vxlan).%s",
			    argv[i + 1], "");
	for (i += 2; i < argc; i++) {
		const char *kw = argv[i];
		uint32_t v;

		if (matches(kw, "id") || matches(kw, "vni")) {
			NEXT();
			SEEN(0);
			if (!parse_u32(argv[i], &v) || v >= 1u << 24)
				return errf(err, errlen, "argument \"%s\" is wrong: invalid id%s",
					    argv[i], "");
			l->id = v;
			l->has_id = 1;
		} else if (matches(kw, "remote")) {
			NEXT();
			SEEN(1);
			if (!parse_ucast(argv[i], &l->remote))
				return errf(err, errlen,
					    "argument \"%s\" is wrong: invalid remote address%s",
					    argv[i], "");
		} else if (matches(kw, "local")) {
			NEXT();
			SEEN(2);
			if (!parse_ucast(argv[i], &l->local))
				return errf(err, errlen,
					    "argument \"%s\" is wrong: invalid local address%s",
					    argv[i], "");
		} else if (matches(kw, "dev")) {
			NEXT();
			SEEN(3);
			snprintf(l->dev, sizeof(l->dev), "%s", argv[i]);
		} else if (matches(kw, "ttl") || matches(kw, "hoplimit")) {
			NEXT();
			SEEN(4);
			if (strcmp(argv[i], "inherit") && strcmp(argv[i], "auto")) {
				if (!parse_u32(argv[i], &v))
					return errf(err, errlen,
						    "argument \"%s\" is wrong: invalid TTL%s",
						    argv[i], "");
				if (v > 255)
					return errf(err, errlen,
						    "argument \"%s\" is wrong: TTL must be <= 255%s",
						    argv[i], "");
				l->ttl = (uint8_t)v;
			}
		} else if (matches(kw, "tos") || matches(kw, "dsfield")) {
			NEXT();
			SEEN(5);
			if (!strcmp(argv[i], "inherit"))
				return errf(err, errlen,
					    "argument \"%s\" is wrong: tos inherit is not supported by sfnic%s",
					    argv[i], "");
			if (!parse_u32(argv[i], &v) || v > 255)
				return errf(err, errlen, "argument \"%s\" is wrong: bad TOS value%s",
					    argv[i], "");
			l->tos = (uint8_t)v;
		} else if (matches(kw, "dstport")) {
			NEXT();
			SEEN(6);
			if (!parse_u32(argv[i], &v) || v > 65535)
				return errf(err, errlen, "argument \"%s\" is wrong: dst port%s",
					    argv[i], "");
			/* dstport 0: the kernel's default, quietly. */
			l->dstport = v ? (uint16_t)v : TUN_VXLAN_PORT_LINUX;
			port = true;
		} else if (!strcmp(kw, "udpcsum") || !strcmp(kw, "noudpcsum")) {
			SEEN(7);
			l->csum = kw[0] == 'u';
		} else if (!strcmp(kw, "external") || !strcmp(kw, "noexternal")) {
			SEEN(8);
			l->external = kw[0] == 'e';
		} else if (!strcmp(kw, "nolearning") || !strcmp(kw, "learning")) {
			/* sfnic learns nothing: addresses come from rules. */
			if (kw[0] == 'l')
				return errf(err, errlen,
					    "argument \"%s\" is wrong: learning is not supported by sfnic%s",
					    kw, "");
		} else if (matches(kw, "help")) {
			return errf(err, errlen,
				    "Usage: ... vxlan { id VNI | external } [ dstport PORT ] [ remote ADDR ]\n"
				    "                 [ local ADDR ] [ ttl TTL ] [ tos TOS ] [ [no]udpcsum ]\n"
				    "                 [ dev PHYS_DEV ]%s%s", "", "");
		} else {
			return errf(err, errlen, "vxlan: unknown command \"%s\"?%s", kw, "");
		}
	}
	if (l->external && l->has_id)
		return errf(err, errlen, "vxlan: both 'external' and vni cannot be specified%s%s", "",
			    "");
	if (!l->external && !l->has_id)
		return errf(err, errlen, "vxlan: missing virtual network identifier%s%s", "", "");
	if (!port) {
		l->dstport = TUN_VXLAN_PORT_LINUX;
		if (warn)
			snprintf(warn, warnlen,
				 "vxlan: destination port not specified\n"
				 "Will use Linux kernel default (non-standard value)\n"
				 "Use 'dstport 4789' to get the IANA assigned value\n"
				 "Use 'dstport 0' to get default and quiet this message");
	}
	return 0;
}

static json_t *ip_json(uint32_t a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	return json_string(s);
}

json_t *tun_link_json(const struct tun_link *l)
{
	json_t *data = json_object(), *o;

	if (l->external) {
		json_object_set_new(data, "external", json_true());
	} else {
		json_object_set_new(data, "id", json_integer(l->id));
		if (l->remote)
			json_object_set_new(data, "remote", ip_json(l->remote));
		if (l->local)
			json_object_set_new(data, "local", ip_json(l->local));
	}
	if (l->dev[0])
		json_object_set_new(data, "link", json_string(l->dev));
	json_object_set_new(data, "port", json_integer(l->dstport));
	if (l->tos)
		json_object_set_new(data, "tos", json_sprintf("0x%x", l->tos));
	json_object_set_new(data, "ttl", json_integer(l->ttl));
	json_object_set_new(data, "udp_csum", json_boolean(l->csum));
	o = json_pack("{s:I,s:s,s:i,s:s,s:{s:s,s:o}}", "ifindex", (json_int_t)l->vport, "ifname",
		      l->name, "mtu", 1450, "link_type", "ether", "linkinfo", "info_kind", "vxlan",
		      "info_data", data);
	return o;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return false;
		mac[i] = (uint8_t)b[i];
	}
	return true;
}

int tun_neigh_parse(int argc, const char *const *argv, bool need_mac, struct tun_neigh *n,
		    char *err, size_t errlen)
{
	bool have_addr = false, have_mac = false;

	memset(n, 0, sizeof(*n));
	for (int i = 0; i < argc; i++) {
		const char *kw = argv[i];
		unsigned seen = 0;

		(void)seen;
		if (!strcmp(kw, "lladdr")) {
			if (++i >= argc)
				return errf(err, errlen, "Command line is not complete. Try option \"help\"%s%s",
					    "", "");
			if (!parse_mac(argv[i], n->mac))
				return errf(err, errlen, "\"%s\" is invalid lladdr.%s", argv[i], "");
			have_mac = true;
		} else if (!strcmp(kw, "dev")) {
			if (++i >= argc)
				return errf(err, errlen, "Command line is not complete. Try option \"help\"%s%s",
					    "", "");
			snprintf(n->dev, sizeof(n->dev), "%s", argv[i]);
		} else if (!strcmp(kw, "nud")) {
			if (++i >= argc)
				return errf(err, errlen, "Command line is not complete. Try option \"help\"%s%s",
					    "", "");
			if (strcmp(argv[i], "permanent") && strcmp(argv[i], "noarp"))
				return errf(err, errlen,
					    "argument \"%s\" is wrong: nud state (sfnic keeps permanent entries)%s",
					    argv[i], "");
		} else if (!strcmp(kw, "to") || !have_addr) {
			struct in_addr in;
			const char *a = !strcmp(kw, "to") && i + 1 < argc ? argv[++i] : kw;

			if (have_addr)
				return errf(err, errlen, "either \"to\" is duplicate, or \"%s\" is a garbage.%s",
					    a, "");
			if (inet_pton(AF_INET, a, &in) != 1) {
				if (strchr(a, ':'))
					return errf(err, errlen,
						    "IPv6 neighbours are not supported by sfnic (IPv4 outer only): \"%s\".%s",
						    a, "");
				return errf(err, errlen, "an inet address is expected rather than \"%s\".%s",
					    a, "");
			}
			n->addr = in.s_addr;
			have_addr = true;
		} else {
			return errf(err, errlen, "either \"to\" is duplicate, or \"%s\" is a garbage.%s",
				    kw, "");
		}
	}
	if (!have_addr)
		return errf(err, errlen, "Device and destination are required arguments.%s%s", "", "");
	if (need_mac && !have_mac)
		return errf(err, errlen, "lladdr is required for a neighbour of sfnic (no ARP of its own).%s%s",
			    "", "");
	return 0;
}

json_t *tun_neigh_json(const struct tun_neigh *n, const char *dev)
{
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2],
		 n->mac[3], n->mac[4], n->mac[5]);
	return json_pack("{s:o,s:s,s:s,s:[s]}", "dst", ip_json(n->addr), "dev", dev, "lladdr", mac,
			 "state", "PERMANENT");
}
