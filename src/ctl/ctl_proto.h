/*
 * ctl_proto.h - the ctl channel's wire protocol (<run-dir>/sfnicctl.sock),
 * shared by the daemon (src/ctl) and the tool (src/sfnicctl).
 *
 * The model is Linux fwctl's (and mlx5ctl's before it): one connection is
 * one device user context (uctx).  The client asks; the daemon answers each
 * request with exactly one reply, in order.  Four requests:
 *
 *   INFO        -> struct ctl_info: device type, command interface version,
 *                  the context's uid and capabilities, the device's, and
 *                  what the peer's credentials would allow (USER CAP).
 *   RPC         struct ctl_rpc_req + in_len bytes of a device command
 *               (src/dev/dev_cmd.h layouts) -> struct ctl_rpc_rep + out_len
 *                  bytes of the command's output.  The daemon overwrites the
 *                  command header's uid with the context's: a client cannot
 *                  speak as anyone else.
 *   UMEM_REG    struct ctl_umem_reg_req + a memfd (SCM_RIGHTS) ->
 *                  struct ctl_umem_reg_rep: the id by which RPCs name that
 *                  memory (resource dumps, the tracer and sampler rings).
 *   UMEM_UNREG  struct ctl_umem_unreg_req -> header only.
 *
 * Errors, with fwctl's meaning: a reply whose header has err != 0 (a
 * positive errno) says the request was NOT delivered to the device, and
 * may carry a NUL-terminated reason (at most CTL_REASON_MAX bytes).  A
 * command the device ran and failed is err 0 with the device's status and
 * syndrome in the output's struct dev_cmd_out_hdr.  RPC errnos:
 *   EINVAL      a length below the command headers, an inconsistent size,
 *               reserved fields not zero;
 *   EMSGSIZE    in_len or out_len above CTL_MAX_RPC (2 MiB, fwctl's);
 *   EOPNOTSUPP  a scope the protocol does not know (> DEBUG_WRITE_FULL);
 *   EPERM       a scope beyond the context's capabilities, an opcode whose
 *               scope is above the requested one, a driver-only or unknown
 *               opcode - none of these reach the device.
 *
 * Framing: SOCK_STREAM, each message a struct ctl_msg_hdr whose size
 * counts the whole message.  Why not SOCK_SEQPACKET: a 2 MiB RPC in or out
 * does not fit an AF_UNIX datagram at the default socket buffer sizes
 * (~200 KiB), and raising SO_SNDBUF/SO_RCVBUF on both sides to 4 MiB would
 * pin that much kernel memory per connection whether or not it is used.  A
 * stream lets the daemon read a message in pieces into memory it sizes
 * from the header, and write a large reply as the client drains it.  A
 * UMEM_REG's descriptor must arrive with the bytes of its own message (send
 * the whole message with one sendmsg); a descriptor that arrives with any
 * other message is closed and the request refused (EINVAL).
 *
 * Limits (against local denial of service; see ctl.h): a message larger
 * than CTL_MSG_MAX is refused (EMSGSIZE) - its bytes are read and dropped
 * up to CTL_MSG_DISCARD_MAX, beyond that the connection is closed; a
 * message must arrive whole, and a reply be read, within CTL_MSG_DEADLINE_MS
 * of its first byte; idle connections stay (a tracer client only reads its
 * umem).
 *
 * Layouts are host-endian, naturally aligned, without implicit padding;
 * sizes are asserted.  A layout never changes once released: a change is
 * a new version.  Reserved fields must be zero (EINVAL otherwise).
 */
#ifndef SFNIC_CTL_PROTO_H
#define SFNIC_CTL_PROTO_H

#include <stdint.h>

#define CTL_SOCK_NAME "sfnicctl.sock"
#define CTL_PROTO_VERSION 1u
#define CTL_DEVICE_TYPE "sfnic"

#define CTL_MAX_RPC (2u << 20)          /* in_len and out_len, each */
#define CTL_UMEM_MAX (64u << 20)        /* one registration, as mlx5ctl's */
#define CTL_REASON_MAX 256u             /* an error reply's text, NUL included */
#define CTL_MSG_DEADLINE_MS 5000u
#define CTL_MSG_DISCARD_MAX (16u << 20)

