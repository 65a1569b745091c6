/*
 * dl_json.c - devlink objects in devlink's JSON shapes.
 *
 * Field order follows iproute2's pr_out_port(): type, netdev, flavour, the
 * PCI attributes, splittable, then the function block.  The CLI prints text
 * from these objects, so both forms come from one place.
 */
#include "dl_internal.h"

static const char *flavour_str(uint8_t f)
{
	switch (f) {
	case DL_FLAVOUR_PHYSICAL: return "physical";
	case DL_FLAVOUR_PCI_PF: return "pcipf";
	case DL_FLAVOUR_VIRTUAL: return "virtual";
	case DL_FLAVOUR_PCI_SF: return "pcisf";
	default: return "unknown";
	}
}

const char *dl_esw_mode_str(uint8_t mode)
{
	switch (mode) {
	case DEV_ESW_LEGACY: return "legacy";
	case DEV_ESW_SWITCHDEV: return "switchdev";
	case DEV_ESW_SWITCHDEV_INACTIVE: return "switchdev_inactive";
	default: return "unknown";
	}
}

const char *dl_inline_mode_str(uint8_t mode)
{
	switch (mode) {
	case DEV_INLINE_NONE: return "none";
	case DEV_INLINE_LINK: return "link";
	case DEV_INLINE_NETWORK: return "network";
	case DEV_INLINE_TRANSPORT: return "transport";
	default: return "unknown";
	}
}

const char *dl_encap_mode_str(uint8_t mode)
{
	return mode == DEV_ENCAP_BASIC ? "basic" : "none";
}

static json_t *mac_json(const uint8_t m[6])
{
	return json_sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			    m[4], m[5]);
}

void dl_sf_inst_handle(const struct dl_port *p, char *buf, size_t len)
{
	snprintf(buf, len, "auxiliary/%s", p->aux ? p->aux->sf.name : "?");
}

/* The port's netdev: representors exist in switchdev mode only; in legacy
 * mode the uplink carries the PF's own netdev, as on mlx5. */
static const char *port_netdev(const struct dl *dl, const struct dl_port *p)
{
	if (dl->esw.mode == DEV_ESW_LEGACY)
		return p->flavour == DL_FLAVOUR_PHYSICAL ? dl->devname : NULL;
	return p->rep_name[0] ? p->rep_name : NULL;
}

json_t *dl_json_port(const struct dl *dl, const struct dl_port *p)
{
	json_t *o = json_object(), *fn;
	const char *netdev = port_netdev(dl, p);

	json_object_set_new(o, "type", json_string("eth"));
	if (netdev)
		json_object_set_new(o, "netdev", json_string(netdev));
	json_object_set_new(o, "flavour", json_string(flavour_str(p->flavour)));
	if (p->flavour == DL_FLAVOUR_PHYSICAL) {
		json_object_set_new(o, "port", json_integer(0));
		json_object_set_new(o, "splittable", json_false());
		return o;
	}
	json_object_set_new(o, "controller", json_integer(p->controller));
	json_object_set_new(o, "pfnum", json_integer(p->pfnum));
	if (p->flavour == DL_FLAVOUR_PCI_SF)
		json_object_set_new(o, "sfnum", json_integer(p->sfnum));
	json_object_set_new(o, "external", json_boolean(p->controller != 0));
	json_object_set_new(o, "splittable", json_false());
	fn = json_object();
	json_object_set_new(fn, "hw_addr", mac_json(p->hw_addr));
	if (p->flavour == DL_FLAVOUR_PCI_SF) {
		json_object_set_new(fn, "state", json_string(p->state ? "active" : "inactive"));
		json_object_set_new(fn, "opstate",
				    json_string(p->opstate ? "attached" : "detached"));
		if (p->aux && p->aux->inst_up) {
			char h[64];
			json_t *nested = json_object();

			dl_sf_inst_handle(p, h, sizeof(h));
			json_object_set_new(nested, h, json_object());
			json_object_set_new(fn, "nested_devlink", nested);
		}
	}
	json_object_set_new(o, "function", fn);
	return o;
}

/* The SF's own port, in its nested instance: flavour virtual, as an mlx5 SF's. */
json_t *dl_json_sf_inst_port(const struct dl *dl, const struct dl_port *p)
{
	json_t *o = json_object();

	(void)dl;
	json_object_set_new(o, "type", json_string("eth"));
	if (p->aux && p->aux->eth_added && p->aux->eth.driver)
		json_object_set_new(o, "netdev", json_string(p->sf_name));
	json_object_set_new(o, "flavour", json_string("virtual"));
	json_object_set_new(o, "port", json_integer(0));
	json_object_set_new(o, "splittable", json_false());
	if (dl_memif_path(p))
		json_object_set_new(o, "memif", json_string(dl_memif_path(p)));
	return o;
}
