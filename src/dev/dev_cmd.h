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

	/* Issue 11: the ctl channel's surface (fwctl).  Scopes: dev_opcode_scope(). */
	DEV_CMD_GEN_EQE = 0x0304,            /* debug write: inject an event */
	DEV_CMD_QUERY_EQ = 0x0303,
	DEV_CMD_CREATE_UCTX = 0x0a04,        /* driver only */
	DEV_CMD_DESTROY_UCTX = 0x0a06,       /* driver only */
	DEV_CMD_CREATE_UMEM = 0x0a08,        /* driver only */
	DEV_CMD_DESTROY_UMEM = 0x0a0a,       /* driver only */
	DEV_CMD_QUERY_ESW_FUNCTIONS = 0x0740, /* the SF table with vport contexts */
	DEV_CMD_NOP = 0x0801,
	DEV_CMD_QUERY_FLOW_TABLE = 0x0932,   /* eswitch rules with their counters */
	DEV_CMD_MODIFY_VHCA_STATE = 0x0b0e,  /* debug write full: force a state */
	/* sfnic's own, 0x0f00..0x0fff */
	DEV_CMD_QUERY_UCTX = 0x0f01,
	DEV_CMD_QUERY_POOLS = 0x0f02,
	DEV_CMD_QUERY_QUEUES = 0x0f03,
	DEV_CMD_RESOURCE_DUMP = 0x0f04,
	DEV_CMD_SET_TRACER = 0x0f05,
	DEV_CMD_SET_SAMPLER = 0x0f06,
	/* Issue 12: fault injection (netdevsim's debugfs knobs), 0x0f10.. */
	DEV_CMD_SET_FAULT = 0x0f10,          /* debug write: op_mod enum dev_fault */
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
	DEV_SYND_NOT_PRIVILEGED = DEV_SYND(0, 7),   /* scope not in the uctx's caps, or driver only */
	DEV_SYND_UNKNOWN_UID = DEV_SYND(0, 8),      /* hdr.uid names no user context */
	DEV_SYND_UMEM_UNKNOWN = DEV_SYND(0, 9),     /* no umem with that id */
	DEV_SYND_UMEM_NOT_OWNER = DEV_SYND(0, 10),  /* the umem belongs to another uid */
	DEV_SYND_UMEM_OUT_OF_BOUNDS = DEV_SYND(0, 11), /* offset + length > the umem's */
	DEV_SYND_PAGE_TOO_SMALL = DEV_SYND(0, 12),  /* not one record fits the output */
	DEV_SYND_BAD_CURSOR = DEV_SYND(0, 13),
	DEV_SYND_NO_DATAPATH = DEV_SYND(0, 14),

	DEV_SYND_UCTX_TOO_MANY = DEV_SYND(DEV_CMD_CREATE_UCTX, 1),
	DEV_SYND_UMEM_BAD_ADDR = DEV_SYND(DEV_CMD_CREATE_UMEM, 1),
	DEV_SYND_UMEM_BAD_LEN = DEV_SYND(DEV_CMD_CREATE_UMEM, 2),
	DEV_SYND_UMEM_TOO_MANY = DEV_SYND(DEV_CMD_CREATE_UMEM, 3),
	DEV_SYND_GEN_EQE_BAD_TYPE = DEV_SYND(DEV_CMD_GEN_EQE, 1),
	DEV_SYND_VHCA_BAD_STATE = DEV_SYND(DEV_CMD_MODIFY_VHCA_STATE, 1),
	DEV_SYND_DUMP_BAD_SEGMENTS = DEV_SYND(DEV_CMD_RESOURCE_DUMP, 1),
	DEV_SYND_RING_TOO_SMALL = DEV_SYND(DEV_CMD_SET_TRACER, 1), /* also SET_SAMPLER */
	DEV_SYND_RING_UNALIGNED = DEV_SYND(DEV_CMD_SET_TRACER, 2), /* also SET_SAMPLER */
	DEV_SYND_SAMPLER_BAD_RATE = DEV_SYND(DEV_CMD_SET_SAMPLER, 1),
	DEV_SYND_SAMPLER_BAD_SOURCE = DEV_SYND(DEV_CMD_SET_SAMPLER, 2),
	DEV_SYND_SAMPLER_BUSY = DEV_SYND(DEV_CMD_SET_SAMPLER, 3),  /* the uctx has one running */
	DEV_SYND_SAMPLER_TOO_MANY = DEV_SYND(DEV_CMD_SET_SAMPLER, 4),
	DEV_SYND_SAMPLER_THREAD = DEV_SYND(DEV_CMD_SET_SAMPLER, 5),

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
	DEV_SYND_FTE_BAD_MATCH = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 16),    /* bits a key lacks, a bad range */
	DEV_SYND_FTE_REPLACE_MISSING = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 7),
	DEV_SYND_FTE_REPLACE_MASK = DEV_SYND(DEV_CMD_SET_FLOW_TABLE_ENTRY, 8),
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
/* op_mod REPLACE: swap the rule of spec's identity (dev, chain, prio,
 * handle) for spec atomically; its counters start afresh.  Fails with
 * REPLACE_MISSING when there is none, REPLACE_MASK when spec matches
 * other fields than it. */
