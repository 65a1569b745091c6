/*
 * fuzz_steer.c - RX steering: the ntuple parser the daemon runs on every
 * `ethtool -N` a client sends, and the matcher workers run on every frame.
 *
 * Input, by its first byte:
 *   even: words separated by NUL bytes for steer_parse().  A refusal must
 *         say why; a rule must be valid, print as ethtool does, and come
 *         back identical when its reported fields are parsed again.
 *   odd:  the next byte is a rule count n (0..7), then n raw 144-byte rules
 *         (any bytes are a safe rule), then a frame, copied into a buffer
 *         of exactly its length so ASan sees any read past it.
 *         steer_classify() must return one of the rules' actions or
 *         STEER_NO_MATCH; printing the raw rules must not crash either.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/steer/steer.h"

struct words {
	char buf[2048];
	size_t n;
	const char *argv[96];
	int argc;
};

static void word(struct words *w, const char *s)
{
	size_t len = strlen(s) + 1;

	if (w->argc == 96 || w->n + len > sizeof(w->buf))
		abort();        /* a rule has at most 16 fields: never this long */
	memcpy(w->buf + w->n, s, len);
	w->argv[w->argc++] = w->buf + w->n;
	w->n += len;
}

static void field_words(const struct steer_field *f, void *arg)
{
	word(arg, f->name);
	word(arg, f->value);
	word(arg, "m");
	word(arg, f->mask);
}

/* The parts of a rule that decide what it does. */
static void same_rule(const struct steer_rule *a, const struct steer_rule *b)
{
	if (a->flow_type != b->flow_type || a->action != b->action || a->loc != b->loc)
		abort();
	for (int i = 0; i < 8; i++)
		if (a->mask.w[i] != b->mask.w[i] ||
		    (a->key.w[i] & a->mask.w[i]) != (b->key.w[i] & b->mask.w[i]))
			abort();
}

static void parse_one(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), err[256] = "", num[32];
	const char *argv[64];
	struct steer_rule r, r2;
	struct words w = { .n = 0 };
	int argc = 0, n;

	memcpy(buf, data, size);
	buf[size] = 0;
	for (size_t i = 0; i <= size && argc < 64;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	if (steer_parse(argc, argv, &r, err, sizeof(err))) {
		if (!err[0])
			abort();        /* every refusal says why */
		free(buf);
		return;
	}
	if (!steer_rule_valid(&r))
		abort();
	n = steer_format(&r, NULL, 0);
	if (n <= 0)
		abort();
	{
		char *text = malloc((size_t)n + 1);

		if (steer_format(&r, text, (size_t)n + 1) != n || strncmp(text, "Filter: ", 8) ||
		    strcmp(text + n - 2, "\n\n"))
			abort();
		free(text);
	}
	/* What -j reports is enough to make the same rule again. */
	word(&w, "flow-type");
	word(&w, steer_flow_name(r.flow_type));
	steer_fields(&r, field_words, &w);
	word(&w, "action");
	snprintf(num, sizeof(num), "%d", r.action);
	word(&w, num);
	word(&w, "loc");
	snprintf(num, sizeof(num), "%u", r.loc);
	word(&w, num);
	if (steer_parse(w.argc, w.argv, &r2, err, sizeof(err)))
		abort();
	same_rule(&r, &r2);
	free(buf);
}

static void match_one(const uint8_t *data, size_t size)
{
	struct steer_rule rules[7];
	unsigned n;
	uint8_t *frame;
	int32_t a;
	char text[2048];

	if (size < 1)
		return;
	n = data[0] % 8;
	data++, size--;
	if (size < n * sizeof(struct steer_rule))
		n = (unsigned)(size / sizeof(struct steer_rule));
	memcpy(rules, data, n * sizeof(struct steer_rule));
	data += n * sizeof(struct steer_rule);
	size -= n * sizeof(struct steer_rule);
	frame = malloc(size ? size : 1);
	memcpy(frame, data, size);
	a = steer_classify(rules, n, frame, (uint32_t)size);
	if (a != STEER_NO_MATCH) {
		unsigned i;

		for (i = 0; i < n && rules[i].action != a; i++)
			;
		if (i == n)
			abort();
	}
	(void)steer_flow_hash(frame, (uint32_t)size);
	for (unsigned i = 0; i < n; i++) {
		(void)steer_format(&rules[i], text, sizeof(text));
		(void)steer_rule_valid(&rules[i]);
	}
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		match_one(data + 1, size - 1);
	else
		parse_one(data + 1, size - 1);
	return 0;
}
