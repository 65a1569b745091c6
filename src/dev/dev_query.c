/*
 * dev_query.c - the read-only surface of issue 11 (what the device owns
 * and nothing showed before) and the two debug writes, GEN_EQE and
 * MODIFY_VHCA_STATE.
 *
 * Lists are written by listers (dev_internal.h) that the paged queries and
 * the resource dump share.  A lister builds each record in a zeroed local
 * and copies it out whole, so no padding or stale byte of the daemon ever
 * reaches a client, and it never reads its output buffer (which may be a
 * client's umem).  Positions are dense numbers over sparse tables, so a
 * cursor stays meaningful while objects come and go between pages.
 */
#include "dev_internal.h"

#include <string.h>

#include "../dp/dp.h"

/* Functions: position 0 is the PF, 1 + controller * DEV_SF_HARD_MAX + slot
 * an SF. */
uint32_t dev_list_functions(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done)
{
	struct dev_esw_function f;
	uint32_t n = 0;

	*done = false;
	for (;;) {
		uint64_t p = *pos;

		memset(&f, 0, sizeof(f));
		if (p == 0) {
			f.state = DEV_VHCA_IN_USE;
			f.ctx = d->pf_ctx;
		} else {
			uint64_t ctl = (p - 1) / DEV_SF_HARD_MAX, slot = (p - 1) % DEV_SF_HARD_MAX;
			const struct sf_table *t;

			if (ctl >= DEV_NUM_CONTROLLERS) {
				*done = true;
				return n;
			}
			t = &d->sf[ctl];
			if (slot >= t->max) {
				*pos = 1 + (ctl + 1) * DEV_SF_HARD_MAX;
				continue;
			}
			if (t->slots[slot].state == DEV_VHCA_INVALID) {
				(*pos)++;
				continue;
			}
			f.fn_id = dev_slot_to_fn(t, (uint32_t)slot);
			f.controller = (uint32_t)ctl;
			f.sfnum = t->slots[slot].sfnum;
			f.pfnum = t->slots[slot].pfnum;
			f.state = t->slots[slot].state;
			f.is_sf = 1;
			f.ctx = t->slots[slot].ctx;
		}
		if (cap < sizeof(f))
			return n;
		memcpy(buf, &f, sizeof(f));
		buf += sizeof(f);
		cap -= sizeof(f);
		n++;
		(*pos)++;
	}
}

struct flow_walk {
	uint64_t skip, idx;
	uint8_t *buf;
	size_t cap;
	uint32_t n;
	bool full;
};

static void flow_one(const struct esw_rule *r, void *arg)
{
	struct flow_walk *w = arg;
	struct dev_flow_entry e;

	if (w->full || w->idx < w->skip) {
		w->idx += !w->full;
		return;
	}
	if (w->cap < sizeof(e)) {
		w->full = true;
		return;
	}
	memset(&e, 0, sizeof(e));
	e.spec = *esw_rule_spec(r);
	esw_rule_counters(r, &e.packets, &e.bytes, &e.lastuse_ms);
	memcpy(w->buf, &e, sizeof(e));
	w->buf += sizeof(e);
	w->cap -= sizeof(e);
	w->n++;
	w->idx++;
}

/* Flows: the position is the rule's rank in the classifier's walk. */
uint32_t dev_list_flows(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done)
{
	struct flow_walk w = { .skip = *pos, .buf = buf, .cap = cap };

	if (d->dp)
		dp_rule_foreach(d->dp, flow_one, &w);
	*pos = w.idx > *pos ? w.idx : *pos;
	*done = !w.full;
	return w.n;
}

/* Ports: k = 0 the uplink, 1 the PF, 2 + controller * DEV_SF_HARD_MAX +
 * slot an SF whose vport is up.  Finds the first port at k or after. */
static bool port_at(struct dev *d, uint64_t *k, uint32_t *vport)
{
	for (;;) {
		uint64_t ctl, slot;
		const struct sf_table *t;

		if (*k < 2) {
			*vport = *k == 0 ? DEV_VPORT_UPLINK : DEV_FN_PF;
			return true;
		}
		ctl = (*k - 2) / DEV_SF_HARD_MAX;
		slot = (*k - 2) % DEV_SF_HARD_MAX;
		if (ctl >= DEV_NUM_CONTROLLERS)
			return false;
		t = &d->sf[ctl];
		if (slot >= t->max) {
			*k = 2 + (ctl + 1) * DEV_SF_HARD_MAX;
			continue;
		}
		*vport = dev_slot_to_fn(t, (uint32_t)slot);
		if (dp_port_exists(d->dp, *vport))
			return true;
		(*k)++;
	}
}

