/*
 * dev.h - the sfnic device ("firmware").
 *
 * The device owns the SF table, the vports and their contexts, the eswitch
 * mode and the capabilities.  Nothing outside this module touches that state:
 * drivers change it with dev_cmd_exec() and learn about asynchronous changes
 * from the event queue (dev_eq_poll()).  The device is single-threaded by
 * contract: the caller serialises commands, as a command mailbox does.
 */
#ifndef SFNIC_DEV_H
#define SFNIC_DEV_H

#include <errno.h>
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

/* Frees the device and everything it owns. */
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

/* Names a status ("BAD_PARAM"); "UNKNOWN" for values not in enum dev_status. */
const char *dev_status_str(uint8_t status);

#endif
