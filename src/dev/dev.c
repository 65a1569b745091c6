/*
 * dev.c - the device's state and the command interpreter.
 *
 * The SF table is one array of slots per controller.  A slot's index plus the
 * controller's base is the function id, vport number and devlink port index
 * (stepping over 0xffff, the uplink's vport, which the local range spans),
 * so those never change while the SF exists and can be recreated exactly
 * after a restart (ALLOC_SF op_mod AT).  A per-controller tree maps sfnum to
 * slot because sfnum, not the slot, is the user's key.
 */
#include "dev_internal.h"

#include <search.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../dp/dp.h"

struct sfnum_key {
	uint32_t pfnum_sfnum_hi; /* pfnum */
	uint32_t sfnum;
	uint32_t slot;
};

#define DEV_MAX_MTU 9216
#define DEV_DEFAULT_MTU 1500

uint32_t dev_slot_to_fn(const struct sf_table *t, uint32_t slot)
{
	uint32_t fn = t->base + slot;

	return t->base <= DEV_VPORT_UPLINK && fn >= DEV_VPORT_UPLINK ? fn + 1 : fn;
}

/* Returns the slot of fn_id in t, or UINT32_MAX if fn_id is not in its range. */
static uint32_t fn_to_slot(const struct sf_table *t, uint32_t fn_id)
{
	uint32_t slot;

	if (fn_id < t->base || fn_id == DEV_VPORT_UPLINK)
		return UINT32_MAX;
	slot = fn_id - t->base;
	if (t->base <= DEV_VPORT_UPLINK && fn_id > DEV_VPORT_UPLINK)
		slot--;
	return slot < t->max ? slot : UINT32_MAX;
}

static int sfnum_cmp(const void *a, const void *b)
{
	const struct sfnum_key *x = a, *y = b;

	if (x->pfnum_sfnum_hi != y->pfnum_sfnum_hi)
		return x->pfnum_sfnum_hi < y->pfnum_sfnum_hi ? -1 : 1;
	if (x->sfnum != y->sfnum)
		return x->sfnum < y->sfnum ? -1 : 1;
	return 0;
}

static int table_resize(struct sf_table *t, uint32_t max)
{
	struct sf_slot *s;

	if (max == t->max)
		return 0;
	if (max == 0) {
		free(t->slots);
		t->slots = NULL;
		t->max = 0;
		return 0;
	}
	s = realloc(t->slots, (size_t)max * sizeof(*s));
	if (!s)
		return -1;
	if (max > t->max)
		memset(s + t->max, 0, (size_t)(max - t->max) * sizeof(*s));
	t->slots = s;
	t->max = max;
	return 0;
}

struct dev *dev_create(uint32_t max_local_sfs, uint32_t max_external_sfs)
{
	struct dev *d;

	if (max_local_sfs > DEV_SF_HARD_MAX || max_external_sfs > DEV_SF_HARD_MAX)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->sf[0].base = DEV_SF_BASE_LOCAL;
	d->sf[1].base = DEV_SF_BASE_EXTERNAL;
	d->pf_ctx.mtu = DEV_DEFAULT_MTU;
	if (table_resize(&d->sf[0], max_local_sfs) ||
	    table_resize(&d->sf[1], max_external_sfs)) {
		dev_destroy(d);
		return NULL;
	}
	return d;
}

static void free_key(void *k) { free(k); }

void dev_destroy(struct dev *d)
{
	if (!d)
		return;
	/* Samplers first: they are the only other thread. */
	dev_uctx_destroy_all(d);
	for (unsigned c = 0; c < DEV_NUM_CONTROLLERS; c++) {
		tdestroy(d->sf[c].by_sfnum, free_key);
		free(d->sf[c].slots);
	}
	free(d->eq);
	free(d);
}

int dev_eq_push(struct dev *d, uint8_t type, uint32_t fn_id, uint8_t state)
{
	if (d->eq_len == d->eq_cap) {
		size_t cap = d->eq_cap ? d->eq_cap * 2 : 64;
		struct dev_eqe *n = malloc(cap * sizeof(*n));

		if (!n)
			return -1;
		for (size_t i = 0; i < d->eq_len; i++)
			n[i] = d->eq[(d->eq_head + i) % d->eq_cap];
		free(d->eq);
		d->eq = n;
		d->eq_cap = cap;
		d->eq_head = 0;
	}
	d->eq[(d->eq_head + d->eq_len) % d->eq_cap] = (struct dev_eqe){
		.type = type, .state = state, .fn_id = fn_id };
	d->eq_len++;
	d->eq_produced++;
	if (d->ntracers)
		dev_trace_event(d, &d->eq[(d->eq_head + d->eq_len - 1) % d->eq_cap]);
	return 0;
}

