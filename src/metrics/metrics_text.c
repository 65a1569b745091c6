/*
 * metrics_text.c - the text exposition format 0.0.4 (see metrics.h).
 *
 * Each family collects its sample lines in a buffer of its own, so a
 * collector may walk its data once and add to many families in any order;
 * metrics_text() then writes each family as one group, as the format
 * requires (HELP and TYPE before the first sample, all samples together).
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *s;
	size_t len, cap;
};

struct metrics_fam {
	struct metrics_set *set;
	char *name, *help;
	enum metrics_type type;
	struct buf lines;
};

struct metrics_set {
	struct metrics_fam **fam;
	unsigned n, cap;
	bool failed;            /* an allocation failed: the text is incomplete */
};

static bool buf_room(struct buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;

	while (cap < b->len + more + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);

	if (!s)
		return false;
	b->s = s;
	b->cap = cap;
	return true;
}

static bool buf_put(struct buf *b, const char *s, size_t n)
{
	if (!buf_room(b, n))
		return false;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
	return true;
}

static bool buf_str(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

static bool buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_room(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

/* Escapes s: backslash and newline always, the double quote in label
 * values only (HELP leaves it as it is). */
static bool buf_escaped(struct buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		const char *e = NULL;

		if (*s == '\\')
			e = "\\\\";
		else if (*s == '\n')
			e = "\\n";
		else if (*s == '"' && quote)
			e = "\\\"";
		if (!(e ? buf_str(b, e) : buf_put(b, s, 1)))
			return false;
	}
	return true;
}

size_t metrics_escape_label(char *out, size_t cap, const char *value)
{
	struct buf b = { 0 };
	size_t n;

	if (!buf_escaped(&b, value, true)) {
		free(b.s);
		if (cap)
			out[0] = 0;
		return 0;
	}
	n = b.len;
	if (cap)
		snprintf(out, cap, "%s", b.s ? b.s : "");
	free(b.s);
	return n;
}

struct metrics_set *metrics_set_new(void)
{
	return calloc(1, sizeof(struct metrics_set));
}

void metrics_set_free(struct metrics_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		free(s->fam[i]->name);
		free(s->fam[i]->help);
		free(s->fam[i]->lines.s);
		free(s->fam[i]);
	}
	free(s->fam);
	free(s);
}

struct metrics_fam *metrics_fam(struct metrics_set *s, const char *name, enum metrics_type type,
				const char *help)
{
	struct metrics_fam *f;

	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->fam[i]->name, name))
			return s->fam[i];
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 32;
		struct metrics_fam **v = realloc(s->fam, cap * sizeof(*v));

		if (!v)
			goto oom;
		s->fam = v;
		s->cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto oom;
	f->set = s;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help);
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		free(f);
		goto oom;
	}
	s->fam[s->n++] = f;
	return f;
oom:
	s->failed = true;
	return NULL;
}

/* name{a="x",b="y"} - without the value. */
static bool sample_head(struct metrics_fam *f, const struct metrics_label *l, unsigned n)
{
	struct buf *b = &f->lines;
	bool open = false;

	if (!buf_str(b, f->name))
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (!l[i].value || !l[i].value[0])
			continue;
		if (!buf_str(b, open ? "," : "{") || !buf_str(b, l[i].name) || !buf_str(b, "=\"") ||
		    !buf_escaped(b, l[i].value, true) || !buf_str(b, "\""))
			return false;
		open = true;
	}
	return !open || buf_str(b, "}");
}

void metrics_add_u64(struct metrics_fam *f, const struct metrics_label *labels, unsigned n,
		     uint64_t value)
{
	if (!f)
		return;
	if (!sample_head(f, labels, n) || !buf_printf(&f->lines, " %llu\n", (unsigned long long)value))
		f->set->failed = true;
}

void metrics_add_f64(struct metrics_fam *f, const struct metrics_label *labels, unsigned n,
		     double value)
{
	if (!f)
		return;
	char num[32];

	/* The shortest form that reads back as the same double. */
	snprintf(num, sizeof(num), "%.15g", value);
	if (strtod(num, NULL) != value)
		snprintf(num, sizeof(num), "%.17g", value);
	if (!sample_head(f, labels, n) || !buf_printf(&f->lines, " %s\n", num))
		f->set->failed = true;
}

char *metrics_text(struct metrics_set *s, size_t *len)
{
	struct buf out = { 0 };

	if (s->failed)
		return NULL;
	for (unsigned i = 0; i < s->n; i++) {
		const struct metrics_fam *f = s->fam[i];

		if (!f->lines.len)
			continue;       /* no samples: say nothing of it */
		if (!buf_printf(&out, "# HELP %s ", f->name) || !buf_escaped(&out, f->help, false) ||
		    !buf_printf(&out, "\n# TYPE %s %s\n", f->name,
				f->type == METRICS_COUNTER ? "counter" : "gauge") ||
		    !buf_put(&out, f->lines.s, f->lines.len)) {
			free(out.s);
			return NULL;
		}
	}
	if (!out.s && !buf_str(&out, ""))
		return NULL;
	*len = out.len;
	return out.s;
}
