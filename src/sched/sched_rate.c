/*
 * sched_rate.c - devlink's rate units: parsing (iproute2's get_rate64) and
 * printing (iproute2's print_rate).  Shared by the CLI and the daemon.
 */
#include "sched.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static const struct {
	const char *name;
	double bits;
} units[] = {
	{ "bit", 1. }, { "kibit", 1024. }, { "kbit", 1000. },
	{ "mibit", 1024. * 1024. }, { "mbit", 1e6 },
	{ "gibit", 1024. * 1024. * 1024. }, { "gbit", 1e9 },
	{ "tibit", 1024. * 1024. * 1024. * 1024. }, { "tbit", 1e12 },
	{ "bps", 8. }, { "kibps", 8. * 1024. }, { "kbps", 8e3 },
	{ "mibps", 8. * 1024. * 1024. }, { "mbps", 8e6 },
	{ "gibps", 8. * 1024. * 1024. * 1024. }, { "gbps", 8e9 },
	{ "tibps", 8. * 1024. * 1024. * 1024. * 1024. }, { "tbps", 8e12 },
};

int sched_rate_parse(const char *s, uint64_t *bytes_per_s)
{
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return -1;
	if (*end) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcasecmp(end, units[i].name))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		v *= units[i].bits;
	}
	v /= 8;                 /* devlink carries bytes per second */
	if (v >= 18446744073709551616.0)
		return -1;
	*bytes_per_s = (uint64_t)v;
	return 0;
}

char *sched_rate_format(uint64_t bytes_per_s, bool iec, char *buf, size_t len)
{
	static const char *const prefix[] = { "", "K", "M", "G", "T" };
	unsigned __int128 r = (unsigned __int128)bytes_per_s * 8;
	unsigned kilo = iec ? 1024 : 1000;
	unsigned i;

	/* As print_rate: scale down while the value stays exact, or while it
	 * is still at least a thousand of the next unit. */
	for (i = 0; i < 4; i++) {
		if (r < kilo || (r % kilo && r < 1000u * kilo))
			break;
		r /= kilo;
	}
	snprintf(buf, len, "%llu%s%sbit", (unsigned long long)r, prefix[i], i && iec ? "i" : "");
	return buf;
}
