/*
 * esw.h - the eswitch's match engine: flow keys, flower-style rules in a
 * tuple space, a per-worker exact-match cache, and the legacy-mode MAC
 * learning table.
 *
 * Concurrency: one control thread changes rules and FDB aging; any number of
 * datapath threads look up, each registered with liburcu's QSBR flavour and
 * inside a read-side section (between quiescent states).  Lookups take no
 * lock and never wait for the control thread; a rule change is published
 * with rcu_assign_pointer and freed after a grace period, so a packet sees
 * either the old rule set or the new one, never a torn one.
 */
#ifndef SFNIC_ESW_H
#define SFNIC_ESW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a packet is matched on.  MACs and IP addresses in network order, the
 * rest in host order.  Unused bytes are zero so that keys compare with
 * memcmp, and the key is whole 64-bit words so that masking, hashing and
 * comparing go a word at a time (ESW_KEY_WORDS).
 *
 * The fields follow tc flower's keys.  A frame with two tags (QinQ) has the
 * outer one in vlan_* and the inner one in cvlan_*; vlan_ethtype is the
 * ethertype after the outer tag (0x8100 when a second tag follows),
 * cvlan_ethtype the one after the inner tag.  IPv4 addresses sit in the
 * first four bytes of src_ip6/dst_ip6 (src_ip/dst_ip); an ARP frame's sender
 * and target IPv4 addresses sit there too, as Open vSwitch keeps them, and
 * eth_type tells them apart.  ct_* and enc_* are not in the frame: the
 * datapath copies them from the packet's metadata (set by the ct action and
 * by tunnel decap) when it extracts the key. */
struct esw_key {
	uint32_t chain;
	uint32_t in_port;       /* devlink port index (vport) it entered from */
	uint8_t dst_mac[6], src_mac[6];
	uint16_t eth_type;      /* outer ethertype (0x8100/0x88a8 when tagged) */
	uint16_t vlan_tci;      /* vid | prio << 13 */
	uint16_t vlan_ethtype;  /* ethertype inside the outer tag */
	uint16_t cvlan_tci;     /* the inner tag of a QinQ frame */
	uint16_t cvlan_ethtype; /* ethertype inside the inner tag */
	uint8_t ip_proto;       /* IPv6: the header after the extension headers */
	uint8_t ip_tos;         /* IPv4 TOS / IPv6 traffic class */
	uint8_t ip_ttl;         /* IPv4 TTL / IPv6 hop limit */
	uint8_t ip_flags;       /* ESW_IPF_* */
	uint16_t tcp_flags;     /* the 12 bits after the data offset */
	uint16_t src_port, dst_port;
	uint8_t icmp_type, icmp_code;   /* ICMP and ICMPv6 */
	uint8_t ct_state;       /* ESW_CT_* (the kernel's bits) */
	uint8_t arp_op;         /* low byte of the ARP opcode, as flower keeps it */
	uint16_t ct_zone;
	uint16_t enc_dst_port;
	uint32_t ct_mark;
	uint32_t enc_key_id;    /* VNI */
	uint32_t enc_src_ip, enc_dst_ip;        /* outer IPv4, network order */
	uint8_t enc_tos, enc_ttl;
	uint8_t arp_sha[6];
	uint8_t arp_tha[6];
	uint8_t rsvd[2];
	union {
		uint32_t src_ip;        /* IPv4, ARP's sender IP */
		uint8_t src_ip6[16];
	};
	union {
		uint32_t dst_ip;        /* IPv4, ARP's target IP */
		uint8_t dst_ip6[16];
	};
};

#define ESW_KEY_WORDS (sizeof(struct esw_key) / sizeof(uint64_t))
_Static_assert(sizeof(struct esw_key) % sizeof(uint64_t) == 0, "a key is whole words");

/* ip_flags bits, tc flower's (TCA_FLOWER_KEY_FLAGS_*). */
#define ESW_IPF_FRAG 1          /* a fragment */
#define ESW_IPF_FIRSTFRAG 2     /* a fragment at offset 0 */

