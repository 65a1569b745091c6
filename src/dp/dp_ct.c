/*
 * dp_ct.c - the ct action in the eswitch: a frame's ct metadata (state,
 * zone, mark, which the next chain's key is matched on) in and out of
 * src/ct.
 */
#include "dp_internal.h"

_Static_assert(ESW_CT_COMMIT == CT_COMMIT && ESW_CT_CLEAR == CT_CLEAR, "ct flags");
_Static_assert(ESW_CT_TRK == CT_STATE_TRK && ESW_CT_NEW == CT_STATE_NEW &&
	       ESW_CT_EST == CT_STATE_EST && ESW_CT_REL == CT_STATE_REL &&
	       ESW_CT_INV == CT_STATE_INV && ESW_CT_RPL == CT_STATE_RPL, "ct_state bits");

void dp_ct_exec(struct dp_worker *w, struct dp_pkt *pkt, const struct esw_act_ct *a)
{
	const struct ct_args args = { .zone = a->zone, .flags = a->flags, .mark = a->mark,
				      .mark_mask = a->mark_mask };
	/* The entry is not kept with the frame: a later commit of the same
	 * frame finds it again (ct.h). */
	struct ct_meta m = { .state = pkt->meta.ct_state, .zone = pkt->meta.ct_zone,
			     .mark = pkt->meta.ct_mark };

	ct_exec(w->dp->ct, w->id, dp_pkt_data(pkt), pkt->len, &args, w->now_ms, &m);
	pkt->meta.ct_state = m.state;
	pkt->meta.ct_zone = m.zone;
	pkt->meta.ct_mark = m.mark;
}
