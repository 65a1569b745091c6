/*
 * fuzz_memif_ring.c - a hostile memif client's shared memory under the
 * datapath.  The input builds the client's memory (1-3 regions, each
 * malloc'd at exactly its size so that ASan's redzones catch a byte past
 * it; or a sparse 4 GiB region, the largest a client may declare), 1-2 C2S
 * and 1-2 S2C rings anywhere in region 0 (overlapping if it likes), then
 * runs a script: write descriptors, heads, ring flags and region bytes as a
 * client would or would not, receive (rx_burst with a real page pool,
 * some of it held away), transmit frames from that pool (tx_burst), arm
 * and disarm.
 *
 * Besides ASan and UBSan, every call is checked against a model of the
 * protocol while the rings do not alias one another:
 *   - receive: the descriptors consumed since the last poll split into
 *     exactly the frames returned (contents equal to the client's bytes,
 *     0 < len <= the buffer's room) and the drops counted; what is left
 *     is a chain the client has not finished; the server wrote nothing but
 *     tail and the flags of what it consumed;
 *   - transmit: what is published is the frames sent, each ring's in order
 *     and of the ring its flow hashes to, byte for byte; every frame is
 *     sent or counted as a drop; the server wrote only tail, the window's
 *     descriptors and the buffers they post; the client is kicked exactly
 *     when it asked to be;
 *   - always: counters only grow, every buffer goes home (the pool has
 *     nothing in flight and nothing twice).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/memif/memif_internal.h"

#define S2C_ST MEMIF_MAX_QUEUES        /* S2C ring r counts in st[S2C_ST + r] */
#include "../../src/steer/steer.h"
#include "fuzz_input.h"

#define MAX_REGIONS 3
#define MAX_RINGS 4             /* up to 2 C2S, then up to 2 S2C */
#define MAX_LOG2 10             /* the DPDK default; rings up to 16 KiB */
#define POOL_BUFS 256
#define HUGE_SIZE MEMIF_MAX_REGION_SIZE
#define MAX_REGION_SIZE (124 << 10) /* malloc'd: below ASan's 128 KiB mmap threshold */

#define check(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); abort(); } } while (0)

enum op {
	OP_DESC_RAW,    /* 16 bytes into a descriptor */
	OP_DESC,        /* a descriptor field by field */
	OP_HEAD_ADD,
	OP_HEAD_SET,
	OP_FLAGS,       /* the ring's flags (MASK_INT) */
	OP_WRITE,       /* bytes anywhere in a region */
	OP_RX,
	OP_TX,
	OP_ARM,
	OP_SEND,        /* a client's burst on a C2S ring: frames, then head */
	OP_POST,        /* a client posts S2C buffers, then head */
	OP_COUNT
};

struct fz {
	unsigned nregions;
	uint8_t *base[MAX_REGIONS];
	uint64_t size[MAX_REGIONS];
	uint8_t *shadow[MAX_REGIONS];   /* before each call; NULL: the huge region */
	bool huge;
	unsigned nc2s, ns2c, nrings;
	uint32_t offset[MAX_RINGS];     /* in region 0 */
	uint64_t bytes[MAX_RINGS];
	bool c2s_alias, s2c_alias;      /* rings of a direction overlap */
	bool real_efd;
	struct memif_ctl ctl;
	struct memif_qstats st[2 * MEMIF_MAX_QUEUES];      /* C2S rings, then S2C */
	struct memif_if *i;
	struct pp_pool *pool;
	uint32_t cap;                   /* the most a frame may have */
	uint8_t *map;                   /* region 0: bytes the call may write */
};

static int efds[MAX_RINGS];
/* The harness's own copies need no redzones: allocated once. */
static uint8_t shadows[MAX_REGIONS][MAX_REGION_SIZE], map[MAX_REGION_SIZE];

static struct memif_queue *queue(struct fz *f, unsigned ring)
{
	return ring < f->nc2s ? &f->i->c2s[ring] : &f->i->s2c[ring - f->nc2s];
}

/* Region 0's bytes of ring j. */
static bool in_ring(const struct fz *f, unsigned j, uint64_t off, uint64_t len)
{
	return off < f->offset[j] + f->bytes[j] && f->offset[j] < off + len;
}

static bool desc_ok(const struct fz *f, const struct memif_desc *d)
{
	return d->region < f->nregions && (uint64_t)d->offset + d->length <= f->size[d->region];
}