#define DEV_FTE_OP_MOD_REPLACE 1
struct dev_set_fte_out { struct dev_cmd_out_hdr hdr; };
/* DELETE_FLOW_TABLE_ENTRY: by the rule's identity. */
struct dev_del_fte_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t dev, chain, prio, handle;
};
struct dev_del_fte_out { struct dev_cmd_out_hdr hdr; };

/* ESW_RULE_LAYOUT 2 (issue 13's actions); match's key changes bump it too. */
_Static_assert(sizeof(struct esw_rule_spec) == 1440, "layout");
_Static_assert(sizeof(struct dev_del_fte_in) == 24, "layout");

/* Events on the device's event queue. */
enum dev_event_type {
	DEV_EVENT_VHCA_STATE = 1,    /* a function changed dev_vhca_state */
	DEV_EVENT_ESW_MODE = 2,      /* the eswitch mode changed */
	DEV_EVENT_FAULT = 3,         /* an injected fault the driver's layer must
				      * apply: state enum dev_fault, fn_id its
				      * vport (or count for DEV_FAULT_FAIL_STORE) */
};
struct dev_eqe {
	uint8_t type;
	uint8_t state;       /* new dev_vhca_state or eswitch mode */
	uint16_t rsvd;
	uint32_t fn_id;
};


/* ======================================================================
 * Issue 11: user contexts, scopes, umem, queries, dump, tracer, sampler.
 *
 * The ctl channel (src/ctl) gives every connection a user context (uctx)
 * and stamps every RPC of that connection with the context's uid (never 0).
 * The device checks each command from uid != 0 itself: the uid must name a
 * live context, and the opcode's scope (dev_opcode_scope() in dev.h, the one
 * table) must be among the context's capabilities; otherwise BAD_PARAM with
 * DEV_SYND_UNKNOWN_UID or DEV_SYND_NOT_PRIVILEGED, and nothing changes.
 * Commands of scope DEV_SCOPE_DRIVER (every command that changes state for
 * devlink, and the uctx/umem commands, which carry daemon pointers) are
 * refused for every uid but 0.  The first successful command of scope
 * DEBUG_WRITE or above from a context taints the device (dev_tainted()).
 * ====================================================================== */

/* fwctl's scopes (enum fwctl_rpc_scope values). */
enum dev_scope {
	DEV_SCOPE_CONFIGURATION = 0,
	DEV_SCOPE_DEBUG_READ_ONLY = 1,
	DEV_SCOPE_DEBUG_WRITE = 2,
	DEV_SCOPE_DEBUG_WRITE_FULL = 3,
	DEV_SCOPE_DRIVER = 0xff,     /* PF driver only (uid 0): never via the channel */
};
#define DEV_UCTX_CAP_SCOPE(s) (1u << (s))   /* a uctx capability bit per scope */
#define DEV_UCTX_CAP_ALL 0xfu               /* what the device supports */
#define DEV_UCTX_MAX 1024u                  /* live contexts */
#define DEV_UMEM_MAX (64ull << 20)          /* bytes per umem, as mlx5ctl */
#define DEV_UMEM_PER_UCTX 64u

/* CREATE_UCTX (driver only): cap is masked with DEV_UCTX_CAP_ALL; os_uid and
 * os_pid are the peer's credentials, kept for QUERY_UCTX and the taint.  The
 * new uid is 1..65535, not reused before its context is destroyed. */
