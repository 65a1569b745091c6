/*
 * steer.h - RX steering rules in ethtool's ntuple grammar.
 *
 * An SF function's receive side is a set of queues: queue 0 is its netdev,
 * queue 1 its memif interface, queues 2..15 applications' own zero-copy
 * queues (seed 004's "HW filter into a dedicated RX queue").  A steering rule
 * says which queue takes the frames it matches, or that they are dropped;
 * rules are tried in ascending location order and the first match decides.
 * This module parses a rule from the words `ethtool -N DEV` takes, matches
 * frames against rules, and prints a rule exactly as `ethtool -n` does.  It
 * keeps no state; who stores rules and where they apply is the devlink
 * layer's business (dl_steer.c), and the datapath calls steer_classify().
 *
 * A rule is a key and a mask over one fixed 64-byte view of a frame (struct
 * steer_key): MACs, the ethertype after an optional 802.1Q tag, the tag, IP
 * addresses, TOS/traffic class, protocol, the first four L4 bytes (the
 * ports of TCP and UDP) and a few bits saying what the frame carries.  Masks
 * are in the kernel's polarity (1 = compare); the `m` word on the command
 * line marks bits to IGNORE and is stored complemented, as ethtool does.
 * Parsing folds what the flow type implies into the same key (tcp4 means
 * ethertype 0x0800, an IPv4 header and protocol 6), so matching a frame is
 * extracting its view once and, per rule, eight 64-bit XOR-ANDs: no
 * branches on the rule's shape, no allocation, no syscalls.  Any bytes are a
 * safe rule for steer_classify() (a rule is plain data), which is what lets
 * the datapath copy rules without validating them again.
 *
 * struct steer_rule is stored as a blob in the daemon's database: its layout
 * is fixed (sizes asserted below) and never changes once released.  New
 * kinds of match go into fields that old rules hold as zero, never into a
 * reshuffle.
 */
#ifndef SFNIC_STEER_H
#define SFNIC_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STEER_QUEUES 16            /* queues of one function's receive side */
#define STEER_TABLE_SIZE 1024      /* rule locations 0..1023, as ethtool's rmgr sees them */
#define STEER_ACTION_DROP (-1)     /* `action -1`: ethtool's RX_CLS_FLOW_DISC */
#define STEER_NO_MATCH INT32_MIN   /* steer_classify(): no rule matched */

/* Flow types (struct steer_rule.flow_type); 0 is no rule. */
enum steer_flow {
	STEER_FLOW_ETHER = 1,
	STEER_FLOW_IP4,
	STEER_FLOW_TCP4,
	STEER_FLOW_UDP4,
	STEER_FLOW_IP6,
	STEER_FLOW_TCP6,
	STEER_FLOW_UDP6,
	STEER_FLOW_MAX,
};

/* struct steer_key.meta: what the frame carries.  Rules that compare the
 * tag, IP fields or L4 bytes also require the matching bit, so an untagged
 * frame never matches `vlan 0` and a later fragment never matches a port. */
#define STEER_META_VLAN 0x01       /* one 802.1Q (or 802.1ad) tag was seen */
#define STEER_META_IP 0x02         /* a whole IPv4 or IPv6 header follows */
#define STEER_META_L4 0x04         /* the first 4 L4 bytes are present (not a later fragment) */

/* The view of a frame that rules compare.  Multi-byte fields are in network
 * order, as they are on the wire.  64 bytes, 8-byte aligned in a rule. */
struct steer_key {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint16_t ethertype;        /* after the tag, if any (ether's `proto`) */
	uint16_t vlan_tci;         /* `vlan` */
	uint8_t src_ip[16];        /* IPv4 in the first 4 bytes */
	uint8_t dst_ip[16];
	uint8_t l4[4];             /* first 4 L4 bytes: source and destination port */
	uint16_t vlan_etype;       /* `vlan-etype`: the tag's TPID (0x8100) */
	uint8_t meta;              /* STEER_META_* */
	uint8_t tos;               /* IPv4 TOS, IPv6 traffic class */
	uint8_t l4proto;           /* IPv4 protocol, IPv6 next header after extension headers */
	uint8_t reserved[7];       /* zero */
};

