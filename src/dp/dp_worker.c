/*
 * dp_worker.c - the packet path: poll, classify, act, deliver.
 *
 * Nothing here locks, allocates or makes a system call per frame: input is
 * taken DP_BURST at a time, outputs are gathered per destination and handed
 * over in batches, counters are the worker's own cache lines, and the only
 * syscalls are one eventfd write per burst towards a sleeping consumer and
 * the worker's own sleep when idle.
 */
#define _LGPL_SOURCE
#include "dp_internal.h"
#include "../sched/sched.h"
#include "../tun/tun.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#define TX_SLOTS 8
#define IDLE_SPINS 512
#define DP_ARMED_SLEEP_MS 50
#define DP_BUSY_EPOLL_EVERY 8

struct txq {
	struct dp_port *port;
	unsigned fnq;                   /* the function queue; 0: the port's own */
	const struct dp_backend *be;    /* fnq's, fixed for the burst */
	void *be_ctx;
	unsigned n;
	struct dp_pkt pkts[DP_BURST];
};

struct burst {
	struct dp_worker *w;
	unsigned nt;
	struct txq tx[TX_SLOTS];
	struct dp_ring *kick[TX_SLOTS * 2];
	unsigned nkick;
	uint64_t ts_ns;
	uint64_t now_ns;        /* CLOCK_MONOTONIC_COARSE, for police buckets */
};

static inline struct dp_qstats *qst(struct dp_port *p, struct dp_worker *w)
{
	return &p->q[w->id].st;
}

/* Counted when the consumer took the frame, not before. */
static inline void count_tx(struct dp_qstats *q, uint16_t len)
{
	q->tx_packets++;
	q->tx_bytes += len;
}

static void drop(struct burst *b, struct dp_port *p, struct dp_pkt *pkt, enum dp_drop why)
{
	qst(p, b->w)->drops[why]++;
	dp_pkt_free(pkt);
}

static void note_kick(struct burst *b, struct dp_ring *r)
{
	for (unsigned i = 0; i < b->nkick; i++)
		if (b->kick[i] == r)
			return;
	if (b->nkick < TX_SLOTS * 2)
		b->kick[b->nkick++] = r;
	else
		dp_ring_kick(r);
}

static void capture(struct burst *b, struct dp_port *p, const struct dp_pkt *pkt, uint8_t dir)
{
	struct dp_ring *cap = atomic_load_explicit(&p->cap, memory_order_acquire);

	if (__builtin_expect(cap != NULL, 0)) {
		dp_ring_push(cap, b->w->id, dp_pkt_data(pkt), pkt->len, dir, b->ts_ns);
		note_kick(b, cap);
	}
}

/* The backend queue worker w transmits into: its own, else a single-queue
 * backend's (in the owner's slot). */
static inline struct dp_queue *tx_queue(struct dp_port *p, unsigned w)
{
	return atomic_load_explicit(&p->q[w].be, memory_order_acquire) ? &p->q[w]
								       : &p->q[p->owner];
}

/* Counters of function queue q (>= 1) of p, this worker's. */
static inline struct dp_qstats *fn_qst(struct dp_port *p, struct dp_worker *w, unsigned q)
{
	return &p->fnst[w->id * DP_FN_QUEUES + q];
}

/* The taps of RX queue q of a function port whose consumer frees frames
 * with dp_pkt_free (a backend that copies them out, a host ring, an
 * in-process consumer), or NULL. */
static inline const struct dp_taps *rx_taps(const struct dp_port *dst, unsigned q,
					     const struct dp_backend *be)
{
	const struct dp_taps *t = atomic_load_explicit(&dst->rx_taps[q], memory_order_acquire);

	return __builtin_expect(t != NULL, 0) && !(be && !be->tx_copies) ? t : NULL;
}

/* Shows a batch a function is about to receive on RX queue q to that
 * queue's taps: complete, in the function's region (out() copied it there
 * when the queue has taps), and no longer changed by the packet path. */
static inline void tap_batch(struct dp_port *p, unsigned q, const struct dp_backend *be,
			     struct dp_pkt *pkts, unsigned n)
{
	const struct dp_taps *taps = rx_taps(p, q, be);

	if (__builtin_expect(taps != NULL, 0))
		for (unsigned t = 0; t < taps->n; t++)
			taps->t[t].ops->deliver(taps->t[t].ctx, p->region, pkts, n);
}

static void flush_fn(struct burst *b, struct txq *t)
{
	struct dp_qstats *st = fn_qst(t->port, b->w, t->fnq);
	enum dp_drop why = DP_DROP_RING_FULL;
	unsigned sent;

	if (t->fnq == DP_FN_QUEUE_MEMIF)
		tap_batch(t->port, t->fnq, t->be, t->pkts, t->n);
	/* A function queue's backend leaves the frames it sent first in
	 * pkts (it may spread a burst over rings), their len intact. */
	sent = t->be->tx_burst(t->be_ctx, b->w->id, t->pkts, t->n, &why);
	for (unsigned i = 0; i < sent; i++)
		count_tx(st, t->pkts[i].len);
	st->drops[why] += t->n - sent;
	t->n = 0;
}

