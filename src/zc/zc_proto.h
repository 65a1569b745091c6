/*
 * zc_proto.h - the zero-copy channel's socket messages, shared by libsfnic
 * and the daemon.
 *
 * <run-dir>/zc.sock is a SOCK_SEQPACKET socket; one connection is one open
 * queue and lives as long as it.  The client sends struct zc_open_req; the
 * daemon answers struct zc_open_rep with, on success, four descriptors
 * (SCM_RIGHTS): the region (read-only for taps), the rings memfd, the
 * eventfd the daemon signals and the eventfd the client kicks.  Afterwards
 * the client may send ZC_MSG_STATS and gets struct sfnic_zc_stats back.
 * Closing the connection closes the queue.  Layouts never change once
 * released; a new one gets a new version.
 */
#ifndef SFNIC_ZC_PROTO_H
#define SFNIC_ZC_PROTO_H

#include <stdint.h>

#include "sfnic/zc.h"

#define ZC_PROTO_MAGIC 0x637a6673u     /* "sfzc" */
#define ZC_PROTO_VERSION 1u
#define ZC_SOCK_NAME "zc.sock"
#define ZC_MSG_OPEN 1u
#define ZC_MSG_STATS 2u
#define ZC_NFDS 4

struct zc_open_req {
	uint32_t magic, version, type;  /* ZC_MSG_OPEN */
	uint32_t mode;                  /* enum sfnic_zc_mode */
	uint32_t queue;
	uint32_t ring_size, frames, max_outstanding, tx_frames;
	uint32_t domain, domain_check;
	uint32_t rsvd[5];
	char port[64];
};

struct zc_open_rep {
	uint32_t magic, version;
	int32_t status;                 /* 0 or -errno */
	uint32_t queue, domain, mode, readonly;
	uint32_t frame_size, frames, headroom, max_outstanding;
	uint32_t ring_size;             /* RX and FILL; TX and COMP too, or 0 */
	uint32_t tx_ring_size;
	uint32_t rsvd[3];
	uint64_t region_size, rings_size;
	uint64_t off_rx, off_fill, off_tx, off_comp;    /* ring heads in the rings memfd */
	char port[64];
	char err[192];
};

struct zc_msg {
	uint32_t magic, type;
};

#define ZC_STATIC_ASSERT(c) _Static_assert(c, #c)
ZC_STATIC_ASSERT(sizeof(struct zc_open_req) == 128);
ZC_STATIC_ASSERT(sizeof(struct zc_open_rep) == 368);
ZC_STATIC_ASSERT(sizeof(struct sfnic_zc_ring_hdr) == 384);
ZC_STATIC_ASSERT(sizeof(struct sfnic_zc_desc) == 8);
ZC_STATIC_ASSERT(sizeof(struct sfnic_zc_stats) == 80);     /* the STATS reply */

#endif