struct dev_create_uctx_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t cap;
	uint32_t os_uid;
	uint32_t os_pid;
	uint32_t rsvd;
};
struct dev_create_uctx_out { struct dev_cmd_out_hdr hdr; uint16_t uid; uint16_t rsvd; uint32_t cap; };

/* DESTROY_UCTX (driver only): frees what the uid owns (umems, tracer,
 * sampler) synchronously: when it returns, nothing writes into that memory. */
struct dev_destroy_uctx_in { struct dev_cmd_in_hdr hdr; uint32_t uid; uint32_t rsvd; };
struct dev_destroy_uctx_out { struct dev_cmd_out_hdr hdr; };

/* QUERY_UCTX (configuration): the calling context (uid 0: the driver, all caps). */
struct dev_query_uctx_out {
	struct dev_cmd_out_hdr hdr;
	uint16_t uid;
	uint16_t rsvd;
	uint32_t cap;
	uint32_t dev_uctx_cap;
	uint32_t os_uid;
	uint32_t os_pid;
	uint32_t rsvd2;
};

/* CREATE_UMEM (driver only): addr/len is memory the channel mapped in the
 * daemon (8-byte aligned, 1 .. DEV_UMEM_MAX bytes), owned by owner_uid (a
 * live context, or 0).  The device never reads it, only writes (bounds
 * checked) while the umem exists; the mapping stays the caller's, to unmap
 * after DESTROY_UMEM or DESTROY_UCTX.  umem ids are never 0. */
struct dev_create_umem_in {
	struct dev_cmd_in_hdr hdr;
	uint64_t addr;
	uint64_t len;
	uint16_t owner_uid;
	uint16_t rsvd;
	uint32_t rsvd2;
};
struct dev_create_umem_out { struct dev_cmd_out_hdr hdr; uint32_t umem_id; uint32_t rsvd; };
/* DESTROY_UMEM (driver only): stops the tracer and sampler writing into it
 * first (synchronously). */
struct dev_destroy_umem_in { struct dev_cmd_in_hdr hdr; uint32_t umem_id; uint32_t rsvd; };
struct dev_destroy_umem_out { struct dev_cmd_out_hdr hdr; };

_Static_assert(sizeof(struct dev_create_uctx_in) == 24, "layout");
_Static_assert(sizeof(struct dev_create_uctx_out) == 16, "layout");
_Static_assert(sizeof(struct dev_destroy_uctx_in) == 16, "layout");
_Static_assert(sizeof(struct dev_query_uctx_out) == 32, "layout");
_Static_assert(sizeof(struct dev_create_umem_in) == 32, "layout");
_Static_assert(sizeof(struct dev_create_umem_out) == 16, "layout");
_Static_assert(sizeof(struct dev_destroy_umem_in) == 16, "layout");

/* NOP (configuration): struct dev_cmd_in_hdr in, struct dev_cmd_out_hdr out. */

/*
 * Paged lists: QUERY_ESW_FUNCTIONS, QUERY_FLOW_TABLE, QUERY_POOLS,
 * QUERY_QUEUES, QUERY_EQ.  The input names a cursor (0: from the start),
 * the output holds as many whole records as fit after struct dev_list_out
 * (at most outlen), their count, and next: the cursor of the following page,
 * 0 when the list is done.  If not even one record fits while records
 * remain, the command fails with BAD_OUTPUT_LEN / DEV_SYND_PAGE_TOO_SMALL.
 * A cursor is opaque; a list is not a snapshot across pages (as a netlink
 * dump: an object changed between pages may be missed or seen twice).
 */
struct dev_list_in { struct dev_cmd_in_hdr hdr; uint32_t cursor; uint32_t rsvd; };
struct dev_list_out {
	struct dev_cmd_out_hdr hdr;
	uint32_t count;       /* records after this header */
	uint32_t next;        /* cursor of the next page; 0: done */
};

/* QUERY_ESW_FUNCTIONS record: the PF first, then every allocated SF. */
struct dev_esw_function {
	uint32_t fn_id;       /* = vport = devlink port index */
	uint32_t controller;
	uint32_t sfnum;       /* 0 for the PF */
	uint16_t pfnum;
	uint8_t state;        /* enum dev_vhca_state (IN_USE for the PF) */
	uint8_t is_sf;
	struct dev_vport_ctx ctx;
};