/* ct_state bits, the kernel's (TCA_FLOWER_KEY_CT_FLAGS_*). */
#define ESW_CT_NEW 1
#define ESW_CT_EST 2
#define ESW_CT_REL 4
#define ESW_CT_TRK 8
#define ESW_CT_INV 16
#define ESW_CT_RPL 32

/*
 * Actions, as tc has them.  Every action ends with a control verb (tc's
 * "action control"): the list goes on to the next action only while the
 * verb is ESW_CTL_PIPE; any other verb ends the list and is the rule's
 * result (pass, drop, continue with the next pref of the chain, reclassify
 * from chain 0, goto another chain, stolen: the frame went elsewhere).
 * The gact actions (drop, pass, continue, reclassify, pipe, goto) are a
 * verb and nothing else; type names which one for printing.  Defaults are
 * tc's: mirred redirect stolen, mirred mirror / vlan / tunnel_key / ct
 * pipe, pedit / csum pass, police exceed reclassify and conform pass.
 */
enum esw_act_type {
	ESW_ACT_REDIRECT = 1,   /* mirred egress redirect; arg: vport; stolen */
	ESW_ACT_MIRROR,         /* mirred egress mirror; arg: vport; a copy goes out */
	ESW_ACT_DROP,           /* gact drop */
	ESW_ACT_PASS,           /* gact ok|pass: to the in port's representor */
	ESW_ACT_VLAN_PUSH,      /* vlan_id, vlan_prio */
	ESW_ACT_VLAN_POP,
	ESW_ACT_GOTO,           /* gact goto chain (ctl_chain) */
	ESW_ACT_CONTINUE,       /* gact continue */
	ESW_ACT_RECLASSIFY,     /* gact reclassify */
	ESW_ACT_PIPE,           /* gact pipe */
	ESW_ACT_MIRRED_INGRESS, /* mirred ingress; arg: vport.  ctl stolen: redirect
				 * (the frame re-enters the eswitch as if received
				 * from that vport), else mirror (a copy does) */
	ESW_ACT_PEDIT,          /* pedit ex: keys pedit.first .. first+n-1 of the rule */
	ESW_ACT_CSUM,           /* csum: csum.flags ESW_CSUM_* */
	ESW_ACT_POLICE,         /* police: token bucket; ctl is the conform verb */
	ESW_ACT_CT,             /* ct: struct esw_act_ct (executed by src/ct) */
	ESW_ACT_TUNNEL_SET,     /* tunnel_key set: struct esw_act_tunnel (src/tun) */
	ESW_ACT_TUNNEL_UNSET,   /* tunnel_key unset (src/tun) */
	ESW_ACT_MAX
};

/* An action's control verb (tc's TC_ACT_*, renumbered). */
enum esw_ctl {
	ESW_CTL_PIPE = 0,       /* go on with the next action */
	ESW_CTL_PASS,           /* tc's ok/pass: classification ends, frame delivered */
	ESW_CTL_DROP,
	ESW_CTL_CONTINUE,       /* next pref of the same chain */
	ESW_CTL_RECLASSIFY,     /* restart at chain 0 (at most ESW_MAX_RECLASSIFY) */
	ESW_CTL_GOTO,           /* first filter of chain ctl_chain */
	ESW_CTL_STOLEN,         /* the action consumed the frame (redirect) */
	ESW_CTL_MAX
};

#define ESW_MAX_ACTIONS 16      /* per rule (tc allows 32) */
#define ESW_MAX_PEDIT_KEYS 24   /* per rule, over all its pedit actions */
#define ESW_MAX_RECLASSIFY 16   /* tc's limit of reclassify loops, then drop */

#define ESW_CT_COMMIT 1
#define ESW_CT_CLEAR 2
struct esw_act_ct {
	uint16_t zone;
	uint8_t flags;          /* ESW_CT_* */
	uint8_t rsvd;
	uint32_t mark, mark_mask;   /* mark_mask 0: leave the mark alone */
};