/* struct steer_rule.flags */
#define STEER_F_LOC 0x01           /* `loc N` was given (else the daemon chose it) */
#define STEER_F_EXT 0x02           /* vlan or vlan-etype given: ethtool's FLOW_EXT */
#define STEER_F_MAC_EXT 0x04       /* dst-mac given on an IP flow type: FLOW_MAC_EXT */

/* One rule: fixed layout, 144 bytes. */
struct steer_rule {
	uint32_t loc;              /* location: lower is tried first */
	int32_t action;            /* queue 0..STEER_QUEUES-1 or STEER_ACTION_DROP */
	uint8_t flow_type;         /* enum steer_flow */
	uint8_t flags;             /* STEER_F_* */
	uint8_t reserved[6];       /* zero */
	union {
		struct steer_key k;
		uint64_t w[8];
	} key, mask;               /* a frame matches when (view ^ key) & mask == 0 */
};

_Static_assert(sizeof(struct steer_key) == 64, "steer_key layout is fixed");
_Static_assert(sizeof(struct steer_rule) == 144, "steer_rule layout is fixed");
_Static_assert(offsetof(struct steer_rule, key) == 16, "steer_rule layout is fixed");

/*
 * Parses the words after `ethtool -N DEV`: "flow-type T [FIELD V [m M |
 * FIELD-mask M]]... [action N | queue N] [loc N]".  Numbers are base 0, each
 * field may appear once, a field not given is not compared, `m` marks bits
 * to ignore, `action -1` drops, a queue must be below STEER_QUEUES, a
 * location below STEER_TABLE_SIZE; no action means queue 0.  On success
 * fills *r (flags tell whether loc was given; without it loc is 0) and
 * returns 0; otherwise returns -EINVAL with one line in ethtool's words in
 * err ("Add rule, unrecognized option[foo]").
 */
int steer_parse(int argc, const char *const *argv, struct steer_rule *r, char *err,
		size_t errlen);

/*
 * The action of the first of rules[0..n) that matches the Ethernet frame
 * (len bytes; one 802.1Q/802.1ad tag, IPv4 with options, IPv6 with the usual
 * extension headers), or STEER_NO_MATCH.  Ports are the first four L4 bytes
 * of a first (or only) fragment.  Never reads past len.  Safe from any
 * thread; allocates nothing.
 */
int32_t steer_classify(const struct steer_rule *rules, unsigned n, const uint8_t *frame,
		       uint32_t len);

/*
 * A hash of the frame's flow: IP addresses, protocol and, for TCP and UDP,
 * ports (MAC addresses and ethertype for frames that are not IP).  Every
 * frame of one flow hashes alike; used to spread flows over the rings of
 * one interface.  Cheap: one parse, a few multiplies.
 */
uint32_t steer_flow_hash(const uint8_t *frame, uint32_t len);

/* Fills *k with the view of the frame that rules compare (zeroing what the
 * frame does not carry).  Exposed for tests and tools. */
void steer_key_extract(const uint8_t *frame, uint32_t len, struct steer_key *k);

/*
 * Prints one rule exactly as `ethtool -n DEV` does: "Filter: N", the rule
 * type and its fields with masks re-inverted (0 = compared), the extension
 * lines, "\tAction: ..." and a blank line.  Returns the length it wanted
 * (as snprintf does) or -EINVAL for a rule it cannot print.
 */
int steer_format(const struct steer_rule *r, char *buf, size_t len);

/* The command-line name of a flow type ("tcp4"), or NULL. */
const char *steer_flow_name(unsigned flow_type);

/* One field a rule compares, as the command line spells it: "dst-ip",
 * value "192.168.10.0", mask "0.0.0.255" in the `m` polarity (set bits are
 * ignored).  num says whether value and mask are numbers (in *_num too). */
struct steer_field {
	const char *name;
	bool num;
	uint64_t value_num, mask_num;
	char value[48], mask[48];
};

/* Calls fn for every field r compares (mask not zero), in the order ethtool
 * prints them.  Fields the flow type implies are not reported. */
void steer_fields(const struct steer_rule *r,
		  void (*fn)(const struct steer_field *f, void *arg), void *arg);

/* Whether a rule read back from storage is one steer_parse could have made
 * (known flow type, action and location in range). */
bool steer_rule_valid(const struct steer_rule *r);

#endif
