/*
 * tc_internal.h - what the tc module's files share: number parsing, tc's
 * error convention, and the action half of a rule's grammar.
 */
#ifndef SFNIC_TC_INTERNAL_H
#define SFNIC_TC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "tc.h"

/* tc's one-line message into err; the caller returns -EINVAL. */
#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/* An unsigned number in any base strtoul takes (0x.., 0..), at most max.
 * Returns 0, or -1 for anything else (signs, trailing words, overflow). */
int tc_parse_u32(const char *s, uint32_t max, uint32_t *out);

/*
 * Parses one action starting at argv[*i] (the word after "action") into
 * the next free slot of s->act, leaving *i on its last word.  Returns 0 or
 * -EINVAL/-ENODEV with tc's message in err.
 */
int tc_action_parse(int *i, int argc, const char *const *argv, struct esw_rule_spec *s,
		    tc_resolve_fn resolve, void *arg, char *err, size_t errlen);

/* One action in the shape of `tc -j filter show` (order is its 1-based
 * place in the list); with the rule's counters when packets is given. */
json_t *tc_action_json(const struct esw_action *a, unsigned order, tc_name_fn name, void *arg,
		       const uint64_t *packets, const uint64_t *bytes, const uint64_t *lastuse_ms,
		       uint64_t now_ms);

#endif
