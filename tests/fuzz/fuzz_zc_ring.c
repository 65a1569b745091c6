/*
 * fuzz_zc_ring.c - a hostile zero-copy application under the daemon's
 * consumers of its rings.  Each input opens an exclusive queue
 * (zc_excl_create: 64-256 frames, rings of 64 or 128, a cap and tx_frames
 * from the header) and a read-only tap (zc_tap_create) over a port's
 * region, then runs a script of what an application does to the shared
 * rings memfd (any value in any FILL/TX entry, producer, consumer and
 * flags word; and well-behaved moves: RX to FILL, forwarding, sending from
 * held frames, COMP to FILL) interleaved with what the datapath does
 * (tx_burst from any of DP_MAX_WORKERS workers: frames of the packet path,
 * another trust domain, steered to the queue, too long ones included;
 * rx_burst by the port's owner worker, sometimes while another worker
 * holds the queue's lock: the application's transmissions copied into the
 * SF's pool, kept in the eswitch a while; arm; bursts of a tapped port's
 * shared frames, some forwarded to the exclusive queue; the tap's poll).
 * A worker is a page-pool identity (pp_tls_id), as the datapath's threads
 * have theirs; the control thread (create, reclaim) is the fuzzer's own.
 *
 * The harness keeps the application's side as the daemon must see it:
 * which frames the application holds (it took them from RX or COMP and has
 * not had them accepted back on FILL).  Every call is checked against that
 * model, exactly:
 *   - FILL entries are accepted in ring order iff the frame is held, the
 *     rest counted invalid (not at all by an rx_burst that finds the lock
 *     taken); TX descriptors likewise (and 14 <= len, off + len <= frame
 *     size, len fits an SF buffer), as many as COMP has room for, stopping
 *     where the SF's pool runs dry; an index jump is counted bad_ring and
 *     nothing is taken;
 *   - RX gets exactly the frames that fit (room, cap, length: never too
 *     few frames, the queue's one pool having every frame the application
 *     does not hold), each a frame the application did not hold and a
 *     byte-for-byte copy at PP_HEADROOM, the rest counted overruns; a
 *     transmitted frame is copied byte for byte into a buffer of the SF's
 *     pool at PP_HEADROOM and comes back on COMP at once, the same index,
 *     still the application's;
 *   - held[] equals the model, outstanding is its count and never passes
 *     max_outstanding; the stats read what the model counted;
 *   - the queue's pool is owned by whoever last held the queue's lock (the
 *     worker of the last tx_burst or rx_burst that took it, the control
 *     thread at create and reclaim), only its owner puts frames in it (its
 *     recycle ring takes the cache's overflow alone), and an rx_burst that
 *     finds the lock taken leaves the pool and FILL alone;
 *   - the daemon writes nothing in the rings but its own index words and
 *     the entries it produces, nothing in a frame the application holds,
 *     and signals the application exactly when RX or COMP got entries
 *     while it asked to be woken;
 *   - every buffer is in one place: held, in a pool's cache or ring, in the
 *     eswitch, or free in its region; no frame of the queue's own memory
 *     is ever in the eswitch; the tapped frames' share counts are the
 *     tap's hold plus the packet path's;
 *   - at the end (reclaim, destroy, the packet path's pools destroyed
 *     while the eswitch still holds frames that come home after) every
 *     region has all its buffers back and no pool destroy waits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/zc/zc_internal.h"
#include "fuzz_consume.h"
#include "fuzz_input.h"

#define MAX_FRAMES 256
#define SRC_BUFS 256                    /* the packet path's frames */
#define SRC_BUF_SIZE 4096               /* longer than a queue's frames hold */
#define SRC_MAX_LEN (SRC_BUF_SIZE - PP_HEADROOM)
#define PORT_BUFS 256                   /* the tapped port's region */
#define SF_BUFS 128                     /* the SF's: what transmissions are copied into */
#define TAP_RING 64
#define MAX_FLIGHT 512
#define MAX_POCKET 1024
#define RINGS_MAX (4 * 4096)            /* rings of up to 128 entries */
#define WORKERS DP_MAX_WORKERS          /* worker w: pp_tls_id WORKER_ID + w */
#define WORKER_ID 0x40000000u           /* far from pp_self()'s ids */
#define OWNER_WORKER 0                  /* the SF port's: rx_burst, the SF's pool */

#define check(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); abort(); } } while (0)

/*
 * ONE POOL.  Every frame of the queue the application does not hold is in
 * the queue's pool (cache, recycle ring) or free in its region, whichever
 * worker delivered or took it back last: a delivery is refused for RX
 * room, the cap or length, never for want of a frame (cap <= frames).
 * frames-stranded-in-tx-pool.bin (64 frames, tx_frames 16, every frame
 * returned, then deliveries) overran all 36 deliveries when a transmit
 * pool kept a refill batch the workers' pools lacked; now it has none.
 */

enum op {
	OP_FILL_RAW,    /* [slot][u32 value][mode] a FILL entry */
	OP_TX_RAW,      /* [slot][u32 buf][u16 off][u16 len][mode] a TX entry */
	OP_PROD,        /* [ring][mode][u32] a producer word */
	OP_CONS,        /* [ring][mode][u32] a consumer word */
	OP_FLAGS,       /* [ring][u32] a flags word */
	OP_FRAME_WRITE, /* [frame][u16 off][n][n bytes] into the region */
	OP_TAKE_RX,     /* [k] RX entries into the pocket */
	OP_TAKE_COMP,   /* [k] COMP entries into the pocket */
	OP_RETURN,      /* [k][dup] pocket frames onto FILL */
	OP_SEND,        /* [k][off][u16 len][dup] pocket frames onto TX */
	OP_FORWARD,     /* [k] RX descriptors straight onto TX */
	OP_DELIVER,     /* [worker][n] then n x [u16 len]: tx_burst */
	OP_RX_BURST,    /* [max][keep]: rx_burst; max's top bits set: the lock is taken */
	OP_FREE,        /* [k][end] frames the eswitch holds go home */
	OP_ARM,         /* [armed] */
	OP_KICK,        /* the application kicks the worker */
	OP_TAP_BURST,   /* [n][flags] then n x [u16 len][kind] */
	OP_TAP_POLL,
	OP_TAP_FILL_RAW,/* [slot][u32 value][mode] */
	OP_TAP_TAKE,    /* [k] */
	OP_TAP_RETURN,  /* [k][dup] */
	OP_COUNT
};