int dev_eq_poll(struct dev *d, struct dev_eqe *eqe)
{
	if (!d->eq_len)
		return 0;
	*eqe = d->eq[d->eq_head];
	d->eq_head = (d->eq_head + 1) % d->eq_cap;
	d->eq_len--;
	/* An idle device should not keep a burst's worth of queue around. */
	if (!d->eq_len && d->eq_cap > 4096) {
		free(d->eq);
		d->eq = NULL;
		d->eq_cap = d->eq_head = 0;
	}
	return 1;
}

size_t dev_eq_depth(const struct dev *d) { return d->eq_len; }

/* Resolves an SF function id to its table and slot; NULL if none is there. */
struct sf_slot *dev_sf_lookup(struct dev *d, uint32_t fn_id, struct sf_table **tp)
{
	for (unsigned c = 0; c < DEV_NUM_CONTROLLERS; c++) {
		struct sf_table *t = &d->sf[c];

		uint32_t slot = fn_to_slot(t, fn_id);

		if (slot != UINT32_MAX && t->slots[slot].state != DEV_VHCA_INVALID) {
			if (tp)
				*tp = t;
			return &t->slots[slot];
		}
	}
	return NULL;
}

void dev_set_state(struct dev *d, struct sf_slot *s, uint32_t fn_id, uint8_t state)
{
	if (s->state == state)
		return;
	/* The vport and its representor exist from allocation to free, as
	 * mlx5 enables an SF's eswitch vport at port add: rules on the
	 * representor of an inactive function are taken and act once it is
	 * active (until then nothing sends from it and nobody consumes what
	 * reaches it). */
	if (d->dp && state != DEV_VHCA_INVALID)
		(void)dp_port_add(d->dp, fn_id);        /* -EEXIST unless a datapath
							 * came after the function */
	else if (d->dp && state == DEV_VHCA_INVALID && s->state != DEV_VHCA_INVALID)
		dp_port_del(d->dp, fn_id);
	s->state = state;
	/* An allocation failure here loses only the notification; the
	 * consumer can always re-read the state with QUERY_VHCA_STATE. */
	(void)dev_eq_push(d, DEV_EVENT_VHCA_STATE, fn_id, state);
}

void dev_hca_cap_fill(const struct dev *d, struct dev_hca_cap *cap)
{
	*cap = (struct dev_hca_cap){
		.if_version = DEV_CMD_IF_VERSION,
		.num_pfs = DEV_NUM_PFS,
		.num_controllers = DEV_NUM_CONTROLLERS,
		.sf_hard_max = DEV_SF_HARD_MAX,
		.max_mtu = DEV_MAX_MTU,
	};
	for (unsigned i = 0; i < DEV_NUM_CONTROLLERS; i++) {
		cap->max_sfs[i] = d->sf[i].max;
		cap->used_sfs[i] = d->sf[i].used;
		cap->sf_base[i] = d->sf[i].base;
	}
}

static uint8_t cmd_query_hca_cap(struct ctx *c, uint16_t op_mod)
{
	struct dev_query_hca_cap_out *o = c->out;

	NEED_IO(c, struct dev_query_hca_cap_in, *o);
	if (op_mod != DEV_CAP_GENERAL)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_BAD_OP_MOD);
	dev_hca_cap_fill(c->d, &o->cap);
	return DEV_STAT_OK;
}

static uint8_t cmd_set_hca_cap(struct ctx *c, uint16_t op_mod)
{
	const struct dev_set_hca_cap_in *in = c->in;

	NEED_IO(c, *in, struct dev_set_hca_cap_out);
	if (op_mod != DEV_CAP_GENERAL)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_BAD_OP_MOD);
	for (unsigned i = 0; i < DEV_NUM_CONTROLLERS; i++) {
		const struct sf_table *t = &c->d->sf[i];
		uint32_t want = in->cap.max_sfs[i];

		if (want > DEV_SF_HARD_MAX)
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_CAP_ABOVE_MAX);
		/* Shrinking must not cut off an allocated slot. */
		for (uint32_t s = want; s < t->max; s++)
			if (t->slots[s].state != DEV_VHCA_INVALID)
				return dev_fail(c, DEV_STAT_RESOURCE_BUSY,
					    DEV_SYND_CAP_BELOW_USE);
	}
	for (unsigned i = 0; i < DEV_NUM_CONTROLLERS; i++)
		if (table_resize(&c->d->sf[i], in->cap.max_sfs[i]))
			return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE);
	return DEV_STAT_OK;
}

