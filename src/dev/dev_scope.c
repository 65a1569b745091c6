/*
 * dev_scope.c - the scope of every opcode, in one table (fwctl's rule that
 * each RPC maps to a scope), and the names of opcodes, scopes and statuses.  No state: the ctl channel
 * and the sfnicctl tool link it as well as the device.
 *
 * Why these scopes: queries that show what `sfnic` shows anyway are
 * configuration; queries of internals (vhca states, flow counters, pools,
 * queues, the EQ, dumps, traces, samples) observe only and are debug
 * read-only; an injected event may make the driver act on a lie (debug
 * write); forcing a vhca state under a driver breaks it (debug write
 * full).  Every command that changes state for devlink, whose state is
 * durable, is the driver's: a debug channel must not bypass it.
 */
#include "dev.h"

#include <stddef.h>
#include <strings.h>

static const struct {
	uint16_t opcode;
	uint8_t scope;
	const char *name;
} scopes[] = {
	{ DEV_CMD_QUERY_HCA_CAP, DEV_SCOPE_CONFIGURATION, "QUERY_HCA_CAP" },
	{ DEV_CMD_QUERY_VPORT_CTX, DEV_SCOPE_CONFIGURATION, "QUERY_VPORT_CTX" },
	{ DEV_CMD_QUERY_ESW_MODE, DEV_SCOPE_CONFIGURATION, "QUERY_ESW_MODE" },
	{ DEV_CMD_QUERY_ESW_FUNCTIONS, DEV_SCOPE_CONFIGURATION, "QUERY_ESW_FUNCTIONS" },
	{ DEV_CMD_NOP, DEV_SCOPE_CONFIGURATION, "NOP" },
	{ DEV_CMD_QUERY_UCTX, DEV_SCOPE_CONFIGURATION, "QUERY_UCTX" },

	{ DEV_CMD_QUERY_VHCA_STATE, DEV_SCOPE_DEBUG_READ_ONLY, "QUERY_VHCA_STATE" },
	{ DEV_CMD_QUERY_FLOW_TABLE, DEV_SCOPE_DEBUG_READ_ONLY, "QUERY_FLOW_TABLE" },
	{ DEV_CMD_QUERY_POOLS, DEV_SCOPE_DEBUG_READ_ONLY, "QUERY_POOLS" },
	{ DEV_CMD_QUERY_QUEUES, DEV_SCOPE_DEBUG_READ_ONLY, "QUERY_QUEUES" },
	{ DEV_CMD_QUERY_EQ, DEV_SCOPE_DEBUG_READ_ONLY, "QUERY_EQ" },
	{ DEV_CMD_RESOURCE_DUMP, DEV_SCOPE_DEBUG_READ_ONLY, "RESOURCE_DUMP" },
	{ DEV_CMD_SET_TRACER, DEV_SCOPE_DEBUG_READ_ONLY, "SET_TRACER" },
	{ DEV_CMD_SET_SAMPLER, DEV_SCOPE_DEBUG_READ_ONLY, "SET_SAMPLER" },

	{ DEV_CMD_GEN_EQE, DEV_SCOPE_DEBUG_WRITE, "GEN_EQE" },
	{ DEV_CMD_SET_FAULT, DEV_SCOPE_DEBUG_WRITE, "SET_FAULT" },

	{ DEV_CMD_MODIFY_VHCA_STATE, DEV_SCOPE_DEBUG_WRITE_FULL, "MODIFY_VHCA_STATE" },

	{ DEV_CMD_INIT_HCA, DEV_SCOPE_DRIVER, "INIT_HCA" },
	{ DEV_CMD_TEARDOWN_HCA, DEV_SCOPE_DRIVER, "TEARDOWN_HCA" },
	{ DEV_CMD_ENABLE_HCA, DEV_SCOPE_DRIVER, "ENABLE_HCA" },
	{ DEV_CMD_DISABLE_HCA, DEV_SCOPE_DRIVER, "DISABLE_HCA" },
	{ DEV_CMD_SET_HCA_CAP, DEV_SCOPE_DRIVER, "SET_HCA_CAP" },
	{ DEV_CMD_ALLOC_SF, DEV_SCOPE_DRIVER, "ALLOC_SF" },
	{ DEV_CMD_DEALLOC_SF, DEV_SCOPE_DRIVER, "DEALLOC_SF" },
	{ DEV_CMD_MODIFY_VPORT_CTX, DEV_SCOPE_DRIVER, "MODIFY_VPORT_CTX" },
	{ DEV_CMD_SET_FLOW_TABLE_ENTRY, DEV_SCOPE_DRIVER, "SET_FLOW_TABLE_ENTRY" },
	{ DEV_CMD_DELETE_FLOW_TABLE_ENTRY, DEV_SCOPE_DRIVER, "DELETE_FLOW_TABLE_ENTRY" },
	{ DEV_CMD_SET_ESW_MODE, DEV_SCOPE_DRIVER, "SET_ESW_MODE" },
	{ DEV_CMD_CREATE_UCTX, DEV_SCOPE_DRIVER, "CREATE_UCTX" },
	{ DEV_CMD_DESTROY_UCTX, DEV_SCOPE_DRIVER, "DESTROY_UCTX" },
	{ DEV_CMD_CREATE_UMEM, DEV_SCOPE_DRIVER, "CREATE_UMEM" },
	{ DEV_CMD_DESTROY_UMEM, DEV_SCOPE_DRIVER, "DESTROY_UMEM" },
};

