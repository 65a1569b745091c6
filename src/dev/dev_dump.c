/*
 * dev_dump.c - RESOURCE_DUMP: every object the device owns as one paged
 * stream of segments (layout in dev_cmd.h, decoder in dev_dump_decode.c),
 * inline or into the caller's umem, as mlx5's resource dump with its
 * more_dump cursor.
 *
 * Segments reuse the listers of the paged queries (dev_query.c), so a dump
 * and the queries always agree.  The cursor is (segment type << 48 |
 * position in that segment); the destination is only ever written.
 */
#include "dev_internal.h"

#include <string.h>

#include "dev_dump.h"

#define POS_MASK ((1ull << 48) - 1)
#define ALL_SEGS (((1u << (DEV_DUMP_SEG_MAX + 1)) - 1) & ~1u)

static uint32_t list_caps(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done)
{
	struct dev_hca_cap c;

	*done = *pos > 0;
	if (*done || cap < sizeof(c))
		return 0;
	dev_hca_cap_fill(d, &c);
	memcpy(buf, &c, sizeof(c));
	*pos = 1;
	*done = true;
	return 1;
}

static uint32_t list_esw(struct dev *d, uint64_t *pos, uint8_t *buf, size_t cap, bool *done)
{
	struct dev_dump_esw e = { .esw = d->esw, .tainted = d->tainted };

	*done = *pos > 0;
	if (*done || cap < sizeof(e))
		return 0;
	memcpy(buf, &e, sizeof(e));
	*pos = 1;
	*done = true;
	return 1;
}

static dev_lister seg_lister(unsigned type)
{
	switch (type) {
	case DEV_DUMP_SEG_CAPS: return list_caps;
	case DEV_DUMP_SEG_ESW: return list_esw;
	case DEV_DUMP_SEG_FUNCTIONS: return dev_list_functions;
	case DEV_DUMP_SEG_FLOWS: return dev_list_flows;
	case DEV_DUMP_SEG_POOLS: return dev_list_pools;
	case DEV_DUMP_SEG_QUEUES: return dev_list_queues;
	default: return dev_list_eq;
	}
}

uint8_t dev_cmd_resource_dump(struct ctx *c)
{
	const struct dev_resource_dump_in *in = c->in;
	struct dev_resource_dump_out *o = c->out;
	uint32_t mask;
	unsigned type;
	uint64_t pos, cap, written = 0, next = 0;
	uint8_t *buf, st;

	NEED_IO(c, *in, *o);
	mask = in->segments ? in->segments : ALL_SEGS;
	if (mask & ~ALL_SEGS)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_DUMP_BAD_SEGMENTS);
	type = in->cursor ? (unsigned)(in->cursor >> 48) : 1;
	pos = in->cursor & POS_MASK;
	if (type < 1 || type > DEV_DUMP_SEG_MAX)
		return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_BAD_CURSOR);
	if (in->umem_id) {
		cap = in->umem_len;
		st = dev_umem_range(c, in->umem_id, in->umem_offset, &cap, &buf);
		if (st != DEV_STAT_OK)
			return st;
	} else {
		if (in->umem_offset || in->umem_len)
			return dev_fail(c, DEV_STAT_BAD_PARAM, DEV_SYND_RESERVED_NOT_ZERO);
		buf = (uint8_t *)(o + 1);
		cap = c->outlen - sizeof(*o);
	}
	for (; type <= DEV_DUMP_SEG_MAX; type++, pos = 0) {
		size_t rec = dev_dump_rec_size((uint16_t)type);
		struct dev_dump_seg seg = { .type = (uint16_t)type };
		uint32_t n;
		bool done;

		if (!(mask & DEV_DUMP_MASK(type)))
			continue;
		if (cap - written < sizeof(seg) + rec) {
			next = (uint64_t)type << 48 | pos;
			break;
		}
		n = seg_lister(type)(c->d, &pos, buf + written + sizeof(seg),
				     cap - written - sizeof(seg), &done);
		if (!n && !done) {
			next = (uint64_t)type << 48 | pos;
			break;
		}
		seg.len = (uint32_t)(n * rec);
		seg.flags = done ? 0 : DEV_DUMP_SEG_MORE;
		memcpy(buf + written, &seg, sizeof(seg));
		written += sizeof(seg) + seg.len;
		if (!done) {
			next = (uint64_t)type << 48 | pos;
			break;
		}
	}
	if (!written && next)
		return dev_fail(c, DEV_STAT_BAD_OUTPUT_LEN, DEV_SYND_PAGE_TOO_SMALL);
	o->next = next;
	o->len = (uint32_t)written;
	return DEV_STAT_OK;
}
