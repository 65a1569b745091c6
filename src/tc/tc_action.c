/*
 * tc_action.c - tc's actions on eswitch rules: their words and their JSON.
 */
#include "tc.h"
#include "tc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int tc_action_parse(int *i, int argc, const char *const *argv, struct esw_rule_spec *s,
			tc_resolve_fn resolve, void *arg, char *err, size_t errlen)
{
	const char *a = argv[*i];
	struct esw_action *act;

	if (s->nact == ESW_MAX_ACTIONS)
		return ERR("Too many actions (at most %d)", ESW_MAX_ACTIONS);
	act = &s->act[s->nact];
	memset(act, 0, sizeof(*act));
	if (!strcmp(a, "drop") || !strcmp(a, "shot")) {
		act->type = ESW_ACT_DROP;
		act->ctl = ESW_CTL_DROP;
	} else if (!strcmp(a, "pass") || !strcmp(a, "ok")) {
		act->type = ESW_ACT_PASS;
		act->ctl = ESW_CTL_PASS;
	} else if (!strcmp(a, "gact")) {
		if (++*i >= argc)
			return ERR("gact: missing action");
		if (!strcmp(argv[*i], "drop") || !strcmp(argv[*i], "shot"))
			act->type = ESW_ACT_DROP, act->ctl = ESW_CTL_DROP;
		else if (!strcmp(argv[*i], "pass") || !strcmp(argv[*i], "ok"))
			act->type = ESW_ACT_PASS, act->ctl = ESW_CTL_PASS;
		else
			return ERR("bad action type %s", argv[*i]);
	} else if (!strcmp(a, "goto")) {
		uint32_t c;

		if (*i + 2 >= argc || strcmp(argv[*i + 1], "chain") || tc_parse_u32(argv[*i + 2], UINT32_MAX, &c))
			return ERR("Illegal \"goto chain\"");
		*i += 2;
		act->type = ESW_ACT_GOTO;
		act->ctl = ESW_CTL_GOTO;
		act->ctl_chain = c;
	} else if (!strcmp(a, "mirred")) {
		uint32_t vport;
		int ret;

		if (*i + 4 >= argc || strcmp(argv[*i + 1], "egress") ||
		    (strcmp(argv[*i + 2], "redirect") && strcmp(argv[*i + 2], "mirror")) ||
		    strcmp(argv[*i + 3], "dev"))
			return ERR("mirred: expected \"egress redirect|mirror dev DEVICE\"%s",
				   *i + 1 < argc && !strcmp(argv[*i + 1], "ingress")
				   ? " (ingress mirred is not supported)" : "");
		ret = resolve(arg, argv[*i + 4], &vport);
		if (ret) {
			snprintf(err, errlen, "Cannot find device \"%s\"", argv[*i + 4]);
			return ret;
		}
		act->type = !strcmp(argv[*i + 2], "redirect") ? ESW_ACT_REDIRECT : ESW_ACT_MIRROR;
		act->ctl = act->type == ESW_ACT_REDIRECT ? ESW_CTL_STOLEN : ESW_CTL_PIPE;
		act->arg = vport;
		*i += 4;
	} else if (!strcmp(a, "vlan")) {
		if (++*i >= argc)
			return ERR("vlan: missing action (push|pop)");
		if (!strcmp(argv[*i], "pop")) {
			act->type = ESW_ACT_VLAN_POP;
		} else if (!strcmp(argv[*i], "push")) {
			uint32_t v;

			act->type = ESW_ACT_VLAN_PUSH;
			if (*i + 2 >= argc || strcmp(argv[*i + 1], "id"))
				return ERR("vlan: push needs \"id VLANID\"");
			if (tc_parse_u32(argv[*i + 2], 4095, &v))
				return ERR("Illegal \"id\"");
			act->vlan_id = (uint16_t)v;
			*i += 2;
			if (*i + 2 < argc && !strcmp(argv[*i + 1], "priority")) {
				if (tc_parse_u32(argv[*i + 2], 7, &v))
					return ERR("Illegal \"priority\"");
				act->vlan_prio = (uint8_t)v;
				*i += 2;
			}
		} else {
			return ERR("vlan: unknown action \"%s\"", argv[*i]);
		}
	} else if (!strcmp(a, "ct")) {
		/* m_ct.c: ct [commit] [zone Z] [mark V[/M]], or ct clear alone. */
		act->type = ESW_ACT_CT;
		act->ctl = ESW_CTL_PIPE;
		while (*i + 1 < argc) {
			const char *w = argv[*i + 1];
			uint32_t v;

			if (!strcmp(w, "commit")) {
				act->ct.flags |= ESW_CT_COMMIT;
			} else if (!strcmp(w, "clear")) {
				act->ct.flags |= ESW_CT_CLEAR;
			} else if (!strcmp(w, "zone") && *i + 2 < argc) {
				if (tc_parse_u32(argv[*i + 2], UINT16_MAX, &v))
					return ERR("ct: Illegal \"zone\"");
				act->ct.zone = (uint16_t)v;
				(*i)++;
			} else if (!strcmp(w, "mark") && *i + 2 < argc) {
				char buf[32], *slash;
				uint32_t m = UINT32_MAX;

				snprintf(buf, sizeof(buf), "%s", argv[*i + 2]);
				slash = strchr(buf, '/');
				if (slash)
					*slash++ = 0;
				if (tc_parse_u32(buf, UINT32_MAX, &v) ||
				    (slash && tc_parse_u32(slash, UINT32_MAX, &m)) || !m)
					return ERR("ct: Illegal \"mark\"");
				act->ct.mark = v;
				act->ct.mark_mask = m;
				(*i)++;
			} else {
				break;
			}
			(*i)++;
		}
		if ((act->ct.flags & ESW_CT_CLEAR) &&
		    (act->ct.flags != ESW_CT_CLEAR || act->ct.zone || act->ct.mark_mask))
			return ERR("ct: clear must be alone");
	} else if (!strcmp(a, "tunnel_key")) {
		int ret = tc_tunnel_key_parse(i, argc, argv, act, err, errlen);

		if (ret)
			return ret;
	} else {
		return ERR("bad action type %s", a);
	}
	s->nact++;
	return 0;
}

