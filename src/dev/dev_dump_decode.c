/*
 * dev_dump_decode.c - the resource dump's decoder (dev_dump.h), shared by
 * the tests and the sfnicctl tool.
 */
#include "dev_dump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t dev_dump_rec_size(uint16_t type)
{
	switch (type) {
	case DEV_DUMP_SEG_CAPS: return sizeof(struct dev_hca_cap);
	case DEV_DUMP_SEG_ESW: return sizeof(struct dev_dump_esw);
	case DEV_DUMP_SEG_FUNCTIONS: return sizeof(struct dev_esw_function);
	case DEV_DUMP_SEG_FLOWS: return sizeof(struct dev_flow_entry);
	case DEV_DUMP_SEG_POOLS: return sizeof(struct dev_pool_entry);
	case DEV_DUMP_SEG_QUEUES: return sizeof(struct dev_queue_entry);
	case DEV_DUMP_SEG_EQ: return sizeof(struct dev_eqe);
	default: return 0;
	}
}

const char *dev_dump_seg_name(uint16_t type)
{
	static const char *const names[] = { NULL, "caps", "esw", "functions", "flows",
					     "pools", "queues", "eq" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

int dev_dump_decode(const void *buf, size_t len, dev_dump_cb cb, void *arg)
{
	const uint8_t *p = buf;
	/* Records are copied out so that a callback may read their fields
	 * whatever the buffer's alignment (a file read at any offset). */
	union { uint64_t align; uint8_t b[4096]; } rec;

	_Static_assert(sizeof(struct dev_flow_entry) <= sizeof(rec.b), "record fits");
	while (len) {
		struct dev_dump_seg seg;
		size_t size;
		int ret = 0;

		if (len < sizeof(seg))
			return -EBADMSG;
		memcpy(&seg, p, sizeof(seg));
		p += sizeof(seg);
		len -= sizeof(seg);
		if (seg.len > len)
			return -EBADMSG;
		size = dev_dump_rec_size(seg.type);
		if (!size) {
			void *copy = malloc(seg.len ? seg.len : 1);

			if (!copy)
				return -ENOMEM;
			memcpy(copy, p, seg.len);
			ret = cb(seg.type, copy, seg.len, arg);
			free(copy);
		} else {
			if (seg.len % size)
				return -EBADMSG;
			for (size_t off = 0; off < seg.len && !ret; off += size) {
				memcpy(rec.b, p + off, size);
				ret = cb(seg.type, rec.b, size, arg);
			}
		}
		if (ret)
			return ret;
		p += seg.len;
		len -= seg.len;
	}
	return 0;
}
