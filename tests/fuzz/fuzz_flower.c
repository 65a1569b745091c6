/*
 * fuzz_flower.c - the tc flower rule parser.  The daemon parses the words of
 * every `filter add/del/show` a client sends.  Input: words separated by
 * NUL bytes.  A rule that parses must be one the device takes (its actions
 * valid); it is inserted into a rule set, looked up with its own key (it
 * must match, also as "the next pref after prio - 1"; a port range at both
 * ends) and, just outside each range, with a key that must not, replaced
 * by itself, printed with and without counters and removed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "../../src/dev/dev.h"
#include "../../src/tc/tc.h"

static int resolve(void *arg, const char *name, uint32_t *vport)
{
	(void)arg;
	if (!strcmp(name, "rep0")) { *vport = 0xffff; return 0; }
	if (!strcmp(name, "rep1")) { *vport = 0x8000; return 0; }
	return -19;
}

static const char *name_of(void *arg, uint32_t vport)
{
	(void)arg;
	return vport == 0xffff ? "rep0" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	char *buf = malloc(size + 1), err[256];
	const char *argv[64];
	struct esw_rule_spec s;
	struct tc_sel sel;
	int argc = 0;

	if (!registered) {
		rcu_register_thread();
		rcu_thread_offline();
		registered = 1;
	}
	memcpy(buf, data, size);
	buf[size] = 0;
	for (size_t i = 0; i <= size && argc < 64;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	if (tc_sel_parse(argc, argv, &sel, resolve, NULL, err, sizeof(err)) < 0 && !err[0])
		abort();        /* every refusal says why */
	if (tc_flower_parse(argc, argv, &s, resolve, NULL, err, sizeof(err)) == 0) {
		struct esw_cls *c = esw_cls_create(1);
		struct esw_act_stats st[ESW_MAX_ACTIONS] = { { 1, 64, 1, 1, 1 } };
		struct esw_key k = s.key;
		json_t *j;

		if (!dev_rule_actions_valid(&s))
			abort();        /* the parser made a rule the device refuses */
		if (!s.prio)
			s.prio = 1;
		if (esw_cls_insert(c, &s))
			abort();
		k.in_port = s.dev;
		k.chain = s.chain;
		if (s.src_port_max)
			k.src_port = s.src_port_min;
		if (s.dst_port_max)
			k.dst_port = s.dst_port_min;
		rcu_thread_online();
		if (!esw_cls_lookup(c, &k, NULL) || !esw_cls_lookup_after(c, &k, s.prio - 1) ||
		    esw_cls_lookup_after(c, &k, s.prio))
			abort();        /* a rule matches its own key, at its prio */
		/* Ranges cover exactly [min, max]: the prefixes neither leave a
		 * hole nor spill over. */
		for (int d = 0; d < 2; d++) {
			uint16_t min = d ? s.dst_port_min : s.src_port_min;
			uint16_t max = d ? s.dst_port_max : s.src_port_max;
			uint16_t *port = d ? &k.dst_port : &k.src_port;
			uint16_t keep = *port;

			if (!max)
				continue;
			*port = max;
			if (!esw_cls_lookup(c, &k, NULL))
				abort();
			*port = (uint16_t)(min + (max - min) / 2);
			if (!esw_cls_lookup(c, &k, NULL))
				abort();
			if (max < 0xffff) {
				*port = (uint16_t)(max + 1);
				if (esw_cls_lookup(c, &k, NULL))
					abort();
			}
			if (min) {
				*port = (uint16_t)(min - 1);
				if (esw_cls_lookup(c, &k, NULL))
					abort();
			}
			*port = keep;
		}
		rcu_thread_offline();
		if (esw_cls_replace(c, &s))
			abort();        /* the same rule again: the same mask */
		rcu_thread_online();
		if (esw_cls_lookup(c, &k, NULL) != esw_cls_find(c, s.dev, s.chain, s.prio, s.handle))
			abort();        /* the replacement is what matches */
		rcu_thread_offline();
		j = tc_rule_json(&s, name_of, NULL, NULL, 0);
		json_decref(j);
		j = tc_rule_json(&s, name_of, NULL, st, 5000);
		json_decref(j);
		if (esw_cls_remove(c, s.dev, s.chain, s.prio, s.handle))
			abort();
		esw_cls_destroy(c);
	} else if (!err[0]) {
		abort();
	}
	free(buf);
	return 0;
}