struct fz {
	struct zc_excl *q;
	struct zc_tap *t;
	struct pp_pool *src, *port, *sf;
	uint32_t frames, cap, tx_frames;
	uint32_t pool_owner;            /* the pp id the queue's pool should have */
	/* the exclusive queue as the application holds it */
	uint8_t held[MAX_FRAMES];
	uint8_t taken[MAX_FRAMES];      /* accepted back during the call checked */
	uint32_t rx_local, fill_local, tx_local, comp_local;   /* the daemon's, last seen */
	uint32_t pocket[MAX_POCKET];
	unsigned npocket;
	/* the tap */
	uint8_t tap_held[PORT_BUFS];
	uint8_t pending[PORT_BUFS];     /* the packet path still holds the frame */
	int tap_slot;                   /* the tap's flags, registered with the region */
	uint32_t trx_local, tfill_local;
	uint32_t tpocket[MAX_POCKET];
	unsigned ntpocket;
	/* the counters each should show */
	struct sfnic_zc_stats est, tst;
	/* frames in the eswitch: the application's transmissions, tapped frames */
	struct dp_pkt flight[MAX_FLIGHT];
	unsigned nflight;
};

static struct pp_region *src_region, *port_region, *sf_region;
static uint32_t control_id;             /* the fuzzer's thread: the control thread */
static uint8_t region_shadow[MAX_FRAMES * PP_BUF_SIZE];
static uint8_t rings_shadow[RINGS_MAX], rings_ok[RINGS_MAX];

/* ---- shared memory as the application reads and writes it ---- */

static uint32_t load(_Atomic uint32_t *w)
{
	return atomic_load_explicit(w, memory_order_relaxed);
}

static void store(_Atomic uint32_t *w, uint32_t v)
{
	atomic_store_explicit(w, v, memory_order_relaxed);
}

/* Worker w's page-pool identity. */
static uint32_t worker_id(unsigned w)
{
	return WORKER_ID + w % WORKERS;
}

/* Runs what follows as the thread whose pp id is id (a worker, or the
 * control thread); returns the identity to restore. */
static uint32_t as_thread(uint32_t id)
{
	uint32_t was = pp_tls_id;

	pp_tls_id = id;
	return was;
}

static struct zc_ring *ring_of(struct fz *f, unsigned which)
{
	struct zc_ring *r[6] = { &f->q->rings.rx, &f->q->rings.fill, &f->q->rings.tx,
				 &f->q->rings.comp, &f->t->rings.rx, &f->t->rings.fill };

	return r[which % 6];
}

static uint32_t *frame_entry(const struct zc_ring *r, uint32_t idx)
{
	return &((uint32_t *)r->entries)[idx & r->mask];
}

static struct sfnic_zc_desc *desc_entry(const struct zc_ring *r, uint32_t idx)
{
	return &((struct sfnic_zc_desc *)r->entries)[idx & r->mask];
}

static void pocket_push(uint32_t *pocket, unsigned *n, uint32_t b)
{
	if (*n < MAX_POCKET)
		pocket[(*n)++] = b;
}

/* ---- what a call may write ---- */

static void rings_snap(const struct zc_rings *r)
{
	check(r->size <= RINGS_MAX);
	memcpy(rings_shadow, r->map, r->size);
	memset(rings_ok, 0, r->size);
}

static void allow(const struct zc_rings *r, const void *at, size_t len)
{
	memset(rings_ok + ((const uint8_t *)at - (const uint8_t *)r->map), 1, len);
}

/* The entries [from, to) of a ring the daemon produces. */
static void allow_entries(const struct zc_rings *rs, const struct zc_ring *r, uint32_t from,
			  uint32_t to, size_t esize)
{
	for (uint32_t i = from; i != to; i++)
		allow(rs, (uint8_t *)r->entries + (size_t)(i & r->mask) * esize, esize);
}

__attribute__((no_sanitize("coverage")))
static void rings_check(const struct zc_rings *r)
{
	const uint8_t *m = r->map;

	for (size_t c = 0; c < r->size; c += 256) {
		if (!memcmp(m + c, rings_shadow + c, 256))
			continue;
		for (size_t x = c; x < c + 256; x++)
			if (m[x] != rings_shadow[x] && !rings_ok[x]) {
				fprintf(stderr, "rings byte %zu written\n", x);
				check(!"a write outside what the call may write");
			}
	}
}

/* Drains an eventfd; true when it had been signalled. */
static bool signalled(int efd)
{
	uint64_t v;

	return read(efd, &v, sizeof(v)) == (ssize_t)sizeof(v);
}

/* Frames a pool can give now: cache, recycle ring, the region's free ones. */
static uint32_t pool_avail(struct pp_pool *p)
{
	return p->count + (atomic_load(&p->ring.head) - atomic_load(&p->ring.tail)) +
	       pp_region_free(p->region);
}

/* ---- the invariants that hold between calls ---- */

static void mark(uint8_t *seen, uint32_t n, uint32_t b, uint32_t *total)
{
	check(b < n && !seen[b]);
	seen[b] = 1;
	(*total)++;
}

static void mark_pool(uint8_t *seen, uint32_t n, struct pp_pool *p, uint32_t *total)
{
	uint32_t head = atomic_load(&p->ring.head), tail = atomic_load(&p->ring.tail);

	for (uint32_t k = 0; k < p->count; k++)
		mark(seen, n, p->cache[k], total);
	for (uint32_t i = tail; i != head; i++)
		mark(seen, n, p->ring.slot[i & p->ring.mask], total);
	/* parked: a tap held them when they came up for allocation */
	uint32_t parked[PORT_BUFS > MAX_FRAMES ? PORT_BUFS : MAX_FRAMES];
	uint32_t np = pp_pool_parked(p, parked, sizeof(parked) / sizeof(parked[0]));

	check(np == p->nparked);
	for (uint32_t k = 0; k < np; k++)
		mark(seen, n, parked[k], total);
}

/* What a stats request reads: the model's counts. */
static void check_stats(struct sfnic_zc_stats *want, uint32_t outstanding, const struct zc_excl *q,
			const struct zc_tap *t)
{
	struct sfnic_zc_stats st;

	if (q)
		zc_excl_stats(q, &st);
	else
		zc_tap_stats(t, &st);
	want->outstanding = outstanding;
	check(st.rx_frames == want->rx_frames && st.rx_bytes == want->rx_bytes);
	check(st.rx_zerocopy == want->rx_zerocopy && st.rx_copied == want->rx_copied);
	check(st.tx_frames == want->tx_frames && st.tx_bytes == want->tx_bytes);
	check(st.invalid_desc == want->invalid_desc && st.overruns == want->overruns);
	check(st.bad_ring == want->bad_ring && st.outstanding == want->outstanding);
}

