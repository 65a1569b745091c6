/*
 * dp_internal.h - the datapath's shared structures.
 */
#ifndef SFNIC_DP_INTERNAL_H
#define SFNIC_DP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "dp.h"
#include "../steer/steer.h"
#include "../ct/ct.h"

#define DP_VPORT_CHUNK_SHIFT 10
#define DP_VPORT_CHUNKS 256             /* vports below 0x40000 */
#define DP_INJECT_SLOTS 128
#define DP_MAX_CHAIN_DEPTH 8

/* A single-producer single-consumer ring of frame copies. */
struct dp_spsc {
	_Atomic uint32_t head;
	char pad0[60];
	_Atomic uint32_t tail;
	char pad1[60];
	uint32_t mask;
	uint64_t dropped;               /* producer side */
	struct dp_frame *slot;
};

struct dp_ring {
	unsigned nrings;
	int efd;
	_Atomic int armed;              /* the consumer waits for a wakeup */
	struct dp_spsc r[];             /* one per worker */
};

struct dp_queue {
	struct dp_qstats st;
	struct pp_pool *pool;           /* NULL until the port needs buffers */
	/* This queue's host side (a multiqueue TAP's queue), polled by the
	 * queue's worker.  A single-queue backend sits in the owner's slot. */
	const struct dp_backend *_Atomic be;
	void *be_ctx;
	bool rx_ready;                  /* its worker only: epoll said readable */
	struct dp_taps *_Atomic taps;   /* read-only taps of this queue, or NULL */
};

/* A queue's taps: immutable once published, replaced whole under RCU. */
struct dp_taps {
	unsigned n;
	struct {
		const struct dp_tap_ops *ops;
		void *ctx;
		int region_slot;        /* pp_region_tap_add */
	} t[];
};

struct dp_port {
	uint32_t vport;
	bool is_rep;
	uint32_t domain;
	uint16_t mtu;                   /* 0: no limit */
	struct dp_port *peer;           /* rep <-> vport */
	struct pp_region *region;       /* this port's domain's region */
	dp_xmit_fn xmit;
	void *xmit_ctx;
	struct dp_ring *_Atomic sink;
	struct dp_ring *_Atomic cap;
	struct dp_spsc *_Atomic in;     /* host-side input (inject) */
	bool be_single;                 /* a single-queue backend in q[owner] */
	unsigned owner;                 /* the worker that polls the input */
	struct dp_queue *q;             /* [nworkers] */
	struct dp_fn *_Atomic fn;       /* SF vports: RX steering; NULL: all to q */
	struct dp_qstats *fnst;         /* [worker * DP_FN_QUEUES + queue] */
	/* Taps of what the function receives: [0] the netdev, [1] memif. */
	struct dp_taps *_Atomic rx_taps[2];
	_Atomic bool stalled;           /* injected fault: its inputs are not polled */
	_Atomic uint8_t *starve;        /* injected fault: every buffer of region held */
	int starve_slot;                /* its pp_region_tap_add slot */
	/* devlink rate: the leaf that shapes what the function transmits
	 * (its netdev queues and function queues), NULL when unlimited. */
	struct sched_obj *_Atomic sched;
	/* A tunnel port's settings (dp_tun.c), NULL for every other port. */
	struct dp_tun_port *_Atomic tun;
};

/* One queue of an SF function's receive side beyond the netdev. */
struct dp_fn_queue {
	const struct dp_backend *be;
	void *ctx;
};

/* An SF function's steering and queues (dp_fn.c): immutable once
 * published, replaced whole under RCU. */
struct dp_fn {
	uint32_t dflt;                  /* queue for frames no rule claims */
	unsigned nrules;
	struct dp_fn_queue q[DP_FN_QUEUES];     /* [0] unused: the netdev */
	struct steer_rule rules[];      /* first match wins */
};

/* An SF's vport and its representor, allocated together. */
struct dp_vport {
	struct dp_port port, rep;
};

