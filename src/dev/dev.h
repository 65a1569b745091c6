/*
 * dev.h - the sfnic device ("firmware").
 *
 * The device owns the SF table, the vports and their contexts, the eswitch
 * mode and the capabilities.  Nothing outside this module touches that state:
 * drivers change it with dev_cmd_exec() and learn about asynchronous changes
 * from the event queue (dev_eq_poll()).  The device is single-threaded by
 * contract: the caller serialises commands, as a command mailbox does.
 *
 * User contexts (issue 11, fwctl's model): the ctl channel creates one per
 * connection (CREATE_UCTX) and stamps the connection's RPCs with its uid;
 * the device checks every command from uid != 0 against the scope table
 * (dev_opcode_scope()) and the context's capabilities, and refuses driver
 * commands to all but uid 0.  Clients register memory (umem) that the
 * device writes dumps, a trace ring and counter samples into; the counter
 * sampler is the one thread besides the caller's (see dev_internal.h).
 */
#ifndef SFNIC_DEV_H
#define SFNIC_DEV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include "dev_cmd.h"

struct dev;

/* Creates a device with max_sfs[0] local and max_sfs[1] external SF slots.
 * Returns NULL on allocation failure or on a size above DEV_SF_HARD_MAX. */
struct dev *dev_create(uint32_t max_local_sfs, uint32_t max_external_sfs);

struct dp;
/* Gives the device its datapath: vports of active functions become ports,
 * the eswitch mode and flow table entries take effect there.  Without one
 * (unit tests of the command interface) flow commands fail with
 * DEV_SYND_FTE_NO_DATAPATH. */
void dev_attach_dp(struct dev *d, struct dp *dp);
/* (Attaching another datapath, or NULL, first stops every counter sampler,
 * synchronously: call dev_attach_dp(d, NULL) before dp_destroy().) */

/* Frees the device and everything it owns (stopping samplers first). */
void dev_destroy(struct dev *d);

/*
 * Executes one command.  in/inlen is the input mailbox, out/outlen the output
 * mailbox (at least sizeof(struct dev_cmd_out_hdr)).  Returns the status that
 * is also written to out's header; on failure the syndrome says which check
 * failed.  Never reads past inlen or writes past outlen.  If outlen is too
 * short even for the header, returns DEV_STAT_BAD_OUTPUT_LEN and writes
 * nothing.
 */
uint8_t dev_cmd_exec(struct dev *d, const void *in, size_t inlen, void *out,
		     size_t outlen);

/* Pops the oldest event into *eqe.  Returns 1 if one was popped, 0 if the
 * queue is empty. */
int dev_eq_poll(struct dev *d, struct dev_eqe *eqe);

/* Number of events waiting. */
size_t dev_eq_depth(const struct dev *d);

/* Maps a status to the errno mlx5 maps it to (0 for DEV_STAT_OK). */
int dev_status_to_errno(uint8_t status);

/* Whether every action of a rule is one SET_FLOW_TABLE_ENTRY takes: known
 * kind and verb, parameters in range, reserved bytes zero (what the device
 * checks; the tc parser must never produce anything else). */
bool dev_rule_actions_valid(const struct esw_rule_spec *s);

/* Names a status ("BAD_PARAM"); "UNKNOWN" for values not in enum dev_status. */
const char *dev_status_str(uint8_t status);

/*
 * The one scope table.  Returns the least enum dev_scope an opcode needs
 * (op_mod is there for opcodes whose op_mods differ, none yet),
 * DEV_SCOPE_DRIVER for driver-only commands, or -1 for an opcode the device
 * does not know.  A context with caps C may issue an opcode of scope S iff
 * C & DEV_UCTX_CAP_SCOPE(S).  Pure function; any thread.  (dev_scope.c has
 * no other dependency, so a tool may link it alone.)
 */
int dev_opcode_scope(uint16_t opcode, uint16_t op_mod);

/* Names an opcode ("QUERY_HCA_CAP"); NULL for an unknown one. */
const char *dev_opcode_str(uint16_t opcode);

/* The opcode named name (case-insensitive, as dev_opcode_str spells it),
 * or -1. */
int dev_opcode_by_name(const char *name);

/* Names a scope ("debug_read_only"); NULL for an unknown one. */
const char *dev_scope_str(unsigned scope);

/* Whether a user context has issued a successful command of scope
 * DEBUG_WRITE or above since the device was created; if so, and the
 * pointers are not NULL, who (the os_uid/os_pid given at CREATE_UCTX of the
 * first such context).  Lasts until dev_destroy (not persisted). */
bool dev_tainted(const struct dev *d, uint32_t *os_uid, uint32_t *os_pid);

#endif