/* Sub-positions within a port: worker queues (rep * DP_MAX_WORKERS + q),
 * then (queues only) function queues 1..DP_FN_QUEUES-1. */
#define SUB_WORKER (2 * DP_MAX_WORKERS)
#define SUB_QUEUES (SUB_WORKER + DP_FN_QUEUES)

static void pool_entry(struct dev_pool_entry *e, const struct pp_stats *s)
{
	e->alloc_fast = s->alloc_fast;
	e->alloc_slow = s->alloc_slow;
	e->alloc_empty = s->alloc_empty;
	e->alloc_refill = s->alloc_refill;
	e->alloc_waive = s->alloc_waive;
	e->recycle_cached = s->recycle_cached;
	e->recycle_cache_full = s->recycle_cache_full;
	e->recycle_ring = s->recycle_ring;
	e->recycle_ring_full = s->recycle_ring_full;
	e->recycle_released_refcnt = s->recycle_released_refcnt;
	e->cap_hit = s->cap_hit;
	e->inflight = s->inflight;
	e->hold = s->hold;
	e->max_buffers = s->max_buffers;
}

static void queue_entry(struct dev_queue_entry *e, const struct dp_qstats *s)
{
	e->rx_packets = s->rx_packets;
	e->rx_bytes = s->rx_bytes;
	e->tx_packets = s->tx_packets;
	e->tx_bytes = s->tx_bytes;
	e->ndrops = DP_DROP_MAX < DEV_QUEUE_DROPS ? DP_DROP_MAX : DEV_QUEUE_DROPS;
	for (uint32_t i = 0; i < e->ndrops; i++)
		e->drops[i] = s->drops[i];
}

/* Builds the record at port vport, sub-position sub into *rec; false when
 * there is none there (no pool, a silent function queue). */
static bool pool_or_queue(struct dev *d, bool pools, uint32_t vport, unsigned sub, void *rec)
{
	struct dp_qstats st;
	struct pp_stats ps;
	bool has = false;
	bool rep = sub >= DP_MAX_WORKERS && sub < SUB_WORKER;
	unsigned q = sub % DP_MAX_WORKERS;

	if (sub < SUB_WORKER) {
		if (q >= dp_nqueues(d->dp) ||
		    dp_queue_stats(d->dp, vport, rep, q, &st, &ps, &has))
			return false;
	} else {
		q = sub - SUB_WORKER;
		if (q == 0 || dp_fn_queue_stats(d->dp, vport, q, &st))
			return false;
		has = st.rx_packets || st.tx_packets;
		for (unsigned i = 0; i < DP_DROP_MAX; i++)
			has |= st.drops[i] != 0;
		if (!has)
			return false;
	}
	if (pools) {
		struct dev_pool_entry *e = rec;

		if (!has)
			return false;
		memset(e, 0, sizeof(*e));
		e->vport = vport;
		e->queue = (uint16_t)q;
		e->rep = rep;
		pool_entry(e, &ps);
	} else {
		struct dev_queue_entry *e = rec;

		memset(e, 0, sizeof(*e));
		e->vport = vport;
		e->queue = (uint16_t)q;
		e->rep = rep;
		e->kind = sub < SUB_WORKER ? DEV_QUEUE_WORKER : DEV_QUEUE_FUNCTION;
		queue_entry(e, &st);
	}
	return true;
}

static uint32_t list_pq(struct dev *d, bool pools, uint64_t *pos, uint8_t *buf, size_t cap,
			bool *done)
{
	unsigned subs = pools ? SUB_WORKER : SUB_QUEUES;
	size_t size = pools ? sizeof(struct dev_pool_entry) : sizeof(struct dev_queue_entry);
	union { struct dev_pool_entry p; struct dev_queue_entry q; } rec;
	uint32_t n = 0;

	*done = false;
	if (!d->dp) {
		*done = true;
		return 0;
	}
	for (;;) {
		uint64_t k = *pos / subs, k0 = k;
		unsigned sub = (unsigned)(*pos % subs);
		uint32_t vport;

		if (!port_at(d, &k, &vport)) {
			*done = true;
			return n;
		}
		if (k != k0)
			sub = 0;
		*pos = k * subs + sub;
		if (!pool_or_queue(d, pools, vport, sub, &rec)) {
			(*pos)++;
			continue;
		}
		if (cap < size)
			return n;
		memcpy(buf, &rec, size);
		buf += size;
		cap -= size;
		n++;
		(*pos)++;
	}
}