#define container_of_vport(p) \
	((struct dp_vport *)((char *)(p) - offsetof(struct dp_vport, port)))

struct dp_poll_list {
	unsigned n;
	struct dp_port *p[];
};

struct dp_worker {
	struct dp *dp;
	unsigned id;
	uint32_t ppid;
	pthread_t thread;
	int efd;
	int epfd;                       /* efd and the fds of its ports: its sleep */
	_Atomic unsigned nfds;          /* backends with an fd in epfd */
	_Atomic int sleeping;
	struct esw_emc *emc;
	struct dp_poll_list *_Atomic polls;
	uint64_t now_ms;
	bool armed;                     /* a backend asked its peer to signal */
	unsigned busy_passes;           /* passes in a row with a burst or more */
	/* Health (dp_fault.c): passes made, written by the worker alone, read
	 * by the control thread's tick; an injected hang stops them. */
	_Atomic uint64_t heartbeat;
	_Atomic bool hang;
	uint64_t sched_now_ns;          /* this pass's clock for the shaper, 0: not read */
	uint64_t sched_wake_ns;         /* a shaped function may go on then, 0: none waits */
};

struct dp {
	struct dp_config cfg;
	unsigned nw;
	struct dp_worker w[DP_MAX_WORKERS];
	_Atomic bool stop;
	bool started;
	_Atomic bool switchdev;
	struct dp_port *_Atomic *_Atomic chunks[DP_VPORT_CHUNKS];
	struct dp_vport uplink, pf;
	struct pp_region *host;
	struct pp_region *uplink_region;        /* p0's own with gso or uplink_own_region, else NULL */
	struct esw_cls *cls;
	struct esw_fdb *fdb;
	struct ct_table *ct;             /* connection tracking (src/ct) */
	void *sf_regions;               /* free list of SF regions to reuse */
	struct dp_sched_map *sched_map; /* control thread: vport -> rate leaf */
	struct dp_tun *tun;             /* tunnel ports (dp_tun.c), NULL until the first */
};

/* dp_ct.c */
/* Runs a ct action on a frame in the eswitch, updating its metadata. */
void dp_ct_exec(struct dp_worker *w, struct dp_pkt *pkt, const struct esw_act_ct *a);

/* dp_port.c */
struct dp_port *dp_vport_lookup(struct dp *dp, uint32_t vport);
struct dp_port *dp_port_get(struct dp *dp, uint32_t vport, bool rep);
int dp_port_ensure_pools(struct dp *dp, struct dp_port *p);
void dp_rebuild_polls(struct dp *dp);
void dp_port_init(struct dp *dp, struct dp_port *p, uint32_t vport, bool rep, uint32_t domain,
		  struct pp_region *region);
void dp_port_fini(struct dp_port *p, unsigned nw);

/* Adds a vport and its representor, in the host's trust domain when host
 * (a tunnel port), else in a domain of its own (an SF). */
int dp_port_add_in(struct dp *dp, uint32_t vport, bool host);
int dp_port_add_host(struct dp *dp, uint32_t vport);

/* dp_tun.c */
struct tun_info;
/* Frees a port's tunnel settings; frees the tables (dp_destroy). */
void dp_tun_port_free(struct dp_port *p);
void dp_tun_fini(struct dp *dp);
/* Allocates the tunnel state (dp_create).  0 or -ENOMEM. */
int dp_tun_init(struct dp *dp);
/* Puts outer headers in front of pkt (writable, with headroom) for tunnel
 * port tp from meta (NULL or without TUN_F_PRESENT: the port's own
 * header).  Returns DP_DROP_MAX, or why it could not. */
enum dp_drop dp_tun_encap(struct dp *dp, unsigned w, struct dp_port *tp, struct dp_pkt *pkt,
			  const struct tun_info *meta);
/* Decap at uplink ingress: 1 when pkt was a tunnel port's (outer headers
 * stripped, *tp and *out set), 0 when it is not (unchanged), -1 when it is
 * a broken frame for a tunnel port (drop it). */