static uint8_t cmd_alloc_sf(struct ctx *c, uint16_t op_mod)
{
	const struct dev_alloc_sf_in *in = c->in;
	struct dev_alloc_sf_out *o = c->out;
	struct sfnum_key probe, *key;
	struct sf_table *t;
	uint32_t slot;

	NEED_IO(c, *in, *o);
	if (op_mod != DEV_ALLOC_SF_AUTO && op_mod != DEV_ALLOC_SF_AT)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_BAD_OP_MOD);
	if (in->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	if (c->d->esw.mode == DEV_ESW_LEGACY)
		return dev_fail(c, DEV_STAT_BAD_SYS_STATE, DEV_SYND_SF_NOT_SWITCHDEV);
	if (in->controller >= DEV_NUM_CONTROLLERS)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_SF_BAD_CONTROLLER);
	if (in->pfnum >= DEV_NUM_PFS)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_SF_BAD_PFNUM);
	t = &c->d->sf[in->controller];
	probe = (struct sfnum_key){ .pfnum_sfnum_hi = in->pfnum, .sfnum = in->sfnum };
	if (tfind(&probe, &t->by_sfnum, sfnum_cmp))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_SF_SFNUM_IN_USE);
	if (op_mod == DEV_ALLOC_SF_AT) {
		slot = fn_to_slot(t, in->fn_id);
		if (slot == UINT32_MAX)
			return dev_fail(c, DEV_STAT_BAD_INDEX,
				    DEV_SYND_SF_SLOT_OUT_OF_RANGE);
		if (t->slots[slot].state != DEV_VHCA_INVALID)
			return dev_fail(c, DEV_STAT_BAD_INDEX, DEV_SYND_SF_SLOT_IN_USE);
	} else {
		if (t->used == t->max)
			return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_SF_TABLE_FULL);
		for (slot = t->free_hint; t->slots[slot].state != DEV_VHCA_INVALID; slot++)
			;
		t->free_hint = slot + 1;
	}
	key = malloc(sizeof(*key));
	if (!key)
		return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE);
	*key = probe;
	key->slot = slot;
	if (!tsearch(key, &t->by_sfnum, sfnum_cmp)) {
		free(key);
		return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE);
	}
	t->slots[slot] = (struct sf_slot){
		.pfnum = in->pfnum, .sfnum = in->sfnum,
		.ctx = { .mtu = DEV_DEFAULT_MTU } };
	t->used++;
	o->fn_id = dev_slot_to_fn(t, slot);
	dev_set_state(c->d, &t->slots[slot], o->fn_id, DEV_VHCA_ALLOCATED);
	return DEV_STAT_OK;
}

