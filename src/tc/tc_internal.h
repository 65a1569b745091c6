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

/* What a word after "flower" is, by tc's prefix rules (tc_match.c). */
enum tc_word { TC_WORD_UNKNOWN, TC_WORD_KEY, TC_WORD_FLAG, TC_WORD_ACTION };
enum tc_word tc_match_word(const char *w);

/* What the match words seen so far imply for the next ones, as tc tracks
 * it: the filter's protocol, the ethertype L3 keys are parsed against
 * (after vlan_ethtype/cvlan_ethtype), the outer tag's inner type and
 * ip_proto (0xff: none). */
struct tc_match {
	uint16_t proto, eth_type, vlan_ethtype;
	uint8_t ip_proto;
};

/* Starts a rule's matches; proto is the filter's protocol, -1 for all. */
void tc_match_init(struct tc_match *m, int64_t proto);

/* Parses one key word w with its value v (NULL when the line ended) into
 * s.  Returns 0 or -EINVAL with tc's message in err. */
int tc_match_parse(struct tc_match *m, const char *w, const char *v, struct esw_rule_spec *s,
		   char *err, size_t errlen);

/* Checks the keys together once the line is read (the kernel's ct_state
 * rules) and drops keys their protocol ignores.  Returns 0 or -EINVAL. */
int tc_match_finish(const struct tc_match *m, struct esw_rule_spec *s, char *err,
		    size_t errlen);

/* Adds a rule's keys to a "keys" object in tc's order and JSON shapes. */
void tc_match_json(const struct esw_rule_spec *s, json_t *keys);

/* An ethertype by iproute2's name (case-insensitive) or number (base 0);
 * -1 when it is neither. */
int tc_parse_ethtype(const char *s, uint16_t *out);

/* iproute2's ll_proto_n2a: a name, else "[N]". */
const char *tc_ethtype_name(uint16_t t, char *buf, size_t len);

/*
 * Parses one action starting at argv[*i] (its kind or a bare control word)
 * into the next free slot of s->act (pedit keys into s->pkey), leaving *i
 * on its last word.  Returns 0 or -EINVAL/-ENODEV with tc's message in err.
 */
int tc_action_parse(int *i, int argc, const char *const *argv, struct esw_rule_spec *s,
		    tc_resolve_fn resolve, void *arg, char *err, size_t errlen);

/* tc_tunnel.c: `tunnel_key set ...|unset [CONTROL]` at argv[*i] into a
 * (leaving *i on its last word; 0 or -EINVAL with tc's message), and its
 * JSON fields (kind, mode, addresses, key_id, dst_port, flag, nofrag, tos,
 * ttl) into j. */
int tc_tunnel_key_parse(int *i, int argc, const char *const *argv, struct esw_action *a,
			char *err, size_t errlen);
void tc_tunnel_key_json(const struct esw_action *a, json_t *j);

/* Parses every action from argv[*i] (the first word after "action") to the
 * end, "action" words between them.  Returns 0 or -errno with err. */
int tc_actions_parse(int *i, int argc, const char *const *argv, struct esw_rule_spec *s,
		     tc_resolve_fn resolve, void *arg, char *err, size_t errlen);

/* Action idx of s in the shape of `tc -j filter show` (order idx + 1), with
 * its counters when st is given. */
json_t *tc_action_json(const struct esw_rule_spec *s, unsigned idx, tc_name_fn name, void *arg,
		       const struct esw_act_stats *st, uint64_t now_ms);

/* tc's name of a control verb ("pipe", "pass", ...). */
const char *tc_ctl_name(uint8_t ctl);

#endif
