/*
 * fuzz_api.c - arbitrary request lines through the daemon's whole request
 * path (JSON parsing, dispatch, devlink layer, device, store), as a hostile
 * client on the control socket would send them.  One daemon state persists
 * across inputs, so sequences build on each other.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api/api.h"
#include "../../src/aux/aux.h"
#include "../../src/dev/dev.h"
#include "../../src/dl/dl.h"
#include "../../src/store/store.h"

static struct dl *dl;

static void init(void)
{
	static char dir[] = "/dev/shm/sfnic-fuzz-XXXXXX";
	struct dl_err err;
	struct store *st;
	char e[256];

	if (!mkdtemp(dir) || store_open(dir, &st, e, sizeof(e)))
		abort();
	dl = dl_create(dev_create(64, 64), aux_bus_create(), st, "sfnic0", &err);
	if (!dl)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (!dl)
		init();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(len ? len : 1);
		bool mon;
		json_t *r;

		memcpy(line, p, len);
		r = api_dispatch(dl, line, len, &mon);
		if (!r || !json_is_boolean(json_object_get(r, "ok")))
			abort();
		json_decref(r);
		free(line);
		dl_process_events(dl);
		p += len + 1;
	}
	return 0;
}