static uint8_t cmd_fn(struct ctx *c, uint16_t opcode)
{
	const struct dev_fn_in *in = c->in;
	struct sf_table *t;
	struct sf_slot *s;

	NEED_IO(c, *in, struct dev_fn_out);
	if (in->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	s = dev_sf_lookup(c->d, in->fn_id, &t);
	if (!s) {
		uint32_t synd = DEV_SYND_UNKNOWN_FUNCTION;

		if (in->fn_id == DEV_FN_PF && opcode == DEV_CMD_ENABLE_HCA)
			synd = DEV_SYND_ENABLE_NOT_SF;
		else if (in->fn_id == DEV_FN_PF && opcode == DEV_CMD_DISABLE_HCA)
			synd = DEV_SYND_DISABLE_NOT_SF;
		return dev_fail(c, DEV_STAT_BAD_PARAM, synd);
	}
	switch (opcode) {
	case DEV_CMD_DEALLOC_SF: {
		struct sfnum_key probe = { .pfnum_sfnum_hi = s->pfnum, .sfnum = s->sfnum };
		void *found;

		if (s->state != DEV_VHCA_ALLOCATED)
			return dev_fail(c, DEV_STAT_RESOURCE_BUSY,
				    DEV_SYND_DEALLOC_NOT_DISABLED);
		found = tfind(&probe, &t->by_sfnum, sfnum_cmp);
		if (found) {
			void *key = *(void **)found;

			tdelete(&probe, &t->by_sfnum, sfnum_cmp);
			free(key);
		}
		dev_set_state(c->d, s, in->fn_id, DEV_VHCA_INVALID);
		memset(s, 0, sizeof(*s));
		t->used--;
		if (fn_to_slot(t, in->fn_id) < t->free_hint)
			t->free_hint = fn_to_slot(t, in->fn_id);
		return DEV_STAT_OK;
	}
	case DEV_CMD_ENABLE_HCA:
		if (s->state == DEV_VHCA_TEARDOWN_REQUEST)
			return dev_fail(c, DEV_STAT_BAD_RES_STATE,
				    DEV_SYND_ENABLE_TEARDOWN_PENDING);
		if (s->state == DEV_VHCA_ALLOCATED)
			dev_set_state(c->d, s, in->fn_id, DEV_VHCA_ACTIVE);
		return DEV_STAT_OK;
	case DEV_CMD_DISABLE_HCA:
		if (s->state == DEV_VHCA_ACTIVE)
			dev_set_state(c->d, s, in->fn_id, DEV_VHCA_ALLOCATED);
		else if (s->state == DEV_VHCA_IN_USE)
			dev_set_state(c->d, s, in->fn_id, DEV_VHCA_TEARDOWN_REQUEST);
		return DEV_STAT_OK;
	case DEV_CMD_INIT_HCA:
		if (s->state != DEV_VHCA_ACTIVE)
			return dev_fail(c, DEV_STAT_BAD_RES_STATE,
				    DEV_SYND_INIT_NOT_ENABLED);
		dev_set_state(c->d, s, in->fn_id, DEV_VHCA_IN_USE);
		return DEV_STAT_OK;
	case DEV_CMD_TEARDOWN_HCA:
		if (s->state == DEV_VHCA_IN_USE)
			dev_set_state(c->d, s, in->fn_id, DEV_VHCA_ACTIVE);
		else if (s->state == DEV_VHCA_TEARDOWN_REQUEST)
			dev_set_state(c->d, s, in->fn_id, DEV_VHCA_ALLOCATED);
		else
			return dev_fail(c, DEV_STAT_BAD_RES_STATE,
				    DEV_SYND_TEARDOWN_NOT_IN_USE);
		return DEV_STAT_OK;
	}
	return dev_fail(c, DEV_STAT_BAD_OP, DEV_SYND_UNKNOWN_OPCODE);
}

static uint8_t cmd_query_vhca_state(struct ctx *c)
{
	const struct dev_fn_in *in = c->in;
	struct dev_query_vhca_state_out *o = c->out;
	struct sf_table *t;
	struct sf_slot *s;

	NEED_IO(c, *in, *o);
	s = dev_sf_lookup(c->d, in->fn_id, &t);
	if (!s)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_FUNCTION);
	o->state = s->state;
	o->controller = t == &c->d->sf[0] ? 0 : 1;
	o->sfnum = s->sfnum;
	o->pfnum = s->pfnum;
	return DEV_STAT_OK;
}

static struct dev_vport_ctx *vport_ctx(struct dev *d, uint32_t fn_id)
{
	struct sf_slot *s;

	if (fn_id == DEV_FN_PF)
		return &d->pf_ctx;
	s = dev_sf_lookup(d, fn_id, NULL);
	return s ? &s->ctx : NULL;
}

static uint8_t cmd_query_vport_ctx(struct ctx *c)
{
	const struct dev_fn_in *in = c->in;
	struct dev_query_vport_ctx_out *o = c->out;
	struct dev_vport_ctx *v;

	NEED_IO(c, *in, *o);
	v = vport_ctx(c->d, in->fn_id);
	if (!v)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_FUNCTION);
	o->ctx = *v;
	return DEV_STAT_OK;
}

static uint8_t cmd_modify_vport_ctx(struct ctx *c)
{
	const struct dev_modify_vport_ctx_in *in = c->in;
	struct dev_vport_ctx *v;

	NEED_IO(c, *in, struct dev_modify_vport_ctx_out);
	v = vport_ctx(c->d, in->fn_id);
	if (!v)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_UNKNOWN_FUNCTION);
	if (!in->field_select ||
	    (in->field_select & ~(uint32_t)(DEV_VPORT_FIELD_HW_ADDR | DEV_VPORT_FIELD_MTU)))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_VPORT_NO_FIELDS);
	if ((in->field_select & DEV_VPORT_FIELD_HW_ADDR) && (in->ctx.hw_addr[0] & 1))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_VPORT_MULTICAST_ADDR);
	if ((in->field_select & DEV_VPORT_FIELD_MTU) &&
	    (in->ctx.mtu < 68 || in->ctx.mtu > DEV_MAX_MTU))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_VPORT_BAD_MTU);
	if (in->field_select & DEV_VPORT_FIELD_HW_ADDR)
		memcpy(v->hw_addr, in->ctx.hw_addr, sizeof(v->hw_addr));
	if (in->field_select & DEV_VPORT_FIELD_MTU)
		v->mtu = in->ctx.mtu;
	return DEV_STAT_OK;
}

