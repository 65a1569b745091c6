/*
 * ul_afxdp.c - the uplink on a Linux interface through AF_XDP (libxdp).
 *
 * The UMEM is p0's page-pool region itself (2 KiB chunks, the pools' own
 * buffer size), so a received frame is already in a pool buffer and a
 * frame sent from the host domain goes out of the buffer it is in: no copy
 * on either side (frames from an SF are copied once into p0's pool, as any
 * domain crossing is).  On drivers without zero-copy support (veth) the
 * kernel copies between the skb and the UMEM (XDP_COPY).
 *
 * Every buffer lent to the kernel (fill ring, tx ring) is recorded in
 * lent[buf] with the pool it goes home to; rx and tx completion clear it,
 * and close returns whatever the kernel still had.
 */
#include "ul_internal.h"

#include "../util/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <xdp/xsk.h>

#define RING_SIZE 2048
#define FILL_BATCH 64

struct axdp {
	struct dp_backend be;           /* first: the backend is the handle */
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	struct pp_region *region;
	uint32_t nbufs;
	struct pp_pool *_Atomic *lent;  /* [nbufs]: lent to the kernel, and whose */
	pthread_spinlock_t tx_lock;     /* tx and completion rings: workers share them */
};

static void reap_completions(struct axdp *x)
{
	uint32_t idx, n = xsk_ring_cons__peek(&x->comp, RING_SIZE, &idx);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&x->comp, idx + i);
		uint32_t buf = (uint32_t)(addr / PP_BUF_SIZE);
		struct pp_pool *pool = atomic_exchange_explicit(&x->lent[buf], NULL,
								memory_order_relaxed);

		if (pool)
			pp_put(pool, buf);
	}
	if (n)
		xsk_ring_cons__release(&x->comp, n);
}

