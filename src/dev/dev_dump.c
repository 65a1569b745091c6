/* dev_dump.c - RESOURCE_DUMP (step 3: not yet). */
#include "dev_internal.h"

uint8_t dev_cmd_resource_dump(struct ctx *c)
{
	return dev_fail(c, DEV_STAT_BAD_OP, DEV_SYND_UNKNOWN_OPCODE);
}
