/* dev_sampler.c - the counter sampler (step 5: not yet). */
#include "dev_internal.h"

uint8_t dev_cmd_set_sampler(struct ctx *c, uint16_t op_mod)
{
	(void)op_mod;
	return dev_fail(c, DEV_STAT_BAD_OP, DEV_SYND_UNKNOWN_OPCODE);
}

void dev_sampler_stop(struct dev *d, struct dev_uctx *u)
{
	(void)d;
	(void)u;
}