__attribute__((no_sanitize("coverage")))
static void check_excl(struct fz *f)
{
	struct zc_excl *q = f->q;
	uint8_t seen[MAX_FRAMES] = { 0 };
	uint32_t total = 0, nheld = 0, out = atomic_load(&q->outstanding);

	for (uint32_t b = 0; b < f->frames; b++) {
		check(atomic_load(&q->held[b]) == f->held[b]);
		if (f->held[b]) {
			mark(seen, f->frames, b, &total);
			nheld++;
		}
	}
	check(out == nheld);
	check_stats(&f->est, nheld, q, NULL);
	check(out <= f->cap);
	/* One pool, owned by the last holder of the lock; only its owner puts
	 * frames in it, so its ring holds what the cache could not. */
	check(q->pool->owner == f->pool_owner);
	check(atomic_load(&q->pool->ring_ok) + atomic_load(&q->pool->ring_full) ==
	      q->pool->st.cache_full);
	mark_pool(seen, f->frames, q->pool, &total);
	/* No frame of the queue's own memory enters the eswitch. */
	for (unsigned k = 0; k < f->nflight; k++)
		check(f->flight[k].pool != q->pool && f->flight[k].pool->region != q->region);
	check(total + pp_region_free(q->region) == f->frames);
	/* So every frame the application does not hold is the pool's to give. */
	check(pool_avail(q->pool) == f->frames - nheld);
}

__attribute__((no_sanitize("coverage")))
static void check_tap(struct fz *f)
{
	struct zc_tap *t = f->t;
	uint8_t seen[PORT_BUFS] = { 0 };
	uint32_t total = 0, nheld = 0;

	for (uint32_t b = 0; b < PORT_BUFS; b++) {
		check(atomic_load(&t->held[b]) == f->tap_held[b]);
		nheld += f->tap_held[b];
		/* A frame only the tap holds is back in the pool (cache,
		 * ring or parked): the pool keeps it from reuse. */
		if (f->pending[b])
			mark(seen, PORT_BUFS, b, &total);
	}
	check(t->outstanding == nheld && t->outstanding <= t->max_outstanding);
	check_stats(&f->tst, nheld, NULL, t);
	mark_pool(seen, PORT_BUFS, f->port, &total);
	check(total + pp_region_free(port_region) == PORT_BUFS);
}

/* The packet path's pools (the source of deliveries, the SF's): every
 * buffer in the pool, in the eswitch, or free in the region. */
__attribute__((no_sanitize("coverage")))
static void check_home(struct fz *f, struct pp_pool *p, uint32_t nbufs)
{
	uint8_t seen[SRC_BUFS > SF_BUFS ? SRC_BUFS : SF_BUFS] = { 0 };
	uint32_t total = 0;

	mark_pool(seen, nbufs, p, &total);
	for (unsigned k = 0; k < f->nflight; k++)
		if (f->flight[k].pool == p)
			mark(seen, nbufs, f->flight[k].buf, &total);
	check(total + pp_region_free(p->region) == nbufs);
}

/* ---- the exclusive queue's consumers ---- */

/* The frames the application holds, before a call: the daemon must not
 * write one of them.  (Copying the whole region every call would cost
 * most of the run.) */
static void region_snap(struct fz *f)
{
	const uint8_t *base = pp_region_base(f->q->region);

	for (uint32_t b = 0; b < f->frames; b++)
		if (f->held[b])
			memcpy(region_shadow + (size_t)b * PP_BUF_SIZE, base + (size_t)b * PP_BUF_SIZE,
			       PP_BUF_SIZE);
}

/* After the call: frames held before it are unchanged, but for those the
 * call took back (on FILL or TX: the daemon's now). */
static void region_check(struct fz *f, const uint8_t *was_held)
{
	const uint8_t *base = pp_region_base(f->q->region);

	for (uint32_t b = 0; b < f->frames; b++)
		if (was_held[b] && !f->taken[b])
			check(!memcmp(region_shadow + (size_t)b * PP_BUF_SIZE,
				      base + (size_t)b * PP_BUF_SIZE, PP_BUF_SIZE));
}

struct excl_pre {
	uint32_t fill_prod, rx_cons, comp_cons, tx_prod, rx_flags;
	uint32_t out;
	uint8_t held[MAX_FRAMES];
	uint64_t fill_invalid, rx_bad, overruns, tx_invalid, tx_bad;
};

static void excl_before(struct fz *f, struct excl_pre *s)
{
	struct zc_excl *q = f->q;

	check(q->rings.rx.local == f->rx_local && q->rings.fill.local == f->fill_local);
	check(q->rings.tx.local == f->tx_local && q->rings.comp.local == f->comp_local);
	*s = (struct excl_pre){
		.fill_prod = load(&q->rings.fill.hdr->producer),
		.rx_cons = load(&q->rings.rx.hdr->consumer),
		.comp_cons = load(&q->rings.comp.hdr->consumer),
		.tx_prod = load(&q->rings.tx.hdr->producer),
		.rx_flags = load(&q->rings.rx.hdr->flags),
		.out = atomic_load(&q->outstanding),
		.fill_invalid = q->fill_invalid, .rx_bad = q->rx_bad, .overruns = q->overruns,
		.tx_invalid = q->tx_invalid, .tx_bad = q->tx_bad,
	};
	memcpy(s->held, f->held, sizeof(s->held));
	memset(f->taken, 0, sizeof(f->taken));
	(void)signalled(q->efd_app);
	rings_snap(&q->rings);
	region_snap(f);
}

/* The FILL entries the call consumed: accepted iff held, each home to the
 * queue's pool.  Returns how many were accepted. */
static uint32_t excl_fill_model(struct fz *f, const struct excl_pre *s, uint64_t *bad)
{
	struct zc_excl *q = f->q;
	struct zc_ring *r = &q->rings.fill;
	uint32_t n = s->fill_prod - f->fill_local, ok = 0, invalid = 0;

	if (n > r->size) {
		(*bad)++;
		n = 0;
	}
	check(r->local == f->fill_local + n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = *frame_entry(r, f->fill_local + i);

		if (b < f->frames && f->held[b]) {
			f->held[b] = 0;
			f->taken[b] = 1;
			ok++;
		} else {
			invalid++;
		}
	}
	check(q->fill_invalid == s->fill_invalid + invalid);
	f->est.invalid_desc += invalid;
	if (n) {
		check(load(&r->hdr->consumer) == r->local);
		allow(&q->rings, &r->hdr->consumer, sizeof(uint32_t));
	}
	f->fill_local = r->local;
	return ok;
}

/* tx_burst by worker `worker`: frames steered to the queue, copied onto
 * RX.  The worker takes the lock, and the pool with it. */