/* QUERY_FLOW_TABLE record: an eswitch rule with its counters. */
struct dev_flow_entry {
	struct esw_rule_spec spec;
	uint32_t rsvd;
	uint64_t packets;
	uint64_t bytes;
	uint64_t lastuse_ms;  /* CLOCK_MONOTONIC ms of the last hit; 0: never */
};

/* QUERY_POOLS record: the page pool of one worker queue of a port, with
 * the kernel's page_pool stat names (see pp.h). */
struct dev_pool_entry {
	uint32_t vport;
	uint16_t queue;
	uint8_t rep;          /* 1: the representor's side */
	uint8_t rsvd;
	uint64_t alloc_fast, alloc_slow, alloc_empty, alloc_refill, alloc_waive;
	uint64_t recycle_cached, recycle_cache_full, recycle_ring, recycle_ring_full,
		 recycle_released_refcnt;
	uint64_t cap_hit;
	uint32_t inflight;    /* buffers out of the pool */
	uint32_t hold;        /* buffers the pool owns */
	uint32_t max_buffers;
	uint32_t rsvd2;
};

/* QUERY_QUEUES record: a port's worker queue (kind WORKER) or an SF's
 * function queue 1..15 (kind FUNCTION, only queues that have seen
 * traffic), with the counters of `sfnic -s port show`. */
enum { DEV_QUEUE_WORKER = 0, DEV_QUEUE_FUNCTION = 1 };
#define DEV_QUEUE_DROPS 16
struct dev_queue_entry {
	uint32_t vport;
	uint16_t queue;
	uint8_t rep;
	uint8_t kind;
	uint32_t ndrops;      /* meaningful entries of drops[] (enum dp_drop order) */
	uint32_t rsvd;
	uint64_t rx_packets, rx_bytes;  /* entered the eswitch from the queue */
	uint64_t tx_packets, tx_bytes;  /* left the eswitch through it */
	uint64_t drops[DEV_QUEUE_DROPS];
};

/* QUERY_EQ: struct dev_list_out, then struct dev_eq_info, then the pending
 * events (struct dev_eqe records, oldest first) without consuming them. */
struct dev_eq_info { uint32_t depth; uint32_t rsvd; uint64_t produced; };

_Static_assert(sizeof(struct dev_list_in) == 16, "layout");
_Static_assert(sizeof(struct dev_list_out) == 16, "layout");
_Static_assert(sizeof(struct dev_esw_function) == 24, "layout");
_Static_assert(sizeof(struct dev_flow_entry) == 1472, "layout");
_Static_assert(sizeof(struct dev_pool_entry) == 112, "layout");
_Static_assert(sizeof(struct dev_queue_entry) == 176, "layout");
_Static_assert(sizeof(struct dev_eq_info) == 16, "layout");

/* GEN_EQE (debug write): pushes eqe onto the event queue as if the device
 * had raised it; type must be a known enum dev_event_type.  The driver
 * re-reads state on events, but may act on the lie: not a supported state. */
struct dev_gen_eqe_in { struct dev_cmd_in_hdr hdr; struct dev_eqe eqe; };
struct dev_gen_eqe_out { struct dev_cmd_out_hdr hdr; };

/* MODIFY_VHCA_STATE (debug write full): forces an SF's vhca state
 * (ALLOCATED .. TEARDOWN_REQUEST) under its driver, raising the event; the
 * vport carries traffic in ACTIVE, IN_USE and TEARDOWN_REQUEST. */
struct dev_modify_vhca_state_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t fn_id;
	uint8_t state;
	uint8_t rsvd[3];
};
struct dev_modify_vhca_state_out { struct dev_cmd_out_hdr hdr; };

_Static_assert(sizeof(struct dev_gen_eqe_in) == 16, "layout");
_Static_assert(sizeof(struct dev_modify_vhca_state_in) == 16, "layout");