static uint8_t cmd_query_esw_mode(struct ctx *c)
{
	struct dev_query_esw_mode_out *o = c->out;

	NEED_IO(c, struct dev_cmd_in_hdr, *o);
	o->esw = c->d->esw;
	return DEV_STAT_OK;
}

static uint8_t cmd_set_esw_mode(struct ctx *c)
{
	const struct dev_set_esw_mode_in *in = c->in;

	NEED_IO(c, *in, struct dev_set_esw_mode_out);
	if (in->esw.rsvd || in->rsvd)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	if (in->esw.mode > DEV_ESW_SWITCHDEV_INACTIVE)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_ESW_BAD_MODE);
	if (in->esw.inline_mode > DEV_INLINE_TRANSPORT)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_ESW_BAD_INLINE);
	if (in->esw.encap_mode > DEV_ENCAP_BASIC)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_ESW_BAD_ENCAP);
	/* SF vports exist only in switchdev mode; the driver removes its SFs
	 * before it leaves it. */
	if (in->esw.mode == DEV_ESW_LEGACY && c->d->esw.mode != DEV_ESW_LEGACY &&
	    (c->d->sf[0].used || c->d->sf[1].used))
		return dev_fail(c, DEV_STAT_RESOURCE_BUSY, DEV_SYND_ESW_SFS_EXIST);
	if (c->d->esw.mode != in->esw.mode)
		(void)dev_eq_push(c->d, DEV_EVENT_ESW_MODE, DEV_FN_PF, in->esw.mode);
	c->d->esw = in->esw;
	if (c->d->dp)
		dp_set_switchdev(c->d->dp, in->esw.mode != DEV_ESW_LEGACY);
	return DEV_STAT_OK;
}

static bool vport_exists(struct dev *d, uint32_t fn_id)
{
	return fn_id == DEV_FN_PF || fn_id == DEV_VPORT_UPLINK || dp_port_exists(d->dp, fn_id);
}

/* The last byte a pedit key of each header type may touch: the longest
 * header of that type (eth: its type word, whose last two bytes are the
 * payload's, as the kernel allows). */
static const uint16_t pedit_hdr_max[] = { 60, 16, 60, 40, 60, 8 };

static bool pedit_valid(const struct esw_rule_spec *s, const struct esw_act_pedit *p)
{
	if (!p->n || p->first + p->n > s->npkey || p->rsvd[0] || p->rsvd[1])
		return false;
	for (unsigned k = p->first; k < p->first + p->n; k++) {
		const struct esw_pedit_key *pk = &s->pkey[k];

		if (pk->htype > ESW_PEDIT_UDP || pk->cmd > ESW_PEDIT_ADD || pk->off % 4 ||
		    pk->off + 4u > pedit_hdr_max[pk->htype])
			return false;
	}
	return true;
}

/* An action the datapath can run as written: known type and verb, the verb
 * a gact or mirred implies, parameters in range, reserved bytes zero. */
