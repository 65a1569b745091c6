/*
 * aux.h - an auxiliary bus, after Linux's drivers/base/auxiliary.c.
 *
 * A parent driver splits its function into named sub-devices; drivers bind to
 * them by name.  A device is named "<modname>.<devname>.<id>" and its match
 * name is everything before the last '.'; a driver lists the match names it
 * handles.  Registration is two steps, as in the kernel: aux_device_init()
 * names and validates the device, aux_device_add() publishes it and probes a
 * matching driver.  aux_device_delete() unbinds and unpublishes it; the
 * caller owns the memory of struct aux_device and frees it afterwards.
 * Binding and unbinding by hand works as with sysfs bind/unbind.
 */
#ifndef SFNIC_AUX_H
#define SFNIC_AUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUX_NAME_SIZE 40

struct aux_bus;
struct aux_device;

struct aux_driver {
	const char *name;              /* "<modname>.<drvname>", e.g. "sfnic_core.sf" */
	const char *const *id_table;   /* NULL-terminated match names */
	/* Called when a device matches; returns 0 or a negative errno, in which
	 * case the device stays unbound. */
	int (*probe)(struct aux_device *adev, const char *match_name);
	/* Called on unbind or delete; must release everything probe took. */
	void (*remove)(struct aux_device *adev);
};

struct aux_device {
	char name[AUX_NAME_SIZE];      /* "<modname>.<devname>.<id>" */
	uint32_t id;
	const char *parent;            /* the parent's name, for display */
	void *parent_priv;             /* the creating driver's context */
	void *drv_priv;                /* the bound driver's context */
	const struct aux_driver *driver; /* NULL while unbound */
	bool no_autoprobe;             /* set by a manual unbind */
	struct aux_device *next, *prev; /* bus list, in creation order */
};

/* Creates an empty bus.  Returns NULL on allocation failure. */
struct aux_bus *aux_bus_create(void);

/* Frees the bus; every device must have been deleted. */
void aux_bus_destroy(struct aux_bus *bus);

/* Registers a driver and probes every unbound matching device.  The driver
 * must outlive the bus.  Returns 0, or -EEXIST for a duplicate name. */
int aux_driver_register(struct aux_bus *bus, const struct aux_driver *drv);

/*
 * Names the device "<modname>.<devname>.<id>".  Returns 0, -EINVAL if a
 * part is empty or contains '.', or -ENAMETOOLONG past AUX_NAME_SIZE.
 */
int aux_device_init(struct aux_device *adev, const char *modname,
		    const char *devname, uint32_t id);

/* Publishes an initialised device and probes a matching driver (unless
 * adev->no_autoprobe).  Returns 0 (even if no driver bound or probe failed),
 * or -EEXIST if the name is taken: the kernel's "match_name + id are not
 * unique" rule. */
int aux_device_add(struct aux_bus *bus, struct aux_device *adev);

/* Unbinds (calling remove) and unpublishes the device. */
void aux_device_delete(struct aux_bus *bus, struct aux_device *adev);

/* Finds a published device by name, or NULL. */
struct aux_device *aux_device_find(struct aux_bus *bus, const char *name);

/* First published device in creation order, or NULL; iterate with ->next. */
struct aux_device *aux_bus_first(struct aux_bus *bus);

/*
 * Binds a device to the named driver (or, if drv_name is NULL, to the first
 * matching one).  Returns 0, -ENODEV (no such device or driver), -EBUSY
 * (already bound), -EINVAL (driver does not match), or probe's error.
 */
int aux_bind(struct aux_bus *bus, const char *dev_name, const char *drv_name);

/* Unbinds a device and keeps it unbound until aux_bind.  Returns 0 or
 * -ENODEV (no such device, or not bound). */
int aux_unbind(struct aux_bus *bus, const char *dev_name);

/* The device's match name ("<modname>.<devname>") into buf. */
void aux_match_name(const struct aux_device *adev, char *buf, size_t len);

/*
 * Ids: one global id space per bus, as an IDA.  aux_id_alloc returns the
 * lowest free id >= 1, or -ENOSPC.  aux_id_claim takes a given id (for
 * restoring state) and returns 0 or -EEXIST.  aux_id_free releases one.
 */
int64_t aux_id_alloc(struct aux_bus *bus);
int aux_id_claim(struct aux_bus *bus, uint32_t id);
void aux_id_free(struct aux_bus *bus, uint32_t id);

#endif