/*
 * RESOURCE_DUMP (debug read-only), as mlx5's resource dump: a stream of
 * segments, each struct dev_dump_seg followed by len bytes of fixed-size
 * records (every record size is a multiple of 8, so segments stay aligned).
 * A page holds whole records only; a segment cut by the page's end is
 * continued in the next page under a new header (flag DEV_DUMP_SEG_MORE on
 * the cut one), so concatenated pages decode as one dump
 * (dev_dump_decode(), dev_dump.h).  segments is a mask of
 * DEV_DUMP_MASK(type), 0 for all.  With umem_id 0 the page is inline after
 * struct dev_resource_dump_out; otherwise it is written into the caller's
 * own umem at umem_offset, at most umem_len bytes (0: to the umem's end).
 * cursor is 0 for the first page, then the previous page's next; next is 0
 * after the last page (mlx5's more_dump).
 */
enum dev_dump_seg_type {
	DEV_DUMP_SEG_CAPS = 1,       /* struct dev_hca_cap */
	DEV_DUMP_SEG_ESW = 2,        /* struct dev_dump_esw */
	DEV_DUMP_SEG_FUNCTIONS = 3,  /* struct dev_esw_function: the SF table with
				      * vhca states and vport contexts */
	DEV_DUMP_SEG_FLOWS = 4,      /* struct dev_flow_entry */
	DEV_DUMP_SEG_POOLS = 5,      /* struct dev_pool_entry */
	DEV_DUMP_SEG_QUEUES = 6,     /* struct dev_queue_entry */
	DEV_DUMP_SEG_EQ = 7,         /* struct dev_eqe, pending events */
	DEV_DUMP_SEG_MAX = 7,
};
#define DEV_DUMP_MASK(t) (1u << (t))
#define DEV_DUMP_SEG_MORE 0x1u        /* continued in the next page */
struct dev_dump_seg { uint16_t type; uint16_t flags; uint32_t len; };
struct dev_dump_esw {
	struct dev_esw_mode esw;
	uint8_t tainted;             /* a debug write happened since start */
	uint8_t rsvd[3];
};
struct dev_resource_dump_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t segments;
	uint32_t umem_id;            /* 0: inline */
	uint64_t umem_offset;
	uint64_t umem_len;
	uint64_t cursor;
};
struct dev_resource_dump_out {
	struct dev_cmd_out_hdr hdr;
	uint64_t next;               /* 0: done */
	uint32_t len;                /* bytes of segments written this page */
	uint32_t rsvd;
};

_Static_assert(sizeof(struct dev_dump_seg) == 8, "layout");
_Static_assert(sizeof(struct dev_dump_esw) == 8, "layout");
_Static_assert(sizeof(struct dev_resource_dump_in) == 40, "layout");
_Static_assert(sizeof(struct dev_resource_dump_out) == 24, "layout");

/*
 * Rings in umem (tracer and sampler).  At umem_offset (8-byte aligned) the
 * device writes struct dev_ring_hdr, then entry_count entries of entry_size
 * bytes (entry_count: the largest power of two that fits in len).  Entry i
 * (counting from 0 since attach) is at slot i % entry_count; the device
 * writes it, then stores producer = i + 1 with release.  It never reads the
 * ring back, so a client cannot confuse it.  A reader keeps its own
 * position c: load producer p with acquire; if p - c > entry_count it lost
 * p - c - entry_count entries (overwritten) and starts at p - entry_count;
 * copy the entries c .. p-1, then load producer again as p2: entries with
 * index < p2 - entry_count + 1 may have been overwritten while copied and
 * are dropped (counted as lost).  Readable while the device runs.
 */
#define DEV_TRACE_MAGIC 0x52544673u   /* "sFTR" */
#define DEV_SAMPLE_MAGIC 0x4d534673u  /* "sFSM" */
#define DEV_RING_VERSION 1
struct dev_ring_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t entry_size;
	uint32_t entry_count;
	uint32_t rsvd;
	uint64_t producer;           /* _Atomic: entries written since attach */
	/* sampler only (0 in a trace ring), updated as it runs: */
	uint32_t rate_hz;            /* requested */
	uint32_t source;             /* enum dev_sample_source */
	uint64_t period_ns;
	uint64_t missed;             /* deadlines skipped (more than 10 ms late) */
	uint64_t max_late_ns;        /* worst lateness of a sample vs its deadline */
	uint64_t stopped;            /* 1 once the sampler has stopped */
	uint64_t late;               /* samples taken a period or more after their
				      * deadline (made up after a stall) */
};

