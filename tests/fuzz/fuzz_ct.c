/*
 * fuzz_ct.c - connection tracking under random frames.  The input is a
 * program: each step builds a frame (raw bytes, or a TCP/UDP/ICMP/other
 * packet over IPv4 or IPv6 between two hosts with few ports, in either
 * direction, random TCP flags and ICMP types, or an ICMP error wrapping the
 * previous frame), runs it through a `ct` action (zone, commit, mark,
 * clear, a second action on the same packet), and moves the clock, ages or
 * flushes.  After every step the table must agree with itself: the count
 * equals the connections a walk finds, never more than the maximum, every
 * reply tuple is its original inverted, states are in range, and a commit
 * that was not refused leaves the packet's connection findable.  At the
 * end everything is flushed (a leak would show in LeakSanitizer's report).
 */
#define _LGPL_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "../../src/ct/ct.h"
#include "../../src/ct/ct_internal.h"
#include "fuzz_input.h"

struct walk {
	unsigned n;
};

static void check(const struct ct_info *c, void *arg)
{
	struct ct_tuple inv;

	((struct walk *)arg)->n++;
	ct_tuple_invert(&c->orig, &inv);
	if (memcmp(&inv, &c->reply, sizeof(inv)) || c->tcp_state >= CT_TCP_MAX ||
	    (c->orig.family != 4 && c->orig.family != 6) || c->packets[0] == 0)
		abort();
}

static void invariants(struct ct_table *t, uint64_t now)
{
	struct walk w = { 0 };
	struct ct_stats s;

	ct_foreach(t, now, check, &w);
	ct_stats(t, &s);
	if (s.entries != w.n || s.entries > s.max + 0 || s.found > s.searched)
		abort();
}

/* Builds a packet between hosts 1 and 2 from a few input bytes. */
static uint32_t build(struct fuzz_input *in, uint8_t *f, uint32_t cap, const uint8_t *prev,
		      uint32_t prev_len)
{
	uint8_t kind = fuzz_u8(in), v6 = kind & 1, sel = (uint8_t)(kind >> 1) % 6;
	uint8_t a = 1 + (fuzz_u8(in) & 1), b = 3 - a;
	uint32_t l4, len;

	memset(f, 0, cap);
	if (sel == 5) {         /* raw bytes */
		len = fuzz_u8(in) % 200;
		for (uint32_t i = 0; i < len; i++)
			f[i] = fuzz_u8(in);
		return len;
	}
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		f[14] = 0x60;
		f[14 + 8] = f[14 + 24] = 0xfd;
		f[14 + 23] = a;
		f[14 + 39] = b;
		l4 = 54;
	} else {
		f[14] = 0x45;
		f[14 + 12] = f[14 + 16] = 10;
		f[14 + 15] = a;
		f[14 + 19] = b;
		if (fuzz_u8(in) & 1)       /* sometimes a fragment */
			f[14 + 6] = fuzz_u8(in) & 0x3f, f[14 + 7] = fuzz_u8(in);
		l4 = 34;
	}
	switch (sel) {
	case 0:
	case 1: {               /* TCP or UDP, ports 1000/80 or 1001/80 in either order */
		uint16_t sp = (uint16_t)(1000 + (fuzz_u8(in) & 1)), dp = 80;

		if (a == 2) {
			uint16_t x = sp;
			sp = dp, dp = x;
		}
		f[v6 ? 14 + 6 : 14 + 9] = sel ? 17 : 6;
		f[l4] = (uint8_t)(sp >> 8), f[l4 + 1] = (uint8_t)sp;
		f[l4 + 2] = (uint8_t)(dp >> 8), f[l4 + 3] = (uint8_t)dp;
		f[l4 + 12] = 0x50;
		f[l4 + 13] = fuzz_u8(in) & 0x3f;
		len = l4 + 20;
		break;
	}
	case 2:                 /* ICMP of a random type, id 1 or 2 */
		f[v6 ? 14 + 6 : 14 + 9] = v6 ? 58 : 1;
		f[l4] = fuzz_u8(in);
		f[l4 + 5] = 1 + (fuzz_u8(in) & 1);
		len = l4 + 8;
		break;
	case 3:                 /* an ICMP error about the previous frame */
		f[v6 ? 14 + 6 : 14 + 9] = v6 ? 58 : 1;
		f[l4] = v6 ? 1 + fuzz_u8(in) % 4 : 3;
		len = l4 + 8;
		if (prev_len > 14) {
			uint32_t n = prev_len - 14 < cap - len ? prev_len - 14 : cap - len;

			memcpy(f + len, prev + 14, n);
			len += n;
		}
		break;
	default:                /* GRE by addresses */
		f[v6 ? 14 + 6 : 14 + 9] = 47;
		len = l4 + 4;
		break;
	}
	/* Sometimes cut short. */
	if (fuzz_u8(in) & 0x80)
		len = fuzz_u8(in) % (len + 1);
	return len;
}

