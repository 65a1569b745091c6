/*
 * dp.h - the datapath: ports, workers, switching.
 *
 * Every vport (uplink 0xffff, PF 0, each active SF) is a port, and in
 * switchdev mode so is its representor.  A port's input (frames injected by
 * the host side: replay, a pcap uplink, later a TAP or AF_XDP queue) is
 * polled by one worker; what the eswitch sends out through a port goes to
 * the port's consumer (an in-process callback or a host ring drained by the
 * control thread), or is dropped and counted when it has none.
 *
 * Workers are poll-mode and run to completion: take up to DP_BURST frames,
 * classify (legacy: MAC learning; switchdev: flower rules, misses to the
 * representor), act, deliver in per-destination batches.  A worker that
 * finds nothing to do for a while sleeps on its eventfd.  Configuration
 * (ports, mode, rules) is published with RCU (urcu-qsbr): the packet path
 * takes no lock; the control thread waits for a grace period before freeing.
 *
 * Memory: every port has one page pool per worker queue, in the port's trust
 * domain (the host's for uplink, PF and representors; its own for each SF).
 * A frame that moves between ports of one domain moves by reference; one
 * that crosses domains is copied once into a buffer of the destination's
 * pool.  Frame metadata (struct dp_pkt) lives in the worker, never in the
 * buffer.
 *
 * All dp_* calls except the datapath callbacks are for the control thread,
 * which must have called dp_create() (it registers the thread with RCU).
 */
#ifndef SFNIC_DP_H
#define SFNIC_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "../esw/esw.h"
#include "../pp/pp.h"

#define DP_BURST 64
#define DP_MAX_WORKERS 16
#define DP_VPORT_UPLINK 0xffffu
#define DP_VPORT_PF 0u
#define DP_HOST_DOMAIN 0u

/* Offloads a frame still needs, as a TAP with vnet headers hands them
 * over (struct virtio_net_hdr's fields, host order).  All zero: a complete
 * frame.  Destinations that cannot take them (anything but such a TAP) get
 * the checksum filled in and GSO frames cut into segments on the way. */