static bool action_valid(const struct esw_rule_spec *s, const struct esw_action *a)
{
	static const uint8_t gact_ctl[ESW_ACT_MAX] = {
		[ESW_ACT_DROP] = ESW_CTL_DROP, [ESW_ACT_PASS] = ESW_CTL_PASS,
		[ESW_ACT_GOTO] = ESW_CTL_GOTO, [ESW_ACT_CONTINUE] = ESW_CTL_CONTINUE,
		[ESW_ACT_RECLASSIFY] = ESW_CTL_RECLASSIFY, [ESW_ACT_PIPE] = ESW_CTL_PIPE,
	};

	if (a->type < ESW_ACT_REDIRECT || a->type >= ESW_ACT_MAX || a->ctl >= ESW_CTL_MAX ||
	    a->rsvd || a->rsvd2 || a->vlan_id > 4095 || a->vlan_prio > 7)
		return false;
	/* Only a mirred redirect steals a frame; it always does. */
	if ((a->ctl == ESW_CTL_STOLEN) !=
	    (a->type == ESW_ACT_REDIRECT || (a->type == ESW_ACT_MIRRED_INGRESS &&
					     a->ctl == ESW_CTL_STOLEN)))
		return false;
	switch (a->type) {
	case ESW_ACT_DROP: case ESW_ACT_PASS: case ESW_ACT_GOTO:
	case ESW_ACT_CONTINUE: case ESW_ACT_RECLASSIFY: case ESW_ACT_PIPE:
		return a->ctl == gact_ctl[a->type];
	case ESW_ACT_PEDIT:
		return pedit_valid(s, &a->pedit);
	case ESW_ACT_CSUM:
		return a->csum.flags && a->csum.flags < 2 * ESW_CSUM_SCTP;
	case ESW_ACT_POLICE: {
		const struct esw_act_police *p = &a->police;

		return !p->rate != !p->pkts_rate && (!p->rate || p->burst) &&
		       (!p->pkts_rate || p->pkts_burst) && p->exceed < ESW_CTL_MAX &&
		       p->exceed != ESW_CTL_STOLEN && !p->rsvd[0] && !p->rsvd[1] && !p->rsvd[2];
	}
	case ESW_ACT_CT:
		return a->ct.flags <= (ESW_CT_COMMIT | ESW_CT_CLEAR) && !a->ct.rsvd &&
		       (!(a->ct.flags & ESW_CT_CLEAR) ||
			(a->ct.flags == ESW_CT_CLEAR && !a->ct.zone && !a->ct.mark_mask));
	case ESW_ACT_TUNNEL_SET:
		return a->tun.dst_ip && a->tun.flags <= (ESW_TUN_NOCSUM | ESW_TUN_NOFRAG) &&
		       !a->tun.rsvd[0] && !a->tun.rsvd[1] && !a->tun.rsvd[2];
	}
	return true;
}

/* Keys the datapath can hold as written: the bits each field has, and port
 * ranges that are ranges (min below max) over a port no mask covers. */
static bool match_valid(const struct esw_rule_spec *s)
{
	const struct esw_key *k = &s->key, *m = &s->mask;

	if ((k->ip_flags | m->ip_flags) & ~(ESW_IPF_FRAG | ESW_IPF_FIRSTFRAG) ||
	    (k->ct_state | m->ct_state) & ~0x3f || (k->tcp_flags | m->tcp_flags) & ~0xfff)
		return false;
	if (s->src_port_max && (s->src_port_min >= s->src_port_max || m->src_port))
		return false;
	if (s->dst_port_max && (s->dst_port_min >= s->dst_port_max || m->dst_port))
		return false;
	return (s->src_port_max || !s->src_port_min) && (s->dst_port_max || !s->dst_port_min);
}

bool dev_rule_actions_valid(const struct esw_rule_spec *s)
{
	if (!s->nact || s->nact > ESW_MAX_ACTIONS || s->npkey > ESW_MAX_PEDIT_KEYS)
		return false;
	for (unsigned i = 0; i < s->nact; i++)
		if (!action_valid(s, &s->act[i]))
			return false;
	return true;
}

static uint8_t cmd_set_fte(struct ctx *c)
{
	const struct dev_set_fte_in *in = c->in;
	const struct esw_rule_spec *s = &in->spec;
	int ret;

	NEED_IO(c, *in, struct dev_set_fte_out);
	if (!c->d->dp)
		return dev_fail(c, DEV_STAT_BAD_SYS_STATE, DEV_SYND_FTE_NO_DATAPATH);
	if (c->d->esw.mode == DEV_ESW_LEGACY)
		return dev_fail(c, DEV_STAT_BAD_SYS_STATE, DEV_SYND_FTE_NOT_SWITCHDEV);
	if (s->rsvd[0] || s->rsvd[1] || s->rsvd2 || s->key.rsvd[0] || s->key.rsvd[1] ||
	    s->mask.rsvd[0] || s->mask.rsvd[1])
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
	if (!vport_exists(c->d, s->dev))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FTE_UNKNOWN_VPORT);
	if (!dev_rule_actions_valid(s))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FTE_BAD_ACTION);
	if (!match_valid(s))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FTE_BAD_MATCH);
	if (in->hdr.op_mod == DEV_FTE_OP_MOD_REPLACE) {
		ret = dp_rule_replace(c->d->dp, s);
		if (ret == -ENOENT)
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FTE_REPLACE_MISSING);
		if (ret == -EINVAL)
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FTE_REPLACE_MASK);
		return ret ? dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE) : DEV_STAT_OK;
	}
	if (in->hdr.op_mod)
		return dev_fail(c, DEV_STAT_BAD_OP, DEV_SYND_NONE);
	ret = dp_rule_add(c->d->dp, s);
	if (ret == -EEXIST)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FTE_EXISTS);
	if (ret == -ENOSPC)
		return dev_fail(c, DEV_STAT_EXCEED_LIM, DEV_SYND_FTE_TOO_MANY_MASKS);
	if (ret)
		return dev_fail(c, DEV_STAT_NO_RESOURCES, DEV_SYND_NONE);
	return DEV_STAT_OK;
}