static void excl_deliver(struct fz *f, unsigned worker, struct dp_pkt *pkts, unsigned n)
{
	struct zc_excl *q = f->q;
	struct zc_ring *rx = &q->rings.rx;
	struct dp_pkt orig[DP_BURST];
	unsigned idx[DP_BURST], sent = 0, ret;
	uint32_t room, out, used, was;
	uint64_t bad = 0;
	enum dp_drop why = DP_DROP_MAX;
	struct excl_pre s;
	const uint8_t *base;

	check(n <= DP_BURST);
	memcpy(orig, pkts, n * sizeof(*pkts));
	excl_before(f, &s);

	was = as_thread(worker_id(worker));
	ret = q->be.tx_burst(q, worker, pkts, n, &why);
	as_thread(was);

	f->pool_owner = worker_id(worker);
	check(q->pool->owner == f->pool_owner);
	check(!atomic_flag_test_and_set(&q->lock));     /* released */
	zc_unlock(&q->lock);
	out = s.out - excl_fill_model(f, &s, &bad);
	used = f->rx_local - s.rx_cons;
	if (used > rx->size) {
		bad++;
		room = 0;
	} else {
		room = rx->size - used;
	}
	for (unsigned i = 0; i < n; i++) {
		if (sent >= room || out + sent >= f->cap || orig[i].len > PP_BUF_SIZE - PP_HEADROOM)
			continue;
		/* Never for want of a frame: the pool has all the application
		 * does not hold (an application holding none gets every frame
		 * RX and the cap take: frames-stranded-in-tx-pool.bin). */
		check(out + sent < f->frames);
		idx[sent++] = i;
	}
	check(ret == sent);
	check(sent == n || why == DP_DROP_RING_FULL);
	check(q->overruns == s.overruns + (n - sent));
	check(q->rx_bad == s.rx_bad + bad);
	f->est.overruns += n - sent;
	f->est.bad_ring += bad;
	f->est.rx_frames += sent;
	f->est.rx_copied += sent;
	check(rx->local == f->rx_local + sent);
	base = pp_region_base(q->region);
	for (unsigned j = 0; j < sent; j++) {
		const struct sfnic_zc_desc *d = desc_entry(rx, f->rx_local + j);
		const struct dp_pkt *p = &orig[idx[j]];

		/* The burst's first `sent` frames are the ones taken, in order. */
		check(pkts[j].pool == p->pool && pkts[j].buf == p->buf && pkts[j].len == p->len);
		check(d->buf < f->frames && !f->held[d->buf]);
		check(d->off == PP_HEADROOM && d->len == p->len);
		f->held[d->buf] = 1;
		f->est.rx_bytes += d->len;
		check(!memcmp(base + (size_t)d->buf * PP_BUF_SIZE + PP_HEADROOM, dp_pkt_data(p),
			      p->len));
	}
	check(atomic_load(&q->outstanding) == out + sent);
	if (sent) {
		/* The cap holds where frames are given. */
		check(out + sent <= f->cap);
		check(load(&rx->hdr->producer) == rx->local);
		allow(&q->rings, &rx->hdr->producer, sizeof(uint32_t));
		allow_entries(&q->rings, rx, f->rx_local, rx->local, sizeof(struct sfnic_zc_desc));
	}
	f->rx_local = rx->local;
	check(signalled(q->efd_app) == (sent && (s.rx_flags & SFNIC_ZC_RING_NEED_WAKEUP)));
	rings_check(&q->rings);
	region_check(f, s.held);
}

static void flight_add(struct fz *f, const struct dp_pkt *p)
{
	if (f->nflight < MAX_FLIGHT) {
		f->flight[f->nflight++] = *p;
		return;
	}
	if (p->pool == f->port)
		f->pending[p->buf] = 0;
	consume(NULL, 0, (struct dp_pkt *)p, 1);
}

/* rx_burst by the port's owner worker: the application's transmissions,
 * copied into the SF's pool (the worker's queue pool of the port) before
 * the eswitch sees them, each frame back on COMP at once.  busy: another
 * worker is inside tx_burst (holds the lock, and the pool): FILL and the
 * pool are left to it. */
static void excl_receive(struct fz *f, unsigned max, uint8_t keep, bool busy)
{
	static struct pp_pool pool_was;
	struct zc_excl *q = f->q;
	struct zc_ring *comp = &q->rings.comp, *tx = &q->rings.tx;
	const uint8_t *base = pp_region_base(q->region);
	struct dp_pkt pkts[DP_BURST];
	uint32_t out, sf_avail, tn, done, k = 0, invalid = 0, used, room, was;
	uint64_t bad = 0, tbad = 0, bytes = 0;
	struct excl_pre s;
	unsigned ret;

	sf_avail = pool_avail(f->sf);
	excl_before(f, &s);
	if (busy) {
		check(!atomic_flag_test_and_set(&q->lock));
		memcpy(&pool_was, q->pool, sizeof(pool_was));
	}

	was = as_thread(worker_id(OWNER_WORKER));
	ret = q->be.rx_burst(q, f->sf, pkts, max);
	as_thread(was);

	/* The lock is as it was: still the other worker's, or released. */
	check(atomic_flag_test_and_set(&q->lock) == busy);
	zc_unlock(&q->lock);
	if (busy) {
		check(!memcmp(&pool_was, q->pool, sizeof(pool_was)));
		check(q->rings.fill.local == f->fill_local && q->fill_invalid == s.fill_invalid);
		out = s.out;
	} else {
		f->pool_owner = worker_id(OWNER_WORKER);
		check(q->pool->owner == f->pool_owner);
		out = s.out - excl_fill_model(f, &s, &bad);
	}
	check(q->rx_bad == s.rx_bad + bad);
	/* TX, in ring order, no more than COMP has room for: each frame
	 * copied out and completed, the same index, still the application's. */
	tn = s.tx_prod - f->tx_local;
	if (tn > tx->size) {
		tbad++;
		tn = 0;
	}
	used = f->comp_local - s.comp_cons;
	if (used > comp->size) {
		tbad++;
		room = 0;
	} else {
		room = comp->size - used;
	}
	tn = tn < room ? tn : room;
	tn = tn < max ? tn : max;
	for (done = 0; done < tn; done++) {
		struct sfnic_zc_desc d = *desc_entry(tx, f->tx_local + done);

		if (d.len < 14 || (uint32_t)d.off + d.len > PP_BUF_SIZE ||
		    d.len > f->sf->buf_size - PP_HEADROOM || d.buf >= f->frames || !f->held[d.buf]) {
			invalid++;
			continue;
		}
		if (!sf_avail)
			break;          /* waits on TX */
		sf_avail--;
		check(k < ret);
		check(pkts[k].pool == f->sf && pkts[k].off == PP_HEADROOM && pkts[k].len == d.len);
		check(!pkts[k].shared && pkts[k].buf < SF_BUFS);
		check(!memcmp(dp_pkt_data(&pkts[k]), base + (size_t)d.buf * PP_BUF_SIZE + d.off,
			      d.len));
		check(*frame_entry(comp, f->comp_local + k) == d.buf);
		bytes += d.len;
		k++;
	}
	check(ret == k && ret <= max);
	check(tx->local == f->tx_local + done);
	check(comp->local == f->comp_local + k);
	check(q->tx_invalid == s.tx_invalid + invalid && q->tx_bad == s.tx_bad + tbad);
	check(q->tx_frames == f->est.tx_frames + k && q->tx_bytes == f->est.tx_bytes + bytes);
	f->est.invalid_desc += invalid;
	f->est.bad_ring += bad + tbad;
	f->est.tx_frames += k;
	f->est.tx_bytes += bytes;
	if (done) {
		check(load(&tx->hdr->consumer) == tx->local);
		allow(&q->rings, &tx->hdr->consumer, sizeof(uint32_t));
	}
	if (k) {
		check(load(&comp->hdr->producer) == comp->local);
		allow(&q->rings, &comp->hdr->producer, sizeof(uint32_t));
		allow_entries(&q->rings, comp, f->comp_local, comp->local, sizeof(uint32_t));
	}
	f->tx_local = tx->local;
	f->comp_local = comp->local;
	/* Transmitting hands nothing over: the frames stay held. */
	check(atomic_load(&q->outstanding) == out);
	check(signalled(q->efd_app) == (k && (s.rx_flags & SFNIC_ZC_RING_NEED_WAKEUP)));
	rings_check(&q->rings);
	/* The application's frames were read, never written. */
	region_check(f, s.held);
	/* The eswitch, on the same worker, forwards some and frees the rest. */
	was = as_thread(worker_id(OWNER_WORKER));
	for (unsigned i = 0; i < ret; i++) {
		volatile uint8_t x = dp_pkt_data(&pkts[i])[pkts[i].len - 1];

		(void)x;
		if (keep & 1u << (i & 7))
			flight_add(f, &pkts[i]);
		else
			consume(NULL, 0, &pkts[i], 1);
	}
	as_thread(was);
}

