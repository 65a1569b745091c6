/*
 * dev_uctx.c - user contexts and their memory (fwctl's uctx, mlx5ctl's umem).
 *
 * A context is created by the driver for each ctl connection; its uid is
 * what the channel stamps on that connection's commands.  Contexts live in
 * one array of DEV_UCTX_MAX, found by uid through a 64 Ki index, both
 * allocated on first use so that a device without clients pays nothing.
 * A umem is client memory the channel mapped; the device records where it
 * is and writes into it only after dev_umem_range() checked the range and
 * the owner, and never reads it back (the client may scribble on it at any
 * time).
 */
#include "dev_internal.h"

#include <stdlib.h>
#include <string.h>

struct dev_uctx *dev_uctx_find(struct dev *d, uint16_t uid)
{
	uint16_t ix;

	if (!uid || !d->uid_ix)
		return NULL;
	ix = d->uid_ix[uid];
	return ix ? &d->uctx[ix - 1] : NULL;
}

bool dev_tainted(const struct dev *d, uint32_t *os_uid, uint32_t *os_pid)
{
	if (d->tainted && os_uid)
		*os_uid = d->taint_os_uid;
	if (d->tainted && os_pid)
		*os_pid = d->taint_os_pid;
	return d->tainted;
}

uint8_t dev_uctx_check(struct ctx *c, uint16_t opcode, uint16_t op_mod)
{
	struct dev_uctx *u = dev_uctx_find(c->d, c->uid);
	int scope = dev_opcode_scope(opcode, op_mod);

	if (!u)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_UID);
	if (scope < 0)
		return dev_fail(c, DEV_STAT_BAD_OP, DEV_SYND_UNKNOWN_OPCODE);
	if (scope == DEV_SCOPE_DRIVER || !(u->cap & DEV_UCTX_CAP_SCOPE(scope)))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_NOT_PRIVILEGED);
	c->u = u;
	return DEV_STAT_OK;
}

void dev_uctx_after(struct ctx *c, uint16_t opcode, uint16_t op_mod, uint8_t status)
{
	int scope = dev_opcode_scope(opcode, op_mod);

	/* Only a write that happened leaves the device unsupported, so a
	 * refused one does not taint (as fwctl taints before the RPC, but
	 * only for contexts allowed the scope, which these are). */
	if (status != DEV_STAT_OK || !c->u || c->d->tainted ||
	    scope < DEV_SCOPE_DEBUG_WRITE || scope == DEV_SCOPE_DRIVER)
		return;
	c->d->tainted = true;
	c->d->taint_os_uid = c->u->os_uid;
	c->d->taint_os_pid = c->u->os_pid;
}

static struct dev_umem *umem_find(struct dev *d, uint32_t id)
{
	for (uint32_t i = 0; id && i < d->numem; i++)
		if (d->umem[i].id == id)
			return &d->umem[i];
	return NULL;
}

uint8_t dev_umem_range(struct ctx *c, uint32_t umem_id, uint64_t off, uint64_t *lenp,
		       uint8_t **p)
{
	struct dev_umem *m = umem_find(c->d, umem_id);

	if (!m)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UMEM_UNKNOWN);
	if (m->owner != c->uid)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UMEM_NOT_OWNER);
	/* Written so that no sum can wrap. */
	if (off > m->len || *lenp > m->len - off)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UMEM_OUT_OF_BOUNDS);
	if (!*lenp)
		*lenp = m->len - off;
	*p = m->addr + off;
	return DEV_STAT_OK;
}

static void umem_remove(struct dev *d, struct dev_umem *m)
{
	struct dev_uctx *u = dev_uctx_find(d, m->owner);

	/* Nothing may write into it once the driver is told it is gone. */
	if (u && u->sampler && u->sampler_umem == m->id)
		dev_sampler_stop(d, u);
	if (u && u->trace.umem_id == m->id)
		dev_trace_detach(d, u);
	if (u)
		u->numems--;
	*m = d->umem[--d->numem];
}

static void uctx_free(struct dev *d, struct dev_uctx *u)
{
	dev_sampler_stop(d, u);
	dev_trace_detach(d, u);
	for (uint32_t i = d->numem; i-- > 0;)
		if (d->umem[i].owner == u->uid)
			umem_remove(d, &d->umem[i]);
	d->uid_ix[u->uid] = 0;
	memset(u, 0, sizeof(*u));
	d->nuctx--;
}

void dev_uctx_destroy_all(struct dev *d)
{
	for (uint32_t i = 0; d->uctx && i < DEV_UCTX_MAX; i++)
		if (d->uctx[i].live)
			uctx_free(d, &d->uctx[i]);
	free(d->uctx);
	free(d->uid_ix);
	free(d->umem);
	d->uctx = NULL;
	d->uid_ix = NULL;
	d->umem = NULL;
	d->numem = d->umem_cap = 0;
}