static void flush_one(struct burst *b, struct txq *t)
{
	struct dp_port *p = t->port;

	if (t->fnq) {
		flush_fn(b, t);
		return;
	}
	struct dp_queue *bq = tx_queue(p, b->w->id);
	const struct dp_backend *be = atomic_load_explicit(&bq->be, memory_order_acquire);

	tap_batch(p, 0, be, t->pkts, t->n);     /* never set on the uplink */
	if (be) {
		enum dp_drop why = DP_DROP_RING_FULL;
		uint16_t lens[DP_BURST];
		unsigned sent;

		for (unsigned i = 0; i < t->n; i++)
			lens[i] = t->pkts[i].len;
		sent = be->tx_burst(bq->be_ctx, b->w->id, t->pkts, t->n, &why);
		for (unsigned i = 0; i < sent; i++)
			count_tx(qst(p, b->w), lens[i]);
		qst(p, b->w)->drops[why] += t->n - sent;
	} else if (p->xmit) {
		for (unsigned i = 0; i < t->n; i++)
			count_tx(qst(p, b->w), t->pkts[i].len);
		p->xmit(p->xmit_ctx, b->w->id, t->pkts, t->n);
	} else {
		/* Only ports with a host ring reach here (see out()). */
		struct dp_ring *sink = atomic_load_explicit(&p->sink, memory_order_acquire);

		for (unsigned i = 0; i < t->n; i++) {
			struct dp_spsc *s = &sink->r[b->w->id];

			if (dp_spsc_push(s, dp_pkt_data(&t->pkts[i]), t->pkts[i].len, 1, b->ts_ns))
				count_tx(qst(p, b->w), t->pkts[i].len);
			else
				qst(p, b->w)->drops[DP_DROP_RING_FULL]++;
			dp_pkt_free(&t->pkts[i]);
		}
		note_kick(b, sink);
	}
	t->n = 0;
}

static void flush(struct burst *b)
{
	for (unsigned i = 0; i < b->nt; i++)
		if (b->tx[i].n)
			flush_one(b, &b->tx[i]);
	b->nt = 0;
	for (unsigned i = 0; i < b->nkick; i++)
		dp_ring_kick(b->kick[i]);
	b->nkick = 0;
}

/* A copy of pkt in a buffer of dst's pool (trust domain crossing, mirror).
 * Returns DP_DROP_MAX, or why it could not. */
static enum dp_drop copy_into(struct burst *b, struct dp_port *dst, const struct dp_pkt *src,
			      struct dp_pkt *out)
{
	struct pp_pool *pool = dst->q[b->w->id].pool;
	uint32_t buf;

	if (!pool)
		return DP_DROP_NO_BUFFER;
	if (__builtin_expect(pool->owner != b->w->ppid, 0))
		pp_pool_set_owner(pool);
	if (src->len > pool->buf_size - PP_HEADROOM)
		return DP_DROP_MTU;     /* a jumbo frame for a small-buffer port */
	buf = pp_alloc(pool);
	if (buf == PP_NO_BUF)
		return DP_DROP_NO_BUFFER;
	*out = (struct dp_pkt){ .pool = pool, .buf = buf, .off = PP_HEADROOM, .len = src->len,
				.ol = src->ol, .meta = src->meta };
	memcpy(dp_pkt_data(out), dp_pkt_data(src), src->len);
	return DP_DROP_MAX;
}

static void out(struct burst *b, struct dp_port *dst, struct dp_pkt *pkt, struct dp_port *in,
		bool keep);

/* Makes pkt writable: a frame taps hold is replaced by a copy in p's pool
 * (the taps keep reading the original).  False when no buffer is left. */
static bool make_writable(struct burst *b, struct dp_port *p, struct dp_pkt *pkt)
{
	struct dp_pkt copy;

	if (__builtin_expect(!pkt->shared, 1))
		return true;
	if (copy_into(b, p, pkt, &copy) != DP_DROP_MAX)
		return false;
	dp_pkt_free(pkt);
	*pkt = copy;
	return true;
}

/* Whether pkt is longer than dst's MTU allows (a VLAN tag is extra). */
static inline bool too_long(const struct dp_port *dst, const struct dp_pkt *pkt)
{
	return dst->mtu && pkt->ol.gso_type == DP_GSO_NONE &&
	       pkt->len > dst->mtu + 14u + (pkt->len >= 18 && dp_pkt_data(pkt)[12] == 0x81 ? 4 : 0);
}

/* The batch of frames for (dst, fnq), opened when the burst has none. */
static struct txq *txq_for(struct burst *b, struct dp_port *dst, unsigned fnq,
			   const struct dp_fn_queue *fq)
{
	struct txq *t;

	for (unsigned i = 0; i < b->nt; i++)
		if (b->tx[i].port == dst && b->tx[i].fnq == fnq)
			return &b->tx[i];
	if (b->nt == TX_SLOTS)
		flush(b);
	t = &b->tx[b->nt++];
	t->port = dst;
	t->fnq = fnq;
	t->be = fq ? fq->be : NULL;
	t->be_ctx = fq ? fq->ctx : NULL;
	t->n = 0;
	return t;
}

static void fn_out(struct burst *b, struct dp_port *dst, const struct dp_fn *fn, uint32_t q,
		   struct dp_pkt *pkt, bool keep);

/* A GSO frame for a function queue that takes only complete frames. */
__attribute__((noinline)) static void fn_gso_out(struct burst *b, struct dp_port *dst,
						 const struct dp_fn *fn, uint32_t q,
						 struct dp_pkt *pkt, bool keep)
{
	struct dp_pkt segs[256];
	unsigned n = dp_gso_segment(pkt, segs, 256);

	if (!n)
		fn_qst(dst, b->w, q)->drops[DP_DROP_MTU]++;
	if (!keep)
		dp_pkt_free(pkt);
	for (unsigned i = 0; i < n; i++)
		fn_out(b, dst, fn, q, &segs[i], false);
}

/* Sends pkt to queue q (>= 1, or a drop) of SF function dst, as out()
 * does for the netdev: the backends of function queues copy frames out
 * (memif) or own the destination's memory, so only a kept frame (a
 * mirror) needs a copy of its own. */
