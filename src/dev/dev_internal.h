/*
 * dev_internal.h - what the device's files share: the device state and the
 * command context.  Not for use outside src/dev.
 *
 * Threads: everything here belongs to the caller of dev_cmd_exec() (the
 * daemon's main thread), except that a sampler thread (dev_sampler.c) reads
 * d->dp's counters and writes into its own umem ring; it touches nothing
 * else, and is joined before its umem, its context or the datapath goes.
 */
#ifndef SFNIC_DEV_INTERNAL_H
#define SFNIC_DEV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dev.h"

static inline uint64_t dev_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct sf_slot {
	uint8_t state;          /* enum dev_vhca_state; INVALID = free */
	uint16_t pfnum;
	uint32_t sfnum;
	struct dev_vport_ctx ctx;
};

struct sf_table {
	struct sf_slot *slots;  /* max entries */
	uint32_t max;
	uint32_t used;
	uint32_t free_hint;      /* no free slot below this one */
	uint32_t base;
	void *by_sfnum;         /* tsearch tree of struct sfnum_key */
};

/* Registered client memory: the channel's mapping, written, never read. */
struct dev_umem {
	uint32_t id;
	uint16_t owner;         /* uid */
	uint8_t *addr;
	uint64_t len;
};

/* A ring (tracer or sampler) placed in a umem: the producer count lives
 * here, so that nothing the client writes into the ring is ever read. */
struct dev_ring {
	uint32_t umem_id;       /* 0: none */
	struct dev_ring_hdr *hdr;
	uint8_t *ents;
	uint32_t count;         /* power of two */
	uint32_t size;          /* entry size */
	uint64_t prod;
};

struct dev_sampler;

struct dev_uctx {
	bool live;
	uint16_t uid;
	uint32_t cap;
	uint32_t os_uid, os_pid;
	uint32_t numems;
	struct dev_ring trace;
	struct dev_sampler *sampler;
	uint32_t sampler_umem; /* the umem its ring is in */
};

struct dev {
	struct sf_table sf[DEV_NUM_CONTROLLERS];
	struct dev_esw_mode esw;
	struct dev_vport_ctx pf_ctx;
	struct dp *dp;           /* NULL: no datapath */
	struct dev_eqe *eq;      /* ring; grows instead of overrunning */
	size_t eq_cap, eq_head, eq_len;
	uint64_t eq_produced;

	/* user contexts (dev_uctx.c) */
	struct dev_uctx *uctx;   /* DEV_UCTX_MAX, allocated on first use */
	uint16_t *uid_ix;        /* uid -> index + 1 into uctx; 0: none */
	uint32_t nuctx;
	uint16_t next_uid;
	struct dev_umem *umem;
	uint32_t numem, umem_cap;
	uint32_t next_umem_id;
	bool tainted;
	uint32_t taint_os_uid, taint_os_pid;

	/* injected faults (dev_fault.c) */
	uint32_t fail_left;      /* driver commands still to fail */
	uint8_t fail_status;
	uint32_t fail_synd;

	uint32_t ntracers;       /* contexts with a trace ring (dev_trace.c) */
	uint32_t nsamplers;      /* running sampler threads (dev_sampler.c) */
};

/* One command in execution. */
struct ctx {
	struct dev *d;
	const void *in;
	size_t inlen;
	void *out;
	size_t outlen;
	uint32_t syndrome;
	uint16_t uid;
	struct dev_uctx *u;     /* the caller's context; NULL for uid 0 */
};

static inline uint8_t dev_fail(struct ctx *c, uint8_t status, uint32_t syndrome)
{
	c->syndrome = syndrome;
	return status;
}

#define NEED_IO(c, in_t, out_t)                                              \
	do {                                                                  \
		if ((c)->inlen < sizeof(in_t))                                \
			return dev_fail((c), DEV_STAT_BAD_INPUT_LEN,          \
					DEV_SYND_SHORT_INPUT);                 \
		if ((c)->outlen < sizeof(out_t))                              \
			return dev_fail((c), DEV_STAT_BAD_OUTPUT_LEN,         \
					DEV_SYND_SHORT_OUTPUT);                \
	} while (0)

