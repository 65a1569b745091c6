/*
 * tc_flower.c - the flower classifier's words, tc's messages.
 */
#include "tc.h"
#include "tc_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int tc_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* dev X ingress [protocol P] [prio P] [chain C] [handle H]: the words tc
 * puts before the classifier's kind.  Returns the index of the first word it
 * did not take. */
static int parse_head(int argc, const char *const *argv, uint32_t *dev, int64_t *chain,
		      int64_t *prio, int64_t *handle, int64_t *proto, tc_resolve_fn resolve,
		      void *arg, char *err, size_t errlen)
{
	bool have_dev = false, ingress = false;
	int i;

	for (i = 0; i < argc; i++) {
		const char *w = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint32_t n;

		if (!strcmp(w, "dev")) {
			int ret;

			if (!v)
				return ERR("Command line is not complete. Try option \"help\"");
			ret = resolve(arg, v, dev);
			if (ret) {
				snprintf(err, errlen, "Cannot find device \"%s\"", v);
				return ret;
			}
			have_dev = true;
			i++;
		} else if (!strcmp(w, "ingress")) {
			ingress = true;
		} else if (!strcmp(w, "egress") || !strcmp(w, "root") || !strcmp(w, "parent")) {
			return ERR("Only the ingress hook of a representor carries eswitch rules");
		} else if (!strcmp(w, "prio") || !strcmp(w, "pref") || !strcmp(w, "priority")) {
			if (!v || tc_parse_u32(v, 0xffff, &n) || !n)
				return ERR("Illegal \"priority\"");
			*prio = n;
			i++;
		} else if (!strcmp(w, "chain")) {
			if (!v || tc_parse_u32(v, UINT32_MAX, &n))
				return ERR("Illegal \"chain index\"");
			*chain = n;
			i++;
		} else if (!strcmp(w, "handle")) {
			if (!v || tc_parse_u32(v, UINT32_MAX, &n) || !n)
				return ERR("Illegal \"handle\"");
			*handle = n;
			i++;
		} else if (!strcmp(w, "protocol")) {
			uint16_t t;

			if (!v)
				return ERR("Illegal \"protocol\"");
			if (!strcmp(v, "all"))
				*proto = -1;
			else if (tc_parse_ethtype(v, &t))
				return ERR("Illegal \"protocol\"");
			else
				*proto = t;
			i++;
		} else {
			break;
		}
	}
	if (!have_dev)
		return ERR("Command line is not complete. Try option \"help\"");
	if (!ingress)
		return ERR("Only the ingress hook of a representor carries eswitch rules");
	return i;
}

int tc_flower_parse(int argc, const char *const *argv, struct esw_rule_spec *s,
		    tc_resolve_fn resolve, void *arg, char *err, size_t errlen)
{
	int64_t chain = 0, prio = TC_PRIO_AUTO, handle = 0, proto = -1;
	struct tc_match m;
	int i, ret;

	memset(s, 0, sizeof(*s));
	err[0] = 0;
	ret = parse_head(argc, argv, &s->dev, &chain, &prio, &handle, &proto, resolve, arg, err,
			 errlen);
	if (ret < 0)
		return ret;
	i = ret;
	s->chain = (uint32_t)chain;
	s->prio = (uint32_t)prio;
	s->handle = (uint32_t)handle;
	if (proto >= 0) {
		s->key.eth_type = (uint16_t)proto;
		s->mask.eth_type = 0xffff;
	}
	if (i >= argc || strcmp(argv[i], "flower"))
		return i >= argc ? ERR("Command line is not complete. Try option \"help\"")
				 : ERR("Unknown filter \"%s\", only flower is supported", argv[i]);
	tc_match_init(&m, proto);
	for (i++; i < argc; i++) {
		const char *w = argv[i];

		switch (tc_match_word(w)) {
		case TC_WORD_ACTION:
			i++;
			ret = tc_actions_parse(&i, argc, argv, s, resolve, arg, err, errlen);
			if (ret)
				return ret;
			break;
		case TC_WORD_FLAG:
			continue;       /* skip_sw, skip_hw, verbose: one software path */
		default:
			ret = tc_match_parse(&m, w, i + 1 < argc ? argv[i + 1] : NULL, s, err,
					     errlen);
			if (ret)
				return ret;
			i++;
			continue;
		}
		break;
	}
	ret = tc_match_finish(&m, s, err, errlen);
	if (ret)
		return ret;
	if (!s->nact)
		return ERR("Missing action: add \"action drop|pass|mirred ...|vlan ...|goto chain N\"");
	return 0;
}

int tc_sel_parse(int argc, const char *const *argv, struct tc_sel *sel,
		 tc_resolve_fn resolve, void *arg, char *err, size_t errlen)
{
	int64_t proto = -1;
	int i;

	sel->chain = sel->prio = sel->handle = -1;
	sel->stats = false;
	err[0] = 0;
	i = parse_head(argc, argv, &sel->dev, &sel->chain, &sel->prio, &sel->handle, &proto,
		       resolve, arg, err, errlen);
	if (i < 0)
		return i;
	if (i < argc && !strcmp(argv[i], "flower"))
		i++;
	if (i < argc)
		return ERR("What is \"%s\"?", argv[i]);
	if (sel->handle >= 0 && sel->prio < 0)
		return ERR("Specifying handle requires specifying prio too");
	return 0;
}

static const char *proto_of(const struct esw_rule_spec *s, char *buf, size_t len)
{
	if (!s->mask.eth_type)
		return "all";
	return tc_ethtype_name(s->key.eth_type, buf, len);
}

json_t *tc_rule_json(const struct esw_rule_spec *s, tc_name_fn name, void *arg,
		     const struct esw_act_stats *st, uint64_t now_ms)
{
	json_t *keys = json_object(), *acts = json_array(), *o;
	char buf[64];

	tc_match_json(s, keys);
	for (unsigned i = 0; i < s->nact; i++)
		json_array_append_new(acts, tc_action_json(s, i, name, arg, st ? &st[i] : NULL,
							     now_ms));
	o = json_pack("{s:s,s:i,s:s,s:I,s:{s:I,s:o,s:b,s:o}}", "protocol",
		      proto_of(s, buf, sizeof(buf)), "pref", (int)s->prio, "kind", "flower",
		      "chain", (json_int_t)s->chain, "options", "handle", (json_int_t)s->handle,
		      "keys", keys, "in_hw", 1, "actions", acts);
	return o;
}
