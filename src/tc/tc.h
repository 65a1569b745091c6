/*
 * tc.h - tc flower's grammar for eswitch rules.
 *
 * Parses the words of `tc filter add|del|show dev X ingress ... flower ...
 * action ...` into a struct esw_rule_spec (or a filter selector) and prints
 * rules back in tc's JSON shape.  Device names are resolved by the caller's
 * callback (representor names, port handles), so this module knows nothing
 * about ports.  Errors are tc's one-line messages.
 */
#ifndef SFNIC_TC_H
#define SFNIC_TC_H

#include <jansson.h>
#include <stdint.h>

#include "../esw/esw.h"

/* Maps a device name to its vport: 0 and *vport set, or -ENODEV. */
typedef int (*tc_resolve_fn)(void *arg, const char *name, uint32_t *vport);
/* Maps a vport back to its representor's name (for printing). */
typedef const char *(*tc_name_fn)(void *arg, uint32_t vport);

/* What `filter del` and `filter show` select. */
struct tc_sel {
	uint32_t dev;
	int64_t chain, prio, handle;    /* -1: any */
	bool stats;                     /* -s */
};

#define TC_PRIO_AUTO 0

/*
 * Parses the words after "filter add" (dev X ingress [protocol P] [prio P]
 * [chain C] [handle H] flower MATCHES action ...).  s->prio is TC_PRIO_AUTO
 * and s->handle 0 when not given (the caller assigns them as tc does).
 * Returns 0 or -EINVAL/-ENODEV with tc's message in err.
 */
int tc_flower_parse(int argc, const char *const *argv, struct esw_rule_spec *s,
		    tc_resolve_fn resolve, void *arg, char *err, size_t errlen);

/* Parses the words after "filter del" or "filter show": dev X ingress
 * [prio P] [chain C] [handle H] [flower].  Returns 0 or -errno with err. */
int tc_sel_parse(int argc, const char *const *argv, struct tc_sel *sel,
		 tc_resolve_fn resolve, void *arg, char *err, size_t errlen);

/* One rule in the shape of `tc -j filter show`, with each action's counters
 * when st (s->nact entries) is given. */
json_t *tc_rule_json(const struct esw_rule_spec *s, tc_name_fn name, void *arg,
		     const struct esw_act_stats *st, uint64_t now_ms);

#endif
