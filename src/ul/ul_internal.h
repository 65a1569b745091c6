/*
 * ul_internal.h - uplink drivers behind ul.c.  Each opens a backend for p0
 * on a Linux interface; ul.c attaches it to the datapath.  The returned
 * backend is the driver's handle: it is also the ctx its callbacks take.
 */
#ifndef SFNIC_UL_INTERNAL_H
#define SFNIC_UL_INTERNAL_H

#include <stddef.h>

#include "../dp/dp.h"
#include "ul.h"

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

/* A memif client (memif 2.0) of the server on socket file path, with
 * interface id and secret ("" for none).  Region 1 is p0's page-pool
 * region (the datapath must give p0 its own: dp_config.uplink_own_region).
 * Connects now and whenever the connection is lost, once a second, from
 * the control thread (fds registered through watch); p0's backend is
 * attached only while connected.  NULL with a one-line reason in err when
 * it cannot even start (a server that is not there is not an error). */
struct ul_memif;
struct ul_memif *ul_memif_open(struct dp *dp, const char *path, uint32_t id,
			       const char *secret, ul_watch_fn watch, void *loop, char *err,
			       size_t errlen);
/* Tells the server, detaches from p0, returns every buffer to its pool,
 * closes and unmaps.  The event loop must not call back any more. */
void ul_memif_close(struct ul_memif *m);

#endif
