/*
 * dev_dump.h - decoding a resource dump (RESOURCE_DUMP, dev_cmd.h).
 *
 * A dump is a byte stream of segments: struct dev_dump_seg, then len bytes
 * of fixed-size records of that segment's type.  Pages of one dump, written
 * one after the other, form one stream.  This decoder has no dependency on
 * the device (only dev_cmd.h), so that sfnicctl links dev_dump_decode.c
 * alone; it trusts nothing in the buffer.
 */
#ifndef SFNIC_DEV_DUMP_H
#define SFNIC_DEV_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "dev_cmd.h"

/* Record size of a segment type, 0 for a type this version does not know. */
size_t dev_dump_rec_size(uint16_t type);

/* Name of a segment type ("caps", "esw", "functions", "flows", "pools",
 * "queues", "eq"); NULL for an unknown one. */
const char *dev_dump_seg_name(uint16_t type);

/*
 * Called once per record: rec points at an aligned copy of it (valid until
 * the callback returns), size is dev_dump_rec_size(type).  For a segment of
 * unknown type it is called once with the whole payload (len bytes,
 * aligned copy too) so a newer dump still decodes.  A non-zero return
 * stops decoding and is returned by dev_dump_decode().
 */
typedef int (*dev_dump_cb)(uint16_t type, const void *rec, size_t size, void *arg);

/* Walks buf/len (any alignment).  Returns 0, the callback's non-zero
 * return, -EBADMSG for a truncated header, a length beyond the buffer or
 * not a multiple of the type's record size, or -ENOMEM (an unknown segment
 * too large to copy). */
int dev_dump_decode(const void *buf, size_t len, dev_dump_cb cb, void *arg);

#endif
