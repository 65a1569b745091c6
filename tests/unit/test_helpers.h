/* test_helpers.h - a devlink layer over a temporary store, for unit tests. */
#ifndef SFNIC_TEST_HELPERS_H
#define SFNIC_TEST_HELPERS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/aux/aux.h"
#include "../../src/dev/dev.h"
#include "../../src/dl/dl.h"
#include "../../src/store/store.h"

struct fixture {
	char dir[64];
	struct store *st;
	struct aux_bus *bus;
	struct dev *dev;
	struct dl *dl;
	struct dl_err err;
};

static inline void fx_start(struct fixture *f)
{
	char err[256];

	f->bus = aux_bus_create();
	f->dev = dev_create(1024, 1024);
	assert_int_equal(store_open(f->dir, &f->st, err, sizeof(err)), 0);
	f->dl = dl_create(f->dev, f->bus, f->st, "sfnic0", &f->err);
	assert_non_null(f->dl);
}

static inline void fx_stop(struct fixture *f)
{
	dl_destroy(f->dl);
	dev_destroy(f->dev);
	aux_bus_destroy(f->bus);
	store_close(f->st);
}

static inline int fx_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/sfnic-unit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fx_start(f);
	*state = f;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	fx_stop(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

#endif
