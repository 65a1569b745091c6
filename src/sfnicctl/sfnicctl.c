/*
 * sfnicctl - the debug RPC tool of sfnicd's ctl channel (seed 002: mlx5ctl,
 * fwctl): info, raw commands, decoded queries, resource dumps, the device
 * tracer and the counter sampler.
 *
 * The tool is a client like any other: what it may do is decided by the
 * daemon from its credentials (see `sfnicctl info`), not by the tool.
 */
#include "sfnicctl.h"
#include "../util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
	fprintf(f,
"Usage: sfnicctl [ OPTIONS ] COMMAND [ ARGS ]\n"
"\n"
"A scoped RPC channel into sfnicd's device, as Linux fwctl/mlx5ctl: each\n"
"connection is a device user context whose capabilities come from the\n"
"caller's credentials (root: every scope; sfnicd's own user: all but\n"
"debug_write_full; members of the socket's group: configuration and\n"
"debug_read_only).  The first debug write taints the device (sfnic dev info).\n"
"\n"
"OPTIONS\n"
"    -j, --json         JSON output\n"
"    -p, --pretty       indented JSON\n"
"    --run-dir DIR      the daemon's run directory (default: $SFNIC_RUN_DIR,\n"
"                       /run/sfnic as root, $XDG_RUNTIME_DIR/sfnic otherwise)\n"
"    --scope SCOPE      the RPC scope: configuration, debug_read_only,\n"
"                       debug_write, debug_write_full (default: each opcode's own)\n"
"    -V, --version      version\n"
"    -h, --help         this text\n"
"\n"
"COMMANDS\n"
"    info\n"
"        The context: UCTX UID, UCTX CAP, DEV UCTX CAP, USER CAP, the device\n"
"        type and command interface version.\n"
"    cmd OPCODE [ op_mod N ] [ in HEX ] [ out_len N ]\n"
"        A raw command: OPCODE by name or number, HEX the input after the\n"
"        8-byte command header (the channel stamps the uid), out_len the\n"
"        output buffer (default 256, at most 2097152).  Prints the status,\n"
"        syndrome and output (after its 8-byte header) in hex.\n"
"    query caps | vport N | vhca N | sf-table | esw | flows | pools | queues | eqs\n"
"        Decoded queries of the device's objects (N: a function id = vport =\n"
"        devlink port index; 0 is the PF).\n"
"    resource-dump [ SEGMENT... ] [ -o FILE ]\n"
"    resource-dump -r FILE\n"
"        The device's resource dump (segments: caps esw functions flows pools\n"
"        queues eq; default all), decoded, or saved raw to FILE; -r decodes a\n"
"        saved one.\n"
"    counters PORT [ queue Q ] [ rep ] --rate HZ --duration SECONDS [ -o FILE.csv ]\n"
"        Samples a port's counters (PORT: index, p0, pf, or a devlink port\n"
"        handle) into registered memory at HZ (up to 200000) and prints the\n"
"        achieved rate, lost samples and interval jitter; -o writes every\n"
"        sample as CSV.\n"
"    trace [ --follow ] [ -o FILE ]\n"
"        Attaches the device tracer and prints each command (time, opcode,\n"
"        op_mod, uid, status, syndrome, latency) and event; --follow until\n"
"        interrupted, otherwise what the next second brings.\n"
"    fault clear | stall-tx PORT [ rep ] | hang-worker N\n"
"    fault fail-cmds COUNT [ status S ] [ syndrome N ] | fail-store [ COUNT ]\n"
"    fault zc-no-return PORT | memif-no-return PORT\n"
"        Injects a fault (SET_FAULT, debug_write: taints) for the health\n"
"        reporters of `sfnic health` to find (see dev_cmd.h).\n"
"\n"
"OPCODES (least scope)\n");
	sfc_ops_print(f);
	fprintf(f,
"\n"
"EXIT STATUS\n"
"    0 on success; 1 with a one-line reason on stderr otherwise (an RPC the\n"
"    channel refused: the errno fwctl would give, e.g. \"Operation not\n"
"    permitted\"; a command the device failed: its status and syndrome).\n");
}

void sfc_print_json(const struct sfc *c, json_t *j)
{
	char *s = json_dumps(j, c->pretty ? JSON_INDENT(4) : JSON_COMPACT);

	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
}