static void fn_out(struct burst *b, struct dp_port *dst, const struct dp_fn *fn, uint32_t q,
		   struct dp_pkt *pkt, bool keep)
{
	const struct dp_fn_queue *fq = q < DP_FN_QUEUES ? &fn->q[q] : NULL;
	struct dp_qstats *st = fq ? fn_qst(dst, b->w, q) : qst(dst, b->w);
	const struct dp_taps *taps = q == DP_FN_QUEUE_MEMIF && fq->be ? rx_taps(dst, q, fq->be) : NULL;
	enum dp_drop why = DP_DROP_MAX;
	struct dp_pkt copy;
	struct txq *t;

	if (!fq)
		why = q == DP_FN_DROP ? DP_DROP_NO_CONSUMER : DP_DROP_RULE;
	else if (!fq->be)
		why = DP_DROP_NO_CONSUMER;
	else if (pkt->ol.gso_type != DP_GSO_NONE && !fq->be->offloads) {
		fn_gso_out(b, dst, fn, q, pkt, keep);
		return;
	} else if (too_long(dst, pkt))
		why = DP_DROP_MTU;
	else if (keep || ((!fq->be->tx_copies || taps) && pkt->pool->region != dst->region) ||
		 (!fq->be->tx_copies && pkt->shared)) {
		why = copy_into(b, dst, pkt, &copy);
		if (why == DP_DROP_MAX) {
			if (!keep)
				dp_pkt_free(pkt);
			pkt = &copy;
			keep = false;
		}
	}
	if (why != DP_DROP_MAX) {
		st->drops[why]++;
		if (!keep)
			dp_pkt_free(pkt);
		return;
	}
	capture(b, dst, pkt, 1);
	if ((pkt->ol.flags & DP_OL_NEEDS_CSUM) && !fq->be->offloads) {
		if (!make_writable(b, dst, pkt)) {
			st->drops[DP_DROP_NO_BUFFER]++;
			dp_pkt_free(pkt);
			return;
		}
		dp_csum_fill(pkt);
	}
	t = txq_for(b, dst, q, fq);
	t->pkts[t->n++] = *pkt;
	if (t->n == DP_BURST)
		flush_one(b, t);
}

/* The function queue steering picks for pkt: a queue, DP_FN_DROP (the
 * default when nothing takes it) or DP_FN_RULE_DROP (a rule's action -1). */
#define DP_FN_RULE_DROP (DP_FN_DROP - 1)
static inline uint32_t fn_select(const struct dp_fn *fn, const struct dp_pkt *pkt)
{
	int32_t a = fn->nrules ? steer_classify(fn->rules, fn->nrules, dp_pkt_data(pkt), pkt->len)
			       : STEER_NO_MATCH;

	if (a == STEER_NO_MATCH)
		return fn->dflt;
	return a < 0 ? DP_FN_RULE_DROP : (uint32_t)a;
}

/* A GSO frame for a destination that takes only complete frames: cut into
 * segments in its own pool, each sent on as a frame of its own.  Not
 * inlined: its 8 KiB of segments would make every out() frame that big. */
__attribute__((noinline)) static void gso_out(struct burst *b, struct dp_port *dst,
					      struct dp_pkt *pkt, struct dp_port *in, bool keep)
{
	struct dp_pkt segs[256];
	unsigned n = dp_gso_segment(pkt, segs, 256);

	if (!n)
		qst(dst, b->w)->drops[DP_DROP_MTU]++;
	if (!keep)
		dp_pkt_free(pkt);
	for (unsigned i = 0; i < n; i++)
		out(b, dst, &segs[i], in, false);
}

/* A frame sent to tunnel port tp: a complete frame of its own (TSO frames
 * cut first, each segment comes back here; a pending checksum filled),
 * outer headers in front (dp_tun.c), out of the uplink.  Not inlined:
 * only tunnel traffic pays for it. */
__attribute__((noinline)) static void tun_out(struct burst *b, struct dp_port *tp,
					      struct dp_pkt *pkt, struct dp_port *in, bool keep)
{
	struct dp *dp = b->w->dp;
	struct dp_port *ul = &dp->uplink.port;
	const struct dp_pkt_meta *m = &pkt->meta;
	struct tun_info ti = { .id = m->enc_key_id, .src_ip = m->enc_src_ip,
			       .dst_ip = m->enc_dst_ip, .dst_port = m->enc_dst_port,
			       .tos = m->enc_tos, .ttl = m->enc_ttl,
			       .flags = (uint8_t)(m->enc_flags | (m->enc_dst_ip ? TUN_F_PRESENT : 0)) };
	struct dp_qstats *st = qst(tp, b->w);
	enum dp_drop why;
	struct dp_pkt copy;

	if (pkt->ol.gso_type != DP_GSO_NONE) {
		gso_out(b, tp, pkt, in, keep);
		return;
	}
	/* Outer headers go in front, in place: a copy when the frame is not
	 * ours alone (a mirror, a tap holds it) or lacks the headroom. */
	if (keep || pkt->shared || pkt->off < TUN_VXLAN_HLEN) {
		why = copy_into(b, ul, pkt, &copy);
		if (!keep)
			dp_pkt_free(pkt);
		if (why != DP_DROP_MAX) {
			st->drops[why]++;
			return;
		}
		pkt = &copy;
	}
	if (pkt->ol.flags & DP_OL_NEEDS_CSUM)
		dp_csum_fill(pkt);
	why = dp_tun_encap(dp, b->w->id, tp, pkt, &ti);
	if (why != DP_DROP_MAX) {
		st->drops[why]++;
		dp_pkt_free(pkt);
		return;
	}
	count_tx(st, pkt->len);
	memset(&pkt->meta, 0, sizeof(pkt->meta));
	out(b, ul, pkt, in, false);
}

