/*
 * ul_internal.h - uplink drivers behind ul.c.  Each opens a backend for p0
 * on a Linux interface; ul.c attaches it to the datapath.
 */
#ifndef SFNIC_UL_INTERNAL_H
#define SFNIC_UL_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "../dp/dp.h"

/* AF_PACKET (TPACKET_V3 receive ring, sendmmsg transmit).  NULL with a
 * one-line reason in err. */
void *ul_afpacket_open(const char *ifname, char *err, size_t errlen);
const struct dp_backend *ul_afpacket_backend(void *ctx);
void ul_afpacket_close(void *ctx);

/* AF_XDP through libxdp on queue q of ifname; its UMEM is p0's page-pool
 * region, so frames are received into and sent from pool buffers without
 * a copy.  NULL with a one-line reason in err. */
void *ul_afxdp_open(struct dp *dp, const char *ifname, unsigned q, char *err, size_t errlen);
const struct dp_backend *ul_afxdp_backend(void *ctx);
/* Call after the backend was detached: returns every buffer to its pool. */
void ul_afxdp_close(void *ctx);

#endif
