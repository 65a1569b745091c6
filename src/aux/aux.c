/*
 * aux.c - auxiliary bus: device registry, name matching, bind/unbind, ids.
 */
#include "aux.h"

#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define AUX_MAX_DRIVERS 16
#define AUX_ID_MAX (1u << 20)

struct aux_bus {
	struct aux_device *head, *tail;
	void *by_name;                       /* tsearch tree of aux_device* */
	const struct aux_driver *drivers[AUX_MAX_DRIVERS];
	unsigned ndrivers;
	uint64_t *id_bits;                   /* bit set = id in use */
	uint32_t id_words;
	uint32_t id_hint;                    /* no free id below this */
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct aux_device *)a)->name,
		      ((const struct aux_device *)b)->name);
}

struct aux_bus *aux_bus_create(void)
{
	struct aux_bus *bus = calloc(1, sizeof(*bus));

	if (bus)
		bus->id_hint = 1; /* ids start at 1, as mlx5's SF aux ids do */
	return bus;
}

static void no_free(void *p) { (void)p; }

void aux_bus_destroy(struct aux_bus *bus)
{
	if (!bus)
		return;
	tdestroy(bus->by_name, no_free);
	free(bus->id_bits);
	free(bus);
}

void aux_match_name(const struct aux_device *adev, char *buf, size_t len)
{
	const char *dot = strrchr(adev->name, '.');
	size_t n = dot ? (size_t)(dot - adev->name) : strlen(adev->name);

	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, adev->name, n);
	buf[n] = 0;
}

static bool drv_matches(const struct aux_driver *drv, const char *match)
{
	for (const char *const *id = drv->id_table; id && *id; id++)
		if (!strcmp(*id, match))
			return true;
	return false;
}

static int probe_one(struct aux_device *adev, const struct aux_driver *drv,
		     const char *match)
{
	int err;

	adev->driver = drv; /* visible to probe, as dev->driver is */
	err = drv->probe(adev, match);
	if (err)
		adev->driver = NULL;
	return err;
}

static void autoprobe(struct aux_bus *bus, struct aux_device *adev)
{
	char match[AUX_NAME_SIZE];

	if (adev->driver || adev->no_autoprobe)
		return;
	aux_match_name(adev, match, sizeof(match));
	for (unsigned i = 0; i < bus->ndrivers; i++)
		if (drv_matches(bus->drivers[i], match) &&
		    probe_one(adev, bus->drivers[i], match) == 0)
			return;
}

int aux_driver_register(struct aux_bus *bus, const struct aux_driver *drv)
{
	for (unsigned i = 0; i < bus->ndrivers; i++)
		if (!strcmp(bus->drivers[i]->name, drv->name))
			return -EEXIST;
	if (bus->ndrivers == AUX_MAX_DRIVERS)
		return -ENOSPC;
	bus->drivers[bus->ndrivers++] = drv;
	for (struct aux_device *a = bus->head; a; a = a->next)
		autoprobe(bus, a);
	return 0;
}

static bool valid_part(const char *s)
{
	return s && *s && !strchr(s, '.') && !strchr(s, '/');
}

int aux_device_init(struct aux_device *adev, const char *modname,
		    const char *devname, uint32_t id)
{
	int n;

	if (!valid_part(modname) || !valid_part(devname))
		return -EINVAL;
	n = snprintf(adev->name, sizeof(adev->name), "%s.%s.%u", modname,
		     devname, id);
	if (n < 0 || (size_t)n >= sizeof(adev->name))
		return -ENAMETOOLONG;
	adev->id = id;
	adev->driver = NULL;
	adev->drv_priv = NULL;
	adev->next = adev->prev = NULL;
	return 0;
}

int aux_device_add(struct aux_bus *bus, struct aux_device *adev)
{
	void **slot;

	if (tfind(adev, &bus->by_name, name_cmp))
		return -EEXIST;
	slot = tsearch(adev, &bus->by_name, name_cmp);
	if (!slot)
		return -ENOMEM;
	adev->prev = bus->tail;
	adev->next = NULL;
	if (bus->tail)
		bus->tail->next = adev;
	else
		bus->head = adev;
	bus->tail = adev;
	autoprobe(bus, adev);
	return 0;
}

