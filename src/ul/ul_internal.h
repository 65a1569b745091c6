/*
 * ul_internal.h - uplink drivers behind ul.c.  Each opens a backend for p0
 * on a Linux interface; ul.c attaches it to the datapath.  The returned
 * backend is the driver's handle: it is also the ctx its callbacks take.
 */
#ifndef SFNIC_UL_INTERNAL_H
#define SFNIC_UL_INTERNAL_H

#include <stddef.h>

#include "../dp/dp.h"

/* AF_PACKET (TPACKET_V3 receive ring, sendmmsg transmit).  NULL with a
 * one-line reason in err. */
struct dp_backend *ul_afpacket_open(const char *ifname, char *err, size_t errlen);
void ul_afpacket_close(struct dp_backend *be);

/* AF_XDP through libxdp on queue q of ifname; its UMEM is p0's page-pool
 * region, so frames are received into and sent from pool buffers without
 * a copy.  NULL with a one-line reason in err. */
struct dp_backend *ul_afxdp_open(struct dp *dp, const char *ifname, unsigned q, char *err,
				 size_t errlen);
/* Call after the backend was detached: returns every buffer to its pool. */
void ul_afxdp_close(struct dp_backend *be);

#endif