int dp_tun_decap(struct dp *dp, struct dp_pkt *pkt, struct dp_port **tp, struct tun_info *out);
/* Whether any tunnel port exists (one load per uplink burst). */
bool dp_tun_active(struct dp *dp);

/* dp_fn.c */
/* Takes a deleted port's function queues out of its owner's epoll. */
void dp_fn_port_release(struct dp *dp, struct dp_port *p);
/* Frees the port's table and counters (no worker may see the port). */
void dp_fn_port_free(struct dp_port *p);

/* dp_sched.c: devlink rate in the workers (noinline: only shaped
 * functions pay for a call). */
struct sched_obj;
struct sched_grant;
/* The leaf dp_fn_set_rate gave vport (NULL: none), for a port being added. */
struct sched_obj *dp_sched_find(struct dp *dp, uint32_t vport);
/* Frees the vport map (dp_destroy). */
void dp_sched_fini(struct dp *dp);
/* Frames worker w may read now for leaf o (0: none; w->sched_wake_ns
 * then says when to look again). */
unsigned dp_sched_admit(struct dp_worker *w, struct sched_obj *o, struct sched_grant *g,
			unsigned max);
/* Charges the n frames read under g to o. */
void dp_sched_charge(struct sched_obj *o, const struct sched_grant *g, const struct dp_pkt *pkts,
		     unsigned n);
/* Sleeps until w->sched_wake_ns (at most a few ms), quiescent for RCU. */
void dp_sched_sleep(struct dp_worker *w);

/* dp_tap.c: frees a port's tap lists (no worker may see the port). */
void dp_tap_port_free(struct dp_port *p, unsigned nw);
/* Ends a port's injected faults before it goes (dp_fault.c). */
void dp_fault_port_free(struct dp_port *p);

/* dp_ring.c */
int dp_spsc_init(struct dp_spsc *s, uint32_t slots);
void dp_spsc_fini(struct dp_spsc *s);
/* Copies a frame into the ring (producer); false when full. */
bool dp_spsc_push(struct dp_spsc *s, const uint8_t *data, uint32_t len, uint8_t dir,
		  uint64_t ts_ns);
void dp_ring_push(struct dp_ring *r, unsigned worker, const uint8_t *data, uint32_t len,
		  uint8_t dir, uint64_t ts_ns);
void dp_ring_kick(struct dp_ring *r);

/* dp_gso.c */
/* Fills in a checksum the frame still needs (DP_OL_NEEDS_CSUM). */
void dp_csum_fill(struct dp_pkt *p);
/* Cuts a GSO TCP frame into complete segments in buffers of its own pool.
 * Returns the number written to segs (at most max), 0 when it cannot
 * (not TCP, a malformed header, no buffers: the caller drops it). */
/* dp_act.c: pedit's keys applied to a frame (writable); false when a key
 * fell outside the frame (the kernel's "bad": an overlimit, later keys not
 * applied). */
bool dp_act_pedit(struct dp_pkt *pkt, const struct esw_rule_spec *s,
		  const struct esw_act_pedit *p);
/* csum: the IPv4 header checksum and the TCP/UDP/ICMP(v6) checksums flags
 * name, recomputed; a checksum left to offload (DP_OL_NEEDS_CSUM at the
 * transport header) gets the pseudo-header sum instead. */
void dp_act_csum(struct dp_pkt *pkt, uint32_t flags);

unsigned dp_gso_segment(const struct dp_pkt *p, struct dp_pkt *segs, unsigned max);

/* dp_fault.c: an injected hang holds the worker here (offline for RCU,
 * so the control thread is not blocked) until it is cleared or dp stops. */
void dp_fault_hang_wait(struct dp_worker *w);

/* dp_worker.c */
unsigned dp_worker_pass(struct dp_worker *w);
void *dp_worker_main(void *arg);
void dp_worker_wake(struct dp_worker *w);

#endif
