/*
 * sfc_fault.c - `sfnicctl fault`: the device's SET_FAULT (debug_write
 * scope, it taints) by name, as netdevsim's debugfs knobs are for the
 * kernel's health selftests.  What each fault does is in dev_cmd.h; the
 * health reporters that see them are in `sfnic health`.
 *
 *   fault clear
 *   fault stall-tx PORT [ rep ]
 *   fault hang-worker N
 *   fault fail-cmds COUNT [ status NAME|N ] [ syndrome N ]
 *   fault fail-store [ COUNT ]
 *   fault zc-no-return PORT
 *   fault memif-no-return PORT
 *   fault pool-starve PORT
 */
#include "sfnicctl.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	uint16_t kind;
} kinds[] = {
	{ "clear", DEV_FAULT_CLEAR }, { "stall-tx", DEV_FAULT_STALL_TX },
	{ "hang-worker", DEV_FAULT_HANG_WORKER }, { "fail-cmds", DEV_FAULT_FAIL_CMDS },
	{ "fail-store", DEV_FAULT_FAIL_STORE }, { "zc-no-return", DEV_FAULT_ZC_NO_RETURN },
	{ "memif-no-return", DEV_FAULT_MEMIF_NO_RETURN }, { "pool-starve", DEV_FAULT_POOL_STARVE },
};

/* PORT: an index, pf, or a devlink handle bus/dev/index. */
static int port(const char *s, uint32_t *vport)
{
	const char *slash = strrchr(s, '/');

	if (!strcmp(s, "pf")) {
		*vport = DEV_FN_PF;
		return 0;
	}
	return sfc_parse_u32(slash ? slash + 1 : s, vport);
}

static int status(const char *s, uint8_t *st)
{
	uint32_t v;

	for (unsigned i = 1; i < 256; i++)
		if (!strcasecmp(s, dev_status_str((uint8_t)i))) {
			*st = (uint8_t)i;
			return 0;
		}
	if (sfc_parse_u32(s, &v) || v == 0 || v > 255)
		return -1;
	*st = (uint8_t)v;
	return 0;
}

static int usage(struct sfc *c)
{
	return sfc_fail(c, EINVAL, "Usage: sfnicctl fault { clear | stall-tx PORT [ rep ] | "
			"hang-worker N | fail-cmds COUNT [ status S ] [ syndrome N ] | "
			"fail-store [ COUNT ] | zc-no-return PORT | memif-no-return PORT | "
			"pool-starve PORT }");
}

static int parse(struct sfc *c, uint16_t kind, int argc, char **argv, struct dev_set_fault_in *in)
{
	switch (kind) {
	case DEV_FAULT_CLEAR:
		return argc ? usage(c) : 0;
	case DEV_FAULT_STALL_TX:
		if (argc < 1 || argc > 2 || port(argv[0], &in->vport) ||
		    (argc == 2 && strcmp(argv[1], "rep")))
			return usage(c);
		in->rep = argc == 2;
		return 0;
	case DEV_FAULT_HANG_WORKER:
		return argc != 1 || sfc_parse_u32(argv[0], &in->worker) ? usage(c) : 0;
	case DEV_FAULT_FAIL_CMDS:
		if (argc < 1 || sfc_parse_u32(argv[0], &in->count))
			return usage(c);
		in->status = DEV_STAT_INT_ERR;
		for (int i = 1; i < argc; i += 2) {
			if (i + 1 >= argc)
				return usage(c);
			if (!strcmp(argv[i], "status") && !status(argv[i + 1], &in->status))
				continue;
			if (!strcmp(argv[i], "syndrome") && !sfc_parse_u32(argv[i + 1], &in->syndrome))
				continue;
			return usage(c);
		}
		return 0;
	case DEV_FAULT_FAIL_STORE:
		in->count = 1;
		return argc > 1 || (argc == 1 && sfc_parse_u32(argv[0], &in->count)) ? usage(c) : 0;
	default:
		return argc != 1 || port(argv[0], &in->vport) ? usage(c) : 0;
	}
}

int sfc_cmd_fault(struct sfc *c, int argc, char **argv)
{
	struct dev_set_fault_in in = { .hdr.opcode = DEV_CMD_SET_FAULT };
	struct dev_set_fault_out out;
	int k = -1;

	for (size_t i = 0; argc && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(argv[0], kinds[i].name))
			k = (int)i;
	if (k < 0)
		return usage(c);
	in.hdr.op_mod = kinds[k].kind;
	if (parse(c, kinds[k].kind, argc - 1, argv + 1, &in))
		return 1;
	if (sfc_cmd(c, &in, sizeof(in), &out, sizeof(out)))
		return sfc_fail(c, 1, "%s", c->err);
	if (c->json)
		sfc_print_json(c, json_pack("{s:s,s:s}", "fault", kinds[k].name, "status", "OK"));
	return 0;
}
