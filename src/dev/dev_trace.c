/*
 * dev_trace.c - the device tracer (mlx5's firmware tracer): every command
 * and every queued event, written into the trace ring of each context that
 * attached one (SET_TRACER).  Rings (struct dev_ring_hdr, dev_cmd.h) are
 * shared with the sampler; this file owns their producer protocol.
 */
#include "dev_internal.h"

#include <stdatomic.h>
#include <string.h>

uint8_t dev_ring_init(struct ctx *c, struct dev_ring *r, uint32_t umem_id, uint8_t *p,
		      uint64_t len, uint32_t size, uint32_t magic)
{
	uint64_t n;
	uint32_t count = 1;

	/* The header's producer is an atomic the client loads. */
	if ((uintptr_t)p % 8)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RING_UNALIGNED);
	if (len < sizeof(struct dev_ring_hdr) + 2 * (uint64_t)size)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RING_TOO_SMALL);
	n = (len - sizeof(struct dev_ring_hdr)) / size;
	while ((uint64_t)count * 2 <= n && count < (1u << 30))
		count *= 2;
	*r = (struct dev_ring){ .umem_id = umem_id, .hdr = (struct dev_ring_hdr *)p,
				.ents = p + sizeof(struct dev_ring_hdr), .count = count,
				.size = size };
	memset(r->hdr, 0, sizeof(*r->hdr));
	r->hdr->magic = magic;
	r->hdr->version = DEV_RING_VERSION;
	r->hdr->entry_size = (uint16_t)size;
	r->hdr->entry_count = count;
	return DEV_STAT_OK;
}

void dev_ring_push(struct dev_ring *r, const void *e)
{
	memcpy(r->ents + (size_t)(r->prod & (r->count - 1)) * r->size, e, r->size);
	r->prod++;
	/* The entry is visible before the count that covers it. */
	atomic_store_explicit((_Atomic uint64_t *)&r->hdr->producer, r->prod,
			      memory_order_release);
}

void dev_trace_detach(struct dev *d, struct dev_uctx *u)
{
	if (!u->trace.umem_id)
		return;
	memset(&u->trace, 0, sizeof(u->trace));
	d->ntracers--;
}

static void trace_push(struct dev *d, struct dev_trace_entry *e)
{
	for (uint32_t i = 0, seen = 0; seen < d->ntracers && i < DEV_UCTX_MAX; i++) {
		struct dev_uctx *u = &d->uctx[i];

		if (!u->live || !u->trace.umem_id)
			continue;
		seen++;
		e->seq = u->trace.prod + 1;
		dev_ring_push(&u->trace, e);
	}
}

void dev_trace_cmd(struct dev *d, const struct dev_cmd_in_hdr *ih, uint8_t status,
		   uint32_t syndrome, uint64_t latency_ns)
{
	struct dev_trace_entry e = {
		.ts_ns = dev_now_ns(CLOCK_REALTIME),
		.latency_ns = latency_ns > UINT32_MAX ? UINT32_MAX : (uint32_t)latency_ns,
		.kind = DEV_TRACE_CMD, .status = status, .opcode = ih->opcode,
		.op_mod = ih->op_mod, .uid = ih->uid, .syndrome = syndrome,
	};

	trace_push(d, &e);
}

void dev_trace_event(struct dev *d, const struct dev_eqe *ev)
{
	struct dev_trace_entry e = {
		.ts_ns = dev_now_ns(CLOCK_REALTIME), .kind = DEV_TRACE_EVENT,
		.status = ev->state, .opcode = ev->type, .syndrome = ev->fn_id,
	};

	trace_push(d, &e);
}

uint8_t dev_cmd_set_tracer(struct ctx *c, uint16_t op_mod)
{
	const struct dev_set_tracer_in *in = c->in;
	struct dev_set_tracer_out *o = c->out;
	struct dev_ring r;
	uint64_t len;
	uint8_t *p, st;

	NEED_IO(c, *in, *o);
	if (in->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	/* A ring belongs to a context: the driver has none to hang it on. */
	if (!c->u)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_UID);
	if (op_mod == DEV_TRACER_DETACH) {
		dev_trace_detach(c->d, c->u);
		return DEV_STAT_OK;
	}
	if (op_mod != DEV_TRACER_ATTACH)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_BAD_OP_MOD);
	len = in->len;
	st = dev_umem_range(c, in->umem_id, in->umem_offset, &len, &p);
	if (st != DEV_STAT_OK)
		return st;
	st = dev_ring_init(c, &r, in->umem_id, p, len, sizeof(struct dev_trace_entry),
			   DEV_TRACE_MAGIC);
	if (st != DEV_STAT_OK)
		return st;
	dev_trace_detach(c->d, c->u);
	c->u->trace = r;
	c->d->ntracers++;
	o->entry_count = r.count;
	return DEV_STAT_OK;
}