/* Sends pkt out through port dst; consumes it (or, with keep, a copy). */
static void out(struct burst *b, struct dp_port *dst, struct dp_pkt *pkt, struct dp_port *in,
		bool keep)
{
	struct dp_pkt copy;
	struct txq *t;

	if (!dst) {
		qst(in, b->w)->drops[DP_DROP_NO_PORT]++;
		if (!keep)
			dp_pkt_free(pkt);
		return;
	}
	if (__builtin_expect(atomic_load_explicit(&dst->tun, memory_order_relaxed) != NULL, 0)) {
		tun_out(b, dst, pkt, in, keep);
		return;
	}
	const struct dp_fn *fn = atomic_load_explicit(&dst->fn, memory_order_acquire);

	if (__builtin_expect(fn != NULL, 0)) {
		uint32_t q = fn_select(fn, pkt);

		if (q != DP_FN_QUEUE_NETDEV) {
			fn_out(b, dst, fn, q, pkt, keep);
			return;
		}
	}
	const struct dp_backend *be = atomic_load_explicit(&tx_queue(dst, b->w->id)->be,
							   memory_order_acquire);
	bool offloads = be && be->offloads;
	bool consumer = dst->xmit || be || atomic_load_explicit(&dst->sink, memory_order_acquire);
	const struct dp_taps *taps = rx_taps(dst, 0, be);     /* never set on the uplink */
	enum dp_drop why = DP_DROP_MAX;

	/* Segments only for someone who takes them: a frame nobody consumes
	 * is dropped (and counted) once, whole. */
	if (consumer && pkt->ol.gso_type != DP_GSO_NONE && !offloads) {
		gso_out(b, dst, pkt, in, keep);         /* each segment comes back here */
		return;
	}
	capture(b, dst, pkt, 1);
	if (too_long(dst, pkt))
		why = DP_DROP_MTU;
	else if (!consumer)
		why = DP_DROP_NO_CONSUMER;
	/* By reference inside a trust domain (and into host rings and
	 * backends that copy anyway); a copy into the destination's own
	 * memory otherwise. */
	else if (keep || ((dst->xmit || (be && !be->tx_copies) || taps) &&
			  pkt->pool->region != dst->region) ||
		 (pkt->shared && be && !be->tx_copies)) {
		why = copy_into(b, dst, pkt, &copy);
		if (why == DP_DROP_MAX) {
			if (!keep)
				dp_pkt_free(pkt);
			pkt = &copy;
			keep = false;   /* the copy is ours to send */
		}
	}
	if (why != DP_DROP_MAX) {
		qst(dst, b->w)->drops[why]++;
		if (!keep)
			dp_pkt_free(pkt);
		return;
	}
	if ((pkt->ol.flags & DP_OL_NEEDS_CSUM) && !offloads) {
		if (!make_writable(b, dst, pkt)) {
			qst(dst, b->w)->drops[DP_DROP_NO_BUFFER]++;
			dp_pkt_free(pkt);
			return;
		}
		dp_csum_fill(pkt);      /* ours alone now: the original or a copy */
	}
	t = txq_for(b, dst, 0, NULL);
	t->pkts[t->n++] = *pkt;
	if (t->n == DP_BURST)
		flush_one(b, t);
}

static bool vlan_push(struct dp_pkt *p, uint16_t tci)
{
	uint8_t *d;

	if (p->off < 4 || p->len < 14)
		return false;
	p->off -= 4;
	p->len += 4;
	if (p->ol.flags || p->ol.gso_type) {
		p->ol.csum_start += 4;
		p->ol.hdr_len += 4;
	}
	d = dp_pkt_data(p);
	memmove(d, d + 4, 12);
	d[12] = 0x81;
	d[13] = 0x00;
	d[14] = (uint8_t)(tci >> 8);
	d[15] = (uint8_t)tci;
	return true;
}

static bool vlan_pop(struct dp_pkt *p)
{
	uint8_t *d = dp_pkt_data(p);

	if (p->len < 18 || !((d[12] == 0x81 && d[13] == 0x00) || (d[12] == 0x88 && d[13] == 0xa8)))
		return false;
	memmove(d + 4, d, 12);
	p->off += 4;
	p->len -= 4;
	if (p->ol.flags || p->ol.gso_type) {
		p->ol.csum_start -= 4;
		p->ol.hdr_len -= 4;
	}
	return true;
}

/* tunnel_key set: the metadata a tunnel port's encap reads (and a later
 * chain's enc_* keys match, as flower matches a set tunnel's info).
 * tunnel_key's checksum is on unless nocsum, as in the kernel. */
static inline void tunnel_set(struct dp_pkt_meta *m, const struct esw_act_tunnel *t)
{
	m->enc_key_id = t->id;
	m->enc_src_ip = t->src_ip;
	m->enc_dst_ip = t->dst_ip;
	m->enc_dst_port = t->dst_port;
	m->enc_tos = t->tos;
	m->enc_ttl = t->ttl;
	m->enc_flags = (uint8_t)((t->flags & ESW_TUN_NOCSUM ? 0 : TUN_F_CSUM) |
				 (t->flags & ESW_TUN_NOFRAG ? TUN_F_DF : 0));
}

/* tunnel_key unset: the frame carries no tunnel any more. */
static inline void tunnel_unset(struct dp_pkt_meta *m)
{
	m->enc_key_id = m->enc_src_ip = m->enc_dst_ip = 0;
	m->enc_dst_port = 0;
	m->enc_tos = m->enc_ttl = m->enc_flags = 0;
}

#define DP_MAX_INGRESS_NEST 4     /* mirred ingress re-entries of one frame */

static void switchdev(struct burst *b, struct dp *dp, struct dp_port *in, struct dp_pkt *pkt,
		      struct esw_key *k, uint64_t hash, unsigned nest);

/* mirred ingress: the frame enters the eswitch again as if it came from
 * vport's port (a miss goes to that port's representor).  A frame that
 * keeps re-entering is dropped as a loop. */
static void reenter(struct burst *b, struct dp *dp, struct dp_port *in, struct dp_port *to,
		    struct dp_pkt *pkt, unsigned nest)
{
	struct esw_key k;