#define ESW_TUN_NOCSUM 1        /* outer UDP checksum zero (tc's nocsum) */
#define ESW_TUN_NOFRAG 2        /* outer DF set (tc's nofrag) */
struct esw_act_tunnel {
	uint32_t id;            /* VNI, host order */
	uint32_t src_ip, dst_ip;    /* network order */
	uint16_t dst_port;      /* host order; 0: the tunnel port's own */
	uint8_t tos, ttl;       /* 0: inherit / route default */
	uint8_t flags;          /* ESW_TUN_* */
	uint8_t rsvd[3];
};

/* pedit's header types (tc's htype), and its commands. */
enum esw_pedit_htype {
	ESW_PEDIT_NET = 0,      /* offsets from the network header (pedit without ex) */
	ESW_PEDIT_ETH,
	ESW_PEDIT_IP4,
	ESW_PEDIT_IP6,
	ESW_PEDIT_TCP,
	ESW_PEDIT_UDP,
};
#define ESW_PEDIT_SET 0
#define ESW_PEDIT_ADD 1

/* One 32-bit munge as the kernel stores it: the word at off (a multiple
 * of 4) of header htype becomes, for set, (old & mask) ^ val and, for add,
 * (old & mask) ^ ((old + val) & ~mask).  mask has 1 for bits kept.  val
 * and mask are the word's value in host order (printed as is: a TTL set to
 * 10 at ipv4+8 is val 0x0a000000 mask 0x00ffffff). */
struct esw_pedit_key {
	uint8_t htype;          /* enum esw_pedit_htype */
	uint8_t cmd;            /* ESW_PEDIT_SET|ADD */
	uint16_t off;
	uint32_t val, mask;
};

struct esw_act_pedit {
	uint8_t first, n;       /* keys in esw_rule_spec.pkey */
	uint8_t rsvd[2];
};

#define ESW_CSUM_IPH 1
#define ESW_CSUM_ICMP 2
#define ESW_CSUM_IGMP 4
#define ESW_CSUM_TCP 8
#define ESW_CSUM_UDP 16
#define ESW_CSUM_UDPLITE 32
#define ESW_CSUM_SCTP 64
struct esw_act_csum {
	uint32_t flags;         /* ESW_CSUM_*, tc's TCA_CSUM_UPDATE_FLAG_* bits */
};

/* A token bucket over bytes (rate) or packets (pkts_rate), never both. */
#define ESW_POLICE_MTU_DEFAULT 2040     /* tc's: 255 << cell_log 3 */
struct esw_act_police {
	uint64_t rate;          /* bytes per second; 0: no byte bucket */
	uint64_t pkts_rate;     /* packets per second; 0: no packet bucket */
	uint32_t burst;         /* bytes */
	uint32_t pkts_burst;    /* packets */
	uint32_t mtu;           /* longer frames exceed; 0: tc's default (2040) */
	uint8_t exceed;         /* enum esw_ctl: the verdict of a frame that exceeds */
	uint8_t rsvd[3];
	uint32_t exceed_chain;  /* when exceed is ESW_CTL_GOTO */
	uint32_t index;         /* tc's police index (printed; 0: the rule's own) */
};

struct esw_action {
	uint8_t type;           /* enum esw_act_type */
	uint8_t ctl;            /* enum esw_ctl */
	uint8_t vlan_prio;
	uint8_t rsvd;
	uint16_t vlan_id;
	uint16_t rsvd2;
	uint32_t arg;           /* vport of mirred */
	uint32_t ctl_chain;     /* chain of ESW_CTL_GOTO */
	union {
		struct esw_act_ct ct;
		struct esw_act_tunnel tun;
		struct esw_act_pedit pedit;
		struct esw_act_csum csum;
		struct esw_act_police police;
	};
};