static void refill(struct axdp *x, struct pp_pool *pool)
{
	uint32_t bufs[FILL_BATCH], idx, want = xsk_prod_nb_free(&x->fill, FILL_BATCH), got;
	unsigned n = 0;

	if (want > FILL_BATCH)
		want = FILL_BATCH;
	while (n < want) {
		uint32_t b = pp_alloc(pool);

		if (b == PP_NO_BUF)
			break;
		bufs[n++] = b;
	}
	got = n ? xsk_ring_prod__reserve(&x->fill, n, &idx) : 0;
	for (uint32_t i = 0; i < got; i++) {
		atomic_store_explicit(&x->lent[bufs[i]], pool, memory_order_relaxed);
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = (uint64_t)bufs[i] * PP_BUF_SIZE;
	}
	if (got)
		xsk_ring_prod__submit(&x->fill, got);
	for (uint32_t i = got; i < n; i++)
		pp_put(pool, bufs[i]);
	if (xsk_ring_prod__needs_wakeup(&x->fill))
		recvfrom(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static unsigned axdp_rx(void *ctx, struct pp_pool *pool, struct dp_pkt *pkts, unsigned max)
{
	struct axdp *x = ctx;
	uint32_t idx, n;

	refill(x, pool);
	n = xsk_ring_cons__peek(&x->rx, max, &idx);
	for (uint32_t i = 0; i < n; i++) {
		/* Aligned mode: addr is the frame's data, inside its chunk. */
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
		uint32_t buf = (uint32_t)(d->addr / PP_BUF_SIZE);
		struct pp_pool *home = atomic_exchange_explicit(&x->lent[buf], NULL,
								memory_order_relaxed);

		pkts[i] = (struct dp_pkt){ .pool = home ? home : pool, .buf = buf,
					   .off = (uint16_t)(d->addr % PP_BUF_SIZE),
					   .len = (uint16_t)d->len };
	}
	if (n)
		xsk_ring_cons__release(&x->rx, n);
	/* Completions too, or an idle link would keep sent buffers forever. */
	if (pthread_spin_trylock(&x->tx_lock) == 0) {
		reap_completions(x);
		pthread_spin_unlock(&x->tx_lock);
	}
	return n;
}

static unsigned axdp_tx(void *ctx, unsigned worker, struct dp_pkt *pkts, unsigned n,
			enum dp_drop *why)
{
	struct axdp *x = ctx;
	uint32_t idx, got;

	(void)worker;
	(void)why;
	pthread_spin_lock(&x->tx_lock);
	reap_completions(x);
	got = xsk_ring_prod__reserve(&x->tx, n, &idx);
	for (uint32_t i = 0; i < got; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx + i);

		/* Host-domain buffers only reach here (tx_copies is false), and
		 * the host region is the UMEM. */
		atomic_store_explicit(&x->lent[pkts[i].buf], pkts[i].pool, memory_order_relaxed);
		d->addr = (uint64_t)pkts[i].buf * PP_BUF_SIZE + pkts[i].off;
		d->len = pkts[i].len;
	}
	if (got) {
		xsk_ring_prod__submit(&x->tx, got);
		if (xsk_ring_prod__needs_wakeup(&x->tx))
			sendto(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
	}
	pthread_spin_unlock(&x->tx_lock);
	for (uint32_t i = got; i < n; i++)
		dp_pkt_free(&pkts[i]);
	return got;
}

struct dp_backend *ul_afxdp_open(struct dp *dp, const char *ifname, unsigned q, char *err,
				 size_t errlen)
{
	struct xsk_umem_config ucfg = {
		.fill_size = RING_SIZE, .comp_size = RING_SIZE, .frame_size = PP_BUF_SIZE,
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = RING_SIZE, .tx_size = RING_SIZE, .bind_flags = XDP_USE_NEED_WAKEUP,
	};
	struct axdp *x;
	int ret;

	if (!if_nametoindex(ifname)) {
		snprintf(err, errlen, "uplink afxdp: no interface \"%s\"", ifname);
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "uplink afxdp: out of memory");
		return NULL;
	}
	pthread_spin_init(&x->tx_lock, PTHREAD_PROCESS_PRIVATE);
	x->region = dp_port_region(dp, DP_VPORT_UPLINK, false);
	x->nbufs = x->region ? pp_region_nbufs(x->region) : 0;
	x->lent = calloc(x->nbufs ? x->nbufs : 1, sizeof(*x->lent));
	if (!x->region || !x->lent) {
		snprintf(err, errlen, "uplink afxdp: out of memory");
		goto fail;
	}
	ret = xsk_umem__create(&x->umem, pp_region_base(x->region),
			       (uint64_t)x->nbufs * PP_BUF_SIZE, &x->fill, &x->comp, &ucfg);
	if (ret) {
		snprintf(err, errlen, "uplink afxdp: cannot register the UMEM: %s%s",
			 strerror(-ret), ret == -EPERM ? " (needs CAP_NET_ADMIN and CAP_BPF)" : "");
		goto fail;
	}
	ret = xsk_socket__create(&x->xsk, ifname, q, x->umem, &x->rx, &x->tx, &scfg);
	if (ret) {
		snprintf(err, errlen, "uplink afxdp: %s queue %u: %s", ifname, q, strerror(-ret));
		goto fail;
	}
	x->be = (struct dp_backend){ .rx_burst = axdp_rx, .tx_burst = axdp_tx,
				     .fd = xsk_socket__fd(x->xsk), .tx_copies = false,
				     .poll_always = true };
	return &x->be;
fail:
	ul_afxdp_close(&x->be);
	return NULL;
}

void ul_afxdp_close(struct dp_backend *be)
{
	struct axdp *x = (struct axdp *)be;

	if (!x)
		return;
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	/* The kernel let go of everything: what it still had goes home. */
	for (uint32_t b = 0; x->lent && b < x->nbufs; b++) {
		struct pp_pool *pool = atomic_load(&x->lent[b]);

		if (pool)
			pp_put(pool, b);
	}
	free(x->lent);
	pthread_spin_destroy(&x->tx_lock);
	free(x);
}