	if (!to) {
		drop(b, in, pkt, DP_DROP_NO_PORT);
		return;
	}
	if (nest >= DP_MAX_INGRESS_NEST) {
		drop(b, in, pkt, DP_DROP_LOOP);
		return;
	}
	esw_key_extract(dp_pkt_data(pkt), pkt->len, &k);
	k.chain = 0;
	k.in_port = to->vport;
	dp_pkt_meta_to_key(&pkt->meta, &k);
	switchdev(b, dp, to, pkt, &k, esw_key_hash(&k), nest + 1);
}

/*
 * Classifies and acts on one frame whose chain-0 key and hash the burst
 * computed ahead, with tc's semantics: a rule's actions run while each
 * returns pipe; the first other verdict ends the list: pass (to the
 * representor), drop, stolen (a redirect took it), continue (the next pref
 * of the same chain), reclassify (chain 0 again, at most
 * ESW_MAX_RECLASSIFY times), goto chain.  A list that ends on pipe passes.
 * Whenever the lookup starts over the key is extracted again if an action
 * changed the frame; otherwise only the chain and the metadata (ct state,
 * tunnel) change, which OVS's ct-then-goto rules make the common case.
 */
static void switchdev(struct burst *b, struct dp *dp, struct dp_port *in, struct dp_pkt *pkt,
		      struct esw_key *k, uint64_t hash, unsigned nest)
{
	uint32_t chain = 0, after = 0;
	unsigned gotos = 0, reclassify = 0;
	bool fresh = true, rewritten = false;

	for (;;) {
		const struct esw_rule *r;
		const struct esw_rule_spec *s;
		struct esw_rule_ctr *c;
		struct esw_act_ctr *ac;
		unsigned i;
		uint8_t ctl = ESW_CTL_PIPE;
		uint32_t to = 0;

		if (!fresh) {
			if (rewritten)
				esw_key_extract(dp_pkt_data(pkt), pkt->len, k);
			rewritten = false;
			k->chain = chain;
			k->in_port = in->vport;
			dp_pkt_meta_to_key(&pkt->meta, k);
			hash = esw_key_hash(k);
		}
		fresh = false;
		r = after ? esw_cls_lookup_after(dp->cls, k, after)
			  : esw_cls_lookup_hashed(dp->cls, k, hash, b->w->emc);
		if (!r) {
			out(b, in->peer, pkt, in, false);       /* miss: the slow path */
			return;
		}
		s = esw_rule_spec(r);
		c = esw_rule_ctr(r, b->w->id);
		c->packets++;
		c->bytes += pkt->len;
		c->lastuse_ms = b->w->now_ms;
		ac = esw_act_ctr(r, b->w->id);
		for (i = 0; i < s->nact; i++) {
			const struct esw_action *a = &s->act[i];

			ac[i].packets++;
			ac[i].bytes += pkt->len;
			ctl = a->ctl;
			to = a->ctl_chain;
			switch (a->type) {
			case ESW_ACT_REDIRECT:
				out(b, dp_vport_lookup(dp, a->arg), pkt, in, false);
				return;
			case ESW_ACT_MIRROR:
				out(b, dp_vport_lookup(dp, a->arg), pkt, in, true);
				break;
			case ESW_ACT_MIRRED_INGRESS:
				if (ctl == ESW_CTL_STOLEN) {
					reenter(b, dp, in, dp_vport_lookup(dp, a->arg), pkt, nest);
					return;
				} else {
					struct dp_pkt copy;

					if (copy_into(b, in, pkt, &copy) == DP_DROP_MAX)
						reenter(b, dp, in, dp_vport_lookup(dp, a->arg), &copy,
							nest);
					else
						qst(in, b->w)->drops[DP_DROP_NO_BUFFER]++;
				}
				break;
			case ESW_ACT_VLAN_PUSH:
				rewritten = true;
				if (!make_writable(b, in, pkt)) {
					drop(b, in, pkt, DP_DROP_NO_BUFFER);
					return;
				}
				if (!vlan_push(pkt, (uint16_t)(a->vlan_id | a->vlan_prio << 13))) {
					drop(b, in, pkt, DP_DROP_VLAN);
					return;
				}
				break;
			case ESW_ACT_VLAN_POP:
				rewritten = true;
				if (!make_writable(b, in, pkt)) {
					drop(b, in, pkt, DP_DROP_NO_BUFFER);
					return;
				}
				if (!vlan_pop(pkt)) {
					drop(b, in, pkt, DP_DROP_VLAN);
					return;
				}
				break;
			case ESW_ACT_CT:
				dp_ct_exec(b->w, pkt, &a->ct);
				break;
			case ESW_ACT_TUNNEL_SET:
				tunnel_set(&pkt->meta, &a->tun);
				break;
			case ESW_ACT_TUNNEL_UNSET:
				tunnel_unset(&pkt->meta);
				break;
			case ESW_ACT_PEDIT:
				rewritten = true;
				if (!make_writable(b, in, pkt)) {
					drop(b, in, pkt, DP_DROP_NO_BUFFER);
					return;
				}
				if (!dp_act_pedit(pkt, s, &a->pedit))
					ac[i].overlimits++;
				break;
			case ESW_ACT_CSUM:
				rewritten = true;
				if (!make_writable(b, in, pkt)) {
					drop(b, in, pkt, DP_DROP_NO_BUFFER);
					return;
				}
				dp_act_csum(pkt, a->csum.flags);
				break;
			case ESW_ACT_POLICE:
				if (!esw_police_conform(esw_rule_police(r, i), pkt->len, b->now_ns)) {
					ac[i].overlimits++;
					ctl = a->police.exceed;
					to = a->police.exceed_chain;
				}
				break;
			default:
				/* The gact verbs have nothing to do but their verdict;
				 * tunnel_key is run by src/tun. */
				break;
			}
			if (ctl != ESW_CTL_PIPE)
				break;
		}
		switch (ctl) {
		case ESW_CTL_PIPE:      /* the list ended on pipe: tc passes the frame */
		case ESW_CTL_PASS:
			out(b, in->peer, pkt, in, false);
			return;
		case ESW_CTL_DROP:
			ac[i].drops++;
			drop(b, in, pkt, DP_DROP_RULE);
			return;
		case ESW_CTL_STOLEN:
			return;
		case ESW_CTL_CONTINUE:
			chain = s->chain;
			after = s->prio;
			break;
		case ESW_CTL_RECLASSIFY:
			if (++reclassify > ESW_MAX_RECLASSIFY) {
				drop(b, in, pkt, DP_DROP_LOOP);
				return;
			}
			chain = 0;
			after = 0;
			break;
		case ESW_CTL_GOTO:
			if (++gotos >= DP_MAX_CHAIN_DEPTH) {
				drop(b, in, pkt, DP_DROP_LOOP);
				return;
			}
			chain = to;
			after = 0;
			break;
		}
	}
}