/* One rule as it crosses the device's command interface (fixed layout). */
struct esw_rule_spec {
	uint32_t dev;           /* vport whose representor the filter is on */
	uint32_t chain;
	uint32_t prio;
	uint32_t handle;
	struct esw_key key;     /* already masked */
	struct esw_key mask;
	/* tc's port ranges (dst_port MIN-MAX), inclusive; max 0: no range.  A
	 * ranged port has no bits in mask: the classifier expands the range
	 * into prefixes (esw_flow.c). */
	uint16_t src_port_min, src_port_max;
	uint16_t dst_port_min, dst_port_max;
	uint8_t nact;
	uint8_t npkey;          /* pedit keys in pkey */
	uint8_t rsvd[2];
	uint32_t rsvd2;
	struct esw_action act[ESW_MAX_ACTIONS];
	struct esw_pedit_key pkey[ESW_MAX_PEDIT_KEYS];
};

/*
 * A stored rule is this header and the spec.  ESW_RULE_LAYOUT changes with
 * every change of struct esw_rule_spec (keys or actions): a daemon refuses,
 * with a log line, a stored rule of another layout instead of misreading
 * it.  Bump it together with dev_cmd.h's size assert.
 */
#define ESW_RULE_MAGIC 0x53465231u      /* "SFR1" */
#define ESW_RULE_LAYOUT 2               /* 1: the unversioned 164-byte spec */
struct esw_rule_blob {
	uint32_t magic;
	uint32_t layout;
	uint32_t size;          /* sizeof(struct esw_rule_spec) */
	uint32_t rsvd;
	struct esw_rule_spec spec;
};

/* One action's counters, summed over workers, as tc shows them: frames the
 * action ran on, dropped by it, over its police limit. */
struct esw_act_stats {
	uint64_t packets, bytes, drops, overlimits, lastuse_ms;
};

/* One action's counters of one worker. */
struct esw_act_ctr {
	uint64_t packets, bytes, drops, overlimits;
};

/*
 * A police action's bucket, shared by every worker of the rule without a
 * lock: GCRA, the token bucket kept as the one time ("theoretical arrival
 * time") at which the bucket will be full again.  A frame conforms when,
 * after adding its cost, that time is at most burst ahead of now; a
 * compare-and-swap claims its cost.  The result equals tc's token bucket
 * (tokens = burst - (tat - now)) exactly, whichever worker a frame is on,
 * which per-worker shares of the rate would not; the price is one atomic
 * on a line the workers share, only for frames of a policed rule.
 */
struct esw_police {
	_Atomic uint64_t tat_ns;
	uint64_t cost_q32;      /* ns per byte (rate) or per packet, << 32 */
	uint64_t burst_ns;      /* the bucket's depth in time */
	uint32_t mtu;           /* longer frames exceed */
	uint8_t bytes;          /* a byte bucket (else packets) */
};

/* Sets a bucket up from its action, full. */
static inline void esw_police_init(struct esw_police *b, const struct esw_act_police *p)
{
	unsigned __int128 ns = (unsigned __int128)1000000000u << 32;

	b->bytes = p->rate != 0;
	b->cost_q32 = (uint64_t)(ns / (b->bytes ? p->rate : p->pkts_rate ? p->pkts_rate : 1));
	b->burst_ns = (uint64_t)(((unsigned __int128)(b->bytes ? p->burst : p->pkts_burst) *
				  b->cost_q32) >> 32);
	b->mtu = p->mtu ? p->mtu : ESW_POLICE_MTU_DEFAULT;
	atomic_store_explicit(&b->tat_ns, 0, memory_order_relaxed);
}

/* Whether a frame of len bytes at now_ns (a monotonic clock) conforms;
 * takes its tokens when it does (datapath, any worker). */