/* SET_TRACER (debug read-only): op_mod ATTACH puts the trace ring of the
 * calling context at umem_offset .. +len of its own umem (replacing an
 * earlier one), DETACH removes it (umem_id etc. 0).  Every command the
 * device executes afterwards (any uid, failed ones too) and every event
 * it queues is traced into every attached ring. */
enum { DEV_TRACER_ATTACH = 0, DEV_TRACER_DETACH = 1 };
struct dev_set_tracer_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t umem_id;
	uint32_t rsvd;
	uint64_t umem_offset;
	uint64_t len;
};
struct dev_set_tracer_out { struct dev_cmd_out_hdr hdr; uint32_t entry_count; uint32_t rsvd; };
enum { DEV_TRACE_CMD = 1, DEV_TRACE_EVENT = 2 };
struct dev_trace_entry {
	uint64_t ts_ns;              /* CLOCK_REALTIME at completion (queueing for events) */
	uint32_t latency_ns;         /* command execution time; 0 for events */
	uint8_t kind;                /* DEV_TRACE_CMD or DEV_TRACE_EVENT */
	uint8_t status;              /* command status; event: the new state */
	uint16_t opcode;             /* command opcode; event: enum dev_event_type */
	uint16_t op_mod;
	uint16_t uid;                /* caller; 0 for events */
	uint32_t syndrome;           /* command syndrome; event: fn_id */
	uint64_t seq;                /* entry index + 1 */
};

/* SET_SAMPLER (debug read-only): op_mod START starts the calling context's
 * sampler (one per context, DEV_SAMPLER_MAX per device): a thread that
 * rate_hz times a second (1 .. DEV_SAMPLER_MAX_HZ) writes a struct
 * dev_sample of the chosen counters into the ring at umem_offset .. +len of
 * the context's own umem.  It only reads counters the datapath workers
 * already keep (no lock on the packet path).  STOP (or DESTROY_UCTX,
 * DESTROY_UMEM, a datapath change) stops it synchronously. */
enum { DEV_SAMPLER_START = 0, DEV_SAMPLER_STOP = 1 };
#define DEV_SAMPLER_MAX_HZ 200000u
#define DEV_SAMPLER_MAX 4u
enum dev_sample_source {
	DEV_SAMPLE_PORT = 1,     /* a port (rep: its representor), summed over
				  * its worker queues as `sfnic -s port show`:
				  * c[] = rx_packets, rx_bytes, tx_packets,
				  * tx_bytes, drops (all reasons) */
	DEV_SAMPLE_QUEUE = 2,    /* worker queue `queue` of the port: as PORT */
	DEV_SAMPLE_FN_QUEUE = 3, /* an SF's function queue 0..15: as PORT */
	DEV_SAMPLE_POOL = 4,     /* the page pool of worker queue `queue`:
				  * c[] = alloc_fast, alloc_slow, alloc_empty,
				  * recycle_cached, recycle_ring, inflight, hold,
				  * cap_hit */
};
struct dev_set_sampler_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t umem_id;
	uint32_t rate_hz;
	uint64_t umem_offset;
	uint64_t len;
	uint32_t source;
	uint32_t vport;
	uint16_t queue;
	uint8_t rep;
	uint8_t rsvd;
	uint32_t rsvd2;
};
struct dev_set_sampler_out { struct dev_cmd_out_hdr hdr; uint32_t entry_count; uint32_t rsvd; };
#define DEV_SAMPLE_F_GONE 0x1u   /* the source no longer exists: c[] all 0 */
struct dev_sample {
	uint64_t ts_ns;          /* CLOCK_MONOTONIC when read */
	uint32_t flags;
	uint32_t rsvd;
	uint64_t c[8];
};

_Static_assert(sizeof(struct dev_ring_hdr) == 72, "layout");
_Static_assert(sizeof(struct dev_set_tracer_in) == 32, "layout");
_Static_assert(sizeof(struct dev_set_tracer_out) == 16, "layout");
_Static_assert(sizeof(struct dev_trace_entry) == 32, "layout");
_Static_assert(sizeof(struct dev_set_sampler_in) == 48, "layout");
_Static_assert(sizeof(struct dev_set_sampler_out) == 16, "layout");
_Static_assert(sizeof(struct dev_sample) == 80, "layout");

