/*
 * fuzz_consume.h - the in-process consumer the fuzz targets attach to
 * ports: it reads the last byte of every frame (ASan catches a length that
 * runs past the buffer), insists the frame is complete (no checksum or
 * segmentation left pending: only netdevs take those) and frees it.
 */
#ifndef SFNIC_FUZZ_CONSUME_H
#define SFNIC_FUZZ_CONSUME_H

#include <stdlib.h>

#include "../../src/dp/dp.h"

static void consume(void *ctx, unsigned w, struct dp_pkt *pkts, unsigned n)
{
	(void)ctx;
	(void)w;
	for (unsigned i = 0; i < n; i++) {
		volatile uint8_t x = dp_pkt_data(&pkts[i])[pkts[i].len - 1];

		(void)x;
		if (pkts[i].ol.gso_type || (pkts[i].ol.flags & DP_OL_NEEDS_CSUM))
			abort();
		dp_pkt_free(&pkts[i]);
	}
}

#endif