static void legacy(struct burst *b, struct dp *dp, struct dp_port *in, struct dp_pkt *pkt)
{
	const uint8_t *d = dp_pkt_data(pkt);
	struct dp_port *ports[2] = { &dp->uplink.port, &dp->pf.port };
	uint32_t dst;

	esw_fdb_learn(dp->fdb, d + 6, in->vport, b->w->now_ms);
	dst = d[0] & 1 ? UINT32_MAX : esw_fdb_lookup(dp->fdb, d);
	if (dst == in->vport) {
		drop(b, in, pkt, DP_DROP_LOOP);         /* a VEB never hairpins */
		return;
	}
	if (dst != UINT32_MAX) {
		out(b, dp_vport_lookup(dp, dst), pkt, in, false);
		return;
	}
	/* Broadcast, multicast, unknown unicast: every other legacy port. */
	for (unsigned i = 0; i < 2; i++)
		if (ports[i] != in)
			out(b, ports[i], pkt, in, true);
	dp_pkt_free(pkt);
}

/* Decap at the uplink: a frame for a tunnel port loses its outer headers,
 * which become its tunnel metadata, and enters the eswitch from the tunnel
 * port (counted there); a broken one is dropped (len 0: handled).  Returns
 * the port the frame is classified as received on. */
__attribute__((noinline)) static struct dp_port *tun_in(struct burst *b, struct dp *dp,
							 struct dp_port *in, struct dp_pkt *pkt)
{
	struct dp_port *tp;
	struct tun_info ti;
	struct dp_qstats *st;
	int r = dp_tun_decap(dp, pkt, &tp, &ti);

	if (!r)
		return in;
	if (r < 0) {
		drop(b, in, pkt, DP_DROP_BAD_TUNNEL);
		pkt->len = 0;
		return in;
	}
	pkt->meta.enc_key_id = ti.id;
	pkt->meta.enc_src_ip = ti.src_ip;
	pkt->meta.enc_dst_ip = ti.dst_ip;
	pkt->meta.enc_dst_port = ti.dst_port;
	pkt->meta.enc_tos = ti.tos;
	pkt->meta.enc_ttl = ti.ttl;
	pkt->meta.enc_flags = ti.flags & (uint8_t)~TUN_F_PRESENT;
	st = qst(tp, b->w);
	st->rx_packets++;
	st->rx_bytes += pkt->len;
	capture(b, tp, pkt, 0);
	return tp;
}

/* Switchdev ingress of a vport, in stages over the burst: extract every
 * key, then hash them and prefetch their EMC slots, then look up and act.
 * By the time a key is hashed its stores have retired (no store-forwarding
 * stall) and its cache lines are loading while the others are hashed. */
static void switchdev_burst(struct burst *b, struct dp *dp, struct dp_port *in,
			    struct dp_pkt *pkts, unsigned n)
{
	struct esw_key keys[DP_BURST];
	uint64_t hash[DP_BURST];
	struct dp_port *inp[DP_BURST];
	bool decap = in == &dp->uplink.port && dp_tun_active(dp);