static void unbind(struct aux_device *adev)
{
	const struct aux_driver *drv = adev->driver;

	if (!drv)
		return;
	drv->remove(adev);
	adev->driver = NULL;
	adev->drv_priv = NULL;
}

void aux_device_delete(struct aux_bus *bus, struct aux_device *adev)
{
	unbind(adev);
	tdelete(adev, &bus->by_name, name_cmp);
	if (adev->prev)
		adev->prev->next = adev->next;
	else
		bus->head = adev->next;
	if (adev->next)
		adev->next->prev = adev->prev;
	else
		bus->tail = adev->prev;
	adev->next = adev->prev = NULL;
}

struct aux_device *aux_device_find(struct aux_bus *bus, const char *name)
{
	struct aux_device probe;
	void **slot;

	if (strlen(name) >= sizeof(probe.name))
		return NULL;
	strcpy(probe.name, name);
	slot = tfind(&probe, &bus->by_name, name_cmp);
	return slot ? *slot : NULL;
}

struct aux_device *aux_bus_first(struct aux_bus *bus) { return bus->head; }

int aux_bind(struct aux_bus *bus, const char *dev_name, const char *drv_name)
{
	struct aux_device *adev = aux_device_find(bus, dev_name);
	char match[AUX_NAME_SIZE];
	int err = -ENODEV;

	if (!adev)
		return -ENODEV;
	if (adev->driver)
		return -EBUSY;
	aux_match_name(adev, match, sizeof(match));
	for (unsigned i = 0; i < bus->ndrivers; i++) {
		const struct aux_driver *drv = bus->drivers[i];

		if (drv_name && strcmp(drv->name, drv_name))
			continue;
		if (!drv_matches(drv, match)) {
			if (drv_name)
				return -EINVAL;
			continue;
		}
		err = probe_one(adev, drv, match);
		if (!err)
			adev->no_autoprobe = false;
		return err;
	}
	return err;
}

int aux_unbind(struct aux_bus *bus, const char *dev_name)
{
	struct aux_device *adev = aux_device_find(bus, dev_name);

	if (!adev || !adev->driver)
		return -ENODEV;
	adev->no_autoprobe = true;
	unbind(adev);
	return 0;
}

static bool id_test(const struct aux_bus *bus, uint32_t id)
{
	return id / 64 < bus->id_words && (bus->id_bits[id / 64] >> (id % 64)) & 1;
}

static int id_set(struct aux_bus *bus, uint32_t id)
{
	if (id / 64 >= bus->id_words) {
		uint32_t words = bus->id_words ? bus->id_words : 16;
		uint64_t *n;

		while (id / 64 >= words)
			words *= 2;
		n = realloc(bus->id_bits, words * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + bus->id_words, 0, (words - bus->id_words) * sizeof(*n));
		bus->id_bits = n;
		bus->id_words = words;
	}
	bus->id_bits[id / 64] |= 1ull << (id % 64);
	return 0;
}

int64_t aux_id_alloc(struct aux_bus *bus)
{
	uint32_t id = bus->id_hint;

	while (id < AUX_ID_MAX && id_test(bus, id))
		id++;
	if (id >= AUX_ID_MAX)
		return -ENOSPC;
	if (id_set(bus, id))
		return -ENOMEM;
	bus->id_hint = id + 1;
	return id;
}

int aux_id_claim(struct aux_bus *bus, uint32_t id)
{
	if (id == 0 || id >= AUX_ID_MAX)
		return -EINVAL;
	if (id_test(bus, id))
		return -EEXIST;
	return id_set(bus, id);
}

void aux_id_free(struct aux_bus *bus, uint32_t id)
{
	if (!id_test(bus, id))
		return;
	bus->id_bits[id / 64] &= ~(1ull << (id % 64));
	if (id < bus->id_hint)
		bus->id_hint = id;
}