static inline bool esw_police_conform(struct esw_police *b, uint32_t len, uint64_t now_ns)
{
	uint64_t cost, tat, next;

	if (b->bytes && len > b->mtu)
		return false;
	cost = (uint64_t)(((unsigned __int128)(b->bytes ? len : 1) * b->cost_q32) >> 32);
	tat = atomic_load_explicit(&b->tat_ns, memory_order_relaxed);
	do {
		next = (tat > now_ns ? tat : now_ns) + cost;
		if (next - now_ns > b->burst_ns)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&b->tat_ns, &tat, next,
							memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

/* Per-worker counters of one rule. */
struct esw_rule_ctr {
	uint64_t packets, bytes, lastuse_ms;
} __attribute__((aligned(64)));

struct esw_rule;
struct esw_cls;
struct esw_emc;

/* Creates an empty rule set whose counters have room for nworkers. */
struct esw_cls *esw_cls_create(unsigned nworkers);

/* Frees the rule set; no reader may be using it. */
void esw_cls_destroy(struct esw_cls *c);

/* Adds a rule (control thread).  The key is masked here; a port range
 * becomes its prefixes (esw_range_prefixes), all counting into the one
 * rule.  Returns 0, -EEXIST when (dev, chain, prio, handle) is taken,
 * -EINVAL for a range whose min is not below its max, -ENOSPC past
 * ESW_MAX_MASKS distinct masks, -ENOMEM. */
#define ESW_MAX_MASKS 1024
int esw_cls_insert(struct esw_cls *c, const struct esw_rule_spec *s);

/* Splits the port range [min, max] into the fewest value/mask prefixes
 * that cover exactly it (at most 30) into val[] and mask[]; returns their
 * number. */
unsigned esw_range_prefixes(uint16_t min, uint16_t max, uint16_t *val, uint16_t *mask);

/* Removes one rule (control thread); freed after a grace period.  Returns
 * 0 or -ENOENT. */
int esw_cls_remove(struct esw_cls *c, uint32_t dev, uint32_t chain, uint32_t prio,
		   uint32_t handle);

/* Finds a rule by its identity (control thread). */
const struct esw_rule *esw_cls_find(struct esw_cls *c, uint32_t dev, uint32_t chain,
				    uint32_t prio, uint32_t handle);

/* Calls fn for every rule in (dev, chain, prio, handle) order (control
 * thread). */
void esw_cls_foreach(struct esw_cls *c, void (*fn)(const struct esw_rule *r, void *arg),
		     void *arg);

/* Number of rules and of distinct masks. */
uint32_t esw_cls_count(const struct esw_cls *c);
uint32_t esw_cls_masks(const struct esw_cls *c);

/* The spec a rule was added with. */
const struct esw_rule_spec *esw_rule_spec(const struct esw_rule *r);

/* Finds the rule with the lowest prio above prio for a key (datapath, tc's
 * "continue": the next pref of the same chain), without the EMC. */
const struct esw_rule *esw_cls_lookup_after(struct esw_cls *c, const struct esw_key *k,
					    uint32_t prio);

/* Swaps the rule of s's identity for s atomically (control thread): a frame
 * sees one or the other; counters and police buckets start afresh, as tc's
 * replace creates new actions.  Returns 0, -ENOENT, -EINVAL when s matches
 * other fields (another mask: tc refuses that too), -ENOMEM. */
int esw_cls_replace(struct esw_cls *c, const struct esw_rule_spec *s);

/* Worker's counters of a rule's actions, nact of them (datapath). */
struct esw_act_ctr *esw_act_ctr(const struct esw_rule *r, unsigned worker);

/* Sums action i's counters over workers (control thread). */
void esw_act_counters(const struct esw_rule *r, unsigned i, struct esw_act_stats *st);

/* The bucket of police action i of a rule (datapath). */
struct esw_police *esw_rule_police(const struct esw_rule *r, unsigned i);

/* Sums a rule's counters over workers. */
void esw_rule_counters(const struct esw_rule *r, uint64_t *packets, uint64_t *bytes,
		       uint64_t *lastuse_ms);

/* Per-worker counter slot of a rule (datapath). */
struct esw_rule_ctr *esw_rule_ctr(const struct esw_rule *r, unsigned worker);

/*
 * Looks a key up (datapath, inside an RCU read-side section): the rule tc
 * would run, or NULL: the lowest prio and, within a prio, the rule whose
 * mask was created first there (tc flower's order, esw_flow.c).  emc may be NULL; when given, exact
 * keys seen before are answered from it.
 */
const struct esw_rule *esw_cls_lookup(struct esw_cls *c, const struct esw_key *k,
				      struct esw_emc *emc);

/* The hash of a key, used by the tuple space and the EMC alike.  One
 * independent multiply per word and one avalanche: the multiplies overlap,
 * so a longer key costs throughput, not a longer chain of latency. */
static inline uint64_t esw_key_hash(const struct esw_key *k)
{
	static const uint64_t mul[] = {
		0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
		0xd6e8feb86659fd93ull, 0xff51afd7ed558ccdull, 0xc4ceb9fe1a85ec53ull,
		0x87c37b91114253d5ull, 0x4cf5ad432745937full, 0x94d049bb133111ebull,
		0xbf58476d1ce4e5b9ull, 0x2127599bf4325c37ull, 0x880355f21e6d1965ull,
		0x9fb21c651e98df25ull, 0xa0761d6478bd642full, 0xe7037ed1a0b428dbull,
		0x8ebc6af09c88c6e3ull,
	};
	uint64_t w[ESW_KEY_WORDS], h = 0;

	_Static_assert(ESW_KEY_WORDS <= sizeof(mul) / sizeof(mul[0]), "one multiplier a word");
	__builtin_memcpy(w, k, sizeof(w));
	/* Unrolled, the multipliers are immediates and the 14 products
	 * independent: a few cycles, not a loop's worth. */
#pragma GCC unroll 16
	for (unsigned i = 0; i < ESW_KEY_WORDS; i++)
		h ^= w[i] * mul[i];
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

/* esw_cls_lookup with the key's hash computed by the caller, who may have
 * prefetched its EMC slots (a burst hashes all keys first, then looks up:
 * the keys' stores have retired and the cache lines are on their way). */
const struct esw_rule *esw_cls_lookup_hashed(struct esw_cls *c, const struct esw_key *k,
					     uint64_t hash, struct esw_emc *emc);

/* Starts loading the EMC slots a hash selects. */
void esw_emc_prefetch(const struct esw_emc *emc, uint64_t hash);

/* A worker's exact-match cache. */
struct esw_emc *esw_emc_create(void);
void esw_emc_destroy(struct esw_emc *e);
/* Hits and misses, for stats. */
void esw_emc_stats(const struct esw_emc *e, uint64_t *hits, uint64_t *misses);

/* Fills k from a frame (chain and in_port are the caller's).  Returns 0, or
 * -1 for a frame shorter than an Ethernet header. */
int esw_key_extract(const uint8_t *frame, uint32_t len, struct esw_key *k);

/* ---- legacy mode: MAC learning ---- */

struct esw_fdb;

/* Creates an FDB whose entries age out after aging_ms without traffic. */
struct esw_fdb *esw_fdb_create(uint32_t aging_ms);
void esw_fdb_destroy(struct esw_fdb *f);

/* Learns src_mac on vport (datapath; allocates only for a new MAC). */
void esw_fdb_learn(struct esw_fdb *f, const uint8_t mac[6], uint32_t vport, uint64_t now_ms);

/* The vport a MAC was learned on, or UINT32_MAX (datapath). */
uint32_t esw_fdb_lookup(struct esw_fdb *f, const uint8_t mac[6]);

/* Removes entries idle for longer than the aging time and, when vport is
 * not UINT32_MAX, every entry on that vport (control thread).  Returns the
 * number removed. */
unsigned esw_fdb_age(struct esw_fdb *f, uint64_t now_ms, uint32_t flush_vport);

/* Calls fn for every entry (control thread). */
void esw_fdb_foreach(struct esw_fdb *f,
		     void (*fn)(const uint8_t mac[6], uint32_t vport, uint64_t age_ms, void *arg),
		     void *arg, uint64_t now_ms);

#endif
