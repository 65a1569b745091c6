/*
 * fuzz_input.h - a fuzz input read as a program: bytes taken one after the
 * other, zeros once it is used up (so every input is a whole program and a
 * short one simply ends on defaults).  Wider reads take their bytes in
 * order, each in a statement of its own: the operands of | are unsequenced
 * in C, so `u8(in) | u8(in) << 8` may read them either way round.
 */
#ifndef SFNIC_FUZZ_INPUT_H
#define SFNIC_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_input {
	const uint8_t *p;
	size_t n;               /* bytes left */
};

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* Little-endian. */
static inline uint16_t fuzz_u16le(struct fuzz_input *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32le(struct fuzz_input *in)
{
	uint32_t lo = fuzz_u16le(in);

	return lo | (uint32_t)fuzz_u16le(in) << 16;
}

/* Big-endian (network order). */
static inline uint16_t fuzz_u16be(struct fuzz_input *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

#endif