/* ======================================================================
 * Issue 12: fault injection, as netdevsim's debugfs knobs are for the
 * kernel's health selftests.  SET_FAULT (debug write: it taints) makes the
 * device misbehave in one way, chosen by op_mod, until cleared or until
 * the health reporter that sees it recovers:
 *   STALL_TX      the owner worker stops polling the input of port
 *                 vport (rep: its representor): frames wait there.
 *   HANG_WORKER   datapath worker `worker` stops making progress (it spins
 *                 without passing; its heartbeat stops).
 *   FAIL_CMDS     the next `count` driver commands (uid 0; not the ctl
 *                 channel's context and umem commands, nor SET_FAULT) fail
 *                 with `status` (not OK) and syndrome
 *                 DEV_SYND(DEV_CMD_SET_FAULT, syndrome & 0xffff), so the
 *                 driver can tell an injected failure from its own mistake.
 *   FAIL_STORE    the driver's state store fails its next `count` writes
 *                 (the device raises DEV_EVENT_FAULT: the store is the
 *                 driver's).
 *   ZC_NO_RETURN  buffers that zero-copy applications of vport give back
 *                 are treated as not arriving (DEV_EVENT_FAULT: the queues
 *                 are the zero-copy channel's).
 *   MEMIF_NO_RETURN the same for vport's memif client (DEV_EVENT_FAULT).
 *   POOL_STARVE   every buffer of vport's region is held as a read-only
 *                 tap holds a frame: the pools the port receives into
 *                 park what they take and cannot refill (frames for the
 *                 port are dropped, no_buffer).  Only CLEAR ends it.
 *   CLEAR         clears every fault the device holds (STALL_TX,
 *                 HANG_WORKER, FAIL_CMDS), and raises DEV_EVENT_FAULT with
 *                 state CLEAR so the driver clears its own.
 * Unused fields must be 0.
 * ====================================================================== */
enum dev_fault {
	DEV_FAULT_CLEAR = 0,
	DEV_FAULT_STALL_TX = 1,
	DEV_FAULT_HANG_WORKER = 2,
	DEV_FAULT_FAIL_CMDS = 3,
	DEV_FAULT_FAIL_STORE = 4,
	DEV_FAULT_ZC_NO_RETURN = 5,
	DEV_FAULT_MEMIF_NO_RETURN = 6,
	DEV_FAULT_POOL_STARVE = 7,
	DEV_FAULT_MAX = 7,
};
struct dev_set_fault_in {
	struct dev_cmd_in_hdr hdr;
	uint32_t vport;              /* STALL_TX, ZC_NO_RETURN, MEMIF_NO_RETURN */
	uint32_t worker;             /* HANG_WORKER */
	uint32_t count;              /* FAIL_CMDS, FAIL_STORE: 1.. */
	uint32_t syndrome;           /* FAIL_CMDS: low 16 bits */
	uint8_t status;              /* FAIL_CMDS: enum dev_status, not OK */
	uint8_t rep;                 /* STALL_TX: the representor's input */
	uint16_t rsvd;
	uint32_t rsvd2;
};
struct dev_set_fault_out { struct dev_cmd_out_hdr hdr; };

enum {
	DEV_SYND_FAULT_BAD_KIND = DEV_SYND(DEV_CMD_SET_FAULT, 0x8001),
	DEV_SYND_FAULT_BAD_PORT = DEV_SYND(DEV_CMD_SET_FAULT, 0x8002),
	DEV_SYND_FAULT_BAD_WORKER = DEV_SYND(DEV_CMD_SET_FAULT, 0x8003),
	DEV_SYND_FAULT_BAD_STATUS = DEV_SYND(DEV_CMD_SET_FAULT, 0x8004),
	DEV_SYND_FAULT_BAD_COUNT = DEV_SYND(DEV_CMD_SET_FAULT, 0x8005),
};
/* Whether a syndrome is an injected FAIL_CMDS failure. */
#define DEV_SYND_IS_INJECTED(s) (((s) >> 16) == DEV_CMD_SET_FAULT && !((s) & 0x8000))

_Static_assert(sizeof(struct dev_set_fault_in) == 32, "layout");
_Static_assert(sizeof(struct dev_set_fault_out) == 8, "layout");

#endif
