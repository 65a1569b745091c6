/*
 * tc_tunnel.c - the tunnel_key action's words and JSON, as iproute2's
 * m_tunnel_key.c has them (IPv4 outer addresses only: sfnic's tunnels are
 * VXLAN over IPv4).
 */
#include "tc.h"
#include "tc_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A control word after an action's arguments (tc's action_a2n). */
static bool ctl_word(const char *w, uint8_t *ctl)
{
	static const struct { const char *w; uint8_t ctl; } t[] = {
		{ "pipe", ESW_CTL_PIPE }, { "pass", ESW_CTL_PASS }, { "ok", ESW_CTL_PASS },
		{ "drop", ESW_CTL_DROP }, { "shot", ESW_CTL_DROP }, { "continue", ESW_CTL_CONTINUE },
		{ "reclassify", ESW_CTL_RECLASSIFY },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(w, t[i].w)) {
			*ctl = t[i].ctl;
			return true;
		}
	return false;
}

int tc_tunnel_key_parse(int *i, int argc, const char *const *argv, struct esw_action *a,
			char *err, size_t errlen)
{
	struct esw_act_tunnel *t = &a->tun;
	bool set, src = false, dst = false;
	uint32_t v;

	if (*i + 1 >= argc)
		return ERR("tunnel_key: missing \"set\" or \"unset\"");
	set = !strcmp(argv[*i + 1], "set");
	if (!set && strcmp(argv[*i + 1], "unset"))
		return ERR("tunnel_key: expected \"set\" or \"unset\" (%s)", argv[*i + 1]);
	++*i;
	a->type = set ? ESW_ACT_TUNNEL_SET : ESW_ACT_TUNNEL_UNSET;
	a->ctl = ESW_CTL_PIPE;
	while (*i + 1 < argc) {
		const char *w = argv[*i + 1], *val = *i + 2 < argc ? argv[*i + 2] : NULL;
		struct in_addr in;

		if (set && (!strcmp(w, "src_ip") || !strcmp(w, "dst_ip"))) {
			if (!val || inet_pton(AF_INET, val, &in) != 1)
				return val && strchr(val, ':')
				       ? ERR("tunnel_key: IPv6 outer addresses are not supported by sfnic")
				       : ERR("Illegal \"%s\"", w);
			if (w[0] == 's')
				t->src_ip = in.s_addr, src = true;
			else
				t->dst_ip = in.s_addr, dst = true;
		} else if (set && (!strcmp(w, "id") || !strcmp(w, "dst_port"))) {
			if (!val || tc_parse_u32(val, w[0] == 'i' ? 0xffffff : 0xffff, &v))
				return ERR("Illegal \"%s\"", w[0] == 'i' ? "key id" : "dst port");
			if (w[0] == 'i')
				t->id = v;
			else
				t->dst_port = (uint16_t)v;
		} else if (set && (!strcmp(w, "tos") || !strcmp(w, "ttl"))) {
			if (!val || tc_parse_u32(val, 255, &v))
				return ERR("Illegal \"%s\"", w);
			if (w[1] == 'o')
				t->tos = (uint8_t)v;
			else
				t->ttl = (uint8_t)v;
		} else if (set && !strcmp(w, "nocsum")) {
			t->flags |= ESW_TUN_NOCSUM;
			++*i;
			continue;
		} else if (set && !strcmp(w, "csum")) {
			t->flags &= (uint8_t)~ESW_TUN_NOCSUM;
			++*i;
			continue;
		} else if (set && !strcmp(w, "nofrag")) {
			t->flags |= ESW_TUN_NOFRAG;
			++*i;
			continue;
		} else if (ctl_word(w, &a->ctl)) {
			++*i;
			break;
		} else {
			break;
		}
		*i += 2;
	}
	if (set && (!src || !dst))
		return ERR("set needs tunnel_key parameters");
	return 0;
}

void tc_tunnel_key_json(const struct esw_action *a, json_t *j)
{
	const struct esw_act_tunnel *t = &a->tun;
	char s[INET_ADDRSTRLEN];

	json_object_set_new(j, "kind", json_string("tunnel_key"));
	if (a->type == ESW_ACT_TUNNEL_UNSET) {
		json_object_set_new(j, "mode", json_string("unset"));
		return;
	}
	json_object_set_new(j, "mode", json_string("set"));
	json_object_set_new(j, "src_ip", json_string(inet_ntop(AF_INET, &t->src_ip, s, sizeof(s))));
	json_object_set_new(j, "dst_ip", json_string(inet_ntop(AF_INET, &t->dst_ip, s, sizeof(s))));
	json_object_set_new(j, "key_id", json_integer(t->id));
	if (t->dst_port)
		json_object_set_new(j, "dst_port", json_integer(t->dst_port));
	json_object_set_new(j, "flag", json_string(t->flags & ESW_TUN_NOCSUM ? "nocsum" : "csum"));
	json_object_set_new(j, "nofrag", json_boolean(t->flags & ESW_TUN_NOFRAG));
	if (t->tos)
		json_object_set_new(j, "tos", json_sprintf("0x%x", t->tos));
	if (t->ttl)
		json_object_set_new(j, "ttl", json_integer(t->ttl));
}
