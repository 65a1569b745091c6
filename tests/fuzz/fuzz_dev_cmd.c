/*
 * fuzz_dev_cmd.c - arbitrary command mailboxes into the device.  The ctl
 * channel will pass raw commands from users, so the device must reject any
 * byte string cleanly.  Input: a sequence of [u16 inlen][u16 outlen][bytes].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dev/dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dev *d = dev_create(8, 4);
	uint8_t out[256];
	struct dev_eqe e;

	if (!d)
		return 0;
	while (size >= 4) {
		size_t inlen = data[0] | (size_t)data[1] << 8;
		size_t outlen = (data[2] | (size_t)data[3] << 8) % (sizeof(out) + 1);
		uint8_t *in;

		data += 4;
		size -= 4;
		if (inlen > size)
			inlen = size;
		/* Exact-size copies so that ASan catches any read past inlen. */
		in = malloc(inlen ? inlen : 1);
		memcpy(in, data, inlen);
		(void)dev_cmd_exec(d, in, inlen, out, outlen);
		free(in);
		data += inlen;
		size -= inlen;
		while (dev_eq_poll(d, &e))
			;
	}
	dev_destroy(d);
	return 0;
}