/* dev.c */
struct sf_slot *dev_sf_lookup(struct dev *d, uint32_t fn_id, struct sf_table **tp);
uint32_t dev_slot_to_fn(const struct sf_table *t, uint32_t slot);
void dev_set_state(struct dev *d, struct sf_slot *s, uint32_t fn_id, uint8_t state);
int dev_eq_push(struct dev *d, uint8_t type, uint32_t fn_id, uint8_t state);
void dev_hca_cap_fill(const struct dev *d, struct dev_hca_cap *cap);

/* dev_uctx.c */
struct dev_uctx *dev_uctx_find(struct dev *d, uint16_t uid);
/* Checks that the calling context may issue opcode/op_mod, and taints the
 * device after a successful debug write (dev_uctx_after). */
uint8_t dev_uctx_check(struct ctx *c, uint16_t opcode, uint16_t op_mod);
void dev_uctx_after(struct ctx *c, uint16_t opcode, uint16_t op_mod, uint8_t status);
/* The caller's umem id, bounds-checked: on success *p points at
 * [off, off + len) inside it (len 0: to its end, then *lenp says how much).
 * Fails (status, syndrome in c) on an unknown id, another uid's umem, or a
 * range outside it. */
uint8_t dev_umem_range(struct ctx *c, uint32_t umem_id, uint64_t off, uint64_t *lenp,
		       uint8_t **p);
void dev_uctx_destroy_all(struct dev *d);
uint8_t dev_cmd_create_uctx(struct ctx *c);
uint8_t dev_cmd_destroy_uctx(struct ctx *c);
uint8_t dev_cmd_query_uctx(struct ctx *c);
uint8_t dev_cmd_create_umem(struct ctx *c);
uint8_t dev_cmd_destroy_umem(struct ctx *c);

/* dev_query.c: paged lists shared by the queries and the resource dump.
 * A lister writes whole records of its type from position *pos into
 * buf/cap, advancing *pos; returns the records written, and sets *done when
 * the list is exhausted.  It only writes buf (which may be client memory). */
typedef uint32_t (*dev_lister)(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap,
			       bool *done);
uint32_t dev_list_functions(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done);
uint32_t dev_list_flows(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done);
uint32_t dev_list_pools(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done);
uint32_t dev_list_queues(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done);
uint32_t dev_list_eq(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done);
uint8_t dev_cmd_list(struct ctx *c, uint16_t opcode);
uint8_t dev_cmd_nop(struct ctx *c);
uint8_t dev_cmd_gen_eqe(struct ctx *c);
uint8_t dev_cmd_modify_vhca_state(struct ctx *c);

/* dev_dump.c */
uint8_t dev_cmd_resource_dump(struct ctx *c);

/* dev_trace.c */
uint8_t dev_cmd_set_tracer(struct ctx *c, uint16_t op_mod);
void dev_trace_cmd(struct dev *d, const struct dev_cmd_in_hdr *ih, uint8_t status,
		   uint32_t syndrome, uint64_t latency_ns);
void dev_trace_event(struct dev *d, const struct dev_eqe *e);
void dev_trace_detach(struct dev *d, struct dev_uctx *u);
/* Places a ring of entry size `size` at p/len (already bounds-checked). */
uint8_t dev_ring_init(struct ctx *c, struct dev_ring *r, uint32_t umem_id, uint8_t *p,
		      uint64_t len, uint32_t size, uint32_t magic);
/* Appends one entry (copied from e) and publishes it with release. */
void dev_ring_push(struct dev_ring *r, const void *e);

/* dev_fault.c */
uint8_t dev_cmd_set_fault(struct ctx *c, uint16_t op_mod);
/* An injected FAIL_CMDS failure for this driver command, or DEV_STAT_OK
 * when none is due (uid 0 only; the ctl channel's own commands and
 * SET_FAULT never fail so). */
uint8_t dev_fault_cmd(struct ctx *c, uint16_t opcode);

/* dev_sampler.c */
uint8_t dev_cmd_set_sampler(struct ctx *c, uint16_t op_mod);
void dev_sampler_stop(struct dev *d, struct dev_uctx *u);

#endif