static void excl_arm(struct fz *f, bool armed)
{
	struct zc_excl *q = f->q;
	uint32_t txf = load(&q->rings.tx.hdr->flags), fillf = load(&q->rings.fill.hdr->flags);

	rings_snap(&q->rings);
	q->be.arm(q, armed);
	allow(&q->rings, &q->rings.tx.hdr->flags, sizeof(uint32_t));
	allow(&q->rings, &q->rings.fill.hdr->flags, sizeof(uint32_t));
	rings_check(&q->rings);
	if (armed) {
		check(load(&q->rings.tx.hdr->flags) == (txf | SFNIC_ZC_RING_NEED_WAKEUP));
		check(load(&q->rings.fill.hdr->flags) == (fillf | SFNIC_ZC_RING_NEED_WAKEUP));
	} else {
		check(load(&q->rings.tx.hdr->flags) == (txf & ~SFNIC_ZC_RING_NEED_WAKEUP));
		check(load(&q->rings.fill.hdr->flags) == (fillf & ~SFNIC_ZC_RING_NEED_WAKEUP));
		check(!signalled(q->efd_kick));        /* woken: the kick is drained */
	}
}

/* ---- the tap's consumers ---- */

struct tap_pre {
	uint32_t fill_prod, rx_cons, rx_flags;
	uint64_t fill_invalid, bad, overruns, rx_frames;
};

static void tap_before(struct fz *f, struct tap_pre *s)
{
	struct zc_tap *t = f->t;

	check(t->rings.rx.local == f->trx_local && t->rings.fill.local == f->tfill_local);
	*s = (struct tap_pre){
		.fill_prod = load(&t->rings.fill.hdr->producer),
		.rx_cons = load(&t->rings.rx.hdr->consumer),
		.rx_flags = load(&t->rings.rx.hdr->flags),
		.fill_invalid = t->fill_invalid, .bad = t->bad, .overruns = t->overruns,
		.rx_frames = t->rx_frames,
	};
	(void)signalled(t->efd_app);
	rings_snap(&t->rings);
}

static void tap_fill_model(struct fz *f, const struct tap_pre *s, uint64_t *bad)
{
	struct zc_tap *t = f->t;
	struct zc_ring *r = &t->rings.fill;
	uint32_t n = s->fill_prod - f->tfill_local, invalid = 0;

	if (n > r->size) {
		(*bad)++;
		n = 0;
	}
	check(r->local == f->tfill_local + n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = *frame_entry(r, f->tfill_local + i);

		if (b < PORT_BUFS && f->tap_held[b])
			f->tap_held[b] = 0;
		else
			invalid++;
	}
	check(t->fill_invalid == s->fill_invalid + invalid);
	f->tst.invalid_desc += invalid;
	if (n) {
		check(load(&r->hdr->consumer) == r->local);
		allow(&t->rings, &r->hdr->consumer, sizeof(uint32_t));
	}
	f->tfill_local = r->local;
}

static void tap_poll(struct fz *f)
{
	struct zc_tap *t = f->t;
	struct tap_pre s;
	uint64_t bad = 0;

	tap_before(f, &s);
	t->ops.poll(t);
	tap_fill_model(f, &s, &bad);
	check(t->bad == s.bad + bad && t->overruns == s.overruns);
	f->tst.bad_ring += bad;
	check(!signalled(t->efd_app));
	rings_check(&t->rings);
}

static void tap_deliver(struct fz *f, struct dp_pkt *pkts, unsigned n)
{
	struct zc_tap *t = f->t;
	struct zc_ring *rx = &t->rings.rx;
	uint32_t used, room, sent = 0, out = 0, overruns = 0;
	uint64_t bad = 0;
	struct tap_pre s;

	tap_before(f, &s);
	t->ops.deliver(t, port_region, pkts, n);
	tap_fill_model(f, &s, &bad);
	for (uint32_t b = 0; b < PORT_BUFS; b++)
		out += f->tap_held[b];
	used = f->trx_local - s.rx_cons;
	if (used > rx->size) {
		bad++;
		room = 0;
	} else {
		room = rx->size - used;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct dp_pkt *p = &pkts[i];
		const struct sfnic_zc_desc *d;

		if (p->pool->region != port_region)
			continue;
		if (sent >= room || out >= t->max_outstanding || p->buf >= PORT_BUFS ||
		    f->tap_held[p->buf]) {
			overruns++;
			continue;
		}
		check(rx->local - f->trx_local > sent);
		d = desc_entry(rx, f->trx_local + sent);
		check(d->buf == p->buf && d->off == p->off && d->len == p->len);
		check(p->shared);
		f->tap_held[p->buf] = 1;
		f->tst.rx_bytes += p->len;
		out++;
		sent++;
	}
	check(rx->local == f->trx_local + sent);
	check(t->bad == s.bad + bad && t->overruns == s.overruns + overruns);
	check(t->rx_frames == s.rx_frames + sent);
	f->tst.bad_ring += bad;
	f->tst.overruns += overruns;
	f->tst.rx_frames += sent;
	f->tst.rx_zerocopy += sent;
	if (sent) {
		check(load(&rx->hdr->producer) == rx->local);
		allow(&t->rings, &rx->hdr->producer, sizeof(uint32_t));
		allow_entries(&t->rings, rx, f->trx_local, rx->local, sizeof(struct sfnic_zc_desc));
	}
	f->trx_local = rx->local;
	check(signalled(t->efd_app) == (sent && (s.rx_flags & SFNIC_ZC_RING_NEED_WAKEUP)));
	rings_check(&t->rings);
}

