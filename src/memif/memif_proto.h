/*
 * memif_proto.h - the memif 2.0 wire protocol (DPDK 22.11, libmemif, VPP).
 *
 * Control: an AF_UNIX SOCK_SEQPACKET connection carrying fixed 128-byte
 * messages, at most one file descriptor each (SCM_RIGHTS).  The server
 * speaks first (HELLO); the client answers INIT, one ADD_REGION per shared
 * memory region (the memfd rides along), one ADD_RING per ring (its eventfd
 * rides along), CONNECT; the server ACKs each and ends with CONNECTED.  The
 * exchange is lock-step: a client sends its next message only when the
 * previous one was answered.  Either side may send DISCONNECT with a reason
 * and close; a plain close means the same.
 *
 * Shared memory belongs to the client: region 0 holds the rings (and, in
 * copy mode, the buffers), further regions hold buffers (a zero-copy client
 * exports its whole heap).  A ring is a 128-byte header (cookie, flags,
 * head on the first cache line, tail on the second) followed by 2^log2
 * 16-byte descriptors.  The client writes head, the server writes tail, both
 * free-running 16-bit counters.  C2S rings carry what the client sends; S2C
 * rings carry what the server sends, into buffers the client posted.
 *
 * Layouts here are the protocol's and never change; sizes are asserted.
 * Everything in shared memory is written by an untrusted peer: copy a
 * descriptor out once, then check it, and never follow it twice.
 */
#ifndef SFNIC_MEMIF_PROTO_H
#define SFNIC_MEMIF_PROTO_H

#include <assert.h>
#include <stdint.h>

#define MEMIF_COOKIE 0x3E31F20u
#define MEMIF_VERSION 0x0200u           /* major 2, minor 0 */
#define MEMIF_NAME_SZ 32
#define MEMIF_SECRET_SZ 24
#define MEMIF_REASON_SZ 96
#define MEMIF_MSG_SIZE 128

enum memif_msg_type {
	MEMIF_MSG_NONE = 0,
	MEMIF_MSG_ACK = 1,
	MEMIF_MSG_HELLO = 2,
	MEMIF_MSG_INIT = 3,
	MEMIF_MSG_ADD_REGION = 4,
	MEMIF_MSG_ADD_RING = 5,
	MEMIF_MSG_CONNECT = 6,
	MEMIF_MSG_CONNECTED = 7,
	MEMIF_MSG_DISCONNECT = 8,
};

enum memif_ring_type { MEMIF_RING_C2S = 0, MEMIF_RING_S2C = 1 };
enum memif_mode { MEMIF_MODE_ETHERNET = 0, MEMIF_MODE_IP = 1, MEMIF_MODE_PUNT_INJECT = 2 };

#define MEMIF_MSG_ADD_RING_FLAG_C2S 1   /* ADD_RING: the ring carries client -> server */
#define MEMIF_RING_FLAG_MASK_INT 1      /* ring flags: its consumer polls, no eventfd writes */
#define MEMIF_DESC_FLAG_NEXT 1          /* descriptor: the frame goes on in the next one */

struct memif_msg_hello {
	uint8_t name[MEMIF_NAME_SZ];
	uint16_t min_version, max_version;
	uint16_t max_region;            /* count - 1 */
	uint16_t max_s2c_ring;          /* count - 1 */
	uint16_t max_c2s_ring;          /* count - 1 */
	uint8_t max_log2_ring_size;
} __attribute__((packed));

struct memif_msg_init {
	uint16_t version;
	uint32_t id;                    /* interface id */
	uint8_t mode;
	uint8_t secret[MEMIF_SECRET_SZ];
	uint8_t name[MEMIF_NAME_SZ];
} __attribute__((packed));

struct memif_msg_add_region {
	uint16_t index;
	uint64_t size;
} __attribute__((packed));

struct memif_msg_add_ring {
	uint16_t flags;                 /* MEMIF_MSG_ADD_RING_FLAG_C2S */
	uint16_t index;
	uint16_t region;
	uint32_t offset;                /* of the ring header in the region */
	uint8_t log2_ring_size;
	uint16_t private_hdr_size;
} __attribute__((packed));

struct memif_msg_connect {
	uint8_t if_name[MEMIF_NAME_SZ];
} __attribute__((packed));

struct memif_msg_disconnect {
	uint32_t code;
	uint8_t string[MEMIF_REASON_SZ];
} __attribute__((packed));

struct memif_msg {
	uint16_t type;
	union {
		struct memif_msg_hello hello;
		struct memif_msg_init init;
		struct memif_msg_add_region add_region;
		struct memif_msg_add_ring add_ring;
		struct memif_msg_connect connect;       /* and CONNECTED */
		struct memif_msg_disconnect disconnect;
		uint8_t raw[MEMIF_MSG_SIZE - 2];
	};
} __attribute__((packed));

struct memif_desc {
	uint16_t flags;                 /* MEMIF_DESC_FLAG_NEXT */
	uint16_t region;
	uint32_t length;
	uint32_t offset;
	uint32_t metadata;
} __attribute__((packed));

/* The ring header, at 64-byte cache lines (the layout DPDK on x86 and
 * libmemif agree on). */
struct memif_ring {
	uint32_t cookie;
	uint16_t flags;                 /* written by the ring's consumer */
	_Atomic uint16_t head;          /* written by the client */
	uint8_t pad0[56];
	_Atomic uint16_t tail;          /* written by the server */
	uint8_t pad1[62];
	struct memif_desc desc[];
};

#define MEMIF_RING_HDR_SIZE 128u
#define MEMIF_MAX_LOG2_RING 14
#define MEMIF_MIN_LOG2_RING 1

static_assert(sizeof(struct memif_msg) == MEMIF_MSG_SIZE, "memif messages are 128 bytes");
static_assert(sizeof(struct memif_msg_hello) == 43, "hello layout");
static_assert(sizeof(struct memif_msg_init) == 63, "init layout");
static_assert(sizeof(struct memif_msg_add_region) == 10, "add_region layout");
static_assert(sizeof(struct memif_msg_add_ring) == 13, "add_ring layout");
static_assert(sizeof(struct memif_msg_disconnect) == 100, "disconnect layout");
static_assert(sizeof(struct memif_desc) == 16, "descriptors are 16 bytes");
static_assert(sizeof(struct memif_ring) == MEMIF_RING_HDR_SIZE, "ring header is 128 bytes");

/* Bytes a ring of 2^log2 descriptors takes in its region. */
static inline uint64_t memif_ring_bytes(unsigned log2)
{
	return MEMIF_RING_HDR_SIZE + ((uint64_t)sizeof(struct memif_desc) << log2);
}

#endif