uint32_t dev_list_pools(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done)
{
	return list_pq(d, true, pos, buf, cap, done);
}

uint32_t dev_list_queues(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done)
{
	return list_pq(d, false, pos, buf, cap, done);
}

/* Pending events, oldest first, not consumed. */
uint32_t dev_list_eq(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done)
{
	uint32_t n = 0;

	while (*pos < d->eq_len && cap >= sizeof(struct dev_eqe)) {
		struct dev_eqe e = d->eq[(d->eq_head + *pos) % d->eq_cap];

		memcpy(buf, &e, sizeof(e));
		buf += sizeof(e);
		cap -= sizeof(e);
		n++;
		(*pos)++;
	}
	*done = *pos >= d->eq_len;
	return n;
}

uint8_t dev_cmd_list(struct ctx *c, uint16_t opcode)
{
	const struct dev_list_in *in = c->in;
	struct dev_list_out *o = c->out;
	size_t hdr = sizeof(*o);
	dev_lister lister;
	uint64_t pos;
	uint32_t n;
	bool done;

	switch (opcode) {
	case DEV_CMD_QUERY_ESW_FUNCTIONS: lister = dev_list_functions; break;
	case DEV_CMD_QUERY_FLOW_TABLE: lister = dev_list_flows; break;
	case DEV_CMD_QUERY_POOLS: lister = dev_list_pools; break;
	case DEV_CMD_QUERY_QUEUES: lister = dev_list_queues; break;
	default: lister = dev_list_eq; hdr += sizeof(struct dev_eq_info); break;
	}
	if (c->inlen < sizeof(*in))
		return dev_fail(c, DEV_STAT_BAD_INPUT_LEN, DEV_SYND_SHORT_INPUT);
	if (c->outlen < hdr)
		return dev_fail(c, DEV_STAT_BAD_OUTPUT_LEN, DEV_SYND_SHORT_OUTPUT);
	if (in->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	pos = in->cursor ? in->cursor - 1 : 0;
	n = lister(c->d, &pos, (uint8_t *)c->out + hdr, c->outlen - hdr, &done);
	if (!n && !done)
		return dev_fail(c, DEV_STAT_BAD_OUTPUT_LEN, DEV_SYND_PAGE_TOO_SMALL);
	o->count = n;
	/* Positions stay far below 2^32 - 1 (the largest is the queues' of the
	 * last external SF slot, about 6.3 million). */
	o->next = done ? 0 : (uint32_t)(pos + 1);
	if (hdr > sizeof(*o)) {
		struct dev_eq_info info = { .depth = (uint32_t)c->d->eq_len,
					    .produced = c->d->eq_produced };

		memcpy(o + 1, &info, sizeof(info));
	}
	return DEV_STAT_OK;
}

uint8_t dev_cmd_nop(struct ctx *c)
{
	NEED_IO(c, struct dev_cmd_in_hdr, struct dev_cmd_out_hdr);
	return DEV_STAT_OK;
}

uint8_t dev_cmd_gen_eqe(struct ctx *c)
{
	const struct dev_gen_eqe_in *in = c->in;
	const struct dev_eqe *e = &in->eqe;

	NEED_IO(c, *in, struct dev_gen_eqe_out);
	if (e->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	/* A lie the driver can parse: a known type with a state in range. */
	if (!(e->type == DEV_EVENT_VHCA_STATE && e->state <= DEV_VHCA_TEARDOWN_REQUEST) &&
	    !(e->type == DEV_EVENT_ESW_MODE && e->state <= DEV_ESW_SWITCHDEV_INACTIVE))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_GEN_EQE_BAD_TYPE);
	if (dev_eq_push(c->d, e->type, e->fn_id, e->state))
		return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE);
	return DEV_STAT_OK;
}

uint8_t dev_cmd_modify_vhca_state(struct ctx *c)
{
	const struct dev_modify_vhca_state_in *in = c->in;
	struct sf_slot *s;

	NEED_IO(c, *in, struct dev_modify_vhca_state_out);
	if (in->rsvd[0] || in->rsvd[1] || in->rsvd[2])
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	s = dev_sf_lookup(c->d, in->fn_id, NULL);
	if (!s)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_FUNCTION);
	if (in->state < DEV_VHCA_ALLOCATED || in->state > DEV_VHCA_TEARDOWN_REQUEST)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_VHCA_BAD_STATE);
	dev_set_state(c->d, s, in->fn_id, in->state);
	return DEV_STAT_OK;
}
