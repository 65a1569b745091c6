/*
 * fuzz_dev_cmd.c - arbitrary command mailboxes into the device.  The ctl
 * channel passes raw commands from users, so the device must reject any
 * byte string cleanly, whoever sends it.  A few user contexts exist (every
 * capability set from none to all), two of them with a umem (exact-size
 * allocations, so ASan sees any write out of bounds).  Input: a sequence
 * of [u8 who][u16 inlen][u16 outlen][bytes]; who picks the uid stamped on
 * the command: the driver (0), one of the contexts, or whatever the bytes
 * say.  The driver never issues CREATE_UMEM here: its address is trusted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dev/dev.h"

#define NCTX 5

static uint16_t mk_uctx(struct dev *d, uint32_t cap)
{
	struct dev_create_uctx_in in = { .hdr.opcode = DEV_CMD_CREATE_UCTX, .cap = cap };
	struct dev_create_uctx_out o;

	return dev_cmd_exec(d, &in, sizeof(in), &o, sizeof(o)) == DEV_STAT_OK ? o.uid : 0;
}

static void mk_umem(struct dev *d, uint16_t owner, void *p, uint64_t len)
{
	struct dev_create_umem_in in = { .hdr.opcode = DEV_CMD_CREATE_UMEM,
					 .addr = (uintptr_t)p, .len = len, .owner_uid = owner };
	struct dev_create_umem_out o;

	(void)dev_cmd_exec(d, &in, sizeof(in), &o, sizeof(o));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t caps[NCTX] = { 0, 0x1, 0x3, 0x7, 0xf };
	struct dev *d = dev_create(8, 4);
	uint16_t uid[NCTX];
	uint8_t *um[2];
	struct dev_eqe e;

	if (!d)
		return 0;
	for (int i = 0; i < NCTX; i++)
		uid[i] = mk_uctx(d, caps[i]);
	um[0] = malloc(4096);
	um[1] = malloc(1000);
	mk_umem(d, uid[2], um[0], 4096);
	mk_umem(d, uid[4], um[1], 1000);
	while (size >= 5) {
		uint8_t who = data[0];
		size_t inlen = data[1] | (size_t)data[2] << 8;
		size_t outlen = (data[3] | (size_t)data[4] << 8) % 4097;
		uint8_t *in, *out;

		data += 5;
		size -= 5;
		if (inlen > size)
			inlen = size;
		/* Exact-size copies so that ASan catches any access past the
		 * lengths. */
		in = malloc(inlen ? inlen : 1);
		out = malloc(outlen ? outlen : 1);
		memcpy(in, data, inlen);
		if (inlen >= 4 && who % 8 < NCTX + 1) {
			uint16_t u = who % 8 == NCTX ? 0 : uid[who % 8];

			memcpy(in + 2, &u, 2);
		}
		if (inlen >= 4 && !(in[2] | in[3]) &&
		    (in[0] | in[1] << 8) == DEV_CMD_CREATE_UMEM)
			in[0] = in[1] = 0;
		(void)dev_cmd_exec(d, in, inlen, out, outlen);
		free(in);
		free(out);
		data += inlen;
		size -= inlen;
		while (dev_eq_poll(d, &e))
			;
	}
	dev_destroy(d);
	free(um[0]);
	free(um[1]);
	return 0;
}