static uint8_t cmd_del_fte(struct ctx *c)
{
	const struct dev_del_fte_in *in = c->in;

	NEED_IO(c, *in, struct dev_del_fte_out);
	if (!c->d->dp)
		return dev_fail(c, DEV_STAT_BAD_SYS_STATE, DEV_SYND_FTE_NO_DATAPATH);
	if (dp_rule_del(c->d->dp, in->dev, in->chain, in->prio, in->handle))
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_FTE_NOT_FOUND);
	return DEV_STAT_OK;
}

void dev_attach_dp(struct dev *d, struct dp *dp)
{
	/* A sampler reads d->dp from its thread: none may outlive the old one. */
	if (dp != d->dp)
		for (uint32_t i = 0; d->nsamplers && d->uctx && i < DEV_UCTX_MAX; i++)
			if (d->uctx[i].live)
				dev_sampler_stop(d, &d->uctx[i]);
	d->dp = dp;
	if (!dp)
		return;
	dp_set_switchdev(dp, d->esw.mode != DEV_ESW_LEGACY);
	/* A vport exists from allocation on (dev_set_state): SFs allocated
	 * before the datapath came get theirs now. */
	for (unsigned i = 0; i < DEV_NUM_CONTROLLERS; i++) {
		const struct sf_table *t = &d->sf[i];

		for (uint32_t slot = 0; t->slots && slot < t->max; slot++)
			if (t->slots[slot].state != DEV_VHCA_INVALID)
				(void)dp_port_add(dp, dev_slot_to_fn(t, slot));
	}
}

/* The commands of the ctl channel's surface (issue 11). */
static uint8_t dispatch_ctl(struct ctx *c, const struct dev_cmd_in_hdr *ih)
{
	switch (ih->opcode) {
	case DEV_CMD_NOP: return dev_cmd_nop(c);
	case DEV_CMD_QUERY_ESW_FUNCTIONS:
	case DEV_CMD_QUERY_FLOW_TABLE:
	case DEV_CMD_QUERY_POOLS:
	case DEV_CMD_QUERY_QUEUES:
	case DEV_CMD_QUERY_EQ:
		return ih->op_mod ? dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_BAD_OP_MOD)
				  : dev_cmd_list(c, ih->opcode);
	case DEV_CMD_GEN_EQE: return dev_cmd_gen_eqe(c);
	case DEV_CMD_MODIFY_VHCA_STATE: return dev_cmd_modify_vhca_state(c);
	case DEV_CMD_RESOURCE_DUMP: return dev_cmd_resource_dump(c);
	case DEV_CMD_SET_TRACER: return dev_cmd_set_tracer(c, ih->op_mod);
	case DEV_CMD_SET_SAMPLER: return dev_cmd_set_sampler(c, ih->op_mod);
	case DEV_CMD_SET_FAULT: return dev_cmd_set_fault(c, ih->op_mod);
	default: return dev_fail(c, DEV_STAT_BAD_OP, DEV_SYND_UNKNOWN_OPCODE);
	}
}

