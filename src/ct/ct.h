/*
 * ct.h - connection tracking for the eswitch's `ct` action (tc act_ct over
 * the kernel's nf_conntrack, as an mlx5 eswitch offloads it).
 *
 * Model.  A connection is one entry with two tuples, the original (as its
 * first packet travelled) and the reply (the original inverted), each
 * (zone, family, addresses, protocol, ports) where ICMP echo and the other
 * ICMP queries use the identifier and the query type instead of ports
 * (request and reply types pair up as in the kernel) and protocols other than
 * TCP, UDP and ICMP use the addresses alone.  Both tuples are in one hash
 * table, so a packet of either direction finds its entry with one lookup and
 * learns its direction from the tuple it hit.  A packet gets the kernel's
 * ct_state bits (CT_STATE_*): trk always; new until the connection has seen a
 * reply; est for a reply and for anything after one; rpl in the reply
 * direction; rel for ICMP errors whose embedded header belongs to a tracked
 * connection; inv for what the state machine refuses, fragments after the
 * first, truncated headers and new connections past the table's maximum.
 *
 * Commit.  Only `ct commit` creates an entry (as the kernel confirms a
 * conntrack at commit): an uncommitted look-up of an unknown flow gives
 * +trk+new and leaves nothing behind.  A packet that was already tracked in
 * the same zone earlier in its walk through the chains is not run through
 * the state machine twice (the kernel's cached skb->_nfct): a later commit
 * creates the entry from that packet, or sets the mark of the existing one.
 *
 * TCP follows nf_conntrack_proto_tcp's state table (SYN_SENT, SYN_RECV,
 * ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE, SYN_SENT2)
 * and its default timeouts.  Sequence numbers and windows are not tracked
 * (the kernel's nf_conntrack_tcp_be_liberal=1 behaviour).  Mid-stream pickup
 * is on, as the kernel's default nf_conntrack_tcp_loose=1: a bare ACK of an
 * unknown connection is +trk+new and its commit creates an ESTABLISHED
 * entry.  This is what lets TCP connections survive a daemon restart (the
 * table is not durable); a policy that admits only +est from one side still
 * drops such an ACK from that side, because it is +new.  A SYN in TIME_WAIT
 * or CLOSE from the original side reopens: the old entry is removed and the
 * SYN is +new.  A RST moves any state to CLOSE (10 s).
 *
 * Timeouts (kernel defaults): TCP SYN_SENT 120 s, SYN_RECV 60 s, ESTABLISHED
 * 5 days, FIN_WAIT 120 s, CLOSE_WAIT 60 s, LAST_ACK 30 s, TIME_WAIT 120 s,
 * CLOSE 10 s; UDP 30 s unreplied, 120 s once it has seen a reply and lived
 * 2 s (a "stream"), 30 s before that; ICMP and ICMPv6 30 s; other protocols
 * 600 s.
 *
 * Concurrency.  Datapath workers look up and create entries without locks,
 * inside a liburcu QSBR read-side section: the table is a cds_lfht, the
 * entry's mutable state (TCP state, status, mark, expiry, counters) is
 * atomics, a new entry enters with cds_lfht_add_unique so two workers racing
 * on one connection agree on a single entry.  Only a new connection
 * allocates; an established one costs a parse, a hash and a look-up.  The
 * control thread expires entries (ct_age) and frees them after a grace
 * period (call_rcu).  Every time is a caller-given monotonic millisecond
 * count, so tests inject time.
 */
#ifndef SFNIC_CT_H
#define SFNIC_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ct_state bits, the kernel's TCA_FLOWER_KEY_CT_FLAGS_*. */
#define CT_STATE_NEW 0x01
#define CT_STATE_EST 0x02
#define CT_STATE_REL 0x04
#define CT_STATE_TRK 0x08
#define CT_STATE_INV 0x10
#define CT_STATE_RPL 0x20

/* ct_args.flags */
#define CT_COMMIT 0x01
#define CT_CLEAR 0x02

/* TCP states, the kernel's TCP_CONNTRACK_* order. */
enum ct_tcp_state {
	CT_TCP_NONE, CT_TCP_SYN_SENT, CT_TCP_SYN_RECV, CT_TCP_ESTABLISHED, CT_TCP_FIN_WAIT,
	CT_TCP_CLOSE_WAIT, CT_TCP_LAST_ACK, CT_TCP_TIME_WAIT, CT_TCP_CLOSE, CT_TCP_SYN_SENT2,
	CT_TCP_MAX
};

/* The default maximum number of connections (the kernel sizes its own from
 * memory; this is its value for a few GiB). */
#define CT_DEFAULT_MAX 262144

/* One `ct` action's parameters. */
struct ct_args {
	uint16_t zone;
	uint8_t flags;          /* CT_COMMIT, CT_CLEAR */
	uint32_t mark, mark_mask;       /* applied on commit; mask 0: no mark */
};

