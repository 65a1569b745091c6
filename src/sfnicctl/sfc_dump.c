/*
 * sfc_dump.c - `sfnicctl resource-dump`: the device's resource dump
 * (RESOURCE_DUMP, mlx5's more_dump paging), decoded with the device's own
 * decoder (dev_dump_decode(), linked alone), or saved raw and decoded later.
 *
 * A saved file is the concatenated pages, exactly the stream the decoder
 * walks: `resource-dump -o F` then `resource-dump -r F` prints what
 * `resource-dump` would have.
 */
#include "sfnicctl.h"
#include "../dev/dev_dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_PAGE (256 * 1024)
#define DUMP_FILE_MAX (256u << 20)

struct decode_ctx {
	struct sfc *c;
	json_t *top;
	uint16_t last;
};

static int on_rec(uint16_t type, const void *rec, size_t size, void *arg)
{
	struct decode_ctx *d = arg;
	const char *name = dev_dump_seg_name(type);
	char unknown[32];
	json_t *arr = NULL;

	if (!name) {
		snprintf(unknown, sizeof(unknown), "segment_%u", type);
		name = unknown;
	}
	if (d->c->json) {
		arr = json_object_get(d->top, name);
		if (!arr) {
			arr = json_array();
			json_object_set_new(d->top, name, arr);
		}
	} else if (type != d->last) {
		printf("%s:\n", name);
	}
	d->last = type;
	if (!dev_dump_rec_size(type)) {
		/* A newer device's segment: its size, not its meaning. */
		if (arr)
			json_array_append_new(arr, json_pack("{s:i}", "bytes", (int)size));
		else
			printf("  (%zu bytes this tool cannot decode)\n", size);
		return 0;
	}
	if (!d->c->json)
		fputs("  ", stdout);
	sfc_print_dump_rec(d->c, type, rec, arr);
	return 0;
}

static int decode(struct sfc *c, const void *buf, size_t len)
{
	struct decode_ctx d = { c, json_object(), 0 };
	int ret = dev_dump_decode(buf, len, on_rec, &d);

	if (ret) {
		json_decref(d.top);
		return sfc_fail(c, 1, "the dump does not decode: %s", strerror(-ret));
	}
	if (c->json)
		sfc_print_json(c, d.top);
	else
		json_decref(d.top);
	return 0;
}

static int seg_by_name(const char *s)
{
	for (uint16_t t = 1; t <= DEV_DUMP_SEG_MAX; t++)
		if (dev_dump_seg_name(t) && !strcmp(dev_dump_seg_name(t), s))
			return t;
	return -1;
}

/* Fetches every page into *buf (malloc'd). */
static int fetch(struct sfc *c, uint32_t segments, uint8_t **buf, size_t *len)
{
	struct dev_resource_dump_in in = { .hdr.opcode = DEV_CMD_RESOURCE_DUMP,
					   .segments = segments };
	size_t outlen = sizeof(struct dev_resource_dump_out) + DUMP_PAGE;
	uint8_t *out = malloc(outlen), *all = NULL;
	size_t n = 0;

	if (!out)
		return sfc_fail(c, 1, "out of memory");
	do {
		struct dev_resource_dump_out o;
		uint8_t *grown;

		if (sfc_cmd(c, &in, sizeof(in), out, outlen)) {
			free(out);
			free(all);
			return sfc_fail(c, 1, "%s", c->err);
		}
		memcpy(&o, out, sizeof(o));
		if (o.len > DUMP_PAGE || n + o.len > DUMP_FILE_MAX ||
		    !(grown = realloc(all, n + o.len + 1))) {
			free(out);
			free(all);
			return sfc_fail(c, 1, "RESOURCE_DUMP: page of %u bytes out of bounds", o.len);
		}
		all = grown;
		memcpy(all + n, out + sizeof(o), o.len);
		n += o.len;
		in.cursor = o.next;
	} while (in.cursor);
	free(out);
	*buf = all;
	*len = n;
	return 0;
}

int sfc_cmd_dump(struct sfc *c, int argc, char **argv)
{
	const char *ofile = NULL, *rfile = NULL;
	uint32_t segments = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	for (int i = 0; i < argc; i++) {
		int t;

		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "-r")) && i + 1 < argc) {
			*(argv[i][1] == 'o' ? &ofile : &rfile) = argv[i + 1];
			i++;
		} else if ((t = seg_by_name(argv[i])) > 0) {
			segments |= DEV_DUMP_MASK(t);
		} else {
			return sfc_fail(c, EINVAL, "unknown segment \"%s\" (caps esw functions flows pools "
					"queues eq)", argv[i]);
		}
	}
	if (rfile) {
		FILE *f = fopen(rfile, "rb");

		if (ofile || segments)
			return sfc_fail(c, EINVAL, "-r takes no segments and no -o");
		if (!f)
			return sfc_fail(c, 1, "%s: %s", rfile, strerror(errno));
		buf = malloc(DUMP_FILE_MAX);
		len = buf ? fread(buf, 1, DUMP_FILE_MAX, f) : 0;
		fclose(f);
		if (!buf)
			return sfc_fail(c, 1, "out of memory");
		ret = decode(c, buf, len);
		free(buf);
		return ret;
	}
	if ((ret = fetch(c, segments, &buf, &len)))
		return ret;
	if (ofile) {
		FILE *f = fopen(ofile, "wb");

		if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
			free(buf);
			return sfc_fail(c, 1, "%s: %s", ofile, strerror(errno));
		}
		if (!c->json)
			printf("%zu bytes written to %s\n", len, ofile);
		free(buf);
		return 0;
	}
	ret = decode(c, buf, len);
	free(buf);
	return ret;
}