	for (unsigned i = 0; i < n; i++) {
		inp[i] = in;
		if (!pkts[i].len)
			continue;
		if (__builtin_expect(decap, 0))
			inp[i] = tun_in(b, dp, in, &pkts[i]);
		if (!pkts[i].len)
			continue;
		esw_key_extract(dp_pkt_data(&pkts[i]), pkts[i].len, &keys[i]);
		keys[i].chain = 0;
		keys[i].in_port = inp[i]->vport;
		if (dp_pkt_meta_any(&pkts[i].meta))
			dp_pkt_meta_to_key(&pkts[i].meta, &keys[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		if (!pkts[i].len)
			continue;
		hash[i] = esw_key_hash(&keys[i]);
		esw_emc_prefetch(b->w->emc, hash[i]);
	}
	for (unsigned i = 0; i < n; i++)
		if (pkts[i].len)
			switchdev(b, dp, inp[i], &pkts[i], &keys[i], hash[i], 0);
}

/* Shows a burst to the queue's read-only taps before the eswitch acts on
 * it.  Only frames of the port's own region are the taps' to see (not an
 * application's memory). */
__attribute__((noinline)) static void tap_burst(const struct dp_taps *taps, struct dp_port *in,
						struct dp_pkt *pkts, unsigned n)
{
	for (unsigned t = 0; t < taps->n; t++)
		taps->t[t].ops->deliver(taps->t[t].ctx, in->region, pkts, n);
}

static void process(struct burst *b, struct dp_port *in, struct dp_pkt *pkts, unsigned n)
{
	struct dp *dp = b->w->dp;
	bool sd = atomic_load_explicit(&dp->switchdev, memory_order_relaxed);
	struct dp_qstats *s = qst(in, b->w);
	const struct dp_taps *taps = atomic_load_explicit(&in->q[b->w->id].taps,
							   memory_order_acquire);

	if (__builtin_expect(taps != NULL, 0))
		tap_burst(taps, in, pkts, n);

	for (unsigned i = 0; i < n; i++) {
		struct dp_pkt *pkt = &pkts[i];

		capture(b, in, pkt, 0);
		s->rx_packets++;
		s->rx_bytes += pkt->len;
		if (pkt->len < 14) {
			drop(b, in, pkt, DP_DROP_RUNT);
			pkt->len = 0;   /* handled: later stages skip it */
		} else if (in->is_rep) {
			out(b, in->peer, pkt, in, false);       /* into its vport */
		} else if (sd) {
			continue;                               /* classified below */
		} else if (in->vport == DP_VPORT_UPLINK || in->vport == DP_VPORT_PF) {
			legacy(b, dp, in, pkt);
		} else {
			drop(b, in, pkt, DP_DROP_NO_PORT);
		}
	}
	if (sd && !in->is_rep)
		switchdev_burst(b, dp, in, pkts, n);
	flush(b);
}

/* Takes frames from a port's host-side input into its pool. */
static unsigned poll_input(struct burst *b, struct dp_port *p)
{
	struct dp_spsc *in = atomic_load_explicit(&p->in, memory_order_acquire);
	struct pp_pool *pool = p->q[b->w->id].pool;
	struct dp_pkt pkts[DP_BURST];
	uint32_t tail, head;
	unsigned n = 0;

	if (!in || !pool || p->owner != b->w->id)
		return 0;       /* one consumer per ring: the port's owner */
	if (__builtin_expect(pool->owner != b->w->ppid, 0))
		pp_pool_set_owner(pool);
	tail = atomic_load_explicit(&in->tail, memory_order_relaxed);
	head = atomic_load_explicit(&in->head, memory_order_acquire);
	while (tail != head && n < DP_BURST) {
		const struct dp_frame *f = &in->slot[tail & in->mask];
		uint32_t buf = pp_alloc(pool);
		uint32_t len = f->len;

		if (buf == PP_NO_BUF)
			break;  /* the rest waits in the ring: the host side backs off */
		if (len > PP_BUF_SIZE - PP_HEADROOM)
			len = PP_BUF_SIZE - PP_HEADROOM;
		pkts[n] = (struct dp_pkt){ .pool = pool, .buf = buf, .off = PP_HEADROOM,
					   .len = (uint16_t)len };
		memcpy(dp_pkt_data(&pkts[n]), f->data, len);
		n++;
		tail++;
	}
	atomic_store_explicit(&in->tail, tail, memory_order_release);
	if (n)
		process(b, p, pkts, n);
	return n;
}

/* Takes a burst from the port's backend queue of this worker. */
static unsigned poll_backend(struct burst *b, struct dp_port *p)
{
	struct dp_queue *q = &p->q[b->w->id];
	const struct dp_backend *be = atomic_load_explicit(&q->be, memory_order_acquire);
	struct sched_obj *so = atomic_load_explicit(&p->sched, memory_order_acquire);
	struct dp_pkt pkts[DP_BURST];
	struct sched_grant g;
	unsigned n, max = DP_BURST;

	if (!be || !be->rx_burst || !q->pool)
		return 0;
	/* A backend with an fd is read when epoll says so (one syscall per
	 * pass for all of them), not tried blindly. */
	if (be->fd >= 0 && !be->poll_always && !q->rx_ready)
		return 0;
	/* devlink rate: a shaped function is read only within its budget;
	 * the rest waits in its own queue (rx_ready stays set). */
	if (__builtin_expect(so != NULL, 0) && !(max = dp_sched_admit(b->w, so, &g, DP_BURST)))
		return 0;
	q->rx_ready = false;
	if (__builtin_expect(q->pool->owner != b->w->ppid, 0))
		pp_pool_set_owner(q->pool);
	n = be->rx_burst(q->be_ctx, q->pool, pkts, max);
	if (n == max)
		q->rx_ready = true;     /* more is likely waiting */
	if (__builtin_expect(so != NULL, 0))
		dp_sched_charge(so, &g, pkts, n);
	if (n)
		process(b, p, pkts, n);
	return n;
}

/* Takes a burst from each function queue of an SF port this worker owns
 * (a memif interface, applications' queues): frames the SF sent. */
static unsigned poll_fn(struct burst *b, struct dp_port *p)
{
	const struct dp_fn *fn = atomic_load_explicit(&p->fn, memory_order_acquire);
	struct pp_pool *pool = p->q[b->w->id].pool;
	struct sched_obj *so = atomic_load_explicit(&p->sched, memory_order_acquire);
	struct dp_pkt pkts[DP_BURST];
	struct sched_grant g;
	unsigned total = 0, max = DP_BURST;

	if (!fn || !pool || p->owner != b->w->id)
		return 0;
	if (__builtin_expect(pool->owner != b->w->ppid, 0))
		pp_pool_set_owner(pool);
	for (unsigned q = 1; q < DP_FN_QUEUES; q++) {
		const struct dp_backend *be = fn->q[q].be;
		struct dp_qstats *st;
		unsigned n;

		if (!be || !be->rx_burst)
			continue;
		/* devlink rate: the function's budget covers all its queues;
		 * a TX ring beyond it is left unread (the peer waits). */
		if (__builtin_expect(so != NULL, 0) &&
		    !(max = dp_sched_admit(b->w, so, &g, DP_BURST)))
			break;
		n = be->rx_burst(fn->q[q].ctx, pool, pkts, max);
		if (__builtin_expect(so != NULL, 0))
			dp_sched_charge(so, &g, pkts, n);
		if (!n)
			continue;
		st = fn_qst(p, b->w, q);
		st->rx_packets += n;
		for (unsigned i = 0; i < n; i++)
			st->rx_bytes += pkts[i].len;
		process(b, p, pkts, n);
		total += n;
	}
	return total;
}

/* Before the worker sleeps (armed) and when it wakes: backends that are
 * polled while it runs ask their peers for a signal while it sleeps. */
static void arm_backends(struct dp_worker *w, bool armed)
{
	struct dp_poll_list *pl = atomic_load_explicit(&w->polls, memory_order_acquire);

	w->armed = false;
	for (unsigned i = 0; pl && i < pl->n; i++) {
		const struct dp_fn *fn = atomic_load_explicit(&pl->p[i]->fn, memory_order_acquire);

		if (!fn || pl->p[i]->owner != w->id)
			continue;
		for (unsigned q = 1; q < DP_FN_QUEUES; q++)
			if (fn->q[q].be && fn->q[q].be->arm) {
				fn->q[q].be->arm(fn->q[q].ctx, armed);
				w->armed = armed;
			}
	}
}

unsigned dp_worker_pass(struct dp_worker *w)
{
	struct dp_poll_list *pl = atomic_load_explicit(&w->polls, memory_order_acquire);
	struct burst b;
	struct timespec ts;
	unsigned n = 0;

	/* One relaxed store per pass: the control thread's tick tells a hung
	 * worker from an idle one by it (health, fw_fatal). */
	atomic_store_explicit(&w->heartbeat,
			      atomic_load_explicit(&w->heartbeat, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	w->sched_now_ns = w->sched_wake_ns = 0;
	if (!pl || !pl->n)
		return 0;
	b.w = w;
	b.nt = 0;
	b.nkick = 0;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	b.ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	w->now_ms = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	b.now_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* A worker under load (a burst's worth of frames or more per pass)
	 * asks epoll about its fds every DP_BUSY_EPOLL_EVERY passes, not on
	 * every one: the syscall cost about as much as the frames of a
	 * 64-byte burst, and backends that had a full burst are tried again
	 * anyway (rx_ready). */
	if (atomic_load_explicit(&w->nfds, memory_order_relaxed) &&
	    w->busy_passes % DP_BUSY_EPOLL_EVERY == 0) {
		struct epoll_event ev[DP_BURST];
		int k = epoll_wait(w->epfd, ev, DP_BURST, 0);

		for (int i = 0; i < k; i++)
			if (ev[i].data.ptr)
				((struct dp_queue *)ev[i].data.ptr)->rx_ready = true;
	}
	for (unsigned i = 0; i < pl->n; i++) {
		const struct dp_taps *taps = atomic_load_explicit(&pl->p[i]->q[w->id].taps,
								   memory_order_acquire);

		if (__builtin_expect(taps != NULL, 0))
			for (unsigned t = 0; t < taps->n; t++)
				if (taps->t[t].ops->poll)
					taps->t[t].ops->poll(taps->t[t].ctx);
		if (__builtin_expect(atomic_load_explicit(&pl->p[i]->stalled,
							  memory_order_relaxed), 0))
			continue;       /* injected stall: its frames wait */
		n += poll_input(&b, pl->p[i]) + poll_backend(&b, pl->p[i]) + poll_fn(&b, pl->p[i]);
	}
	w->busy_passes = n >= DP_BURST ? w->busy_passes + 1 : 0;
	return n;
}

void dp_worker_wake(struct dp_worker *w)
{
	if (atomic_load_explicit(&w->sleeping, memory_order_seq_cst)) {
		uint64_t one = 1;

		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* saturated: it is awake */
		}
	}
}

void *dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	unsigned idle = 0;
	sigset_t all;

	/* Signals belong to the control thread's signalfd; faults stay the
	 * worker's own (a memif client's lost pages raise SIGBUS here, which
	 * memif's guard turns into zero pages). */
	sigfillset(&all);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	rcu_register_thread();
	w->ppid = pp_self();
	while (!atomic_load_explicit(&w->dp->stop, memory_order_acquire)) {
		if (__builtin_expect(atomic_load_explicit(&w->hang, memory_order_relaxed), 0))
			dp_fault_hang_wait(w);
		if (dp_worker_pass(w)) {
			idle = 0;
		} else if (__builtin_expect(w->sched_wake_ns != 0, 0)) {
			/* Frames wait but their devlink rate budget is spent:
			 * nap until the earliest refill, not on fds that stay
			 * readable (nor spin). */
			dp_sched_sleep(w);
			idle = 0;
		} else if (++idle >= IDLE_SPINS ||
			   atomic_load_explicit(&w->nfds, memory_order_relaxed)) {
			/* With fds to wait on, epoll is the interrupt: sleep at
			 * once rather than spin through syscalls. */
			uint64_t v;

			/* Announce the sleep, then look once more, so that a
			 * producer either sees us asleep or we see its frame. */
			atomic_store_explicit(&w->sleeping, 1, memory_order_seq_cst);
			arm_backends(w, true);
			atomic_thread_fence(memory_order_seq_cst);
			if (!dp_worker_pass(w)) {
				struct epoll_event ev[8];

				rcu_thread_offline();
				/* Woken by a producer's eventfd write or a readable
				 * packet fd; either way, loop and look.  A peer
				 * that published and read our mask without a fence
				 * between may not signal: an armed sleep looks
				 * again after DP_ARMED_SLEEP_MS. */
				epoll_wait(w->epfd, ev, 8, w->armed ? DP_ARMED_SLEEP_MS : -1);
				if (read(w->efd, &v, sizeof(v)) < 0) {
					/* EAGAIN: a packet fd woke us */
				}
				rcu_thread_online();
			}
			arm_backends(w, false);
			atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
			idle = 0;
		}
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}
