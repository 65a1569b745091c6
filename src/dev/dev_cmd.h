/*
 * dev_cmd.h - the sfnic device's command interface: fixed, versioned layouts.
 *
 * Every change of device state is a command.  A command is an input buffer
 * that starts with struct dev_cmd_in_hdr and an output buffer that starts with
 * struct dev_cmd_out_hdr, exactly as a mailbox command of an mlx5 device:
 * the device answers with a status byte and a 32-bit syndrome that names the
 * check that failed.  Layouts are host-endian, naturally aligned and have no
 * implicit padding; their sizes are asserted so that a raw-RPC client (the
 * ctl channel) and the device always agree.  A layout never changes once
 * released: new fields go into new commands or new op_mods.
 */
#ifndef SFNIC_DEV_CMD_H
#define SFNIC_DEV_CMD_H

#include <stdint.h>

#include "../esw/esw.h"

#define DEV_CMD_IF_VERSION 1

/* Opcodes: numbered after their mlx5 counterparts where one exists. */
enum dev_opcode {
	DEV_CMD_QUERY_HCA_CAP = 0x0100,
	DEV_CMD_INIT_HCA = 0x0102,       /* a function's driver attaches */
	DEV_CMD_TEARDOWN_HCA = 0x0103,   /* a function's driver detaches */
	DEV_CMD_ENABLE_HCA = 0x0104,     /* admin: function state active */
	DEV_CMD_DISABLE_HCA = 0x0105,    /* admin: function state inactive */
	DEV_CMD_SET_HCA_CAP = 0x0109,
	DEV_CMD_ALLOC_SF = 0x0113,
	DEV_CMD_DEALLOC_SF = 0x0114,
	DEV_CMD_QUERY_VPORT_CTX = 0x0754,
	DEV_CMD_MODIFY_VPORT_CTX = 0x0755,
	DEV_CMD_SET_FLOW_TABLE_ENTRY = 0x0936,   /* an eswitch rule */
	DEV_CMD_DELETE_FLOW_TABLE_ENTRY = 0x0938,
	DEV_CMD_QUERY_ESW_MODE = 0x0900,
	DEV_CMD_SET_ESW_MODE = 0x0901,
	DEV_CMD_QUERY_VHCA_STATE = 0x0b0d,
};

/* Status values, as mlx5 defines them. */
enum dev_status {
	DEV_STAT_OK = 0x00,
	DEV_STAT_INT_ERR = 0x01,
	DEV_STAT_BAD_OP = 0x02,
	DEV_STAT_BAD_PARAM = 0x03,
	DEV_STAT_BAD_SYS_STATE = 0x04,
	DEV_STAT_BAD_RESOURCE = 0x05,
	DEV_STAT_RESOURCE_BUSY = 0x06,
	DEV_STAT_EXCEED_LIM = 0x08,
	DEV_STAT_BAD_RES_STATE = 0x09,
	DEV_STAT_BAD_INDEX = 0x0a,
	DEV_STAT_NO_RESOURCES = 0x0f,
	DEV_STAT_BAD_INPUT_LEN = 0x50,
	DEV_STAT_BAD_OUTPUT_LEN = 0x51,
};

/*
 * Syndromes: one per check, so a failure names its cause.  The high 16 bits
 * are the opcode that failed (0 for checks common to all commands).
 */
#define DEV_SYND(op, n) (((uint32_t)(op) << 16) | (n))
enum dev_syndrome {
	DEV_SYND_NONE = 0,
	DEV_SYND_SHORT_INPUT = DEV_SYND(0, 1),
	DEV_SYND_SHORT_OUTPUT = DEV_SYND(0, 2),
	DEV_SYND_UNKNOWN_OPCODE = DEV_SYND(0, 3),
	DEV_SYND_BAD_OP_MOD = DEV_SYND(0, 4),
	DEV_SYND_RESERVED_NOT_ZERO = DEV_SYND(0, 5),
	DEV_SYND_UNKNOWN_FUNCTION = DEV_SYND(0, 6),
	DEV_SYND_NOT_PRIVILEGED = DEV_SYND(0, 7),

	DEV_SYND_CAP_BELOW_USE = DEV_SYND(DEV_CMD_SET_HCA_CAP, 1),
	DEV_SYND_CAP_ABOVE_MAX = DEV_SYND(DEV_CMD_SET_HCA_CAP, 2),

	DEV_SYND_SF_NOT_SWITCHDEV = DEV_SYND(DEV_CMD_ALLOC_SF, 1),
	DEV_SYND_SF_BAD_CONTROLLER = DEV_SYND(DEV_CMD_ALLOC_SF, 2),
	DEV_SYND_SF_BAD_PFNUM = DEV_SYND(DEV_CMD_ALLOC_SF, 3),
	DEV_SYND_SF_SFNUM_IN_USE = DEV_SYND(DEV_CMD_ALLOC_SF, 4),
	DEV_SYND_SF_TABLE_FULL = DEV_SYND(DEV_CMD_ALLOC_SF, 5),
	DEV_SYND_SF_SLOT_IN_USE = DEV_SYND(DEV_CMD_ALLOC_SF, 6),
	DEV_SYND_SF_SLOT_OUT_OF_RANGE = DEV_SYND(DEV_CMD_ALLOC_SF, 7),