struct dp_offload {
	uint8_t flags;          /* DP_OL_NEEDS_CSUM */
	uint8_t gso_type;       /* DP_GSO_* */
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

/* The Internet checksum's one's complement sum of n bytes added to sum,
 * in the machine's byte order (RFC 1071: the order only has to be the same
 * for every part), not folded.  dp_csum_fold() folds it to 16 bits (not
 * complemented); stored with memcpy it reads right on the wire. */
uint64_t dp_csum_add(const void *d, size_t n, uint64_t sum);
uint16_t dp_csum_fold(uint64_t sum);

#define DP_OL_NEEDS_CSUM 1      /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
#define DP_GSO_NONE 0
#define DP_GSO_TCPV4 1
#define DP_GSO_TCPV6 4
#define DP_GSO_ECN 0x80

/* What a frame carries through the eswitch besides its bytes: connection
 * tracking's verdict (written by the ct action) and the tunnel it arrived
 * by (written by decap).  Every key extraction copies it into the key (the
 * ct_* and enc_* fields, same meaning and byte order), so a rule in a later
 * chain matches on it.  All zero for a frame fresh from a port; copies of a
 * frame (mirror, make_writable) carry it along. */
struct dp_pkt_meta {
	uint32_t ct_mark;
	uint16_t ct_zone;
	uint8_t ct_state;       /* ESW_CT_*; 0: not tracked */
	uint8_t enc_tos, enc_ttl;
	uint8_t enc_flags;      /* TUN_F_CSUM/DF of tunnel_key set or the outer
				 * header (src/tun/tun.h); not a key field */
	uint16_t enc_dst_port;
	uint32_t enc_key_id;
	uint32_t enc_src_ip, enc_dst_ip;        /* network order; 0: no tunnel */
};

/* Whether a frame carries any metadata (ct or tunnel) at all: most do not,
 * and a freshly extracted key already holds zeros for it. */
static inline bool dp_pkt_meta_any(const struct dp_pkt_meta *m)
{
	uint64_t w[3];

	_Static_assert(sizeof(*m) == sizeof(w), "the metadata is three words");
	__builtin_memcpy(w, m, sizeof(w));
	return (w[0] | w[1] | w[2]) != 0;
}

/* Fills a key's metadata fields from a frame's metadata. */
static inline void dp_pkt_meta_to_key(const struct dp_pkt_meta *m, struct esw_key *k)
{
	k->ct_state = m->ct_state;
	k->ct_zone = m->ct_zone;
	k->ct_mark = m->ct_mark;
	k->enc_key_id = m->enc_key_id;
	k->enc_src_ip = m->enc_src_ip;
	k->enc_dst_ip = m->enc_dst_ip;
	k->enc_dst_port = m->enc_dst_port;
	k->enc_tos = m->enc_tos;
	k->enc_ttl = m->enc_ttl;
}

/* One frame in flight: where its buffer is and what it holds. */
struct dp_pkt {
	struct pp_pool *pool;   /* the buffer goes home here */
	uint32_t buf;
	uint16_t off, len;
	struct dp_offload ol;
	uint8_t shared;         /* a read-only tap holds the buffer too: never
				 * written in place, never handed on by
				 * reference to a consumer that frees without
				 * dp_pkt_free() */
	struct dp_pkt_meta meta;
};

static inline uint8_t *dp_pkt_data(const struct dp_pkt *p)
{
	return (uint8_t *)pp_buf_addr(p->pool, p->buf) + p->off;
}

/* Returns a frame's buffer to its pool. */
static inline void dp_pkt_free(struct dp_pkt *p)
{
	pp_put(p->pool, p->buf);        /* a tap's hold keeps it from reuse (pp.h) */
}

enum dp_drop {
	DP_DROP_NO_CONSUMER,    /* nothing consumes the destination port */
	DP_DROP_RULE,           /* a rule's drop action */
	DP_DROP_NO_PORT,        /* the destination vport does not exist (now) */
	DP_DROP_NO_BUFFER,      /* the pool is empty or at its cap */
	DP_DROP_RING_FULL,      /* the consumer's ring is full */
	DP_DROP_RUNT,           /* shorter than an Ethernet header */
	DP_DROP_LOOP,           /* goto chain too deep, or hairpin in legacy */
	DP_DROP_VLAN,           /* vlan pop of an untagged frame, no headroom */
	DP_DROP_MTU,            /* longer than the destination's MTU */
	DP_DROP_NO_TUNNEL,      /* sent to a tunnel port without tunnel_key set */
	DP_DROP_NO_ROUTE,       /* tunnel destination without a route via the uplink */
	DP_DROP_NO_NEIGH,       /* tunnel next hop not resolved (yet) */
	DP_DROP_BAD_TUNNEL,     /* a broken VXLAN frame for a tunnel port */
	DP_DROP_MAX
};

/* Names of enum dp_drop, as shown by `sfnic -s port show`. */
extern const char *const dp_drop_names[DP_DROP_MAX];

struct dp_qstats {
	uint64_t rx_packets, rx_bytes;  /* entered the eswitch from the port */
	uint64_t tx_packets, tx_bytes;  /* left the eswitch through the port */
	uint64_t drops[DP_DROP_MAX];
} __attribute__((aligned(64)));

/* A consumer that takes frames in the worker: it owns them afterwards and
 * frees each with dp_pkt_free() when done (from any thread). */
typedef void (*dp_xmit_fn)(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n);

/* Frame copies handed to the control thread (capture, pcap uplink). */
struct dp_frame {
	uint64_t ts_ns;         /* CLOCK_REALTIME */
	uint16_t len;           /* bytes in data */
	uint16_t orig_len;
	uint8_t dir;            /* 0: entered the eswitch, 1: left it */
	uint8_t rsvd[3];
	uint8_t data[PP_BUF_SIZE];
};

struct dp;
struct dp_ring;

struct dp_config {
	unsigned workers;       /* 1..DP_MAX_WORKERS */
	uint32_t fdb_aging_ms;  /* legacy mode; 300 s when 0 */
	uint32_t ct_max;        /* connections tracked at most; CT_DEFAULT_MAX when 0 */
	uint32_t host_buffers;  /* host domain region; 16384 when 0 */
	uint32_t sf_buffers;    /* each SF's region; 2048 when 0 (512 with gso) */
	bool gso;               /* GSO-sized buffers (PP_BUF_SIZE_GSO) for every
				 * port but p0, whose region stays PP_BUF_SIZE
				 * (an AF_XDP UMEM); for TAP netdevs */
	bool uplink_own_region; /* p0 gets a PP_BUF_SIZE region of its own even
				 * without gso: a memif uplink maps it into the
				 * peer, which must see no other port's memory */
};

/* Creates the datapath with the uplink and PF ports, in legacy mode, and
 * registers the calling (control) thread with RCU.  Workers are not started.
 * Returns NULL with a reason in err. */
struct dp *dp_create(const struct dp_config *cfg, char *err, size_t errlen);

/* Starts the workers.  Returns 0 or -errno. */
int dp_start(struct dp *dp);

/* Stops the workers and frees everything. */
void dp_destroy(struct dp *dp);

/* Runs one pass of worker w's loop in the calling thread (tests and fuzzers
 * drive the datapath without threads).  Returns the frames processed. */
unsigned dp_poll_once(struct dp *dp, unsigned w);

/* Adds the port of an SF's vport, a trust domain of its own, and its
 * representor.  Returns 0, -EEXIST or -ENOMEM. */
int dp_port_add(struct dp *dp, uint32_t vport);

/* Removes an SF's port and representor; their pools are destroyed once the
 * frames in flight come back. */
void dp_port_del(struct dp *dp, uint32_t vport);

/* Whether the port exists. */
bool dp_port_exists(struct dp *dp, uint32_t vport);

/* legacy (false) or switchdev (true).  Flushes the FDB. */
void dp_set_switchdev(struct dp *dp, bool switchdev);

/* Sets a port's in-process consumer (NULL: none).  rep selects the
 * representor. */
int dp_port_set_xmit(struct dp *dp, uint32_t vport, bool rep, dp_xmit_fn fn, void *ctx);

/*
 * A backend is a port's host side that moves frames in bursts: a TAP, an
 * AF_XDP or AF_PACKET socket.  The port's owning worker calls rx_burst; any
 * worker may call tx_burst (a backend serialises it if it must).  Both run
 * on the packet path: no allocation, no locks a worker can wait on.
 */
struct dp_backend {
	/* Receives up to max frames into buffers of pool (the worker's queue
	 * pool of the port): pp_alloc, fill, set pkts[i].  Returns the count. */
	unsigned (*rx_burst)(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max);
	/* Transmits n frames and frees (or keeps, then frees) each.  Returns how
	 * many of the first frames went out (a prefix of the burst); the
	 * datapath counts the rest as drops for *why, which is
	 * DP_DROP_RING_FULL unless the backend says otherwise (a netdev that
	 * is down: DP_DROP_NO_CONSUMER).  The backend frees them all. */
	unsigned (*tx_burst)(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n,
			     enum dp_drop *why);
	/* Readable when rx_burst has frames; the owner sleeps in epoll on it. */
	int fd;
	/* tx_burst takes frames with offloads pending (struct dp_offload). */
	bool offloads;
	/* rx_burst is called on every pass, not only when fd is readable: it
	 * has work of its own (an AF_XDP fill ring to keep stocked) and costs
	 * no syscall when idle. */
	bool poll_always;
	/* tx_burst copies the frames out (a syscall write): frames from any
	 * trust domain may be handed over without the domain-crossing copy. */
	bool tx_copies;
	/* Optional.  The receiving worker calls arm(ctx, true) before it
	 * sleeps and arm(ctx, false) when it wakes: a peer that is polled
	 * while the worker runs is asked to signal fd while it sleeps (memif's
	 * interrupt mask, AF_XDP's need_wakeup). */
	void (*arm)(void *ctx, bool armed);
};

/* Makes be (with its ctx) the port's host side, a single queue: the port's
 * owning worker receives from it, every worker transmits into it.  NULL
 * detaches.  be and ctx must stay valid until detached or the port is
 * deleted.  Returns 0, -ENODEV, -EBUSY (a backend is attached) or -errno. */
int dp_port_set_backend(struct dp *dp, uint32_t vport, bool rep, const struct dp_backend *be,
			void *ctx);

/* Makes be the host side of queue q only (a multiqueue TAP's queue q):
 * worker q receives from it and transmits into it.  NULL detaches.  Cannot
 * be mixed with dp_port_set_backend on one port (-EBUSY). */
int dp_port_set_queue_backend(struct dp *dp, uint32_t vport, bool rep, unsigned q,
			      const struct dp_backend *be, void *ctx);

/*
 * An SF function's receive side (seed 004's "HW filter into a dedicated RX
 * queue", ethtool ntuple): frames the eswitch delivers to an SF's vport are
 * steered to one of the function's queues.  Queue 0 is the netdev (the
 * port's backend or consumer as set above), queue 1 the memif interface,
 * queues 2.. applications' own queues.  The first steering rule that
 * matches decides; a frame no rule claims goes to the default queue.  A
 * frame steered to a queue without a backend, or to DP_FN_DROP, is dropped
 * and counted.  A port without a table delivers everything to queue 0.
 */
#define DP_FN_QUEUE_NETDEV 0u
#define DP_FN_QUEUE_MEMIF 1u
#define DP_FN_QUEUES 16u        /* queues of one function's receive side */
#define DP_FN_DROP UINT32_MAX   /* the default "queue" when there is none */

struct steer_rule;

/* Installs an SF vport's steering: n rules (copied; first match wins) and
 * the queue for frames no rule claims (a queue or DP_FN_DROP).  Workers
 * see the new table atomically.  Returns 0, -ENODEV or -ENOMEM. */
int dp_fn_set_steering(struct dp *dp, uint32_t vport, const struct steer_rule *rules,
		       unsigned n, uint32_t dflt);

/* Makes be (with ctx) function queue q (1 .. DP_FN_QUEUES-1) of an SF
 * vport: the port's owner worker receives from be (frames enter the
 * eswitch as frames the SF sent) and every worker transmits what steering
 * gives queue q into it.  Unlike a port backend's, its tx_burst may send
 * any subset of a burst: it returns how many it sent and leaves those
 * first in pkts (their len is read afterwards, their buffers freed).  NULL detaches (after it returns no worker uses
 * the old backend).  Returns 0, -ENODEV, -EINVAL or -EBUSY. */
int dp_fn_set_queue(struct dp *dp, uint32_t vport, unsigned q, const struct dp_backend *be,
		    void *ctx);

/*
 * devlink rate: o (a leaf of src/sched's tree) shapes everything vport's
 * function transmits - its netdev's queues and its function queues - by
 * reading them only as fast as o's budget allows (frames wait in the
 * function's own queue; none are dropped).  NULL: unlimited, at the cost
 * of one NULL test per read.  The setting belongs to the vport number and
 * holds for a port added later under it.  Workers may use the previous
 * object until dp_sched_sync() returns; the caller frees it afterwards.
 * Returns 0 or -ENOMEM.
 */
struct sched_obj;
int dp_fn_set_rate(struct dp *dp, uint32_t vport, struct sched_obj *o);
/* Waits for a grace period: no worker uses objects replaced before. */
void dp_sched_sync(struct dp *dp);

/* Counters of function queue q of an SF vport, summed over workers:
 * frames the queue's backend sent into the eswitch (rx_*), frames steered
 * to it and taken (tx_*) or dropped (drops).  Returns 0 or -ENODEV. */
int dp_fn_queue_stats(struct dp *dp, uint32_t vport, unsigned q, struct dp_qstats *st);

/* The region the port's pools draw from (its trust domain's memory),
 * creating the pools if needed; NULL when out of memory or no such port. */
struct pp_region *dp_port_region(struct dp *dp, uint32_t vport, bool rep);

/* Whether the datapath was created with GSO-sized buffers. */
bool dp_gso(const struct dp *dp);

/* Sets the port's MTU: longer frames leaving through it are dropped. */
int dp_port_set_mtu(struct dp *dp, uint32_t vport, uint16_t mtu);

/*
 * Read-only taps (zero-copy single and shared mode) see, in place, every
 * frame an RX queue of a port receives, while the frame goes on:
 *   - the uplink's RX queue q is what worker q takes from the wire, before
 *     the eswitch acts on it;
 *   - an SF's RX queue q is its function queue q (DP_FN_QUEUE_NETDEV or
 *     DP_FN_QUEUE_MEMIF), the PF's is queue 0: what the eswitch delivers to
 *     the function, after the copy into the function's own region that a
 *     domain crossing makes anyway.
 * deliver() gets each burst with the tapped region: frames of other
 * regions are not the tap's to see.  A tap that keeps a frame sets its flag
 * in the held[] it registered with dp_port_add_tap (the region's pools hand
 * out no buffer whose flag is set, pp.h) and sets pkt->shared, so the
 * packet path changes the frame only in a copy; it clears the flag when its
 * application lets go, from any thread.  The uplink's taps are called by
 * worker q only: deliver() with each burst before the eswitch, poll() on
 * every pass (to take returns); a function's taps by any worker that
 * delivers to it, with each batch just before it goes to the function's
 * consumer (deliver() must serialise itself; poll() is not called).
 */
struct dp_tap_ops {
	void (*deliver)(void *ctx, const struct pp_region *region, struct dp_pkt *pkts,
			unsigned n);
	void (*poll)(void *ctx);
};

/* Adds a tap on RX queue q of a port (the uplink: 0 .. dp_nqueues()-1; an
 * SF: 0 or 1; the PF: 0) whose holding flags are held[] (one byte per
 * buffer of the port's region, all 0 now).  Returns 0, -ENODEV, -EINVAL,
 * -ENOMEM, -ENOSPC (the region has PP_MAX_TAPS taps). */
int dp_port_add_tap(struct dp *dp, uint32_t vport, bool rep, unsigned q,
		    const struct dp_tap_ops *ops, void *ctx, const _Atomic uint8_t *held);

/* Removes the tap with ctx; after it returns no worker calls into ctx or
 * reads its held[] (the caller then clears or frees it).  Port deletion removes taps
 * too: a removed port's taps are never called again. */
void dp_port_del_tap(struct dp *dp, uint32_t vport, bool rep, unsigned q, void *ctx);

/* ---- tunnel ports (dp_tun.c; src/tun/tun.h has the model) ----
 * A tunnel port is a vport in the host's trust domain with a representor:
 * frames redirected to it are encapsulated and sent out of the uplink;
 * frames the uplink receives for its UDP port are decapsulated and
 * classified as received on it. */
struct tun_info;
struct tun_nh;

/* Adds tunnel port vport for UDP port dstport: external (metadata mode:
 * headers from each frame's tunnel_key set) or with the fixed header dflt
 * (id, src_ip, dst_ip, tos, ttl, flags); outer source ports in [port_min,
 * port_max).  Returns 0, -EEXIST, -EADDRINUSE (the UDP port is an external
 * port's, or the VNI is taken on it), -ENOSPC or -ENOMEM. */
int dp_tun_port_add(struct dp *dp, uint32_t vport, uint16_t dstport, bool external,
		    const struct tun_info *dflt, uint16_t port_min, uint16_t port_max);
/* Removes a tunnel port (after it returns no worker decapsulates into it). */
void dp_tun_port_del(struct dp *dp, uint32_t vport);
/* The addresses decap accepts as destination (n 0: any). */
int dp_tun_set_local(struct dp *dp, const uint32_t *addrs, unsigned n);
/* Replaces the next-hop cache with n entries (unchanged: no grace period). */
int dp_tun_set_nh(struct dp *dp, const struct tun_nh *nh, unsigned n);
/* Destinations the workers missed since the last call (at most max). */
unsigned dp_tun_misses(struct dp *dp, uint32_t *dst, unsigned max);
/* A port's counters summed over its queues.  0 or -ENODEV. */
int dp_tun_port_stats(struct dp *dp, uint32_t vport, bool rep, struct dp_qstats *sum);

/* ---- host rings: frame copies for the control thread ---- */

/* A ring of frame copies from the workers to the control thread. */
struct dp_ring *dp_ring_create(unsigned workers, uint32_t slots);
void dp_ring_destroy(struct dp_ring *r);
/* Pops up to max frames (control thread); fn is called for each.  Returns
 * the number popped. */
unsigned dp_ring_drain(struct dp_ring *r, unsigned max,
		       void (*fn)(const struct dp_frame *f, void *arg), void *arg);
/* Frames the ring could not take because it was full. */
uint64_t dp_ring_dropped(const struct dp_ring *r);
/* An eventfd that becomes readable when frames wait (for epoll). */
int dp_ring_fd(const struct dp_ring *r);
/* Clears the ring's eventfd after a drain. */
void dp_ring_ack(struct dp_ring *r);

/* Makes r the port's consumer: frames leaving through it are copied to r
 * (the pcap uplink's transmit side).  NULL removes it.  The caller keeps r
 * and may free it only after this returned with NULL. */
int dp_port_set_sink(struct dp *dp, uint32_t vport, bool rep, struct dp_ring *r);

/* Starts a capture of both directions of a port into r; NULL stops it.
 * While no capture runs the packet path tests one pointer per burst. */
int dp_port_set_capture(struct dp *dp, uint32_t vport, bool rep, struct dp_ring *r);

/* Injects frames as if the port had received them (from its host side).
 * Returns how many were taken (fewer when the input ring is full), or
 * -ENODEV.  Frames longer than the buffer space are truncated to it. */
int dp_inject(struct dp *dp, uint32_t vport, bool rep, const uint8_t *const *frames,
	      const uint16_t *lens, unsigned n);

/* Free input slots of a port (for pacing). */
unsigned dp_inject_room(struct dp *dp, uint32_t vport, bool rep);

/* ---- rules ---- */

/* Adds, removes and finds rules (see esw.h).  Return 0 or -errno. */
int dp_rule_add(struct dp *dp, const struct esw_rule_spec *s);
/* Swaps the rule of s's identity for s (esw_cls_replace's returns). */
int dp_rule_replace(struct dp *dp, const struct esw_rule_spec *s);
int dp_rule_del(struct dp *dp, uint32_t dev, uint32_t chain, uint32_t prio, uint32_t handle);
const struct esw_rule *dp_rule_find(struct dp *dp, uint32_t dev, uint32_t chain, uint32_t prio,
				    uint32_t handle);
void dp_rule_foreach(struct dp *dp, void (*fn)(const struct esw_rule *r, void *arg), void *arg);

/* ---- stats ---- */

/* Number of worker queues per port. */
unsigned dp_nqueues(const struct dp *dp);

/* One queue's counters and, when the queue has a pool, its stats
 * (*has_pool).  Returns 0 or -ENODEV. */
int dp_queue_stats(struct dp *dp, uint32_t vport, bool rep, unsigned q,
		   struct dp_qstats *st, struct pp_stats *pool, bool *has_pool);

/* Sum of buffers in flight in all pools and of pending pool destroys. */
uint32_t dp_inflight(struct dp *dp);

/* Control-thread housekeeping, once a second: FDB aging, pool reaping. */
void dp_tick(struct dp *dp);

/* The FDB (legacy mode), for show commands. */
struct esw_fdb *dp_fdb(struct dp *dp);

/* The connection table of the ct action (src/ct); the control thread may
 * show, flush and resize it. */
struct ct_table;
struct ct_table *dp_ct(struct dp *dp);

/* EMC hits/misses summed over workers. */
void dp_emc_stats(struct dp *dp, uint64_t *hits, uint64_t *misses);

/* ---- health: fault injection and what the control thread's tick reads ----
 * (dp_fault.c).  The device's SET_FAULT drives the first three; the devlink
 * layer's health reporters read the rest once a tick. */

/* Stops (on) or resumes the polling of a port's inputs (inject ring,
 * backend, function queues): frames wait where they are.  0 or -ENODEV. */
int dp_fault_stall_input(struct dp *dp, uint32_t vport, bool rep, bool on);
/* Holds worker w (on) without passes until released.  0 or -EINVAL. */
int dp_fault_hang_worker(struct dp *dp, unsigned w, bool on);
/* Injected fault (issue 12): every buffer of vport's region counts as held
 * by a read-only tap, so the port's pools park what they take and cannot
 * refill; off gives them back.  Control thread.  Returns 0, -ENODEV (no
 * such port), -ENOMEM, or -ENOSPC (the region has PP_MAX_TAPS taps). */
int dp_fault_starve_pools(struct dp *dp, uint32_t vport, bool on);
/* Releases every stall and hang. */
void dp_fault_clear(struct dp *dp);

struct dp_worker_health {
	uint64_t heartbeat;     /* passes made so far */
	bool sleeping;          /* idle in epoll: no progress is expected */
	bool hang;              /* an injected hang holds it */
};
/* Worker w's progress.  0 or -EINVAL. */
int dp_worker_health(struct dp *dp, unsigned w, struct dp_worker_health *out);
/* Whether a worker made progress since a look that saw heartbeat last: its
 * heartbeat moved, or it sleeps with nothing to do.  The one test of a stuck
 * worker, shared by health's fw_fatal and the service watchdog (src/svc). */
static inline bool dp_worker_progressed(const struct dp_worker_health *wh, uint64_t last)
{
	return wh->heartbeat != last || wh->sleeping;
}

struct dp_input_health {
	uint32_t pending;       /* frames waiting in the inject ring */
	uint32_t consumed;      /* the ring's consumer index (moves when polled) */
	bool stalled;           /* an injected stall */
	unsigned owner;         /* the worker that polls it */
	/* The port's backend queues with an fd (a TAP netdev's queues, one
	 * per worker when multiqueue): how many there are, and how many are
	 * readable now, i.e. frames the host transmitted wait in the kernel's
	 * queue for a worker to read them. */
	unsigned host_queues, host_waiting;
	uint64_t taken;         /* frames the port's inputs gave the datapath */
	uint64_t deferred;      /* reads its devlink rate leaf refused (0: unshaped) */
};
/* A port's host-side input as the tick sees it (control thread: it polls
 * the backends' fds).  0 or -ENODEV. */
int dp_input_health(struct dp *dp, uint32_t vport, bool rep, struct dp_input_health *out);

#endif
