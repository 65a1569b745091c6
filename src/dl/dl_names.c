/*
 * dl_names.c - phys_port_name, netdev names and their short aliases.
 *
 * Representors are named "<dev>n<phys_port_name>" and SF netdevs
 * "<dev>S<sfnum>".  Linux netdev names hold at most 15 characters, so a name
 * that would not fit falls back to an alias: the prefix plus hex digits of a
 * 64-bit FNV-1a hash of a key that identifies the port (the idea of seed
 * 001's mdev alias, which used a truncated SHA-1 of the UUID).  The alias is
 * stored with the port, so it never changes; a collision with a name in use
 * re-hashes with a salt instead of failing.
 */
#include "dl_internal.h"

#include <ctype.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

int dl_phys_port_name(const struct dl_port *p, char *buf, size_t len)
{
	int n;

	switch (p->flavour) {
	case DL_FLAVOUR_PHYSICAL:
		n = snprintf(buf, len, "p%u", 0u);
		break;
	case DL_FLAVOUR_PCI_PF:
		n = snprintf(buf, len, "pf%u", p->pfnum);
		break;
	case DL_FLAVOUR_PCI_SF:
		/* The controller prefix appears only for external ports. */
		if (p->controller)
			n = snprintf(buf, len, "c%upf%usf%u", p->controller, p->pfnum,
				     p->sfnum);
		else
			n = snprintf(buf, len, "pf%usf%u", p->pfnum, p->sfnum);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

/* The kernel's dev_valid_name(). */
bool dl_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= DL_IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *c = name; *c; c++)
		if (*c == '/' || *c == ':' || isspace((unsigned char)*c) ||
		    !isprint((unsigned char)*c))
			return false;
	return true;
}

static uint64_t fnv1a(const char *s, uint32_t salt)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 4; i++) {
		h ^= (salt >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

void dl_name_derive(struct dl *dl, const char *prefix, char kind, const char *suffix,
		    const char *hash_key, char out[DL_IFNAMSIZ])
{
	char pre[DL_IFNAMSIZ];
	size_t digits;
	int n;

	n = snprintf(out, DL_IFNAMSIZ, "%s%c%s", prefix, kind, suffix);
	if (n > 0 && n < DL_IFNAMSIZ && !dl_name_find(dl, out))
		return;
	/* "<prefix><kind>" and at least 8 hex digits (32 bits) of hash. */
	snprintf(pre, sizeof(pre), "%.*s%c", DL_IFNAMSIZ - 2 - 8, prefix, kind);
	digits = DL_IFNAMSIZ - 1 - strlen(pre);
	for (uint32_t salt = 0;; salt++) {
		uint64_t h = fnv1a(hash_key, salt);

		snprintf(out, DL_IFNAMSIZ, "%s%0*llx", pre, (int)digits,
			 (unsigned long long)(h & (digits >= 16 ? ~0ull
							       : (1ull << (4 * digits)) - 1)));
		if (!dl_name_find(dl, out))
			return;
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dl_name *)a)->name,
		      ((const struct dl_name *)b)->name);
}

struct dl_name *dl_name_find(struct dl *dl, const char *name)
{
	struct dl_name probe = { .name = name };
	void **slot = tfind(&probe, &dl->names, name_cmp);

	return slot ? *slot : NULL;
}

int dl_name_reserve(struct dl *dl, const char *name, struct dl_port *p, bool is_sf)
{
	struct dl_name *n;
	void **slot;

	if (!name[0])
		return 0;
	if (dl_name_find(dl, name))
		return -EEXIST;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = (struct dl_name){ .name = name, .port = p, .is_sf = is_sf };
	slot = tsearch(n, &dl->names, name_cmp);
	if (!slot) {
		free(n);
		return -ENOMEM;
	}
	return 0;
}

void dl_name_release(struct dl *dl, const char *name)
{
	struct dl_name *n = dl_name_find(dl, name);

	if (!n)
		return;
	tdelete(n, &dl->names, name_cmp);
	free(n);
}

void dl_names_destroy(struct dl *dl)
{
	tdestroy(dl->names, free);
	dl->names = NULL;
}
