/*
 * sfc_ring.h - reading a device ring in umem (tracer, sampler) as
 * dev_cmd.h's ring protocol says: load producer with acquire, copy the
 * entries not yet seen, load producer again and drop (count as lost) those
 * the device may have overwritten while they were copied.
 */
#ifndef SFNIC_SFC_RING_H
#define SFNIC_SFC_RING_H

#include <stdint.h>
#include <string.h>

#include "../dev/dev_cmd.h"

struct sfc_ring {
	const struct dev_ring_hdr *hdr;
	const uint8_t *entries;
	uint64_t pos;           /* next entry index to read */
	uint64_t lost;
};

static inline void sfc_ring_init(struct sfc_ring *r, const void *base)
{
	r->hdr = base;
	r->entries = (const uint8_t *)base + sizeof(struct dev_ring_hdr);
	r->pos = r->lost = 0;
}

/* Copies up to max new entries into out (entry_size each); returns how
 * many.  Entries overwritten before they were read are added to lost. */
static inline unsigned sfc_ring_read(struct sfc_ring *r, void *out, unsigned max)
{
	uint64_t p = __atomic_load_n(&r->hdr->producer, __ATOMIC_ACQUIRE), p2, first;
	uint32_t cnt = r->hdr->entry_count, esz = r->hdr->entry_size;
	unsigned n = 0;

	if (!cnt || !esz)
		return 0;
	if (p - r->pos > cnt) {
		r->lost += p - r->pos - cnt;
		r->pos = p - cnt;
	}
	for (uint64_t i = r->pos; i < p && n < max; i++, n++)
		memcpy((uint8_t *)out + (size_t)n * esz, r->entries + (size_t)(i % cnt) * esz, esz);
	p2 = __atomic_load_n(&r->hdr->producer, __ATOMIC_ACQUIRE);
	/* Entries below p2 - cnt + 1 may have been rewritten under the copy. */
	first = p2 >= cnt ? p2 - cnt + 1 : 0;
	if (first > r->pos) {
		uint64_t bad = first - r->pos < n ? first - r->pos : n;

		memmove(out, (uint8_t *)out + bad * esz, (size_t)(n - bad) * esz);
		r->lost += bad;
		n -= (unsigned)bad;
		r->pos += bad;
	}
	r->pos += n;
	return n;
}

#endif