uint8_t dev_cmd_create_uctx(struct ctx *c)
{
	const struct dev_create_uctx_in *in = c->in;
	struct dev_create_uctx_out *o = c->out;
	struct dev *d = c->d;
	struct dev_uctx *u = NULL;

	NEED_IO(c, *in, *o);
	if (in->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	if (d->nuctx >= DEV_UCTX_MAX)
		return dev_fail(c, DEV_STAT_EXCEED_LIM, DEV_SYND_UCTX_TOO_MANY);
	if (!d->uctx) {
		d->uctx = calloc(DEV_UCTX_MAX, sizeof(*d->uctx));
		d->uid_ix = calloc(65536, sizeof(*d->uid_ix));
		if (!d->uctx || !d->uid_ix) {
			free(d->uctx);
			free(d->uid_ix);
			d->uctx = NULL;
			d->uid_ix = NULL;
			return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE);
		}
	}
	for (uint32_t i = 0; i < DEV_UCTX_MAX && !u; i++)
		if (!d->uctx[i].live)
			u = &d->uctx[i];
	/* Round-robin uids: a stale uid from a closed connection is not
	 * handed to the next client at once (at most 1024 of 65535 are live,
	 * so the loop ends). */
	do
		d->next_uid = (uint16_t)(d->next_uid + 1);
	while (!d->next_uid || d->uid_ix[d->next_uid]);
	*u = (struct dev_uctx){ .live = true, .uid = d->next_uid,
				.cap = in->cap & DEV_UCTX_CAP_ALL,
				.os_uid = in->os_uid, .os_pid = in->os_pid };
	d->uid_ix[u->uid] = (uint16_t)(u - d->uctx + 1);
	d->nuctx++;
	o->uid = u->uid;
	o->cap = u->cap;
	return DEV_STAT_OK;
}

uint8_t dev_cmd_destroy_uctx(struct ctx *c)
{
	const struct dev_destroy_uctx_in *in = c->in;
	struct dev_uctx *u;

	NEED_IO(c, *in, struct dev_destroy_uctx_out);
	if (in->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	u = in->uid <= UINT16_MAX ? dev_uctx_find(c->d, (uint16_t)in->uid) : NULL;
	if (!u)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_UID);
	uctx_free(c->d, u);
	return DEV_STAT_OK;
}

uint8_t dev_cmd_query_uctx(struct ctx *c)
{
	struct dev_query_uctx_out *o = c->out;

	NEED_IO(c, struct dev_cmd_in_hdr, *o);
	o->dev_uctx_cap = DEV_UCTX_CAP_ALL;
	if (!c->u) {            /* the driver */
		o->cap = DEV_UCTX_CAP_ALL;
		return DEV_STAT_OK;
	}
	o->uid = c->u->uid;
	o->cap = c->u->cap;
	o->os_uid = c->u->os_uid;
	o->os_pid = c->u->os_pid;
	return DEV_STAT_OK;
}

uint8_t dev_cmd_create_umem(struct ctx *c)
{
	const struct dev_create_umem_in *in = c->in;
	struct dev_create_umem_out *o = c->out;
	struct dev *d = c->d;
	struct dev_uctx *u = NULL;

	NEED_IO(c, *in, *o);
	if (in->rsvd || in->rsvd2)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	if (in->owner_uid && !(u = dev_uctx_find(d, in->owner_uid)))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_UID);
	if (!in->addr || in->addr % 8 || in->addr + in->len < in->addr)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UMEM_BAD_ADDR);
	if (!in->len || in->len > DEV_UMEM_MAX)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UMEM_BAD_LEN);
	if ((u && u->numems >= DEV_UMEM_PER_UCTX) ||
	    d->numem >= (DEV_UCTX_MAX + 1) * DEV_UMEM_PER_UCTX)
		return dev_fail(c, DEV_STAT_EXCEED_LIM, DEV_SYND_UMEM_TOO_MANY);
	if (d->numem == d->umem_cap) {
		uint32_t cap = d->umem_cap ? d->umem_cap * 2 : 16;
		struct dev_umem *n = realloc(d->umem, cap * sizeof(*n));

		if (!n)
			return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE);
		d->umem = n;
		d->umem_cap = cap;
	}
	do
		d->next_umem_id++;
	while (!d->next_umem_id || umem_find(d, d->next_umem_id));
	d->umem[d->numem++] = (struct dev_umem){
		.id = d->next_umem_id, .owner = in->owner_uid,
		.addr = (uint8_t *)(uintptr_t)in->addr, .len = in->len };
	if (u)
		u->numems++;
	o->umem_id = d->next_umem_id;
	return DEV_STAT_OK;
}

uint8_t dev_cmd_destroy_umem(struct ctx *c)
{
	const struct dev_destroy_umem_in *in = c->in;
	struct dev_umem *m;

	NEED_IO(c, *in, struct dev_destroy_umem_out);
	if (in->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	m = umem_find(c->d, in->umem_id);
	if (!m)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UMEM_UNKNOWN);
	umem_remove(c->d, m);
	return DEV_STAT_OK;
}
