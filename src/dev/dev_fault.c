/*
 * dev_fault.c - SET_FAULT: injected faults for the health reporters'
 * tests, as netdevsim's debugfs knobs (layouts and meaning in dev_cmd.h).
 *
 * Faults of what the device owns take effect here (failing commands) or in
 * its datapath (a stalled input, a hung worker).  Faults of what the driver
 * owns (its state store, the zero-copy and memif consumers it serves) are
 * raised as DEV_EVENT_FAULT for the driver to apply: the device has no
 * business reaching into them, as a NIC's firmware would tell its driver.
 */
#include "dev_internal.h"

#include "../dp/dp.h"

/* The commands a failure injection never hits: the ctl channel's own
 * (else the tool that injected it could not reach the device to clear
 * it) and SET_FAULT itself. */
static bool exempt(uint16_t opcode)
{
	switch (opcode) {
	case DEV_CMD_CREATE_UCTX:
	case DEV_CMD_DESTROY_UCTX:
	case DEV_CMD_CREATE_UMEM:
	case DEV_CMD_DESTROY_UMEM:
	case DEV_CMD_SET_FAULT:
		return true;
	default:
		return false;
	}
}

uint8_t dev_fault_cmd(struct ctx *c, uint16_t opcode)
{
	struct dev *d = c->d;

	if (exempt(opcode))
		return DEV_STAT_OK;
	d->fail_left--;
	return dev_fail(c, d->fail_status, d->fail_synd);
}

static bool valid_status(uint8_t st)
{
	return st != DEV_STAT_OK && dev_status_str(st)[0] != 'U';   /* not "UNKNOWN" */
}

uint8_t dev_cmd_set_fault(struct ctx *c, uint16_t op_mod)
{
	const struct dev_set_fault_in *in = c->in;
	struct dev *d = c->d;

	NEED_IO(c, *in, struct dev_set_fault_out);
	if (in->rsvd || in->rsvd2)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	switch (op_mod) {
	case DEV_FAULT_CLEAR:
		d->fail_left = 0;
		if (d->dp)
			dp_fault_clear(d->dp);
		(void)dev_eq_push(d, DEV_EVENT_FAULT, 0, DEV_FAULT_CLEAR);
		return DEV_STAT_OK;
	case DEV_FAULT_STALL_TX:
		if (!d->dp)
			return dev_fail(c, DEV_STAT_BAD_SYS_STATE, DEV_SYND_NO_DATAPATH);
		if (in->rep > 1 || dp_fault_stall_input(d->dp, in->vport, in->rep, true))
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FAULT_BAD_PORT);
		return DEV_STAT_OK;
	case DEV_FAULT_HANG_WORKER:
		if (!d->dp)
			return dev_fail(c, DEV_STAT_BAD_SYS_STATE, DEV_SYND_NO_DATAPATH);
		if (dp_fault_hang_worker(d->dp, in->worker, true))
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FAULT_BAD_WORKER);
		return DEV_STAT_OK;
	case DEV_FAULT_FAIL_CMDS:
		if (!valid_status(in->status))
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FAULT_BAD_STATUS);
		if (!in->count)
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FAULT_BAD_COUNT);
		d->fail_left = in->count;
		d->fail_status = in->status;
		d->fail_synd = DEV_SYND(DEV_CMD_SET_FAULT, in->syndrome & 0x7fff);
		return DEV_STAT_OK;
	case DEV_FAULT_FAIL_STORE:
		if (!in->count)
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FAULT_BAD_COUNT);
		(void)dev_eq_push(d, DEV_EVENT_FAULT, in->count, DEV_FAULT_FAIL_STORE);
		return DEV_STAT_OK;
	case DEV_FAULT_POOL_STARVE:
		if (!d->dp)
			return dev_fail(c, DEV_STAT_BAD_SYS_STATE, DEV_SYND_NO_DATAPATH);
		if (in->vport == DEV_VPORT_UPLINK || dp_fault_starve_pools(d->dp, in->vport, true))
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FAULT_BAD_PORT);
		return DEV_STAT_OK;
	case DEV_FAULT_ZC_NO_RETURN:
	case DEV_FAULT_MEMIF_NO_RETURN:
		if (!d->dp || !dp_port_exists(d->dp, in->vport) || in->vport == DEV_VPORT_UPLINK)
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FAULT_BAD_PORT);
		(void)dev_eq_push(d, DEV_EVENT_FAULT, in->vport, (uint8_t)op_mod);
		return DEV_STAT_OK;
	default:
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FAULT_BAD_KIND);
	}
}