/* ---- the datapath ---- */

/* A burst of the packet path's frames (another trust domain) steered to
 * the queue: [worker][n] then n x [u16 len], len up to the source buffer's
 * room, past what a queue's frame holds. */
static void op_deliver(struct fz *f, struct fuzz_input *in)
{
	unsigned worker = fuzz_u8(in) % WORKERS, n = 1 + fuzz_u8(in) % DP_BURST, k;
	struct dp_pkt pkts[DP_BURST];

	for (k = 0; k < n; k++) {
		uint32_t b = pp_alloc(f->src);
		uint16_t len = (uint16_t)(fuzz_u16le(in) % (SRC_MAX_LEN + 1));
		uint8_t *d;

		if (b == PP_NO_BUF)
			break;
		pkts[k] = (struct dp_pkt){ .pool = f->src, .buf = b, .off = PP_HEADROOM,
					   .len = len };
		/* A tag and the last byte: the copy is compared in full. */
		d = dp_pkt_data(&pkts[k]);
		memcpy(d, &(uint32_t){ k | (uint32_t)len << 16 }, len < 4 ? len : 4);
		if (len)
			d[len - 1] = (uint8_t)k;
	}
	if (k)
		excl_deliver(f, worker, pkts, k);
}

static void flight_free(struct fz *f, unsigned i)
{
	struct dp_pkt p = f->flight[i];

	f->flight[i] = f->flight[--f->nflight];
	if (p.pool == f->port)
		f->pending[p.buf] = 0;
	consume(NULL, 0, &p, 1);
}

/* A burst a tapped port's host side sent into the eswitch: [n][flags] then
 * n x [u16 len][kind].  kind 0: a frame of the port's pool; 1: the same,
 * kept by the packet path afterwards; 2: the previous frame again; 3: a
 * frame of another region (the taps' not to see); 4: a frame the packet
 * path still holds, seen again.  flags bit 0: what the packet path does not
 * keep is forwarded to the exclusive queue (by worker flags >> 1) instead
 * of freed. */
static void op_tap_burst(struct fz *f, struct fuzz_input *in)
{
	unsigned n = 1 + fuzz_u8(in) % 32, flags = fuzz_u8(in), k = 0, nfwd = 0;
	struct dp_pkt pkts[32], fwd[DP_BURST];
	bool kept[32] = { false }, dup[32] = { false };
	int of_flight[32];

	for (unsigned i = 0; i < n; i++) {
		uint16_t raw = fuzz_u16le(in);
		unsigned kind = fuzz_u8(in) % 5;
		uint32_t b;

		of_flight[k] = -1;
		if (kind == 2 && k) {
			pkts[k] = pkts[k - 1];
			dup[k++] = true;
			continue;
		}
		if (kind == 4) {
			unsigned j;

			for (j = 0; j < f->nflight && f->flight[j].pool != f->port; j++)
				;
			if (j < f->nflight) {
				of_flight[k] = (int)j;  /* the flight list keeps it */
				pkts[k] = f->flight[j];
				dup[k++] = true;
				continue;
			}
			kind = 0;
		}
		if (kind == 3) {
			if ((b = pp_alloc(f->src)) == PP_NO_BUF)
				continue;
			pkts[k++] = (struct dp_pkt){ .pool = f->src, .buf = b, .off = PP_HEADROOM,
						     .len = (uint16_t)(14 + raw % 1900) };
			continue;
		}
		if ((b = pp_alloc(f->port)) == PP_NO_BUF)
			continue;
		/* The pool never hands out a frame the tap still holds. */
		check(!f->pending[b] && !f->tap_held[b]);
		f->pending[b] = 1;
		kept[k] = kind == 1;
		pkts[k++] = (struct dp_pkt){ .pool = f->port, .buf = b,
					     .off = (uint16_t)(PP_HEADROOM - 4 + (raw & 7)),
					     .len = (uint16_t)(14 + raw % (PP_BUF_SIZE - PP_HEADROOM - 17)) };
	}
	if (!k)
		return;
	tap_deliver(f, pkts, k);
	for (unsigned i = 0; i < k; i++) {
		/* The packet path's one record of a frame learns it is shared. */
		if (of_flight[i] >= 0)
			f->flight[of_flight[i]].shared |= pkts[i].shared;
		if (dup[i])
			continue;
		if (kept[i]) {
			flight_add(f, &pkts[i]);
		} else if (flags & 1) {
			fwd[nfwd++] = pkts[i];
		} else {
			if (pkts[i].pool == f->port)
				f->pending[pkts[i].buf] = 0;
			consume(NULL, 0, &pkts[i], 1);
		}
	}
	if (nfwd) {
		excl_deliver(f, (flags >> 1) % WORKERS, fwd, nfwd);
		/* tx_burst freed them all. */
		for (unsigned i = 0; i < nfwd; i++)
			if (fwd[i].pool == f->port)
				f->pending[fwd[i].buf] = 0;
	}
}

/* ---- the application ---- */

/* A producer or consumer word: [ring][mode][u32]: set, add, or near the
 * daemon's own index. */
static void op_index(struct fz *f, struct fuzz_input *in, bool producer)
{
	struct zc_ring *r = ring_of(f, fuzz_u8(in));
	unsigned mode = fuzz_u8(in) % 3;
	uint32_t v = fuzz_u32le(in);
	_Atomic uint32_t *w = producer ? &r->hdr->producer : &r->hdr->consumer;

	if (mode == 0)
		store(w, v);
	else if (mode == 1)
		store(w, load(w) + (uint32_t)(int8_t)v);
	else
		store(w, r->local + (uint32_t)(int8_t)v);
}

/* A FILL entry: [slot][u32 value][mode]: the value, a frame index, or a
 * frame of the pocket (returned twice, maybe). */
static void op_fill_raw(struct fz *f, struct fuzz_input *in, struct zc_ring *r,
			const uint32_t *pocket, unsigned npocket, uint32_t frames)
{
	uint8_t slot = fuzz_u8(in);
	uint32_t v = fuzz_u32le(in);
	unsigned mode = fuzz_u8(in) % 3;

	if (mode == 1)
		v %= frames;
	else if (mode == 2 && npocket)
		v = pocket[v % npocket];
	*frame_entry(r, load(&r->hdr->producer) + slot) = v;
}