	DEV_SYND_DEALLOC_NOT_DISABLED = DEV_SYND(DEV_CMD_DEALLOC_SF, 1),

	DEV_SYND_ENABLE_TEARDOWN_PENDING = DEV_SYND(DEV_CMD_ENABLE_HCA, 1),
	DEV_SYND_ENABLE_NOT_SF = DEV_SYND(DEV_CMD_ENABLE_HCA, 2),
	DEV_SYND_DISABLE_NOT_SF = DEV_SYND(DEV_CMD_DISABLE_HCA, 1),

	DEV_SYND_INIT_NOT_ENABLED = DEV_SYND(DEV_CMD_INIT_HCA, 1),
	DEV_SYND_TEARDOWN_NOT_IN_USE = DEV_SYND(DEV_CMD_TEARDOWN_HCA, 1),

	DEV_SYND_VPORT_MULTICAST_ADDR = DEV_SYND(DEV_CMD_MODIFY_VPORT_CTX, 1),
	DEV_SYND_VPORT_BAD_MTU = DEV_SYND(DEV_CMD_MODIFY_VPORT_CTX, 2),
	DEV_SYND_VPORT_NO_FIELDS = DEV_SYND(DEV_CMD_MODIFY_VPORT_CTX, 3),

	DEV_SYND_ESW_BAD_MODE = DEV_SYND(DEV_CMD_SET_ESW_MODE, 1),
	DEV_SYND_ESW_SFS_EXIST = DEV_SYND(DEV_CMD_SET_ESW_MODE, 2),

	DEV_SYND_FTE_NO_DATAPATH = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 1),
	DEV_SYND_FTE_NOT_SWITCHDEV = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 2),
	DEV_SYND_FTE_UNKNOWN_VPORT = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 3),
	DEV_SYND_FTE_BAD_ACTION = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 4),
	DEV_SYND_FTE_EXISTS = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 5),
	DEV_SYND_FTE_TOO_MANY_MASKS = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 6),
	DEV_SYND_FTE_NOT_FOUND = DEV_SYND(DEV_CMD_DELETE_FLOW_TABLE_ENTRY, 1),
	DEV_SYND_ESW_BAD_INLINE = DEV_SYND(DEV_CMD_SET_ESW_MODE, 3),
	DEV_SYND_ESW_BAD_ENCAP = DEV_SYND(DEV_CMD_SET_ESW_MODE, 4),
};

struct dev_cmd_in_hdr {
	uint16_t opcode;
	uint16_t uid;     /* user context; 0 is the PF driver (privileged) */
	uint16_t op_mod;
	uint16_t rsvd;
};

struct dev_cmd_out_hdr {
	uint8_t status;
	uint8_t rsvd[3];
	uint32_t syndrome;
};

/*
 * Function ids.  The PF is function 0 and its vport 0; the uplink is vport
 * 0xffff; SFs of the local controller are 0x8000 + slot (skipping 0xffff, so
 * slot 32767 and above are one higher) and SFs of the external controller
 * 0x28000 + slot.  An SF's function id, vport number and
 * devlink port index are the same number, so the index is stable for as long
 * as the slot is.
 */
#define DEV_FN_PF 0u
#define DEV_VPORT_UPLINK 0xffffu
#define DEV_SF_BASE_LOCAL 0x8000u
#define DEV_SF_BASE_EXTERNAL 0x28000u
#define DEV_SF_HARD_MAX 65536u   /* slots per controller the device can hold */
#define DEV_NUM_CONTROLLERS 2u   /* 0 local, 1 external */
#define DEV_NUM_PFS 1u

/* QUERY_HCA_CAP / SET_HCA_CAP, op_mod DEV_CAP_GENERAL. */
enum { DEV_CAP_GENERAL = 0 };
struct dev_hca_cap {
	uint32_t if_version;
	uint32_t num_pfs;
	uint32_t num_controllers;
	uint32_t sf_hard_max;        /* read-only */
	uint32_t max_sfs[2];         /* [controller]: writable */
	uint32_t used_sfs[2];        /* read-only */
	uint32_t sf_base[2];         /* read-only */
	uint32_t max_mtu;            /* read-only */
	uint32_t rsvd;
};
struct dev_query_hca_cap_in { struct dev_cmd_in_hdr hdr; };
struct dev_query_hca_cap_out { struct dev_cmd_out_hdr hdr; struct dev_hca_cap cap; };
struct dev_set_hca_cap_in { struct dev_cmd_in_hdr hdr; struct dev_hca_cap cap; };
struct dev_set_hca_cap_out { struct dev_cmd_out_hdr hdr; };

/* ALLOC_SF: op_mod AUTO takes the lowest free slot, AT the given fn_id. */
enum { DEV_ALLOC_SF_AUTO = 0, DEV_ALLOC_SF_AT = 1 };
struct dev_alloc_sf_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t controller;
	uint16_t pfnum;
	uint16_t rsvd;
	uint32_t sfnum;
	uint32_t fn_id;    /* only with DEV_ALLOC_SF_AT */
};
struct dev_alloc_sf_out { struct dev_cmd_out_hdr hdr; uint32_t fn_id; uint32_t rsvd; };

