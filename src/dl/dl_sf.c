/*
 * dl_sf.c - the PF driver's event handler and the SF auxiliary drivers.
 *
 * Life of an SF, as on mlx5:
 *   state active   -> ENABLE_HCA -> event ACTIVE -> the PF driver adds aux
 *                     device sfnic_core.sf.<id> -> the sfnic_core.sf driver
 *                     probes it: nested devlink instance, class devices
 *                     sfnic_core.eth.<id> / sfnic_core.zc.<id>, INIT_HCA ->
 *                     event IN_USE -> opstate attached.
 *   state inactive -> DISABLE_HCA -> event TEARDOWN_REQUEST -> the PF driver
 *                     deletes the aux device -> remove: class devices gone,
 *                     TEARDOWN_HCA -> event ALLOCATED -> opstate detached.
 * The aux id comes from the bus's global id space, not from sfnum.
 */
#include "dl_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void emit_dev(struct dl *dl, const char *cmd, const struct dl_port *p)
{
	char h[64];
	json_t *msg;

	if (!dl->notify || dl->restoring)
		return;
	dl_sf_inst_handle(p, h, sizeof(h));
	msg = json_pack("{s:{s:{}}}", "dev", h);
	dl->notify(dl->notify_arg, "dev", cmd, msg);
	json_decref(msg);
}

/* Class drivers.  They own the SF's netdev (eth) and zero-copy channel (zc);
 * binding is what makes them exist, so probe records the binding and the
 * datapath issues hang their resources here. */
static int class_probe(struct aux_device *adev, const char *match)
{
	(void)match;
	adev->drv_priv = adev->parent_priv;
	return 0;
}

/* The eth driver: binding it is what makes the SF's netdev appear. */
static int eth_probe(struct aux_device *adev, const char *match)
{
	struct dl_sf_aux *a = adev->parent_priv;

	class_probe(adev, match);
	a->eth_bound = true;
	dl_netdev_port_sync(a->dl, a->port);
	dl_steer_sync(a->dl, a->port);
	return 0;
}

static void eth_remove(struct aux_device *adev)
{
	struct dl_sf_aux *a = adev->parent_priv;

	a->eth_bound = false;
	dl_netdev_port_sync(a->dl, a->port);
	dl_steer_sync(a->dl, a->port);
}

/* The zc driver: binding it is what makes the SF's memif server exist. */
static int zc_probe(struct aux_device *adev, const char *match)
{
	struct dl_sf_aux *a = adev->parent_priv;

	class_probe(adev, match);
	a->zc_bound = true;
	dl_memif_sync(a->dl, a->port);
	dl_steer_sync(a->dl, a->port);
	return 0;
}

static void zc_remove(struct aux_device *adev)
{
	struct dl_sf_aux *a = adev->parent_priv;

	a->zc_bound = false;
	dl_zc_port_gone(a->dl, a->port);
	dl_memif_sync(a->dl, a->port);
	dl_steer_sync(a->dl, a->port);
}

static const char *const eth_ids[] = { DL_AUX_MOD ".eth", NULL };
static const char *const zc_ids[] = { DL_AUX_MOD ".zc", NULL };
static const struct aux_driver eth_driver = {
	.name = DL_AUX_MOD ".eth", .id_table = eth_ids,
	.probe = eth_probe, .remove = eth_remove,
};
static const struct aux_driver zc_driver = {
	.name = DL_AUX_MOD ".zc", .id_table = zc_ids,
	.probe = zc_probe, .remove = zc_remove,
};

static int class_add(struct dl *dl, struct dl_sf_aux *a, struct aux_device *adev,
		     const char *kind, bool *added)
{
	int err;

	memset(adev, 0, sizeof(*adev));
	err = aux_device_init(adev, DL_AUX_MOD, kind, a->sf.id);
	if (err)
		return err;
	adev->parent = a->sf.name;
	adev->parent_priv = a;
	err = aux_device_add(dl->bus, adev);
	if (!err)
		*added = true;
	return err;
}

static void class_del(struct dl *dl, struct aux_device *adev, bool *added)
{
	if (!*added)
		return;
	aux_device_delete(dl->bus, adev);
	*added = false;
}

static void classes_apply(struct dl *dl, struct dl_sf_aux *a)
{
	struct dl_port *p = a->port;

	if (p->applied_eth && !a->eth_added)
		(void)class_add(dl, a, &a->eth, "eth", &a->eth_added);
	if (!p->applied_eth)
		class_del(dl, &a->eth, &a->eth_added);
	if (p->applied_zc && !a->zc_added)
		(void)class_add(dl, a, &a->zc, "zc", &a->zc_added);
	if (!p->applied_zc)
		class_del(dl, &a->zc, &a->zc_added);
}

static int sf_probe(struct aux_device *adev, const char *match)
{
	struct dl_sf_aux *a = container_of(adev, struct dl_sf_aux, sf);
	struct dl *dl = adev->parent_priv;

	(void)match;
	a->inst_up = true;
	emit_dev(dl, "new", a->port);
	classes_apply(dl, a);
	/* With neither eth nor zc enabled no class driver installs the
	 * function's steering: its rules must act all the same. */
	dl_steer_sync(dl, a->port);
	/* Attaching is what the device reports as IN_USE (opstate attached). */
	if (dl_fn_cmd(dl, DEV_CMD_INIT_HCA, a->port->index) != DEV_STAT_OK) {
		class_del(dl, &a->eth, &a->eth_added);
		class_del(dl, &a->zc, &a->zc_added);
		emit_dev(dl, "del", a->port);
		a->inst_up = false;
		return -EIO;
	}
	adev->drv_priv = a;
	return 0;
}