static void op_tx_raw(struct fz *f, struct fuzz_input *in)
{
	struct zc_ring *r = &f->q->rings.tx;
	uint8_t slot = fuzz_u8(in);
	struct sfnic_zc_desc d;
	unsigned mode;

	d.buf = fuzz_u32le(in);
	d.off = fuzz_u16le(in);
	d.len = fuzz_u16le(in);
	mode = fuzz_u8(in) % 3;

	if (mode == 1)
		d.buf %= f->frames;
	else if (mode == 2 && f->npocket)
		d.buf = f->pocket[d.buf % f->npocket];
	*desc_entry(r, load(&r->hdr->producer) + slot) = d;
}

/* Takes up to k entries of a ring the application consumes. */
static void app_take(struct zc_ring *r, bool desc, unsigned k, uint32_t *pocket, unsigned *npocket,
		     struct zc_ring *fwd)
{
	uint32_t prod = load(&r->hdr->producer), cons = load(&r->hdr->consumer);
	uint32_t n = prod - cons, fprod = 0, ffree = 0;

	if (n > r->size)
		return;
	if (fwd) {
		fprod = load(&fwd->hdr->producer);
		ffree = fwd->size - (fprod - load(&fwd->hdr->consumer));
		if (ffree > fwd->size)
			return;
		n = n < ffree ? n : ffree;
	}
	n = n < k ? n : k;
	for (uint32_t i = 0; i < n; i++) {
		if (fwd)
			*desc_entry(fwd, fprod + i) = *desc_entry(r, cons + i);
		else
			pocket_push(pocket, npocket,
				    desc ? desc_entry(r, cons + i)->buf : *frame_entry(r, cons + i));
	}
	store(&r->hdr->consumer, cons + n);
	if (fwd)
		store(&fwd->hdr->producer, fprod + n);
}

/* Puts up to k pocket frames on a ring the application produces (FILL:
 * desc NULL; TX: with off and len); dup leaves them in the pocket. */
static void app_give(struct zc_ring *r, unsigned k, bool dup, uint32_t *pocket, unsigned *npocket,
		     const struct sfnic_zc_desc *desc)
{
	uint32_t prod = load(&r->hdr->producer), used = prod - load(&r->hdr->consumer), n;

	if (used > r->size)
		return;
	n = r->size - used;
	n = n < k ? n : k;
	n = n < *npocket ? n : *npocket;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = pocket[*npocket - 1 - i];

		if (desc)
			*desc_entry(r, prod + i) = (struct sfnic_zc_desc){ b, desc->off, desc->len };
		else
			*frame_entry(r, prod + i) = b;
	}
	if (!dup)
		*npocket -= n;
	store(&r->hdr->producer, prod + n);
}

static void op_send(struct fz *f, struct fuzz_input *in)
{
	unsigned k = fuzz_u8(in);
	uint16_t off = fuzz_u8(in), raw = fuzz_u16le(in);
	bool dup = fuzz_u8(in) & 1;
	/* Mostly a length that fits; the top bit any length. */
	uint16_t len = raw & 0x8000 ? raw & 0x7fff
				    : (uint16_t)(14 + raw % (PP_BUF_SIZE - off - 14 + 1));

	app_give(&f->q->rings.tx, k, dup, f->pocket, &f->npocket,
		 &(struct sfnic_zc_desc){ 0, off, len });
}

static void op_frame_write(struct fz *f, struct fuzz_input *in)
{
	uint32_t b = fuzz_u8(in) % f->frames;
	uint16_t off = fuzz_u16le(in) % PP_BUF_SIZE;
	size_t n = fuzz_u8(in);
	uint8_t *d = (uint8_t *)pp_region_base(f->q->region) + (size_t)b * PP_BUF_SIZE + off;

	if (n > in->n)
		n = in->n;
	if (n > PP_BUF_SIZE - off)
		n = PP_BUF_SIZE - off;
	memcpy(d, in->p, n);
	in->p += n;
	in->n -= n;
}

/* ---- one input ---- */

/* Puts a region's free buffers in one order, whatever the last input left:
 * a buffer's index is the same in every run of an input.  (The regions
 * live across inputs: a fresh one per input would spend the run faulting
 * its pages in.) */
static void region_reset(struct pp_region *r)
{
	struct pp_pool *p = pp_pool_create(r, &(struct pp_params){ .name = "fuzz-reset" });
	uint32_t n = pp_region_nbufs(r), k = 0, b;
	uint8_t *have = calloc(n, 1);

	check(p && have);
	while ((b = pp_alloc(p)) != PP_NO_BUF) {
		check(b < n && !have[b]);
		have[b] = 1;
		k++;
	}
	check(k == n);
	for (b = n; b-- > 0;)
		pp_put(p, b);
	pp_pool_destroy(p);
	check(pp_region_free(r) == n);
	free(have);
}

/* The header: [frames, ring][cap][tx_frames][tap cap].  All zero: 128
 * frames, rings of 64, cap 100, 16 tx frames, tap cap 48.  (Bits 0-1 of
 * the first byte, once a worker count, are not read.) */
static void setup(struct fz *f, struct fuzz_input *in)
{
	static const uint32_t frames_of[4] = { 128, 64, 256, 128 };
	uint8_t h = fuzz_u8(in), c = fuzz_u8(in), x = fuzz_u8(in), tc = fuzz_u8(in);
	uint32_t ring, lim, was;
	char err[128];

	memset(f, 0, sizeof(*f));
	if (!control_id)
		control_id = pp_self();
	check(pp_tls_id == control_id);
	if (!src_region) {
		src_region = pp_region_create_sized("fuzz-zc-src", 1, SRC_BUFS, SRC_BUF_SIZE, false,
						    err, sizeof(err));
		port_region = pp_region_create("fuzz-zc-port", 0, PORT_BUFS, false, err,
					       sizeof(err));
		sf_region = pp_region_create("fuzz-zc-sf", 2, SF_BUFS, false, err, sizeof(err));
		check(src_region && port_region && sf_region);
	}
	region_reset(src_region);
	region_reset(port_region);
	region_reset(sf_region);
	f->frames = frames_of[h >> 2 & 3];
	ring = (h & 0x10) && f->frames >= 128 ? 128 : 64;
	f->cap = c ? 1 + c % f->frames : f->frames * 25 / 32;
	lim = ring < f->cap ? ring : f->cap;
	f->tx_frames = x ? (x - 1u) % (lim + 1) : (16 < lim ? 16 : lim);
	f->q = zc_excl_create("fuzz-zc", 7, f->frames, ring, f->cap, f->tx_frames, err,
			      sizeof(err));
	if (!f->q)
		fprintf(stderr, "zc_excl_create: %s\n", err);
	check(f->q);
	f->t = zc_tap_create("fuzz-zc-tap", PORT_BUFS, TAP_RING, tc ? 1 + tc % 64 : 48, err,
			     sizeof(err));
	check(f->t);
	f->tap_slot = pp_region_tap_add(port_region, f->t->held);      /* as dp_port_add_tap */
	check(f->tap_slot >= 0);
	f->src = pp_pool_create(src_region, &(struct pp_params){ .name = "fuzz-src" });
	f->port = pp_pool_create(port_region, &(struct pp_params){ .name = "fuzz-port" });
	/* The SF's pool is its owner worker's, as rx_burst's pool argument. */
	f->sf = pp_pool_create(sf_region, &(struct pp_params){ .name = "fuzz-sf", .unowned = true });
	check(f->src && f->port && f->sf);
	was = as_thread(worker_id(OWNER_WORKER));
	pp_pool_set_owner(f->sf);
	as_thread(was);
	/* tx_frames wait on COMP from the start, taken from the queue's pool
	 * by the control thread, its owner until a worker takes the lock. */
	f->pool_owner = control_id;
	check(f->q->pool->owner == control_id);
	check(f->q->rings.comp.local == f->tx_frames);
	check(atomic_load(&f->q->outstanding) == f->tx_frames);
	for (uint32_t j = 0; j < f->tx_frames; j++) {
		uint32_t b = *frame_entry(&f->q->rings.comp, j);

		check(b < f->frames && !f->held[b]);
		f->held[b] = 1;
	}
	f->comp_local = f->tx_frames;
	check(load(&f->q->rings.comp.hdr->producer) == f->tx_frames);
}

