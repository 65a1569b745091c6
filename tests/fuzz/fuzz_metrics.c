/*
 * fuzz_metrics.c - what reaches sfnicd's /metrics endpoint from outside:
 * any request head (metrics_http_route), any --metrics value
 * (metrics_addr_parse), and any label value or HELP text the writer is
 * given (a netdev or rate node name is the user's).
 *
 * Properties: the route is one of 200/400/404/405; a refused address says
 * why on one line; a sample line holds no raw newline, and its label
 * value, unescaped, is the input again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/metrics/metrics.h"

/* Undoes the label escaping: \\ \" \n.  Returns the length, or -1 on an
 * escape the writer never makes. */
static long unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i == n)
			return -1;
		if (s[i] == '\\' || s[i] == '"')
			out[o++] = s[i];
		else if (s[i] == 'n')
			out[o++] = '\n';
		else
			return -1;
	}
	return (long)o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *text, *uns, err[256];
	struct sockaddr_storage ss;
	socklen_t len;
	bool head;
	int st = metrics_http_route((const char *)data, size, &head);

	if (st != 200 && st != 400 && st != 404 && st != 405)
		abort();
	memcpy(s, data, size);
	s[size] = 0;            /* C strings stop at the first NUL, as argv does */
	if (strlen(s) < 200) {
		err[0] = 0;
		if (metrics_addr_parse(s, &ss, &len, err, sizeof(err)) &&
		    (!err[0] || strchr(err, '\n')))
			abort();
	}
	struct metrics_set *set = metrics_set_new();
	struct metrics_label l = { "v", s };
	size_t tlen = 0;

	metrics_add_u64(metrics_fam(set, "sfnic_fuzz", METRICS_GAUGE, s), &l, 1, 1);
	text = metrics_text(set, &tlen);
	if (!text)
		abort();
	/* Lines: HELP, TYPE, and the sample (absent when the value is empty). */
	char *help_end = strchr(text, '\n'), *type_end, *sample, *q, *end;

	if (!help_end || !(type_end = strchr(help_end + 1, '\n')))
		abort();
	sample = type_end + 1;
	if (*s) {
		if (strncmp(sample, "sfnic_fuzz{v=\"", 14) || !(end = strchr(sample, '\n')) ||
		    end[1] || strcmp(end - 4, "\"} 1\n"))
			abort();
		q = sample + 14;
		uns = malloc((size_t)(end - 4 - q) + 1);
		if (unescape(q, (size_t)(end - 4 - q), uns) != (long)strlen(s) ||
		    memcmp(uns, s, strlen(s)))
			abort();
		free(uns);
	} else if (strcmp(sample, "sfnic_fuzz 1\n")) {
		abort();
	}
	free(text);
	metrics_set_free(set);
	free(s);
	return 0;
}