/* What a packet carries from one ct action to the key of the next chain.
 * Zero-initialised means untracked.  entry is only valid while the packet is
 * in the worker's current RCU read-side section; a caller that keeps only
 * state, zone and mark passes NULL and a cached commit looks it up again. */
struct ct_meta {
	uint8_t state;          /* CT_STATE_* */
	uint8_t dir;            /* 1: reply direction */
	uint16_t zone;
	uint32_t mark;
	void *entry;
};

/* A tuple as ct_foreach shows it: addresses in network order (IPv4 in the
 * first four bytes), ports (or ICMP id, type, code) in host order. */
struct ct_tuple {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;  /* ICMP queries: sport = id, dport = type << 8 | code */
	uint8_t proto;
	uint8_t family;         /* 4 or 6 */
	uint16_t zone;
};

/* One connection as ct_foreach shows it. */
struct ct_info {
	struct ct_tuple orig, reply;
	uint8_t tcp_state;      /* enum ct_tcp_state; NONE for other protocols */
	bool seen_reply;        /* the kernel's [UNREPLIED] when false */
	bool assured;           /* the kernel's [ASSURED] */
	uint32_t mark;
	uint64_t timeout_ms;    /* left before expiry */
	uint64_t packets[2], bytes[2];  /* original, reply */
};

/* Table-wide counters. */
struct ct_stats {
	uint64_t entries;       /* connections now */
	uint64_t max;
	uint64_t created;       /* commits that created an entry */
	uint64_t expired;       /* removed by ct_age */
	uint64_t deleted;       /* removed by ct_flush or by a reopening SYN */
	uint64_t invalid;       /* packets given +inv */
	uint64_t table_full;    /* commits refused at the maximum (also +inv) */
	uint64_t related;       /* ICMP errors found related */
	uint64_t searched;      /* packets looked up */
	uint64_t found;         /* packets that found their entry */
};

struct ct_table;

/* Creates an empty table for at most max connections (CT_DEFAULT_MAX when
 * 0) whose per-worker counters have room for nworkers datapath threads
 * (worker ids 0..nworkers-1; id nworkers is the control thread's, for
 * injected tests).  The caller must be registered with urcu-qsbr.  Returns
 * NULL on allocation failure. */
struct ct_table *ct_create(uint32_t max, unsigned nworkers);

/* Removes every entry and frees the table after a grace period (waits for
 * it).  No datapath thread may use the table any more; NULL is ignored. */
void ct_destroy(struct ct_table *t);

/* Runs a frame through a `ct` action (datapath; the caller is online in
 * urcu-qsbr).  m is the packet's metadata: read for the cached-in-this-zone
 * rule, then overwritten with the new ct_state, zone, mark.  With CT_CLEAR
 * the metadata is reset to untracked and nothing else happens.  Frames that
 * are not IPv4/IPv6 stay untracked (state 0).  now_ms is monotonic.  Returns
 * the new ct_state.  Allocates only when a commit creates a connection; a
 * failed allocation gives +inv. */
uint8_t ct_exec(struct ct_table *t, unsigned worker, const uint8_t *frame, uint32_t len,
		const struct ct_args *a, uint64_t now_ms, struct ct_meta *m);

/* Removes connections whose timeout has passed at now_ms (control thread;
 * the caller is registered with urcu-qsbr and offline, as the daemon's
 * control thread is).  Returns how many. */
unsigned ct_age(struct ct_table *t, uint64_t now_ms);

/* Removes every connection, or only those of zone when zone >= 0 (control
 * thread).  Returns how many. */
unsigned ct_flush(struct ct_table *t, int zone);

/* Calls fn for every connection (control thread), in the table's order.
 * Returns the number of calls. */
unsigned ct_foreach(struct ct_table *t, uint64_t now_ms,
		    void (*fn)(const struct ct_info *c, void *arg), void *arg);

/* Sums the counters (any thread; a snapshot, not atomic as a whole). */
void ct_stats(const struct ct_table *t, struct ct_stats *s);

/* Sets the maximum (control thread); existing connections above it stay
 * until they expire.  0 means CT_DEFAULT_MAX. */
void ct_set_max(struct ct_table *t, uint32_t max);

/* The TCP state's name as conntrack(8) prints it ("ESTABLISHED"), or "NONE". */
const char *ct_tcp_state_name(uint8_t s);

/* The timeout a connection of this protocol and TCP state gets on its next
 * packet, in ms, per the kernel's defaults (seen_reply and age pick UDP's
 * stream timeout). */
uint64_t ct_timeout_ms(uint8_t proto, uint8_t tcp_state, bool seen_reply, uint64_t age_ms);

#endif