static unsigned flight_of(const struct fz *f, const struct pp_pool *p)
{
	unsigned n = 0;

	for (unsigned k = 0; k < f->nflight; k++)
		n += f->flight[k].pool == p;
	return n;
}

/* Closes as the daemon does: the tap and queue detached, everything the
 * application held taken back, the queue's region whole at once (none of
 * its frames is ever in the eswitch); then the packet path's pools go
 * while the eswitch still holds some of their frames, which come home
 * after. */
static void teardown(struct fz *f)
{
	struct pp_region *r;
	struct pp_stats st;
	unsigned late = f->nflight / 2;

	zc_excl_reclaim(f->q);         /* the control thread: the pool is its now */
	f->pool_owner = control_id;
	check(atomic_load(&f->q->outstanding) == 0);
	for (uint32_t b = 0; b < f->frames; b++)
		check(!atomic_load(&f->q->held[b]));
	pp_region_tap_del(port_region, f->tap_slot);
	zc_tap_reclaim(f->t);
	check(f->t->outstanding == 0);
	memset(f->held, 0, sizeof(f->held));
	memset(f->tap_held, 0, sizeof(f->tap_held));
	check_excl(f);
	check_tap(f);
	while (f->nflight > late)
		flight_free(f, f->nflight - 1);
	r = zc_excl_destroy(f->q);
	f->q = NULL;
	check(pp_region_free(r) == pp_region_nbufs(r));
	pp_region_destroy(r);
	zc_tap_destroy(f->t);
	pp_pool_stats(f->port, &st);
	check(st.inflight == flight_of(f, f->port));
	pp_pool_stats(f->sf, &st);
	check(st.inflight == flight_of(f, f->sf));
	pp_pool_stats(f->src, &st);
	check(st.inflight == 0);
	pp_pool_destroy(f->port);
	pp_pool_destroy(f->sf);
	pp_pool_destroy(f->src);
	while (f->nflight)
		flight_free(f, f->nflight - 1);
	check(pp_reap() == 0);
	check(pp_region_free(port_region) == PORT_BUFS);
	check(pp_region_free(sf_region) == SF_BUFS);
	check(pp_region_free(src_region) == SRC_BUFS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	static struct fz f;

	setup(&f, &in);
	check_excl(&f);
	while (in.n) {
		uint8_t op = fuzz_u8(&in) % OP_COUNT;

		switch (op) {
		case OP_FILL_RAW:
			op_fill_raw(&f, &in, &f.q->rings.fill, f.pocket, f.npocket, f.frames);
			break;
		case OP_TX_RAW:
			op_tx_raw(&f, &in);
			break;
		case OP_PROD:
		case OP_CONS:
			op_index(&f, &in, op == OP_PROD);
			break;
		case OP_FLAGS:
			store(&ring_of(&f, fuzz_u8(&in))->hdr->flags, fuzz_u32le(&in));
			break;
		case OP_FRAME_WRITE:
			op_frame_write(&f, &in);
			break;
		case OP_TAKE_RX:
			app_take(&f.q->rings.rx, true, fuzz_u8(&in), f.pocket, &f.npocket, NULL);
			break;
		case OP_TAKE_COMP:
			app_take(&f.q->rings.comp, false, fuzz_u8(&in), f.pocket, &f.npocket, NULL);
			break;
		case OP_RETURN: {
			unsigned k = fuzz_u8(&in);

			app_give(&f.q->rings.fill, k, fuzz_u8(&in) & 1, f.pocket, &f.npocket, NULL);
			break;
		}
		case OP_SEND:
			op_send(&f, &in);
			break;
		case OP_FORWARD:
			app_take(&f.q->rings.rx, true, fuzz_u8(&in), NULL, NULL, &f.q->rings.tx);
			break;
		case OP_DELIVER:
			op_deliver(&f, &in);
			break;
		case OP_RX_BURST: {
			uint8_t m = fuzz_u8(&in);

			excl_receive(&f, 1 + m % DP_BURST, fuzz_u8(&in), (m & 0xc0) == 0xc0);
			break;
		}
		case OP_FREE: {
			unsigned k = fuzz_u8(&in), end = fuzz_u8(&in) & 1;

			for (; k && f.nflight; k--)
				flight_free(&f, end ? f.nflight - 1 : 0);
			break;
		}
		case OP_ARM:
			excl_arm(&f, fuzz_u8(&in) & 1);
			break;
		case OP_KICK:
			(void)!write(f.q->efd_kick, &(uint64_t){ 1 }, sizeof(uint64_t));
			break;
		case OP_TAP_BURST:
			op_tap_burst(&f, &in);
			break;
		case OP_TAP_POLL:
			tap_poll(&f);
			break;
		case OP_TAP_FILL_RAW:
			op_fill_raw(&f, &in, &f.t->rings.fill, f.tpocket, f.ntpocket, PORT_BUFS);
			break;
		case OP_TAP_TAKE:
			app_take(&f.t->rings.rx, true, fuzz_u8(&in), f.tpocket, &f.ntpocket, NULL);
			break;
		case OP_TAP_RETURN: {
			unsigned k = fuzz_u8(&in);

			app_give(&f.t->rings.fill, k, fuzz_u8(&in) & 1, f.tpocket, &f.ntpocket,
				 NULL);
			break;
		}
		}
		check_excl(&f);
		check_tap(&f);
		check_home(&f, f.src, SRC_BUFS);
		check_home(&f, f.sf, SF_BUFS);
	}
	teardown(&f);
	return 0;
}