/* The scopes, fwctl's values (enum fwctl_rpc_scope). */
enum ctl_scope {
	CTL_SCOPE_CONFIGURATION = 0,
	CTL_SCOPE_DEBUG_READ_ONLY = 1,
	CTL_SCOPE_DEBUG_WRITE = 2,
	CTL_SCOPE_DEBUG_WRITE_FULL = 3,
};
#define CTL_SCOPE_MAX CTL_SCOPE_DEBUG_WRITE_FULL
#define CTL_CAP_SCOPE(s) (1u << (s))    /* same bits as DEV_UCTX_CAP_SCOPE */

enum ctl_msg_type {
	CTL_MSG_INFO = 1,
	CTL_MSG_RPC = 2,
	CTL_MSG_UMEM_REG = 3,
	CTL_MSG_UMEM_UNREG = 4,
};

/* Starts every request and reply.  A reply repeats its request's type and
 * seq. */
struct ctl_msg_hdr {
	uint32_t size;          /* whole message, this header included */
	uint16_t type;          /* enum ctl_msg_type */
	uint16_t version;       /* CTL_PROTO_VERSION */
	uint32_t seq;           /* the client's, echoed */
	uint32_t err;           /* reply: 0 or a positive errno; request: 0 */
};

/* INFO's reply body (the request is a bare header). */
struct ctl_info {
	char device_type[16];   /* "sfnic", NUL-padded */
	uint32_t if_version;    /* QUERY_HCA_CAP's if_version */
	uint16_t uctx_uid;      /* this connection's user context */
	uint16_t rsvd;
	uint32_t uctx_cap;      /* its capabilities: CTL_CAP_SCOPE bits */
	uint32_t dev_uctx_cap;  /* what the device supports */
	uint32_t ucap;          /* what the peer's credentials would allow */
	uint32_t os_uid;        /* the peer, as SO_PEERCRED saw it */
	uint32_t os_pid;
	uint32_t max_rpc;       /* CTL_MAX_RPC */
	uint32_t max_umem;      /* CTL_UMEM_MAX */
	uint32_t rsvd2;
};

/* RPC: this, then in_len bytes of command input. */
struct ctl_rpc_req {
	uint32_t scope;         /* enum ctl_scope */
	uint32_t in_len;        /* >= sizeof(struct dev_cmd_in_hdr) */
	uint32_t out_len;       /* >= sizeof(struct dev_cmd_out_hdr) */
	uint32_t rsvd;
};
/* RPC's reply body: this, then out_len bytes of command output. */
struct ctl_rpc_rep {
	uint32_t out_len;
	uint32_t rsvd;
};

/* UMEM_REG: len bytes of the memfd sent with the message, from offset 0.
 * len is a multiple of the page size, 1 page .. CTL_UMEM_MAX.  The memfd
 * must be sealed against shrinking (F_SEAL_SHRINK) and at least len long:
 * the daemon maps it shared and read-write, and a file truncated under a
 * mapping would make the daemon's next write there SIGBUS. */
struct ctl_umem_reg_req {
	uint64_t len;
};
struct ctl_umem_reg_rep {
	uint32_t umem_id;       /* names the memory in RPCs (the device's id) */
	uint32_t rsvd;
	uint64_t len;
};

struct ctl_umem_unreg_req {
	uint32_t umem_id;
	uint32_t rsvd;
};

#define CTL_MSG_MAX (sizeof(struct ctl_msg_hdr) + sizeof(struct ctl_rpc_req) + CTL_MAX_RPC)

_Static_assert(sizeof(struct ctl_msg_hdr) == 16, "layout");
_Static_assert(sizeof(struct ctl_info) == 56, "layout");
_Static_assert(sizeof(struct ctl_rpc_req) == 16, "layout");
_Static_assert(sizeof(struct ctl_rpc_rep) == 8, "layout");
_Static_assert(sizeof(struct ctl_umem_reg_req) == 8, "layout");
_Static_assert(sizeof(struct ctl_umem_reg_rep) == 16, "layout");
_Static_assert(sizeof(struct ctl_umem_unreg_req) == 8, "layout");

#endif
