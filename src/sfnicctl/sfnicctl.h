/*
 * sfnicctl.h - the sfnicctl tool's pieces: the channel client (sfc_client.c),
 * the opcode table (sfc_ops.c), the commands (sfnicctl.c, sfc_query.c,
 * sfc_dump.c, sfc_trace.c, sfc_counters.c).
 *
 * The client speaks ctl_proto.h over <run-dir>/sfnicctl.sock.  Functions
 * return 0 or -errno and put a one-line reason in the caller's err buffer;
 * only the command functions print.
 */
#ifndef SFNIC_SFNICCTL_H
#define SFNIC_SFNICCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../ctl/ctl_proto.h"
#include "../dev/dev.h"

#define SFC_ERRLEN 512

struct sfc {
	int fd;                 /* the connection, -1 before sfc_connect() */
	uint32_t seq;
	bool json, pretty;
	int scope;              /* --scope, -1: each opcode's own */
	const char *run_dir;
	char err[SFC_ERRLEN];   /* the last failure's reason */
};

/* A registered memory: the tool's own mapping of the memfd it sent. */
struct sfc_umem {
	uint32_t id;
	void *addr;
	size_t len;
};

/* Connects to <run-dir>/sfnicctl.sock (run_dir NULL: $SFNIC_RUN_DIR or the
 * default).  Returns 0 or -errno with the reason in c->err. */
int sfc_connect(struct sfc *c);
void sfc_close(struct sfc *c);

/* INFO.  Returns 0 or -errno (reason in c->err). */
int sfc_info(struct sfc *c, struct ctl_info *info);

/*
 * One RPC at scope (or the opcode's own scope when scope < 0): in/inlen is
 * the whole command input (the channel stamps the uid), out/outlen receives
 * the output.  Returns 0 when delivered - the device's status is in out's
 * header - or -errno when not (c->err: "Operation not permitted (why)").
 */
int sfc_rpc(struct sfc *c, int scope, const void *in, size_t inlen, void *out, size_t outlen);

/* sfc_rpc, then a device status other than OK becomes -EREMOTEIO with
 * "NAME: STATUS, syndrome 0x..." in c->err. */
int sfc_cmd(struct sfc *c, const void *in, size_t inlen, void *out, size_t outlen);

/* Creates a sealed memfd of len bytes (rounded up to pages), maps it and
 * registers it.  Returns 0 or -errno; sfc_umem_unreg() undoes it. */
int sfc_umem_reg(struct sfc *c, size_t len, struct sfc_umem *u);
int sfc_umem_unreg(struct sfc *c, struct sfc_umem *u);

/* sfc_ops.c: opcodes and scopes by name, over the device's own table
 * (src/dev/dev_scope.c, linked into the tool). */
int sfc_op_parse(const char *s);                /* a name or a number; -1 */
const char *sfc_op_name(uint16_t opcode);       /* "0x1234" for unknown ones */
int sfc_op_default_scope(uint16_t opcode, uint16_t op_mod); /* for --scope unset */
const char *sfc_scope_name(int scope);
int sfc_scope_parse(const char *s);             /* -1 if unknown */
void sfc_ops_print(FILE *f);                     /* for --help */

/* Output helpers (sfnicctl.c). */
void sfc_print_json(const struct sfc *c, json_t *j);    /* consumes j */
int sfc_fail(struct sfc *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sfc_parse_u32(const char *s, uint32_t *v);

/* sfc_query.c: prints one resource dump record of segment type (JSON:
 * appended to arr). */
void sfc_print_dump_rec(struct sfc *c, uint16_t type, const void *rec, json_t *arr);

/* Commands: argv after the command word.  Return the exit status. */
int sfc_cmd_query(struct sfc *c, int argc, char **argv);
int sfc_cmd_dump(struct sfc *c, int argc, char **argv);
int sfc_cmd_trace(struct sfc *c, int argc, char **argv);
int sfc_cmd_counters(struct sfc *c, int argc, char **argv);
/* sfc_fault.c: SET_FAULT by name (issue 12). */
int sfc_cmd_fault(struct sfc *c, int argc, char **argv);

#endif