/* ---- the client's memory ---- */

/* One 4 GiB region for the whole run, between guard pages: a copy that
 * runs off it faults.  Pages the input touched are dropped after it. */
static uint8_t *huge_region(void)
{
	static uint8_t *base;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (!base) {
		uint8_t *m = mmap(NULL, HUGE_SIZE + 2 * page, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		check(m != MAP_FAILED);
		check(!mprotect(m + page, HUGE_SIZE, PROT_READ | PROT_WRITE));
		base = m + page;
	}
	return base;
}

static struct pp_pool *pool_get(bool gso)
{
	static struct pp_pool *pool[2];

	if (!pool[gso]) {
		char err[128];
		struct pp_region *r = pp_region_create_sized(gso ? "fuzz-memif-gso" : "fuzz-memif",
							     1, POOL_BUFS,
							     gso ? PP_BUF_SIZE_GSO : PP_BUF_SIZE,
							     false, err, sizeof(err));

		check(r);
		pool[gso] = pp_pool_create(r, &(struct pp_params){ .name = "fuzz" });
		check(pool[gso]);
	}
	return pool[gso];
}

/* Nothing in flight, nothing home twice. */
static void check_pool(struct pp_pool *p)
{
	bool home[POOL_BUFS] = { false };
	struct pp_stats s;
	uint32_t head = atomic_load(&p->ring.head), tail = atomic_load(&p->ring.tail);

	pp_pool_stats(p, &s);
	check(s.inflight == 0);
	check(s.hold == p->count + (head - tail));
	for (uint32_t k = 0; k < p->count; k++) {
		check(p->cache[k] < POOL_BUFS && !home[p->cache[k]]);
		home[p->cache[k]] = true;
	}
	for (uint32_t t = tail; t != head; t++) {
		uint32_t b = p->ring.slot[t & p->ring.mask];

		check(b < POOL_BUFS && !home[b]);
		home[b] = true;
	}
}

/* What the client's buffers hold before the input writes them: anything
 * but zeros, the same in every run. */
static const uint8_t *pattern(void)
{
	static uint8_t *p;

	if (!p) {
		p = malloc(MAX_REGION_SIZE + MAX_REGIONS);
		check(p);
		for (size_t b = 0; b < MAX_REGION_SIZE + MAX_REGIONS; b++)
			p[b] = (uint8_t)(b * 31 + 7);
	}
	return p;
}

/* Reads the header: regions, rings, pool; builds the interface.  false:
 * the client's rings were refused (a cookie lost under another ring). */
static bool setup(struct fz *f, struct fuzz_input *in)
{
	uint8_t h = fuzz_u8(in);
	uint8_t log2[MAX_RINGS];
	char reason[MEMIF_REASON_SZ];

	memset(f, 0, sizeof(*f));
	f->nregions = 1 + (h & 3) % MAX_REGIONS;
	f->pool = pool_get(h & 0x04);
	f->cap = f->pool->buf_size - PP_HEADROOM;
	if (f->cap > UINT16_MAX)
		f->cap = UINT16_MAX;    /* a frame's length is 16 bits */
	f->nc2s = 1 + (h >> 3 & 1);
	f->ns2c = 1 + (h >> 4 & 1);
	f->nrings = f->nc2s + f->ns2c;
	f->real_efd = h & 0x20;
	f->huge = (h & 0x40) && f->nregions > 1;
	for (unsigned k = 0; k < MAX_REGIONS; k++)
		f->size[k] = 4096 + fuzz_u8(in) * (MAX_REGION_SIZE - 4096) / 255;
	for (unsigned j = 0; j < MAX_RINGS; j++) {
		log2[j] = 1 + fuzz_u8(in) % MAX_LOG2;
		f->bytes[j] = memif_ring_bytes(log2[j]);
		if (j < f->nrings && f->size[0] < f->bytes[j])
			f->size[0] = f->bytes[j];
	}
	for (unsigned j = 0; j < MAX_RINGS; j++)
		f->offset[j] = (uint32_t)(fuzz_u16le(in) * 8ull % (f->size[0] - f->bytes[j] + 1)) &
			       ~7u;
	for (unsigned k = 0; k < f->nregions; k++) {
		if (f->huge && k == f->nregions - 1) {
			f->size[k] = HUGE_SIZE;
			f->base[k] = huge_region();
			continue;
		}
		f->base[k] = malloc(f->size[k]);
		check(f->base[k]);
		f->shadow[k] = shadows[k];
		if (k)
			memcpy(f->base[k], pattern() + k, f->size[k]);
		else
			memset(f->base[k], 0, f->size[k]);
	}
	f->map = map;
	for (unsigned j = 0; j < f->nrings; j++)
		for (unsigned l = 0; l < j; l++)
			if ((j < f->nc2s) == (l < f->nc2s) && in_ring(f, l, f->offset[j], f->bytes[j])) {
				if (j < f->nc2s)
					f->c2s_alias = true;
				else
					f->s2c_alias = true;
			}
	f->ctl.state = MEMIF_CTL_CONNECTED;
	f->ctl.nregions = f->nregions;
	for (unsigned k = 0; k < f->nregions; k++)
		f->ctl.region[k] = (typeof(f->ctl.region[k])){ -1, f->size[k] };
	for (unsigned j = 0; j < f->nrings; j++) {
		unsigned t = j < f->nc2s ? MEMIF_RING_C2S : MEMIF_RING_S2C;
		uint32_t cookie = MEMIF_COOKIE;

		f->ctl.ring[t][f->ctl.nrings[t]++] = (struct memif_ctl_ring){
			f->real_efd ? efds[j] : -1, 0, f->offset[j], log2[j] };
		memcpy(f->base[0] + f->offset[j], &cookie, sizeof(cookie));
	}
	f->i = memif_if_wrap(f->base, f->size, f->nregions, &f->ctl, f->st, reason, sizeof(reason));
	if (!f->i) {
		check(!strcmp(reason, "Wrong ring"));
		return false;
	}
	return true;
}

static void teardown(struct fz *f)
{
	memif_if_destroy(f->i);
	for (unsigned k = 0; k < f->nregions; k++)
		if (f->shadow[k])
			free(f->base[k]);
	if (f->huge)
		check(!madvise(f->base[f->nregions - 1], HUGE_SIZE, MADV_DONTNEED));
}

/* ---- what a call may write ---- */

struct range {
	unsigned region;
	uint64_t start, end;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void snapshot(struct fz *f)
{
	for (unsigned k = 0; k < f->nregions; k++)
		if (f->shadow[k])
			memcpy(f->shadow[k], f->base[k], f->size[k]);
}

/* Every byte of the malloc'd regions that changed since snapshot() is
 * marked in f->map (region 0) or inside one of rg[] (sorted). */
__attribute__((no_sanitize("coverage")))       /* the harness's loops are no feature */
static void check_writes(const struct fz *f, const struct range *rg, unsigned nrg)
{
	unsigned cur = 0;

	for (unsigned r = 0; r < f->nregions; r++) {
		if (!f->shadow[r])
			continue;
		for (uint64_t b = 0; b < f->size[r]; b += 4096) {
			uint64_t n = f->size[r] - b < 4096 ? f->size[r] - b : 4096;

			if (!memcmp(f->base[r] + b, f->shadow[r] + b, n))
				continue;
			for (uint64_t x = b; x < b + n; x++) {
				if (f->base[r][x] == f->shadow[r][x] || (r == 0 && f->map[x]))
					continue;
				/* Ranges that end before x never cover a later byte. */
				while (cur < nrg && (rg[cur].region < r ||
						     (rg[cur].region == r && rg[cur].end <= x)))
					cur++;
				if (!(cur < nrg && rg[cur].region == r && rg[cur].start <= x)) {
					fprintf(stderr, "region %u byte %llu written\n", r,
						(unsigned long long)x);
					check(!"a write outside what the call may write");
				}
			}
		}
	}
}

static void map_desc_field(struct fz *f, unsigned ring, uint16_t slot, unsigned off, unsigned len)
{
	struct memif_queue *q = queue(f, ring);

	memset(f->map + f->offset[ring] + MEMIF_RING_HDR_SIZE +
	       (uint64_t)(slot & q->mask) * sizeof(struct memif_desc) + off, 1, len);
}

static void map_tail(struct fz *f, unsigned ring)
{
	memset(f->map + f->offset[ring] + offsetof(struct memif_ring, tail), 1, sizeof(uint16_t));
}

static void check_counters_grow(const struct memif_qstats *a, const struct memif_qstats *b)
{
	check(b->rx_packets >= a->rx_packets && b->rx_bytes >= a->rx_bytes);
	check(b->tx_packets >= a->tx_packets && b->tx_bytes >= a->tx_bytes);
	check(b->invalid_desc >= a->invalid_desc && b->ring_full >= a->ring_full);
	check(b->bad_ring >= a->bad_ring && b->too_long >= a->too_long);
}

/* ---- receive ---- */

static struct memif_desc rx_snap[2][1u << MAX_LOG2];

static void check_rx_frame(const struct fz *f, const struct dp_pkt *p, const struct memif_desc *snap,
			   uint32_t mask, uint16_t at, unsigned segs, uint64_t total)
{
	const uint8_t *data = dp_pkt_data(p);
	uint64_t done = 0;

	check(p->len == total);
	for (unsigned s = 0; s < segs; s++) {
		const struct memif_desc *d = &snap[(uint16_t)(at + s) & mask];
		bool stable = true;

		/* Bytes of a C2S ring may have been cleared under the copy. */
		for (unsigned j = 0; d->region == 0 && j < f->nc2s; j++)
			stable &= !in_ring(f, j, d->offset, d->length);
		if (stable)
			check(!memcmp(data + done, f->base[d->region] + d->offset, d->length));
		done += d->length;
	}
}

/* The model of one C2S ring's poll: what was consumed splits into the
 * frames returned and the drops counted.  Returns the frames it matched. */
static unsigned rx_model(struct fz *f, unsigned r, uint16_t head, uint16_t pos0, unsigned budget,
			 bool live, const struct dp_pkt *pkts, unsigned npkts,
			 const struct memif_qstats *st0)
{
	bool polled = budget > 0;
	struct memif_queue *q = &f->i->c2s[r];
	const struct memif_qstats *st = &f->st[r];
	const struct memif_desc *snap = rx_snap[r];
	uint16_t consumed = (uint16_t)(q->pos - pos0), avail = (uint16_t)(head - pos0);
	unsigned frames = 0, invalid = 0, too_long = 0, used = 0;
	uint64_t bytes = 0;

	if (consumed)
		check(atomic_load(&q->ring->tail) == q->pos);
	if (!polled || avail > q->size) {
		check(!consumed && st->rx_packets == st0->rx_packets);
		check(st->bad_ring == st0->bad_ring + (polled ? 1 : 0));
		return 0;
	}
	check(st->bad_ring == st0->bad_ring && consumed <= avail);
	while (used < consumed) {
		uint64_t total = 0;
		unsigned segs = 0;
		bool bad = false, lng = false;

		for (;;) {
			const struct memif_desc *d;

			if (used + segs == consumed) {
				/* Only a chain as long as the ring is taken unended. */
				check(segs == q->size);
				bad = true;
				break;
			}
			d = &snap[(uint16_t)(pos0 + used + segs) & q->mask];
			segs++;
			if (!bad && !lng) {
				if (!desc_ok(f, d))
					bad = true;
				else if (total + d->length > f->cap)
					lng = true;
				else
					total += d->length;
			}
			if (!(d->flags & MEMIF_DESC_FLAG_NEXT))
				break;
		}
		if (lng) {
			too_long++;
		} else if (bad || !total) {
			invalid++;
		} else {
			check(frames < npkts);
			check_rx_frame(f, &pkts[frames], snap, q->mask, (uint16_t)(pos0 + used), segs,
				       total);
			frames++;
			bytes += total;
		}
		/* The server may clear the flags of what it consumed (a stale
		 * NEXT of DPDK's), nothing else. */
		for (unsigned s = 0; s < segs; s++)
			map_desc_field(f, r, (uint16_t)(pos0 + used + s), 0, sizeof(uint16_t));
		used += segs;
	}
	check(st->rx_packets - st0->rx_packets == frames);
	check(st->rx_bytes - st0->rx_bytes == bytes);
	check(st->invalid_desc - st0->invalid_desc == invalid);
	check(st->too_long - st0->too_long == too_long);
	if (live && frames < budget && avail != consumed) {
		/* Stopped with room for more buffers and frames: what is left
		 * is a chain the client has not finished. */
		uint16_t rest = (uint16_t)(avail - consumed);

		check(rest < q->size);
		for (uint16_t s = 0; s < rest; s++)
			check(snap[(uint16_t)(q->pos + s) & q->mask].flags & MEMIF_DESC_FLAG_NEXT);
	}
	return frames;
}

static void op_rx(struct fz *f, unsigned max, unsigned hold)
{
	struct dp_pkt pkts[DP_BURST];
	uint32_t held[POOL_BUFS];
	uint16_t head[2], pos0[2];
	struct memif_qstats st0[2 * MEMIF_MAX_QUEUES];
	unsigned first = f->i->next_c2s, n, nheld = 0, at = 0;

	while (nheld < hold && (held[nheld] = pp_alloc(f->pool)) != PP_NO_BUF)
		nheld++;
	for (unsigned r = 0; r < f->nc2s; r++) {
		struct memif_queue *q = &f->i->c2s[r];

		head[r] = atomic_load(&q->ring->head);
		pos0[r] = q->pos;
		memcpy(rx_snap[r], q->ring->desc, q->size * sizeof(struct memif_desc));
	}
	snapshot(f);
	memcpy(st0, f->st, sizeof(st0));

	n = memif_if_rx_burst(f->i, f->pool, pkts, max);

	check(n <= max);
	for (unsigned k = 0; k < n; k++) {
		volatile uint8_t x;

		check(pkts[k].pool == f->pool && pkts[k].buf < POOL_BUFS);
		check(pkts[k].off == PP_HEADROOM && pkts[k].len > 0 && pkts[k].len <= f->cap);
		x = dp_pkt_data(&pkts[k])[pkts[k].len - 1];
		(void)x;
	}
	memset(f->map, 0, f->size[0]);
	for (unsigned r = 0; r < f->nc2s; r++)
		map_tail(f, r);
	if (f->c2s_alias) {
		/* The rings write each other: any C2S flags and tails may move. */
		for (unsigned r = 0; r < f->nc2s; r++)
			for (uint16_t s = 0; s < f->i->c2s[r].size; s++)
				map_desc_field(f, r, s, 0, sizeof(uint16_t));
	} else {
		for (unsigned k = 0; k < f->nc2s; k++) {
			unsigned r = (first + k) % f->nc2s;

			at += rx_model(f, r, head[r], pos0[r], max - at, nheld == 0, pkts + at,
				       n - at, &st0[r]);
		}
		check(at == n);
	}
	check_writes(f, NULL, 0);
	for (unsigned k = 0; k < n; k++)
		dp_pkt_free(&pkts[k]);
	for (unsigned k = 0; k < nheld; k++)
		pp_put(f->pool, held[k]);
}

/* ---- transmit ---- */

static uint8_t tx_data[DP_BURST][UINT16_MAX];   /* what each frame held */
static uint8_t tx_slot[POOL_BUFS];             /* buffer -> its frame */

/* Up to 64 frames from the pool, [u16 len][u8 n][n bytes] each, the rest
 * of a frame a constant (its buffer's old bytes would make runs differ). */
static unsigned tx_frames(struct fz *f, struct fuzz_input *in, struct dp_pkt *pkts)
{
	unsigned n = 1 + fuzz_u8(in) % DP_BURST, k;

	for (k = 0; k < n; k++) {
		uint32_t buf = pp_alloc(f->pool);
		uint16_t len = (uint16_t)(1 + fuzz_u16le(in) % f->cap);
		unsigned pre = fuzz_u8(in) % 65;
		uint8_t *d;

		if (buf == PP_NO_BUF)
			break;
		pkts[k] = (struct dp_pkt){ .pool = f->pool, .buf = buf, .off = PP_HEADROOM,
					   .len = len };
		d = dp_pkt_data(&pkts[k]);
		if (pre > len)
			pre = len;
		if (pre > in->n)
			pre = (unsigned)in->n;
		memcpy(d, in->p, pre);
		in->p += pre;
		in->n -= pre;
		memset(d + pre, 0x5a, len - pre);
		memcpy(tx_data[k], d, len);
		tx_slot[buf] = (uint8_t)k;
	}
	return k;
}

/* The frames published on S2C ring r since pos0 are out[*at..], byte for
 * byte, in the descriptors the client posted. */
static unsigned tx_published(struct fz *f, unsigned r, uint16_t pos0, const struct dp_pkt *out,
			     unsigned nout, unsigned *at)
{
	struct memif_queue *q = &f->i->s2c[r];
	uint16_t published = (uint16_t)(q->pos - pos0), used = 0;
	unsigned frames = 0, last = 0;

	while (used < published) {
		const struct dp_pkt *p;
		unsigned k;
		uint64_t done = 0;

		check(*at < nout);
		p = &out[(*at)++];
		k = tx_slot[p->buf];
		/* A flow stays on its ring and in order. */
		check(!frames || k > last);
		last = k;
		if (f->ns2c > 1)
			check(steer_flow_hash(tx_data[k], p->len) % f->ns2c == r);
		for (;;) {
			struct memif_desc d;

			check(used < published);
			memcpy(&d, &q->ring->desc[(uint16_t)(pos0 + used) & q->mask], sizeof(d));
			used++;
			check(desc_ok(f, &d) && d.length > 0 && done + d.length <= p->len);
			check(!memcmp(f->base[d.region] + d.offset, tx_data[k] + done, d.length));
			done += d.length;
			if (!(d.flags & MEMIF_DESC_FLAG_NEXT))
				break;
		}
		check(done == p->len);
		frames++;
	}
	return frames;
}

static void op_tx(struct fz *f, struct fuzz_input *in)
{
	static struct range rg[2 << MAX_LOG2];
	struct dp_pkt pkts[DP_BURST];
	struct memif_qstats st0[2 * MEMIF_MAX_QUEUES];
	uint16_t pos0[2];
	unsigned n = tx_frames(f, in, pkts), sent, nrg = 0, assigned[2] = { 0, 0 }, at = 0;
	uint64_t total = 0, maxlen = 0, dropped = 0, bytes = 0;
	bool alias = f->s2c_alias, overlap = false;
	enum dp_drop why;

	if (!n)
		return;
	for (unsigned k = 0; k < n; k++) {
		total += pkts[k].len;
		maxlen = pkts[k].len > maxlen ? pkts[k].len : maxlen;
		assigned[f->ns2c > 1 ? steer_flow_hash(tx_data[k], pkts[k].len) % f->ns2c : 0]++;
	}
	/* The window: the buffers posted at pos.. and their descriptors. */
	memset(f->map, 0, f->size[0]);
	for (unsigned r = 0; r < f->ns2c; r++) {
		struct memif_queue *q = &f->i->s2c[r];
		uint16_t room = (uint16_t)(atomic_load(&q->ring->head) - q->pos);
		uint64_t used = 0;

		pos0[r] = q->pos;
		map_tail(f, f->nc2s + r);
		if (f->real_efd) {
			uint64_t v;

			(void)!read(efds[f->nc2s + r], &v, sizeof(v));
		}
		if (room > q->size)
			continue;
		for (uint16_t s = 0; s < room && used < total; s++, used++) {
			struct memif_desc d;
			uint16_t slot = (uint16_t)(q->pos + s);

			memcpy(&d, &q->ring->desc[slot & q->mask], sizeof(d));
			map_desc_field(f, f->nc2s + r, slot, offsetof(struct memif_desc, flags),
				       sizeof(d.flags));
			map_desc_field(f, f->nc2s + r, slot, offsetof(struct memif_desc, length),
				       sizeof(d.length));
			if (!desc_ok(f, &d) || !d.length)
				continue;
			rg[nrg] = (struct range){ d.region, d.offset,
						  d.offset + (d.length < maxlen ? d.length : maxlen) };
			for (unsigned j = f->nc2s; d.region == 0 && j < f->nrings; j++)
				alias |= in_ring(f, j, rg[nrg].start, rg[nrg].end - rg[nrg].start);
			nrg++;
		}
	}
	qsort(rg, nrg, sizeof(rg[0]), range_cmp);
	for (unsigned k = 1; k < nrg; k++)
		overlap |= rg[k].region == rg[k - 1].region && rg[k].start < rg[k - 1].end;
	snapshot(f);
	memcpy(st0, f->st, sizeof(st0));

	sent = memif_if_tx_burst(f->i, 0, pkts, n, &why);

	check(sent <= n);
	for (unsigned k = 0; k < sent; k++)
		bytes += pkts[k].len;
	for (unsigned r = 0; r < f->ns2c; r++) {
		const struct memif_qstats *st = &f->st[S2C_ST + r], *s0 = &st0[S2C_ST + r];
		uint64_t drops = st->ring_full - s0->ring_full + st->invalid_desc - s0->invalid_desc;

		check(st->rx_packets == s0->rx_packets && st->too_long == s0->too_long);
		check(st->bad_ring - s0->bad_ring <= 1);
		check(st->tx_packets - s0->tx_packets + drops == assigned[r]);
		dropped += drops;
	}
	check(sent + dropped == n);
	if (!alias) {
		uint64_t sent_bytes = 0;

		for (unsigned r = 0; r < f->ns2c; r++) {
			struct memif_queue *q = &f->i->s2c[r];
			uint16_t published = (uint16_t)(q->pos - pos0[r]);
			unsigned frames = 0;

			if (published)
				check(atomic_load(&q->ring->tail) == q->pos);
			if (!overlap)
				frames = tx_published(f, r, pos0[r], pkts, sent, &at);
			else
				at += (unsigned)(f->st[S2C_ST + r].tx_packets - st0[S2C_ST + r].tx_packets);
			if (!overlap)
				check(frames == f->st[S2C_ST + r].tx_packets - st0[S2C_ST + r].tx_packets);
			sent_bytes += f->st[S2C_ST + r].tx_bytes - st0[S2C_ST + r].tx_bytes;
			if (f->real_efd) {
				/* Kicked when something was published and the
				 * client sleeps. */
				uint64_t v;
				bool kicked = read(efds[f->nc2s + r], &v, sizeof(v)) == sizeof(v);

				check(kicked == (published &&
						 !(q->ring->flags & MEMIF_RING_FLAG_MASK_INT)));
			}
		}
		check(at == sent && sent_bytes == bytes);
		check_writes(f, rg, nrg);
	}
}

/* ---- arm ---- */

static void op_arm(struct fz *f, bool armed)
{
	uint16_t flags[2];

	for (unsigned r = 0; r < f->nc2s; r++)
		flags[r] = f->i->c2s[r].ring->flags;
	f->i->be.arm(f->i, armed);
	for (unsigned r = 0; r < f->nc2s && !f->c2s_alias; r++) {
		uint16_t now = f->i->c2s[r].ring->flags;
		uint64_t v;

		check((now & ~MEMIF_RING_FLAG_MASK_INT) == (flags[r] & ~MEMIF_RING_FLAG_MASK_INT));
		check(!!(now & MEMIF_RING_FLAG_MASK_INT) == !armed);
		/* Arming drains the signals that woke us. */
		if (armed && f->real_efd)
			check(read(efds[r], &v, sizeof(v)) < 0 && errno == EAGAIN);
	}
}

/* ---- the client's writes ---- */

static void op_desc(struct fz *f, struct fuzz_input *in)
{
	struct memif_queue *q = queue(f, fuzz_u8(in) % f->nrings);
	uint16_t slot = fuzz_u16le(in);
	uint8_t how = fuzz_u8(in);
	struct memif_desc d = { 0 };

	/* bit 7: a raw region index; 6: a raw offset; 5: a 32-bit length;
	 * 4: NEXT */
	d.region = how & 0x80 ? how & 0x7f : (how & 3) % f->nregions;
	d.offset = fuzz_u32le(in);
	if (!(how & 0x40) && d.region < f->nregions)
		d.offset = (uint32_t)(d.offset % f->size[d.region]);
	d.length = how & 0x20 ? fuzz_u32le(in) : fuzz_u16le(in);
	d.flags = how & 0x10 ? MEMIF_DESC_FLAG_NEXT : 0;
	memcpy(&q->ring->desc[slot & q->mask], &d, sizeof(d));
}

static void op_write(struct fz *f, struct fuzz_input *in)
{
	unsigned r = fuzz_u8(in) % f->nregions;
	uint64_t off = fuzz_u32le(in) % f->size[r];
	size_t n = fuzz_u8(in);

	if (n > in->n)
		n = in->n;
	if (n > f->size[r] - off)
		n = f->size[r] - off;
	memcpy(f->base[r] + off, in->p, n);
	in->p += n;
	in->n -= n;
}

/* A well-behaved client's burst: [ring][count][u16 len][u8 region]; the
 * frames sit one after another in the region. */
static void op_send(struct fz *f, struct fuzz_input *in)
{
	struct memif_queue *q = &f->i->c2s[fuzz_u8(in) % f->nc2s];
	unsigned count = 1 + fuzz_u8(in) % 32;
	uint32_t len = 1 + fuzz_u16le(in) % 4096;
	unsigned r = fuzz_u8(in) % f->nregions;
	uint16_t head = atomic_load(&q->ring->head);

	if (len > f->size[r])
		len = (uint32_t)f->size[r];
	for (unsigned k = 0; k < count; k++) {
		struct memif_desc d = { .region = (uint16_t)r, .length = len,
					.offset = (uint32_t)((uint64_t)k * len % (f->size[r] - len + 1)) };

		memcpy(&q->ring->desc[(uint16_t)(head + k) & q->mask], &d, sizeof(d));
	}
	atomic_store(&q->ring->head, (uint16_t)(head + count));
}

/* A well-behaved client posting buffers: [ring][count][u16 size][u8 region]. */
static void op_post(struct fz *f, struct fuzz_input *in)
{
	struct memif_queue *q = &f->i->s2c[fuzz_u8(in) % f->ns2c];
	unsigned count = 1 + fuzz_u8(in) % 64;
	uint32_t bsize = 1 + fuzz_u16le(in) % 4096;
	unsigned r = fuzz_u8(in) % f->nregions;
	uint16_t head = atomic_load(&q->ring->head);

	if (bsize > f->size[r])
		bsize = (uint32_t)f->size[r];
	for (unsigned k = 0; k < count; k++) {
		uint16_t slot = (uint16_t)(head + k);
		struct memif_desc d = { .region = (uint16_t)r, .length = bsize,
					.offset = (uint32_t)((uint64_t)(slot & q->mask) * bsize %
							     (f->size[r] - bsize + 1)) };

		memcpy(&q->ring->desc[slot & q->mask], &d, sizeof(d));
	}
	atomic_store(&q->ring->head, (uint16_t)(head + count));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct fz f;

	if (!efds[0])
		for (unsigned j = 0; j < MAX_RINGS; j++) {
			efds[j] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			check(efds[j] > 0);
		}
	if (!setup(&f, &in)) {
		teardown(&f);
		return 0;
	}
	while (in.n) {
		struct memif_qstats st0[2 * MEMIF_MAX_QUEUES];
		uint8_t op = fuzz_u8(&in) % OP_COUNT;

		memcpy(st0, f.st, sizeof(st0));
		switch (op) {
		case OP_DESC_RAW: {
			struct memif_queue *q = queue(&f, fuzz_u8(&in) % f.nrings);
			uint16_t slot = fuzz_u16le(&in);
			uint8_t raw[sizeof(struct memif_desc)] = { 0 };

			for (unsigned k = 0; k < sizeof(raw); k++)
				raw[k] = fuzz_u8(&in);
			memcpy(&q->ring->desc[slot & q->mask], raw, sizeof(raw));
			break;
		}
		case OP_DESC:
			op_desc(&f, &in);
			break;
		case OP_HEAD_ADD: {
			struct memif_queue *q = queue(&f, fuzz_u8(&in) % f.nrings);

			atomic_fetch_add(&q->ring->head, fuzz_u8(&in));
			break;
		}
		case OP_HEAD_SET: {
			struct memif_queue *q = queue(&f, fuzz_u8(&in) % f.nrings);

			atomic_store(&q->ring->head, fuzz_u16le(&in));
			break;
		}
		case OP_FLAGS: {
			struct memif_queue *q = queue(&f, fuzz_u8(&in) % f.nrings);

			q->ring->flags = fuzz_u16le(&in);
			break;
		}
		case OP_WRITE:
			op_write(&f, &in);
			break;
		case OP_RX: {
			unsigned max = 1 + fuzz_u8(&in) % DP_BURST;

			op_rx(&f, max, fuzz_u8(&in));
			break;
		}
		case OP_TX:
			op_tx(&f, &in);
			break;
		case OP_ARM:
			op_arm(&f, fuzz_u8(&in) & 1);
			break;
		case OP_SEND:
			op_send(&f, &in);
			break;
		case OP_POST:
			op_post(&f, &in);
			break;
		}
		for (unsigned k = 0; k < 2 * MEMIF_MAX_QUEUES; k++)
			check_counters_grow(&st0[k], &f.st[k]);
		check_pool(f.pool);
	}
	teardown(&f);
	check_pool(f.pool);
	return 0;
}