int dev_opcode_scope(uint16_t opcode, uint16_t op_mod)
{
	(void)op_mod;
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		if (scopes[i].opcode == opcode)
			return scopes[i].scope;
	return -1;
}

const char *dev_opcode_str(uint16_t opcode)
{
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		if (scopes[i].opcode == opcode)
			return scopes[i].name;
	return NULL;
}

int dev_opcode_by_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(scopes) / sizeof(scopes[0]); i++)
		if (!strcasecmp(scopes[i].name, name))
			return scopes[i].opcode;
	return -1;
}

const char *dev_scope_str(unsigned scope)
{
	switch (scope) {
	case DEV_SCOPE_CONFIGURATION: return "configuration";
	case DEV_SCOPE_DEBUG_READ_ONLY: return "debug_read_only";
	case DEV_SCOPE_DEBUG_WRITE: return "debug_write";
	case DEV_SCOPE_DEBUG_WRITE_FULL: return "debug_write_full";
	case DEV_SCOPE_DRIVER: return "driver";
	default: return NULL;
	}
}

const char *dev_status_str(uint8_t status)
{
	switch (status) {
	case DEV_STAT_OK: return "OK";
	case DEV_STAT_INT_ERR: return "INT_ERR";
	case DEV_STAT_BAD_OP: return "BAD_OP";
	case DEV_STAT_BAD_PARAM: return "BAD_PARAM";
	case DEV_STAT_BAD_SYS_STATE: return "BAD_SYS_STATE";
	case DEV_STAT_BAD_RESOURCE: return "BAD_RESOURCE";
	case DEV_STAT_RESOURCE_BUSY: return "RESOURCE_BUSY";
	case DEV_STAT_EXCEED_LIM: return "EXCEED_LIM";
	case DEV_STAT_BAD_RES_STATE: return "BAD_RES_STATE";
	case DEV_STAT_BAD_INDEX: return "BAD_INDEX";
	case DEV_STAT_NO_RESOURCES: return "NO_RESOURCES";
	case DEV_STAT_BAD_INPUT_LEN: return "BAD_INPUT_LEN";
	case DEV_STAT_BAD_OUTPUT_LEN: return "BAD_OUTPUT_LEN";
	default: return "UNKNOWN";
	}
}