/* Commands that name one function: DEALLOC_SF, ENABLE/DISABLE/INIT/TEARDOWN_HCA,
 * QUERY_VHCA_STATE, QUERY_VPORT_CTX. */
struct dev_fn_in { struct dev_cmd_in_hdr hdr; uint32_t fn_id; uint32_t rsvd; };
struct dev_fn_out { struct dev_cmd_out_hdr hdr; };

/* VHCA states, as mlx5 names them. */
enum dev_vhca_state {
	DEV_VHCA_INVALID = 0,
	DEV_VHCA_ALLOCATED = 1,       /* exists, disabled */
	DEV_VHCA_ACTIVE = 2,          /* enabled, no driver */
	DEV_VHCA_IN_USE = 3,          /* enabled, a driver attached */
	DEV_VHCA_TEARDOWN_REQUEST = 4 /* disabled, driver still attached */
};
struct dev_query_vhca_state_out {
	struct dev_cmd_out_hdr hdr;
	uint8_t state;
	uint8_t rsvd[3];
	uint32_t controller;
	uint32_t sfnum;
	uint16_t pfnum;
	uint16_t rsvd2;
};

struct dev_vport_ctx {
	uint8_t hw_addr[6];
	uint16_t mtu;
};
enum { DEV_VPORT_FIELD_HW_ADDR = 1u << 0, DEV_VPORT_FIELD_MTU = 1u << 1 };
struct dev_query_vport_ctx_out { struct dev_cmd_out_hdr hdr; struct dev_vport_ctx ctx; };
struct dev_modify_vport_ctx_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t fn_id;
	uint32_t field_select;
	struct dev_vport_ctx ctx;
};
struct dev_modify_vport_ctx_out { struct dev_cmd_out_hdr hdr; };

/* Eswitch mode, inline mode and encap mode use devlink's uAPI values. */
enum { DEV_ESW_LEGACY = 0, DEV_ESW_SWITCHDEV = 1, DEV_ESW_SWITCHDEV_INACTIVE = 2 };
enum { DEV_INLINE_NONE = 0, DEV_INLINE_LINK = 1, DEV_INLINE_NETWORK = 2, DEV_INLINE_TRANSPORT = 3 };
enum { DEV_ENCAP_NONE = 0, DEV_ENCAP_BASIC = 1 };
struct dev_esw_mode {
	uint8_t mode;
	uint8_t inline_mode;
	uint8_t encap_mode;
	uint8_t rsvd;
};
struct dev_query_esw_mode_out { struct dev_cmd_out_hdr hdr; struct dev_esw_mode esw; };
struct dev_set_esw_mode_in { struct dev_cmd_in_hdr hdr; struct dev_esw_mode esw; uint32_t rsvd; };
struct dev_set_esw_mode_out { struct dev_cmd_out_hdr hdr; };

_Static_assert(sizeof(struct dev_cmd_in_hdr) == 8, "layout");
_Static_assert(sizeof(struct dev_cmd_out_hdr) == 8, "layout");
_Static_assert(sizeof(struct dev_hca_cap) == 48, "layout");
_Static_assert(sizeof(struct dev_alloc_sf_in) == 24, "layout");
_Static_assert(sizeof(struct dev_alloc_sf_out) == 16, "layout");
_Static_assert(sizeof(struct dev_fn_in) == 16, "layout");
_Static_assert(sizeof(struct dev_query_vhca_state_out) == 24, "layout");
_Static_assert(sizeof(struct dev_modify_vport_ctx_in) == 24, "layout");
_Static_assert(sizeof(struct dev_set_esw_mode_in) == 16, "layout");

/* SET_FLOW_TABLE_ENTRY: one eswitch rule (switchdev mode); the filter's
 * port (spec.dev) must be an existing vport, redirect/mirror targets need
 * not exist yet (frames to a missing vport are dropped and counted). */
struct dev_set_fte_in { struct dev_cmd_in_hdr hdr; struct esw_rule_spec spec; };
struct dev_set_fte_out { struct dev_cmd_out_hdr hdr; };
/* DELETE_FLOW_TABLE_ENTRY: by the rule's identity. */
struct dev_del_fte_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t dev, chain, prio, handle;
};
struct dev_del_fte_out { struct dev_cmd_out_hdr hdr; };

_Static_assert(sizeof(struct esw_rule_spec) == 164, "layout");
_Static_assert(sizeof(struct dev_del_fte_in) == 24, "layout");

/* Events on the device's event queue. */
enum dev_event_type {
	DEV_EVENT_VHCA_STATE = 1,    /* a function changed dev_vhca_state */
	DEV_EVENT_ESW_MODE = 2,      /* the eswitch mode changed */
};
struct dev_eqe {
	uint8_t type;
	uint8_t state;       /* new dev_vhca_state or eswitch mode */
	uint16_t rsvd;
	uint32_t fn_id;
};

#endif
