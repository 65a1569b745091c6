/*
 * sfc_ops.c - opcode and scope names for sfnicctl, over the device's one
 * scope table (dev_opcode_scope(), src/dev/dev_scope.c, which the tool
 * links): the tool picks an RPC's default scope from the same table the
 * daemon and the device enforce.
 */
#include "sfnicctl.h"
#include "../dev/dev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sfc_op_parse(const char *s)
{
	uint32_t v;
	int op = dev_opcode_by_name(s);

	if (op >= 0)
		return op;
	return !sfc_parse_u32(s, &v) && v <= 0xffff ? (int)v : -1;
}

const char *sfc_op_name(uint16_t opcode)
{
	static char buf[8];
	const char *n = dev_opcode_str(opcode);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "0x%04x", opcode);
	return buf;
}

int sfc_op_default_scope(uint16_t opcode, uint16_t op_mod)
{
	int s = dev_opcode_scope(opcode, op_mod);

	/* Unknown or driver-only: asked at configuration, the daemon refuses
	 * it with its own reason. */
	return s >= 0 && s <= CTL_SCOPE_MAX ? s : CTL_SCOPE_CONFIGURATION;
}

const char *sfc_scope_name(int scope)
{
	const char *n = scope >= 0 ? dev_scope_str((unsigned)scope) : NULL;

	return n ? n : "unknown";
}

int sfc_scope_parse(const char *s)
{
	uint32_t v;

	for (unsigned i = 0; i <= CTL_SCOPE_MAX; i++)
		if (!strcmp(s, dev_scope_str(i)))
			return (int)i;
	/* A number goes to the daemon as is: an unknown one is its to refuse. */
	return !sfc_parse_u32(s, &v) && v <= 0xffff ? (int)v : -1;
}

void sfc_ops_print(FILE *f)
{
	for (unsigned s = 0; s <= CTL_SCOPE_MAX; s++) {
		int col = fprintf(f, "    %-17s", dev_scope_str(s));

		for (unsigned op = 0; op <= 0xffff; op++) {
			const char *n = dev_opcode_str((uint16_t)op);

			if (!n || dev_opcode_scope((uint16_t)op, 0) != (int)s)
				continue;
			if (col + 1 + (int)strlen(n) > 79)
				col = fprintf(f, "\n    %-17s", "");
			col += fprintf(f, " %s", n);
		}
		fputc('\n', f);
	}
}