/* Entries are freed after a grace period, by liburcu's call_rcu thread, so
 * libFuzzer's per-input leak check (mallocs == frees by the input's end)
 * would run LeakSanitizer on every input, 100 inputs a second.  It is turned
 * off; LeakSanitizer's check at exit stays. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[64];
	static char off[] = "-detect_leaks=0";
	int n = *argc < 62 ? *argc : 62;

	memcpy(args, *argv, (size_t)n * sizeof(char *));
	args[n] = off;
	args[n + 1] = NULL;
	*argc = n + 1;
	*argv = args;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_table *t;
	struct fuzz_input in = { data, size };
	uint8_t frame[256], prev[256];
	uint32_t prev_len = 0;
	uint64_t now = 1000;

	/* One table for the process (creating and destroying one per input
	 * waits for a grace period each time): each input starts from empty. */
	if (!t) {
		rcu_register_thread();
		rcu_thread_offline();
		t = ct_create(16, 2);
		if (!t)
			abort();
	}
	ct_set_max(t, 1 + fuzz_u8(&in) % 16);
	while (in.n) {
		uint8_t op = fuzz_u8(&in);

		if (op < 200) {
			uint32_t len = build(&in, frame, sizeof(frame), prev, prev_len);
			uint8_t fl = fuzz_u8(&in);
			struct ct_args a = { .zone = fl & 3,
					     .flags = (fl & 4 ? CT_COMMIT : 0) |
						      (fl == 0xff ? CT_CLEAR : 0),
					     .mark = fuzz_u8(&in), .mark_mask = fl & 8 ? 0xff : 0 };
			struct ct_meta m = { 0 };
			struct ct_stats before, after;
			uint8_t s;

			ct_stats(t, &before);
			rcu_thread_online();
			s = ct_exec(t, op & 1, frame, len, &a, now, &m);
			if (fl & 0x10) {        /* a second action on the same packet */
				a.flags |= CT_COMMIT;
				s = ct_exec(t, op & 1, frame, len, &a, now, &m);
			}
			rcu_thread_offline();
			ct_stats(t, &after);
			if (s != m.state || (s && !(s & CT_STATE_TRK)) ||
			    ((s & CT_STATE_NEW) && (s & (CT_STATE_EST | CT_STATE_RPL))) ||
			    ((s & CT_STATE_INV) && s != (CT_STATE_TRK | CT_STATE_INV)))
				abort();
			/* A committed +new packet has its connection unless it was refused. */
			if ((a.flags & CT_COMMIT) && !(a.flags & CT_CLEAR) && (s & CT_STATE_NEW) &&
			    !m.entry)
				abort();
			if (after.entries > before.entries + 1)
				abort();
			memcpy(prev, frame, sizeof(prev));
			prev_len = len;
		} else if (op < 230) {
			now += (uint64_t)fuzz_u8(&in) * 1000;
		} else if (op < 250) {
			ct_age(t, now);
		} else {
			ct_flush(t, op & 1 ? -1 : (int)(op & 2));
		}
		invariants(t, now);
	}
	ct_flush(t, -1);
	invariants(t, now);
	return 0;
}