static uint8_t dispatch(struct ctx *c, const struct dev_cmd_in_hdr *ih)
{
	switch (ih->opcode) {
	case DEV_CMD_QUERY_HCA_CAP: return cmd_query_hca_cap(c, ih->op_mod);
	case DEV_CMD_SET_HCA_CAP: return cmd_set_hca_cap(c, ih->op_mod);
	case DEV_CMD_ALLOC_SF: return cmd_alloc_sf(c, ih->op_mod);
	case DEV_CMD_DEALLOC_SF:
	case DEV_CMD_ENABLE_HCA:
	case DEV_CMD_DISABLE_HCA:
	case DEV_CMD_INIT_HCA:
	case DEV_CMD_TEARDOWN_HCA:
		return ih->op_mod ? dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_BAD_OP_MOD)
				  : cmd_fn(c, ih->opcode);
	case DEV_CMD_QUERY_VHCA_STATE: return cmd_query_vhca_state(c);
	case DEV_CMD_QUERY_VPORT_CTX: return cmd_query_vport_ctx(c);
	case DEV_CMD_MODIFY_VPORT_CTX: return cmd_modify_vport_ctx(c);
	case DEV_CMD_QUERY_ESW_MODE: return cmd_query_esw_mode(c);
	case DEV_CMD_SET_ESW_MODE: return cmd_set_esw_mode(c);
	case DEV_CMD_SET_FLOW_TABLE_ENTRY: return cmd_set_fte(c);
	case DEV_CMD_DELETE_FLOW_TABLE_ENTRY: return cmd_del_fte(c);
	case DEV_CMD_CREATE_UCTX: return dev_cmd_create_uctx(c);
	case DEV_CMD_DESTROY_UCTX: return dev_cmd_destroy_uctx(c);
	case DEV_CMD_QUERY_UCTX: return dev_cmd_query_uctx(c);
	case DEV_CMD_CREATE_UMEM: return dev_cmd_create_umem(c);
	case DEV_CMD_DESTROY_UMEM: return dev_cmd_destroy_umem(c);
	default: return dispatch_ctl(c, ih);
	}
}

uint8_t dev_cmd_exec(struct dev *d, const void *in, size_t inlen, void *out,
		     size_t outlen)
{
	struct ctx c = { .d = d, .in = in, .inlen = inlen, .out = out, .outlen = outlen };
	struct dev_cmd_out_hdr *oh = out;
	const struct dev_cmd_in_hdr *ih = in;
	uint64_t t0 = 0;
	uint8_t st;

	if (outlen < sizeof(*oh))
		return DEV_STAT_BAD_OUTPUT_LEN;
	memset(out, 0, outlen);
	if (inlen < sizeof(*ih)) {
		oh->status = DEV_STAT_BAD_INPUT_LEN;
		oh->syndrome = DEV_SYND_SHORT_INPUT;
		return oh->status;
	}
	if (d->ntracers)
		t0 = dev_now_ns(CLOCK_MONOTONIC);
	c.uid = ih->uid;
	if (ih->rsvd) {
		st = dev_fail(&c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
		goto out;
	}
	/* The PF driver (uid 0) may do everything; a user context only what
	 * its capabilities allow (the ctl channel checked the same already). */
	st = ih->uid ? dev_uctx_check(&c, ih->opcode, ih->op_mod) : DEV_STAT_OK;
	if (st == DEV_STAT_OK && __builtin_expect(d->fail_left != 0, 0) && !ih->uid)
		st = dev_fault_cmd(&c, ih->opcode);     /* injected (SET_FAULT) */
	if (st == DEV_STAT_OK) {
		st = dispatch(&c, ih);
		if (ih->uid)
			dev_uctx_after(&c, ih->opcode, ih->op_mod, st);
	}
out:
	if (st != DEV_STAT_OK)
		memset(out, 0, outlen); /* a failed command returns no payload */
	oh->status = st;
	oh->syndrome = st == DEV_STAT_OK ? 0 : c.syndrome;
	if (d->ntracers)
		dev_trace_cmd(d, ih, st, oh->syndrome, t0 ? dev_now_ns(CLOCK_MONOTONIC) - t0 : 0);
	return st;
}

int dev_status_to_errno(uint8_t status)
{
	switch (status) {
	case DEV_STAT_OK: return 0;
	case DEV_STAT_INT_ERR: return EIO;
	case DEV_STAT_BAD_OP: return EINVAL;
	case DEV_STAT_BAD_PARAM: return EINVAL;
	case DEV_STAT_BAD_SYS_STATE: return EIO;
	case DEV_STAT_BAD_RESOURCE: return EINVAL;
	case DEV_STAT_RESOURCE_BUSY: return EBUSY;
	case DEV_STAT_EXCEED_LIM: return ENOMEM;
	case DEV_STAT_BAD_RES_STATE: return EINVAL;
	case DEV_STAT_BAD_INDEX: return EINVAL;
	case DEV_STAT_NO_RESOURCES: return EAGAIN;
	case DEV_STAT_BAD_INPUT_LEN: return EIO;
	case DEV_STAT_BAD_OUTPUT_LEN: return EIO;
	default: return EIO;
	}
}
