/*
 * ul_afpacket.c - the uplink on a Linux interface through AF_PACKET.
 *
 * Receive: a TPACKET_V3 ring mapped into the daemon; the kernel fills
 * blocks of frames, the worker that owns p0 walks a block, copies each
 * frame into a page-pool buffer and hands the block back.  Transmit: one
 * sendmmsg() per burst, from any worker (the kernel serialises sends on a
 * packet socket without a TX ring; no lock of ours).  The socket is promiscuous (the SFs' MACs are not
 * the interface's) and ignores what it sends itself.
 */
#include "ul_internal.h"

#include "../util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define BLOCK_SIZE (1u << 16)
#define BLOCK_NR 64
#define FRAME_SIZE 2048

struct afp {
	struct dp_backend be;           /* first: the backend is the handle */
	int fd;
	uint8_t *ring;
	size_t ring_len;
	unsigned block;                 /* the block being walked */
	struct tpacket3_hdr *next;      /* next frame in it, NULL: block start */
	uint32_t left;                  /* frames left in it */
};

static struct tpacket_block_desc *block_at(struct afp *a, unsigned i)
{
	return (struct tpacket_block_desc *)(a->ring + (size_t)i * BLOCK_SIZE);
}

static unsigned afp_rx(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max)
{
	struct afp *a = ctx;
	unsigned n = 0;

	while (n < max) {
		struct tpacket_block_desc *b = block_at(a, a->block);

		if (!a->next) {
			if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
			      TP_STATUS_USER))
				break;  /* the kernel still fills it */
			a->next = (struct tpacket3_hdr *)((uint8_t *)b +
							  b->hdr.bh1.offset_to_first_pkt);
			a->left = b->hdr.bh1.num_pkts;
		}
		while (a->left && n < max) {
			struct tpacket3_hdr *h = a->next;
			uint32_t buf = pp_alloc(pool);
			uint32_t len = h->tp_snaplen;

			if (buf == PP_NO_BUF)
				return n;       /* resume at this frame next time */
			if (len > PP_BUF_SIZE - PP_HEADROOM)
				len = PP_BUF_SIZE - PP_HEADROOM;
			pkts[n] = (struct dp_pkt){ .pool = pool, .buf = buf, .off = PP_HEADROOM,
						   .len = (uint16_t)len };
			memcpy(dp_pkt_data(&pkts[n]), (uint8_t *)h + h->tp_mac, len);
			n++;
			a->left--;
			a->next = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
		}
		if (!a->left) {
			__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL,
					 __ATOMIC_RELEASE);
			a->block = (a->block + 1) % BLOCK_NR;
			a->next = NULL;
		}
	}
	return n;
}

static unsigned afp_tx(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n,
		       enum dp_drop *why)
{
	struct afp *a = ctx;
	struct mmsghdr m[DP_BURST];
	struct iovec iov[DP_BURST];
	int sent;

	(void)worker;
	(void)why;
	if (n > DP_BURST)
		n = DP_BURST;
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){ dp_pkt_data(&pkts[i]), pkts[i].len };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	sent = sendmmsg(a->fd, m, n, MSG_DONTWAIT);
	for (unsigned i = 0; i < n; i++)
		dp_pkt_free(&pkts[i]);
	return sent > 0 ? (unsigned)sent : 0;
}

struct dp_backend *ul_afpacket_open(const char *ifname, char *err, size_t errlen)
{
	struct tpacket_req3 req = {
		.tp_block_size = BLOCK_SIZE, .tp_block_nr = BLOCK_NR,
		.tp_frame_size = FRAME_SIZE, .tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR,
		.tp_retire_blk_tov = 1,         /* ms: a quiet link still delivers */
	};
	int ver = TPACKET_V3, one = 1;
	unsigned idx = if_nametoindex(ifname);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)idx };
	struct packet_mreq mr = { .mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC };
	struct afp *a;

	if (!idx) {
		snprintf(err, errlen, "uplink afpacket: no interface \"%s\"", ifname);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "uplink afpacket: out of memory");
		return NULL;
	}
	a->ring = MAP_FAILED;
	a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (a->fd < 0) {
		snprintf(err, errlen, "uplink afpacket: %s%s", strerror(errno),
			 errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		goto fail;
	}
	if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) ||
	    setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) ||
	    setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
	    setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) ||
	    bind(a->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		snprintf(err, errlen, "uplink afpacket: %s: %s", ifname, strerror(errno));
		goto fail;
	}
	a->ring_len = (size_t)BLOCK_SIZE * BLOCK_NR;
	a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	if (a->ring == MAP_FAILED) {
		snprintf(err, errlen, "uplink afpacket: cannot map the ring: %s", strerror(errno));
		goto fail;
	}
	a->be = (struct dp_backend){ .rx_burst = afp_rx, .tx_burst = afp_tx, .fd = a->fd,
				     .tx_copies = true };
	return &a->be;
fail:
	ul_afpacket_close(&a->be);
	return NULL;
}

void ul_afpacket_close(struct dp_backend *be)
{
	struct afp *a = (struct afp *)be;

	if (!a)
		return;
	if (a->ring != MAP_FAILED)
		munmap(a->ring, a->ring_len);
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}