static void sf_remove(struct aux_device *adev)
{
	struct dl_sf_aux *a = container_of(adev, struct dl_sf_aux, sf);
	struct dl *dl = adev->parent_priv;

	class_del(dl, &a->eth, &a->eth_added);
	class_del(dl, &a->zc, &a->zc_added);
	(void)dl_fn_cmd(dl, DEV_CMD_TEARDOWN_HCA, a->port->index);
	emit_dev(dl, "del", a->port);
	a->inst_up = false;
}

static const char *const sf_ids[] = { DL_AUX_MOD ".sf", NULL };
static const struct aux_driver sf_driver = {
	.name = DL_AUX_MOD ".sf", .id_table = sf_ids,
	.probe = sf_probe, .remove = sf_remove,
};

int dl_sf_register_drivers(struct dl *dl)
{
	int err = aux_driver_register(dl->bus, &eth_driver);

	if (!err)
		err = aux_driver_register(dl->bus, &zc_driver);
	if (!err)
		err = aux_driver_register(dl->bus, &sf_driver);
	return err;
}

static void sf_aux_create(struct dl *dl, struct dl_port *p)
{
	struct dl_sf_aux *a;

	if (p->aux || !p->aux_id)
		return;
	a = calloc(1, sizeof(*a));
	if (!a)
		return;
	a->port = p;
	a->dl = dl;
	if (aux_device_init(&a->sf, DL_AUX_MOD, "sf", p->aux_id)) {
		free(a);
		return;
	}
	a->sf.parent = dl->handle;
	a->sf.parent_priv = dl;
	a->sf.no_autoprobe = p->unbound;
	p->aux = a;
	if (aux_device_add(dl->bus, &a->sf)) {
		p->aux = NULL;
		free(a);
	}
}

void dl_sf_aux_teardown(struct dl *dl, struct dl_port *p)
{
	if (!p->aux)
		return;
	dl_zc_port_gone(dl, p);         /* taps too, whatever drivers were bound */
	aux_device_delete(dl->bus, &p->aux->sf);
	free(p->aux);
	p->aux = NULL;
}

static void set_opstate(struct dl *dl, struct dl_port *p, uint8_t opstate)
{
	if (p->opstate == opstate)
		return;
	p->opstate = opstate;
	dl_emit_port(dl, "new", p);
}

int dl_sf_handle_event(struct dl *dl, const struct dev_eqe *eqe)
{
	struct dl_port *p;

	if (eqe->type != DEV_EVENT_VHCA_STATE)
		return 0;
	p = dl_port_by_index(dl, eqe->fn_id);
	if (!p || !dl_is_sf(p))
		return 0;
	switch (eqe->state) {
	case DEV_VHCA_ACTIVE:
		/* Either freshly enabled, or its driver was unbound by hand. */
		sf_aux_create(dl, p);
		set_opstate(dl, p, 0);
		break;
	case DEV_VHCA_IN_USE:
		set_opstate(dl, p, 1);
		break;
	case DEV_VHCA_TEARDOWN_REQUEST:
		/* Still attached until the driver lets go (ALLOCATED). */
		dl_sf_aux_teardown(dl, p);
		break;
	case DEV_VHCA_ALLOCATED:
		dl_sf_aux_teardown(dl, p);
		if (!p->state && p->aux_id) {
			aux_id_free(dl->bus, p->aux_id);
			p->aux_id = 0;
		}
		set_opstate(dl, p, 0);
		break;
	default:
		break;
	}
	dl_netdev_port_sync(dl, p);     /* its representor follows the vport */
	return 1;
}

/* Only the SF devices hang directly off the devlink instance; class devices
 * hang off their SF device. */
struct dl_port *dl_sf_aux_port(const struct dl *dl, struct aux_device *adev)
{
	if (adev->parent != dl->handle)
		return NULL;
	return container_of(adev, struct dl_sf_aux, sf)->port;
}

struct dl_port *dl_sf_instance_port(struct dl *dl, const char *handle,
				    const char **rest)
{
	static const char pre[] = "auxiliary/";
	char name[AUX_NAME_SIZE];
	struct aux_device *adev;
	const char *slash;
	size_t n;

	if (strncmp(handle, pre, sizeof(pre) - 1))
		return NULL;
	handle += sizeof(pre) - 1;
	slash = strchr(handle, '/');
	n = slash ? (size_t)(slash - handle) : strlen(handle);
	if (n >= sizeof(name))
		return NULL;
	memcpy(name, handle, n);
	name[n] = 0;
	adev = aux_device_find(dl->bus, name);
	if (!adev || adev->driver != &sf_driver)
		return NULL;
	if (rest)
		*rest = slash;
	return container_of(adev, struct dl_sf_aux, sf)->port;
}

int dl_sf_reload(struct dl *dl, struct dl_port *p, struct dl_err *err)
{
	uint8_t old_eth = p->applied_eth, old_zc = p->applied_zc;

	p->applied_eth = p->enable_eth;
	p->applied_zc = p->enable_zc;
	if (dl_persist_port(dl, p)) {
		p->applied_eth = old_eth;
		p->applied_zc = old_zc;
		return dl_errf(err, EIO, "cannot store state: %s", store_errmsg(dl->st));
	}
	if (p->aux && p->aux->inst_up)
		classes_apply(dl, p->aux);
	return 0;
}