int sfc_fail(struct sfc *c, int err, const char *fmt, ...)
{
	va_list ap;

	(void)c;
	fputs("sfnicctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return err ? 1 : 0;
}

int sfc_parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || !*s || *end || s[0] == '-' || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static int cmd_info(struct sfc *c, int argc, char **argv)
{
	struct ctl_info in;

	(void)argv;
	if (argc)
		return sfc_fail(c, EINVAL, "info takes no arguments");
	if (sfc_info(c, &in))
		return sfc_fail(c, 1, "%s", c->err);
	if (c->json) {
		char b[4][16];

		snprintf(b[0], sizeof(b[0]), "0x%x", in.uctx_cap);
		snprintf(b[1], sizeof(b[1]), "0x%x", in.dev_uctx_cap);
		snprintf(b[2], sizeof(b[2]), "0x%x", in.ucap);
		sfc_print_json(c, json_pack("{s:s%,s:i,s:i,s:s,s:s,s:s,s:i,s:i,s:i,s:i}",
					    "device_type", in.device_type,
					    strnlen(in.device_type, sizeof(in.device_type)),
					    "if_version", in.if_version, "uctx_uid", in.uctx_uid,
					    "uctx_cap", b[0], "dev_uctx_cap", b[1], "user_cap", b[2],
					    "uid", in.os_uid, "pid", in.os_pid,
					    "max_rpc", in.max_rpc, "max_umem", in.max_umem));
		return 0;
	}
	printf("DEVICE TYPE: %.*s\n", (int)sizeof(in.device_type), in.device_type);
	printf("CMD IF VERSION: %u\n", in.if_version);
	printf("UCTX UID: %u\n", in.uctx_uid);
	printf("UCTX CAP: 0x%x\n", in.uctx_cap);
	printf("DEV UCTX CAP: 0x%x\n", in.dev_uctx_cap);
	printf("USER CAP: 0x%x\n", in.ucap);
	return 0;
}

static int hex_decode(const char *s, uint8_t **out, size_t *len)
{
	size_t n = 0, cap = strlen(s) / 2 + 1;
	uint8_t *b = malloc(cap);
	int hi = -1;

	if (!b)
		return -ENOMEM;
	if (!strncmp(s, "0x", 2))
		s += 2;
	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == ':' || *s == '_')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			v = (*s | 0x20) - 'a' + 10;
		else
			goto bad;
		if (hi < 0) {
			hi = v;
		} else {
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		goto bad;
	*out = b;
	*len = n;
	return 0;
bad:
	free(b);
	return -EINVAL;
}

/* Rows of 16 bytes; trailing all-zero rows are summed up in one line. */
static void hex_dump(const uint8_t *p, size_t n)
{
	size_t end = n;

	while (end && !p[end - 1])
		end--;
	end = (end + 15) / 16 * 16;
	if (end > n)
		end = n;
	for (size_t i = 0; i < end; i += 16) {
		printf("  %04zx:", i);
		for (size_t j = i; j < i + 16 && j < n; j++)
			printf(" %02x", p[j]);
		putchar('\n');
	}
	if (end < n)
		printf("  %04zx: zeros to %04zx\n", end, n);
}

static int cmd_raw(struct sfc *c, int argc, char **argv)
{
	struct dev_cmd_in_hdr ih = { 0 };
	int op;
	uint8_t *payload = NULL, *in = NULL, *out = NULL;
	size_t plen = 0;
	uint32_t v, out_len = 256;
	int ret = 1, scope;

	if (argc < 1)
		return sfc_fail(c, EINVAL, "Usage: sfnicctl cmd OPCODE [ op_mod N ] [ in HEX ] [ out_len N ]");
	op = sfc_op_parse(argv[0]);
	if (op < 0)
		return sfc_fail(c, EINVAL, "unknown opcode \"%s\" (see sfnicctl --help)", argv[0]);
	ih.opcode = (uint16_t)op;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return sfc_fail(c, EINVAL, "\"%s\" needs a value", argv[i]);
		if (!strcmp(argv[i], "op_mod")) {
			if (sfc_parse_u32(argv[i + 1], &v) || v > 0xffff)
				return sfc_fail(c, EINVAL, "op_mod \"%s\" is not a 16-bit number", argv[i + 1]);
			ih.op_mod = (uint16_t)v;
		} else if (!strcmp(argv[i], "in")) {
			free(payload);
			if (hex_decode(argv[i + 1], &payload, &plen))
				return sfc_fail(c, EINVAL, "in \"%s\" is not hex bytes", argv[i + 1]);
		} else if (!strcmp(argv[i], "out_len")) {
			if (sfc_parse_u32(argv[i + 1], &out_len) || out_len < sizeof(struct dev_cmd_out_hdr)) {
				free(payload);
				return sfc_fail(c, EINVAL, "out_len \"%s\": a number of bytes, at least 8",
						argv[i + 1]);
			}
		} else {
			free(payload);
			return sfc_fail(c, EINVAL, "unknown argument \"%s\"", argv[i]);
		}
	}
	in = calloc(1, sizeof(ih) + plen);
	out = calloc(1, out_len);
	if (!in || !out) {
		sfc_fail(c, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(in, &ih, sizeof(ih));
	if (plen)
		memcpy(in + sizeof(ih), payload, plen);
	scope = c->scope >= 0 ? c->scope : sfc_op_default_scope(ih.opcode, ih.op_mod);
	if (sfc_rpc(c, scope, in, sizeof(ih) + plen, out, out_len)) {
		sfc_fail(c, 1, "%s: %s", sfc_op_name(ih.opcode), c->err);
		goto out;
	}
	{
		struct dev_cmd_out_hdr oh;
		size_t olen = out_len - sizeof(oh);

		memcpy(&oh, out, sizeof(oh));
		if (c->json) {
			char *hex = malloc(olen * 2 + 1), synd[16];

			for (size_t i = 0; hex && i < olen; i++)
				sprintf(hex + 2 * i, "%02x", out[sizeof(oh) + i]);
			if (hex)
				hex[olen * 2] = 0;
			snprintf(synd, sizeof(synd), "0x%08x", oh.syndrome);
			sfc_print_json(c, json_pack("{s:s,s:i,s:i,s:s,s:s,s:i,s:s,s:s}",
						    "opcode", sfc_op_name(ih.opcode), "opcode_num", ih.opcode,
						    "op_mod", ih.op_mod, "scope", sfc_scope_name(scope),
						    "status", dev_status_str(oh.status), "status_num", oh.status,
						    "syndrome", synd, "out", hex ? hex : ""));
			free(hex);
		} else {
			printf("opcode %s (0x%04x) op_mod %u scope %s\n", sfc_op_name(ih.opcode),
			       ih.opcode, ih.op_mod, sfc_scope_name(scope));
			printf("status %s (0x%02x) syndrome 0x%08x\n", dev_status_str(oh.status),
			       oh.status, oh.syndrome);
			/* A failed command returns no payload: the device zeroes it. */
			if (oh.status == DEV_STAT_OK) {
				printf("out %zu bytes:\n", olen);
				hex_dump(out + sizeof(oh), olen);
			}
		}
		if (oh.status != DEV_STAT_OK) {
			sfc_fail(c, 1, "%s: device status %s, syndrome 0x%08x", sfc_op_name(ih.opcode),
				 dev_status_str(oh.status), oh.syndrome);
			goto out;
		}
	}
	ret = 0;
out:
	free(payload);
	free(in);
	free(out);
	return ret;
}

int main(int argc, char **argv)
{
	struct sfc c = { .fd = -1, .scope = -1 };
	const char *cmd;
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json") || !strcmp(a, "-json")) {
			c.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty") || !strcmp(a, "-pretty")) {
			c.pretty = true;
		} else if (!strcmp(a, "-jp") || !strcmp(a, "-pj")) {
			c.json = c.pretty = true;
		} else if (!strcmp(a, "--run-dir") && i + 1 < argc) {
			c.run_dir = argv[++i];
		} else if (!strcmp(a, "--scope") && i + 1 < argc) {
			c.scope = sfc_scope_parse(argv[++i]);
			if (c.scope < 0)
				return sfc_fail(&c, EINVAL, "unknown scope \"%s\" (configuration, "
						"debug_read_only, debug_write, debug_write_full)", argv[i]);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help(stdout);
			return 0;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("sfnicctl utility, sfnic %s\n", SFNIC_VERSION);
			return 0;
		} else {
			return sfc_fail(&c, EINVAL, "unknown option \"%s\" (try --help)", a);
		}
	}
	if (i == argc) {
		help(stderr);
		return 1;
	}
	cmd = argv[i++];
	argc -= i;
	argv += i;
	if (!strcmp(cmd, "info"))
		ret = cmd_info(&c, argc, argv);
	else if (!strcmp(cmd, "cmd"))
		ret = cmd_raw(&c, argc, argv);
	else if (!strcmp(cmd, "query"))
		ret = sfc_cmd_query(&c, argc, argv);
	else if (!strcmp(cmd, "resource-dump"))
		ret = sfc_cmd_dump(&c, argc, argv);
	else if (!strcmp(cmd, "trace"))
		ret = sfc_cmd_trace(&c, argc, argv);
	else if (!strcmp(cmd, "counters"))
		ret = sfc_cmd_counters(&c, argc, argv);
	else if (!strcmp(cmd, "fault"))
		ret = sfc_cmd_fault(&c, argc, argv);
	else if (!strcmp(cmd, "help"))
		help(stdout), ret = 0;
	else
		ret = sfc_fail(&c, EINVAL, "unknown command \"%s\" (try --help)", cmd);
	sfc_close(&c);
	return ret;
}