json_t *tc_action_json(const struct esw_action *a, unsigned order, tc_name_fn name, void *arg,
		       const uint64_t *packets, const uint64_t *bytes, const uint64_t *lastuse_ms,
		       uint64_t now_ms)
{
	char buf2[64];
	json_t *j = json_pack("{s:i}", "order", order);
	const char *ctl = "pipe";

	switch (a->type) {
	case ESW_ACT_REDIRECT:
	case ESW_ACT_MIRROR: {
		const char *n = name(arg, a->arg);
		bool redir = a->type == ESW_ACT_REDIRECT;

		json_object_set_new(j, "kind", json_string("mirred"));
		json_object_set_new(j, "mirred_action", json_string(redir ? "redirect" : "mirror"));
		json_object_set_new(j, "direction", json_string("egress"));
		if (n) {
			json_object_set_new(j, "to_dev", json_string(n));
		} else {
			snprintf(buf2, sizeof(buf2), "vport 0x%x (gone)", a->arg);
			json_object_set_new(j, "to_dev", json_string(buf2));
		}
		ctl = redir ? "stolen" : "pipe";
		break;
	}
	case ESW_ACT_DROP:
		json_object_set_new(j, "kind", json_string("gact"));
		ctl = "drop";
		break;
	case ESW_ACT_PASS:
		json_object_set_new(j, "kind", json_string("gact"));
		ctl = "pass";
		break;
	case ESW_ACT_GOTO:
		json_object_set_new(j, "kind", json_string("gact"));
		snprintf(buf2, sizeof(buf2), "goto chain %u", a->ctl_chain);
		ctl = buf2;
		break;
	case ESW_ACT_VLAN_PUSH:
		json_object_set_new(j, "kind", json_string("vlan"));
		json_object_set_new(j, "vlan_action", json_string("push"));
		json_object_set_new(j, "id", json_integer(a->vlan_id));
		json_object_set_new(j, "protocol", json_string("802.1Q"));
		json_object_set_new(j, "priority", json_integer(a->vlan_prio));
		break;
	case ESW_ACT_VLAN_POP:
		json_object_set_new(j, "kind", json_string("vlan"));
		json_object_set_new(j, "vlan_action", json_string("pop"));
		break;
	case ESW_ACT_CT:
		/* m_ct.c's print_ct: action (commit|clear), mark[/mask], zone. */
		json_object_set_new(j, "kind", json_string("ct"));
		if (a->ct.flags & (ESW_CT_CLEAR | ESW_CT_COMMIT))
			json_object_set_new(j, "action", json_string(a->ct.flags & ESW_CT_CLEAR
								     ? "clear" : "commit"));
		if (!(a->ct.flags & ESW_CT_CLEAR)) {
			if (a->ct.mark_mask) {
				json_object_set_new(j, "mark", json_integer(a->ct.mark));
				if (a->ct.mark_mask != UINT32_MAX) {
					snprintf(buf2, sizeof(buf2), "%x", a->ct.mark_mask);
					json_object_set_new(j, "mark_mask", json_string(buf2));
				}
			}
			json_object_set_new(j, "zone", json_integer(a->ct.zone));
		}
		break;
	case ESW_ACT_TUNNEL_SET:
	case ESW_ACT_TUNNEL_UNSET:
		tc_tunnel_key_json(a, j);
		ctl = a->ctl == ESW_CTL_CONTINUE ? "continue" : a->ctl == ESW_CTL_PASS ? "pass"
		      : a->ctl == ESW_CTL_DROP ? "drop" : a->ctl == ESW_CTL_RECLASSIFY ? "reclassify"
		      : "pipe";
		break;
	}
	json_object_set_new(j, "control_action", json_pack("{s:s}", "type", ctl));
	if (packets) {
		uint64_t used = *lastuse_ms ? (now_ms - *lastuse_ms) / 1000 : 0;

		json_object_set_new(j, "stats", json_pack("{s:I,s:I,s:I}", "bytes",
			(json_int_t)*bytes, "packets", (json_int_t)*packets,
			"lastused", (json_int_t)(*lastuse_ms ? (json_int_t)used : -1)));
	}
	return j;
}
